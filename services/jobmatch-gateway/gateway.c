/*  gateway: the jobmatch Majordomo broker.  See gateway.h and
    proto/protocol.md.

    This file holds the actor: the loop handlers for its three sockets,
    the periodic tick, construction and teardown, the public API.  The
    rest of the broker, and how it holds its requests, workers and
    services, are described in gateway_internal.h.                        */
#include "gateway_internal.h"
#include "jm_alloc.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>

#define DRAIN_MAX           1000    //  messages read per socket per wake-up
#define SUMMARY_MS          60000   //  how often to log a summary when busy
#define TRIM_HELD_MIN       1000    //  requests held at once that make a drained queue worth trimming
#define TRIM_BYTES_MIN      (32 << 20)  //  body bytes held at once that do the same
#define TRIM_TRAFFIC_MIN    (256 << 20) //  bytes received (kept or refused) that do the same
#define METRICS_MS          1000    //  how often /metrics and /readyz are published
#define CLIENT_FRAME_SLACK  (1 << 20)   //  bodies this much (or max-body / 2) over max-body
                                        //  are answered too_large
#define STOP_LINGER_MS      1000    //  at the stop, how long the last replies may take to leave


//  --------------------------------------------------------------------------
//  Stopping

//  Answers every request waiting in a queue unavailable.
static void
s_drain_waiting (broker_t *self)
{
    for (service_t *service = zhashx_first (self->services); service;
         service = zhashx_next (self->services))
        while (service->queue.head) {
            request_t *request = service->queue.head;
            gw_list_remove (&service->queue, request);
            self->queued--;
            gw_request_fail (self, &request, JM_ERR_UNAVAILABLE,
                             "the gateway is stopping; send the request again");
        }
}

//  While the gateway stops: answers unavailable what waits (a lost worker's
//  requests come back to the queue), and once workers hold nothing more or
//  drain-ms has passed, what they still hold.  Returns -1 then, to end the
//  loop; 0 while it waits, or when not stopping.
static int
s_drain_check (broker_t *self)
{
    if (!self->draining)
        return 0;
    s_drain_waiting (self);
    if (self->in_flight > 0 && self->now_ms < self->drain_until)
        return 0;
    size_t answered = 0;
    for (worker_t *worker = zhashx_first (self->worker_table); worker;
         worker = zhashx_next (self->worker_table))
        while (worker->in_flight.head) {
            request_t *request = gw_request_take_back (self, worker);
            gw_request_fail (self, &request, JM_ERR_UNAVAILABLE,
                             "the gateway stopped before its worker answered; send the request again");
            answered++;
        }
    if (answered)
        jm_log_warning ("stopping: %zu requests workers still held after %d ms answered "
                        "unavailable", answered, self->settings.drain_ms);
    else
        jm_log_info ("stopping: every request held was answered");
    return -1;
}

//  Starts a graceful stop: from now on new requests are answered
//  unavailable, and so are those waiting for a worker; the ones workers
//  hold get up to drain-ms for their replies (s_drain_check).  Returns -1
//  when nothing is held (stop now), else 0.
static int
s_drain_start (broker_t *self)
{
    self->now_ms = zclock_mono ();
    self->draining = true;
    self->drain_until = self->now_ms + self->settings.drain_ms;
    gw_publish_metrics (self);
    jm_log_info ("stopping: %zu waiting requests answered unavailable; waiting up to %d ms "
                 "for the %zu workers hold", self->queued, self->settings.drain_ms,
                 self->in_flight);
    return s_drain_check (self);
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
        self->traffic_bytes += zmsg_content_size (msg);
        gw_client_message (self, msg);
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
        self->traffic_bytes += zmsg_content_size (msg);
        gw_worker_message (self, msg);
        zmsg_destroy (&msg);
    }
    return s_drain_check (self);
}

