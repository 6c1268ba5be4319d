/*  jobmatch-gateway: the broker between job boards and matchers.

    Reads its settings, starts the gateway actor, waits for SIGINT or
    SIGTERM, stops it.  Exit status: 0 after a clean stop, 1 when the gateway
    cannot start (a port taken), 2 for bad settings.                        */
#include "gateway.h"
#include "jm_service.h"

#include <czmq.h>

static const jm_config_option_t s_options [] = {
    { "clients", JM_CONFIG_STRING, "tcp://127.0.0.1:5570", 0, 0,
      "endpoint(s) clients connect to, comma-separated" },
    { "workers", JM_CONFIG_STRING, "tcp://127.0.0.1:5571", 0, 0,
      "endpoint(s) workers connect to, comma-separated" },
    { "curve-cert", JM_CONFIG_STRING, "", 0, 0,
      "CURVE on: the gateway's secret certificate (czmq zcert; 'jobmatch keys new')" },
    { "curve-clients", JM_CONFIG_STRING, "", 0, 0,
      "directory of the client public certificates allowed on the clients socket" },
    { "curve-workers", JM_CONFIG_STRING, "", 0, 0,
      "directory of the worker public certificates allowed on the workers socket" },
    { "curve-admins", JM_CONFIG_STRING, "", 0, 0,
      "directory of admin public certificates: clients that may put and delete jobs (empty: any client)" },
    { "insecure", JM_CONFIG_BOOL, "false", 0, 0,
      "allow binding a non-loopback address without CURVE" },
    { "heartbeat-ms", JM_CONFIG_INT, "1000", 10, 600000,
      "heartbeat interval between gateway and workers" },
    { "liveness", JM_CONFIG_INT, "3", 1, 100,
      "heartbeats a worker may miss before it is lost" },
    { "max-attempts", JM_CONFIG_INT, "3", 1, 100,
      "dispatches of one request before it is answered worker_lost or timeout" },
    { "no-worker-wait-ms", JM_CONFIG_INT, "3000", 0, 3600000,
      "how long a request waits for a worker before no_workers" },
    { "queue-max", JM_CONFIG_INT, "20000", 1, 10000000,
      "requests held (waiting or in flight) before new ones get busy" },
    { "max-body", JM_CONFIG_INT, "8388608", 0, 268435456,
      "largest request body in bytes; larger ones get too_large" },
    { "request-timeout-ms", JM_CONFIG_INT, "30000", 10, 3600000,
      "how long a worker may hold a request before it is re-dispatched (timeout after "
      "max-attempts)" },
    { "worker-timeouts-max", JM_CONFIG_INT, "3", 0, 1000000,
      "requests timed out in a row that disconnect a worker (0: never)" },
    { "client-queue-max", JM_CONFIG_INT, "5000", 1, 10000000,
      "requests one client may have waiting or in flight before busy" },
    { "client-bytes-max", JM_CONFIG_INT, "134217728", 0, 68719476736.0,
      "request body bytes one client may have waiting or in flight before busy" },
    { "held-bytes-max", JM_CONFIG_INT, "536870912", 0, 68719476736.0,
      "request body bytes held (waiting or in flight), all clients, before busy" },
    { "max-worker-message", JM_CONFIG_INT, "16777216", 65536, 1073741824,
      "largest frame in bytes a worker may send; a larger one disconnects it" },
    { "client-reply-max", JM_CONFIG_INT, "20000", 1, 1000000,
      "replies queued to one client that does not read them; more are dropped" },
    { "drain-ms", JM_CONFIG_INT, "5000", 0, 600000,
      "on SIGTERM or SIGINT, how long to wait for the requests workers hold; the rest, and "
      "requests arriving meanwhile, are answered unavailable" },
    { "peer-timeout-ms", JM_CONFIG_INT, "1000", 0, 600000,
      "a worker connection silent this long is closed and its worker removed at once "
      "(ZeroMQ heartbeats, sent every quarter of it; 0: off); a closed connection is "
      "noticed without it" },
    { "metrics-listen", JM_CONFIG_STRING, "", 0, 0,
      "host:port serving /metrics, /livez and /readyz over HTTP (empty: off)" },
    { "name", JM_CONFIG_STRING, "", 0, 0,
      "the name label of every /metrics sample (empty: <hostname>-gateway)" },
    { "log-format", JM_CONFIG_STRING, "text", 0, 0,
      "log records as text lines or as one JSON object a line (text, json)" },
    { "verbose", JM_CONFIG_BOOL, "false", 0, 0,
      "log every request and reply (debug level)" },
    { NULL }
};

static const char *s_synopsis =
    "The jobmatch gateway: a Majordomo (7/MDP) broker that routes client requests\n"
    "to matcher workers and their replies back (see proto/protocol.md).";

static void *
s_start (jm_config_t *config, jm_error_t *err)
{
    //  With CURVE, ZeroMQ's I/O threads encrypt and decrypt every message:
    //  two of them let the clients' and the workers' connections be served
    //  at once (before any socket exists)
    if (*jm_config_string (config, "curve-cert"))
        zsys_set_io_threads (2);
    return jm_gateway_new (config, err);
}

static void
s_stop (void *service)
{
    jm_gateway_t *self = service;
    jm_gateway_destroy (&self);
}

int
main (int argc, char *argv [])
{
    return jm_service_main ("jobmatch-gateway", s_synopsis, s_options, argc, argv, s_start, s_stop);
}
