/*  jobmatch CLI: requests in flight to the gateways.  See batch_pipe.h.

    The requests outstanding sit in one array (a batch run keeps a few
    dozen); each is either waiting for its reply until `deadline` from the
    gateway it went to, or, after a failed attempt, waiting to be resent at
    `resend_at`.  When a gateway's connection goes down, the requests
    waiting on it go at once to another (a failover, not an attempt).     */
#include "batch_pipe.h"
#include "batch_json.h"
#include "jm_gateways.h"
#include "jm_log.h"
#include "jm_mdp.h"
#include "jm_mdp_decode.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JM_BATCH_BACKOFF_MS      250
#define JM_BATCH_BACKOFF_MAX_MS  15000

typedef struct {
    char id [32];
    char *service;
    char *body;
    size_t len;
    void *tag;
    int attempts;
    int64_t deadline;           //  waiting for a reply until then
    int64_t resend_at;          //  0, or backing off until then
    bool unsent;                //  the last attempt could not even be sent
    int gateway;                //  the gateway waited on, or -1
    jm_error_t last;            //  why the last attempt failed
} s_request_t;

struct _jm_batch_pipe_t {
    jm_gateways_t *gateways;
    int timeout_ms;
    int retries;
    s_request_t *requests;
    size_t count, cap;
    uint64_t sequence;
    unsigned pid;
    jm_batch_pipe_stats_t stats;
};

jm_batch_pipe_t *
jm_batch_pipe_new (const char *endpoint, const jm_curve_t *curve, int timeout_ms, int retries, jm_error_t *err)
{
    jm_gateways_t *gateways = jm_gateways_new (endpoint, curve, err);
    if (!gateways)
        return NULL;
    jm_batch_pipe_t *self = jm_calloc (1, sizeof *self);
    self->gateways = gateways;
    self->timeout_ms = timeout_ms;
    self->retries = retries;
    self->pid = (unsigned) getpid ();
    return self;
}

static void
s_request_free (s_request_t *request)
{
    free (request->service);
    free (request->body);
    request->service = NULL;
    request->body = NULL;
}

void
jm_batch_pipe_destroy (jm_batch_pipe_t **self_p)
{
    jm_batch_pipe_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        s_request_free (&self->requests [i]);
    free (self->requests);
    jm_gateways_destroy (&self->gateways);
    free (self);
    *self_p = NULL;
}

static int
s_backoff_ms (int attempts)
{
    int64_t wait = JM_BATCH_BACKOFF_MS;
    for (int i = 1; i < attempts && wait < JM_BATCH_BACKOFF_MAX_MS; i++)
        wait *= 2;
    if (wait > JM_BATCH_BACKOFF_MAX_MS)
        wait = JM_BATCH_BACKOFF_MAX_MS;
    //  a little jitter so that many clients do not come back together
    return (int) (wait - wait / 8 + (int64_t) (random () % (wait / 4 + 1)));
}

//  The request waits on no gateway any more.
static void
s_release (jm_batch_pipe_t *self, s_request_t *request)
{
    if (request->gateway >= 0)
        jm_gateways_done (self->gateways, request->gateway);
    request->gateway = -1;
}

//  Sends (or resends) a request now, to the gateway up with the fewest in
//  flight, another than the last when it can.  A full send queue counts as
//  a failed attempt.  A failover (its gateway lost) is not an attempt.
static void
s_transmit (jm_batch_pipe_t *self, s_request_t *request, int64_t now, bool failover)
{
    int previous = request->gateway;
    s_release (self, request);
    int gateway = jm_gateways_pick (self->gateways, previous);
    request->attempts += !failover;
    request->resend_at = 0;
    request->deadline = now + self->timeout_ms;
    request->unsent = false;
    self->stats.sent++;
    if (request->attempts > 1 || failover)
        self->stats.resent++;
    self->stats.failovers += failover;
    if (jm_mdp_client_send (jm_gateways_client (self->gateways, gateway), request->service,
                            request->id, request->body, request->len)) {
        jm_error_clear (&request->last);
        jm_error_set (&request->last, JM_ERR_IO, "cannot send to the gateway at %s: its queue is full",
                      jm_gateways_endpoint (self->gateways, gateway));
        request->unsent = true;
        request->deadline = now;        //  fails at the next look
        return;
    }
    request->gateway = gateway;
    jm_gateways_sent (self->gateways, gateway);
}

