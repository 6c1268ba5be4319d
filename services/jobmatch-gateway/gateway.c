/*  gateway: the jobmatch Majordomo broker.  See gateway.h and
    proto/protocol.md.

    How it holds things.  Every request a client sends becomes a request_t
    that lives until it is answered exactly once: by its worker's reply, or
    by an error from the gateway.  A request is always in exactly one list:
    its service's queue (waiting) or its worker's in-flight list.  While in
    flight it is also in the tokens table under the dispatch token it was
    sent with; a new token is drawn for every dispatch, so a reply carrying
    an old token finds nothing and is dropped.

    A service (by name) holds its queue, its workers and a ring of the
    workers that have free slots; dispatch takes the head of the ring and
    moves it to the back, so workers with free slots take turns.  Services
    are created by the first request or READY naming them and deleted when
    they have no workers and no requests.

    Requests held (waiting + in flight) are capped at queue-max; past that
    new requests are answered busy.  Waiting requests of a service with no
    workers are answered no_workers once they have waited no-worker-wait-ms.

    Every lookup on the message path is a hash (tokens, worker identities,
    service names) or a list head; the only scans are over workers and
    services, once per tick.                                               */
#include "gateway.h"
#include "jm_log.h"
#include "jm_mdp.h"

#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <malloc.h>
#include <stdarg.h>

#ifndef JM_VERSION
#   define JM_VERSION "unknown"
#endif

#define DRAIN_MAX           1000    //  messages read per socket per wake-up
#define WARNINGS_PER_SECOND 10      //  malformed-input warnings logged per second
#define SUMMARY_MS          60000   //  how often to log a summary when busy
#define HEX_MAX             (JM_MDP_SERVICE_MAX * 2 + 1)
#define TRIM_HELD_MIN       1000    //  requests held at once that make a drained queue worth trimming

//  Upper bounds of the latency histogram buckets, in microseconds; one more
//  bucket counts everything slower.
static const int64_t s_latency_bounds [] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
};
#define LATENCY_BUCKETS (sizeof s_latency_bounds / sizeof s_latency_bounds [0] + 1)

typedef struct {
    char *clients;
    char *workers;
    int heartbeat_ms;
    int liveness;
    int max_attempts;
    int no_worker_wait_ms;
    size_t queue_max;
    size_t max_body;
} settings_t;

typedef struct _request_t request_t;
typedef struct _worker_t worker_t;
typedef struct _service_t service_t;

typedef struct {
    request_t *head;
    request_t *tail;
    size_t size;
} request_list_t;

struct _request_t {
    request_t *prev, *next;     //  in its service's queue or its worker's in-flight list
    uint64_t token;             //  current dispatch token; key in tokens while in flight
    zframe_t *client;           //  client routing id
    zframe_t *request_id;
    zframe_t *body;             //  kept for re-dispatch
    service_t *service;
    worker_t *worker;           //  set while in flight
    int attempts;               //  dispatches so far
    int64_t received_us;        //  for the latency histogram
    int64_t queued_ms;          //  when it (re)entered the queue
};

struct _worker_t {
    zframe_t *identity;         //  routing id at the workers socket
    char *key;                  //  identity in hex, key in workers table
    service_t *service;
    int slots;
    int busy;
    int64_t expires_at;
    request_list_t in_flight;
    worker_t *prev, *next;      //  in its service's worker list
    worker_t *ready_prev, *ready_next;  //  in its service's ready ring
    bool ready;                 //  in the ready ring (has free slots)
};

struct _service_t {
    char *name;
    request_list_t queue;
    worker_t *workers;          //  all workers, for stats and counting
    size_t worker_count;
    size_t slot_count;
    worker_t *ready_head, *ready_tail;
    size_t in_flight;
    int64_t no_workers_since;   //  when it last had no workers
};

typedef struct {
    uint64_t requests;          //  well-formed requests, built-ins included
    uint64_t replies;           //  worker replies delivered
    uint64_t builtin;           //  answered by mmi.* and jobmatch.stats
    uint64_t no_workers, busy, too_large, worker_lost, invalid_request;
    uint64_t redispatches;
    uint64_t late_replies;      //  replies whose request was re-dispatched or answered
    uint64_t dropped_client;    //  malformed client messages dropped unanswered
    uint64_t dropped_worker;    //  malformed worker messages
    uint64_t workers_joined, workers_left, workers_expired;
    uint64_t latency [LATENCY_BUCKETS];
    uint64_t latency_count;
    uint64_t latency_sum_us;
} counters_t;

typedef struct {
    zsock_t *pipe;
    zloop_t *loop;
    zsock_t *clients;           //  ROUTER
    zsock_t *workers;           //  ROUTER
    settings_t settings;
    zhashx_t *services;         //  name -> service_t
    zhashx_t *worker_table;     //  identity hex -> worker_t
    zhashx_t *tokens;           //  &request->token -> request_t, while in flight
    uint32_t epoch;             //  first 4 bytes of every token of this run
    uint64_t next_token;
    size_t held;                //  requests waiting or in flight
    size_t held_peak;           //  most held at once since memory was last trimmed
    size_t queued;
    size_t in_flight;
    int64_t now_ms;             //  monotonic, read once per wake-up
    int64_t started_ms;
    int64_t heartbeat_at;
    int64_t summary_at;
    uint64_t summary_requests;  //  requests at the last summary
    int64_t warn_second;
    int warn_count;
    uint64_t warnings_suppressed;
    counters_t counters;
} broker_t;


//  --------------------------------------------------------------------------
//  Small helpers

static int64_t
s_now_us (void)
{
    return zclock_usecs ();
}

//  Logs a warning about bad input, at most WARNINGS_PER_SECOND a second so
//  a misbehaving peer cannot flood the log; the rest are counted.
static void
s_warn (broker_t *self, const char *format, ...)
{
    int64_t second = self->now_ms / 1000;
    if (second != self->warn_second) {
        self->warn_second = second;
        self->warn_count = 0;
    }
    if (self->warn_count++ >= WARNINGS_PER_SECOND) {
        self->warnings_suppressed++;
        return;
    }
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    jm_log_warning ("%s", text);
}

