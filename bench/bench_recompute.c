/*  bench_recompute: full breakdowns recomputed from what Redis keeps, and
    how many a second one core makes (jm_recompute).

        bench_recompute [--data DIR] [--runs N] [--seconds S] < inputs

    Each input line is one JSON object: "job" (the job version's JSON text
    as the registry stores it: the job hash's json, or v:<version>),
    "version", "candidate" (the id), and "profile" (the stored profile's
    bytes in hex, packed or JSON).  Writes one line per input: the full
    breakdown (what jobmatch.match answered with "detail":"full"), or
    {"error": message} naming the line.  tests/integration/test_recompute.py
    feeds it what a stack stored and compares the bytes.

    With --runs N (default 0: none) it then recomputes every input again
    and again for --seconds (1) per run, N runs, and prints to stderr the
    median breakdowns per second and the bytes per breakdown.  Exits 0, or
    1 when an input could not be recomputed, 2 for bad options.          */
#include "bench_util.h"
#include "jm_engine.h"
#include "jm_recompute.h"

#include <czmq.h>
#include <stdio.h>

typedef struct {
    char *job;
    size_t job_len;
    int version;
    char *candidate;
    char *profile;
    size_t profile_len;
} s_input_t;

//  Decodes hex text into a new buffer; returns its length, or -1.
static long
s_unhex (const char *hex, char **out)
{
    size_t len = strlen (hex);
    if (len % 2)
        return -1;
    *out = malloc (len / 2 + 1);
    for (size_t i = 0; i < len / 2; i++) {
        unsigned int byte;
        if (sscanf (hex + 2 * i, "%2x", &byte) != 1) {
            free (*out);
            return -1;
        }
        (*out) [i] = (char) byte;
    }
    return (long) (len / 2);
}

//  Reads one input line; returns 0, or -1 with a message on stderr.
static int
s_input_read (const char *line, int number, s_input_t *input)
{
    json_error_t error;
    json_t *object = json_loads (line, 0, &error);
    const char *job = NULL, *candidate = NULL, *profile = NULL;
    int version = 0;
    if (!object || json_unpack (object, "{s:s, s:i, s:s, s:s}", "job", &job, "version", &version,
                                "candidate", &candidate, "profile", &profile)) {
        fprintf (stderr, "bench_recompute: line %d: needs job, version, candidate and profile\n",
                 number);
        json_decref (object);
        return -1;
    }
    long len = s_unhex (profile, &input->profile);
    if (len < 0) {
        fprintf (stderr, "bench_recompute: line %d: profile is not hex\n", number);
        json_decref (object);
        return -1;
    }
    input->profile_len = (size_t) len;
    input->job = strdup (job);
    input->job_len = strlen (job);
    input->version = version;
    input->candidate = strdup (candidate);
    json_decref (object);
    return 0;
}

//  Recomputes one input into out; returns 0, or -1 with err set.
static int
s_recompute (jm_recompute_t *recompute, const s_input_t *input, jm_buf_t *out, jm_error_t *err)
{
    const jm_job_t *job = jm_recompute_job (recompute, input->job, input->job_len, input->version,
                                            err);
    return job && jm_recompute_full (recompute, job, input->candidate, input->profile,
                                     input->profile_len, out, err) >= 0 ? 0 : -1;
}

int
main (int argc, char *argv [])
{
    const char *data = NULL;
    int runs = 0;
    double seconds = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--data") == 0 && i + 1 < argc)
            data = argv [++i];
        else
        if (strcmp (argv [i], "--runs") == 0 && i + 1 < argc)
            runs = atoi (argv [++i]);
        else
        if (strcmp (argv [i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof (argv [++i]);
        else {
            fprintf (stderr, "usage: bench_recompute [--data DIR] [--runs N] [--seconds S] < inputs\n");
            return 2;
        }
    }
    if (runs < 0 || runs > BENCH_MAX_RUNS || !(seconds > 0 && seconds <= 600)) {
        fprintf (stderr, "bench_recompute: --runs is 0 to %d, --seconds above 0 to 600\n",
                 BENCH_MAX_RUNS);
        return 2;
    }
    jm_error_t err;
    jm_error_clear (&err);
    jm_engine_t *engine = jm_engine_new (data, &err);
    if (!engine) {
        fprintf (stderr, "bench_recompute: %s\n", err.message);
        return 2;
    }
    jm_recompute_t *recompute = jm_recompute_new (jm_engine_taxonomy (engine));
    size_t count = 0, room = 64;
    s_input_t *inputs = calloc (room, sizeof *inputs);
    char *line = NULL;
    size_t line_room = 0;
    int status = 0, number = 0;
    jm_buf_t out;
    jm_buf_init (&out);
    while (getline (&line, &line_room, stdin) > 0) {
        number++;
        if (count == room)
            inputs = realloc (inputs, (room *= 2) * sizeof *inputs);
        if (s_input_read (line, number, &inputs [count])) {
            status = 1;
            printf ("{\"error\":\"line %d is not an input\"}\n", number);
            continue;
        }
        jm_buf_reset (&out);
        jm_error_clear (&err);
        if (s_recompute (recompute, &inputs [count], &out, &err)) {
            status = 1;
            jm_buf_reset (&out);
            jm_buf_puts (&out, "{\"error\":");
            jm_buf_json_str (&out, err.message);
            jm_buf_puts (&out, "}");
        }
        printf ("%.*s\n", (int) out.len, out.data);
        count++;
    }
    free (line);
    fflush (stdout);
    double rates [BENCH_MAX_RUNS];
    size_t bytes = 0, made = 0;
    for (int run = 0; run < runs && count; run++) {
        int64_t start = zclock_usecs (), now = start;
        size_t done = 0;
        while (now - start < (int64_t) (seconds * 1e6)) {
            for (size_t i = 0; i < count; i++) {
                jm_buf_reset (&out);
                if (s_recompute (recompute, &inputs [i], &out, NULL) == 0) {
                    bytes += out.len;
                    made++;
                }
            }
            done += count;
            now = zclock_usecs ();
        }
        rates [run] = (double) done / ((double) (now - start) / 1e6);
    }
    if (runs && count)
        fprintf (stderr, "recompute: %.0f breakdowns/s on one core (median of %d runs of %.1f s, "
                 "%zu inputs), %.0f bytes each\n", bench_median (rates, runs), runs, seconds,
                 count, made ? (double) bytes / (double) made : 0);
    for (size_t i = 0; i < count; i++) {
        free (inputs [i].job);
        free (inputs [i].candidate);
        free (inputs [i].profile);
    }
    free (inputs);
    jm_buf_free (&out);
    jm_recompute_destroy (&recompute);
    jm_engine_destroy (&engine);
    return status;
}
