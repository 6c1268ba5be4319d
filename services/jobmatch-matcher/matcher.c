/*  matcher: the jobmatch worker.  See matcher.h.

    The matcher is an actor whose loop is a czmq zloop.  Its readers are
    the pipe ($TERM), and per gateway the three worker connections:
    jobmatch.match (s_handle_match), jobmatch.jobs and jobmatch.results
    (s_handle_service).  Its timers, each re-armed with the delay its duty
    asks for next:

        s_handle_ahead      at once, when a request was received ahead of
                            its batch: that batch is served next turn
        s_handle_heartbeat  the worker connections' heartbeats and
                            reconnections (jm_mdp_worker_tick)
        s_handle_store      the store's flush: writes confirmed, Redis
                            reconnected, a backlog replayed in steps
        s_handle_registry   the job registry's poll (registry.h)
        s_handle_rescore    background re-scoring (rescore.h): a chunk
                            when nothing waits, or every RESCORE_BUSY_MS
                            under load; polled at once while one is due
        s_handle_log        the counters to the log, every 30 s
        s_handle_publish    the counters to Redis, every --stats-ms
        s_handle_metrics    /metrics and /readyz, every second (with
                            --metrics-listen)

    The match service is matching.h (a batch: batch.h parses it, replies.h
    holds its replies until its writes are stored); the jobs and results
    services are registry.h and results.h.  Backpressure (s_update_slots)
    follows each batch, flush and heartbeat: while Redis cannot take the
    writes they wait in the store, and the matcher offers the gateway
    fewer slots as they grow, none at --redis-pending-max-mb; of big
    requests it takes two at a time (one served, the next waiting).       */
#include "matcher.h"
#include "batch.h"
#include "matching.h"
#include "registry.h"
#include "rescore.h"
#include "results.h"
#include "stats.h"
#include "jm_buf.h"
#include "jm_engine.h"
#include "jm_gateways.h"
#include "jm_log.h"
#include "jm_mdp.h"
#include "jm_probe.h"
#include "jm_prom.h"
#include "jm_store.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <limits.h>
#include <string.h>

#define STATS_INTERVAL_MS   30000       //  how often the counters are logged
#define STORE_TICK_MS       100         //  how often the store flushes when idle
#define METRICS_MS          1000        //  how often /metrics and /readyz are published
#define SERVICE_SLOTS       16          //  jobmatch.jobs and jobmatch.results requests held
#define RESCORE_BUSY_MS     250         //  under load, still one re-scoring chunk this often
#define RESCORE_CHECK_MS    100         //  how often a re-scoring is looked for when none is due
#define HELD_BODIES_MAX     (1u << 20)  //  request bytes taken on at once, about (two at
                                        //  least: one served, the next one waiting)

struct _jm_matcher_t {
    zactor_t *actor;
    zloop_t *loop;
    jm_engine_t *engine;
    //  one connection per gateway and service: a request is replied to on
    //  the connection it came on (jm_mdp_request_worker)
    int gateway_count;
    jm_mdp_worker_t *workers [JM_GATEWAYS_MAX];         //  jobmatch.match
    jm_mdp_worker_t *jobs_workers [JM_GATEWAYS_MAX];    //  jobmatch.jobs
    jm_mdp_worker_t *results_workers [JM_GATEWAYS_MAX]; //  jobmatch.results
    jm_store_t *store;
    jm_registry_t *registry;
    jm_rescore_t *rescore;
    jm_results_t *results;
    jm_stats_t *stats;                  //  counters published to Redis
    jm_stats_counts_t counts;
    int stats_ms;                       //  every stats_ms
    jm_matching_t *match;               //  jobmatch.match
    bool ahead_armed;                   //  s_handle_ahead will serve the request ahead
    int64_t next_busy_rescore;          //  monotonic ms of the next chunk under load
    jm_buf_t reply;                     //  a jobmatch.jobs or jobmatch.results reply
    //  backpressure: the slots announced, and those offered now (s_update_slots)
    int slots;
    int slots_now;
    int64_t full_since;                 //  monotonic ms the slots went to 0, or 0
    jm_probe_t *probe;                  //  --metrics-listen (NULL: off)
};


//  --------------------------------------------------------------------------
//  Backpressure

