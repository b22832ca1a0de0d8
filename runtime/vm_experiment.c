/* vm_experiment.c - the arm of each profile in each experiment
 * (docs/experiment.md).
 *
 * A profile's bucket is a keyed hash of the experiment's name and the
 * profile's key, with the experiment's salt as the key: the same on every
 * machine, and unpredictable without the salt. The arms take consecutive
 * ranges of the PEXP_BUCKETS buckets in the order written, so a change of
 * weights moves only the buckets whose range changed owner. The state
 * keeps the arm and when it was given (`assigned`): a profile whose bucket
 * still belongs to its arm keeps its assignment time; one that moved (new
 * weights) or was reshuffled (a new salt) is assigned again, now.
 */
#include <string.h>

#include "vm.h"

uint32_t pexp_bucket(const PExperimentCode *x, PValue key) {
  char buf[24];
  const char *k;
  size_t klen;
  if (key.kind == PV_STRING) {
    k = key.u.s;
    klen = key.len;
  } else {
    klen = (size_t)g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, key.u.i);
    k = buf;
  }
  GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)x->salt, x->salt_len);
  g_hmac_update(h, (const guchar *)x->name, (gssize)strlen(x->name));
  g_hmac_update(h, (const guchar *)"", 1); /* NUL: ("ab","c") and ("a","bc") differ */
  g_hmac_update(h, (const guchar *)k, (gssize)klen);
  guint8 digest[32];
  gsize dlen = sizeof digest;
  g_hmac_get_digest(h, digest, &dlen);
  g_hmac_unref(h);
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | digest[i];
  return (uint32_t)(v % PEXP_BUCKETS);
}

uint32_t pexp_arm_of(const PExperimentCode *x, uint32_t bucket) {
  uint32_t end = 0;
  for (uint32_t i = 0; i < x->n_arms; i++) {
    end += x->arm_buckets[i];
    if (bucket < end) return i;
  }
  return x->n_arms ? x->n_arms - 1 : 0;
}

void pvm_assign_experiments(PVMState *st) {
  const PModel *m = st->model;
  for (uint32_t i = 0; i < m->n_experiments; i++) {
    const PExperimentCode *x = &m->experiments[i];
    PExpState *e = &st->exps[i];
    e->bucket = pexp_bucket(x, st->key);
    e->arm = pexp_arm_of(x, e->bucket);
    if (!e->present) {
      e->change = PEXP_NEW;
      e->assigned = st->now_us;
    } else if (!e->same_salt) {
      e->change = PEXP_RESHUFFLED;
      e->assigned = st->now_us;
    } else if (e->stored_arm != (int32_t)e->arm) {
      e->change = PEXP_MOVED;
      e->assigned = st->now_us;
    } else {
      e->change = PEXP_KEPT;
      e->assigned = e->stored_assigned;
    }
    const char *arm = x->arms[e->arm];
    st->globals[x->slot_arm] = pv_string(arm, (uint32_t)strlen(arm));
    st->globals[x->slot_assigned] = pv_time(e->assigned);
  }
}
