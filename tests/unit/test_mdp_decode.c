/*  Tests for jm_mdp_decode: every malformed shape of every message each
    decoder reads, well-formed messages taken apart by position, and a
    random-message sweep run under the sanitizers by make check.          */
#include "jm_test.h"
#include "jm_mdp_decode.h"

//  A message of up to 15 frames given as C strings, ended by END.  "\x04"
//  is a one-byte command frame; "" an empty frame.
#define END ((const char *) 0)

typedef struct {
    const char *frames [16];
    int outcome;                //  JM_MDP_DECODE_*
    const char *problem;        //  a part of the problem text, or NULL
} shape_t;

static zmsg_t *
s_message (const char *const *frames)
{
    zmsg_t *msg = zmsg_new ();
    for (size_t index = 0; index < 16 && frames [index]; index++)
        zmsg_addmem (msg, frames [index], strlen (frames [index]));
    return msg;
}

//  Checks one shape against a decoder; returns the message for more checks
//  (caller destroys) through msg_p when not NULL.
typedef int (decode_fn) (zmsg_t *msg, void *out, char *problem, size_t size);

static void
s_check_shape (const char *what, size_t index, decode_fn *decode, void *out,
               const shape_t *shape)
{
    zmsg_t *msg = s_message (shape->frames);
    char problem [JM_MDP_PROBLEM_MAX];
    memset (problem, 'x', sizeof problem);
    int rc = decode (msg, out, problem, sizeof problem);
    JM_CHECK_MSG (rc == shape->outcome, "%s shape %zu: outcome %d, want %d (%s)",
                  what, index, rc, shape->outcome, problem);
    JM_CHECK_MSG (strlen (problem) < sizeof problem, "%s shape %zu: problem not terminated",
                  what, index);
    if (shape->outcome == JM_MDP_DECODE_OK)
        JM_CHECK_MSG (*problem == 0, "%s shape %zu: problem '%s' when well formed",
                      what, index, problem);
    else
        JM_CHECK_MSG (*problem, "%s shape %zu: no problem text", what, index);
    if (shape->problem)
        JM_CHECK_MSG (strstr (problem, shape->problem), "%s shape %zu: problem '%s' lacks '%s'",
                      what, index, problem, shape->problem);
    zmsg_destroy (&msg);
}

static int
s_client_decode (zmsg_t *msg, void *out, char *problem, size_t size)
{
    return jm_mdp_client_decode (msg, out, problem, size);
}

static int
s_worker_decode (zmsg_t *msg, void *out, char *problem, size_t size)
{
    return jm_mdp_worker_decode (msg, out, problem, size);
}

static int
s_gateway_decode (zmsg_t *msg, void *out, char *problem, size_t size)
{
    return jm_mdp_gateway_decode (msg, out, problem, size);
}

static int
s_reply_decode (zmsg_t *msg, void *out, char *problem, size_t size)
{
    return jm_mdp_reply_decode (msg, out, problem, size);
}

//  Builds a message of count frames: the given head, then copies of filler.
static zmsg_t *
s_long_message (const char *const *head, size_t count, const char *filler)
{
    zmsg_t *msg = s_message (head);
    while (zmsg_size (msg) < count)
        zmsg_addstr (msg, filler);
    return msg;
}

#define OK      JM_MDP_DECODE_OK
#define ANSWER  JM_MDP_DECODE_ANSWER
#define DROP    JM_MDP_DECODE_DROP