//  Shares slots among the gateways: each one this matcher hears gets an
//  equal part (rounded up, so at least one while slots > 0), and one that
//  went silent gets the part it will have when it comes back.  So two
//  gateways do not both fill the matcher, and when one dies the other
//  gets all the slots within a few heartbeats.
static void
s_share_slots (jm_matcher_t *self, int slots)
{
    int live = 0;
    for (int g = 0; g < self->gateway_count; g++)
        live += jm_mdp_worker_connected (self->workers [g]);
    int share = live > 1 ? (slots + live - 1) / live : slots;
    for (int g = 0; g < self->gateway_count; g++) {
        int part = jm_mdp_worker_connected (self->workers [g]) || live == 0
                 ? share : (slots + live) / (live + 1);
        if (part != jm_mdp_worker_slots_now (self->workers [g]))
            jm_mdp_worker_set_slots (self->workers [g], part);
    }
}

//  Backpressure.  Every write waits in the store until Redis confirms it,
//  however long Redis is away; what bounds it is that the matcher takes
//  less work as the pending writes grow: all its slots below half of
//  --redis-pending-max-mb, then fewer in proportion, none at all of it.
//  The gateway hears the number at once (jm_mdp_worker_set_slots) and
//  queues the rest, or answers busy past its queue.  Requests already sent
//  are still served (their writes may take the buffer past the bound by
//  what they hold).  When the backlog drains, the slots come back.
//  Big requests take fewer slots too: the matcher serves one batch at a
//  time, so of 500-candidate requests (half a MB each) it holds two, the
//  one served and the next, rather than as many as the gateway has: those
//  wait in the gateway's queue, not in the matcher's memory.
static void
s_update_slots (jm_matcher_t *self)
{
    double fill = jm_store_pending_fill (self->store);
    int slots = self->slots;
    if (fill >= 1.0)
        slots = 0;
    else
    if (fill > 0.5) {
        slots = (int) (self->slots * (1.0 - fill) * 2.0);
        slots = slots < 1 ? 1 : slots;
    }
    //  a power of two, so that bodies of about the same size keep the number
    size_t fit = 2;
    size_t body_size = jm_matching_body_size (self->match);
    while (fit < (size_t) self->slots && fit * 2 * body_size <= HELD_BODIES_MAX)
        fit *= 2;
    if ((size_t) slots > fit)
        slots = (int) fit;
    s_share_slots (self, slots);
    if (slots == self->slots_now)
        return;
    jm_store_stats_t stats;
    jm_store_stats (self->store, &stats);
    if (slots == 0) {
        self->full_since = zclock_mono ();
        jm_log_warning ("%zu writes (%zu bytes) wait for redis, the bound: taking no "
                        "requests until they drain", stats.pending_writes, stats.pending_bytes);
    }
    else
    if (self->slots_now == 0)
        jm_log_info ("writes draining (%zu bytes left): taking requests again after %.1f s",
                     stats.pending_bytes, (double) (zclock_mono () - self->full_since) / 1000.0);
    else
        jm_log_debug ("%zu bytes of writes pending, requests of %zu bytes: %d of %d slots",
                      stats.pending_bytes, body_size, slots, self->slots);
    self->slots_now = slots;
}

//  --------------------------------------------------------------------------
//  The loop

static int s_handle_ahead (zloop_t *loop, int timer_id, void *arg);

//  Serves a batch, then offers the slots its writes leave, and has the
//  request received ahead served next turn.
static void
s_serve_match (jm_matcher_t *self)
{
    jm_matching_serve (self->match);
    s_update_slots (self);
    if (jm_matching_ahead (self->match) && !self->ahead_armed) {
        zloop_timer (self->loop, 0, 1, s_handle_ahead, self);
        self->ahead_armed = true;
    }
}

static int
s_handle_match (zloop_t *loop, zsock_t *sock, void *arg)
{
    jm_matcher_t *self = arg;
    if (!jm_matching_ahead (self->match))  //  else s_handle_ahead drains it
        s_serve_match (self);
    return 0;
}

//  The request received ahead waits no longer: its batch is served.
static int
s_handle_ahead (zloop_t *loop, int timer_id, void *arg)
{
    jm_matcher_t *self = arg;
    self->ahead_armed = false;
    if (jm_matching_ahead (self->match))
        s_serve_match (self);
    return 0;
}

