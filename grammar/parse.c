/* parse.c - the front end's entry points (parse.h): run the scanner and the
 * parser over one file, and dump tokens or trees for tests.
 *
 * Token dump (pparse_dump_tokens): one line per token,
 *
 *   LINE:COL KIND TEXT
 *
 * KIND is the token's display name as in messages ('when', identifier,
 * string, integer, number, percentage, duration, '->', end of file; a
 * field name before `:` shows as identifier). TEXT is the source text;
 * numeric literals add their value: `number 3.5 = 3.5`, `percentage 50% =
 * 0.5`, `duration 7d = 604800000000us`, and an integer when its value is
 * not its text (`integer 007 = 7`, `= 0` after an overflow error). Strings
 * show their decoded value, re-quoted (`string "a\n上"`; control
 * characters as \u{X}). The last line is the end of file.
 *
 * Tree dump (pparse_dump_tree): one S-expression per declaration, one
 * declaration per line:
 *
 *   (model NAME "version")            (import "path")
 *   (record NAME FIELD…)              (schema FIELD…)
 *       FIELD = (NAME TYPE [(default E)] [key] [pii])
 *       TYPE  = int | string? | (list event) | (list event)?
 *   (const NAME E)                    (let NAME E)
 *   (tag NAME ["label"] E)
 *   (score NAME [(decay E)] [(max E)] [(min E)] RULE…)
 *       RULE  = (+ W when C [(cap X)]) | (- W per QUERY [(cap X)])
 *   (score NAME [(max E)] [(min E)] (= E))          a derived score
 *   (lifecycle NAME (initial S) (-> FROM TO C)…)     FROM is `any` for any
 *   (journey NAME [(enter on L "s") | (enter when C)]
 *                 [(reenter never) | (reenter after D)] [(exit C)] STEP…)
 *       STEP  = (send CH "t") | (task Q "t") | (notify CH "t") | (webhook "n")
 *             | (wait D) | (wait-until C D) | (split (W STEP)…) | (block STEP…)
 *             | (if C (then STEP…) [(else STEP…)])   else-if: (else (if …))
 *             | (label NAME STEP)                    `@NAME STEP`
 *   (test "name" TSTEP…)
 *       TSTEP = (profile E) | (at E) | (expect E) | (expect-no-action)
 *             | (expect-action KIND ARG… [(at E)])
 *   (extern NAME ((p TYPE)…) TYPE "lib")
 *
 * Expressions: 42 (int), 3.5 / 0.5 / 1000.0 (number: always with a point or
 * exponent), "text", 604800000000us (duration), true, false, null, NAME,
 * (list E…), (record (KEY E)…) with KEY bare if it is a word, else quoted,
 * (. E FIELD), (call F E…), (call F QUERY), (neg E), (not E), (OP L R) with
 * OP as written (?? or and == != < <= > >= in + - * / %), (any X L C),
 * (all X L C).
 *   QUERY = (query [(of FIELD)] LIST [(where C)] [(within D) | (since T)])
 */
#include "parse.h"

#include "parser.h"

#define YYSTYPE PERSONA_YYSTYPE
#define YYLTYPE PERSONA_YYLTYPE
#include "lexer.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* ---- running the scanner ---------------------------------------------------- */

/* Sets up ctx and a scanner over file `file`; FALSE (reported) if the file
 * cannot be scanned. */
static gboolean pparse_begin(PParseCtx *ctx, yyscan_t *scanner, PAst *ast,
                             const PSourceSet *src, uint32_t file,
                             PDiagList *diags) {
  *ctx = (PParseCtx){.ast = ast, .src = src, .file = file, .diags = diags,
                     .line = 1, .col = 1};
  const PSourceFile *f = psrc_file(src, file);
  if (!f) return FALSE;
  if (f->len > (size_t)INT_MAX - 2 || f->len > UINT32_MAX / 2) {
    PLoc loc = {.file = file, .line = 1, .col = 1, .end_line = 1, .end_col = 1};
    pdiag_error(diags, &loc, "source file too large (%zu bytes)", f->len);
    return FALSE;
  }
  if (persona_yylex_init_extra(ctx, scanner) != 0) return FALSE;
  persona_yy_scan_bytes(f->text, (int)f->len, *scanner);
  return TRUE;
}

