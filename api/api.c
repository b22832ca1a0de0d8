/* api.c - the public API (include/persona.h) over the compiler and VM. */
#include "persona.h"
#include "api_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "runtime/bytecode.h"
#include "stdlib/builtins.h"
#include "runtime/disasm.h"
#include "runtime/file_target.h"
#include "runtime/json_decode.h"
#include "runtime/json_tree.h"
#include "runtime/ptime_zone.h"
#include "runtime/ptime.h"
#include "runtime/explain.h"
#include "runtime/json_write.h"
#include "runtime/result.h"
#include "runtime/state.h"
#include "runtime/vm.h"

G_DEFINE_QUARK(persona-error-quark, persona_error)

const char *persona_version(void) { return PERSONA_LIBRARY_VERSION; }

/* A PersonaModel is a PModel: the public name of the same object, so the
 * reference count is the model's own. */
static PModel *pm(const PersonaModel *model) { return (PModel *)model; }


/* ---- compiling ----------------------------------------------------------------- */

/* SHA-256 over the texts of the root file and its imports, in the order
 * they were read, each preceded by its length (8 bytes, little-endian) so
 * that moving text from one file to the next changes the hash. */
static void hash_sources(PModel *m, const PSourceSet *src) {
  GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
  for (guint i = 0; i < src->files->len; i++) {
    const PSourceFile *f = psrc_file(src, i);
    guint8 len[8];
    for (int k = 0; k < 8; k++) len[k] = (guint8)((guint64)f->len >> (8 * k));
    g_checksum_update(ck, len, sizeof len);
    g_checksum_update(ck, (const guchar *)f->text, (gssize)f->len);
  }
  gsize n = sizeof m->source_hash;
  g_checksum_get_digest(ck, m->source_hash, &n);
  g_checksum_free(ck);
  m->has_source_hash = true;
}

/* "FILE:LINE:COL: MESSAGE" of the first error, and how many more there
 * are: a program that shows only the GError still says what is wrong. */
static void set_compile_error(GError **error, const char *name, PDiagList *list, const PSourceSet *src) {
  pdiag_sort(list); /* the first in the order the text shows them */
  const PDiag *first = NULL;
  for (guint i = 0; i < list->items->len && !first; i++) {
    const PDiag *d = g_ptr_array_index(list->items, i);
    if (d->severity == PDIAG_ERROR) first = d;
  }
  if (!first) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_COMPILE, "%s: %u error%s", name, list->n_errors,
                list->n_errors == 1 ? "" : "s");
    return;
  }
  g_autoptr(GString) msg = g_string_new(NULL);
  const PSourceFile *f = first->has_loc ? psrc_file(src, first->loc.file) : NULL;
  if (f) g_string_append_printf(msg, "%s:%u:%u: ", f->name, first->loc.line, first->loc.col);
  else g_string_append_printf(msg, "%s: ", name);
  g_string_append(msg, first->message);
  if (list->n_errors > 1)
    g_string_append_printf(msg, " (and %u more error%s)", list->n_errors - 1, list->n_errors == 2 ? "" : "s");
  g_set_error_literal(error, PERSONA_ERROR, PERSONA_ERROR_COMPILE, msg->str);
}

/* The --where expression compiled as a tag: remember its slot and take it
 * out of the outputs, so that results, counts and reports never show it.
 * Tags come first among the outputs and nothing in a model compiled
 * without trace points refers to an output by its index. */
static void take_where(PModel *m) {
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    POutput *o = &m->outputs[i];
    if (o->kind != POUT_TAG || strcmp(o->name, PCOMPILE_WHERE_TAG) != 0) continue;
    m->has_where = true;
    m->where_slot = o->slot;
    pmodel_remove_output(m, i);
    return;
  }
}

