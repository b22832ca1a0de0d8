/* test_experiment.c - the statistics of `persona experiment` behave as
 * they claim over many simulated experiments (docs/experiment.md,
 * "Honest numbers"):
 *  - A/A: two arms with the same true rate, 2 000 seeds: the z-test at
 *    alpha 0.05 fires in 3-7 % of them, and so does the chi-square;
 *  - a planted 20 % relative lift is found about as often as persona_stats_power()
 *    says (within 4 points over 2 000 seeds);
 *  - at the reported MDE the power is 0.8 by construction: a planted
 *    effect of exactly the MDE is found in 75-85 % of the seeds;
 *  - the sample-ratio check stays quiet on fair assignments (under 1 % of
 *    seeds at p < 0.001) and fires on a skewed one.
 * The formulas themselves are compared with an independent implementation
 * in tests/experiment/check_experiment.py. The simulations draw
 * conversions with GLib's Mersenne Twister from fixed seeds: the same
 * numbers on every run. */
#include <glib.h>
#include <math.h>

#include "experiment/experiment.h"

#define SEEDS 2000

/* x ~ Binomial(n, p) by n Bernoulli draws (n is small enough here). */
static gint64 binomial(GRand *r, gint64 n, double p) {
  gint64 x = 0;
  for (gint64 i = 0; i < n; i++) x += g_rand_double(r) < p;
  return x;
}

/* Two arms (treatment, control) with n each and true rates pt and pc. */
static void two_arms(ExpSummary *s, ExpArm arms[2], GRand *r, gint64 n, double pt, double pc) {
  arms[0] = (ExpArm){.name = "t", .planned_share = 0.5, .n = n, .conversions = binomial(r, n, pt)};
  arms[1] = (ExpArm){.name = "c", .planned_share = 0.5, .n = n, .conversions = binomial(r, n, pc)};
  *s = (ExpSummary){.name = "x", .n_arms = 2, .arms = arms, .control = 1, .holdout = 1};
  exp_summary_compute(s);
}

static void test_aa_false_positives(void) {
  int z_hits = 0, chi_hits = 0;
  for (int seed = 1; seed <= SEEDS; seed++) {
    GRand *r = g_rand_new_with_seed((guint32)seed);
    ExpSummary s;
    ExpArm arms[2];
    two_arms(&s, arms, r, 1000, 0.1, 0.1);
    z_hits += arms[0].p_value < 0.05;
    chi_hits += s.chi2_p_value < 0.05;
    g_rand_free(r);
  }
  double z_rate = (double)z_hits / SEEDS, chi_rate = (double)chi_hits / SEEDS;
  g_test_message("A/A false positives: z-test %.2f%%, chi-square %.2f%%", z_rate * 100, chi_rate * 100);
  g_assert_cmpfloat(z_rate, >=, 0.03);
  g_assert_cmpfloat(z_rate, <=, 0.07);
  g_assert_cmpfloat(chi_rate, >=, 0.03);
  g_assert_cmpfloat(chi_rate, <=, 0.07);
}

/* Runs SEEDS experiments at rates pt, pc and returns the share in which
 * the z-test found the difference. */
static double found_share(gint64 n, double pt, double pc, guint32 seed0) {
  int hits = 0;
  for (int seed = 1; seed <= SEEDS; seed++) {
    GRand *r = g_rand_new_with_seed(seed0 + (guint32)seed);
    ExpSummary s;
    ExpArm arms[2];
    two_arms(&s, arms, r, n, pt, pc);
    hits += arms[0].p_value < 0.05;
    g_rand_free(r);
  }
  return (double)hits / SEEDS;
}

static void test_planted_lift_power(void) {
  const gint64 n = 3000;
  const double pc = 0.10, pt = 0.12; /* a 20 % relative lift */
  double power = persona_stats_power(pt, n, pc, n);
  double found = found_share(n, pt, pc, 100000);
  g_test_message("planted 20%% lift: found in %.2f%% of seeds, power says %.2f%%", found * 100, power * 100);
  g_assert_cmpfloat(fabs(found - power), <=, 0.04);
}

static void test_mde_means_power_80(void) {
  const gint64 n = 2000;
  const double pc = 0.2;
  double mde = persona_stats_mde(pc, n, n);
  double found = found_share(n, pc + mde, pc, 200000);
  g_test_message("effect = MDE %.4f: found in %.2f%% of seeds", mde, found * 100);
  g_assert_cmpfloat(found, >=, 0.75);
  g_assert_cmpfloat(found, <=, 0.85);
}

static void test_srm(void) {
  /* Fair: multinomial assignment of 3 000 profiles to 45/45/10. */
  int fired = 0;
  const double share[3] = {0.45, 0.45, 0.10};
  for (int seed = 1; seed <= SEEDS; seed++) {
    GRand *r = g_rand_new_with_seed(300000 + (guint32)seed);
    gint64 n[3] = {0, 0, 0};
    for (int i = 0; i < 3000; i++) {
      double u = g_rand_double(r);
      n[u < 0.45 ? 0 : u < 0.90 ? 1 : 2]++;
    }
    double chi2;
    fired += persona_stats_srm_p(n, share, 3, &chi2) < PERSONA_STATS_SRM_ALPHA;
    g_rand_free(r);
  }
  g_test_message("SRM on fair assignments: %d of %d seeds", fired, SEEDS);
  g_assert_cmpint(fired, <=, SEEDS / 100);
  /* Skewed: the holdout lost a third of its profiles (a logging bug). */
  gint64 skewed[3] = {1350, 1350, 200};
  double chi2;
  g_assert_cmpfloat(persona_stats_srm_p(skewed, share, 3, &chi2), <, PERSONA_STATS_SRM_ALPHA);
}

/* Known values, worked by hand (also in check_experiment.py). */
static void test_known_values(void) {
  double lo, hi;
  persona_stats_wilson(0, 10, &lo, &hi);
  g_assert_cmpfloat(lo, ==, 0.0);
  g_assert_cmpfloat(fabs(hi - 0.27753279986288), <, 1e-9);
  /* chi-square with 2 degrees of freedom: Q(1, x/2) = exp(-x/2). */
  g_assert_cmpfloat(fabs(persona_stats_gamma_q(1.0, 3.0) - exp(-3.0)), <, 1e-12);
  /* 1 degree of freedom: Q(1/2, x/2) = erfc(sqrt(x/2)). */
  g_assert_cmpfloat(fabs(persona_stats_gamma_q(0.5, 1.9) - erfc(sqrt(1.9))), <, 1e-12);
  g_assert_cmpfloat(fabs(persona_stats_gamma_q(0.5, 40.0) - erfc(sqrt(40.0))), <, 1e-20);
  g_assert_true(isnan(persona_stats_two_prop_p(1, 0, 1, 10)));
  g_assert_cmpfloat(persona_stats_two_prop_p(0, 10, 0, 10), ==, 1.0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/experiment/known_values", test_known_values);
  g_test_add_func("/experiment/aa_false_positives", test_aa_false_positives);
  g_test_add_func("/experiment/planted_lift_power", test_planted_lift_power);
  g_test_add_func("/experiment/mde_means_power_80", test_mde_means_power_80);
  g_test_add_func("/experiment/srm", test_srm);
  return g_test_run();
}