JM_TEST (mdp_decode_client_shapes)
{
    static const shape_t shapes [] = {
        { { END }, DROP, "without frames" },
        { { "", END }, DROP, "only a routing id" },
        { { "id", "junk", END }, DROP, "no empty delimiter" },
        { { "id", "a", "b", "c", "d", "e", "f", "g", "h", "i", "", "MDPC01", "s", "{}", END },
          DROP, "within the first 9 frames" },
        { { "id", "", END }, ANSWER, "missing the 'MDPC01' frame" },
        { { "id", "", "MDPC01", END }, ANSWER, "missing the service" },
        { { "id", "", "MDPC01", "svc", END }, ANSWER, "missing the body" },
        { { "id", "r1", "", "MDPC01", "svc", END }, ANSWER, "missing the body" },
        { { "id", "", "MDPC02", "svc", "{}", END }, ANSWER, "'MDPC02' is not" },
        { { "id", "", "", "MDPC01", "svc", "{}", END }, ANSWER, "'' is not" },
        { { "id", "MDPC01", "svc", "{}", END }, ANSWER, "delimiter" },
        { { "id", "MDPC01", "", "MDPC01", "svc", "{}", END }, OK, NULL },    //  an odd request id
        { { "id", "", "MDPC01", "", "{}", END }, ANSWER, "service name is empty" },
        { { "id", "", "MDPC01", "a b", "{}", END }, ANSWER, "printable ASCII" },
        //  stock REQ or DEALER client: no envelope
        { { "id", "", "MDPC01", "svc", "{}", END }, OK, NULL },
        { { "id", "", "MDPC01", "svc", "", END }, OK, NULL },
        { { "id", "", "MDPC01", "svc", "part1", "part2", "part3", END }, OK, NULL },
        //  ours: the request id in the envelope; a proxy adds more
        { { "id", "r1", "", "MDPC01", "svc", "{}", END }, OK, NULL },
        { { "id", "a", "b", "c", "d", "e", "f", "g", "h", "", "MDPC01", "s", "{}", END }, OK, NULL },
    };
    for (size_t index = 0; index < sizeof shapes / sizeof shapes [0]; index++) {
        jm_mdp_client_msg_t out;
        s_check_shape ("client", index, s_client_decode, &out, &shapes [index]);
    }
    //  Ours, taken apart by position
    const char *good [] = { "id", "r1", "", "MDPC01", "svc", "{}", "more", END };
    zmsg_t *msg = s_message (good);
    jm_mdp_client_msg_t out;
    char problem [JM_MDP_PROBLEM_MAX];
    JM_REQUIRE (jm_mdp_client_decode (msg, &out, problem, sizeof problem) == OK);
    JM_CHECK (zframe_streq (out.identity, "id"));
    JM_CHECK_INT (out.envelope_size, 1);
    JM_CHECK (zframe_streq (out.envelope [0], "r1"));
    JM_CHECK (zframe_streq (out.service, "svc"));
    JM_CHECK_INT (out.body_size, 2);
    JM_CHECK (zframe_streq (out.body [0], "{}"));
    JM_CHECK (zframe_streq (out.body [1], "more"));
    zmsg_destroy (&msg);
    //  A stock client's
    const char *stock [] = { "id", "", "MDPC01", "mmi.service", "echo", END };
    msg = s_message (stock);
    JM_REQUIRE (jm_mdp_client_decode (msg, &out, problem, sizeof problem) == OK);
    JM_CHECK_INT (out.envelope_size, 0);
    JM_CHECK (zframe_streq (out.service, "mmi.service"));
    JM_CHECK_INT (out.body_size, 1);
    zmsg_destroy (&msg);
    //  What an error answer can echo
    const char *bad_service [] = { "id", "r1", "", "MDPC01", "a b", "{}", END };
    msg = s_message (bad_service);
    JM_CHECK_INT (jm_mdp_client_decode (msg, &out, problem, sizeof problem), ANSWER);
    JM_CHECK (out.identity && !out.service && out.envelope_size == 1);
    JM_CHECK (zframe_streq (out.envelope [0], "r1"));
    zmsg_destroy (&msg);
    //  An envelope frame too big to echo is dropped
    char big [300];
    memset (big, 'x', sizeof big - 1);
    big [sizeof big - 1] = 0;
    const char *big_envelope [] = { "id", big, "", "MDPC01", "svc", "{}", END };
    msg = s_message (big_envelope);
    JM_CHECK_INT (jm_mdp_client_decode (msg, &out, problem, sizeof problem), DROP);
    JM_CHECK (strstr (problem, "envelope frame 1 is 299 bytes"));
    zmsg_destroy (&msg);
    //  Body frames are bounded; a huge frame count is an answer, not a walk
    const char *head [] = { "id", "r1", "", "MDPC01", "svc", END };
    msg = s_long_message (head, 5 + JM_MDP_BODY_FRAMES_MAX, "x");
    JM_CHECK_INT (jm_mdp_client_decode (msg, &out, problem, sizeof problem), OK);
    JM_CHECK_INT (out.body_size, JM_MDP_BODY_FRAMES_MAX);
    zmsg_destroy (&msg);
    msg = s_long_message (head, 100000, "x");
    JM_CHECK_INT (jm_mdp_client_decode (msg, &out, problem, sizeof problem), ANSWER);
    JM_CHECK (strstr (problem, "the body is 99995 frames, more than 64"));
    zmsg_destroy (&msg);
    const char *empties [] = { "id", END };
    msg = s_long_message (empties, 100000, "");
    JM_CHECK_INT (jm_mdp_client_decode (msg, &out, problem, sizeof problem), ANSWER);
    zmsg_destroy (&msg);
}

