/*  Tests for jm_mdp: helpers, and the worker and client classes against a
    fake gateway (a ROUTER socket on loopback driven by the test).  */
#include "jm_test.h"
#include "jm_mdp.h"
#include "jm_log.h"

#include <jansson.h>

//  A fake gateway: a ROUTER bound to a free loopback port.
typedef struct {
    zsock_t *router;
    char endpoint [64];
} fake_t;

static void
s_fake_start (fake_t *fake)
{
    fake->router = zsock_new (ZMQ_ROUTER);
    assert (fake->router);
    zsock_set_linger (fake->router, 0);
    int port = zsock_bind (fake->router, "tcp://127.0.0.1:*");
    assert (port > 0);
    snprintf (fake->endpoint, sizeof fake->endpoint, "tcp://127.0.0.1:%d", port);
}

static void
s_fake_stop (fake_t *fake)
{
    zsock_destroy (&fake->router);
}

//  The next message the fake gateway receives within timeout_ms, or NULL.
static zmsg_t *
s_fake_recv (fake_t *fake, int timeout_ms)
{
    zmq_pollitem_t item = { zsock_resolve (fake->router), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;
    return zmsg_recv (fake->router);
}

//  The next worker message that is not a HEARTBEAT.
static zmsg_t *
s_fake_recv_command (fake_t *fake, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        zmsg_t *msg = s_fake_recv (fake, (int) (deadline - zclock_mono ()));
        if (!msg)
            return NULL;
        zframe_t *command = zmsg_size (msg) >= 4? zmsg_last (msg): NULL;
        if (zmsg_size (msg) == 4 && command && zframe_size (command) == 1
        &&  zframe_data (command) [0] == JM_MDPW_HEARTBEAT) {
            zmsg_destroy (&msg);
            continue;
        }
        return msg;
    }
    return NULL;
}

//  Frame index of msg as a string (static buffer; NULL when missing).
static const char *
s_frame_str (zmsg_t *msg, size_t index)
{
    static char text [256];
    zframe_t *frame = zmsg_first (msg);
    for (size_t at = 0; frame && at < index; at++)
        frame = zmsg_next (msg);
    if (!frame)
        return NULL;
    size_t size = zframe_size (frame) < sizeof text - 1? zframe_size (frame): sizeof text - 1;
    memcpy (text, zframe_data (frame), size);
    text [size] = 0;
    return text;
}

static int
s_command (zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    for (int at = 0; frame && at < 3; at++)
        frame = zmsg_next (msg);
    return frame && zframe_size (frame) == 1? zframe_data (frame) [0]: -1;
}

//  Sends a REQUEST with the given token and body to a worker identity.
static void
s_fake_request (fake_t *fake, zframe_t *identity, const char *token, const char *body)
{
    zmsg_t *msg = zmsg_new ();
    zframe_t *address = zframe_dup (identity);
    zmsg_append (msg, &address);
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, JM_MDPW);
    byte command = JM_MDPW_REQUEST;
    zmsg_addmem (msg, &command, 1);
    zmsg_addstr (msg, token);
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, body);
    zmsg_send (&msg, fake->router);
}

static void
s_fake_command (fake_t *fake, zframe_t *identity, byte command)
{
    zmsg_t *msg = zmsg_new ();
    zframe_t *address = zframe_dup (identity);
    zmsg_append (msg, &address);
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, JM_MDPW);
    zmsg_addmem (msg, &command, 1);
    zmsg_send (&msg, fake->router);
}

//  Starts a fake gateway and a worker; returns the worker's READY message.
static zmsg_t *
s_worker_start (fake_t *fake, jm_mdp_worker_t **worker_p, const char *service, int slots)
{
    s_fake_start (fake);
    jm_error_t err;
    jm_error_clear (&err);
    *worker_p = jm_mdp_worker_new (fake->endpoint, service, slots, &err);
    assert (*worker_p);
    jm_mdp_worker_tick (*worker_p);            //  sends READY
    return s_fake_recv_command (fake, 2000);
}

//  Starts a fake gateway and a worker; returns the worker's identity as
//  the gateway sees it (from its READY), or NULL.
static zframe_t *
s_worker_connected (fake_t *fake, jm_mdp_worker_t **worker_p, const char *service, int slots)
{
    zmsg_t *ready = s_worker_start (fake, worker_p, service, slots);
    if (!ready)
        return NULL;
    zframe_t *identity = zmsg_pop (ready);
    zmsg_destroy (&ready);
    return identity;
}

