/* bytecode.c - writing and reading .pbc files; see bytecode.h and
 * docs/bytecode.md (the layout, field by field).
 *
 * The writer interns every string into one table (section STRS) and
 * refers to it by index; the reader copies each table string once into
 * the model's constant arena (NUL-terminated, so C-string users are safe)
 * after checking it is valid UTF-8. Counts are checked against the bytes
 * that remain before anything is allocated, so a hostile length field
 * cannot ask for gigabytes. The reader is "sticky": the first problem is
 * remembered, later reads return zeros, and the caller checks once per
 * item.
 */
#include "bytecode.h"
#include "natives.h"

#include <math.h>
#include <string.h>

#include "../include/persona.h"
#include "../stdlib/builtins.h"
#include "json_decode.h"

#define PBC_NONE UINT32_MAX     /* a string reference that is absent */

/* ---- writing --------------------------------------------------------------------- */

typedef struct Writer {
  GByteArray *out;         /* the current section's payload */
  GPtrArray *strings;      /* GString*, in index order */
  GHashTable *string_index; /* GString* -> index + 1 */
} Writer;

static void put_bytes(Writer *w, const void *p, size_t n) { g_byte_array_append(w->out, p, (guint)n); }
static void put_u8(Writer *w, uint8_t v) { put_bytes(w, &v, 1); }

static void put_u16(Writer *w, uint16_t v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  put_bytes(w, b, 2);
}

static void put_u32(Writer *w, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
  put_bytes(w, b, 4);
}

static void put_u64(Writer *w, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  put_bytes(w, b, 8);
}

static void put_i32(Writer *w, int32_t v) { put_u32(w, (uint32_t)v); }

static void put_f64(Writer *w, double d) {
  uint64_t bits;
  memcpy(&bits, &d, sizeof bits);
  put_u64(w, bits);
}

static uint32_t intern(Writer *w, const char *s, size_t len) {
  GString *key = g_string_new_len(s ? s : "", (gssize)len);
  gpointer found = g_hash_table_lookup(w->string_index, key);
  if (found) {
    g_string_free(key, TRUE);
    return GPOINTER_TO_UINT(found) - 1;
  }
  g_ptr_array_add(w->strings, key);
  g_hash_table_insert(w->string_index, key, GUINT_TO_POINTER(w->strings->len));
  return w->strings->len - 1;
}

static void put_loc(Writer *w, const PInsnLoc *l) {
  put_u32(w, l->file);
  put_u32(w, l->line);
  put_u32(w, l->col);
}

static void put_str(Writer *w, const char *s) { put_u32(w, intern(w, s, s ? strlen(s) : 0)); }
static void put_opt_str(Writer *w, const char *s) { put_u32(w, s ? intern(w, s, strlen(s)) : PBC_NONE); }

static void put_value(Writer *w, PValue v) {
  put_u8(w, v.kind);
  switch (v.kind) {
  case PV_NULL: break;
  case PV_BOOL: put_u8(w, v.u.b ? 1 : 0); break;
  case PV_INT:
  case PV_TIME:
  case PV_DURATION: put_u64(w, (uint64_t)v.u.i); break;
  case PV_NUMBER: put_f64(w, v.u.n); break;
  case PV_STRING: put_u32(w, intern(w, v.u.s, v.len)); break;
  case PV_LIST:
  case PV_RECORD:
    put_u32(w, v.len);
    for (uint32_t i = 0; i < v.len; i++) put_value(w, v.u.items[i]);
    break;
  }
}

static void put_type(Writer *w, const PDecodeType *t, const PModel *m) {
  put_u8(w, (uint8_t)t->kind);
  if (t->kind == PDT_LIST) put_type(w, t->elem, m);
  else if (t->kind == PDT_RECORD) put_u32(w, (uint32_t)(t->record - m->plans));
}

/* Format version 4 added two things: the model's input time zone (a
 * string in the meta section) and the pii bits of CALL's x byte. A model
 * that uses neither is written as version 3, byte for byte what earlier
 * releases wrote, so they can still read it. */
static bool pbc_has_pii_calls(const PModel *m) {
  for (uint32_t bi = 0; bi < m->n_blocks; bi++)
    for (uint32_t k = 0; k < m->blocks[bi].n_code; k++)
      if (m->blocks[bi].code[k].op == OP_CALL && m->blocks[bi].code[k].x != 0) return true;
  return false;
}
static bool pbc_needs_v4(const PModel *m) { return (m->input_tz && *m->input_tz) || pbc_has_pii_calls(m); }

/* Format version 5 added segment outputs (kind 2) and `time ms` fields
 * (type kind 8). A model with neither is written as version 4 or 3. */
static bool type_has_time_ms(const PDecodeType *t) {
  for (int depth = 0; t && depth <= PBC_MAX_TYPE_DEPTH; depth++, t = t->kind == PDT_LIST ? t->elem : NULL)
    if (t->kind == PDT_TIME_MS) return true;
  return false;
}
static bool pbc_needs_v5(const PModel *m) {
  for (uint32_t i = 0; i < m->n_outputs; i++)
    if (m->outputs[i].kind == POUT_SEGMENT) return true;
  for (uint32_t p = 0; p < m->n_plans; p++)
    for (uint32_t f = 0; f < m->plans[p].n_fields; f++)
      if (type_has_time_ms(&m->plans[p].fields[f].type)) return true;
  return false;
}
/* Format version 6 added experiments (section EXPS) and the links of
 * journeys to them. A model without experiments is written as 5 or older. */
static bool pbc_needs_v6(const PModel *m) { return m->n_experiments > 0; }
/* Format version 7 added the next_change instructions (NCWIN … NCDCLAMP).
 * A model that reads `now` or decays is written as 7, so that a reader
 * knows its NC instructions are all there; any other (whose only change
 * by time, a future event becoming visible, the decoder reports) as 6 or
 * older. */
