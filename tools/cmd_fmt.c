/* cmd_fmt.c - `persona fmt [--check] [-v] [FILE|DIR|-]…`: rewrite models
 * in the canonical layout (persona_format_source in include/persona.h).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char fmt_summary[] = "Rewrite models in the canonical layout.";

static const char fmt_description[] =
    "Each FILE is rewritten in place (through a temporary file renamed over\n"
    "it) when its layout is not the canonical one; a DIR stands for every\n"
    "*.persona file below it. With no FILE, or '-', the model is read from\n"
    "standard input and written to standard output. Every comment is kept,\n"
    "and the formatted model compiles to the same bytecode.\n"
    "\n"
    "A file with syntax errors is left as it is: its diagnostics go to\n"
    "standard error. With --check nothing is written: the names of the files\n"
    "that are not formatted go to standard output ('<stdin>' for standard\n"
    "input).\n"
    "\n"
    "Exit status: 0 success (with --check: every file is formatted), 1 a file\n"
    "has syntax errors or cannot be read or written (the other files are still\n"
    "formatted), or with --check a file is not formatted, 2 usage error.\n";

typedef struct {
  gboolean check;
  gboolean verbose;
  gboolean color;
  gboolean failed;  /* syntax or I/O errors */
  gboolean changed; /* with --check: a file would change */
} FmtRun;

/* Formats `text`; NULL (diagnostics printed) when it does not parse. */
static char *format_text(FmtRun *run, const char *name, const char *text, gsize len,
                         gsize *out_len) {
  g_autoptr(PersonaDiagnostics) diags = NULL;
  char *out = persona_format_source(name, text, len, out_len, &diags);
  if (!out) {
    g_autofree char *msg = persona_diagnostics_to_text(diags, run->color);
    fputs(msg, stderr);
    run->failed = TRUE;
  }
  return out;
}

/* What a model may be (the compiler's limit): more on standard input is
 * refused while reading, not after. */
#define FMT_MAX_STDIN (16u << 20)

static gboolean read_stdin(GString *buf, GError **error) {
  char block[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, block, sizeof block);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                  "cannot read standard input: %s", g_strerror(errno));
      return FALSE;
    }
    if (n == 0) return TRUE;
    if (buf->len + (gsize)n > FMT_MAX_STDIN) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "standard input is larger than %u MiB: not a model",
                  FMT_MAX_STDIN >> 20);
      return FALSE;
    }
    g_string_append_len(buf, block, n);
  }
}

static void fmt_stdin(FmtRun *run) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) in = g_string_new(NULL);
  if (!read_stdin(in, &error)) {
    pcli_error("%s", error->message);
    run->failed = TRUE;
    return;
  }
  gsize len = 0;
  g_autofree char *out = format_text(run, "<stdin>", in->str, in->len, &len);
  if (!out) return;
  gboolean same = len == in->len && memcmp(out, in->str, len) == 0;
  if (run->check) {
    if (!same) {
      puts("<stdin>");
      run->changed = TRUE;
    }
    return;
  }
  if (fwrite(out, 1, len, stdout) != len) {
    pcli_error("cannot write to standard output");
    run->failed = TRUE;
  }
}

/* Replaces the file (the target of a symbolic link) through a temporary
 * file in its directory, keeping its mode. */
static gboolean replace_file(const char *path, const char *text, gsize len, GError **error) {
  g_autofree char *target = realpath(path, NULL);
  PcliWriter w;
  if (!pcli_writer_open(&w, target ? target : path, error)) return FALSE;
  g_string_append_len(w.buf, text, (gssize)len);
  gboolean ok = pcli_writer_commit(&w, error);
  pcli_writer_close(&w);
  return ok;
}

static void fmt_path(FmtRun *run, const char *path) {
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  /* Bounded like every model read: /dev/zero or a 20 GB file as FILE is
   * refused at once, not read until memory runs out. */
  if (!persona_read_source(path, &text, &len, &error)) {
    pcli_error("%s", error->message);
    run->failed = TRUE;
    return;
  }
  gsize out_len = 0;
  g_autofree char *out = format_text(run, path, text, len, &out_len);
  if (!out || (out_len == len && memcmp(out, text, len) == 0)) return;
  if (run->check) {
    puts(path);
    run->changed = TRUE;
    return;
  }
  if (!replace_file(path, out, out_len, &error)) {
    pcli_error("%s", error->message);
    run->failed = TRUE;
    return;
  }
  if (run->verbose) puts(path);
}

static gint str_cmp(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.persona file below `dir`, in name order; hidden entries (".x")
 * are skipped, as gofmt does. */
static void fmt_dir(FmtRun *run, const char *dir) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
  if (!d) {
    pcli_error("cannot read '%s': %s", dir, error->message);
    run->failed = TRUE;
    return;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    if (name[0] != '.') g_ptr_array_add(names, g_strdup(name));
  }
  g_ptr_array_sort(names, str_cmp);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
    struct stat st;
    if (stat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      fmt_dir(run, path);
    else if (S_ISREG(st.st_mode) && g_str_has_suffix(path, ".persona"))
      fmt_path(run, path);
  }
}

int pcli_cmd_fmt(int argc, char **argv, gboolean do_help) {
  FmtRun run = {0};
  g_auto(GStrv) args = NULL;
  const GOptionEntry entries[] = {
      {"check", 0, 0, G_OPTION_ARG_NONE, &run.check,
       "Write nothing; list the files that are not formatted (exit 1 if any)", NULL},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &run.verbose, "List the files rewritten", NULL},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      pcli_context_new("[FILE…]", fmt_summary, fmt_description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, "fmt", &argc, &argv)) return PCLI_EXIT_USAGE;
  run.color = pcli_stderr_color();

  guint n = args ? g_strv_length(args) : 0;
  if (n == 0) fmt_stdin(&run);
  for (guint i = 0; i < n; i++) {
    struct stat st;
    if (strcmp(args[i], "-") == 0)
      fmt_stdin(&run);
    else if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode))
      fmt_dir(&run, args[i]);
    else
      fmt_path(&run, args[i]);
  }
  if (fflush(stdout) != 0) {
    pcli_error("cannot write to standard output");
    return PCLI_EXIT_FAIL;
  }
  return run.failed || run.changed ? PCLI_EXIT_FAIL : PCLI_EXIT_OK;
}