//  The workers socket's connection events: a worker whose connection
//  closed is removed at once (gateway_worker.c).
static int
s_handle_monitor (zloop_t *loop, zsock_t *sock, void *arg)
{
    broker_t *self = arg;
    self->now_ms = zclock_mono ();
    gw_worker_monitor_drain (self);
    return s_drain_check (self);
}

static int
s_handle_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    broker_t *self = arg;
    char *command = zstr_recv (pipe);
    bool stop = !command || streq (command, "$TERM");
    zstr_free (&command);
    if (!stop || self->draining)
        return 0;
    return s_drain_start (self);
}

//  The periodic timer.  Its duties, in order:
//  1. send HEARTBEAT to every worker once per heartbeat interval;
//  2. remove workers silent for liveness intervals (re-dispatching their
//     requests); take back requests workers held past request-timeout-ms
//     and disconnect workers that time out worker-timeouts-max times in a
//     row (gateway_limits.c);
//  3. answer no_workers to requests that waited too long for a worker;
//  4. delete services with no workers and no requests;
//  5. log a summary every minute while there is traffic, and how many
//     warnings were suppressed;
//  6. while stopping, answer unavailable what waits, and what workers
//     still hold once drain-ms has passed (ending the loop);
//  7. once the queue has drained after a burst (TRIM_HELD_MIN or more
//     requests, or TRIM_BYTES_MIN body bytes, held at once, or a flood of
//     TRIM_TRAFFIC_MIN bytes received, refused ones included), hand the
//     memory they held back to the system: malloc keeps freed memory
//     otherwise, and the gateway's size must follow its queue down as well
//     as up.  Ordinary traffic, with fewer requests held, pays for trimming
//     and faulting back at most once per TRIM_TRAFFIC_MIN bytes.
static int
s_handle_tick (zloop_t *loop, int timer_id, void *arg)
{
    broker_t *self = arg;
    self->now_ms = zclock_mono ();

    bool heartbeat = self->now_ms >= self->heartbeat_at;
    if (heartbeat)
        self->heartbeat_at = self->now_ms + self->settings.heartbeat_ms;
    zlistx_t *expired = zlistx_new ();
    zlistx_t *overdue = zlistx_new ();
    for (worker_t *worker = zhashx_first (self->worker_table); worker;
         worker = zhashx_next (self->worker_table)) {
        if (worker->expires_at <= self->now_ms)
            zlistx_add_end (expired, worker);
        else {
            if (heartbeat)
                gw_worker_send_command (self, worker->identity, JM_MDPW_HEARTBEAT);
            if (gw_worker_overdue (self, worker))
                zlistx_add_end (overdue, worker);
        }
    }
    for (worker_t *worker = zlistx_first (expired); worker; worker = zlistx_next (expired)) {
        self->counters.workers_expired++;
        gw_worker_delete (self, &worker, true, "expired (missed heartbeats) from");
    }
    for (worker_t *worker = zlistx_first (overdue); worker; worker = zlistx_next (overdue)) {
        self->counters.workers_timed_out++;
        gw_worker_delete (self, &worker, true, "timed out too often in a row; disconnected from");
    }
    zlistx_destroy (&expired);
    zlistx_destroy (&overdue);

    zlistx_t *idle = zlistx_new ();
    for (service_t *service = zhashx_first (self->services); service;
         service = zhashx_next (self->services)) {
        gw_service_expire_waiting (self, service);
        if (service->worker_count == 0 && service->queue.size == 0 && service->in_flight == 0)
            zlistx_add_end (idle, service);
    }
    for (service_t *service = zlistx_first (idle); service; service = zlistx_next (idle)) {
        zhashx_delete (self->services, service->name);
        gw_service_destroy (&service);
    }
    zlistx_destroy (&idle);

    if (self->now_ms >= self->summary_at) {
        self->summary_at = self->now_ms + SUMMARY_MS;
        if (self->counters.requests != self->summary_requests) {
            self->summary_requests = self->counters.requests;
            gw_log_summary (self, "");
        }
        if (self->warnings_suppressed) {
            jm_log_warning ("%" PRIu64 " more warnings about malformed input were not logged",
                            self->warnings_suppressed);
            self->warnings_suppressed = 0;
        }
    }

    if (self->held == 0 && (self->held_peak >= TRIM_HELD_MIN
                        ||  self->held_bytes_peak >= TRIM_BYTES_MIN
                        ||  self->traffic_bytes >= TRIM_TRAFFIC_MIN)) {
        jm_log_debug ("queue drained after holding %zu requests (%zu bytes), %" PRIu64
                      " bytes received: trimming memory", self->held_peak,
                      self->held_bytes_peak, self->traffic_bytes);
        self->held_peak = self->held_bytes_peak = 0;
        self->traffic_bytes = 0;
        malloc_trim (0);
    }
    return s_drain_check (self);
}