static bool pbc_moves_with_time(const PModel *m) {
  for (uint32_t bi = 0; bi < m->n_blocks; bi++)
    for (uint32_t k = 0; k < m->blocks[bi].n_code; k++) {
      uint8_t op = m->blocks[bi].code[k].op;
      if (op == OP_NOW || op == OP_DECAY || op >= OP_NCWIN) return true;
    }
  return false;
}
static uint32_t pbc_write_version(const PModel *m) {
  if (pbc_moves_with_time(m)) return 7u;
  if (pbc_needs_v6(m)) return 6u;
  if (pbc_needs_v5(m)) return 5u;
  return pbc_needs_v4(m) ? 4u : 3u;
}

static void write_meta(Writer *w, const PModel *m) {
  put_str(w, m->name);
  put_str(w, m->version);
  if (pbc_write_version(m) >= 4) put_str(w, m->input_tz ? m->input_tz : ""); /* format version 4 */
  put_u8(w, m->has_source_hash ? 1 : 0);
  put_bytes(w, m->source_hash, 32);
  put_u32(w, m->n_files);
  for (uint32_t i = 0; i < m->n_files; i++) put_str(w, m->file_names[i]);
}

static void write_consts(Writer *w, const PModel *m) {
  put_u32(w, m->n_consts);
  for (uint32_t i = 0; i < m->n_consts; i++) put_value(w, m->consts[i]);
}

static void write_globals(Writer *w, const PModel *m) {
  put_u32(w, m->n_globals);
  for (uint32_t i = 0; i < m->n_globals; i++) put_value(w, m->global_init[i]);
}

static void write_plans(Writer *w, const PModel *m) {
  put_u32(w, m->n_plans);
  put_u32(w, m->profile_plan);
  for (uint32_t i = 0; i < m->n_plans; i++) {
    const PDecodePlan *p = &m->plans[i];
    put_str(w, p->name);
    put_i32(w, p->key_field);
    put_i32(w, p->at_field);
    put_u32(w, p->n_fields);
    for (uint32_t f = 0; f < p->n_fields; f++) {
      const PDecodeField *fd = &p->fields[f];
      put_u32(w, intern(w, fd->name, fd->name_len));
      put_type(w, &fd->type, m);
      put_u8(w, (uint8_t)((fd->optional ? 1 : 0) | (fd->has_default ? 2 : 0) | (fd->pii ? 4 : 0) |
                          (fd->used ? 8 : 0)));
      if (fd->has_default) put_value(w, fd->default_value);
    }
  }
}

static void put_insn(Writer *w, const PInsn *i) {
  put_u8(w, i->op);
  put_u8(w, i->x);
  put_u16(w, i->a);
  POpFormat f = i->op < OP__COUNT ? (POpFormat)popcode_info[i->op].format : PFMT_ABC;
  if (pformat_has_bx(f)) {
    put_u32(w, i->bx);
  } else {
    put_u16(w, i->b);
    put_u16(w, i->c);
  }
}

static void write_blocks(Writer *w, const PModel *m) {
  put_u32(w, m->max_regs);
  put_u32(w, m->n_dsets);
  put_u32(w, m->n_blocks);
  for (uint32_t bi = 0; bi < m->n_blocks; bi++) {
    const PBlock *b = &m->blocks[bi];
    put_str(w, b->name);
    put_u32(w, b->n_regs);
    put_u32(w, b->n_code);
    for (uint32_t pc = 0; pc < b->n_code; pc++) put_insn(w, &b->code[pc]);
    for (uint32_t pc = 0; pc < b->n_code; pc++) put_loc(w, &b->locs[pc]);
  }
}

static void write_units(Writer *w, const PModel *m) {
  put_u32(w, m->n_units);
  for (uint32_t i = 0; i < m->n_units; i++) {
    put_u8(w, (uint8_t)m->units[i].kind);
    put_u32(w, m->units[i].block);
    put_u32(w, m->units[i].slot);
    put_u32(w, m->units[i].lifecycle);
  }
}

/* The key names of an `output { … }` record: present flag, then a list
 * (its element's shape) or a record (names, then each field's shape). */
static void put_shape(Writer *w, const POutShape *sh) {
  put_u8(w, sh ? 1 : 0);
  if (!sh) return;
  put_u8(w, sh->is_list ? 1 : 0);
  if (sh->is_list) {
    put_shape(w, sh->children ? sh->children[0] : NULL);
    return;
  }
  put_u32(w, sh->n_fields);
  for (uint32_t i = 0; i < sh->n_fields; i++) put_str(w, sh->names[i]);
  for (uint32_t i = 0; i < sh->n_fields; i++) put_shape(w, sh->children ? sh->children[i] : NULL);
}

static void write_outputs(Writer *w, const PModel *m) {
  put_u32(w, m->n_outputs);
  for (uint32_t i = 0; i < m->n_outputs; i++) {
    put_u8(w, (uint8_t)m->outputs[i].kind);
    put_str(w, m->outputs[i].name);
    put_opt_str(w, m->outputs[i].label);
    put_u32(w, m->outputs[i].slot);
    put_loc(w, &m->outputs[i].loc);
  }
  put_u32(w, m->output_block);
  put_shape(w, m->output_shape);
}

static void write_lifecycles(Writer *w, const PModel *m) {
  put_u32(w, m->n_lifecycles);
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    const PLifecycleCode *lc = &m->lifecycles[i];
    put_str(w, lc->name);
    put_u32(w, lc->n_stages);
    for (uint32_t s = 0; s < lc->n_stages; s++) put_str(w, lc->stages[s]);
    put_u32(w, lc->initial);
    put_u32(w, lc->slot_stage);
    put_u32(w, lc->slot_entered);
    put_u32(w, lc->n_transitions);
    for (uint32_t t = 0; t < lc->n_transitions; t++) {
      put_i32(w, lc->transitions[t].from);
      put_u32(w, lc->transitions[t].to);
      put_u32(w, lc->transitions[t].block);
      put_loc(w, &lc->transitions[t].loc);
    }
  }
}

static void write_step(Writer *w, const PJStep *s) {
  put_u8(w, s->kind);
  put_loc(w, &s->loc);
  put_str(w, s->id);
  put_opt_str(w, s->channel);
  put_opt_str(w, s->text);
  put_u32(w, s->cond);
  put_u32(w, s->duration);
  put_u32(w, s->next);
  put_u32(w, s->then_step);
  put_u32(w, s->else_step);
  put_u32(w, s->n_arms);
  for (uint32_t a = 0; a < s->n_arms; a++) {
    put_u32(w, s->arm_step[a]);
    put_f64(w, s->arm_weight[a]);
  }
}

