/* persona.h - the public API of libpersona.
 *
 * Compile a .persona model once, then evaluate profile records with it:
 *
 *   g_autoptr(PersonaDiagnostics) diags = NULL;
 *   g_autoptr(GError) error = NULL;
 *   PersonaModel *model = persona_compile_file("b2b.persona", NULL, &diags, &error);
 *   PersonaVM *vm = persona_vm_new(model);
 *   GString *out = g_string_new(NULL);
 *   persona_vm_eval_json(vm, line, len, now_us, line_no, out);   // one JSON object
 *
 * Threads: a PersonaModel is immutable after compilation and may be shared
 * by any number of threads; a PersonaVM belongs to one thread at a time.
 *
 * Ownership is stated on every function. Nothing here starts threads,
 * installs signal handlers, reads the time zone or the locale, or aborts on
 * bad input: bad input comes back as diagnostics, GErrors, or error results.
 */
#ifndef PERSONA_H
#define PERSONA_H

#include <glib.h>

G_BEGIN_DECLS

#if defined(PERSONA_BUILDING_LIBRARY)
#define PERSONA_API __attribute__((visibility("default")))
#else
#define PERSONA_API
#endif

#define PERSONA_ERROR (persona_error_quark())
PERSONA_API GQuark persona_error_quark(void);

typedef enum {
  PERSONA_ERROR_IO,       /* a file could not be read or written */
  PERSONA_ERROR_COMPILE,  /* the model has errors (see the diagnostics) */
  PERSONA_ERROR_INVALID,  /* an argument is malformed (e.g. a time) */
  PERSONA_ERROR_STATE,    /* a state file is damaged or of an unknown version */
  PERSONA_ERROR_BYTECODE, /* a bytecode file is damaged, hostile, or of a newer format */
  PERSONA_ERROR_LOCKED,   /* another process holds the lock on a file */
  PERSONA_ERROR_INTERRUPTED, /* the host's interrupt hook stopped the work (compilation) */
  PERSONA_ERROR_SEALED,   /* sealed data does not open: damaged, altered, or another key */
} PersonaErrorCode;

typedef struct PersonaModel PersonaModel;
typedef struct PersonaVM PersonaVM;
typedef struct PersonaDiagnostics PersonaDiagnostics;

/* ---- host functions (spec 4.7) ---------------------------------------------------
 *
 * A model may call C functions of the host like built-ins: functions the
 * embedding program registers in a PersonaNatives set, and, when the caller
 * allows it, functions of a shared library named by the model itself:
 *
 *   extern fn churn_risk(days_inactive: number, tickets: int) -> number from "libchurn.so"
 *
 * Signatures are written "RESULT(PARAM, …)" with the types bool, int,
 * number and string, each optionally followed by `?`. In C:
 *   bool    -> int (0 or 1)              int    -> int64_t
 *   number  -> double                    string -> const char * (UTF-8, NUL-terminated)
 * and null, for a `T?` argument or result, is: -1 for bool?, INT64_MIN for
 * int?, NaN for number?, NULL for string?. A string argument is valid for
 * the call only; a string result is copied at once (the function may return
 * a static or thread-local buffer). A function must be thread-safe when
 * VMs on several threads call it.
 */
typedef struct PersonaNatives PersonaNatives;

/* An empty set (caller frees, after every model compiled with it). */
PERSONA_API PersonaNatives *persona_natives_new(void);
PERSONA_API void persona_natives_free(PersonaNatives *natives);
/* Registers `fn` under `name` with `signature` ("number(number, int)").
 * FALSE with PERSONA_ERROR_INVALID for a malformed signature, an unknown
 * type, or a name used twice. The name and signature are copied. */
PERSONA_API gboolean persona_natives_add(PersonaNatives *natives, const char *name, const char *signature,
                                         void (*fn)(void), GError **error);

typedef struct PersonaCompileOptions {
  /* Directories searched for `import "x"` after the importing file's own
   * directory, in order; NULL-terminated, borrowed for the call. An import
   * is read only from the root model's directory (and below), these and
   * $PERSONA_PATH's (when use_persona_path): a file elsewhere is a compile
   * error, not opened (docs/language.md, "Imports"). */
  const char *const *include_dirs;
  /* Also search the directories of $PERSONA_PATH (colon-separated) after
   * include_dirs. */
  gboolean use_persona_path;
  /* Compile for explanations and test coverage (persona_vm_explain,
   * coverage in persona_model_run_tests_full): the model records what each
   * rule contributed. Slower; not needed to evaluate. */
  gboolean trace;
  /* Host functions the model may call by name; borrowed, must outlive
   * every model compiled with it. */
  PersonaNatives *natives;
  /* Allow `extern fn … from "lib.so"` to load shared libraries (dlopen).
   * Off by default: a model that names a library is then a compile error. */
  gboolean allow_native;
  /* The import policy. NULL (the default): `import "x"` reads the file, as
   * docs/language.md describes. Otherwise no file is opened: every `import`
   * is a compile error at its place with this text as the message, and
   * `imports_refused_hint` (may be NULL) as its hint — for a host whose
   * files a model must not read (the PostgreSQL extension). Borrowed. */
  const char *imports_refused;
  const char *imports_refused_hint;
  /* A boolean expression over the model's names (tags, scores, stages,
   * lets, fields), checked with the model: `persona eval --where`. Its
   * diagnostics name the source "--where", with the expression on line 2.
   * After an evaluation, persona_vm_where() says whether it held; no result
   * shows it. Not stored in bytecode. Borrowed for the call. */
  const char *where;
  /* Names of lets and fields (or any expressions over the model's names)
   * whose values each result carries as extra columns, NULL-terminated:
   * `persona eval --select`. Each is checked with the model (diagnostics
   * name the source "--select", the expression on line 2); a value
   * computed from a pii field is a compile error naming it, as it would
   * leave unmasked. Read them with persona_result_column_json(). Not
   * stored in bytecode. Borrowed for the call. */
  const char *const *columns;
  /* Lets the host stop a long compilation (a PostgreSQL backend whose
   * query was cancelled): `interrupt(interrupt_data)` is polled for each
   * file read, between the compiler's phases, before each constant is
   * computed and every few thousand instructions while one is; when it
   * returns TRUE the compilation stops and returns NULL with
   * PERSONA_ERROR_INTERRUPTED ("compilation interrupted"). The same rules
   * as persona_vm_set_interrupt: cheap, on the compiling thread, must not
   * call into the library. NULL: never polled. */
  gboolean (*interrupt)(gpointer data);
  gpointer interrupt_data;
  /* Record the score rules only (persona_vm_record_rules): the trace points
   * of `trace` for each rule's points, keeping every optimisation of an
   * ordinary build; no explanations, no coverage. `trace` includes it. */
  gboolean score_rules;
} PersonaCompileOptions;

/* Compiles the model in `path` and its imports. Returns a new model (free
 * with persona_model_unref) or NULL. Diagnostics (errors and warnings) are
 * returned in *diags when diags is not NULL, whether or not compilation
 * succeeded (the caller owns them). *error is set when NULL is returned:
 * PERSONA_ERROR_IO if the file could not be read, PERSONA_ERROR_COMPILE if
 * the model has errors. */
PERSONA_API PersonaModel *persona_compile_file(const char *path,
                                               const PersonaCompileOptions *opts,
                                               PersonaDiagnostics **diags,
                                               GError **error);
/* Same, from text in memory; `name` is used in diagnostics and as the base
 * for relative imports. The text is copied. */
PERSONA_API PersonaModel *persona_compile_source(const char *name,
                                                 const char *text, gsize len,
                                                 const PersonaCompileOptions *opts,
                                                 PersonaDiagnostics **diags,
                                                 GError **error);

