/*  stats: the matcher's counters, published to Redis for the dashboard.

    Every interval (and once at start) the matcher writes its counters to
    the hash <ns>:matcher:<name>, with the time of the write and the interval,
    and scores its id in the sorted set <ns>:matchers with that time.  The
    hash has no TTL, so that Redis's eviction (volatile-ttl evicts the
    soonest to expire first) never takes it; the dashboard counts a matcher
    silent for three intervals as gone, and any matcher's publish deletes
    what a matcher silent for 10 minutes left.  One that stops cleanly
    withdraws at once.

    The id is the matcher's name, the name label of its /metrics: --name,
    else "<hostname>-matcher", so a restarted matcher continues the same
    series.  A name is claimed on the host, for one Redis and namespace,
    for the life of the process (an abstract unix socket, which the kernel
    frees however the process ends, so a restart takes the name at once): a
    default name that is taken becomes "<hostname>-matcher-2", "-3"..., so
    that matchers of one host never write one hash; a --name that is taken
    is an error (two matchers given the same name).
    Writes go through the store's pending buffer like any other, so a
    snapshot taken while Redis is down is written, in order, once it is
    back.  proto/redis-keys.md (section 3.4) lists the fields.
    The same counters go to the log (jm_stats_log) and, with
    --metrics-listen, to /metrics (jm_stats_metrics).                     */
#ifndef JM_MATCHER_STATS_H
#define JM_MATCHER_STATS_H

#include "jm_buf.h"
#include "jm_prom.h"
#include "jm_store.h"

#include <stdint.h>

//  What the matcher counted since it started
typedef struct {
    uint64_t requests;          //  requests answered, all three services
    uint64_t results;           //  results in jobmatch.match replies
    uint64_t cached;            //  of which taken from the Redis cache
    uint64_t errors;            //  error replies and error entries
    uint64_t rescored;          //  candidates re-scored in the background
    //  how long each service's requests took (a jobmatch.match request:
    //  its whole batch)
    jm_prom_histogram_t latency_match, latency_jobs, latency_results;
} jm_stats_counts_t;

//  What the matcher's loop knows besides its counts, for /metrics
typedef struct {
    int gateways;               //  gateways configured
    int gateways_heard;         //  of which have this matcher registered
    int slots_now;              //  request slots offered now
} jm_stats_loop_t;

typedef struct _jm_stats_t jm_stats_t;

//  Creates the publisher; borrows store.  interval_ms is how often the
//  owner calls jm_stats_publish; name is --name ("": the default, see
//  above).  Bytes of the host name other than printable ASCII become '_',
//  so the default is always a valid id.  Returns NULL with err filled
//  (invalid_data) when name is not a valid id or another process of this
//  host holds it.
jm_stats_t *
    jm_stats_new (jm_store_t *store, int interval_ms, const char *name, jm_error_t *err);

//  Frees it; nulls the pointer; safe on NULL.  Writes nothing.
void
    jm_stats_destroy (jm_stats_t **self_p);

//  Queues one snapshot of counts and of the store's state (HSET, ZADD);
//  the store's next tick or flush sends it.  Then reads the ids silent for
//  10 minutes (one round trip, while Redis is up) and queues the deletion
//  of their hashes and ids.
void
    jm_stats_publish (jm_stats_t *self, const jm_stats_counts_t *counts);

//  Queues the removal of this matcher's hash and id, for a clean stop.
void
    jm_stats_withdraw (jm_stats_t *self);

//  Logs what was counted since the last call, unless nothing was, with
//  Redis's state; interval_ms is how often the owner calls it.
void
    jm_stats_log (jm_stats_t *self, const jm_stats_counts_t *counts, int interval_ms);

//  Appends the Prometheus text of the counts, the store's state and loop's
//  figures to out.
void
    jm_stats_metrics (jm_stats_t *self, const jm_stats_counts_t *counts,
                      const jm_stats_loop_t *loop, jm_buf_t *out);

//  The matcher's name, its id in Redis and its /metrics label (borrowed).
const char *
    jm_stats_name (const jm_stats_t *self);

//  The process, "<hostname>:<pid>" (borrowed): its worker name at the
//  gateways, which tells two registrations of one name apart.
const char *
    jm_stats_id (const jm_stats_t *self);

#endif
