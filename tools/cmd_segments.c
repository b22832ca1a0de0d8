/* cmd_segments.c - `persona segments MODEL [PROFILES.jsonl]`: the sizes
 * and pairwise overlap of the model's segments (segments/segments.h) over
 * every profile, rendered by the shared renderer (render/render.h). */
#include "cli.h"

#include <string.h>

#include "render/render.h"
#include "segments/segments.h"

static const char segments_summary[] = "Count the profiles in each segment and how the segments overlap.";

static const char segments_description[] =
    "Evaluates every profile of PROFILES.jsonl (standard input when absent or\n"
    "'-') like 'persona eval' and writes, for every segment the model declares\n"
    "('segment NAME \"label\" when …'), the profiles in it and their share of\n"
    "the evaluated profiles, then for every pair of segments the profiles in\n"
    "both, in either, and the Jaccard index (both / either). No value of a\n"
    "profile's fields is ever shown. See docs/segments.md.\n"
    "\n"
    "FORMAT: 'text' (the default), 'md' (Markdown), 'json' (the same numbers)\n"
    "or 'html' (one self-contained page). With --state FILE the profiles'\n"
    "stored states are read (never written). Times without an offset are read\n"
    "in --input-tz ZONE, else in the zone of the model line.\n"
    "\n"
    "Exit status: 0 the document was written (records that gave an error are\n"
    "counted in it), 1 the model has errors or declares no segment, the state\n"
    "file is damaged, or a file could not be read or written, 2 usage error.\n"
    "\n"
    "Example:\n"
    "  persona segments examples/b2b_lead.persona examples/profiles.jsonl \\\n"
    "      --now 2026-02-01T00:00:00Z --format md\n";

static void count_profile(void *seg, PersonaVM *vm, const char *line, gsize len, PersonaEvalStatus st,
                          const PersonaResult *result) {
  (void)vm, (void)line, (void)len;
  if (result) segments_add(seg, st, result);
  else segments_add_error(seg); /* a line too long to read */
}

static const PcliStart segments_start = {
    "segments", "MODEL [PROFILES.jsonl]", segments_summary, segments_description, 1, 2, "no MODEL given"};

int pcli_cmd_segments(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *now_text = NULL, *state_path = NULL, *format_name = NULL, *output = NULL, *input_tz = NULL;
  gboolean allow_native = FALSE;
  const GOptionEntry entries[] = {
      PCLI_ENTRY_ALLOW_NATIVE(&allow_native),
      PCLI_ENTRY_NOW(&now_text),
      PCLI_ENTRY_STATE(&state_path),
      PCLI_ENTRY_INPUT_TZ(&input_tz),
      {"format", 0, 0, G_OPTION_ARG_STRING, &format_name, "'text', 'md', 'json' or 'html'", "FORMAT"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE (replaced when complete)", "FILE"},
      PCLI_ENTRY_INCLUDE(&include),
      PCLI_ENTRY_OPERANDS(&args),
      PCLI_ENTRY_END,
  };
  guint n_args;
  int go = pcli_start(&segments_start, entries, do_help, &argc, &argv, &args, &n_args);
  if (go != PCLI_GO) return go;
  RenderFormat format = RENDER_TEXT;
  if (format_name && !render_format_parse(format_name, &format))
    return pcli_usage_error("segments", "unknown format '%s' (expected 'text', 'md', 'json' or 'html')",
                            format_name);
  gint64 now_us;
  if (!pcli_parse_time_option("segments", "--now", now_text, &now_us)) return PCLI_EXIT_USAGE;
  if (input_tz && !pcli_check_timezone("segments", input_tz)) return PCLI_EXIT_USAGE;

  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE,
                                .allow_native = allow_native};
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &opts, NULL);
  if (!model) return PCLI_EXIT_FAIL;
  if (persona_model_n_items(model, PERSONA_ITEM_SEGMENT) == 0) {
    pcli_error("%s declares no segment (write: segment NAME \"label\" when CONDITION)", args[0]);
    return PCLI_EXIT_FAIL;
  }
  g_autoptr(PersonaStateStore) store = NULL;
  if (!pcli_load_state(state_path, &store)) return PCLI_EXIT_FAIL;
  const char *in_path = n_args > 1 && strcmp(args[1], "-") != 0 ? args[1] : NULL;
  Segments *seg = segments_new(model);
  int status = PCLI_EXIT_FAIL;
  PcliProfiles in = {.in_path = in_path, .store = store, .input_tz = input_tz, .now_us = now_us};
  if (pcli_eval_profiles(model, &in, count_profile, seg)) {
    RenderDoc *doc = segments_document(seg, in_path, now_us);
    status = pcli_write_doc(doc, format, output);
    render_doc_free(doc);
  }
  segments_free(seg);
  return status;
}