//  Writes a peer-supplied frame as printable text for a log or error
//  message: at most 32 bytes, other bytes as '?'.
static const char *
s_printable (zframe_t *frame, char *buffer, size_t size)
{
    const byte *data = zframe_data (frame);
    size_t length = zframe_size (frame);
    size_t out = 0;
    for (size_t index = 0; index < length && index < 32 && out + 4 < size; index++)
        buffer [out++] = data [index] >= 0x20 && data [index] < 0x7f? (char) data [index]: '?';
    if (length > 32 && out + 4 < size)
        buffer [out++] = '.', buffer [out++] = '.', buffer [out++] = '.';
    buffer [out] = 0;
    return buffer;
}

static const char *
s_frame_hex (zframe_t *frame, char *buffer, size_t size)
{
    return jm_mdp_hex (zframe_data (frame), zframe_size (frame), buffer, size);
}

static void
s_list_append (request_list_t *list, request_t *request)
{
    request->prev = list->tail;
    request->next = NULL;
    if (list->tail)
        list->tail->next = request;
    else
        list->head = request;
    list->tail = request;
    list->size++;
}

static void
s_list_prepend (request_list_t *list, request_t *request)
{
    request->prev = NULL;
    request->next = list->head;
    if (list->head)
        list->head->prev = request;
    else
        list->tail = request;
    list->head = request;
    list->size++;
}

static void
s_list_remove (request_list_t *list, request_t *request)
{
    if (request->prev)
        request->prev->next = request->next;
    else
        list->head = request->next;
    if (request->next)
        request->next->prev = request->prev;
    else
        list->tail = request->prev;
    request->prev = request->next = NULL;
    assert (list->size > 0);
    list->size--;
}

//  Tokens are 64-bit counters; the table keys on a pointer to the request's
//  own token field.
static size_t
s_token_hash (const void *key)
{
    uint64_t token = *(const uint64_t *) key;
    return (size_t) (token ^ (token >> 32));
}

static int
s_token_compare (const void *key_1, const void *key_2)
{
    return *(const uint64_t *) key_1 != *(const uint64_t *) key_2;
}

//  The wire form of a token: epoch (4 bytes) then counter (8 bytes), big-endian.
static void
s_token_encode (broker_t *self, uint64_t token, byte data [JM_MDP_TOKEN_SIZE])
{
    for (int index = 0; index < 4; index++)
        data [index] = (byte) (self->epoch >> (24 - 8 * index));
    for (int index = 0; index < 8; index++)
        data [4 + index] = (byte) (token >> (56 - 8 * index));
}

//  Returns the counter of a token of this run, or 0 (never issued).
static uint64_t
s_token_decode (broker_t *self, zframe_t *frame)
{
    if (zframe_size (frame) != JM_MDP_TOKEN_SIZE)
        return 0;
    const byte *data = zframe_data (frame);
    uint32_t epoch = 0;
    uint64_t token = 0;
    for (int index = 0; index < 4; index++)
        epoch = (epoch << 8) | data [index];
    for (int index = 4; index < JM_MDP_TOKEN_SIZE; index++)
        token = (token << 8) | data [index];
    return epoch == self->epoch? token: 0;
}


//  --------------------------------------------------------------------------
//  Replies to clients

//  Sends [client, "", MDPC01, service, request-id, body] to a client: the
//  body is the frame body_frame when not NULL (shared, not copied), else
//  body_text.  A NULL request_id sends an empty one.
static void
s_client_send (broker_t *self, zframe_t *client, const void *service, size_t service_size,
               zframe_t *request_id, zframe_t *body_frame, const char *body_text)
{
    jm_mdp_part_t parts [] = {
        { zframe_data (client), zframe_size (client) }, { "", 0 }, { JM_MDPC, 6 },
        { service, service_size },
        { request_id? zframe_data (request_id): NULL, request_id? zframe_size (request_id): 0 },
        { body_text, body_text? strlen (body_text): 0 }
    };
    //  A ROUTER never blocks: a reply to a client that has gone is dropped
    jm_mdp_send (self->clients, parts, body_frame? 5: 6, body_frame);
}

static void
s_client_send_text (broker_t *self, zframe_t *client, const char *service,
                    zframe_t *request_id, const char *text)
{
    s_client_send (self, client, service, strlen (service), request_id, NULL, text);
}

//  Counts an error reply of this code.
static void
s_count_error (broker_t *self, const char *code)
{
    if (streq (code, JM_ERR_NO_WORKERS))
        self->counters.no_workers++;
    else
    if (streq (code, JM_ERR_BUSY))
        self->counters.busy++;
    else
    if (streq (code, JM_ERR_TOO_LARGE))
        self->counters.too_large++;
    else
    if (streq (code, JM_ERR_WORKER_LOST))
        self->counters.worker_lost++;
    else
    if (streq (code, JM_ERR_INVALID_REQUEST))
        self->counters.invalid_request++;
}

//  Sends an error reply {"ok": false, "error": {...}} to a client.
static void
s_client_send_error (broker_t *self, zframe_t *client, const void *service, size_t service_size,
                     zframe_t *request_id, const char *code, const char *format, ...)
{
    char message [JM_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    char *text = jm_mdp_error_body (code, message);
    s_client_send (self, client, service, service_size, request_id, NULL, text);
    free (text);
    s_count_error (self, code);
}


//  --------------------------------------------------------------------------
//  Requests

static void
s_request_destroy (broker_t *self, request_t **request_p)
{
    request_t *request = *request_p;
    zframe_destroy (&request->client);
    zframe_destroy (&request->request_id);
    zframe_destroy (&request->body);
    free (request);
    *request_p = NULL;
    assert (self->held > 0);
    self->held--;
}

//  Answers a request (not in any list) with an error and destroys it.
static void
s_request_fail (broker_t *self, request_t **request_p, const char *code, const char *message)
{
    request_t *request = *request_p;
    const char *name = request->service->name;
    s_client_send_error (self, request->client, name, strlen (name), request->request_id,
                         code, "%s", message);
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char client [HEX_MAX];
        char id [64];
        jm_log_debug ("request %s from %s for '%s' answered %s",
                      s_printable (request->request_id, id, sizeof id),
                      s_frame_hex (request->client, client, sizeof client), name, code);
    }
    s_request_destroy (self, request_p);
}


