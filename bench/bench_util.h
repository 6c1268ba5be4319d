/*  bench_util: what every benchmark program needs, header only (each
    bench_*.c file is its own program): a seeded xorshift, and medians.         */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_MAX_RUNS 15       //  most runs of one figure

//  The next number of a xorshift64 sequence kept in *seed.
static inline uint32_t
bench_random (uint64_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    return (uint32_t) (*seed >> 16);
}

//  qsort order for doubles, smallest first.
static inline int
bench_compare_doubles (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

//  The median of count values (1..BENCH_MAX_RUNS), left in their order.
static inline double
bench_median (const double *values, int count)
{
    assert (count >= 1 && count <= BENCH_MAX_RUNS);
    double sorted [BENCH_MAX_RUNS];
    memcpy (sorted, values, sizeof (double) * (size_t) count);
    qsort (sorted, (size_t) count, sizeof (double), bench_compare_doubles);
    return sorted [count / 2];
}

#endif
