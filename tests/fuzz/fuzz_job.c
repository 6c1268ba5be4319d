/*  fuzz_job: a job file (data/jobs/NAME.json), or the "job" object of a
    jobmatch.jobs put, read as jm_job_load reads it (jansson, duplicate keys
    refused) and built by jm_job_new_from_json against the project's
    taxonomy.  A job that builds is written back with jm_job_to_json and
    must build again with the same requirements.                          */
#include "fuzz_common.h"
#include "jm_job.h"

#include <jansson.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const jm_taxonomy_t *taxonomy = fuzz_taxonomy ();
    json_t *root = json_loadb ((const char *) data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return 0;
    jm_error_t err;
    jm_error_clear (&err);
    jm_job_t *job = jm_job_new_from_json (root, taxonomy, &err);
    json_t *unknown = jm_job_unknown_skills (root, taxonomy);
    if (!job) {
        FUZZ_CHECK (jm_error_is_set (&err), "a refusal must say why");
        json_decref (unknown);
        json_decref (root);
        return 0;
    }
    FUZZ_CHECK (json_array_size (unknown) == 0, "a job that built names no unknown skill");
    json_t *written = jm_job_to_json (job);
    jm_job_t *again = jm_job_new_from_json (written, taxonomy, &err);
    FUZZ_CHECK (again && jm_job_requirement_count (again) == jm_job_requirement_count (job)
                && strcmp (jm_job_id (again), jm_job_id (job)) == 0, "a job written back builds the same");
    jm_job_destroy (&again);
    json_decref (written);
    json_decref (unknown);
    jm_job_destroy (&job);
    json_decref (root);
    return 0;
}
