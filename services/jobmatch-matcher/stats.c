/*  stats: the matcher's counters in Redis.  See stats.h.  */
#include "stats.h"
#include "batch.h"
#include "registry.h"
#include "results.h"
#include "jm_log.h"
#include "jm_keys.h"
#include "jm_alloc.h"
#include "jm_log.h"

#include <czmq.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

//  Ids silent this long are forgotten, their hash and their place in
//  <ns>:matchers, by any matcher's publish: well past the dashboard's "gone"
//  (3 intervals) even at the 60 s cap of --stats-ms
#define STATS_FORGET_MS     600000
//  Most silent ids forgotten per publish (more go at the next ones)
#define STATS_FORGET_MAX    16
//  Default names tried on one host: <hostname>-matcher, -2 ... -STATS_INDEX_MAX
#define STATS_INDEX_MAX     64

struct _jm_stats_t {
    jm_store_t *store;
    int interval_ms;
    int64_t started_ms;
    int claim;                          //  the socket holding the name
    char name [JM_KEYS_ID_MAX + 1];     //  the id in Redis
    char id [JM_KEYS_ID_MAX + 1];       //  <hostname>:<pid>
    char key [JM_KEYS_MAX];             //  <ns>:matcher:<name>
    char set_key [JM_KEYS_MAX];         //  <ns>:matchers
    jm_stats_counts_t logged;           //  the counts at the last jm_stats_log
};

//  Claims the hash key in one Redis among the processes of this host (of
//  its network namespace) by binding the abstract unix socket named
//  "jobmatch-matcher <hash of endpoint and key>": the kernel frees it when
//  the process ends, however it ends, so a restart finds the name free.
//  Returns the socket, or -1 (errno EADDRINUSE when another process holds
//  the name).
static int
s_claim (const char *endpoint, const char *key)
{
    uint64_t hash = 14695981039346656037ull;           //  FNV-1a
    for (const char *c = endpoint; *c; c++)
        hash = (hash ^ (unsigned char) *c) * 1099511628211ull;
    hash = (hash ^ ' ') * 1099511628211ull;
    for (const char *c = key; *c; c++)
        hash = (hash ^ (unsigned char) *c) * 1099511628211ull;
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    //  sun_path [0] stays 0: the abstract namespace
    int length = snprintf (address.sun_path + 1, sizeof address.sun_path - 1,
                           "jobmatch-matcher %016llx", (unsigned long long) hash);
    int handle = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (handle < 0)
        return -1;
    if (bind (handle, (struct sockaddr *) &address,
              (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + (size_t) length)) != 0) {
        int error = errno;
        close (handle);
        errno = error;
        return -1;
    }
    return handle;
}

//  Sets self->name, self->key and self->claim: name as given, or the first
//  default free on this host.  Returns 0, or -1 with err filled.
static int
s_take_name (jm_stats_t *self, const char *host, const char *name, jm_error_t *err)
{
    const jm_keys_t *keys = jm_store_keys (self->store);
    if (strlen (name) > JM_KEYS_ID_MAX)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "--name: %zu bytes, at most %d",
                             strlen (name), JM_KEYS_ID_MAX);
    for (int index = 1; index <= STATS_INDEX_MAX; index++) {
        if (*name)
            snprintf (self->name, sizeof self->name, "%s", name);
        else
        if (index == 1)
            snprintf (self->name, sizeof self->name, "%s-matcher", host);
        else
            snprintf (self->name, sizeof self->name, "%s-matcher-%d", host, index);
        if (jm_keys_matcher (keys, self->name, self->key, sizeof self->key, NULL) <= 0)
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "--name: '%.60s' is not a valid id (1 to %d bytes of UTF-8)",
                                 self->name, JM_KEYS_ID_MAX);
        self->claim = s_claim (jm_store_endpoint (self->store), self->key);
        if (self->claim >= 0)
            return 0;
        if (errno != EADDRINUSE) {
            //  no socket to claim with: go on unguarded rather than not start
            jm_log_warning ("cannot claim the name %s on this host (%s)", self->name, strerror (errno));
            return 0;
        }
        if (*name)
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "--name: another matcher of this host is named '%.60s' "
                                 "(each needs its own name, or none for the default)", name);
    }
    return jm_error_set (err, JM_ERR_INVALID_DATA,
                         "--name: %d matchers of this host use the default names; give this one a --name",
                         STATS_INDEX_MAX);
}

