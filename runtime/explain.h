/* explain.h - why a profile got its tags, scores, stages and actions.
 *
 * Works on a model compiled with tracing (codegen.h): TRACE points report
 * what each score rule contributed and which records it counted, and each
 * condition carries the operands that explain it.
 *
 * Ownership: everything is written into caller-owned GStrings.
 */
#ifndef PERSONA_EXPLAIN_H
#define PERSONA_EXPLAIN_H

#include <glib.h>

#include "persona.h"
#include "vm.h"

/* "employees was 800, region was \"北京\"": the values of a condition's
 * operands, as of the evaluation `st` just ran. */
void pexplain_operands(PVMState *st, const PExplainCond *cond, GString *out);

/* Evaluates one record (with its state, possibly empty) and writes the
 * explanation: text for people, or one JSON object (with the ordinary
 * result under "result") when `as_json`. A record that cannot be evaluated
 * writes its error object, with `line_no` as its "line", and returns
 * PERSONA_EVAL_RECORD_ERROR. */
PersonaEvalStatus pexplain_record(PVMState *st, const char *json, size_t len, const char *state_json,
                                  size_t state_len, int64_t now_us, uint64_t line_no, bool as_json,
                                  GString *out);

#endif