//  Serves every request waiting on a jobmatch.jobs or jobmatch.results
//  connection.
static int
s_handle_service (zloop_t *loop, zsock_t *sock, void *arg)
{
    jm_matcher_t *self = arg;
    for (int g = 0; g < self->gateway_count; g++) {
        bool jobs = jm_mdp_worker_sock (self->jobs_workers [g]) == sock;
        jm_mdp_worker_t *worker = jobs ? self->jobs_workers [g] : self->results_workers [g];
        if (jm_mdp_worker_sock (worker) != sock)
            continue;
        jm_mdp_request_t *request;
        while ((request = jm_mdp_worker_recv (worker))) {
            int64_t started_us = zclock_usecs ();
            if (jobs)
                jm_registry_serve (self->registry, jm_mdp_request_data (request),
                                   jm_mdp_request_size (request), &self->reply);
            else
                jm_results_serve (self->results, jm_mdp_request_data (request),
                                  jm_mdp_request_size (request), &self->reply);
            zframe_t *frame = zframe_new (self->reply.data, self->reply.len);
            jm_mdp_worker_reply (worker, &request, &frame);
            self->counts.requests++;
            jm_prom_histogram_observe (jobs ? &self->counts.latency_jobs
                                            : &self->counts.latency_results,
                                       zclock_usecs () - started_us);
        }
    }
    return 0;
}

static int
s_handle_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    char *command = zstr_recv (pipe);
    bool terminate = !command || streq (command, "$TERM");
    zstr_free (&command);
    return terminate ? -1 : 0;
}

static int
s_handle_heartbeat (zloop_t *loop, int timer_id, void *arg)
{
    jm_matcher_t *self = arg;
    int delay = INT_MAX;
    for (int g = 0; g < self->gateway_count; g++) {
        jm_mdp_worker_t *workers [] = {
            self->workers [g], self->jobs_workers [g], self->results_workers [g] };
        for (int w = 0; w < 3; w++) {
            int next = jm_mdp_worker_tick (workers [w]);
            delay = next < delay ? next : delay;
        }
    }
    s_update_slots (self);              //  a gateway lost or back changes the shares
    zloop_timer (loop, (size_t) delay, 1, s_handle_heartbeat, self);
    return 0;
}

//  A backlog drains in steps (jm_store_flush), the loop turning in
//  between: again at once while it moves.
static int
s_handle_store (zloop_t *loop, int timer_id, void *arg)
{
    jm_matcher_t *self = arg;
    int confirmed = jm_store_flush (self->store);
    s_update_slots (self);
    zloop_timer (loop, confirmed > 0 && jm_store_pending (self->store) ? 1 : STORE_TICK_MS, 1,
                 s_handle_store, self);
    return 0;
}

static int
s_handle_registry (zloop_t *loop, int timer_id, void *arg)
{
    jm_matcher_t *self = arg;
    zloop_timer (loop, (size_t) jm_registry_tick (self->registry), 1, s_handle_registry, self);
    return 0;
}

//  True when a request, a heartbeat or a command waits on a connection.
static bool
s_input_waiting (jm_matcher_t *self)
{
    for (int g = 0; g < self->gateway_count; g++)
        if ((zsock_events (jm_mdp_worker_sock (self->workers [g])) & ZMQ_POLLIN)
        ||  (zsock_events (jm_mdp_worker_sock (self->jobs_workers [g])) & ZMQ_POLLIN)
        ||  (zsock_events (jm_mdp_worker_sock (self->results_workers [g])) & ZMQ_POLLIN))
            return true;
    return false;
}

//  A chunk of background re-scoring when nothing waits, or when busy for
//  RESCORE_BUSY_MS, so a loaded cluster still finishes it.
static int
s_handle_rescore (zloop_t *loop, int timer_id, void *arg)
{
    jm_matcher_t *self = arg;
    bool due = jm_rescore_due (self->rescore);
    if (due && ((!jm_matching_ahead (self->match) && !s_input_waiting (self))
            ||  zclock_mono () >= self->next_busy_rescore)) {
        self->counts.rescored += (uint64_t) jm_rescore_step (self->rescore);
        self->next_busy_rescore = zclock_mono () + RESCORE_BUSY_MS;
        due = jm_rescore_due (self->rescore);
    }
    zloop_timer (loop, due ? 0 : RESCORE_CHECK_MS, 1, s_handle_rescore, self);
    return 0;
}

static int
s_handle_log (zloop_t *loop, int timer_id, void *arg)
{
    jm_matcher_t *self = arg;
    jm_stats_log (self->stats, &self->counts, STATS_INTERVAL_MS);
    return 0;
}

static int
s_handle_publish (zloop_t *loop, int timer_id, void *arg)
{
    jm_matcher_t *self = arg;
    jm_stats_publish (self->stats, &self->counts);
    return 0;
}