JM_TEST (mdp_decode_worker_shapes)
{
    static const shape_t shapes [] = {
        { { END }, DROP, "without frames" },
        { { "w", END }, DROP, "at least 3" },
        { { "w", "", END }, DROP, "at least 3" },         //  the empty frame that killed the gateway
        { { "w", "", "MDPW01", END }, DROP, "at least 3" },
        { { "w", "x", "MDPW01", "\x04", END }, DROP, "empty delimiter" },
        { { "w", "", "MDPW02", "\x04", END }, DROP, "'MDPW02' is not" },
        { { "w", "", "MDPW01", "\x04\x04", END }, DROP, "2 bytes, not 1" },
        { { "w", "", "MDPW01", "", END }, DROP, "0 bytes, not 1" },
        { { "w", "", "MDPW01", "\x04", END }, OK, NULL },
        { { "w", "", "MDPW01", "\x05", END }, OK, NULL },
        { { "w", "", "MDPW01", "\x04", "slots=3", END }, OK, NULL },     //  slots now
        { { "w", "", "MDPW01", "\x05", "x", END }, DROP, "DISCONNECT with 1 frame" },
        { { "w", "", "MDPW01", "\x01", END }, DROP, "READY without a service" },
        { { "w", "", "MDPW01", "\x01", "", END }, DROP, "service name is empty" },
        { { "w", "", "MDPW01", "\x01", "a b", END }, DROP, "printable ASCII" },
        { { "w", "", "MDPW01", "\x01", "svc", END }, OK, NULL },
        { { "w", "", "MDPW01", "\x01", "svc", "slots=4", "x=y", END }, OK, NULL },
        { { "w", "", "MDPW01", "\x03", END }, DROP, "REPLY with 0 frames" },
        { { "w", "", "MDPW01", "\x03", "tok", "", END }, DROP, "REPLY with 2 frames" },
        { { "w", "", "MDPW01", "\x03", "", "", "{}", END }, DROP, "token is 0 bytes" },
        { { "w", "", "MDPW01", "\x03", "tok", "x", "{}", END }, DROP, "not empty" },
        { { "w", "", "MDPW01", "\x03", "tok", "", "{}", "x", END }, OK, NULL },
        { { "w", "", "MDPW01", "\x03", "tok", "", "{}", END }, OK, NULL },
        { { "w", "", "MDPW01", "\x02", "tok", "", "{}", END }, DROP, "unexpected REQUEST" },
        { { "w", "", "MDPW01", "\x07", END }, DROP, "unknown command 0x07" },
        { { "w", "", "MDPW01", "\xff", END }, DROP, "unknown command 0xff" },
    };
    for (size_t index = 0; index < sizeof shapes / sizeof shapes [0]; index++) {
        jm_mdp_worker_msg_t out;
        s_check_shape ("worker", index, s_worker_decode, &out, &shapes [index]);
    }
    jm_mdp_worker_msg_t out;
    char problem [JM_MDP_PROBLEM_MAX];
    const char *ready [] = { "w", "", "MDPW01", "\x01", "svc", "slots=4", "x=y", END };
    zmsg_t *msg = s_message (ready);
    JM_REQUIRE (jm_mdp_worker_decode (msg, &out, problem, sizeof problem) == OK);
    JM_CHECK (zframe_streq (out.identity, "w"));
    JM_CHECK_INT (out.command, JM_MDPW_READY);
    JM_CHECK (zframe_streq (out.service, "svc"));
    JM_CHECK_INT (out.extension_size, 2);
    JM_CHECK (zframe_streq (out.extensions [0], "slots=4"));
    JM_CHECK (zframe_streq (out.extensions [1], "x=y"));
    zmsg_destroy (&msg);

    const char *slots [] = { "w", "", "MDPW01", "\x04", "slots=0", END };
    msg = s_message (slots);
    JM_REQUIRE (jm_mdp_worker_decode (msg, &out, problem, sizeof problem) == OK);
    JM_CHECK_INT (out.command, JM_MDPW_HEARTBEAT);
    JM_CHECK_INT (out.extension_size, 1);
    JM_CHECK (zframe_streq (out.extensions [0], "slots=0"));
    zmsg_destroy (&msg);

    const char *reply [] = { "w", "", "MDPW01", "\x03", "tok", "", "{}", END };
    msg = s_message (reply);
    JM_REQUIRE (jm_mdp_worker_decode (msg, &out, problem, sizeof problem) == OK);
    JM_CHECK_INT (out.command, JM_MDPW_REPLY);
    JM_CHECK (zframe_streq (out.token, "tok"));
    JM_CHECK_INT (out.body_size, 1);
    JM_CHECK (zframe_streq (out.body [0], "{}"));
    zmsg_destroy (&msg);

    //  Identity and command are known even when the rest is wrong, so the
    //  gateway can disconnect the sender
    const char *bad_ready [] = { "w", "", "MDPW01", "\x01", END };
    msg = s_message (bad_ready);
    JM_CHECK_INT (jm_mdp_worker_decode (msg, &out, problem, sizeof problem), DROP);
    JM_CHECK (out.identity && zframe_streq (out.identity, "w"));
    JM_CHECK_INT (out.command, JM_MDPW_READY);
    zmsg_destroy (&msg);

    const char *many_ready [] = { "w", "", "MDPW01", "\x01", "svc", END };
    msg = s_long_message (many_ready, 5 + JM_MDP_EXTENSIONS_MAX + 1, "k=v");
    JM_CHECK_INT (jm_mdp_worker_decode (msg, &out, problem, sizeof problem), DROP);
    JM_CHECK (strstr (problem, "extension frames, more than"));
    zmsg_destroy (&msg);
    msg = s_long_message (many_ready, 5 + JM_MDP_EXTENSIONS_MAX, "k=v");
    JM_CHECK_INT (jm_mdp_worker_decode (msg, &out, problem, sizeof problem), OK);
    JM_CHECK_INT (out.extension_size, JM_MDP_EXTENSIONS_MAX);
    zmsg_destroy (&msg);

    const char *many_reply [] = { "w", "", "MDPW01", "\x03", "tok", "", END };
    msg = s_long_message (many_reply, 6 + JM_MDP_BODY_FRAMES_MAX, "x");
    JM_CHECK_INT (jm_mdp_worker_decode (msg, &out, problem, sizeof problem), OK);
    JM_CHECK_INT (out.body_size, JM_MDP_BODY_FRAMES_MAX);
    zmsg_destroy (&msg);
    msg = s_long_message (many_reply, 100000, "x");
    JM_CHECK_INT (jm_mdp_worker_decode (msg, &out, problem, sizeof problem), DROP);
    JM_CHECK (strstr (problem, "REPLY body is 99994 frames, more than 64"));
    zmsg_destroy (&msg);
}

