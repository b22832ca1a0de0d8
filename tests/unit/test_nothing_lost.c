/* test_nothing_lost.c - bad records never cost a line, and never change the
 * results of the good records around them.
 *
 * Thousands of deterministic mutations of examples/profiles.jsonl (byte
 * flips, truncations, duplicates, newlines inserted inside records, random
 * garbage with NUL and invalid UTF-8, deleted quotes, records spliced
 * together, deep nesting, huge numbers, lone surrogates) are interleaved
 * with the original lines and fed to `persona eval` (the CLI binary of
 * this build, spawned) and to the library. The oracle for input line N is
 * that line evaluated ALONE, by a fresh VM, as line N: output line N must
 * be that, byte for byte. So the output has exactly one line per input
 * line, in order, and no record is affected by its neighbours. The same
 * holds with -j 3, with --max-line-bytes (lines over it get the line's
 * error object), without a final newline, and (for the line count and the
 * line numbers) with --state.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "persona.h"

#define NOW "2026-02-01T00:00:00Z"
#define MODEL PERSONA_SOURCE_DIR "/examples/b2b_lead.persona"
#define PROFILES PERSONA_SOURCE_DIR "/examples/profiles.jsonl"
#define CLI PERSONA_BUILD_DIR "/persona"
#define N_ORIGINALS 300     /* original lines kept in the stream */
#define MUTANTS_PER_LINE 11 /* mutated records after each one */
#define SMALL_LINE_LIMIT 1500

/* ---- a deterministic generator (splitmix64) ---------------------------------- */

typedef struct {
  guint64 s;
} Rng;

