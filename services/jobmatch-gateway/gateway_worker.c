/*  gateway_worker: the worker side of the gateway.  Handles each message
    from the workers socket (READY, REPLY, HEARTBEAT, DISCONNECT), registers
    workers with their slots (and the fewer a worker may hold for a while,
    HEARTBEAT "slots=N"), routes their replies back to clients, and
    removes lost or misbehaving workers, re-queueing their requests for
    another dispatch.

    A worker whose connection closes (its process died, its host's TCP
    stack reset the connection, or ZeroMQ's own heartbeat, peer-timeout-ms,
    found it silent) is removed as soon as the socket monitor says so,
    without waiting for its missed heartbeats: every worker is known by the
    descriptor of its connection, read from its READY's metadata, and the
    monitor reports connections accepted and closed by descriptor.  Events
    waiting on the monitor are handled before every READY, so a READY is
    never matched with a descriptor an earlier connection closed.

    A request a worker holds has a deadline, request-timeout-ms from its
    dispatch: the tick takes it back, freeing the worker's slot and
    retiring its token (a reply that comes later is a late reply), and
    puts it at the front of its queue for another worker, or answers
    timeout after max-attempts dispatches.  A worker whose requests time
    out worker-timeouts-max times in a row, with no reply in time between
    them, holds requests without serving them: it is disconnected (its
    other requests go back to the queue).  A stock worker then reconnects
    and starts afresh; one that times out again is disconnected again.
    Part of the gateway broker; see gateway_internal.h.                    */
#include "gateway_internal.h"
#include "jm_alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>

//  Monitor events wanted: a connection's descriptor opens and closes
#define MONITOR_EVENTS      (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED)
//  Events handled per call: all that the monitor's pipe can hold (its
//  high water marks), so no event of an earlier connection is left behind
//  a READY
#define MONITOR_DRAIN_MAX   (4 * JM_MDP_HWM)


//  --------------------------------------------------------------------------
//  Connections by descriptor

//  A descriptor as a key of worker_fds and open_fds (never NULL).
static void *
s_fd_key (int fd)
{
    return (void *) ((uintptr_t) fd + 1);
}

//  The descriptor of the connection a worker message came over, from its
//  metadata ("__fd", which libzmq sets on every message a TCP or IPC
//  connection delivers), or -1 when it has none (inproc).
static int
s_message_fd (zframe_t *frame)
{
    const char *text = zframe_meta (frame, "__fd");
    if (!text || !*text)
        return -1;
    char *end = NULL;
    errno = 0;
    long fd = strtol (text, &end, 10);
    if (errno || *end || fd < 0 || fd > INT_MAX - 1)
        return -1;
    return (int) fd;
}


//  --------------------------------------------------------------------------
//  Workers

//  Sends a command with no body to a worker identity.
void
gw_worker_send_command (broker_t *self, zframe_t *identity, byte command)
{
    jm_mdp_part_t parts [] = {
        { zframe_data (identity), zframe_size (identity) }, { "", 0 }, { JM_MDPW, 6 },
        { &command, 1 }
    };
    jm_mdp_send (self->workers, parts, 4, NULL);
}

//  Why a request is answered worker_lost.
static void
s_describe_lost (broker_t *self, request_t *request, char *message, size_t size)
{
    snprintf (message, size, "dispatched %d time%s; the worker was lost each time",
              request->attempts, request->attempts == 1? "": "s");
}

//  Removes a worker, sending it DISCONNECT when disconnect is true.  Its
//  requests go back to the front of their queue in their order, or are
//  answered worker_lost when they have had max-attempts dispatches.
void
gw_worker_delete (broker_t *self, worker_t **worker_p, bool disconnect, const char *reason)
{
    worker_t *worker = *worker_p;
    service_t *service = worker->service;
    if (disconnect)
        gw_worker_send_command (self, worker->identity, JM_MDPW_DISCONNECT);

    gw_ready_remove (service, worker);
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

    int busy = worker->busy;
    size_t failed = 0;
    request_list_t requeue = { NULL, NULL, 0 };
    while (worker->in_flight.head) {
        request_t *request = gw_request_take_back (self, worker);
        if (gw_request_retry_or_fail (self, request, &requeue, JM_ERR_WORKER_LOST,
                                      s_describe_lost))
            failed++;
    }
    //  They go first, in the order they were dispatched
    size_t requeued = gw_service_requeue_first (self, service, &requeue);
    jm_log_info ("worker %s %s service '%s' (%d slots, %d busy): %zu requests re-queued, "
                 "%zu answered worker_lost; %zu workers left",
                 worker->key, reason, service->name, worker->slots, busy,
                 requeued, failed, service->worker_count);
    if (worker->fd >= 0 && zhashx_lookup (self->worker_fds, s_fd_key (worker->fd)) == worker)
        zhashx_delete (self->worker_fds, s_fd_key (worker->fd));
    zhashx_delete (self->worker_table, worker->key);
    zframe_destroy (&worker->identity);
    free (worker->key);
    free (worker);
    *worker_p = NULL;
    gw_service_dispatch (self, service);
}