static PersonaModel *compile_common(const char *name, const char *text, gsize len,
                                    const PersonaCompileOptions *opts, PersonaDiagnostics **diags,
                                    GError **error) {
  PSourceSet *src = psrc_new();
  PDiagList *list = pdiag_new();
  PCompileOptions copts = {0};
  if (opts) {
    copts.include_dirs = opts->include_dirs;
    copts.use_persona_path = opts->use_persona_path;
    copts.trace = opts->trace;
    copts.score_rules = opts->score_rules;
    copts.natives = opts->natives;
    copts.allow_native = opts->allow_native;
    copts.imports_refused = opts->imports_refused;
    copts.imports_refused_hint = opts->imports_refused_hint;
    copts.where = opts->where;
    copts.columns = opts->columns;
    copts.interrupt = opts->interrupt;
    copts.interrupt_data = opts->interrupt_data;
  }
  bool interrupted = false;
  copts.interrupted = &interrupted;
  PModel *m = NULL;
  if (len > PCOMPILE_MAX_SOURCE)
    pdiag_add(list, PDIAG_ERROR, NULL, NULL, "%s: the model is larger than %zu MiB", name,
              PCOMPILE_MAX_SOURCE >> 20);
  else
    m = pcompile(name, text, len, &copts, src, list);
  if (m) hash_sources(m, src);
  if (m && opts && opts->where) take_where(m);
  if (!m && interrupted)
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INTERRUPTED, "%s: " PCOMPILE_INTERRUPTED, name);
  else if (!m) set_compile_error(error, name, list, src);
  papi_give_diagnostics(list, src, diags);
  return (PersonaModel *)m;
}

const PersonaResult *persona_vm_last_result(const PersonaVM *vm) { return (const PersonaResult *)vm; }

gboolean persona_vm_where(const PersonaVM *vm) {
  if (!vm->last_ok) return FALSE;
  const PModel *m = vm->st.model;
  if (!m->has_where) return TRUE;
  PValue v = vm->st.globals[m->where_slot];
  return v.kind == PV_BOOL && v.u.b;
}

PersonaModel *persona_compile_source(const char *name, const char *text, gsize len,
                                     const PersonaCompileOptions *opts, PersonaDiagnostics **diags,
                                     GError **error) {
  g_return_val_if_fail(name && text, NULL);
  return compile_common(name, text, len, opts, diags, error);
}

PersonaModel *persona_compile_file(const char *path, const PersonaCompileOptions *opts,
                                   PersonaDiagnostics **diags, GError **error) {
  g_return_val_if_fail(path, NULL);
  if (diags) *diags = NULL;
  char *text = NULL;
  gsize len = 0;
  GError *io = NULL;
  if (!pfile_read_bounded(path, PCOMPILE_MAX_SOURCE, &text, &len, &io)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
    g_error_free(io);
    return NULL;
  }
  PersonaModel *m = compile_common(path, text, len, opts, diags, error);
  g_free(text);
  return m;
}

PersonaModel *persona_model_ref(PersonaModel *model) {
  pmodel_ref(pm(model));
  return model;
}

void persona_model_unref(PersonaModel *model) { pmodel_unref(pm(model)); }

const char *persona_model_name(const PersonaModel *model) { return pm(model)->name; }
const char *persona_model_version(const PersonaModel *model) { return pm(model)->version; }
char *persona_model_disasm(const PersonaModel *model) { return pmodel_disasm(pm(model)); }

char *persona_model_disasm_full(const PersonaModel *model, const PersonaDiagnostics *diags) {
  g_return_val_if_fail(model, NULL);
  if (!diags || !diags->src) return pmodel_disasm_full(pm(model), NULL);
  const PSourceSet *set = diags->src;
  uint32_t n = set->files->len;
  const char **texts = g_new0(const char *, n + 1);
  size_t *lens = g_new0(size_t, n + 1);
  for (uint32_t i = 0; i < n; i++) {
    texts[i] = psrc_file(set, i)->text;
    lens[i] = psrc_file(set, i)->len;
  }
  PDisasmSource src = {.texts = texts, .lens = lens, .n = n};
  char *listing = pmodel_disasm_full(pm(model), &src);
  g_free(texts);
  g_free(lens);
  return listing;
}

char *persona_model_source_hash(const PersonaModel *model) {
  g_return_val_if_fail(model, NULL);
  if (!pm(model)->has_source_hash) return NULL;
  char *hex = g_malloc(65);
  pbc_hash_hex(pm(model)->source_hash, hex);
  return hex;
}

/* ---- bytecode files ----------------------------------------------------------------- */

GBytes *persona_model_to_bytecode(const PersonaModel *model, GError **error) {
  g_return_val_if_fail(model, NULL);
  return pbc_write(pm(model), error);
}

/* A device or FIFO named as the output (/dev/null, /dev/stdout): written
 * as it is; g_file_set_contents would rename a new file over it. */