static guint64 rng_next(Rng *r) {
  guint64 z = (r->s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static gsize rng_below(Rng *r, gsize n) {
  return (gsize)(rng_next(r) % n);
}

/* ---- mutations ---------------------------------------------------------------- */

typedef enum {
  MUT_FLIP,         /* one to four bytes xor'ed with a random non-zero value */
  MUT_TRUNCATE,     /* cut anywhere, from nothing to all but the last byte */
  MUT_DUPLICATE,    /* the record again, unchanged: a good record */
  MUT_NEWLINE,      /* a '\n' inside the record: two input lines */
  MUT_GARBAGE,      /* random bytes: NUL, invalid UTF-8, maybe '\n' */
  MUT_DELETE_QUOTE, /* one '"' removed */
  MUT_DELETE_QUOTES,/* every '"' removed */
  MUT_SPLICE,       /* the start of one record and the end of another */
  MUT_INSERT,       /* a hostile token at a random place */
  MUT_CRLF,         /* "\r" at the end: still valid JSON */
  N_MUT,
} Mutation;

/* What MUT_INSERT puts in: each of the limits and the odd encodings
 * (some hold a NUL, hence the lengths). */
typedef struct {
  const char *text;
  gsize len;
} Insert;
#define INSERT(s) {s, sizeof(s) - 1}

static const Insert inserts[] = {
    INSERT("\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"),
    INSERT("\"employees\":18446744073709551616,"),
    INSERT("\"employees\":1e999,"),
    INSERT("\"employees\":-9223372036854775809,"),
    INSERT("\"employees\":99999999999999999999999999999999999999999999999999999999999999999999999,"),
    INSERT("\"title\":\"\\ud800\","),
    INSERT("\"title\":\"\\udc00\\ud800\","),
    INSERT("\"note\":\"\\ud800\","),
    INSERT("\"title\":\"a\0b\","),
    INSERT("\0"),
    INSERT("\xff\xfe"),
    INSERT("\xed\xa0\x80"),
    INSERT("\xc0\x80"),
    INSERT("\"id\":null,"),
    INSERT("\"id\":42,"),
    INSERT("\"events\":[null],"),
    INSERT("\"events\":{},"),
    INSERT("\\u"),
    INSERT("}"),
    INSERT("{"),
    INSERT(","),
    INSERT("\""),
};

static void append(GByteArray *b, const char *s, gsize n) {
  g_byte_array_append(b, (const guint8 *)s, (guint)n);
}

static GByteArray *mutate(Rng *rng, const GPtrArray *lines, const GString *src) {
  GByteArray *b = g_byte_array_new();
  gsize n = src->len;
  switch ((Mutation)rng_below(rng, N_MUT)) {
  case MUT_FLIP: {
    append(b, src->str, n);
    for (gsize k = 1 + rng_below(rng, 4); k > 0; k--)
      b->data[rng_below(rng, n)] ^= (guint8)(1 + rng_below(rng, 255));
    break;
  }
  case MUT_TRUNCATE: append(b, src->str, rng_below(rng, n)); break;
  case MUT_DUPLICATE: append(b, src->str, n); break;
  case MUT_NEWLINE: {
    gsize at = rng_below(rng, n + 1);
    append(b, src->str, at);
    append(b, "\n", 1);
    append(b, src->str + at, n - at);
    break;
  }
  case MUT_GARBAGE: {
    for (gsize k = rng_below(rng, 300); k > 0; k--) {
      guint8 c = (guint8)rng_next(rng);
      g_byte_array_append(b, &c, 1);
    }
    break;
  }
  case MUT_DELETE_QUOTE: {
    gsize at = rng_below(rng, n);
    const char *q = memchr(src->str + at, '"', n - at);
    if (!q) q = memchr(src->str, '"', n);
    gsize cut = q ? (gsize)(q - src->str) : 0;
    append(b, src->str, cut);
    if (q) append(b, src->str + cut + 1, n - cut - 1);
    break;
  }
  case MUT_DELETE_QUOTES:
    for (gsize i = 0; i < n; i++)
      if (src->str[i] != '"') append(b, src->str + i, 1);
    break;
  case MUT_SPLICE: {
    const GString *other = g_ptr_array_index(lines, rng_below(rng, lines->len));
    gsize a = rng_below(rng, n + 1), c = rng_below(rng, other->len + 1);
    append(b, src->str, a);
    append(b, other->str + c, other->len - c);
    break;
  }
  case MUT_INSERT: {
    const Insert *ins = &inserts[rng_below(rng, G_N_ELEMENTS(inserts))];
    /* Most often just after the opening brace, where a field fits. */
    gsize at = rng_below(rng, 3) ? 1 : rng_below(rng, n + 1);
    append(b, src->str, at);
    append(b, ins->text, ins->len);
    append(b, src->str + at, n - at);
    break;
  }
  case MUT_CRLF:
    append(b, src->str, n);
    append(b, "\r", 1);
    break;
  case N_MUT: break;
  }
  return b;
}

/* ---- the input ------------------------------------------------------------------ */

static void gstring_free(gpointer s) {
  g_string_free(s, TRUE);
}

static GPtrArray *read_profiles(void) {
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_file_get_contents(PROFILES, &text, &len, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  GPtrArray *lines = g_ptr_array_new_with_free_func(gstring_free);
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (gsize)(end - p));
    const char *stop = nl ? nl : end;
    g_ptr_array_add(lines, g_string_new_len(p, stop - p));
    p = stop + 1;
  }
  g_assert_cmpuint(lines->len, ==, 3000);
  return lines;
}

/* The originals, each followed by MUTANTS_PER_LINE mutants of random
 * profiles, joined by '\n' (with a final '\n' when `final_newline`). */
static GByteArray *build_stream(const GPtrArray *lines, guint64 seed, gboolean final_newline) {
  Rng rng = {seed};
  GByteArray *s = g_byte_array_new();
  for (guint i = 0; i < N_ORIGINALS; i++) {
    const GString *orig = g_ptr_array_index(lines, i);
    append(s, orig->str, orig->len);
    append(s, "\n", 1);
    for (guint k = 0; k < MUTANTS_PER_LINE; k++) {
      const GString *src = g_ptr_array_index(lines, rng_below(&rng, lines->len));
      g_autoptr(GByteArray) m = mutate(&rng, lines, src);
      append(s, (const char *)m->data, m->len);
      append(s, "\n", 1);
    }
  }
  if (!final_newline) {
    /* A last record without '\n', cut in the middle. */
    const GString *orig = g_ptr_array_index(lines, 0);
    append(s, orig->str, orig->len / 2);
  }
  return s;
}

/* The input lines as the documentation defines them: split at '\n'; a
 * stream ending in '\n' has no empty line after it. Spans into `s`. */
static GArray *split_lines(const GByteArray *s) {
  GArray *spans = g_array_new(FALSE, FALSE, sizeof(gsize) * 2);
  gsize start = 0;
  for (gsize i = 0; i <= s->len; i++) {
    if (i == s->len && start == s->len) break;
    if (i == s->len || s->data[i] == '\n') {
      gsize span[2] = {start, i - start};
      g_array_append_val(spans, span);
      start = i + 1;
    }
  }
  return spans;
}

/* ---- the oracle: each line alone --------------------------------------------------- */

static PersonaModel *compile_model(void) {
  g_autoptr(GError) error = NULL;
  g_autoptr(PersonaDiagnostics) diags = NULL;
  PersonaModel *model = persona_compile_file(MODEL, NULL, &diags, &error);
  g_assert_no_error(error);
  g_assert_nonnull(model);
  return model;
}

static gint64 now_us(void) {
  gint64 t = 0;
  g_assert_true(persona_time_parse(NOW, &t));
  return t;
}

/* One result line per input line, each evaluated by a new VM as line N. */
static GPtrArray *expected_alone(PersonaModel *model, const GByteArray *s, const GArray *spans,
                                 gsize max_line, guint *n_good) {
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  *n_good = 0;
  for (guint i = 0; i < spans->len; i++) {
    const gsize *span = &g_array_index(spans, gsize, i * 2);
    GString *r = g_string_new(NULL);
    if (span[1] > max_line) {
      g_string_printf(r, "{\"id\":null,\"line\":%u,\"error\":\"line is longer than %" G_GSIZE_FORMAT
                         " bytes\",\"code\":\"too_large\"}", i + 1, max_line);
    } else {
      g_autoptr(PersonaVM) vm = persona_vm_new(model);
      if (persona_vm_eval_json(vm, (const char *)s->data + span[0], span[1], now_us(), i + 1, r) ==
          PERSONA_EVAL_OK)
        (*n_good)++;
    }
    g_ptr_array_add(out, g_string_free(r, FALSE));
  }
  return out;
}

/* Output lines, split at '\n'; the output must end with one. */
static GPtrArray *output_lines(const char *out) {
  gsize len = strlen(out);
  g_assert_true(len == 0 || out[len - 1] == '\n');
  GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
  for (const char *p = out; *p;) {
    const char *nl = strchr(p, '\n');
    g_ptr_array_add(lines, g_strndup(p, (gsize)(nl - p)));
    p = nl + 1;
  }
  return lines;
}

/* Every output line equals its line alone; the first difference fails
 * with both texts, so the mutation that broke it can be found. */
static void assert_same_lines(const GPtrArray *got, const GPtrArray *want, const char *what) {
  if (got->len != want->len)
    g_test_message("%s: %u output lines for %u input lines", what, got->len, want->len);
  g_assert_cmpuint(got->len, ==, want->len);
  for (guint i = 0; i < want->len; i++) {
    if (strcmp(g_ptr_array_index(got, i), g_ptr_array_index(want, i)) != 0)
      g_test_message("%s: line %u differs", what, i + 1);
    g_assert_cmpstr(g_ptr_array_index(got, i), ==, g_ptr_array_index(want, i));
  }
}

/* ---- the CLI --------------------------------------------------------------------- */

typedef struct {
  char *dir;
  char *input;
} Fixture;

static void fixture_write(Fixture *f, const GByteArray *s) {
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("persona-lost-XXXXXX", &error);
  g_assert_no_error(error);
  f->input = g_build_filename(f->dir, "input.jsonl", NULL);
  g_file_set_contents(f->input, (const char *)s->data, (gssize)s->len, &error);
  g_assert_no_error(error);
}

static void fixture_clear(Fixture *f) {
  g_autofree char *state = g_build_filename(f->dir, "state.jsonl", NULL);
  g_remove(state);
  g_remove(f->input);
  g_rmdir(f->dir);
  g_free(f->input);
  g_free(f->dir);
}

/* Runs `persona eval MODEL INPUT --now NOW EXTRA…`; returns its stdout and
 * checks the exit status (3: some records gave error objects). */
static char *run_cli(const Fixture *f, const char *const *extra) {
  GPtrArray *argv = g_ptr_array_new();
  const char *base[] = {CLI, "eval", MODEL, f->input, "--now", NOW};
  for (guint i = 0; i < G_N_ELEMENTS(base); i++) g_ptr_array_add(argv, (gpointer)base[i]);
  for (; extra && *extra; extra++) g_ptr_array_add(argv, (gpointer)*extra);
  g_ptr_array_add(argv, NULL);
  char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  gboolean spawned = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                  &err, &status, &error);
  g_ptr_array_free(argv, TRUE);
  g_assert_no_error(error);
  g_assert_true(spawned);
  g_assert_true(WIFEXITED(status));
  if (WEXITSTATUS(status) != 3) g_test_message("stderr: %s", err);
  g_assert_cmpint(WEXITSTATUS(status), ==, 3);
  g_free(err);
  return out;
}

