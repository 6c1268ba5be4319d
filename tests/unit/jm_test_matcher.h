/*  jm_test_matcher: one matcher's parts for the unit tests of its service
    modules (the registry, re-scoring), on a test Redis: an engine of the
    real data, a store, a registry and, when asked, a re-scorer.          */
#ifndef JM_TEST_MATCHER_H
#define JM_TEST_MATCHER_H

#include "jm_test_redis.h"
#include "jm_engine.h"
#include "jm_store.h"
#include "../../services/jobmatch-matcher/registry.h"
#include "../../services/jobmatch-matcher/rescore.h"

#include <stdbool.h>

typedef struct {
    jm_engine_t *engine;
    jm_store_t *store;
    jm_registry_t *registry;
    jm_rescore_t *rescore;          //  NULL unless started with a chunk
} jm_test_matcher_t;

//  Starts a matcher's parts on redis; chunk > 0 adds a re-scorer taking
//  chunks of that many candidates.  Returns false (having reported why)
//  when the engine or the store cannot start.
bool jm_test_matcher_start (jm_test_matcher_t *self, jm_test_redis_t *redis, int chunk);

//  Destroys what jm_test_matcher_start made; safe twice.
void jm_test_matcher_stop (jm_test_matcher_t *self);

#endif
