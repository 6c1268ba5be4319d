/*  dashboard: the recruiters' HTTP service.

    Serves the JSON API under /api/v1 (api.c), /healthz and /metrics
    (metrics.c) and the page's files (web.c) with libmicrohttpd, reads
    Redis (reader.c) and talks to the matchers' services through the
    gateway (bridge.c).  The HTTP side runs in a pool of libmicrohttpd
    threads; a request that waits for the gateway is suspended and holds
    no thread (exchange.h).

    An optional bearer token protects /api/v1 and /metrics: requests must
    carry "Authorization: Bearer <token>".  It protects the page's files
    too, which also accept it once in the address (/?token=T, answered with
    an HttpOnly SameSite=Strict cookie for the page's files and reloads);
    the page keeps the token in sessionStorage and sends it as the header
    with every API call, which accepts no cookie.  /healthz stays open for
    load balancers and supervisors.

    Strangers are kept out with or without a token: a Host that is not one
    of the allowed hosts gets 421 (DNS rebinding); a write (POST, PUT,
    DELETE) that a browser marks as coming from another origin gets 403,
    and one that is not application/json 415, so no form or "simple"
    request of another site can write; each address has a request rate
    (429) and a connection cap, idle connections are closed, and
    --tls-cert/--tls-key serve HTTPS only.

    Reads (jobs, rankings, results, summaries) come straight from Redis
    (reader.c); changes and scoring go through the gateway.              */
#ifndef JM_DASHBOARD_H
#define JM_DASHBOARD_H

#include "jm_config.h"
#include "jm_error.h"

typedef struct _jm_dashboard_t jm_dashboard_t;

//  Starts the dashboard with the settings in config (read at once, not
//  kept): listen, gateway, redis, token, web-root, data, threads,
//  timeout-ms, health-timeout-ms, max-body, min-matchers,
//  search-scan-max, namespace, allowed-hosts, tls-cert, tls-key,
//  max-connections, max-connections-per-ip, connection-timeout-s,
//  rate-limit, rate-burst.  Returns NULL with err filled when a setting
//  is unusable (invalid_data: also a certificate and key that do not
//  match), the data, web or TLS files cannot be read, or the address
//  cannot be bound (io_error).
jm_dashboard_t *
    jm_dashboard_new (jm_config_t *config, jm_error_t *err);

//  Stops serving: answers requests waiting for the gateway with 503, closes
//  every connection and frees everything.  Accepts NULL and nulls the
//  caller's pointer.
void
    jm_dashboard_destroy (jm_dashboard_t **self_p);

#endif