//  --------------------------------------------------------------------------
//  Services

static service_t *
s_service_require (broker_t *self, const char *name)
{
    service_t *service = zhashx_lookup (self->services, name);
    if (!service) {
        service = calloc (1, sizeof *service);
        assert (service);
        service->name = strdup (name);
        assert (service->name);
        service->no_workers_since = self->now_ms;
        zhashx_insert (self->services, name, service);
    }
    return service;
}

static void
s_ready_append (service_t *service, worker_t *worker)
{
    assert (!worker->ready);
    worker->ready = true;
    worker->ready_prev = service->ready_tail;
    worker->ready_next = NULL;
    if (service->ready_tail)
        service->ready_tail->ready_next = worker;
    else
        service->ready_head = worker;
    service->ready_tail = worker;
}

static void
s_ready_remove (service_t *service, worker_t *worker)
{
    if (!worker->ready)
        return;
    if (worker->ready_prev)
        worker->ready_prev->ready_next = worker->ready_next;
    else
        service->ready_head = worker->ready_next;
    if (worker->ready_next)
        worker->ready_next->ready_prev = worker->ready_prev;
    else
        service->ready_tail = worker->ready_prev;
    worker->ready_prev = worker->ready_next = NULL;
    worker->ready = false;
}

//  Sends one waiting request to a worker with a free slot, under a new token.
static void
s_request_dispatch (broker_t *self, request_t *request, worker_t *worker)
{
    service_t *service = request->service;
    request->token = ++self->next_token;
    request->attempts++;
    request->worker = worker;
    int rc = zhashx_insert (self->tokens, &request->token, request);
    assert (rc == 0);
    s_list_append (&worker->in_flight, request);
    worker->busy++;
    service->in_flight++;
    self->queued--;
    self->in_flight++;

    byte token [JM_MDP_TOKEN_SIZE];
    s_token_encode (self, request->token, token);
    byte command = JM_MDPW_REQUEST;
    jm_mdp_part_t parts [] = {
        { zframe_data (worker->identity), zframe_size (worker->identity) }, { "", 0 },
        { JM_MDPW, 6 }, { &command, 1 }, { token, sizeof token }, { "", 0 }
    };
    //  The body is shared with the request, which keeps it for a re-dispatch
    jm_mdp_send (self->workers, parts, 6, request->body);
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char id [64];
        jm_log_debug ("request %s for '%s' dispatched to %s (attempt %d)",
                      s_printable (request->request_id, id, sizeof id), service->name,
                      worker->key, request->attempts);
    }
}

//  Hands waiting requests to workers with free slots, taking turns.
static void
s_service_dispatch (broker_t *self, service_t *service)
{
    while (service->queue.head && service->ready_head) {
        worker_t *worker = service->ready_head;
        request_t *request = service->queue.head;
        s_list_remove (&service->queue, request);
        s_request_dispatch (self, request, worker);
        s_ready_remove (service, worker);
        if (worker->busy < worker->slots)
            s_ready_append (service, worker);
    }
}

//  Answers no_workers to the requests that have waited long enough for a
//  service without workers.  The queue is in waiting order, so this stops
//  at the first request still within its wait.
static void
s_service_expire_waiting (broker_t *self, service_t *service)
{
    if (service->worker_count > 0)
        return;
    int64_t wait = self->settings.no_worker_wait_ms;
    while (service->queue.head) {
        request_t *request = service->queue.head;
        int64_t since = request->queued_ms > service->no_workers_since?
                        request->queued_ms: service->no_workers_since;
        if (since + wait > self->now_ms)
            break;
        s_list_remove (&service->queue, request);
        self->queued--;
        char message [128];
        snprintf (message, sizeof message, "no worker for service '%.64s' within %d ms",
                  service->name, self->settings.no_worker_wait_ms);
        s_request_fail (self, &request, JM_ERR_NO_WORKERS, message);
    }
}

static void
s_service_destroy (service_t **service_p)
{
    service_t *service = *service_p;
    free (service->name);
    free (service);
    *service_p = NULL;
}


//  --------------------------------------------------------------------------
//  Workers

//  Sends a command with no body to a worker identity.
static void
s_worker_send_command (broker_t *self, zframe_t *identity, byte command)
{
    jm_mdp_part_t parts [] = {
        { zframe_data (identity), zframe_size (identity) }, { "", 0 }, { JM_MDPW, 6 },
        { &command, 1 }
    };
    jm_mdp_send (self->workers, parts, 4, NULL);
}

//  Removes a worker, sending it DISCONNECT when disconnect is true.  Its
//  requests go back to the front of their queue in their order, or are
//  answered worker_lost when they have had max-attempts dispatches.
static void
s_worker_delete (broker_t *self, worker_t **worker_p, bool disconnect, const char *reason)
{
    worker_t *worker = *worker_p;
    service_t *service = worker->service;
    if (disconnect)
        s_worker_send_command (self, worker->identity, JM_MDPW_DISCONNECT);

    s_ready_remove (service, worker);
    if (worker->prev)
        worker->prev->next = worker->next;
    else
        service->workers = worker->next;
    if (worker->next)
        worker->next->prev = worker->prev;
    service->worker_count--;
    service->slot_count -= (size_t) worker->slots;
    if (service->worker_count == 0)
        service->no_workers_since = self->now_ms;

    size_t failed = 0;
    request_list_t requeue = { NULL, NULL, 0 };
    while (worker->in_flight.head) {
        request_t *request = worker->in_flight.head;
        s_list_remove (&worker->in_flight, request);
        zhashx_delete (self->tokens, &request->token);
        request->worker = NULL;
        service->in_flight--;
        self->in_flight--;
        if (request->attempts >= self->settings.max_attempts) {
            char message [128];
            snprintf (message, sizeof message, "dispatched %d time%s; the worker was lost "
                      "each time", request->attempts, request->attempts == 1? "": "s");
            s_request_fail (self, &request, JM_ERR_WORKER_LOST, message);
            failed++;
        }
        else {
            request->queued_ms = self->now_ms;
            s_list_append (&requeue, request);
        }
    }
    //  They go first, in the order they were dispatched
    size_t requeued = requeue.size;
    while (requeue.tail) {
        request_t *request = requeue.tail;
        s_list_remove (&requeue, request);
        s_list_prepend (&service->queue, request);
    }
    self->queued += requeued;
    self->counters.redispatches += requeued;
    jm_log_info ("worker %s %s service '%s' (%d slots, %d busy): %zu requests re-queued, "
                 "%zu answered worker_lost; %zu workers left",
                 worker->key, reason, service->name, worker->slots, worker->busy,
                 requeued, failed, service->worker_count);
    zhashx_delete (self->worker_table, worker->key);
    zframe_destroy (&worker->identity);
    free (worker->key);
    free (worker);
    *worker_p = NULL;
    s_service_dispatch (self, service);
}

