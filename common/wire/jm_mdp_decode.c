/*  jm_mdp_decode: pure decoders for Majordomo messages.  See
    jm_mdp_decode.h and proto/protocol.md.  Every decoder first copies the
    frame pointers it needs into an array, counting against zmsg_size (),
    then checks frames by position.                                       */
#include "jm_mdp_decode.h"

#include <assert.h>
#include <stdarg.h>
#include <string.h>

//  The most frames any decoder looks at: identity, a full envelope, the
//  delimiter, header, service or command, token, delimiter, and a body.
#define FRAMES_MAX  (JM_MDP_ENVELOPE_MAX + JM_MDP_BODY_FRAMES_MAX + 8)

//  Copies pointers to the first max frames of msg into frames and returns
//  how many frames msg has in all (may be more than max).
static size_t
s_gather (zmsg_t *msg, zframe_t **frames, size_t max)
{
    size_t count = zmsg_size (msg);
    size_t wanted = count < max? count: max;
    for (size_t index = 0; index < wanted; index++) {
        frames [index] = index == 0? zmsg_first (msg): zmsg_next (msg);
        assert (frames [index]);        //  fewer than zmsg_size () frames: a czmq bug
    }
    return count;
}

//  Writes the problem text and returns outcome.
static int
s_problem (int outcome, char *problem, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));
static int
s_problem (int outcome, char *problem, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (problem, size, format, args);
    va_end (args);
    return outcome;
}

const char *
jm_mdp_command_name (int command)
{
    static const char *names [] = {
        "UNKNOWN", "READY", "REQUEST", "REPLY", "HEARTBEAT", "DISCONNECT"
    };
    return command >= 1 && command <= 5? names [command]: names [0];
}

const char *
jm_mdp_printable (zframe_t *frame, char *buffer, size_t size)
{
    assert (size > 0);
    const byte *data = zframe_data (frame);
    size_t length = zframe_size (frame);
    size_t out = 0;
    for (size_t index = 0; index < length && index < 32 && out + 4 < size; index++)
        buffer [out++] = data [index] >= 0x20 && data [index] < 0x7f? (char) data [index]: '?';
    if (length > 32 && out + 4 < size)
        buffer [out++] = '.', buffer [out++] = '.', buffer [out++] = '.';
    buffer [out] = 0;
    return buffer;
}

static bool
s_frame_is (zframe_t *frame, const char *text)
{
    size_t length = strlen (text);
    return zframe_size (frame) == length && memcmp (zframe_data (frame), text, length) == 0;
}

bool
jm_mdp_service_name_ok (const void *data, size_t size)
{
    const byte *bytes = data;
    if (size == 0 || size > JM_MDP_SERVICE_MAX)
        return false;
    for (size_t index = 0; index < size; index++)
        if (bytes [index] <= 0x20 || bytes [index] >= 0x7f)
            return false;
    return true;
}

//  Describes what is wrong with a service name frame into problem, or
//  returns false when it is fine.
static bool
s_service_problem (zframe_t *service, char *problem, size_t size)
{
    if (zframe_size (service) == 0)
        snprintf (problem, size, "service name is empty");
    else
    if (zframe_size (service) > JM_MDP_SERVICE_MAX)
        snprintf (problem, size, "service name is %zu bytes, more than %d",
                  zframe_size (service), JM_MDP_SERVICE_MAX);
    else
    if (!jm_mdp_service_name_ok (zframe_data (service), zframe_size (service)))
        snprintf (problem, size,
                  "service name has a space or a character outside printable ASCII");
    else
        return false;
    return true;
}


//  --------------------------------------------------------------------------
//  Client messages at the gateway