/* Format version 6: whether a split follows an experiment's arms. */
static void write_step_experiment(Writer *w, const PJStep *s) {
  put_u8(w, s->by_experiment ? 1 : 0);
  put_u32(w, s->experiment);
}

static void write_journeys(Writer *w, const PModel *m) {
  bool v6 = pbc_write_version(m) >= 6;
  put_u32(w, m->n_journeys);
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    const PJourneyCode *j = &m->journeys[i];
    put_str(w, j->name);
    put_u32(w, j->slot_entered);
    put_u8(w, j->enter_kind);
    put_u32(w, j->enter_lifecycle);
    put_u32(w, j->enter_stage);
    put_u32(w, j->enter_cond);
    put_u32(w, j->exit_cond);
    put_u32(w, j->reenter_after);
    put_u32(w, j->first);
    put_u32(w, j->n_steps);
    for (uint32_t s = 0; s < j->n_steps; s++) {
      write_step(w, &j->steps[s]);
      if (v6) write_step_experiment(w, &j->steps[s]);
    }
    if (!v6) continue;
    put_u32(w, j->n_holdouts);
    for (uint32_t h = 0; h < j->n_holdouts; h++) put_u32(w, j->holdouts[h]);
  }
}

/* Format version 6. The salt is stored: the VM needs it to compute the
 * buckets, and the file is as sensitive as the source it was compiled
 * from (docs/bytecode.md). Its digest (salt_id) is recomputed at load. */
static void write_experiments(Writer *w, const PModel *m) {
  put_u32(w, m->n_experiments);
  for (uint32_t i = 0; i < m->n_experiments; i++) {
    const PExperimentCode *x = &m->experiments[i];
    put_str(w, x->name);
    put_opt_str(w, x->label);
    put_u32(w, intern(w, x->salt, x->salt_len));
    put_u32(w, x->n_arms);
    for (uint32_t a = 0; a < x->n_arms; a++) {
      put_str(w, x->arms[a]);
      put_u32(w, x->arm_buckets[a]);
    }
    put_i32(w, x->holdout);
    put_u32(w, x->control);
    put_u32(w, x->slot_arm);
    put_u32(w, x->slot_assigned);
    put_u32(w, x->metric);
    put_u64(w, (uint64_t)x->window_us);
    put_loc(w, &x->loc);
  }
}

/* A call site names its builtin and the exact signature, so that a file
 * from another persona binds to the same overload or is refused. The
 * regex of a PB_REGEX_ARG1 site is stored as its pattern (aux is the
 * regex that builtins.c compiled) and compiled again at load. */
static void write_calls(Writer *w, const PModel *m) {
  put_u32(w, m->n_calls);
  for (uint32_t i = 0; i < m->n_calls; i++) {
    const PCallSite *cs = &m->calls[i];
    const PBuiltin *b = &pbuiltins[cs->builtin];
    put_str(w, b->name);
    put_u8(w, b->nparams);
    for (uint32_t p = 0; p < b->nparams; p++) put_u8(w, (uint8_t)b->params[p]);
    put_u8(w, (uint8_t)b->ret);
    put_u8(w, b->ret_optional ? 1 : 0);
    put_u32(w, b->flags);
    put_u32(w, cs->nargs);
    put_opt_str(w, cs->aux ? pbuiltin_regex_pattern(cs->aux) : NULL);
  }
}

/* A set's values in slot order, starting after an empty slot: inserting
 * them in that order rebuilds exactly this layout (each value's probe run
 * is re-filled before it), so writing a loaded model again gives the same
 * bytes. */
static void write_sets(Writer *w, const PModel *m) {
  put_u32(w, m->n_sets);
  for (uint32_t i = 0; i < m->n_sets; i++) {
    const PConstSet *s = &m->sets[i];
    put_u32(w, s->count);
    uint32_t start = 0;
    while (start <= s->mask && s->slots[start].kind != PV_NULL) start++;
    for (uint32_t k = 1; k <= s->mask + 1; k++) {
      PValue v = s->slots[(start + k) & s->mask];
      if (v.kind != PV_NULL) put_value(w, v);
    }
  }
}

typedef void (*SectionFn)(Writer *w, const PModel *m);

typedef struct Section {
  char tag[5];
  SectionFn write;
  uint32_t since;  /* the first format version that has it */
} Section;

/* In file order; STRS comes first but is written last (it is complete
 * only when every other section has interned its strings). */
static const Section sections[] = {
    {"META", write_meta, 1},   {"CNST", write_consts, 1},   {"GLOB", write_globals, 1},
    {"PLAN", write_plans, 1},  {"BLKS", write_blocks, 1},   {"UNIT", write_units, 1},
    {"OUTS", write_outputs, 1}, {"LIFE", write_lifecycles, 1}, {"EXPS", write_experiments, 6},
    {"JRNY", write_journeys, 1}, {"CALL", write_calls, 1},  {"SETS", write_sets, 1},
};

static void append_section(GByteArray *file, const char *tag, const GByteArray *payload) {
  g_byte_array_append(file, (const guint8 *)tag, 4);
  uint8_t len[4];
  for (int i = 0; i < 4; i++) len[i] = (uint8_t)(payload->len >> (8 * i));
  g_byte_array_append(file, len, 4);
  g_byte_array_append(file, payload->data, payload->len);
}

