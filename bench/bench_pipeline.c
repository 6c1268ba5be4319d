/*  bench_pipeline: the whole pipeline's speed, end to end, from a client.

    Talks to a running gateway (bench/bench_pipeline.sh starts a private
    stack: redis-server, the gateway, two matchers) through jm_mdp_client
    and measures what a job board would see:

        batch    candidates per second, sent as requests of --batch profiles
                 with --inflight requests outstanding; every reply received,
                 so Redis writes are included (the matcher flushes before it
                 replies).  Ids are unique per run, so nothing is cached; the
                 same profiles sent again give the cached figure.  Replies
                 at the default detail (summary, proto/services.md), and in
                 runs alternating with those, "detail": "full" (the whole
                 breakdown), with the reply bytes per candidate of each.
        single   requests per second, one candidate each, --inflight
                 outstanding
        latency  round-trip times at idle, one request at a time: p50, p99
        burst    the gateway's memory (needs --gateway-pid): resident size
                 before, under and after a burst of single requests sent
                 faster than the matchers serve them, so its queue fills to
                 queue-max and the rest are answered busy; "after" is read
                 once every request is answered and the queue is empty

    Every figure is the median of --runs runs (default 3).  With
    --matcher-pid (repeatable) it also reads each matcher's peak resident
    size (VmHWM) at the end; with the gateway's, the matchers' and
    --redis-pid, batch and single also say how much CPU each process spent
    per candidate.  Mode "all" ends with a summary table: each
    figure beside its target.  Profiles are about 1 KB: 12 to 20 skills
    from the real taxonomy, most with level, years and last_used, generated
    with a fixed seed; or read from --candidates FILE (JSON lines), with
    fresh ids.

    Prints one line per figure with its target beside it.  A benchmark, not
    a test: figures below target do not change the exit status; a stack
    that does not answer, or answers with errors, exits 1; bad options 2.  */
#include "bench_util.h"
#include "jm_engine.h"
#include "jm_mdp.h"

#include <czmq.h>
#include <getopt.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define SERVICE             "jobmatch.match"
#define REPLY_TIMEOUT_MS    30000       //  silence that means the stack is down
#define MAX_RUNS            BENCH_MAX_RUNS
#define MAX_MATCHERS        16

typedef struct {
    const char *gateway;
    const char *mode;           //  batch, single, latency or all
    const char *candidates;     //  JSON-lines file, or NULL to generate
    const char *data;           //  data dir for the taxonomy (generation)
    long count;                 //  candidates (batch), requests (single), round trips (latency)
    int batch;
    int inflight;
    int runs;
    bool cached;                //  batch: also send the last run again (all cached)
    bool full;                  //  batch: also runs asking "detail": "full"
    int gateway_pid;            //  for burst: whose memory to read; and CPU
    int matcher_pids [MAX_MATCHERS];
    int matcher_count;
    int redis_pid;              //  for CPU per candidate
    long burst;                 //  requests in a burst; 0: queue-max and a half
    const char *curve_server;   //  CURVE: the gateway's public certificate, or NULL
    const char *curve_cert;     //  CURVE: our secret certificate, or NULL
    jm_curve_t *curve;          //  loaded from the two, NULL for plaintext
} options_t;

//  What the summary table shows; NAN or -1 when not measured
typedef struct {
    double batch_rate, single_rate, p50_ms, p99_ms;
    double gateway_before_mb, gateway_under_mb, gateway_after_mb;
    long burst_queue_peak, burst_queue_max, burst_busy;
    double matcher_peak_mb [MAX_MATCHERS];
} figures_t;

static figures_t s_figures;

//  Profiles: each held as the JSON members after the id, so that a body
//  can give any profile a fresh id cheaply
typedef struct {
    char **rest;                //  "\"name\":...,\"skills\":[...]" (no braces), or ""
    size_t count;
    double mean_size;           //  of a whole profile with an id
} pool_t;

typedef struct {
    size_t replies;
    size_t results;
    size_t cached;
    size_t not_stored;
    size_t bytes;               //  reply bodies
} tally_t;

static uint64_t s_seed = 0x2545F4914F6CDD1DULL;

static uint32_t
s_random (void)
{
    return bench_random (&s_seed);
}

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

//  "41,234" for 41234.4
static const char *
s_thousands (double value, char *buffer, size_t size)
{
    char digits [32];
    snprintf (digits, sizeof digits, "%.0f", value);
    size_t length = strlen (digits), out = 0;
    for (size_t index = 0; index < length && out + 2 < size; index++) {
        if (index > 0 && (length - index) % 3 == 0)
            buffer [out++] = ',';
        buffer [out++] = digits [index];
    }
    buffer [out] = 0;
    return buffer;
}

static void
s_fail (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "bench_pipeline: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    exit (1);
}


//  --------------------------------------------------------------------------
//  Profiles

static const char *s_first [] = { "Priya", "Marcus", "Sofia", "Chen", "Amara", "Lukas", "Fatima",
                                  "Diego", "Yuki", "Olu", "Ingrid", "Rahul", "Elena", "Kwame" };
static const char *s_last [] = { "Raman", "Oyelaran", "Lindqvist", "Wei", "Okafor", "Brandt",
                                 "Haddad", "Morales", "Tanaka", "Adeyemi", "Solberg", "Mehta" };
