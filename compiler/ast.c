/* ast.c - allocation of syntax-tree nodes; see ast.h. */
#include "ast.h"

#include <string.h>

PAst *past_new(void) {
  PAst *ast = g_new0(PAst, 1);
  ast->files = g_ptr_array_new();
  ast->owned = g_ptr_array_new_with_free_func(g_free);
  ast->lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
  ast->strings = g_string_chunk_new(4096);
  return ast;
}

void past_free(PAst *ast) {
  if (!ast) return;
  g_ptr_array_unref(ast->files);
  g_ptr_array_unref(ast->lists);
  g_ptr_array_unref(ast->owned);
  g_string_chunk_free(ast->strings);
  g_free(ast);
}

gpointer past_alloc(PAst *ast, gsize size) {
  gpointer p = g_malloc0(size);
  g_ptr_array_add(ast->owned, p);
  return p;
}

GPtrArray *past_list(PAst *ast) {
  GPtrArray *list = g_ptr_array_new();
  g_ptr_array_add(ast->lists, list);
  return list;
}

const char *past_strndup(PAst *ast, const char *s, gsize len) {
  return g_string_chunk_insert_len(ast->strings, s, (gssize)len);
}

const char *past_strdup(PAst *ast, const char *s) {
  return g_string_chunk_insert(ast->strings, s);
}

PExpr *past_expr(PAst *ast, PExprKind kind, const PLoc *loc) {
  PExpr *e = past_new_node(ast, PExpr);
  e->kind = kind;
  if (loc) e->loc = *loc;
  e->local = -1;
  e->builtin = -1;
  e->native = -1;
  e->field_index = -1;
  e->depth = 1;
  return e;
}

PDecl *past_decl(PAst *ast, PDeclKind kind, const PLoc *loc) {
  PDecl *d = past_new_node(ast, PDecl);
  d->kind = kind;
  if (loc) d->loc = *loc;
  d->reenter_never = true;
  return d;
}

PStep *past_step(PAst *ast, PStepKind kind, const PLoc *loc) {
  PStep *s = past_new_node(ast, PStep);
  s->kind = kind;
  if (loc) s->loc = *loc;
  return s;
}

PLoc ploc_span(const PLoc *a, const PLoc *b) {
  PLoc r = *a;
  if (b->end_offset > a->end_offset) {
    r.end_line = b->end_line;
    r.end_col = b->end_col;
    r.end_offset = b->end_offset;
  }
  return r;
}

const char *pop_text(POp op) {
  switch (op) {
  case POP_COALESCE: return "??";
  case POP_OR: return "or";
  case POP_AND: return "and";
  case POP_NOT: return "not";
  case POP_EQ: return "==";
  case POP_NE: return "!=";
  case POP_LT: return "<";
  case POP_LE: return "<=";
  case POP_GT: return ">";
  case POP_GE: return ">=";
  case POP_IN: return "in";
  case POP_ADD: return "+";
  case POP_SUB: return "-";
  case POP_MUL: return "*";
  case POP_DIV: return "/";
  case POP_MOD: return "%";
  case POP_NEG: return "-";
  case POP_NONE: break;
  }
  return "?";
}