PERSONA_API PersonaModel *persona_model_ref(PersonaModel *model);
PERSONA_API void persona_model_unref(PersonaModel *model);
/* The `model NAME version "V"` declaration; borrowed from the model. */
PERSONA_API const char *persona_model_name(const PersonaModel *model);
PERSONA_API const char *persona_model_version(const PersonaModel *model);
/* A readable listing of the model's bytecode (caller frees). */
PERSONA_API char *persona_model_disasm(const PersonaModel *model);

/* The same listing for `persona disasm`: a header with the name, version
 * and source hash, then for each instruction its FILE:LINE:COL and, when
 * `diags` holds the sources (after persona_compile_file), the text of each
 * source line once where the line changes. Caller frees. */
PERSONA_API char *persona_model_disasm_full(const PersonaModel *model,
                                            const PersonaDiagnostics *diags);
/* ---- what a model declares (introspection) ------------------------------------
 *
 * The names a model declares, in declaration order, without evaluating
 * anything: for a host that builds columns, menus or checks from them.
 * Strings are borrowed from the model. A segment (`segment NAME when C`)
 * is a tag that results report under "segments"; it is an item of its
 * own kind, never counted among the tags.
 */
typedef enum {
  PERSONA_ITEM_TAG,
  PERSONA_ITEM_SCORE,
  PERSONA_ITEM_LIFECYCLE,
  PERSONA_ITEM_JOURNEY,
  PERSONA_ITEM_SEGMENT,
  PERSONA_ITEM_EXPERIMENT, /* parts: its arms, in the order written */
} PersonaItemKind;

/* How many items of `kind` the model declares. */
PERSONA_API guint persona_model_n_items(const PersonaModel *model, PersonaItemKind kind);
/* The name of the i-th item of `kind`; NULL when i is out of range. */
PERSONA_API const char *persona_model_item_name(const PersonaModel *model, PersonaItemKind kind, guint i);
/* The constants the model compares score i (PERSONA_ITEM_SCORE) with,
 * anywhere (`total >= 60` in a transition, `fit > 50` in a tag, a `const`
 * or constant expression on the other side), in source order, each (op,
 * value) once, read as `score OP value`: op is "<", "<=", ">" or ">="
 * (static; `60 <= total` reads `total >= 60`). Equality and comparisons
 * with anything not constant are not listed. A model loaded from bytecode
 * has none (they are not stored). FALSE for no such threshold. */
PERSONA_API guint persona_model_score_n_thresholds(const PersonaModel *model, guint i);
PERSONA_API gboolean persona_model_score_threshold(const PersonaModel *model, guint i, guint k, const char **op,
                                                   double *value);
/* The i-th tag's label (`tag vip "Very important"`), or NULL when it has none. */
PERSONA_API const char *persona_model_tag_label(const PersonaModel *model, guint i);
/* The label of the i-th tag or segment (kind PERSONA_ITEM_TAG or
 * PERSONA_ITEM_SEGMENT), or NULL when it has none; NULL for other kinds. */
PERSONA_API const char *persona_model_item_label(const PersonaModel *model, PersonaItemKind kind, guint i);
/* The parts of an item: a lifecycle's stages (in order of first
 * appearance) or a journey's step ids in source order (docs/journeys.md,
 * every step, the branches of `if` and `split` included); 0 and NULL for
 * tags and scores and out of range. */
PERSONA_API guint persona_model_item_n_parts(const PersonaModel *model, PersonaItemKind kind, guint i);
PERSONA_API const char *persona_model_item_part(const PersonaModel *model, PersonaItemKind kind, guint i,
                                                guint k);

/* SHA-256 of the model's source texts (root file, then each import in the
 * order read) as 64 hex digits, or NULL when unknown; caller frees. */
PERSONA_API char *persona_model_source_hash(const PersonaModel *model);

/* ---- bytecode files (docs/bytecode.md) ---------------------------------------
 *
 * A compiled model as a portable, versioned, checksummed file. Loading
 * verifies every index, register, jump and table link before anything
 * runs: a damaged or hostile file gives PERSONA_ERROR_BYTECODE, never a
 * crash. Test blocks are not stored (run `persona test` on the source). */

/* Serialises a model (caller unrefs); NULL with PERSONA_ERROR_BYTECODE for
 * a model compiled with trace points. */
PERSONA_API GBytes *persona_model_to_bytecode(const PersonaModel *model, GError **error);
/* Writes the bytecode to `path` atomically (PERSONA_ERROR_IO on failure). */
PERSONA_API gboolean persona_model_save_bytecode(const PersonaModel *model, const char *path,
                                                 GError **error);
/* Reads and verifies bytecode from memory (copied as needed; the model
 * does not keep `data`). Messages have no file name. */
PERSONA_API PersonaModel *persona_model_from_bytecode(const guint8 *data, gsize len,
                                                      GError **error);
/* Reads and verifies a .pbc file; messages are "PATH: …". */
PERSONA_API PersonaModel *persona_model_load_bytecode(const char *path, GError **error);
/* True when `data` starts with the bytecode magic number. */
PERSONA_API gboolean persona_is_bytecode(const guint8 *data, gsize len);

PERSONA_API guint persona_diagnostics_errors(const PersonaDiagnostics *d);
PERSONA_API guint persona_diagnostics_warnings(const PersonaDiagnostics *d);
/* `file:line:col: error: message`, source line, caret, hint; caller frees. */
PERSONA_API char *persona_diagnostics_to_text(const PersonaDiagnostics *d,
                                              gboolean color);
/* {"diagnostics":[…],"errors":N,"warnings":M}\n; caller frees. */
PERSONA_API char *persona_diagnostics_to_json(const PersonaDiagnostics *d);
PERSONA_API void persona_diagnostics_free(PersonaDiagnostics *d);

/* A VM for one thread; it keeps a reference to the model. */
PERSONA_API PersonaVM *persona_vm_new(PersonaModel *model);
PERSONA_API void persona_vm_free(PersonaVM *vm);

/* Limits every evaluation to `max_instructions` VM instructions (0, the
 * default, is no limit). A record that needs more gets an error object
 * ("instruction budget of N exceeded in …") and the next record starts
 * with a full budget. */
PERSONA_API void persona_vm_set_budget(PersonaVM *vm, guint64 max_instructions);

/* Bounds the memory one evaluation may take for its data (decoded
 * strings, lists, records, intermediate values) to `max_bytes`; 0 restores
 * the default, 512 MiB. A record that needs more gets an error object
 * (code "too_large") and the next record starts afresh. Between records
 * the VM keeps at most 8 MiB of that memory for reuse and gives the rest
 * back, so one huge profile does not hold its memory for the life of the
 * process. */
PERSONA_API void persona_vm_set_memory_limit(PersonaVM *vm, gsize max_bytes);

/* What JSON results carry besides the standard keys (default: nothing).
 * Error objects are unchanged. With an `output` declaration the result is
 * the output record: PERSONA_RESULT_MODEL puts "model" first in it, and
 * PERSONA_RESULT_TAG_LABELS does not apply. */
typedef enum {
  /* "model":{"name":"crm","version":"3"} right after "id": results of two
   * versions of a model can be told apart. */
  PERSONA_RESULT_MODEL = 1 << 0,
  /* "tag_labels":{"enterprise":"大型企业"} right after "tags": the display
   * label of each tag that holds and has one. */
  PERSONA_RESULT_TAG_LABELS = 1 << 1,
  /* Do not run the model's `output { … }` block: results are the standard
   * result, as for a model without one (JSON and accessors alike). For a
   * host that reads results through the accessors only (persona diff):
   * the block's work is saved, and an error only the block would raise
   * does not fail the record. */
  PERSONA_RESULT_NO_OUTPUT = 1 << 2,
} PersonaResultOptions;
PERSONA_API void persona_vm_set_result_options(PersonaVM *vm, guint options);

/* Reads times without an offset ("2026-01-31 10:00:00", "2026/01/31
 * 10:00") in the IANA zone `zone` ("Asia/Shanghai"), with its daylight
 * saving rules, instead of the zone of the model line (`model m version
 * "1" timezone "…"`), which a new VM starts with; NULL: no zone, such
 * times are errors (the default without a model zone). Times
 * with `Z` or an offset are unaffected, and results stay in UTC. FALSE
 * with PERSONA_ERROR_INVALID for a zone the system does not know. */