//  --------------------------------------------------------------------------
//  Helpers

JM_TEST (mdp_error_body)
{
    char *text = jm_mdp_error_body (JM_ERR_BUSY, "queue \"full\"");
    json_t *root = json_loads (text, 0, NULL);
    JM_REQUIRE (root);
    JM_CHECK (json_is_false (json_object_get (root, "ok")));
    json_t *error = json_object_get (root, "error");
    JM_CHECK_STR (json_string_value (json_object_get (error, "code")), "busy");
    JM_CHECK_STR (json_string_value (json_object_get (error, "message")), "queue \"full\"");
    json_decref (root);
    free (text);

    text = jm_mdp_error_body (JM_ERR_INVALID_REQUEST, "bad \xff byte");
    JM_CHECK (strstr (text, "not valid UTF-8") != NULL);
    free (text);
    text = jm_mdp_error_body (JM_ERR_NO_WORKERS, NULL);
    JM_CHECK_STR (text, "{\"ok\":false,\"error\":{\"code\":\"no_workers\",\"message\":\"\"}}");
    free (text);
}

JM_TEST (mdp_slots_parse)
{
    struct { const char *text; int want; } cases [] = {
        { "slots=1", 1 }, { "slots=8", 8 }, { "slots=1000", 1000 }, { "slots=0008", 8 },
        { "slots=0", -1 }, { "slots=1001", -1 }, { "slots=", -1 }, { "slots=+1", -1 },
        { "slots=12345", -1 }, { "slot=3", -1 }, { "slots=8x", -1 }, { "slots=-1", -1 },
        { "", -1 },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        jm_error_t err;
        jm_error_clear (&err);
        int got = jm_mdp_slots_parse (cases [index].text, strlen (cases [index].text), &err);
        JM_CHECK_MSG (got == cases [index].want, "'%s': got %d, want %d", cases [index].text,
                      got, cases [index].want);
        if (cases [index].want < 0)
            JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
    }
}

JM_TEST (mdp_hex_and_names)
{
    char buffer [16];
    JM_CHECK_STR (jm_mdp_hex ("\x00\x80\xff", 3, buffer, sizeof buffer), "0080ff");
    JM_CHECK_STR (jm_mdp_hex ("abcdefgh", 8, buffer, 7), "616263");
    JM_CHECK_STR (jm_mdp_hex ("", 0, buffer, sizeof buffer), "");
    JM_CHECK_STR (jm_mdp_command_name (JM_MDPW_READY), "READY");
    JM_CHECK_STR (jm_mdp_command_name (JM_MDPW_DISCONNECT), "DISCONNECT");
    JM_CHECK_STR (jm_mdp_command_name (9), "UNKNOWN");
}


//  --------------------------------------------------------------------------
//  Worker

