/* cmd_unify.c - `persona unify MODEL [NAME=]FILE… [-o OUT]`: one profile per
 * person from several sources (the unify component, unify/unify.h;
 * docs/unify.md). Only the command line lives here. */
#include "cli.h"

#include <string.h>

#include "unify/store.h"
#include "unify/unify.h"

static const char unify_summary[] = "Unify records of several sources into one profile per person.";

static const char unify_description[] =
    "Reads the records (JSON Lines) of each FILE ('-': standard input) as the source the model\n"
    "declares under NAME ('NAME=FILE'), or under the file's name up to its\n"
    "first dot ('crm.jsonl' is source crm). Records that share an identifier\n"
    "(after normalising, and unless a rule keeps it from joining) belong to\n"
    "one person; each person becomes one profile for persona eval. The output\n"
    "does not depend on the order of the files or of their records.\n"
    "\n"
    "Bad records are reported on standard error as FILE:LINE: message, and\n"
    "the run goes on. No message, report or explanation shows an identifier's\n"
    "value.\n"
    "\n"
    "With --store DIR every input is first kept in DIR (under its source and\n"
    "a digest of its bytes; the same file twice is kept once), and then\n"
    "everything stored there is unified: adding files later gives the same\n"
    "profiles as one run over all of them. The stored records hold pii (the\n"
    "identifiers), so they are kept encrypted with the key of\n"
    "PERSONA_STORE_KEY (or the file named by PERSONA_STORE_KEY_FILE), as\n"
    "persona run keeps its records; without a key --store is refused.\n"
    "\n"
    "Exit status: 0 success, 1 the model has errors, a file cannot be read or\n"
    "written, a profile is larger than --max-cluster, or --explain names no\n"
    "profile, 2 usage error, 3 some records could not be read or placed (the\n"
    "profiles of the others are written).\n";

/* The source a FILE argument names: "NAME=PATH", or PATH's base name up
 * to its first dot. */
static int source_of(PuUnifier *u, const char *arg, const char **path) {
  const char *eq = strchr(arg, '=');
  if (eq && eq > arg) {
    g_autofree char *name = g_strndup(arg, (gsize)(eq - arg));
    int s = pu_source_index(u, name);
    if (s >= 0) {
      *path = eq + 1;
      return s;
    }
  }
  *path = arg;
  g_autofree char *base = g_path_get_basename(arg);
  char *dot = strchr(base, '.');
  if (dot) *dot = 0;
  return pu_source_index(u, base);
}

/* --store DIR: stores each input under its source, then reads every
 * stored file instead of the inputs. NULL after printing why. */
static GPtrArray *store_inputs(PuUnifier *u, const char *dir, const PersonaSealKey *key, char **inputs,
                               int *status) {
  g_autoptr(GError) error = NULL;
  if (!pu_store_open(dir, key, &error)) {
    pcli_error("%s", error->message);
    *status = PCLI_EXIT_FAIL;
    return NULL;
  }
  for (guint i = 0; inputs[i]; i++) {
    const char *path;
    int s = source_of(u, inputs[i], &path);
    if (s < 0) {
      g_autofree char *names = pu_source_names(u);
      *status = pcli_usage_error("unify", "'%s' names no source of the model (declared: %s); write NAME=FILE",
                                 inputs[i], names);
      return NULL;
    }
    gboolean added;
    g_autofree const char **sources = pu_source_list(u);
    if (!pcli_check_readable(path, &error) || !pu_store_add(dir, sources[s], path, key, &added, &error)) {
      pcli_error("%s", error->message);
      *status = PCLI_EXIT_FAIL;
      return NULL;
    }
    if (!added) pcli_error("%s: already in the store '%s' (the same bytes): not added again", path, dir);
  }
  g_autofree const char **sources = pu_source_list(u);
  GPtrArray *files = pu_store_files(dir, sources, &error);
  if (!files) {
    pcli_error("%s", error->message);
    *status = PCLI_EXIT_FAIL;
    return NULL;
  }
  g_ptr_array_add(files, NULL);
  return files;
}

/* Reads one input: a stored file (sealed, `key` given) or a FILE argument. */
static gboolean add_input(PuUnifier *u, int s, const char *path, const PersonaSealKey *key, GError **error) {
  if (key) {
    g_autofree const char **sources = pu_source_list(u);
    return pu_store_read(u, (guint)s, sources[s], path, key, error);
  }
  return (strcmp(path, "-") == 0 || pcli_check_readable(path, error)) && pu_add_file(u, (guint)s, path, error);
}