void
jm_batch_pipe_send (jm_batch_pipe_t *self, const char *service, char *body, size_t len, void *tag)
{
    if (self->count == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 32;
        self->requests = jm_realloc (self->requests, self->cap * sizeof (s_request_t));
    }
    s_request_t *request = &self->requests [self->count++];
    memset (request, 0, sizeof *request);
    snprintf (request->id, sizeof request->id, "%x-%" PRIu64, self->pid, ++self->sequence);
    request->service = jm_strdup (service);
    request->body = body;
    request->len = len;
    request->tag = tag;
    request->gateway = -1;
    jm_error_clear (&request->last);
    s_transmit (self, request, zclock_mono (), false);
}

void *
jm_batch_pipe_drop (jm_batch_pipe_t *self)
{
    if (self->count == 0)
        return NULL;
    s_request_t *request = &self->requests [--self->count];
    s_release (self, request);
    void *tag = request->tag;
    s_request_free (request);
    return tag;
}

size_t
jm_batch_pipe_outstanding (const jm_batch_pipe_t *self)
{
    return self->count;
}

jm_batch_pipe_stats_t
jm_batch_pipe_stats (const jm_batch_pipe_t *self)
{
    return self->stats;
}

//  Hands request i back (failed unless msg is given) and removes it.
static void
s_deliver (jm_batch_pipe_t *self, size_t i, zmsg_t *msg, jm_batch_reply_t *reply)
{
    s_request_t *request = &self->requests [i];
    memset (reply, 0, sizeof *reply);
    reply->tag = request->tag;
    reply->attempts = request->attempts;
    reply->msg = msg;
    if (msg) {
        zframe_t *body = zmsg_last (msg);
        reply->body = (char *) zframe_data (body);
        reply->len = zframe_size (body);
    }
    reply->failed = msg == NULL;
    reply->error = request->last;
    s_release (self, request);
    s_request_free (request);
    self->requests [i] = self->requests [--self->count];
}

void
jm_batch_reply_free (jm_batch_reply_t *reply)
{
    zmsg_destroy (&reply->msg);
    reply->body = NULL;
    reply->len = 0;
}

//  The attempt of request i failed (its reason in request->last): back
//  off and resend, or give up.  Returns true when it gave up.
static bool
s_attempt_failed (jm_batch_pipe_t *self, size_t i, int64_t now)
{
    s_request_t *request = &self->requests [i];
    s_release (self, request);
    if (request->attempts > self->retries)
        return true;
    request->resend_at = now + s_backoff_ms (request->attempts);
    request->deadline = 0;
    return false;
}

bool
jm_batch_reply_ok (const char *body, size_t len, jm_error_t *err)
{
    jm_batch_json_iter_t iter;
    jm_batch_json_iter_init (&iter, body, len);
    const char *key;
    size_t key_len;
    jm_batch_json_field_t error_fields [] = { JM_BATCH_FIELD ("code"), JM_BATCH_FIELD ("message") };
    const char *error = NULL;
    int ok = -1;
    while (jm_batch_json_member (&iter, &key, &key_len)) {
        if (key_len == 2 && memcmp (key, "ok", 2) == 0) {
            ok = jm_batch_json_at (&iter, 't') ? 1 : 0;
            if (ok)
                return true;    //  the results need no look here
        }
        if (key_len == 5 && memcmp (key, "error", 5) == 0 && jm_batch_json_at (&iter, '{')) {
            size_t size;
            error = jm_batch_json_fields (&iter, error_fields, 2, &size);
            continue;
        }
        size_t size;
        jm_batch_json_skip (&iter, &size);
    }
    if (ok < 0 || !iter.ok) {
        jm_error_set (err, JM_ERR_INVALID_JSON, "the gateway's reply is not what was expected: %.*s",
                      (int) (len < 80 ? len : 80), body);
        return false;
    }
    jm_buf_t code, message;
    jm_buf_init (&code);
    jm_buf_init (&message);
    if (error && error_fields [0].value)
        jm_batch_json_unescape (error_fields [0].value, error_fields [0].len, &code);
    if (error && error_fields [1].value)
        jm_batch_json_unescape (error_fields [1].value, error_fields [1].len, &message);
    jm_error_set (err, code.len ? code.data : JM_ERR_INTERNAL, "%s",
                  message.len ? message.data : "an error reply without a message");
    jm_buf_free (&code);
    jm_buf_free (&message);
    return false;
}

