/* cli.c - the helpers every `persona` command shares: messages, options,
 * JSON strings, and loading a MODEL that may be source or bytecode. The
 * reading and writing of records is in io.c. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- messages ------------------------------------------------------------ */

void pcli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "persona: %s\n", msg);
}

int pcli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "persona: %s\n", msg);
  if (cmd)
    fprintf(stderr, "Try 'persona %s --help' for more information.\n", cmd);
  else
    fprintf(stderr, "Try 'persona --help' for more information.\n");
  return PCLI_EXIT_USAGE;
}

gboolean pcli_stderr_color(void) {
  if (!isatty(STDERR_FILENO)) return FALSE;
  const char *no_color = getenv("NO_COLOR");
  if (no_color && *no_color) return FALSE;
  const char *term = getenv("TERM");
  return !(term && strcmp(term, "dumb") == 0);
}


/* ---- options ------------------------------------------------------------- */

GOptionContext *pcli_context_new(const char *params, const char *summary,
                                 const char *description, const GOptionEntry *entries) {
  GOptionContext *ctx = g_option_context_new(params);
  g_option_context_set_summary(ctx, summary);
  g_option_context_set_description(ctx, description);
  g_option_context_add_main_entries(ctx, entries, NULL);
  return ctx;
}

gboolean pcli_parse(GOptionContext *ctx, const char *cmd, int *argc, char ***argv) {
  g_autoptr(GError) error = NULL;
  if (g_option_context_parse(ctx, argc, argv, &error)) return TRUE;
  pcli_usage_error(cmd, "%s", error->message);
  return FALSE;
}

void pcli_print_help(GOptionContext *ctx) {
  g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
  fputs(help, stdout);
}

int pcli_start(const PcliStart *cmd, const GOptionEntry *entries, gboolean do_help, int *argc, char ***argv,
               char **const *args, guint *n_args) {
  g_autoptr(GOptionContext) ctx = pcli_context_new(cmd->params, cmd->summary, cmd->description, entries);
  if (do_help) {
    pcli_print_help(ctx);
    return PCLI_EXIT_OK;
  }
  if (!pcli_parse(ctx, cmd->name, argc, argv)) return PCLI_EXIT_USAGE;
  *n_args = *args ? g_strv_length(*args) : 0;
  if (*n_args < cmd->min_operands) return pcli_usage_error(cmd->name, "%s", cmd->missing);
  if (*n_args > cmd->max_operands)
    return pcli_usage_error(cmd->name, "too many arguments (expected %s)", cmd->params);
  return PCLI_GO;
}

gboolean pcli_parse_share(const char *text, double max, double *out) {
  if (!text || !*text) return FALSE;
  char *end = NULL;
  double x = g_ascii_strtod(text, &end);
  if (end == text) return FALSE;
  if (*end == '%') {
    x /= 100;
    end++;
  }
  if (*end != '\0' || !isfinite(x) || x < 0 || x > max) return FALSE;
  *out = x;
  return TRUE;
}

gboolean pcli_parse_time_option(const char *cmd, const char *option, const char *text, gint64 *out) {
  if (!text) {
    *out = persona_time_now();
    return TRUE;
  }
  if (persona_time_parse(text, out)) return TRUE;
  pcli_usage_error(cmd,
                   "invalid %s '%s': expected an RFC 3339 time (2026-02-01T00:00:00Z), a date (2026-02-01) or "
                   "Unix seconds",
                   option, text);
  return FALSE;
}

/* ---- options shared by commands ---------------------------------------------- */

gboolean pcli_check_timezone(const char *command, const char *zone) {
  GTimeZone *tz = *zone ? g_time_zone_new_identifier(zone) : NULL;
  if (!tz) {
    pcli_usage_error(command, "unknown time zone '%s' for --input-tz (an IANA name such as Asia/Shanghai)",
                     zone);
    return FALSE;
  }
  g_time_zone_unref(tz);
  return TRUE;
}

/* ---- source or bytecode ---------------------------------------------------- */

gboolean pcli_is_bytecode_file(const char *path) {
  if (g_str_has_suffix(path, ".pbc")) return TRUE;
  int fd;
  /* O_NONBLOCK: a FIFO named as a model must not wait for a writer here
   * (the loader then refuses it). */
  do fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return FALSE;
  guint8 head[16];
  ssize_t n;
  do n = read(fd, head, sizeof head);
  while (n < 0 && errno == EINTR);
  close(fd);
  return n > 0 && persona_is_bytecode(head, (gsize)n);
}

PersonaModel *pcli_load_model(const char *path, const PersonaCompileOptions *opts,
                              PersonaDiagnostics **diags_out) {
  if (diags_out) *diags_out = NULL;
  g_autoptr(GError) error = NULL;
  if (!pcli_check_readable(path, &error)) {
    pcli_error("%s", error->message);
    return NULL;
  }
  if (pcli_is_bytecode_file(path)) {
    PersonaModel *model = persona_model_load_bytecode(path, &error);
    if (!model) pcli_error("%s", error->message);
    return model;
  }
  g_autoptr(PersonaDiagnostics) diags = NULL;
  PersonaModel *model = persona_compile_file(path, opts, &diags, &error);
  guint n_errors = diags ? persona_diagnostics_errors(diags) : 0;
  if (diags && (n_errors > 0 || persona_diagnostics_warnings(diags) > 0)) {
    g_autofree char *text = persona_diagnostics_to_text(diags, pcli_stderr_color());
    if (text) fputs(text, stderr);
  }
  if (!model && n_errors == 0) pcli_error("%s", error ? error->message : "compilation failed");
  if (model && n_errors > 0) {
    persona_model_unref(model); /* the API promises NULL on errors */
    model = NULL;
  }
  if (model && diags_out) *diags_out = g_steal_pointer(&diags);
  return model;
}

/* ---- the command ------------------------------------------------------------- */