JM_TEST (mdp_decode_gateway_shapes)
{
    static const shape_t shapes [] = {
        { { END }, DROP, "0 frames" },
        { { "", END }, DROP, "1 frame;" },
        { { "identity", "", END }, DROP, "2 frames" },    //  a fake gateway's [identity, ""]
        { { "", "MDPW01", END }, DROP, "at least 3" },
        { { "x", "MDPW01", "\x04", END }, DROP, "empty delimiter" },
        { { "", "MDPW02", "\x04", END }, DROP, "'MDPW02' is not" },
        { { "", "MDPW01", "\x04", END }, OK, NULL },
        { { "", "MDPW01", "\x05", END }, OK, NULL },
        { { "", "MDPW01", "\x05", "x", END }, DROP, "DISCONNECT with 1 frame" },
        { { "", "MDPW01", "\x02", END }, DROP, "REQUEST with 0 frames" },
        { { "", "MDPW01", "\x02", "tok", END }, DROP, "REQUEST with 1 frame" },
        { { "", "MDPW01", "\x02", "", "", "{}", END }, DROP, "token is 0 bytes" },
        { { "", "MDPW01", "\x02", "tok", "x", "{}", END }, DROP, "not empty" },
        { { "", "MDPW01", "\x02", "tok", "", "{}", "x", END }, OK, NULL },
        { { "", "MDPW01", "\x02", "tok", "", "{}", END }, OK, NULL },
        { { "", "MDPW01", "\x01", "svc", END }, DROP, "unexpected READY" },
        { { "", "MDPW01", "\x03", "tok", "", "{}", END }, DROP, "unexpected REPLY" },
        { { "", "MDPW01", "\x00", END }, DROP, "0 bytes" },   //  "\x00" is an empty C string
        { { "", "MDPW01", "\x09", END }, DROP, "unknown command 0x09" },
    };
    for (size_t index = 0; index < sizeof shapes / sizeof shapes [0]; index++) {
        jm_mdp_worker_msg_t out;
        s_check_shape ("gateway", index, s_gateway_decode, &out, &shapes [index]);
    }
    jm_mdp_worker_msg_t out;
    char problem [JM_MDP_PROBLEM_MAX];
    const char *request [] = { "", "MDPW01", "\x02", "tok", "", "{}", END };
    zmsg_t *msg = s_message (request);
    JM_REQUIRE (jm_mdp_gateway_decode (msg, &out, problem, sizeof problem) == OK);
    JM_CHECK (out.identity == NULL);
    JM_CHECK_INT (out.command, JM_MDPW_REQUEST);
    JM_CHECK (zframe_streq (out.token, "tok"));
    JM_CHECK (zframe_streq (out.body [0], "{}"));
    zmsg_destroy (&msg);
    msg = s_long_message (request, 100000, "x");
    JM_CHECK_INT (jm_mdp_gateway_decode (msg, &out, problem, sizeof problem), DROP);
    zmsg_destroy (&msg);
}