PERSONA_API gboolean persona_vm_set_input_timezone(PersonaVM *vm, const char *zone, GError **error);

/* Lets the host stop a long evaluation: `check(data)` is called every few
 * thousand VM instructions (PVM_INTERRUPT_EVERY, 4096, so at every loop's
 * back-edges too) while a record is evaluated, on the evaluating thread;
 * when it returns TRUE the evaluation stops with a record error whose
 * message starts with "interrupted" (PERSONA_EVAL_RECORD_ERROR), having
 * freed nothing the caller owns, and the VM is ready for the next record.
 * The check must be cheap and must not call back into the VM; it is not
 * called at all for records shorter than one interval. NULL removes the
 * hook. A PostgreSQL backend, for instance, checks for a pending query
 * cancel here and raises it after the VM has returned (docs/postgresql.md). */
PERSONA_API void persona_vm_set_interrupt(PersonaVM *vm, gboolean (*check)(gpointer data),
                                          gpointer data);

typedef enum {
  PERSONA_EVAL_OK = 0,
  PERSONA_EVAL_RECORD_ERROR = 1, /* the record could not be evaluated */
  PERSONA_EVAL_USAGE_ERROR = 2,  /* the caller passed NULL where data was needed (code "usage") */
  PERSONA_EVAL_DECLINED = 3,     /* persona_vm_eval_tree only: evaluate the text instead */
} PersonaEvalStatus;

/* Evaluates one profile record given as JSON text (`json` need not be
 * NUL-terminated) as of `now_us` (microseconds since the Unix epoch, UTC).
 * Appends exactly one compact JSON object, without a newline, to `out`:
 * the result of spec section 6, or {"id":…,"line":LINE_NO,"error":"…"}
 * when the record cannot be evaluated (then PERSONA_EVAL_RECORD_ERROR is
 * returned). */
PERSONA_API PersonaEvalStatus persona_vm_eval_json(PersonaVM *vm,
                                                   const char *json, gsize len,
                                                   gint64 now_us,
                                                   guint64 line_no,
                                                   GString *out);

/* Evaluates every line of `lines` (JSON Lines, `len` bytes; a last line
 * without "\n" counts) as of `now_us` in one call, appending one result or
 * error object and "\n" per record to `out`, exactly what
 * persona_vm_eval_json gives for each, with line numbers first_line,
 * first_line + 1, …. Blank lines are skipped (their numbers are counted).
 * *n_records and *n_errors (either may be NULL) get the counts. Returns
 * PERSONA_EVAL_RECORD_ERROR when some record failed, USAGE_ERROR for NULL
 * arguments. */
PERSONA_API PersonaEvalStatus persona_vm_eval_lines(PersonaVM *vm, const char *lines, gsize len, gint64 now_us,
                                                    guint64 first_line, GString *out, guint64 *n_records,
                                                    guint64 *n_errors);

/* TRUE when the last evaluation succeeded and the model's `where`
 * expression (PersonaCompileOptions.where) held for it; without one, when
 * it succeeded. */
PERSONA_API gboolean persona_vm_where(const PersonaVM *vm);

/* ---- profile state (docs/state.md) ------------------------------------------
 *
 * What earlier evaluations of a profile left: each lifecycle's stage and
 * entry time, each journey's status and position. One state is a JSON
 * object {"v":1,"lifecycles":[…],"journeys":[…]}; a state file is JSON
 * Lines of {"id":KEY,"state":STATE}, one per profile.
 *
 * No state (a profile seen for the first time) is, everywhere a state is
 * taken: NULL, empty or blank text, JSON `null`, or the empty object `{}`.
 * Any other object must have "v".
 */
typedef struct PersonaStateStore PersonaStateStore;

/* An empty store (caller frees). */
PERSONA_API PersonaStateStore *persona_state_store_new(void);
/* Reads a state file. A missing file is an empty store. A damaged line
 * (malformed JSON, no "id", no "state" object, a state of an unknown or
 * newer format version) fails the whole load with PERSONA_ERROR_STATE and
 * a message "FILE:LINE: …"; PERSONA_ERROR_IO when the file cannot be
 * read. */
PERSONA_API PersonaStateStore *persona_state_store_load(const char *path, GError **error);
/* Writes every state, in the order keys were first added, atomically: a
 * temporary file in the same directory, fsync, rename (and fsync of the
 * directory). On failure the old file is left as it was. */
PERSONA_API gboolean persona_state_store_save(const PersonaStateStore *store, const char *path,
                                              GError **error);
PERSONA_API void persona_state_store_free(PersonaStateStore *store);
/* Number of profiles in the store. */
PERSONA_API guint persona_state_store_size(const PersonaStateStore *store);
/* The state stored for a profile key, given as compact JSON text ("\"p1\""
 * or "42"); borrowed from the store, NULL when there is none. */
PERSONA_API const char *persona_state_store_get(const PersonaStateStore *store,
                                                const char *key_json);
/* Replaces (or adds) the state of a key; both strings are copied. The
 * line saved has no "at" (the time of the evaluation is not known). */
PERSONA_API void persona_state_store_set(PersonaStateStore *store, const char *key_json,
                                         const char *state_json);
/* The same for a state computed by an evaluation as of `now_us`: the line
 * saved carries it as "at" (docs/state.md). */
PERSONA_API void persona_state_store_set_at(PersonaStateStore *store, const char *key_json,
                                            const char *state_json, gint64 now_us);
/* The latest "at" of any state in the store (the `now` of the last
 * evaluation that wrote one); FALSE when no state has one. Evaluating
 * earlier than this would make time go backwards. */
PERSONA_API gboolean persona_state_store_last_time(const PersonaStateStore *store, gint64 *now_us);

/* Evaluates one profile like persona_vm_eval_json, with the state it had
 * before: `state_json` (a state object, or NULL/empty for first sight).
 * The result written to `out` carries the new state under "state"; the
 * same state is also written alone to `state_out` when it is not NULL (left
 * empty when the record fails). */
PERSONA_API PersonaEvalStatus persona_vm_eval_json_state(PersonaVM *vm, const char *json, gsize len,
                                                         const char *state_json, gsize state_len,
                                                         gint64 now_us, guint64 line_no,
                                                         GString *out, GString *state_out);
/* The same with a store: the profile's state is looked up by its key and
 * the new state is put back. A record that fails leaves its state as it
 * was. */
PERSONA_API PersonaEvalStatus persona_vm_eval_json_store(PersonaVM *vm, const char *json, gsize len,
                                                         PersonaStateStore *store, gint64 now_us,
                                                         guint64 line_no, GString *out);

/* ---- results without JSON ------------------------------------------------------- */

/* The result of the last evaluation on a VM, read through accessors. It is
 * owned by the VM and valid until the VM's next evaluation or its free;
 * every string it returns is borrowed for that long. */
typedef struct PersonaResult PersonaResult;

typedef struct PersonaTransition {
  const char *lifecycle;
  const char *from;        /* NULL: entry into `initial` on first sight */
  const char *to;
  gint64 at_us;
} PersonaTransition;

typedef struct PersonaAction {
  const char *journey;
  gint64 run;              /* how many times the profile has entered the journey */
  const char *step;        /* the step's stable id: with journey and run, an idempotency key */
  const char *kind;        /* "send", "task", "notify" or "webhook" */
  const char *channel;     /* send/notify channel, task queue; NULL for a webhook */
  const char *text;        /* template, task or notify text, webhook name */
  gint64 at_us;            /* the action's logical time */
} PersonaAction;

/* Evaluates one profile (JSON bytes) with its state (NULL or empty: first
 * sight) as of `now_us`, and makes the result readable through *result
 * (never NULL). PERSONA_EVAL_RECORD_ERROR: persona_result_error() says why. */