GBytes *pbc_write(const PModel *m, GError **error) {
  if (m->n_traces > 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "a model compiled with trace points (for explain or coverage) cannot be "
                "written as bytecode");
    return NULL;
  }
  if (m->n_natives > 0) {
    /* A file would have to name the functions and, for extern fn, load
     * libraries when it is read: not in format version 1. */
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "a model that calls host functions (%s, …) cannot be written as bytecode yet: "
                "load it from source", ((const PNative *)m->natives[0])->name);
    return NULL;
  }
  Writer w = {.strings = g_ptr_array_new(),
              .string_index = g_hash_table_new((GHashFunc)g_string_hash, (GEqualFunc)g_string_equal)};
  uint32_t version = pbc_write_version(m);
  GByteArray *payloads[G_N_ELEMENTS(sections)];
  for (size_t i = 0; i < G_N_ELEMENTS(sections); i++) {
    w.out = payloads[i] = g_byte_array_new();
    if (version >= sections[i].since) sections[i].write(&w, m);
  }
  GByteArray *strs = w.out = g_byte_array_new();
  put_u32(&w, w.strings->len);
  for (guint i = 0; i < w.strings->len; i++) {
    GString *s = g_ptr_array_index(w.strings, i);
    put_u32(&w, (uint32_t)s->len);
    put_bytes(&w, s->str, s->len);
  }

  GByteArray *file = w.out = g_byte_array_new();
  put_bytes(&w, PBC_MAGIC, PBC_MAGIC_LEN);
  put_u32(&w, version);
  put_u32(&w, 0); /* flags */
  put_u64(&w, 0); /* file length, patched below */
  append_section(file, "STRS", strs);
  for (size_t i = 0; i < G_N_ELEMENTS(sections); i++) {
    if (version >= sections[i].since) append_section(file, sections[i].tag, payloads[i]);
    g_byte_array_free(payloads[i], TRUE);
  }
  uint64_t total = (uint64_t)file->len + PBC_TRAILER_LEN;
  for (int i = 0; i < 8; i++) file->data[16 + i] = (uint8_t)(total >> (8 * i));
  GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(ck, file->data, file->len);
  uint8_t digest[32];
  gsize dlen = sizeof digest;
  g_checksum_get_digest(ck, digest, &dlen);
  g_checksum_free(ck);
  g_byte_array_append(file, digest, sizeof digest);

  g_byte_array_free(strs, TRUE);
  g_hash_table_unref(w.string_index);
  for (guint i = 0; i < w.strings->len; i++) g_string_free(g_ptr_array_index(w.strings, i), TRUE);
  g_ptr_array_unref(w.strings);
  return g_byte_array_free_to_bytes(file);
}

/* ---- reading ----------------------------------------------------------------------- */

typedef struct TStr {
  const char *s; /* in the model's constant arena, NUL-terminated */
  uint32_t len;
} TStr;

typedef struct Reader {
  const guint8 *p, *end;
  const char *section;   /* tag of the section being read, for messages */
  PModel *m;
  TStr *strs;
  uint32_t n_strs;
  GString *err;          /* the first problem; NULL while all is well */
  uint32_t version;      /* the file's format version */
} Reader;

