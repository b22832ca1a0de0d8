/* parser.y - the Persona grammar (spec sections 2, 4, 5 and 7).
 *
 * A pure LALR(1) parser with LAC, built into the syntax tree of
 * compiler/ast.h. Every node is allocated in the PAst of the parse context,
 * so no semantic value needs a destructor: what an error discards is
 * reclaimed with the tree.
 *
 * Newlines are not tokens. Where the grammar would need one to decide, the
 * scanner marks the token instead (see lexer.l): LABEL (a word before `:`),
 * LPLUS / LMINUS (`+` / `-` first on a line: a new score rule) and AT_NL
 * (`at` first on a line: a new test step).
 *
 * Keywords are reserved except where a name is expected and the keyword
 * cannot be confused (bison proves it: `%expect 0`):
 *  - as a field name after `.`, and as FIELD in `AGG(FIELD of LIST)`:
 *    every keyword;
 *  - as a field name in `record`/`schema` fields, extern parameters and
 *    record-literal keys: every keyword (via LABEL);
 *  - as a plain name (PE_NAME) inside expressions: `at state key action on
 *    from version model record initial profile` (see `name` below).
 *    Since expressions never stand side by side, bison accepts most other
 *    keywords there too; only `not any all true false null of until`
 *    conflict (checked by adding each to `name`). The list is kept to the
 *    words that are common field names, so that a misplaced keyword stays
 *    an error and "expected …" lists stay short.
 *
 * Error recovery: `error` productions at declaration boundaries and inside
 * the `{ }` blocks of records/schema (fields), scores (rules), lifecycles
 * (transitions), journeys (steps, split arms) and tests (test steps), so
 * one run reports many independent errors; after PDIAG_MAX_ERRORS the
 * parse stops.
 */

%define api.pure full
%define api.prefix {persona_yy}
%define api.token.prefix {PT_}
%define api.location.type {PLoc}
%define parse.error custom
%define parse.lac full
%locations
%param {yyscan_t scanner}
%parse-param {PParseCtx *pc}
%expect 0

%code requires {
#include "compiler/ast.h"
#include "compiler/diag.h"

typedef void *yyscan_t;

/* A decoded string literal, stored in the PAst. */
typedef struct PStrTok {
  const char *s;
  uint32_t len;
} PStrTok;

/* `within D` / `since T`, or neither. */
typedef struct PWin {
  PWindowKind kind;
  PExpr *expr;
} PWin;

/* State shared by the scanner and the parser for one file. */
typedef struct PParseCtx {
  PAst *ast;              /* owns every node and string */
  const PSourceSet *src;
  uint32_t file;
  PDiagList *diags;
  PFileAst *out;          /* receives each declaration as it is reduced */
  GPtrArray *comments;    /* the scanner records comments here, or NULL */
  /* scanner position: next byte to read */
  uint32_t line, col, offset;
  uint32_t prev_line;     /* line of the last token returned; 0 at the start */
  uint32_t tokens;        /* returned since the interrupt hook was last polled */
} PParseCtx;
}

%code provides {
int persona_yylex(PERSONA_YYSTYPE *val, PLoc *loc, yyscan_t scanner);
/* The display name of a token kind as returned by persona_yylex
 * ("'when'", "identifier", "end of file"), for messages and dumps. */
const char *pparse_token_display(int token);
}