PERSONA_API PersonaEvalStatus persona_vm_eval(PersonaVM *vm, const char *json, gsize len,
                                              const char *state_json, gsize state_len, gint64 now_us,
                                              const PersonaResult **result);

/* The result of the VM's last evaluation, by any persona_vm_eval*
 * function: valid like the one persona_vm_eval returns. */
PERSONA_API const PersonaResult *persona_vm_last_result(const PersonaVM *vm);
/* ---- profiles the host has parsed already -------------------------------------
 *
 * A host that keeps profiles parsed (PostgreSQL's jsonb, a document
 * store's tree) can have them decoded from its own tree instead of
 * printing them as JSON text to be parsed again. The host describes its
 * nodes through a PersonaTreeReader; a node is whatever pointer the host
 * likes (never NULL), valid until the evaluation returns. No callback may
 * fail, longjmp or call back into the VM.
 */
typedef enum {
  PERSONA_NODE_NULL,
  PERSONA_NODE_BOOL,
  PERSONA_NODE_NUMBER,
  PERSONA_NODE_STRING,
  PERSONA_NODE_ARRAY,
  PERSONA_NODE_OBJECT,
} PersonaNodeKind;

typedef struct PersonaTreeReader {
  PersonaNodeKind (*kind)(gpointer ctx, gconstpointer node);
  gboolean (*boolean)(gpointer ctx, gconstpointer node);
  /* A STRING's value (UTF-8, unescaped; need not be NUL-terminated), or a
   * NUMBER's JSON spelling ("5.0", "-12", "1e3"); *len is set. The bytes
   * must stay valid until the evaluation returns: string values are used
   * without a copy. */
  const char *(*text)(gpointer ctx, gconstpointer node, gsize *len);
  /* An ARRAY's number of elements, and one of them (0 <= i < length). */
  guint (*length)(gpointer ctx, gconstpointer array);
  gconstpointer (*element)(gpointer ctx, gconstpointer array, guint i);
  /* An OBJECT's value for a key (UTF-8, compared byte for byte), or NULL
   * when the object has no such key. */
  gconstpointer (*member)(gpointer ctx, gconstpointer object, const char *key, gsize key_len);
  /* TRUE when arrays and objects are nested more than `levels` deep in
   * `node` (the node itself is level 1), anywhere in it: the text of such
   * a value is refused, so the tree is declined too. */
  gboolean (*deeper_than)(gpointer ctx, gconstpointer node, guint levels);
} PersonaTreeReader;

/* Evaluates one profile given as the host's tree, like persona_vm_eval
 * with the tree's JSON text: the same values, the same result. Only
 * records that decode cleanly are evaluated from the tree: for any other
 * (a wrong type, a missing required field, a profile that is not an
 * object…) it returns PERSONA_EVAL_DECLINED, having evaluated nothing,
 * and the host evaluates the record's text with persona_vm_eval, whose
 * error message is the reference. An error after decoding (an unreadable
 * state, a runtime error, an interrupt) is PERSONA_EVAL_RECORD_ERROR as
 * usual. */
PERSONA_API PersonaEvalStatus persona_vm_eval_tree(PersonaVM *vm, const PersonaTreeReader *reader,
                                                   gpointer ctx, gconstpointer profile,
                                                   const char *state_json, gsize state_len,
                                                   gint64 now_us, const PersonaResult **result);

/* A host whose objects are cheaper to walk than to search (a jsonb object
 * keeps its keys in one array) can hand each object over in one walk of
 * its members instead of answering `member` once per field the model
 * reads. The host's PersonaTreeMembers calls `visit(walk, key, key_len,
 * value)` for each member of the OBJECT `object`, each key once, in any
 * order (the key's bytes are read during the call only; the value node is
 * held like any other), and returns TRUE after the last one; when visit
 * returns FALSE it stops there and returns FALSE. */
typedef gboolean (*PersonaTreeVisit)(gpointer walk, const char *key, gsize key_len, gconstpointer value);
typedef gboolean (*PersonaTreeMembers)(gpointer ctx, gconstpointer object, PersonaTreeVisit visit,
                                       gpointer walk);

/* persona_vm_eval_tree with each object read through `members` (one walk
 * of its members; the reader's member callback is then not called): the
 * same values, the same result, declined in the same cases. */
PERSONA_API PersonaEvalStatus persona_vm_eval_tree_walk(PersonaVM *vm, const PersonaTreeReader *reader,
                                                        PersonaTreeMembers members, gpointer ctx,
                                                        gconstpointer profile, const char *state_json,
                                                        gsize state_len, gint64 now_us,
                                                        const PersonaResult **result);

/* ---- one record, several models ---------------------------------------------
 *
 * A host that evaluates each profile with several models (persona diff
 * compares two versions of a model) can have the record decoded once:
 *
 *   PersonaRecord *rec = persona_record_new(NULL, 0);
 *   for each line:
 *     persona_record_set(rec, line, len);
 *     persona_vm_eval_record(vm_old, rec, NULL, 0, now_us, &ra);
 *     persona_vm_eval_record(vm_new, rec, NULL, 0, now_us, &rb);   // ra and rb both valid here
 *   persona_record_free(rec);
 *
 * The first VM that evaluates a record decodes it, every field of its
 * model's schema, into the record. A later VM uses that decoding when its
 * model's schema reads profiles the same way (the same record types, in
 * the same order, with the same fields, types, defaults and flags; which
 * fields each model reads does not matter), as of the same `now_us`, in
 * the same input time zone. Otherwise — a changed schema, another `now`, a
 * record whose complete decoding failed (say in a field one model does not
 * read) — the VM decodes the text itself. Either way the result and any
 * error are exactly those of persona_vm_eval on the record's text.
 *
 * Ownership: a record owns a copy of its text and the decoded values; it
 * keeps a reference on the models it met. A result obtained with a record
 * is valid until the VM's next evaluation, or until the record is set
 * again or freed, whichever comes first. A record belongs to one thread at
 * a time (an evaluation writes into it).
 */
typedef struct PersonaRecord PersonaRecord;

/* A record holding a copy of `json` (`len` bytes; NULL and 0 for an empty
 * holder to set later). Free with persona_record_free. */
PERSONA_API PersonaRecord *persona_record_new(const char *json, gsize len);
/* Replaces the record's text with a copy of `json` and forgets its
 * decoding (memory is kept for the next text): one record for a whole
 * file, set line by line. */
PERSONA_API void persona_record_set(PersonaRecord *rec, const char *json, gsize len);
/* The record's text (borrowed, NUL-terminated) and its length. */
PERSONA_API const char *persona_record_text(const PersonaRecord *rec, gsize *len);
/* NULL is ignored. */
PERSONA_API void persona_record_free(PersonaRecord *rec);

/* Evaluates the record like persona_vm_eval evaluates its text, sharing
 * its decoding with the other VMs that evaluate it (above). */
PERSONA_API PersonaEvalStatus persona_vm_eval_record(PersonaVM *vm, PersonaRecord *rec, const char *state_json,
                                                     gsize state_len, gint64 now_us,
                                                     const PersonaResult **result);

/* NULL after a successful evaluation, else the record's error message. */
PERSONA_API const char *persona_result_error(const PersonaResult *r);
/* NULL after a successful evaluation, else the error's stable code, one of
 * (docs/embedding.md, "Error codes"): "bad_json", "bad_utf8",
 * "type_mismatch", "missing_field", "out_of_range", "too_large",
 * "bad_state", "budget", "interrupted", "runtime", "usage". Static. */
PERSONA_API const char *persona_result_error_code(const PersonaResult *r);
/* The path of the field the error is about ("events[3].at"), or NULL when
 * it is about no one field. Borrowed like the result. */
PERSONA_API const char *persona_result_error_field(const PersonaResult *r);
/* The profile's key as compact JSON text ("\"p1\"" or "42"), appended. */
PERSONA_API void persona_result_id_json(const PersonaResult *r, GString *out);