//  A service name that workers may not take: the gateway answers these.
static bool
s_service_reserved (zframe_t *name)
{
    size_t prefix = strlen (JM_MDP_MMI_PREFIX);
    return (zframe_size (name) >= prefix
            && memcmp (zframe_data (name), JM_MDP_MMI_PREFIX, prefix) == 0)
        || zframe_streq (name, JM_MDP_STATS_SERVICE)
        || zframe_streq (name, JM_MDP_SYSTEM_SERVICE);
}

//  True when a frame starts with prefix.
static bool
s_frame_starts (zframe_t *frame, const char *prefix)
{
    size_t size = strlen (prefix);
    return zframe_size (frame) >= size && memcmp (zframe_data (frame), prefix, size) == 0;
}

//  READY: [service, extension*]: "slots=N", "heartbeat=MS" and "name=TEXT"
//  are known, others ignored.  Registers the worker, replacing an earlier
//  registration of the same identity (its requests are re-dispatched).
static void
s_worker_ready (broker_t *self, worker_t *worker, const char *key, jm_mdp_worker_msg_t *ready)
{
    zframe_t *identity = ready->identity;
    zframe_t *name = ready->service;
    const char *problem = NULL;
    char problem_text [128];
    int slots = 1;
    char worker_name [JM_MDP_NAME_MAX + 1] = "";
    //  A stock 7/MDP worker heartbeats every 2,500 ms and says nothing about it
    int heartbeat_ms = self->settings.heartbeat_ms > JM_MDP_STOCK_HEARTBEAT_MS?
                       self->settings.heartbeat_ms: JM_MDP_STOCK_HEARTBEAT_MS;
    if (s_service_reserved (name))
        problem = "READY for a reserved service name";
    for (size_t index = 0; index < ready->extension_size && !problem; index++) {
        zframe_t *frame = ready->extensions [index];
        jm_error_t err;
        jm_error_clear (&err);
        int value = 0;
        if (s_frame_starts (frame, "slots="))
            value = slots = jm_mdp_slots_parse (zframe_data (frame), zframe_size (frame), &err);
        else
        if (s_frame_starts (frame, "heartbeat="))
            value = heartbeat_ms = jm_mdp_heartbeat_parse (zframe_data (frame),
                                                           zframe_size (frame), &err);
        else
        if (s_frame_starts (frame, "name="))
            value = jm_mdp_name_parse (zframe_data (frame), zframe_size (frame), worker_name,
                                       &err);
        //  Other extension frames are ignored, for forward compatibility
        if (value < 0) {
            snprintf (problem_text, sizeof problem_text, "READY: %.100s", err.message);
            problem = problem_text;
        }
    }
    if (worker)
        gw_worker_delete (self, &worker, false, "re-announced itself; left");
    if (problem) {
        self->counters.dropped_worker++;
        gw_warn (self, "worker %s: %s; disconnected", key, problem);
        gw_worker_send_command (self, identity, JM_MDPW_DISCONNECT);
        return;
    }
    //  The monitor's events were handled just before this READY: when its
    //  descriptor is closed, the READY came over a connection that is gone
    int fd = s_message_fd (name);
    if (fd >= 0 && !zhashx_lookup (self->open_fds, s_fd_key (fd))) {
        self->counters.stale_ready++;
        jm_log_info ("worker %s: READY arrived after its connection closed; dropped", key);
        gw_worker_send_command (self, identity, JM_MDPW_DISCONNECT);
        return;
    }
    //  A descriptor is unique among open connections: a worker registered
    //  with this one had its connection closed (an event the monitor lost)
    worker_t *previous = fd >= 0? zhashx_lookup (self->worker_fds, s_fd_key (fd)): NULL;
    if (previous) {
        self->counters.workers_expired++;
        self->counters.workers_disconnected++;
        gw_worker_delete (self, &previous, true,
                          "lost its connection (its descriptor was reused) from");
    }
    char *service_name = zframe_strdup (name);
    service_t *service = gw_service_require (self, service_name);
    free (service_name);

    worker = jm_calloc (1, sizeof *worker);
    worker->identity = zframe_dup (identity);
    worker->key = jm_strdup (key);
    worker->service = service;
    worker->slots = worker->slots_max = slots;
    worker->serial = ++self->next_worker_serial;
    worker->heartbeat_ms = heartbeat_ms;
    worker->expires_at = self->now_ms + (int64_t) heartbeat_ms * self->settings.liveness;
    worker->joined_ms = worker->heard_ms = self->now_ms;
    memcpy (worker->name, worker_name, sizeof worker->name);
    worker->fd = fd;
    if (fd >= 0)
        zhashx_insert (self->worker_fds, s_fd_key (fd), worker);
    worker->next = service->workers;
    if (service->workers)
        service->workers->prev = worker;
    service->workers = worker;
    service->worker_count++;
    service->slot_count += (size_t) slots;
    gw_ready_append (service, worker);
    zhashx_insert (self->worker_table, worker->key, worker);
    self->counters.workers_joined++;
    jm_log_info ("worker %s%s%s%s joined service '%s' with %d slot%s, heartbeat %d ms; "
                 "%zu workers, %zu slots, %zu requests waiting", worker->key,
                 *worker->name? " (": "", worker->name, *worker->name? ")": "",
                 service->name, slots,
                 slots == 1? "": "s", heartbeat_ms, service->worker_count, service->slot_count,
                 service->queue.size);
    gw_service_dispatch (self, service);
}

