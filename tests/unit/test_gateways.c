/*  Tests for jm_gateways: gateway lists (split, checked, bounded), and the
    client side: picking only gateways that are up, and a one-shot request
    sent again to the other gateway when the one it went to closes its
    connection without answering.                                          */
#include "jm_test.h"
#include "jm_gateways.h"

#include <czmq.h>
#include <string.h>

JM_TEST (gateways_split_lists)
{
    char *endpoints [JM_GATEWAYS_MAX];
    jm_error_t err = { 0 };
    int count = jm_gateways_split (" tcp://10.0.0.1:5570 ,tcp://gw-2.example:1,ipc:///run/gw,inproc://x",
                                   endpoints, &err);
    JM_REQUIRE (count == 4);
    JM_CHECK_STR (endpoints [0], "tcp://10.0.0.1:5570");
    JM_CHECK_STR (endpoints [1], "tcp://gw-2.example:1");
    JM_CHECK_STR (endpoints [2], "ipc:///run/gw");
    JM_CHECK_STR (endpoints [3], "inproc://x");
    jm_gateways_split_free (endpoints, count);
    JM_CHECK (endpoints [0] == NULL);
    count = jm_gateways_split ("tcp://[::1]:5570", endpoints, NULL);
    JM_CHECK (count == 1);
    jm_gateways_split_free (endpoints, count);
}

