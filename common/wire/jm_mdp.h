/*  jm_mdp: the Majordomo protocol as jobmatch speaks it (proto/protocol.md).

    Three parts, shared by the gateway (the broker), the matcher (a worker)
    and the CLI and dashboard (clients):

    1.  Small helpers: the JSON body of an error reply, the READY
        extensions "slots=N" and "heartbeat=MS" (and HEARTBEAT "slots=N",
        the fewer a worker can hold for a while), sending a message from
        parts.  The protocol's constants (headers, commands, limits) and the
        decoders of received messages are in jm_mdp_decode.h, which this
        header includes.

    2.  jm_mdp_worker_t, a worker connection.  It announces a service with N
        slots (READY + "slots=N" + "heartbeat=MS"), hands out each REQUEST as a
        jm_mdp_request_t (dispatch token + body), sends REPLYs in any order
        with up to N outstanding, exchanges heartbeats, and reconnects with a
        fresh READY when the gateway has been silent for liveness heartbeats
        or tells it to DISCONNECT.  It never blocks its owner: poll
        jm_mdp_worker_sock () along with anything else, drain requests with
        jm_mdp_worker_recv () until it returns NULL, and call
        jm_mdp_worker_tick () at least as often as it asks.  A batch worker:

            while (running) {
                zmq_poll (.. jm_mdp_worker_sock (worker) .., jm_mdp_worker_tick (worker));
                jm_mdp_request_t *batch [64];
                size_t count = 0;
                while (count < 64 && (batch [count] = jm_mdp_worker_recv (worker)))
                    count++;
                ... score the batch together ...
                for (size_t index = 0; index < count; index++)
                    jm_mdp_worker_reply_str (worker, &batch [index], reply [index]);
            }

    3.  jm_mdp_client_t, a client connection (DEALER).  send () and recv ()
        keep any number of requests in flight, matched by request id (a
        frame of the ZeroMQ envelope, so the rest is plain 7/MDP);
        request () is the blocking one-shot.

    Objects may be created in several threads at once (czmq's one-time setup
    is guarded), but each must stay in the thread that created it (ZeroMQ
    sockets are not thread-safe).  czmq's setup installs its SIGINT/SIGTERM
    handler unless the program called zsys_handler_set (NULL) first; mains
    that sigwait for signals (see services/jobmatch-gateway/main.c) block
    them before creating any object.  Out of memory aborts.                */
#ifndef JM_MDP_H
#define JM_MDP_H

#include "jm_curve.h"
#include "jm_error.h"
#include "jm_mdp_decode.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  --------------------------------------------------------------------------
//  Helpers

//  Returns the error reply body {"ok": false, "error": {"code": C, "message":
//  M}} as a fresh string the caller frees.  message may be any UTF-8 text
//  (it is escaped); NULL gives an empty message.
char *
    jm_mdp_error_body (const char *code, const char *message);

//  Parses the READY extension frame "slots=N".  Returns N (1..1000), or -1
//  with err filled (code invalid_request) when the frame says something else.
int
    jm_mdp_slots_parse (const void *data, size_t size, jm_error_t *err);

//  Parses the HEARTBEAT extension frame "slots=N" of a worker that can hold
//  N requests now (0..1000; proto/protocol.md 5.4).  Returns N, or -1 with
//  err filled (code invalid_request) when the frame says something else.
int
    jm_mdp_slots_now_parse (const void *data, size_t size, jm_error_t *err);

//  Parses the READY extension frame "heartbeat=N", the worker's heartbeat
//  interval in milliseconds.  Returns N (10..600000), or -1 with err filled
//  (code invalid_request) when the frame says something else.
int
    jm_mdp_heartbeat_parse (const void *data, size_t size, jm_error_t *err);

//  Parses the READY extension frame "name=TEXT", a worker's name for
//  people (its host and process, "host:pid"): 1..JM_MDP_NAME_MAX bytes of
//  printable ASCII without spaces.  Copies TEXT into name (at least
//  JM_MDP_NAME_MAX + 1 bytes) and returns its length, or returns -1 with
//  err filled (code invalid_request) when the frame says something else.
int
    jm_mdp_name_parse (const void *data, size_t size, char *name, jm_error_t *err);

