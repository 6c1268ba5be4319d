/*  gateway_stats: what the gateway counts, made readable.  The latency
    histogram, the jobmatch.stats body (JSON) and the summary log line.
    Part of the gateway broker; see gateway_internal.h.                    */
#include "gateway_internal.h"
#include "jm_alloc.h"

#include <inttypes.h>
#include <jansson.h>

//  Upper bounds of the latency histogram buckets, in microseconds; one more
//  bucket counts everything slower.
static const int64_t s_latency_bounds [] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
};
_Static_assert (sizeof s_latency_bounds / sizeof s_latency_bounds [0] + 1 == LATENCY_BUCKETS,
                "LATENCY_BUCKETS in gateway_internal.h must count s_latency_bounds");

void
gw_record_latency (broker_t *self, int64_t micros)
{
    size_t bucket = 0;
    while (bucket < LATENCY_BUCKETS - 1 && micros > s_latency_bounds [bucket])
        bucket++;
    self->counters.latency [bucket]++;
    self->counters.latency_count++;
    self->counters.latency_sum_us += (uint64_t) (micros > 0? micros: 0);
}


//  --------------------------------------------------------------------------
//  Statistics

static void
s_json_set (json_t *object, const char *key, json_t *value)
{
    if (json_object_set_new (object, key, value))   //  keys are ours: fails only when out of memory
        jm_alloc_check (NULL, "JSON member");
}

//  The latency of the given quantile (0..1), as the upper bound of the
//  bucket it falls in (microseconds); -1 when nothing was measured or it
//  falls in the open top bucket.
static int64_t
s_latency_quantile (broker_t *self, double quantile)
{
    uint64_t total = self->counters.latency_count;
    if (total == 0)
        return -1;
    uint64_t rank = (uint64_t) (quantile * (double) total + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t bucket = 0; bucket < LATENCY_BUCKETS - 1; bucket++) {
        seen += self->counters.latency [bucket];
        if (seen >= rank)
            return s_latency_bounds [bucket];
    }
    return -1;
}

static json_t *
s_stats_latency (broker_t *self)
{
    counters_t *counters = &self->counters;
    json_t *buckets = json_array ();
    for (size_t bucket = 0; bucket < LATENCY_BUCKETS; bucket++) {
        json_t *entry = json_object ();
        s_json_set (entry, "le_us", bucket < LATENCY_BUCKETS - 1?
                                    json_integer (s_latency_bounds [bucket]): json_null ());
        s_json_set (entry, "count", json_integer ((json_int_t) counters->latency [bucket]));
        json_array_append_new (buckets, entry);
    }
    json_t *latency = json_object ();
    s_json_set (latency, "count", json_integer ((json_int_t) counters->latency_count));
    s_json_set (latency, "mean_us", json_real (counters->latency_count?
        (double) counters->latency_sum_us / (double) counters->latency_count: 0.0));
    const double quantiles [] = { 0.5, 0.9, 0.99 };
    const char *names [] = { "p50_us", "p90_us", "p99_us" };
    for (size_t index = 0; index < 3; index++) {
        int64_t value = s_latency_quantile (self, quantiles [index]);
        s_json_set (latency, names [index], value < 0? json_null (): json_integer (value));
    }
    s_json_set (latency, "buckets", buckets);
    return latency;
}

static json_t *
s_stats_services (broker_t *self)
{
    json_t *services = json_object ();
    for (service_t *service = zhashx_first (self->services); service;
         service = zhashx_next (self->services)) {
        json_t *workers = json_array ();
        for (worker_t *worker = service->workers; worker; worker = worker->next) {
            json_t *entry = json_object ();
            s_json_set (entry, "id", json_string (worker->key));
            s_json_set (entry, "slots", json_integer (worker->slots));
            s_json_set (entry, "busy", json_integer (worker->busy));
            json_array_append_new (workers, entry);
        }
        json_t *entry = json_object ();
        s_json_set (entry, "workers", workers);
        s_json_set (entry, "slots", json_integer ((json_int_t) service->slot_count));
        s_json_set (entry, "queued", json_integer ((json_int_t) service->queue.size));
        s_json_set (entry, "in_flight", json_integer ((json_int_t) service->in_flight));
        //  Service names are not checked for UTF-8; json_object_set fails on bad ones
        json_object_set_new (services, service->name, entry);
    }
    return services;
}

