/* identity.c - the identity tables of a model; see identity.h. */
#include "identity.h"

#include <string.h>

void pidentity_free(PIdentity *id) {
  if (!id) return;
  for (uint32_t i = 0; i < id->n_keys; i++) {
    g_free(id->keys[i].kind);
    g_free(id->keys[i].region);
    g_free(id->keys[i].calling_code);
  }
  g_free(id->keys);
  for (uint32_t i = 0; i < id->n_rules; i++) g_free(id->rules[i].text);
  g_free(id->rules);
  for (uint32_t i = 0; i < id->n_fields; i++) g_free(id->fields[i].name);
  g_free(id->fields);
  for (uint32_t i = 0; i < id->n_sources; i++) {
    PIdSource *s = &id->sources[i];
    for (uint32_t j = 0; j < s->n_maps; j++) {
      g_free(s->maps[j].sub);
      g_free(s->maps[j].from);
      g_free(s->maps[j].constant);
    }
    g_free(s->maps);
    g_free(s->name);
    g_free(s->time_from);
  }
  g_free(id->sources);
  g_free(id->key_field);
  g_free(id);
}

/* ITU-T E.164 calling codes and the longest national significant number
 * of each region (what a number without `+` may be at most before its
 * leading digits are taken for the calling code). */
static const struct {
  const char *region, *code;
  uint32_t national_max;
} regions[] = {
    {"AU", "61", 9},  {"CA", "1", 10},  {"CN", "86", 11}, {"DE", "49", 11}, {"FR", "33", 9},
    {"GB", "44", 10}, {"HK", "852", 8}, {"IN", "91", 10}, {"JP", "81", 10}, {"KR", "82", 10},
    {"MO", "853", 8}, {"SG", "65", 8},  {"TW", "886", 9}, {"US", "1", 10},
};

bool pidentity_region(const char *region, const char **calling_code, uint32_t *national_max) {
  for (gsize i = 0; i < G_N_ELEMENTS(regions); i++)
    if (strcmp(regions[i].region, region) == 0) {
      *calling_code = regions[i].code;
      *national_max = regions[i].national_max;
      return true;
    }
  return false;
}

const char *pidentity_regions(void) { return "AU, CA, CN, DE, FR, GB, HK, IN, JP, KR, MO, SG, TW, US"; }
