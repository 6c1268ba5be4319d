/*  jm_mdp: Majordomo helpers, worker and client connections.  See jm_mdp.h
    and proto/protocol.md.                                                 */
#include "jm_mdp.h"
#include "jm_log.h"
#include "jm_mdp_decode.h"
#include "jm_alloc.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <string.h>

//  czmq sets itself up on the first socket, and that is not thread-safe:
//  workers created in several threads at once could race.  Set it up once.
static pthread_once_t s_czmq_once = PTHREAD_ONCE_INIT;

static void
s_czmq_init (void)
{
    zsys_init ();
}

//  --------------------------------------------------------------------------
//  Helpers

char *
jm_mdp_error_body (const char *code, const char *message)
{
    assert (code);
    json_t *body = json_pack ("{s:b, s:{s:s, s:s}}", "ok", 0, "error",
                              "code", code, "message", message? message: "");
    if (!body)              //  message was not valid UTF-8
        body = json_pack ("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code,
                          "message", "(message not valid UTF-8)");
    jm_alloc_check (body, "error reply JSON");
    char *text = jm_alloc_check (json_dumps (body, JSON_COMPACT), "error reply text");
    json_decref (body);
    return text;
}

//  Parses a READY extension frame "<prefix>N" with N a decimal number in
//  min..max.  Returns N, or -1 with err filled.
static int
s_extension_parse (const void *data, size_t size, const char *prefix, int min, int max,
                   jm_error_t *err)
{
    const size_t prefix_size = strlen (prefix);
    const char *text = data;
    if (size <= prefix_size || memcmp (text, prefix, prefix_size) != 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "READY extension frame is not \"%sN\"", prefix);
    long value = 0;
    for (size_t index = prefix_size; index < size; index++) {
        if (text [index] < '0' || text [index] > '9' || index - prefix_size >= 9)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "%.*s must be a decimal number %d..%d",
                                 (int) prefix_size - 1, prefix, min, max);
        value = value * 10 + (text [index] - '0');
    }
    if (value < min || value > max)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "%s%ld is outside %d..%d",
                             prefix, value, min, max);
    return (int) value;
}

int
jm_mdp_slots_parse (const void *data, size_t size, jm_error_t *err)
{
    return s_extension_parse (data, size, "slots=", 1, JM_MDP_SLOTS_MAX, err);
}

int
jm_mdp_slots_now_parse (const void *data, size_t size, jm_error_t *err)
{
    return s_extension_parse (data, size, "slots=", 0, JM_MDP_SLOTS_MAX, err);
}

int
jm_mdp_heartbeat_parse (const void *data, size_t size, jm_error_t *err)
{
    return s_extension_parse (data, size, "heartbeat=", JM_MDP_HEARTBEAT_MIN,
                              JM_MDP_HEARTBEAT_MAX, err);
}

int
jm_mdp_name_parse (const void *data, size_t size, char *name, jm_error_t *err)
{
    const char *text = data;
    const size_t prefix_size = strlen ("name=");
    if (size <= prefix_size || memcmp (text, "name=", prefix_size) != 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "READY extension frame is not \"name=TEXT\"");
    size_t length = size - prefix_size;
    if (length > JM_MDP_NAME_MAX)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "name is %zu bytes, more than %d",
                             length, JM_MDP_NAME_MAX);
    for (size_t index = 0; index < length; index++) {
        unsigned char c = (unsigned char) text [prefix_size + index];
        if (c <= 0x20 || c >= 0x7f)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "name has a space or a character outside printable ASCII "
                                 "at byte %zu", index + 1);
        name [index] = (char) c;
    }
    name [length] = 0;
    return (int) length;
}

char *
jm_mdp_hex (const void *data, size_t size, char *buffer, size_t buffer_size)
{
    assert (buffer && buffer_size > 0);
    static const char digits [] = "0123456789abcdef";
    const byte *bytes = data;
    size_t out = 0;
    for (size_t index = 0; index < size && out + 2 < buffer_size; index++) {
        buffer [out++] = digits [bytes [index] >> 4];
        buffer [out++] = digits [bytes [index] & 15];
    }
    buffer [out] = 0;
    return buffer;
}

