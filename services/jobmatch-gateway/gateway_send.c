/*  gateway_send: every message the broker sends about a request: replies
    and error replies to clients, with the envelope the client sent (our
    clients' request id) in front, requests to workers, and the frames a
    request holds.  Error replies are counted and kept among the failed
    requests (gateway_system.c).  Part of the gateway broker; see
    gateway_internal.h.                                                    */
#include "gateway_internal.h"

#include <stdarg.h>

//  The most frames a reply starts with: client, envelope, "", MDPC01, service
#define REPLY_HEAD_MAX  (JM_MDP_ENVELOPE_MAX + 4)

//  --------------------------------------------------------------------------
//  Replies to clients

void
gw_client_send (broker_t *self, zframe_t *client, zframe_t **envelope, size_t envelope_size,
                const void *service, size_t service_size, zframe_t **body, size_t body_size,
                const char *body_text)
{
    assert (envelope_size <= JM_MDP_ENVELOPE_MAX);
    jm_mdp_part_t parts [REPLY_HEAD_MAX + 1];
    size_t count = 0;
    parts [count++] = (jm_mdp_part_t) { zframe_data (client), zframe_size (client) };
    for (size_t index = 0; index < envelope_size; index++)
        parts [count++] = (jm_mdp_part_t) { zframe_data (envelope [index]),
                                            zframe_size (envelope [index]) };
    parts [count++] = (jm_mdp_part_t) { "", 0 };
    parts [count++] = (jm_mdp_part_t) { JM_MDPC, 6 };
    parts [count++] = (jm_mdp_part_t) { service, service_size };
    if (body_size == 0)
        parts [count++] = (jm_mdp_part_t) { body_text, body_text? strlen (body_text): 0 };
    //  The clients socket never blocks (gateway_limits.c): a reply to a
    //  client that has gone, or that has client-reply-max replies unread,
    //  is dropped and counted
    if (jm_mdp_send_frames (self->clients, parts, count, body, body_size))
        gw_limits_reply_dropped (self, zmq_errno ());
}

//  Counts an error reply of this code.
static void
s_count_error (broker_t *self, const char *code)
{
    if (streq (code, JM_ERR_NO_WORKERS))
        self->counters.no_workers++;
    else
    if (streq (code, JM_ERR_BUSY))
        self->counters.busy++;
    else
    if (streq (code, JM_ERR_TOO_LARGE))
        self->counters.too_large++;
    else
    if (streq (code, JM_ERR_WORKER_LOST))
        self->counters.worker_lost++;
    else
    if (streq (code, JM_ERR_INVALID_REQUEST))
        self->counters.invalid_request++;
    else
    if (streq (code, JM_ERR_TIMEOUT))
        self->counters.timeout++;
    else
    if (streq (code, JM_ERR_FORBIDDEN))
        self->counters.forbidden++;
    else
    if (streq (code, JM_ERR_UNAVAILABLE))
        self->counters.unavailable++;
}

//  Sends an error reply {"ok": false, "error": {...}} to a client, counts
//  it and remembers it among the failed requests (attempts: dispatches).
static void
s_send_error (broker_t *self, zframe_t *client, zframe_t **envelope, size_t envelope_size,
              const void *service, size_t service_size, int attempts, const char *code,
              const char *message)
{
    char *text = jm_mdp_error_body (code, message);
    gw_client_send (self, client, envelope, envelope_size, service, service_size, NULL, 0, text);
    free (text);
    s_count_error (self, code);
    gw_system_failure (self, client, service, service_size, code, attempts, "gateway");
}

void
gw_client_send_error (broker_t *self, zframe_t *client, zframe_t **envelope, size_t envelope_size,
                      const void *service, size_t service_size, const char *code,
                      const char *format, ...)
{
    char message [JM_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    s_send_error (self, client, envelope, envelope_size, service, service_size, 0, code, message);
}


//  --------------------------------------------------------------------------
//  Requests

void
gw_request_send_error (broker_t *self, request_t *request, const char *code, const char *message)
{
    const char *name = request->service->name;
    s_send_error (self, request->client, request->envelope, request->envelope_size,
                  name, strlen (name), request->attempts, code, message);
}

const char *
gw_request_label (request_t *request, char *buffer, size_t size)
{
    if (request->envelope_size == 0) {
        snprintf (buffer, size, "-");
        return buffer;
    }
    return jm_mdp_printable (request->envelope [0], buffer, size);
}

void
gw_request_send (broker_t *self, request_t *request, worker_t *worker, const byte *token,
                 size_t token_size)
{
    byte command = JM_MDPW_REQUEST;
    jm_mdp_part_t parts [] = {
        { zframe_data (worker->identity), zframe_size (worker->identity) }, { "", 0 },
        { JM_MDPW, 6 }, { &command, 1 }, { token, token_size }, { "", 0 }
    };
    //  The body is shared with the request, which keeps it for a re-dispatch
    jm_mdp_send_frames (self->workers, parts, 6, request->body, request->body_size);
}

void
gw_request_free_frames (request_t *request)
{
    zframe_destroy (&request->client);
    for (size_t index = 0; index < request->envelope_size; index++)
        zframe_destroy (&request->envelope [index]);
    for (size_t index = 0; index < request->body_size; index++)
        zframe_destroy (&request->body [index]);
    free (request->envelope);           //  the block holding both arrays
    request->envelope = request->body = NULL;
    request->envelope_size = request->body_size = 0;
}
