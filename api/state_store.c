/* state_store.c - profile states by key, and the state file (JSON Lines of
 * {"id":KEY,"state":STATE}); see include/persona.h and docs/state.md.
 *
 * A store maps the compact JSON text of a profile key ("\"p1\"", "42") to
 * the JSON text of its state. It does not look inside a state beyond its
 * format version "v": the VM reads and writes states; the store only keeps
 * them, in the order their keys were first added, so that a rewritten
 * file keeps its lines in place.
 *
 * Loading is all or nothing: a damaged line fails the whole load, because
 * a state file is written by Persona, and guessing around damage could
 * silently restart journeys. Saving is atomic: a temporary file beside the
 * target, fsync, rename, fsync of the directory.
 *
 * Ownership: the store owns copies of every key and state; strings it
 * returns are borrowed until the key is set again or the store is freed.
 */
#include "persona.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A state file is read whole: at most this much (about 3 million profiles
 * of typical states). */
#define PSTATE_MAX_FILE ((gsize)1 << 30)

#include "runtime/arena.h"
#include "runtime/file_target.h"
#include "runtime/json_decode.h"
#include "runtime/json_write.h"
#include "runtime/ptime.h"
#include "runtime/state.h"

/* The one state format this Persona reads and writes. */
#define STATE_FORMAT_VERSION 1

/* How much of a key or a value an error message quotes. */
enum { QUOTE_MAX = 60 };

/* Output is written in blocks of about this size. */
#define SAVE_CHUNK ((gsize)1 << 20)

typedef struct {
  char *key;   /* compact JSON text of the profile key */
  char *state; /* JSON text of the state object */
  guint64 line; /* line in the file it was loaded from, 0 when set later */
  gint64 at;    /* the `now` of the evaluation that wrote it, or NO_TIME */
} StateEntry;

/* An entry set by a host without a time, or a line written without "at". */
#define NO_TIME G_MININT64

struct PersonaStateStore {
  GPtrArray *entries; /* StateEntry *, in the order keys were first added */
  GHashTable *index;  /* key (borrowed from the entry) -> StateEntry * */
  gint64 last_at;     /* the latest `at` of any entry, or NO_TIME */
};

static void entry_free(gpointer p) {
  StateEntry *e = p;
  g_free(e->key);
  g_free(e->state);
  g_free(e);
}

PersonaStateStore *persona_state_store_new(void) {
  PersonaStateStore *store = g_new0(PersonaStateStore, 1);
  store->entries = g_ptr_array_new_with_free_func(entry_free);
  store->index = g_hash_table_new(g_str_hash, g_str_equal);
  store->last_at = NO_TIME;
  return store;
}

void persona_state_store_free(PersonaStateStore *store) {
  if (!store) return;
  g_hash_table_destroy(store->index);
  g_ptr_array_unref(store->entries);
  g_free(store);
}

guint persona_state_store_size(const PersonaStateStore *store) {
  g_return_val_if_fail(store != NULL, 0);
  return store->entries->len;
}

const char *persona_state_store_get(const PersonaStateStore *store, const char *key_json) {
  g_return_val_if_fail(store != NULL && key_json != NULL, NULL);
  const StateEntry *e = g_hash_table_lookup(store->index, key_json);
  return e ? e->state : NULL;
}

/* Adds a new key at the end; takes ownership of both strings. */
static StateEntry *add_entry(PersonaStateStore *store, char *key, char *state, guint64 line,
                             gint64 at) {
  StateEntry *e = g_new(StateEntry, 1);
  e->key = key;
  e->state = state;
  e->line = line;
  e->at = at;
  if (at != NO_TIME && at > store->last_at) store->last_at = at;
  g_ptr_array_add(store->entries, e);
  g_hash_table_insert(store->index, e->key, e);
  return e;
}

