/* model.c - compiled models: lifetime, constant sets, the listing. */
#include "model.h"

#include <math.h>
#include <string.h>

#include <dlfcn.h>

#include "../stdlib/builtins.h"
#include "natives.h"
#include "json_write.h"

#define PERSONA_OP_NAME(name, fmt, syn) #name,
const char *const popcode_names[OP__COUNT] = {PERSONA_OPCODES(PERSONA_OP_NAME)};
#undef PERSONA_OP_NAME
#define PERSONA_OP_FMT(name, fmt, syn) PFMT_##fmt,
const POpFormat popcode_formats[OP__COUNT] = {PERSONA_OPCODES(PERSONA_OP_FMT)};
#undef PERSONA_OP_FMT
#define PERSONA_OP_SYN(name, fmt, syn) syn,
const char *const popcode_synopsis[OP__COUNT] = {PERSONA_OPCODES(PERSONA_OP_SYN)};
#undef PERSONA_OP_SYN

void pexplain_cond_clear(PExplainCond *c) {
  g_free(c->text);
  g_free(c->operand_block);
  g_free(c->operand_pii);
  g_strfreev(c->operand_text);
  memset(c, 0, sizeof *c);
}

static GString *json_text(const char *name) {
  GString *s = g_string_new(NULL);
  pjw_cstring(s, name ? name : ""); /* NULL only in a model whose reading failed */
  return s;
}

static void shape_finish(POutShape *s) {
  if (!s) return;
  if (s->is_list) {
    shape_finish(s->children[0]);
    return;
  }
  s->keys = g_new0(GString *, s->n_fields + 1);
  for (uint32_t i = 0; i < s->n_fields; i++) {
    s->keys[i] = json_text(s->names[i]);
    g_string_append_c(s->keys[i], ':'); /* always written before its value */
    shape_finish(s->children[i]);
  }
}

void pmodel_finish(PModel *m) {
  for (uint32_t i = 0; i < m->n_plans; i++) pdec_plan_prepare(&m->plans[i]);
  for (uint32_t i = 0; i < m->n_outputs; i++) m->outputs[i].json_name = json_text(m->outputs[i].name);
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    PLifecycleCode *lc = &m->lifecycles[i];
    lc->json_name = json_text(lc->name);
    lc->json_stages = g_new0(GString *, lc->n_stages + 1);
    for (uint32_t s = 0; s < lc->n_stages; s++) lc->json_stages[s] = json_text(lc->stages[s]);
  }
  shape_finish(m->output_shape);
}

static void free_texts(GString **texts, uint32_t n) {
  for (uint32_t i = 0; texts && i < n; i++)
    if (texts[i]) g_string_free(texts[i], TRUE);
  g_free(texts);
}

void poutshape_free(POutShape *s) {
  if (!s) return;
  free_texts(s->keys, s->n_fields);
  for (uint32_t i = 0; s->children && i < s->n_fields; i++) poutshape_free(s->children[i]);
  if (s->is_list && s->children) poutshape_free(s->children[0]);
  g_free(s->children);
  g_strfreev(s->names);
  g_free(s);
}

static void output_clear(POutput *o) {
  g_free(o->name);
  if (o->json_name) g_string_free(o->json_name, TRUE);
  g_free(o->label);
  g_free(o->header);
  pexplain_cond_clear(&o->why);
  for (uint32_t r = 0; r < o->n_rules; r++) {
    g_free(o->rules[r].text);
    pexplain_cond_clear(&o->rules[r].cond);
  }
  g_free(o->rules);
}

void pmodel_remove_output(PModel *m, uint32_t i) {
  if (i >= m->n_outputs) return;
  output_clear(&m->outputs[i]);
  memmove(&m->outputs[i], &m->outputs[i + 1], (m->n_outputs - i - 1) * sizeof m->outputs[0]);
  m->n_outputs--;
}

PModel *pmodel_new(void) {
  PModel *m = g_new0(PModel, 1);
  m->refcount = 1;
  m->output_block = PJ_NO_BLOCK;
  pa_init(&m->const_arena, 0);
  return m;
}

PModel *pmodel_ref(PModel *m) {
  g_atomic_int_inc(&m->refcount);
  return m;
}

