/*  jm_prom: Prometheus text exposition (version 0.0.4), shared by every
    process that serves /metrics: the dashboard, the gateway and the
    matchers.  Appends to a jm_buf_t; nothing here takes a lock, so the
    caller renders from the thread that owns the values.                  */
#ifndef JM_PROM_H
#define JM_PROM_H

#include "jm_buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

//  Histogram buckets (bounds 100 us .. 30 s; one more counts the slower)
#define JM_PROM_BUCKETS 17

//  A latency histogram: zero it to start.  Owned by one thread.
typedef struct {
    uint64_t buckets [JM_PROM_BUCKETS + 1];
    uint64_t count;
    uint64_t sum_us;
} jm_prom_histogram_t;

//  Appends a label value escaped as the text format asks (\\, \", \n).
void
    jm_prom_label (jm_buf_t *out, const char *value);

//  Appends the # HELP and # TYPE lines of a metric.
void
    jm_prom_help (jm_buf_t *out, const char *name, const char *type, const char *help);

//  Appends microseconds as seconds.
void
    jm_prom_seconds (jm_buf_t *out, int64_t microseconds);

//  Appends a JSON number (integer or real) as a sample value.
void
    jm_prom_number (jm_buf_t *out, json_t *value);

//  Appends the gateway's jobmatch.stats body (borrowed; NULL: the gateway
//  did not answer) as the jobmatch_gateway_* series.
void
    jm_prom_gateway_stats (jm_buf_t *out, json_t *stats);

//  Counts one observation of micros (negative counts as 0).
void
    jm_prom_histogram_observe (jm_prom_histogram_t *self, int64_t micros);

//  Appends the _bucket, _sum and _count series of a histogram with one
//  label (no HELP/TYPE: the caller writes them once per metric).
void
    jm_prom_histogram_render (jm_buf_t *out, const char *name, const char *label,
                              const char *value, const jm_prom_histogram_t *self);

//  Appends process_cpu_seconds_total, process_resident_memory_bytes,
//  process_virtual_memory_bytes, process_start_time_seconds,
//  process_open_fds and process_max_fds, read from /proc/self.
void
    jm_prom_process (jm_buf_t *out);

#endif
