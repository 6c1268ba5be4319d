/*  bridge: the dashboard's connections to the gateways.  See bridge.h.

    The thread's loop polls the DEALERs (replies), their monitors
    (connections lost) and an eventfd that jm_bridge_submit writes when it
    queues calls.  Calls in flight live
    in a hash table by request id; a reply whose id is unknown (it came after
    its call timed out) is dropped and counted.  Every 20 ms the loop fails
    the calls past their deadline.                                         */
#include "bridge.h"
#include "jm_gateways.h"
#include "jm_log.h"
#include "jm_mdp.h"
#include "jm_alloc.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define EXPIRE_INTERVAL_MS  20

struct _jm_bridge_t {
    pthread_t thread;
    int wakeup;                     //  eventfd: calls queued, or stop
    bool joined;                    //  the thread has ended
    char *endpoint;
    //  shared with submitters, under lock
    pthread_mutex_t lock;
    jm_bridge_call_t *queue_head, *queue_tail;
    bool stopping;
    jm_bridge_stats_t stats;
    //  the thread's own
    jm_gateways_t *gateways;
    zhashx_t *in_flight;            //  request id -> call
    uint64_t sequence;
};

static int64_t
s_now_us (void)
{
    return zclock_usecs ();
}

//  Completes a call: records the outcome and runs its callback, after
//  which the call is the caller's again.
static void
s_complete (jm_bridge_call_t *call, char *reply, const char *failure)
{
    call->reply = reply;
    call->failure = failure;
    call->latency_us = s_now_us () - call->submitted_us;
    call->done (call->arg);
}

static void
s_count (jm_bridge_t *self, uint64_t *counter, int64_t delta_in_flight)
{
    pthread_mutex_lock (&self->lock);
    (*counter)++;
    self->stats.in_flight += delta_in_flight;
    pthread_mutex_unlock (&self->lock);
}

//  Sends the calls waiting in the queue.
static void
s_send_queued (jm_bridge_t *self, jm_bridge_call_t *call)
{
    while (call) {
        jm_bridge_call_t *next = call->next;
        call->next = NULL;
        snprintf (call->id, sizeof call->id, "d%" PRIx64, ++self->sequence);
        call->gateway = jm_gateways_pick (self->gateways, -1);
        if (jm_mdp_client_send (jm_gateways_client (self->gateways, call->gateway), call->service,
                                call->id, call->body, call->body_size)) {
            s_count (self, &self->stats.failures, 0);
            s_complete (call, NULL, JM_BRIDGE_BUSY);
        }
        else {
            call->deadline_us = call->submitted_us + (int64_t) call->timeout_ms * 1000;
            jm_gateways_sent (self->gateways, call->gateway);
            zhashx_insert (self->in_flight, call->id, call);
            s_count (self, &self->stats.calls, 1);
        }
        call = next;
    }
}

//  Sends the calls in flight on the gateways lost to another at once,
//  under the same id and deadline.
static void
s_fail_over (jm_bridge_t *self)
{
    unsigned lost = jm_gateways_lost (self->gateways);
    if (!lost)
        return;
    size_t moved = 0;
    for (jm_bridge_call_t *call = zhashx_first (self->in_flight); call;
         call = zhashx_next (self->in_flight)) {
        if (!(lost & (1u << call->gateway)))
            continue;
        int previous = call->gateway;
        jm_gateways_done (self->gateways, previous);
        call->gateway = jm_gateways_pick (self->gateways, previous);
        jm_gateways_sent (self->gateways, call->gateway);
        //  a full queue: the call times out as it would have on the lost one
        jm_mdp_client_send (jm_gateways_client (self->gateways, call->gateway), call->service,
                            call->id, call->body, call->body_size);
        moved++;
    }
    if (moved) {
        pthread_mutex_lock (&self->lock);
        self->stats.failovers += moved;
        pthread_mutex_unlock (&self->lock);
        jm_log_info ("bridge: %zu calls sent again after a gateway was lost", moved);
    }
}

//  Hands each reply waiting on the sockets to its call.
static void
s_receive_replies (jm_bridge_t *self)
{
    char *request_id, *body;
    for (int g = 0; g < jm_gateways_count (self->gateways); g++)
    while (jm_mdp_client_recv (jm_gateways_client (self->gateways, g), NULL, &request_id, &body,
                               0) == 0) {
        jm_bridge_call_t *call = zhashx_lookup (self->in_flight, request_id);
        if (call) {
            jm_gateways_done (self->gateways, call->gateway);
            zhashx_delete (self->in_flight, request_id);
            s_count (self, &self->stats.replies, -1);
            s_complete (call, body, NULL);
        }
        else {
            s_count (self, &self->stats.late_replies, 0);
            free (body);
        }
        free (request_id);
    }
}

//  Fails the calls in flight whose deadline passed (all of them when
//  everything is stopping).
static void
s_expire (jm_bridge_t *self, bool all)
{
    int64_t now = s_now_us ();
    zlistx_t *expired = NULL;
    for (jm_bridge_call_t *call = zhashx_first (self->in_flight); call;
         call = zhashx_next (self->in_flight)) {
        if (all || call->deadline_us <= now) {
            if (!expired)
                expired = zlistx_new ();
            zlistx_add_end (expired, call);
        }
    }
    if (!expired)
        return;
    for (jm_bridge_call_t *call = zlistx_first (expired); call; call = zlistx_next (expired)) {
        jm_gateways_done (self->gateways, call->gateway);
        zhashx_delete (self->in_flight, call->id);
        if (all)
            s_count (self, &self->stats.failures, -1);
        else {
            s_count (self, &self->stats.timeouts, -1);
            jm_log_debug ("bridge: %s request %s timed out after %d ms", call->service,
                          call->id, call->timeout_ms);
        }
        s_complete (call, NULL, all? JM_BRIDGE_STOPPING: JM_BRIDGE_TIMEOUT);
    }
    zlistx_destroy (&expired);
}