//  Service names are 1..255 printable ASCII characters without spaces, so
//  they are safe in logs, JSON and error messages.
static bool
s_service_name_ok (zframe_t *name)
{
    size_t size = zframe_size (name);
    const byte *data = zframe_data (name);
    if (size == 0 || size > JM_MDP_SERVICE_MAX)
        return false;
    for (size_t index = 0; index < size; index++)
        if (data [index] <= 0x20 || data [index] >= 0x7f)
            return false;
    return true;
}

//  A service name that workers may not take: the gateway answers these.
static bool
s_service_reserved (zframe_t *name)
{
    size_t prefix = strlen (JM_MDP_MMI_PREFIX);
    return (zframe_size (name) >= prefix
            && memcmp (zframe_data (name), JM_MDP_MMI_PREFIX, prefix) == 0)
        || zframe_streq (name, JM_MDP_STATS_SERVICE);
}

//  READY: [service, extension*].  Registers the worker, replacing an earlier
//  registration of the same identity (its requests are re-dispatched).
static void
s_worker_ready (broker_t *self, worker_t *worker, zframe_t *identity, const char *key,
                zmsg_t *msg)
{
    zframe_t *name = zmsg_next (msg);
    const char *problem = NULL;
    char problem_text [128];
    int slots = 1;
    if (!name || !s_service_name_ok (name))
        problem = "READY without a valid service name (1..255 printable ASCII, no spaces)";
    else
    if (s_service_reserved (name))
        problem = "READY for a reserved service name";
    for (zframe_t *frame = zmsg_next (msg); frame && !problem; frame = zmsg_next (msg)) {
        static const char prefix [] = "slots=";
        if (zframe_size (frame) >= sizeof prefix - 1
        &&  memcmp (zframe_data (frame), prefix, sizeof prefix - 1) == 0) {
            jm_error_t err;
            jm_error_clear (&err);
            slots = jm_mdp_slots_parse (zframe_data (frame), zframe_size (frame), &err);
            if (slots < 0) {
                snprintf (problem_text, sizeof problem_text, "READY: %.100s", err.message);
                problem = problem_text;
            }
        }
        //  Other extension frames are ignored, for forward compatibility
    }
    if (worker)
        s_worker_delete (self, &worker, false, "re-announced itself; left");
    if (problem) {
        self->counters.dropped_worker++;
        s_warn (self, "worker %s: %s; disconnected", key, problem);
        s_worker_send_command (self, identity, JM_MDPW_DISCONNECT);
        return;
    }
    char *service_name = zframe_strdup (name);
    service_t *service = s_service_require (self, service_name);
    free (service_name);

    worker = calloc (1, sizeof *worker);
    assert (worker);
    worker->identity = zframe_dup (identity);
    worker->key = strdup (key);
    assert (worker->key);
    worker->service = service;
    worker->slots = slots;
    worker->expires_at = self->now_ms
                       + (int64_t) self->settings.heartbeat_ms * self->settings.liveness;
    worker->next = service->workers;
    if (service->workers)
        service->workers->prev = worker;
    service->workers = worker;
    service->worker_count++;
    service->slot_count += (size_t) slots;
    s_ready_append (service, worker);
    zhashx_insert (self->worker_table, worker->key, worker);
    self->counters.workers_joined++;
    jm_log_info ("worker %s joined service '%s' with %d slot%s; %zu workers, %zu slots, "
                 "%zu requests waiting", worker->key, service->name, slots, slots == 1? "": "s",
                 service->worker_count, service->slot_count, service->queue.size);
    s_service_dispatch (self, service);
}

static void
s_record_latency (broker_t *self, int64_t micros)
{
    size_t bucket = 0;
    while (bucket < LATENCY_BUCKETS - 1 && micros > s_latency_bounds [bucket])
        bucket++;
    self->counters.latency [bucket]++;
    self->counters.latency_count++;
    self->counters.latency_sum_us += (uint64_t) (micros > 0? micros: 0);
}

//  REPLY: [token, "", body].  Routes the body to the client when the token
//  is one this worker holds; drops it otherwise (a late reply).
static void
s_worker_reply (broker_t *self, worker_t *worker, zmsg_t *msg)
{
    zframe_t *token_frame = zmsg_next (msg);
    zframe_t *delimiter = zmsg_next (msg);
    zframe_t *body = zmsg_next (msg);
    if (!body || zmsg_next (msg) || zframe_size (delimiter) != 0) {
        self->counters.dropped_worker++;
        s_warn (self, "worker %s: malformed REPLY (%zu frames); disconnected",
                worker->key, zmsg_size (msg));
        s_worker_delete (self, &worker, true, "sent a malformed REPLY; left");
        return;
    }
    uint64_t token = s_token_decode (self, token_frame);
    request_t *request = token? zhashx_lookup (self->tokens, &token): NULL;
    if (!request || request->worker != worker) {
        self->counters.late_replies++;
        jm_log_debug ("worker %s: dropped a reply for a request it no longer holds", worker->key);
        return;
    }
    service_t *service = worker->service;
    zhashx_delete (self->tokens, &request->token);
    s_list_remove (&worker->in_flight, request);
    worker->busy--;
    service->in_flight--;
    self->in_flight--;
    if (!worker->ready)
        s_ready_append (service, worker);

    s_client_send (self, request->client, service->name, strlen (service->name),
                   request->request_id, body, NULL);
    self->counters.replies++;
    s_record_latency (self, s_now_us () - request->received_us);
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char id [64];
        jm_log_debug ("request %s for '%s' answered by %s",
                      s_printable (request->request_id, id, sizeof id), service->name,
                      worker->key);
    }
    s_request_destroy (self, &request);
    s_service_dispatch (self, service);
}

