/* lint.c - warnings about models that compile but are probably wrong;
 * see lint.h. Every lint here is sound by construction: it warns only
 * about what holds for every profile, state and `now`, never about what
 * merely looks suspicious. */
#include "lint.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "../runtime/model.h"
#include "../runtime/numfmt.h"

/* Consts refer to consts and lets to lets; a chain longer than this is not
 * worth following (a cycle was already reported as an error). */
#define LINT_MAX_DEPTH 64
/* An expression quoted in a message is cut after this many bytes. */
#define LINT_QUOTE_MAX 60

/* A static range: every value the expression can take at run time lies in
 * [lo, hi]. Nothing known is (-inf, +inf). lo is never +inf and hi never
 * -inf, so sums of bounds are never NaN. */
typedef struct PIval {
  double lo, hi;
} PIval;

/* A const's folded value, computed once: consts that each read the one
 * before twice would otherwise take exponential time. */
typedef struct PConstVal {
  bool num_ok, bool_ok;
  double num;
  bool b;
} PConstVal;

typedef struct PLint {
  PCheck *c;
  GHashTable *ranges;      /* score or let PSym* -> PIval* (owned): memo */
  GHashTable *consts;      /* const PSym* -> PConstVal* (owned): memo */
  GHashTable *in_progress; /* PSym* whose range is being computed */
  GHashTable *used;        /* PSym* that some expression names */
  GHashTable *reach;       /* lifecycle PSym* -> gboolean[] per stage (owned) */
} PLint;