static const char *s_suffixes [] = { "", "", "", "", " (primary)", "", " 3", "", " advanced", "" };

//  The members after the id of one generated profile (caller frees).
static char *
s_generate_rest (const jm_taxonomy_t *taxonomy)
{
    jm_buf_t out;
    jm_buf_init (&out);
    jm_buf_printf (&out, "\"name\":\"%s %s\",\"years_experience\":%u,\"skills\":[",
                   s_first [s_random () % 14], s_last [s_random () % 12], s_random () % 25);
    int size = jm_taxonomy_size (taxonomy);
    int count = 12 + (int) (s_random () % 9);
    int chosen [20];
    for (int index = 0; index < count; index++) {
        int skill;
        bool again;
        do {            //  distinct skills, as a real profile lists them
            skill = (int) (s_random () % (uint32_t) size);
            again = false;
            for (int other = 0; other < index; other++)
                again = again || chosen [other] == skill;
        } while (again);
        chosen [index] = skill;
        char name [160];
        snprintf (name, sizeof name, "%s%s", jm_taxonomy_skill (taxonomy, skill)->name,
                  s_suffixes [s_random () % 10]);
        if (index)
            jm_buf_puts (&out, ",");
        if (s_random () % 8 == 0)
            jm_buf_json_str (&out, name);
        else {
            jm_buf_puts (&out, "{\"name\":");
            jm_buf_json_str (&out, name);
            jm_buf_printf (&out, ",\"level\":%u,\"years\":%u,\"last_used\":%u}",
                           1 + s_random () % 5, s_random () % 12, 2014 + s_random () % 13);
        }
    }
    jm_buf_puts (&out, "]");
    return jm_buf_steal (&out, NULL);
}

//  The members of a profile read from a file, less its id (caller frees).
static char *
s_rest_from_json (json_t *object)
{
    json_object_del (object, "id");
    char *text = json_dumps (object, JSON_COMPACT);
    assert (text);
    //  drop the braces: "{...}" -> "..."
    size_t length = strlen (text);
    memmove (text, text + 1, length - 2);
    text [length - 2] = 0;
    return text;
}

static void
s_pool_load (pool_t *pool, const options_t *options)
{
    memset (pool, 0, sizeof *pool);
    size_t cap = 1024;
    pool->rest = calloc (cap, sizeof (char *));
    assert (pool->rest);
    if (options->candidates) {
        FILE *file = fopen (options->candidates, "r");
        if (!file)
            s_fail ("cannot read %s", options->candidates);
        char *line = NULL;
        size_t line_cap = 0;
        ssize_t length;
        while ((length = getline (&line, &line_cap, file)) > 0) {
            json_error_t error;
            json_t *object = json_loadb (line, (size_t) length, 0, &error);
            if (!object)
                continue;           //  blank or comment lines
            if (json_is_object (object)) {
                if (pool->count == cap) {
                    cap *= 2;
                    pool->rest = realloc (pool->rest, cap * sizeof (char *));
                    assert (pool->rest);
                }
                pool->rest [pool->count++] = s_rest_from_json (object);
            }
            json_decref (object);
        }
        free (line);
        fclose (file);
        if (pool->count == 0)
            s_fail ("no candidates in %s", options->candidates);
    }
    else {
        jm_error_t err;
        jm_error_clear (&err);
        const char *data = options->data? options->data: jm_data_dir_find ();
        if (!data)
            s_fail ("cannot find the data dir (use --data DIR)");
        char path [4096];
        snprintf (path, sizeof path, "%s/taxonomy.json", data);
        jm_taxonomy_t *taxonomy = jm_taxonomy_load (path, &err);
        if (!taxonomy)
            s_fail ("%s", err.message);
        for (; pool->count < cap; pool->count++)
            pool->rest [pool->count] = s_generate_rest (taxonomy);
        jm_taxonomy_destroy (&taxonomy);
    }
    size_t total = 0;
    for (size_t index = 0; index < pool->count; index++)
        total += strlen (pool->rest [index]) + strlen ("{\"id\":\"b12345-1-123456\",}");
    pool->mean_size = (double) total / (double) pool->count;
}

static void
s_pool_destroy (pool_t *pool)
{
    for (size_t index = 0; index < pool->count; index++)
        free (pool->rest [index]);
    free (pool->rest);
}

//  Appends profile `number` of the pool with the id "<tag>-<number>".
static void
s_append_profile (jm_buf_t *out, const pool_t *pool, const char *tag, size_t number)
{
    const char *rest = pool->rest [number % pool->count];
    jm_buf_printf (out, "{\"id\":\"%s-%zu\"%s%s}", tag, number, *rest? ",": "", rest);
}

//  Builds request_count bodies of per_request profiles each, numbered from 0
//  (caller frees each and the array); detail, when not NULL, is asked of
//  each request (else the service's default, summary).
static char **
s_bodies_new (const pool_t *pool, const char *tag, size_t request_count, int per_request,
              bool single, const char *detail)
{
    char **bodies = calloc (request_count, sizeof (char *));
    assert (bodies);
    jm_buf_t out;
    jm_buf_init (&out);
    for (size_t request = 0; request < request_count; request++) {
        jm_buf_reset (&out);
        if (detail)
            jm_buf_printf (&out, "{\"detail\":\"%s\",", detail);
        else
            jm_buf_puts (&out, "{");
        jm_buf_puts (&out, single? "\"candidate\":": "\"candidates\":[");
        for (int index = 0; index < per_request; index++) {
            if (index)
                jm_buf_puts (&out, ",");
            s_append_profile (&out, pool, tag, request * (size_t) per_request + (size_t) index);
        }
        jm_buf_puts (&out, single? "}": "]}");
        bodies [request] = strdup (out.data);
        assert (bodies [request]);
    }
    jm_buf_free (&out);
    return bodies;
}