/* The tags that hold, in declaration order. */
PERSONA_API guint persona_result_n_tags(const PersonaResult *r);
PERSONA_API const char *persona_result_tag(const PersonaResult *r, guint i);
/* TRUE when tag `name` holds. */
PERSONA_API gboolean persona_result_has_tag(const PersonaResult *r, const char *name);
/* The segments that hold, in declaration order, and whether segment
 * `name` holds (segments are not tags here either). */
PERSONA_API guint persona_result_n_segments(const PersonaResult *r);
PERSONA_API const char *persona_result_segment(const PersonaResult *r, guint i);
PERSONA_API gboolean persona_result_has_segment(const PersonaResult *r, const char *name);
/* How many columns the model was compiled with (PersonaCompileOptions.columns). */
PERSONA_API guint persona_model_n_columns(const PersonaModel *model);
/* Appends the value of column i as JSON (null when the evaluation failed
 * or the value is null; a time as RFC 3339 text). FALSE when i is out of
 * range (nothing appended). */
PERSONA_API gboolean persona_result_column_json(const PersonaResult *r, guint i, GString *out);

/* Whether the model's i-th tag (PERSONA_ITEM_TAG order) holds: the same as
 * persona_result_has_tag with its name, without comparing names (for a
 * host that reads many results). FALSE out of range. */
PERSONA_API gboolean persona_result_tag_holds(const PersonaResult *r, guint i);
/* The same for the i-th segment (PERSONA_ITEM_SEGMENT order). */
PERSONA_API gboolean persona_result_segment_holds(const PersonaResult *r, guint i);

/* Every score, in declaration order. */
PERSONA_API guint persona_result_n_scores(const PersonaResult *r);
PERSONA_API const char *persona_result_score_name(const PersonaResult *r, guint i);
PERSONA_API double persona_result_score_value(const PersonaResult *r, guint i);
/* The score called `name`; FALSE when the model has none. */
PERSONA_API gboolean persona_result_score(const PersonaResult *r, const char *name, double *value);

/* Each lifecycle's stage after the evaluation. */
PERSONA_API guint persona_result_n_stages(const PersonaResult *r);
PERSONA_API const char *persona_result_stage_lifecycle(const PersonaResult *r, guint i);
PERSONA_API const char *persona_result_stage(const PersonaResult *r, guint i);

/* Lifecycle i's stage as its index among the lifecycle's stages
 * (persona_model_item_part(model, PERSONA_ITEM_LIFECYCLE, i, k)); -1 after
 * a failed evaluation or out of range. */
PERSONA_API gint persona_result_stage_index(const PersonaResult *r, guint i);

PERSONA_API guint persona_result_n_transitions(const PersonaResult *r);
PERSONA_API void persona_result_transition(const PersonaResult *r, guint i, PersonaTransition *out);

PERSONA_API guint persona_result_n_actions(const PersonaResult *r);
PERSONA_API void persona_result_action(const PersonaResult *r, guint i, PersonaAction *out);

/* The earliest time an active journey waits for; FALSE when none (also
 * after a failed evaluation). The host evaluates the profile again then,
 * with the state, even if no new record came. */
PERSONA_API gboolean persona_result_next_wake(const PersonaResult *r, gint64 *out_us);
/* The earliest instant after `now` at which, with no new input, a tag,
 * segment, lifecycle or journey condition, or a piecewise-constant value of
 * the result could change; FALSE when none can (and after a failed
 * evaluation). A host evaluates the profile again at the earlier of this
 * and persona_result_next_wake. */
PERSONA_API gboolean persona_result_next_change(const PersonaResult *r, gint64 *out_us);
/* The new state, to store and pass to the next evaluation (appended). */
PERSONA_API void persona_result_state_json(const PersonaResult *r, GString *out);
/* The whole result as the JSON object of `persona eval` (appended). */
PERSONA_API void persona_result_to_json(const PersonaResult *r, GString *out);

/* When lifecycle i's current stage was entered (after the evaluation);
 * FALSE after a failed evaluation or for no such lifecycle. */
PERSONA_API gboolean persona_result_stage_entered(const PersonaResult *r, guint i, gint64 *out_us);

/* Where a profile stands in journey i (PERSONA_ITEM_JOURNEY) after the
 * evaluation: its status — "idle" (never entered), "active" (waiting at
 * `step`), "done" or "exited" — and how many times it has entered. FALSE
 * after a failed evaluation or for no such journey. Strings are static or
 * the model's. */
typedef struct PersonaJourneyPosition {
  const char *status;
  const char *step;        /* active: the id of the step it waits at; else NULL */
  gint64 run;
} PersonaJourneyPosition;
PERSONA_API gboolean persona_result_journey(const PersonaResult *r, guint i, PersonaJourneyPosition *out);

/* ---- experiments (docs/experiment.md) ---------------------------------------------
 *
 * Experiment i (PERSONA_ITEM_EXPERIMENT): its label (or NULL), the arm the
 * lifts are measured against, the holdout arm (-1 when none), the metric's
 * window. Strings are borrowed from the model. FALSE for no such experiment. */
typedef struct PersonaExperimentInfo {
  const char *name;
  const char *label;
  guint n_arms;
  guint control;
  gint holdout;
  gint64 window_us;
} PersonaExperimentInfo;
PERSONA_API gboolean persona_model_experiment(const PersonaModel *model, guint i, PersonaExperimentInfo *out);
/* Arm a of experiment i: its name and planned share (a fraction); NULL for none. */
PERSONA_API const char *persona_model_experiment_arm(const PersonaModel *model, guint i, guint a, double *share);

/* The profile's arm in experiment i after the last evaluation: the arm's
 * index and name, when it was assigned, and what this evaluation did —
 * "new" (no arm in the state), "kept", "moved" (new weights gave its
 * bucket to another arm) or "reshuffled" (the salt changed). FALSE after a
 * failed evaluation or for no such experiment. */
typedef struct PersonaAssignment {
  guint arm;
  const char *arm_name;
  gint64 assigned_us;
  const char *change;
} PersonaAssignment;
PERSONA_API gboolean persona_result_experiment(const PersonaResult *r, guint i, PersonaAssignment *out);

/* Experiment i's metric for one profile as of `as_of_us` (the profile's
 * data as an evaluation at that time sees it), with `assigned` at
 * `assigned_us`. PERSONA_EVAL_OK with *converted set, or the status of
 * the failure (persona_result_error on persona_vm_last_result says why). */
PERSONA_API PersonaEvalStatus persona_vm_experiment_metric(PersonaVM *vm, const char *json, gsize len, guint i,
                                                           gint64 assigned_us, gint64 as_of_us,
                                                           gboolean *converted);

/* ---- the statistics of experiments (docs/experiment.md, "The statistics") -------
 *
 * The formulas persona experiment and test blocks use, for hosts that
 * report on their own. Counts in, a number out; NaN where the number does
 * not exist (an empty group). */
#define PERSONA_STATS_Z_975 1.959963984540054   /* two-sided alpha 0.05 */
#define PERSONA_STATS_Z_80 0.8416212335729143   /* power 0.8 */
#define PERSONA_STATS_SRM_ALPHA 0.001           /* a sample-ratio mismatch below this */
/* The Wilson 95 % interval of x conversions in n. */
PERSONA_API void persona_stats_wilson(gint64 x, gint64 n, double *low, double *high);
/* Two-sided p of the pooled two-proportion z-test of x1/n1 against x2/n2. */
PERSONA_API double persona_stats_two_prop_p(gint64 x1, gint64 n1, gint64 x2, gint64 n2);
/* Pearson's chi-square test of arm × converted over k arms: the p-value, *chi2 the statistic. */
PERSONA_API double persona_stats_chi2_arms(const gint64 *x, const gint64 *n, guint k, double *chi2);
/* Sample-ratio check: goodness of fit of the arms' sizes to the planned shares. */
PERSONA_API double persona_stats_srm_p(const gint64 *n, const double *share, guint k, double *chi2);
/* The minimum detectable difference of rates (alpha 0.05, power 0.8) at base rate p. */
PERSONA_API double persona_stats_mde(double p, gint64 n1, gint64 n2);
/* The power of the two-sided z-test at alpha 0.05 for true rates p1 and p2. */
PERSONA_API double persona_stats_power(double p1, gint64 n1, double p2, gint64 n2);
/* Q(a, x), the regularised upper incomplete gamma function (chi-square: Q(df/2, x/2)). */
PERSONA_API double persona_stats_gamma_q(double a, double x);

