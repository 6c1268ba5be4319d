/*  stats: the matcher's counters in Redis.  See stats.h.  */
#include "stats.h"
#include "jm_keys.h"

#include <czmq.h>
#include <string.h>
#include <unistd.h>

//  Ids silent this long leave <ns>:matchers (any matcher's write trims
//  them): well past the longest expiry, 3 x the 60 s cap of --stats-ms
#define STATS_FORGET_MS     600000

struct _jm_stats_t {
    jm_store_t *store;
    int interval_ms;
    int64_t started_ms;
    char id [JM_KEYS_ID_MAX + 1];
    char key [JM_KEYS_MAX];             //  <ns>:matcher:<id>
    char set_key [JM_KEYS_MAX];         //  <ns>:matchers
};

jm_stats_t *
jm_stats_new (jm_store_t *store, int interval_ms)
{
    assert (store && interval_ms > 0);
    jm_stats_t *self = calloc (1, sizeof *self);
    assert (self);
    self->store = store;
    self->interval_ms = interval_ms;
    self->started_ms = zclock_time ();
    char host [101] = "";
    if (gethostname (host, sizeof host - 1) != 0 || !*host)
        strcpy (host, "unknown");
    for (char *c = host; *c; c++)
        if (*c <= ' ' || *c > '~')
            *c = '_';
    snprintf (self->id, sizeof self->id, "%s:%ld", host, (long) getpid ());
    const jm_keys_t *keys = jm_store_keys (store);
    int built = jm_keys_matcher (keys, self->id, self->key, sizeof self->key, NULL);
    assert (built > 0);
    built = jm_keys_matchers (keys, self->set_key, sizeof self->set_key, NULL);
    assert (built > 0);
    return self;
}

void
jm_stats_destroy (jm_stats_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

const char *
jm_stats_id (const jm_stats_t *self)
{
    assert (self);
    return self->id;
}

void
jm_stats_publish (jm_stats_t *self, const jm_stats_counts_t *counts)
{
    assert (self && counts);
    jm_store_stats_t store;
    jm_store_stats (self->store, &store);
    int64_t now = zclock_time ();
    const struct { const char *field; unsigned long long value; } fields [] = {
        { "requests",       counts->requests },
        { "results",        counts->results },
        { "cached",         counts->cached },
        { "errors",         counts->errors },
        { "rescored",       counts->rescored },
        { "redis_up",       jm_store_connected (self->store) },
        { "redis_pending",  store.pending_writes },
        { "redis_errors",   store.errors },
        { "redis_dropped",  store.dropped },
        { "reconnects",     store.reconnects },
        { "started_ms",     (unsigned long long) self->started_ms },
        { "updated_ms",     (unsigned long long) now },
        { "interval_ms",    (unsigned long long) self->interval_ms },
    };
    enum { FIELDS = sizeof fields / sizeof fields [0] };
    char values [FIELDS][24];
    const char *argv [2 + 2 * FIELDS + 2] = { "HSET", self->key };
    int argc = 2;
    for (size_t index = 0; index < FIELDS; index++) {
        snprintf (values [index], sizeof values [index], "%llu", fields [index].value);
        argv [argc++] = fields [index].field;
        argv [argc++] = values [index];
    }
    argv [argc++] = "version";
    argv [argc++] = JM_VERSION;
    jm_store_append (self->store, argc, argv, NULL);

    char ttl [24], score [24], cutoff [24];
    snprintf (ttl, sizeof ttl, "%lld", (long long) self->interval_ms * JM_STATS_EXPIRY_INTERVALS);
    snprintf (score, sizeof score, "%lld", (long long) now);
    snprintf (cutoff, sizeof cutoff, "(%lld", (long long) (now - STATS_FORGET_MS));
    jm_store_append (self->store, 3, (const char *[]) { "PEXPIRE", self->key, ttl }, NULL);
    jm_store_append (self->store, 4, (const char *[]) { "ZADD", self->set_key, score, self->id },
                     NULL);
    jm_store_append (self->store, 4,
                     (const char *[]) { "ZREMRANGEBYSCORE", self->set_key, "-inf", cutoff }, NULL);
}

void
jm_stats_withdraw (jm_stats_t *self)
{
    assert (self);
    jm_store_append (self->store, 3, (const char *[]) { "ZREM", self->set_key, self->id }, NULL);
    jm_store_append (self->store, 2, (const char *[]) { "DEL", self->key }, NULL);
}