//  Writes up to size-1 hex digits of data to buffer (lower case, NUL
//  terminated, "…" not added) and returns buffer.  For logging identities.
char *
    jm_mdp_hex (const void *data, size_t size, char *buffer, size_t buffer_size);

//  Applies the jobmatch defaults to a socket: high water marks JM_MDP_HWM and
//  linger 0.
void
    jm_mdp_socket_defaults (zsock_t *sock);

//  One frame of a message to send, as data and size (copied when sent).
typedef struct {
    const void *data;
    size_t size;
} jm_mdp_part_t;

//  Sends one message: the count parts, then body when not NULL.  The body
//  frame is shared, not copied, and stays the caller's.  All or nothing:
//  returns 0, or -1 when the socket cannot take the message now (a DEALER
//  whose queue is full, with a send timeout of 0).  Cheaper than building a
//  zmsg_t: no allocation for small parts.
int
    jm_mdp_send (zsock_t *sock, const jm_mdp_part_t *parts, size_t count, zframe_t *body);

//  Same with a body of frame_count frames (shared, not copied, the caller's).
int
    jm_mdp_send_frames (zsock_t *sock, const jm_mdp_part_t *parts, size_t count,
                        zframe_t **frames, size_t frame_count);

//  Returns the next whole message waiting on the socket, or NULL when there
//  is none; never blocks, never copies frames.  Drain sockets with this
//  rather than checking zsock_events () first, which costs a system call
//  for every message.
zmsg_t *
    jm_mdp_recv_nowait (zsock_t *sock);


//  --------------------------------------------------------------------------
//  jm_mdp_request_t: one request a worker received

typedef struct _jm_mdp_request_t jm_mdp_request_t;

//  Destroys a request without replying (the gateway re-dispatches it only if
//  this worker is lost).  Accepts NULL and nulls the caller's pointer.
void
    jm_mdp_request_destroy (jm_mdp_request_t **self_p);

//  The request body (the client's body, byte for byte); borrowed.  Not NUL
//  terminated: use jm_mdp_request_size, or jm_mdp_request_strdup.
const byte *
    jm_mdp_request_data (jm_mdp_request_t *self);
size_t
    jm_mdp_request_size (jm_mdp_request_t *self);

//  The body as a fresh NUL-terminated string the caller frees.
char *
    jm_mdp_request_strdup (jm_mdp_request_t *self);

//  The gateway's dispatch token (the "client address" frame); borrowed.
zframe_t *
    jm_mdp_request_token (jm_mdp_request_t *self);


//  --------------------------------------------------------------------------
//  jm_mdp_worker_t: a worker connection to the gateway

typedef struct _jm_mdp_worker_t jm_mdp_worker_t;

//  Creates a worker for service that may hold up to slots requests at once
//  (1..JM_MDP_SLOTS_MAX) and connects it to endpoint ("tcp://host:port").
//  Its first jm_mdp_worker_tick, _recv or _wait sends READY with the
//  extensions "slots=N" (when N > 1) and "heartbeat=MS", so settings made
//  before then are announced.  Connecting does not wait for the gateway:
//  requests arrive once it is up.  Returns NULL with err filled
//  when the endpoint is invalid or the service name is empty or too long.
jm_mdp_worker_t *
    jm_mdp_worker_new (const char *endpoint, const char *service, int slots,
                       jm_error_t *err);

//  Same, as a CURVE client of the gateway when curve is not NULL: its keys
//  go on the socket before it connects (curve is borrowed, not kept).
jm_mdp_worker_t *
    jm_mdp_worker_new_curve (const char *endpoint, const char *service, int slots,
                             const jm_curve_t *curve, jm_error_t *err);