static void set_entry(PersonaStateStore *store, const char *key_json, const char *state_json,
                      gint64 at) {
  StateEntry *e = g_hash_table_lookup(store->index, key_json);
  if (!e) {
    add_entry(store, g_strdup(key_json), g_strdup(state_json), 0, at);
    return;
  }
  e->at = at;
  if (at != NO_TIME && at > store->last_at) store->last_at = at;
  if (e->state == state_json) return; /* set(get(k)) must not free what it copies */
  char *copy = g_strdup(state_json);
  g_free(e->state);
  e->state = copy;
}

void persona_state_store_set(PersonaStateStore *store, const char *key_json,
                             const char *state_json) {
  g_return_if_fail(store != NULL && key_json != NULL && state_json != NULL);
  set_entry(store, key_json, state_json, NO_TIME);
}

void persona_state_store_set_at(PersonaStateStore *store, const char *key_json,
                                const char *state_json, gint64 now_us) {
  g_return_if_fail(store != NULL && key_json != NULL && state_json != NULL);
  set_entry(store, key_json, state_json, now_us);
}

gboolean persona_state_store_last_time(const PersonaStateStore *store, gint64 *now_us) {
  g_return_val_if_fail(store != NULL && now_us != NULL, FALSE);
  if (store->last_at == NO_TIME) return FALSE;
  *now_us = store->last_at;
  return TRUE;
}

/* ---- loading ---------------------------------------------------------------- */

/* What a JSON value starting with byte c is, for messages. */
static const char *json_kind(char c) {
  switch (c) {
  case '{': return "an object";
  case '[': return "an array";
  case '"': return "a string";
  case 't': case 'f': return "a boolean";
  case 'n': return "null";
  default: return "a number";
  }
}

/* s[0..len) for a message, cut to QUOTE_MAX bytes on a character
 * boundary. */
static void quote_text(const char *s, size_t len, char *buf, size_t cap) {
  if (len <= QUOTE_MAX) {
    g_snprintf(buf, cap, "%.*s", (int)len, s);
    return;
  }
  size_t cut = QUOTE_MAX;
  while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
  g_snprintf(buf, cap, "%.*s...", (int)cut, s);
}

static gboolean is_blank(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return FALSE;
  return TRUE;
}

/* The canonical key text of the id value [raw, raw+len): a string decoded
 * and re-encoded (so "p\u0031" and "p1" are one key), an integer printed
 * in decimal (so 42.0 and 42 are one key), as the VM writes keys. */
