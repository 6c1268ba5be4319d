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

    With --generate N it makes its own inputs instead of reading them: N
    candidates of 12 to 20 skills with levels, years and last use, every
    third with a résumé of tests/eval/resumes (when found next to the data
    directory), scored against the built-in jobs in turn; it writes no
    breakdowns then (bench/bench_recompute.sh, part of make bench).

    With --runs N (default 0: none) it then recomputes every input again
    and again for --seconds (1) per run, N runs, and prints to stderr the
    median breakdowns per second and the bytes per breakdown.  Exits 0, or
    1 when an input could not be recomputed, 2 for bad options.          */
#include "bench_util.h"
#include "jm_alloc.h"
#include "jm_engine.h"
#include "jm_profile_pack.h"
#include "jm_recompute.h"

#include <czmq.h>
#include <dirent.h>
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
    *out = jm_malloc (len / 2 + 1);
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

//  A résumé of tests/eval/resumes (the serial-th text file found), or NULL
static char *
s_resume (const char *data, int serial)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/../tests/eval/resumes", data);
    DIR *dir = opendir (path);
    if (!dir)
        return NULL;
    struct dirent *entry;
    int seen = 0;
    char *text = NULL;
    while (!text && (entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len < 5 || entry->d_name [0] == '.' || strcmp (entry->d_name + len - 5, ".json") == 0)
            continue;
        if (seen++ < serial)
            continue;
        char file [1400];
        snprintf (file, sizeof file, "%s/%s", path, entry->d_name);
        FILE *handle = fopen (file, "rb");
        if (!handle)
            continue;
        text = jm_calloc (1, 1 << 16);
        size_t got = fread (text, 1, (1 << 16) - 1, handle);
        text [got] = '\0';
        fclose (handle);
    }
    closedir (dir);
    return text;
}