/* ---- the tests --------------------------------------------------------------------- */

typedef struct {
  const char *name;
  guint64 seed;
  gboolean final_newline;
} StreamCase;

static const StreamCase stream_cases[] = {
    {"newline-at-end", 1, TRUE},
    {"cut-at-end", 2, FALSE},
};

/* The CLI, one thread and three, against each line alone. */
static void test_cli(gconstpointer data) {
  const StreamCase *c = data;
  g_autoptr(GPtrArray) profiles = read_profiles();
  g_autoptr(PersonaModel) model = compile_model();
  g_autoptr(GByteArray) s = build_stream(profiles, c->seed, c->final_newline);
  g_autoptr(GArray) spans = split_lines(s);
  guint n_good = 0;
  g_autoptr(GPtrArray) want = expected_alone(model, s, spans, G_MAXSIZE, &n_good);
  /* Thousands of lines, and enough of both kinds for the test to mean
   * something: the originals and the duplicates are good. */
  g_assert_cmpuint(spans->len, >=, N_ORIGINALS * (MUTANTS_PER_LINE + 1));
  g_assert_cmpuint(n_good, >=, N_ORIGINALS);
  g_assert_cmpuint(spans->len - n_good, >=, N_ORIGINALS * 5);
  g_test_message("%u input lines, %u good records", spans->len, n_good);

  Fixture f;
  fixture_write(&f, s);
  g_autofree char *out1 = run_cli(&f, NULL);
  g_autoptr(GPtrArray) got1 = output_lines(out1);
  assert_same_lines(got1, want, "persona eval");

  const char *const jobs[] = {"-j", "3", NULL};
  g_autofree char *out3 = run_cli(&f, jobs);
  g_assert_cmpstr(out3, ==, out1);
  fixture_clear(&f);
}