static void *
s_bridge_thread (void *arg)
{
    jm_bridge_t *self = arg;
    //  the gateways' sockets and monitors, then the eventfd
    zmq_pollitem_t items [2 * JM_GATEWAYS_MAX + 1];
    int count = jm_gateways_poll_items (self->gateways, items);
    zmq_pollitem_t *wakeup = &items [count++];
    *wakeup = (zmq_pollitem_t) { NULL, self->wakeup, ZMQ_POLLIN, 0 };
    int64_t next_expire = zclock_mono () + EXPIRE_INTERVAL_MS;
    while (true) {
        long timeout = zhashx_size (self->in_flight)
                     ? (long) (next_expire - zclock_mono ()): -1;
        if (timeout < -1)
            timeout = 0;
        if (zmq_poll (items, count, timeout) < 0 && zmq_errno () != EINTR)
            break;
        if (wakeup->revents & ZMQ_POLLIN) {
            uint64_t value;
            if (read (self->wakeup, &value, sizeof value) < 0 && errno != EAGAIN)
                jm_log_warning ("bridge: eventfd read failed: %s", strerror (errno));
        }
        pthread_mutex_lock (&self->lock);
        jm_bridge_call_t *queued = self->queue_head;
        self->queue_head = self->queue_tail = NULL;
        bool stopping = self->stopping;
        pthread_mutex_unlock (&self->lock);
        if (stopping) {
            while (queued) {
                jm_bridge_call_t *next = queued->next;
                s_count (self, &self->stats.failures, 0);
                s_complete (queued, NULL, JM_BRIDGE_STOPPING);
                queued = next;
            }
            s_expire (self, true);
            break;
        }
        s_fail_over (self);
        s_send_queued (self, queued);
        s_receive_replies (self);
        if (zclock_mono () >= next_expire) {
            s_expire (self, false);
            next_expire = zclock_mono () + EXPIRE_INTERVAL_MS;
        }
    }
    return NULL;
}

jm_bridge_t *
jm_bridge_new (const char *endpoint, const jm_curve_t *curve, jm_error_t *err)
{
    assert (endpoint);
    jm_bridge_t *self = jm_calloc (1, sizeof *self);
    self->wakeup = -1;
    self->gateways = jm_gateways_new (endpoint, curve, err);
    if (!self->gateways) {
        jm_bridge_destroy (&self);
        return NULL;
    }
    self->endpoint = jm_strdup (endpoint);
    self->in_flight = zhashx_new ();
    assert (self->in_flight);
    self->wakeup = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert (self->wakeup >= 0);
    pthread_mutex_init (&self->lock, NULL);
    int rc = pthread_create (&self->thread, NULL, s_bridge_thread, self);
    assert (rc == 0);
    (void) rc;                  //  used only by the assert under -DNDEBUG
    return self;
}

static void
s_wake (jm_bridge_t *self)
{
    uint64_t one = 1;
    if (write (self->wakeup, &one, sizeof one) < 0 && errno != EAGAIN)
        jm_log_warning ("bridge: eventfd write failed: %s", strerror (errno));
}

void
jm_bridge_stop (jm_bridge_t *self)
{
    assert (self);
    if (self->wakeup < 0 || self->joined)
        return;
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    pthread_mutex_unlock (&self->lock);
    s_wake (self);
    pthread_join (self->thread, NULL);
    self->joined = true;
}

void
jm_bridge_destroy (jm_bridge_t **self_p)
{
    assert (self_p);
    jm_bridge_t *self = *self_p;
    if (!self)
        return;
    if (self->wakeup >= 0) {
        jm_bridge_stop (self);
        pthread_mutex_destroy (&self->lock);
        close (self->wakeup);
    }
    zhashx_destroy (&self->in_flight);
    jm_gateways_destroy (&self->gateways);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

void
jm_bridge_submit (jm_bridge_t *self, jm_bridge_call_t **calls, size_t count)
{
    assert (self);
    int64_t now = s_now_us ();
    pthread_mutex_lock (&self->lock);
    bool stopping = self->stopping;
    for (size_t index = 0; index < count && !stopping; index++) {
        jm_bridge_call_t *call = calls [index];
        assert (call->service && call->done && (call->body || call->body_size == 0));
        call->next = NULL;
        call->reply = NULL;
        call->failure = NULL;
        call->submitted_us = now;
        if (self->queue_tail)
            self->queue_tail->next = call;
        else
            self->queue_head = call;
        self->queue_tail = call;
    }
    if (stopping)
        self->stats.failures += count;
    pthread_mutex_unlock (&self->lock);
    if (stopping) {
        for (size_t index = 0; index < count; index++) {
            calls [index]->submitted_us = now;
            s_complete (calls [index], NULL, JM_BRIDGE_STOPPING);
        }
    }
    else
    if (count)
        s_wake (self);
}

void
jm_bridge_stats (jm_bridge_t *self, jm_bridge_stats_t *stats)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    *stats = self->stats;
    pthread_mutex_unlock (&self->lock);
}
