/* model_info.c - more of what a model declares, for tools that describe
 * its results (persona.h, beside the introspection of model_api.c):
 * lifecycle transitions, step kinds, the schema's fields and which of them
 * a record gives; and two result accessors: stage entry times and journey
 * positions. Everything returned is borrowed from the model or static. */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "api_internal.h"
#include "runtime/json_decode.h"
#include "runtime/model.h"

static const PModel *pm(const PersonaModel *model) { return (const PModel *)model; }

/* ---- lifecycles and journeys ---------------------------------------------- */

guint persona_model_lifecycle_n_transitions(const PersonaModel *model, guint i) {
  return i < pm(model)->n_lifecycles ? pm(model)->lifecycles[i].n_transitions : 0;
}

gboolean persona_model_lifecycle_transition(const PersonaModel *model, guint i, guint t, const char **from,
                                            const char **to) {
  if (t >= persona_model_lifecycle_n_transitions(model, i)) return FALSE;
  const PLifecycleCode *lc = &pm(model)->lifecycles[i];
  const PTransitionCode *tc = &lc->transitions[t];
  if (from) *from = tc->from >= 0 ? lc->stages[tc->from] : NULL;
  if (to) *to = lc->stages[tc->to];
  return TRUE;
}

static const char *step_kind_name(uint8_t kind) {
  static const char *const names[] = {
      [PJS_SEND] = "send", [PJS_TASK] = "task", [PJS_NOTIFY] = "notify", [PJS_WEBHOOK] = "webhook",
      [PJS_WAIT] = "wait", [PJS_WAIT_UNTIL] = "wait until", [PJS_IF] = "if", [PJS_SPLIT] = "split",
      [PJS_BLOCK] = "block",
  };
  return kind < G_N_ELEMENTS(names) && names[kind] ? names[kind] : "step";
}

const char *persona_model_journey_step_kind(const PersonaModel *model, guint i, const char *step_id) {
  if (!model || !step_id || i >= pm(model)->n_journeys) return NULL;
  const PJourneyCode *j = &pm(model)->journeys[i];
  for (uint32_t s = 0; s < j->n_steps; s++)
    if (strcmp(j->steps[s].id, step_id) == 0) return step_kind_name(j->steps[s].kind);
  return NULL;
}

/* ---- the schema's fields --------------------------------------------------- */

static const PDecodePlan *schema_plan(const PersonaModel *model) {
  const PModel *m = pm(model);
  return m->n_plans ? &m->plans[m->profile_plan] : NULL;
}

guint persona_model_n_fields(const PersonaModel *model) {
  const PDecodePlan *p = schema_plan(model);
  return p ? p->n_fields : 0;
}

void persona_model_field(const PersonaModel *model, guint i, PersonaField *out) {
  memset(out, 0, sizeof *out);
  const PDecodePlan *p = schema_plan(model);
  if (!p || i >= p->n_fields) return;
  const PDecodeField *f = &p->fields[i];
  out->name = f->name;
  out->optional = f->optional;
  out->has_default = f->has_default;
  out->pii = f->pii;
  out->key = p->key_field == (int)i;
  /* The decoder's rule: what it does not skip unread (json_decode.c). */
  out->read = f->used || p->key_field == (int)i || p->at_field == (int)i;
}

/* ---- which fields a record gives ----------------------------------------------
 *
 * A report reads this for every record, beside its evaluation, so it must
 * cost a fraction of one: a scan of the top-level keys that skips strings
 * with memchr and nested values by depth, without decoding or validating
 * them (the evaluation validates the record). A key written with an escape
 * ("\u0069d") goes to the decoder's exact, slower reading. */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* After the opening quote: the byte after the closing one, or NULL. */
static const char *skip_string(const char *p, const char *end) {
  for (;;) {
    const char *q = memchr(p, '"', (size_t)(end - p));
    if (!q) return NULL;
    size_t backslashes = 0;
    for (const char *b = q; b > p && b[-1] == '\\'; b--) backslashes++;
    if (backslashes % 2 == 0) return q + 1;
    p = q + 1;
  }
}