/* Lines over --max-line-bytes give the line's error object, and every
 * other line is as before, on one thread and three. */
static void test_cli_line_limit(void) {
  g_autoptr(GPtrArray) profiles = read_profiles();
  g_autoptr(PersonaModel) model = compile_model();
  g_autoptr(GByteArray) s = build_stream(profiles, 3, TRUE);
  g_autoptr(GArray) spans = split_lines(s);
  guint n_good = 0, n_long = 0;
  g_autoptr(GPtrArray) want = expected_alone(model, s, spans, SMALL_LINE_LIMIT, &n_good);
  for (guint i = 0; i < spans->len; i++)
    if (g_array_index(spans, gsize, i * 2 + 1) > SMALL_LINE_LIMIT) n_long++;
  g_assert_cmpuint(n_long, >=, 100);
  g_assert_cmpuint(n_good, >=, 100);

  Fixture f;
  fixture_write(&f, s);
  g_autofree char *limit = g_strdup_printf("%d", SMALL_LINE_LIMIT);
  for (guint j = 1; j <= 3; j += 2) {
    g_autofree char *jobs = g_strdup_printf("%u", j);
    const char *const extra[] = {"--max-line-bytes", limit, "-j", jobs, NULL};
    g_autofree char *out = run_cli(&f, extra);
    g_autoptr(GPtrArray) got = output_lines(out);
    assert_same_lines(got, want, j == 1 ? "--max-line-bytes" : "--max-line-bytes -j 3");
  }
  fixture_clear(&f);
}

