/*  matcher: a jobmatch worker.

    Connects to the gateway as a 7/MDP worker for the service
    "jobmatch.match", announcing several slots so that many requests can be
    in flight at once.  Each turn of its loop takes every request waiting
    (up to a batch limit), parses and normalizes the candidates, looks all
    (job, candidate) results up in Redis in one round trip, scores what was
    not cached, writes the new results and rankings in one pipelined round
    trip, and replies to each request.  Redis being down never stops the
    replies: results are then marked "stored": false and written once Redis
    is back (jm_store keeps them).

    The same matcher serves "jobmatch.jobs" (the job registry in Redis,
    registry.h) and "jobmatch.results" (rankings and results, results.h)
    on two more worker connections, keeps its jobs in step with the
    registry, and when idle takes chunks of background re-scoring after a
    job changed (rescore.h).  proto/services.md specifies all three.
    Every stats-ms it publishes its counters to Redis (stats.h); with
    metrics-listen it also serves them itself (jm_probe: /metrics, /livez,
    /readyz, published from its loop every second).

    Runs as an actor (its own thread): jm_matcher_new starts it,
    jm_matcher_destroy stops it.                                           */
#ifndef JM_MATCHER_H
#define JM_MATCHER_H

#include "jm_config.h"
#include "jm_error.h"

typedef struct _jm_matcher_t jm_matcher_t;

//  Starts a matcher with the settings in config (read at once): gateway,
//  redis, data, slots, batch-max, result-ttl-s, profile-ttl-s,
//  rescore-chunk, rescore-claim-ms, poll-ms, stats-ms, heartbeat-ms, liveness,
//  metrics-listen, name.  Returns NULL with err filled when the data cannot
//  be loaded, a setting is invalid or metrics-listen cannot be bound.  An unreachable gateway or Redis is not an error: both are
//  retried.
jm_matcher_t *
    jm_matcher_new (jm_config_t *config, jm_error_t *err);

//  Stops the matcher (requests not yet replied to are re-dispatched by the
//  gateway), flushes what it can to Redis and frees everything.  Accepts
//  NULL and nulls the caller's pointer.
void
    jm_matcher_destroy (jm_matcher_t **self_p);

#endif