static PFileAst *pparse_run(PAst *ast, const PSourceSet *src, uint32_t file,
                            PDiagList *diags, gboolean comments) {
  PFileAst *out = past_new_node(ast, PFileAst);
  out->file = file;
  out->decls = past_list(ast);
  if (comments) out->comments = past_list(ast);
  g_ptr_array_add(ast->files, out);

  PParseCtx ctx;
  yyscan_t scanner;
  if (!pparse_begin(&ctx, &scanner, ast, src, file, diags)) return out;
  ctx.out = out;
  ctx.comments = out->comments;
  persona_yyparse(scanner, &ctx);
  persona_yylex_destroy(scanner);
  return out;
}

PFileAst *pparse_file(PAst *ast, const PSourceSet *src, uint32_t file,
                      PDiagList *diags) {
  return pparse_run(ast, src, file, diags, FALSE);
}

PFileAst *pparse_file_with_comments(PAst *ast, const PSourceSet *src,
                                    uint32_t file, PDiagList *diags) {
  return pparse_run(ast, src, file, diags, TRUE);
}

/* ---- writing values ---------------------------------------------------------- */

/* The shortest text that reads back as the same double, always with a
 * point or an exponent so that it cannot be taken for an integer. */
static void pdump_number(GString *out, double d) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (d == floor(d) && fabs(d) < 1e15) {
    /* Integral: 1000.0 rather than 1e+03. */
    g_ascii_formatd(buf, sizeof buf, "%.1f", d);
    g_string_append(out, buf);
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    char fmt[8];
    g_snprintf(fmt, sizeof fmt, "%%.%dg", prec);
    g_ascii_formatd(buf, sizeof buf, fmt, d);
    if (g_ascii_strtod(buf, NULL) == d) break;
  }
  g_string_append(out, buf);
  if (!strpbrk(buf, ".eEn")) g_string_append(out, ".0"); /* n: inf, nan */
}

static void pdump_string(GString *out, const char *s, size_t len) {
  g_string_append_c(out, '"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': g_string_append(out, "\\\""); break;
    case '\\': g_string_append(out, "\\\\"); break;
    case '\n': g_string_append(out, "\\n"); break;
    case '\t': g_string_append(out, "\\t"); break;
    case '\r': g_string_append(out, "\\r"); break;
    default:
      if (c < 0x20 || c == 0x7F)
        g_string_append_printf(out, "\\u{%X}", c);
      else
        g_string_append_c(out, (char)c);
    }
  }
  g_string_append_c(out, '"');
}

static gboolean pdump_is_word(const char *s) {
  if (!s || !(g_ascii_isalpha(*s) || *s == '_')) return FALSE;
  for (; *s; s++)
    if (!(g_ascii_isalnum(*s) || *s == '_')) return FALSE;
  return TRUE;
}

/* ---- token dump -------------------------------------------------------------- */

static void pdump_token(GString *out, const PSourceFile *f, int tok,
                        const YYSTYPE *val, const PLoc *loc) {
  g_string_append_printf(out, "%u:%u %s", loc->line, loc->col,
                         pparse_token_display(tok));
  if (tok == PT_EOF) {
    g_string_append_c(out, '\n');
    return;
  }
  g_string_append_c(out, ' ');
  if (tok == PT_STRING) {
    pdump_string(out, val->str.s, val->str.len);
  } else {
    g_string_append_len(out, f->text + loc->offset,
                        (gssize)(loc->end_offset - loc->offset));
  }
  switch (tok) {
  case PT_NUMBER:
  case PT_PERCENT:
    g_string_append(out, " = ");
    pdump_number(out, val->nval);
    break;
  case PT_DURATION:
    g_string_append_printf(out, " = %" G_GINT64_FORMAT "us", val->ival);
    break;
  case PT_INT: {
    /* Only when the value differs from the text (a reported error). */
    g_autofree char *v = g_strdup_printf("%" G_GINT64_FORMAT, val->ival);
    if (strlen(v) != loc->end_offset - loc->offset ||
        memcmp(v, f->text + loc->offset, strlen(v)) != 0)
      g_string_append_printf(out, " = %s", v);
    break;
  }
  default:
    break;
  }
  g_string_append_c(out, '\n');
}