jm_stats_t *
jm_stats_new (jm_store_t *store, int interval_ms, const char *name, jm_error_t *err)
{
    assert (store && interval_ms > 0 && name);
    jm_stats_t *self = jm_calloc (1, sizeof *self);
    self->store = store;
    self->interval_ms = interval_ms;
    self->started_ms = zclock_time ();
    self->claim = -1;
    char host [101] = "";
    if (gethostname (host, sizeof host - 1) != 0 || !*host)
        strcpy (host, "unknown");
    for (char *c = host; *c; c++)
        if (*c <= ' ' || *c > '~')
            *c = '_';
    snprintf (self->id, sizeof self->id, "%s:%ld", host, (long) getpid ());
    if (s_take_name (self, host, name, err)) {
        jm_stats_destroy (&self);
        return NULL;
    }
    int built = jm_keys_matchers (jm_store_keys (store), self->set_key, sizeof self->set_key, NULL);
    assert (built > 0);
    (void) built;               //  used only by the assert under -DNDEBUG
    return self;
}

void
jm_stats_destroy (jm_stats_t **self_p)
{
    assert (self_p);
    jm_stats_t *self = *self_p;
    if (!self)
        return;
    if (self->claim >= 0)
        close (self->claim);
    free (self);
    *self_p = NULL;
}

const char *
jm_stats_name (const jm_stats_t *self)
{
    assert (self);
    return self->name;
}

const char *
jm_stats_id (const jm_stats_t *self)
{
    assert (self);
    return self->id;
}

//  Deletes the hash and the id of matchers silent for STATS_FORGET_MS (they
//  died without withdrawing): one read, then writes through the pending
//  buffer.  Skipped while Redis is down.
static void
s_forget_silent (jm_stats_t *self, int64_t now)
{
    if (!jm_store_connected (self->store))
        return;
    char cutoff [24], most [24];
    snprintf (cutoff, sizeof cutoff, "(%lld", (long long) (now - STATS_FORGET_MS));
    snprintf (most, sizeof most, "%d", STATS_FORGET_MAX);
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_addv (calls, "ZRANGEBYSCORE", self->set_key, "-inf", cutoff, "LIMIT", "0", most, NULL);
    const jm_reply_t *ids = jm_store_run (self->store, calls) == 0 ? jm_store_calls_reply (calls, 0) : NULL;
    const jm_keys_t *keys = jm_store_keys (self->store);
    for (size_t index = 0; ids && jm_reply_item (ids, index); index++) {
        const char *id = jm_reply_str (jm_reply_item (ids, index));
        char key [JM_KEYS_MAX];
        if (!id || strcmp (id, self->name) == 0 || jm_keys_matcher (keys, id, key, sizeof key, NULL) <= 0)
            continue;           //  itself: its own write may wait in the buffer
        jm_store_append (self->store, 2, (const char *[]) { "DEL", key }, NULL);
        jm_store_append (self->store, 3, (const char *[]) { "ZREM", self->set_key, id }, NULL);
    }
    jm_store_calls_destroy (&calls);
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
    const char *argv [2 + 2 * FIELDS + 4] = { "HSET", self->key };
    int argc = 2;
    for (size_t index = 0; index < FIELDS; index++) {
        snprintf (values [index], sizeof values [index], "%llu", fields [index].value);
        argv [argc++] = fields [index].field;
        argv [argc++] = values [index];
    }
    argv [argc++] = "version";
    argv [argc++] = JM_VERSION;
    argv [argc++] = "process";
    argv [argc++] = self->id;
    jm_store_append (self->store, argc, argv, NULL);

    char score [24];
    snprintf (score, sizeof score, "%lld", (long long) now);
    jm_store_append (self->store, 4, (const char *[]) { "ZADD", self->set_key, score, self->name },
                     NULL);
    s_forget_silent (self, now);
}

void
jm_stats_withdraw (jm_stats_t *self)
{
    assert (self);
    jm_store_append (self->store, 3, (const char *[]) { "ZREM", self->set_key, self->name }, NULL);
    jm_store_append (self->store, 2, (const char *[]) { "DEL", self->key }, NULL);
}