//  Finds the envelope of a message whose frames from first on are
//  [envelope..., "", ...]: sets *delimiter to the index of the empty frame
//  and fills envelope.  Returns JM_MDP_DECODE_OK, or JM_MDP_DECODE_DROP
//  with a problem when there is no delimiter within JM_MDP_ENVELOPE_MAX + 1
//  frames or an envelope frame is over 255 bytes.
static int
s_envelope (zframe_t **frames, size_t count, size_t first, zframe_t **envelope,
            size_t *envelope_size, size_t *delimiter, char *problem, size_t size)
{
    size_t index = first;
    while (index < count && index <= first + JM_MDP_ENVELOPE_MAX
       &&  zframe_size (frames [index]) != 0) {
        if (zframe_size (frames [index]) > JM_MDP_ENVELOPE_FRAME_MAX)
            return s_problem (JM_MDP_DECODE_DROP, problem, size,
                              "envelope frame %zu is %zu bytes, more than %d",
                              index - first + 1, zframe_size (frames [index]),
                              JM_MDP_ENVELOPE_FRAME_MAX);
        index++;
    }
    if (index == count || zframe_size (frames [index]) != 0
    ||  index - first > JM_MDP_ENVELOPE_MAX)
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "no empty delimiter frame within the first %d frames (%zu frames)",
                          JM_MDP_ENVELOPE_MAX + 1, count - first);
    *envelope_size = index - first;
    for (size_t at = first; at < index; at++)
        envelope [at - first] = frames [at];
    *delimiter = index;
    return JM_MDP_DECODE_OK;
}

int
jm_mdp_client_decode (zmsg_t *msg, jm_mdp_client_msg_t *out, char *problem, size_t size)
{
    assert (msg && out && problem && size > 0);
    memset (out, 0, sizeof *out);
    *problem = 0;
    zframe_t *frames [FRAMES_MAX];
    size_t count = s_gather (msg, frames, FRAMES_MAX);
    if (count == 0)
        return s_problem (JM_MDP_DECODE_DROP, problem, size, "a message without frames");
    out->identity = frames [0];
    if (count == 1)
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "a message with only a routing id");
    size_t delimiter;
    int rc = s_envelope (frames, count, 1, out->envelope, &out->envelope_size, &delimiter,
                         problem, size);
    //  A DEALER that left out the delimiter: answer it with an empty envelope
    if (rc != JM_MDP_DECODE_OK && s_frame_is (frames [1], JM_MDPC)) {
        out->envelope_size = 0;
        return s_problem (JM_MDP_DECODE_ANSWER, problem, size,
                          "missing the empty delimiter frame before '" JM_MDPC "'");
    }
    if (rc != JM_MDP_DECODE_OK)
        return rc;
    //  From here on the client can be answered
    size_t header = delimiter + 1;
    char text [40];
    if (header >= count)
        return s_problem (JM_MDP_DECODE_ANSWER, problem, size,
                          "missing the '" JM_MDPC "' frame after the empty delimiter");
    if (!s_frame_is (frames [header], JM_MDPC))
        return s_problem (JM_MDP_DECODE_ANSWER, problem, size,
                          "protocol header '%s' is not '" JM_MDPC "'",
                          jm_mdp_printable (frames [header], text, sizeof text));
    if (header + 1 >= count)
        return s_problem (JM_MDP_DECODE_ANSWER, problem, size, "missing the service frame");
    zframe_t *service = frames [header + 1];
    if (s_service_problem (service, problem, size))
        return JM_MDP_DECODE_ANSWER;
    out->service = service;
    size_t body_size = count - header - 2;
    if (body_size == 0)
        return s_problem (JM_MDP_DECODE_ANSWER, problem, size, "missing the body frame");
    if (body_size > JM_MDP_BODY_FRAMES_MAX)
        return s_problem (JM_MDP_DECODE_ANSWER, problem, size,
                          "the body is %zu frames, more than %d", body_size,
                          JM_MDP_BODY_FRAMES_MAX);
    for (size_t index = 0; index < body_size; index++)
        out->body [index] = frames [header + 2 + index];
    out->body_size = body_size;
    return JM_MDP_DECODE_OK;
}