//  HEARTBEAT ["slots=N"]: the worker can hold N requests now, 0 up to the
//  slots of its READY (proto/protocol.md 5.4).  Its requests in flight
//  stay; it takes more only while it holds fewer than N.  Other extension
//  frames are ignored; a bad slots value disconnects it, as in READY.
static void
s_worker_slots (broker_t *self, worker_t **worker_p, jm_mdp_worker_msg_t *heartbeat)
{
    worker_t *worker = *worker_p;
    for (size_t index = 0; index < heartbeat->extension_size; index++) {
        zframe_t *frame = heartbeat->extensions [index];
        if (!s_frame_starts (frame, "slots="))
            continue;
        jm_error_t err;
        jm_error_clear (&err);
        int slots = jm_mdp_slots_now_parse (zframe_data (frame), zframe_size (frame), &err);
        if (slots < 0 || slots > worker->slots_max) {
            self->counters.dropped_worker++;
            gw_warn (self, "worker %s: HEARTBEAT: %.100s; disconnected", worker->key,
                     slots < 0? err.message: "slots above those of its READY");
            gw_worker_delete (self, worker_p, true, "sent bad slots; left");
            return;
        }
        if (slots == worker->slots)
            continue;
        service_t *service = worker->service;
        jm_log_info ("worker %s of service '%s' holds %d of %d slots now (%d busy)",
                     worker->key, service->name, slots, worker->slots_max, worker->busy);
        service->slot_count = service->slot_count - (size_t) worker->slots + (size_t) slots;
        worker->slots = slots;
        if (worker->busy >= slots)
            gw_ready_remove (service, worker);
        else
        if (!worker->ready) {
            gw_ready_append (service, worker);
            gw_service_dispatch (self, service);
        }
    }
}