void
jm_mdp_socket_defaults (zsock_t *sock)
{
    assert (sock);
    zsock_set_sndhwm (sock, JM_MDP_HWM);
    zsock_set_rcvhwm (sock, JM_MDP_HWM);
    zsock_set_linger (sock, 0);
}

//  Sends the count parts, the last with more when a body follows.
//  Returns 0, or -1 when the socket cannot take the message now.
static int
s_send_parts (void *handle, const jm_mdp_part_t *parts, size_t count, bool more)
{
    for (size_t index = 0; index < count; index++) {
        //  Only the first part can meet a full queue: ZeroMQ counts whole
        //  messages against the high water mark, so the rest always go
        int flags = index + 1 < count || more? ZMQ_SNDMORE: 0;
        if (zmq_send (handle, parts [index].size? parts [index].data: "", parts [index].size,
                      flags) < 0)
            return -1;
    }
    return 0;
}

int
jm_mdp_send (zsock_t *sock, const jm_mdp_part_t *parts, size_t count, zframe_t *body)
{
    return jm_mdp_send_frames (sock, parts, count, body? &body: NULL, body? 1: 0);
}

int
jm_mdp_send_frames (zsock_t *sock, const jm_mdp_part_t *parts, size_t count,
                    zframe_t **frames, size_t frame_count)
{
    assert (sock);
    assert (count > 0 || frame_count > 0);
    if (s_send_parts (zsock_resolve (sock), parts, count, frame_count > 0))
        return -1;
    for (size_t index = 0; index < frame_count; index++) {
        zframe_t *frame = frames [index];
        int flags = ZFRAME_REUSE | (index + 1 < frame_count? ZFRAME_MORE: 0);
        if (zframe_send (&frame, sock, flags))
            return -1;
    }
    return 0;
}

zmsg_t *
jm_mdp_recv_nowait (zsock_t *sock)
{
    assert (sock);
    //  A non-blocking receive only looks at the socket's command mailbox
    //  now and then (libzmq throttles it); ZMQ_EVENTS does so every time.
    //  zmsg_recv_nowait is marked deprecated in czmq in favour of polling
    //  first, which is exactly the cost avoided here; it is stable API.
    return zmsg_recv_nowait (sock);
}

//  Waits up to timeout_ms (-1: forever) for input on sock.  Returns true
//  when there is some.
static bool
s_poll_in (zsock_t *sock, int64_t timeout_ms)
{
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
    if (timeout_ms > INT32_MAX)
        timeout_ms = INT32_MAX;
    return zmq_poll (&item, 1, (long) timeout_ms) > 0;
}


//  --------------------------------------------------------------------------
//  jm_mdp_request_t

struct _jm_mdp_request_t {
    zframe_t *token;            //  the gateway's dispatch token, echoed in the reply
    zframe_t *body;
    uint64_t generation;        //  connection it arrived on
    jm_mdp_worker_t *worker;    //  the worker it arrived on
};

void
jm_mdp_request_destroy (jm_mdp_request_t **self_p)
{
    assert (self_p);
    jm_mdp_request_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->token);
    zframe_destroy (&self->body);
    free (self);
    *self_p = NULL;
}

const byte *
jm_mdp_request_data (jm_mdp_request_t *self)
{
    assert (self);
    return zframe_data (self->body);
}

size_t
jm_mdp_request_size (jm_mdp_request_t *self)
{
    assert (self);
    return zframe_size (self->body);
}

char *
jm_mdp_request_strdup (jm_mdp_request_t *self)
{
    assert (self);
    char *text = zframe_strdup (self->body);
    assert (text);
    return text;
}

zframe_t *
jm_mdp_request_token (jm_mdp_request_t *self)
{
    assert (self);
    return self->token;
}

jm_mdp_worker_t *
jm_mdp_request_worker (jm_mdp_request_t *self)
{
    assert (self);
    return self->worker;
}


