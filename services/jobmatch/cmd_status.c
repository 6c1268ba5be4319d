/*  jobmatch status: what the gateway holds now, as queue dashboards show it.

    Asks the gateway's built-in service jobmatch.system (proto/protocol.md
    6.3) and prints its document: with --json as it came (without "ok"),
    else as readable tables: the gateway's counters, each service's queue
    (workers, slots, busy, depth, oldest wait), each worker (service, name,
    slots, busy, last heard, expiry) and the last failed requests (time,
    service, error code, attempts, client).  Failures never carry a
    request's body, so nothing of a candidate is printed.

    Exit status: 0 a worker serves jobmatch.match; 1 none does (the
    gateway answered, but matching requests would wait or fail); 2 no
    answer from the gateway, or a usage error.                            */
#include "cli.h"
#include "remote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define JM_STATUS_SERVICE   "jobmatch.system"
#define JM_MATCH_SERVICE    "jobmatch.match"
#define JM_FAILURES_SHOWN   20          //  failures shown unless --failures says
#define JM_FAILURES_MAX     100         //  the most the gateway keeps

static const jm_cli_option_t s_options [] = {
    { "json",     NULL, "the gateway's document as one JSON object" },
    { "failures", "N",  "show the last N failed requests, 0..100 (default 20)" },
    { NULL }
};
enum { s_JSON, s_FAILURES };

static const jm_cli_spec_t s_spec = {
    "status", "[OPTIONS]",
    "Shows what the gateway holds now: each service's queue (workers, slots, busy,\n"
    "requests waiting and the oldest wait), each worker (service, name, slots,\n"
    "busy, when it was last heard, when it expires), the counters of dispatches,\n"
    "re-dispatches and refusals, and the last failed requests with their error\n"
    "code (never their content).",
    s_options,
    "Exit status: 0 a worker serves jobmatch.match; 1 no worker is registered\n"
    "for jobmatch.match; 2 no answer from the gateway within --timeout-ms, or a\n"
    "usage error.\n",
    jm_cli_remote_settings
};


//  ---------------------------------------------------------------------------
//  Cells

static long long
s_int (json_t *object, const char *key)
{
    return (long long) json_integer_value (json_object_get (object, key));
}

static const char *
s_str (json_t *object, const char *key, const char *fallback)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text? text: fallback;
}

//  Writes a duration in ms for people: "850 ms", "2.6 s", "3m05s", "1h02m",
//  "2d03h"; "-" when the value is null or absent.
static const char *
s_duration (char *dest, size_t size, json_t *value)
{
    if (!json_is_integer (value)) {
        snprintf (dest, size, "-");
        return dest;
    }
    long long ms = json_integer_value (value);
    long long seconds = ms / 1000;
    if (ms < 1000)
        snprintf (dest, size, "%lld ms", ms);
    else
    if (ms < 60000)
        snprintf (dest, size, "%.1f s", (double) ms / 1000.0);
    else
    if (seconds < 3600)
        snprintf (dest, size, "%lldm%02llds", seconds / 60, seconds % 60);
    else
    if (seconds < 86400)
        snprintf (dest, size, "%lldh%02lldm", seconds / 3600, seconds / 60 % 60);
    else
        snprintf (dest, size, "%lldd%02lldh", seconds / 86400, seconds / 3600 % 24);
    return dest;
}


//  ---------------------------------------------------------------------------
//  The tables