static gboolean write_in_place(const char *path, const char *data, gsize len, GError **error) {
  int fd = pfile_open_in_place(path);
  if (fd < 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot open '%s': %s", path, g_strerror(errno));
    return FALSE;
  }
  gboolean ok = pfile_write_all(fd, data, len, path, error);
  if (close(fd) != 0 && ok) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "cannot write '%s': %s", path, g_strerror(errno));
    ok = FALSE;
  }
  return ok;
}

gboolean persona_model_save_bytecode(const PersonaModel *model, const char *path, GError **error) {
  g_return_val_if_fail(model && path, FALSE);
  GBytes *bytes = pbc_write(pm(model), error);
  if (!bytes) return FALSE;
  gsize len;
  const gchar *data = g_bytes_get_data(bytes, &len);
  GError *io = NULL;
  gboolean in_place;
  g_autofree char *target = pfile_target(path, &in_place);
  gboolean ok = in_place ? write_in_place(target, data, len, &io)
                         : g_file_set_contents(target, data, (gssize)len, &io);
  g_bytes_unref(bytes);
  if (!ok) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
    g_error_free(io);
  }
  return ok;
}

PersonaModel *persona_model_from_bytecode(const guint8 *data, gsize len, GError **error) {
  g_return_val_if_fail(data || len == 0, NULL);
  return (PersonaModel *)pbc_read(data ? data : (const guint8 *)"", len, error);
}

PersonaModel *persona_model_load_bytecode(const char *path, GError **error) {
  g_return_val_if_fail(path, NULL);
  char *data = NULL;
  gsize len = 0;
  GError *io = NULL;
  if (!pfile_read_bounded(path, PBC_MAX_FILE, &data, &len, &io)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_IO, "%s", io->message);
    g_error_free(io);
    return NULL;
  }
  GError *inner = NULL;
  PModel *m = pbc_read((const guint8 *)data, len, &inner);
  g_free(data);
  if (!m) {
    g_set_error(error, PERSONA_ERROR, inner->code, "%s: %s", path, inner->message);
    g_error_free(inner);
  }
  return (PersonaModel *)m;
}

gboolean persona_is_bytecode(const guint8 *data, gsize len) { return data && pbc_has_magic(data, len); }

/* ---- diagnostics ----------------------------------------------------------------- */

guint persona_diagnostics_errors(const PersonaDiagnostics *d) { return d ? d->list->n_errors : 0; }
guint persona_diagnostics_warnings(const PersonaDiagnostics *d) { return d ? d->list->n_warnings : 0; }

char *persona_diagnostics_to_text(const PersonaDiagnostics *d, gboolean color) {
  GString *out = g_string_new(NULL);
  if (d) pdiag_render_text(d->list, d->src, out, color);
  return g_string_free(out, FALSE);
}

char *persona_diagnostics_to_json(const PersonaDiagnostics *d) {
  GString *out = g_string_new(NULL);
  if (d) pdiag_render_json(d->list, d->src, out);
  return g_string_free(out, FALSE);
}

void persona_diagnostics_free(PersonaDiagnostics *d) {
  if (!d) return;
  pdiag_free(d->list);
  psrc_free(d->src);
  g_free(d);
}

/* ---- evaluating ---------------------------------------------------------------------- */

PersonaVM *persona_vm_new(PersonaModel *model) {
  g_return_val_if_fail(model, NULL);
  PersonaVM *vm = g_new0(PersonaVM, 1);
  vm->model = persona_model_ref(model);
  pvm_state_init(&vm->st, pm(model));
  const PModel *m = pm(model);
  G_STATIC_ASSERT(POUT_TAG < 3 && POUT_SCORE < 3 && POUT_SEGMENT < 3);
  for (uint32_t kind = 0; kind < G_N_ELEMENTS(vm->outputs_of_kind); kind++) {
    vm->outputs_of_kind[kind] = g_new0(uint32_t, m->n_outputs + 1);
    for (uint32_t k = 0; k < m->n_outputs; k++)
      if (m->outputs[k].kind == kind) vm->outputs_of_kind[kind][vm->n_outputs_of_kind[kind]++] = k;
  }
  /* The model line's `timezone`, until persona_vm_set_input_timezone
   * replaces it (a zone this system does not know: none). */
  const char *tz = pm(model)->input_tz;
  if (tz && *tz) {
    vm->input_tz = ptime_zone_new(tz);
    vm->st.input_tz = vm->input_tz;
  }
  return vm;
}