//  --------------------------------------------------------------------------
//  Worker protocol messages

//  Decodes ["", MDPW01, command, ...] starting at frames [at], where the
//  message has count frames in all (frames holds the first FRAMES_MAX).
//  from_worker says which direction: READY and REPLY come from workers,
//  REQUEST from the gateway.
static int
s_worker_decode (zframe_t **frames, size_t count, size_t at, bool from_worker,
                 jm_mdp_worker_msg_t *out, char *problem, size_t size)
{
    const char *peer = from_worker? "worker": "gateway";
    if (count < at + 3)
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "%zu frame%s; a %s message has at least 3 "
                          "(empty, '" JM_MDPW "', command)",
                          count - at, count - at == 1? "": "s", peer);
    char text [40];
    if (zframe_size (frames [at]) != 0)
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "first frame '%s' is not the empty delimiter",
                          jm_mdp_printable (frames [at], text, sizeof text));
    if (!s_frame_is (frames [at + 1], JM_MDPW))
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "protocol header '%s' is not '" JM_MDPW "'",
                          jm_mdp_printable (frames [at + 1], text, sizeof text));
    if (zframe_size (frames [at + 2]) != 1)
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "command frame is %zu bytes, not 1", zframe_size (frames [at + 2]));
    int command = zframe_data (frames [at + 2]) [0];
    out->command = command;
    size_t rest = count - at - 3;           //  frames after the command
    const char *name = jm_mdp_command_name (command);
    if (from_worker && command == JM_MDPW_HEARTBEAT && rest > 0) {
        //  jobmatch's extension: "slots=N", the requests it can hold now
        if (rest > JM_MDP_EXTENSIONS_MAX)
            return s_problem (JM_MDP_DECODE_DROP, problem, size,
                              "HEARTBEAT with %zu extension frames, more than %d",
                              rest, JM_MDP_EXTENSIONS_MAX);
        for (size_t index = 0; index < rest; index++)
            out->extensions [index] = frames [at + 3 + index];
        out->extension_size = rest;
        return JM_MDP_DECODE_OK;
    }
    if (command == JM_MDPW_HEARTBEAT || command == JM_MDPW_DISCONNECT) {
        if (rest > 0)
            return s_problem (JM_MDP_DECODE_DROP, problem, size,
                              "%s with %zu frame%s after the command; it has none",
                              name, rest, rest == 1? "": "s");
        return JM_MDP_DECODE_OK;
    }
    if (from_worker && command == JM_MDPW_READY) {
        if (rest == 0)
            return s_problem (JM_MDP_DECODE_DROP, problem, size, "READY without a service frame");
        char service_problem [80];
        if (s_service_problem (frames [at + 3], service_problem, sizeof service_problem))
            return s_problem (JM_MDP_DECODE_DROP, problem, size, "READY: %s", service_problem);
        if (rest - 1 > JM_MDP_EXTENSIONS_MAX)
            return s_problem (JM_MDP_DECODE_DROP, problem, size,
                              "READY with %zu extension frames, more than %d",
                              rest - 1, JM_MDP_EXTENSIONS_MAX);
        out->service = frames [at + 3];
        for (size_t index = 0; index + 1 < rest; index++)
            out->extensions [index] = frames [at + 4 + index];
        out->extension_size = rest - 1;
        return JM_MDP_DECODE_OK;
    }
    if ((from_worker && command == JM_MDPW_REPLY) || (!from_worker && command == JM_MDPW_REQUEST)) {
        //  token, "", body frames
        if (rest < 3)
            return s_problem (JM_MDP_DECODE_DROP, problem, size,
                              "%s with %zu frame%s after the command; it has 3 "
                              "(token, empty, body)", name, rest, rest == 1? "": "s");
        zframe_t *token = frames [at + 3];
        if (zframe_size (token) == 0 || zframe_size (token) > 255)
            return s_problem (JM_MDP_DECODE_DROP, problem, size,
                              "%s token is %zu bytes, not 1..255", name, zframe_size (token));
        if (zframe_size (frames [at + 4]) != 0)
            return s_problem (JM_MDP_DECODE_DROP, problem, size,
                              "%s: the frame after the token is not empty", name);
        size_t body_size = rest - 2;
        if (body_size > JM_MDP_BODY_FRAMES_MAX)
            return s_problem (JM_MDP_DECODE_DROP, problem, size,
                              "%s body is %zu frames, more than %d", name, body_size,
                              JM_MDP_BODY_FRAMES_MAX);
        out->token = token;
        for (size_t index = 0; index < body_size; index++)
            out->body [index] = frames [at + 5 + index];
        out->body_size = body_size;
        return JM_MDP_DECODE_OK;
    }
    if (command >= JM_MDPW_READY && command <= JM_MDPW_DISCONNECT)
        return s_problem (JM_MDP_DECODE_DROP, problem, size, "unexpected %s (0x%02x) from a %s",
                          name, command, peer);
    out->command = 0;
    return s_problem (JM_MDP_DECODE_DROP, problem, size, "unknown command 0x%02x", command);
}