static void lint_warn(PLint *l, const PLoc *loc, const char *hint, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void lint_warn(PLint *l, const PLoc *loc, const char *hint, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  pdiag_add(l->c->diags, PDIAG_WARNING, loc, hint, "%s", msg);
}

/* ---- constants ------------------------------------------------------------ */

static bool is_number_type(const PType *t) {
  return t && !t->optional && (t->kind == PTY_INT || t->kind == PTY_NUMBER);
}

static PSym *global_ref(const PExpr *e, PSymKind kind) {
  if (e->kind != PE_NAME || e->local >= 0 || !e->sym || e->sym->kind != kind) return NULL;
  return e->sym->decl ? e->sym : NULL;
}

static bool fold_num(PLint *l, const PExpr *e, double *out, int depth);
static bool fold_bool(PLint *l, const PExpr *e, bool *out, int depth);

static const PConstVal *const_val(PLint *l, PSym *s, int depth) {
  PConstVal *cv = g_hash_table_lookup(l->consts, s);
  if (cv) return cv;
  cv = g_new0(PConstVal, 1);
  cv->num_ok = fold_num(l, s->decl->expr, &cv->num, depth + 1);
  cv->bool_ok = fold_bool(l, s->decl->expr, &cv->b, depth + 1);
  g_hash_table_insert(l->consts, s, cv);
  return cv;
}

/* The value of a numeric constant expression: literals, consts, unary
 * minus and + - * / of those. Anything else (a built-in call, a division
 * by zero) is not folded: the lints then stay silent. */
static bool fold_num(PLint *l, const PExpr *e, double *out, int depth) {
  if (!e || depth > LINT_MAX_DEPTH || !is_number_type(e->type)) return false;
  double a, b;
  PSym *s;
  switch (e->kind) {
  case PE_INT:
    /* Beyond 2^53 a double no longer tells ints apart (ints compare
     * exactly at run time). */
    if (e->ival > ((int64_t)1 << 53) || e->ival < -((int64_t)1 << 53)) return false;
    *out = (double)e->ival;
    return true;
  case PE_NUMBER: *out = e->nval; return isfinite(e->nval);
  case PE_NAME: {
    const PConstVal *cv = (s = global_ref(e, PSYM_CONST)) ? const_val(l, s, depth) : NULL;
    if (!cv || !cv->num_ok) return false;
    *out = cv->num;
    return true;
  }
  case PE_UNARY:
    if (e->op != POP_NEG || !fold_num(l, e->left, &a, depth + 1)) return false;
    *out = -a;
    return true;
  case PE_BINARY:
    if (!fold_num(l, e->left, &a, depth + 1) || !fold_num(l, e->right, &b, depth + 1)) return false;
    switch (e->op) {
    case POP_ADD: *out = a + b; break;
    case POP_SUB: *out = a - b; break;
    case POP_MUL: *out = a * b; break;
    case POP_DIV:
      if (b == 0) return false;
      *out = a / b;
      break;
    default: return false;
    }
    return isfinite(*out);
  default: return false;
  }
}

static bool compare_numbers(POp op, double a, double b, bool *out) {
  switch (op) {
  case POP_LT: *out = a < b; return true;
  case POP_LE: *out = a <= b; return true;
  case POP_GT: *out = a > b; return true;
  case POP_GE: *out = a >= b; return true;
  case POP_EQ: *out = a == b; return true;
  case POP_NE: *out = a != b; return true;
  default: return false;
  }
}

/* The value of a constant condition: true, false, bool consts, not, and,
 * or, and comparisons of numeric constants. `and`/`or` decide with one
 * constant side (`false and x` never holds, whatever x is). */
static bool fold_bool(PLint *l, const PExpr *e, bool *out, int depth) {
  if (!e || depth > LINT_MAX_DEPTH || !e->type || e->type->kind != PTY_BOOL || e->type->optional)
    return false;
  bool a, b;
  double x, y;
  PSym *s;
  switch (e->kind) {
  case PE_BOOL: *out = e->bval; return true;
  case PE_NAME: {
    const PConstVal *cv = (s = global_ref(e, PSYM_CONST)) ? const_val(l, s, depth) : NULL;
    if (!cv || !cv->bool_ok) return false;
    *out = cv->b;
    return true;
  }
  case PE_UNARY:
    if (e->op != POP_NOT || !fold_bool(l, e->left, &a, depth + 1)) return false;
    *out = !a;
    return true;
  case PE_BINARY:
    if (e->op == POP_AND || e->op == POP_OR) {
      bool ka = fold_bool(l, e->left, &a, depth + 1), kb = fold_bool(l, e->right, &b, depth + 1);
      bool decisive = e->op == POP_OR; /* the operand value that decides alone */
      if ((ka && a == decisive) || (kb && b == decisive)) {
        *out = decisive;
        return true;
      }
      if (!ka || !kb) return false;
      *out = !decisive;
      return true;
    }
    if (!fold_num(l, e->left, &x, depth + 1) || !fold_num(l, e->right, &y, depth + 1)) return false;
    return compare_numbers(e->op, x, y, out);
  default: return false;
  }
}

/* ---- ranges of scores ------------------------------------------------------- */

static PIval iv_unknown(void) { return (PIval){-INFINITY, INFINITY}; }
static PIval iv_point(double v) { return (PIval){v, v}; }
static bool iv_is_unknown(PIval v) { return v.lo == -INFINITY && v.hi == INFINITY; }

/* v × k and v / k. IEEE multiplication and division are monotone, so the
 * bounds stay bounds after rounding. */
static PIval iv_scale(PIval v, double k, bool divide) {
  if (k == 0) return divide ? iv_unknown() : iv_point(0);
  double a = divide ? v.lo / k : v.lo * k, b = divide ? v.hi / k : v.hi * k;
  return k > 0 ? (PIval){a, b} : (PIval){b, a};
}

static PIval score_iv(PLint *l, PSym *s);
static PIval expr_iv(PLint *l, const PExpr *e, int depth);

static PIval let_iv(PLint *l, PSym *s, int depth) {
  PIval *memo = g_hash_table_lookup(l->ranges, s);
  if (memo) return *memo;
  if (g_hash_table_contains(l->in_progress, s)) return iv_unknown();
  g_hash_table_add(l->in_progress, s);
  PIval v = expr_iv(l, s->decl->expr, depth + 1);
  g_hash_table_remove(l->in_progress, s);
  g_hash_table_insert(l->ranges, s, g_memdup2(&v, sizeof v));
  return v;
}

/* The range of a numeric expression built from scores, lets, constants,
 * unary minus, + and -, and * or / by a constant. */
static PIval expr_iv(PLint *l, const PExpr *e, int depth) {
  double k;
  if (!e || depth > LINT_MAX_DEPTH || !is_number_type(e->type)) return iv_unknown();
  if (fold_num(l, e, &k, 0)) return iv_point(k);
  PSym *s;
  switch (e->kind) {
  case PE_NAME:
    if ((s = global_ref(e, PSYM_SCORE))) return score_iv(l, s);
    if ((s = global_ref(e, PSYM_LET))) return let_iv(l, s, depth);
    return iv_unknown();
  case PE_UNARY: {
    if (e->op != POP_NEG) return iv_unknown();
    PIval a = expr_iv(l, e->left, depth + 1);
    return (PIval){-a.hi, -a.lo};
  }
  case PE_BINARY: {
    if (e->op == POP_MUL || e->op == POP_DIV) {
      if (fold_num(l, e->right, &k, 0))
        return iv_scale(expr_iv(l, e->left, depth + 1), k, e->op == POP_DIV);
      if (e->op == POP_MUL && fold_num(l, e->left, &k, 0))
        return iv_scale(expr_iv(l, e->right, depth + 1), k, false);
      return iv_unknown();
    }
    if (e->op != POP_ADD && e->op != POP_SUB) return iv_unknown();
    PIval a = expr_iv(l, e->left, depth + 1), b = expr_iv(l, e->right, depth + 1);
    if (e->op == POP_ADD) return (PIval){a.lo + b.lo, a.hi + b.hi};
    return (PIval){a.lo - b.hi, a.hi - b.lo};
  }
  default: return iv_unknown();
  }
}

/* One rule's contribution, as codegen computes it: `when` gives ±W or 0
 * (the cap applies only when it fires); `per` gives ±W × n (n ≥ 0, or a
 * sum of decay factors in (0, 1]) and is always capped. */
static PIval rule_iv(PLint *l, const PScoreRule *r) {
  double w, cap;
  if (!fold_num(l, r->weight, &w, 0)) return iv_unknown();
  double v = r->negative ? -w : w;
  PIval c;
  if (r->kind == PRULE_WHEN)
    c = iv_point(v);
  else
    c = v > 0 ? (PIval){0, INFINITY} : v < 0 ? (PIval){-INFINITY, 0} : iv_point(0);
  if (r->cap) {
    if (!fold_num(l, r->cap, &cap, 0)) return iv_unknown();
    if (r->negative)
      c = (PIval){fmax(c.lo, -cap), fmax(c.hi, -cap)};
    else
      c = (PIval){fmin(c.lo, cap), fmin(c.hi, cap)};
  }
  if (r->kind == PRULE_WHEN) c = (PIval){fmin(c.lo, 0), fmax(c.hi, 0)};
  return c;
}

static PIval score_iv_compute(PLint *l, PSym *s) {
  PDecl *d = s->decl;
  PIval v = iv_point(0);
  double m;
  if (d->expr) {
    v = expr_iv(l, d->expr, 0);
  } else {
    for (guint i = 0; d->rules && i < d->rules->len; i++) {
      PIval r = rule_iv(l, g_ptr_array_index(d->rules, i));
      v.lo += r.lo;
      v.hi += r.hi;
    }
  }
  /* max first, then min: the order the code generator clamps in. A clamp
   * that does not fold still bounds one side. */
  if (d->max) {
    if (fold_num(l, d->max, &m, 0))
      v = (PIval){fmin(v.lo, m), fmin(v.hi, m)};
    else
      v.lo = -INFINITY;
  }
  if (d->min) {
    if (fold_num(l, d->min, &m, 0))
      v = (PIval){fmax(v.lo, m), fmax(v.hi, m)};
    else
      v.hi = INFINITY;
  }
  return v;
}

static PIval score_iv(PLint *l, PSym *s) {
  PIval *memo = g_hash_table_lookup(l->ranges, s);
  if (memo) return *memo;
  if (g_hash_table_contains(l->in_progress, s)) return iv_unknown();
  g_hash_table_add(l->in_progress, s);
  PIval v = score_iv_compute(l, s);
  g_hash_table_remove(l->in_progress, s);
  g_hash_table_insert(l->ranges, s, g_memdup2(&v, sizeof v));
  return v;
}

/* ---- comparisons that are decided by the ranges ------------------------------- */

/* The source text of a node, on one line: white space runs become one
 * space, comments go, and a long text is cut (on a UTF-8 boundary). */
static char *quote_loc(PLint *l, const PLoc *loc) {
  const PSourceFile *f = psrc_file(l->c->src, loc->file);
  if (!f || loc->end_offset <= loc->offset || loc->end_offset > f->len) return g_strdup("…");
  GString *s = g_string_new(NULL);
  bool space = false, in_string = false;
  for (uint32_t i = loc->offset; i < loc->end_offset; i++) {
    char ch = f->text[i];
    if (!in_string && ch == '#') {
      while (i + 1 < loc->end_offset && f->text[i + 1] != '\n') i++;
      space = true;
      continue;
    }
    if (!in_string && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')) {
      space = true;
      continue;
    }
    if (space && s->len) g_string_append_c(s, ' ');
    space = false;
    if (ch == '"') in_string = !in_string;
    if (in_string && ch == '\\' && i + 1 < loc->end_offset) g_string_append_c(s, f->text[i++]);
    g_string_append_c(s, f->text[i]);
  }
  if (s->len > LINT_QUOTE_MAX) {
    gsize cut = LINT_QUOTE_MAX;
    while (cut > 0 && ((unsigned char)s->str[cut] & 0xC0) == 0x80) cut--;
    g_string_truncate(s, cut);
    g_string_append(s, "…");
  }
  return g_string_free(s, FALSE);
}

static char *quote_expr(PLint *l, const PExpr *e) {
  return e->kind == PE_NAME ? g_strdup(e->name) : quote_loc(l, &e->loc);
}

static const char *num_text(double d, char buf[PNUM_BUF]) {
  pnum_format_double(d, buf);
  return buf;
}

/* "total can only be between 0 and 100 (…)". */
static char *range_hint(const char *what, PIval v) {
  char a[PNUM_BUF], b[PNUM_BUF];
  const char *why = "from the weights, caps and max/min of the score rules";
  if (v.lo == v.hi) return g_strdup_printf("%s is always %s (%s)", what, num_text(v.lo, a), why);
  if (v.lo == -INFINITY)
    return g_strdup_printf("%s can only be %s or less (%s)", what, num_text(v.hi, b), why);
  if (v.hi == INFINITY)
    return g_strdup_printf("%s can only be %s or more (%s)", what, num_text(v.lo, a), why);
  return g_strdup_printf("%s can only be between %s and %s (%s)", what, num_text(v.lo, a),
                         num_text(v.hi, b), why);
}

static bool is_comparison(POp op) {
  return op == POP_LT || op == POP_LE || op == POP_GT || op == POP_GE || op == POP_EQ ||
         op == POP_NE;
}

/* `k < x` is `x > k`. */
static POp flip_comparison(POp op) {
  switch (op) {
  case POP_LT: return POP_GT;
  case POP_LE: return POP_GE;
  case POP_GT: return POP_LT;
  case POP_GE: return POP_LE;
  default: return op;
  }
}

typedef enum { BOUND_LO, BOUND_HI, BOUND_POINT } PBound;

/* Decides `x OP k` for every x in v: 1 always, -1 never, 0 it depends;
 * *bound says which end of v decides. */
static int decide(POp op, PIval v, double k, PBound *bound) {
  bool point = v.lo == v.hi && v.lo == k;
  switch (op) {
  case POP_LT:
    if (v.hi < k) { *bound = BOUND_HI; return 1; }
    if (v.lo >= k) { *bound = BOUND_LO; return -1; }
    return 0;
  case POP_LE:
    if (v.hi <= k) { *bound = BOUND_HI; return 1; }
    if (v.lo > k) { *bound = BOUND_LO; return -1; }
    return 0;
  case POP_GT:
    if (v.lo > k) { *bound = BOUND_LO; return 1; }
    if (v.hi <= k) { *bound = BOUND_HI; return -1; }
    return 0;
  case POP_GE:
    if (v.lo >= k) { *bound = BOUND_LO; return 1; }
    if (v.hi < k) { *bound = BOUND_HI; return -1; }
    return 0;
  case POP_EQ:
  case POP_NE: {
    int eq;
    if (point) { *bound = BOUND_POINT; eq = 1; }
    else if (k > v.hi) { *bound = BOUND_HI; eq = -1; }
    else if (k < v.lo) { *bound = BOUND_LO; eq = -1; }
    else return 0;
    return op == POP_EQ ? eq : -eq;
  }
  default: return 0;
  }
}

/* `total >= 120` where total is at most 100: reported where it is written. */
static void lint_comparison(PLint *l, PExpr *e) {
  if (e->kind != PE_BINARY || !is_comparison(e->op)) return;
  PExpr *x = e->left, *kx = e->right;
  if (!is_number_type(x->type) || !is_number_type(kx->type)) return;
  POp op = e->op;
  double k, other;
  if (fold_num(l, kx, &k, 0)) {
    if (fold_num(l, x, &other, 0)) return; /* two constants: not about ranges */
  } else if (fold_num(l, x, &k, 0)) {
    x = e->right;
    op = flip_comparison(op);
  } else {
    return;
  }
  PIval v = expr_iv(l, x, 0);
  if (iv_is_unknown(v)) return;
  PBound bound = BOUND_LO;
  int verdict = decide(op, v, k, &bound);
  if (verdict == 0) return;
  if (v.lo == v.hi) bound = BOUND_POINT; /* "is always 5" says more than "is at most 5" */
  g_autofree char *text = quote_loc(l, &e->loc);
  g_autofree char *what = quote_expr(l, x);
  g_autofree char *hint = range_hint(what, v);
  char num[PNUM_BUF];
  const char *fact = bound == BOUND_POINT ? "is always"
                     : bound == BOUND_LO  ? "is at least"
                                          : "is at most";
  num_text(bound == BOUND_HI ? v.hi : v.lo, num);
  lint_warn(l, &e->loc, hint, "'%s' %s: %s %s %s", text,
            verdict > 0 ? "always holds" : "can never hold", what, fact, num);
}

/* ---- walking every expression ---------------------------------------------------- */

static void walk_expr(PLint *l, PExpr *e);

static bool is_score(const PExpr *e) {
  return e->kind == PE_NAME && e->local < 0 && e->sym && e->sym->kind == PSYM_SCORE;
}

/* `score OP constant` (or turned round): remembered on the score, each
 * (op, value) once, for persona_model_score_threshold (persona diff counts
 * the profiles that cross it). */
static void note_threshold(PLint *l, PExpr *e) {
  static const char *const ops[] = {[POP_LT] = "<", [POP_LE] = "<=", [POP_GT] = ">", [POP_GE] = ">="};
  static const char *const turned[] = {[POP_LT] = ">", [POP_LE] = ">=", [POP_GT] = "<", [POP_GE] = "<="};
  if (e->kind != PE_BINARY || e->op < POP_LT || e->op > POP_GE || !e->left || !e->right) return;
  PExpr *score = is_score(e->left) ? e->left : is_score(e->right) ? e->right : NULL;
  double v = 0;
  if (!score || !fold_num(l, score == e->left ? e->right : e->left, &v, 0) || !isfinite(v)) return;
  PThreshold t = {score == e->left ? ops[e->op] : turned[e->op], v};
  PSym *s = score->sym;
  if (!s->thresholds) s->thresholds = g_array_new(FALSE, FALSE, sizeof(PThreshold));
  for (guint i = 0; i < s->thresholds->len; i++) {
    const PThreshold *o = &g_array_index(s->thresholds, PThreshold, i);
    if (o->op == t.op && o->value == t.value) return;
  }
  g_array_append_val(s->thresholds, t);
}

static void visit_expr(PLint *l, PExpr *e) {
  if (e->kind == PE_NAME && e->local < 0 && e->sym) g_hash_table_add(l->used, e->sym);
  lint_comparison(l, e);
  note_threshold(l, e);
}

static void walk_query(PLint *l, PQuery *q) {
  if (!q) return;
  walk_expr(l, q->list);
  walk_expr(l, q->where);
  walk_expr(l, q->window_expr);
}

static void walk_expr(PLint *l, PExpr *e) {
  if (!e) return;
  visit_expr(l, e);
  switch (e->kind) {
  case PE_LIST:
  case PE_CALL:
    /* `count(events)` becomes a query whose list is the argument itself:
     * visit that node once. */
    walk_query(l, e->query);
    for (guint i = 0; e->items && i < e->items->len; i++) {
      PExpr *a = g_ptr_array_index(e->items, i);
      if (!e->query || a != e->query->list) walk_expr(l, a);
    }
    break;
  case PE_RECORD:
    for (guint i = 0; e->items && i < e->items->len; i++)
      walk_expr(l, ((PRecordField *)g_ptr_array_index(e->items, i))->value);
    break;
  case PE_FIELD:
  case PE_UNARY: walk_expr(l, e->left); break;
  case PE_BINARY:
  case PE_QUANT:
    walk_expr(l, e->left);
    walk_expr(l, e->right);
    break;
  default: break;
  }
}

static void walk_steps(PLint *l, GPtrArray *steps);

static void walk_step(PLint *l, PStep *st) {
  PSym *x = st->experiment ? g_hash_table_lookup(l->c->globals, st->experiment) : NULL;
  if (x && x->kind == PSYM_EXPERIMENT) g_hash_table_add(l->used, x);
  walk_expr(l, st->cond);
  walk_expr(l, st->duration);
  walk_steps(l, st->body);
  walk_steps(l, st->else_body);
  for (guint i = 0; st->arms && i < st->arms->len; i++) {
    PSplitArm *arm = g_ptr_array_index(st->arms, i);
    walk_expr(l, arm->weight);
    walk_step(l, arm->step);
  }
}

static void walk_steps(PLint *l, GPtrArray *steps) {
  for (guint i = 0; steps && i < steps->len; i++) walk_step(l, g_ptr_array_index(steps, i));
}

static void walk_decl(PLint *l, PDecl *d, bool root) {
  for (guint i = 0; d->fields && d->kind != PD_EXTERN && i < d->fields->len; i++)
    walk_expr(l, ((PFieldDecl *)g_ptr_array_index(d->fields, i))->default_value);
  walk_expr(l, d->expr);
  if (d->kind == PD_SCORE) {
    walk_expr(l, d->decay);
    walk_expr(l, d->max);
    walk_expr(l, d->min);
    for (guint i = 0; d->rules && i < d->rules->len; i++) {
      PScoreRule *r = g_ptr_array_index(d->rules, i);
      walk_expr(l, r->weight);
      walk_expr(l, r->cond);
      walk_query(l, r->query);
      walk_expr(l, r->cap);
    }
  }
  for (guint i = 0; d->transitions && i < d->transitions->len; i++)
    walk_expr(l, ((PTransition *)g_ptr_array_index(d->transitions, i))->cond);
  if (d->kind == PD_JOURNEY) {
    walk_expr(l, d->enter_cond);
    walk_expr(l, d->reenter_after);
    walk_expr(l, d->exit_cond);
    walk_steps(l, d->steps);
  }
  /* Only the root file's tests are checked (and run). The arguments of
   * `expect action` are words, not expressions. */
  if (d->kind == PD_TEST && root) {
    for (guint i = 0; i < d->test_steps->len; i++) {
      PTestStep *ts = g_ptr_array_index(d->test_steps, i);
      walk_expr(l, ts->value);
      walk_expr(l, ts->at);
    }
  }
}

/* ---- lifecycles: stages no chain of transitions reaches ----------------------------- */

/* Which stages a profile can be in: `initial`, and every target of a
 * transition that leaves a reachable stage (`any` leaves them all).
 * Conditions are not looked at: a transition may always fire. */
static gboolean *stage_reach(PLint *l, PSym *lc) {
  gboolean *reach = g_hash_table_lookup(l->reach, lc);
  if (reach) return reach;
  guint n = lc->stages->len;
  reach = g_new0(gboolean, n + 1);
  PDecl *d = lc->decl;
  int init = d->initial ? pcheck_stage_index(lc, d->initial) : -1;
  if (init >= 0) reach[init] = TRUE;
  for (bool changed = init >= 0; changed;) {
    changed = false;
    for (guint i = 0; i < d->transitions->len; i++) {
      PTransition *t = g_ptr_array_index(d->transitions, i);
      int to = pcheck_stage_index(lc, t->to), from = t->from ? pcheck_stage_index(lc, t->from) : -1;
      if (to < 0 || reach[to]) continue;
      /* `any -> to` leaves every reachable stage but `to`, and `to` is not
       * reachable yet while initial is. */
      if (!t->from || (from >= 0 && reach[from])) {
        reach[to] = TRUE;
        changed = true;
      }
    }
  }
  g_hash_table_insert(l->reach, lc, reach);
  return reach;
}

static void lint_lifecycle(PLint *l, PSym *lc) {
  PDecl *d = lc->decl;
  if (!d->initial) return;
  gboolean *reach = stage_reach(l, lc);
  for (guint s = 0; s < lc->stages->len; s++) {
    if (reach[s]) continue;
    const char *name = g_ptr_array_index(lc->stages, s);
    const PLoc *first = NULL;
    bool has_into = false;
    for (guint i = 0; i < d->transitions->len; i++) {
      PTransition *t = g_ptr_array_index(d->transitions, i);
      bool is_from = t->from && strcmp(t->from, name) == 0, is_to = strcmp(t->to, name) == 0;
      if (!first && is_from) first = &t->from_loc;
      if (!first && is_to) first = &t->to_loc;
      has_into = has_into || is_to;
    }
    g_autofree char *hint =
        has_into ? g_strdup("the transitions into it leave stages that cannot be reached either")
                 : g_strdup_printf("no transition leads to it: add one, e.g. '%s -> %s when …'",
                                   d->initial, name);
    lint_warn(l, first ? first : &d->name_loc, hint,
              "stage '%s' of lifecycle %s can never be reached", name, lc->name);
  }
}

/* ---- journeys: steps that can never run ------------------------------------------------ */

static void lint_steps(PLint *l, GPtrArray *steps);

static void dead_branch(PLint *l, GPtrArray *steps, const char *msg) {
  if (!steps || steps->len == 0) return;
  PStep *first = g_ptr_array_index(steps, 0);
  lint_warn(l, &first->loc, "remove it, or change the condition", "%s", msg);
}

static void lint_step(PLint *l, PStep *st) {
  bool v;
  switch (st->kind) {
  case PSTEP_IF:
    if (fold_bool(l, st->cond, &v, 0)) {
      if (!v) {
        dead_branch(l, st->body,
                    "this branch can never run: the condition of its 'if' is always false");
        lint_steps(l, st->else_body);
      } else {
        lint_steps(l, st->body);
        dead_branch(l, st->else_body,
                    "this 'else' branch can never run: the condition of its 'if' is always true");
      }
    } else {
      lint_steps(l, st->body);
      lint_steps(l, st->else_body);
    }
    break;
  case PSTEP_SPLIT:
    for (guint i = 0; i < st->arms->len; i++) {
      PSplitArm *arm = g_ptr_array_index(st->arms, i);
      if (arm->weight && arm->weight->kind == PE_NUMBER && arm->weight->nval == 0)
        lint_warn(l, &arm->loc, "remove the arm, or give it a weight",
                  "this split arm can never run: its weight is 0%%");
      else
        lint_step(l, arm->step);
    }
    break;
  case PSTEP_BLOCK: lint_steps(l, st->body); break;
  default: break;
  }
}

static void lint_steps(PLint *l, GPtrArray *steps) {
  for (guint i = 0; steps && i < steps->len; i++) lint_step(l, g_ptr_array_index(steps, i));
}

/* A journey enters only when its trigger fires and its exit condition does
 * not hold (spec 4.6): a trigger that cannot fire makes all of it dead. */
static bool journey_never_starts(PLint *l, PDecl *d) {
  bool v;
  if (d->enter == PENTER_ON && d->enter_stage && d->enter_stage->kind == PE_STRING) {
    PSym *lc = g_hash_table_lookup(l->c->globals, d->enter_lifecycle);
    if (lc && lc->kind == PSYM_LIFECYCLE && lc->decl->initial) {
      int s = pcheck_stage_index(lc, d->enter_stage->sval);
      if (s >= 0 && !stage_reach(l, lc)[s]) {
        lint_warn(l, &d->enter_stage->loc, NULL,
                  "journey %s can never start: stage '%s' of lifecycle %s can never be reached",
                  d->name, d->enter_stage->sval, lc->name);
        return true;
      }
    }
  } else if (d->enter == PENTER_WHEN && fold_bool(l, d->enter_cond, &v, 0) && !v) {
    lint_warn(l, &d->enter_cond->loc, NULL,
              "journey %s can never start: its entry condition is always false", d->name);
    return true;
  }
  if (d->exit_cond && fold_bool(l, d->exit_cond, &v, 0) && v) {
    lint_warn(l, &d->exit_cond->loc, NULL,
              "journey %s can never start: its exit condition always holds", d->name);
    return true;
  }
  return false;
}

/* ---- declarations nothing uses ------------------------------------------------------------- */

static void use_type(GHashTable *names, const PTypeExpr *te, const char *self) {
  while (te && te->kind == PTE_LIST) te = te->elem;
  if (te && te->name && (!self || strcmp(te->name, self) != 0))
    g_hash_table_add(names, (gpointer)te->name);
}

/* Record types named by some other declaration's field (or an extern's
 * parameter or result). */
static GHashTable *used_record_names(PLint *l) {
  GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint f = 0; f < l->c->ast->files->len; f++) {
    PFileAst *fa = g_ptr_array_index(l->c->ast->files, f);
    for (guint i = 0; i < fa->decls->len; i++) {
      PDecl *d = g_ptr_array_index(fa->decls, i);
      const char *self = d->kind == PD_RECORD ? d->name : NULL;
      for (guint k = 0; d->fields && k < d->fields->len; k++)
        use_type(names, ((PFieldDecl *)g_ptr_array_index(d->fields, k))->type, self);
      if (d->ret_type) use_type(names, d->ret_type, NULL);
    }
  }
  return names;
}

