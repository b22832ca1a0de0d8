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

/* Feeds every record to the counter; FALSE after printing a read error. */
static gboolean count_records(Segments *seg, PersonaModel *model, const char *in_path,
                              const PersonaStateStore *store, const char *input_tz, gint64 now_us) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  if (input_tz && !persona_vm_set_input_timezone(vm, input_tz, &error)) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  PersonaLineReader *r = NULL;
  if (!(r = persona_line_reader_open(in_path, &error))) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  GString *key = g_string_new(NULL);
  const char *line;
  gsize len;
  while (persona_line_reader_next(r, &line, &len, &error)) {
    if (persona_line_reader_too_long(r, NULL)) {
      segments_add_error(seg);
      continue;
    }
    const char *state = NULL;
    if (store) {
      g_string_truncate(key, 0);
      if (persona_vm_profile_key(vm, line, len, key)) state = persona_state_store_get(store, key->str);
    }
    const PersonaResult *result = NULL;
    PersonaEvalStatus st = persona_vm_eval(vm, line, len, state, state ? strlen(state) : 0, now_us, &result);
    segments_add(seg, st, result);
  }
  g_string_free(key, TRUE);
  persona_line_reader_free(r);
  if (error) {
    pcli_error("%s", error->message);
    return FALSE;
  }
  return TRUE;
}

static int write_document(const RenderDoc *doc, RenderFormat format, const char *output) {
  GString *text = g_string_new(NULL);
  render_doc(doc, format, text);
  int status = pcli_write_text(output, text);
  g_string_free(text, TRUE);
  return status;
}

int pcli_cmd_segments(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *now_text = NULL, *state_path = NULL, *format_name = NULL, *output = NULL, *input_tz = NULL;
  gboolean allow_native = FALSE;
  const GOptionEntry entries[] = {
      {"allow-native", 0, 0, G_OPTION_ARG_NONE, &allow_native,
       "Let extern fn load the shared libraries the model names (native code)", NULL},
      {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "Evaluate as of TIME (default: the current time)", "TIME"},
      {"state", 0, 0, G_OPTION_ARG_FILENAME, &state_path, "Start from the profiles' states in FILE (read only)",
       "FILE"},
      {"input-tz", 0, 0, G_OPTION_ARG_STRING, &input_tz,
       "Read times without an offset in ZONE (IANA, e.g. Asia/Shanghai)", "ZONE"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format_name, "'text', 'md', 'json' or 'html'", "FORMAT"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE (replaced when complete)", "FILE"},
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include, "Search DIR for imports (repeatable)", "DIR"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      pcli_context_new("MODEL [PROFILES.jsonl]", segments_summary, segments_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "segments", &argc, &argv)) return PCLI_EXIT_USAGE;
  guint n_args = args ? g_strv_length(args) : 0;
  if (n_args < 1) return pcli_usage_error("segments", "no MODEL given");
  if (n_args > 2) return pcli_usage_error("segments", "too many arguments (expected MODEL [PROFILES.jsonl])");
  RenderFormat format = RENDER_TEXT;
  if (format_name && !render_format_parse(format_name, &format))
    return pcli_usage_error("segments", "unknown format '%s' (expected 'text', 'md', 'json' or 'html')",
                            format_name);
  gint64 now_us = persona_time_now();
  if (now_text && !persona_time_parse(now_text, &now_us))
    return pcli_usage_error("segments",
                            "invalid --now '%s': expected an RFC 3339 time "
                            "(2026-02-01T00:00:00Z), a date (2026-02-01) or Unix seconds",
                            now_text);
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
  if (state_path) {
    g_autoptr(GError) error = NULL;
    store = persona_state_store_load(state_path, &error);
    if (!store) {
      pcli_error("%s", error->message);
      return PCLI_EXIT_FAIL;
    }
  }
  const char *in_path = n_args > 1 && strcmp(args[1], "-") != 0 ? args[1] : NULL;
  Segments *seg = segments_new(model);
  int status = PCLI_EXIT_FAIL;
  if (count_records(seg, model, in_path, store, input_tz, now_us)) {
    RenderDoc *doc = segments_document(seg, in_path, now_us);
    status = write_document(doc, format, output);
    render_doc_free(doc);
  }
  segments_free(seg);
  return status;
}