gboolean persona_vm_set_input_timezone(PersonaVM *vm, const char *zone, GError **error) {
  g_return_val_if_fail(vm != NULL, FALSE);
  GTimeZone *tz = NULL;
  if (zone) {
    tz = ptime_zone_new(zone);
    if (!tz) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID,
                  "unknown time zone '%s' (an IANA name such as Asia/Shanghai or America/New_York)", zone);
      return FALSE;
    }
  }
  if (vm->input_tz) g_time_zone_unref(vm->input_tz);
  vm->input_tz = tz;
  vm->st.input_tz = tz;
  return TRUE;
}

void persona_vm_set_result_options(PersonaVM *vm, guint options) {
  G_STATIC_ASSERT((unsigned)PERSONA_RESULT_MODEL == PRESULT_MODEL);
  G_STATIC_ASSERT((unsigned)PERSONA_RESULT_TAG_LABELS == PRESULT_TAG_LABELS);
  G_STATIC_ASSERT((unsigned)PERSONA_RESULT_NO_OUTPUT == PRESULT_NO_OUTPUT);
  vm->result_options = options & (PRESULT_MODEL | PRESULT_TAG_LABELS);
  vm->st.skip_output = (options & PRESULT_NO_OUTPUT) != 0;
}

void persona_vm_set_budget(PersonaVM *vm, guint64 max_instructions) {
  vm->st.budget = max_instructions;
}

void persona_vm_set_memory_limit(PersonaVM *vm, gsize max_bytes) {
  g_return_if_fail(vm);
  vm->st.arena.limit = max_bytes ? max_bytes : PVM_ARENA_LIMIT;
}

void persona_vm_set_interrupt(PersonaVM *vm, gboolean (*check)(gpointer data), gpointer data) {
  g_return_if_fail(vm);
  vm->st.interrupt = check;
  vm->st.interrupt_data = check ? data : NULL;
}

void persona_vm_free(PersonaVM *vm) {
  if (!vm) return;
  pvm_state_clear(&vm->st);
  papi_rules_free(vm->rules);
  for (guint kind = 0; kind < G_N_ELEMENTS(vm->outputs_of_kind); kind++) g_free(vm->outputs_of_kind[kind]);
  if (vm->input_tz) g_time_zone_unref(vm->input_tz);
  persona_model_unref(vm->model);
  g_free(vm);
}

/* A NULL where data was promised: the caller's mistake, not the record's
 * (PERSONA_EVAL_USAGE_ERROR, code "usage"). */
static PersonaEvalStatus usage_error(PersonaVM *vm, GString *out, guint64 line_no, const char *what) {
  vm->last_ok = false;
  vm->last_key = pv_null();
  g_snprintf(vm->last_error, sizeof vm->last_error, "usage: %s", what);
  vm->last_code = "usage";
  vm->last_field[0] = '\0';
  if (out) presult_write_error(out, vm->last_key, line_no, vm->last_error, vm->last_code, NULL);
  return PERSONA_EVAL_USAGE_ERROR;
}

/* Decodes the profile, reads its state, evaluates; writes the result or
 * the error object. */
static PersonaEvalStatus eval_one(PersonaVM *vm, const char *json, gsize len, const char *state_json,
                                  gsize state_len, gint64 now_us, guint64 line_no, GString *out,
                                  GString *state_out) {
  PVMState *st = &vm->st;
  PDecodeResult dr;
  vm->last_ok = false;
  vm->last_field[0] = '\0';
  if (!json && len > 0) return usage_error(vm, out, line_no, "the record is NULL");
  if (!state_json && state_len > 0) return usage_error(vm, out, line_no, "the state is NULL");
  if (!json) json = "";
  if (!pvm_begin_record(st, json, len, now_us, &dr)) {
    vm->last_key = dr.key;
    g_strlcpy(vm->last_error, dr.error, sizeof vm->last_error);
    vm->last_code = dr.error_code ? dr.error_code : "bad_json";
    g_strlcpy(vm->last_field, dr.error_field, sizeof vm->last_field);
    if (out) presult_write_error(out, dr.key, line_no, dr.error, vm->last_code, vm->last_field);
    return PERSONA_EVAL_RECORD_ERROR;
  }
  return papi_eval_decoded(vm, dr.key, state_json, state_len, line_no, out, state_out);
}