//  --------------------------------------------------------------------------
//  Construction

//  The hasher and comparator of tables keyed on a small number cast to a
//  pointer (worker_fds, open_fds).
static size_t
s_number_hash (const void *key)
{
    return (size_t) (uintptr_t) key;
}

static int
s_number_compare (const void *key_1, const void *key_2)
{
    uintptr_t number_1 = (uintptr_t) key_1, number_2 = (uintptr_t) key_2;
    return number_1 < number_2? -1: number_1 > number_2? 1: 0;
}

static zhashx_t *
s_number_table_new (void)
{
    zhashx_t *table = zhashx_new ();
    assert (table);
    zhashx_set_key_duplicator (table, NULL);
    zhashx_set_key_destructor (table, NULL);
    zhashx_set_key_hasher (table, s_number_hash);
    zhashx_set_key_comparator (table, s_number_compare);
    return table;
}

//  A ROUTER bound to endpoints.  max_message and send_hwm (when > 0) apply
//  to each connection, so they are set before the bind.  The workers
//  socket also gets ZeroMQ's own heartbeat (a PING every quarter of
//  peer-timeout-ms, answered by the peer's I/O thread, stock workers too:
//  a connection silent for peer-timeout-ms is closed) and its monitor, so
//  a worker's closed connection is noticed at once (gateway_worker.c).
static zsock_t *
s_router_new (broker_t *self, const char *endpoints, bool clients, int max_message,
              int send_hwm, char *error, size_t error_size)
{
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    assert (sock);
    jm_mdp_socket_defaults (sock);
    gw_auth_apply (self, sock, clients);
    if (max_message > 0)
        zsock_set_maxmsgsize (sock, max_message);
    if (send_hwm > 0)
        zsock_set_sndhwm (sock, send_hwm);
    int peer_timeout = self->settings.peer_timeout_ms;
    if (!clients && peer_timeout > 0) {
        zsock_set_heartbeat_ivl (sock, peer_timeout / 4 > 10? peer_timeout / 4: 10);
        zsock_set_heartbeat_timeout (sock, peer_timeout);
    }
    if (!clients && gw_worker_monitor_start (self, sock, error, error_size)) {
        zsock_destroy (&sock);
        return NULL;
    }
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
                    gw_list_remove (&worker->in_flight, request);
                    gw_request_destroy (self, &request);
                }
                zframe_destroy (&worker->identity);
                free (worker->key);
                free (worker);
            }
            while (service->queue.head) {
                request_t *request = service->queue.head;
                gw_list_remove (&service->queue, request);
                gw_request_destroy (self, &request);
            }
        }
        for (service_t *service = zhashx_first (self->services); service;
             service = zhashx_next (self->services))
            gw_service_destroy (&service);
    }
    zhashx_destroy (&self->client_table);      //  after the requests, which count in it
    zhashx_destroy (&self->services);
    zhashx_destroy (&self->worker_table);
    zhashx_destroy (&self->tokens);
    zloop_destroy (&self->loop);
    zsock_destroy (&self->clients);
    zsock_destroy (&self->workers);
    zsock_destroy (&self->monitor);
    zhashx_destroy (&self->worker_fds);
    zhashx_destroy (&self->open_fds);
    jm_failures_destroy (&self->failures);
    gw_auth_stop (self);
    free (self->settings.clients);
    free (self->settings.workers);
    free (self);
    *self_p = NULL;
}

