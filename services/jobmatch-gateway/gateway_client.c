/*  gateway_client: the client side of the gateway.  Checks each message
    from the clients socket and answers what is wrong with it, turns a good
    one into a queued request (or a busy / too_large / no_workers error),
    answers the built-in services mmi.* and jobmatch.stats itself, and sends
    every reply and error reply to clients.  Part of the gateway broker;
    see gateway_internal.h.                                                */
#include "gateway_internal.h"

#include <stdarg.h>

//  --------------------------------------------------------------------------
//  Replies to clients

//  Sends [client, "", MDPC01, service, request-id, body] to a client: the
//  body is the frame body_frame when not NULL (shared, not copied), else
//  body_text.  A NULL request_id sends an empty one.
void
gw_client_send (broker_t *self, zframe_t *client, const void *service, size_t service_size,
                zframe_t *request_id, zframe_t *body_frame, const char *body_text)
{
    jm_mdp_part_t parts [] = {
        { zframe_data (client), zframe_size (client) }, { "", 0 }, { JM_MDPC, 6 },
        { service, service_size },
        { request_id? zframe_data (request_id): NULL, request_id? zframe_size (request_id): 0 },
        { body_text, body_text? strlen (body_text): 0 }
    };
    //  A ROUTER never blocks: a reply to a client that has gone is dropped
    jm_mdp_send (self->clients, parts, body_frame? 5: 6, body_frame);
}

static void
s_client_send_text (broker_t *self, zframe_t *client, const char *service,
                    zframe_t *request_id, const char *text)
{
    gw_client_send (self, client, service, strlen (service), request_id, NULL, text);
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
}

