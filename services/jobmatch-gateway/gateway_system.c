/*  gateway_system: jobmatch.system, the gateway seen from inside, as queue
    dashboards show it (Sidekiq's Busy, Enqueued, Retries and Dead; BullMQ's
    job counts and failed set).  One JSON document: each worker (a short
    id, its service, the name it gave in READY, slots, busy, when it was
    last heard and when it expires), each service's queue (depth, the
    oldest wait), the counters of dispatches and re-dispatches, and the
    ring of the last FAILURES_KEPT failed requests: when, which service,
    which error code, after how many dispatches, a prefix of the client's
    routing id, who answered.  Never a body: no candidate text ever gets
    here.  Read by `jobmatch status` and the dashboard's /api/v1/system.
    Part of the gateway broker; see gateway_internal.h.                    */
#include "gateway_internal.h"
#include "jm_alloc.h"

#include <jansson.h>

#define WORKERS_LISTED_MAX  1000    //  workers in one document; workers_total counts all
#define WORKER_ID_HEX       16      //  hex digits of a worker's routing id shown
#define OLDEST_SCAN_MAX     64      //  queued requests looked at for the oldest wait


//  --------------------------------------------------------------------------
//  Failed requests

void
gw_system_failure (broker_t *self, zframe_t *client, const void *service, size_t service_size,
                   const char *code, int attempts, const char *source)
{
    char client_hex [JM_FAILURE_CLIENT_SIZE] = "";
    if (client)
        gw_frame_hex (client, client_hex, sizeof client_hex);
    //  The ring cleans what is not printable
    jm_failures_add (self->failures, zclock_time (), service, service? service_size: 0, code,
                     attempts, client_hex, source);
}

void
gw_system_check_reply (broker_t *self, request_t *request, zframe_t **body, size_t body_size)
{
    char code [JM_FAILURE_CODE_SIZE];
    if (body_size == 0
    || !jm_failures_reply_code (zframe_data (body [0]), zframe_size (body [0]), code,
                                sizeof code))
        return;
    self->counters.worker_errors++;
    const char *name = request->service->name;
    gw_system_failure (self, request->client, name, strlen (name), code, request->attempts,
                       "worker");
}


//  --------------------------------------------------------------------------
//  The document

static void
s_set (json_t *object, const char *key, json_t *value)
{
    if (json_object_set_new (object, key, value))   //  keys are ours: fails only when out of memory
        jm_alloc_check (NULL, "JSON member");
}

static void
s_set_count (json_t *object, const char *key, uint64_t value)
{
    s_set (object, key, json_integer ((json_int_t) value));
}

static void
s_append (json_t *array, json_t *value)
{
    if (json_array_append_new (array, value))
        jm_alloc_check (NULL, "JSON array element");
}

//  How long the longest-waiting of a service's first queued requests has
//  waited, in ms since the gateway received it; -1 when none waits.
//  Re-queued requests go back to the front, so the oldest is among the
//  first few.
static int64_t
s_oldest_wait_ms (broker_t *self, service_t *service)
{
    int64_t now_us = gw_now_us ();
    int64_t oldest = -1;
    size_t looked = 0;
    for (request_t *request = service->queue.head; request && looked < OLDEST_SCAN_MAX;
         request = request->next, looked++) {
        int64_t waited = (now_us - request->received_us) / 1000;
        if (waited > oldest)
            oldest = waited < 0? 0: waited;
    }
    return oldest;
}

static int
s_compare_names (const void *one, const void *two)
{
    const service_t *const *first = one;
    const service_t *const *second = two;
    return strcmp ((*first)->name, (*second)->name);
}

//  The services, sorted by name, as an array.
static service_t **
s_services_sorted (broker_t *self, size_t *count_p)
{
    size_t count = zhashx_size (self->services);
    service_t **services = jm_calloc (count + 1, sizeof *services);
    size_t index = 0;
    for (service_t *service = zhashx_first (self->services); service && index < count;
         service = zhashx_next (self->services))
        services [index++] = service;
    qsort (services, index, sizeof *services, s_compare_names);
    *count_p = index;
    return services;
}

static json_t *
s_worker_json (broker_t *self, worker_t *worker)
{
    json_t *entry = json_object ();
    char id [WORKER_ID_HEX + 1];
    snprintf (id, sizeof id, "%s", worker->key);
    s_set (entry, "id", json_string (id));
    s_set (entry, "service", json_string (worker->service->name));
    s_set (entry, "name", *worker->name? json_string (worker->name): json_null ());
    s_set (entry, "slots", json_integer (worker->slots));
    s_set (entry, "slots_max", json_integer (worker->slots_max));
    s_set (entry, "busy", json_integer (worker->busy));
    s_set (entry, "heartbeat_ms", json_integer (worker->heartbeat_ms));
    s_set (entry, "last_heard_ms", json_integer (self->now_ms - worker->heard_ms));
    int64_t expires_in = worker->expires_at - self->now_ms;
    s_set (entry, "expires_in_ms", json_integer (expires_in > 0? expires_in: 0));
    s_set (entry, "up_ms", json_integer (self->now_ms - worker->joined_ms));
    return entry;
}

