/*  rescore: the matcher's share of background re-scoring.

    When a job changes, the put script queues the ids of the candidates
    ranked so far on <ns>:rescore:<job>:<V> (registry.c).  Every matcher
    takes chunks of that list when it has no requests waiting: the claim
    script moves up to chunk ids into <ns>:rescore:<job>:<V>:claims with a
    deadline, the matcher reads their stored profiles (one MGET), scores
    them against version V, and sends the results, the rankings of V and
    the done script in one pipelined round trip.  The done script counts
    the chunk once (it deletes the claim first) and, when every candidate
    is done, flips the job's ranked version to V and drops the old ranking.

    A matcher that dies holding a claim leaves it in the claims hash; once
    its deadline passes (claim_ms), the next claim by any matcher takes that
    chunk over, so the re-scoring always completes.  Scoring a chunk twice
    is harmless: writes are idempotent and the done script counts a chunk
    only once.                                                            */
#ifndef JM_MATCHER_RESCORE_H
#define JM_MATCHER_RESCORE_H

#include "registry.h"

typedef struct _jm_rescore_t jm_rescore_t;

//  Creates the re-scorer; borrows engine, store and registry.  chunk is
//  the most candidates taken at once, claim_ms how long a claim holds.
jm_rescore_t *
    jm_rescore_new (jm_engine_t *engine, jm_store_t *store, jm_registry_t *registry,
                    int chunk, int claim_ms);

//  Frees the re-scorer; nulls the pointer; safe on NULL.
void
    jm_rescore_destroy (jm_rescore_t **self_p);

//  True when some job has a re-scoring this matcher may take a chunk of now.
bool
    jm_rescore_due (jm_rescore_t *self);

//  Claims, scores and writes one chunk (three round trips).  Returns the
//  number of candidates re-scored, 0 when there was nothing to take.
int
    jm_rescore_step (jm_rescore_t *self);

#endif
