/* stats.h - order statistics of score changes without sorting (diff.c).
 *
 * Ownership: the functions reorder the caller's array in place and keep
 * nothing.
 */
#ifndef PERSONA_DIFF_STATS_H
#define PERSONA_DIFF_STATS_H

#include <glib.h>

/* The q-quantile of v[0..n) (n > 0) by linear interpolation between order
 * statistics, h = (n − 1)q ("type 7", numpy's default): the same value as
 * sorting v first. v is reordered. */
double pd_quantile(double *v, gsize n, double q);

#endif