static bool rd_fail(Reader *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool rd_fail(Reader *r, const char *fmt, ...) {
  if (r->err) return false;
  va_list ap;
  va_start(ap, fmt);
  r->err = g_string_new(NULL);
  if (r->section) g_string_append_printf(r->err, "section %s: ", r->section);
  g_string_append_vprintf(r->err, fmt, ap);
  va_end(ap);
  r->p = r->end; /* every later read fails quietly */
  return false;
}

static bool rd_need(Reader *r, size_t n) {
  if (r->err) return false;
  if ((size_t)(r->end - r->p) < n) return rd_fail(r, "truncated");
  return true;
}

static uint8_t rd_u8(Reader *r) {
  if (!rd_need(r, 1)) return 0;
  return *r->p++;
}

static uint16_t rd_u16(Reader *r) {
  if (!rd_need(r, 2)) return 0;
  uint16_t v = (uint16_t)(r->p[0] | (r->p[1] << 8));
  r->p += 2;
  return v;
}

static uint32_t rd_u32(Reader *r) {
  if (!rd_need(r, 4)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)r->p[i] << (8 * i);
  r->p += 4;
  return v;
}

static uint64_t rd_u64(Reader *r) {
  if (!rd_need(r, 8)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)r->p[i] << (8 * i);
  r->p += 8;
  return v;
}

static double rd_f64(Reader *r) {
  uint64_t bits = rd_u64(r);
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

/* A count of items that each take at least `min_size` bytes: refused when
 * the bytes left cannot hold them, before anything is allocated. */
static uint32_t rd_count(Reader *r, size_t min_size, const char *what) {
  uint32_t n = rd_u32(r);
  if (r->err) return 0;
  if ((uint64_t)n * min_size > (uint64_t)(r->end - r->p)) {
    rd_fail(r, "%u %s do not fit in the bytes left", n, what);
    return 0;
  }
  return n;
}

static const TStr *rd_tstr(Reader *r, bool optional) {
  uint32_t i = rd_u32(r);
  if (r->err) return NULL;
  if (i == PBC_NONE && optional) return NULL;
  if (i >= r->n_strs) {
    rd_fail(r, "string %u out of range (the table has %u)", i, r->n_strs);
    return NULL;
  }
  return &r->strs[i];
}

/* A C string (g_malloc'ed); "" after an error, so owners stay valid. */
static char *rd_str(Reader *r) {
  const TStr *t = rd_tstr(r, false);
  return g_strdup(t ? t->s : "");
}

static char *rd_opt_str(Reader *r) {
  const TStr *t = rd_tstr(r, true);
  return t ? g_strdup(t->s) : NULL;
}

static bool read_strings(Reader *r) {
  uint32_t n = rd_count(r, 4, "strings");
  r->strs = g_new0(TStr, n ? n : 1);
  for (uint32_t i = 0; i < n && !r->err; i++) {
    uint32_t len = rd_u32(r);
    if (!rd_need(r, len)) break;
    const char *s = (const char *)r->p;
    if (pdec_utf8_check(s, len) != len) return rd_fail(r, "string %u is not valid UTF-8", i);
    r->strs[i].s = pa_strndup(&r->m->const_arena, s, len);
    if (!r->strs[i].s) return rd_fail(r, "out of memory");
    r->strs[i].len = len;
    r->p += len;
    r->n_strs = i + 1;
  }
  return !r->err;
}

static PValue rd_value(Reader *r, int depth) {
  uint8_t kind = rd_u8(r);
  if (r->err) return pv_null();
  switch (kind) {
  case PV_NULL: return pv_null();
  case PV_BOOL: {
    uint8_t b = rd_u8(r);
    if (b > 1) rd_fail(r, "a bool is %u", b);
    return pv_bool(b == 1);
  }
  case PV_INT: return pv_int((int64_t)rd_u64(r));
  case PV_TIME: return pv_time((int64_t)rd_u64(r));
  case PV_DURATION: return pv_duration((int64_t)rd_u64(r));
  case PV_NUMBER: {
    double d = rd_f64(r);
    /* NaN and infinities have no JSON form; the compiler never makes them. */
    if (!isfinite(d)) rd_fail(r, "a number constant is not finite");
    return pv_number(d);
  }
  case PV_STRING: {
    const TStr *t = rd_tstr(r, false);
    return t ? pv_string(t->s, t->len) : pv_null();
  }
  case PV_LIST:
  case PV_RECORD: {
    if (depth >= PBC_MAX_VALUE_DEPTH) {
      rd_fail(r, "constants nested deeper than %d", PBC_MAX_VALUE_DEPTH);
      return pv_null();
    }
    uint32_t n = rd_count(r, 1, "elements");
    PValue *items = pa_alloc(&r->m->const_arena, sizeof(PValue) * (n ? n : 1));
    if (!items) {
      rd_fail(r, "out of memory");
      return pv_null();
    }
    for (uint32_t i = 0; i < n; i++) items[i] = rd_value(r, depth + 1);
    if (r->err) return pv_null();
    return kind == PV_LIST ? pv_list(items, n) : pv_record(items, n);
  }
  default: rd_fail(r, "unknown value kind %u", kind); return pv_null();
  }
}

static void read_meta(Reader *r) {
  PModel *m = r->m;
  m->name = rd_str(r);
  m->version = rd_str(r);
  m->input_tz = r->version >= 4 ? rd_str(r) : g_strdup("");
  uint8_t has_hash = rd_u8(r);
  if (has_hash > 1) rd_fail(r, "bad source hash flag %u", has_hash);
  m->has_source_hash = has_hash == 1;
  if (rd_need(r, 32)) {
    memcpy(m->source_hash, r->p, 32);
    r->p += 32;
  }
  uint32_t n = rd_count(r, 4, "file names");
  m->file_names = g_new0(char *, n + 1);
  m->n_files = n;
  for (uint32_t i = 0; i < n; i++) m->file_names[i] = rd_str(r);
}

static void read_consts(Reader *r) {
  uint32_t n = rd_count(r, 1, "constants");
  r->m->consts = g_new0(PValue, n ? n : 1);
  r->m->n_consts = n;
  for (uint32_t i = 0; i < n && !r->err; i++) r->m->consts[i] = rd_value(r, 0);
}

static void read_globals(Reader *r) {
  uint32_t n = rd_count(r, 1, "globals");
  r->m->global_init = g_new0(PValue, n + 1);
  r->m->n_globals = n;
  for (uint32_t i = 0; i < n && !r->err; i++) r->m->global_init[i] = rd_value(r, 0);
}

static void rd_type(Reader *r, PDecodeType *t, int depth) {
  uint8_t kind = rd_u8(r);
  if (r->err) return;
  if (kind > PDT_TIME_MS || (kind == PDT_TIME_MS && r->version < 5)) {
    rd_fail(r, "unknown field type %u", kind);
    return;
  }
  t->kind = (PDecodeKind)kind;
  if (kind == PDT_LIST) {
    if (depth >= PBC_MAX_TYPE_DEPTH) {
      rd_fail(r, "list types nested deeper than %d", PBC_MAX_TYPE_DEPTH);
      return;
    }
    PDecodeType *elem = pa_alloc(&r->m->const_arena, sizeof *elem);
    if (!elem) {
      rd_fail(r, "out of memory");
      return;
    }
    memset(elem, 0, sizeof *elem);
    rd_type(r, elem, depth + 1);
    t->elem = elem;
  } else if (kind == PDT_RECORD) {
    uint32_t plan = rd_u32(r);
    if (!r->err && plan >= r->m->n_plans) {
      rd_fail(r, "record type %u out of range (%u plans)", plan, r->m->n_plans);
      return;
    }
    t->record = &r->m->plans[plan];
  }
}

static void read_field(Reader *r, PDecodeField *f) {
  const TStr *name = rd_tstr(r, false);
  if (name) {
    f->name = name->s;
    f->name_len = name->len;
  } else {
    f->name = "";
  }
  rd_type(r, &f->type, 0);
  uint8_t flags = rd_u8(r);
  if (flags > 15) rd_fail(r, "unknown field flags 0x%x", flags);
  f->optional = flags & 1;
  f->has_default = flags & 2;
  f->pii = flags & 4;
  f->used = flags & 8;
  if (f->has_default) f->default_value = rd_value(r, 0);
}

static void read_plans(Reader *r) {
  PModel *m = r->m;
  uint32_t n = rd_count(r, 16, "decode plans");
  m->plans = g_new0(PDecodePlan, n ? n : 1);
  m->n_plans = n;
  m->profile_plan = rd_u32(r);
  for (uint32_t i = 0; i < n && !r->err; i++) {
    PDecodePlan *p = &m->plans[i];
    const TStr *name = rd_tstr(r, false);
    p->name = name ? name->s : "";
    p->key_field = (int32_t)rd_u32(r);
    p->at_field = (int32_t)rd_u32(r);
    uint32_t nf = rd_count(r, 6, "fields");
    p->fields = pa_alloc(&m->const_arena, sizeof(PDecodeField) * (nf ? nf : 1));
    if (!p->fields) {
      rd_fail(r, "out of memory");
      return;
    }
    memset(p->fields, 0, sizeof(PDecodeField) * (nf ? nf : 1));
    p->n_fields = nf;
    for (uint32_t f = 0; f < nf && !r->err; f++) read_field(r, &p->fields[f]);
  }
}

static PInsnLoc rd_loc(Reader *r) {
  PInsnLoc l;
  l.file = rd_u32(r);
  l.line = rd_u32(r);
  l.col = rd_u32(r);
  return l;
}

static PInsn rd_insn(Reader *r) {
  PInsn i;
  memset(&i, 0, sizeof i);
  i.op = rd_u8(r);
  if ((r->version < 2 && (i.op == OP_JNESK || i.op == OP_JLTI)) || (r->version < 3 && i.op == OP_UNPACK) ||
      (r->version < 7 && i.op >= OP_NCWIN))
    rd_fail(r, "opcode %u is not in format version %u", i.op, r->version);
  i.x = rd_u8(r);
  if (r->version < 4 && i.op == OP_CALL && i.x != 0)
    rd_fail(r, "CALL with pii arguments (x = %u) is not in format version %u", i.x, r->version);
  i.a = rd_u16(r);
  POpFormat f = i.op < OP__COUNT ? (POpFormat)popcode_info[i.op].format : PFMT_ABC;
  if (pformat_has_bx(f)) {
    i.bx = rd_u32(r);
  } else {
    i.b = rd_u16(r);
    i.c = rd_u16(r);
  }
  return i;
}

static void read_blocks(Reader *r) {
  PModel *m = r->m;
  m->max_regs = rd_u32(r);
  m->n_dsets = rd_u32(r);
  uint32_t n = rd_count(r, 12, "blocks");
  m->blocks = g_new0(PBlock, n ? n : 1);
  m->n_blocks = n;
  for (uint32_t bi = 0; bi < n && !r->err; bi++) {
    PBlock *b = &m->blocks[bi];
    b->name = rd_str(r);
    b->n_regs = rd_u32(r);
    uint32_t nc = rd_count(r, 8 + 12, "instructions");
    b->code = g_new0(PInsn, nc ? nc : 1);
    b->locs = g_new0(PInsnLoc, nc ? nc : 1);
    b->n_code = nc;
    for (uint32_t pc = 0; pc < nc; pc++) b->code[pc] = rd_insn(r);
    for (uint32_t pc = 0; pc < nc; pc++) b->locs[pc] = rd_loc(r);
  }
}

static void read_units(Reader *r) {
  PModel *m = r->m;
  uint32_t n = rd_count(r, 13, "units");
  m->units = g_new0(PUnit, n ? n : 1);
  m->n_units = n;
  for (uint32_t i = 0; i < n && !r->err; i++) {
    uint8_t kind = rd_u8(r);
    if (kind > PUNIT_LIFECYCLE) rd_fail(r, "unit %u: unknown kind %u", i, kind);
    m->units[i].kind = (PUnitKind)kind;
    m->units[i].block = rd_u32(r);
    m->units[i].slot = rd_u32(r);
    m->units[i].lifecycle = rd_u32(r);
  }
}

#define PBC_MAX_SHAPE_DEPTH 32

static POutShape *rd_shape(Reader *r, int depth) {
  uint8_t present = rd_u8(r);
  if (r->err || present == 0) return NULL;
  if (present > 1 || depth >= PBC_MAX_SHAPE_DEPTH) {
    rd_fail(r, "bad output shape");
    return NULL;
  }
  POutShape *sh = g_new0(POutShape, 1);
  uint8_t is_list = rd_u8(r);
  if (is_list > 1) rd_fail(r, "bad output shape");
  sh->is_list = is_list == 1;
  if (sh->is_list) {
    sh->children = g_new0(POutShape *, 1);
    sh->children[0] = rd_shape(r, depth + 1);
    return sh;
  }
  uint32_t n = rd_count(r, 5, "output fields");
  sh->names = g_new0(char *, n + 1);
  sh->children = g_new0(POutShape *, n + 1);
  sh->n_fields = n;
  for (uint32_t i = 0; i < n; i++) sh->names[i] = rd_str(r);
  for (uint32_t i = 0; i < n && !r->err; i++) sh->children[i] = rd_shape(r, depth + 1);
  return sh;
}

static void read_outputs(Reader *r) {
  PModel *m = r->m;
  uint32_t n = rd_count(r, 25, "outputs");
  m->outputs = g_new0(POutput, n ? n : 1);
  m->n_outputs = n;
  for (uint32_t i = 0; i < n && !r->err; i++) {
    uint8_t kind = rd_u8(r);
    if (kind > POUT_SEGMENT || (kind == POUT_SEGMENT && r->version < 5))
      rd_fail(r, "output %u: unknown kind %u", i, kind);
    m->outputs[i].kind = (POutputKind)kind;
    m->outputs[i].name = rd_str(r);
    m->outputs[i].label = rd_opt_str(r);
    m->outputs[i].slot = rd_u32(r);
    m->outputs[i].loc = rd_loc(r);
  }
  m->output_block = rd_u32(r);
  m->output_shape = rd_shape(r, 0);
}

static void read_lifecycles(Reader *r) {
  PModel *m = r->m;
  uint32_t n = rd_count(r, 24, "lifecycles");
  m->lifecycles = g_new0(PLifecycleCode, n ? n : 1);
  m->n_lifecycles = n;
  for (uint32_t i = 0; i < n && !r->err; i++) {
    PLifecycleCode *lc = &m->lifecycles[i];
    lc->name = rd_str(r);
    uint32_t ns = rd_count(r, 4, "stages");
    lc->stages = g_new0(char *, ns + 1);
    lc->n_stages = ns;
    for (uint32_t s = 0; s < ns; s++) lc->stages[s] = rd_str(r);
    lc->initial = rd_u32(r);
    lc->slot_stage = rd_u32(r);
    lc->slot_entered = rd_u32(r);
    uint32_t nt = rd_count(r, 24, "transitions");
    lc->transitions = g_new0(PTransitionCode, nt ? nt : 1);
    lc->n_transitions = nt;
    for (uint32_t t = 0; t < nt; t++) {
      lc->transitions[t].from = (int32_t)rd_u32(r);
      lc->transitions[t].to = rd_u32(r);
      lc->transitions[t].block = rd_u32(r);
      lc->transitions[t].loc = rd_loc(r);
    }
  }
}

static void read_step(Reader *r, PJStep *s) {
  s->kind = rd_u8(r);
  if (s->kind > PJS_BLOCK) rd_fail(r, "unknown step kind %u", s->kind);
  s->loc = rd_loc(r);
  s->id = rd_str(r);
  s->channel = rd_opt_str(r);
  s->text = rd_opt_str(r);
  s->cond = rd_u32(r);
  s->duration = rd_u32(r);
  s->next = rd_u32(r);
  s->then_step = rd_u32(r);
  s->else_step = rd_u32(r);
  uint32_t na = rd_count(r, 12, "split arms");
  s->arm_step = g_new0(uint32_t, na ? na : 1);
  s->arm_weight = g_new0(double, na ? na : 1);
  s->n_arms = na;
  for (uint32_t a = 0; a < na; a++) {
    s->arm_step[a] = rd_u32(r);
    s->arm_weight[a] = rd_f64(r);
  }
}

static void read_step_experiment(Reader *r, PJStep *s) {
  uint8_t by = rd_u8(r);
  if (by > 1) rd_fail(r, "bad experiment flag %u", by);
  s->by_experiment = by == 1;
  s->experiment = rd_u32(r);
}

static void read_journeys(Reader *r) {
  PModel *m = r->m;
  uint32_t n = rd_count(r, 37, "journeys");
  m->journeys = g_new0(PJourneyCode, n ? n : 1);
  m->n_journeys = n;
  for (uint32_t i = 0; i < n && !r->err; i++) {
    PJourneyCode *j = &m->journeys[i];
    j->name = rd_str(r);
    j->slot_entered = rd_u32(r);
    j->enter_kind = rd_u8(r);
    j->enter_lifecycle = rd_u32(r);
    j->enter_stage = rd_u32(r);
    j->enter_cond = rd_u32(r);
    j->exit_cond = rd_u32(r);
    j->reenter_after = rd_u32(r);
    j->first = rd_u32(r);
    uint32_t ns = rd_count(r, 49, "steps");
    j->steps = g_new0(PJStep, ns ? ns : 1);
    j->n_steps = ns;
    for (uint32_t s = 0; s < ns && !r->err; s++) {
      read_step(r, &j->steps[s]);
      if (r->version >= 6) read_step_experiment(r, &j->steps[s]);
    }
    uint32_t nh = r->version >= 6 ? rd_count(r, 4, "holdouts") : 0;
    j->holdouts = g_new0(uint32_t, nh ? nh : 1);
    j->n_holdouts = nh;
    for (uint32_t h = 0; h < nh; h++) j->holdouts[h] = rd_u32(r);
  }
}

static void read_experiment(Reader *r, PExperimentCode *x) {
  x->name = rd_str(r);
  x->label = rd_opt_str(r);
  const TStr *salt = rd_tstr(r, false);
  x->salt = salt ? g_strndup(salt->s, salt->len) : g_strdup("");
  x->salt_len = salt ? salt->len : 0;
  g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)x->salt, x->salt_len);
  g_strlcpy(x->salt_id, hex, sizeof x->salt_id);
  uint32_t na = rd_count(r, 8, "experiment arms");
  x->arms = g_new0(char *, na + 1);
  x->arm_buckets = g_new0(uint32_t, na ? na : 1);
  x->n_arms = na;
  for (uint32_t a = 0; a < na; a++) {
    x->arms[a] = rd_str(r);
    x->arm_buckets[a] = rd_u32(r);
  }
  x->holdout = (int32_t)rd_u32(r);
  x->control = rd_u32(r);
  x->slot_arm = rd_u32(r);
  x->slot_assigned = rd_u32(r);
  x->metric = rd_u32(r);
  x->window_us = (int64_t)rd_u64(r);
  x->loc = rd_loc(r);
}