static gboolean canonical_key(const char *raw, size_t len, PArena *arena, GString *out,
                              char *msg, size_t msg_size) {
  PDecodeKind kind;
  if (raw[0] == '"')
    kind = PDT_STRING;
  else if (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
    kind = PDT_INT;
  else {
    g_snprintf(msg, msg_size, "\"id\" must be a string or an integer, got %s", json_kind(raw[0]));
    return FALSE;
  }
  PValue v;
  char err[320];
  if (!pdec_scalar(raw, len, kind, arena, &v, err, sizeof err)) {
    g_snprintf(msg, msg_size, "id: %s", err);
    return FALSE;
  }
  if (kind == PDT_STRING)
    pjw_string(out, v.u.s, v.len);
  else
    pjw_int(out, v.u.i);
  return TRUE;
}

/* Checks the format version of the state object [state, state+len), which
 * is well-formed JSON already. */
static gboolean check_version(const char *state, size_t len, PArena *arena, char *msg,
                              size_t msg_size) {
  static const char *const keys[] = {"v"};
  PDecodeSpan v;
  char err[320];
  if (!pdec_object_spans(state, len, keys, 1, &v, err, sizeof err)) {
    g_snprintf(msg, msg_size, "state: %s", err);
    return FALSE;
  }
  if (!v.found) {
    g_snprintf(msg, msg_size, "state has no format version \"v\"");
    return FALSE;
  }
  const char *raw = state + v.offset;
  PValue n;
  if (pdec_scalar(raw, v.len, PDT_INT, arena, &n, err, sizeof err)) {
    if (n.u.i == STATE_FORMAT_VERSION) return TRUE;
    if (n.u.i > STATE_FORMAT_VERSION) {
      g_snprintf(msg, msg_size,
                 "state format version %" G_GINT64_FORMAT
                 " is newer than this persona understands (%d)",
                 (gint64)n.u.i, STATE_FORMAT_VERSION);
      return FALSE;
    }
  }
  char what[QUOTE_MAX + 8];
  quote_text(raw, v.len, what, sizeof what);
  g_snprintf(msg, msg_size, "state format version %s is not valid (expected %d)", what,
             STATE_FORMAT_VERSION);
  return FALSE;
}

/* One line of a state file into the store; FALSE with a message (without
 * the FILE:LINE: prefix) when it is damaged. */
static gboolean load_line(PersonaStateStore *store, const char *line, size_t len, guint64 line_no,
                          PArena *arena, char *msg, size_t msg_size) {
  static const char *const keys[] = {"id", "state", "at"};
  enum { ID, STATE, AT };
  if (is_blank(line, len)) {
    g_snprintf(msg, msg_size, "empty line");
    return FALSE;
  }
  PDecodeSpan spans[3];
  char err[320];
  if (!pdec_object_spans(line, len, keys, 3, spans, err, sizeof err)) {
    g_snprintf(msg, msg_size, "%s", err);
    return FALSE;
  }
  if (!spans[ID].found || !spans[STATE].found) {
    g_snprintf(msg, msg_size, "missing \"%s\"", keys[spans[ID].found ? STATE : ID]);
    return FALSE;
  }
  g_autoptr(GString) key = g_string_new(NULL);
  if (!canonical_key(line + spans[ID].offset, spans[ID].len, arena, key, msg, msg_size))
    return FALSE;
  const char *state = line + spans[STATE].offset;
  size_t state_len = spans[STATE].len;
  /* null or {}: no state (docs/state.md, "No state"), a first sight;
   * kept as {} so that the line still counts for duplicates and is
   * written back as it means. */
  if (pstate_is_none(state, state_len)) {
    state = "{}";
    state_len = 2;
  }
  if (state[0] != '{') {
    g_snprintf(msg, msg_size, "\"state\" must be an object, got %s", json_kind(state[0]));
    return FALSE;
  }
  if (state_len > 2 && !check_version(state, state_len, arena, msg, msg_size)) return FALSE;
  gint64 at = NO_TIME;
  if (spans[AT].found) {
    const char *t = line + spans[AT].offset;
    size_t tlen = spans[AT].len;
    if (tlen < 2 || t[0] != '"' || !ptime_parse(t + 1, tlen - 2, &at)) {
      char what[QUOTE_MAX + 8];
      quote_text(t, tlen, what, sizeof what);
      g_snprintf(msg, msg_size, "\"at\" must be an RFC 3339 time, got %s", what);
      return FALSE;
    }
  }
  const StateEntry *first = g_hash_table_lookup(store->index, key->str);
  if (first) {
    char what[QUOTE_MAX + 8];
    quote_text(key->str, key->len, what, sizeof what);
    g_snprintf(msg, msg_size, "profile %s appears twice (first at line %" G_GUINT64_FORMAT ")",
               what, first->line);
    return FALSE;
  }
  add_entry(store, g_string_free(g_steal_pointer(&key), FALSE), g_strndup(state, state_len),
            line_no, at);
  return TRUE;
}

/* Every line of text[0..len) into the store. A last line without "\n" is
 * a line; a text ending in "\n" has no empty line after it. */
static gboolean load_text(PersonaStateStore *store, const char *path, const char *text, gsize len,
                          GError **error) {
  PArena arena;
  pa_init(&arena, 0);
  const char *p = text, *end = text + len;
  guint64 line_no = 0;
  gboolean ok = TRUE;
  while (p < end && ok) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = nl ? nl : end;
    char msg[512];
    line_no++;
    ok = load_line(store, p, (size_t)(line_end - p), line_no, &arena, msg, sizeof msg);
    if (!ok)
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_STATE, "%s:%" G_GUINT64_FORMAT ": %s",
                  path, line_no, msg);
    pa_reset(&arena);
    p = nl ? nl + 1 : end;
  }
  pa_free(&arena);
  return ok;
}

