/*  jm_probe: the small HTTP endpoint of a gateway or matcher (--metrics-listen).

    Serves GET /metrics (Prometheus text), /livez and /readyz from
    libmicrohttpd's own thread, so the service's loop (a zloop or a
    zmq_poll loop) never sees HTTP.  The loop publishes: it renders its
    metrics into text at its own pace (jm_probe_publish copies it under a
    mutex) and says whether it is ready (jm_probe_set_ready); each scrape
    sends the last text published, the process_* metrics read at that
    moment, and a `name` label (--name) on every sample.

        /livez   200 while the loop published within the last
                 JM_PROBE_STALL_MS: the process is not stuck; 503 else
        /readyz  200 when the service would serve a request now, 503 with
                 the reason (the service decides what "ready" means)

    At most JM_PROBE_CONNECTIONS connections at once, 10 s each; any other
    path is 404, any method but GET and HEAD 405, an over-long request
    line or header 414/431 (libmicrohttpd).                                */
#ifndef JM_PROBE_H
#define JM_PROBE_H

#include "jm_error.h"

#include <stdbool.h>
#include <sys/socket.h>

#define JM_PROBE_CONNECTIONS    16
#define JM_PROBE_STALL_MS       10000

typedef struct _jm_probe_t jm_probe_t;

//  Parses "host:port", "[v6]:port", "localhost:port" or "*:port" into an
//  address; option names the setting in errors ("--metrics-listen").
//  Returns 0, or -1 with err filled (invalid_data).
int
    jm_probe_parse_listen (const char *option, const char *text,
                           struct sockaddr_storage *address, socklen_t *size,
                           bool *loopback, jm_error_t *err);

//  Starts serving on listen (see jm_probe_parse_listen); name labels every
//  sample ("": "<hostname>-<service>"), service (e.g. "gateway") goes in
//  jobmatch_build_info.  Not
//  ready until jm_probe_set_ready.  Returns NULL with err filled
//  (invalid_data for a bad address, io_error when it cannot be bound).
jm_probe_t *
    jm_probe_new (const char *listen, const char *name, const char *service,
                  jm_error_t *err);

//  Stops serving and frees the probe; accepts NULL, nulls the pointer.
void
    jm_probe_destroy (jm_probe_t **self_p);

//  Replaces the service's metrics text (copied; lines "name{labels} value"
//  or "name value", and # comments) and marks the loop alive now.
//  Thread-safe.
void
    jm_probe_publish (jm_probe_t *self, const char *text);

//  Sets readiness: NULL for ready, else why not (copied).  Thread-safe.
void
    jm_probe_set_ready (jm_probe_t *self, const char *not_ready);

#endif