static void
s_bodies_destroy (char **bodies, size_t count)
{
    for (size_t index = 0; index < count; index++)
        free (bodies [index]);
    free (bodies);
}


//  --------------------------------------------------------------------------
//  CPU per candidate: where the pipeline's time goes

typedef struct {
    double client, gateway, matchers, redis;    //  seconds of CPU (user + system)
} cpu_t;

//  Seconds of CPU a process has used, or NAN when it is not there.
static double
s_cpu_of (int pid)
{
    if (pid <= 0)
        return NAN;
    char path [64], line [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return NAN;
    size_t length = fread (line, 1, sizeof line - 1, file);
    fclose (file);
    line [length] = 0;
    const char *after_name = strrchr (line, ')');       //  the name may hold spaces
    unsigned long user, system;
    if (!after_name || sscanf (after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                               &user, &system) != 2)
        return NAN;
    return (double) (user + system) / (double) sysconf (_SC_CLK_TCK);
}

static void
s_cpu_read (const options_t *options, cpu_t *cpu)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    cpu->client = (double) usage.ru_utime.tv_sec + (double) usage.ru_utime.tv_usec / 1e6
                + (double) usage.ru_stime.tv_sec + (double) usage.ru_stime.tv_usec / 1e6;
    cpu->gateway = s_cpu_of (options->gateway_pid);
    cpu->matchers = options->matcher_count? 0: NAN;
    for (int index = 0; index < options->matcher_count; index++)
        cpu->matchers += s_cpu_of (options->matcher_pids [index]);
    cpu->redis = s_cpu_of (options->redis_pid);
}

//  Adds what was used between before and now to sum.
static void
s_cpu_add_since (const options_t *options, cpu_t *sum, const cpu_t *before)
{
    cpu_t now;
    s_cpu_read (options, &now);
    sum->client += now.client - before->client;
    sum->gateway += now.gateway - before->gateway;
    sum->matchers += now.matchers - before->matchers;
    sum->redis += now.redis - before->redis;
}

//  "    CPU per candidate: client 10 us, gateway 9 us, ..." for what sum
//  spent on items; parts not measured are left out.
static void
s_cpu_print (const cpu_t *sum, double items, const char *item)
{
    const double parts [] = { sum->client, sum->gateway, sum->matchers, sum->redis };
    const char *names [] = { "client", "gateway", "matchers", "redis" };
    double total = 0;
    printf ("    CPU per %s:", item);
    for (size_t index = 0; index < 4; index++) {
        if (isnan (parts [index]))
            continue;
        printf (" %s %.0f us,", names [index], parts [index] / items * 1e6);
        total += parts [index];
    }
    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    char text [32];
    printf (" total %.0f us (%ld CPUs: at most %s/s at this cost)\n", total / items * 1e6, cpus,
            s_thousands ((double) cpus * items / total, text, sizeof text));
}


//  --------------------------------------------------------------------------
//  Sending and receiving

static size_t
s_occurrences (const char *text, const char *needle)
{
    size_t count = 0, length = strlen (needle);
    for (const char *at = strstr (text, needle); at; at = strstr (at + length, needle))
        count++;
    return count;
}

//  Checks one reply body and adds it to the tally; fails the benchmark on
//  an error reply or a result count that is not per_request.
static void
s_tally_reply (tally_t *tally, const char *body, int per_request)
{
    if (strncmp (body, "{\"ok\":true", 10) != 0)
        s_fail ("error reply: %.300s", body);
    size_t results = s_occurrences (body, "\"cached\":");
    if (results != (size_t) per_request)
        s_fail ("a reply holds %zu results, want %d: %.200s", results, per_request, body);
    tally->replies++;
    tally->results += results;
    tally->cached += s_occurrences (body, "\"cached\":true");
    tally->not_stored += s_occurrences (body, "\"stored\":false");
}

//  Sends every body with up to inflight outstanding and waits for every
//  reply, each id answered once.  Returns the seconds it took.
static double
s_stream (jm_mdp_client_t *client, char **bodies, size_t count, int per_request, int inflight,
          tally_t *tally)
{
    memset (tally, 0, sizeof *tally);
    bool *answered = calloc (count, sizeof (bool));
    assert (answered);
    size_t sent = 0, received = 0;
    double started = s_now ();
    while (received < count) {
        while (sent < count && sent - received < (size_t) inflight) {
            char id [32];
            snprintf (id, sizeof id, "%zu", sent);
            if (jm_mdp_client_send (client, SERVICE, id, bodies [sent], strlen (bodies [sent])))
                break;      //  the send queue is full: read replies first
            sent++;
        }
        char *id = NULL, *body = NULL;
        if (jm_mdp_client_recv (client, NULL, &id, &body, REPLY_TIMEOUT_MS))
            s_fail ("no reply for %d s (%zu of %zu answered): is the stack up?",
                    REPLY_TIMEOUT_MS / 1000, received, count);
        char *end;
        unsigned long long index = strtoull (id, &end, 10);
        if (*end || index >= sent || answered [index])
            s_fail ("reply to an unknown or already answered request id '%s'", id);
        answered [index] = true;
        tally->bytes += strlen (body);
        s_tally_reply (tally, body, per_request);
        free (id);
        free (body);
        received++;
    }
    double seconds = s_now () - started;
    free (answered);
    return seconds;
}