JM_TEST (mdp_decode_reply_shapes)
{
    static const shape_t shapes [] = {
        { { END }, DROP, "no empty delimiter" },
        { { "", END }, DROP, "0 frames after the delimiter" },
        { { "r1", END }, DROP, "no empty delimiter" },
        { { "r1", "", "MDPC01", "svc", END }, DROP, "2 frames after" },
        { { "r1", "", "MDPW01", "svc", "{}", END }, DROP, "'MDPW01' is not" },
        { { "r1", "", "MDPC01", "svc", "{}", END }, OK, NULL },
        { { "", "MDPC01", "svc", "{}", END }, OK, NULL },
        { { "r1", "", "MDPC01", "svc", "{}", "more", END }, OK, NULL },
    };
    for (size_t index = 0; index < sizeof shapes / sizeof shapes [0]; index++) {
        jm_mdp_reply_msg_t out;
        s_check_shape ("reply", index, s_reply_decode, &out, &shapes [index]);
    }
    jm_mdp_reply_msg_t out;
    char problem [JM_MDP_PROBLEM_MAX];
    const char *reply [] = { "r1", "", "MDPC01", "svc", "{}", "more", END };
    zmsg_t *msg = s_message (reply);
    JM_REQUIRE (jm_mdp_reply_decode (msg, &out, problem, sizeof problem) == OK);
    JM_CHECK_INT (out.envelope_size, 1);
    JM_CHECK (zframe_streq (out.envelope [0], "r1"));
    JM_CHECK (zframe_streq (out.service, "svc"));
    JM_CHECK_INT (out.body_size, 2);
    JM_CHECK (zframe_streq (out.body [0], "{}"));
    JM_CHECK (zframe_streq (out.body [1], "more"));
    zmsg_destroy (&msg);
    msg = s_long_message (reply, 100000, "x");
    JM_CHECK_INT (jm_mdp_reply_decode (msg, &out, problem, sizeof problem), DROP);
    JM_CHECK (strstr (problem, "more than 64"));
    zmsg_destroy (&msg);
}