PersonaEvalStatus papi_eval_decoded(PersonaVM *vm, PValue key, const char *state_json, gsize state_len,
                                    guint64 line_no, GString *out, GString *state_out) {
  PVMState *st = &vm->st;
  vm->last_key = key;
  papi_rules_reset(vm);
  bool state_ok = pstate_decode(st, state_json, state_json ? state_len : 0, st->error, sizeof st->error);
  if (!state_ok || !pvm_eval_record(st)) {
    g_strlcpy(vm->last_error, st->error, sizeof vm->last_error);
    vm->last_code = !state_ok ? "bad_state" : st->error_code ? st->error_code : "runtime";
    if (out) presult_write_error(out, key, line_no, st->error, vm->last_code, NULL);
    return PERSONA_EVAL_RECORD_ERROR;
  }
  vm->last_ok = true;
  if (out) presult_write_opts(out, st, key, vm->result_options);
  if (state_out) pstate_encode(st, state_out);
  return PERSONA_EVAL_OK;
}

static PersonaEvalStatus eval_tree(PersonaVM *vm, const PersonaTreeReader *reader, PersonaTreeMembers members,
                                   gpointer ctx, gconstpointer profile, const char *state_json,
                                   gsize state_len, gint64 now_us, const PersonaResult **result) {
  if (!vm || !reader || !result) return PERSONA_EVAL_USAGE_ERROR;
  *result = (const PersonaResult *)vm;
  /* What pvm_begin_record() does before it decodes text. */
  PVMState *st = &vm->st;
  const PModel *m = st->model;
  PDecodeResult dr;
  pa_reset(&st->arena);
  st->now_us = now_us;
  st->error[0] = '\0';
  st->error_code = NULL;
  memset(&dr, 0, sizeof dr);
  vm->last_ok = false;
  vm->last_field[0] = '\0';
  if (!pdec_decode_tree(&m->plans[m->profile_plan], reader, members, &vm->tree_memo, ctx, profile, now_us,
                        vm->input_tz, &st->arena, &dr)) {
    vm->last_key = pv_null();
    g_strlcpy(vm->last_error, "declined: evaluate the text", sizeof vm->last_error);
    vm->last_code = "declined";
    return PERSONA_EVAL_DECLINED;
  }
  st->profile = dr.fields;
  st->key = dr.key;
  pvm_nc_begin(st, dr.next_visible, dr.next_visible_pii);
  return papi_eval_decoded(vm, dr.key, state_json, state_len, 0, NULL, NULL);
}

PersonaEvalStatus persona_vm_eval_tree(PersonaVM *vm, const PersonaTreeReader *reader, gpointer ctx,
                                       gconstpointer profile, const char *state_json, gsize state_len,
                                       gint64 now_us, const PersonaResult **result) {
  return eval_tree(vm, reader, NULL, ctx, profile, state_json, state_len, now_us, result);
}

PersonaEvalStatus persona_vm_eval_tree_walk(PersonaVM *vm, const PersonaTreeReader *reader,
                                            PersonaTreeMembers members, gpointer ctx, gconstpointer profile,
                                            const char *state_json, gsize state_len, gint64 now_us,
                                            const PersonaResult **result) {
  if (!members) return PERSONA_EVAL_USAGE_ERROR;
  return eval_tree(vm, reader, members, ctx, profile, state_json, state_len, now_us, result);
}

PersonaEvalStatus persona_vm_eval(PersonaVM *vm, const char *json, gsize len, const char *state_json,
                                  gsize state_len, gint64 now_us, const PersonaResult **result) {
  if (!vm || !result) return PERSONA_EVAL_USAGE_ERROR;
  *result = (const PersonaResult *)vm;
  return eval_one(vm, json, len, state_json, state_len, now_us, 0, NULL, NULL);
}

PersonaEvalStatus persona_vm_eval_json(PersonaVM *vm, const char *json, gsize len, gint64 now_us,
                                       guint64 line_no, GString *out) {
  if (!vm || !out) return PERSONA_EVAL_USAGE_ERROR;
  return eval_one(vm, json, len, NULL, 0, now_us, line_no, out, NULL);
}

PersonaEvalStatus persona_vm_eval_json_state(PersonaVM *vm, const char *json, gsize len,
                                             const char *state_json, gsize state_len, gint64 now_us,
                                             guint64 line_no, GString *out, GString *state_out) {
  if (!vm || !out) return PERSONA_EVAL_USAGE_ERROR;
  return eval_one(vm, json, len, state_json, state_len, now_us, line_no, out, state_out);
}