PersonaStateStore *persona_state_store_load(const char *path, GError **error) {
  g_return_val_if_fail(path != NULL, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) io = NULL;
  if (!pfile_read_bounded(path, PSTATE_MAX_FILE, &text, &len, &io)) {
    if (g_error_matches(io, G_FILE_ERROR, G_FILE_ERROR_NOENT)) return persona_state_store_new();
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
    return NULL;
  }
  g_autoptr(PersonaStateStore) store = persona_state_store_new();
  if (!load_text(store, path, text, len, error)) return NULL;
  return g_steal_pointer(&store);
}

/* ---- saving ----------------------------------------------------------------- */

static gboolean io_error(GError **error, int err, const char *what, const char *path) {
  g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s '%s': %s", what, path, g_strerror(err));
  return FALSE;
}

/* Every entry as a line {"id":KEY,"at":TIME,"state":STATE} ("at" only
 * when known), in blocks. */
static gboolean write_entries(const PersonaStateStore *store, int fd, const char *path,
                              GError **error) {
  g_autoptr(GString) buf = g_string_sized_new(SAVE_CHUNK + SAVE_CHUNK / 4);
  for (guint i = 0; i < store->entries->len; i++) {
    const StateEntry *e = g_ptr_array_index(store->entries, i);
    g_string_append(buf, "{\"id\":");
    g_string_append(buf, e->key);
    if (e->at != NO_TIME) {
      char t[PTIME_BUF];
      g_string_append(buf, ",\"at\":\"");
      g_string_append_len(buf, t, (gssize)ptime_format(e->at, t));
      g_string_append_c(buf, '"');
    }
    g_string_append(buf, ",\"state\":");
    g_string_append(buf, e->state);
    g_string_append(buf, "}\n");
    if (buf->len >= SAVE_CHUNK) {
      if (!pfile_write_all(fd, buf->str, buf->len, path, error)) return FALSE;
      g_string_truncate(buf, 0);
    }
  }
  return pfile_write_all(fd, buf->str, buf->len, path, error);
}

/* Makes the rename durable. Best effort: some file systems refuse fsync on
 * a directory, and the new file is in place by now either way. */
static void sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)fsync(fd);
  close(fd);
}

gboolean persona_state_store_save(const PersonaStateStore *store, const char *path,
                                  GError **error) {
  g_return_val_if_fail(store != NULL && path != NULL, FALSE);
  gboolean in_place;
  g_autofree char *target = pfile_target(path, &in_place);
  if (in_place) { /* a device or FIFO: written as it is, never renamed over */
    int fd = pfile_open_in_place(target);
    if (fd < 0) return io_error(error, errno, "cannot open", path);
    gboolean ok = write_entries(store, fd, path, error);
    if (close(fd) != 0 && ok) ok = io_error(error, errno, "cannot write", path);
    return ok;
  }
  g_autofree char *tmp = NULL;
  int fd = pfile_create_beside(target, &tmp);
  if (fd < 0) return io_error(error, errno, "cannot create a file beside", path);
  gboolean ok = write_entries(store, fd, path, error);
  if (ok && fsync(fd) != 0) ok = io_error(error, errno, "cannot write", path);
  if (close(fd) != 0 && ok) ok = io_error(error, errno, "cannot write", path);
  if (ok && g_rename(tmp, target) != 0) ok = io_error(error, errno, "cannot replace", path);
  if (!ok) {
    (void)g_unlink(tmp);
    return FALSE;
  }
  g_autofree char *dir = g_path_get_dirname(target);
  sync_dir(dir);
  return TRUE;
}
