/*  metrics: counters, /metrics and /healthz.  See metrics.h.

    Counters sit in small fixed tables under one mutex: a few dozen series
    at most (routes x methods x statuses), far from any contention at the
    request rates a dashboard sees.                                        */
#include "metrics.h"
#include "jm_log.h"
#include "jm_mdp.h"
#include "jm_store.h"
#include "jm_alloc.h"
#include "jm_prom.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define SERIES_MAX      128
#define ROUTES_MAX      32
#define CODES_MAX       32
#define MATCHERS_MAX    256             //  matchers rendered at most
#define MATCHER_AGE_MS  180000          //  3 x the longest --stats-ms of a matcher
//  A matcher silent for this many of its intervals (plus MATCHER_SLACK_MS
//  for clocks and scheduling) is gone: it died without withdrawing
#define MATCHER_SILENT_INTERVALS    3
#define MATCHER_SLACK_MS            1000

//  Latency bucket upper bounds, in microseconds
static const int64_t s_bounds_us [] = {
    500, 1000, 2500, 5000, 10000, 20000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000
};
#define BUCKETS (sizeof s_bounds_us / sizeof s_bounds_us [0])

typedef struct {
    const char *route;
    const char *method;
    int status;
    uint64_t count;
} s_series_t;

typedef struct {
    const char *route;
    uint64_t buckets [BUCKETS + 1];     //  the last one: over every bound
    uint64_t count;
    int64_t sum_us;
} s_histogram_t;

typedef struct {
    char code [JM_ERROR_CODE_MAX];
    uint64_t count;
} s_code_t;

struct _jm_metrics_t {
    pthread_mutex_t lock;
    s_series_t series [SERIES_MAX];
    size_t series_count;
    s_histogram_t histograms [ROUTES_MAX];
    size_t histogram_count;
    s_code_t codes [CODES_MAX];
    size_t code_count;
    uint64_t overflow;                  //  responses not counted in a full table
    uint64_t results_cached;            //  match results the matchers took from Redis
    uint64_t results_scored;            //  and those they scored afresh
};

