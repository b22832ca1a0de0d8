/* identity_api.c - the identity tables of a model (include/persona.h,
 * "identity resolution") over runtime/identity.h. */
#include "persona.h"

#include "runtime/identity.h"
#include "runtime/model.h"

static const PIdentity *idt(const PersonaModel *model) { return ((const PModel *)model)->identity; }

gboolean persona_model_has_identity(const PersonaModel *model) {
  return idt(model) != NULL && idt(model)->n_keys > 0;
}

const char *persona_model_identity_key_field(const PersonaModel *model) {
  return idt(model) ? idt(model)->key_field : NULL;
}

guint persona_model_identity_n_keys(const PersonaModel *model) { return idt(model) ? idt(model)->n_keys : 0; }

void persona_model_identity_key(const PersonaModel *model, guint i, PersonaIdentityKey *out) {
  g_return_if_fail(i < persona_model_identity_n_keys(model));
  const PIdKey *k = &idt(model)->keys[i];
  *out = (PersonaIdentityKey){
      .kind = k->kind,
      .normalize = k->norm == PNORM_PHONE   ? PERSONA_NORMALIZE_PHONE
                   : k->norm == PNORM_EMAIL ? PERSONA_NORMALIZE_EMAIL
                                            : PERSONA_NORMALIZE_STRING,
      .region = k->region,
      .calling_code = k->calling_code,
      .national_max = k->national_max,
      .limit = k->limit,
      .rank = k->rank,
  };
}

guint persona_model_identity_n_rules(const PersonaModel *model) { return idt(model) ? idt(model)->n_rules : 0; }

void persona_model_identity_rule(const PersonaModel *model, guint i, PersonaIdentityRule *out) {
  g_return_if_fail(i < persona_model_identity_n_rules(model));
  const PIdRule *r = &idt(model)->rules[i];
  *out = (PersonaIdentityRule){
      .kind = r->kind == PIDRULE_BLOCK ? PERSONA_IDENTITY_BLOCK : PERSONA_IDENTITY_NEVER,
      .key = r->key,
      .text = r->text,
      .line = r->line,
  };
}

guint persona_model_identity_n_fields(const PersonaModel *model) { return idt(model) ? idt(model)->n_fields : 0; }

void persona_model_identity_field(const PersonaModel *model, guint i, PersonaUnifyField *out) {
  g_return_if_fail(i < persona_model_identity_n_fields(model));
  static const PersonaMerge merges[] = {
      [PMERGE_LATEST] = PERSONA_MERGE_LATEST, [PMERGE_FIRST] = PERSONA_MERGE_FIRST,
      [PMERGE_NON_EMPTY] = PERSONA_MERGE_NON_EMPTY, [PMERGE_SUM] = PERSONA_MERGE_SUM,
      [PMERGE_MAX] = PERSONA_MERGE_MAX, [PMERGE_EVENTS] = PERSONA_MERGE_EVENTS,
  };
  const PIdField *f = &idt(model)->fields[i];
  *out = (PersonaUnifyField){.name = f->name, .merge = merges[f->merge]};
}

guint persona_model_identity_n_sources(const PersonaModel *model) {
  return idt(model) ? idt(model)->n_sources : 0;
}

void persona_model_identity_source(const PersonaModel *model, guint i, PersonaSource *out) {
  g_return_if_fail(i < persona_model_identity_n_sources(model));
  const PIdSource *s = &idt(model)->sources[i];
  *out = (PersonaSource){.name = s->name, .time_field = s->time_from, .n_maps = s->n_maps};
}

void persona_model_identity_source_map(const PersonaModel *model, guint source, guint j, PersonaSourceMap *out) {
  g_return_if_fail(source < persona_model_identity_n_sources(model));
  const PIdSource *s = &idt(model)->sources[source];
  g_return_if_fail(j < s->n_maps);
  const PIdMap *m = &s->maps[j];
  *out = (PersonaSourceMap){
      .kind = m->kind == PMAP_KEY ? PERSONA_MAP_KEY : m->kind == PMAP_FIELD ? PERSONA_MAP_FIELD : PERSONA_MAP_EVENT,
      .target = m->target,
      .sub = m->sub,
      .from = m->from,
      .constant = m->constant,
  };
}