//  --------------------------------------------------------------------------
//  jm_mdp_worker_t

struct _jm_mdp_worker_t {
    zsock_t *sock;              //  DEALER, the same object across reconnections
    char *endpoint;
    char *service;
    int slots;
    int slots_now;              //  what it can hold now (jm_mdp_worker_set_slots)
    int heartbeat_ms;
    int liveness;
    int64_t heartbeat_at;       //  when to send the next HEARTBEAT
    int64_t expires_at;         //  gateway lost when nothing heard by then
    uint64_t generation;        //  counts connections; requests remember theirs
    size_t reconnects;
    bool gateway_lost;          //  reconnected and heard nothing since
    bool heard;                 //  the gateway spoke since the last (re)connect
    bool announce;              //  READY still to send (the first, once settings are made)
    char name [JM_MDP_NAME_MAX + 1];    //  READY "name=", "": none
    int64_t warn_second;        //  malformed messages from the gateway are logged at
    int warn_count;             //  most WARN_PER_SECOND a second; the rest are counted
    uint64_t warnings_suppressed;
};

#define WARN_PER_SECOND 10

//  Sends [empty, MDPW01, command] (HEARTBEAT, DISCONNECT).  Returns 0, or
//  -1 when the send queue is full.
static int
s_worker_send_command (jm_mdp_worker_t *self, byte command)
{
    jm_mdp_part_t parts [] = { { "", 0 }, { JM_MDPW, 6 }, { &command, 1 } };
    return jm_mdp_send (self->sock, parts, 3, NULL);
}

//  READY [service, "slots=N" when N > 1, "heartbeat=MS", "name=TEXT" when
//  named]: the extensions tell the gateway how many requests to send at
//  once, how soon to notice this worker is gone, and what to call it.
static void
s_worker_send_ready (jm_mdp_worker_t *self)
{
    byte command = JM_MDPW_READY;
    char slots [32], heartbeat [32], name [JM_MDP_NAME_MAX + 8];
    snprintf (slots, sizeof slots, "slots=%d", self->slots);
    snprintf (heartbeat, sizeof heartbeat, "heartbeat=%d", self->heartbeat_ms);
    snprintf (name, sizeof name, "name=%s", self->name);
    jm_mdp_part_t parts [7] = {
        { "", 0 }, { JM_MDPW, 6 }, { &command, 1 }, { self->service, strlen (self->service) }
    };
    size_t count = 4;
    if (self->slots > 1)
        parts [count++] = (jm_mdp_part_t) { slots, strlen (slots) };
    parts [count++] = (jm_mdp_part_t) { heartbeat, strlen (heartbeat) };
    if (*self->name)
        parts [count++] = (jm_mdp_part_t) { name, strlen (name) };
    jm_mdp_send (self->sock, parts, count, NULL);
}

//  HEARTBEAT ["slots=N"]: the worker can hold N requests now, fewer than
//  its READY said (or all of them again).  Returns 0, or -1 when the send
//  queue is full.
static int
s_worker_send_slots (jm_mdp_worker_t *self)
{
    byte command = JM_MDPW_HEARTBEAT;
    char slots [32];
    snprintf (slots, sizeof slots, "slots=%d", self->slots_now);
    jm_mdp_part_t parts [] = {
        { "", 0 }, { JM_MDPW, 6 }, { &command, 1 }, { slots, strlen (slots) }
    };
    return jm_mdp_send (self->sock, parts, 4, NULL);
}

static void
s_worker_reset_timers (jm_mdp_worker_t *self)
{
    int64_t now = zclock_mono ();
    self->heartbeat_at = now + self->heartbeat_ms;
    self->expires_at = now + (int64_t) self->heartbeat_ms * self->liveness;
}