static void read_experiments(Reader *r) {
  PModel *m = r->m;
  uint32_t n = rd_count(r, 56, "experiments");
  m->experiments = g_new0(PExperimentCode, n ? n : 1);
  m->n_experiments = n;
  for (uint32_t i = 0; i < n && !r->err; i++) read_experiment(r, &m->experiments[i]);
}

/* The builtin with this name and exactly this signature, or -1. */
static int find_builtin(const char *name, uint8_t nparams, const uint8_t *params, uint8_t ret,
                        bool ret_optional, uint32_t flags) {
  for (uint32_t i = 0; i < pbuiltins_count; i++) {
    const PBuiltin *b = &pbuiltins[i];
    if (strcmp(b->name, name) != 0 || b->nparams != nparams || (uint8_t)b->ret != ret ||
        b->ret_optional != ret_optional || b->flags != flags)
      continue;
    bool same = true;
    for (uint32_t p = 0; p < nparams; p++) same = same && (uint8_t)b->params[p] == params[p];
    if (same) return (int)i;
  }
  return -1;
}

static void read_call(Reader *r, uint32_t index, PCallSite *cs) {
  const TStr *name = rd_tstr(r, false);
  uint8_t nparams = rd_u8(r);
  uint8_t params[PB_MAX_PARAMS] = {0};
  if (nparams > PB_MAX_PARAMS) rd_fail(r, "call site %u: %u parameters", index, nparams);
  for (uint32_t p = 0; p < nparams && !r->err; p++) params[p] = rd_u8(r);
  uint8_t ret = rd_u8(r);
  uint8_t ret_optional = rd_u8(r);
  uint32_t flags = rd_u32(r);
  cs->nargs = rd_u32(r);
  const TStr *pattern = rd_tstr(r, true);
  if (r->err) return;
  int bi = find_builtin(name->s, nparams, params, ret, ret_optional == 1, flags);
  if (bi < 0) {
    rd_fail(r, "call site %u: function %s/%u with this signature is not in this persona's "
               "standard library", index, name->s, nparams);
    return;
  }
  cs->builtin = (uint32_t)bi;
  const PBuiltin *b = &pbuiltins[bi];
  if (cs->nargs > UINT16_MAX + 1u || cs->nargs < b->nparams ||
      (cs->nargs != b->nparams && !(b->flags & PB_VARIADIC))) {
    rd_fail(r, "call site %u: %u arguments for %s/%u", index, cs->nargs, b->name, b->nparams);
    return;
  }
  if (pattern && !(b->flags & PB_REGEX_ARG1)) {
    rd_fail(r, "call site %u: %s takes no regular expression", index, b->name);
    return;
  }
  if (pattern) {
    char *msg = NULL;
    cs->aux = pbuiltin_regex_compile(pattern->s, pattern->len, &msg);
    if (!cs->aux) rd_fail(r, "call site %u: %s", index, msg);
    g_free(msg);
  }
}