static void pmodel_free_tables(PModel *m) {
  for (uint32_t i = 0; i < m->n_blocks; i++) {
    g_free(m->blocks[i].name);
    g_free(m->blocks[i].code);
    g_free(m->blocks[i].locs);
  }
  g_free(m->blocks);
  for (uint32_t i = 0; i < m->n_lifecycles; i++) {
    PLifecycleCode *lc = &m->lifecycles[i];
    g_free(lc->name);
    g_strfreev(lc->stages);
    if (lc->json_name) g_string_free(lc->json_name, TRUE);
    free_texts(lc->json_stages, lc->n_stages);
    for (uint32_t t = 0; t < lc->n_transitions; t++) pexplain_cond_clear(&lc->transitions[t].why);
    g_free(lc->transitions);
  }
  g_free(m->lifecycles);
  for (uint32_t i = 0; i < m->n_journeys; i++) {
    PJourneyCode *j = &m->journeys[i];
    for (uint32_t k = 0; k < j->n_steps; k++) {
      g_free(j->steps[k].id);
      g_free(j->steps[k].channel);
      g_free(j->steps[k].text);
      g_free(j->steps[k].arm_step);
      g_free(j->steps[k].arm_weight);
    }
    g_free(j->steps);
    g_free(j->name);
  }
  g_free(m->journeys);
  for (uint32_t i = 0; i < m->n_tests; i++) {
    PTestCode *t = &m->tests[i];
    for (uint32_t k = 0; k < t->n_steps; k++) {
      PTestStepCode *ts = &t->steps[k];
      g_free(ts->text);
      g_free(ts->profile_json);
      pexplain_cond_clear(&ts->why);
      g_free(ts->action_kind);
      g_strfreev(ts->args);
    }
    g_free(t->steps);
    g_free(t->name);
  }
  g_free(m->tests);
  g_free(m->traces);
  poutshape_free(m->output_shape);
  for (uint32_t i = 0; i < m->n_outputs; i++) output_clear(&m->outputs[i]);
  g_free(m->outputs);
  for (uint32_t i = 0; i < m->n_calls; i++)
    if (m->calls[i].aux) pbuiltin_regex_free(m->calls[i].aux);
  g_free(m->calls);
  for (uint32_t i = 0; i < m->n_natives; i++) pnative_free(m->natives[i]);
  g_free(m->natives);
  for (uint32_t i = 0; i < m->n_dl_handles; i++) dlclose(m->dl_handles[i]);
  g_free(m->dl_handles);
  for (uint32_t i = 0; i < m->n_sets; i++) g_free(m->sets[i].slots);
  g_free(m->sets);
  for (uint32_t i = 0; i < m->n_plans; i++) pdec_plan_release(&m->plans[i]);
  g_free(m->plans);
}

void pmodel_unref(PModel *m) {
  if (!m || !g_atomic_int_dec_and_test(&m->refcount)) return;
  pmodel_free_tables(m);
  g_free(m->consts);
  g_free(m->units);
  g_free(m->global_init);
  g_strfreev(m->file_names);
  g_strfreev(m->profile_field_names);
  g_free(m->name);
  g_free(m->version);
  pa_free(&m->const_arena);
  g_free(m);
}

/* ---- values: equality and hashing ------------------------------------------- */

/* Lists nest only as deep as an expression does (the parser bounds that);
 * a hostile bytecode file could nest them in a loop, so the recursion is
 * bounded too: deeper values compare unequal instead of overflowing the
 * stack. */
#define PVALUE_MAX_DEPTH 1000

static bool value_equal(PValue a, PValue b, int depth) {
  if (a.kind == PV_NULL || b.kind == PV_NULL) return a.kind == b.kind;
  if (a.kind == PV_INT && b.kind == PV_NUMBER) return (double)a.u.i == b.u.n;
  if (a.kind == PV_NUMBER && b.kind == PV_INT) return a.u.n == (double)b.u.i;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
  case PV_BOOL: return a.u.b == b.u.b;
  case PV_NUMBER: return a.u.n == b.u.n;
  case PV_STRING: return a.len == b.len && pv_bytes_equal(a.u.s, b.u.s, a.len);
  case PV_LIST:
  case PV_RECORD:
    if (a.len != b.len || depth >= PVALUE_MAX_DEPTH) return false;
    for (uint32_t i = 0; i < a.len; i++)
      if (!value_equal(a.u.items[i], b.u.items[i], depth + 1)) return false;
    return true;
  default: return a.u.i == b.u.i;
  }
}

bool pvalue_equal(PValue a, PValue b) { return value_equal(a, b, 0); }

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= UINT64_C(0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return x;
}

uint64_t pvalue_hash(PValue v) {
  switch (v.kind) {
  case PV_STRING: {
    /* FNV-1a: the keys are short (regions, titles, event types). */
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint32_t i = 0; i < v.len; i++) {
      h ^= (unsigned char)v.u.s[i];
      h *= UINT64_C(0x100000001b3);
    }
    return mix64(h);
  }
  case PV_NUMBER: {
    double d = v.u.n == 0 ? 0.0 : v.u.n; /* -0 and 0 are equal */
    if (d == floor(d) && fabs(d) < 9.2e18) return mix64((uint64_t)(int64_t)d);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return mix64(bits);
  }
  case PV_BOOL: return mix64(v.u.b ? 1 : 0);
  default: return mix64((uint64_t)v.u.i);
  }
}