//  Publishes /metrics and /readyz (jm_probe): every METRICS_MS, so a
//  scrape reads values at most that old and /livez sees the loop turn.
static int
s_handle_metrics (zloop_t *loop, int timer_id, void *arg)
{
    gw_publish_metrics ((broker_t *) arg);
    return 0;
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
    broker_t *self = jm_calloc (1, sizeof *self);
    self->pipe = pipe;
    self->settings = *settings;
    self->settings.clients = jm_strdup (settings->clients);
    self->settings.workers = jm_strdup (settings->workers);
    self->now_ms = self->started_ms = zclock_mono ();
    self->heartbeat_at = self->now_ms + settings->heartbeat_ms;
    self->summary_at = self->now_ms + SUMMARY_MS;
    self->epoch = (uint32_t) random () ^ (uint32_t) zclock_usecs () ^ ((uint32_t) getpid () << 16);

    self->services = zhashx_new ();
    self->worker_table = zhashx_new ();
    self->tokens = zhashx_new ();
    self->client_table = gw_limits_client_table_new ();
    self->worker_fds = s_number_table_new ();
    self->open_fds = s_number_table_new ();
    self->failures = jm_failures_new (FAILURES_KEPT);
    assert (self->services && self->worker_table && self->tokens);
    zhashx_set_key_duplicator (self->tokens, NULL);
    zhashx_set_key_destructor (self->tokens, NULL);
    zhashx_set_key_hasher (self->tokens, gw_token_hash);
    zhashx_set_key_comparator (self->tokens, gw_token_compare);

    //  Let a body a little over the limit arrive so it can be answered
    //  too_large; larger frames close the connection at the transport,
    //  before libzmq allocates them (ZMQ_MAXMSGSIZE applies per frame)
    int64_t slack = (int64_t) settings->max_body / 2;
    int64_t max_message = (int64_t) settings->max_body
                        + (slack > CLIENT_FRAME_SLACK? slack: CLIENT_FRAME_SLACK);
    if (gw_auth_start (self, error, error_size)) {
        s_broker_destroy (&self);
        return NULL;
    }
    self->clients = s_router_new (self, settings->clients, true,
                                  max_message > INT32_MAX? -1: (int) max_message,
                                  settings->client_reply_max, error, error_size);
    self->workers = self->clients? s_router_new (self, settings->workers, false,
                                                 (int) settings->max_worker_message, 0,
                                                 error, error_size): NULL;
    if (!self->clients || !self->workers) {
        s_broker_destroy (&self);
        return NULL;
    }
    gw_limits_clients_socket (self, self->clients);
    self->loop = zloop_new ();
    assert (self->loop);
    zloop_set_nonstop (self->loop, true);       //  only $TERM stops the gateway
    zloop_reader (self->loop, pipe, s_handle_pipe, self);
    zloop_reader (self->loop, self->clients, s_handle_clients, self);
    zloop_reader (self->loop, self->workers, s_handle_workers, self);
    //  After the workers socket: when both are ready, a dying worker's last
    //  replies are read before its closed connection removes it
    zloop_reader (self->loop, self->monitor, s_handle_monitor, self);
    if (self->zap)
        zloop_reader (self->loop, jm_zap_sock (self->zap), gw_auth_handle_zap, self);
    //  Tick often enough for heartbeats and for no-worker waits to end on time
    int tick_ms = settings->heartbeat_ms / 2;
    if (settings->no_worker_wait_ms > 0 && settings->no_worker_wait_ms / 4 < tick_ms)
        tick_ms = settings->no_worker_wait_ms / 4;
    if (settings->request_timeout_ms / 4 < tick_ms)
        tick_ms = settings->request_timeout_ms / 4;
    tick_ms = tick_ms < 5? 5: tick_ms > 100? 100: tick_ms;
    zloop_timer (self->loop, (size_t) tick_ms, 0, s_handle_tick, self);
    if (settings->probe)
        zloop_timer (self->loop, METRICS_MS, 0, s_handle_metrics, self);
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
                 "peer timeout %d ms, max attempts %d, no-worker wait %d ms, queue max %zu, "
                 "max body %zu", JM_VERSION, settings->clients, settings->workers,
                 settings->heartbeat_ms, settings->liveness, settings->peer_timeout_ms,
                 settings->max_attempts, settings->no_worker_wait_ms, settings->queue_max,
                 settings->max_body);
    jm_log_info ("limits: request timeout %d ms, %d timeouts in a row disconnect a worker; "
                 "held bytes max %zu; per client %zu requests, %zu bytes, %d unread replies; "
                 "worker messages up to %zu bytes", settings->request_timeout_ms,
                 settings->worker_timeouts_max, settings->held_bytes_max,
                 settings->client_queue_max, settings->client_bytes_max,
                 settings->client_reply_max, settings->max_worker_message);
    if (settings->client_bytes_max < settings->max_body
    ||  settings->held_bytes_max < settings->max_body)
        jm_log_warning ("client-bytes-max or held-bytes-max is below max-body: the largest "
                        "bodies will always be answered busy");
    gw_publish_metrics (self);
    zloop_start (self->loop);
    //  the last replies (unavailable ones too) leave before the socket closes
    zsock_set_linger (self->clients, STOP_LINGER_MS);
    gw_log_summary (self, "final ");
    s_broker_destroy (&self);
}