//  (Re)connects and announces the service.  A reconnection drops the old
//  connection so the gateway sees a new worker; requests that arrived over
//  the old one can no longer be answered (the gateway re-dispatches them).
static int
s_worker_connect (jm_mdp_worker_t *self)
{
    if (self->generation > 0) {
        zsock_disconnect (self->sock, "%s", self->endpoint);
        self->reconnects++;
    }
    if (zsock_connect (self->sock, "%s", self->endpoint))
        return -1;
    self->generation++;
    if (self->generation > 1) {
        s_worker_send_ready (self);
        if (self->slots_now < self->slots)
            s_worker_send_slots (self);
    }
    else
        self->announce = true;  //  sent by the first tick, recv or wait
    s_worker_reset_timers (self);
    return 0;
}

//  Sends the first READY, once the owner has made its settings.
static void
s_worker_announce (jm_mdp_worker_t *self)
{
    if (self->announce) {
        self->announce = false;
        s_worker_send_ready (self);
        if (self->slots_now < self->slots)
            s_worker_send_slots (self);
        s_worker_reset_timers (self);
    }
}

jm_mdp_worker_t *
jm_mdp_worker_new (const char *endpoint, const char *service, int slots, jm_error_t *err)
{
    return jm_mdp_worker_new_curve (endpoint, service, slots, NULL, err);
}

jm_mdp_worker_t *
jm_mdp_worker_new_curve (const char *endpoint, const char *service, int slots,
                         const jm_curve_t *curve, jm_error_t *err)
{
    assert (endpoint);
    assert (service);
    assert (slots >= 1 && slots <= JM_MDP_SLOTS_MAX);
    size_t service_size = strlen (service);
    if (service_size == 0 || service_size > JM_MDP_SERVICE_MAX) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "service name must be 1..%d bytes",
                      JM_MDP_SERVICE_MAX);
        return NULL;
    }
    jm_mdp_worker_t *self = jm_calloc (1, sizeof *self);
    self->endpoint = jm_strdup (endpoint);
    self->service = jm_strdup (service);
    self->slots = slots;
    self->slots_now = slots;
    self->heartbeat_ms = JM_MDP_HEARTBEAT_MS;
    self->liveness = JM_MDP_LIVENESS;
    pthread_once (&s_czmq_once, s_czmq_init);
    self->sock = zsock_new (ZMQ_DEALER);
    assert (self->sock);
    jm_mdp_socket_defaults (self->sock);
    zsock_set_sndtimeo (self->sock, 0);         //  never block the owner's loop
    if (curve)                                  //  kept by the socket across reconnections
        jm_curve_apply_client (curve, self->sock);
    if (s_worker_connect (self)) {
        jm_error_set (err, JM_ERR_IO, "cannot connect worker to '%s': %s", endpoint,
                      zmq_strerror (zmq_errno ()));
        jm_mdp_worker_destroy (&self);
        return NULL;
    }
    jm_log_debug ("worker for '%s' (%d slots) connecting to %s", service, slots, endpoint);
    return self;
}

void
jm_mdp_worker_destroy (jm_mdp_worker_t **self_p)
{
    assert (self_p);
    jm_mdp_worker_t *self = *self_p;
    if (!self)
        return;
    if (self->generation > 0) {
        zsock_set_linger (self->sock, 200);     //  give DISCONNECT a chance to leave
        s_worker_send_command (self, JM_MDPW_DISCONNECT);
    }
    zsock_destroy (&self->sock);
    free (self->endpoint);
    free (self->service);
    free (self);
    *self_p = NULL;
}

void
jm_mdp_worker_set_heartbeat (jm_mdp_worker_t *self, int interval_ms, int liveness)
{
    assert (self);
    assert (interval_ms > 0);
    assert (liveness > 0);
    self->heartbeat_ms = interval_ms;
    self->liveness = liveness;
    s_worker_reset_timers (self);
}

void
jm_mdp_worker_set_name (jm_mdp_worker_t *self, const char *name)
{
    assert (self);
    size_t length = 0;
    for (; name && name [length] && length < JM_MDP_NAME_MAX; length++) {
        unsigned char c = (unsigned char) name [length];
        self->name [length] = c > 0x20 && c < 0x7f? (char) c: '_';
    }
    self->name [length] = 0;
}

