/*  bench_engine: the skill engine's speed on one core.

    Prints the median of several rounds for: score-only and explained
    candidate-job pairs per second, one candidate against 1,000 jobs ranked,
    normalizing a 15-skill profile, rendering a result as JSON, and résumé
    reading (jm_resume_read, every stage) in MB/s, on plain and HTML text,
    with its first two stages (cleaning, scan) alone.  Profiles and jobs are
    generated from the real taxonomy with a fixed seed, so runs are
    comparable.

    Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other
    processes sharing the core do not count; run under `taskset -c 0`.
    JM_BENCH_QUICK=1 runs each part once with 1/20 of the work, for
    counting instructions: `valgrind --tool=callgrind` then each s_bench_*
    function's inclusive cost divided by the work it reports.              */
#include "bench_util.h"
#include "jm_engine.h"
#include "jm_extract.h"
#include "jm_json.h"
#include "jm_resume.h"
#include "jm_text.h"

#include <assert.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS_FULL 7

static int s_rounds = ROUNDS_FULL;
static int s_scale = 1;         //  work divisor: 20 in quick mode

static uint64_t s_seed = 0x9E3779B97F4A7C15ULL;

static uint32_t
s_random (void)
{
    return bench_random (&s_seed);
}

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

//  A candidate object of `count` skills written the way people do
static json_t *
s_make_candidate (const jm_taxonomy_t *taxonomy, int number, int count)
{
    static const char *suffixes [] = { "", "", "", " 3", " (primary)", "", " advanced", "" };
    json_t *skills = json_array ();
    int size = jm_taxonomy_size (taxonomy);
    for (int i = 0; i < count; i++) {
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, (int) (s_random () % (uint32_t) size));
        char name [128];
        snprintf (name, sizeof name, "%s%s", skill->name, suffixes [s_random () % 8]);
        if (s_random () % 3 == 0)
            json_array_append_new (skills, json_pack ("{s:s, s:i, s:f}", "name", name,
                                   "level", 1 + (int) (s_random () % 5), "years", (double) (s_random () % 10)));
        else
            json_array_append_new (skills, json_string (name));
    }
    char id [32];
    snprintf (id, sizeof id, "bench-%06d", number);
    return json_pack ("{s:s, s:o}", "id", id, "skills", skills);
}

static jm_job_t *
s_make_job (const jm_taxonomy_t *taxonomy, int number)
{
    static const char *importance [] = { "required", "required", "preferred", "nice-to-have" };
    json_t *requirements = json_array ();
    int size = jm_taxonomy_size (taxonomy);
    for (int r = 0; r < 14; r++) {
        json_t *item;
        if (r % 5 == 0) {
            json_t *members = json_array ();
            int first = (int) (s_random () % (uint32_t) (size - 6));
            for (int m = 0; m < 5; m++)
                json_array_append_new (members, json_string (jm_taxonomy_skill (taxonomy, first + m)->id));
            item = json_pack ("{s:o}", "any_of", members);
        }
        else
            item = json_pack ("{s:s}", "skill",
                              jm_taxonomy_skill (taxonomy, (int) (s_random () % (uint32_t) size))->id);
        json_object_set_new (item, "weight", json_integer (1 + (int) (s_random () % 5)));
        json_object_set_new (item, "importance", json_string (importance [s_random () % 4]));
        //  about 1 requirement in 12 asks for a level, as in the built-in profiles
        if (s_random () % 12 == 0)
            json_object_set_new (item, "min_level", json_integer (2 + (int) (s_random () % 3)));
        json_array_append_new (requirements, item);
    }
    char id [32];
    snprintf (id, sizeof id, "job-%04d", number);
    json_t *object = json_pack ("{s:s, s:o}", "id", id, "requirements", requirements);
    jm_error_t err;
    jm_error_clear (&err);
    jm_job_t *job = jm_job_new_from_json (object, taxonomy, &err);
    if (!job)
        fprintf (stderr, "bench job: %s\n", err.message);    //  duplicate any_of members: skip
    json_decref (object);
    return job;
}

//  1. score only
static __attribute__ ((noinline)) double
s_bench_score_only (const jm_job_t *job, jm_candidate_t **candidates, int count, int repeats)
{
    double sink = 0;
    for (int repeat = 0; repeat < repeats; repeat++)
        for (int i = 0; i < count; i++)
            sink += jm_score_fast (job, candidates [i]);
    return sink;
}

