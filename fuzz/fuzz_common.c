/* fuzz_common.c - the fixed model, profiles and state the fuzz targets
 * share (fuzz.h). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

const char fuzz_schema_model[] =
    "model fuzz_decode version \"1\"\n"
    "\n"
    "record item {\n"
    "  sku: string\n"
    "  qty: int = 1\n"
    "  price: number?\n"
    "  tags: list<string> = []\n"
    "}\n"
    "\n"
    "record event {\n"
    "  type: string\n"
    "  at: time\n"
    "  url: string?\n"
    "  amount: number = 0\n"
    "  dwell: duration?\n"
    "  items: list<item> = []\n"
    "  matrix: list<list<int>> = []\n"
    "}\n"
    "\n"
    "schema {\n"
    "  id: string key\n"
    "  active: bool = false\n"
    "  verified: bool?\n"
    "  employees: int = 0\n"
    "  rank: int?\n"
    "  revenue: number = 0\n"
    "  ratio: number?\n"
    "  title: string = \"\"\n"
    "  region: string?\n"
    "  phone: string? pii\n"
    "  email: string pii = \"\"\n"
    "  signup: time?\n"
    "  renewal: time = date(\"2026-01-01\")\n"
    "  trial: duration = 14d\n"
    "  idle: duration?\n"
    "  labels: list<string> = []\n"
    "  scores: list<number> = []\n"
    "  grid: list<list<int>> = []\n"
    "  deep: list<list<list<string>>> = []\n"
    "  events: list<event> = []\n"
    "}\n"
    "\n"
    "# Every field is read, so the decoder decodes and checks every one.\n"
    "let last_seen = max(at of events)\n"
    "let spent = sum(amount of events where type == \"purchase\" within 90d)\n"
    "let dwelled = count(events where (dwell ?? 0s) > 30s and url != null)\n"
    "let units = count(events where len(items) > 0 and any i in items: i.qty > 1 and (i.price ?? 0) > 0 and \"x\" in i.tags)\n"
    "let cells = count(events where len(matrix) > 0 and any r in matrix: 3 in r)\n"
    "tag active_user when active and (verified ?? false)\n"
    "tag big when employees >= 500 or (rank ?? 0) > 10\n"
    "tag rich when revenue + (ratio ?? 0) > 1000000\n"
    "tag titled when len(trim(title)) > 0 and region in [\"上海\", \"北京\"]\n"
    "tag callable when matches(phone ?? \"\", \"^[0-9]{11}$\") or contains(email, \"@\")\n"
    "tag recent when (signup ?? renewal) > renewal - 30d and trial > (idle ?? 0s)\n"
    "tag labelled when \"vip\" in labels or len(scores) > 2 or len(grid) > 1 or len(deep) > 0\n"
    "tag engaged when dwelled >= 2 or units > 0 or cells > 0\n"
    "\n"
    "score value max 100 {\n"
    "  +30 when big\n"
    "  +20 when rich\n"
    "  +5 per events where type == \"visit\" within 30d cap 25\n"
    "}\n"
    "\n"
    "lifecycle funnel {\n"
    "  initial lead\n"
    "  lead -> mql when value >= 30 or engaged\n"
    "  mql -> customer when spent > 0\n"
    "  any -> dormant when days_between(last_seen ?? now, now) > 180\n"
    "}\n"
    "\n"
    "journey welcome {\n"
    "  enter on funnel -> \"lead\"\n"
    "  reenter after 30d\n"
    "  exit when funnel == \"customer\"\n"
    "  send email \"welcome\"\n"
    "  wait 2d\n"
    "  if labelled { send email \"vip\" } else { task sales \"call\" }\n"
    "  wait until engaged for 7d\n"
    "  split {\n"
    "    50%: notify slack \"a\"\n"
    "    50%: webhook \"b\"\n"
    "  }\n"
    "}\n"
    ;

/* Every field given, most with a value that needs work: escapes, a
 * future event (dropped by the as-of filter), durations and times in both
 * forms, nested lists. */
const char fuzz_profile[] =
    "{\"id\":\"p\\u0031\",\"active\":true,\"verified\":null,\"employees\":800,\"rank\":12.0,"
    "\"revenue\":1e6,\"ratio\":0.5,\"title\":\"CTO \\\"\\u4e0a\\\"\",\"region\":\"上海\","
    "\"phone\":\"13800000000\",\"email\":\"a@b.c\",\"signup\":\"2026-01-20T08:00:00+08:00\","
    "\"renewal\":1767225600,\"trial\":\"14d\",\"idle\":3600,\"labels\":[\"vip\",\"x\"],"
    "\"scores\":[1,2.5,-3e-2],\"grid\":[[1,2],[3]],\"deep\":[[[\"a\"]],[]],\"unknown\":{\"k\":[1,{}]},"
    "\"events\":[{\"type\":\"visit\",\"at\":\"2026-01-30\",\"dwell\":\"45s\",\"url\":\"/\"},"
    "{\"type\":\"purchase\",\"at\":\"2026-01-10T00:00:00Z\",\"amount\":99.5,"
    "\"items\":[{\"sku\":\"a\",\"qty\":2,\"price\":3,\"tags\":[\"x\"]}],\"matrix\":[[1,3],[]]},"
    "{\"type\":\"visit\",\"at\":\"2027-01-01T00:00:00Z\"}]}";

const char fuzz_profile_small[] = "{\"id\":\"p2\",\"employees\":10,\"events\":[]}";

/* Waiting in the journey, as the model writes it. */
const char fuzz_state[] =
    "{\"v\":1,\"lifecycles\":[{\"name\":\"funnel\",\"stage\":\"mql\","
    "\"entered\":\"2026-01-25T00:00:00Z\"}],\"journeys\":[{\"name\":\"welcome\","
    "\"status\":\"active\",\"run\":1,\"entered\":\"2026-01-25T00:00:00Z\","
    "\"step\":\"welcome/wait:2d\",\"since\":\"2026-01-25T00:00:00Z\","
    "\"wake\":\"2026-01-27T00:00:00Z\",\"ended\":null}]}";

PersonaModel *fuzz_schema_model_get(void) {
  static PersonaModel *model;
  if (!model)
    model = persona_compile_source("/nonexistent/fuzz_schema.persona", fuzz_schema_model,
                                   strlen(fuzz_schema_model), NULL, NULL, NULL);
  return model;
}

PersonaVM *fuzz_schema_vm_new(void) {
  PersonaModel *model = fuzz_schema_model_get();
  if (!model) abort();
  PersonaVM *vm = persona_vm_new(model);
  persona_vm_set_budget(vm, FUZZ_BUDGET);
  return vm;
}