//  One message from the workers socket: [identity, "", MDPW01, command, ...].
static void
s_worker_message (broker_t *self, zmsg_t *msg)
{
    zframe_t *identity = zmsg_first (msg);
    zframe_t *empty = zmsg_next (msg);
    zframe_t *header = zmsg_next (msg);
    zframe_t *command = zmsg_next (msg);
    char key [HEX_MAX];
    s_frame_hex (identity, key, sizeof key);
    worker_t *worker = zhashx_lookup (self->worker_table, key);
    if (!command || zframe_size (empty) != 0 || !zframe_streq (header, JM_MDPW)
    ||  zframe_size (command) != 1) {
        self->counters.dropped_worker++;
        s_warn (self, "worker %s: dropped a message that is not MDPW01 (%zu frames)%s",
                key, zmsg_size (msg), worker? "; disconnected": "");
        if (worker)
            s_worker_delete (self, &worker, true, "sent a malformed message; left");
        return;
    }
    if (worker)
        worker->expires_at = self->now_ms
                           + (int64_t) self->settings.heartbeat_ms * self->settings.liveness;
    byte code = zframe_data (command) [0];
    if (code == JM_MDPW_READY)
        s_worker_ready (self, worker, identity, key, msg);
    else
    if (code == JM_MDPW_DISCONNECT) {
        if (worker)
            s_worker_delete (self, &worker, false, "disconnected from");
    }
    else
    if (!worker) {
        //  A worker we do not know (expired, or from before a restart):
        //  tell it to reconnect and announce itself again
        jm_log_debug ("worker %s: %s from an unknown worker; sent DISCONNECT",
                      key, jm_mdp_command_name (code));
        if (code == JM_MDPW_REPLY)
            self->counters.late_replies++;
        s_worker_send_command (self, identity, JM_MDPW_DISCONNECT);
    }
    else
    if (code == JM_MDPW_REPLY)
        s_worker_reply (self, worker, msg);
    else
    if (code != JM_MDPW_HEARTBEAT) {
        self->counters.dropped_worker++;
        s_warn (self, "worker %s: unexpected command 0x%02x; disconnected", key, code);
        s_worker_delete (self, &worker, true, "sent an unexpected command; left");
    }
}


//  --------------------------------------------------------------------------
//  Built-in services

static char *s_stats_json (broker_t *self);

//  Answers mmi.* and jobmatch.stats.  Returns true when service was one.
static bool
s_builtin (broker_t *self, zframe_t *client, zframe_t *service, zframe_t *request_id,
           zframe_t *body)
{
    char name [JM_MDP_SERVICE_MAX + 1];
    size_t size = zframe_size (service);
    memcpy (name, zframe_data (service), size);
    name [size] = 0;
    if (streq (name, JM_MDP_STATS_SERVICE)) {
        char *text = s_stats_json (self);
        s_client_send_text (self, client, name, request_id, text);
        free (text);
    }
    else
    if (streq (name, JM_MDP_MMI_SERVICE)) {
        char *wanted = zframe_strdup (body);
        service_t *target = zhashx_lookup (self->services, wanted);
        free (wanted);
        s_client_send_text (self, client, name, request_id,
                            target && target->worker_count > 0? "200": "404");
    }
    else
    if (strncmp (name, JM_MDP_MMI_PREFIX, strlen (JM_MDP_MMI_PREFIX)) == 0)
        s_client_send_text (self, client, name, request_id, "501");
    else
        return false;
    self->counters.builtin++;
    return true;
}


//  --------------------------------------------------------------------------
//  Client requests

