/*  gateway_client: the client side of the gateway.  Checks each message
    from the clients socket and answers what is wrong with it, turns a good
    one into a queued request (or a busy / too_large / no_workers error),
    answers the built-in services mmi.* (8/MMI), jobmatch.stats and
    jobmatch.system (gateway_system.c) itself,
    and sends every reply and error reply to clients, with the envelope the
    client sent (our clients' request id) in front.  Part of the gateway broker;
    see gateway_internal.h.                                                */
#include "gateway_internal.h"
#include "jm_alloc.h"

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


//  --------------------------------------------------------------------------
//  Built-in services

//  Answers mmi.* (8/MMI), jobmatch.stats and jobmatch.system, with the
//  body as the only frame after the service.  Returns true when the
//  service was one.
static bool
s_builtin (broker_t *self, jm_mdp_client_msg_t *request)
{
    zframe_t *service = request->service;
    char name [JM_MDP_SERVICE_MAX + 1];
    size_t size = zframe_size (service);
    memcpy (name, zframe_data (service), size);
    name [size] = 0;
    const char *answer = NULL;
    char *text = NULL;
    if (streq (name, JM_MDP_STATS_SERVICE))
        answer = text = gw_stats_json (self);
    else
    if (streq (name, JM_MDP_SYSTEM_SERVICE)) {
        if (gw_system_answer (self, request))
            self->counters.builtin++;
        return true;
    }
    else
    if (streq (name, JM_MDP_MMI_SERVICE)) {
        //  The body names a service: "200" when it has a worker now
        zframe_t *wanted = request->body [0];
        service_t *target = NULL;
        if (request->body_size == 1
        &&  jm_mdp_service_name_ok (zframe_data (wanted), zframe_size (wanted))) {
            char wanted_name [JM_MDP_SERVICE_MAX + 1];
            memcpy (wanted_name, zframe_data (wanted), zframe_size (wanted));
            wanted_name [zframe_size (wanted)] = 0;
            target = zhashx_lookup (self->services, wanted_name);
        }
        answer = target && target->worker_count > 0? "200": "404";
    }
    else
    if (strncmp (name, JM_MDP_MMI_PREFIX, strlen (JM_MDP_MMI_PREFIX)) == 0)
        answer = "501";
    else
        return false;
    gw_client_send (self, request->identity, request->envelope, request->envelope_size,
                    name, size, NULL, 0, answer);
    free (text);
    self->counters.builtin++;
    return true;
}


//  --------------------------------------------------------------------------
//  Client requests

//  Decodes a client message [identity, envelope..., "", MDPC01, service,
//  body...] and answers what is wrong with it.  Returns true when it is
//  well formed.
static bool
s_client_check (broker_t *self, zmsg_t *msg, jm_mdp_client_msg_t *decoded)
{
    char problem [JM_MDP_PROBLEM_MAX];
    int rc = jm_mdp_client_decode (msg, decoded, problem, sizeof problem);
    if (rc == JM_MDP_DECODE_OK)
        return true;
    char client_hex [HEX_MAX] = "";
    if (decoded->identity)
        gw_frame_hex (decoded->identity, client_hex, sizeof client_hex);
    if (rc == JM_MDP_DECODE_DROP) {
        self->counters.dropped_client++;
        gw_warn (self, "client %s: dropped %s", client_hex, problem);
        return false;
    }
    //  Echo what can be echoed: an unusable service comes back empty
    zframe_t *service = decoded->service;
    gw_client_send_error (self, decoded->identity, decoded->envelope, decoded->envelope_size,
                          service? zframe_data (service): NULL, service? zframe_size (service): 0,
                          JM_ERR_INVALID_REQUEST, "%s", problem);
    gw_warn (self, "client %s: invalid request: %s", client_hex, problem);
    return false;
}

//  Takes the frames a request keeps out of the message.
static request_t *
s_request_new (zmsg_t *msg, jm_mdp_client_msg_t *decoded, size_t body_bytes)
{
    request_t *request = jm_calloc (1, sizeof *request);
    request->envelope = jm_malloc ((decoded->envelope_size + decoded->body_size)
                                * sizeof (zframe_t *));
    request->body = request->envelope + decoded->envelope_size;
    zmsg_remove (msg, decoded->identity);
    request->client = decoded->identity;
    for (size_t index = 0; index < decoded->envelope_size; index++) {
        zmsg_remove (msg, decoded->envelope [index]);
        request->envelope [index] = decoded->envelope [index];
    }
    request->envelope_size = decoded->envelope_size;
    for (size_t index = 0; index < decoded->body_size; index++) {
        zmsg_remove (msg, decoded->body [index]);
        request->body [index] = decoded->body [index];
    }
    request->body_size = decoded->body_size;
    request->bytes = body_bytes;
    return request;
}

//  One message from the clients socket.
void
gw_client_message (broker_t *self, zmsg_t *msg)
{
    jm_mdp_client_msg_t decoded;
    if (!s_client_check (self, msg, &decoded))
        return;
    self->counters.requests++;
    if (s_builtin (self, &decoded))
        return;
    zframe_t *client = decoded.identity;
    const void *service_data = zframe_data (decoded.service);
    size_t service_size = zframe_size (decoded.service);
    size_t body_bytes = 0;
    for (size_t index = 0; index < decoded.body_size; index++)
        body_bytes += zframe_size (decoded.body [index]);
    if (body_bytes > self->settings.max_body) {
        gw_client_send_error (self, client, decoded.envelope, decoded.envelope_size,
                              service_data, service_size, JM_ERR_TOO_LARGE,
                              "body is %zu bytes, more than the %zu allowed",
                              body_bytes, self->settings.max_body);
        return;
    }
    if (self->draining) {
        gw_client_send_error (self, client, decoded.envelope, decoded.envelope_size,
                              service_data, service_size, JM_ERR_UNAVAILABLE,
                              "the gateway is stopping; send the request again");
        return;
    }
    if (!gw_auth_request_allowed (self, &decoded))
        return;
    char busy [JM_ERROR_MESSAGE_MAX];
    if (!gw_limits_admit (self, client, body_bytes, busy, sizeof busy)) {
        gw_client_send_error (self, client, decoded.envelope, decoded.envelope_size,
                              service_data, service_size, JM_ERR_BUSY, "%s", busy);
        return;
    }
    char *name = zframe_strdup (decoded.service);
    service_t *service = gw_service_require (self, name);
    free (name);

    request_t *request = s_request_new (msg, &decoded, body_bytes);
    request->service = service;
    request->received_us = gw_now_us ();
    request->queued_ms = self->now_ms;
    gw_limits_hold (self, request);
    self->held++;
    if (self->held > self->held_peak)
        self->held_peak = self->held;
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char client_hex [HEX_MAX];
        char id [64];
        jm_log_debug ("request %s from %s for '%s' (%zu bytes in %zu frame%s)",
                      gw_request_label (request, id, sizeof id),
                      gw_frame_hex (request->client, client_hex, sizeof client_hex),
                      service->name, body_bytes, request->body_size,
                      request->body_size == 1? "": "s");
    }
    if (service->worker_count == 0 && self->settings.no_worker_wait_ms == 0) {
        char message [128];
        snprintf (message, sizeof message, "no worker for service '%.64s'", service->name);
        gw_request_fail (self, &request, JM_ERR_NO_WORKERS, message);
        return;
    }
    gw_list_append (&service->queue, request);
    self->queued++;
    gw_service_dispatch (self, service);
}