static void
s_summary (jm_buf_t *out, json_t *doc)
{
    json_t *held = json_object_get (doc, "held");
    json_t *limits = json_object_get (doc, "limits");
    json_t *counters = json_object_get (doc, "counters");
    char uptime [32];
    json_t *up_ms = json_integer ((json_int_t) (json_number_value (json_object_get (doc, "uptime_s"))
                                                * 1000.0));
    s_duration (uptime, sizeof uptime, up_ms);
    json_decref (up_ms);
    jm_buf_t line;
    jm_buf_init (&line);
    long long workers = s_int (doc, "workers_total");
    jm_buf_printf (&line, "gateway %s, up %s%s: %lld worker%s; %lld requests waiting, %lld in "
                   "flight (queue-max %lld)", s_str (doc, "version", "?"), uptime,
                   json_is_true (json_object_get (doc, "draining"))? ", stopping": "",
                   workers, workers == 1? "": "s", s_int (held, "queued"),
                   s_int (held, "in_flight"), s_int (limits, "queue_max"));
    jm_cli_text_clean (out, line.data, 0);
    jm_buf_printf (out, "\nsince start: %lld requests, %lld replies, %lld dispatched, "
                   "%lld re-dispatched, %lld timed out at a worker;\n"
                   "  refused: %lld busy, %lld no_workers, %lld worker_lost; "
                   "workers: %lld joined, %lld expired, %lld timed out; %lld failed\n",
                   s_int (counters, "requests"), s_int (counters, "replies"),
                   s_int (counters, "dispatched"), s_int (counters, "redispatched"),
                   s_int (counters, "timeouts"), s_int (counters, "busy"),
                   s_int (counters, "no_workers"), s_int (counters, "worker_lost"),
                   s_int (counters, "workers_joined"), s_int (counters, "workers_expired"),
                   s_int (counters, "workers_timed_out"), s_int (counters, "failed"));
    jm_buf_free (&line);
}

static void
s_services (jm_buf_t *out, json_t *doc)
{
    json_t *services = json_object_get (doc, "services");
    jm_buf_puts (out, "\nQUEUES\n");
    if (json_array_size (services) == 0) {
        jm_buf_puts (out, "  no services\n");
        return;
    }
    static const char *headers [] = {
        "SERVICE", ">WORKERS", ">SLOTS", ">BUSY", ">QUEUED", ">OLDEST WAIT", ">DISPATCHED",
        ">RE-DISPATCHED", NULL
    };
    jm_cli_table_t *rows = jm_cli_table_new (headers);
    jm_cli_table_limit (rows, 0, 40);
    size_t index;
    json_t *service;
    json_array_foreach (services, index, service) {
        char wait [32];
        jm_cli_table_addf (rows, "%s\t%lld\t%lld\t%lld\t%lld\t%s\t%lld\t%lld",
                           s_str (service, "name", "?"), s_int (service, "workers"),
                           s_int (service, "slots"), s_int (service, "busy"),
                           s_int (service, "queued"),
                           s_duration (wait, sizeof wait,
                                       json_object_get (service, "oldest_wait_ms")),
                           s_int (service, "dispatched"), s_int (service, "redispatched"));
    }
    jm_cli_table_render (rows, 2, true, out);
    jm_cli_table_destroy (&rows);
}

static void
s_workers (jm_buf_t *out, json_t *doc)
{
    json_t *workers = json_object_get (doc, "workers");
    jm_buf_puts (out, "\nWORKERS\n");
    if (json_array_size (workers) == 0) {
        jm_buf_puts (out, "  no workers\n");
        return;
    }
    static const char *headers [] = {
        "ID", "SERVICE", "NAME", ">SLOTS", ">BUSY", ">LAST HEARD", ">EXPIRES IN", ">UP", NULL
    };
    jm_cli_table_t *rows = jm_cli_table_new (headers);
    jm_cli_table_limit (rows, 1, 32);
    jm_cli_table_limit (rows, 2, 40);
    size_t index;
    json_t *worker;
    json_array_foreach (workers, index, worker) {
        char heard [32], expires [32], up [32];
        jm_cli_table_addf (rows, "%s\t%s\t%s\t%lld/%lld\t%lld\t%s\t%s\t%s",
                           s_str (worker, "id", "?"), s_str (worker, "service", "?"),
                           s_str (worker, "name", "-"), s_int (worker, "slots"),
                           s_int (worker, "slots_max"), s_int (worker, "busy"),
                           s_duration (heard, sizeof heard,
                                       json_object_get (worker, "last_heard_ms")),
                           s_duration (expires, sizeof expires,
                                       json_object_get (worker, "expires_in_ms")),
                           s_duration (up, sizeof up, json_object_get (worker, "up_ms")));
    }
    jm_cli_table_render (rows, 2, true, out);
    jm_cli_table_destroy (&rows);
    long long total = s_int (doc, "workers_total");
    if (total > (long long) json_array_size (workers))
        jm_buf_printf (out, "  ... and %lld more\n", total - (long long) json_array_size (workers));
}