JM_TEST (mdp_decode_tiny_problem_buffer)
{
    const char *frames [] = { "w", "", END };
    zmsg_t *msg = s_message (frames);
    jm_mdp_worker_msg_t out;
    char problem [4];
    JM_CHECK_INT (jm_mdp_worker_decode (msg, &out, problem, sizeof problem), DROP);
    JM_CHECK_INT (strlen (problem), 3);
    zmsg_destroy (&msg);
}

//  Random messages built from protocol-like pieces: every decoder must
//  return one of its outcomes, and an OK must point at frames of the
//  message.  The sanitizers of make check catch any stray read.
JM_TEST (mdp_decode_random_messages)
{
    static const char *pieces [] = {
        "", "MDPC01", "MDPW01", "MDPC02", "\x01", "\x02", "\x03", "\x04", "\x05", "\x07",
        "svc", "a b", "tok", "slots=3", "heartbeat=1000", "{}", "r1"
    };
    const size_t piece_count = sizeof pieces / sizeof pieces [0];
    unsigned seed = 14;
    for (int round = 0; round < 20000; round++) {
        zmsg_t *msg = zmsg_new ();
        size_t frames = (size_t) (rand_r (&seed) % 10);
        for (size_t index = 0; index < frames; index++)
            zmsg_addstr (msg, pieces [rand_r (&seed) % piece_count]);
        char problem [JM_MDP_PROBLEM_MAX];
        jm_mdp_client_msg_t client;
        jm_mdp_worker_msg_t worker;
        jm_mdp_reply_msg_t reply;
        int rc = jm_mdp_client_decode (msg, &client, problem, sizeof problem);
        JM_CHECK (rc == OK || rc == ANSWER || rc == DROP);
        if (rc == OK)
            JM_CHECK (client.identity && client.service && client.body_size >= 1);
        rc = jm_mdp_worker_decode (msg, &worker, problem, sizeof problem);
        JM_CHECK (rc == OK || rc == DROP);
        if (rc == OK)
            JM_CHECK (worker.identity && worker.command >= JM_MDPW_READY
                      && worker.command <= JM_MDPW_DISCONNECT);
        rc = jm_mdp_gateway_decode (msg, &worker, problem, sizeof problem);
        JM_CHECK (rc == OK || rc == DROP);
        if (rc == OK && worker.command == JM_MDPW_REQUEST)
            JM_CHECK (worker.token && worker.body_size >= 1);
        rc = jm_mdp_reply_decode (msg, &reply, problem, sizeof problem);
        JM_CHECK (rc == OK || rc == DROP);
        zmsg_destroy (&msg);
    }
}