int
jm_mdp_worker_decode (zmsg_t *msg, jm_mdp_worker_msg_t *out, char *problem, size_t size)
{
    assert (msg && out && problem && size > 0);
    memset (out, 0, sizeof *out);
    *problem = 0;
    zframe_t *frames [FRAMES_MAX];
    size_t count = s_gather (msg, frames, FRAMES_MAX);
    if (count == 0)
        return s_problem (JM_MDP_DECODE_DROP, problem, size, "a message without frames");
    out->identity = frames [0];
    return s_worker_decode (frames, count, 1, true, out, problem, size);
}

int
jm_mdp_gateway_decode (zmsg_t *msg, jm_mdp_worker_msg_t *out, char *problem, size_t size)
{
    assert (msg && out && problem && size > 0);
    memset (out, 0, sizeof *out);
    *problem = 0;
    zframe_t *frames [FRAMES_MAX];
    size_t count = s_gather (msg, frames, FRAMES_MAX);
    return s_worker_decode (frames, count, 0, false, out, problem, size);
}


//  --------------------------------------------------------------------------
//  Replies at a client

int
jm_mdp_reply_decode (zmsg_t *msg, jm_mdp_reply_msg_t *out, char *problem, size_t size)
{
    assert (msg && out && problem && size > 0);
    memset (out, 0, sizeof *out);
    *problem = 0;
    zframe_t *frames [FRAMES_MAX];
    size_t count = s_gather (msg, frames, FRAMES_MAX);
    size_t delimiter;
    int rc = s_envelope (frames, count, 0, out->envelope, &out->envelope_size, &delimiter,
                         problem, size);
    if (rc != JM_MDP_DECODE_OK)
        return rc;
    size_t header = delimiter + 1;
    if (count < header + 3)
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "a reply of %zu frames after the delimiter; it has at least 3 "
                          "('" JM_MDPC "', service, body)", count - header);
    char text [40];
    if (!s_frame_is (frames [header], JM_MDPC))
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "protocol header '%s' is not '" JM_MDPC "'",
                          jm_mdp_printable (frames [header], text, sizeof text));
    size_t body_size = count - header - 2;
    if (body_size > JM_MDP_BODY_FRAMES_MAX)
        return s_problem (JM_MDP_DECODE_DROP, problem, size,
                          "the reply body is %zu frames, more than %d", body_size,
                          JM_MDP_BODY_FRAMES_MAX);
    out->service = frames [header + 1];
    for (size_t index = 0; index < body_size; index++)
        out->body [index] = frames [header + 2 + index];
    out->body_size = body_size;
    return JM_MDP_DECODE_OK;
}
