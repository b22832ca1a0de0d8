/* fuzz.h - what the fuzz targets share (fuzz/README.md).
 *
 * Each target is a libFuzzer entry point, LLVMFuzzerTestOneInput, over one
 * public API of libpersona. The same sources are linked two ways:
 *   - with -fsanitize=fuzzer (cmake -DPERSONA_FUZZ=ON, clang): the fuzzer;
 *   - with fuzz/replay.c in every build: a program that feeds the files of
 *     fuzz/regressions/TARGET/ to the entry point once each (ctest
 *     fuzz/regress/TARGET), so every input the fuzzers ever crashed on stays
 *     a test of the normal and the sanitizer builds.
 *
 * Targets never print, never read the clock, the time zone or the
 * environment, and set an instruction budget on every VM, so one input
 * always does the same thing in the same (bounded) time.
 */
#ifndef PERSONA_FUZZ_H
#define PERSONA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "persona.h"

/* The evaluation time of every target: 2026-02-01T00:00:00Z. */
#define FUZZ_NOW_US ((gint64)1769904000 * G_USEC_PER_SEC)
#define FUZZ_DAY_US ((gint64)86400 * G_USEC_PER_SEC)

/* Instructions per evaluation: the shipped examples need a few thousand
 * per profile; a fuzzed model that needs more is cut off with an error. */
#define FUZZ_BUDGET 200000u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed model whose schema has a field of every type (bool, int,
 * number, string, time, duration; optional, with defaults, pii; lists of
 * scalars, of records with `at`, nested lists) and that reads every field,
 * with a lifecycle and a journey so that states matter. */
extern const char fuzz_schema_model[];

/* fuzz_schema_model compiled once (NULL if it does not compile, which
 * fuzz/replay.c reports as a failure). */
PersonaModel *fuzz_schema_model_get(void);

/* A VM over fuzz_schema_model with FUZZ_BUDGET, for a target's
 * LLVMFuzzerInitialize; aborts when the model does not compile. */
PersonaVM *fuzz_schema_vm_new(void);

/* Profiles and a state for that model: the inputs the targets combine
 * with the fuzzed bytes. */
extern const char fuzz_profile[];
extern const char fuzz_profile_small[];
extern const char fuzz_state[];

#endif