char *pparse_dump_tokens(const PSourceSet *src, uint32_t file, PDiagList *diags) {
  GString *out = g_string_new(NULL);
  g_autoptr(PAst) ast = past_new(); /* holds the token strings */
  PParseCtx ctx;
  yyscan_t scanner;
  if (!pparse_begin(&ctx, &scanner, ast, src, file, diags))
    return g_string_free(out, FALSE);
  const PSourceFile *f = psrc_file(src, file);
  for (;;) {
    YYSTYPE val = {0};
    PLoc loc = {0};
    int tok = persona_yylex(&val, &loc, scanner);
    pdump_token(out, f, tok, &val, &loc);
    if (tok == PT_EOF) break;
  }
  persona_yylex_destroy(scanner);
  return g_string_free(out, FALSE);
}

/* ---- tree dump --------------------------------------------------------------- */

static void pdump_expr(GString *out, const PExpr *e);
static void pdump_steps(GString *out, const GPtrArray *steps);

static void pdump_type(GString *out, const PTypeExpr *t) {
  if (!t) {
    g_string_append(out, "?missing");
    return;
  }
  if (t->kind == PTE_LIST) {
    g_string_append(out, "(list ");
    pdump_type(out, t->elem);
    g_string_append_c(out, ')');
  } else {
    g_string_append(out, t->name);
  }
  if (t->optional) g_string_append_c(out, '?');
}

static void pdump_query(GString *out, const PQuery *q) {
  g_string_append(out, "(query ");
  if (q->field) g_string_append_printf(out, "(of %s) ", q->field);
  pdump_expr(out, q->list);
  if (q->where) {
    g_string_append(out, " (where ");
    pdump_expr(out, q->where);
    g_string_append_c(out, ')');
  }
  if (q->window != PWIN_NONE) {
    g_string_append(out, q->window == PWIN_WITHIN ? " (within " : " (since ");
    pdump_expr(out, q->window_expr);
    g_string_append_c(out, ')');
  }
  g_string_append_c(out, ')');
}

static void pdump_exprs(GString *out, const GPtrArray *items) {
  for (guint i = 0; items && i < items->len; i++) {
    g_string_append_c(out, ' ');
    pdump_expr(out, g_ptr_array_index(items, i));
  }
}

static void pdump_expr(GString *out, const PExpr *e) {
  if (!e) {
    g_string_append(out, "?missing");
    return;
  }
  switch (e->kind) {
  case PE_INT: g_string_append_printf(out, "%" G_GINT64_FORMAT, e->ival); break;
  case PE_NUMBER: pdump_number(out, e->nval); break;
  case PE_STRING: pdump_string(out, e->sval, e->slen); break;
  case PE_DURATION: g_string_append_printf(out, "%" G_GINT64_FORMAT "us", e->ival); break;
  case PE_BOOL: g_string_append(out, e->bval ? "true" : "false"); break;
  case PE_NULL: g_string_append(out, "null"); break;
  case PE_NAME: g_string_append(out, e->name); break;
  case PE_LIST:
    g_string_append(out, "(list");
    pdump_exprs(out, e->items);
    g_string_append_c(out, ')');
    break;
  case PE_RECORD:
    g_string_append(out, "(record");
    for (guint i = 0; i < e->items->len; i++) {
      const PRecordField *f = g_ptr_array_index(e->items, i);
      g_string_append(out, " (");
      if (pdump_is_word(f->name))
        g_string_append(out, f->name);
      else
        pdump_string(out, f->name, strlen(f->name));
      g_string_append_c(out, ' ');
      pdump_expr(out, f->value);
      g_string_append_c(out, ')');
    }
    g_string_append_c(out, ')');
    break;
  case PE_FIELD:
    g_string_append(out, "(. ");
    pdump_expr(out, e->left);
    g_string_append_printf(out, " %s)", e->name);
    break;
  case PE_CALL:
    g_string_append_printf(out, "(call %s", e->name);
    if (e->query) {
      g_string_append_c(out, ' ');
      pdump_query(out, e->query);
    }
    pdump_exprs(out, e->items);
    g_string_append_c(out, ')');
    break;
  case PE_UNARY:
    g_string_append(out, e->op == POP_NOT ? "(not " : "(neg ");
    pdump_expr(out, e->left);
    g_string_append_c(out, ')');
    break;
  case PE_BINARY:
    g_string_append_printf(out, "(%s ", pop_text(e->op));
    pdump_expr(out, e->left);
    g_string_append_c(out, ' ');
    pdump_expr(out, e->right);
    g_string_append_c(out, ')');
    break;
  case PE_QUANT:
    g_string_append_printf(out, "(%s %s ", e->quant_all ? "all" : "any", e->name);
    pdump_expr(out, e->left);
    g_string_append_c(out, ' ');
    pdump_expr(out, e->right);
    g_string_append_c(out, ')');
    break;
  }
}

