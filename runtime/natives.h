/* natives.h - host functions: signatures, the registry, and the libffi
 * call interface prepared once per function.
 *
 * Ownership: a PNative owns its name and its ffi_cif; the function pointer
 * and (for extern fn) the dlopen handle are the registry's or the model's
 * (see PModel's natives). A PersonaNatives owns its PNatives.
 */
#ifndef PERSONA_NATIVES_H
#define PERSONA_NATIVES_H

#include <stdbool.h>
#include <stdint.h>

#include <ffi.h>
#include <glib.h>

#include "value.h"

#define PNATIVE_MAX_PARAMS 16

typedef enum { PNT_BOOL, PNT_INT, PNT_NUMBER, PNT_STRING } PNativeType;

typedef struct PNative {
  char *name;
  void (*fn)(void);
  uint32_t n_params;
  uint8_t params[PNATIVE_MAX_PARAMS];     /* PNativeType */
  bool params_optional[PNATIVE_MAX_PARAMS];
  uint8_t ret;
  bool ret_optional;
  ffi_cif cif;                            /* prepared once (pnative_prepare) */
  ffi_type *arg_types[PNATIVE_MAX_PARAMS];
  bool prepared;
} PNative;

struct PersonaNatives {
  GPtrArray *items; /* PNative*, owned */
};

/* Parses "number(number, int?)"; false with a message (caller frees). */
bool pnative_parse_signature(const char *sig, PNative *out, char **error);
/* ffi_prep_cif for the signature; false with a message. */
bool pnative_prepare(PNative *n, char **error);
void pnative_free(PNative *n);
PNative *pnative_copy(const PNative *n);

/* Calls n with the VM values args[0..n_params) (already of the declared
 * types, or null for optional ones). Strings are copied NUL-terminated
 * into `scratch` (arena memory); a string result is copied there too.
 * False with a message in err on a null where none is allowed, a non-finite
 * number, or out of memory. */
struct PArena;
bool pnative_call(const PNative *n, const PValue *args, struct PArena *scratch, PValue *out, char *err,
                  size_t err_size);

/* "number(number, int)" back from a native, for messages (caller frees). */
char *pnative_signature_text(const PNative *n);

#endif