/* ---- more of what a model declares (beside the introspection above) ------------
 *
 * For tools that describe a model's results (persona report). Strings are
 * borrowed from the model. */

/* The transitions of lifecycle i (PERSONA_ITEM_LIFECYCLE), in the order
 * written: the stage each leaves (NULL for `any`) and the stage it enters.
 * FALSE for no such transition. */
PERSONA_API guint persona_model_lifecycle_n_transitions(const PersonaModel *model, guint i);
PERSONA_API gboolean persona_model_lifecycle_transition(const PersonaModel *model, guint i, guint t,
                                                        const char **from, const char **to);
/* The kind of the step `step_id` of journey i: "send", "task", "notify",
 * "webhook", "wait", "wait until", "if", "split" or "block"; NULL when the
 * journey has no such step. Static. */
PERSONA_API const char *persona_model_journey_step_kind(const PersonaModel *model, guint i,
                                                        const char *step_id);

/* The fields of the schema, in declaration order. */
typedef struct PersonaField {
  const char *name;
  gboolean optional;       /* T?: absent or null is null */
  gboolean has_default;    /* absent or null is the default */
  gboolean pii;            /* its value must never be shown */
  gboolean key;            /* the profile's key */
  gboolean read;           /* the model reads it: decoded, checked, and kept by
                              persona_model_reduce_record (the key always) */
} PersonaField;
PERSONA_API guint persona_model_n_fields(const PersonaModel *model);
PERSONA_API void persona_model_field(const PersonaModel *model, guint i, PersonaField *out);
/* Which schema fields a profile record gives a value: present[i] is TRUE
 * when field i is in the record and not null (FALSE: missing, so null or
 * its default). `present` holds persona_model_n_fields() entries. FALSE
 * when the text is not a JSON object; the entries are then meaningless.
 * Fast: it reads only the top-level keys and does not validate the values
 * (evaluating the record does), so use it beside an evaluation. Keys are
 * compared as the decoder compares them ("\u0069d" is "id"); the last of
 * duplicate keys wins. */
PERSONA_API gboolean persona_model_fields_present(const PersonaModel *model, const char *json, gsize len,
                                                  gboolean *present);

/* Appends to `out` the record `json` reduced to the fields the model reads
 * (PersonaField.read), and inside records and lists of records to the
 * sub-fields it reads: keys in the order written (a repeated key stays
 * repeated), every other value's text exactly as in the input; fields it
 * does not read and unknown keys are dropped. Evaluating the reduced
 * record gives the same result as the whole one. FALSE (out unchanged,
 * `error` set, never quoting a value) when `json` is not one well-formed
 * JSON object. */
PERSONA_API gboolean persona_model_reduce_record(const PersonaModel *model, const char *json, gsize len,
                                                 GString *out, GError **error);

/* Appends to `keys` (a GPtrArray of g_free'd strings, e.g. from
 * g_ptr_array_new_with_free_func(g_free)) each top-level key of the JSON
 * object `json`, unescaped, in the order written. FALSE with `error` when
 * `json` is not one well-formed JSON object (the message never quotes a
 * value). */
PERSONA_API gboolean persona_json_object_keys(const char *json, gsize len, GPtrArray *keys, GError **error);

/* ---- explanations -------------------------------------------------------------- */

/* The profile's key as compact JSON text ("\"p1\"" or "42"), for finding
 * a profile or its stored state. FALSE when the record cannot be decoded
 * far enough to read it. */
PERSONA_API gboolean persona_vm_profile_key(PersonaVM *vm, const char *json, gsize len, GString *key_json);

/* Why the profile got its result: each tag and the values that decided it,
 * each score rule's contribution (the records it counted, their decay
 * factors, what a cap clipped), each lifecycle transition taken or not,
 * each journey's position. Text for people, or JSON when `as_json`. The
 * model must be compiled with `trace`. `state_json` may be NULL. A record
 * that cannot be evaluated gets the error object of persona_vm_eval_json,
 * with `line_no` (the record's line in its input) as its "line". */
PERSONA_API PersonaEvalStatus persona_vm_explain(PersonaVM *vm, const char *json, gsize len,
                                                 const char *state_json, gsize state_len, gint64 now_us,
                                                 guint64 line_no, gboolean as_json, GString *out);

/* ---- score rules (persona backtest, docs/embedding.md) --------------------------
 *
 * A score's rules as written and, after an evaluation, which of them fired
 * and what each contributed: for a host that checks rules against
 * outcomes. Only a model compiled with `score_rules` (or `trace`) knows
 * its rules (a model without, or from bytecode, reports 0 rules). Strings are borrowed
 * from the model. */

typedef struct PersonaScoreRule {
  const char *text;     /* the rule as written: "+30 when enterprise" */
  const char *file;     /* where it is written */
  guint line, col;
  gboolean per;         /* `+W per QUERY`; else `+W when C` */
  double weight;        /* the signed weight when it is a number literal (30, -20), else NaN */
} PersonaScoreRule;

/* How many rules score `score` (PERSONA_ITEM_SCORE index) has: 0 for a
 * derived score (`score s = EXPR`), out of range, or a model compiled
 * without `trace`. */
PERSONA_API guint persona_model_score_n_rules(const PersonaModel *model, guint score);
/* Rule `rule` of score `score`; FALSE when out of range. */
PERSONA_API gboolean persona_model_score_rule(const PersonaModel *model, guint score, guint rule,
                                              PersonaScoreRule *out);

/* From the next evaluation on, the VM records what every score rule
 * contributed (persona_result_rule). FALSE, and nothing recorded, when the
 * model was not compiled with `score_rules` or `trace`. Costs a little per rule; off again
 * with on = FALSE. persona_vm_explain may be used meanwhile. */
PERSONA_API gboolean persona_vm_record_rules(PersonaVM *vm, gboolean on);
/* After a successful evaluation with recording on: TRUE when rule `rule`
 * of score `score` fired — a `when` rule whose condition held, a `per` rule
 * that counted at least one record (its points before the cap are not 0)
 * — and in *contribution (may be NULL)
 * its points after its cap (0 when it did not fire). Before the score's
 * `max`/`min` clamp: the contributions add up to the unclamped score.
 * FALSE and 0 otherwise (not recording, the evaluation failed, out of
 * range). */
PERSONA_API gboolean persona_result_rule(const PersonaResult *r, guint score, guint rule, double *contribution);

/* ---- tests written in the language (spec section 7) ----------------------- */

/* Runs every `test` block of the model's root file. Appends to `report`
 * one line per test ("ok   FILE:LINE: test \"name\"" or "FAIL …") followed,
 * for a failed test, by each failed expectation with its place and the
 * values of its operands. When `junit` is not NULL, appends one JUnit
 * <testsuite> element for the model (the caller wraps the suites of several
 * models in <testsuites>). Counts tests, not expectations. */
PERSONA_API void persona_model_run_tests(PersonaModel *model, GString *report, GString *junit,
                                         guint *passed, guint *failed);
/* The same, and when `coverage` is not NULL, also measures what the tests
 * exercised — every tag that held, score rule that fired (or counted a
 * record), transition taken and journey step run — and appends a report:
 * a percentage and each item never exercised, by file:line. Rules are
 * only measured in a model compiled with `trace`. */
PERSONA_API void persona_model_run_tests_full(PersonaModel *model, GString *report, GString *junit,
                                              GString *coverage, guint *passed, guint *failed,
                                              guint *covered, guint *coverable);