//  2. with the per-requirement breakdown
static __attribute__ ((noinline)) double
s_bench_breakdown (const jm_job_t *job, jm_candidate_t **candidates, int count, int repeats)
{
    double sink = 0;
    jm_result_t result;
    for (int repeat = 0; repeat < repeats; repeat++)
        for (int i = 0; i < count; i++) {
            jm_score_explain (job, candidates [i], &result);
            sink += result.score;
        }
    return sink;
}

//  3. breakdown rendered as JSON
static __attribute__ ((noinline)) double
s_bench_json (const jm_engine_t *engine, const jm_job_t *job, jm_candidate_t **candidates, int count,
              jm_buf_t *out)
{
    double sink = 0;
    for (int i = 0; i < count; i++) {
        jm_buf_reset (out);
        jm_result_t result;
        jm_score_explain (job, candidates [i], &result);
        jm_result_write_json (&result, job, candidates [i], out);
        sink += result.score;
    }
    return sink;
}

//  4. one candidate against every indexed job, ranked
static __attribute__ ((noinline)) double
s_bench_rank (const jm_job_index_t *index, jm_candidate_t **candidates, int count, jm_ranked_t *ranked)
{
    double sink = 0;
    for (int i = 0; i < count; i++) {
        jm_job_index_rank (index, candidates [i], ranked);
        sink += ranked [0].score;
    }
    return sink;
}

//  The skill names of one profile, as written, side by side in one block
//  the way a request's parser leaves them
typedef struct {
    int count;
    uint16_t starts [16], lengths [16];
    char text [640];
} s_names_t;

//  5. normalizing 15 names into a candidate skill set, parse-free: each
//  name through the normalizer (fold, alias tables, stripping versions and
//  qualifiers), then the set the scorer reads: bitset and sorted skill
//  ids.  Profiles follow
//  each other through all 1,000, so the alias tables see mixed names.
static __attribute__ ((noinline)) double
s_bench_normalize (const jm_taxonomy_t *taxonomy, const s_names_t *profiles, int count)
{
    double sink = 0;
    for (int i = 0; i < count; i++) {
        const s_names_t *profile = &profiles [i];
        uint64_t has [JM_SKILL_WORDS] = { 0 };
        uint16_t ids [16];
        int id_count = 0;
        for (int k = 0; k < profile->count; k++) {
            jm_lookup_t found = jm_normalize_lookup (taxonomy, profile->text + profile->starts [k],
                                                     profile->lengths [k]);
            if (found.skill < 0 || (has [found.skill / 64] >> (found.skill % 64) & 1))
                continue;
            has [found.skill / 64] |= 1ULL << (found.skill % 64);
            int at = id_count++;
            while (at > 0 && ids [at - 1] > found.skill) {
                ids [at] = ids [at - 1];
                at--;
            }
            ids [at] = (uint16_t) found.skill;
        }
        sink += id_count + (double) has [0] + ids [0];
    }
    return sink;
}

//  5b. the whole candidate from its parsed JSON object: validation, copies
//  of names as written, merging, fingerprint and skill set
static __attribute__ ((noinline)) double
s_bench_candidate (const jm_engine_t *engine, json_t **objects, int count)
{
    double sink = 0;
    for (int i = 0; i < count; i++) {
        jm_candidate_t *candidate = jm_engine_candidate (engine, objects [i], NULL);
        sink += candidate->skill_count;
        jm_candidate_destroy (&candidate);
    }
    return sink;
}

//  5c. a request body of 500 candidates read by jm_json (the matcher's
//  path) and by jansson; returns the seconds each took
static __attribute__ ((noinline)) void
s_bench_body (const char *body, size_t len, double *ours, double *theirs)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    double start = s_now ();
    const jm_json_t *root = jm_json_doc_parse (doc, body, len, NULL);
    *ours = s_now () - start;
    assert (root && jm_json_count (jm_json_get (root, "candidates")) == 500);
    (void) root;                //  used only by the assert under -DNDEBUG
    start = s_now ();
    json_t *tree = json_loadb (body, len, 0, NULL);
    *theirs = s_now () - start;
    assert (tree);
    json_decref (tree);
    jm_json_doc_destroy (&doc);
}

//  6. résumé reading, end to end: cleaning, scan, lists, ambiguity, context, evidence
static __attribute__ ((noinline)) long
s_bench_read (const jm_extractor_t *extractor, const char *text, size_t len)
{
    jm_found_t *found = NULL;
    long count = jm_resume_read (extractor, text, len, &found, NULL);
    free (found);
    return count;
}

