/*  fuzz_match_request: a jobmatch.match request body, read the way the
    matcher reads it (services/jobmatch-matcher/batch.c s_parse_request):
    jm_json parses the body, jm_candidate builds each candidate (skills,
    resume through jm_extract), then each is scored against the built-in
    jobs and its stored profile is written and read back.

    Checks beyond "no crash": the fast score equals the explained score, a
    score is within 0..100, and a profile read back has the fingerprint of
    the candidate it was written from and gives the same breakdown, byte
    for byte (jm_candidate.h and jm_recompute.h promise these).            */
#include "fuzz_common.h"
#include "jm_buf.h"
#include "jm_candidate.h"
#include "jm_extract.h"
#include "jm_job.h"
#include "jm_json.h"
#include "jm_score.h"

#include <dirent.h>
#include <math.h>

#define MAX_JOBS 8

static jm_json_doc_t *s_doc, *s_profile_doc;
static jm_extractor_t *s_extractor;
static jm_job_t *s_jobs [MAX_JOBS];
static int s_job_count;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    jm_taxonomy_t *taxonomy = fuzz_taxonomy ();
    s_extractor = jm_extractor_new (taxonomy);
    s_doc = jm_json_doc_new ();
    s_profile_doc = jm_json_doc_new ();
    char folder [4096];
    snprintf (folder, sizeof folder, "%s/jobs", fuzz_data_dir ());
    DIR *dir = opendir (folder);
    struct dirent *entry;
    while (dir && (entry = readdir (dir)) && s_job_count < MAX_JOBS) {
        if (!strstr (entry->d_name, ".json"))
            continue;
        char path [4400];
        snprintf (path, sizeof path, "%s/%s", folder, entry->d_name);
        jm_job_t *job = jm_job_load (path, taxonomy, NULL);
        if (job)
            s_jobs [s_job_count++] = job;
    }
    if (dir)
        closedir (dir);
    return 0;
}

static void
s_candidate (const jm_json_t *object)
{
    const jm_taxonomy_t *taxonomy = fuzz_taxonomy ();
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = jm_candidate_new_from_value (object, taxonomy, s_extractor, &err);
    if (!candidate) {
        FUZZ_CHECK (jm_error_is_set (&err), "a refusal must say why");
        return;
    }
    jm_buf_t out;
    jm_buf_init (&out);
    for (int j = 0; j < s_job_count; j++) {
        jm_result_t result;
        jm_score_explain (s_jobs [j], candidate, &result);
        double fast = jm_score_fast (s_jobs [j], candidate);
        FUZZ_CHECK (fast == result.score, "the fast score equals the explained score");
        FUZZ_CHECK (result.score >= 0 && result.score <= 100, "a score is within 0..100");
        jm_buf_reset (&out);
        jm_result_write_json (&result, s_jobs [j], candidate, &out);
    }
    //  the stored profile reads back as the same candidate
    jm_buf_reset (&out);
    jm_candidate_write_profile (candidate, taxonomy, &out);
    const jm_json_t *profile = jm_json_doc_parse (s_profile_doc, out.data, out.len, &err);
    FUZZ_CHECK (profile, "the profile written parses");
    jm_candidate_t *again = jm_candidate_new_from_profile (profile, taxonomy, &err);
    FUZZ_CHECK (again && again->fingerprint == candidate->fingerprint,
                "the profile reads back with the same fingerprint");
    //  and explains the same, byte for byte (what jm_recompute relies on)
    jm_buf_t first, second;
    jm_buf_init (&first);
    jm_buf_init (&second);
    for (int j = 0; again && j < s_job_count; j++) {
        jm_result_t result;
        jm_buf_reset (&first);
        jm_buf_reset (&second);
        jm_score_explain (s_jobs [j], candidate, &result);
        jm_result_write_json (&result, s_jobs [j], candidate, &first);
        jm_score_explain (s_jobs [j], again, &result);
        jm_result_write_json (&result, s_jobs [j], again, &second);
        FUZZ_CHECK (first.len == second.len && memcmp (first.data, second.data, first.len) == 0,
                    "the profile read back gives the same breakdown");
    }
    jm_buf_free (&first);
    jm_buf_free (&second);
    jm_candidate_destroy (&again);
    jm_candidate_destroy (&candidate);
    jm_buf_free (&out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    jm_error_t err;
    jm_error_clear (&err);
    const jm_json_t *body = jm_json_doc_parse (s_doc, (const char *) data, size, &err);
    if (!body || !jm_json_is_object (body))
        return 0;
    const jm_json_t *jobs = jm_json_get (body, "jobs");
    if (jm_json_is_array (jobs)) {
        const jm_json_t *value = jm_json_first (jobs);
        for (size_t index = 0; index < jobs->count; index++, value = jm_json_skip (value))
            FUZZ_CHECK (!jm_json_is_string (value) || strlen (value->string) == value->count,
                        "strings are C strings: no NUL inside");
    }
    const jm_json_t *one = jm_json_get (body, "candidate");
    const jm_json_t *many = jm_json_get (body, "candidates");
    if (jm_json_is_object (one))
        s_candidate (one);
    if (jm_json_is_array (many)) {
        const jm_json_t *object = jm_json_first (many);
        for (size_t index = 0; index < many->count && index < 1000; index++,
             object = jm_json_skip (object))
            s_candidate (object);
    }
    return 0;
}