//  Why the matcher would not serve a request now, or NULL when it would:
//  Redis reachable and at least one gateway heard from.
static const char *
s_not_ready (jm_matcher_t *self)
{
    if (!jm_store_connected (self->store))
        return "Redis unreachable";
    for (int g = 0; g < self->gateway_count; g++)
        if (jm_mdp_worker_heard (self->workers [g]))
            return NULL;
    return "not registered with any gateway";
}

//  Publishes /metrics and /readyz to the probe (--metrics-listen).
static int
s_handle_metrics (zloop_t *loop, int timer_id, void *arg)
{
    jm_matcher_t *self = arg;
    jm_stats_loop_t state = { .gateways = self->gateway_count, .slots_now = self->slots_now };
    for (int g = 0; g < self->gateway_count; g++)
        state.gateways_heard += jm_mdp_worker_heard (self->workers [g]);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_stats_metrics (self->stats, &self->counts, &state, &out);
    jm_probe_publish (self->probe, out.data);
    jm_buf_free (&out);
    jm_probe_set_ready (self->probe, s_not_ready (self));
    return 0;
}

static void
s_matcher_actor (zsock_t *pipe, void *args)
{
    jm_matcher_t *self = args;
    zloop_t *loop = self->loop = zloop_new ();
    zloop_set_nonstop (loop, true);     //  only $TERM stops the matcher
    zloop_reader (loop, pipe, s_handle_pipe, self);
    for (int g = 0; g < self->gateway_count; g++) {
        zsock_t *socks [] = { jm_mdp_worker_sock (self->workers [g]),
                              jm_mdp_worker_sock (self->jobs_workers [g]),
                              jm_mdp_worker_sock (self->results_workers [g]) };
        zloop_reader (loop, socks [0], s_handle_match, self);
        zloop_reader (loop, socks [1], s_handle_service, self);
        zloop_reader (loop, socks [2], s_handle_service, self);
        for (int s = 0; s < 3; s++)
            zloop_reader_set_tolerant (loop, socks [s]);
    }
    zloop_timer (loop, 0, 1, s_handle_heartbeat, self);
    zloop_timer (loop, STORE_TICK_MS, 1, s_handle_store, self);
    zloop_timer (loop, 0, 1, s_handle_registry, self);
    zloop_timer (loop, RESCORE_CHECK_MS, 1, s_handle_rescore, self);
    zloop_timer (loop, STATS_INTERVAL_MS, 0, s_handle_log, self);
    zloop_timer (loop, (size_t) self->stats_ms, 0, s_handle_publish, self);
    if (self->probe)
        zloop_timer (loop, METRICS_MS, 0, s_handle_metrics, self);
    self->next_busy_rescore = zclock_mono () + RESCORE_BUSY_MS;
    zsock_signal (pipe, 0);
    s_handle_publish (loop, 0, self);
    if (self->probe)
        s_handle_metrics (loop, 0, self);
    //  a signal interrupting the poll is no reason to stop; $TERM or the
    //  context terminating is
    while (zloop_start (loop) == 0 && zmq_errno () == EINTR)
        ;
    jm_matching_finish (self->match);
    zloop_destroy (&self->loop);
}


//  --------------------------------------------------------------------------
//  Construction and destruction

