/* cmd_disasm.c - `persona disasm MODEL`: the bytecode listing of a model,
 * from a .pbc file or compiled from source. */
#include "cli.h"

static const char disasm_summary[] = "Show the bytecode of a model.";

static const char disasm_description[] =
    "MODEL is a .pbc bytecode file or a .persona source file. The listing\n"
    "starts with the model's name, version and source hash, then shows every\n"
    "block: each instruction with its operands and the place in the source\n"
    "it came from (FILE:LINE:COL). From source, each source line is also\n"
    "shown once, before the instructions compiled from it. See\n"
    "docs/bytecode.md for the instructions.\n"
    "\n"
    "Exit status: 0 shown, 1 the model has errors or the file is damaged,\n"
    "2 usage error.\n";

int pcli_cmd_disasm(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) args = NULL;
  const GOptionEntry entries[] = {
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include, "Search DIR for imports (repeatable)", "DIR"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = pcli_context_new("MODEL", disasm_summary, disasm_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "disasm", &argc, &argv)) return PCLI_EXIT_USAGE;
  guint n_args = args ? g_strv_length(args) : 0;
  if (n_args < 1) return pcli_usage_error("disasm", "no MODEL given");
  if (n_args > 1) return pcli_usage_error("disasm", "too many arguments (expected one MODEL)");
  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE};
  g_autoptr(PersonaDiagnostics) diags = NULL;
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &opts, &diags);
  if (!model) return PCLI_EXIT_FAIL;
  g_autofree char *listing = persona_model_disasm_full(model, diags);
  fputs(listing, stdout);
  if (fflush(stdout) != 0) {
    pcli_error("cannot write to standard output");
    return PCLI_EXIT_FAIL;
  }
  return PCLI_EXIT_OK;
}