//  Checks a client message [identity, "", MDPC01, service, request-id, body]
//  and answers what is wrong with it.  Returns true when it is well formed;
//  then *service_p, *request_id_p and *body_p point at its frames.
static bool
s_client_check (broker_t *self, zmsg_t *msg, zframe_t **service_p, zframe_t **request_id_p,
                zframe_t **body_p)
{
    zframe_t *client = zmsg_first (msg);
    char client_hex [HEX_MAX];
    s_frame_hex (client, client_hex, sizeof client_hex);
    zframe_t *frames [5] = { NULL };     //  header, service, request-id, body, extra
    zframe_t *first = zmsg_next (msg);
    bool delimited = first && zframe_size (first) == 0;
    if (!first || (!delimited && !zframe_streq (first, JM_MDPC))) {
        self->counters.dropped_client++;
        s_warn (self, "client %s: dropped a message without an empty delimiter frame "
                "(%zu frames)", client_hex, zmsg_size (msg));
        return false;
    }
    size_t count = 0;
    for (zframe_t *frame = delimited? zmsg_next (msg): first; frame; frame = zmsg_next (msg))
        if (count < 5)
            frames [count++] = frame;
        else
            count++;
    zframe_t *service = frames [1], *request_id = frames [2], *body = frames [3];
    if (!request_id) {
        self->counters.dropped_client++;
        s_warn (self, "client %s: dropped a message with no request-id frame (%zu frames)",
                client_hex, zmsg_size (msg));
        return false;
    }
    char problem [160] = "";
    char text [64];
    bool id_ok = zframe_size (request_id) >= 1
              && zframe_size (request_id) <= JM_MDP_REQUEST_ID_MAX;
    bool service_ok = s_service_name_ok (service);
    if (!zframe_streq (frames [0], JM_MDPC))
        snprintf (problem, sizeof problem, "protocol header '%s' is not '" JM_MDPC "'",
                  s_printable (frames [0], text, sizeof text));
    else
    if (!delimited)
        snprintf (problem, sizeof problem,
                  "missing the empty delimiter frame before '" JM_MDPC "'");
    else
    if (zframe_size (request_id) == 0)
        snprintf (problem, sizeof problem, "request-id is empty");
    else
    if (!id_ok)
        snprintf (problem, sizeof problem, "request-id is %zu bytes, more than %d",
                  zframe_size (request_id), JM_MDP_REQUEST_ID_MAX);
    else
    if (zframe_size (service) == 0)
        snprintf (problem, sizeof problem, "service name is empty");
    else
    if (zframe_size (service) > JM_MDP_SERVICE_MAX)
        snprintf (problem, sizeof problem, "service name is %zu bytes, more than %d",
                  zframe_size (service), JM_MDP_SERVICE_MAX);
    else
    if (!service_ok)
        snprintf (problem, sizeof problem,
                  "service name has a space or a character outside printable ASCII");
    else
    if (!body)
        snprintf (problem, sizeof problem, "missing the body frame");
    else
    if (count > 4)
        snprintf (problem, sizeof problem, "%zu frames after the body; the body is one frame",
                  count - 4);
    if (!*problem) {
        *service_p = service;
        *request_id_p = request_id;
        *body_p = body;
        return true;
    }
    //  Echo what can be echoed; an unusable request-id or service comes back empty
    s_client_send_error (self, client, service_ok? zframe_data (service): NULL,
                         service_ok? zframe_size (service): 0, id_ok? request_id: NULL,
                         JM_ERR_INVALID_REQUEST, "%s", problem);
    s_warn (self, "client %s: invalid request: %s", client_hex, problem);
    return false;
}

//  One message from the clients socket.
static void
s_client_message (broker_t *self, zmsg_t *msg)
{
    zframe_t *service_frame, *request_id, *body;
    if (!s_client_check (self, msg, &service_frame, &request_id, &body))
        return;
    zframe_t *client = zmsg_first (msg);
    self->counters.requests++;
    if (s_builtin (self, client, service_frame, request_id, body))
        return;
    const void *service_data = zframe_data (service_frame);
    size_t service_size = zframe_size (service_frame);
    if (zframe_size (body) > self->settings.max_body) {
        s_client_send_error (self, client, service_data, service_size, request_id,
                             JM_ERR_TOO_LARGE, "body is %zu bytes, more than the %zu allowed",
                             zframe_size (body), self->settings.max_body);
        return;
    }
    if (self->held >= self->settings.queue_max) {
        s_client_send_error (self, client, service_data, service_size, request_id,
                             JM_ERR_BUSY, "the gateway holds %zu requests, its limit; retry later",
                             self->held);
        return;
    }
    char *name = zframe_strdup (service_frame);
    service_t *service = s_service_require (self, name);
    free (name);

    request_t *request = calloc (1, sizeof *request);
    assert (request);
    zmsg_remove (msg, client);
    zmsg_remove (msg, request_id);
    zmsg_remove (msg, body);
    request->client = client;
    request->request_id = request_id;
    request->body = body;
    request->service = service;
    request->received_us = s_now_us ();
    request->queued_ms = self->now_ms;
    self->held++;
    if (self->held > self->held_peak)
        self->held_peak = self->held;
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char client_hex [HEX_MAX];
        char id [64];
        jm_log_debug ("request %s from %s for '%s' (%zu bytes)",
                      s_printable (request_id, id, sizeof id),
                      s_frame_hex (client, client_hex, sizeof client_hex), service->name,
                      zframe_size (body));
    }
    if (service->worker_count == 0 && self->settings.no_worker_wait_ms == 0) {
        char message [128];
        snprintf (message, sizeof message, "no worker for service '%.64s'", service->name);
        s_request_fail (self, &request, JM_ERR_NO_WORKERS, message);
        return;
    }
    s_list_append (&service->queue, request);
    self->queued++;
    s_service_dispatch (self, service);
}


//  --------------------------------------------------------------------------
//  Statistics

static void
s_json_set (json_t *object, const char *key, json_t *value)
{
    int rc = json_object_set_new (object, key, value);
    assert (rc == 0);
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
static char *
s_stats_json (broker_t *self)
{
    counters_t *counters = &self->counters;
    json_t *root = json_object ();
    json_t *errors = json_object ();
    s_json_set (errors, JM_ERR_NO_WORKERS, json_integer ((json_int_t) counters->no_workers));
    s_json_set (errors, JM_ERR_BUSY, json_integer ((json_int_t) counters->busy));
    s_json_set (errors, JM_ERR_TOO_LARGE, json_integer ((json_int_t) counters->too_large));
    s_json_set (errors, JM_ERR_WORKER_LOST, json_integer ((json_int_t) counters->worker_lost));
    s_json_set (errors, JM_ERR_INVALID_REQUEST,
                json_integer ((json_int_t) counters->invalid_request));
    json_t *dropped = json_object ();
    s_json_set (dropped, "client", json_integer ((json_int_t) counters->dropped_client));
    s_json_set (dropped, "worker", json_integer ((json_int_t) counters->dropped_worker));

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
    s_json_set (root, "queue_depth", json_integer ((json_int_t) self->queued));
    s_json_set (root, "in_flight", json_integer ((json_int_t) self->in_flight));
    s_json_set (root, "queue_max", json_integer ((json_int_t) self->settings.queue_max));
    s_json_set (root, "workers", json_integer ((json_int_t) zhashx_size (self->worker_table)));
    s_json_set (root, "workers_joined", json_integer ((json_int_t) counters->workers_joined));
    s_json_set (root, "workers_expired", json_integer ((json_int_t) counters->workers_expired));
    s_json_set (root, "services", s_stats_services (self));
    s_json_set (root, "latency", s_stats_latency (self));
    char *text = json_dumps (root, JSON_COMPACT | JSON_REAL_PRECISION (6));
    json_decref (root);
    assert (text);
    return text;
}


//  --------------------------------------------------------------------------
//  Loop handlers

static int
s_handle_clients (zloop_t *loop, zsock_t *sock, void *arg)
{
    broker_t *self = arg;
    self->now_ms = zclock_mono ();
    zmsg_t *msg;
    for (int count = 0; count < DRAIN_MAX && (msg = jm_mdp_recv_nowait (sock)); count++) {
        s_client_message (self, msg);
        zmsg_destroy (&msg);
    }
    return 0;
}

static int
s_handle_workers (zloop_t *loop, zsock_t *sock, void *arg)
{
    broker_t *self = arg;
    self->now_ms = zclock_mono ();
    zmsg_t *msg;
    for (int count = 0; count < DRAIN_MAX && (msg = jm_mdp_recv_nowait (sock)); count++) {
        s_worker_message (self, msg);
        zmsg_destroy (&msg);
    }
    return 0;
}

static int
s_handle_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    char *command = zstr_recv (pipe);
    bool stop = !command || streq (command, "$TERM");
    zstr_free (&command);
    return stop? -1: 0;
}

