/* run_log.c - the runner's messages to the operator, on stderr. */
#include "runner.h"

#include <stdio.h>

void prun_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  fprintf(stderr, "persona: %s\n", msg);
}