void pconstset_init(PConstSet *set, const PValue *values, uint32_t n) {
  uint32_t cap = 8;
  while (cap < n * 2 + 2) cap *= 2;
  set->mask = cap - 1;
  set->count = 0;
  set->slots = g_new0(PValue, cap);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t h = (uint32_t)pvalue_hash(values[i]) & set->mask;
    while (set->slots[h].kind != PV_NULL) {
      if (pvalue_equal(set->slots[h], values[i])) break;
      h = (h + 1) & set->mask;
    }
    if (set->slots[h].kind == PV_NULL) {
      set->slots[h] = values[i];
      set->count++;
    }
  }
}

bool pconstset_has(const PConstSet *set, PValue v) {
  if (v.kind == PV_NULL) return false;
  uint32_t h = (uint32_t)pvalue_hash(v) & set->mask;
  while (set->slots[h].kind != PV_NULL) {
    if (pvalue_equal(set->slots[h], v)) return true;
    h = (h + 1) & set->mask;
  }
  return false;
}

/* ---- listing ------------------------------------------------------------------- */

static void disasm_insn(GString *out, const PModel *m, const PBlock *b, uint32_t pc) {
  const PInsn *i = &b->code[pc];
  const char *name = i->op < OP__COUNT ? popcode_names[i->op] : "???";
  g_string_append_printf(out, "  %4u  %-9s", pc, name);
  switch (i->op < OP__COUNT ? popcode_formats[i->op] : PFMT_ABC) {
  case PFMT_A: g_string_append_printf(out, "%u", i->a); break;
  case PFMT_AB: g_string_append_printf(out, "%u %u", i->a, i->b); break;
  case PFMT_ABC: g_string_append_printf(out, "%u %u %u", i->a, i->b, i->c); break;
  case PFMT_ABx: g_string_append_printf(out, "%u %u", i->a, i->bx); break;
  case PFMT_AsBx:
    if (i->op == OP_LOADINT) g_string_append_printf(out, "%u %d", i->a, i->sbx);
    else g_string_append_printf(out, "%u ->%d", i->a, (int)pc + 1 + i->sbx);
    break;
  case PFMT_sBx: g_string_append_printf(out, "->%d", (int)pc + 1 + i->sbx); break;
  }
  if (i->op == OP_LOADK && i->bx < m->n_consts) {
    g_string_append(out, "\t; ");
    pjw_value(out, m->consts[i->bx], NULL);
  } else if ((i->op == OP_EQSK || i->op == OP_NESK) && i->c < m->n_consts) {
    g_string_append(out, "\t; ");
    pjw_value(out, m->consts[i->c], NULL);
  } else if (i->op == OP_JNESK && i->b < m->n_consts) {
    g_string_append(out, "\t; ");
    pjw_value(out, m->consts[i->b], NULL);
  } else if (i->op == OP_CALL && i->bx < m->n_calls) {
    g_string_append_printf(out, "\t; %s/%u", pbuiltins[m->calls[i->bx].builtin].name,
                           m->calls[i->bx].nargs);
  } else if (i->op == OP_UNPACK) {
    g_string_append_printf(out, "\t; %u fields", i->x);
  } else if ((i->op == OP_ADDI || i->op == OP_SUBI || i->op == OP_NEGI) && i->x != PV_INT) {
    g_string_append(out, i->x == PV_TIME ? "\t; time" : "\t; duration");
  }
  const PInsnLoc *l = &b->locs[pc];
  g_string_append_printf(out, "\t@%s:%u:%u\n",
                         l->file < m->n_files ? m->file_names[l->file] : "?", l->line, l->col);
}

/* Line starts of the source texts, computed once per listing. */
typedef struct SourceLines {
  const PDisasmSource *src;
  GArray **starts; /* per file: uint32 offsets of line 1, 2, …; NULL until needed */
} SourceLines;

