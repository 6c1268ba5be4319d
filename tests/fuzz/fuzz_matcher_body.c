/*  fuzz_matcher_body: a jobmatch.jobs or jobmatch.results request body,
    read as services/jobmatch-matcher/registry.c and results.c read one
    before they touch Redis: body.c parses it and picks the op, then each
    op's members are checked (ids, offset, limit, band, min_score; a put's
    job through jm_job_new_from_json and jm_job_unknown_skills; a best's
    candidate through jm_candidate_new_from_json).

    Checks: every error reply the matcher would send is valid JSON (it
    quotes the client's text: an op, a field name, an unknown skill).     */
// fuzz-sources: services/jobmatch-matcher/body.c
#include "fuzz_common.h"
#include "body.h"
#include "jm_candidate.h"
#include "jm_extract.h"
#include "jm_job.h"
#include "jm_keys.h"

#include <math.h>

static jm_extractor_t *s_extractor;

//  The reply must be one JSON object, as a client would parse it.
static void
s_check_reply (const jm_buf_t *out)
{
    json_error_t error;
    json_t *reply = json_loadb (out->data, out->len, 0, &error);
    if (!json_is_object (reply))
        fprintf (stderr, "bad reply: %s: %.*s\n", error.text, (int) out->len, out->data);
    FUZZ_CHECK (json_is_object (reply), "a reply is a JSON object");
    json_decref (reply);
}

static void
s_error (jm_buf_t *out, const jm_error_t *err)
{
    FUZZ_CHECK (jm_error_is_set (err), "a refusal says why");
    jm_body_error (out, err);
    s_check_reply (out);
}

//  What s_serve_put checks before it writes the job (registry.c).
static void
s_put (json_t *body, jm_buf_t *out)
{
    const jm_taxonomy_t *taxonomy = fuzz_taxonomy ();
    jm_error_t err;
    jm_error_clear (&err);
    json_t *object = json_object_get (body, "job");
    if (!json_is_object (object) || !json_is_string (json_object_get (object, "id")))
        return;
    if (jm_keys_check_id ("job.id", json_string_value (json_object_get (object, "id")), &err)) {
        s_error (out, &err);
        return;
    }
    json_t *copy = json_copy (object);
    json_object_del (copy, "version");
    jm_job_t *job = jm_job_new_from_json (copy, taxonomy, &err);
    if (!job) {
        jm_buf_reset (out);
        jm_buf_puts (out, "{\"ok\":false,\"error\":");
        jm_error_write_json (&err, out);
        if (strcmp (err.code, JM_ERR_UNKNOWN_SKILL) == 0) {
            json_t *unknown = jm_job_unknown_skills (copy, taxonomy);
            out->len--;
            jm_buf_puts (out, ",\"unknown\":");
            jm_body_json (out, unknown);
            jm_buf_puts (out, "}");
            json_decref (unknown);
        }
        jm_buf_puts (out, "}");
        s_check_reply (out);
    }
    jm_job_destroy (&job);
    json_decref (copy);
}

//  What s_serve_best checks before it reads Redis (results.c).
static void
s_best (json_t *body, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    json_t *object = json_object_get (body, "candidate");
    long long limit;
    if (!json_is_object (object))
        return;
    if (jm_body_int (body, "limit", 10, 1, 100, &limit, &err)) {
        s_error (out, &err);
        return;
    }
    jm_candidate_t *candidate = jm_candidate_new_from_json (object, fuzz_taxonomy (), s_extractor, &err);
    if (!candidate) {
        jm_error_prefix (&err, "candidate: ");
        s_error (out, &err);
    }
    jm_candidate_destroy (&candidate);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_extractor)
        s_extractor = jm_extractor_new (fuzz_taxonomy ());
    static const char * const jobs_ops [] = { "put", "get", "list", "delete", NULL };
    static const char * const results_ops [] = { "result", "rank", "candidate", "best", "summary", "stored",
                                                 NULL };
    jm_buf_t out;
    jm_buf_init (&out);
    jm_error_t err;
    jm_error_clear (&err);
    json_t *body = jm_body_parse (data, size, &err);
    if (!body) {
        s_error (&out, &err);
        jm_buf_free (&out);
        return 0;
    }
    jm_error_t jobs_err, results_err;
    jm_error_clear (&jobs_err);
    jm_error_clear (&results_err);
    const char *jobs_op = jm_body_op (body, "jobmatch.jobs", jobs_ops, &jobs_err);
    const char *results_op = jm_body_op (body, "jobmatch.results", results_ops, &results_err);
    if (!jobs_op)
        s_error (&out, &jobs_err);
    if (!results_op)
        s_error (&out, &results_err);

    //  the members the ops read
    static const char *ids [] = { "id", "job", "candidate" };
    for (size_t index = 0; index < 3; index++) {
        jm_error_clear (&err);
        if (!jm_body_string (body, ids [index], JM_KEYS_ID_MAX, &err))
            s_error (&out, &err);
    }
    long long offset, limit;
    jm_error_clear (&err);
    if (jm_body_int (body, "offset", 0, 0, INT32_MAX, &offset, &err)
    ||  jm_body_int (body, "limit", 20, 1, 1000, &limit, &err))
        s_error (&out, &err);
    json_t *min_score = json_object_get (body, "min_score");
    if (min_score && json_is_number (min_score))
        (void) isfinite (json_number_value (min_score));

    if (jobs_op && strcmp (jobs_op, "put") == 0)
        s_put (body, &out);
    if (results_op && strcmp (results_op, "best") == 0)
        s_best (body, &out);
    //  a reply body quoting the request's values
    jm_buf_reset (&out);
    jm_buf_puts (&out, "{\"ok\":true,\"echo\":");
    jm_body_json (&out, body);
    jm_buf_puts (&out, "}");
    s_check_reply (&out);
    json_decref (body);
    jm_buf_free (&out);
    return 0;
}