zsock_t *
jm_mdp_worker_sock (jm_mdp_worker_t *self)
{
    assert (self);
    return self->sock;
}

size_t
jm_mdp_worker_reconnects (jm_mdp_worker_t *self)
{
    assert (self);
    return self->reconnects;
}

bool
jm_mdp_worker_connected (jm_mdp_worker_t *self)
{
    assert (self);
    return !self->gateway_lost;
}

bool
jm_mdp_worker_heard (jm_mdp_worker_t *self)
{
    assert (self);
    return self->heard;
}

//  Answers a request whose body is several frames: jobmatch's services
//  take one-frame bodies, and a part of a body must never pass for all of it.
static void
s_worker_refuse_frames (jm_mdp_worker_t *self, zframe_t *token, size_t frames)
{
    char message [160];
    snprintf (message, sizeof message, "the body is %zu frames; service '%.64s' takes a "
              "body of one frame", frames, self->service);
    char *body = jm_mdp_error_body (JM_ERR_INVALID_REQUEST, message);
    byte command = JM_MDPW_REPLY;
    jm_mdp_part_t parts [] = {
        { "", 0 }, { JM_MDPW, 6 }, { &command, 1 },
        { zframe_data (token), zframe_size (token) }, { "", 0 }, { body, strlen (body) }
    };
    jm_mdp_send (self->sock, parts, 6, NULL);
    free (body);
    jm_log_debug ("worker for '%s': refused a request of %zu body frames", self->service, frames);
}

//  Logs a malformed message from the gateway, at most WARN_PER_SECOND a
//  second: whoever sends them cannot flood the log.
static void
s_worker_warn_malformed (jm_mdp_worker_t *self, const char *problem)
{
    int64_t second = zclock_mono () / 1000;
    if (second != self->warn_second) {
        if (self->warnings_suppressed)
            jm_log_warning ("worker for '%s': %" PRIu64 " more malformed messages from the "
                            "gateway were dropped", self->service, self->warnings_suppressed);
        self->warn_second = second;
        self->warn_count = 0;
        self->warnings_suppressed = 0;
    }
    if (self->warn_count++ < WARN_PER_SECOND)
        jm_log_warning ("worker for '%s': dropped a malformed message from the gateway: %s",
                        self->service, problem);
    else
        self->warnings_suppressed++;
}

//  Handles one message from the gateway.  Returns a request when it was one.
static jm_mdp_request_t *
s_worker_handle (jm_mdp_worker_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    self->expires_at = zclock_mono () + (int64_t) self->heartbeat_ms * self->liveness;
    self->heard = true;
    if (self->gateway_lost) {
        self->gateway_lost = false;
        jm_log_info ("worker for '%s': gateway at %s is back", self->service, self->endpoint);
    }
    jm_mdp_worker_msg_t decoded;
    char problem [JM_MDP_PROBLEM_MAX];
    if (jm_mdp_gateway_decode (msg, &decoded, problem, sizeof problem) != JM_MDP_DECODE_OK) {
        s_worker_warn_malformed (self, problem);
        zmsg_destroy (msg_p);
        return NULL;
    }
    int code = decoded.command;
    jm_mdp_request_t *request = NULL;
    if (code == JM_MDPW_REQUEST && decoded.body_size > 1)
        s_worker_refuse_frames (self, decoded.token, decoded.body_size);
    else
    if (code == JM_MDPW_REQUEST) {
        request = jm_calloc (1, sizeof *request);
        zmsg_remove (msg, decoded.token);
        zmsg_remove (msg, decoded.body [0]);
        request->token = decoded.token;
        request->body = decoded.body [0];
        request->generation = self->generation;
        request->worker = self;
    }
    else
    if (code == JM_MDPW_DISCONNECT) {
        jm_log_info ("worker for '%s': gateway sent DISCONNECT; reconnecting", self->service);
        s_worker_connect (self);
    }
    zmsg_destroy (msg_p);
    return request;
}

