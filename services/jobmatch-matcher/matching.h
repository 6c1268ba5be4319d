/*  matching: the jobmatch.match service, one batch at a time.

    A batch takes every request waiting on the gateways' connections (up
    to --batch-max (job, candidate) pairs; batch.h parses them):

        parse + normalize  ->  one Redis lookup round trip  ->  write the
        replies, scoring the misses  ->  queue writes  ->  one Redis flush
        ->  send the replies

    so Redis costs two round trips per batch, and many single-candidate
    requests in flight share them.  proto/services.md specifies the
    service; matching.c says how a batch goes.  Not thread-safe: it lives in
    the matcher's actor (matcher.h), which calls jm_matching_serve when a
    connection has input, and again at once while jm_matching_ahead.        */
#ifndef JM_MATCHER_MATCHING_H
#define JM_MATCHER_MATCHING_H

#include "registry.h"
#include "stats.h"
#include "jm_mdp.h"

typedef struct _jm_matching_t jm_matching_t;

//  Serves jobmatch.match on the workers (worker_count of them, one per
//  gateway), at most batch_max pairs a batch, adding to counts.  Borrows
//  engine, store, registry, workers and counts.
jm_matching_t *
    jm_matching_new (jm_engine_t *engine, jm_store_t *store, jm_registry_t *registry,
                  jm_mdp_worker_t **workers, int worker_count, int batch_max,
                  jm_stats_counts_t *counts);

//  Sends the replies still held (jm_matching_finish), lets the request
//  received ahead go (the gateway gives it to another matcher) and frees
//  the service; nulls the pointer; safe on NULL.
void
    jm_matching_destroy (jm_matching_t **self_p);

//  Serves every request waiting (and the one received ahead) as one batch.
void
    jm_matching_serve (jm_matching_t *self);

//  True when a request was received ahead of its batch, the replies of the
//  batch before held until it is parsed: call jm_matching_serve soon.
bool
    jm_matching_ahead (const jm_matching_t *self);

//  Flushes the store and sends the replies held, saying whether their
//  results are stored.
void
    jm_matching_finish (jm_matching_t *self);

//  The mean request body of the last batch, in bytes (for backpressure).
size_t
    jm_matching_body_size (const jm_matching_t *self);

#endif