jm_matcher_t *
jm_matcher_new (jm_config_t *config, jm_error_t *err)
{
    jm_matcher_t *self = jm_calloc (1, sizeof *self);
    const char *data = jm_config_string (config, "data");
    self->engine = jm_engine_new (*data ? data : NULL, err);
    if (!self->engine) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.key_namespace = jm_config_string (config, "namespace");
    options.result_ttl_ms = jm_config_int (config, "result-ttl-s") * 1000;
    options.profile_ttl_ms = jm_config_int (config, "profile-ttl-s") * 1000;
    options.pending_max_bytes = (size_t) jm_config_int (config, "redis-pending-max-mb") << 20;
    options.pending_max_commands = options.pending_max_bytes / 32;     //  bytes bind first
    self->store = jm_store_new_from_config (config, &options, err);
    if (!self->store) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    int slots = (int) jm_config_int (config, "slots");
    self->slots = slots;
    const char *gateway = jm_config_string (config, "gateway");
    char *endpoints [JM_GATEWAYS_MAX];
    int gateways = jm_gateways_split (gateway, endpoints, err);
    if (gateways < 0) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    self->registry = jm_registry_new (self->engine, self->store, (int) jm_config_int (config, "poll-ms"));
    self->rescore = jm_rescore_new (self->engine, self->store, self->registry,
                                    (int) jm_config_int (config, "rescore-chunk"),
                                    (int) jm_config_int (config, "rescore-claim-ms"));
    self->results = jm_results_new (self->engine, self->store, self->registry);
    self->stats_ms = (int) jm_config_int (config, "stats-ms");
    self->stats = jm_stats_new (self->store, self->stats_ms, jm_config_string (config, "name"), err);
    if (!self->stats) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    const char *listen = jm_config_string (config, "metrics-listen");
    if (*listen) {
        self->probe = jm_probe_new (listen, jm_stats_name (self->stats), "matcher", err);
        if (!self->probe) {
            jm_matcher_destroy (&self);
            return NULL;
        }
    }
    jm_curve_t *curve = NULL;
    int rc = jm_curve_client_from (jm_config_string (config, "curve-server"),
                                   jm_config_string (config, "curve-cert"), &curve, err);
    for (int g = 0; g < gateways && rc == 0; g++) {
        self->workers [g] = jm_mdp_worker_new_curve (endpoints [g], JM_MATCH_SERVICE, slots,
                                                     curve, err);
        self->jobs_workers [g] = jm_mdp_worker_new_curve (endpoints [g], JM_JOBS_SERVICE,
                                                          SERVICE_SLOTS, curve, err);
        self->results_workers [g] = jm_mdp_worker_new_curve (endpoints [g], JM_RESULTS_SERVICE,
                                                             SERVICE_SLOTS, curve, err);
        self->gateway_count = g + 1;
        rc = self->workers [g] && self->jobs_workers [g] && self->results_workers [g] ? 0 : -1;
    }
    jm_gateways_split_free (endpoints, gateways);
    if (curve)
        jm_log_info ("CURVE on: matcher key %s", jm_curve_public_txt (curve));
    jm_curve_destroy (&curve);
    if (rc) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    int heartbeat = (int) jm_config_int (config, "heartbeat-ms");
    int liveness = (int) jm_config_int (config, "liveness");
    for (int g = 0; g < gateways; g++) {
        jm_mdp_worker_set_heartbeat (self->workers [g], heartbeat, liveness);
        jm_mdp_worker_set_heartbeat (self->jobs_workers [g], heartbeat, liveness);
        jm_mdp_worker_set_heartbeat (self->results_workers [g], heartbeat, liveness);
        //  the gateway's jobmatch.system shows who each worker is: "host:pid"
        jm_mdp_worker_set_name (self->workers [g], jm_stats_id (self->stats));
        jm_mdp_worker_set_name (self->jobs_workers [g], jm_stats_id (self->stats));
        jm_mdp_worker_set_name (self->results_workers [g], jm_stats_id (self->stats));
    }
    self->match = jm_matching_new (self->engine, self->store, self->registry, self->workers,
                                gateways, (int) jm_config_int (config, "batch-max"),
                                &self->counts);
    self->slots_now = slots;
    s_share_slots (self, slots);
    jm_buf_init (&self->reply);
    jm_log_info ("serving %s (%d slots), %s and %s for %s as %s; redis %s; taxonomy %s, "
                 "%d built-in jobs", JM_MATCH_SERVICE, slots, JM_JOBS_SERVICE, JM_RESULTS_SERVICE,
                 gateway, jm_stats_id (self->stats), jm_store_endpoint (self->store),
                 jm_taxonomy_version (jm_engine_taxonomy (self->engine)),
                 jm_engine_job_count (self->engine));
    self->actor = zactor_new (s_matcher_actor, self);
    assert (self->actor);
    return self;
}

void
jm_matcher_destroy (jm_matcher_t **self_p)
{
    assert (self_p);
    jm_matcher_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    jm_probe_destroy (&self->probe);
    if (self->store) {
        if (self->stats) {
            jm_stats_log (self->stats, &self->counts, STATS_INTERVAL_MS);
            jm_stats_withdraw (self->stats);
        }
        jm_store_flush (self->store);
    }
    jm_matching_destroy (&self->match);
    for (int g = 0; g < self->gateway_count; g++) {
        jm_mdp_worker_destroy (&self->workers [g]);
        jm_mdp_worker_destroy (&self->jobs_workers [g]);
        jm_mdp_worker_destroy (&self->results_workers [g]);
    }
    jm_results_destroy (&self->results);
    jm_stats_destroy (&self->stats);
    jm_rescore_destroy (&self->rescore);
    jm_registry_destroy (&self->registry);
    jm_store_destroy (&self->store);
    jm_engine_destroy (&self->engine);
    jm_buf_free (&self->reply);
    free (self);
    *self_p = NULL;
}