//  --------------------------------------------------------------------------
//  The three modes

static void
s_print_runs (const char *label, double *values, int runs)
{
    printf ("    %s runs:", label);
    for (int run = 0; run < runs; run++)
        printf (" %.0f", values [run]);
    printf ("\n");
}

//  One batch run of fresh profiles asking "detail": "full".  Returns its
//  rate; adds its reply bytes to *bytes.
static double
s_full_run (jm_mdp_client_t *client, const pool_t *pool, const options_t *options, int run,
            size_t requests, size_t *bytes)
{
    char tag [32];
    snprintf (tag, sizeof tag, "f%d-%d-%d", (int) getpid (), (int) (time (NULL) % 100000), run);
    char **bodies = s_bodies_new (pool, tag, requests, options->batch, false, "full");
    tally_t tally;
    double seconds = s_stream (client, bodies, requests, options->batch, options->inflight, &tally);
    s_bodies_destroy (bodies, requests);
    *bytes += tally.bytes;
    return (double) tally.results / seconds;
}

static void
s_bench_batch (jm_mdp_client_t *client, const pool_t *pool, const options_t *options)
{
    size_t requests = (size_t) ((options->count + options->batch - 1) / options->batch);
    size_t total = requests * (size_t) options->batch;
    double rates [MAX_RUNS], cached_rates [MAX_RUNS], full_rates [MAX_RUNS];
    size_t not_stored = 0, bytes = 0, full_bytes = 0;
    char **bodies = NULL;
    cpu_t cpu = { 0 }, before;
    for (int run = 0; run < options->runs; run++) {
        //  a run asking the whole breakdown, then one at the default: A B A B
        full_rates [run] = options->full
                         ? s_full_run (client, pool, options, run, requests, &full_bytes) : 0;
        char tag [32];
        snprintf (tag, sizeof tag, "b%d-%d-%d", (int) getpid (), (int) (time (NULL) % 100000), run);
        if (bodies)
            s_bodies_destroy (bodies, requests);
        bodies = s_bodies_new (pool, tag, requests, options->batch, false, NULL);
        tally_t tally;
        s_cpu_read (options, &before);
        double seconds = s_stream (client, bodies, requests, options->batch, options->inflight, &tally);
        s_cpu_add_since (options, &cpu, &before);
        //  Ids are fresh, so a cached result means its request was scored
        //  twice: dispatched again after its matcher missed heartbeats
        if (tally.cached)
            printf ("    warning: batch run %d: %zu of %zu results came from the cache: requests "
                    "re-dispatched (a matcher missed heartbeats; machine overloaded?)\n",
                    run, tally.cached, tally.results);
        rates [run] = (double) tally.results / seconds;
        not_stored += tally.not_stored;
        bytes += tally.bytes;
    }
    char text [32];
    s_figures.batch_rate = bench_median (rates, options->runs);
    printf ("pipeline batch:  %s candidates/s  (median of %d runs; %zu candidates a run, %d per "
            "request, %d requests in flight, %.0f-byte profiles, all scored and stored)  "
            "target 40,000/s\n", s_thousands (bench_median (rates, options->runs), text, sizeof text),
            options->runs, total, options->batch, options->inflight, pool->mean_size);
    s_print_runs ("batch", rates, options->runs);
    if (options->full) {
        printf ("pipeline batch, full replies:  %s candidates/s  (median of %d runs alternating "
                "with those above; \"detail\": \"full\", the whole breakdown)  no target\n",
                s_thousands (bench_median (full_rates, options->runs), text, sizeof text),
                options->runs);
        s_print_runs ("full", full_rates, options->runs);
        printf ("    reply bytes per candidate: %.0f at the default (summary), %.0f at full\n",
                (double) bytes / ((double) total * options->runs),
                (double) full_bytes / ((double) total * options->runs));
    }
    s_cpu_print (&cpu, (double) total * options->runs, "candidate");
    if (not_stored)
        printf ("    warning: %zu results were answered \"stored\": false (Redis slow or down)\n",
                not_stored);
    if (options->cached) {
        //  The last run's profiles again: every result comes from Redis
        for (int run = 0; run < options->runs; run++) {
            tally_t tally;
            double seconds = s_stream (client, bodies, requests, options->batch, options->inflight,
                                       &tally);
            if (tally.cached != tally.results)
                s_fail ("cached run %d: only %zu of %zu results were cached", run, tally.cached,
                        tally.results);
            cached_rates [run] = (double) tally.results / seconds;
        }
        printf ("pipeline batch, cached:  %s candidates/s  (median of %d runs; the same profiles "
                "again, served from Redis)  no target\n",
                s_thousands (bench_median (cached_rates, options->runs), text, sizeof text),
                options->runs);
        s_print_runs ("cached", cached_rates, options->runs);
    }
    s_bodies_destroy (bodies, requests);
}