//  --------------------------------------------------------------------------
//  Public API

struct _jm_gateway_t {
    zactor_t *actor;
    jm_probe_t *probe;          //  --metrics-listen, NULL: off
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
        .request_timeout_ms = (int) jm_config_int (config, "request-timeout-ms"),
        .worker_timeouts_max = (int) jm_config_int (config, "worker-timeouts-max"),
        .client_queue_max = (size_t) jm_config_int (config, "client-queue-max"),
        .client_bytes_max = (size_t) jm_config_int (config, "client-bytes-max"),
        .held_bytes_max = (size_t) jm_config_int (config, "held-bytes-max"),
        .max_worker_message = (size_t) jm_config_int (config, "max-worker-message"),
        .client_reply_max = (int) jm_config_int (config, "client-reply-max"),
        .drain_ms = (int) jm_config_int (config, "drain-ms"),
        .peer_timeout_ms = (int) jm_config_int (config, "peer-timeout-ms"),
        .curve_cert = (char *) jm_config_string (config, "curve-cert"),
        .curve_clients = (char *) jm_config_string (config, "curve-clients"),
        .curve_workers = (char *) jm_config_string (config, "curve-workers"),
        .curve_admins = (char *) jm_config_string (config, "curve-admins"),
        .insecure = jm_config_bool (config, "insecure"),
    };
    const char *listen = jm_config_string (config, "metrics-listen");
    if (*listen) {
        settings.probe = jm_probe_new (listen, jm_config_string (config, "name"), "gateway", err);
        if (!settings.probe)
            return NULL;
    }
    zactor_t *actor = zactor_new (s_gateway_actor, &settings);
    assert (actor);
    char *error = zstr_recv (actor);
    if (!error || *error) {
        jm_error_set (err, JM_ERR_IO, "%s", error? error: "interrupted");
        zstr_free (&error);
        zactor_destroy (&actor);
        jm_probe_destroy (&settings.probe);
        return NULL;
    }
    zstr_free (&error);
    jm_gateway_t *self = jm_calloc (1, sizeof *self);
    self->actor = actor;
    self->probe = settings.probe;
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
    jm_probe_destroy (&self->probe);
    free (self);
    *self_p = NULL;
}