static void read_calls(Reader *r) {
  PModel *m = r->m;
  uint32_t n = rd_count(r, 19, "call sites");
  m->calls = g_new0(PCallSite, n ? n : 1);
  m->n_calls = n;
  for (uint32_t i = 0; i < n && !r->err; i++) read_call(r, i, &m->calls[i]);
}

/* Sets are rebuilt from their values: the hash layout is this binary's. */
static void read_sets(Reader *r) {
  PModel *m = r->m;
  uint32_t n = rd_count(r, 4, "constant sets");
  m->sets = g_new0(PConstSet, n ? n : 1);
  m->n_sets = n;
  for (uint32_t i = 0; i < n && !r->err; i++) {
    uint32_t count = rd_count(r, 2, "set values");
    if (r->err || count > (UINT32_MAX >> 3)) return;
    PValue *values = g_new0(PValue, count ? count : 1);
    for (uint32_t k = 0; k < count && !r->err; k++) {
      values[k] = rd_value(r, 0);
      uint8_t kind = values[k].kind;
      if (!r->err && (kind == PV_NULL || kind == PV_LIST || kind == PV_RECORD))
        rd_fail(r, "set %u holds a value that is not a scalar", i);
    }
    if (!r->err) pconstset_init(&m->sets[i], values, count);
    g_free(values);
  }
}

