/*  gateway_client: the client side of the gateway.  Checks each message
    from the clients socket and answers what is wrong with it, turns a good
    one into a queued request (or a busy / too_large / no_workers error),
    answers the built-in services mmi.* (8/MMI), jobmatch.stats
    (gateway_stats.c) and jobmatch.system (gateway_system.c) itself.
    Replies go out through gateway_send.c.  Part of the gateway broker;
    see gateway_internal.h.                                                */
#include "gateway_internal.h"
#include "jm_alloc.h"

#include <stdarg.h>

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
        jm_error_t err;
        jm_error_clear (&err);
        answer = text = gw_system_json (self, request, &err);
        if (!text) {
            gw_client_send_error (self, request->identity, request->envelope,
                                  request->envelope_size, name, size, err.code, "%s", err.message);
            char client_hex [HEX_MAX];
            gw_warn (self, "client %s: %s: %s",
                     gw_frame_hex (request->identity, client_hex, sizeof client_hex), name,
                     err.message);
            return true;
        }
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