/* Skipping a nested value is a small state machine over the bytes that
 * matter: quotes, and outside a string brackets, inside one backslashes
 * (the byte after a backslash never matters). */
typedef struct {
  size_t depth;
  bool in_string;
  bool escaped; /* the next byte is escaped */
} Skip;

/* One byte that matters; TRUE when it closes the value. */
static inline bool skip_step(Skip *k, char c) {
  if (k->escaped) {
    k->escaped = false;
  } else if (k->in_string) {
    if (c == '\\') k->escaped = true;
    else if (c == '"') k->in_string = false;
  } else if (c == '"') {
    k->in_string = true;
  } else if (c == '{' || c == '[') {
    k->depth++;
  } else if (c == '}' || c == ']') {
    return --k->depth == 0;
  }
  return false;
}

/* A nested value (p at its '{' or '['): the byte after it, or NULL. With
 * SSE2, sixteen bytes at a time: one mask of the bytes that matter, then
 * the state machine on those only — a profile's events are dense with
 * short strings, too short for a memchr call each. */
static const char *skip_nested(const char *p, const char *end) {
  Skip k = {0, false, false};
#if defined(__SSE2__)
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    /* '[' and '{' (0x5B, 0x7B) differ in bit 5 only, and so do ']' and
     * '}' (0x5D, 0x7D): set it and compare twice. */
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                            _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                               _mm_or_si128(_mm_cmpeq_epi8(folded, _mm_set1_epi8(0x7B)),
                                            _mm_cmpeq_epi8(folded, _mm_set1_epi8(0x7D))));
    unsigned mask = (unsigned)_mm_movemask_epi8(hit);
    unsigned quotes = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
    unsigned backslashes = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    if (!backslashes && !k.escaped) {
      /* No escape in the block: the bytes inside strings are the prefix
       * XOR of the quotes, and only the brackets outside them matter. */
      unsigned inside = quotes;
      inside ^= inside << 1;
      inside ^= inside << 2;
      inside ^= inside << 4;
      inside ^= inside << 8;
      if (k.in_string) inside = ~inside;
      unsigned brackets = mask & ~quotes & ~inside & 0xFFFFu;
      while (brackets) {
        int i = __builtin_ctz(brackets);
        brackets &= brackets - 1;
        /* outside a string by construction: a bracket, whatever k.in_string says */
        if (p[i] == '{' || p[i] == '[') k.depth++;
        else if (--k.depth == 0) return p + i + 1;
      }
      k.in_string ^= __builtin_popcount(quotes) & 1;
      p += 16;
      continue;
    }
    if (k.escaped) { /* escaped by the last byte of the previous block */
      mask &= ~1u;
      k.escaped = false;
    }
    while (mask) {
      int i = __builtin_ctz(mask);
      mask &= mask - 1;
      if (skip_step(&k, p[i])) return p + i + 1;
      if (k.escaped && i < 15) { /* the escaped byte, whatever it is */
        mask &= ~(1u << (i + 1));
        k.escaped = false;
      }
    }
    p += 16;
  }
#endif
  for (; p < end; p++) {
    char c = *p;
    if ((k.escaped || c == '"' || c == '\\' || c == '[' || c == ']' || c == '{' || c == '}') && skip_step(&k, c))
      return p + 1;
  }
  return NULL;
}

/* One value (at its first byte): the byte after it, or NULL. */
static const char *skip_value(const char *p, const char *end) {
  if (p >= end) return NULL;
  if (*p == '"') return skip_string(p + 1, end);
  if (*p == '{' || *p == '[') return skip_nested(p, end);
  while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
  return p;
}

static int field_of_key(const PDecodePlan *plan, const char *key, size_t len) {
  for (uint32_t i = 0; i < plan->n_fields; i++)
    if (plan->fields[i].name_len == len && memcmp(plan->fields[i].name, key, len) == 0) return (int)i;
  return -1;
}

typedef enum { SCAN_OK, SCAN_BAD, SCAN_ESCAPED_KEY } ScanStatus;