/* ---- formatting (persona fmt) ---------------------------------------------- */

/* The canonical layout of a Persona file (docs/cli.md, `persona fmt`):
 * `text` (`len` bytes, named `name` in diagnostics) formatted, newly
 * allocated with its length in *out_len (may be NULL). NULL when the text
 * has syntax errors: they are returned in *diags (when diags is not NULL;
 * the caller owns it), and nothing should be written. Imports are not
 * followed: a file is formatted alone. A text larger than a model may be
 * (16 MiB, as for persona_compile_source) is an error, not formatted. */
PERSONA_API char *persona_format_source(const char *name, const char *text, gsize len, gsize *out_len,
                                        PersonaDiagnostics **diags);
/* Reads a model source file the way persona_compile_file does before
 * compiling it: a regular file only (a device or FIFO is refused before a
 * byte is read), at most 16 MiB, checked before and while reading. *text
 * is NUL-terminated (g_free it). FALSE with PERSONA_ERROR_IO: "“x” is
 * larger than 16 MiB", "“x” is not a regular file", or why it cannot be
 * read. */
PERSONA_API gboolean persona_read_source(const char *path, char **text, gsize *len, GError **error);

/* ---- identity resolution (persona unify, docs/unify.md) -------------------------
 *
 * A model's `identity { }` and `source NAME { }` declarations, read as
 * tables: the identifier kinds that join records into one person, the
 * rules that keep values from joining, the profile fields the sources fill
 * and how each merges, and how each source's records map onto them. The
 * library only declares and checks; the unify component (unify/) runs it.
 * Every string is borrowed from the model. A model loaded from bytecode
 * has none of these tables (they are not stored in .pbc files). */

typedef enum {
  PERSONA_NORMALIZE_STRING, /* trimmed; empty is no identifier */
  PERSONA_NORMALIZE_EMAIL,  /* trimmed, lower-cased, one '@' with text on both sides */
  PERSONA_NORMALIZE_PHONE,  /* E.164 ("+8613812345678") for a default region */
} PersonaNormalize;

typedef struct PersonaIdentityKey {
  const char *kind;          /* "phone" */
  PersonaNormalize normalize;
  const char *region;        /* phone: "CN"; else NULL */
  const char *calling_code;  /* phone: "86"; else NULL */
  guint national_max;        /* phone: digits of the region's longest national number */
  guint limit;               /* most identifiers of this kind one person may have; 0: no limit */
  guint rank;                /* priority: 0 is the highest */
} PersonaIdentityKey;

typedef enum {
  PERSONA_IDENTITY_BLOCK, /* text: a regular expression; a value it matches never joins */
  PERSONA_IDENTITY_NEVER, /* text: one value (as written) that never joins */
} PersonaIdentityRuleKind;

typedef struct PersonaIdentityRule {
  PersonaIdentityRuleKind kind;
  guint key;                 /* index of the identifier kind */
  const char *text;
  guint line;                /* in the model's file */
} PersonaIdentityRule;

typedef enum {
  PERSONA_MERGE_LATEST, PERSONA_MERGE_FIRST, PERSONA_MERGE_NON_EMPTY, PERSONA_MERGE_SUM,
  PERSONA_MERGE_MAX,
  PERSONA_MERGE_EVENTS, /* a list of records: every source's events, kept */
} PersonaMerge;

typedef struct PersonaUnifyField {
  const char *name;          /* a schema field some source fills (schema order) */
  PersonaMerge merge;
} PersonaUnifyField;

typedef enum {
  PERSONA_MAP_KEY,   /* target: identifier kind; from: the input field */
  PERSONA_MAP_FIELD, /* target: unify field; from: the input field */
  PERSONA_MAP_EVENT, /* target: unify field (a list); sub: the event's field; from or constant */
} PersonaMapKind;

typedef struct PersonaSourceMap {
  PersonaMapKind kind;
  guint target;
  const char *sub;           /* PERSONA_MAP_EVENT only */
  const char *from;          /* a field of the input record, or NULL when `constant` is set */
  const char *constant;      /* a constant string for the event field, or NULL */
} PersonaSourceMap;

typedef struct PersonaSource {
  const char *name;
  const char *time_field;    /* the input field with the record's time, or NULL */
  guint n_maps;
} PersonaSource;

/* TRUE when the model declares `identity { }` (so it can unify). */
PERSONA_API gboolean persona_model_has_identity(const PersonaModel *model);
/* The schema's key field (the unified profile's id goes there), or NULL. */
PERSONA_API const char *persona_model_identity_key_field(const PersonaModel *model);
PERSONA_API guint persona_model_identity_n_keys(const PersonaModel *model);
PERSONA_API void persona_model_identity_key(const PersonaModel *model, guint i, PersonaIdentityKey *out);
PERSONA_API guint persona_model_identity_n_rules(const PersonaModel *model);
PERSONA_API void persona_model_identity_rule(const PersonaModel *model, guint i, PersonaIdentityRule *out);
PERSONA_API guint persona_model_identity_n_fields(const PersonaModel *model);
PERSONA_API void persona_model_identity_field(const PersonaModel *model, guint i, PersonaUnifyField *out);
PERSONA_API guint persona_model_identity_n_sources(const PersonaModel *model);
PERSONA_API void persona_model_identity_source(const PersonaModel *model, guint i, PersonaSource *out);
PERSONA_API void persona_model_identity_source_map(const PersonaModel *model, guint source, guint j,
                                                   PersonaSourceMap *out);

/* The key of pseudonym() (docs/language.md): $PERSONA_PSEUDONYM_KEY, or
 * the contents of the file named by $PERSONA_PSEUDONYM_KEY_FILE, read once
 * per process. A new reference (caller unrefs). NULL without *error when
 * no key is configured; NULL with PERSONA_ERROR_INVALID when one is
 * configured but cannot be used (an unreadable or empty file). For hosts
 * that derive other pseudonyms with the same key (persona unify's profile
 * ids). */
PERSONA_API GBytes *persona_pseudonym_key(GError **error);

/* ---- sealing: records that hold pii, encrypted at rest ----------------------
 *
 * What a host keeps of the records it reads (persona run's database,
 * persona unify --store) holds the pii fields in the clear unless sealed:
 * encrypted and authenticated with XChaCha20-Poly1305 (libsodium), a
 * random nonce per seal, under BLAKE2b-256 of the operator's secret keyed
 * with "persona store key v1", as the text "$sealed1$" followed by the
 * base64url (no padding) of nonce (24 bytes), ciphertext and tag (16
 * bytes). Associated data (`ad`, a NUL-terminated string, "" for none)
 * binds a sealed text to its place: it opens only with the same `ad`.
 * docs/runtime.md, "Records at rest".
 *
 * Ownership: the key belongs to the caller (persona_seal_key_free
 * overwrites it); returned texts are newly allocated. */
#define PERSONA_STORE_KEY_ENV "PERSONA_STORE_KEY"
#define PERSONA_STORE_KEY_FILE_ENV "PERSONA_STORE_KEY_FILE"
typedef struct PersonaSealKey PersonaSealKey;
/* The store key from the operator's secret: $PERSONA_STORE_KEY, else the
 * contents of the file named by $PERSONA_STORE_KEY_FILE (one line break
 * at its end is not part of it). TRUE with *key NULL when neither is set;
 * FALSE with PERSONA_ERROR_INVALID when the file cannot be read or the
 * secret has fewer than 16 bytes (the messages name the variables). */
PERSONA_API gboolean persona_seal_key_from_env(PersonaSealKey **key, GError **error);
PERSONA_API void persona_seal_key_free(PersonaSealKey *key);
/* A keyed digest (BLAKE2b-256 under the key) of `len` bytes, as 64 hex
 * digits and NUL: a check value of the key stored beside sealed data (a
 * wrong key is refused before anything is read), or a name that does not
 * tell who can guess the contents. */