%code {
#include <string.h>

#include "name_tokens.h" /* PERSONA_NAME_TOKENS: generated from the name rule */
#include "parse.h"       /* PPARSE_MAX_EXPR_DEPTH */

/* The second line of an error where a declaration should start. */
#define PDECL_HINT                                                                      \
  "a declaration starts with one of: model import schema record const let tag score " \
  "lifecycle journey test extern identity source segment"

/* A node's location spans its first and last symbols; an empty rule sits
 * at the end of the symbol before it. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
  do {                                                               \
    if (N) {                                                         \
      (Cur) = ploc_span(&YYRHSLOC(Rhs, 1), &YYRHSLOC(Rhs, N));       \
    } else {                                                         \
      (Cur) = YYRHSLOC(Rhs, 0);                                      \
      (Cur).line = (Cur).end_line;                                   \
      (Cur).col = (Cur).end_col;                                     \
      (Cur).offset = (Cur).end_offset;                               \
    }                                                                \
  } while (0)

static void persona_yyerror(PLoc *loc, yyscan_t scanner, PParseCtx *pc,
                            const char *msg);
static void perr(PParseCtx *pc, const PLoc *loc, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static PExpr *mk_binary(PParseCtx *pc, const PLoc *loc, POp op, PExpr *l, PExpr *r);
static PExpr *mk_unary(PParseCtx *pc, const PLoc *loc, POp op, PExpr *e);
static PExpr *nested(PParseCtx *pc, PExpr *e);
static PExpr *mk_name(PParseCtx *pc, const PLoc *loc, const char *name);
static GPtrArray *mk_list(PParseCtx *pc, gpointer first);
static PStep *mk_text_step(PParseCtx *pc, const PLoc *loc, PStepKind kind,
                           const char *channel, PStrTok text);
}

%initial-action {
  @$ = (PLoc){.file = pc->file, .line = 1, .col = 1, .end_line = 1, .end_col = 1};
}

%union {
  int64_t ival;
  double nval;
  PStrTok str;
  const char *name;
  bool flag;
  PExpr *expr;
  PDecl *decl;
  PTypeExpr *type;
  PFieldDecl *field;
  PQuery *query;
  PWin win;
  PScoreRule *rule;
  PTransition *trans;
  PStep *step;
  PSplitArm *arm;
  PTestStep *tstep;
  GPtrArray *list;
  gpointer ptr;
}

/* Declaration order is the order of "expected one of: …" lists. */
%token EOF 0 "end of file"
%token <name> IDENT "identifier"
%token <name> LABEL "field name"
%token <str> STRING "string"
%token <ival> INT "integer"
%token <nval> NUMBER "number"
%token <nval> PERCENT "percentage"
%token <ival> DURATION "duration"
%token '=' '{' '}' '(' ')' '[' ']' ',' ':' '.' '?' '<' '>' '@' '+' '-' '*' '/' '%'
%token ARROW "'->'" COALESCE "'??'" EQ "'=='" NE "'!='" LE "'<='" GE "'>='"
%token LPLUS "'+' at line start" LMINUS "'-' at line start"
%token <name> AT_NL "'at' at line start"
%token <name>
  WHEN "'when'" PER "'per'" CAP "'cap'" MAX "'max'" MIN "'min'" DECAY "'decay'"
  WHERE "'where'" WITHIN "'within'" SINCE "'since'" OF "'of'"
  MODEL "'model'" VERSION "'version'" IMPORT "'import'" SCHEMA "'schema'"
  RECORD "'record'" CONST "'const'" LET "'let'" TAG "'tag'" SCORE "'score'"
  LIFECYCLE "'lifecycle'" INITIAL "'initial'" JOURNEY "'journey'"
  ENTER "'enter'" EXIT "'exit'" REENTER "'reenter'" NEVER "'never'"
  AFTER "'after'" IN "'in'" NOT "'not'" AND "'and'" OR "'or'"
  TRUE "'true'" FALSE "'false'" NULL "'null'" IF "'if'" ELSE "'else'"
  WAIT "'wait'" UNTIL "'until'" FOR "'for'" SPLIT "'split'" SEND "'send'"
  TASK "'task'" NOTIFY "'notify'" WEBHOOK "'webhook'" TEST "'test'"
  PROFILE "'profile'" STATE "'state'" AT "'at'" EXPECT "'expect'"
  ACTION "'action'" NO "'no'" ON "'on'" KEY "'key'" PII "'pii'"
  ANY "'any'" ALL "'all'" EXTERN "'extern'" FN "'fn'" FROM "'from'"
  OUTPUT "'output'"
%token <name> EXPERIMENT "'experiment'"

/* Loosest first (spec 5.1). QUANT: the body of `any x in L: C` extends as
 * far right as possible. */
%precedence QUANT
/* `expect action send email "x" at T`: an `at` on the same line belongs to
 * the expectation (shift), not to a new `at` step. */
%precedence NO_ACTION_AT
%precedence AT
%right COALESCE
%left OR
%left AND
%precedence NOT
%nonassoc EQ NE '<' LE '>' GE IN
%left '+' '-'
%left '*' '/' '%'
%precedence UMINUS

%type <decl> decl score_clauses journey_head
%type <list> fields rules transitions steps block else_part arms test_steps
%type <list> action_args params param_list args exprs rfields
%type <field> field field_mods param
%type <type> type
%type <flag> opt_q first_sign line_sign
%type <str> opt_label
%type <expr> expr primary literal name call list record opt_cap opt_where
%type <expr> weight opt_action_at
%type <name> fieldname callee action_kind
%type <query> query per_query
%type <win> window opt_window
%type <rule> rule_body
%type <trans> transition
%type <step> step bare_step if_step
%type <arm> arm
%type <tstep> test_step
%type <ptr> rfield
%type <ptr> unify_item sub_item
%type <list> unify_items sub_items name_list
%type <name> rule_word src_field unify_word
%type <decl> exp_clauses
%type <list> exp_arms named_arms
%type <arm> named_arm

%%

file:
    %empty
  | file decl       { if ($2) g_ptr_array_add(pc->out->decls, $2); }
  | file error      { if (pdiag_full(pc->diags)) YYABORT; }
  ;

/* ---- declarations (spec 4) ------------------------------------------------ */

decl:
    MODEL IDENT VERSION STRING {
      $$ = past_decl(pc->ast, PD_MODEL, &@$);
      $$->name = $2; $$->name_loc = @2;
      $$->text = $4.s; $$->text_len = $4.len;
    }
  | IMPORT STRING {
      $$ = past_decl(pc->ast, PD_IMPORT, &@$);
      $$->text = $2.s; $$->text_len = $2.len;
    }
  | RECORD IDENT '{' fields '}' {
      $$ = past_decl(pc->ast, PD_RECORD, &@$);
      $$->name = $2; $$->name_loc = @2; $$->fields = $4;
    }
  | SCHEMA '{' fields '}' {
      $$ = past_decl(pc->ast, PD_SCHEMA, &@$);
      $$->fields = $3;
    }
  | CONST IDENT '=' expr {
      $$ = past_decl(pc->ast, PD_CONST, &@$);
      $$->name = $2; $$->name_loc = @2; $$->expr = $4;
    }
  | LET IDENT '=' expr {
      $$ = past_decl(pc->ast, PD_LET, &@$);
      $$->name = $2; $$->name_loc = @2; $$->expr = $4;
    }
  | TAG IDENT opt_label WHEN expr {
      $$ = past_decl(pc->ast, PD_TAG, &@$);
      $$->name = $2; $$->name_loc = @2; $$->expr = $5;
      $$->text = $3.s; $$->text_len = $3.len;
    }
  | SCORE IDENT score_clauses '{' rules '}' {
      $$ = $3; $$->loc = @$;
      $$->name = $2; $$->name_loc = @2; $$->rules = $5;
    }
  | SCORE IDENT score_clauses '=' expr {
      $$ = $3; $$->loc = @$;
      $$->name = $2; $$->name_loc = @2; $$->expr = $5;
      if ($$->decay)
        perr(pc, &$$->decay->loc, "a derived score ('score %s = …') cannot have 'decay'", $2);
    }
  | LIFECYCLE IDENT '{' INITIAL IDENT transitions '}' {
      $$ = past_decl(pc->ast, PD_LIFECYCLE, &@$);
      $$->name = $2; $$->name_loc = @2;
      $$->initial = $5; $$->initial_loc = @5;
      $$->transitions = $6;
    }
  | JOURNEY IDENT '{' journey_head steps '}' {
      $$ = $4; $$->loc = @$;
      $$->name = $2; $$->name_loc = @2; $$->steps = $5;
    }
  | TEST STRING '{' test_steps '}' {
      $$ = past_decl(pc->ast, PD_TEST, &@$);
      $$->text = $2.s; $$->text_len = $2.len; $$->name_loc = @2;
      $$->test_steps = $4;
    }
  | OUTPUT record {
      $$ = past_decl(pc->ast, PD_OUTPUT, &@$);
      $$->expr = $2;
    }
  | unify_word STRING {
      /* `model NAME version "V" timezone "Zone"`: `timezone` is a word, not
       * a keyword, and its clause is read as an item of its own (so that a
       * model line may be followed by `identity { … }` without a second
       * token of lookahead), then put on the model line it follows. */
      PDecl *model = pc->out->decls->len ? g_ptr_array_index(pc->out->decls, pc->out->decls->len - 1) : NULL;
      if (strcmp($1, "segment") == 0)
        perr(pc, &@1, "a segment needs a name: 'segment NAME when …'");
      else if (strcmp($1, "timezone") != 0)
        perr(pc, &@1, "'%s' takes a block: '%s { … }'", $1, $1);
      else if (!model || model->kind != PD_MODEL || model->timezone)
        pdiag_add(pc->diags, PDIAG_ERROR, &@1, "write model NAME version \"V\" timezone \"Asia/Shanghai\"",
                  "timezone belongs on the model line, after its version");
      else {
        model->timezone = $2.s; model->timezone_len = $2.len; model->timezone_loc = @2;
      }
      $$ = NULL;
    }
  | unify_word '{' unify_items '}' {
      if (strcmp($1, "segment") == 0)
        perr(pc, &@1, "a segment needs a name and a condition: 'segment NAME when …'");
      else if (strcmp($1, "identity") != 0)
        perr(pc, &@1, "'%s' needs a name: 'source NAME { … }'", $1);
      $$ = past_decl(pc->ast, PD_IDENTITY, &@$);
      $$->items = $3;
    }
  | unify_word IDENT opt_label WHEN expr {
      /* `segment NAME ["label"] when C`: a tag reported under "segments".
       * `segment` is a word, not a keyword, so models that use it as a
       * name keep working. */
      if (strcmp($1, "segment") != 0)
        perr(pc, &@1, "'%s' takes a block, not 'when': '%s { … }'", $1, $1);
      $$ = past_decl(pc->ast, PD_TAG, &@$);
      $$->is_segment = true;
      $$->name = $2; $$->name_loc = @2; $$->expr = $5;
      $$->text = $3.s; $$->text_len = $3.len;
    }
  | unify_word IDENT '{' unify_items '}' {
      if (strcmp($1, "source") != 0)
        perr(pc, &@2, "%s", strcmp($1, "segment") == 0 ? "a segment has a condition: 'segment NAME when …'"
                                                       : "'identity' has no name: 'identity { … }'");
      $$ = past_decl(pc->ast, PD_SOURCE, &@$);
      $$->name = $2; $$->name_loc = @2; $$->items = $4;
    }
  | EXPERIMENT IDENT opt_label '{' exp_clauses '}' {
      $$ = $5; $$->loc = @$;
      $$->name = $2; $$->name_loc = @2;
      $$->text = $3.s; $$->text_len = $3.len;
    }
  | EXTERN FN IDENT '(' params ')' ARROW type FROM STRING {
      $$ = past_decl(pc->ast, PD_EXTERN, &@$);
      $$->name = $3; $$->name_loc = @3; $$->fields = $5;
      $$->ret_type = $8; $$->text = $10.s; $$->text_len = $10.len;
    }
  ;

opt_label:
    %empty          { $$ = (PStrTok){NULL, 0}; }
  | STRING
  ;

/* record / schema fields: `name: TYPE [= expr] [key] [pii]`, the modifiers
 * in any order; newlines separate fields, a comma may. */
fields:
    %empty              { $$ = past_list(pc->ast); }
  | fields field        { g_ptr_array_add($1, $2); $$ = $1; }
  | fields field ','    { g_ptr_array_add($1, $2); $$ = $1; }
  | fields error        { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

field:
    LABEL ':' type field_mods {
      $$ = $4; $$->loc = @$; $$->name = $1; $$->type = $3;
    }
  ;

field_mods:
    %empty                  { $$ = past_new_node(pc->ast, PFieldDecl); }
  | field_mods KEY {
      if ($1->is_key) perr(pc, &@2, "duplicate 'key' on one field");
      $1->is_key = true; $$ = $1;
    }
  | field_mods PII {
      if ($1->is_pii) perr(pc, &@2, "duplicate 'pii' on one field");
      $1->is_pii = true; $$ = $1;
    }
  | field_mods '=' expr {
      if ($1->default_value) perr(pc, &@2, "a field has at most one default value");
      $1->default_value = $3; $$ = $1;
    }
  | field_mods IDENT {
      /* `at: time ms`: the unit of a time given as a number. A word, not a
       * keyword, on the line of the type: a word first on the next line is
       * a field that lacks its ':' (`b int`), reported as before. */
      if (@2.line != @1.end_line) {
        if (!YYRECOVERING())
          pdiag_add(pc->diags, PDIAG_ERROR, &@2, "a field is written 'name: type'", "unexpected identifier '%s'", $2);
        YYERROR;
      }
      if (strcmp($2, "ms") != 0 && strcmp($2, "s") != 0)
        pdiag_add(pc->diags, PDIAG_ERROR, &@2, "after a type come 'key', 'pii', '= default', or for a time 'ms' or 's'",
                  "unexpected identifier '%s' after the field's type", $2);
      else if ($1->has_unit)
        perr(pc, &@2, "a field has at most one unit");
      $1->has_unit = true; $1->epoch_ms = strcmp($2, "ms") == 0; $1->unit_loc = @2; $$ = $1;
    }
  ;

/* bool int number string time duration NAME list<T>, each optionally `?`. */
type:
    IDENT opt_q {
      $$ = past_new_node(pc->ast, PTypeExpr);
      $$->kind = PTE_NAME; $$->loc = @$; $$->name = $1; $$->optional = $2;
    }
  | IDENT '<' type '>' opt_q {
      if (strcmp($1, "list") != 0)
        perr(pc, &@1, "unknown type constructor '%s' (the only one is list<T>)", $1);
      $$ = past_new_node(pc->ast, PTypeExpr);
      $$->kind = PTE_LIST; $$->loc = @$; $$->name = "list"; $$->elem = $3;
      $$->optional = $5;
    }
  ;

opt_q:
    %empty  { $$ = false; }
  | '?'     { $$ = true; }
  ;

/* ---- scores (spec 4.4) ------------------------------------------------------ */

score_clauses:
    %empty  { $$ = past_decl(pc->ast, PD_SCORE, &@$); }
  | score_clauses DECAY expr {
      if ($1->decay) perr(pc, &@2, "duplicate 'decay' clause");
      $1->decay = $3; $$ = $1;
    }
  | score_clauses MAX expr {
      if ($1->max) perr(pc, &@2, "duplicate 'max' clause");
      $1->max = $3; $$ = $1;
    }
  | score_clauses MIN expr {
      if ($1->min) perr(pc, &@2, "duplicate 'min' clause");
      $1->min = $3; $$ = $1;
    }
  ;

/* Newlines are not tokens, so `+10 when a` NEWLINE `-5 when b` would read
 * as `a - 5`: a rule after the first must start its line (LPLUS / LMINUS
 * from the scanner). The first may share the line of the `{`. */
rules:
    %empty                      { $$ = past_list(pc->ast); }
  | first_sign rule_body        { $2->negative = $1; $2->loc = @$; $$ = mk_list(pc, $2); }
  | rules line_sign rule_body {
      $3->negative = $2; $3->loc = ploc_span(&@2, &@3);
      g_ptr_array_add($1, $3); $$ = $1;
    }
  | rules error                 { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

/* W when C [cap X] | W per LIST [where C] [within D | since T] [cap X] */
rule_body:
    weight WHEN expr opt_cap {
      $$ = past_new_node(pc->ast, PScoreRule);
      $$->loc = @$; $$->kind = PRULE_WHEN;
      $$->weight = $1; $$->cond = $3; $$->cap = $4;
    }
  | weight PER per_query opt_cap {
      $$ = past_new_node(pc->ast, PScoreRule);
      $$->loc = @$; $$->kind = PRULE_PER;
      $$->weight = $1; $$->query = $3; $$->cap = $4;
    }
  ;

/* true: `-` (the rule subtracts) */
first_sign:
    '+'     { $$ = false; }
  | '-'     { $$ = true; }
  ;

line_sign:
    LPLUS   { $$ = false; }
  | LMINUS  { $$ = true; }
  ;

weight:
    INT         { $$ = past_expr(pc->ast, PE_INT, &@$); $$->ival = $1; }
  | NUMBER      { $$ = past_expr(pc->ast, PE_NUMBER, &@$); $$->nval = $1; }
  | PERCENT     { $$ = past_expr(pc->ast, PE_NUMBER, &@$); $$->nval = $1; }
  | '(' expr ')' { $$ = $2; $$->parens = true; }
  ;

opt_cap:
    %empty      { $$ = NULL; }
  | CAP expr    { $$ = $2; }
  ;

per_query:
    expr opt_where opt_window {
      $$ = past_new_node(pc->ast, PQuery);
      $$->loc = @$; $$->list = $1; $$->where = $2;
      $$->window = $3.kind; $$->window_expr = $3.expr;
    }
  ;

opt_where:
    %empty      { $$ = NULL; }
  | WHERE expr  { $$ = $2; }
  ;

opt_window:
    %empty      { $$ = (PWin){PWIN_NONE, NULL}; }
  | window
  ;

window:
    WITHIN expr { $$ = (PWin){PWIN_WITHIN, $2}; }
  | SINCE expr  { $$ = (PWin){PWIN_SINCE, $2}; }
  ;

/* ---- lifecycles (spec 4.5) -------------------------------------------------- */

transitions:
    %empty                  { $$ = past_list(pc->ast); }
  | transitions transition  { g_ptr_array_add($1, $2); $$ = $1; }
  | transitions error       { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

transition:
    IDENT ARROW IDENT WHEN expr {
      $$ = past_new_node(pc->ast, PTransition);
      $$->loc = @$; $$->from = $1; $$->from_loc = @1;
      $$->to = $3; $$->to_loc = @3; $$->cond = $5;
    }
  | ANY ARROW IDENT WHEN expr {
      $$ = past_new_node(pc->ast, PTransition);
      $$->loc = @$; $$->from = NULL; $$->from_loc = @1;
      $$->to = $3; $$->to_loc = @3; $$->cond = $5;
    }
  ;

/* ---- journeys (spec 4.6) ---------------------------------------------------- */

/* The header clauses, in any order, before the steps. */
journey_head:
    %empty  { $$ = past_decl(pc->ast, PD_JOURNEY, &@$); }
  | journey_head ENTER ON IDENT ARROW STRING {
      if ($1->enter != PENTER_NONE) perr(pc, &@2, "duplicate 'enter' clause");
      $1->enter = PENTER_ON; $1->enter_lifecycle = $4; $1->enter_lifecycle_loc = @4;
      $1->enter_loc = @2;
      $1->enter_stage = past_expr(pc->ast, PE_STRING, &@6);
      $1->enter_stage->sval = $6.s; $1->enter_stage->slen = $6.len;
      $$ = $1;
    }
  | journey_head ENTER WHEN expr {
      if ($1->enter != PENTER_NONE) perr(pc, &@2, "duplicate 'enter' clause");
      $1->enter = PENTER_WHEN; $1->enter_cond = $4; $1->enter_loc = @2; $$ = $1;
    }
  | journey_head REENTER NEVER {
      if ($1->has_reenter) perr(pc, &@2, "duplicate 'reenter' clause");
      $1->has_reenter = true; $1->reenter_never = true; $1->reenter_after = NULL;
      $1->reenter_loc = @2; $$ = $1;
    }
  | journey_head REENTER AFTER expr {
      if ($1->has_reenter) perr(pc, &@2, "duplicate 'reenter' clause");
      $1->has_reenter = true; $1->reenter_never = false; $1->reenter_after = $4;
      $1->reenter_loc = @2; $$ = $1;
    }
  | journey_head EXIT WHEN expr {
      if ($1->exit_cond) perr(pc, &@2, "duplicate 'exit' clause");
      $1->exit_cond = $4; $1->exit_loc = @2; $$ = $1;
    }
  ;

steps:
    %empty      { $$ = past_list(pc->ast); }
  | steps step  { g_ptr_array_add($1, $2); $$ = $1; }
  | steps error { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

block:
    '{' steps '}'   { $$ = $2; }
  ;

step:
    bare_step
  | '@' IDENT bare_step { $$ = $3; $$->label = $2; $$->loc = @$; }
  ;

bare_step:
    SEND IDENT STRING   { $$ = mk_text_step(pc, &@$, PSTEP_SEND, $2, $3); }
  | TASK IDENT STRING   { $$ = mk_text_step(pc, &@$, PSTEP_TASK, $2, $3); }
  | NOTIFY IDENT STRING { $$ = mk_text_step(pc, &@$, PSTEP_NOTIFY, $2, $3); }
  | WEBHOOK STRING      { $$ = mk_text_step(pc, &@$, PSTEP_WEBHOOK, NULL, $2); }
  | WAIT expr {
      $$ = past_step(pc->ast, PSTEP_WAIT, &@$); $$->duration = $2;
    }
  | WAIT UNTIL expr FOR expr {
      $$ = past_step(pc->ast, PSTEP_WAIT_UNTIL, &@$);
      $$->cond = $3; $$->duration = $5;
    }
  | if_step
  | SPLIT '{' arms '}' {
      $$ = past_step(pc->ast, PSTEP_SPLIT, &@$); $$->arms = $3;
    }
  | SPLIT IDENT '{' named_arms '}' {
      $$ = past_step(pc->ast, PSTEP_SPLIT, &@$); $$->arms = $4;
      $$->experiment = $2; $$->experiment_loc = @2;
    }
  | block {
      $$ = past_step(pc->ast, PSTEP_BLOCK, &@$); $$->body = $1;
    }
  ;

/* else-if: the else body is a list holding one PSTEP_IF. */
if_step:
    IF expr block else_part {
      $$ = past_step(pc->ast, PSTEP_IF, &@$);
      $$->cond = $2; $$->body = $3; $$->else_body = $4; $$->else_loc = @4;
    }
  ;

else_part:
    %empty          { $$ = NULL; }
  | ELSE block      { $$ = $2; }
  | ELSE if_step    { $$ = mk_list(pc, $2); }
  ;

arms:
    %empty      { $$ = past_list(pc->ast); }
  | arms arm    { g_ptr_array_add($1, $2); $$ = $1; }
  | arms error  { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

arm:
    PERCENT ':' step {
      $$ = past_new_node(pc->ast, PSplitArm);
      $$->loc = @$;
      $$->weight = past_expr(pc->ast, PE_NUMBER, &@1); $$->weight->nval = $1;
      $$->step = $3;
    }
  ;

/* `split EXP { ARM: STEP … }`: the arms of an experiment by name (a
 * `name:` is a LABEL); an arm not listed takes no step. */
named_arms:
    %empty              { $$ = past_list(pc->ast); }
  | named_arms named_arm { g_ptr_array_add($1, $2); $$ = $1; }
  | named_arms error    { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

named_arm:
    LABEL ':' step {
      $$ = past_new_node(pc->ast, PSplitArm);
      $$->loc = @$; $$->name = $1; $$->name_loc = @1; $$->step = $3;
    }
  ;

/* ---- experiments (docs/experiment.md) -----------------------------------------
 * The clause words (arms, salt, metric, control) are identifiers, not
 * keywords; the checker (check_experiment.c) knows which is which:
 *   arms NAME P%, NAME P%, …     salt "text"
 *   metric CONDITION within D     control NAME */
exp_clauses:
    %empty  { $$ = past_decl(pc->ast, PD_EXPERIMENT, &@$); }
  | exp_clauses IDENT exp_arms {
      if (strcmp($2, "arms") != 0) perr(pc, &@2, "unknown experiment clause '%s' (arms, salt, metric, control)", $2);
      else if ($1->arms) perr(pc, &@2, "duplicate 'arms' clause");
      else { $1->arms = $3; $1->arms_loc = @2; }
      $$ = $1;
    }
  | exp_clauses IDENT STRING {
      if (strcmp($2, "salt") != 0) perr(pc, &@2, "unknown experiment clause '%s' (arms, salt, metric, control)", $2);
      else if ($1->salt) perr(pc, &@2, "duplicate 'salt' clause");
      else { $1->salt = $3.s; $1->salt_len = $3.len; $1->salt_loc = @3; }
      $$ = $1;
    }
  | exp_clauses IDENT expr WITHIN expr {
      if (strcmp($2, "metric") != 0) perr(pc, &@2, "unknown experiment clause '%s' (arms, salt, metric, control)", $2);
      else if ($1->expr) perr(pc, &@2, "duplicate 'metric' clause");
      else { $1->expr = $3; $1->metric_window = $5; $1->metric_loc = @2; }
      $$ = $1;
    }
  | exp_clauses IDENT IDENT {
      if (strcmp($2, "control") != 0) perr(pc, &@2, "unknown experiment clause '%s' (arms, salt, metric, control)", $2);
      else if ($1->control) perr(pc, &@2, "duplicate 'control' clause");
      else { $1->control = $3; $1->control_loc = @3; }
      $$ = $1;
    }
  | exp_clauses error { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

exp_arms:
    IDENT PERCENT {
      PSplitArm *a = past_new_node(pc->ast, PSplitArm);
      a->loc = @$; a->name = $1; a->name_loc = @1;
      a->weight = past_expr(pc->ast, PE_NUMBER, &@2); a->weight->nval = $2;
      $$ = mk_list(pc, a);
    }
  | exp_arms ',' IDENT PERCENT {
      PSplitArm *a = past_new_node(pc->ast, PSplitArm);
      a->loc = ploc_span(&@3, &@4); a->name = $3; a->name_loc = @3;
      a->weight = past_expr(pc->ast, PE_NUMBER, &@4); a->weight->nval = $4;
      g_ptr_array_add($1, a); $$ = $1;
    }
  ;

/* `identity` or `source`, the only words that start a declaration without
 * being keywords. Any other word there is the same error as before these
 * declarations existed (the state after IDENT is consistent, so this is
 * reduced without looking further). */
unify_word:
    IDENT {
      if (strcmp($1, "identity") != 0 && strcmp($1, "source") != 0 && strcmp($1, "timezone") != 0 &&
          strcmp($1, "segment") != 0) {
        /* Right after another error the word is what recovery skips, as
         * bison's own messages are held back then. */
        if (!YYRECOVERING())
          pdiag_add(pc->diags, PDIAG_ERROR, &@1, PDECL_HINT, "unexpected identifier '%s'", $1);
        YYERROR;
      }
      $$ = $1;
    }
  ;

/* ---- identity and source clauses (docs/unify.md) ------------------------------
 * Contextual words (identity, source, block, limit, …) are identifiers, not
 * keywords, so no model that uses them as names breaks; the checker
 * (compiler/check_identity.c) knows which word takes which shape. */

unify_items:
    %empty                  { $$ = past_list(pc->ast); }
  | unify_items unify_item  { g_ptr_array_add($1, $2); $$ = $1; }
  | unify_items error       { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

unify_item:
    KEY IDENT {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = "key"; u->word_loc = @1; u->name = $2; u->name_loc = @2; $$ = u;
    }
  | KEY IDENT '=' IDENT {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = "key"; u->word_loc = @1; u->name = $2; u->name_loc = @2;
      u->has_eq = true; u->arg = $4; u->arg_loc = @4; $$ = u;
    }
  | KEY IDENT '=' IDENT '(' STRING ')' {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = "key"; u->word_loc = @1; u->name = $2; u->name_loc = @2;
      u->has_eq = true; u->arg = $4; u->arg_loc = @4;
      u->text = $6.s; u->text_len = $6.len; u->text_loc = @6; $$ = u;
    }
  | KEY IDENT FROM src_field {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = "key"; u->word_loc = @1; u->name = $2; u->name_loc = @2;
      u->from = $4; u->from_loc = @4; $$ = u;
    }
  | NEVER IDENT IDENT STRING {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = "never"; u->word_loc = @1; u->arg = $2; u->arg_loc = @2;
      u->name = $3; u->name_loc = @3; u->text = $4.s; u->text_len = $4.len; u->text_loc = @4; $$ = u;
    }
  | IDENT fieldname {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = $1; u->word_loc = @1; u->name = $2; u->name_loc = @2; $$ = u;
    }
  | IDENT fieldname FROM src_field {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = $1; u->word_loc = @1; u->name = $2; u->name_loc = @2;
      u->from = $4; u->from_loc = @4; $$ = u;
    }
  | IDENT fieldname '=' rule_word {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = $1; u->word_loc = @1; u->name = $2; u->name_loc = @2;
      u->has_eq = true; u->arg = $4; u->arg_loc = @4; $$ = u;
    }
  | IDENT fieldname INT {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = $1; u->word_loc = @1; u->name = $2; u->name_loc = @2;
      u->ival = $3; u->has_int = true; $$ = u;
    }
  | IDENT fieldname STRING {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = $1; u->word_loc = @1; u->name = $2; u->name_loc = @2;
      u->text = $3.s; u->text_len = $3.len; u->text_loc = @3; $$ = u;
    }
  | IDENT '[' name_list ']' {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = $1; u->word_loc = @1; u->list = $3; $$ = u;
    }
  | IDENT fieldname '{' sub_items '}' {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->word = $1; u->word_loc = @1; u->name = $2; u->name_loc = @2;
      u->list = $4; $$ = u;
    }
  ;

rule_word: IDENT | MAX | MIN ;

/* A field of an input record: a name (keywords too) or a quoted string. */
src_field:
    fieldname
  | STRING      { $$ = $1.s; }
  ;

name_list:
    IDENT {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->name = $1; u->name_loc = @1;
      $$ = mk_list(pc, u);
    }
  | name_list ',' IDENT {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @3; u->name = $3; u->name_loc = @3;
      g_ptr_array_add($1, u); $$ = $1;
    }
  ;

sub_items:
    sub_item                { $$ = mk_list(pc, $1); }
  | sub_items ',' sub_item  { g_ptr_array_add($1, $3); $$ = $1; }
  | sub_items ','           { $$ = $1; }
  ;

sub_item:
    fieldname {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->name = $1; u->name_loc = @1; $$ = u;
    }
  | fieldname FROM src_field {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->name = $1; u->name_loc = @1; u->from = $3; u->from_loc = @3; $$ = u;
    }
  | fieldname '=' STRING {
      PUnifyItem *u = past_new_node(pc->ast, PUnifyItem);
      u->loc = @$; u->name = $1; u->name_loc = @1; u->has_eq = true;
      u->text = $3.s; u->text_len = $3.len; u->text_loc = @3; $$ = u;
    }
  ;

/* ---- tests (spec 7) --------------------------------------------------------- */

test_steps:
    %empty                  { $$ = past_list(pc->ast); }
  | test_steps test_step    { g_ptr_array_add($1, $2); $$ = $1; }
  | test_steps error        { $$ = $1; if (pdiag_full(pc->diags)) YYABORT; }
  ;

test_step:
    PROFILE expr {
      $$ = past_new_node(pc->ast, PTestStep);
      $$->kind = PTSTEP_PROFILE; $$->loc = @$; $$->value = $2;
    }
  | AT expr {
      $$ = past_new_node(pc->ast, PTestStep);
      $$->kind = PTSTEP_AT; $$->loc = @$; $$->value = $2;
    }
  | AT_NL expr {
      $$ = past_new_node(pc->ast, PTestStep);
      $$->kind = PTSTEP_AT; $$->loc = @$; $$->value = $2;
    }
  | EXPECT expr {
      $$ = past_new_node(pc->ast, PTestStep);
      $$->kind = PTSTEP_EXPECT; $$->loc = @$; $$->value = $2;
    }
  | EXPECT ACTION action_kind action_args opt_action_at {
      $$ = past_new_node(pc->ast, PTestStep);
      $$->kind = PTSTEP_EXPECT_ACTION; $$->loc = @$;
      $$->kind_name = $3; $$->args = $4; $$->at = $5;
    }
  | EXPECT NO ACTION {
      $$ = past_new_node(pc->ast, PTestStep);
      $$->kind = PTSTEP_EXPECT_NO_ACTION; $$->loc = @$;
    }
  | PROFILE FROM STRING {
      /* Many profiles from a JSON Lines file beside the model (docs/experiment.md). */
      $$ = past_new_node(pc->ast, PTestStep);
      $$->kind = PTSTEP_PROFILES; $$->loc = @$;
      $$->value = past_expr(pc->ast, PE_STRING, &@3); $$->value->sval = $3.s; $$->value->slen = $3.len;
    }
  ;

action_kind: SEND | TASK | NOTIFY | WEBHOOK ;

action_args:
    %empty                  { $$ = past_list(pc->ast); }
  | action_args IDENT       { g_ptr_array_add($1, mk_name(pc, &@2, $2)); $$ = $1; }
  | action_args STRING {
      PExpr *s = past_expr(pc->ast, PE_STRING, &@2);
      s->sval = $2.s; s->slen = $2.len;
      g_ptr_array_add($1, s); $$ = $1;
    }
  ;

/* `at` first on a line (AT_NL) is the next test step; on the same line,
 * the expectation's time (see NO_ACTION_AT). */
opt_action_at:
    %empty %prec NO_ACTION_AT { $$ = NULL; }
  | AT expr     { $$ = $2; }
  ;

/* ---- host functions (spec 4.7) ---------------------------------------------- */

params:
    %empty              { $$ = past_list(pc->ast); }
  | param_list
  | param_list ','
  ;

param_list:
    param                   { $$ = mk_list(pc, $1); }
  | param_list ',' param    { g_ptr_array_add($1, $3); $$ = $1; }
  ;

param:
    LABEL ':' type {
      $$ = past_new_node(pc->ast, PFieldDecl);
      $$->loc = @$; $$->name = $1; $$->type = $3;
    }
  ;

/* ---- expressions (spec 5) --------------------------------------------------- */

expr:
    primary
  | expr COALESCE expr  { $$ = mk_binary(pc, &@$, POP_COALESCE, $1, $3); }
  | expr OR expr        { $$ = mk_binary(pc, &@$, POP_OR, $1, $3); }
  | expr AND expr       { $$ = mk_binary(pc, &@$, POP_AND, $1, $3); }
  | NOT expr            { $$ = mk_unary(pc, &@$, POP_NOT, $2); }
  | expr EQ expr        { $$ = mk_binary(pc, &@$, POP_EQ, $1, $3); }
  | expr NE expr        { $$ = mk_binary(pc, &@$, POP_NE, $1, $3); }
  | expr '<' expr       { $$ = mk_binary(pc, &@$, POP_LT, $1, $3); }
  | expr LE expr        { $$ = mk_binary(pc, &@$, POP_LE, $1, $3); }
  | expr '>' expr       { $$ = mk_binary(pc, &@$, POP_GT, $1, $3); }
  | expr GE expr        { $$ = mk_binary(pc, &@$, POP_GE, $1, $3); }
  | expr IN expr        { $$ = mk_binary(pc, &@$, POP_IN, $1, $3); }
  | expr '+' expr       { $$ = mk_binary(pc, &@$, POP_ADD, $1, $3); }
  | expr '-' expr       { $$ = mk_binary(pc, &@$, POP_SUB, $1, $3); }
  | expr '*' expr       { $$ = mk_binary(pc, &@$, POP_MUL, $1, $3); }
  | expr '/' expr       { $$ = mk_binary(pc, &@$, POP_DIV, $1, $3); }
  | expr '%' expr       { $$ = mk_binary(pc, &@$, POP_MOD, $1, $3); }
  | '-' expr %prec UMINUS    { $$ = mk_unary(pc, &@$, POP_NEG, $2); }
  | LMINUS expr %prec UMINUS { $$ = mk_unary(pc, &@$, POP_NEG, $2); }
  | ANY IDENT IN expr ':' expr %prec QUANT {
      $$ = past_expr(pc->ast, PE_QUANT, &@$);
      $$->quant_all = false; $$->name = $2; $$->left = $4; $$->right = $6;
      $$ = nested(pc, $$);
    }
  | ALL IDENT IN expr ':' expr %prec QUANT {
      $$ = past_expr(pc->ast, PE_QUANT, &@$);
      $$->quant_all = true; $$->name = $2; $$->left = $4; $$->right = $6;
      $$ = nested(pc, $$);
    }
  ;

primary:
    literal
  | name
  | call
  | list
  | record
  | '(' expr ')'            { $$ = $2; $$->parens = true; }
  | primary '.' fieldname {
      $$ = past_expr(pc->ast, PE_FIELD, &@$); $$->left = $1; $$->name = $3;
      $$ = nested(pc, $$);
    }
  ;

literal:
    INT         { $$ = past_expr(pc->ast, PE_INT, &@$); $$->ival = $1; }
  | NUMBER      { $$ = past_expr(pc->ast, PE_NUMBER, &@$); $$->nval = $1; }
  | PERCENT     { $$ = past_expr(pc->ast, PE_NUMBER, &@$); $$->nval = $1; }
  | DURATION    { $$ = past_expr(pc->ast, PE_DURATION, &@$); $$->ival = $1; }
  | STRING {
      $$ = past_expr(pc->ast, PE_STRING, &@$); $$->sval = $1.s; $$->slen = $1.len;
    }
  | TRUE        { $$ = past_expr(pc->ast, PE_BOOL, &@$); $$->bval = true; }
  | FALSE       { $$ = past_expr(pc->ast, PE_BOOL, &@$); $$->bval = false; }
  | NULL        { $$ = past_expr(pc->ast, PE_NULL, &@$); }
  ;

/* Identifiers, and the keywords that double as field names in expressions
 * (the checker decides what they mean; `profile.x` is the profile's x).
 * The one list of those tokens: the build reads it from here
 * (cmake/name_tokens.cmake), so keep one token per alternative and line. */
name:
    IDENT       { $$ = mk_name(pc, &@$, $1); }
  | LABEL       { $$ = mk_name(pc, &@$, $1); }
  | AT          { $$ = mk_name(pc, &@$, $1); }
  | AT_NL       { $$ = mk_name(pc, &@$, $1); }
  | STATE       { $$ = mk_name(pc, &@$, $1); }
  | KEY         { $$ = mk_name(pc, &@$, $1); }
  | ACTION      { $$ = mk_name(pc, &@$, $1); }
  | ON          { $$ = mk_name(pc, &@$, $1); }
  | FROM        { $$ = mk_name(pc, &@$, $1); }
  | VERSION     { $$ = mk_name(pc, &@$, $1); }
  | MODEL       { $$ = mk_name(pc, &@$, $1); }
  | RECORD      { $$ = mk_name(pc, &@$, $1); }
  | INITIAL     { $$ = mk_name(pc, &@$, $1); }
  | PROFILE     { $$ = mk_name(pc, &@$, $1); }
  ;

/* f(args) and the query form AGG([FIELD of] LIST [where C] [within D | since T]). */
call:
    callee '(' ')' {
      $$ = past_expr(pc->ast, PE_CALL, &@$); $$->name = $1; $$->items = past_list(pc->ast);
    }
  | callee '(' args ')' {
      $$ = past_expr(pc->ast, PE_CALL, &@$); $$->name = $1; $$->items = $3;
      $$ = nested(pc, $$);
    }
  | callee '(' args ',' ')' {
      $$ = past_expr(pc->ast, PE_CALL, &@$); $$->name = $1; $$->items = $3;
      $$ = nested(pc, $$);
    }
  | callee '(' query ')' {
      $$ = past_expr(pc->ast, PE_CALL, &@$); $$->name = $1;
      $$->items = past_list(pc->ast); $$->query = $3;
      $$ = nested(pc, $$);
    }
  ;

callee: IDENT | MAX | MIN | SPLIT ;

args:
    expr            { $$ = mk_list(pc, $1); }
  | args ',' expr   { g_ptr_array_add($1, $3); $$ = $1; }
  ;

query:
    expr WHERE expr opt_window {
      $$ = past_new_node(pc->ast, PQuery);
      $$->loc = @$; $$->list = $1; $$->where = $3;
      $$->window = $4.kind; $$->window_expr = $4.expr;
    }
  | expr window {
      $$ = past_new_node(pc->ast, PQuery);
      $$->loc = @$; $$->list = $1; $$->window = $2.kind; $$->window_expr = $2.expr;
    }
  | fieldname OF expr opt_where opt_window {
      $$ = past_new_node(pc->ast, PQuery);
      $$->loc = @$; $$->field = $1; $$->field_loc = @1; $$->list = $3;
      $$->where = $4; $$->window = $5.kind; $$->window_expr = $5.expr;
    }
  ;

/* After `.` and before `of`, any word names a field. */
fieldname:
    IDENT | LABEL | AT_NL
  | WHEN | PER | CAP | MAX | MIN | DECAY | WHERE | WITHIN | SINCE | OF
  | MODEL | VERSION | IMPORT | SCHEMA | RECORD | CONST | LET | TAG | SCORE
  | LIFECYCLE | INITIAL | JOURNEY | ENTER | EXIT | REENTER | NEVER | AFTER
  | IN | NOT | AND | OR | TRUE | FALSE | NULL | IF | ELSE | WAIT | UNTIL | FOR
  | SPLIT | SEND | TASK | NOTIFY | WEBHOOK | TEST | PROFILE | STATE | AT
  | EXPECT | ACTION | NO | ON | KEY | PII | ANY | ALL | EXTERN | FN | FROM
  ;

list:
    '[' ']'             { $$ = past_expr(pc->ast, PE_LIST, &@$); $$->items = past_list(pc->ast); $$ = nested(pc, $$); }
  | '[' exprs ']'       { $$ = past_expr(pc->ast, PE_LIST, &@$); $$->items = $2; $$ = nested(pc, $$); }
  | '[' exprs ',' ']'   { $$ = past_expr(pc->ast, PE_LIST, &@$); $$->items = $2; $$ = nested(pc, $$); }
  ;

exprs:
    expr            { $$ = mk_list(pc, $1); }
  | exprs ',' expr  { g_ptr_array_add($1, $3); $$ = $1; }
  ;

record:
    '{' '}'             { $$ = past_expr(pc->ast, PE_RECORD, &@$); $$->items = past_list(pc->ast); $$ = nested(pc, $$); }
  | '{' rfields '}'     { $$ = past_expr(pc->ast, PE_RECORD, &@$); $$->items = $2; $$ = nested(pc, $$); }
  | '{' rfields ',' '}' { $$ = past_expr(pc->ast, PE_RECORD, &@$); $$->items = $2; $$ = nested(pc, $$); }
  ;

rfields:
    rfield              { $$ = mk_list(pc, $1); }
  | rfields ',' rfield  { g_ptr_array_add($1, $3); $$ = $1; }
  ;

rfield:
    LABEL ':' expr {
      PRecordField *f = past_new_node(pc->ast, PRecordField);
      f->loc = @$; f->name = $1; f->value = $3; $$ = f;
    }
  | STRING ':' expr {
      PRecordField *f = past_new_node(pc->ast, PRecordField);
      f->loc = @$; f->name = $1.s; f->value = $3; $$ = f;
    }
  ;

%%

/* ---- node helpers ----------------------------------------------------------- */

static void perr(PParseCtx *pc, const PLoc *loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  pdiag_error(pc->diags, loc, "%s", msg);
}

static PExpr *mk_binary(PParseCtx *pc, const PLoc *loc, POp op, PExpr *l, PExpr *r) {
  PExpr *e = past_expr(pc->ast, PE_BINARY, loc);
  e->op = op;
  e->left = l;
  e->right = r;
  return nested(pc, e);
}

static PExpr *mk_unary(PParseCtx *pc, const PLoc *loc, POp op, PExpr *operand) {
  PExpr *e = past_expr(pc->ast, PE_UNARY, loc);
  e->op = op;
  e->left = operand;
  return nested(pc, e);
}

static uint32_t depth_of(const PExpr *e) { return e ? e->depth : 0; }

/* Sets e->depth from its operands' and reports an expression nested more
 * than PPARSE_MAX_EXPR_DEPTH levels. The checker, the code generator and
 * the formatter walk expressions recursively, so without a limit a long
 * chain like `a + a + … + a` (each `+` one level deeper: left-associative
 * operators nest without growing the parser's own stack, which limits
 * only brackets) overflows the C stack (found by fuzz/fuzz_compile.c).
 * Only the node at exactly one level too deep reports, so a 200 000-term
 * chain gives one error, not 199 000. */
static PExpr *nested(PParseCtx *pc, PExpr *e) {
  uint32_t d = MAX(depth_of(e->left), depth_of(e->right));
  for (guint i = 0; e->items && i < e->items->len; i++) {
    const void *item = g_ptr_array_index(e->items, i);
    const PExpr *x = e->kind == PE_RECORD ? ((const PRecordField *)item)->value : item;
    d = MAX(d, depth_of(x));
  }
  if (e->query)
    d = MAX(d, MAX(depth_of(e->query->list),
                   MAX(depth_of(e->query->where), depth_of(e->query->window_expr))));
  e->depth = d + 1;
  if (e->depth == PPARSE_MAX_EXPR_DEPTH + 1)
    pdiag_add(pc->diags, PDIAG_ERROR, &e->loc,
              "split it into named parts with `let`, or test many values with `in [ … ]`",
              "expression too deeply nested (more than %d levels)", PPARSE_MAX_EXPR_DEPTH);
  return e;
}

static PExpr *mk_name(PParseCtx *pc, const PLoc *loc, const char *name) {
  PExpr *e = past_expr(pc->ast, PE_NAME, loc);
  e->name = name;
  return e;
}

static GPtrArray *mk_list(PParseCtx *pc, gpointer first) {
  GPtrArray *list = past_list(pc->ast);
  g_ptr_array_add(list, first);
  return list;
}

static PStep *mk_text_step(PParseCtx *pc, const PLoc *loc, PStepKind kind,
                           const char *channel, PStrTok text) {
  PStep *s = past_step(pc->ast, kind, loc);
  s->channel = channel;
  s->text = text.s;
  s->text_len = text.len;
  return s;
}

/* ---- syntax errors ---------------------------------------------------------- */

/* The marked variants share their plain token's name in messages. */
static const char *psym_display(yysymbol_kind_t sym) {
  switch (sym) {
  case YYSYMBOL_LPLUS: return "'+'";
  case YYSYMBOL_LMINUS: return "'-'";
  case YYSYMBOL_AT_NL: return "'at'";
  case YYSYMBOL_LABEL: return "identifier";
  default: return yysymbol_name(sym);
  }
}

const char *pparse_token_display(int token) {
  return psym_display(YYTRANSLATE(token));
}

/* Tokens that can start an expression: a list of expected tokens holding
 * them is shortened to "expression". A name is one (the tokens of the
 * `name` rule, PERSONA_NAME_TOKENS, which the build reads from that rule:
 * cmake/name_tokens.cmake), and so are literals, `-`, `not`, brackets and
 * the quantifiers and aggregates that start a query. */
static gboolean psym_starts_expr(yysymbol_kind_t sym) {
  if (sym == YYTRANSLATE('(') || sym == YYTRANSLATE('[') || sym == YYTRANSLATE('{') ||
      sym == YYTRANSLATE('-'))
    return TRUE;
  switch (sym) {
#define PSYM_NAME_CASE(token) case YYSYMBOL_##token:
  PERSONA_NAME_TOKENS(PSYM_NAME_CASE)
#undef PSYM_NAME_CASE
  case YYSYMBOL_STRING: case YYSYMBOL_INT: case YYSYMBOL_NUMBER: case YYSYMBOL_PERCENT:
  case YYSYMBOL_DURATION: case YYSYMBOL_TRUE: case YYSYMBOL_FALSE:
  case YYSYMBOL_NULL: case YYSYMBOL_LMINUS: case YYSYMBOL_NOT:
  case YYSYMBOL_ANY: case YYSYMBOL_ALL: case YYSYMBOL_MAX: case YYSYMBOL_MIN:
  case YYSYMBOL_SPLIT: /* a callee, as max and min are */
    return TRUE;
  default:
    return FALSE;
  }
}

/* Tokens that continue an expression (operators, `.`, a call's `(`):
 * shortened to "operator" likewise. */
static gboolean psym_continues_expr(yysymbol_kind_t sym) {
  if (sym == YYTRANSLATE('.') || sym == YYTRANSLATE('(') || sym == YYTRANSLATE('<') || sym == YYTRANSLATE('>') ||
      sym == YYTRANSLATE('+') || sym == YYTRANSLATE('-') || sym == YYTRANSLATE('*') ||
      sym == YYTRANSLATE('/') || sym == YYTRANSLATE('%'))
    return TRUE;
  switch (sym) {
  case YYSYMBOL_COALESCE: case YYSYMBOL_OR: case YYSYMBOL_AND: case YYSYMBOL_EQ:
  case YYSYMBOL_NE: case YYSYMBOL_LE: case YYSYMBOL_GE: case YYSYMBOL_IN:
    return TRUE;
  default:
    return FALSE;
  }
}

static gboolean psym_in(const yysymbol_kind_t *syms, int n, yysymbol_kind_t sym) {
  for (int i = 0; i < n; i++)
    if (syms[i] == sym) return TRUE;
  return FALSE;
}

/* The name of an expected token: a LABEL there is a field or parameter
 * name, written `name:`. */
static const char *psym_expected_display(yysymbol_kind_t sym) {
  return sym == YYSYMBOL_LABEL ? "field name" : psym_display(sym);
}

/* "unexpected X", plus what was expected when that list is short. */
static char *psyntax_message(PParseCtx *pc, yysymbol_kind_t tok, const PLoc *loc,
                             const yysymbol_kind_t *exp, int nexp) {
  GString *msg = g_string_new("unexpected ");
  g_string_append(msg, psym_display(tok));
  if ((tok == YYSYMBOL_IDENT || tok == YYSYMBOL_LABEL)) {
    const PSourceFile *f = psrc_file(pc->src, pc->file);
    if (f && loc->end_offset <= f->len && loc->offset < loc->end_offset)
      g_string_append_printf(msg, " '%.*s'", (int)(loc->end_offset - loc->offset),
                             f->text + loc->offset);
  }

  const char *names[8];
  int nn = 0;
  gboolean expr = psym_in(exp, nexp, YYSYMBOL_IDENT) && psym_in(exp, nexp, YYSYMBOL_INT) &&
                  psym_in(exp, nexp, YYTRANSLATE('('));
  gboolean oper = psym_in(exp, nexp, YYSYMBOL_AND) && psym_in(exp, nexp, YYTRANSLATE('*'));
  if (expr) names[nn++] = "expression";
  if (oper) names[nn++] = "operator";
  for (int i = 0; i < nexp && nn <= 4; i++) {
    if (expr && psym_starts_expr(exp[i])) continue;
    if (oper && psym_continues_expr(exp[i])) continue;
    const char *name = psym_expected_display(exp[i]);
    gboolean seen = FALSE;
    for (int k = 0; k < nn; k++)
      if (strcmp(names[k], name) == 0) seen = TRUE;
    if (!seen) names[nn++] = name;
  }
  if (nn == 1) {
    g_string_append_printf(msg, ", expected %s", names[0]);
  } else if (nn >= 2 && nn <= 4) {
    g_string_append(msg, ", expected one of: ");
    for (int k = 0; k < nn; k++)
      g_string_append_printf(msg, "%s%s", k ? ", " : "", names[k]);
  }
  return g_string_free(msg, FALSE);
}

/* A second line for common mistakes, or NULL. */
static const char *psyntax_hint(yysymbol_kind_t tok, const yysymbol_kind_t *exp, int nexp) {
  if (psym_in(exp, nexp, YYSYMBOL_WHEN) && psym_starts_expr(tok))
    return "write 'when' before the condition";
  if (tok == YYTRANSLATE('=') && psym_in(exp, nexp, YYSYMBOL_EQ))
    return "to compare two values, write '=='";
  if ((tok == YYSYMBOL_LPLUS || tok == YYSYMBOL_LMINUS) &&
      psym_in(exp, nexp, YYTRANSLATE('+')))
    return "a line cannot start with a binary '+' or '-': "
           "end the previous line with the operator instead";
  if ((tok == YYSYMBOL_ENTER || tok == YYSYMBOL_REENTER || tok == YYSYMBOL_EXIT) &&
      psym_in(exp, nexp, YYSYMBOL_SEND))
    return "a journey's enter, reenter and exit clauses come before its steps";
  if ((tok == YYSYMBOL_EQ || tok == YYSYMBOL_NE || tok == YYTRANSLATE('<') ||
       tok == YYSYMBOL_LE || tok == YYTRANSLATE('>') || tok == YYSYMBOL_GE ||
       tok == YYSYMBOL_IN) &&
      psym_in(exp, nexp, YYSYMBOL_AND))
    return "comparisons do not chain: write 'a < b and b < c'";
  if ((tok == YYSYMBOL_WHEN || tok == YYSYMBOL_PER) && psym_in(exp, nexp, YYSYMBOL_LPLUS))
    return "each score rule after the first starts on its own line";
  if (tok == YYSYMBOL_IDENT && psym_in(exp, nexp, YYSYMBOL_SEND))
    return psym_in(exp, nexp, YYSYMBOL_WAIT)
               ? "a journey step is one of: send, task, notify, webhook, wait, if, split, { … }"
               : "an action is one of: send, task, notify, webhook";
  if (tok == YYSYMBOL_IDENT && psym_in(exp, nexp, YYSYMBOL_LABEL))
    return "a field is written 'name: type'";
  if (psym_in(exp, nexp, YYSYMBOL_TAG) && psym_in(exp, nexp, YYSYMBOL_LET))
    return PDECL_HINT;
  if (nexp == 1 && exp[0] == YYSYMBOL_INITIAL)
    return "a lifecycle starts with 'initial STAGE'";
  return NULL;
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
                                 PParseCtx *pc) {
  if (pdiag_full(pc->diags)) return 0;
  yysymbol_kind_t exp[YYNTOKENS];
  int nexp = yypcontext_expected_tokens(yyctx, exp, YYNTOKENS);
  if (nexp < 0) nexp = 0;
  yysymbol_kind_t tok = yypcontext_token(yyctx);
  const PLoc *loc = yypcontext_location(yyctx);
  g_autofree char *msg = psyntax_message(pc, tok, loc, exp, nexp);
  pdiag_add(pc->diags, PDIAG_ERROR, loc, psyntax_hint(tok, exp, nexp), "%s", msg);
  return 0;
}

/* Bison's own failures ("memory exhausted"): parse.error custom reports
 * syntax errors through yyreport_syntax_error above. */
static void persona_yyerror(PLoc *loc, yyscan_t scanner, PParseCtx *pc,
                            const char *msg) {
  if (strcmp(msg, "memory exhausted") == 0) /* YYMAXDEPTH states */
    pdiag_error(pc->diags, loc, "nested too deeply for the parser");
  else
    pdiag_error(pc->diags, loc, "%s", msg);
}