JM_TEST (gateways_split_refuses_bad_entries)
{
    struct { const char *list; const char *says; } cases [] = {
        { "", "gateway 1 of the list is empty" },
        { "tcp://a:1,", "gateway 2 of the list is empty" },
        { "tcp://a:1,,tcp://b:2", "gateway 2 of the list is empty" },
        { "tcp://a", "gateway 1 of the list, 'tcp://a', is not tcp://HOST:PORT" },
        { "tcp://:80", "is not tcp://HOST:PORT" },
        { "tcp://a:0", "port 1 to 65535" },
        { "tcp://a:65536", "port 1 to 65535" },
        { "tcp://a:80x", "port 1 to 65535" },
        { "http://a:80", "gateway 1 of the list, 'http://a:80'" },
        { "tcp://a b:80", "space or control character" },
        { "tcp://a:1,ipc://", "gateway 2 of the list, 'ipc://', names no path" },
        { "a,b,c,d,e,f,g,h,i", "gateway 1 of the list" },
        { "tcp://a:1, tcp://b:1 ,tcp://a:1", "gateway 3 of the list, 'tcp://a:1', is gateway 1 already" },
        { "tcp://a:1,tcp://a:2,tcp://a:3,tcp://a:4,tcp://a:5,tcp://a:6,tcp://a:7,tcp://a:8,tcp://a:9",
          "more than 8 gateways" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char *endpoints [JM_GATEWAYS_MAX];
        jm_error_t err = { 0 };
        JM_CHECK_MSG (jm_gateways_split (cases [i].list, endpoints, &err) == -1, "'%s' refused",
                      cases [i].list);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
        JM_CHECK_MSG (strstr (err.message, cases [i].says), "'%s': '%s' says '%s'", cases [i].list,
                      err.message, cases [i].says);
    }
    char long_list [400];
    memset (long_list, 'a', sizeof long_list - 1);
    long_list [sizeof long_list - 1] = '\0';
    memcpy (long_list, "tcp://", 6);
    jm_error_t err = { 0 };
    char *endpoints [JM_GATEWAYS_MAX];
    JM_CHECK (jm_gateways_split (long_list, endpoints, &err) == -1);
    JM_CHECK (strstr (err.message, "at most 255") != NULL);
    JM_CHECK (jm_gateways_new ("tcp://a:1,nonsense", NULL, NULL) == NULL);
    //  well formed, but libzmq cannot connect to it: an ipc path too long
    char ipc [240] = "tcp://127.0.0.1:9,ipc:///";
    memset (ipc + strlen (ipc), 'p', sizeof ipc - strlen (ipc) - 1);
    ipc [sizeof ipc - 1] = '\0';
    jm_error_clear (&err);
    JM_CHECK (jm_gateways_new (ipc, NULL, &err) == NULL);
    JM_CHECK_MSG (strstr (err.message, "cannot connect client"), "%s", err.message);
}

//  A gateway stand-in: a ROUTER that answers every request with "pong".
static void
s_answer (zsock_t *router)
{
    zmsg_t *msg = zmsg_recv (router);
    if (!msg)
        return;
    //  [identity, request id, "", MDPC01, service, body] -> same, body "pong"
    zframe_t *body = zmsg_last (msg);
    zframe_reset (body, "pong", 4);
    zmsg_send (&msg, router);
}

JM_TEST (gateways_pick_only_those_up)
{
    zsock_t *live = zsock_new_router ("tcp://127.0.0.1:*");
    JM_REQUIRE (live);
    //  a port nothing listens on: bound, then closed
    zsock_t *gone = zsock_new_router ("tcp://127.0.0.1:*");
    int dead_port = zsock_endpoint (gone) ? atoi (strrchr (zsock_endpoint (gone), ':') + 1) : 0;
    zsock_destroy (&gone);
    char list [128];
    snprintf (list, sizeof list, "tcp://127.0.0.1:%d,%s", dead_port, zsock_endpoint (live));
    jm_error_t err = { 0 };
    jm_gateways_t *gateways = jm_gateways_new (list, NULL, &err);
    JM_REQUIRE (gateways);
    JM_CHECK (jm_gateways_count (gateways) == 2);
    JM_CHECK_STR (jm_gateways_text (gateways), list);
    JM_CHECK (jm_gateways_wait_up (gateways, 2000));
    JM_CHECK (!jm_gateways_up (gateways, 0));
    JM_CHECK (jm_gateways_up (gateways, 1));
    //  only the live one is picked, however many it has in flight
    for (int i = 0; i < 5; i++) {
        JM_CHECK (jm_gateways_pick (gateways, -1) == 1);
        jm_gateways_sent (gateways, 1);
    }
    for (int i = 0; i < 6; i++)
        jm_gateways_done (gateways, 1);     //  one too many is harmless
    //  avoiding the only live one gives the other
    JM_CHECK (jm_gateways_pick (gateways, 1) == 0);
    //  a one-shot request: answered by the live gateway
    zpoller_t *poller = zpoller_new (live, NULL);
    for (int round = 0; round < 3; round++) {
        //  the gateway answers from this thread: send, answer, receive
        jm_mdp_client_send (jm_gateways_client (gateways, 1), "svc", "id-1", "ping", 4);
        JM_REQUIRE (zpoller_wait (poller, 2000) == live);
        s_answer (live);
        char *reply = jm_mdp_client_recv_id (jm_gateways_client (gateways, 1), "id-1", 2000);
        JM_CHECK_STR (reply ? reply : "(none)", "pong");
        free (reply);
    }
    zpoller_destroy (&poller);
    jm_gateways_destroy (&gateways);
    JM_CHECK (gateways == NULL);
    jm_gateways_destroy (&gateways);
    zsock_destroy (&live);
}

//  A gateway that takes one request and closes its connection unanswered,
//  as one killed under it; then waits for $TERM.
static void
s_vanishing_gateway (zsock_t *pipe, void *args)
{
    zsock_t *router = zsock_new_router ("tcp://127.0.0.1:*");
    assert (router);
    zsock_set_linger (router, 0);
    zsock_signal (pipe, 0);
    zsock_send (pipe, "s", zsock_endpoint (router));
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    bool closed = false;
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe || !which)
            break;
        zmsg_t *msg = zmsg_recv (router);
        zmsg_destroy (&msg);
        if (!closed) {
            zpoller_remove (poller, router);
            zsock_destroy (&router);
            closed = true;
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
    char *command = zstr_recv (pipe);
    zstr_free (&command);
}

//  A gateway that answers every request "pong"; then waits for $TERM.
static void
s_answering_gateway (zsock_t *pipe, void *args)
{
    zsock_t *router = zsock_new_router ("tcp://127.0.0.1:*");
    assert (router);
    zsock_signal (pipe, 0);
    zsock_send (pipe, "s", zsock_endpoint (router));
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (zpoller_wait (poller, -1) == router)
        s_answer (router);
    zpoller_destroy (&poller);
    zsock_destroy (&router);
    char *command = zstr_recv (pipe);
    zstr_free (&command);
}

JM_TEST (gateways_request_fails_over_when_its_gateway_vanishes)
{
    zactor_t *vanishing = zactor_new (s_vanishing_gateway, NULL);
    zactor_t *answering = zactor_new (s_answering_gateway, NULL);
    char *first = NULL, *second = NULL;
    zsock_recv (vanishing, "s", &first);
    zsock_recv (answering, "s", &second);
    char list [256];
    snprintf (list, sizeof list, "%s,%s", first, second);
    jm_gateways_t *gateways = jm_gateways_new (list, NULL, NULL);
    JM_REQUIRE (gateways);
    //  both up, so the first request goes to the first (round robin)
    int64_t deadline = zclock_mono () + 3000;
    while (!(jm_gateways_up (gateways, 0) && jm_gateways_up (gateways, 1)) && zclock_mono () < deadline) {
        jm_gateways_lost (gateways);
        zclock_sleep (5);
    }
    JM_REQUIRE (jm_gateways_up (gateways, 0) && jm_gateways_up (gateways, 1));
    jm_error_t err = { 0 };
    int64_t started = zclock_mono ();
    char *reply = jm_gateways_request (gateways, "svc", "ping", 5000, &err);
    JM_CHECK_STR (reply ? reply : err.message, "pong");
    JM_CHECK_MSG (zclock_mono () - started < 2500, "failed over in %d ms, without waiting for the "
                  "timeout", (int) (zclock_mono () - started));
    JM_CHECK (!jm_gateways_up (gateways, 0));
    free (reply);
    //  the next goes straight to the one left
    reply = jm_gateways_request (gateways, "svc", "ping", 2000, &err);
    JM_CHECK_STR (reply ? reply : err.message, "pong");
    free (reply);
    jm_gateways_destroy (&gateways);
    zstr_free (&first);
    zstr_free (&second);
    zactor_destroy (&vanishing);
    zactor_destroy (&answering);
}