typedef void (*ReadFn)(Reader *r);

static const struct {
  char tag[5];
  ReadFn read;
  uint32_t since;  /* the first format version that has it */
} readers[] = {
    {"META", read_meta, 1},   {"CNST", read_consts, 1},   {"GLOB", read_globals, 1},
    {"PLAN", read_plans, 1},  {"BLKS", read_blocks, 1},   {"UNIT", read_units, 1},
    {"OUTS", read_outputs, 1}, {"LIFE", read_lifecycles, 1}, {"EXPS", read_experiments, 6},
    {"JRNY", read_journeys, 1}, {"CALL", read_calls, 1},  {"SETS", read_sets, 1},
};

/* Reads one section: its tag must be `tag`, and its payload must be read
 * to the last byte. */
static bool read_section(Reader *r, const char *tag, ReadFn fn, bool strings) {
  r->section = NULL;
  if (!rd_need(r, 8)) return rd_fail(r, "truncated before section %s", tag);
  if (memcmp(r->p, tag, 4) != 0) return rd_fail(r, "expected section %s", tag);
  r->p += 4;
  r->section = tag;
  uint32_t len = rd_u32(r);
  if (!rd_need(r, len)) return false;
  const guint8 *end = r->end;
  r->end = r->p + len;
  if (strings) read_strings(r);
  else fn(r);
  if (!r->err && r->p != r->end) rd_fail(r, "%td bytes left over", r->end - r->p);
  r->end = end;
  return !r->err;
}

static bool check_header(const guint8 *data, gsize len, uint32_t *version_out, GError **error) {
  if (!pbc_has_magic(data, len)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "not a Persona bytecode file (bad magic number)");
    return false;
  }
  if (len < PBC_HEADER_LEN + PBC_TRAILER_LEN) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "truncated file (%" G_GSIZE_FORMAT " bytes)", len);
    return false;
  }
  Reader r = {.p = data + PBC_MAGIC_LEN, .end = data + len};
  uint32_t version = rd_u32(&r), flags = rd_u32(&r);
  uint64_t total = rd_u64(&r);
  if (version > PBC_VERSION) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "bytecode format version %u is newer than this persona supports (%u): "
                "recompile the model with this persona",
                version, PBC_VERSION);
    return false;
  }
  if (version == 0 || flags != 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "unknown bytecode format (version %u, flags 0x%x)", version, flags);
    return false;
  }
  if (total != len) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "%s file: %" G_GSIZE_FORMAT " bytes where the header says %" G_GUINT64_FORMAT,
                total > len ? "truncated" : "damaged", len, total);
    return false;
  }
  GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(ck, data, len - PBC_TRAILER_LEN);
  uint8_t digest[32];
  gsize dlen = sizeof digest;
  g_checksum_get_digest(ck, digest, &dlen);
  g_checksum_free(ck);
  if (memcmp(digest, data + len - PBC_TRAILER_LEN, 32) != 0) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE,
                "checksum mismatch: the file is damaged");
    return false;
  }
  *version_out = version;
  return true;
}

bool pbc_has_magic(const guint8 *data, gsize len) {
  return len >= PBC_MAGIC_LEN && memcmp(data, PBC_MAGIC, PBC_MAGIC_LEN) == 0;
}

PModel *pbc_read(const guint8 *data, gsize len, GError **error) {
  if (len > PBC_MAX_FILE) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE, "file larger than %" G_GSIZE_FORMAT " MiB",
                PBC_MAX_FILE >> 20);
    return NULL;
  }
  uint32_t version;
  if (!check_header(data, len, &version, error)) return NULL;
  Reader r = {.p = data + PBC_HEADER_LEN, .end = data + len - PBC_TRAILER_LEN, .version = version};
  r.m = pmodel_new();
  read_section(&r, "STRS", NULL, true);
  for (size_t i = 0; i < G_N_ELEMENTS(readers) && !r.err; i++)
    if (version >= readers[i].since) read_section(&r, readers[i].tag, readers[i].read, false);
  if (!r.err && r.p != r.end) rd_fail(&r, "%td bytes after the last section", r.end - r.p);
  g_free(r.strs);
  if (r.err) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_BYTECODE, "%s", r.err->str);
    g_string_free(r.err, TRUE);
    pmodel_unref(r.m);
    return NULL;
  }
  if (!pbc_verify(r.m, error)) {
    pmodel_unref(r.m);
    return NULL;
  }
  r.m->tracks_change = version >= 7 || !pbc_moves_with_time(r.m);
  pmodel_finish(r.m);
  return r.m;
}

void pbc_hash_hex(const uint8_t hash[32], char out[65]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[hash[i] >> 4];
    out[2 * i + 1] = hex[hash[i] & 15];
  }
  out[64] = '\0';
}
