/*  jm_test_matcher: one matcher's parts for unit tests.  See its header.  */
#include "jm_test_matcher.h"
#include "jm_test.h"

#include <string.h>

bool
jm_test_matcher_start (jm_test_matcher_t *self, jm_test_redis_t *redis, int chunk)
{
    memset (self, 0, sizeof *self);
    jm_error_t err;
    jm_error_clear (&err);
    self->engine = jm_engine_new (jm_test_data_dir (), &err);
    JM_CHECK_MSG (self->engine, "engine: %s", err.message);
    jm_store_options_t options = jm_test_store_options ();
    self->store = jm_store_new (jm_test_redis_url (redis), &options, &err);
    JM_CHECK_MSG (self->store, "store: %s", err.message);
    if (!self->engine || !self->store)
        return false;
    self->registry = jm_registry_new (self->engine, self->store, 50);
    if (chunk > 0)
        self->rescore = jm_rescore_new (self->engine, self->store, self->registry, chunk, 60000);
    return true;
}

void
jm_test_matcher_stop (jm_test_matcher_t *self)
{
    jm_rescore_destroy (&self->rescore);
    jm_registry_destroy (&self->registry);
    jm_store_destroy (&self->store);
    jm_engine_destroy (&self->engine);
}