PERSONA_API void persona_seal_digest(const PersonaSealKey *key, const void *data, gsize len, char hex[65]);
/* TRUE when the `len` bytes of `text` start with "$sealed1$". */
PERSONA_API gboolean persona_is_sealed(const char *text, gsize len);
/* `len` bytes of `data` sealed, NUL-terminated (caller frees). */
PERSONA_API char *persona_seal(const PersonaSealKey *key, const char *ad, const void *data, gsize len);
/* Opens `len` bytes of sealed text: *out the data and a NUL (free with
 * persona_unsealed_free), *out_len (may be NULL) its length. FALSE with
 * PERSONA_ERROR_INVALID "not a sealed text" (no prefix, or too short or
 * not base64url after it), or PERSONA_ERROR_SEALED "does not open with
 * the key" (another key or `ad`, or altered). */
PERSONA_API gboolean persona_unseal(const PersonaSealKey *key, const char *ad, const char *sealed, gsize len,
                                    char **out, gsize *out_len, GError **error);
/* Overwrites and frees what persona_unseal returned (`len` bytes). */
PERSONA_API void persona_unsealed_free(char *text, gsize len);

/* ---- output files that appear whole ----------------------------------------- */

/* Output written to a temporary file beside the target (".NAME.XXXXXX",
 * with the mode of the file it replaces) and renamed over it on commit, so
 * a reader never sees half a file. A symbolic link is followed: the file it
 * points to is replaced, not the link. A device, FIFO or socket (/dev/null,
 * /dev/stdout) is written in place, never renamed over. Errors are
 * PERSONA_ERROR_IO and name the path as given. */
typedef struct PersonaOutputFile PersonaOutputFile;

/* `path` NULL or "-": standard output (written, never closed). */
PERSONA_API PersonaOutputFile *persona_output_file_open(const char *path, GError **error);
PERSONA_API gboolean persona_output_file_write(PersonaOutputFile *f, const char *data, gsize len,
                                               GError **error);
/* Closes and renames into place; the data is then visible. */
PERSONA_API gboolean persona_output_file_commit(PersonaOutputFile *f, GError **error);
/* Discards what was not committed (the temporary file is removed) and
 * frees. NULL is ignored. */
PERSONA_API void persona_output_file_free(PersonaOutputFile *f);
/* ---- file locks ----------------------------------------------------------------- */

/* An exclusive lock on a file that is read, then replaced whole (a state
 * file): "FILE.lock" beside the file itself (a symbolic link is followed,
 * so every name of one file takes the same lock), held with flock() until
 * persona_file_lock_free() or the process ends, however it ends (a crash
 * never leaves a stale lock). The lock file holds the holder's pid and is
 * removed on release (a crash leaves it; it is taken over, not waited
 * for). Refused at once, never waited for:
 * PERSONA_ERROR_LOCKED, "'FILE' is in use by another persona process (pid
 * N)"; PERSONA_ERROR_IO when the lock file cannot be made. */
typedef struct PersonaFileLock PersonaFileLock;
PERSONA_API PersonaFileLock *persona_file_lock(const char *path, GError **error);
/* Releases (NULL is ignored). */
PERSONA_API void persona_file_lock_free(PersonaFileLock *lock);

/* Writes all `len` bytes to `fd`, retrying short writes and EINTR: 0, or
 * the errno of the write that failed (the caller words the message). */
PERSONA_API int persona_write_fd(int fd, const char *data, gsize len);

/* ---- reading JSON Lines ------------------------------------------------------
 *
 * The reader of `persona eval` and of every command that reads profiles:
 * a file or the standard input read in 1 MiB blocks and split at "\n",
 * with no system call and no allocation per line. A line may be longer
 * than a block (the buffer grows) up to the reader's limit, max_line
 * (PERSONA_MAX_LINE_DEFAULT unless set); a longer line is read through
 * without being kept (memory stays bounded whatever the input) and comes
 * back empty and flagged, so a caller that ignores the flag sees an empty
 * record, never a partial one. A last line without "\n" is a line; a
 * file that ends with "\n" has no empty line after it. "\r" is not
 * removed.
 *
 * Ownership: the caller frees the reader (persona_line_reader_free); a
 * line returned is borrowed until the next call. One thread at a time.
 */
typedef struct PersonaLineReader PersonaLineReader;

/* 64 MiB. */
#define PERSONA_MAX_LINE_DEFAULT ((gsize)64 << 20)

/* Opens `path` (NULL or "-": the standard input, never closed). NULL with
 * PERSONA_ERROR_IO ("cannot open 'x': No such file or directory", "cannot
 * read 'd': Is a directory"). */
PERSONA_API PersonaLineReader *persona_line_reader_open(const char *path, GError **error);
PERSONA_API void persona_line_reader_set_max_line(PersonaLineReader *r, gsize max_line);
PERSONA_API gsize persona_line_reader_max_line(const PersonaLineReader *r);
/* TRUE with the next line (without its "\n"); FALSE at the end, or on a
 * read error with *error set (PERSONA_ERROR_IO). */
PERSONA_API gboolean persona_line_reader_next(PersonaLineReader *r, const char **line, gsize *len,
                                              GError **error);
/* TRUE when the line just returned was longer than max_line (it came back
 * empty); *real_len (may be NULL) gets its length. */
PERSONA_API gboolean persona_line_reader_too_long(const PersonaLineReader *r, guint64 *real_len);
/* The number of the line just returned (1 for the first, blank lines
 * counted), and the bytes consumed so far (for progress). */
PERSONA_API guint64 persona_line_reader_line_no(const PersonaLineReader *r);
PERSONA_API guint64 persona_line_reader_bytes(const PersonaLineReader *r);
/* NULL is ignored. */
PERSONA_API void persona_line_reader_free(PersonaLineReader *r);
/* The message for a line longer than `max_line`: "line is longer than 64
 * MiB" (caller frees); the error of such a record (code "too_large"). */
PERSONA_API char *persona_line_too_long_message(gsize max_line);
/* A size for messages: "64 MiB", "4 KiB", "1000 bytes" (caller frees). */
PERSONA_API char *persona_format_size(guint64 bytes);

/* ---- JSON text ------------------------------------------------------------------ */

/* Appends `s` (`len` bytes, or up to its NUL when len < 0) as a JSON
 * string, escaped exactly as every Persona output escapes strings; bytes
 * that are not UTF-8 (a file name need not be) become U+FFFD. */
PERSONA_API void persona_json_append_string(GString *out, const char *s, gssize len);

/* Appends `d` as results print numbers: the shortest text that reads back
 * as the same double ("55", "11.405556399582126"). */
PERSONA_API void persona_json_append_number(GString *out, double d);

/* The library's version, "MAJOR.MINOR.PATCH" (static; the project version
 * of CMakeLists.txt). */
PERSONA_API const char *persona_version(void);

/* Parses what a profile's time field accepts — an RFC 3339 time, a date,
 * or Unix seconds written as a JSON number ("1769904000", "1.5e9"; not
 * "+1", "0x10" or " 1") — into microseconds since the epoch. */
PERSONA_API gboolean persona_time_parse(const char *text, gint64 *out_us);
/* The wall clock now, in microseconds since the epoch (UTC). */
PERSONA_API gint64 persona_time_now(void);
/* A time as RFC 3339 UTC text ("2026-02-01T00:00:00Z", with a fraction
 * when it has one) into buf, NUL-terminated; returns its length. */
#define PERSONA_TIME_BUF 40
PERSONA_API gsize persona_time_format(gint64 us, char buf[PERSONA_TIME_BUF]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaModel, persona_model_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaVM, persona_vm_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaSealKey, persona_seal_key_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaDiagnostics, persona_diagnostics_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaStateStore, persona_state_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaNatives, persona_natives_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaOutputFile, persona_output_file_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaFileLock, persona_file_lock_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaRecord, persona_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PersonaLineReader, persona_line_reader_free)

G_END_DECLS

#endif
