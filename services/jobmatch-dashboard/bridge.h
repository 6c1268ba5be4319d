/*  bridge: the dashboard's connections to the gateways, shared safely by
    libmicrohttpd's threads.

    A ZeroMQ socket must stay in one thread, and an HTTP handler must not
    block a server thread while a matcher works.  So one bridge thread owns
    the DEALERs to the gateways (jm_gateways_t: one per gateway of the
    list) and keeps any number of requests in flight on them, matched to
    their replies by request id, each sent to the gateway up with the fewest
    in flight; when a gateway's connection goes down, its calls in flight go
    at once to another, under the same id and deadline.
    Server threads hand it calls through a locked queue and an eventfd, then
    suspend their HTTP connection; the bridge completes each call (reply,
    timeout, or failure) in its own thread and runs the call's done
    callback, which resumes the connection.  A call in flight costs a few
    hundred bytes and no thread.

        jm_bridge_call_t call = { .service = "jobmatch.jobs", .body = text,
                                  .body_size = strlen (text), .timeout_ms = 5000,
                                  .done = s_on_done, .arg = exchange };
        jm_bridge_call_t *calls [] = { &call };
        jm_bridge_submit (bridge, calls, 1);
        //  ... later, in the bridge thread: s_on_done (exchange), and
        //  call.reply holds the reply body (or call.failure says why not)

    After a call's done callback the bridge never touches the call again, so
    the callback may free it (or wake someone who does).                  */
#ifndef JM_BRIDGE_H
#define JM_BRIDGE_H

#include "jm_curve.h"
#include "jm_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct _jm_bridge_t jm_bridge_t;

//  Why a call got no reply (call->failure); NULL when it got one
#define JM_BRIDGE_TIMEOUT   "timeout"       //  no reply within timeout_ms
#define JM_BRIDGE_STOPPING  "stopping"      //  the bridge is shutting down
#define JM_BRIDGE_BUSY      "busy"          //  the socket's send queue is full

typedef void (jm_bridge_done_fn) (void *arg);

//  One request to the gateway and, once done, its outcome.  The caller
//  fills the first block and keeps the call alive until done runs.
typedef struct _jm_bridge_call_t {
    const char *service;            //  borrowed until done
    const char *body;               //  borrowed until done
    size_t body_size;
    int timeout_ms;                 //  from submission to reply
    jm_bridge_done_fn *done;        //  runs once, in the bridge's thread (or in
    void *arg;                      //  jm_bridge_submit's when it is stopping)
    //  outcome, valid once done ran
    char *reply;                    //  reply body, NUL-terminated; the caller frees
    const char *failure;            //  NULL, or one of JM_BRIDGE_* above
    int64_t latency_us;             //  submission to completion
    //  the bridge's own
    struct _jm_bridge_call_t *next;
    char id [24];
    int64_t submitted_us;
    int64_t deadline_us;
    int gateway;                    //  the gateway it was sent to
} jm_bridge_call_t;

//  Counters since the bridge started, for /metrics.
typedef struct {
    uint64_t calls;                 //  submitted
    uint64_t replies;               //  answered by the gateway
    uint64_t timeouts;              //  gave up waiting
    uint64_t late_replies;          //  replies after a timeout, dropped
    uint64_t failures;              //  busy or stopping
    uint64_t in_flight;             //  sent, not yet answered
    uint64_t failovers;             //  sent again, their gateway lost
} jm_bridge_stats_t;

//  Connects to the gateways' client endpoints (a list separated by
//  commas, jm_gateways.h), with CURVE when curve is not
//  NULL (borrowed), and starts the bridge thread.  Returns NULL with err
//  filled when the endpoint is invalid.
jm_bridge_t *
    jm_bridge_new (const char *endpoint, const jm_curve_t *curve, jm_error_t *err);

//  Fails every call queued or in flight (JM_BRIDGE_STOPPING, running their
//  done callbacks) and stops the thread; calls submitted afterwards fail
//  at once.  The bridge stays valid until destroyed.
void
    jm_bridge_stop (jm_bridge_t *self);

//  Stops the bridge (when not stopped yet), closes the socket and frees it.
//  Accepts NULL and nulls the caller's pointer.
void
    jm_bridge_destroy (jm_bridge_t **self_p);

//  Queues count calls; the bridge sends them at once.  Calls are borrowed
//  until their done callback runs.  Never blocks.  When the bridge is
//  stopping, each call fails at once and done runs in the caller's thread.
void
    jm_bridge_submit (jm_bridge_t *self, jm_bridge_call_t **calls, size_t count);

//  Copies the counters.  Safe from any thread.
void
    jm_bridge_stats (jm_bridge_t *self, jm_bridge_stats_t *stats);

#endif