//  Makes count inputs from generated candidates and the built-in jobs.
static s_input_t *
s_generate (jm_engine_t *engine, const char *data, size_t count)
{
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    s_input_t *inputs = jm_calloc (count + 1, sizeof *inputs);
    uint64_t seed = 7;
    int resumes = 0;
    for (size_t i = 0; i < count; i++) {
        json_t *skills = json_array ();
        int wanted = 12 + (int) (bench_random (&seed) % 9);
        for (int s = 0; s < wanted; s++) {
            uint32_t r = bench_random (&seed);
            const char *name = jm_taxonomy_skill (taxonomy, (int) (r % (uint32_t) jm_taxonomy_size (taxonomy)))->name;
            json_array_append_new (skills, json_pack ("{s:s, s:i, s:i, s:i}", "name", name,
                "level", 1 + (int) (r % 5), "years", (int) (r / 5 % 12), "last_used", 2015 + (int) (r % 11)));
        }
        char id [32];
        snprintf (id, sizeof id, "gen-%zu", i);
        json_t *object = json_pack ("{s:s, s:s, s:i, s:o}", "id", id, "name", "Ann Lee",
                                    "years_experience", (int) (i % 25), "skills", skills);
        char *resume = i % 3 == 0 ? s_resume (data, resumes++ % 70) : NULL;
        if (resume)
            json_object_set_new (object, "resume", json_string (resume));
        free (resume);
        jm_candidate_t *candidate = jm_engine_candidate (engine, object, NULL);
        json_decref (object);
        assert (candidate);
        jm_buf_t packed;
        jm_buf_init (&packed);
        jm_profile_pack (candidate, taxonomy, &packed);
        const jm_job_t *job = jm_engine_job_at (engine, (int) (i % (size_t) jm_engine_job_count (engine)));
        json_t *stored = jm_job_to_json (job);
        json_object_del (stored, "version");
        inputs [i].job = json_dumps (stored, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref (stored);
        inputs [i].job_len = strlen (inputs [i].job);
        inputs [i].version = 1;
        inputs [i].candidate = strdup (id);
        inputs [i].profile = jm_malloc (packed.len);
        memcpy (inputs [i].profile, packed.data, packed.len);
        inputs [i].profile_len = packed.len;
        jm_buf_free (&packed);
        jm_candidate_destroy (&candidate);
    }
    return inputs;
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

//  One timed pass over the inputs
typedef struct {
    jm_recompute_t *recompute;
    const s_input_t *inputs;
    size_t count;
    jm_candidate_t **built;     //  candidates built once, or NULL: from the stored bytes
    jm_buf_t *out;
    size_t bytes, made;         //  breakdowns made and their bytes
} s_timed_t;

//  Breakdowns per second over the inputs again and again for seconds.
static double
s_rate (s_timed_t *timed, double seconds)
{
    int64_t start = zclock_usecs (), now = start;
    size_t done = 0;
    while (now - start < (int64_t) (seconds * 1e6)) {
        for (size_t i = 0; i < timed->count; i++) {
            const s_input_t *input = &timed->inputs [i];
            jm_buf_reset (timed->out);
            if (!timed->built) {
                if (s_recompute (timed->recompute, input, timed->out, NULL) == 0) {
                    timed->bytes += timed->out->len;
                    timed->made++;
                }
                continue;
            }
            const jm_job_t *job = jm_recompute_job (timed->recompute, input->job, input->job_len,
                                                    input->version, NULL);
            if (job && timed->built [i]) {
                jm_result_t result;
                jm_score_explain (job, timed->built [i], &result);
                jm_result_write_json (&result, job, timed->built [i], timed->out);
            }
        }
        done += timed->count;
        now = zclock_usecs ();
    }
    return (double) done / ((double) (now - start) / 1e6);
}

int
main (int argc, char *argv [])
{
    const char *data = NULL;
    int runs = 0, generate = 0;
    double seconds = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--data") == 0 && i + 1 < argc)
            data = argv [++i];
        else
        if (strcmp (argv [i], "--generate") == 0 && i + 1 < argc)
            generate = atoi (argv [++i]);
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
    if (runs < 0 || runs > BENCH_MAX_RUNS || !(seconds > 0 && seconds <= 600)
    ||  generate < 0 || generate > 1000000) {
        fprintf (stderr, "bench_recompute: --runs is 0 to %d, --seconds above 0 to 600, "
                 "--generate 0 to 1000000\n", BENCH_MAX_RUNS);
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
    s_input_t *inputs = NULL;
    if (generate) {
        inputs = s_generate (engine, data ? data : jm_data_dir_find (), (size_t) generate);
        count = (size_t) generate;
    }
    else
        inputs = jm_calloc (room, sizeof *inputs);
    char *line = NULL;
    size_t line_room = 0;
    int status = 0, number = 0;
    jm_buf_t out;
    jm_buf_init (&out);
    while (!generate && getline (&line, &line_room, stdin) > 0) {
        number++;
        if (count == room)
            inputs = jm_realloc (inputs, (room *= 2) * sizeof *inputs);
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
    //  every breakdown from the stored bytes; then the same from candidates
    //  built once: what reading the stored profile costs is the difference
    s_timed_t timed = { recompute, inputs, count, NULL, &out, 0, 0 };
    double rates [BENCH_MAX_RUNS], written [BENCH_MAX_RUNS];
    for (int run = 0; run < runs && count; run++)
        rates [run] = s_rate (&timed, seconds);
    size_t bytes = timed.bytes, made = timed.made;
    jm_candidate_t **built = jm_calloc (count + 1, sizeof *built);
    for (size_t i = 0; runs && i < count; i++)
        built [i] = jm_recompute_candidate (recompute, inputs [i].profile, inputs [i].profile_len, NULL);
    timed.built = built;
    for (int run = 0; run < runs && count; run++)
        written [run] = s_rate (&timed, seconds);
    for (size_t i = 0; i < count; i++)
        jm_candidate_destroy (&built [i]);
    free (built);
    if (runs && count)
        fprintf (stderr, "recompute: %.0f breakdowns/s on one core (median of %d runs of %.1f s, "
                 "%zu inputs), %.0f bytes each; from candidates already built (score and write "
                 "only): %.0f /s\n", bench_median (rates, runs), runs, seconds, count,
                 made ? (double) bytes / (double) made : 0, bench_median (written, runs));
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