JM_TEST (mdp_worker_ready_announces_slots)
{
    fake_t fake;
    jm_mdp_worker_t *worker;
    zmsg_t *ready = s_worker_start (&fake, &worker, "jobmatch.match", 8);
    JM_REQUIRE (ready);
    JM_CHECK_INT (zmsg_size (ready), 7);
    JM_CHECK_STR (s_frame_str (ready, 1), "");
    JM_CHECK_STR (s_frame_str (ready, 2), JM_MDPW);
    JM_CHECK_INT (s_command (ready), JM_MDPW_READY);
    JM_CHECK_STR (s_frame_str (ready, 4), "jobmatch.match");
    JM_CHECK_STR (s_frame_str (ready, 5), "slots=8");
    JM_CHECK_STR (s_frame_str (ready, 6), "heartbeat=1000");
    zmsg_destroy (&ready);
    jm_mdp_worker_destroy (&worker);
    JM_CHECK (worker == NULL);
    s_fake_stop (&fake);

    //  One slot: no slots frame
    ready = s_worker_start (&fake, &worker, "plain", 1);
    JM_REQUIRE (ready);
    JM_CHECK_INT (zmsg_size (ready), 6);
    JM_CHECK_STR (s_frame_str (ready, 4), "plain");
    JM_CHECK_STR (s_frame_str (ready, 5), "heartbeat=1000");
    zmsg_destroy (&ready);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

//  The heartbeat set before the first tick is the one READY announces
JM_TEST (mdp_worker_ready_announces_heartbeat)
{
    fake_t fake;
    s_fake_start (&fake);
    jm_mdp_worker_t *worker = jm_mdp_worker_new (fake.endpoint, "svc", 2, NULL);
    JM_REQUIRE (worker);
    jm_mdp_worker_set_heartbeat (worker, 250, 4);
    JM_CHECK (s_fake_recv (&fake, 200) == NULL);    //  nothing before the first tick
    jm_mdp_worker_tick (worker);
    zmsg_t *ready = s_fake_recv_command (&fake, 2000);
    JM_REQUIRE (ready);
    JM_CHECK_INT (s_command (ready), JM_MDPW_READY);
    JM_CHECK_STR (s_frame_str (ready, 6), "heartbeat=250");
    zmsg_destroy (&ready);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

JM_TEST (mdp_heartbeat_parse)
{
    struct { const char *text; int want; } cases [] = {
        { "heartbeat=10", 10 }, { "heartbeat=2500", 2500 }, { "heartbeat=600000", 600000 },
        { "heartbeat=9", -1 }, { "heartbeat=600001", -1 }, { "heartbeat=", -1 },
        { "heartbeat=1e3", -1 }, { "heartbeat=-5", -1 }, { "heartbeat=99999999999", -1 },
        { "slots=3", -1 }, { "heartbeat", -1 },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        jm_error_t err;
        jm_error_clear (&err);
        int got = jm_mdp_heartbeat_parse (cases [index].text, strlen (cases [index].text), &err);
        JM_CHECK_MSG (got == cases [index].want, "%s: got %d, want %d", cases [index].text,
                      got, cases [index].want);
        if (got < 0)
            JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
    }
}

JM_TEST (mdp_name_parse)
{
    char long_name [80];
    snprintf (long_name, sizeof long_name, "name=%065d", 7);    //  65 bytes of name
    struct { const char *text; int want; } cases [] = {
        { "name=host-1:4242", 11 }, { "name=x", 1 }, { "name=", -1 }, { "name=a b", -1 },
        { "name=tab\there", -1 }, { "name=\xc3\xa9", -1 }, { "slots=3", -1 }, { "name", -1 },
        { long_name, -1 },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        jm_error_t err;
        jm_error_clear (&err);
        char name [JM_MDP_NAME_MAX + 1] = "";
        int got = jm_mdp_name_parse (cases [index].text, strlen (cases [index].text), name, &err);
        JM_CHECK_MSG (got == cases [index].want, "%s: got %d, want %d", cases [index].text,
                      got, cases [index].want);
        if (got < 0)
            JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
        else
            JM_CHECK_STR (name, cases [index].text + 5);
    }
}

//  The name set before the first tick is in READY, cleaned
JM_TEST (mdp_worker_ready_announces_name)
{
    fake_t fake;
    s_fake_start (&fake);
    jm_mdp_worker_t *worker = jm_mdp_worker_new (fake.endpoint, "svc", 1, NULL);
    JM_REQUIRE (worker);
    jm_mdp_worker_set_name (worker, "host 1:42");
    jm_mdp_worker_tick (worker);
    zmsg_t *ready = s_fake_recv_command (&fake, 2000);
    JM_REQUIRE (ready);
    JM_CHECK_INT (s_command (ready), JM_MDPW_READY);
    //  [identity, "", MDPW01, READY, service, heartbeat=, name=]: no slots= for 1
    JM_CHECK_STR (s_frame_str (ready, 6), "name=host_1:42");
    zmsg_destroy (&ready);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

//  A request body of several frames is answered invalid_request by the
//  worker class itself, never handed on as its first frame
JM_TEST (mdp_worker_refuses_multi_frame_bodies)
{
    fake_t fake;
    jm_mdp_worker_t *worker;
    zframe_t *identity = s_worker_connected (&fake, &worker, "one", 1);
    JM_REQUIRE (identity);
    zmsg_t *msg = zmsg_new ();
    zframe_t *address = zframe_dup (identity);
    zmsg_append (msg, &address);
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, JM_MDPW);
    byte command = JM_MDPW_REQUEST;
    zmsg_addmem (msg, &command, 1);
    zmsg_addstr (msg, "tok-2");
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, "part1");
    zmsg_addstr (msg, "part2");
    zmsg_send (&msg, fake.router);
    JM_CHECK (jm_mdp_worker_wait (worker, 300) == NULL);
    zmsg_t *reply = s_fake_recv_command (&fake, 2000);
    JM_REQUIRE (reply);
    JM_CHECK_INT (zmsg_size (reply), 7);
    JM_CHECK_INT (s_command (reply), JM_MDPW_REPLY);
    JM_CHECK_STR (s_frame_str (reply, 4), "tok-2");
    const char *body = s_frame_str (reply, 6);
    JM_CHECK (body && strstr (body, "\"invalid_request\"") && strstr (body, "2 frames"));
    zmsg_destroy (&reply);
    //  A one-frame body still goes through
    s_fake_request (&fake, identity, "tok-3", "{}");
    jm_mdp_request_t *request = jm_mdp_worker_wait (worker, 2000);
    JM_REQUIRE (request);
    JM_CHECK (zframe_streq (jm_mdp_request_token (request), "tok-3"));
    jm_mdp_request_destroy (&request);
    zframe_destroy (&identity);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

JM_TEST (mdp_worker_new_rejects_bad_arguments)
{
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK (jm_mdp_worker_new ("nonsense", "svc", 1, &err) == NULL);
    JM_CHECK_STR (err.code, JM_ERR_IO);
    JM_CHECK (strstr (err.message, "nonsense") != NULL);
    jm_error_clear (&err);
    JM_CHECK (jm_mdp_worker_new ("tcp://127.0.0.1:1", "", 1, &err) == NULL);
    JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
    jm_mdp_worker_t *none = NULL;
    jm_mdp_worker_destroy (&none);             //  accepts NULL
}

JM_TEST (mdp_worker_batch_replies_out_of_order)
{
    fake_t fake;
    jm_mdp_worker_t *worker;
    zframe_t *identity = s_worker_connected (&fake, &worker, "batch", 4);
    JM_REQUIRE (identity);
    const char *tokens [] = { "tok-a", "tok-b", "tok-c", "tok-d" };
    for (int index = 0; index < 4; index++) {
        char body [16];
        snprintf (body, sizeof body, "{\"n\":%d}", index);
        s_fake_request (&fake, identity, tokens [index], body);
    }
    //  The owner's loop: poll the socket, drain a batch, reply to each
    jm_mdp_request_t *batch [8];
    size_t count = 0;
    int64_t deadline = zclock_mono () + 2000;
    while (count < 4 && zclock_mono () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (jm_mdp_worker_sock (worker)), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, jm_mdp_worker_tick (worker));
        while (count < 8 && (batch [count] = jm_mdp_worker_recv (worker)))
            count++;
    }
    JM_REQUIRE (count == 4);
    for (int index = 0; index < 4; index++) {
        char *body = jm_mdp_request_strdup (batch [index]);
        char want [16];
        snprintf (want, sizeof want, "{\"n\":%d}", index);
        JM_CHECK_STR (body, want);
        free (body);
        JM_CHECK_INT (jm_mdp_request_size (batch [index]), strlen (want));
        JM_CHECK (memcmp (jm_mdp_request_data (batch [index]), want, strlen (want)) == 0);
        JM_CHECK (zframe_streq (jm_mdp_request_token (batch [index]), tokens [index]));
    }
    for (int index = 3; index >= 0; index--) {
        char reply [16];
        snprintf (reply, sizeof reply, "r%d", index);
        JM_CHECK_INT (jm_mdp_worker_reply_str (worker, &batch [index], reply), 0);
        JM_CHECK (batch [index] == NULL);
    }
    for (int index = 3; index >= 0; index--) {
        zmsg_t *msg = s_fake_recv_command (&fake, 2000);
        JM_REQUIRE (msg);
        JM_CHECK_INT (zmsg_size (msg), 7);
        JM_CHECK_INT (s_command (msg), JM_MDPW_REPLY);
        JM_CHECK_STR (s_frame_str (msg, 4), tokens [index]);
        JM_CHECK_STR (s_frame_str (msg, 5), "");
        char want [16];
        snprintf (want, sizeof want, "r%d", index);
        JM_CHECK_STR (s_frame_str (msg, 6), want);
        zmsg_destroy (&msg);
    }
    zframe_destroy (&identity);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

JM_TEST (mdp_worker_sends_heartbeats)
{
    fake_t fake;
    jm_mdp_worker_t *worker;
    zmsg_t *ready = s_worker_start (&fake, &worker, "hb", 1);
    JM_REQUIRE (ready);
    zmsg_destroy (&ready);
    jm_mdp_worker_set_heartbeat (worker, 30, 100);
    JM_CHECK (jm_mdp_worker_wait (worker, 100) == NULL);
    zmsg_t *msg = s_fake_recv (&fake, 500);
    JM_REQUIRE (msg);
    JM_CHECK_INT (zmsg_size (msg), 4);
    JM_CHECK_INT (s_command (msg), JM_MDPW_HEARTBEAT);
    zmsg_destroy (&msg);
    JM_CHECK (jm_mdp_worker_tick (worker) <= 30);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

JM_TEST (mdp_worker_reconnects_when_gateway_silent)
{
    jm_log_init ("test", JM_LOG_ERROR);         //  the warnings are expected
    fake_t fake;
    jm_mdp_worker_t *worker;
    zmsg_t *ready = s_worker_start (&fake, &worker, "silent", 2);
    JM_REQUIRE (ready);
    zsock_t *sock = jm_mdp_worker_sock (worker);
    zframe_t *first = zmsg_pop (ready);
    zmsg_destroy (&ready);
    jm_mdp_worker_set_heartbeat (worker, 20, 3);
    s_fake_request (&fake, first, "old-token", "{}");
    jm_mdp_request_t *request = jm_mdp_worker_wait (worker, 1000);
    JM_REQUIRE (request);

    //  Silence for more than 3 x 20 ms: the worker reconnects with a new READY
    JM_CHECK (jm_mdp_worker_wait (worker, 150) == NULL);
    JM_CHECK (jm_mdp_worker_reconnects (worker) >= 1);
    JM_CHECK (jm_mdp_worker_sock (worker) == sock);
    zmsg_t *again = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (again);
    JM_CHECK_INT (s_command (again), JM_MDPW_READY);
    JM_CHECK_STR (s_frame_str (again, 4), "silent");
    JM_CHECK_STR (s_frame_str (again, 5), "slots=2");
    JM_CHECK (!zframe_eq (zmsg_first (again), first));
    zmsg_destroy (&again);

    //  A request from the old connection cannot be answered any more
    JM_CHECK_INT (jm_mdp_worker_reply_str (worker, &request, "late"), -1);
    JM_CHECK (request == NULL);
    zframe_destroy (&first);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

JM_TEST (mdp_worker_reconnects_on_disconnect)
{
    jm_log_init ("test", JM_LOG_ERROR);         //  the warnings are expected
    fake_t fake;
    jm_mdp_worker_t *worker;
    zmsg_t *ready = s_worker_start (&fake, &worker, "dc", 1);
    JM_REQUIRE (ready);
    zframe_t *first = zmsg_pop (ready);
    zmsg_destroy (&ready);
    s_fake_command (&fake, first, JM_MDPW_DISCONNECT);
    JM_CHECK (jm_mdp_worker_wait (worker, 200) == NULL);
    zmsg_t *again = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (again);
    JM_CHECK_INT (s_command (again), JM_MDPW_READY);
    JM_CHECK (!zframe_eq (zmsg_first (again), first));
    zframe_t *second = zmsg_pop (again);
    zmsg_destroy (&again);
    //  The new connection works
    s_fake_request (&fake, second, "t2", "body-2");
    jm_mdp_request_t *request = jm_mdp_worker_wait (worker, 1000);
    JM_REQUIRE (request);
    JM_CHECK_INT (jm_mdp_worker_reply_str (worker, &request, "ok"), 0);
    zmsg_t *reply = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (reply);
    JM_CHECK_STR (s_frame_str (reply, 6), "ok");
    zmsg_destroy (&reply);
    zframe_destroy (&first);
    zframe_destroy (&second);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

JM_TEST (mdp_worker_announces_fewer_slots)
{
    jm_log_init ("test", JM_LOG_ERROR);
    fake_t fake;
    jm_mdp_worker_t *worker;
    zmsg_t *ready = s_worker_start (&fake, &worker, "pressed", 4);
    JM_REQUIRE (ready);
    zframe_t *first = zmsg_pop (ready);
    zmsg_destroy (&ready);
    JM_CHECK_INT (jm_mdp_worker_slots_now (worker), 4);
    //  Fewer slots: a HEARTBEAT with "slots=N" at once
    JM_CHECK_INT (jm_mdp_worker_set_slots (worker, 0), 0);
    JM_CHECK_INT (jm_mdp_worker_slots_now (worker), 0);
    zmsg_t *msg = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (msg);
    JM_CHECK_INT (zmsg_size (msg), 5);
    JM_CHECK_INT (s_command (msg), JM_MDPW_HEARTBEAT);
    JM_CHECK_STR (s_frame_str (msg, 4), "slots=0");
    zmsg_destroy (&msg);
    //  The same again sends nothing
    JM_CHECK_INT (jm_mdp_worker_set_slots (worker, 0), 0);
    JM_CHECK (s_fake_recv_command (&fake, 100) == NULL);
    //  After a reconnection, READY (all slots) and then the fewer
    s_fake_command (&fake, first, JM_MDPW_DISCONNECT);
    JM_CHECK (jm_mdp_worker_wait (worker, 200) == NULL);
    zmsg_t *again = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (again);
    JM_CHECK_INT (s_command (again), JM_MDPW_READY);
    JM_CHECK_STR (s_frame_str (again, 5), "slots=4");
    zmsg_destroy (&again);
    msg = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (msg);
    JM_CHECK_INT (s_command (msg), JM_MDPW_HEARTBEAT);
    JM_CHECK_STR (s_frame_str (msg, 4), "slots=0");
    zmsg_destroy (&msg);
    //  Back to all of them (clamped to the slots it was created with)
    JM_CHECK_INT (jm_mdp_worker_set_slots (worker, 10), 0);
    JM_CHECK_INT (jm_mdp_worker_slots_now (worker), 4);
    msg = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (msg);
    JM_CHECK_STR (s_frame_str (msg, 4), "slots=4");
    zmsg_destroy (&msg);
    zframe_destroy (&first);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

//  A lent body is released once: by libzmq after sending it, or at once
//  when the reply is dropped (its request came over an older connection).
static void
s_count_release (void *data, void *hint)
{
    __atomic_add_fetch ((int *) hint, 1, __ATOMIC_SEQ_CST);
}

JM_TEST (mdp_worker_lent_reply_is_released_once)
{
    jm_log_init ("test", JM_LOG_ERROR);
    fake_t fake;
    jm_mdp_worker_t *worker;
    zframe_t *first = s_worker_connected (&fake, &worker, "lent", 2);
    JM_REQUIRE (first);
    s_fake_request (&fake, first, "t1", "one");
    jm_mdp_request_t *sent = jm_mdp_worker_wait (worker, 1000);
    JM_REQUIRE (sent);
    s_fake_request (&fake, first, "t2", "two");
    jm_mdp_request_t *stale = jm_mdp_worker_wait (worker, 1000);
    JM_REQUIRE (stale);
    static char body [] = "a lent reply body";
    int released = 0;
    JM_CHECK_INT (jm_mdp_worker_reply_lent (worker, &sent, body, sizeof body - 1,
                                            s_count_release, &released), 0);
    JM_CHECK (sent == NULL);
    zmsg_t *reply = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (reply);
    JM_CHECK_STR (s_frame_str (reply, 4), "t1");
    JM_CHECK_STR (s_frame_str (reply, 6), "a lent reply body");
    zmsg_destroy (&reply);
    for (int waited = 0; waited < 2000 && __atomic_load_n (&released, __ATOMIC_SEQ_CST) == 0; waited++)
        zclock_sleep (1);
    JM_CHECK_INT (__atomic_load_n (&released, __ATOMIC_SEQ_CST), 1);
    //  the gateway drops the connection: a reply to its request is dropped
    s_fake_command (&fake, first, JM_MDPW_DISCONNECT);
    JM_CHECK (jm_mdp_worker_wait (worker, 200) == NULL);
    zmsg_t *again = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (again);
    zmsg_destroy (&again);
    JM_CHECK_INT (jm_mdp_worker_reply_lent (worker, &stale, body, sizeof body - 1,
                                            s_count_release, &released), -1);
    JM_CHECK (stale == NULL);
    JM_CHECK_INT (__atomic_load_n (&released, __ATOMIC_SEQ_CST), 2);
    zframe_destroy (&first);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}

JM_TEST (mdp_worker_destroy_sends_disconnect)
{
    fake_t fake;
    jm_mdp_worker_t *worker;
    zmsg_t *ready = s_worker_start (&fake, &worker, "bye", 1);
    JM_REQUIRE (ready);
    zmsg_destroy (&ready);
    jm_mdp_worker_destroy (&worker);
    zmsg_t *msg = s_fake_recv_command (&fake, 1000);
    JM_REQUIRE (msg);
    JM_CHECK_INT (s_command (msg), JM_MDPW_DISCONNECT);
    zmsg_destroy (&msg);
    s_fake_stop (&fake);
}

JM_TEST (mdp_worker_drops_malformed_messages)
{
    jm_log_init ("test", JM_LOG_ERROR);         //  the warnings are expected
    fake_t fake;
    jm_mdp_worker_t *worker;
    zmsg_t *ready = s_worker_start (&fake, &worker, "picky", 1);
    JM_REQUIRE (ready);
    zframe_t *identity = zmsg_pop (ready);
    zmsg_destroy (&ready);
    const char *bad [][6] = {
        { "" },                                         //  a fake gateway's [identity, ""]
        { "", JM_MDPW },
        { "junk" },
        { "", "MDPW02", "\x02", "tok", "", "body" },
        { "", JM_MDPW, "\x02", "tok" },                 //  no body
        { "", JM_MDPW, "\x02", "", "", "body" },        //  empty token
        { "", JM_MDPW, "\x02", "tok", "x", "body" },    //  no delimiter
        { "", JM_MDPW, "\x07" },                        //  unknown command
        { "", JM_MDPW, "\x04", "extra" },               //  HEARTBEAT with a frame
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        zmsg_t *msg = zmsg_new ();
        zframe_t *address = zframe_dup (identity);
        zmsg_append (msg, &address);
        for (size_t frame = 0; frame < 6 && bad [index][frame]; frame++)
            zmsg_addstr (msg, bad [index][frame]);
        zmsg_send (&msg, fake.router);
    }
    JM_CHECK (jm_mdp_worker_wait (worker, 200) == NULL);
    s_fake_request (&fake, identity, "good", "{}");
    jm_mdp_request_t *request = jm_mdp_worker_wait (worker, 1000);
    JM_REQUIRE (request);
    JM_CHECK (zframe_streq (jm_mdp_request_token (request), "good"));
    jm_mdp_request_destroy (&request);
    JM_CHECK (request == NULL);
    jm_mdp_request_destroy (&request);
    zframe_destroy (&identity);
    jm_mdp_worker_destroy (&worker);
    s_fake_stop (&fake);
}


//  --------------------------------------------------------------------------
//  Client

//  Answers every request waiting at the fake gateway with body "re:" + body,
//  echoing service and request id; returns how many it answered.
static int
s_fake_echo (fake_t *fake, int timeout_ms)
{
    int count = 0;
    zmsg_t *msg;
    while ((msg = s_fake_recv (fake, count? 0: timeout_ms))) {
        //  [identity, request-id, "", MDPC01, service, body]
        JM_CHECK_INT (zmsg_size (msg), 6);
        JM_CHECK_STR (s_frame_str (msg, 2), "");
        JM_CHECK_STR (s_frame_str (msg, 3), JM_MDPC);
        zframe_t *body = zmsg_last (msg);
        char *text = zframe_strdup (body);
        zmsg_remove (msg, body);
        zframe_destroy (&body);
        zmsg_addstrf (msg, "re:%s", text);
        free (text);
        zmsg_send (&msg, fake->router);
        count++;
    }
    return count;
}

JM_TEST (mdp_client_many_in_flight)
{
    fake_t fake;
    s_fake_start (&fake);
    jm_error_t err;
    jm_error_clear (&err);
    jm_mdp_client_t *client = jm_mdp_client_new (fake.endpoint, &err);
    JM_REQUIRE (client);
    enum { COUNT = 300 };
    for (int index = 0; index < COUNT; index++) {
        char id [16], body [16];
        snprintf (id, sizeof id, "id-%d", index);
        snprintf (body, sizeof body, "b%d", index);
        JM_CHECK_INT (jm_mdp_client_send (client, "svc", id, body, strlen (body)), 0);
    }
    int answered = 0;
    while (answered < COUNT) {
        int count = s_fake_echo (&fake, 2000);
        if (count == 0)
            break;
        answered += count;
    }
    JM_CHECK_INT (answered, COUNT);
    bool seen [COUNT] = { false };
    for (int index = 0; index < COUNT; index++) {
        char *service = NULL, *id = NULL, *body = NULL;
        JM_REQUIRE (jm_mdp_client_recv (client, &service, &id, &body, 2000) == 0);
        int number = atoi (id + 3);
        JM_REQUIRE (number >= 0 && number < COUNT && !seen [number]);
        seen [number] = true;
        char want [16];
        snprintf (want, sizeof want, "re:b%d", number);
        JM_CHECK_STR (body, want);
        JM_CHECK_STR (service, "svc");
        free (service);
        free (id);
        free (body);
    }
    //  NULL out-pointers are allowed; nothing left means a timeout
    JM_CHECK_INT (jm_mdp_client_recv (client, NULL, NULL, NULL, 50), -1);
    jm_mdp_client_destroy (&client);
    JM_CHECK (client == NULL);
    s_fake_stop (&fake);
}

JM_TEST (mdp_client_request_skips_other_ids)
{
    jm_log_init ("test", JM_LOG_ERROR);         //  the warnings are expected
    fake_t fake;
    s_fake_start (&fake);
    jm_error_t err;
    jm_error_clear (&err);
    jm_mdp_client_t *client = jm_mdp_client_new (fake.endpoint, &err);
    JM_REQUIRE (client);

    //  A request that times out leaves its reply to arrive later
    JM_CHECK (jm_mdp_client_request (client, "svc", "{}", 100, &err) == NULL);  //  times out
    JM_CHECK_STR (err.code, JM_ERR_IO);
    JM_CHECK (strstr (err.message, "within 100 ms") != NULL);
    zmsg_t *first = s_fake_recv (&fake, 1000);        //  the timed-out request, "rq-1"
    JM_REQUIRE (first);
    JM_CHECK_STR (s_frame_str (first, 1), "rq-1");     //  in the envelope
    zframe_t *identity = zmsg_pop (first);
    zmsg_destroy (&first);

    //  Prepare the answers before the next request is sent: the stale one,
    //  garbage, then the answer to "rq-2"
    zmsg_t *stale = zmsg_new ();
    zframe_t *address = zframe_dup (identity);
    zmsg_append (stale, &address);
    zmsg_addstr (stale, "rq-1");
    zmsg_addmem (stale, "", 0);
    zmsg_addstr (stale, JM_MDPC);
    zmsg_addstr (stale, "svc");
    zmsg_addstr (stale, "stale");
    zmsg_send (&stale, fake.router);
    zmsg_t *garbage = zmsg_new ();
    address = zframe_dup (identity);
    zmsg_append (garbage, &address);
    zmsg_addstr (garbage, "garbage");
    zmsg_send (&garbage, fake.router);
    zmsg_t *answer = zmsg_new ();
    address = zframe_dup (identity);
    zmsg_append (answer, &address);
    zmsg_addstr (answer, "rq-2");
    zmsg_addmem (answer, "", 0);
    zmsg_addstr (answer, JM_MDPC);
    zmsg_addstr (answer, "svc");
    zmsg_addstr (answer, "fresh");
    zmsg_send (&answer, fake.router);

    jm_error_clear (&err);
    char *body = jm_mdp_client_request (client, "svc", "{}", 1000, &err);
    JM_CHECK_STR (body, "fresh");
    free (body);
    zframe_destroy (&identity);
    jm_mdp_client_destroy (&client);
    s_fake_stop (&fake);
}

//  A reply body of two frames is never read as its first frame alone
JM_TEST (mdp_client_multi_frame_reply_is_an_error)
{
    fake_t fake;
    s_fake_start (&fake);
    jm_mdp_client_t *client = jm_mdp_client_new (fake.endpoint, NULL);
    JM_REQUIRE (client);
    JM_CHECK_INT (jm_mdp_client_send (client, "svc", "r-1", "{}", 2), 0);
    zmsg_t *msg = s_fake_recv (&fake, 2000);
    JM_REQUIRE (msg);
    zframe_t *body = zmsg_last (msg);
    zmsg_remove (msg, body);
    zframe_destroy (&body);
    zmsg_addstr (msg, "part1");
    zmsg_addstr (msg, "part2");
    zmsg_send (&msg, fake.router);
    char *id = NULL, *text = NULL;
    JM_REQUIRE (jm_mdp_client_recv (client, NULL, &id, &text, 2000) == 0);
    JM_CHECK_STR (id, "r-1");
    JM_CHECK (text && strstr (text, "\"invalid_request\"") && strstr (text, "2 frames"));
    free (id);
    free (text);
    jm_mdp_client_destroy (&client);
    s_fake_stop (&fake);
}

JM_TEST (mdp_client_rejects_bad_arguments)
{
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK (jm_mdp_client_new ("bogus://x", &err) == NULL);
    JM_CHECK_STR (err.code, JM_ERR_IO);
    jm_mdp_client_t *client = jm_mdp_client_new ("tcp://127.0.0.1:1", NULL);
    JM_REQUIRE (client);
    char long_id [300];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id [sizeof long_id - 1] = 0;
    JM_CHECK_INT (jm_mdp_client_send (client, "svc", "", "{}", 2), -1);
    JM_CHECK_INT (jm_mdp_client_send (client, "svc", long_id, "{}", 2), -1);
    JM_CHECK_INT (jm_mdp_client_send (client, "", "id", "{}", 2), -1);
    JM_CHECK_INT (jm_mdp_client_send (client, "svc", "id", NULL, 0), 0);
    jm_mdp_client_destroy (&client);
    jm_mdp_client_destroy (&client);
}