/* " (TAG E)" when e is set. */
static void pdump_clause(GString *out, const char *tag, const PExpr *e) {
  if (!e) return;
  g_string_append_printf(out, " (%s ", tag);
  pdump_expr(out, e);
  g_string_append_c(out, ')');
}

static void pdump_fields(GString *out, const GPtrArray *fields) {
  for (guint i = 0; fields && i < fields->len; i++) {
    const PFieldDecl *f = g_ptr_array_index(fields, i);
    g_string_append_printf(out, " (%s ", f->name);
    pdump_type(out, f->type);
    pdump_clause(out, "default", f->default_value);
    if (f->is_key) g_string_append(out, " key");
    if (f->is_pii) g_string_append(out, " pii");
    if (f->has_unit) g_string_append(out, f->epoch_ms ? " ms" : " s");
    g_string_append_c(out, ')');
  }
}

static void pdump_rule(GString *out, const PScoreRule *r) {
  g_string_append_printf(out, " (%c ", r->negative ? '-' : '+');
  pdump_expr(out, r->weight);
  if (r->kind == PRULE_WHEN) {
    g_string_append(out, " when ");
    pdump_expr(out, r->cond);
  } else {
    g_string_append(out, " per ");
    pdump_query(out, r->query);
  }
  pdump_clause(out, "cap", r->cap);
  g_string_append_c(out, ')');
}

static void pdump_text_step(GString *out, const char *kind, const PStep *s) {
  g_string_append_printf(out, "(%s ", kind);
  if (s->channel) g_string_append_printf(out, "%s ", s->channel);
  pdump_string(out, s->text, s->text_len);
  g_string_append_c(out, ')');
}

static void pdump_step(GString *out, const PStep *s) {
  if (s->label) g_string_append_printf(out, "(label %s ", s->label);
  switch (s->kind) {
  case PSTEP_SEND: pdump_text_step(out, "send", s); break;
  case PSTEP_TASK: pdump_text_step(out, "task", s); break;
  case PSTEP_NOTIFY: pdump_text_step(out, "notify", s); break;
  case PSTEP_WEBHOOK: pdump_text_step(out, "webhook", s); break;
  case PSTEP_WAIT:
    g_string_append(out, "(wait ");
    pdump_expr(out, s->duration);
    g_string_append_c(out, ')');
    break;
  case PSTEP_WAIT_UNTIL:
    g_string_append(out, "(wait-until ");
    pdump_expr(out, s->cond);
    g_string_append_c(out, ' ');
    pdump_expr(out, s->duration);
    g_string_append_c(out, ')');
    break;
  case PSTEP_IF:
    g_string_append(out, "(if ");
    pdump_expr(out, s->cond);
    g_string_append(out, " (then");
    pdump_steps(out, s->body);
    g_string_append_c(out, ')');
    if (s->else_body) {
      g_string_append(out, " (else");
      pdump_steps(out, s->else_body);
      g_string_append_c(out, ')');
    }
    g_string_append_c(out, ')');
    break;
  case PSTEP_SPLIT:
    g_string_append(out, "(split");
    for (guint i = 0; i < s->arms->len; i++) {
      const PSplitArm *a = g_ptr_array_index(s->arms, i);
      g_string_append(out, " (");
      pdump_expr(out, a->weight);
      g_string_append_c(out, ' ');
      pdump_step(out, a->step);
      g_string_append_c(out, ')');
    }
    g_string_append_c(out, ')');
    break;
  case PSTEP_BLOCK:
    g_string_append(out, "(block");
    pdump_steps(out, s->body);
    g_string_append_c(out, ')');
    break;
  }
  if (s->label) g_string_append_c(out, ')');
}

