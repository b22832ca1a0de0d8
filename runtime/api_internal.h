/* api_internal.h - what the public API's files share: the VM behind a
 * PersonaVM. Not installed. */
#ifndef PERSONA_API_INTERNAL_H
#define PERSONA_API_INTERNAL_H

#include "persona.h"
#include "vm.h"

struct PersonaVM {
  PersonaModel *model;
  PVMState st;
  /* The last evaluation, for the PersonaResult accessors (a PersonaResult
   * is the VM itself): its key and whether it succeeded. */
  PValue last_key;
  bool last_ok;
  char last_error[384];
};

#endif
