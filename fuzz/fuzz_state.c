/* fuzz_state.c - state files and states on arbitrary bytes.
 *
 * The bytes are
 *   - a state file (JSON Lines of {"id":…,"state":…}), loaded with
 *     persona_state_store_load from an anonymous in-memory file (memfd,
 *     read through /proc/self/fd: no file system is touched and the API
 *     needs no new entry point); when it loads, the fixed profiles are
 *     evaluated against the store, which looks up and decodes the state
 *     stored under their keys ("p1", "p2") and puts the new one back;
 *   - one state object for the fixed profile (persona_vm_eval_json_state),
 *     the next evaluation seeing the state this one left.
 */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static PersonaVM *vm;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  vm = fuzz_schema_vm_new();
  return 0;
}

/* The bytes as a state file, evaluated against. */
static void fuzz_store(const uint8_t *data, size_t size, GString *out) {
  int fd = memfd_create("persona-fuzz-state", MFD_CLOEXEC);
  if (fd < 0) return;
  size_t done = 0;
  while (done < size) {
    ssize_t k = write(fd, data + done, size - done);
    if (k <= 0) break;
    done += (size_t)k;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  PersonaStateStore *store = done == size ? persona_state_store_load(path, NULL) : NULL;
  close(fd);
  if (!store) return;
  persona_vm_eval_json_store(vm, fuzz_profile, strlen(fuzz_profile), store, FUZZ_NOW_US, 1, out);
  persona_vm_eval_json_store(vm, fuzz_profile_small, strlen(fuzz_profile_small), store,
                             FUZZ_NOW_US, 2, out);
  /* The state just stored back must read again. */
  persona_vm_eval_json_store(vm, fuzz_profile, strlen(fuzz_profile), store,
                             FUZZ_NOW_US + 3 * FUZZ_DAY_US, 3, out);
  persona_state_store_free(store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  GString *out = g_string_new(NULL);
  fuzz_store(data, size, out);

  GString *state = g_string_new(NULL);
  persona_vm_eval_json_state(vm, fuzz_profile, strlen(fuzz_profile), (const char *)data, size,
                             FUZZ_NOW_US, 4, out, state);
  /* A state the VM wrote must read back: nothing but that state can fail
   * the fixed profile on the fixed model. */
  if (state->len > 0 &&
      persona_vm_eval_json_state(vm, fuzz_profile, strlen(fuzz_profile), state->str, state->len,
                                 FUZZ_NOW_US + 3 * FUZZ_DAY_US, 5, out,
                                 NULL) != PERSONA_EVAL_OK)
    abort();
  g_string_free(state, TRUE);
  g_string_free(out, TRUE);
  return 0;
}