static void pdump_steps(GString *out, const GPtrArray *steps) {
  for (guint i = 0; steps && i < steps->len; i++) {
    g_string_append_c(out, ' ');
    pdump_step(out, g_ptr_array_index(steps, i));
  }
}

static void pdump_test_step(GString *out, const PTestStep *t) {
  switch (t->kind) {
  case PTSTEP_PROFILE: pdump_clause(out, "profile", t->value); break;
  case PTSTEP_AT: pdump_clause(out, "at", t->value); break;
  case PTSTEP_EXPECT: pdump_clause(out, "expect", t->value); break;
  case PTSTEP_EXPECT_ACTION:
    g_string_append_printf(out, " (expect-action %s", t->kind_name);
    pdump_exprs(out, t->args);
    pdump_clause(out, "at", t->at);
    g_string_append_c(out, ')');
    break;
  case PTSTEP_EXPECT_NO_ACTION: g_string_append(out, " (expect-no-action)"); break;
  case PTSTEP_PROFILES:
    g_string_append(out, " (profile-from ");
    pdump_string(out, t->value->sval, t->value->slen);
    g_string_append_c(out, ')');
    break;
  }
}

static void pdump_journey(GString *out, const PDecl *d) {
  if (d->enter == PENTER_ON) {
    g_string_append_printf(out, " (enter on %s ", d->enter_lifecycle);
    pdump_expr(out, d->enter_stage);
    g_string_append_c(out, ')');
  } else if (d->enter == PENTER_WHEN) {
    pdump_clause(out, "enter when", d->enter_cond);
  }
  if (d->has_reenter) {
    if (d->reenter_never)
      g_string_append(out, " (reenter never)");
    else
      pdump_clause(out, "reenter after", d->reenter_after);
  }
  pdump_clause(out, "exit", d->exit_cond);
  pdump_steps(out, d->steps);
}

static void pdump_unify_items(GString *out, const GPtrArray *items) {
  for (guint i = 0; items && i < items->len; i++) {
    const PUnifyItem *u = g_ptr_array_index(items, i);
    g_string_append_printf(out, " (%s", u->word ? u->word : "sub");
    if (u->arg && u->word && strcmp(u->word, "never") == 0) g_string_append_printf(out, " %s", u->arg);
    if (u->name) g_string_append_printf(out, " %s", u->name);
    if (u->from) g_string_append_printf(out, " (from %s)", u->from);
    if (u->arg && !(u->word && strcmp(u->word, "never") == 0)) g_string_append_printf(out, " (= %s)", u->arg);
    if (u->has_int) g_string_append_printf(out, " %" G_GINT64_FORMAT, u->ival);
    if (u->text) {
      g_string_append_c(out, ' ');
      pdump_string(out, u->text, u->text_len);
    }
    if (u->list) pdump_unify_items(out, u->list);
    g_string_append_c(out, ')');
  }
}