void
jm_stats_log (jm_stats_t *self, const jm_stats_counts_t *counts, int interval_ms)
{
    assert (self && counts);
    jm_stats_counts_t *last = &self->logged;
    if (counts->requests == last->requests && counts->rescored == last->rescored)
        return;
    jm_log_info ("last %d s: %llu requests, %llu results (%llu cached), %llu errors, %llu re-scored; "
                 "redis %s, %zu writes pending", interval_ms / 1000,
                 (unsigned long long) (counts->requests - last->requests),
                 (unsigned long long) (counts->results - last->results),
                 (unsigned long long) (counts->cached - last->cached),
                 (unsigned long long) (counts->errors - last->errors),
                 (unsigned long long) (counts->rescored - last->rescored),
                 jm_store_connected (self->store) ? "up" : "down", jm_store_pending (self->store));
    *last = *counts;
}

void
jm_stats_metrics (jm_stats_t *self, const jm_stats_counts_t *counts, const jm_stats_loop_t *loop,
                  jm_buf_t *out)
{
    assert (self && counts && loop && out);
    jm_store_stats_t store;
    jm_store_stats (self->store, &store);
    const struct { const char *name, *type, *help; unsigned long long value; } values [] = {
        { "jobmatch_matcher_requests_total", "counter",
          "requests answered, its three services together", counts->requests },
        { "jobmatch_matcher_results_total", "counter", "results in its jobmatch.match replies",
          counts->results },
        { "jobmatch_matcher_cached_total", "counter", "of those, results taken from the Redis cache",
          counts->cached },
        { "jobmatch_matcher_errors_total", "counter", "error replies and error entries it sent",
          counts->errors },
        { "jobmatch_matcher_rescored_total", "counter",
          "candidates re-scored in the background after a job changed", counts->rescored },
        { "jobmatch_matcher_redis_up", "gauge", "1 while connected to Redis",
          jm_store_connected (self->store) },
        { "jobmatch_matcher_redis_pending", "gauge", "writes waiting for Redis to confirm them",
          store.pending_writes },
        { "jobmatch_matcher_redis_confirmed_total", "counter", "writes Redis confirmed",
          store.confirmed },
        { "jobmatch_matcher_redis_errors_total", "counter", "error replies from Redis",
          store.errors },
        { "jobmatch_matcher_redis_reconnects_total", "counter",
          "connections to Redis after losing it", store.reconnects },
        { "jobmatch_matcher_gateways", "gauge", "gateways configured (--gateway)",
          (unsigned long long) loop->gateways },
        { "jobmatch_matcher_slots", "gauge", "request slots offered now (0: the pending buffer "
          "is full)", (unsigned long long) loop->slots_now },
    };
    for (size_t index = 0; index < sizeof values / sizeof values [0]; index++) {
        jm_prom_help (out, values [index].name, values [index].type, values [index].help);
        jm_buf_printf (out, "%s %llu\n", values [index].name, values [index].value);
    }
    jm_prom_help (out, "jobmatch_matcher_gateways_connected", "gauge",
                  "gateways that have this matcher registered (heard since it connected)");
    jm_buf_printf (out, "jobmatch_matcher_gateways_connected %d\n", loop->gateways_heard);
    jm_prom_help (out, "jobmatch_matcher_redis_pending_fill", "gauge",
                  "pending writes against their bound (1: full, the matcher stops taking work)");
    jm_buf_printf (out, "jobmatch_matcher_redis_pending_fill %.4f\n",
                   jm_store_pending_fill (self->store));
    jm_prom_help (out, "jobmatch_request_duration_seconds", "histogram",
                  "time the matcher took for a request (a jobmatch.match request: its whole "
                  "batch), by service");
    jm_prom_histogram_render (out, "jobmatch_request_duration_seconds", "service",
                              JM_MATCH_SERVICE, &counts->latency_match);
    jm_prom_histogram_render (out, "jobmatch_request_duration_seconds", "service",
                              JM_JOBS_SERVICE, &counts->latency_jobs);
    jm_prom_histogram_render (out, "jobmatch_request_duration_seconds", "service",
                              JM_RESULTS_SERVICE, &counts->latency_results);
}