//  Fills the "services" and "workers" arrays of the document.
static void
s_services_and_workers (broker_t *self, json_t *root)
{
    size_t count = 0;
    service_t **services = s_services_sorted (self, &count);
    json_t *service_list = json_array ();
    json_t *worker_list = json_array ();
    size_t listed = 0;
    for (size_t index = 0; index < count; index++) {
        service_t *service = services [index];
        size_t busy = 0;
        for (worker_t *worker = service->workers; worker; worker = worker->next) {
            busy += (size_t) worker->busy;
            if (listed < WORKERS_LISTED_MAX) {
                s_append (worker_list, s_worker_json (self, worker));
                listed++;
            }
        }
        json_t *entry = json_object ();
        s_set (entry, "name", json_string (service->name));
        s_set_count (entry, "workers", service->worker_count);
        s_set_count (entry, "slots", service->slot_count);
        s_set_count (entry, "busy", busy);
        s_set_count (entry, "queued", service->queue.size);
        int64_t oldest = s_oldest_wait_ms (self, service);
        s_set (entry, "oldest_wait_ms", oldest < 0? json_null (): json_integer (oldest));
        s_set_count (entry, "dispatched", service->dispatched);
        s_set_count (entry, "redispatched", service->redispatched);
        s_append (service_list, entry);
    }
    free (services);
    s_set (root, "services", service_list);
    s_set (root, "workers", worker_list);
    s_set_count (root, "workers_total", zhashx_size (self->worker_table));
}

//  The whole document, with the newest failures_wanted failures.
static char *
s_system_json (broker_t *self, size_t failures_wanted)
{
    counters_t *counters = &self->counters;
    settings_t *settings = &self->settings;
    json_t *root = json_object ();
    s_set (root, "ok", json_true ());
    s_set (root, "version", json_string (JM_VERSION));
    s_set (root, "uptime_s", json_real ((double) (zclock_mono () - self->started_ms) / 1000.0));
    s_set (root, "draining", json_boolean (self->draining));

    json_t *limits = json_object ();
    s_set_count (limits, "queue_max", settings->queue_max);
    s_set_count (limits, "held_bytes_max", settings->held_bytes_max);
    s_set_count (limits, "client_queue_max", settings->client_queue_max);
    s_set (limits, "max_attempts", json_integer (settings->max_attempts));
    s_set (limits, "request_timeout_ms", json_integer (settings->request_timeout_ms));
    s_set (limits, "no_worker_wait_ms", json_integer (settings->no_worker_wait_ms));
    s_set (limits, "heartbeat_ms", json_integer (settings->heartbeat_ms));
    s_set (limits, "liveness", json_integer (settings->liveness));
    s_set (root, "limits", limits);

    json_t *held = json_object ();
    s_set_count (held, "queued", self->queued);
    s_set_count (held, "in_flight", self->in_flight);
    s_set_count (held, "bytes", self->held_bytes);
    s_set_count (held, "clients", zhashx_size (self->client_table));
    s_set (root, "held", held);

    json_t *counts = json_object ();
    s_set_count (counts, "requests", counters->requests);
    s_set_count (counts, "replies", counters->replies);
    s_set_count (counts, "dispatched", counters->dispatches);
    s_set_count (counts, "redispatched", counters->redispatches);
    s_set_count (counts, "timeouts", counters->timeouts);
    s_set_count (counts, "busy", counters->busy);
    s_set_count (counts, "no_workers", counters->no_workers);
    s_set_count (counts, "worker_lost", counters->worker_lost);
    s_set_count (counts, "worker_errors", counters->worker_errors);
    s_set_count (counts, "workers_joined", counters->workers_joined);
    s_set_count (counts, "workers_expired", counters->workers_expired);
    s_set_count (counts, "workers_timed_out", counters->workers_timed_out);
    s_set_count (counts, "failed", jm_failures_total (self->failures));
    s_set (root, "counters", counts);

    s_services_and_workers (self, root);

    json_t *failures = json_object ();
    s_set_count (failures, "total", jm_failures_total (self->failures));
    s_set_count (failures, "kept", FAILURES_KEPT);
    s_set (failures, "recent", jm_failures_json (self->failures, failures_wanted, zclock_time ()));
    s_set (root, "failures", failures);

    char *text = jm_alloc_check (json_dumps (root, JSON_COMPACT | JSON_REAL_PRECISION (6)),
                                 "JSON text");
    json_decref (root);
    return text;
}


//  --------------------------------------------------------------------------
//  The request

//  Reads a jobmatch.system request: no body, or one frame that
//  jm_failures_request_parse takes.  Returns 0 with *wanted set, or -1
//  with the problem in err.
static int
s_parse_request (jm_mdp_client_msg_t *request, size_t *wanted, jm_error_t *err)
{
    *wanted = FAILURES_KEPT;
    if (request->body_size == 0)
        return 0;
    if (request->body_size > 1)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "the body is %zu frames; jobmatch.system takes one",
                             request->body_size);
    zframe_t *body = request->body [0];
    return jm_failures_request_parse (zframe_data (body), zframe_size (body), FAILURES_KEPT,
                                      wanted, err);
}

char *
gw_system_json (broker_t *self, jm_mdp_client_msg_t *request, jm_error_t *err)
{
    size_t wanted = 0;
    if (s_parse_request (request, &wanted, err))
        return NULL;
    return s_system_json (self, wanted);
}