static void
s_bench_single (jm_mdp_client_t *client, const pool_t *pool, const options_t *options)
{
    size_t requests = (size_t) options->count;
    double rates [MAX_RUNS];
    cpu_t cpu = { 0 }, before;
    for (int run = 0; run < options->runs; run++) {
        char tag [32];
        snprintf (tag, sizeof tag, "s%d-%d-%d", (int) getpid (), (int) (time (NULL) % 100000), run);
        char **bodies = s_bodies_new (pool, tag, requests, 1, true, NULL);
        tally_t tally;
        s_cpu_read (options, &before);
        double seconds = s_stream (client, bodies, requests, 1, options->inflight, &tally);
        s_cpu_add_since (options, &cpu, &before);
        rates [run] = (double) tally.replies / seconds;
        s_bodies_destroy (bodies, requests);
    }
    char text [32];
    s_figures.single_rate = bench_median (rates, options->runs);
    printf ("pipeline single: %s requests/s  (median of %d runs; %zu requests a run, one "
            "candidate each, %d in flight)  target 10,000/s\n",
            s_thousands (bench_median (rates, options->runs), text, sizeof text), options->runs,
            requests, options->inflight);
    s_print_runs ("single", rates, options->runs);
    s_cpu_print (&cpu, (double) requests * options->runs, "request");
}

static void
s_bench_latency (jm_mdp_client_t *client, const pool_t *pool, const options_t *options)
{
    size_t trips = (size_t) options->count;
    double *times = calloc (trips, sizeof (double));
    assert (times);
    double p50s [MAX_RUNS], p99s [MAX_RUNS];
    for (int run = 0; run < options->runs; run++) {
        char tag [32];
        snprintf (tag, sizeof tag, "l%d-%d-%d", (int) getpid (), (int) (time (NULL) % 100000), run);
        char **bodies = s_bodies_new (pool, tag, trips, 1, true, NULL);
        tally_t tally = { 0 };
        for (size_t trip = 0; trip < trips; trip++) {
            char id [32];
            snprintf (id, sizeof id, "%zu", trip);
            double started = s_now ();
            if (jm_mdp_client_send (client, SERVICE, id, bodies [trip], strlen (bodies [trip])))
                s_fail ("cannot send");
            char *reply_id = NULL, *body = NULL;
            if (jm_mdp_client_recv (client, NULL, &reply_id, &body, REPLY_TIMEOUT_MS))
                s_fail ("no reply for %d s: is the stack up?", REPLY_TIMEOUT_MS / 1000);
            times [trip] = s_now () - started;
            if (strcmp (reply_id, id) != 0)
                s_fail ("reply to '%s' while waiting for '%s'", reply_id, id);
            s_tally_reply (&tally, body, 1);
            free (reply_id);
            free (body);
        }
        qsort (times, trips, sizeof (double), bench_compare_doubles);
        p50s [run] = times [trips / 2] * 1000;
        p99s [run] = times [(size_t) ((double) trips * 0.99)] * 1000;
        s_bodies_destroy (bodies, trips);
    }
    s_figures.p50_ms = bench_median (p50s, options->runs);
    s_figures.p99_ms = bench_median (p99s, options->runs);
    printf ("pipeline latency: p50 %.3f ms, p99 %.3f ms  (median of %d runs of %zu round trips "
            "at idle, one at a time, scored and stored)  target p50 <= 0.3 ms, p99 <= 1 ms\n",
            bench_median (p50s, options->runs), bench_median (p99s, options->runs), options->runs, trips);
    printf ("    latency runs (p50/p99 ms):");
    for (int run = 0; run < options->runs; run++)
        printf (" %.3f/%.3f", p50s [run], p99s [run]);
    printf ("\n");
    //  The share of the gateway alone: mmi.service, which it answers itself
    for (size_t trip = 0; trip < trips; trip++) {
        char id [32];
        snprintf (id, sizeof id, "m%zu", trip);
        double started = s_now ();
        if (jm_mdp_client_send (client, "mmi.service", id, SERVICE, strlen (SERVICE)))
            s_fail ("cannot send");
        char *reply_id = NULL;
        if (jm_mdp_client_recv (client, NULL, &reply_id, NULL, REPLY_TIMEOUT_MS))
            s_fail ("no reply for %d s: is the stack up?", REPLY_TIMEOUT_MS / 1000);
        times [trip] = s_now () - started;
        free (reply_id);
    }
    qsort (times, trips, sizeof (double), bench_compare_doubles);
    printf ("    client-gateway hop alone (mmi.service): p50 %.3f ms, p99 %.3f ms\n",
            times [trips / 2] * 1000, times [(size_t) ((double) trips * 0.99)] * 1000);
    free (times);
}


//  --------------------------------------------------------------------------
//  Memory

//  kB in a field of /proc/<pid>/status (VmRSS: resident now, VmHWM: peak),
//  or -1 when the process or the field is not there.
static long
s_status_kb (int pid, const char *field)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/status", pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [256];
    long value = -1;
    size_t length = strlen (field);
    while (fgets (line, sizeof line, file))
        if (strncmp (line, field, length) == 0 && line [length] == ':') {
            value = atol (line + length + 1);
            break;
        }
    fclose (file);
    return value;
}

