/* natives.c - host functions called through libffi; see natives.h and the
 * "host functions" section of persona.h for the C conventions. */
#include "natives.h"

#include <math.h>
#include <string.h>

#include "arena.h"
#include "persona.h"

/* ---- signatures --------------------------------------------------------------- */

static const char *skip_blanks(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

/* One type name with an optional `?`; advances *p. */
static bool parse_type(const char **p, uint8_t *type, bool *optional) {
  static const struct { const char *name; PNativeType t; } types[] = {
    {"bool", PNT_BOOL}, {"int", PNT_INT}, {"number", PNT_NUMBER}, {"string", PNT_STRING},
  };
  const char *s = skip_blanks(*p);
  for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
    size_t n = strlen(types[i].name);
    if (strncmp(s, types[i].name, n) == 0 && !g_ascii_isalnum(s[n]) && s[n] != '_') {
      *type = (uint8_t)types[i].t;
      s += n;
      *optional = *s == '?';
      if (*optional) s++;
      *p = s;
      return true;
    }
  }
  return false;
}

bool pnative_parse_signature(const char *sig, PNative *out, char **error) {
  const char *p = sig;
  if (!parse_type(&p, &out->ret, &out->ret_optional)) {
    *error = g_strdup_printf("signature '%s': expected a result type (bool, int, number or string)", sig);
    return false;
  }
  p = skip_blanks(p);
  if (*p++ != '(') {
    *error = g_strdup_printf("signature '%s': expected '(' after the result type", sig);
    return false;
  }
  out->n_params = 0;
  p = skip_blanks(p);
  while (*p != ')') {
    if (out->n_params == PNATIVE_MAX_PARAMS) {
      *error = g_strdup_printf("signature '%s': more than %d parameters", sig, PNATIVE_MAX_PARAMS);
      return false;
    }
    if (!parse_type(&p, &out->params[out->n_params], &out->params_optional[out->n_params])) {
      *error = g_strdup_printf("signature '%s': parameter %u is not bool, int, number or string", sig,
                               out->n_params + 1);
      return false;
    }
    out->n_params++;
    p = skip_blanks(p);
    if (*p == ',') p = skip_blanks(p + 1);
    else if (*p != ')') {
      *error = g_strdup_printf("signature '%s': expected ',' or ')'", sig);
      return false;
    }
  }
  if (*skip_blanks(p + 1) != '\0') {
    *error = g_strdup_printf("signature '%s': unexpected text after ')'", sig);
    return false;
  }
  return true;
}

static ffi_type *ffi_type_of(uint8_t t) {
  switch ((PNativeType)t) {
  case PNT_BOOL: return &ffi_type_sint;
  case PNT_INT: return &ffi_type_sint64;
  case PNT_NUMBER: return &ffi_type_double;
  case PNT_STRING: return &ffi_type_pointer;
  }
  return &ffi_type_void;
}

bool pnative_prepare(PNative *n, char **error) {
  for (uint32_t i = 0; i < n->n_params; i++) n->arg_types[i] = ffi_type_of(n->params[i]);
  ffi_status st = ffi_prep_cif(&n->cif, FFI_DEFAULT_ABI, n->n_params, ffi_type_of(n->ret), n->arg_types);
  if (st != FFI_OK) {
    *error = g_strdup_printf("cannot prepare a call to %s (libffi status %d)", n->name, (int)st);
    return false;
  }
  n->prepared = true;
  return true;
}

void pnative_free(PNative *n) {
  if (!n) return;
  g_free(n->name);
  g_free(n);
}

PNative *pnative_copy(const PNative *n) {
  PNative *c = g_new(PNative, 1);
  *c = *n;
  c->name = g_strdup(n->name);
  c->prepared = false; /* arg_types point into the copy once prepared again */
  char *err = NULL;
  if (!pnative_prepare(c, &err)) g_free(err);
  return c;
}

char *pnative_signature_text(const PNative *n) {
  static const char *const names[] = {"bool", "int", "number", "string"};
  GString *s = g_string_new(names[n->ret]);
  if (n->ret_optional) g_string_append_c(s, '?');
  g_string_append_c(s, '(');
  for (uint32_t i = 0; i < n->n_params; i++)
    g_string_append_printf(s, "%s%s%s", i ? ", " : "", names[n->params[i]], n->params_optional[i] ? "?" : "");
  g_string_append_c(s, ')');
  return g_string_free(s, FALSE);
}

/* ---- the registry ------------------------------------------------------------------ */

PersonaNatives *persona_natives_new(void) {
  PersonaNatives *n = g_new0(PersonaNatives, 1);
  n->items = g_ptr_array_new_with_free_func((GDestroyNotify)pnative_free);
  return n;
}

void persona_natives_free(PersonaNatives *natives) {
  if (!natives) return;
  g_ptr_array_unref(natives->items);
  g_free(natives);
}

