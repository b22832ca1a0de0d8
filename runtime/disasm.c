/* disasm.c - the bytecode listing (persona disasm, --dump-bytecode); see
 * disasm.h. What each operand is comes from the opcode table (opcodes.h). */
#include "disasm.h"

#include "../stdlib/builtins.h"
#include "json_write.h"

/* "\t; …" after the operands, for the roles worth a comment: the value of
 * a constant operand, the builtin of a call site, a field count, a result
 * kind other than int. */
static void disasm_comment(GString *out, const PModel *m, const PInsn *i, const POpInfo *info) {
  uint32_t k = info->b == PROLE_K || info->b == PROLE_KS ? pinsn_b(i) : info->c == PROLE_KS ? i->c : UINT32_MAX;
  if (k != UINT32_MAX) {
    if (k >= m->n_consts) return;
    g_string_append(out, "\t; ");
    pjw_value(out, m->consts[k], NULL);
  } else if (info->b == PROLE_CALLSITE && i->bx < m->n_calls) {
    g_string_append_printf(out, "\t; %s/%u", pbuiltins[m->calls[i->bx].builtin].name, m->calls[i->bx].nargs);
  } else if (info->c == PROLE_FSPAN) {
    g_string_append_printf(out, "\t; %u fields", i->x);
  } else if (info->x == PROLE_KIND && i->x != PV_INT) {
    g_string_append(out, i->x == PV_TIME ? "\t; time" : "\t; duration");
  }
}

static void disasm_insn(GString *out, const PModel *m, const PBlock *b, uint32_t pc) {
  const PInsn *i = &b->code[pc];
  const POpInfo *info = i->op < OP__COUNT ? &popcode_info[i->op] : NULL;
  g_string_append_printf(out, "  %4u  %-9s", pc, info ? info->name : "???");
  bool jump = info && info->b == PROLE_J;
  switch (info ? info->format : PFMT_ABC) {
  case PFMT_A: g_string_append_printf(out, "%u", i->a); break;
  case PFMT_AB: g_string_append_printf(out, "%u %u", i->a, i->b); break;
  case PFMT_ABC: g_string_append_printf(out, "%u %u %u", i->a, i->b, i->c); break;
  case PFMT_ABx: g_string_append_printf(out, "%u %u", i->a, i->bx); break;
  case PFMT_AsBx:
    if (jump) g_string_append_printf(out, "%u ->%d", i->a, (int)pc + 1 + i->sbx);
    else g_string_append_printf(out, "%u %d", i->a, i->sbx);
    break;
  case PFMT_sBx: g_string_append_printf(out, "->%d", (int)pc + 1 + i->sbx); break;
  }
  if (info) disasm_comment(out, m, i, info);
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
