/*  gateway: the jobmatch Majordomo broker.

    Clients (job boards, the CLI, the dashboard) send requests to a named
    service on one ROUTER socket; workers (jobmatch-matcher) announce the
    services they serve on another.  The gateway queues each request, hands
    it to a worker with a free slot under a dispatch token of its own, and
    routes the worker's reply back to the client, exactly once.  It watches
    workers with heartbeats and re-dispatches the requests of a lost worker.
    The wire protocol, the "slots=N" extension and the error replies are in
    proto/protocol.md.

    The gateway runs as an actor (its own thread, driven by a zloop):
    jm_gateway_new starts it and returns once its sockets are bound;
    jm_gateway_destroy stops it.                                           */
#ifndef JM_GATEWAY_H
#define JM_GATEWAY_H

#include "jm_config.h"
#include "jm_error.h"

typedef struct _jm_gateway_t jm_gateway_t;

//  Starts a gateway with the settings in config (read at once, not kept):
//  clients, workers, heartbeat-ms, liveness, max-attempts, no-worker-wait-ms,
//  queue-max, max-body, request-timeout-ms, worker-timeouts-max,
//  client-queue-max, client-bytes-max, held-bytes-max, max-worker-message,
//  client-reply-max, curve-cert, curve-clients, curve-workers, curve-admins,
//  insecure, metrics-listen, name.  Returns NULL with err filled (io_error)
//  when an endpoint (metrics-listen too) cannot be bound, a non-loopback one
//  would be open without CURVE (and without insecure), or the CURVE keys
//  cannot be loaded; invalid_data for a bad metrics-listen or name.
jm_gateway_t *
    jm_gateway_new (jm_config_t *config, jm_error_t *err);

//  Stops the gateway and frees everything it holds; requests still waiting
//  or in flight are dropped unanswered.  Logs a last summary.  Accepts NULL
//  and nulls the caller's pointer.
void
    jm_gateway_destroy (jm_gateway_t **self_p);

#endif