PersonaEvalStatus persona_vm_eval_json_store(PersonaVM *vm, const char *json, gsize len,
                                             PersonaStateStore *store, gint64 now_us, guint64 line_no,
                                             GString *out) {
  if (!vm || !out) return PERSONA_EVAL_USAGE_ERROR;
  if (!store) return eval_one(vm, json, len, NULL, 0, now_us, line_no, out, NULL);
  if (!json && len > 0) return usage_error(vm, out, line_no, "the record is NULL");
  if (!json) json = "";
  /* The key is needed before the state can be looked up: decode it first
   * (the decoder fills the key even when the record fails later). */
  PVMState *st = &vm->st;
  PDecodeResult dr;
  if (!pvm_begin_record(st, json, len, now_us, &dr)) {
    presult_write_error(out, dr.key, line_no, dr.error, dr.error_code, dr.error_field);
    return PERSONA_EVAL_RECORD_ERROR;
  }
  g_autoptr(GString) key = g_string_new(NULL);
  if (dr.key.kind == PV_STRING) pjw_string(key, dr.key.u.s, dr.key.len);
  else pjw_int(key, dr.key.u.i);
  const char *old = persona_state_store_get(store, key->str);
  g_autofree char *old_copy = g_strdup(old); /* the store may change below */
  g_autoptr(GString) state = g_string_new(NULL);
  PersonaEvalStatus rc = eval_one(vm, json, len, old_copy, old_copy ? strlen(old_copy) : 0, now_us,
                                  line_no, out, state);
  if (rc == PERSONA_EVAL_OK) persona_state_store_set_at(store, key->str, state->str, now_us);
  return rc;
}

gboolean persona_vm_profile_key(PersonaVM *vm, const char *json, gsize len, GString *key_json) {
  PVMState *st = &vm->st;
  const PModel *m = st->model;
  pa_reset(&st->arena);
  PDecodeResult dr;
  memset(&dr, 0, sizeof dr);
  pdec_decode(&m->plans[m->profile_plan], json, len, INT64_MAX, &st->arena, &dr);
  if (dr.key.kind == PV_STRING) pjw_string(key_json, dr.key.u.s, dr.key.len);
  else if (dr.key.kind == PV_INT) pjw_int(key_json, dr.key.u.i);
  else return FALSE;
  return TRUE;
}

PersonaEvalStatus persona_vm_explain(PersonaVM *vm, const char *json, gsize len, const char *state_json,
                                     gsize state_len, gint64 now_us, guint64 line_no, gboolean as_json,
                                     GString *out) {
  return pexplain_record(&vm->st, json, len, state_json, state_len, now_us, line_no, as_json, out);
}

/* ---- time ---------------------------------------------------------------------------------- */

/* The text of a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * — what a profile's time field accepts as Unix seconds, and nothing more
 * (strtod alone would also take "0x10", "+1", "inf", " 1"). */
static gboolean is_json_number(const char *s) {
  if (*s == '-') s++;
  if (*s == '0') s++;
  else if (g_ascii_isdigit(*s)) while (g_ascii_isdigit(*s)) s++;
  else return FALSE;
  if (*s == '.') {
    if (!g_ascii_isdigit(*++s)) return FALSE;
    while (g_ascii_isdigit(*s)) s++;
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    if (!g_ascii_isdigit(*s)) return FALSE;
    while (g_ascii_isdigit(*s)) s++;
  }
  return *s == '\0';
}

gboolean persona_time_parse(const char *text, gint64 *out_us) {
  g_return_val_if_fail(text && out_us, FALSE);
  size_t len = strlen(text);
  if (ptime_parse(text, len, out_us)) return TRUE;
  /* Unix seconds, written as a JSON number. */
  if (!is_json_number(text)) return FALSE;
  char *end = NULL;
  double secs = g_ascii_strtod(text, &end);
  if (len == 0 || end != text + len) return FALSE;
  return ptime_from_unix_seconds(secs, out_us);
}

gint64 persona_time_now(void) { return g_get_real_time(); }

GBytes *persona_pseudonym_key(GError **error) {
  bool configured;
  const char *why;
  size_t len;
  const void *key = pbuiltin_pseudonym_key(&len, &configured, &why);
  if (key) return g_bytes_new(key, len);
  if (configured) g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "%s", why);
  return NULL;
}

gsize persona_time_format(gint64 us, char buf[PERSONA_TIME_BUF]) {
  G_STATIC_ASSERT(PERSONA_TIME_BUF >= PTIME_BUF);
  return ptime_format(us, buf);
}