//  The first two stages of résumé reading alone, on the same résumés, so
//  their share stands apart from the later stages': text cleaning
//  (jm_text_clean) and the scan (jm_extractor_scan_into on the plain text)
static void
s_bench_stages (const jm_extractor_t *extractor, const char *corpus, const size_t *starts, int count)
{
    const jm_taxonomy_t *taxonomy = jm_extractor_taxonomy (extractor);
    size_t bytes = starts [count] - starts [0];
    double clean [ROUNDS_FULL], scan [ROUNDS_FULL];
    jm_text_t *plain = calloc ((size_t) count, sizeof (jm_text_t));
    assert (plain);
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        for (int repeat = 0; repeat < 20; repeat++)
            for (int r = 0; r < count; r++) {
                jm_text_free (&plain [r]);
                jm_text_clean (corpus + starts [r], starts [r + 1] - starts [r], taxonomy, &plain [r], NULL);
            }
        clean [round] = 20.0 * (double) bytes / (s_now () - start) / 1e6;
    }
    jm_mention_t *mentions = NULL;
    size_t capacity = 0;
    long found = 0;
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        for (int repeat = 0; repeat < 20; repeat++)
            for (int r = 0; r < count; r++)
                found += jm_extractor_scan_into (extractor, plain [r].text, plain [r].len,
                                                 &mentions, &capacity, NULL);
        scan [round] = 20.0 * (double) bytes / (s_now () - start) / 1e6;
    }
    printf ("extraction, stages:  %12.1f MB/s  cleaning, %.1f MB/s scan (the same résumés, each stage alone; %ld mentions before the later stages)\n",
            bench_median (clean, s_rounds), bench_median (scan, s_rounds), found / s_rounds / 20);
    free (mentions);
    for (int r = 0; r < count; r++)
        jm_text_free (&plain [r]);
    free (plain);
}