static void source_line(SourceLines *sl, uint32_t file, uint32_t line, const char **text, size_t *len) {
  *text = NULL;
  if (!sl->src || file >= sl->src->n || !sl->src->texts[file] || line == 0) return;
  const char *t = sl->src->texts[file];
  size_t n = sl->src->lens[file];
  if (!sl->starts[file]) {
    GArray *a = g_array_new(FALSE, FALSE, sizeof(size_t));
    size_t zero = 0;
    g_array_append_val(a, zero);
    for (size_t k = 0; k < n; k++)
      if (t[k] == '\n') {
        size_t next = k + 1;
        g_array_append_val(a, next);
      }
    sl->starts[file] = a;
  }
  GArray *a = sl->starts[file];
  if (line > a->len) return;
  size_t from = g_array_index(a, size_t, line - 1);
  size_t to = line < a->len ? g_array_index(a, size_t, line) - 1 : n;
  while (from < to && (t[from] == ' ' || t[from] == '\t')) from++; /* indentation says nothing here */
  while (to > from && (t[to - 1] == '\r' || t[to - 1] == ' ')) to--;
  *text = t + from;
  *len = to - from;
}

static const char *file_name(const PModel *m, uint32_t file) {
  return file < m->n_files ? m->file_names[file] : "?";
}

/* "  ; model.persona:7: tag big when employees >= 500": the source line,
 * before the first instruction of each run of instructions from it. */
static void disasm_block_full(GString *out, const PModel *m, const PBlock *b, SourceLines *sl) {
  uint32_t file = UINT32_MAX, line = 0;
  for (uint32_t pc = 0; pc < b->n_code; pc++) {
    const PInsnLoc *l = &b->locs[pc];
    if (sl->src && (l->file != file || l->line != line)) {
      file = l->file;
      line = l->line;
      const char *text;
      size_t len;
      source_line(sl, file, line, &text, &len);
      if (text) g_string_append_printf(out, "        ; %s:%u: %.*s\n", file_name(m, file), line, (int)len, text);
    }
    disasm_insn(out, m, b, pc);
  }
}

static void disasm_units(GString *out, const PModel *m) {
  g_string_append(out, "\nunits:");
  for (uint32_t u = 0; u < m->n_units; u++) {
    const PUnit *unit = &m->units[u];
    if (unit->kind == PUNIT_LIFECYCLE)
      g_string_append_printf(out, " lifecycle:%s", m->lifecycles[unit->lifecycle].name);
    else
      g_string_append_printf(out, " %u->G%u", unit->block, unit->slot);
  }
  g_string_append_c(out, '\n');
}

char *pmodel_disasm(const PModel *m) {
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "model %s version \"%s\": %u blocks, %u constants, %u globals\n",
                         m->name, m->version, m->n_blocks, m->n_consts, m->n_globals);
  for (uint32_t bi = 0; bi < m->n_blocks; bi++) {
    const PBlock *b = &m->blocks[bi];
    g_string_append_printf(out, "\nblock %u: %s (%u registers)\n", bi, b->name, b->n_regs);
    for (uint32_t pc = 0; pc < b->n_code; pc++) disasm_insn(out, m, b, pc);
  }
  disasm_units(out, m);
  return g_string_free(out, FALSE);
}

char *pmodel_disasm_full(const PModel *m, const PDisasmSource *src) {
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "model %s version \"%s\"\n", m->name, m->version);
  g_string_append(out, "source sha256 ");
  if (m->has_source_hash) {
    for (int k = 0; k < 32; k++) g_string_append_printf(out, "%02x", m->source_hash[k]);
  } else {
    g_string_append(out, "unknown");
  }
  g_string_append_printf(out, "\nfiles:");
  for (uint32_t f = 0; f < m->n_files; f++) g_string_append_printf(out, " %s", m->file_names[f]);
  g_string_append_printf(out, "\n%u blocks, %u constants, %u globals, %u call sites, %u constant sets, "
                         "%u registers at most\n",
                         m->n_blocks, m->n_consts, m->n_globals, m->n_calls, m->n_sets, m->max_regs);
  SourceLines sl = {.src = src, .starts = g_new0(GArray *, (src ? src->n : 0) + 1)};
  for (uint32_t bi = 0; bi < m->n_blocks; bi++) {
    const PBlock *b = &m->blocks[bi];
    g_string_append_printf(out, "\nblock %u: %s (%u registers)\n", bi, b->name, b->n_regs);
    disasm_block_full(out, m, b, &sl);
  }
  for (uint32_t f = 0; src && f < src->n; f++)
    if (sl.starts[f]) g_array_unref(sl.starts[f]);
  g_free(sl.starts);
  disasm_units(out, m);
  for (uint32_t c = 0; c < m->n_calls; c++) {
    if (c == 0) g_string_append(out, "\ncall sites:\n");
    const PCallSite *cs = &m->calls[c];
    g_string_append_printf(out, "  %4u  %s/%u%s\n", c, pbuiltins[cs->builtin].name, cs->nargs,
                           cs->aux ? "  (regex compiled at load)" : "");
  }
  return g_string_free(out, FALSE);
}