static ScanStatus scan_fields(const PDecodePlan *plan, const char *p, const char *end, gboolean *present) {
  for (uint32_t i = 0; i < plan->n_fields; i++) present[i] = FALSE;
  p = skip_ws(p, end);
  if (p >= end || *p++ != '{') return SCAN_BAD;
  p = skip_ws(p, end);
  if (p < end && *p == '}') return SCAN_OK;
  while (p < end) {
    if (*p++ != '"') return SCAN_BAD;
    const char *key = p;
    if (!(p = skip_string(p, end))) return SCAN_BAD;
    size_t key_len = (size_t)(p - 1 - key);
    if (memchr(key, '\\', key_len)) return SCAN_ESCAPED_KEY;
    p = skip_ws(p, end);
    if (p >= end || *p++ != ':') return SCAN_BAD;
    p = skip_ws(p, end);
    const char *value = p;
    if (!(p = skip_value(p, end))) return SCAN_BAD;
    int f = field_of_key(plan, key, key_len);
    /* The last of duplicate keys wins, as in the decoder. */
    if (f >= 0) present[f] = !(p - value == 4 && memcmp(value, "null", 4) == 0);
    p = skip_ws(p, end);
    if (p < end && *p == ',') {
      p = skip_ws(p + 1, end);
      continue;
    }
    return p < end && *p == '}' ? SCAN_OK : SCAN_BAD;
  }
  return SCAN_BAD;
}

/* The decoder's exact reading (keys with escapes unescaped). */
static gboolean fields_present_exact(const PDecodePlan *plan, const char *json, gsize len, gboolean *present) {
  const char **names = g_new(const char *, plan->n_fields);
  PDecodeSpan *spans = g_new(PDecodeSpan, plan->n_fields);
  for (uint32_t i = 0; i < plan->n_fields; i++) names[i] = plan->fields[i].name;
  char error[160];
  bool ok = pdec_object_spans(json, len, names, plan->n_fields, spans, error, sizeof error);
  for (uint32_t i = 0; ok && i < plan->n_fields; i++) {
    const PDecodeSpan *s = &spans[i];
    present[i] = s->found && !(s->len == 4 && memcmp(json + s->offset, "null", 4) == 0);
  }
  g_free(names);
  g_free(spans);
  return ok;
}

gboolean persona_model_fields_present(const PersonaModel *model, const char *json, gsize len,
                                      gboolean *present) {
  const PDecodePlan *p = schema_plan(model);
  if (!p) return FALSE;
  switch (scan_fields(p, json, json + len, present)) {
  case SCAN_OK: return TRUE;
  case SCAN_ESCAPED_KEY: return fields_present_exact(p, json, len, present);
  default: return FALSE;
  }
}

/* ---- result accessors for stage times and journey positions ------------------ */

static const PersonaVM *vm_of(const PersonaResult *r) { return (const PersonaVM *)r; }

gboolean persona_result_stage_entered(const PersonaResult *r, guint i, gint64 *out_us) {
  const PersonaVM *vm = vm_of(r);
  if (!vm->last_ok || i >= vm->st.model->n_lifecycles) return FALSE;
  if (out_us) *out_us = vm->st.lc[i].entered;
  return TRUE;
}

gboolean persona_result_journey(const PersonaResult *r, guint i, PersonaJourneyPosition *out) {
  static const char *const status[] = {[PJ_IDLE] = "idle", [PJ_ACTIVE] = "active", [PJ_DONE] = "done",
                                       [PJ_EXITED] = "exited"};
  const PersonaVM *vm = vm_of(r);
  memset(out, 0, sizeof *out);
  if (!vm->last_ok || i >= vm->st.model->n_journeys) return FALSE;
  const PJState *js = &vm->st.journeys[i];
  out->status = js->status < G_N_ELEMENTS(status) ? status[js->status] : "idle";
  out->step = js->status == PJ_ACTIVE && js->step < vm->st.model->journeys[i].n_steps
                  ? vm->st.model->journeys[i].steps[js->step].id
                  : NULL;
  out->run = js->run;
  return TRUE;
}