//  REPLY: [token, "", body...].  Routes the body to the client when the token
//  is one this worker holds; drops it otherwise (a late reply).
static void
s_worker_reply (broker_t *self, worker_t *worker, jm_mdp_worker_msg_t *reply)
{
    zframe_t *token_frame = reply->token;
    uint64_t token = gw_token_decode (self, token_frame);
    request_t *request = token? zhashx_lookup (self->tokens, &token): NULL;
    if (!request || request->worker != worker) {
        self->counters.late_replies++;
        jm_log_debug ("worker %s: dropped a reply for a request it no longer holds", worker->key);
        return;
    }
    service_t *service = worker->service;
    zhashx_delete (self->tokens, &request->token);
    gw_list_remove (&worker->in_flight, request);
    worker->busy--;
    worker->timeouts_in_row = 0;        //  it serves: its past timeouts are forgiven
    service->in_flight--;
    self->in_flight--;
    if (!worker->ready && worker->busy < worker->slots)
        gw_ready_append (service, worker);

    gw_client_send (self, request->client, request->envelope, request->envelope_size,
                    service->name, strlen (service->name), reply->body, reply->body_size, NULL);
    self->counters.replies++;
    gw_system_check_reply (self, request, reply->body, reply->body_size);
    int64_t now_us = gw_now_us ();
    gw_record_latency (self, now_us - request->received_us);
    jm_prom_histogram_observe (&service->latency, now_us - request->dispatched_us);
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char id [64];
        jm_log_debug ("request %s for '%s' answered by %s",
                      gw_request_label (request, id, sizeof id), service->name,
                      worker->key);
    }
    gw_request_destroy (self, &request);
    gw_service_dispatch (self, service);
}

//  One message from the workers socket: [identity, "", MDPW01, command, ...].
void
gw_worker_message (broker_t *self, zmsg_t *msg)
{
    jm_mdp_worker_msg_t decoded;
    char problem [JM_MDP_PROBLEM_MAX];
    int rc = jm_mdp_worker_decode (msg, &decoded, problem, sizeof problem);
    //  A READY may come over a connection whose descriptor an earlier,
    //  closed connection had: that one's events go first
    if (rc == JM_MDP_DECODE_OK && decoded.command == JM_MDPW_READY)
        gw_worker_monitor_drain (self);
    char key [HEX_MAX] = "";
    if (decoded.identity)
        gw_frame_hex (decoded.identity, key, sizeof key);
    worker_t *worker = decoded.identity? zhashx_lookup (self->worker_table, key): NULL;
    if (rc != JM_MDP_DECODE_OK) {
        self->counters.dropped_worker++;
        gw_warn (self, "worker %s: dropped a malformed message: %s%s",
                 key, problem, worker? "; disconnected": "");
        if (worker)
            gw_worker_delete (self, &worker, true, "sent a malformed message; left");
        else
        if (decoded.command == JM_MDPW_READY)
            gw_worker_send_command (self, decoded.identity, JM_MDPW_DISCONNECT);
        return;
    }
    zframe_t *identity = decoded.identity;
    if (worker) {
        worker->expires_at = self->now_ms
                           + (int64_t) worker->heartbeat_ms * self->settings.liveness;
        worker->heard_ms = self->now_ms;
    }
    int code = decoded.command;
    if (code == JM_MDPW_READY)
        s_worker_ready (self, worker, key, &decoded);
    else
    if (code == JM_MDPW_DISCONNECT) {
        if (worker)
            gw_worker_delete (self, &worker, false, "disconnected from");
    }
    else
    if (!worker) {
        //  A worker we do not know (expired, or from before a restart):
        //  tell it to reconnect and announce itself again
        jm_log_debug ("worker %s: %s from an unknown worker; sent DISCONNECT",
                      key, jm_mdp_command_name (code));
        if (code == JM_MDPW_REPLY)
            self->counters.late_replies++;
        gw_worker_send_command (self, identity, JM_MDPW_DISCONNECT);
    }
    else
    if (code == JM_MDPW_REPLY)
        s_worker_reply (self, worker, &decoded);
    else
    if (code == JM_MDPW_HEARTBEAT && decoded.extension_size)
        s_worker_slots (self, &worker, &decoded);
}


//  --------------------------------------------------------------------------
//  Connection events

