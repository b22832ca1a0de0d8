/* vm_micro.c - the VM alone: nanoseconds per rule evaluation on a record
 * decoded once, to compare with published figures of other expression VMs
 * (expr ~70 ns and cel-go ~91 ns for a four-clause predicate).
 *
 *   build/vm_micro [ITERATIONS]
 *
 * Not a test: it prints timings. Built by CMake beside the tools.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "persona.h"
#include "runtime/json_decode.h"
#include "runtime/model.h"
#include "runtime/vm.h"

static const char *const source =
    "model micro version \"1\"\n"
    "record event {\n  type: string\n  at: time\n}\n"
    "schema {\n"
    "  id: string key\n  employees: int = 0\n  region: string = \"\"\n"
    "  title: string = \"\"\n  budget_confirmed: bool = false\n  events: list<event> = []\n"
    "}\n"
    "# the four-clause predicate of the published comparisons\n"
    "tag four when employees >= 500 and region == \"上海\" and budget_confirmed and title != \"\"\n"
    "tag in_list when region in [\"上海\", \"江苏\", \"浙江\", \"安徽\", \"山东\", \"福建\", \"江西\"]\n"
    "score visits decay 14d { +10 per events where type == \"visit\" within 30d cap 50 }\n";

static const char *const profile =
    "{\"id\":\"p1\",\"employees\":800,\"region\":\"上海\",\"title\":\"CTO\",\"budget_confirmed\":true,"
    "\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-20T00:00:00Z\"},{\"type\":\"page_view\",\"at\":\"2026-01-21T00:00:00Z\"},"
    "{\"type\":\"visit\",\"at\":\"2026-01-28T00:00:00Z\"},{\"type\":\"email_open\",\"at\":\"2026-01-29T00:00:00Z\"}]}";

static uint32_t block_named(const PModel *m, const char *name) {
  for (uint32_t i = 0; i < m->n_blocks; i++)
    if (strcmp(m->blocks[i].name, name) == 0) return i;
  fprintf(stderr, "no block '%s'\n", name);
  exit(1);
}

static double per_call_ns(PVMState *st, uint32_t block, long n) {
  PValue v;
  gint64 t0 = g_get_monotonic_time();
  for (long k = 0; k < n; k++) {
    st->budget_left = UINT64_MAX;
    if (!pvm_exec(st, block, &v)) {
      fprintf(stderr, "runtime error: %s\n", st->error);
      exit(1);
    }
  }
  return (double)(g_get_monotonic_time() - t0) * 1000.0 / (double)n;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000000;
  g_autoptr(PersonaModel) model = persona_compile_source("micro.persona", source, strlen(source), NULL, NULL, NULL);
  if (!model) return 1;
  const PModel *m = (const PModel *)model;
  PVMState st;
  pvm_state_init(&st, m);
  int64_t now;
  persona_time_parse("2026-02-01T00:00:00Z", &now);
  PDecodeResult dr;
  if (!pdec_decode(&m->plans[m->profile_plan], profile, strlen(profile), now, &st.arena, &dr)) return 1;
  st.profile = dr.fields;
  st.key = dr.key;
  st.now_us = now;
  st.call.now_us = now;
  pvm_state_reset_profile(&st);
  pvm_eval_record(&st); /* globals for the tags that read tags */
  printf("VM alone, record decoded once, %ld evaluations each (median of 3):\n", n);
  const char *names[] = {"tag four", "tag in_list", "score visits"};
  const char *what[] = {"four-clause predicate (>=, ==, bool, !=)", "membership in a 7-string constant list",
                        "decayed per rule over 4 events, window and cap"};
  for (int b = 0; b < 3; b++) {
    uint32_t blk = block_named(m, names[b]);
    double t[3];
    for (int r = 0; r < 3; r++) t[r] = per_call_ns(&st, blk, b == 2 ? n / 4 : n);
    double lo = t[0] < t[1] ? t[0] : t[1], hi = t[0] < t[1] ? t[1] : t[0];
    double med = t[2] < lo ? lo : t[2] > hi ? hi : t[2];
    printf("  %-14s %6.1f ns  %s\n", names[b], med, what[b]);
  }
  long full = n / 10;
  gint64 t0 = g_get_monotonic_time();
  for (long k = 0; k < full; k++) {
    pvm_state_reset_profile(&st);
    pvm_eval_record(&st);
  }
  printf("  %-14s %6.1f ns  every unit of the model (3 rules) per record\n", "whole record",
         (double)(g_get_monotonic_time() - t0) * 1000.0 / (double)full);
  pvm_state_clear(&st);
  return 0;
}
