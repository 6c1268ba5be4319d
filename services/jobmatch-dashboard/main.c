/*  jobmatch-dashboard: the recruiters' web page and HTTP API.

    Reads its settings, starts the dashboard (dashboard.c), waits for
    SIGINT or SIGTERM, stops it.  Exit status: 0 after a clean stop, 1 when
    it cannot start (address taken, data or web files missing), 2 for bad
    settings.                                                               */
#include "dashboard.h"
#include "jm_service.h"
#include "jm_store.h"

static const jm_config_option_t s_options [] = {
    { "listen", JM_CONFIG_STRING, "127.0.0.1:8080", 0, 0,
      "address to serve HTTP on: host:port, [v6]:port, or *:port for every interface" },
    { "gateway", JM_CONFIG_STRING, "tcp://127.0.0.1:5570", 0, 0,
      "the gateways' client endpoints, separated by commas (at most 8): requests spread over those up, a lost one's sent to another" },
    { "curve-server", JM_CONFIG_STRING, "", 0, 0,
      "CURVE: the gateway's public certificate (with --curve-cert; empty: plaintext)" },
    { "curve-cert", JM_CONFIG_STRING, "", 0, 0,
      "CURVE: the dashboard's secret certificate, its public one in the gateway's --curve-clients (or --curve-admins)" },
    { "redis", JM_CONFIG_STRING, "redis://127.0.0.1:6379/0", 0, 0,
      "Redis URL (rankings are read from it): redis://[user[:password]@]host:port/db, rediss://... (TLS) or unix:///path/to/socket; "
      "a Redis Cluster: its seed list redis://[user[:password]@]host:port,host:port,... (or one node's address)" },
    { "redis-url", JM_CONFIG_STRING, "", 0, 0,
      "same as --redis (JOBMATCH_REDIS_URL); wins when set" },
    JM_STORE_CONFIG_OPTIONS,
    { "namespace", JM_CONFIG_STRING, "jobmatch", 0, 0,
      "prefix of every Redis key" },
    { "token", JM_CONFIG_STRING, "", 0, 0,
      "bearer token the API, /metrics and the page require (the page also takes /?token=T once); empty: none" },
    { "web-root", JM_CONFIG_STRING, "", 0, 0,
      "folder with index.html, app.js, app.css (default: BIN/../share/jobmatch/web, then PREFIX/share/jobmatch/web, then the source tree; never ./)" },
    { "data", JM_CONFIG_STRING, "", 0, 0,
      "folder with taxonomy.json (default: BIN/../share/jobmatch/data, PREFIX/share/jobmatch/data, the source tree; never ./)", "JOBMATCH_DATA_DIR" },
    { "threads", JM_CONFIG_INT, "4", 1, 256,
      "HTTP threads, each with a Redis connection for reads (at most 16); requests waiting for the gateway hold none" },
    { "timeout-ms", JM_CONFIG_INT, "10000", 100, 600000,
      "how long an API request waits for the gateway before 504" },
    { "health-timeout-ms", JM_CONFIG_INT, "1000", 50, 60000,
      "how long /readyz, /healthz and /metrics wait for the gateway" },
    { "max-body", JM_CONFIG_INT, "8388608", 1024, 268435456,
      "largest request body in bytes; larger ones get 413" },
    { "min-matchers", JM_CONFIG_INT, "1", 0, 10000,
      "matchers /healthz expects; fewer registered is degraded" },
    { "search-scan-max", JM_CONFIG_INT, "200000", 1000, 100000000,
      "most ranking entries one search reads" },
    { "allowed-hosts", JM_CONFIG_STRING, "localhost,127.0.0.1,[::1]", 0, 0,
      "Host names it answers (others get 421), comma-separated: name, name:port, [v6], .domain, or *; "
      "the --listen address is added" },
    { "tls-cert", JM_CONFIG_STRING, "", 0, 0,
      "PEM certificate (chain) file: serve HTTPS only, with --tls-key; empty: plain HTTP" },
    { "tls-key", JM_CONFIG_STRING, "", 0, 0,
      "PEM private key file of --tls-cert" },
    { "max-connections", JM_CONFIG_INT, "1000", 16, 1000000,
      "open HTTP connections at most, in all" },
    { "max-connections-per-ip", JM_CONFIG_INT, "64", 0, 1000000,
      "open HTTP connections at most from one address (0: no cap)" },
    { "connection-timeout-s", JM_CONFIG_INT, "30", 1, 3600,
      "a connection idle (or sending nothing) this long is closed" },
    { "rate-limit", JM_CONFIG_DOUBLE, "100", 0, 1000000,
      "requests a second one address (an IPv6 /64) may send on average; more get 429 (0: no limit)" },
    { "rate-burst", JM_CONFIG_INT, "500", 1, 1000000,
      "requests one address may send at once beyond --rate-limit" },
    { "drain-ms", JM_CONFIG_INT, "5000", 0, 600000,
      "on SIGTERM or SIGINT, how long requests in flight may take to finish; new connections are refused" },
    { "log-format", JM_CONFIG_STRING, "text", 0, 0,
      "log records as text lines or as one JSON object a line (text, json)" },
    { "verbose", JM_CONFIG_BOOL, "false", 0, 0,
      "log every request (debug level)" },
    { NULL }
};

static const char *s_synopsis =
    "The jobmatch dashboard: a web page and a JSON API (/api/v1, /metrics, the\n"
    "probes /livez, /readyz, /healthz) over the jobs and rankings, read from\n"
    "Redis; changes and scoring go to the matchers through the gateway (see\n"
    "proto/openapi.yaml).";

static void *
s_start (jm_config_t *config, jm_error_t *err)
{
    return jm_dashboard_new (config, err);
}

static void
s_stop (void *service)
{
    jm_dashboard_t *self = service;
    jm_dashboard_destroy (&self);
}

int
main (int argc, char *argv [])
{
    return jm_service_main ("jobmatch-dashboard", s_synopsis, s_options, argc, argv, s_start, s_stop);
}