/* `key`: the inputs are the store's files, sealed with it. */
static int unify_run(PuUnifier *u, char **inputs, const PersonaSealKey *key, char **excludes, const char *output,
                     const char *report, const char *explain, gint64 max_cluster) {
  g_autoptr(GError) error = NULL;
  for (guint i = 0; excludes && excludes[i]; i++)
    if (!pu_add_exclusions(u, excludes[i], &error)) {
      pcli_error("%s", error->message);
      return PCLI_EXIT_FAIL;
    }
  for (guint i = 0; inputs[i]; i++) {
    const char *path;
    int s = source_of(u, inputs[i], &path);
    if (s < 0) {
      g_autofree char *names = pu_source_names(u);
      return pcli_usage_error("unify", "'%s' names no source of the model (declared: %s); write NAME=FILE",
                              inputs[i], names);
    }
    if (!add_input(u, s, path, key, &error)) {
      pcli_error("%s", error->message);
      return PCLI_EXIT_FAIL;
    }
  }
  pu_resolve(u);
  fputs(pu_problems(u), stderr);

  if (report) {
    g_autoptr(GString) text = g_string_new(NULL);
    pu_report_json(u, text);
    PersonaOutputFile *f = persona_output_file_open(report, &error);
    gboolean ok = f && persona_output_file_write(f, text->str, text->len, &error) &&
                  persona_output_file_commit(f, &error);
    persona_output_file_free(f);
    if (!ok) {
      pcli_error("%s", error->message);
      return PCLI_EXIT_FAIL;
    }
  }
  g_autoptr(GString) largest = g_string_new(NULL);
  guint64 size = pu_largest_profile(u, largest);
  if (max_cluster > 0 && size > (guint64)max_cluster) {
    pcli_error("profile %s joins %" G_GUINT64_FORMAT " records, more than --max-cluster %" G_GINT64_FORMAT
               "; nothing written (see persona unify --explain %s)",
               largest->str, size, max_cluster, largest->str);
    return PCLI_EXIT_FAIL;
  }
  if (explain) {
    g_autoptr(GString) text = g_string_new(NULL);
    if (!pu_explain(u, explain, text)) {
      pcli_error("no profile '%s'", explain);
      return PCLI_EXIT_FAIL;
    }
    fputs(text->str, stdout);
    if (!output) return pu_n_bad(u) ? PCLI_EXIT_RECORDS : PCLI_EXIT_OK;
  }
  PersonaOutputFile *out = persona_output_file_open(output, &error);
  gboolean ok = out && pu_write_profiles(u, out, &error) && persona_output_file_commit(out, &error);
  persona_output_file_free(out);
  if (!ok) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  if (pu_n_bad(u)) {
    pcli_error("%" G_GUINT64_FORMAT " record%s could not be read or placed (listed above)", pu_n_bad(u),
               pu_n_bad(u) == 1 ? "" : "s");
    return PCLI_EXIT_RECORDS;
  }
  return PCLI_EXIT_OK;
}

int pcli_cmd_unify(int argc, char **argv, gboolean do_help) {
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) include = NULL;
  g_auto(GStrv) excludes = NULL;
  g_autofree char *output = NULL;
  g_autofree char *report = NULL;
  g_autofree char *explain = NULL;
  g_autofree char *store = NULL;
  gint64 max_cluster = 0;
  const GOptionEntry entries[] = {
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
       "Write the profiles to FILE (replaced when the run completes; default: standard output)", "FILE"},
      {"explain", 0, 0, G_OPTION_ARG_STRING, &explain,
       "Show how profile ID was joined (instead of the profiles, unless -o is given)", "ID"},
      {"exclude", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &excludes,
       "Values in FILE ('KIND VALUE' lines) never join (repeatable)", "FILE"},
      {"report", 0, 0, G_OPTION_ARG_FILENAME, &report,
       "Write the report (sizes, joins refused per rule) as JSON to FILE", "FILE"},
      {"max-cluster", 0, 0, G_OPTION_ARG_INT64, &max_cluster,
       "Fail (exit 1, nothing written) when a profile joins more than N records", "N"},
      {"store", 0, 0, G_OPTION_ARG_FILENAME, &store,
       "Keep every input in DIR and unify everything stored there (inputs may then be none)", "DIR"},
      {"include", 'I', 0, G_OPTION_ARG_FILENAME_ARRAY, &include, "Search DIR for imports (repeatable)", "DIR"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      pcli_context_new("MODEL [NAME=]FILE…", unify_summary, unify_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "unify", &argc, &argv)) return PCLI_EXIT_USAGE;
  guint n_args = args ? g_strv_length(args) : 0;
  if (n_args < 1) return pcli_usage_error("unify", "no MODEL given");
  if (n_args < 2 && !store) return pcli_usage_error("unify", "no input FILE given");
  if (max_cluster < 0) return pcli_usage_error("unify", "--max-cluster must be 1 or more (0: no limit)");

  PersonaCompileOptions opts = {.include_dirs = (const char *const *)include, .use_persona_path = TRUE};
  g_autoptr(PersonaModel) model = pcli_load_model(args[0], &opts, NULL);
  if (!model) return PCLI_EXIT_FAIL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PuUnifier) u = pu_new(model, &error);
  if (!u) {
    pcli_error("%s: %s", args[0], error->message);
    return PCLI_EXIT_FAIL;
  }
  if (!pu_ids_keyed(u)) pcli_warn_unkeyed_ids();
  if (!store) return unify_run(u, args + 1, NULL, excludes, output, report, explain, max_cluster);
  g_autoptr(PersonaSealKey) key = NULL;
  if (!persona_seal_key_from_env(&key, &error)) {
    pcli_error("%s", error->message);
    return PCLI_EXIT_FAIL;
  }
  int status = PCLI_EXIT_OK;
  g_autoptr(GPtrArray) stored = store_inputs(u, store, key, args + 1, &status);
  if (!stored) return status;
  return unify_run(u, (char **)stored->pdata, key, excludes, output, report, explain, max_cluster);
}