//  Sends DISCONNECT (waiting up to 200 ms for it to leave), closes the
//  connection and frees the worker.  Requests not replied to are lost to
//  this worker; the gateway re-dispatches them.  Accepts NULL and nulls the
//  caller's pointer.
void
    jm_mdp_worker_destroy (jm_mdp_worker_t **self_p);

//  Sets the heartbeat interval and how many intervals of silence mean the
//  gateway is lost (defaults JM_MDP_HEARTBEAT_MS, JM_MDP_LIVENESS).  Use the
//  gateway's --heartbeat-ms so both sides agree; the interval goes to the
//  gateway in READY, which expires the worker after its own liveness times
//  it.  Call before the first tick, recv or wait.
void
    jm_mdp_worker_set_heartbeat (jm_mdp_worker_t *self, int interval_ms, int liveness);

//  Names the worker for people ("host:pid"), sent in READY as the
//  extension "name=TEXT" (proto/protocol.md 5.1) and shown by the gateway's
//  jobmatch.system.  Characters outside printable ASCII and spaces become
//  '_', and it is cut to JM_MDP_NAME_MAX bytes.  Call before the first
//  tick, recv or wait; a NULL or empty name sends none.
void
    jm_mdp_worker_set_name (jm_mdp_worker_t *self, const char *name);

//  Says how many requests the worker can hold now, 0 up to the slots it was
//  created with (values outside are clamped): backpressure, e.g. while what
//  it has done cannot be stored.  When that changes the gateway hears it at
//  once (HEARTBEAT + "slots=N", proto/protocol.md 5.4), and again with every
//  heartbeat and after every READY while it is below the slots; requests
//  already sent still arrive.  Returns 0, or -1 when the send queue is full
//  (the next heartbeat says it).
int
    jm_mdp_worker_set_slots (jm_mdp_worker_t *self, int slots);

//  What jm_mdp_worker_set_slots last set (the slots at first).
int
    jm_mdp_worker_slots_now (jm_mdp_worker_t *self);

//  The socket to poll for input (ZMQ_POLLIN); borrowed.  It stays the same
//  object for the worker's whole life, across reconnections.
zsock_t *
    jm_mdp_worker_sock (jm_mdp_worker_t *self);

//  Returns the next request waiting, or NULL when there is none: never
//  blocks.  Handles heartbeats and DISCONNECT on the way; drops malformed
//  messages with a warning; answers a request whose body is more than one
//  frame with invalid_request itself.  The caller owns the request and replies to it
//  or destroys it.
jm_mdp_request_t *
    jm_mdp_worker_recv (jm_mdp_worker_t *self);

//  Waits up to timeout_ms (-1: forever) for a request, doing heartbeats and
//  reconnections meanwhile.  Returns the request (caller owns) or NULL on
//  timeout or interrupt.  For simple one-at-a-time workers and tests.
jm_mdp_request_t *
    jm_mdp_worker_wait (jm_mdp_worker_t *self, int timeout_ms);

//  Sends the reply and destroys the request; takes ownership of both, even
//  on failure.  Returns 0, or -1 when the reply could not be sent: the
//  request came over a connection since replaced (the gateway has already
//  re-dispatched it) or the send queue is full.
int
    jm_mdp_worker_reply (jm_mdp_worker_t *self, jm_mdp_request_t **request_p,
                         zframe_t **body_p);

//  Same with the body copied from a string.
int
    jm_mdp_worker_reply_str (jm_mdp_worker_t *self, jm_mdp_request_t **request_p,
                             const char *body);

//  Same with a body the caller lends: size bytes at data, sent without a
//  copy.  libzmq calls release (data, hint) once it is done with them, from
//  its I/O thread, or this call does when the reply is dropped; either way
//  exactly once, and the caller must not touch the bytes until then.
int
    jm_mdp_worker_reply_lent (jm_mdp_worker_t *self, jm_mdp_request_t **request_p,
                              void *data, size_t size, zmq_free_fn *release, void *hint);

