/*  Tests for the matcher's held replies (services/jobmatch-matcher/
    replies.c, linked from the matcher's service archive), through a real
    worker connection to a ROUTER standing in for the gateway: a reply is
    put together at release with the "stored" decided then, cached results
    always stored, error entries and error replies as written, the text a
    reply does not take left out, big replies sent from the lent buffer. */
#include "jm_test.h"
#include "jm_log.h"
#include "../../services/jobmatch-matcher/replies.h"
#include "../../services/jobmatch-matcher/reply_buffer.h"

#include <czmq.h>
#include <jansson.h>

//  A gateway standing in: a ROUTER, and a worker connected to it
typedef struct {
    zsock_t *router;
    jm_mdp_worker_t *worker;
    zframe_t *identity;         //  the worker's, from its READY
} s_gateway_t;

//  The next message the router receives that is not a HEARTBEAT, or NULL.
static zmsg_t *
s_recv (s_gateway_t *gateway)
{
    int64_t deadline = zclock_mono () + 2000;
    while (zclock_mono () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (gateway->router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        zmsg_t *msg = zmsg_recv (gateway->router);
        zframe_t *command = zmsg_size (msg) >= 4 ? zmsg_last (msg) : NULL;
        if (zmsg_size (msg) == 4 && zframe_size (command) == 1
        &&  zframe_data (command) [0] == JM_MDPW_HEARTBEAT) {
            zmsg_destroy (&msg);
            continue;
        }
        return msg;
    }
    return NULL;
}

static bool
s_gateway_start (s_gateway_t *gateway)
{
    jm_log_init ("test", JM_LOG_ERROR);
    gateway->router = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (gateway->router, 0);
    int port = zsock_bind (gateway->router, "tcp://127.0.0.1:*");
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    gateway->worker = jm_mdp_worker_new (endpoint, "jobmatch.match", 8, NULL);
    jm_mdp_worker_tick (gateway->worker);     //  READY
    zmsg_t *ready = s_recv (gateway);
    gateway->identity = ready ? zmsg_pop (ready) : NULL;
    zmsg_destroy (&ready);
    return gateway->identity != NULL;
}

static void
s_gateway_stop (s_gateway_t *gateway)
{
    zframe_destroy (&gateway->identity);
    jm_mdp_worker_destroy (&gateway->worker);
    zsock_destroy (&gateway->router);
}

//  A request the worker received, sent with token.
static jm_mdp_request_t *
s_request (s_gateway_t *gateway, const char *token)
{
    zmsg_t *msg = zmsg_new ();
    zframe_t *address = zframe_dup (gateway->identity);
    zmsg_append (msg, &address);
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, JM_MDPW);
    byte command = JM_MDPW_REQUEST;
    zmsg_addmem (msg, &command, 1);
    zmsg_addstr (msg, token);
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, "{}");
    zmsg_send (&msg, gateway->router);
    return jm_mdp_worker_wait (gateway->worker, 2000);
}

//  The body of the next reply if its token is token (freshly allocated),
//  else NULL.  A REPLY: identity, "", MDPW01, command, token, "", body.
static char *
s_reply_body (s_gateway_t *gateway, const char *token)
{
    zmsg_t *msg = s_recv (gateway);
    zframe_t *frame = msg && zmsg_size (msg) == 7 ? zmsg_first (msg) : NULL;
    for (int at = 0; frame && at < 4; at++)
        frame = zmsg_next (msg);
    char *body = frame && zframe_streq (frame, token) ? zframe_strdup (zmsg_last (msg)) : NULL;
    zmsg_destroy (&msg);
    return body;
}

//  Writes text into the batch's text; returns where it starts.
static size_t
s_write (jm_replies_t *replies, const char *text)
{
    jm_buf_t *buf = jm_replies_text (replies);
    size_t offset = buf->len;
    jm_buf_puts (buf, text);
    return offset;
}

//  One batch of three replies: results (new, an error entry, cached; the
//  full JSON of the new one written before the less its reply takes), a
//  failed request, and an empty list.
static void
s_batch (s_gateway_t *gateway, jm_replies_t *replies)
{
    jm_mdp_request_t *request = s_request (gateway, "t1");
    jm_replies_begin (replies, &request);
    s_write (replies, "{\"candidate\":\"c1\",\"full\":true}");
    jm_replies_add_result (replies, s_write (replies, "{\"candidate\":\"c1\"}"), false);
    jm_error_t error;
    jm_error_clear (&error);
    jm_error_set (&error, JM_ERR_INVALID_REQUEST, "skills must be an array");
    jm_replies_add_error (replies, 1, "c2", &error);
    jm_replies_add_result (replies, s_write (replies, "{\"candidate\":\"c3\"}"), true);
    jm_replies_end (replies);
    request = s_request (gateway, "t2");
    jm_replies_begin (replies, &request);
    jm_error_clear (&error);            //  the first error set wins
    jm_error_set (&error, JM_ERR_UNKNOWN_JOB, "jobs[0]: unknown job 'x'");
    jm_replies_fail (replies, &error);
    jm_replies_end (replies);
    request = s_request (gateway, "t3");
    jm_replies_begin (replies, &request);
    jm_replies_end (replies);
}

