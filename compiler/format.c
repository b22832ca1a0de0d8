/* format.c - `persona fmt` (format.h): print a syntax tree back as source
 * in the one canonical layout, with every comment kept.
 *
 * Layout rules (also in docs/cli.md, "persona fmt"):
 *  - Declarations in source order, one per line (blocks over several);
 *    two spaces of indentation per block level; `{` ends the line that
 *    opens a block, `}` stands on its own line. An empty block is `{}`;
 *    a score with one rule written on one line stays on one line
 *    (`score visits { +1 per events }`).
 *  - Blank lines: the user's, at most one in a row, none at the start or
 *    end of the file or of a block. No blank line is ever added.
 *  - Inside a line: one space around binary operators and after commas
 *    and colons, none inside brackets: `a.b`, `f(x, y)`, `[a, b]`,
 *    `{k: v}`, `-x`, `not x`. Parentheses are kept where the user wrote
 *    them (and added where the tree needs them); no other parentheses.
 *  - Literals: numbers, percentages and durations exactly as written
 *    (`1e3`, `0.50`, `50%`, `7d`); strings re-escaped canonically (`\"`,
 *    `\\`, `\n`, `\t`, `\r`, `\b`, `\f`, and `\u{X}` for other control and
 *    invisible characters; everything else as UTF-8); record keys bare
 *    when they are words (`{"type": 1}` becomes `{type: 1}`).
 *  - Line breaks inside an expression are the user's, kept only after a
 *    binary operator (a break before one moves after it, so no line ever
 *    starts with a binary `+` or `-`) and after a comma in a list, record
 *    or call. A continuation line lines up with the start of the operator
 *    chain, or with the first item after the bracket. When the first item
 *    itself starts a new line, the items are indented one level and the
 *    closing bracket gets its own line (with a trailing comma before it).
 *    Every other break is removed: there is no line length limit.
 *  - Clauses in canonical order: fields `name: TYPE [= DEFAULT] [key]
 *    [pii]`; a score's `decay`/`max`/`min` and a journey's enter/reenter/
 *    exit stay in the order written.
 *  - Alignment, in runs of consecutive one-line declarations of the same
 *    kind (broken by a blank line, a comment line or a line of another
 *    kind): the `=` of consts, lets and derived scores; the label and
 *    `when` of tags; `when`/`per` after score weights; `->` and `when` of
 *    lifecycle transitions. Widths count East Asian wide characters as
 *    two columns; one cell much wider than the others (a long label, a
 *    parenthesised weight) is left out of the alignment.
 *  - Comments: a comment on its own line stays on its own line, indented
 *    as the code around it; a comment after code stays at the end of that
 *    line. Trailing comments of consecutive lines at the same indentation
 *    line up two spaces after the longest code among them (again leaving
 *    out one much longer line). A comment inside a construct at a place
 *    where the layout keeps no line break moves to the end of that line
 *    (or onto its own line after it). Text is kept as written (trailing
 *    blanks removed).
 */
#include "format.h"

#include "grammar/parse.h"

#include <stdlib.h>
#include <string.h>

/* Separates the alignment cells of a line; never in printed code
 * (strings escape control characters, comments are kept apart). */
#define FMT_CELL '\x1f'
#define FMT_INDENT 2

/* Kinds of one-line declarations whose columns line up. */
typedef enum {
  FG_NONE,
  FG_CONST,
  FG_LET,
  FG_TAG,
  FG_SEGMENT,
  FG_SCORE_EQ,
  FG_RULE,
  FG_TRANS,
} FGroup;

typedef enum { FL_CODE, FL_COMMENT, FL_BLANK } FLineKind;

/* One physical output line. */
typedef struct FLine {
  FLineKind kind;
  int indent;
  GString *text;  /* code (cells split by FMT_CELL), or the comment */
  char *comment;  /* FL_CODE: trailing comment, or NULL */
  FGroup group;
  bool multi;     /* one of several lines of one broken line: never aligned */
  gsize wlen;     /* fmt_col: bytes of text measured so far */
  int wcols;      /* fmt_col: their width */
} FLine;

typedef struct Fmt {
  const char *src; /* the file's text */
  size_t src_len;
  const GPtrArray *comments; /* PComment*, in source order */
  guint next;                /* first comment not yet printed */
  GPtrArray *lines;          /* FLine*, owned */
  FLine *cur;                /* the line being written, or NULL */
  guint logical;             /* index of the first line of the current logical line */
  int indent;
  uint32_t last_line;        /* source line of the last thing printed */
  bool block_start;          /* no blank line before the next line */
  int depth;                 /* expressions being printed, nested */
  bool too_deep;             /* gave up: deeper than FMT_MAX_DEPTH */
} Fmt;

/* Printing recurses once per level of an expression tree (a chain
 * `a + b + …` is as deep as it is long). Deeper trees are refused rather
 * than risking the stack; real models stay far below this. */
#define FMT_MAX_DEPTH 5000

static void fline_free(gpointer p) {
  FLine *l = p;
  g_string_free(l->text, TRUE);
  g_free(l->comment);
  g_free(l);
}

/* ---- display width ---------------------------------------------------------- */

/* East Asian wide and fullwidth ranges (the main blocks), fixed here so
 * that the layout does not depend on the GLib version's Unicode tables. */