jm_metrics_t *
jm_metrics_new (void)
{
    jm_metrics_t *self = jm_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

void
jm_metrics_destroy (jm_metrics_t **self_p)
{
    assert (self_p);
    jm_metrics_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
jm_metrics_count_results (jm_metrics_t *self, uint64_t cached, uint64_t scored)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    self->results_cached += cached;
    self->results_scored += scored;
    pthread_mutex_unlock (&self->lock);
}

void
jm_metrics_record (jm_metrics_t *self, const char *route, const char *method, int status,
                   const char *error_code, int64_t latency_us)
{
    assert (self && route && method && error_code);
    pthread_mutex_lock (&self->lock);
    s_series_t *series = NULL;
    for (size_t index = 0; index < self->series_count && !series; index++) {
        s_series_t *candidate = &self->series [index];
        if (candidate->route == route && candidate->status == status
        &&  strcmp (candidate->method, method) == 0)
            series = candidate;
    }
    if (!series && self->series_count < SERIES_MAX) {
        series = &self->series [self->series_count++];
        *series = (s_series_t) { route, method, status, 0 };
    }
    if (series)
        series->count++;
    else
        self->overflow++;
    s_histogram_t *histogram = NULL;
    for (size_t index = 0; index < self->histogram_count && !histogram; index++)
        if (self->histograms [index].route == route)
            histogram = &self->histograms [index];
    if (!histogram && self->histogram_count < ROUTES_MAX) {
        histogram = &self->histograms [self->histogram_count++];
        memset (histogram, 0, sizeof *histogram);
        histogram->route = route;
    }
    if (histogram) {
        size_t bucket = 0;
        while (bucket < BUCKETS && latency_us > s_bounds_us [bucket])
            bucket++;
        histogram->buckets [bucket]++;
        histogram->count++;
        histogram->sum_us += latency_us;
    }
    if (*error_code) {
        s_code_t *code = NULL;
        for (size_t index = 0; index < self->code_count && !code; index++)
            if (strcmp (self->codes [index].code, error_code) == 0)
                code = &self->codes [index];
        if (!code && self->code_count < CODES_MAX) {
            code = &self->codes [self->code_count++];
            snprintf (code->code, sizeof code->code, "%s", error_code);
            code->count = 0;
        }
        if (code)
            code->count++;
    }
    pthread_mutex_unlock (&self->lock);
}

//  --------------------------------------------------------------------------
//  Prometheus text

//  The dashboard's own counters
static void
s_render_own (jm_exchange_t *exchange, jm_buf_t *out)
{
    jm_metrics_t *self = exchange->app->metrics;
    pthread_mutex_lock (&self->lock);
    jm_prom_help (out, "jobmatch_dashboard_http_requests_total", "counter",
            "HTTP responses sent, by route, method and status");
    for (size_t index = 0; index < self->series_count; index++) {
        s_series_t *series = &self->series [index];
        jm_buf_puts (out, "jobmatch_dashboard_http_requests_total{route=\"");
        jm_prom_label (out, series->route);
        jm_buf_printf (out, "\",method=\"%s\",code=\"%d\"} %llu\n", series->method, series->status,
                       (unsigned long long) series->count);
    }
    jm_prom_help (out, "jobmatch_dashboard_http_errors_total", "counter",
            "HTTP error responses, by error code");
    for (size_t index = 0; index < self->code_count; index++)
        jm_buf_printf (out, "jobmatch_dashboard_http_errors_total{code=\"%s\"} %llu\n",
                       self->codes [index].code, (unsigned long long) self->codes [index].count);
    jm_prom_help (out, "jobmatch_dashboard_http_request_duration_seconds", "histogram",
            "time from a request's headers to its response, by route");
    for (size_t index = 0; index < self->histogram_count; index++) {
        s_histogram_t *histogram = &self->histograms [index];
        uint64_t cumulative = 0;
        for (size_t bucket = 0; bucket <= BUCKETS; bucket++) {
            cumulative += histogram->buckets [bucket];
            jm_buf_puts (out, "jobmatch_dashboard_http_request_duration_seconds_bucket{route=\"");
            jm_prom_label (out, histogram->route);
            jm_buf_puts (out, "\",le=\"");
            if (bucket < BUCKETS)
                jm_prom_seconds (out, s_bounds_us [bucket]);
            else
                jm_buf_puts (out, "+Inf");
            jm_buf_printf (out, "\"} %llu\n", (unsigned long long) cumulative);
        }
        jm_buf_puts (out, "jobmatch_dashboard_http_request_duration_seconds_sum{route=\"");
        jm_prom_label (out, histogram->route);
        jm_buf_puts (out, "\"} ");
        jm_prom_seconds (out, histogram->sum_us);
        jm_buf_puts (out, "\njobmatch_dashboard_http_request_duration_seconds_count{route=\"");
        jm_prom_label (out, histogram->route);
        jm_buf_printf (out, "\"} %llu\n", (unsigned long long) histogram->count);
    }
    jm_prom_help (out, "jobmatch_dashboard_match_results_total", "counter",
            "results of POST /api/v1/match, by whether the matcher's Redis cache had them");
    jm_buf_printf (out, "jobmatch_dashboard_match_results_total{cached=\"true\"} %llu\n"
                        "jobmatch_dashboard_match_results_total{cached=\"false\"} %llu\n",
                   (unsigned long long) self->results_cached, (unsigned long long) self->results_scored);
    pthread_mutex_unlock (&self->lock);

    jm_bridge_stats_t stats;
    jm_bridge_stats (exchange->app->bridge, &stats);
    jm_prom_help (out, "jobmatch_dashboard_gateway_calls_total", "counter",
            "requests the dashboard sent to the gateway");
    jm_buf_printf (out, "jobmatch_dashboard_gateway_calls_total %llu\n",
                   (unsigned long long) stats.calls);
    jm_prom_help (out, "jobmatch_dashboard_gateway_replies_total", "counter", "replies received from the gateway");
    jm_buf_printf (out, "jobmatch_dashboard_gateway_replies_total %llu\n",
                   (unsigned long long) stats.replies);
    jm_prom_help (out, "jobmatch_dashboard_gateway_timeouts_total", "counter",
            "gateway requests given up after their timeout");
    jm_buf_printf (out, "jobmatch_dashboard_gateway_timeouts_total %llu\n",
                   (unsigned long long) stats.timeouts);
    jm_prom_help (out, "jobmatch_dashboard_gateway_late_replies_total", "counter",
            "gateway replies that came after their request timed out");
    jm_buf_printf (out, "jobmatch_dashboard_gateway_late_replies_total %llu\n",
                   (unsigned long long) stats.late_replies);
    jm_prom_help (out, "jobmatch_dashboard_gateway_failovers_total", "counter",
            "gateway requests sent again to another gateway, theirs lost");
    jm_buf_printf (out, "jobmatch_dashboard_gateway_failovers_total %llu\n",
                   (unsigned long long) stats.failovers);
    jm_prom_help (out, "jobmatch_dashboard_gateway_in_flight", "gauge",
            "gateway requests waiting for their reply");
    jm_buf_printf (out, "jobmatch_dashboard_gateway_in_flight %llu\n",
                   (unsigned long long) stats.in_flight);
    jm_prom_help (out, "jobmatch_dashboard_uptime_seconds", "gauge", "seconds since the dashboard started");
    jm_buf_puts (out, "jobmatch_dashboard_uptime_seconds ");
    jm_prom_seconds (out, jm_exchange_now_us () - exchange->app->started_us);
    jm_buf_puts (out, "\n");
}

//  --------------------------------------------------------------------------
//  The matchers' counters, which each matcher publishes to Redis

//  The fields of <ns>:matcher:<id> rendered, one metric each; a hash
//  without the first (requests) is not a matcher's
static const struct { const char *field, *name, *type, *help; } s_matcher_fields [] = {
    { "requests", "jobmatch_matcher_requests_total", "counter",
      "requests the matcher answered, its three services together" },
    { "results", "jobmatch_matcher_results_total", "counter", "results in its jobmatch.match replies" },
    { "cached", "jobmatch_matcher_cached_total", "counter", "of those, results taken from the Redis cache" },
    { "errors", "jobmatch_matcher_errors_total", "counter", "error replies and error entries it sent" },
    { "rescored", "jobmatch_matcher_rescored_total", "counter", "candidates it re-scored after a job changed" },
    { "redis_pending", "jobmatch_matcher_redis_pending", "gauge", "its writes waiting for Redis" },
    { "redis_up", "jobmatch_matcher_redis_up", "gauge", "1 when it was connected to Redis" },
    { "redis_errors", "jobmatch_matcher_redis_errors_total", "counter", "error replies Redis gave it" },
    { "redis_dropped", "jobmatch_matcher_redis_dropped_total", "counter",
      "its writes dropped from a full pending buffer" },
    { "reconnects", "jobmatch_matcher_redis_reconnects_total", "counter",
      "times it reconnected to Redis after losing it" },
};
#define MATCHER_FIELDS (sizeof s_matcher_fields / sizeof s_matcher_fields [0])

typedef struct {
    const char *id;                     //  borrowed from the ZRANGEBYSCORE reply
    const char *version;                //  borrowed from its HGETALL reply
    long long values [MATCHER_FIELDS];
    bool has [MATCHER_FIELDS];
} s_matcher_t;

//  The matchers registered with the gateway: the workers of jobmatch.match
//  in its jobmatch.stats reply; -1 when the gateway did not answer.  The
//  one source of /healthz, /readyz and /metrics's jobmatch_matchers.
static int
s_matchers_registered (json_t *stats)
{
    if (!stats)
        return -1;
    json_t *workers = json_object_get (json_object_get (json_object_get (stats, "services"),
                                                        "jobmatch.match"), "workers");
    return (int) json_array_size (workers);
}

//  Unix time in milliseconds, the clock matchers stamp updated_ms with.
static long long
s_wall_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  Queues the read of the ids published lately (<ns>:matchers, at most
//  MATCHERS_MAX) on calls; returns the command's index.
static size_t
s_matchers_read (jm_app_t *app, jm_store_calls_t *calls)
{
    char key [JM_KEYS_MAX], since [24], most [24];
    jm_keys_matchers (jm_store_keys (app->store), key, sizeof key, NULL);
    snprintf (since, sizeof since, "%lld", s_wall_ms () - MATCHER_AGE_MS);
    snprintf (most, sizeof most, "%d", MATCHERS_MAX);
    return jm_store_calls_addv (calls, "ZRANGEBYSCORE", key, since, "+inf",
                                "LIMIT", "0", most, NULL);
}

//  Reads the hash of every id (one round trip) and renders them; a hash
//  not written for MATCHER_SILENT_INTERVALS of its intervals, or deleted,
//  is a matcher gone.  ids is the reply of s_matchers_read,
//  NULL when Redis did not answer.
static void
s_render_matchers (jm_app_t *app, const jm_reply_t *ids, jm_buf_t *out)
{
    jm_store_calls_t *calls = jm_store_calls_new ();
    const jm_keys_t *keys = jm_store_keys (app->store);
    s_matcher_t *matchers = jm_calloc (MATCHERS_MAX, sizeof *matchers);
    size_t listed = 0;
    for (size_t index = 0; listed < MATCHERS_MAX && jm_reply_item (ids, index); index++) {
        char key [JM_KEYS_MAX];
        const char *id = jm_reply_str (jm_reply_item (ids, index));
        if (id && jm_keys_matcher (keys, id, key, sizeof key, NULL) > 0) {
            matchers [listed++].id = id;
            jm_store_calls_addv (calls, "HGETALL", key, NULL);
        }
    }
    bool read = false;
    if (listed) {
        pthread_mutex_lock (&app->store_lock);
        read = jm_store_run (app->store, calls) == 0;
        pthread_mutex_unlock (&app->store_lock);
    }
    size_t count = 0;
    long long now_ms = s_wall_ms ();
    for (size_t index = 0; read && index < listed; index++) {
        const jm_reply_t *hash = jm_store_calls_reply (calls, index);
        s_matcher_t matcher = matchers [index];
        long long updated_ms = 0, interval_ms = 0;
        for (size_t item = 0; jm_reply_item (hash, item + 1); item += 2) {
            const char *field = jm_reply_str (jm_reply_item (hash, item));
            const jm_reply_t *value = jm_reply_item (hash, item + 1);
            if (field && strcmp (field, "version") == 0)
                matcher.version = jm_reply_str (value);
            if (field && strcmp (field, "updated_ms") == 0)
                jm_reply_int (value, &updated_ms);
            if (field && strcmp (field, "interval_ms") == 0)
                jm_reply_int (value, &interval_ms);
            for (size_t known = 0; field && known < MATCHER_FIELDS; known++)
                if (strcmp (field, s_matcher_fields [known].field) == 0)
                    matcher.has [known] = jm_reply_int (value, &matcher.values [known]);
        }
        bool silent = now_ms - updated_ms > MATCHER_SILENT_INTERVALS * interval_ms + MATCHER_SLACK_MS;
        if (matcher.has [0] && !silent)
            matchers [count++] = matcher;
    }
    if (ids) {
        jm_prom_help (out, "jobmatch_matchers_publishing", "gauge",
                "matchers publishing their counters to Redis");
        jm_buf_printf (out, "jobmatch_matchers_publishing %zu\n", count);
    }
    for (size_t field = 0; count && field < MATCHER_FIELDS; field++) {
        jm_prom_help (out, s_matcher_fields [field].name, s_matcher_fields [field].type,
                s_matcher_fields [field].help);
        for (size_t index = 0; index < count; index++) {
            if (!matchers [index].has [field])
                continue;
            jm_buf_printf (out, "%s{matcher=\"", s_matcher_fields [field].name);
            jm_prom_label (out, matchers [index].id);
            jm_buf_printf (out, "\"} %lld\n", matchers [index].values [field]);
        }
    }
    if (count) {
        jm_prom_help (out, "jobmatch_matcher_info", "gauge", "1 per matcher, with its version");
        for (size_t index = 0; index < count; index++) {
            jm_buf_puts (out, "jobmatch_matcher_info{matcher=\"");
            jm_prom_label (out, matchers [index].id);
            jm_buf_puts (out, "\",version=\"");
            jm_prom_label (out, matchers [index].version? matchers [index].version: "");
            jm_buf_puts (out, "\"} 1\n");
        }
    }
    free (matchers);
    jm_store_calls_destroy (&calls);
}

//  Redis as the dashboard sees it: its own reads' counters, and the
//  server's INFO: keyspace hits and misses (result lookups of every matcher
//  and of the dashboard: the cache hit ratio), error replies, clients.
static void
s_render_redis (jm_app_t *app, jm_buf_t *out)
{
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_addv (calls, "INFO", "all", NULL);
    size_t matchers = s_matchers_read (app, calls);
    pthread_mutex_lock (&app->store_lock);
    if (!jm_store_connected (app->store))
        jm_store_tick (app->store);
    bool up = jm_store_run (app->store, calls) == 0;
    jm_store_stats_t stats;
    jm_store_stats (app->store, &stats);
    pthread_mutex_unlock (&app->store_lock);
    jm_prom_help (out, "jobmatch_dashboard_redis_round_trips_total", "counter",
            "pipelines the dashboard sent to Redis and got answered");
    jm_buf_printf (out, "jobmatch_dashboard_redis_round_trips_total %llu\n",
                   (unsigned long long) stats.round_trips);
    jm_prom_help (out, "jobmatch_dashboard_redis_errors_total", "counter",
            "error replies Redis gave the dashboard");
    jm_buf_printf (out, "jobmatch_dashboard_redis_errors_total %llu\n", (unsigned long long) stats.errors);
    jm_prom_help (out, "jobmatch_dashboard_redis_reconnects_total", "counter",
            "times the dashboard reconnected to Redis after losing it");
    jm_buf_printf (out, "jobmatch_dashboard_redis_reconnects_total %llu\n",
                   (unsigned long long) stats.reconnects);
    jm_prom_help (out, "jobmatch_dashboard_redis_read_failures_total", "counter",
            "API reads that found Redis unavailable (answered io_error)");
    jm_buf_printf (out, "jobmatch_dashboard_redis_read_failures_total %llu\n",
                   (unsigned long long) atomic_load (&app->read_failures));
    jm_prom_help (out, "jobmatch_redis_up", "gauge", "1 when Redis answered INFO");
    jm_buf_printf (out, "jobmatch_redis_up %d\n", up? 1: 0);
    const char *info = up? jm_reply_str (jm_store_calls_reply (calls, 0)): NULL;
    static const struct { const char *field, *name, *type, *help; } s_fields [] = {
        { "keyspace_hits", "jobmatch_redis_keyspace_hits_total", "counter",
          "key lookups that found the key (result cache hits among them)" },
        { "keyspace_misses", "jobmatch_redis_keyspace_misses_total", "counter",
          "key lookups that found nothing (result cache misses among them)" },
        { "total_error_replies", "jobmatch_redis_error_replies_total", "counter",
          "error replies Redis sent to any client" },
        { "rejected_connections", "jobmatch_redis_rejected_connections_total", "counter",
          "connections Redis refused (maxclients)" },
        { "connected_clients", "jobmatch_redis_connected_clients", "gauge", "clients connected" },
        { "used_memory", "jobmatch_redis_used_memory_bytes", "gauge", "memory Redis uses" },
    };
    for (size_t index = 0; info && index < sizeof s_fields / sizeof s_fields [0]; index++) {
        char needle [64];
        snprintf (needle, sizeof needle, "\n%s:", s_fields [index].field);
        const char *found = strstr (info, needle);
        if (!found)
            continue;
        double value = strtod (found + strlen (needle), NULL);
        jm_prom_help (out, s_fields [index].name, s_fields [index].type, s_fields [index].help);
        jm_buf_printf (out, "%s %.0f\n", s_fields [index].name, value);
    }
    s_render_matchers (app, up? jm_store_calls_reply (calls, matchers): NULL, out);
    jm_store_calls_destroy (&calls);
}

//  The gateway's jobmatch.stats reply as an object, or NULL.
static json_t *
s_stats_reply (jm_bridge_call_t *call)
{
    json_t *stats = call->reply? json_loads (call->reply, 0, NULL): NULL;
    if (stats && !json_is_object (stats)) {
        json_decref (stats);
        stats = NULL;
    }
    return stats;
}

int
jm_metrics_handler (jm_exchange_t *self)
{
    if (self->stage == 0) {
        jm_exchange_call (self, JM_MDP_STATS_SERVICE, jm_strdup ("{}"), self->app->health_timeout_ms);
        return JM_EXCHANGE_WAIT;
    }
    json_t *stats = s_stats_reply (&self->calls [0]);
    jm_buf_t out;
    jm_buf_init (&out);
    s_render_own (self, &out);
    jm_prom_gateway_stats (&out, stats);
    int matchers = s_matchers_registered (stats);
    if (matchers >= 0) {
        jm_prom_help (&out, "jobmatch_matchers", "gauge",
                "matchers registered with the gateway for jobmatch.match (as /healthz counts them)");
        jm_buf_printf (&out, "jobmatch_matchers %d\n", matchers);
    }
    s_render_redis (self->app, &out);
    jm_prom_process (&out);
    json_decref (stats);
    jm_exchange_raw (self, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
    jm_buf_free (&out);
    return JM_EXCHANGE_DONE;
}

//  --------------------------------------------------------------------------
//  /livez, /readyz and /healthz

static const char *s_services [] = { "jobmatch.match", "jobmatch.jobs", "jobmatch.results" };
#define SERVICES (sizeof s_services / sizeof s_services [0])

typedef struct {
    bool redis_up;
    int64_t redis_us;
} s_health_t;

int
jm_live_handler (jm_exchange_t *self)
{
    //  answering at all is the check: nothing else is asked
    return jm_exchange_json (self, 200, json_pack ("{s:s}", "status", "ok"));
}

//  Stage 0 of /readyz and /healthz: asks the gateway (mmi.service per
//  service, then jobmatch.stats at index SERVICES) and pings Redis while
//  the gateway's answers come.
static int
s_probe_start (jm_exchange_t *self)
{
    jm_app_t *app = self->app;
    s_health_t *state = jm_calloc (1, sizeof *state);
    self->state = state;
    self->state_free = free;
    for (size_t index = 0; index < SERVICES; index++)
        jm_exchange_call (self, JM_MDP_MMI_SERVICE, jm_strdup (s_services [index]),
                          app->health_timeout_ms);
    jm_exchange_call (self, JM_MDP_STATS_SERVICE, jm_strdup ("{}"), app->health_timeout_ms);
    int64_t started = jm_exchange_now_us ();
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_addv (calls, "PING", NULL);
    pthread_mutex_lock (&app->store_lock);
    if (!jm_store_connected (app->store))
        jm_store_tick (app->store);
    state->redis_up = jm_store_run (app->store, calls) == 0
                   && !jm_reply_is_error (jm_store_calls_reply (calls, 0));
    pthread_mutex_unlock (&app->store_lock);
    jm_store_calls_destroy (&calls);
    state->redis_us = jm_exchange_now_us () - started;
    return JM_EXCHANGE_WAIT;
}

int
jm_ready_handler (jm_exchange_t *self)
{
    if (self->stage == 0)
        return s_probe_start (self);
    s_health_t *state = self->state;
    json_t *stats = s_stats_reply (&self->calls [SERVICES]);
    int matchers = s_matchers_registered (stats);
    json_decref (stats);
    //  each failing dependency by name, with why: states only, no endpoint
    json_t *failing = json_object ();
    if (!state->redis_up)
        json_object_set_new (failing, "redis", json_string ("no answer to PING"));
    if (matchers < 0)
        json_object_set_new (failing, "gateway", json_string ("no answer to jobmatch.stats"));
    else
    if (matchers == 0)
        json_object_set_new (failing, "matchers",
                             json_string ("no matcher registered for jobmatch.match"));
    bool ready = json_object_size (failing) == 0;
    json_t *body = json_pack ("{s:s, s:o}", "status", ready? "ready": "not_ready", "failing", failing);
    return jm_exchange_json (self, ready? 200: 503, body);
}

int
jm_health_handler (jm_exchange_t *self)
{
    jm_app_t *app = self->app;
    if (self->stage == 0)
        return s_probe_start (self);
    s_health_t *state = self->state;
    bool healthy = true;
    //  the gateway: up when jobmatch.stats answered
    jm_bridge_call_t *stats_call = &self->calls [SERVICES];
    json_t *stats = s_stats_reply (&self->calls [SERVICES]);
    //  states only, never an endpoint: /healthz needs no token
    json_t *gateway = json_pack ("{s:s}", "state", stats? "ok": "down");
    if (stats)
        json_object_set_new (gateway, "latency_ms",
                             json_real ((double) stats_call->latency_us / 1000.0));
    else
        json_object_set_new (gateway, "message", json_string (stats_call->failure
                             ? "no reply to jobmatch.stats": "jobmatch.stats replied something unexpected"));
    healthy = healthy && stats;
    //  each service: has a worker now (mmi.service), and how many
    json_t *services = json_object ();
    for (size_t index = 0; index < SERVICES; index++) {
        jm_bridge_call_t *call = &self->calls [index];
        const char *service_state = !call->reply? "unknown"
                                  : strcmp (call->reply, "200") == 0? "ok": "down";
        json_t *entry = json_pack ("{s:s}", "state", service_state);
        json_t *workers = json_object_get (json_object_get (json_object_get (stats, "services"),
                                                            s_services [index]), "workers");
        json_object_set_new (entry, "workers", json_integer ((json_int_t) json_array_size (workers)));
        json_object_set_new (services, s_services [index], entry);
        healthy = healthy && strcmp (service_state, "ok") == 0;
    }
    //  matchers: the workers of jobmatch.match, against the expected number
    int registered = s_matchers_registered (stats);
    int matchers = registered < 0? 0: registered;
    const char *matchers_state = registered < 0? "unknown": matchers == 0? "down"
                               : matchers < app->min_matchers? "degraded": "ok";
    healthy = healthy && strcmp (matchers_state, "ok") == 0;
    json_t *matcher_check = json_pack ("{s:s, s:i, s:i}", "state", matchers_state, "count", matchers,
                                       "expected", app->min_matchers);
    //  Redis, probed from here
    json_t *redis = json_pack ("{s:s, s:f}", "state", state->redis_up? "ok": "down",
                               "latency_ms", (double) state->redis_us / 1000.0);
    healthy = healthy && state->redis_up;
    json_decref (stats);
    //  with Redis up the dashboard still shows every ranking: degraded, not down
    const char *status = healthy? "ok": state->redis_up? "degraded": "down";
    json_t *body = json_pack ("{s:s, s:{s:o, s:o, s:o, s:o}}", "status", status,
                              "checks", "gateway", gateway, "services", services,
                              "matchers", matcher_check, "redis", redis);
    return jm_exchange_json (self, state->redis_up? 200: 503, body);
}