jm_mdp_request_t *
jm_mdp_worker_recv (jm_mdp_worker_t *self)
{
    assert (self);
    s_worker_announce (self);
    zmsg_t *msg;
    while ((msg = jm_mdp_recv_nowait (self->sock))) {
        jm_mdp_request_t *request = s_worker_handle (self, &msg);
        if (request)
            return request;
    }
    return NULL;
}

jm_mdp_request_t *
jm_mdp_worker_wait (jm_mdp_worker_t *self, int timeout_ms)
{
    assert (self);
    int64_t deadline = timeout_ms < 0? INT64_MAX: zclock_mono () + timeout_ms;
    while (true) {
        jm_mdp_request_t *request = jm_mdp_worker_recv (self);
        if (request)
            return request;
        int64_t wait = jm_mdp_worker_tick (self);
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0)
            return NULL;
        if (wait > remaining)
            wait = remaining;
        zmq_pollitem_t item = { zsock_resolve (self->sock), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, (long) wait) < 0)
            return NULL;            //  interrupted
    }
}

//  Sends a reply whose body is a frame (shared, stays the caller's) or a
//  message (lent: sent, or left for the caller to close), and destroys the
//  request.  Returns 0, or -1 when the reply was dropped.
static int
s_worker_reply (jm_mdp_worker_t *self, jm_mdp_request_t **request_p, zframe_t *frame,
                zmq_msg_t *lent)
{
    assert (self);
    assert (request_p && *request_p);
    jm_mdp_request_t *request = *request_p;
    *request_p = NULL;
    int rc = -1;
    if (request->generation == self->generation) {
        byte command = JM_MDPW_REPLY;
        jm_mdp_part_t parts [] = {
            { "", 0 }, { JM_MDPW, 6 }, { &command, 1 },
            { zframe_data (request->token), zframe_size (request->token) }, { "", 0 }
        };
        if (frame)
            rc = jm_mdp_send (self->sock, parts, 5, frame);
        else {
            void *handle = zsock_resolve (self->sock);
            rc = s_send_parts (handle, parts, 5, true) || zmq_msg_send (lent, handle, 0) < 0
               ? -1 : 0;
        }
        if (rc)
            jm_log_warning ("worker for '%s': send queue full, reply dropped", self->service);
    }
    else
        jm_log_debug ("worker for '%s': reply to a request from an old connection dropped",
                      self->service);
    jm_mdp_request_destroy (&request);
    return rc;
}

int
jm_mdp_worker_reply (jm_mdp_worker_t *self, jm_mdp_request_t **request_p, zframe_t **body_p)
{
    assert (body_p && *body_p);
    int rc = s_worker_reply (self, request_p, *body_p, NULL);
    zframe_destroy (body_p);
    return rc;
}

int
jm_mdp_worker_reply_lent (jm_mdp_worker_t *self, jm_mdp_request_t **request_p,
                          void *data, size_t size, zmq_free_fn *release, void *hint)
{
    assert (data && release);
    zmq_msg_t body;
    int rc = zmq_msg_init_data (&body, data, size, release, hint);
    if (rc)                     //  fails only when out of memory
        jm_alloc_check (NULL, "ZeroMQ message");
    rc = s_worker_reply (self, request_p, NULL, &body);
    if (rc)
        zmq_msg_close (&body);  //  not sent: released now
    return rc;
}

int
jm_mdp_worker_reply_str (jm_mdp_worker_t *self, jm_mdp_request_t **request_p, const char *body)
{
    assert (body);
    zframe_t *frame = zframe_from (body);
    return jm_mdp_worker_reply (self, request_p, &frame);
}

int
jm_mdp_worker_set_slots (jm_mdp_worker_t *self, int slots)
{
    assert (self);
    if (slots < 0)
        slots = 0;
    if (slots > self->slots)
        slots = self->slots;
    if (slots == self->slots_now)
        return 0;
    self->slots_now = slots;
    if (self->announce)
        return 0;               //  READY is still to go, and this after it
    jm_log_debug ("worker for '%s': can hold %d of %d requests now", self->service,
                  slots, self->slots);
    int rc = s_worker_send_slots (self);
    self->heartbeat_at = zclock_mono () + self->heartbeat_ms;
    return rc;
}

