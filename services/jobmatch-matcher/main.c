/*  jobmatch-matcher: a worker that scores candidates for the gateway.

    Reads its settings, starts the matcher actor, waits for SIGINT or
    SIGTERM, stops it.  Exit status: 0 after a clean stop, 1 when it cannot
    start (data missing or invalid), 2 for bad settings.                    */
#include "matcher.h"
#include "jm_log.h"
#include "jm_nice.h"
#include "jm_service.h"
#include "jm_store.h"

#include <czmq.h>
#include <errno.h>
#include <malloc.h>
#include <string.h>

static const jm_config_option_t s_options [] = {
    { "gateway", JM_CONFIG_STRING, "tcp://127.0.0.1:5571", 0, 0,
      "the gateways' worker endpoints, separated by commas (at most 8): one connection to each, requests served from all" },
    { "curve-server", JM_CONFIG_STRING, "", 0, 0,
      "CURVE: the gateway's public certificate (with --curve-cert; empty: plaintext)" },
    { "curve-cert", JM_CONFIG_STRING, "", 0, 0,
      "CURVE: this matcher's secret certificate, its public one in the gateway's --curve-workers" },
    { "redis", JM_CONFIG_STRING, "redis://127.0.0.1:6379/0", 0, 0,
      "Redis URL: redis://[user[:password]@]host:port/db, rediss://... (TLS) or unix:///path/to/socket; "
      "a Redis Cluster: its seed list redis://[user[:password]@]host:port,host:port,... (or one node's address)" },
    { "redis-url", JM_CONFIG_STRING, "", 0, 0,
      "same as --redis (JOBMATCH_REDIS_URL); wins when set" },
    JM_STORE_CONFIG_OPTIONS,
    { "data", JM_CONFIG_STRING, "", 0, 0,
      "folder with taxonomy.json and jobs/ (default: BIN/../share/jobmatch/data, PREFIX/share/jobmatch/data, the source tree; never ./)", "JOBMATCH_DATA_DIR" },
    { "slots", JM_CONFIG_INT, "256", 1, 1000,
      "requests this matcher may hold at once (the slots=N extension)" },
    { "redis-pending-max-mb", JM_CONFIG_INT, "64", 1, 65536,
      "writes kept while Redis cannot take them, in MiB: never dropped; past half of it the matcher takes fewer requests, at all of it none, until they drain" },
    { "batch-max", JM_CONFIG_INT, "500", 1, 100000,
      "most (job, candidate) pairs handled in one turn of the loop" },
    { "result-ttl-s", JM_CONFIG_INT, "604800", 0, 315360000,
      "how long results stay in Redis, in seconds (0: forever)" },
    { "profile-ttl-s", JM_CONFIG_INT, "2592000", 0, 315360000,
      "how long normalized profiles stay in Redis for re-scoring, in seconds (0: forever)" },
    { "rescore-chunk", JM_CONFIG_INT, "500", 1, 5000,
      "candidates re-scored per claim when a job changes" },
    { "rescore-claim-ms", JM_CONFIG_INT, "10000", 100, 3600000,
      "how long a claimed re-scoring chunk is held before another matcher takes it over" },
    { "poll-ms", JM_CONFIG_INT, "250", 10, 1000,
      "how often the job registry's sequence number is read" },
    { "stats-ms", JM_CONFIG_INT, "5000", 100, 60000,
      "how often the counters go to Redis for the dashboard (<ns>:matcher:<name>; gone after 3 silent intervals)" },
    { "namespace", JM_CONFIG_STRING, "jobmatch", 0, 0,
      "prefix of every Redis key" },
    { "heartbeat-ms", JM_CONFIG_INT, "1000", 10, 600000,
      "heartbeat interval; use the gateway's value" },
    { "liveness", JM_CONFIG_INT, "3", 1, 100,
      "heartbeats the gateway may miss before the matcher reconnects" },
    { "nice", JM_CONFIG_INT, "10", 0, 19,
      "CPU priority as a nice value: a busy host gives Redis and the gateway, which every request waits on, the CPU first (0: as started)" },
    { "metrics-listen", JM_CONFIG_STRING, "", 0, 0,
      "host:port serving /metrics, /livez and /readyz over HTTP (empty: off)" },
    { "name", JM_CONFIG_STRING, "", 0, 0,
      "the name label of every /metrics sample and the id of the counters in Redis; taken by another matcher of the host: refused (empty: <hostname>-matcher, else -2, -3... when taken)" },
    { "log-format", JM_CONFIG_STRING, "text", 0, 0,
      "log records as text lines or as one JSON object a line (text, json)" },
    { "verbose", JM_CONFIG_BOOL, "false", 0, 0,
      "log every request (debug level)" },
    { NULL }
};

static const char *s_synopsis =
    "A jobmatch matcher: serves \"jobmatch.match\" for the gateway, scoring candidates\n"
    "with the skill engine and keeping results and rankings in Redis, and\n"
    "\"jobmatch.jobs\" (the job registry) and \"jobmatch.results\" (stored results and\n"
    "rankings); re-scores a job's candidates when it changes (see proto/services.md).";

static void *
s_start (jm_config_t *config, jm_error_t *err)
{
    //  A 500-candidate reply is a 3.4 MB frame; the buffers it is written
    //  in are kept from batch to batch, but one the I/O thread frees once
    //  sent (a third while two are being sent, or an outsized one): a fixed
    //  mmap threshold gives such blocks back to the system at once, where
    //  glibc's rising threshold would keep them in the heap and the
    //  resident size would wander up toward the limit.
    //  With CURVE, libzmq encrypts and decrypts every message through two
    //  temporary buffers of its size; from mmap, each 2.5 MB reply would
    //  fault in some 1,800 fresh pages, most of what CURVE costs on a
    //  virtual machine: with CURVE, blocks that size stay in the heap
    bool curve = *jm_config_string (config, "curve-cert");
    if (curve) {
        mallopt (M_MMAP_THRESHOLD, 16 << 20);
        mallopt (M_TRIM_THRESHOLD, 32 << 20);
    }
    else
        mallopt (M_MMAP_THRESHOLD, 512 * 1024);
    //  before the first thread (the actor, ZeroMQ's I/O thread) starts
    int niceness = (int) jm_config_int (config, "nice");
    if (jm_nice_at_least (niceness))
        jm_log_warning ("cannot lower the CPU priority to nice %d (%s); going on as started",
                        niceness, strerror (errno));
    //  With CURVE, two I/O threads, which do the encryption, serve the
    //  three connections (set before any socket exists)
    if (curve)
        zsys_set_io_threads (2);
    return jm_matcher_new (config, err);
}

static void
s_stop (void *service)
{
    jm_matcher_t *self = service;
    jm_matcher_destroy (&self);
}

int
main (int argc, char *argv [])
{
    return jm_service_main ("jobmatch-matcher", s_synopsis, s_options, argc, argv, s_start, s_stop);
}
