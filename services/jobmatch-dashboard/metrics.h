/*  metrics: what the dashboard counts, and its two operational endpoints.

    jm_metrics_t counts the dashboard's own HTTP requests (by route, method
    and status), its error responses (by code), their latency (a histogram
    per route) and the cached / fresh results of the matches it forwards.  GET /metrics renders those, the bridge's
    counters, the gateway's jobmatch.stats counters, Redis's (INFO:
    keyspace hits and misses, error replies) and the counters each matcher
    publishes to Redis (<ns>:matcher:<id>) in the Prometheus text format
    (version 0.0.4).  GET /healthz checks the gateway (one mmi.service per
    jobmatch service and jobmatch.stats), the number of registered
    matchers and Redis: status "ok" when every check is ok, "degraded"
    when Redis is up but another check is not (rankings still show; 200
    either way), "down" with 503 when Redis is not reachable.  It needs no
    token, so it says each dependency's state only, never where it is.
    GET /livez answers 200 while the HTTP loop serves, asking nothing
    else (a liveness probe); GET /readyz answers 200 when Redis answers
    PING and the gateway has at least one matcher for jobmatch.match,
    else 503 naming each failing dependency (a readiness probe).  The
    matcher count of /healthz, /readyz and jobmatch_matchers is the one
    the gateway reports.  All are in proto/openapi.yaml.                                   */
#ifndef JM_METRICS_H
#define JM_METRICS_H

#include "exchange.h"

#include <stdint.h>

//  Creates the counters (all zero).
jm_metrics_t *
    jm_metrics_new (void);

//  Frees them; accepts NULL and nulls the caller's pointer.
void
    jm_metrics_destroy (jm_metrics_t **self_p);

//  Counts one response.  route is a static string (the route pattern),
//  error_code is "" for a success.  Safe from any thread.
void
    jm_metrics_record (jm_metrics_t *self, const char *route, const char *method, int status,
                       const char *error_code, int64_t latency_us);

//  Counts the results of one match reply: cached (from the matchers' Redis
//  cache) and scored afresh.  Safe from any thread.
void
    jm_metrics_count_results (jm_metrics_t *self, uint64_t cached, uint64_t scored);

jm_handler_fn jm_metrics_handler;       //  GET /metrics
jm_handler_fn jm_health_handler;        //  GET /healthz
jm_handler_fn jm_live_handler;          //  GET /livez
jm_handler_fn jm_ready_handler;         //  GET /readyz

#endif
