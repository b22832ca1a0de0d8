/* test_codegen.c - the code generator's output for small programs: the
 * exact listing, read and checked by hand once (as Lua's tests do), so a
 * change in the emitted code is a visible, reviewed change. */
#include <string.h>

#include <glib.h>

#include "persona.h"

static const char *const source =
    "model cg version \"1\"\n"
    "schema {\n"
    "  id: string key\n"
    "  employees: int = 0\n"
    "  region: string?\n"
    "}\n"
    "tag big when employees >= 500 and region in [\"上海\", \"江苏\"]\n"
    "score fit max 100 {\n"
    "  +30 when big\n"
    "  -5 when region == null\n"
    "}\n";

/* Worth reading: `and` short-circuits with JMPF; the constant list becomes
 * a hash set (INSET); a `when` rule skips with JMPF; the int weights are
 * number constants; `max 100` is one MINV at the end; no TRUTH is emitted
 * for conditions that cannot be null. */
static const char *const expected =
    "model cg version \"1\": 3 blocks, 4 constants, 2 globals\n"
    "\n"
    "block 0: default profile.employees (1 registers)\n"
    "     0  LOADINT  0 0\t@cg.persona:4:20\n"
    "     1  RET      0\t@cg.persona:4:20\n"
    "\n"
    "block 1: tag big (3 registers)\n"
    "     0  GETP     1 1\t@cg.persona:7:14\n"
    "     1  LOADINT  2 500\t@cg.persona:7:27\n"
    "     2  LEI      0 2 1\t@cg.persona:7:14\n"
    "     3  JMPF     0 ->6\t@cg.persona:7:14\n"
    "     4  GETP     1 2\t@cg.persona:7:35\n"
    "     5  INSET    0 1 0\t@cg.persona:7:35\n"
    "     6  RET      0\t@cg.persona:7:14\n"
    "\n"
    "block 2: score fit (4 registers)\n"
    "     0  LOADK    0 0\t; 0\t@cg.persona:8:1\n"
    "     1  GETG     1 0\t@cg.persona:9:12\n"
    "     2  JMPF     1 ->5\t@cg.persona:9:3\n"
    "     3  LOADK    1 1\t; 30\t@cg.persona:9:3\n"
    "     4  ADDN     0 0 1\t@cg.persona:9:3\n"
    "     5  GETP     2 2\t@cg.persona:10:11\n"
    "     6  LOADNULL 3\t@cg.persona:10:21\n"
    "     7  EQ       1 2 3\t@cg.persona:10:11\n"
    "     8  JMPF     1 ->12\t@cg.persona:10:3\n"
    "     9  LOADK    1 2\t; 5\t@cg.persona:10:3\n"
    "    10  NEGN     1 1\t@cg.persona:10:3\n"
    "    11  ADDN     0 0 1\t@cg.persona:10:3\n"
    "    12  LOADK    1 3\t; 100\t@cg.persona:8:1\n"
    "    13  MINV     0 0 1\t@cg.persona:8:1\n"
    "    14  RET      0\t@cg.persona:8:1\n"
    "\n"
    "units: 1->G0 2->G1\n";

static void test_listing(void) {
  g_autoptr(PersonaModel) model = persona_compile_source("cg.persona", source, strlen(source), NULL, NULL, NULL);
  g_assert_nonnull(model);
  g_autofree char *listing = persona_model_disasm(model);
  g_assert_cmpstr(listing, ==, expected);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/codegen/listing/tag-and-score", test_listing);
  return g_test_run();
}