static void
s_log_summary (broker_t *self, const char *when)
{
    counters_t *counters = &self->counters;
    jm_log_info ("%ssummary: %" PRIu64 " requests, %" PRIu64 " replies, errors: %" PRIu64
                 " no_workers %" PRIu64 " busy %" PRIu64 " too_large %" PRIu64
                 " worker_lost %" PRIu64 " invalid_request; %" PRIu64 " re-dispatched, %"
                 PRIu64 " late replies, %" PRIu64 " dropped; %zu waiting, %zu in flight, "
                 "%zu workers", when, counters->requests, counters->replies,
                 counters->no_workers, counters->busy, counters->too_large,
                 counters->worker_lost, counters->invalid_request, counters->redispatches,
                 counters->late_replies, counters->dropped_client + counters->dropped_worker,
                 self->queued, self->in_flight, zhashx_size (self->worker_table));
}

//  The periodic timer.  Its duties, in order:
//  1. send HEARTBEAT to every worker once per heartbeat interval;
//  2. remove workers silent for liveness intervals (re-dispatching their
//     requests);
//  3. answer no_workers to requests that waited too long for a worker;
//  4. delete services with no workers and no requests;
//  5. log a summary every minute while there is traffic, and how many
//     warnings were suppressed;
//  6. once the queue has drained after a burst (TRIM_HELD_MIN or more
//     requests held at once), hand the memory they held back to the
//     system: malloc keeps freed memory otherwise, and the gateway's size
//     must follow its queue down as well as up.  Ordinary traffic, with
//     fewer requests held, never pays for trimming and faulting back.
static int
s_handle_tick (zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = arg;
    self->now_ms = zclock_mono ();

    bool heartbeat = self->now_ms >= self->heartbeat_at;
    if (heartbeat)
        self->heartbeat_at = self->now_ms + self->settings.heartbeat_ms;
    zlistx_t *expired = zlistx_new ();
    for (worker_t *worker = zhashx_first (self->worker_table); worker;
         worker = zhashx_next (self->worker_table)) {
        if (worker->expires_at <= self->now_ms)
            zlistx_add_end (expired, worker);
        else
        if (heartbeat)
            s_worker_send_command (self, worker->identity, JM_MDPW_HEARTBEAT);
    }
    for (worker_t *worker = zlistx_first (expired); worker; worker = zlistx_next (expired)) {
        self->counters.workers_expired++;
        s_worker_delete (self, &worker, true, "expired (missed heartbeats) from");
    }
    zlistx_destroy (&expired);

    zlistx_t *idle = zlistx_new ();
    for (service_t *service = zhashx_first (self->services); service;
         service = zhashx_next (self->services)) {
        s_service_expire_waiting (self, service);
        if (service->worker_count == 0 && service->queue.size == 0 && service->in_flight == 0)
            zlistx_add_end (idle, service);
    }
    for (service_t *service = zlistx_first (idle); service; service = zlistx_next (idle)) {
        zhashx_delete (self->services, service->name);
        s_service_destroy (&service);
    }
    zlistx_destroy (&idle);

    if (self->now_ms >= self->summary_at) {
        self->summary_at = self->now_ms + SUMMARY_MS;
        if (self->counters.requests != self->summary_requests) {
            self->summary_requests = self->counters.requests;
            s_log_summary (self, "");
        }
        if (self->warnings_suppressed) {
            jm_log_warning ("%" PRIu64 " more warnings about malformed input were not logged",
                            self->warnings_suppressed);
            self->warnings_suppressed = 0;
        }
    }

    if (self->held == 0 && self->held_peak >= TRIM_HELD_MIN) {
        jm_log_debug ("queue drained after holding %zu requests: trimming memory", self->held_peak);
        self->held_peak = 0;
        malloc_trim (0);
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  Construction

static zsock_t *
s_router_new (const char *endpoints, int max_message, char *error, size_t error_size)
{
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    assert (sock);
    jm_mdp_socket_defaults (sock);
    if (max_message > 0)
        zsock_set_maxmsgsize (sock, max_message);
    if (zsock_attach (sock, endpoints, true)) {
        snprintf (error, error_size, "cannot bind '%s': %s", endpoints,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

static void
s_broker_destroy (broker_t **self_p)
{
    broker_t *self = *self_p;
    if (!self)
        return;
    if (self->services) {
        //  Free what is still held: workers with their in-flight requests,
        //  then queues, then services
        for (service_t *service = zhashx_first (self->services); service;
             service = zhashx_next (self->services)) {
            while (service->workers) {
                worker_t *worker = service->workers;
                service->workers = worker->next;
                while (worker->in_flight.head) {
                    request_t *request = worker->in_flight.head;
                    s_list_remove (&worker->in_flight, request);
                    s_request_destroy (self, &request);
                }
                zframe_destroy (&worker->identity);
                free (worker->key);
                free (worker);
            }
            while (service->queue.head) {
                request_t *request = service->queue.head;
                s_list_remove (&service->queue, request);
                s_request_destroy (self, &request);
            }
        }
        for (service_t *service = zhashx_first (self->services); service;
             service = zhashx_next (self->services))
            s_service_destroy (&service);
    }
    zhashx_destroy (&self->services);
    zhashx_destroy (&self->worker_table);
    zhashx_destroy (&self->tokens);
    zloop_destroy (&self->loop);
    zsock_destroy (&self->clients);
    zsock_destroy (&self->workers);
    free (self->settings.clients);
    free (self->settings.workers);
    free (self);
    *self_p = NULL;
}

//  Creates the broker and binds its sockets.  Returns NULL with a reason in
//  error when a bind fails.
static broker_t *
s_broker_new (zsock_t *pipe, settings_t *settings, char *error, size_t error_size)
{
    //  Messages up to 32 MB come from the heap, and freed memory stays
    //  there (up to 64 MB of it) instead of a fresh mmap, and its page
    //  faults, for every large message: they cost two thirds of the
    //  gateway's CPU under batch traffic on a virtual machine.  Memory still
    //  follows the queue down: the tick trims once a burst has drained.
    mallopt (M_MMAP_THRESHOLD, 32 << 20);
    mallopt (M_TRIM_THRESHOLD, 64 << 20);
    broker_t *self = calloc (1, sizeof *self);
    assert (self);
    self->pipe = pipe;
    self->settings = *settings;
    self->settings.clients = strdup (settings->clients);
    self->settings.workers = strdup (settings->workers);
    self->now_ms = self->started_ms = zclock_mono ();
    self->heartbeat_at = self->now_ms + settings->heartbeat_ms;
    self->summary_at = self->now_ms + SUMMARY_MS;
    self->epoch = (uint32_t) random () ^ (uint32_t) zclock_usecs () ^ ((uint32_t) getpid () << 16);

    self->services = zhashx_new ();
    self->worker_table = zhashx_new ();
    self->tokens = zhashx_new ();
    assert (self->services && self->worker_table && self->tokens);
    zhashx_set_key_duplicator (self->tokens, NULL);
    zhashx_set_key_destructor (self->tokens, NULL);
    zhashx_set_key_hasher (self->tokens, s_token_hash);
    zhashx_set_key_comparator (self->tokens, s_token_compare);

    //  Let a body a little over the limit arrive so it can be answered
    //  too_large; far larger frames close the connection at the transport
    int64_t max_message = (int64_t) settings->max_body * 4 + 65536;
    self->clients = s_router_new (settings->clients,
                                  max_message > INT32_MAX? -1: (int) max_message,
                                  error, error_size);
    self->workers = self->clients? s_router_new (settings->workers, -1, error, error_size): NULL;
    if (!self->clients || !self->workers) {
        s_broker_destroy (&self);
        return NULL;
    }
    self->loop = zloop_new ();
    assert (self->loop);
    zloop_set_nonstop (self->loop, true);       //  only $TERM stops the gateway
    zloop_reader (self->loop, pipe, s_handle_pipe, self);
    zloop_reader (self->loop, self->clients, s_handle_clients, self);
    zloop_reader (self->loop, self->workers, s_handle_workers, self);
    //  Tick often enough for heartbeats and for no-worker waits to end on time
    int tick_ms = settings->heartbeat_ms / 2;
    if (settings->no_worker_wait_ms > 0 && settings->no_worker_wait_ms / 4 < tick_ms)
        tick_ms = settings->no_worker_wait_ms / 4;
    tick_ms = tick_ms < 5? 5: tick_ms > 100? 100: tick_ms;
    zloop_timer (self->loop, (size_t) tick_ms, 0, s_handle_tick, self);
    return self;
}

//  The actor: binds, reports "" or an error on the pipe, then runs the loop
//  until $TERM.
static void
s_gateway_actor (zsock_t *pipe, void *args)
{
    char error [512] = "";
    broker_t *self = s_broker_new (pipe, (settings_t *) args, error, sizeof error);
    zsock_signal (pipe, 0);
    zstr_send (pipe, self? "": error);
    if (!self)
        return;
    settings_t *settings = &self->settings;
    jm_log_info ("gateway %s ready: clients on %s, workers on %s; heartbeat %d ms x %d, "
                 "max attempts %d, no-worker wait %d ms, queue max %zu, max body %zu",
                 JM_VERSION, settings->clients, settings->workers, settings->heartbeat_ms,
                 settings->liveness, settings->max_attempts, settings->no_worker_wait_ms,
                 settings->queue_max, settings->max_body);
    zloop_start (self->loop);
    s_log_summary (self, "final ");
    s_broker_destroy (&self);
}


//  --------------------------------------------------------------------------
//  Public API

struct _jm_gateway_t {
    zactor_t *actor;
};

jm_gateway_t *
jm_gateway_new (jm_config_t *config, jm_error_t *err)
{
    assert (config);
    settings_t settings = {
        .clients = (char *) jm_config_string (config, "clients"),
        .workers = (char *) jm_config_string (config, "workers"),
        .heartbeat_ms = (int) jm_config_int (config, "heartbeat-ms"),
        .liveness = (int) jm_config_int (config, "liveness"),
        .max_attempts = (int) jm_config_int (config, "max-attempts"),
        .no_worker_wait_ms = (int) jm_config_int (config, "no-worker-wait-ms"),
        .queue_max = (size_t) jm_config_int (config, "queue-max"),
        .max_body = (size_t) jm_config_int (config, "max-body"),
    };
    zactor_t *actor = zactor_new (s_gateway_actor, &settings);
    assert (actor);
    char *error = zstr_recv (actor);
    if (!error || *error) {
        jm_error_set (err, JM_ERR_IO, "%s", error? error: "interrupted");
        zstr_free (&error);
        zactor_destroy (&actor);
        return NULL;
    }
    zstr_free (&error);
    jm_gateway_t *self = calloc (1, sizeof *self);
    assert (self);
    self->actor = actor;
    return self;
}

void
jm_gateway_destroy (jm_gateway_t **self_p)
{
    assert (self_p);
    jm_gateway_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    free (self);
    *self_p = NULL;
}