static int fmt_char_width(gunichar c) {
  static const gunichar wide[][2] = {
      {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},
      {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
      {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE30, 0xFE4F},
      {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
      {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
  };
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F)) return 0;
  for (gsize i = 0; i < G_N_ELEMENTS(wide); i++)
    if (c >= wide[i][0] && c <= wide[i][1]) return 2;
  return 1;
}

/* Columns taken by UTF-8 text (a cell separator counts as one space). */
static int fmt_width(const char *s, gsize len) {
  int w = 0;
  const char *end = s + len;
  while (s < end) {
    gunichar c = g_utf8_get_char_validated(s, end - s);
    if (c == (gunichar)-1 || c == (gunichar)-2) { /* cannot happen: checked by the lexer */
      w++;
      s++;
      continue;
    }
    w += fmt_char_width(c);
    s = g_utf8_next_char(s);
  }
  return w;
}

/* ---- building lines ------------------------------------------------------------ */

static FLine *fmt_new_line(Fmt *f, FLineKind kind, int indent) {
  FLine *l = g_new0(FLine, 1);
  l->kind = kind;
  l->indent = indent;
  l->text = g_string_new(NULL);
  g_ptr_array_add(f->lines, l);
  return l;
}

static FLine *fmt_last(Fmt *f) {
  return f->lines->len ? g_ptr_array_index(f->lines, f->lines->len - 1) : NULL;
}

/* One blank line where the source had at least one before `line`. */
static void fmt_gap(Fmt *f, uint32_t line) {
  FLine *last = fmt_last(f);
  if (!f->block_start && last && last->kind != FL_BLANK && line > f->last_line + 1)
    fmt_new_line(f, FL_BLANK, 0);
}

static char *fmt_comment_text(const PComment *c) {
  gsize n = strlen(c->text);
  while (n > 0 && (c->text[n - 1] == ' ' || c->text[n - 1] == '\t' || c->text[n - 1] == '\r'))
    n--;
  return g_strndup(c->text, n);
}

/* Prints the comments that start before `limit`: one after code goes to
 * the end of the last line when that is code without a comment; any
 * other on its own line at `indent`. `gaps`: keep blank lines before
 * them (not inside an expression). */
static void fmt_comments(Fmt *f, uint32_t limit, int indent, bool gaps) {
  while (f->comments && f->next < f->comments->len) {
    const PComment *c = g_ptr_array_index(f->comments, f->next);
    if (c->loc.offset >= limit) break;
    f->next++;
    FLine *last = fmt_last(f);
    if (!c->own_line && last && last->kind == FL_CODE && !last->comment) {
      last->comment = fmt_comment_text(c);
    } else {
      if (gaps) fmt_gap(f, c->loc.line);
      FLine *l = fmt_new_line(f, FL_COMMENT, indent);
      g_autofree char *text = fmt_comment_text(c);
      g_string_append(l->text, text);
      f->block_start = false;
    }
    f->last_line = MAX(f->last_line, c->loc.end_line);
  }
}

static bool fmt_comment_before(const Fmt *f, uint32_t limit) {
  if (!f->comments || f->next >= f->comments->len) return false;
  const PComment *c = g_ptr_array_index(f->comments, f->next);
  return c->loc.offset < limit;
}

/* Starts the logical line of a construct at `loc`, after the comments
 * before it. */
static void fmt_begin(Fmt *f, const PLoc *loc, FGroup group) {
  fmt_comments(f, loc->offset, f->indent, true);
  fmt_gap(f, loc->line);
  f->cur = fmt_new_line(f, FL_CODE, f->indent);
  f->cur->group = group;
  f->logical = f->lines->len - 1;
  f->block_start = false;
  f->last_line = MAX(f->last_line, loc->line);
}

static void fmt_end(Fmt *f, uint32_t end_line) {
  f->last_line = MAX(f->last_line, end_line);
  f->cur = NULL;
}

static void fmt_put(Fmt *f, const char *s) {
  g_string_append(f->cur->text, s);
}

static void fmt_putn(Fmt *f, const char *s, gsize n) {
  g_string_append_len(f->cur->text, s, (gssize)n);
}

static void fmt_cell(Fmt *f) {
  g_string_append_c(f->cur->text, FMT_CELL);
}

/* The column after the text of the current line, as printed when its
 * cells are not aligned: a cell separator is one space after a cell with
 * text, nothing after an empty cell. Measured incrementally: a long line
 * is not scanned again for each operator on it. */
static int fmt_col(Fmt *f) {
  FLine *l = f->cur;
  const char *s = l->text->str;
  if (l->wlen > l->text->len) l->wlen = l->wcols = 0; /* truncated */
  while (l->wlen < l->text->len) {
    gsize i = l->wlen;
    if (s[i] == FMT_CELL) {
      if (i > 0 && s[i - 1] != FMT_CELL) l->wcols++;
      l->wlen++;
      continue;
    }
    const char *next = g_utf8_find_next_char(s + i, s + l->text->len);
    gsize n = next ? (gsize)(next - (s + i)) : l->text->len - i;
    l->wcols += fmt_width(s + i, n);
    l->wlen += n;
  }
  return l->indent + l->wcols;
}

/* Keeps a line break the user wrote: the comments before `limit` go at
 * the end of this line or on lines of their own at `comment_indent`, and
 * the code goes on at column `indent`. */
static void fmt_break(Fmt *f, int comment_indent, int indent, uint32_t limit) {
  FGroup group = f->cur->group;
  f->cur->multi = true;
  FLine *first = g_ptr_array_index(f->lines, f->logical);
  first->multi = true;
  fmt_comments(f, limit, comment_indent, false);
  f->cur = fmt_new_line(f, FL_CODE, indent);
  f->cur->group = group;
  f->cur->multi = true;
}

/* Ends the current line with ` {` and indents what follows. */
static void fmt_open_block(Fmt *f, uint32_t open_line) {
  fmt_put(f, " {");
  fmt_end(f, open_line);
  f->indent += FMT_INDENT;
  f->block_start = true;
}

/* The comments left inside a block, then a line starting with `}` (the
 * caller may add ` else {`). */
static void fmt_close_block(Fmt *f, uint32_t close_offset, uint32_t close_line) {
  fmt_comments(f, close_offset, f->indent, true);
  f->indent -= FMT_INDENT;
  f->cur = fmt_new_line(f, FL_CODE, f->indent);
  f->logical = f->lines->len - 1;
  fmt_put(f, "}");
  f->block_start = false;
  f->last_line = MAX(f->last_line, close_line);
}

/* ---- literals -------------------------------------------------------------------- */

/* Invisible characters are escaped so that a reader sees them. */
static bool fmt_escape_char(gunichar c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

static void fmt_string(Fmt *f, const char *s, gsize len) {
  GString *out = f->cur->text;
  g_string_append_c(out, '"');
  const char *p = s, *end = s + len;
  while (p < end) {
    gunichar c = g_utf8_get_char_validated(p, end - p);
    if (c == (gunichar)-1 || c == (gunichar)-2) { /* not from the lexer; keep the byte */
      g_string_append_printf(out, "\\u{%X}", (unsigned)(unsigned char)*p);
      p++;
      continue;
    }
    const char *next = g_utf8_next_char(p);
    switch (c) {
    case '"': g_string_append(out, "\\\""); break;
    case '\\': g_string_append(out, "\\\\"); break;
    case '\n': g_string_append(out, "\\n"); break;
    case '\t': g_string_append(out, "\\t"); break;
    case '\r': g_string_append(out, "\\r"); break;
    case '\b': g_string_append(out, "\\b"); break;
    case '\f': g_string_append(out, "\\f"); break;
    default:
      if (fmt_escape_char(c))
        g_string_append_printf(out, "\\u{%X}", (unsigned)c);
      else
        g_string_append_len(out, p, next - p);
    }
    p = next;
  }
  g_string_append_c(out, '"');
}

static bool fmt_is_word(const char *s) {
  if (!s || !(g_ascii_isalpha(*s) || *s == '_')) return false;
  for (; *s; s++)
    if (!(g_ascii_isalnum(*s) || *s == '_')) return false;
  return true;
}

/* A number, percentage or duration as written; the value if the location
 * does not hold a literal (a tree not made by the parser). */
static void fmt_number(Fmt *f, const PExpr *e) {
  gsize n = e->loc.end_offset > e->loc.offset ? e->loc.end_offset - e->loc.offset : 0;
  bool ok = n > 0 && e->loc.end_offset <= f->src_len;
  for (gsize i = 0; ok && i < n; i++) {
    char c = f->src[e->loc.offset + i];
    ok = g_ascii_isdigit(c) || strchr(".eE+-%smhdw", c) != NULL;
  }
  if (ok && g_ascii_isdigit(f->src[e->loc.offset])) {
    fmt_putn(f, f->src + e->loc.offset, n);
    return;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (e->kind == PE_NUMBER)
    fmt_put(f, g_ascii_dtostr(buf, sizeof buf, e->nval));
  else
    g_string_append_printf(f->cur->text, "%" G_GINT64_FORMAT "%s", e->ival,
                           e->kind == PE_DURATION ? "us?" : "");
}

/* ---- expressions ------------------------------------------------------------------ */

/* Precedence levels, loosest first (spec 5.1). */
enum {
  PR_QUANT,
  PR_COALESCE,
  PR_OR,
  PR_AND,
  PR_NOT,
  PR_CMP,
  PR_ADD,
  PR_MUL,
  PR_NEG,
  PR_POSTFIX,
};

static int fmt_binary_prec(POp op) {
  switch (op) {
  case POP_COALESCE: return PR_COALESCE;
  case POP_OR: return PR_OR;
  case POP_AND: return PR_AND;
  case POP_EQ: case POP_NE: case POP_LT: case POP_LE: case POP_GT: case POP_GE:
  case POP_IN: return PR_CMP;
  case POP_ADD: case POP_SUB: return PR_ADD;
  default: return PR_MUL;
  }
}

static int fmt_prec(const PExpr *e) {
  switch (e->kind) {
  case PE_QUANT: return PR_QUANT;
  case PE_UNARY: return e->op == POP_NOT ? PR_NOT : PR_NEG;
  case PE_BINARY: return fmt_binary_prec(e->op);
  default: return PR_POSTFIX;
  }
}

/* Whether `e` needs parentheses where the context binds at `need`; a
 * quantifier's body runs to the right as far as it can, so it needs them
 * unless nothing follows it (`rightmost`). */
static bool fmt_needs_parens(const PExpr *e, int need, bool rightmost) {
  if (e->kind == PE_QUANT) return !rightmost;
  return fmt_prec(e) < need;
}

static void fmt_expr(Fmt *f, const PExpr *e, int need, bool rightmost);

static void fmt_binary(Fmt *f, const PExpr *e, int chain, bool rightmost) {
  if (++f->depth > FMT_MAX_DEPTH) f->too_deep = true;
  if (f->too_deep) {
    f->depth--;
    return;
  }
  if (chain < 0) chain = fmt_col(f);
  int p = fmt_binary_prec(e->op);
  int lneed = p, rneed = p + 1;
  if (e->op == POP_COALESCE) {
    lneed = p + 1;
    rneed = p;
  } else if (p == PR_CMP) {
    lneed = p + 1;
  }
  const PExpr *l = e->left, *r = e->right;
  /* The left operand of the same visual chain breaks at the same column. */
  if (l->kind == PE_BINARY && !l->parens && !fmt_needs_parens(l, lneed, false))
    fmt_binary(f, l, chain, false);
  else
    fmt_expr(f, l, lneed, false);
  fmt_put(f, " ");
  fmt_put(f, pop_text(e->op));
  if (r->loc.line > l->loc.end_line)
    fmt_break(f, chain, chain, r->loc.offset);
  else
    fmt_put(f, " ");
  fmt_expr(f, r, rneed, rightmost);
  f->depth--;
}

typedef const PLoc *(*FmtLocFn)(gconstpointer item);
typedef void (*FmtItemFn)(Fmt *f, gconstpointer item);

static const PLoc *fmt_expr_loc(gconstpointer item) {
  return &((const PExpr *)item)->loc;
}

static void fmt_expr_item(Fmt *f, gconstpointer item) {
  fmt_expr(f, item, PR_QUANT, true);
}

static const PLoc *fmt_rfield_loc(gconstpointer item) {
  return &((const PRecordField *)item)->loc;
}

static void fmt_rfield_item(Fmt *f, gconstpointer item) {
  const PRecordField *r = item;
  if (fmt_is_word(r->name))
    fmt_put(f, r->name);
  else
    fmt_string(f, r->name, strlen(r->name));
  fmt_put(f, ": ");
  fmt_expr(f, r->value, PR_QUANT, true);
}

/* `open items close` for lists, records and call arguments, keeping the
 * user's line breaks after commas. `whole` spans the construct: its first
 * line holds the opening bracket, its last byte is the closing one. */
static void fmt_items(Fmt *f, const char *open, const char *close, const GPtrArray *items,
                      FmtLocFn loc_of, FmtItemFn print, const PLoc *whole) {
  fmt_put(f, open);
  guint n = items ? items->len : 0;
  if (n == 0) {
    fmt_put(f, close);
    return;
  }
  bool block = loc_of(g_ptr_array_index(items, 0))->line > whole->line;
  int base = f->cur->indent;
  int col = block ? base + FMT_INDENT : fmt_col(f);
  if (block) fmt_break(f, col, col, loc_of(g_ptr_array_index(items, 0))->offset);
  for (guint i = 0; i < n; i++) {
    const PLoc *loc = loc_of(g_ptr_array_index(items, i));
    if (i > 0) {
      fmt_put(f, ",");
      if (loc->line > loc_of(g_ptr_array_index(items, i - 1))->end_line)
        fmt_break(f, col, col, loc->offset);
      else
        fmt_put(f, " ");
    }
    print(f, g_ptr_array_index(items, i));
  }
  if (block) {
    fmt_put(f, ",");
    fmt_break(f, col, base, whole->end_offset > 0 ? whole->end_offset - 1 : 0);
  }
  fmt_put(f, close);
}

static void fmt_query(Fmt *f, const PQuery *q) {
  if (q->field) {
    fmt_put(f, q->field);
    fmt_put(f, " of ");
  }
  fmt_expr(f, q->list, PR_QUANT + 1, false);
  if (q->where) {
    fmt_put(f, " where ");
    fmt_expr(f, q->where, PR_QUANT, true);
  }
  if (q->window != PWIN_NONE && q->window_expr) {
    fmt_put(f, q->window == PWIN_WITHIN ? " within " : " since ");
    fmt_expr(f, q->window_expr, PR_QUANT, true);
  }
}

static void fmt_expr_inner(Fmt *f, const PExpr *e, bool rightmost) {
  switch (e->kind) {
  case PE_INT:
  case PE_NUMBER:
  case PE_DURATION: fmt_number(f, e); break;
  case PE_STRING: fmt_string(f, e->sval, e->slen); break;
  case PE_BOOL: fmt_put(f, e->bval ? "true" : "false"); break;
  case PE_NULL: fmt_put(f, "null"); break;
  case PE_NAME: fmt_put(f, e->name); break;
  case PE_LIST: fmt_items(f, "[", "]", e->items, fmt_expr_loc, fmt_expr_item, &e->loc); break;
  case PE_RECORD: fmt_items(f, "{", "}", e->items, fmt_rfield_loc, fmt_rfield_item, &e->loc); break;
  case PE_FIELD:
    fmt_expr(f, e->left, PR_POSTFIX, false);
    fmt_put(f, ".");
    fmt_put(f, e->name);
    break;
  case PE_CALL:
    fmt_put(f, e->name);
    if (e->query) {
      fmt_put(f, "(");
      fmt_query(f, e->query);
      fmt_put(f, ")");
    } else {
      fmt_items(f, "(", ")", e->items, fmt_expr_loc, fmt_expr_item, &e->loc);
    }
    break;
  case PE_UNARY:
    if (e->op == POP_NOT) {
      fmt_put(f, "not ");
      fmt_expr(f, e->left, PR_NOT, rightmost);
    } else {
      fmt_put(f, "-");
      fmt_expr(f, e->left, PR_NEG, rightmost);
    }
    break;
  case PE_BINARY: fmt_binary(f, e, -1, rightmost); break;
  case PE_QUANT:
    fmt_put(f, e->quant_all ? "all " : "any ");
    fmt_put(f, e->name);
    fmt_put(f, " in ");
    fmt_expr(f, e->left, PR_QUANT + 1, false);
    fmt_put(f, ": ");
    fmt_expr(f, e->right, PR_QUANT, rightmost);
    break;
  }
}

static void fmt_expr(Fmt *f, const PExpr *e, int need, bool rightmost) {
  if (!e) return;
  if (++f->depth > FMT_MAX_DEPTH) f->too_deep = true;
  if (!f->too_deep) {
    bool parens = e->parens || fmt_needs_parens(e, need, rightmost);
    if (parens) fmt_put(f, "(");
    fmt_expr_inner(f, e, parens || rightmost);
    if (parens) fmt_put(f, ")");
  }
  f->depth--;
}

/* A whole expression in a slot that nothing binds to (a condition, the
 * value of a const). */
static void fmt_top(Fmt *f, const PExpr *e) {
  fmt_expr(f, e, PR_QUANT, true);
}

/* ---- declarations ------------------------------------------------------------------- */

static void fmt_type(Fmt *f, const PTypeExpr *t) {
  if (!t) return;
  if (t->kind == PTE_LIST) {
    fmt_put(f, "list<");
    fmt_type(f, t->elem);
    fmt_put(f, ">");
  } else {
    fmt_put(f, t->name);
  }
  if (t->optional) fmt_put(f, "?");
}

static void fmt_field(Fmt *f, const PFieldDecl *fd) {
  fmt_begin(f, &fd->loc, FG_NONE);
  fmt_put(f, fd->name);
  fmt_put(f, ": ");
  fmt_type(f, fd->type);
  if (fd->has_unit) fmt_put(f, fd->epoch_ms ? " ms" : " s");
  if (fd->default_value) {
    fmt_put(f, " = ");
    fmt_top(f, fd->default_value);
  }
  if (fd->is_key) fmt_put(f, " key");
  if (fd->is_pii) fmt_put(f, " pii");
  fmt_end(f, fd->loc.end_line);
}

/* `{}` when nothing, not even a comment, is inside. */
static bool fmt_empty_block(Fmt *f, guint n, const PLoc *whole) {
  if (n > 0 || fmt_comment_before(f, whole->end_offset)) return false;
  fmt_put(f, " {}");
  fmt_end(f, whole->end_line);
  return true;
}

static void fmt_fields_block(Fmt *f, const GPtrArray *fields, const PLoc *whole) {
  if (fmt_empty_block(f, fields->len, whole)) return;
  fmt_open_block(f, whole->line);
  for (guint i = 0; i < fields->len; i++) fmt_field(f, g_ptr_array_index(fields, i));
  fmt_close_block(f, whole->end_offset - 1, whole->end_line);
  fmt_end(f, whole->end_line);
}

/* The weight of a score rule: a literal, or an expression in parentheses. */
static void fmt_weight(Fmt *f, const PExpr *w) {
  bool literal = w->kind == PE_INT || w->kind == PE_NUMBER;
  if (literal || w->parens) {
    fmt_expr(f, w, PR_POSTFIX, false);
  } else {
    fmt_put(f, "(");
    fmt_top(f, w);
    fmt_put(f, ")");
  }
}

static void fmt_rule_body(Fmt *f, const PScoreRule *r) {
  fmt_put(f, r->negative ? "-" : "+");
  fmt_weight(f, r->weight);
  fmt_cell(f);
  if (r->kind == PRULE_WHEN) {
    fmt_put(f, "when ");
    fmt_top(f, r->cond);
  } else {
    fmt_put(f, "per ");
    fmt_query(f, r->query);
  }
  if (r->cap) {
    fmt_put(f, " cap ");
    fmt_top(f, r->cap);
  }
}

/* The optional clauses of a score, in the order written. */
static void fmt_score_clauses(Fmt *f, const PDecl *d) {
  const PExpr *clauses[3] = {d->decay, d->max, d->min};
  const char *names[3] = {" decay ", " max ", " min "};
  bool done[3] = {false, false, false};
  for (int k = 0; k < 3; k++) {
    int best = -1;
    for (int i = 0; i < 3; i++)
      if (clauses[i] && !done[i] &&
          (best < 0 || clauses[i]->loc.offset < clauses[best]->loc.offset))
        best = i;
    if (best < 0) break;
    done[best] = true;
    fmt_put(f, names[best]);
    fmt_expr(f, clauses[best], PR_QUANT + 1, false);
  }
}

static void fmt_score(Fmt *f, const PDecl *d) {
  fmt_put(f, "score ");
  fmt_put(f, d->name);
  fmt_score_clauses(f, d);
  if (!d->rules) {
    fmt_cell(f);
    fmt_put(f, "= ");
    fmt_top(f, d->expr);
    return;
  }
  if (fmt_empty_block(f, d->rules->len, &d->loc)) return;
  /* One rule on one line stays so (`score visits { +1 per events }`). */
  if (d->rules->len == 1 && d->loc.line == d->loc.end_line) {
    fmt_put(f, " { ");
    fmt_rule_body(f, g_ptr_array_index(d->rules, 0));
    fmt_put(f, " }");
    /* The rule's cell separator becomes a plain space. */
    for (gsize i = 0; i < f->cur->text->len; i++)
      if (f->cur->text->str[i] == FMT_CELL) f->cur->text->str[i] = ' ';
    return;
  }
  fmt_open_block(f, d->loc.line);
  for (guint i = 0; i < d->rules->len; i++) {
    const PScoreRule *r = g_ptr_array_index(d->rules, i);
    fmt_begin(f, &r->loc, FG_RULE);
    fmt_rule_body(f, r);
    fmt_end(f, r->loc.end_line);
  }
  fmt_close_block(f, d->loc.end_offset - 1, d->loc.end_line);
}

static void fmt_lifecycle(Fmt *f, const PDecl *d) {
  fmt_put(f, "lifecycle ");
  fmt_put(f, d->name);
  fmt_open_block(f, d->loc.line);
  fmt_begin(f, &d->initial_loc, FG_NONE);
  fmt_put(f, "initial ");
  fmt_put(f, d->initial);
  fmt_end(f, d->initial_loc.end_line);
  for (guint i = 0; i < d->transitions->len; i++) {
    const PTransition *t = g_ptr_array_index(d->transitions, i);
    fmt_begin(f, &t->loc, FG_TRANS);
    fmt_put(f, t->from ? t->from : "any");
    fmt_cell(f);
    fmt_put(f, "-> ");
    fmt_put(f, t->to);
    fmt_cell(f);
    fmt_put(f, "when ");
    fmt_top(f, t->cond);
    fmt_end(f, t->loc.end_line);
  }
  fmt_close_block(f, d->loc.end_offset - 1, d->loc.end_line);
}

/* ---- identity and source blocks (docs/unify.md) -------------------------------------- */

/* A field of an input record: bare when it reads as a name, else quoted. */
static void fmt_src_field(Fmt *f, const char *name) {
  bool bare = name[0] && (g_ascii_isalpha(name[0]) || name[0] == '_');
  for (const char *p = name; bare && *p; p++) bare = g_ascii_isalnum(*p) || *p == '_';
  if (bare)
    fmt_put(f, name);
  else
    fmt_string(f, name, strlen(name));
}

static void fmt_unify_sub(Fmt *f, const PUnifyItem *u) {
  fmt_put(f, u->name);
  if (u->from) {
    fmt_put(f, " from ");
    fmt_src_field(f, u->from);
  } else if (u->text) {
    fmt_put(f, " = ");
    fmt_string(f, u->text, u->text_len);
  }
}

static void fmt_unify_item(Fmt *f, const PUnifyItem *u) {
  fmt_begin(f, &u->loc, FG_NONE);
  if (strcmp(u->word, "never") == 0) {
    g_string_append_printf(f->cur->text, "never %s %s ", u->arg, u->name);
    fmt_string(f, u->text, u->text_len);
    fmt_end(f, u->loc.end_line);
    return;
  }
  fmt_put(f, u->word);
  if (u->name) {
    fmt_put(f, " ");
    fmt_put(f, u->name);
  }
  if (u->list && !u->name) { /* priority [a, b] */
    fmt_put(f, " [");
    for (guint i = 0; i < u->list->len; i++) {
      if (i) fmt_put(f, ", ");
      fmt_put(f, ((const PUnifyItem *)g_ptr_array_index(u->list, i))->name);
    }
    fmt_put(f, "]");
  } else if (u->list) { /* event L { a, b from c } */
    fmt_put(f, " { ");
    for (guint i = 0; i < u->list->len; i++) {
      if (i) fmt_put(f, ", ");
      fmt_unify_sub(f, g_ptr_array_index(u->list, i));
    }
    fmt_put(f, " }");
  } else if (u->from) {
    fmt_put(f, " from ");
    fmt_src_field(f, u->from);
  } else if (u->has_eq) {
    fmt_put(f, " = ");
    fmt_put(f, u->arg);
    if (u->text) {
      fmt_put(f, "(");
      fmt_string(f, u->text, u->text_len);
      fmt_put(f, ")");
    }
  } else if (u->has_int) {
    g_string_append_printf(f->cur->text, " %" G_GINT64_FORMAT, u->ival);
  } else if (u->text) {
    fmt_put(f, " ");
    fmt_string(f, u->text, u->text_len);
  }
  fmt_end(f, u->loc.end_line);
}

static void fmt_unify_block(Fmt *f, const PDecl *d) {
  if (d->kind == PD_IDENTITY) {
    fmt_put(f, "identity");
  } else {
    fmt_put(f, "source ");
    fmt_put(f, d->name);
  }
  if (d->items->len == 0 && !fmt_comment_before(f, d->loc.end_offset - 1)) {
    fmt_put(f, " {}");
    return;
  }
  fmt_open_block(f, d->loc.line);
  for (guint i = 0; i < d->items->len; i++) fmt_unify_item(f, g_ptr_array_index(d->items, i));
  fmt_close_block(f, d->loc.end_offset - 1, d->loc.end_line);
}

/* ---- journeys ---------------------------------------------------------------------- */

static void fmt_steps(Fmt *f, const GPtrArray *steps);
static void fmt_step(Fmt *f, const PStep *s, bool inline_start);

/* ` {` steps `}`, or ` {}`; leaves the line of the `}` open. */
static void fmt_step_block(Fmt *f, const GPtrArray *body, uint32_t open_line,
                           uint32_t close_offset, uint32_t close_line) {
  guint n = body ? body->len : 0;
  if (n == 0 && !fmt_comment_before(f, close_offset)) {
    fmt_put(f, " {}");
    return;
  }
  fmt_open_block(f, open_line);
  fmt_steps(f, body);
  fmt_close_block(f, close_offset, close_line);
}

/* Whether the source has `{` right after this `else` (a block holding
 * one `if`, not an `else if`: the trees are the same). */
static bool fmt_else_brace(const Fmt *f, const PStep *s) {
  size_t i = s->else_loc.offset + 4; /* after `else` */
  while (i < f->src_len) {
    char c = f->src[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      i++;
    } else if (c == '#') {
      while (i < f->src_len && f->src[i] != '\n') i++;
    } else {
      return c == '{';
    }
  }
  return false;
}

static void fmt_if(Fmt *f, const PStep *s) {
  fmt_put(f, "if ");
  fmt_top(f, s->cond);
  bool has_else = s->else_body != NULL;
  uint32_t then_close = has_else ? s->else_loc.offset : s->loc.end_offset - 1;
  uint32_t then_line = has_else ? s->else_loc.line : s->loc.end_line;
  fmt_step_block(f, s->body, s->cond ? s->cond->loc.end_line : s->loc.line, then_close,
                 then_line);
  if (!has_else) return;
  fmt_put(f, " else");
  if (s->else_body->len == 1 && !fmt_else_brace(f, s)) {
    const PStep *elif = g_ptr_array_index(s->else_body, 0);
    if (elif->kind == PSTEP_IF && !elif->label) {
      fmt_put(f, " ");
      fmt_if(f, elif);
      return;
    }
  }
  fmt_step_block(f, s->else_body, s->else_loc.line, s->loc.end_offset - 1, s->loc.end_line);
}

static void fmt_text_step(Fmt *f, const char *kind, const PStep *s) {
  fmt_put(f, kind);
  fmt_put(f, " ");
  if (s->channel) {
    fmt_put(f, s->channel);
    fmt_put(f, " ");
  }
  fmt_string(f, s->text, s->text_len);
}

static void fmt_split(Fmt *f, const PStep *s) {
  fmt_put(f, "split");
  if (s->experiment) {
    fmt_put(f, " ");
    fmt_put(f, s->experiment);
  }
  if (s->arms->len == 0 && !fmt_comment_before(f, s->loc.end_offset)) {
    fmt_put(f, " {}");
    return;
  }
  fmt_open_block(f, s->loc.line);
  for (guint i = 0; i < s->arms->len; i++) {
    const PSplitArm *a = g_ptr_array_index(s->arms, i);
    fmt_begin(f, &a->loc, FG_NONE);
    if (a->name) fmt_put(f, a->name);
    else fmt_expr(f, a->weight, PR_POSTFIX, false);
    fmt_put(f, ": ");
    fmt_step(f, a->step, true);
    fmt_end(f, a->loc.end_line);
  }
  fmt_close_block(f, s->loc.end_offset - 1, s->loc.end_line);
}

/* One step; `inline_start`: it goes on the current line (a split arm). */
static void fmt_step(Fmt *f, const PStep *s, bool inline_start) {
  if (!inline_start) fmt_begin(f, &s->loc, FG_NONE);
  if (s->label) {
    fmt_put(f, "@");
    fmt_put(f, s->label);
    fmt_put(f, " ");
  }
  switch (s->kind) {
  case PSTEP_SEND: fmt_text_step(f, "send", s); break;
  case PSTEP_TASK: fmt_text_step(f, "task", s); break;
  case PSTEP_NOTIFY: fmt_text_step(f, "notify", s); break;
  case PSTEP_WEBHOOK: fmt_text_step(f, "webhook", s); break;
  case PSTEP_WAIT:
    fmt_put(f, "wait ");
    fmt_top(f, s->duration);
    break;
  case PSTEP_WAIT_UNTIL:
    fmt_put(f, "wait until ");
    fmt_top(f, s->cond);
    fmt_put(f, " for ");
    fmt_top(f, s->duration);
    break;
  case PSTEP_IF: fmt_if(f, s); break;
  case PSTEP_SPLIT: fmt_split(f, s); break;
  case PSTEP_BLOCK: {
    /* `{` after a label or an arm's weight, or alone at the line start. */
    GString *t = f->cur->text;
    if (t->len > 0 && t->str[t->len - 1] == ' ') g_string_truncate(t, t->len - 1);
    fmt_step_block(f, s->body, s->loc.line, s->loc.end_offset - 1, s->loc.end_line);
    if (t->len > 0 && t->str[0] == ' ') g_string_erase(t, 0, 1);
    break;
  }
  }
  if (!inline_start) fmt_end(f, s->loc.end_line);
}

static void fmt_steps(Fmt *f, const GPtrArray *steps) {
  for (guint i = 0; steps && i < steps->len; i++) fmt_step(f, g_ptr_array_index(steps, i), false);
}

typedef struct {
  const PLoc *loc;
  int kind; /* 0 enter, 1 reenter, 2 exit */
} FmtClause;

static int fmt_clause_cmp(const void *a, const void *b) {
  const FmtClause *x = a, *y = b;
  return x->loc->offset < y->loc->offset ? -1 : x->loc->offset > y->loc->offset;
}

static void fmt_journey(Fmt *f, const PDecl *d) {
  fmt_put(f, "journey ");
  fmt_put(f, d->name);
  FmtClause clauses[3];
  int n = 0;
  if (d->enter != PENTER_NONE) clauses[n++] = (FmtClause){&d->enter_loc, 0};
  if (d->has_reenter) clauses[n++] = (FmtClause){&d->reenter_loc, 1};
  if (d->exit_cond) clauses[n++] = (FmtClause){&d->exit_loc, 2};
  qsort(clauses, (size_t)n, sizeof clauses[0], fmt_clause_cmp);
  guint n_steps = d->steps ? d->steps->len : 0;
  if (n == 0 && fmt_empty_block(f, n_steps, &d->loc)) return;
  fmt_open_block(f, d->loc.line);
  for (int i = 0; i < n; i++) {
    fmt_begin(f, clauses[i].loc, FG_NONE);
    uint32_t end = clauses[i].loc->end_line;
    if (clauses[i].kind == 0 && d->enter == PENTER_ON) {
      fmt_put(f, "enter on ");
      fmt_put(f, d->enter_lifecycle);
      fmt_put(f, " -> ");
      fmt_top(f, d->enter_stage);
      end = d->enter_stage->loc.end_line;
    } else if (clauses[i].kind == 0) {
      fmt_put(f, "enter when ");
      fmt_top(f, d->enter_cond);
      end = d->enter_cond->loc.end_line;
    } else if (clauses[i].kind == 1 && d->reenter_never) {
      fmt_put(f, "reenter never");
    } else if (clauses[i].kind == 1) {
      fmt_put(f, "reenter after ");
      fmt_top(f, d->reenter_after);
      end = d->reenter_after->loc.end_line;
    } else {
      fmt_put(f, "exit when ");
      fmt_top(f, d->exit_cond);
      end = d->exit_cond->loc.end_line;
    }
    fmt_end(f, end);
  }
  fmt_steps(f, d->steps);
  fmt_close_block(f, d->loc.end_offset - 1, d->loc.end_line);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void fmt_test_step(Fmt *f, const PTestStep *t) {
  fmt_begin(f, &t->loc, FG_NONE);
  switch (t->kind) {
  case PTSTEP_PROFILE:
    fmt_put(f, "profile ");
    fmt_top(f, t->value);
    break;
  case PTSTEP_AT:
    fmt_put(f, "at ");
    fmt_top(f, t->value);
    break;
  case PTSTEP_EXPECT:
    fmt_put(f, "expect ");
    fmt_top(f, t->value);
    break;
  case PTSTEP_EXPECT_ACTION:
    fmt_put(f, "expect action ");
    fmt_put(f, t->kind_name);
    for (guint i = 0; t->args && i < t->args->len; i++) {
      fmt_put(f, " ");
      fmt_top(f, g_ptr_array_index(t->args, i));
    }
    if (t->at) {
      fmt_put(f, " at ");
      fmt_top(f, t->at);
    }
    break;
  case PTSTEP_EXPECT_NO_ACTION: fmt_put(f, "expect no action"); break;
  case PTSTEP_PROFILES:
    fmt_put(f, "profile from ");
    fmt_string(f, t->value->sval, t->value->slen);
    break;
  }
  fmt_end(f, t->loc.end_line);
}

static void fmt_test(Fmt *f, const PDecl *d) {
  fmt_put(f, "test ");
  fmt_string(f, d->text, d->text_len);
  if (fmt_empty_block(f, d->test_steps->len, &d->loc)) return;
  fmt_open_block(f, d->loc.line);
  for (guint i = 0; i < d->test_steps->len; i++)
    fmt_test_step(f, g_ptr_array_index(d->test_steps, i));
  fmt_close_block(f, d->loc.end_offset - 1, d->loc.end_line);
}

static void fmt_extern(Fmt *f, const PDecl *d) {
  fmt_put(f, "extern fn ");
  fmt_put(f, d->name);
  fmt_put(f, "(");
  for (guint i = 0; d->fields && i < d->fields->len; i++) {
    const PFieldDecl *p = g_ptr_array_index(d->fields, i);
    if (i) fmt_put(f, ", ");
    fmt_put(f, p->name);
    fmt_put(f, ": ");
    fmt_type(f, p->type);
  }
  fmt_put(f, ") -> ");
  fmt_type(f, d->ret_type);
  fmt_put(f, " from ");
  fmt_string(f, d->text, d->text_len);
}

/* ---- experiments (docs/experiment.md): the clauses in the order written --------------- */

typedef struct {
  PLoc loc;
  int kind; /* 0 arms, 1 salt, 2 metric, 3 control */
} FmtExpClause;

static int fmt_exp_clause_cmp(const void *a, const void *b) {
  const FmtExpClause *x = a, *y = b;
  return x->loc.offset < y->loc.offset ? -1 : x->loc.offset > y->loc.offset;
}

static void fmt_exp_clause(Fmt *f, const PDecl *d, const FmtExpClause *c) {
  fmt_begin(f, &c->loc, FG_NONE);
  switch (c->kind) {
  case 0:
    fmt_put(f, "arms ");
    for (guint i = 0; i < d->arms->len; i++) {
      const PSplitArm *a = g_ptr_array_index(d->arms, i);
      if (i) fmt_put(f, ", ");
      fmt_put(f, a->name);
      fmt_put(f, " ");
      fmt_expr(f, a->weight, PR_POSTFIX, false);
    }
    break;
  case 1:
    fmt_put(f, "salt ");
    fmt_string(f, d->salt, d->salt_len);
    break;
  case 2:
    fmt_put(f, "metric ");
    fmt_top(f, d->expr);
    fmt_put(f, " within ");
    fmt_top(f, d->metric_window);
    break;
  default:
    fmt_put(f, "control ");
    fmt_put(f, d->control);
    break;
  }
  fmt_end(f, c->loc.end_line);
}

static void fmt_experiment(Fmt *f, const PDecl *d) {
  fmt_put(f, "experiment ");
  fmt_put(f, d->name);
  if (d->text) {
    fmt_put(f, " ");
    fmt_string(f, d->text, d->text_len);
  }
  FmtExpClause cs[4];
  int n = 0;
  if (d->arms) {
    const PSplitArm *last = g_ptr_array_index(d->arms, d->arms->len - 1);
    cs[n++] = (FmtExpClause){ploc_span(&d->arms_loc, &last->loc), 0};
  }
  if (d->salt) cs[n++] = (FmtExpClause){ploc_span(&d->salt_loc, &d->salt_loc), 1};
  if (d->expr) cs[n++] = (FmtExpClause){ploc_span(&d->metric_loc, &d->metric_window->loc), 2};
  if (d->control) cs[n++] = (FmtExpClause){d->control_loc, 3};
  if (n == 0 && !fmt_comment_before(f, d->loc.end_offset - 1)) {
    fmt_put(f, " {}");
    return;
  }
  qsort(cs, (size_t)n, sizeof cs[0], fmt_exp_clause_cmp);
  fmt_open_block(f, d->loc.line);
  for (int i = 0; i < n; i++) fmt_exp_clause(f, d, &cs[i]);
  fmt_close_block(f, d->loc.end_offset - 1, d->loc.end_line);
}

static FGroup fmt_decl_group(const PDecl *d) {
  switch (d->kind) {
  case PD_CONST: return FG_CONST;
  case PD_LET: return FG_LET;
  case PD_TAG: return d->is_segment ? FG_SEGMENT : FG_TAG;
  case PD_SCORE: return d->rules ? FG_NONE : FG_SCORE_EQ;
  default: return FG_NONE;
  }
}

static void fmt_decl(Fmt *f, const PDecl *d) {
  fmt_begin(f, &d->loc, fmt_decl_group(d));
  switch (d->kind) {
  case PD_MODEL:
    fmt_put(f, "model ");
    fmt_put(f, d->name);
    fmt_put(f, " version ");
    fmt_string(f, d->text, d->text_len);
    if (d->timezone) {
      fmt_put(f, " timezone ");
      fmt_string(f, d->timezone, d->timezone_len);
    }
    break;
  case PD_IMPORT:
    fmt_put(f, "import ");
    fmt_string(f, d->text, d->text_len);
    break;
  case PD_RECORD:
    fmt_put(f, "record ");
    fmt_put(f, d->name);
    fmt_fields_block(f, d->fields, &d->loc);
    break;
  case PD_SCHEMA:
    fmt_put(f, "schema");
    fmt_fields_block(f, d->fields, &d->loc);
    break;
  case PD_CONST:
  case PD_LET:
    fmt_put(f, d->kind == PD_CONST ? "const " : "let ");
    fmt_put(f, d->name);
    fmt_cell(f);
    fmt_put(f, "= ");
    fmt_top(f, d->expr);
    break;
  case PD_TAG:
    fmt_put(f, d->is_segment ? "segment " : "tag ");
    fmt_put(f, d->name);
    fmt_cell(f);
    if (d->text) fmt_string(f, d->text, d->text_len);
    fmt_cell(f);
    fmt_put(f, "when ");
    fmt_top(f, d->expr);
    break;
  case PD_SCORE: fmt_score(f, d); break;
  case PD_LIFECYCLE: fmt_lifecycle(f, d); break;
  case PD_JOURNEY: fmt_journey(f, d); break;
  case PD_TEST: fmt_test(f, d); break;
  case PD_EXTERN: fmt_extern(f, d); break;
  case PD_OUTPUT:
    fmt_put(f, "output ");
    fmt_top(f, d->expr);
    break;
  case PD_IDENTITY:
  case PD_SOURCE: fmt_unify_block(f, d); break;
  case PD_EXPERIMENT: fmt_experiment(f, d); break;
  }
  if (f->cur) fmt_end(f, d->loc.end_line);
}

/* ---- alignment and output ---------------------------------------------------------- */

static int fmt_int_cmp(gconstpointer a, gconstpointer b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* The widest of `widths` that is not an outlier: not above twice the
 * (lower) median plus `slack`. */
static int fmt_column_width(GArray *widths, int slack) {
  if (widths->len == 0) return 0;
  g_array_sort(widths, fmt_int_cmp);
  int median = g_array_index(widths, int, (widths->len - 1) / 2);
  int limit = MAX(2 * median, median + slack);
  int w = 0;
  for (guint i = 0; i < widths->len; i++) {
    int x = g_array_index(widths, int, i);
    if (x <= limit) w = MAX(w, x);
  }
  return w;
}

/* The cells of `text` (split at FMT_CELL). */
static GPtrArray *fmt_cells(const GString *text) {
  GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
  const char *p = text->str, *end = text->str + text->len;
  for (;;) {
    const char *sep = memchr(p, FMT_CELL, (size_t)(end - p));
    if (!sep) {
      g_ptr_array_add(cells, g_strndup(p, (gsize)(end - p)));
      break;
    }
    g_ptr_array_add(cells, g_strndup(p, (gsize)(sep - p)));
    p = sep + 1;
  }
  return cells;
}

/* Joins the cells of a line: each but the last padded to its column's
 * width and one space; a column without width (no line has that cell)
 * takes no room. */
static void fmt_expand(FLine *l, const int *widths, guint n_widths) {
  g_autoptr(GPtrArray) cells = fmt_cells(l->text);
  GString *out = g_string_new(NULL);
  for (guint k = 0; k < cells->len; k++) {
    const char *c = g_ptr_array_index(cells, k);
    g_string_append(out, c);
    if (k + 1 == cells->len) break;
    int w = fmt_width(c, strlen(c));
    int col = k < n_widths ? widths[k] : w;
    if (col == 0 && w == 0) continue;
    for (int i = w; i < col; i++) g_string_append_c(out, ' ');
    g_string_append_c(out, ' ');
  }
  g_string_free(l->text, TRUE);
  l->text = out;
}

static bool fmt_alignable(const FLine *l) {
  return l->kind == FL_CODE && l->group != FG_NONE && !l->multi;
}

/* Lines up the cells of each run of one-line declarations of one kind. */
static void fmt_align_cells(GPtrArray *lines) {
  guint i = 0;
  while (i < lines->len) {
    FLine *first = g_ptr_array_index(lines, i);
    if (!fmt_alignable(first)) {
      if (first->kind == FL_CODE) fmt_expand(first, NULL, 0);
      i++;
      continue;
    }
    guint j = i + 1;
    while (j < lines->len) {
      FLine *l = g_ptr_array_index(lines, j);
      if (!fmt_alignable(l) || l->group != first->group || l->indent != first->indent) break;
      j++;
    }
    guint n_cols = 0;
    for (guint k = i; k < j; k++) {
      FLine *l = g_ptr_array_index(lines, k);
      guint n = 1;
      for (gsize b = 0; b < l->text->len; b++) n += l->text->str[b] == FMT_CELL;
      n_cols = MAX(n_cols, n);
    }
    int *widths = g_new0(int, n_cols);
    for (guint c = 0; c + 1 < n_cols; c++) {
      g_autoptr(GArray) ws = g_array_new(FALSE, FALSE, sizeof(int));
      for (guint k = i; k < j; k++) {
        g_autoptr(GPtrArray) cells = fmt_cells(((FLine *)g_ptr_array_index(lines, k))->text);
        if (c + 1 >= cells->len) continue;
        const char *cell = g_ptr_array_index(cells, c);
        int w = fmt_width(cell, strlen(cell));
        if (w > 0) g_array_append_val(ws, w);
      }
      widths[c] = fmt_column_width(ws, 10);
    }
    for (guint k = i; k < j; k++) fmt_expand(g_ptr_array_index(lines, k), widths, n_cols);
    g_free(widths);
    i = j;
  }
}

/* Trailing comments of consecutive code lines at one indentation start
 * in one column. */
static void fmt_align_comments(GPtrArray *lines, GString *out) {
  guint i = 0;
  while (i < lines->len) {
    FLine *first = g_ptr_array_index(lines, i);
    guint j = i + 1;
    if (first->kind == FL_CODE && !first->multi) {
      while (j < lines->len) {
        FLine *l = g_ptr_array_index(lines, j);
        if (l->kind != FL_CODE || l->multi || l->indent != first->indent) break;
        j++;
      }
    }
    g_autoptr(GArray) ws = g_array_new(FALSE, FALSE, sizeof(int));
    for (guint k = i; k < j; k++) {
      FLine *l = g_ptr_array_index(lines, k);
      if (l->kind != FL_CODE || !l->comment) continue;
      int w = fmt_width(l->text->str, l->text->len);
      g_array_append_val(ws, w);
    }
    int col = fmt_column_width(ws, 20);
    for (guint k = i; k < j; k++) {
      FLine *l = g_ptr_array_index(lines, k);
      if (l->kind == FL_BLANK) {
        g_string_append_c(out, '\n');
        continue;
      }
      for (int s = 0; s < l->indent; s++) g_string_append_c(out, ' ');
      g_string_append_len(out, l->text->str, (gssize)l->text->len);
      if (l->kind == FL_CODE && l->comment) {
        int w = fmt_width(l->text->str, l->text->len);
        for (int s = w; s < col; s++) g_string_append_c(out, ' ');
        g_string_append(out, "  ");
        g_string_append(out, l->comment);
      }
      g_string_append_c(out, '\n');
    }
    i = j;
  }
}

/* ---- the entry point ------------------------------------------------------------------ */

/* NULL when the tree is too deep to print. */
static char *fmt_print(const PSourceFile *sf, const PFileAst *file) {
  Fmt f = {
      .src = sf->text,
      .src_len = sf->len,
      .comments = file->comments,
      .lines = g_ptr_array_new_with_free_func(fline_free),
      .block_start = true,
  };
  for (guint i = 0; i < file->decls->len; i++) fmt_decl(&f, g_ptr_array_index(file->decls, i));
  fmt_comments(&f, G_MAXUINT32, 0, true);
  if (f.too_deep) {
    g_ptr_array_unref(f.lines);
    return NULL;
  }
  fmt_align_cells(f.lines);
  GString *out = g_string_new(NULL);
  fmt_align_comments(f.lines, out);
  g_ptr_array_unref(f.lines);
  return g_string_free(out, FALSE);
}

/* The comments' texts, one per line, for the safety check. */
static char *fmt_comment_list(const PFileAst *file) {
  GString *out = g_string_new(NULL);
  for (guint i = 0; file->comments && i < file->comments->len; i++) {
    g_autofree char *t = fmt_comment_text(g_ptr_array_index(file->comments, i));
    g_string_append(out, t);
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}

/* The formatted text must mean what the original meant. */
static bool fmt_same(const PFileAst *orig, const char *name, const char *text, gsize len) {
  g_autoptr(PSourceSet) src = psrc_new();
  uint32_t id = psrc_add(src, name, NULL, text, len);
  g_autoptr(PDiagList) diags = pdiag_new();
  g_autoptr(PAst) ast = past_new();
  PFileAst *again = pparse_file_with_comments(ast, src, id, diags);
  if (diags->n_errors > 0) return false;
  g_autofree char *t1 = pparse_dump_tree(orig);
  g_autofree char *t2 = pparse_dump_tree(again);
  g_autofree char *c1 = fmt_comment_list(orig);
  g_autofree char *c2 = fmt_comment_list(again);
  return strcmp(t1, t2) == 0 && strcmp(c1, c2) == 0;
}

char *pfmt_file(const PSourceSet *src, uint32_t file, PDiagList *diags, gsize *len) {
  const PSourceFile *sf = psrc_file(src, file);
  g_return_val_if_fail(sf != NULL, NULL);
  g_autoptr(PAst) ast = past_new();
  guint errors = diags->n_errors;
  PFileAst *tree = pparse_file_with_comments(ast, src, file, diags);
  if (diags->n_errors > errors) return NULL;
  char *text = fmt_print(sf, tree);
  if (!text) {
    PLoc loc = {.file = file};
    pdiag_error(diags, &loc, "an expression is nested too deeply to format (more than %d levels)",
                FMT_MAX_DEPTH);
    return NULL;
  }
  gsize n = strlen(text);
  if (!fmt_same(tree, sf->name, text, n)) {
    PLoc loc = {.file = file};
    pdiag_error(diags, &loc,
                "internal error: the formatted text would not mean the same; "
                "the file is left as it is (please report this)");
    g_free(text);
    return NULL;
  }
  if (len) *len = n;
  return text;
}