//  The gateway's requests held (waiting + in flight) and queue-max, from
//  jobmatch.stats, which it answers at once whatever its queue holds.
//  Returns 0, or -1 when it does not answer.
static int
s_gateway_load (jm_mdp_client_t *stats_client, long *held, long *queue_max)
{
    jm_error_t err;
    jm_error_clear (&err);
    char *reply = jm_mdp_client_request (stats_client, "jobmatch.stats", "{}", 5000, &err);
    if (!reply)
        return -1;
    json_t *stats = json_loads (reply, 0, NULL);
    free (reply);
    if (!stats)
        return -1;
    *held = (long) (json_integer_value (json_object_get (stats, "queue_depth"))
                    + json_integer_value (json_object_get (stats, "in_flight")));
    if (queue_max)
        *queue_max = (long) json_integer_value (json_object_get (stats, "queue_max"));
    json_decref (stats);
    return 0;
}

static double
s_mb (long kb)
{
    return kb < 0? NAN: (double) kb / 1024.0;
}

//  One burst: returns the gateway's resident kB before, at its peak while
//  the queue is full, and after it drained; counts busy replies.
static void
s_burst_once (jm_mdp_client_t *client, jm_mdp_client_t *stats_client, const pool_t *pool,
              const options_t *options, int run, long out [3], long *queue_peak, long *busy)
{
    int pid = options->gateway_pid;
    long held = 0, queue_max = 0;
    if (s_gateway_load (stats_client, &held, &queue_max))
        s_fail ("the gateway does not answer jobmatch.stats");
    long count = options->burst? options->burst: queue_max + queue_max / 2;
    char tag [32];
    snprintf (tag, sizeof tag, "u%d-%d-%d", (int) getpid (), (int) (time (NULL) % 100000), run);
    char **bodies = s_bodies_new (pool, tag, (size_t) count, 1, true, NULL);
    out [0] = out [1] = s_status_kb (pid, "VmRSS");
    *queue_peak = *busy = 0;
    long sent = 0, received = 0;
    double next_sample = 0;
    while (received < count) {
        //  as fast as the socket takes them: far faster than two matchers serve
        while (sent < count) {
            char id [32];
            snprintf (id, sizeof id, "%ld", sent);
            if (jm_mdp_client_send (client, SERVICE, id, bodies [sent], strlen (bodies [sent])))
                break;
            sent++;
        }
        if (s_now () >= next_sample) {
            long rss = s_status_kb (pid, "VmRSS");
            if (rss > out [1])
                out [1] = rss;
            if (s_gateway_load (stats_client, &held, NULL) == 0 && held > *queue_peak)
                *queue_peak = held;
            next_sample = s_now () + 0.02;
        }
        //  every reply waiting, so none pile up in the gateway's send queue
        char *body = NULL;
        int timeout = 10;
        while (received < count && jm_mdp_client_recv (client, NULL, NULL, &body, timeout) == 0) {
            if (strstr (body, "\"code\":\"busy\""))
                (*busy)++;
            else
            if (strncmp (body, "{\"ok\":true", 10) != 0)
                s_fail ("burst: error reply: %.300s", body);
            free (body);
            received++;
            timeout = 0;
        }
    }
    //  Every request answered: the queue is empty.  Give the gateway a
    //  moment (it frees as it replies) and read its size.
    for (int wait = 0; wait < 100 && s_gateway_load (stats_client, &held, NULL) == 0 && held; wait++)
        zclock_sleep (10);
    zclock_sleep (500);
    out [2] = s_status_kb (pid, "VmRSS");
    s_bodies_destroy (bodies, (size_t) count);
}

static void
s_bench_burst (jm_mdp_client_t *client, const pool_t *pool, const options_t *options)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_mdp_client_t *stats_client = jm_mdp_client_new_curve (options->gateway, options->curve, &err);
    if (!stats_client)
        s_fail ("%s", err.message);
    double before [MAX_RUNS], under [MAX_RUNS], after [MAX_RUNS], peaks [MAX_RUNS], busies [MAX_RUNS];
    long queue_max = 0, held = 0;
    s_gateway_load (stats_client, &held, &queue_max);
    for (int run = 0; run < options->runs; run++) {
        long kb [3], queue_peak, busy;
        s_burst_once (client, stats_client, pool, options, run, kb, &queue_peak, &busy);
        before [run] = s_mb (kb [0]);
        under [run] = s_mb (kb [1]);
        after [run] = s_mb (kb [2]);
        peaks [run] = (double) queue_peak;
        busies [run] = (double) busy;
    }
    s_figures.gateway_before_mb = bench_median (before, options->runs);
    s_figures.gateway_under_mb = bench_median (under, options->runs);
    s_figures.gateway_after_mb = bench_median (after, options->runs);
    s_figures.burst_queue_peak = (long) bench_median (peaks, options->runs);
    s_figures.burst_queue_max = queue_max;
    s_figures.burst_busy = (long) bench_median (busies, options->runs);
    long count = options->burst? options->burst: queue_max + queue_max / 2;
    printf ("gateway memory: RSS %.1f MB before, %.1f MB under a burst, %.1f MB after it drained  "
            "(median of %d runs; %ld requests sent at once, the queue held up to %ld of %ld, "
            "%ld answered busy)  target: grows with the queue, returns after\n",
            s_figures.gateway_before_mb, s_figures.gateway_under_mb, s_figures.gateway_after_mb,
            options->runs, count, s_figures.burst_queue_peak, queue_max, s_figures.burst_busy);
    printf ("    burst runs (before/under/after MB, queue peak):");
    for (int run = 0; run < options->runs; run++)
        printf (" %.1f/%.1f/%.1f %.0f", before [run], under [run], after [run], peaks [run]);
    printf ("\n");
    jm_mdp_client_destroy (&stats_client);
}