//  Sends an error reply {"ok": false, "error": {...}} to a client.
void
gw_client_send_error (broker_t *self, zframe_t *client, const void *service, size_t service_size,
                      zframe_t *request_id, const char *code, const char *format, ...)
{
    char message [JM_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    char *text = jm_mdp_error_body (code, message);
    gw_client_send (self, client, service, service_size, request_id, NULL, text);
    free (text);
    s_count_error (self, code);
}


//  --------------------------------------------------------------------------
//  Built-in services


//  Answers mmi.* and jobmatch.stats.  Returns true when service was one.
static bool
s_builtin (broker_t *self, zframe_t *client, zframe_t *service, zframe_t *request_id,
           zframe_t *body)
{
    char name [JM_MDP_SERVICE_MAX + 1];
    size_t size = zframe_size (service);
    memcpy (name, zframe_data (service), size);
    name [size] = 0;
    if (streq (name, JM_MDP_STATS_SERVICE)) {
        char *text = gw_stats_json (self);
        s_client_send_text (self, client, name, request_id, text);
        free (text);
    }
    else
    if (streq (name, JM_MDP_MMI_SERVICE)) {
        char *wanted = zframe_strdup (body);
        service_t *target = zhashx_lookup (self->services, wanted);
        free (wanted);
        s_client_send_text (self, client, name, request_id,
                            target && target->worker_count > 0? "200": "404");
    }
    else
    if (strncmp (name, JM_MDP_MMI_PREFIX, strlen (JM_MDP_MMI_PREFIX)) == 0)
        s_client_send_text (self, client, name, request_id, "501");
    else
        return false;
    self->counters.builtin++;
    return true;
}


//  --------------------------------------------------------------------------
//  Client requests

//  Checks a client message [identity, "", MDPC01, service, request-id, body]
//  and answers what is wrong with it.  Returns true when it is well formed;
//  then *service_p, *request_id_p and *body_p point at its frames.
static bool
s_client_check (broker_t *self, zmsg_t *msg, zframe_t **service_p, zframe_t **request_id_p,
                zframe_t **body_p)
{
    zframe_t *client = zmsg_first (msg);
    char client_hex [HEX_MAX];
    gw_frame_hex (client, client_hex, sizeof client_hex);
    zframe_t *frames [5] = { NULL };     //  header, service, request-id, body, extra
    zframe_t *first = zmsg_next (msg);
    bool delimited = first && zframe_size (first) == 0;
    if (!first || (!delimited && !zframe_streq (first, JM_MDPC))) {
        self->counters.dropped_client++;
        gw_warn (self, "client %s: dropped a message without an empty delimiter frame "
                 "(%zu frames)", client_hex, zmsg_size (msg));
        return false;
    }
    size_t count = 0;
    for (zframe_t *frame = delimited? zmsg_next (msg): first; frame; frame = zmsg_next (msg))
        if (count < 5)
            frames [count++] = frame;
        else
            count++;
    zframe_t *service = frames [1], *request_id = frames [2], *body = frames [3];
    if (!request_id) {
        self->counters.dropped_client++;
        gw_warn (self, "client %s: dropped a message with no request-id frame (%zu frames)",
                 client_hex, zmsg_size (msg));
        return false;
    }
    char problem [160] = "";
    char text [64];
    bool id_ok = zframe_size (request_id) >= 1
              && zframe_size (request_id) <= JM_MDP_REQUEST_ID_MAX;
    bool service_ok = gw_service_name_ok (service);
    if (!zframe_streq (frames [0], JM_MDPC))
        snprintf (problem, sizeof problem, "protocol header '%s' is not '" JM_MDPC "'",
                  gw_printable (frames [0], text, sizeof text));
    else
    if (!delimited)
        snprintf (problem, sizeof problem,
                  "missing the empty delimiter frame before '" JM_MDPC "'");
    else
    if (zframe_size (request_id) == 0)
        snprintf (problem, sizeof problem, "request-id is empty");
    else
    if (!id_ok)
        snprintf (problem, sizeof problem, "request-id is %zu bytes, more than %d",
                  zframe_size (request_id), JM_MDP_REQUEST_ID_MAX);
    else
    if (zframe_size (service) == 0)
        snprintf (problem, sizeof problem, "service name is empty");
    else
    if (zframe_size (service) > JM_MDP_SERVICE_MAX)
        snprintf (problem, sizeof problem, "service name is %zu bytes, more than %d",
                  zframe_size (service), JM_MDP_SERVICE_MAX);
    else
    if (!service_ok)
        snprintf (problem, sizeof problem,
                  "service name has a space or a character outside printable ASCII");
    else
    if (!body)
        snprintf (problem, sizeof problem, "missing the body frame");
    else
    if (count > 4)
        snprintf (problem, sizeof problem, "%zu frames after the body; the body is one frame",
                  count - 4);
    if (!*problem) {
        *service_p = service;
        *request_id_p = request_id;
        *body_p = body;
        return true;
    }
    //  Echo what can be echoed; an unusable request-id or service comes back empty
    gw_client_send_error (self, client, service_ok? zframe_data (service): NULL,
                          service_ok? zframe_size (service): 0, id_ok? request_id: NULL,
                          JM_ERR_INVALID_REQUEST, "%s", problem);
    gw_warn (self, "client %s: invalid request: %s", client_hex, problem);
    return false;
}

//  One message from the clients socket.
void
gw_client_message (broker_t *self, zmsg_t *msg)
{
    zframe_t *service_frame, *request_id, *body;
    if (!s_client_check (self, msg, &service_frame, &request_id, &body))
        return;
    zframe_t *client = zmsg_first (msg);
    self->counters.requests++;
    if (s_builtin (self, client, service_frame, request_id, body))
        return;
    const void *service_data = zframe_data (service_frame);
    size_t service_size = zframe_size (service_frame);
    if (zframe_size (body) > self->settings.max_body) {
        gw_client_send_error (self, client, service_data, service_size, request_id,
                              JM_ERR_TOO_LARGE, "body is %zu bytes, more than the %zu allowed",
                              zframe_size (body), self->settings.max_body);
        return;
    }
    if (!gw_auth_request_allowed (self, client, service_frame, request_id, body))
        return;
    if (self->held >= self->settings.queue_max) {
        gw_client_send_error (self, client, service_data, service_size, request_id,
                              JM_ERR_BUSY, "the gateway holds %zu requests, its limit; retry later",
                              self->held);
        return;
    }
    char *name = zframe_strdup (service_frame);
    service_t *service = gw_service_require (self, name);
    free (name);

    request_t *request = calloc (1, sizeof *request);
    assert (request);
    zmsg_remove (msg, client);
    zmsg_remove (msg, request_id);
    zmsg_remove (msg, body);
    request->client = client;
    request->request_id = request_id;
    request->body = body;
    request->service = service;
    request->received_us = gw_now_us ();
    request->queued_ms = self->now_ms;
    self->held++;
    if (self->held > self->held_peak)
        self->held_peak = self->held;
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char client_hex [HEX_MAX];
        char id [64];
        jm_log_debug ("request %s from %s for '%s' (%zu bytes)",
                      gw_printable (request_id, id, sizeof id),
                      gw_frame_hex (client, client_hex, sizeof client_hex), service->name,
                      zframe_size (body));
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