static void pdump_decl(GString *out, const PDecl *d) {
  switch (d->kind) {
  case PD_MODEL:
    g_string_append_printf(out, "(model %s ", d->name);
    pdump_string(out, d->text, d->text_len);
    break;
  case PD_IMPORT:
    g_string_append(out, "(import ");
    pdump_string(out, d->text, d->text_len);
    break;
  case PD_RECORD:
    g_string_append_printf(out, "(record %s", d->name);
    pdump_fields(out, d->fields);
    break;
  case PD_SCHEMA:
    g_string_append(out, "(schema");
    pdump_fields(out, d->fields);
    break;
  case PD_OUTPUT:
    g_string_append(out, "(output ");
    pdump_expr(out, d->expr);
    break;
  case PD_IDENTITY:
  case PD_SOURCE:
    g_string_append_printf(out, "(%s%s%s", d->kind == PD_IDENTITY ? "identity" : "source",
                           d->name ? " " : "", d->name ? d->name : "");
    pdump_unify_items(out, d->items);
    break;
  case PD_CONST:
  case PD_LET:
    g_string_append_printf(out, "(%s %s ", d->kind == PD_CONST ? "const" : "let", d->name);
    pdump_expr(out, d->expr);
    break;
  case PD_TAG:
    g_string_append_printf(out, "(%s %s ", d->is_segment ? "segment" : "tag", d->name);
    if (d->text) {
      pdump_string(out, d->text, d->text_len);
      g_string_append_c(out, ' ');
    }
    pdump_expr(out, d->expr);
    break;
  case PD_SCORE:
    g_string_append_printf(out, "(score %s", d->name);
    pdump_clause(out, "decay", d->decay);
    pdump_clause(out, "max", d->max);
    pdump_clause(out, "min", d->min);
    if (d->rules) {
      for (guint i = 0; i < d->rules->len; i++)
        pdump_rule(out, g_ptr_array_index(d->rules, i));
    } else {
      pdump_clause(out, "=", d->expr);
    }
    break;
  case PD_LIFECYCLE:
    g_string_append_printf(out, "(lifecycle %s (initial %s)", d->name, d->initial);
    for (guint i = 0; i < d->transitions->len; i++) {
      const PTransition *t = g_ptr_array_index(d->transitions, i);
      g_string_append_printf(out, " (-> %s %s ", t->from ? t->from : "any", t->to);
      pdump_expr(out, t->cond);
      g_string_append_c(out, ')');
    }
    break;
  case PD_JOURNEY:
    g_string_append_printf(out, "(journey %s", d->name);
    pdump_journey(out, d);
    break;
  case PD_EXPERIMENT:
    g_string_append_printf(out, "(experiment %s", d->name);
    for (guint i = 0; d->arms && i < d->arms->len; i++) {
      const PSplitArm *a = g_ptr_array_index(d->arms, i);
      g_string_append_printf(out, " (arm %s %g)", a->name, a->weight->nval);
    }
    if (d->salt) {
      g_string_append(out, " (salt ");
      pdump_string(out, d->salt, d->salt_len);
      g_string_append_c(out, ')');
    }
    if (d->expr) {
      g_string_append(out, " (metric ");
      pdump_expr(out, d->expr);
      g_string_append_c(out, ' ');
      pdump_expr(out, d->metric_window);
      g_string_append_c(out, ')');
    }
    if (d->control) g_string_append_printf(out, " (control %s)", d->control);
    break;
  case PD_TEST:
    g_string_append(out, "(test ");
    pdump_string(out, d->text, d->text_len);
    for (guint i = 0; i < d->test_steps->len; i++)
      pdump_test_step(out, g_ptr_array_index(d->test_steps, i));
    break;
  case PD_EXTERN:
    g_string_append_printf(out, "(extern %s (", d->name);
    for (guint i = 0; i < d->fields->len; i++) {
      const PFieldDecl *p = g_ptr_array_index(d->fields, i);
      g_string_append_printf(out, "%s(%s ", i ? " " : "", p->name);
      pdump_type(out, p->type);
      g_string_append_c(out, ')');
    }
    g_string_append(out, ") ");
    pdump_type(out, d->ret_type);
    g_string_append_c(out, ' ');
    pdump_string(out, d->text, d->text_len);
    break;
  }
  g_string_append(out, ")\n");
}

char *pparse_dump_tree(const PFileAst *file) {
  GString *out = g_string_new(NULL);
  for (guint i = 0; file && i < file->decls->len; i++)
    pdump_decl(out, g_ptr_array_index(file->decls, i));
  return g_string_free(out, FALSE);
}