int
jm_mdp_worker_slots_now (jm_mdp_worker_t *self)
{
    assert (self);
    return self->slots_now;
}

int
jm_mdp_worker_tick (jm_mdp_worker_t *self)
{
    assert (self);
    s_worker_announce (self);
    int64_t now = zclock_mono ();
    if (now >= self->expires_at) {
        if (!self->gateway_lost)
            jm_log_warning ("worker for '%s': gateway at %s silent for %d ms; reconnecting",
                            self->service, self->endpoint, self->heartbeat_ms * self->liveness);
        else
            jm_log_debug ("worker for '%s': gateway still silent; reconnecting", self->service);
        self->gateway_lost = true;
        self->heard = false;
        s_worker_connect (self);
        now = zclock_mono ();
    }
    if (now >= self->heartbeat_at) {
        //  while it holds fewer, every heartbeat says so (a gateway that
        //  restarted learns it from the next one)
        if (self->slots_now < self->slots)
            s_worker_send_slots (self);
        else
            s_worker_send_command (self, JM_MDPW_HEARTBEAT);
        self->heartbeat_at = now + self->heartbeat_ms;
    }
    int64_t next_at = self->heartbeat_at < self->expires_at? self->heartbeat_at: self->expires_at;
    int64_t next = next_at - now;
    return next < 0? 0: (int) next;
}


//  --------------------------------------------------------------------------
//  jm_mdp_client_t

struct _jm_mdp_client_t {
    zsock_t *sock;              //  DEALER
    uint64_t sequence;          //  for request ()'s own request ids
};

jm_mdp_client_t *
jm_mdp_client_new (const char *endpoint, jm_error_t *err)
{
    return jm_mdp_client_new_curve (endpoint, NULL, err);
}

jm_mdp_client_t *
jm_mdp_client_new_curve (const char *endpoint, const jm_curve_t *curve, jm_error_t *err)
{
    jm_mdp_client_t *self = jm_calloc (1, sizeof *self);
    pthread_once (&s_czmq_once, s_czmq_init);
    self->sock = zsock_new (ZMQ_DEALER);
    assert (self->sock);
    jm_mdp_socket_defaults (self->sock);
    zsock_set_sndtimeo (self->sock, 0);
    if (curve)
        jm_curve_apply_client (curve, self->sock);
    if (endpoint && jm_mdp_client_connect (self, endpoint, err)) {
        jm_mdp_client_destroy (&self);
        return NULL;
    }
    return self;
}

int
jm_mdp_client_connect (jm_mdp_client_t *self, const char *endpoint, jm_error_t *err)
{
    assert (self);
    assert (endpoint);
    if (zsock_connect (self->sock, "%s", endpoint))
        return jm_error_set (err, JM_ERR_IO, "cannot connect client to '%s': %s", endpoint,
                             zmq_strerror (zmq_errno ()));
    return 0;
}

void
jm_mdp_client_destroy (jm_mdp_client_t **self_p)
{
    assert (self_p);
    jm_mdp_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->sock);
    free (self);
    *self_p = NULL;
}

zsock_t *
jm_mdp_client_sock (jm_mdp_client_t *self)
{
    assert (self);
    return self->sock;
}

int
jm_mdp_client_send (jm_mdp_client_t *self, const char *service, const char *request_id,
                    const void *body, size_t size)
{
    assert (self);
    assert (service);
    assert (request_id);
    assert (body || size == 0);
    size_t service_size = strlen (service);
    size_t id_size = strlen (request_id);
    if (service_size == 0 || service_size > JM_MDP_SERVICE_MAX
    ||  id_size == 0 || id_size > JM_MDP_REQUEST_ID_MAX)
        return -1;
    //  The request id travels in the envelope, before the delimiter, and
    //  comes back there; after it the request is plain 7/MDP
    jm_mdp_part_t parts [] = {
        { request_id, id_size }, { "", 0 }, { JM_MDPC, 6 }, { service, service_size },
        { body, size }
    };
    return jm_mdp_send (self->sock, parts, 5, NULL);
}