bool
jm_batch_reply_results (const char *body, size_t len, jm_batch_json_iter_t *iter)
{
    jm_batch_json_iter_init (iter, body, len);
    const char *key;
    size_t key_len, size;
    while (jm_batch_json_member (iter, &key, &key_len)) {
        if (key_len == 7 && memcmp (key, "results", 7) == 0 && jm_batch_json_at (iter, '['))
            return true;
        jm_batch_json_skip (iter, &size);
    }
    return false;
}

void
jm_batch_request_init (jm_batch_request_t *self, const char *const *jobs, int count, bool refresh,
                       const char *detail)
{
    jm_buf_init (&self->body);
    jm_buf_puts (&self->body, refresh ? "{\"refresh\":true," : "{");
    if (detail) {
        jm_buf_puts (&self->body, "\"detail\":");
        jm_buf_json_str (&self->body, detail);
        jm_buf_puts (&self->body, ",");
    }
    jm_buf_puts (&self->body, "\"jobs\":[");
    for (int j = 0; j < count; j++) {
        if (j)
            jm_buf_puts (&self->body, ",");
        jm_buf_json_str (&self->body, jobs [j]);
    }
    jm_buf_puts (&self->body, "],\"candidates\":[");
    self->candidates = 0;
}

void
jm_batch_request_add (jm_batch_request_t *self, const char *text, size_t len)
{
    if (self->candidates++)
        jm_buf_append (&self->body, ",", 1);
    jm_buf_append (&self->body, text, len);
}

int
jm_batch_request_send (jm_batch_request_t *self, jm_batch_pipe_t *pipe, const char *service,
                       const void *tag, size_t tag_size)
{
    if (self->candidates == 0) {
        jm_buf_free (&self->body);
        return 0;
    }
    jm_buf_puts (&self->body, "]}");
    void *copy = jm_malloc (tag_size);
    memcpy (copy, tag, tag_size);
    size_t len;
    char *data = jm_buf_steal (&self->body, &len);
    jm_batch_pipe_send (pipe, service, data, len, copy);
    return self->candidates;
}

int
jm_batch_pipe_probe (const char *endpoint, const jm_curve_t *curve, const char *service, int timeout_ms,
                     jm_error_t *err)
{
    jm_gateways_t *gateways = jm_gateways_new (endpoint, curve, err);
    if (!gateways)
        return -1;
    jm_error_t ignored;
    jm_error_clear (&ignored);
    char *reply = jm_gateways_request (gateways, "mmi.service", service, timeout_ms, &ignored);
    jm_gateways_destroy (&gateways);
    if (!reply)
        return jm_error_set (err, JM_ERR_IO, "no reply from the gateway%s at %s within %d ms: is %s "
                             "running there?", strchr (endpoint, ',') ? "s" : "", endpoint,
                             timeout_ms, strchr (endpoint, ',') ? "any" : "it");
    int rc = strcmp (reply, "200") == 0;
    free (reply);
    return rc;
}

//  True for the error codes a later attempt may not get.
static bool
s_retryable (const char *code)
{
    return strcmp (code, JM_ERR_BUSY) == 0 || strcmp (code, JM_ERR_NO_WORKERS) == 0
        || strcmp (code, JM_ERR_WORKER_LOST) == 0 || strcmp (code, JM_ERR_INTERNAL) == 0
        || strcmp (code, JM_ERR_TIMEOUT) == 0 || strcmp (code, JM_ERR_UNAVAILABLE) == 0;
}

