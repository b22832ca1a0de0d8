/* persona.c - the `persona` command-line tool: command table, help and

 * (the helpers every command shares are in cli.c and io.c).
 *
 * Like GLib's `gio`: `persona COMMAND [OPTION…] ARGS`, one handler and one
 * GOptionContext per command, `persona help CMD` == `persona CMD --help`.
 * The commands live in cmd_*.c; adding one is a line in `commands` below
 * and a declaration in cli.h.
 *
 * The tool never calls setlocale(): the library must not depend on the
 * locale, and neither does its output. Because GLib converts g_print()
 * output to the locale's charset (ASCII in the C locale), print handlers
 * that write raw UTF-8 are installed first.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  const char *name;
  const char *summary;
  PcliHandler handler; /* NULL for `help`, which main handles */
} PcliCommand;

static const PcliCommand commands[] = {
    {"check", "Parse and type-check models", pcli_cmd_check},
    {"compile", "Compile a model to a portable bytecode file", pcli_cmd_compile},
    {"disasm", "Show the bytecode of a model", pcli_cmd_disasm},
    {"eval", "Evaluate profiles (JSON Lines) with a model", pcli_cmd_eval},
    {"unify", "Unify records of several sources into one profile per person", pcli_cmd_unify},
    {"run", "Run journeys durably on a SQLite database", pcli_cmd_run},
    {"test", "Run the test blocks of models", pcli_cmd_test},
    {"explain", "Explain one profile's result", pcli_cmd_explain},
    {"backtest", "Check scores and tags against later outcomes", pcli_cmd_backtest},
    {"report", "Summarise the results of many profiles (HTML, JSON, Markdown)", pcli_cmd_report},
    {"segments", "Count the profiles in each segment and the overlap between segments", pcli_cmd_segments},
    {"diff", "Show what a model change does to real profiles", pcli_cmd_diff},
    {"experiment", "Measure experiments: arms, conversions, lift, significance", pcli_cmd_experiment},
    {"fmt", "Rewrite models in the canonical layout", pcli_cmd_fmt},
    {"help", "Show the help of a command", NULL},
};

static void print_raw_stdout(const char *s) {
  fputs(s, stdout);
}

static void print_raw_stderr(const char *s) {
  fputs(s, stderr);
}

/* The names in a column as wide as the longest and two spaces. */
static void list_commands(FILE *f) {
  int width = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) width = MAX(width, (int)strlen(commands[i].name));
  fputs("Commands:\n", f);
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(f, "  %-*s  %s\n", width, commands[i].name, commands[i].summary);
}

static void usage(FILE *f) {
  fputs("Usage:\n"
        "  persona COMMAND [OPTION…] [ARG…]\n"
        "\n"
        "Compile customer-profile models written in Persona and evaluate\n"
        "profiles with them.\n"
        "\n",
        f);
  list_commands(f);
  fputs("\n"
        "Options:\n"
        "  -h, --help    Show this help\n"
        "  --version     Show the version\n"
        "\n"
        "Run 'persona help COMMAND' or 'persona COMMAND --help' for the options\n"
        "of one command.\n",
        f);
}

/* A usage error at the top level ("unknown command 'x'") and the list of
 * commands. */
static int top_usage_error(const char *what, const char *arg) {
  fprintf(stderr, "persona: unknown %s '%s'\n\n", what, arg);
  list_commands(stderr);
  fputs("\nRun 'persona --help' for more information.\n", stderr);
  return PCLI_EXIT_USAGE;
}

static const PcliCommand *find_command(const char *name) {
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

static int unknown_command(const char *name) {
  return top_usage_error("command", name);
}

/* Runs a command's handler with argv[0] = "persona CMD", which is also
 * the program name GOption prints in "Usage:". */
static int run_command(const PcliCommand *c, int argc, char **argv, gboolean do_help) {
  g_autofree char *prgname = g_strdup_printf("persona %s", c->name);
  g_set_prgname(prgname);
  argv[0] = prgname;
  return c->handler(argc, argv, do_help);
}

/* `persona help [COMMAND]` */
static int cmd_help(int argc, char **argv) {
  if (argc < 3) {
    usage(stdout);
    return PCLI_EXIT_OK;
  }
  if (argc > 3) return pcli_usage_error(NULL, "too many arguments to help");
  const PcliCommand *c = find_command(argv[2]);
  if (!c) return unknown_command(argv[2]);
  if (!c->handler) {
    usage(stdout);
    return PCLI_EXIT_OK;
  }
  return run_command(c, 1, argv + 1, TRUE);
}

int main(int argc, char **argv) {
  g_set_print_handler(print_raw_stdout);
  g_set_printerr_handler(print_raw_stderr);

  if (argc < 2) {
    usage(stderr);
    return PCLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "-?") == 0) {
    g_set_prgname("persona");
    usage(stdout);
    return PCLI_EXIT_OK;
  }
  if (strcmp(name, "--version") == 0) {
    printf("persona %s\n", persona_version());
    return PCLI_EXIT_OK;
  }
  if (name[0] == '-') return top_usage_error("option", name);
  if (strcmp(name, "help") == 0) return cmd_help(argc, argv);

  const PcliCommand *c = find_command(name);
  if (!c || !c->handler) return unknown_command(name);
  return run_command(c, argc - 1, argv + 1, FALSE);
}