static void
s_failures (jm_buf_t *out, json_t *doc, int shown)
{
    json_t *failures = json_object_get (doc, "failures");
    json_t *recent = json_object_get (failures, "recent");
    if (shown == 0)
        return;
    jm_buf_printf (out, "\nRECENT FAILURES (%zu shown of %lld since start)\n",
                   json_array_size (recent) < (size_t) shown? json_array_size (recent):
                   (size_t) shown, s_int (failures, "total"));
    if (json_array_size (recent) == 0) {
        jm_buf_puts (out, "  none\n");
        return;
    }
    static const char *headers [] = {
        "TIME (UTC)", ">AGO", "SERVICE", "CODE", ">ATTEMPTS", "CLIENT", "BY", NULL
    };
    jm_cli_table_t *rows = jm_cli_table_new (headers);
    jm_cli_table_limit (rows, 2, 32);
    size_t index;
    json_t *failure;
    json_array_foreach (recent, index, failure) {
        if (index >= (size_t) shown)
            break;
        char ago [32];
        jm_cli_table_addf (rows, "%s\t%s\t%s\t%s\t%lld\t%s\t%s", s_str (failure, "time", "?"),
                           s_duration (ago, sizeof ago, json_object_get (failure, "age_ms")),
                           s_str (failure, "service", "?"), s_str (failure, "code", "?"),
                           s_int (failure, "attempts"), s_str (failure, "client", "-"),
                           s_str (failure, "source", "-"));
    }
    jm_cli_table_render (rows, 2, true, out);
    jm_cli_table_destroy (&rows);
}

//  True when some worker serves jobmatch.match.
static bool
s_match_served (json_t *doc)
{
    size_t index;
    json_t *service;
    json_array_foreach (json_object_get (doc, "services"), index, service)
        if (strcmp (s_str (service, "name", ""), JM_MATCH_SERVICE) == 0)
            return s_int (service, "workers") > 0;
    return false;
}


//  ---------------------------------------------------------------------------
//  The command

int
jm_cli_cmd_status (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    bool json = false;
    int shown = JM_FAILURES_SHOWN;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_JSON)
            json = true;
        else
        if (option == s_FAILURES) {
            if (jm_cli_int_option (&s_spec, "failures", value, 0, JM_FAILURES_MAX, &shown))
                return JM_CLI_FATAL;
        }
        else
            return jm_cli_usage_error (&s_spec, "unexpected argument '%s'", value);
    }
    json_t *request = json_pack ("{s:i}", "failures", shown);
    json_t *doc = jm_cli_remote_ask (cli, JM_STATUS_SERVICE, &request, &status);
    if (!doc)
        return status;
    json_object_del (doc, "ok");
    jm_buf_t out;
    jm_buf_init (&out);
    if (json)
        jm_cli_json_append (&out, doc, false);
    else {
        s_summary (&out, doc);
        s_services (&out, doc);
        s_workers (&out, doc);
        s_failures (&out, doc, shown);
    }
    bool served = s_match_served (doc);
    json_decref (doc);
    int rc = jm_cli_write (&out) || jm_cli_flush ()? JM_CLI_FATAL: JM_CLI_OK;
    jm_buf_free (&out);
    if (rc == JM_CLI_OK && !served) {
        jm_cli_error ("no worker is registered for %s", JM_MATCH_SERVICE);
        rc = JM_CLI_BAD_ITEM;
    }
    return rc;
}