JM_TEST (replies_put_together_with_stored_at_release)
{
    s_gateway_t gateway;
    JM_REQUIRE (s_gateway_start (&gateway));
    jm_replies_t *replies = jm_replies_new ();
    for (int stored = 1; stored >= 0; stored--) {
        s_batch (&gateway, replies);
        JM_CHECK_INT (jm_replies_held (replies), 3);
        jm_replies_release (replies, stored);
        JM_CHECK_INT (jm_replies_held (replies), 0);
        JM_CHECK_INT (jm_replies_text (replies)->len, 0);
        char *body = s_reply_body (&gateway, "t1");
        char want [512];
        snprintf (want, sizeof want, "{\"ok\":true,\"results\":["
                  "{\"candidate\":\"c1\",\"cached\":false,\"stored\":%s},"
                  "{\"position\":1,\"candidate\":\"c2\",\"error\":{\"code\":\"invalid_request\","
                  "\"message\":\"skills must be an array\"}},"
                  "{\"candidate\":\"c3\",\"cached\":true,\"stored\":true}]}",
                  stored ? "true" : "false");
        JM_CHECK_STR (body, want);
        free (body);
        body = s_reply_body (&gateway, "t2");
        JM_CHECK_STR (body, "{\"ok\":false,\"error\":{\"code\":\"unknown_job\","
                            "\"message\":\"jobs[0]: unknown job 'x'\"}}");
        free (body);
        body = s_reply_body (&gateway, "t3");
        JM_CHECK_STR (body, "{\"ok\":true,\"results\":[]}");
        free (body);
    }
    jm_replies_destroy (&replies);
    JM_CHECK (replies == NULL);
    s_gateway_stop (&gateway);
}

JM_TEST (replies_big_ones_go_lent_and_whole)
{
    s_gateway_t gateway;
    JM_REQUIRE (s_gateway_start (&gateway));
    jm_replies_t *replies = jm_replies_new ();
    //  two big replies and a small one between them, twice: the second
    //  batch may find the first's buffer still lent
    for (int round = 0; round < 2; round++) {
        const char *tokens [] = { "big1", "small", "big2" };
        for (int r = 0; r < 3; r++) {
            jm_mdp_request_t *request = s_request (&gateway, tokens [r]);
            jm_replies_begin (replies, &request);
            int results = r == 1 ? 1 : 2000;
            for (int i = 0; i < results; i++) {
                jm_buf_t *text = jm_replies_text (replies);
                size_t offset = text->len;
                jm_buf_printf (text, "{\"candidate\":\"%s-%d\",\"pad\":\"%0200d\"}",
                               tokens [r], i, i);
                jm_replies_add_result (replies, offset, i % 2);
            }
            jm_replies_end (replies);
        }
        jm_replies_release (replies, true);
        for (int r = 0; r < 3; r++) {
            char *body = s_reply_body (&gateway, tokens [r]);
            JM_REQUIRE (body);
            JM_CHECK (r == 1 || strlen (body) >= REPLY_BUFFER_LEND);
            json_error_t error;
            json_t *reply = json_loads (body, 0, &error);
            JM_CHECK_MSG (reply, "reply %s: %s", tokens [r], error.text);
            json_t *results = json_object_get (reply, "results");
            JM_CHECK_INT (json_array_size (results), r == 1 ? 1 : 2000);
            json_t *last = json_array_get (results, json_array_size (results) - 1);
            JM_CHECK (json_is_true (json_object_get (last, "stored")));
            json_decref (reply);
            free (body);
        }
    }
    jm_replies_destroy (&replies);
    s_gateway_stop (&gateway);
}

JM_TEST (replies_destroyed_with_requests_held)
{
    s_gateway_t gateway;
    JM_REQUIRE (s_gateway_start (&gateway));
    jm_replies_t *replies = jm_replies_new ();
    s_batch (&gateway, replies);
    jm_replies_destroy (&replies);      //  the gateway re-dispatches them
    zmsg_t *msg = s_recv (&gateway);
    JM_CHECK (msg == NULL);
    zmsg_destroy (&msg);
    s_gateway_stop (&gateway);
}
