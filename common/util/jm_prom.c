/*  jm_prom: Prometheus text exposition, shared by every process that serves
    /metrics.  Escaping, HELP/TYPE lines, a latency histogram, the process_*
    metrics read from /proc/self, and the gateway's jobmatch.stats rendered
    as jobmatch_gateway_* series (the gateway's own /metrics and the
    dashboard's both use it, so the names are the same in both).         */
#include "jm_prom.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

//  Appends a label value, escaped as the text format asks (\\, \", \n).
void
jm_prom_label (jm_buf_t *out, const char *value)
{
    for (const char *c = value; *c; c++) {
        if (*c == '\\' || *c == '"')
            jm_buf_printf (out, "\\%c", *c);
        else
        if (*c == '\n')
            jm_buf_puts (out, "\\n");
        else
            jm_buf_append (out, c, 1);
    }
}

void
jm_prom_help (jm_buf_t *out, const char *name, const char *type, const char *help)
{
    jm_buf_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
jm_prom_seconds (jm_buf_t *out, int64_t microseconds)
{
    jm_buf_json_number (out, (double) microseconds / 1e6, 6);
}


//  A metric name from a stats field: [a-z0-9_] only.
static void
s_name (jm_buf_t *out, const char *prefix, const char *field)
{
    jm_buf_puts (out, prefix);
    for (const char *c = field; *c; c++) {
        char safe = isalnum ((unsigned char) *c)? (char) tolower ((unsigned char) *c): '_';
        jm_buf_append (out, &safe, 1);
    }
}

void
jm_prom_number (jm_buf_t *out, json_t *value)
{
    if (json_is_integer (value))
        jm_buf_printf (out, "%lld", (long long) json_integer_value (value));
    else
        jm_buf_printf (out, "%.17g", json_number_value (value));
}

//  One plain counter or gauge from a numeric field of stats, when present
static void
s_stat (jm_buf_t *out, json_t *stats, const char *field, const char *name, const char *type,
        const char *help)
{
    json_t *value = json_object_get (stats, field);
    if (!json_is_number (value))
        return;
    jm_prom_help (out, name, type, help);
    jm_buf_printf (out, "%s ", name);
    jm_prom_number (out, value);
    jm_buf_puts (out, "\n");
}

//  The numeric members of an object as one metric with a label
static void
s_stat_labelled (jm_buf_t *out, json_t *object, const char *name, const char *label,
                 const char *type, const char *help)
{
    if (!json_is_object (object))
        return;
    jm_prom_help (out, name, type, help);
    const char *key;
    json_t *value;
    json_object_foreach (object, key, value) {
        if (!json_is_number (value))
            continue;
        jm_buf_printf (out, "%s{%s=\"", name, label);
        jm_prom_label (out, key);
        jm_buf_puts (out, "\"} ");
        jm_prom_number (out, value);
        jm_buf_puts (out, "\n");
    }
}

//  The fields of jobmatch.stats this renders by name; others that are
//  numbers (or objects of numbers) are rendered generically, since new
//  fields may be added (proto/protocol.md, 6.3)
static const char *s_known_fields [] = {
    "version", "uptime_s", "requests", "replies", "builtin", "errors", "redispatches",
    "late_replies", "dropped", "denied", "queue_depth", "in_flight", "queue_max", "workers",
    "workers_joined", "workers_expired", "services", "latency",
    "timeouts", "workers_timed_out", "busy_by_cap", "dropped_replies", "held_bytes",
    "held_bytes_max", "clients", NULL
};

void
jm_prom_gateway_stats (jm_buf_t *out, json_t *stats)
{
    jm_prom_help (out, "jobmatch_gateway_up", "gauge", "1 when the gateway answered jobmatch.stats");
    jm_buf_printf (out, "jobmatch_gateway_up %d\n", stats? 1: 0);
    if (!stats)
        return;
    s_stat (out, stats, "uptime_s", "jobmatch_gateway_uptime_seconds", "gauge", "seconds since the gateway started");
    s_stat (out, stats, "requests", "jobmatch_gateway_requests_total", "counter", "well-formed requests, built-ins included");
    s_stat (out, stats, "replies", "jobmatch_gateway_replies_total", "counter", "worker replies delivered");
    s_stat (out, stats, "builtin", "jobmatch_gateway_builtin_total", "counter", "requests answered by mmi.* and jobmatch.stats");
    s_stat_labelled (out, json_object_get (stats, "errors"), "jobmatch_gateway_errors_total", "code",
                     "counter", "error replies by code");
    s_stat (out, stats, "redispatches", "jobmatch_gateway_redispatches_total", "counter", "requests re-queued from a lost worker");
    s_stat (out, stats, "late_replies", "jobmatch_gateway_late_replies_total", "counter", "worker replies dropped as late");
    s_stat_labelled (out, json_object_get (stats, "dropped"), "jobmatch_gateway_dropped_total", "side",
                     "counter", "malformed messages dropped without a reply");
    s_stat_labelled (out, json_object_get (stats, "denied"), "jobmatch_gateway_denied_total", "socket",
                     "counter", "peers refused by CURVE authentication (ZAP)");
    s_stat (out, stats, "queue_depth", "jobmatch_gateway_queue_depth", "gauge", "requests waiting for a worker");
    s_stat (out, stats, "in_flight", "jobmatch_gateway_in_flight", "gauge", "requests at workers");
    s_stat (out, stats, "queue_max", "jobmatch_gateway_queue_max", "gauge", "requests held before busy");
    s_stat (out, stats, "workers", "jobmatch_gateway_workers", "gauge", "registered workers");
    s_stat (out, stats, "workers_joined", "jobmatch_gateway_workers_joined_total", "counter", "worker registrations");
    s_stat (out, stats, "workers_expired", "jobmatch_gateway_workers_expired_total", "counter", "workers lost: missed heartbeats or a closed connection");
    s_stat (out, stats, "timeouts", "jobmatch_gateway_timeouts_total", "counter", "dispatches a worker held past request-timeout-ms");
    s_stat (out, stats, "workers_timed_out", "jobmatch_gateway_workers_timed_out_total", "counter", "workers disconnected for timeouts in a row");
    s_stat_labelled (out, json_object_get (stats, "busy_by_cap"), "jobmatch_gateway_busy_total", "cap",
                     "counter", "busy replies by the cap that refused the request");
    s_stat_labelled (out, json_object_get (stats, "dropped_replies"), "jobmatch_gateway_dropped_replies_total", "reason",
                     "counter", "replies not delivered: the client did not read them, or had gone");
    s_stat (out, stats, "held_bytes", "jobmatch_gateway_held_bytes", "gauge", "request body bytes waiting or at workers");
    s_stat (out, stats, "held_bytes_max", "jobmatch_gateway_held_bytes_max", "gauge", "request body bytes held before busy");
    s_stat (out, stats, "clients", "jobmatch_gateway_clients", "gauge", "clients with requests waiting or at workers");
    json_t *services = json_object_get (stats, "services");
    if (json_is_object (services)) {
        static const char *fields [][3] = {
            { "workers", "jobmatch_gateway_service_workers", "registered workers of the service" },
            { "slots", "jobmatch_gateway_service_slots", "request slots of the service's workers" },
            { "queued", "jobmatch_gateway_service_queued", "requests waiting for the service" },
            { "in_flight", "jobmatch_gateway_service_in_flight", "requests at the service's workers" }
        };
        for (size_t field = 0; field < 4; field++) {
            jm_prom_help (out, fields [field][1], "gauge", fields [field][2]);
            const char *service;
            json_t *entry;
            json_object_foreach (services, service, entry) {
                json_t *value = json_object_get (entry, fields [field][0]);
                if (json_is_array (value))
                    value = json_integer ((json_int_t) json_array_size (value));
                else
                    json_incref (value);
                if (json_is_number (value)) {
                    jm_buf_printf (out, "%s{service=\"", fields [field][1]);
                    jm_prom_label (out, service);
                    jm_buf_puts (out, "\"} ");
                    jm_prom_number (out, value);
                    jm_buf_puts (out, "\n");
                }
                json_decref (value);
            }
        }
    }
    json_t *latency = json_object_get (stats, "latency");
    json_t *buckets = json_object_get (latency, "buckets");
    if (json_is_array (buckets)) {
        jm_prom_help (out, "jobmatch_gateway_latency_seconds", "histogram",
                "gateway receipt to worker reply");
        uint64_t cumulative = 0;
        size_t index;
        json_t *bucket;
        bool has_inf = false;
        json_array_foreach (buckets, index, bucket) {
            json_t *bound = json_object_get (bucket, "le_us");
            cumulative += (uint64_t) json_integer_value (json_object_get (bucket, "count"));
            jm_buf_puts (out, "jobmatch_gateway_latency_seconds_bucket{le=\"");
            if (json_is_number (bound))
                jm_prom_seconds (out, (int64_t) json_number_value (bound));
            else {
                jm_buf_puts (out, "+Inf");
                has_inf = true;
            }
            jm_buf_printf (out, "\"} %llu\n", (unsigned long long) cumulative);
        }
        if (!has_inf)
            jm_buf_printf (out, "jobmatch_gateway_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
                           (unsigned long long) cumulative);
        double count = json_number_value (json_object_get (latency, "count"));
        double mean_us = json_number_value (json_object_get (latency, "mean_us"));
        jm_buf_puts (out, "jobmatch_gateway_latency_seconds_sum ");
        jm_buf_json_number (out, count * mean_us / 1e6, 6);
        jm_buf_printf (out, "\njobmatch_gateway_latency_seconds_count %llu\n",
                       (unsigned long long) cumulative);
    }
    //  fields added since protocol.md was written, as gauges
    const char *field;
    json_t *value;
    json_object_foreach (stats, field, value) {
        bool known = false;
        for (const char **name = s_known_fields; *name && !known; name++)
            known = strcmp (*name, field) == 0;
        if (known)
            continue;
        jm_buf_t name;
        jm_buf_init (&name);
        s_name (&name, "jobmatch_gateway_", field);
        if (json_is_number (value)) {
            jm_prom_help (out, name.data, "gauge", "jobmatch.stats field");
            jm_buf_printf (out, "%s ", name.data);
            jm_prom_number (out, value);
            jm_buf_puts (out, "\n");
        }
        else
        if (json_is_object (value)) {
            bool numbers = json_object_size (value) > 0;
            const char *key;
            json_t *member;
            json_object_foreach (value, key, member)
                numbers = numbers && json_is_number (member);
            if (numbers)
                s_stat_labelled (out, value, name.data, "key", "gauge", "jobmatch.stats field");
        }
        jm_buf_free (&name);
    }
}


//  --------------------------------------------------------------------------
//  Latency histogram

//  Upper bounds of the buckets, in microseconds: 100 us to 30 s
static const int64_t s_bounds_us [JM_PROM_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000
};

void
jm_prom_histogram_observe (jm_prom_histogram_t *self, int64_t micros)
{
    assert (self);
    if (micros < 0)
        micros = 0;
    size_t bucket = 0;
    while (bucket < JM_PROM_BUCKETS && micros > s_bounds_us [bucket])
        bucket++;
    self->buckets [bucket]++;
    self->count++;
    self->sum_us += (uint64_t) micros;
}

void
jm_prom_histogram_render (jm_buf_t *out, const char *name, const char *label,
                          const char *value, const jm_prom_histogram_t *self)
{
    assert (out && name && label && value && self);
    uint64_t cumulative = 0;
    for (size_t bucket = 0; bucket <= JM_PROM_BUCKETS; bucket++) {
        cumulative += self->buckets [bucket];
        jm_buf_printf (out, "%s_bucket{%s=\"", name, label);
        jm_prom_label (out, value);
        jm_buf_puts (out, "\",le=\"");
        if (bucket < JM_PROM_BUCKETS)
            jm_prom_seconds (out, s_bounds_us [bucket]);
        else
            jm_buf_puts (out, "+Inf");
        jm_buf_printf (out, "\"} %llu\n", (unsigned long long) cumulative);
    }
    jm_buf_printf (out, "%s_sum{%s=\"", name, label);
    jm_prom_label (out, value);
    jm_buf_puts (out, "\"} ");
    jm_prom_seconds (out, (int64_t) self->sum_us);
    jm_buf_printf (out, "\n%s_count{%s=\"", name, label);
    jm_prom_label (out, value);
    jm_buf_printf (out, "\"} %llu\n", (unsigned long long) self->count);
}


//  --------------------------------------------------------------------------
//  process_* metrics

//  Open descriptors: the entries of /proc/self/fd, less the one reading it
static long
s_open_fds (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    if (!dir)
        return -1;
    long count = 0;
    while (readdir (dir))
        count++;
    closedir (dir);
    return count - 3;                   //  ".", ".." and the directory's own
}

void
jm_prom_process (jm_buf_t *out)
{
    assert (out);
    //  /proc/self/stat: fields after the ")" that ends the command name
    char stat [1024] = "";
    FILE *file = fopen ("/proc/self/stat", "r");
    if (file) {
        size_t size = fread (stat, 1, sizeof stat - 1, file);
        stat [size] = 0;
        fclose (file);
    }
    const char *rest = strrchr (stat, ')');
    unsigned long long utime = 0, stime = 0, start_ticks = 0, vsize = 0;
    long long rss_pages = 0;
    bool parsed = rest && sscanf (rest + 2,
        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
        "%llu %llu %lld", &utime, &stime, &start_ticks, &vsize, &rss_pages) == 5;
    double ticks = (double) sysconf (_SC_CLK_TCK);
    if (parsed) {
        //  boot time, from /proc/stat's btime, makes the start time absolute
        unsigned long long boot = 0;
        file = fopen ("/proc/stat", "r");
        char line [256];
        while (file && fgets (line, sizeof line, file))
            if (sscanf (line, "btime %llu", &boot) == 1)
                break;
        if (file)
            fclose (file);
        jm_prom_help (out, "process_cpu_seconds_total", "counter",
                      "user and system CPU time spent, in seconds");
        jm_buf_printf (out, "process_cpu_seconds_total %.2f\n", (double) (utime + stime) / ticks);
        jm_prom_help (out, "process_resident_memory_bytes", "gauge", "resident memory size, in bytes");
        jm_buf_printf (out, "process_resident_memory_bytes %lld\n",
                       rss_pages * (long long) sysconf (_SC_PAGESIZE));
        jm_prom_help (out, "process_virtual_memory_bytes", "gauge", "virtual memory size, in bytes");
        jm_buf_printf (out, "process_virtual_memory_bytes %llu\n", vsize);
        jm_prom_help (out, "process_start_time_seconds", "gauge",
                      "start time of the process since the Unix epoch, in seconds");
        jm_buf_printf (out, "process_start_time_seconds %.2f\n",
                       (double) boot + (double) start_ticks / ticks);
    }
    long fds = s_open_fds ();
    if (fds >= 0) {
        jm_prom_help (out, "process_open_fds", "gauge", "open file descriptors");
        jm_buf_printf (out, "process_open_fds %ld\n", fds);
    }
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0) {
        jm_prom_help (out, "process_max_fds", "gauge", "the open file descriptor limit");
        jm_buf_printf (out, "process_max_fds %.0f\n", limit.rlim_cur == RLIM_INFINITY
                       ? 1e19: (double) limit.rlim_cur);
    }
}