//  Takes a reply [request-id, "", MDPC01, service, body] apart into the
//  out-pointers.  Returns 0, or -1 with problem filled when it is
//  malformed.  A body of several frames (a worker of another kind) comes
//  back as an error body rather than a part of it.
static int
s_client_decode (zmsg_t *msg, char **service_p, char **request_id_p, char **body_p,
                 char *problem, size_t size)
{
    jm_mdp_reply_msg_t reply;
    if (jm_mdp_reply_decode (msg, &reply, problem, size) != JM_MDP_DECODE_OK)
        return -1;
    if (reply.envelope_size != 1) {
        snprintf (problem, size, "a reply with %zu envelope frames; ours have one, "
                  "the request id", reply.envelope_size);
        return -1;
    }
    if (service_p)
        *service_p = zframe_strdup (reply.service);
    if (request_id_p)
        *request_id_p = zframe_strdup (reply.envelope [0]);
    if (body_p && reply.body_size == 1)
        *body_p = zframe_strdup (reply.body [0]);
    else
    if (body_p) {
        char message [128];
        snprintf (message, sizeof message, "the reply body is %zu frames; this client "
                  "takes a body of one frame", reply.body_size);
        *body_p = jm_mdp_error_body (JM_ERR_INVALID_REQUEST, message);
    }
    return 0;
}

int
jm_mdp_client_recv (jm_mdp_client_t *self, char **service_p, char **request_id_p,
                    char **body_p, int timeout_ms)
{
    assert (self);
    int64_t deadline = timeout_ms < 0? INT64_MAX: zclock_mono () + timeout_ms;
    while (true) {
        zmsg_t *msg;
        while ((msg = jm_mdp_recv_nowait (self->sock))) {
            char problem [JM_MDP_PROBLEM_MAX];
            int rc = s_client_decode (msg, service_p, request_id_p, body_p, problem,
                                      sizeof problem);
            if (rc)
                jm_log_warning ("client: dropped a malformed reply: %s", problem);
            zmsg_destroy (&msg);
            if (rc == 0)
                return 0;
        }
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0 || !s_poll_in (self->sock, remaining))
            return -1;
    }
}

char *
jm_mdp_client_request (jm_mdp_client_t *self, const char *service, const char *body,
                       int timeout_ms, jm_error_t *err)
{
    assert (self);
    assert (service);
    assert (body);
    char request_id [32];
    snprintf (request_id, sizeof request_id, "rq-%" PRIu64, ++self->sequence);
    if (jm_mdp_client_send (self, service, request_id, body, strlen (body))) {
        jm_error_set (err, JM_ERR_IO, "cannot send a request to '%s'", service);
        return NULL;
    }
    char *reply = jm_mdp_client_recv_id (self, request_id, timeout_ms);
    if (!reply)
        jm_error_set (err, JM_ERR_IO, "no reply from service '%s' within %d ms", service, timeout_ms);
    return reply;
}

char *
jm_mdp_client_recv_id (jm_mdp_client_t *self, const char *request_id, int timeout_ms)
{
    assert (self);
    assert (request_id);
    int64_t deadline = timeout_ms < 0? INT64_MAX: zclock_mono () + timeout_ms;
    while (true) {
        int64_t remaining = deadline - zclock_mono ();
        if (remaining < 0)
            remaining = 0;
        char *reply_id = NULL, *reply = NULL;
        if (jm_mdp_client_recv (self, NULL, &reply_id, &reply,
                                remaining > INT32_MAX? -1: (int) remaining))
            return NULL;
        bool mine = strcmp (reply_id, request_id) == 0;
        free (reply_id);
        if (mine)
            return reply;
        free (reply);
    }
}