/* Only the root file's declarations: an imported file is a library, and a
 * model uses what it needs of it. */
static void lint_unused(PLint *l, PFileAst *root) {
  g_autoptr(GHashTable) records = used_record_names(l);
  for (guint i = 0; i < root->decls->len; i++) {
    PDecl *d = g_ptr_array_index(root->decls, i);
    const char *word = NULL;
    if (d->kind == PD_CONST && d->sym && !g_hash_table_contains(l->used, d->sym)) word = "const";
    if (d->kind == PD_LET && d->sym && !g_hash_table_contains(l->used, d->sym)) word = "let";
    if (d->kind == PD_RECORD && !g_hash_table_contains(records, d->name)) word = "record";
    if (word)
      lint_warn(l, &d->name_loc, "nothing in the model reads it: remove it, or use it",
                "%s '%s' is never used", word, d->name);
    if (d->kind == PD_EXPERIMENT && d->sym && !g_hash_table_contains(l->used, d->sym))
      lint_warn(l, &d->name_loc, "split a journey on it (split EXP { ARM: … }) or read arm(EXP) in a condition",
                "experiment '%s' changes nothing: its arms get the same treatment", d->name);
  }
}

/* ---- driver ------------------------------------------------------------------- */

void plint_run(PCheck *c) {
  g_return_if_fail(c != NULL);
  if (!c->ast->files->len) return;
  PFileAst *root = g_ptr_array_index(c->ast->files, 0);
  PLint l = {
      .c = c,
      .ranges = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free),
      .consts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free),
      .in_progress = g_hash_table_new(g_direct_hash, g_direct_equal),
      .used = g_hash_table_new(g_direct_hash, g_direct_equal),
      .reach = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free),
  };
  for (guint f = 0; f < c->ast->files->len; f++) {
    PFileAst *fa = g_ptr_array_index(c->ast->files, f);
    for (guint i = 0; i < fa->decls->len; i++)
      walk_decl(&l, g_ptr_array_index(fa->decls, i), f == 0);
  }
  for (guint i = 0; i < c->lifecycles->len; i++)
    lint_lifecycle(&l, g_ptr_array_index(c->lifecycles, i));
  for (guint i = 0; i < c->journeys->len; i++) {
    PSym *j = g_ptr_array_index(c->journeys, i);
    if (!journey_never_starts(&l, j->decl)) lint_steps(&l, j->decl->steps);
  }
  lint_unused(&l, root);
  g_hash_table_unref(l.ranges);
  g_hash_table_unref(l.consts);
  g_hash_table_unref(l.in_progress);
  g_hash_table_unref(l.used);
  g_hash_table_unref(l.reach);
}
