/* cmd_compile.c - `persona compile MODEL.persona -o MODEL.pbc`: write the
 * compiled model as a portable bytecode file. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char compile_summary[] = "Compile a model to a portable bytecode file.";

static const char compile_description[] =
    "Writes MODEL (a .persona source file and its imports) as bytecode: a\n"
    "versioned, checksummed file that 'persona eval' and 'persona disasm'\n"
    "read without the sources, with exactly the results of the source. The\n"
    "file records the model's name and version and a SHA-256 of the source\n"
    "texts. Test blocks are not stored: run 'persona test' on the source.\n"
    "\n"
    "Without -o the output is MODEL with its extension replaced by .pbc.\n"
    "The file is replaced atomically. See docs/bytecode.md.\n"
    "\n"
    "Exit status: 0 written, 1 the model has errors or the file could not be\n"
    "written, 2 usage error.\n"
    "\n"
    "Example:\n"
    "  persona compile examples/b2b_lead.persona -o b2b_lead.pbc\n"
    "  persona eval b2b_lead.pbc examples/profiles.jsonl --now 2026-02-01\n";

static char *default_output(const char *model) {
  const char *base = strrchr(model, '/');
  const char *dot = strrchr(base ? base : model, '.');
  gsize stem = dot && dot != (base ? base + 1 : model) ? (gsize)(dot - model) : strlen(model);
  return g_strdup_printf("%.*s.pbc", (int)stem, model);
}

int pcli_cmd_compile(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *output = NULL;
  const GOptionEntry entries[] = {
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the bytecode to FILE", "FILE"},
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include, "Search DIR for imports (repeatable)", "DIR"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = pcli_context_new("MODEL", compile_summary, compile_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "compile", &argc, &argv)) return PCLI_EXIT_USAGE;
  guint n_args = args ? g_strv_length(args) : 0;
  if (n_args < 1) return pcli_usage_error("compile", "no MODEL given");
  if (n_args > 1) return pcli_usage_error("compile", "too many arguments (expected one MODEL)");
  if (pcli_is_bytecode_file(args[0])) {
    pcli_error("'%s' is already bytecode; compile its source", args[0]);
    return PCLI_EXIT_FAIL;
  }
  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE};
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &opts, NULL);
  if (!model) return PCLI_EXIT_FAIL;
  g_autofree char *target = output ? g_strdup(output) : default_output(args[0]);
  g_autoptr(GError) error = NULL;
  if (!persona_model_save_bytecode(model, target, &error)) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  return PCLI_EXIT_OK;
}