//  Does the periodic work: sends a heartbeat when one is due and reconnects
//  (with a new READY) when the gateway has been silent too long.  Returns the
//  milliseconds until it next needs calling; use it as the poll timeout.
int
    jm_mdp_worker_tick (jm_mdp_worker_t *self);

//  How many times the worker has reconnected.
size_t
    jm_mdp_worker_reconnects (jm_mdp_worker_t *self);

//  The worker the request came on (borrowed): a worker with several
//  gateways (one worker each) replies on it.
jm_mdp_worker_t *
    jm_mdp_request_worker (jm_mdp_request_t *self);

//  True while the worker hears its gateway (false after it went silent and
//  the worker reconnected, until it speaks again).
bool
    jm_mdp_worker_connected (jm_mdp_worker_t *self);

//  True once the gateway has spoken (a heartbeat or a request) since the
//  worker last connected: the gateway has it registered.  Stricter than
//  jm_mdp_worker_connected, which is true until the gateway went silent.
bool
    jm_mdp_worker_heard (jm_mdp_worker_t *self);


//  --------------------------------------------------------------------------
//  jm_mdp_client_t: a client connection to the gateway

typedef struct _jm_mdp_client_t jm_mdp_client_t;

//  Creates a client connected to endpoint.  Returns NULL with err filled
//  when the endpoint is invalid.
jm_mdp_client_t *
    jm_mdp_client_new (const char *endpoint, jm_error_t *err);

//  Same, as a CURVE client of the gateway when curve is not NULL (borrowed,
//  not kept).  endpoint NULL: not connected yet (jm_mdp_client_connect), so
//  that socket options and a monitor can be set first.
jm_mdp_client_t *
    jm_mdp_client_new_curve (const char *endpoint, const jm_curve_t *curve, jm_error_t *err);

//  Connects the client to endpoint.  Returns 0, or -1 with err filled when
//  the endpoint is invalid.
int
    jm_mdp_client_connect (jm_mdp_client_t *self, const char *endpoint, jm_error_t *err);

//  Closes the connection (requests in flight are abandoned) and frees the
//  client.  Accepts NULL and nulls the caller's pointer.
void
    jm_mdp_client_destroy (jm_mdp_client_t **self_p);

//  The socket to poll for replies; borrowed.
zsock_t *
    jm_mdp_client_sock (jm_mdp_client_t *self);

//  Sends one request [request-id, "", MDPC01, service, body]; the body is
//  copied.  request_id must be 1..255 bytes; it travels in the ZeroMQ
//  envelope and comes back with the reply.  Never blocks: returns 0, or -1 when the send
//  queue is full (back off and retry) or the arguments are invalid.
int
    jm_mdp_client_send (jm_mdp_client_t *self, const char *service,
                        const char *request_id, const void *body, size_t size);

//  Waits up to timeout_ms (0: do not wait, -1: forever) for the next reply.
//  Returns 0 and sets each non-NULL out-pointer to a fresh string the caller
//  frees, or -1 on timeout or interrupt.  Malformed replies are dropped; a
//  reply body of several frames comes back as an invalid_request error body.
int
    jm_mdp_client_recv (jm_mdp_client_t *self, char **service_p,
                        char **request_id_p, char **body_p, int timeout_ms);

//  Waits up to timeout_ms (0: only what is there, -1: forever) for the
//  reply to request_id, dropping replies to other ids (answers to earlier
//  requests that timed out).  Returns its body (caller frees), or NULL.
char *
    jm_mdp_client_recv_id (jm_mdp_client_t *self, const char *request_id, int timeout_ms);

//  Sends one request with a request id of its own and waits up to
//  timeout_ms for its reply, dropping replies to other ids (answers to
//  earlier requests that timed out).  Returns the reply body (caller frees)
//  or NULL with err filled (io_error) on timeout.  Error replies from the
//  gateway are bodies like any other: check their "ok".
char *
    jm_mdp_client_request (jm_mdp_client_t *self, const char *service,
                           const char *body, int timeout_ms, jm_error_t *err);

#endif