static void
s_read_matcher_memory (const options_t *options)
{
    for (int index = 0; index < options->matcher_count; index++) {
        s_figures.matcher_peak_mb [index] = s_mb (s_status_kb (options->matcher_pids [index], "VmHWM"));
        printf ("matcher %d memory: peak RSS %.1f MB (VmHWM after every run)  target < 32 MB\n",
                index + 1, s_figures.matcher_peak_mb [index]);
    }
}

//  One row of the summary: a figure, its target, whether it meets it.
static void
s_summary_row (const char *what, const char *measured, const char *target, bool met, bool known)
{
    printf ("  %-44s %-22s %-16s %s\n", what, measured, target, !known? "-": met? "ok": "MISSED");
}

static void
s_print_summary (const options_t *options)
{
    char text [64], number [32];
    const figures_t *f = &s_figures;
    printf ("\nsummary (medians of %d runs; %ld CPUs)\n", options->runs, sysconf (_SC_NPROCESSORS_ONLN));
    printf ("  %-44s %-22s %-16s %s\n", "figure", "measured", "target", "");
    snprintf (text, sizeof text, "%s /s", s_thousands (f->batch_rate, number, sizeof number));
    s_summary_row ("batch: candidates/s, scored + stored", text, ">= 40,000 /s",
                   f->batch_rate >= 40000, !isnan (f->batch_rate));
    snprintf (text, sizeof text, "%s /s", s_thousands (f->single_rate, number, sizeof number));
    s_summary_row ("single: requests/s, one candidate each", text, ">= 10,000 /s",
                   f->single_rate >= 10000, !isnan (f->single_rate));
    snprintf (text, sizeof text, "%.3f ms", f->p50_ms);
    s_summary_row ("idle round trip p50", text, "<= 0.3 ms", f->p50_ms <= 0.3, !isnan (f->p50_ms));
    snprintf (text, sizeof text, "%.3f ms", f->p99_ms);
    s_summary_row ("idle round trip p99", text, "<= 1 ms", f->p99_ms <= 1.0, !isnan (f->p99_ms));
    for (int index = 0; index < options->matcher_count; index++) {
        char what [64];
        snprintf (what, sizeof what, "matcher %d peak RSS", index + 1);
        snprintf (text, sizeof text, "%.1f MB", f->matcher_peak_mb [index]);
        s_summary_row (what, text, "< 32 MB", f->matcher_peak_mb [index] < 32,
                       !isnan (f->matcher_peak_mb [index]));
    }
    if (!isnan (f->gateway_under_mb)) {
        snprintf (text, sizeof text, "%.1f / %.1f / %.1f MB", f->gateway_before_mb,
                  f->gateway_under_mb, f->gateway_after_mb);
        //  returned: back within 25% of what the burst added (and 4 MB)
        double added = f->gateway_under_mb - f->gateway_before_mb;
        bool returned = f->gateway_after_mb - f->gateway_before_mb <= fmax (4.0, added / 4);
        s_summary_row ("gateway RSS before / under burst / after", text, "returns after",
                       returned && f->burst_queue_peak >= f->burst_queue_max * 9 / 10, true);
        snprintf (text, sizeof text, "%.2f KB", f->burst_queue_peak > 0?
                  added * 1024 / (double) f->burst_queue_peak: NAN);
        s_summary_row ("  gateway RSS per request held (1 KB bodies)", text, "bounded queue",
                       f->burst_queue_peak <= f->burst_queue_max, true);
    }
}


//  --------------------------------------------------------------------------
//  Main

static void
s_usage (FILE *file)
{
    fprintf (file,
        "usage: bench_pipeline --gateway EP [options]\n"
        "The jobmatch pipeline's speed, end to end, against a running gateway.\n\n"
        "  --gateway EP        the gateway's client endpoint (tcp://127.0.0.1:5570)\n"
        "  --mode M            batch, single, latency, burst or all (default all)\n"
        "  --count N           candidates (batch, default 60000), requests (single,\n"
        "                      default 30000) or round trips (latency, default 2000)\n"
        "  --batch N           candidates per batch request (default 500, at most 1000)\n"
        "  --inflight N        requests outstanding (default 8 for batch, 512 for single)\n"
        "  --runs N            runs per figure, the median is reported (default 3)\n"
        "  --candidates FILE   profiles as JSON lines (ids replaced); default: generated\n"
        "  --data DIR          data dir with taxonomy.json, for generated profiles\n"
        "  --no-cached         skip the batch figure for cached profiles\n"
        "  --no-full           skip the batch runs asking the whole breakdown (detail full)\n"
        "  --gateway-pid PID   the gateway's process, for burst (its memory)\n"
        "  --burst N           requests in a burst (default: queue-max and a half)\n"
        "  --matcher-pid PID   a matcher's process, for its peak memory (repeatable)\n"
        "  --redis-pid PID     redis-server's process; with the others, CPU per candidate\n"
        "  --curve-server FILE CURVE: the gateway's public certificate (with --curve-cert)\n"
        "  --curve-cert FILE   CURVE: our own secret certificate\n");
}