int
gw_worker_monitor_start (broker_t *self, zsock_t *workers, char *error, size_t error_size)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://jm-gateway-monitor-%p", (void *) self);
    if (zmq_socket_monitor (zsock_resolve (workers), endpoint, MONITOR_EVENTS)) {
        snprintf (error, error_size, "cannot monitor the workers socket: %s",
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    self->monitor = zsock_new (ZMQ_PAIR);
    assert (self->monitor);
    //  An inproc pipe holds the sender's and the receiver's high water
    //  marks: room for a burst of connections between two wake-ups
    zsock_set_rcvhwm (self->monitor, JM_MDP_HWM);
    zsock_set_linger (self->monitor, 0);
    if (zsock_connect (self->monitor, "%s", endpoint)) {
        snprintf (error, error_size, "cannot connect to the workers socket's monitor: %s",
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

//  A worker's connection closed: removes it now, re-queueing its requests.
static void
s_worker_connection_closed (broker_t *self, int fd)
{
    zhashx_delete (self->open_fds, s_fd_key (fd));
    worker_t *worker = zhashx_lookup (self->worker_fds, s_fd_key (fd));
    if (!worker)
        return;
    self->counters.workers_expired++;
    self->counters.workers_disconnected++;
    int64_t heard_ms = self->now_ms - (worker->expires_at
                                       - (int64_t) worker->heartbeat_ms * self->settings.liveness);
    char reason [96];
    snprintf (reason, sizeof reason, "lost its connection (last heard %" PRId64 " ms ago) from",
              heard_ms);
    gw_worker_delete (self, &worker, false, reason);
}

void
gw_worker_monitor_drain (broker_t *self)
{
    if (!self->monitor)
        return;
    zmsg_t *msg;
    for (int count = 0; count < MONITOR_DRAIN_MAX
                     && (msg = jm_mdp_recv_nowait (self->monitor)); count++) {
        //  [event (2 bytes) value (4 bytes), endpoint]: libzmq's, native order
        zframe_t *head = zmsg_first (msg);
        if (zmsg_size (msg) == 2 && zframe_size (head) == 6) {
            uint16_t event;
            uint32_t value;
            memcpy (&event, zframe_data (head), sizeof event);
            memcpy (&value, zframe_data (head) + 2, sizeof value);
            int fd = value > INT_MAX - 1? -1: (int) value;
            if (fd >= 0 && event == ZMQ_EVENT_ACCEPTED)
                zhashx_insert (self->open_fds, s_fd_key (fd), s_fd_key (fd));
            else
            if (fd >= 0 && event == ZMQ_EVENT_DISCONNECTED)
                s_worker_connection_closed (self, fd);
        }
        zmsg_destroy (&msg);
    }
}


//  --------------------------------------------------------------------------
//  Requests held too long

//  Why a request is answered timeout.
static void
s_describe_timeout (broker_t *self, request_t *request, char *message, size_t size)
{
    snprintf (message, size, "no reply after %d dispatch%s, each given %d ms (%.1f s since "
              "the gateway received it)", request->attempts, request->attempts == 1? "": "es",
              self->settings.request_timeout_ms,
              (double) (gw_now_us () - request->received_us) / 1e6);
}

bool
gw_worker_overdue (broker_t *self, worker_t *worker)
{
    service_t *service = worker->service;
    int64_t timeout = self->settings.request_timeout_ms;
    //  The in-flight list is in dispatch order: only its head can be the
    //  first overdue
    request_t *head = worker->in_flight.head;
    if (!head || head->dispatched_ms + timeout > self->now_ms)
        return false;

    size_t failed = 0;
    request_list_t requeue = { NULL, NULL, 0 };
    while (worker->in_flight.head
       &&  worker->in_flight.head->dispatched_ms + timeout <= self->now_ms) {
        request_t *request = gw_request_take_back (self, worker);
        request->avoid_worker = worker->serial;
        worker->timeouts_in_row++;
        self->counters.timeouts++;
        if (gw_request_retry_or_fail (self, request, &requeue, JM_ERR_TIMEOUT,
                                      s_describe_timeout))
            failed++;
    }
    //  They go first, in the order they were dispatched
    size_t requeued = gw_service_requeue_first (self, service, &requeue);
    int limit = self->settings.worker_timeouts_max;
    bool disconnect = limit > 0 && worker->timeouts_in_row >= limit;
    gw_warn (self, "worker %s of service '%s' held requests past %d ms: %zu re-queued, "
             "%zu answered timeout; %d in a row%s", worker->key, service->name,
             self->settings.request_timeout_ms, requeued, failed, worker->timeouts_in_row,
             disconnect? ", disconnecting it": "");
    if (disconnect)
        gw_ready_remove (service, worker);
    else
    if (!worker->ready && worker->busy < worker->slots)
        gw_ready_append (service, worker);
    gw_service_dispatch (self, service);
    return disconnect;
}