//  Takes the replies waiting on one gateway's socket.  Returns 1 when one
//  is handed back.
static int
s_receive_from (jm_batch_pipe_t *self, zsock_t *sock, jm_batch_reply_t *reply)
{
    zmsg_t *msg;
    while ((msg = jm_mdp_recv_nowait (sock))) {
        jm_mdp_reply_msg_t decoded;
        char problem [JM_MDP_PROBLEM_MAX];
        //  [request id, "", MDPC01, service, body]
        if (jm_mdp_reply_decode (msg, &decoded, problem, sizeof problem) != JM_MDP_DECODE_OK
        ||  decoded.envelope_size != 1) {
            jm_log_debug ("batch: dropped a malformed reply: %s",
                          *problem? problem: "no request id");
            zmsg_destroy (&msg);
            continue;
        }
        zframe_t *request_id = decoded.envelope [0];
        zframe_t *body = decoded.body [0];
        size_t id_size = zframe_size (request_id), i = 0;
        while (i < self->count && !(strlen (self->requests [i].id) == id_size
                                    && memcmp (self->requests [i].id, zframe_data (request_id), id_size) == 0))
            i++;
        if (i == self->count) {
            self->stats.duplicates++;       //  answered already
            zmsg_destroy (&msg);
            continue;
        }
        //  a request backing off after a timeout takes a late reply gladly
        s_request_t *request = &self->requests [i];
        if (decoded.body_size != 1) {       //  not a matcher's: never read a part as all
            jm_error_set (&request->last, JM_ERR_INVALID_REQUEST,
                          "the reply body is %zu frames, not one", decoded.body_size);
            zmsg_destroy (&msg);
            s_deliver (self, i, NULL, reply);
            return 1;
        }
        jm_error_t err;
        jm_error_clear (&err);
        if (!jm_batch_reply_ok ((const char *) zframe_data (body), zframe_size (body), &err)
        &&  s_retryable (err.code)) {
            self->stats.refused++;
            zmsg_destroy (&msg);
            if (request->resend_at)
                continue;                   //  already waiting to resend
            request->last = err;
            if (s_attempt_failed (self, i, zclock_mono ())) {
                s_deliver (self, i, NULL, reply);
                return 1;
            }
            continue;
        }
        s_deliver (self, i, msg, reply);
        return 1;
    }
    return 0;
}

//  Takes the replies waiting.  Returns 1 when one is handed back.
static int
s_receive (jm_batch_pipe_t *self, jm_batch_reply_t *reply)
{
    for (int g = 0; g < jm_gateways_count (self->gateways); g++)
        if (s_receive_from (self, jm_mdp_client_sock (jm_gateways_client (self->gateways, g)), reply))
            return 1;
    return 0;
}

//  Sends the requests waiting on the gateways lost to another at once.
static void
s_fail_over (jm_batch_pipe_t *self)
{
    unsigned lost = jm_gateways_lost (self->gateways);
    if (!lost)
        return;
    int64_t now = zclock_mono ();
    size_t moved = 0;
    for (size_t i = 0; i < self->count; i++) {
        s_request_t *request = &self->requests [i];
        if (request->gateway >= 0 && (lost & (1u << request->gateway)) && !request->resend_at) {
            s_transmit (self, request, now, true);
            moved++;
        }
    }
    if (moved)
        jm_log_info ("batch: %zu requests sent again after a gateway was lost", moved);
}

int
jm_batch_pipe_next (jm_batch_pipe_t *self, int timeout_ms, jm_batch_reply_t *reply)
{
    int64_t until = zclock_mono () + (timeout_ms > 0 ? timeout_ms : 0);
    while (true) {
        if (s_receive (self, reply))
            return 1;
        s_fail_over (self);
        //  timers: resends due, attempts timed out
        int64_t now = zclock_mono ();
        int64_t next = until;
        for (size_t i = 0; i < self->count; i++) {
            s_request_t *request = &self->requests [i];
            if (request->resend_at && now >= request->resend_at)
                s_transmit (self, request, now, false);
            if (!request->resend_at && now >= request->deadline) {
                if (!request->unsent) {
                    self->stats.timeouts++;
                    jm_error_clear (&request->last);
                    jm_error_set (&request->last, JM_ERR_IO, "no reply from the gateway at %s within %d ms",
                                  request->gateway >= 0
                                  ? jm_gateways_endpoint (self->gateways, request->gateway)
                                  : jm_gateways_text (self->gateways), self->timeout_ms);
                }
                if (s_attempt_failed (self, i, now)) {
                    s_deliver (self, i, NULL, reply);
                    return 1;
                }
            }
            int64_t due = request->resend_at ? request->resend_at : request->deadline;
            if (due < next)
                next = due;
        }
        if (now >= until)
            return 0;
        int64_t wait = next - now;
        if (wait < 0)
            wait = 0;
        if (wait > INT32_MAX)
            wait = INT32_MAX;
        zmq_pollitem_t items [2 * JM_GATEWAYS_MAX];
        int count = jm_gateways_poll_items (self->gateways, items);
        if (zmq_poll (items, count, (long) wait) < 0 && zmq_errno () == EINTR)
            return 0;
    }
}