int
main (int argc, char **argv)
{
    if (getenv ("JM_BENCH_QUICK") && atoi (getenv ("JM_BENCH_QUICK")) > 0) {
        s_rounds = 1;
        s_scale = 20;
    }
    jm_error_t err;
    jm_error_clear (&err);
    jm_engine_t *engine = jm_engine_new (argc > 1 ? argv [1] : NULL, &err);
    if (!engine) {
        fprintf (stderr, "bench_engine: %s\n", err.message);
        return 2;
    }
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    const jm_job_t *job = jm_engine_job (engine, JM_DEFAULT_JOB);
    if (!job) {
        fprintf (stderr, "bench_engine: no %s job\n", JM_DEFAULT_JOB);
        return 2;
    }
    enum { CANDIDATES = 1000 };
    static json_t *objects [CANDIDATES];
    static jm_candidate_t *candidates [CANDIDATES];
    static s_names_t profiles [CANDIDATES];
    for (int i = 0; i < CANDIDATES; i++) {
        objects [i] = s_make_candidate (taxonomy, i, 15);
        candidates [i] = jm_engine_candidate (engine, objects [i], NULL);
        size_t k, used = 0;
        json_t *item;
        json_array_foreach (json_object_get (objects [i], "skills"), k, item) {
            json_t *name = json_is_object (item) ? json_object_get (item, "name") : item;
            size_t len = json_string_length (name);
            if (k >= 16 || used + len + 1 > sizeof profiles [i].text)
                break;
            memcpy (profiles [i].text + used, json_string_value (name), len + 1);
            profiles [i].starts [k] = (uint16_t) used;
            profiles [i].lengths [k] = (uint16_t) len;
            profiles [i].count++;
            used += len + 1;
        }
    }
    printf ("engine: taxonomy %s, %d skills; job %s, %d requirements%s\n", jm_taxonomy_version (taxonomy),
            jm_taxonomy_size (taxonomy), jm_job_id (job), jm_job_requirement_count (job),
            s_scale > 1 ? " (quick: one round, 1/20 of the work)" : "");
    double rounds [ROUNDS_FULL];
    volatile double sink = 0;

    int repeats = 2000 / s_scale;
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        sink += s_bench_score_only (job, candidates, CANDIDATES, repeats);
        rounds [round] = (double) repeats * CANDIDATES / (s_now () - start);
    }
    printf ("score only:          %12.0f pairs/s  (target >= 10,000,000)\n", bench_median (rounds, s_rounds));

    repeats = 200 / s_scale;
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        sink += s_bench_breakdown (job, candidates, CANDIDATES, repeats);
        rounds [round] = (double) repeats * CANDIDATES / (s_now () - start);
    }
    printf ("with breakdown:      %12.0f pairs/s  (target >= 1,000,000)\n", bench_median (rounds, s_rounds));

    jm_buf_t out;
    jm_buf_init (&out);
    int count = CANDIDATES / s_scale;
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        sink += s_bench_json (engine, job, candidates, count, &out);
        rounds [round] = count / (s_now () - start);
    }
    printf ("breakdown + JSON:    %12.0f results/s (%zu bytes each)\n", bench_median (rounds, s_rounds), out.len);
    jm_buf_free (&out);

    enum { JOBS = 1000 };
    static jm_job_t *jobs [JOBS];
    int job_count = 0;
    while (job_count < JOBS) {
        jm_job_t *made = s_make_job (taxonomy, job_count);
        if (made)
            jobs [job_count++] = made;
    }
    static jm_ranked_t ranked [JOBS];
    jm_job_index_t *index = jm_job_index_new ((const jm_job_t * const *) jobs, JOBS);
    count = 100 / (s_scale > 1 ? 10 : 1);
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        sink += s_bench_rank (index, candidates, count, ranked);
        rounds [round] = (s_now () - start) / count * 1e3;
    }
    printf ("1 candidate x 1,000 jobs ranked: %.3f ms  (target < 0.2 ms)\n", bench_median (rounds, s_rounds));
    //  the index agrees with scoring job by job
    for (int i = 0; i < 100; i++) {
        jm_job_index_rank (index, candidates [i], ranked);
        for (int j = 0; j < JOBS; j++)
            if (ranked [j].score != jm_score_fast (jobs [ranked [j].job], candidates [i])
            ||  (j > 0 && ranked [j].score > ranked [j - 1].score)) {
                fprintf (stderr, "bench_engine: index and fast path disagree\n");
                return 1;
            }
    }
    jm_job_index_destroy (&index);

    count = CANDIDATES / s_scale;
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        sink += s_bench_normalize (taxonomy, profiles, count);
        rounds [round] = (s_now () - start) / count * 1e6;
    }
    printf ("normalize 15 skills: %12.2f us/profile  (target < 2 us; names to skill set)\n",
            bench_median (rounds, s_rounds));
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        sink += s_bench_candidate (engine, objects, count);
        rounds [round] = (s_now () - start) / count * 1e6;
    }
    printf ("candidate from JSON: %12.2f us/profile  (parsed object: validation, copies, fingerprint)\n",
            bench_median (rounds, s_rounds));

    json_t *request = json_pack ("{s:[]}", "candidates");
    for (int i = 0; i < 500; i++)
        json_array_append (json_object_get (request, "candidates"), objects [i % CANDIDATES]);
    char *body = json_dumps (request, JSON_COMPACT);
    size_t body_len = strlen (body);
    double theirs [ROUNDS_FULL];
    for (int round = 0; round < s_rounds; round++) {
        s_bench_body (body, body_len, &rounds [round], &theirs [round]);
        rounds [round] = (double) body_len / rounds [round] / 1e6;
        theirs [round] = (double) body_len / theirs [round] / 1e6;
    }
    printf ("request body read:   %12.1f MB/s  (jm_json; jansson %.1f MB/s; 500 candidates, %zu KB)\n",
            bench_median (rounds, s_rounds), bench_median (theirs, s_rounds), body_len / 1024);
    free (body);
    json_decref (request);

    const char *sentences [] = {
        "Built REST APIs in Node.js and Express, backed by PostgreSQL and Redis. ",
        "I go to great lengths to write clear code and the rest of the team agrees. ",
        "Deployed Django services on Kubernetes with Docker, GitLab CI/CD and Terraform. ",
        "Worked on HTML/CSS/JS front ends, then moved to Java and Spring Boot micro-services. ",
        "Maintained C#/.NET applications with SQL Server, IIS and Azure DevOps pipelines. ",
    };
    //  The same sentences as one plain text and as HTML résumés of about
    //  16 KB each (the size a service reads; one 4 MB HTML text would time
    //  the kernel handing out fresh pages): list items and paragraphs, '&'
    //  and '#' as entities, a head with a title and a style.
    jm_buf_t text, html;
    jm_buf_init (&text);
    jm_buf_init (&html);
    static const char *head = "<!DOCTYPE html>\n<html><head><title>CV</title>"
                              "<style>p { margin: 0 }</style></head><body>\n";
    static const char *tail = "</body></html>\n";
    size_t resume_starts [1024 + 1];
    int resumes = 0;
    while (text.len < (size_t) (4 << 20) / (size_t) s_scale) {
        const char *sentence = sentences [s_random () % 5];
        jm_buf_puts (&text, sentence);
        if (resumes == 0 || html.len - resume_starts [resumes - 1] >= 16 * 1024) {
            if (resumes > 0)
                jm_buf_puts (&html, tail);
            assert (resumes < 1024);
            resume_starts [resumes++] = html.len;
            jm_buf_puts (&html, head);
        }
        bool item = s_random () % 4;
        jm_buf_puts (&html, item ? "<li><span>" : "<p class=\"job\"><b>");
        for (const char *c = sentence; *c; c++)
            if (*c == '&')
                jm_buf_puts (&html, "&amp;");
            else
            if (*c == '#')
                jm_buf_puts (&html, "&#35;");
            else
                jm_buf_append (&html, c, 1);
        jm_buf_puts (&html, item ? "</span></li>\n" : "</b></p>\n");
    }
    jm_buf_puts (&html, tail);
    resume_starts [resumes] = html.len;
    long found = 0;
    for (int round = 0; round < s_rounds; round++) {
        double start = s_now ();
        found = s_bench_read (jm_engine_extractor (engine), text.data, text.len);
        rounds [round] = (double) text.len / (s_now () - start) / 1e6;
    }
    printf ("extraction, dense:   %12.1f MB/s  (no target; jm_resume_read, every stage; %ld mentions in %.1f MB: one every %.0f bytes)\n",
            bench_median (rounds, s_rounds), found, (double) text.len / 1e6, (double) text.len / (double) (found ? found : 1));
    //  résumés as they come: the evaluation set's 70 (plain, PDF text, HTML,
    //  Markdown; English, German, Spanish, French), each read on its own
    glob_t files;
    jm_buf_t corpus;
    jm_buf_init (&corpus);
    size_t starts [257] = { 0 };
    int resume_count = 0;
    if (glob ("tests/eval/resumes/*.[thm][xtd]*", 0, NULL, &files) == 0) {
        for (size_t f = 0; f < files.gl_pathc && resume_count < 256; f++) {
            if (strstr (files.gl_pathv [f], ".json"))
                continue;
            FILE *file = fopen (files.gl_pathv [f], "rb");
            if (!file)
                continue;
            char chunk [4096];
            size_t got;
            starts [resume_count] = corpus.len;
            while ((got = fread (chunk, 1, sizeof chunk, file)) > 0)
                jm_buf_append (&corpus, chunk, got);
            fclose (file);
            resume_count++;
        }
        globfree (&files);
    }
    starts [resume_count] = corpus.len;
    if (resume_count > 0) {
        for (int round = 0; round < s_rounds; round++) {
            found = 0;
            double start = s_now ();
            for (int repeat = 0; repeat < 20; repeat++)
                for (int r = 0; r < resume_count; r++)
                    found += s_bench_read (jm_engine_extractor (engine), corpus.data + starts [r],
                                           starts [r + 1] - starts [r]);
            rounds [round] = 20.0 * (double) corpus.len / (s_now () - start) / 1e6;
        }
        printf ("extraction:          %12.1f MB/s  (target >= 200; jm_resume_read, every stage, of %d résumés from tests/eval, %.0f KB, one mention every %.0f bytes)\n",
                bench_median (rounds, s_rounds), resume_count, (double) corpus.len / 1e3,
                20.0 * (double) corpus.len / (double) (found ? found : 1));
        s_bench_stages (jm_engine_extractor (engine), corpus.data, starts, resume_count);
    }
    else
        printf ("extraction:          no résumés in tests/eval/resumes (run from the repository)\n");
    jm_buf_free (&corpus);
    for (int round = 0; round < s_rounds; round++) {
        found = 0;
        double start = s_now ();
        for (int r = 0; r < resumes; r++)
            found += s_bench_read (jm_engine_extractor (engine), html.data + resume_starts [r],
                                   resume_starts [r + 1] - resume_starts [r]);
        rounds [round] = (double) html.len / (s_now () - start) / 1e6;
    }
    printf ("extraction, HTML:    %12.1f MB/s  (jm_resume_read of %d HTML résumés of ~16 KB, every stage; %ld mentions in %.1f MB of HTML)\n",
            bench_median (rounds, s_rounds), resumes, found, (double) html.len / 1e6);
    jm_buf_free (&text);
    jm_buf_free (&html);

    for (int j = 0; j < JOBS; j++)
        jm_job_destroy (&jobs [j]);
    for (int i = 0; i < CANDIDATES; i++) {
        jm_candidate_destroy (&candidates [i]);
        json_decref (objects [i]);
    }
    jm_engine_destroy (&engine);
    return sink < 0;
}