//  Returns the jobmatch.stats body (caller frees).
char *
gw_stats_json (broker_t *self)
{
    counters_t *counters = &self->counters;
    json_t *root = json_object ();
    json_t *errors = json_object ();
    s_json_set (errors, JM_ERR_NO_WORKERS, json_integer ((json_int_t) counters->no_workers));
    s_json_set (errors, JM_ERR_BUSY, json_integer ((json_int_t) counters->busy));
    s_json_set (errors, JM_ERR_TOO_LARGE, json_integer ((json_int_t) counters->too_large));
    s_json_set (errors, JM_ERR_WORKER_LOST, json_integer ((json_int_t) counters->worker_lost));
    s_json_set (errors, JM_ERR_TIMEOUT, json_integer ((json_int_t) counters->timeout));
    s_json_set (errors, JM_ERR_INVALID_REQUEST,
                json_integer ((json_int_t) counters->invalid_request));
    s_json_set (errors, JM_ERR_FORBIDDEN, json_integer ((json_int_t) counters->forbidden));
    s_json_set (errors, JM_ERR_UNAVAILABLE, json_integer ((json_int_t) counters->unavailable));
    json_t *dropped = json_object ();
    s_json_set (dropped, "client", json_integer ((json_int_t) counters->dropped_client));
    s_json_set (dropped, "worker", json_integer ((json_int_t) counters->dropped_worker));
    json_t *busy = json_object ();
    s_json_set (busy, "queue_max", json_integer ((json_int_t) counters->busy_queue));
    s_json_set (busy, "held_bytes_max", json_integer ((json_int_t) counters->busy_held_bytes));
    s_json_set (busy, "client_queue_max", json_integer ((json_int_t) counters->busy_client_queue));
    s_json_set (busy, "client_bytes_max", json_integer ((json_int_t) counters->busy_client_bytes));
    json_t *dropped_replies = json_object ();
    s_json_set (dropped_replies, "unread", json_integer ((json_int_t) counters->replies_unread));
    s_json_set (dropped_replies, "gone", json_integer ((json_int_t) counters->replies_gone));

    s_json_set (root, "version", json_string (JM_VERSION));
    double uptime = (double) (zclock_mono () - self->started_ms) / 1000.0;
    s_json_set (root, "uptime_s", json_real (uptime));
    s_json_set (root, "requests", json_integer ((json_int_t) counters->requests));
    s_json_set (root, "replies", json_integer ((json_int_t) counters->replies));
    s_json_set (root, "builtin", json_integer ((json_int_t) counters->builtin));
    s_json_set (root, "errors", errors);
    s_json_set (root, "redispatches", json_integer ((json_int_t) counters->redispatches));
    s_json_set (root, "late_replies", json_integer ((json_int_t) counters->late_replies));
    s_json_set (root, "dropped", dropped);
    s_json_set (root, "denied", gw_auth_stats_json (self));
    s_json_set (root, "queue_depth", json_integer ((json_int_t) self->queued));
    s_json_set (root, "in_flight", json_integer ((json_int_t) self->in_flight));
    s_json_set (root, "queue_max", json_integer ((json_int_t) self->settings.queue_max));
    s_json_set (root, "workers", json_integer ((json_int_t) zhashx_size (self->worker_table)));
    s_json_set (root, "workers_joined", json_integer ((json_int_t) counters->workers_joined));
    s_json_set (root, "workers_expired", json_integer ((json_int_t) counters->workers_expired));
    s_json_set (root, "workers_disconnected",
                json_integer ((json_int_t) counters->workers_disconnected));
    s_json_set (root, "stale_ready", json_integer ((json_int_t) counters->stale_ready));
    s_json_set (root, "timeouts", json_integer ((json_int_t) counters->timeouts));
    s_json_set (root, "workers_timed_out",
                json_integer ((json_int_t) counters->workers_timed_out));
    s_json_set (root, "busy_by_cap", busy);
    s_json_set (root, "dropped_replies", dropped_replies);
    s_json_set (root, "held_bytes", json_integer ((json_int_t) self->held_bytes));
    s_json_set (root, "held_bytes_max", json_integer ((json_int_t) self->settings.held_bytes_max));
    s_json_set (root, "clients", json_integer ((json_int_t) zhashx_size (self->client_table)));
    s_json_set (root, "services", s_stats_services (self));
    s_json_set (root, "latency", s_stats_latency (self));
    char *text = jm_alloc_check (json_dumps (root, JSON_COMPACT | JSON_REAL_PRECISION (6)),
                                 "JSON text");
    json_decref (root);
    return text;
}

void
gw_log_summary (broker_t *self, const char *when)
{
    counters_t *counters = &self->counters;
    jm_log_info ("%ssummary: %" PRIu64 " requests, %" PRIu64 " replies, errors: %" PRIu64
                 " no_workers %" PRIu64 " busy %" PRIu64 " too_large %" PRIu64
                 " worker_lost %" PRIu64 " timeout %" PRIu64 " invalid_request %" PRIu64
                 " unavailable; %" PRIu64
                 " re-dispatched, %" PRIu64 " timed out at a worker, %"
                 PRIu64 " late replies, %" PRIu64 " dropped; %" PRIu64 " replies dropped "
                 "(%" PRIu64 " unread, %" PRIu64 " client gone); busy by cap: %" PRIu64
                 " queue, %" PRIu64 " held bytes, %" PRIu64 " client requests, %" PRIu64
                 " client bytes; %zu waiting, %zu in flight, %zu bytes held, %zu workers",
                 when, counters->requests, counters->replies,
                 counters->no_workers, counters->busy, counters->too_large,
                 counters->worker_lost, counters->timeout, counters->invalid_request,
                 counters->unavailable,
                 counters->redispatches, counters->timeouts,
                 counters->late_replies, counters->dropped_client + counters->dropped_worker,
                 counters->replies_unread + counters->replies_gone, counters->replies_unread,
                 counters->replies_gone, counters->busy_queue, counters->busy_held_bytes,
                 counters->busy_client_queue, counters->busy_client_bytes,
                 self->queued, self->in_flight, self->held_bytes,
                 zhashx_size (self->worker_table));
}

void
gw_publish_metrics (broker_t *self)
{
    jm_probe_t *probe = self->settings.probe;
    if (!probe)
        return;
    char *text = gw_stats_json (self);
    json_t *stats = json_loads (text, 0, NULL);
    free (text);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_prom_gateway_stats (&out, stats);
    json_decref (stats);
    jm_prom_help (&out, "jobmatch_request_duration_seconds", "histogram",
                  "from a request's last dispatch to a worker to its reply, by service");
    for (service_t *service = zhashx_first (self->services); service;
         service = zhashx_next (self->services))
        jm_prom_histogram_render (&out, "jobmatch_request_duration_seconds", "service",
                                  service->name, &service->latency);
    jm_probe_publish (probe, out.data? out.data: "");
    jm_buf_free (&out);
    jm_probe_set_ready (probe, self->draining? "stopping: new requests are answered unavailable"
                                             : NULL);
}