int
main (int argc, char **argv)
{
    options_t options = { .gateway = NULL, .mode = "all", .batch = 500, .runs = 3, .cached = true,
                          .full = true };
    long count = 0;
    int inflight = 0;
    static struct option long_options [] = {
        { "gateway", required_argument, 0, 'g' }, { "mode", required_argument, 0, 'm' },
        { "count", required_argument, 0, 'n' }, { "batch", required_argument, 0, 'b' },
        { "inflight", required_argument, 0, 'i' }, { "runs", required_argument, 0, 'r' },
        { "candidates", required_argument, 0, 'c' }, { "data", required_argument, 0, 'd' },
        { "no-cached", no_argument, 0, 'C' }, { "help", no_argument, 0, 'h' },
        { "no-full", no_argument, 0, 'F' },
        { "gateway-pid", required_argument, 0, 'G' }, { "burst", required_argument, 0, 'B' },
        { "matcher-pid", required_argument, 0, 'M' }, { "redis-pid", required_argument, 0, 'R' },
        { "curve-server", required_argument, 0, 'S' }, { "curve-cert", required_argument, 0, 'K' },
        { 0, 0, 0, 0 }
    };
    int option;
    while ((option = getopt_long (argc, argv, "", long_options, NULL)) != -1) {
        switch (option) {
            case 'g': options.gateway = optarg; break;
            case 'm': options.mode = optarg; break;
            case 'n': count = atol (optarg); break;
            case 'b': options.batch = atoi (optarg); break;
            case 'i': inflight = atoi (optarg); break;
            case 'r': options.runs = atoi (optarg); break;
            case 'c': options.candidates = optarg; break;
            case 'd': options.data = optarg; break;
            case 'C': options.cached = false; break;
            case 'F': options.full = false; break;
            case 'G': options.gateway_pid = atoi (optarg); break;
            case 'B': options.burst = atol (optarg); break;
            case 'R': options.redis_pid = atoi (optarg); break;
            case 'S': options.curve_server = optarg; break;
            case 'K': options.curve_cert = optarg; break;
            case 'M':
                if (options.matcher_count == MAX_MATCHERS) {
                    s_usage (stderr);
                    return 2;
                }
                options.matcher_pids [options.matcher_count++] = atoi (optarg);
                break;
            case 'h': s_usage (stdout); return 0;
            default: s_usage (stderr); return 2;
        }
    }
    bool all = streq (options.mode, "all");
    if (!options.gateway || optind < argc
    ||  !(all || streq (options.mode, "batch") || streq (options.mode, "single")
          || streq (options.mode, "latency") || streq (options.mode, "burst"))
    ||  (streq (options.mode, "burst") && options.gateway_pid <= 0) || options.burst < 0
    ||  options.batch < 1 || options.batch > 1000 || options.runs < 1 || options.runs > MAX_RUNS
    ||  count < 0 || inflight < 0) {
        s_usage (stderr);
        return 2;
    }
    s_figures = (figures_t) { NAN, NAN, NAN, NAN, NAN, NAN, NAN, -1, -1, -1, { 0 } };
    for (int index = 0; index < MAX_MATCHERS; index++)
        s_figures.matcher_peak_mb [index] = NAN;
    zsys_handler_set (NULL);
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_curve_client_from (options.curve_server, options.curve_cert, &options.curve, &err)) {
        fprintf (stderr, "bench_pipeline: %s\n", err.message);
        return 2;
    }
    jm_mdp_client_t *client = jm_mdp_client_new_curve (options.gateway, options.curve, &err);
    if (!client) {
        fprintf (stderr, "bench_pipeline: %s\n", err.message);
        return 2;
    }
    pool_t pool;
    s_pool_load (&pool, &options);

    //  Is anyone serving?  (also warms up connections)
    char *reply = jm_mdp_client_request (client, "mmi.service", SERVICE, 5000, &err);
    if (!reply || strcmp (reply, "200") != 0)
        s_fail ("no %s service behind %s (%s)", SERVICE, options.gateway,
                reply? reply: err.message);
    free (reply);

    if (all || streq (options.mode, "latency")) {
        options.count = count? count: 2000;
        options.inflight = 1;
        s_bench_latency (client, &pool, &options);
    }
    if (all || streq (options.mode, "batch")) {
        options.count = count? count: 60000;
        options.inflight = inflight? inflight: 8;
        s_bench_batch (client, &pool, &options);
    }
    if (all || streq (options.mode, "single")) {
        options.count = count? count: 30000;
        options.inflight = inflight? inflight: 512;
        s_bench_single (client, &pool, &options);
    }
    if ((all || streq (options.mode, "burst")) && options.gateway_pid > 0)
        s_bench_burst (client, &pool, &options);
    s_read_matcher_memory (&options);
    if (all)
        s_print_summary (&options);
    fflush (stdout);
    s_pool_destroy (&pool);
    jm_mdp_client_destroy (&client);
    jm_curve_destroy (&options.curve);
    return 0;
}