gboolean persona_natives_add(PersonaNatives *natives, const char *name, const char *signature,
                             void (*fn)(void), GError **error) {
  g_return_val_if_fail(natives && name && signature && fn, FALSE);
  for (guint i = 0; i < natives->items->len; i++) {
    if (strcmp(((PNative *)g_ptr_array_index(natives->items, i))->name, name) == 0) {
      g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "host function '%s' is registered twice", name);
      return FALSE;
    }
  }
  PNative *n = g_new0(PNative, 1);
  n->name = g_strdup(name);
  n->fn = fn;
  char *err = NULL;
  if (!pnative_parse_signature(signature, n, &err) || !pnative_prepare(n, &err)) {
    g_set_error(error, PERSONA_ERROR, PERSONA_ERROR_INVALID, "host function '%s': %s", name, err);
    g_free(err);
    pnative_free(n);
    return FALSE;
  }
  g_ptr_array_add(natives->items, n);
  return TRUE;
}

/* ---- calls ------------------------------------------------------------------------- */

typedef union NativeSlot {
  int i32;
  int64_t i64;
  double d;
  const char *s;
} NativeSlot;

/* A VM value as the C argument of the convention (null by its marker). */
static bool to_c(const PValue *v, uint8_t type, bool optional, PArena *scratch, NativeSlot *slot) {
  bool null = v->kind == PV_NULL;
  if (null && !optional) return false;
  /* A value of another kind (a hostile file's; the verifier refuses the
   * ones it can see) would hand a pointer's bits to C as a number, or a
   * number's as a pointer. */
  static const uint16_t accepts[] = {[PNT_BOOL] = 1u << PV_BOOL, [PNT_INT] = 1u << PV_INT,
                                     [PNT_NUMBER] = 1u << PV_NUMBER | 1u << PV_INT, [PNT_STRING] = 1u << PV_STRING};
  if (!null && (type > PNT_STRING || v->kind > PV_RECORD || !(accepts[type] >> v->kind & 1))) return false;
  switch ((PNativeType)type) {
  case PNT_BOOL: slot->i32 = null ? -1 : (v->u.b ? 1 : 0); break;
  case PNT_INT: slot->i64 = null ? INT64_MIN : v->u.i; break;
  case PNT_NUMBER: slot->d = null ? NAN : (v->kind == PV_INT ? (double)v->u.i : v->u.n); break;
  case PNT_STRING:
    if (null) {
      slot->s = NULL;
    } else {
      slot->s = pa_strndup(scratch, v->u.s ? v->u.s : "", v->len);
      if (!slot->s) return false;
    }
    break;
  }
  return true;
}

static bool from_c(const PNative *n, const NativeSlot *r, PArena *scratch, PValue *out, char *err, size_t size) {
  switch ((PNativeType)n->ret) {
  case PNT_BOOL:
    if (r->i32 == -1 && n->ret_optional) *out = pv_null();
    else *out = pv_bool(r->i32 != 0);
    return true;
  case PNT_INT:
    if (r->i64 == INT64_MIN && n->ret_optional) *out = pv_null();
    else *out = pv_int(r->i64);
    return true;
  case PNT_NUMBER:
    if (isnan(r->d) && n->ret_optional) {
      *out = pv_null();
      return true;
    }
    if (!isfinite(r->d)) {
      g_snprintf(err, size, "host function %s returned a number that is not finite", n->name);
      return false;
    }
    *out = pv_number(r->d);
    return true;
  case PNT_STRING: {
    if (!r->s) {
      if (n->ret_optional) {
        *out = pv_null();
        return true;
      }
      g_snprintf(err, size, "host function %s returned NULL for a string", n->name);
      return false;
    }
    size_t len = strlen(r->s);
    if (!g_utf8_validate(r->s, (gssize)len, NULL)) {
      g_snprintf(err, size, "host function %s returned a string that is not UTF-8", n->name);
      return false;
    }
    char *copy = pa_strndup(scratch, r->s, len);
    if (!copy || len > UINT32_MAX / 2) {
      g_snprintf(err, size, "out of memory for this record");
      return false;
    }
    *out = pv_string(copy, (uint32_t)len);
    return true;
  }
  }
  return false;
}

bool pnative_call(const PNative *n, const PValue *args, PArena *scratch, PValue *out, char *err, size_t size) {
  NativeSlot slots[PNATIVE_MAX_PARAMS];
  void *avalues[PNATIVE_MAX_PARAMS];
  for (uint32_t i = 0; i < n->n_params; i++) {
    if (!to_c(&args[i], n->params[i], n->params_optional[i], scratch, &slots[i])) {
      g_snprintf(err, size, "host function %s: argument %u is %s", n->name, i + 1,
                 args[i].kind == PV_NULL ? "null" : "not of its type (invalid bytecode) or too large");
      return false;
    }
    avalues[i] = &slots[i];
  }
  /* libffi widens small integer results to ffi_arg: read them from one. */
  union {
    ffi_arg word;
    NativeSlot slot;
  } ret;
  memset(&ret, 0, sizeof ret);
  ffi_call((ffi_cif *)&n->cif, n->fn, &ret, avalues);
  NativeSlot r = ret.slot;
  if (n->ret == PNT_BOOL) r.i32 = (int)(ffi_sarg)ret.word;
  return from_c(n, &r, scratch, out, err, size);
}
