/* state.h - one profile's state (docs/state.md) in and out of the VM.
 *
 * Ownership: decoding fills st->lc and st->journeys (values in st's arena,
 * valid until the next record); encoding appends JSON text to `out`.
 */
#ifndef PERSONA_STATE_H
#define PERSONA_STATE_H

#include <glib.h>

#include "vm.h"

#define PSTATE_VERSION 1

/* Reads a state object into st (an empty text: first sight). False with
 * "state: …" in err for a state of another version, a damaged state, a
 * stage the lifecycle no longer has, or a journey waiting at a step the
 * model no longer has (orphaned). Call after st->now_us is set and the
 * arena reset. */
bool pstate_decode(PVMState *st, const char *json, size_t len, char *err, size_t size);
/* True for "no state", the first sight of a profile: NULL, empty or blank
 * text, JSON null, or an empty object {} (docs/state.md, "No state"). */
bool pstate_is_none(const char *json, size_t len);
/* {"v":1,"lifecycles":[…],"journeys":[…]} from the evaluation just run. */
void pstate_encode(const PVMState *st, GString *out);

#endif