/* With --state a profile seen twice is evaluated with the state its first
 * evaluation left, so results may differ from the line alone; but there
 * is still one line per input line, and each is the same kind (result or
 * error; an error with the same line number and text). */
static void test_cli_state(void) {
  g_autoptr(GPtrArray) profiles = read_profiles();
  g_autoptr(PersonaModel) model = compile_model();
  g_autoptr(GByteArray) s = build_stream(profiles, 4, TRUE);
  g_autoptr(GArray) spans = split_lines(s);
  guint n_good = 0;
  g_autoptr(GPtrArray) want = expected_alone(model, s, spans, G_MAXSIZE, &n_good);

  Fixture f;
  fixture_write(&f, s);
  g_autofree char *state = g_build_filename(f.dir, "state.jsonl", NULL);
  const char *const extra[] = {"--state", state, NULL};
  g_autofree char *out = run_cli(&f, extra);
  g_autoptr(GPtrArray) got = output_lines(out);
  g_assert_cmpuint(got->len, ==, want->len);
  for (guint i = 0; i < want->len; i++) {
    const char *w = g_ptr_array_index(want, i), *g = g_ptr_array_index(got, i);
    if (strstr(w, "\"error\":")) {
      g_assert_cmpstr(g, ==, w);
    } else {
      /* The same profile: the text up to the first field after "id". */
      const char *tags = strstr(w, ",\"tags\":");
      g_assert_nonnull(tags);
      g_assert_cmpint(strncmp(g, w, (gsize)(tags - w)), ==, 0);
      g_assert_null(strstr(g, "\"error\":"));
    }
  }
  fixture_clear(&f);
}

/* The library alone: one VM evaluating the whole stream in order gives,
 * for every line, what a fresh VM gives for that line (nothing a bad
 * record leaves in the VM's arena or registers reaches the next one). */
static void test_library(void) {
  g_autoptr(GPtrArray) profiles = read_profiles();
  g_autoptr(PersonaModel) model = compile_model();
  g_autoptr(GByteArray) s = build_stream(profiles, 5, FALSE);
  g_autoptr(GArray) spans = split_lines(s);
  guint n_good = 0;
  g_autoptr(GPtrArray) want = expected_alone(model, s, spans, G_MAXSIZE, &n_good);
  g_autoptr(PersonaVM) vm = persona_vm_new(model);
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < spans->len; i++) {
    const gsize *span = &g_array_index(spans, gsize, i * 2);
    GString *r = g_string_new(NULL);
    persona_vm_eval_json(vm, (const char *)s->data + span[0], span[1], now_us(), i + 1, r);
    g_ptr_array_add(got, g_string_free(r, FALSE));
  }
  assert_same_lines(got, want, "one VM");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS(stream_cases); i++) {
    g_autofree char *path = g_strdup_printf("/cli/nothing-lost/%s", stream_cases[i].name);
    g_test_add_data_func(path, &stream_cases[i], test_cli);
  }
  g_test_add_func("/cli/nothing-lost/line-limit", test_cli_line_limit);
  g_test_add_func("/cli/nothing-lost/state", test_cli_state);
  g_test_add_func("/cli/nothing-lost/library", test_library);
  return g_test_run();
}
