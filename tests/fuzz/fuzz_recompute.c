/*  fuzz_recompute: what jm_recompute reads from Redis to give a result's
    full breakdown again: a job version's JSON (the job hash's json or
    v:<version>) and a stored profile (packed, or the JSON older matchers
    wrote).  The input is the job's bytes, a NUL byte, then the profile's;
    its first byte picks the version.  Besides never crashing: a refused
    input says why and writes nothing; a breakdown is JSON that jm_json
    reads, names the version asked, and is the same bytes the second time
    (the job then comes from the recompute's kept jobs).                  */
#include "fuzz_common.h"
#include "jm_buf.h"
#include "jm_json.h"
#include "jm_recompute.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static jm_recompute_t *recompute;
    static jm_json_doc_t *doc;
    if (!recompute) {
        recompute = jm_recompute_new (fuzz_taxonomy ());
        doc = jm_json_doc_new ();
    }
    if (size < 2)
        return 0;
    int version = 1 + data [0] % 7;
    const char *job_text = (const char *) data + 1;
    const char *end = memchr (job_text, 0, size - 1);
    if (!end)
        return 0;
    size_t job_len = (size_t) (end - job_text);
    const char *profile = end + 1;
    size_t profile_len = size - 1 - job_len - 1;
    jm_error_t err;
    jm_error_clear (&err);
    const jm_job_t *job = jm_recompute_job (recompute, job_text, job_len, version, &err);
    if (!job) {
        FUZZ_CHECK (jm_error_is_set (&err), "a refused job says why");
        return 0;
    }
    jm_buf_t out, again;
    jm_buf_init (&out);
    jm_buf_init (&again);
    jm_buf_puts (&out, "x");
    if (jm_recompute_full (recompute, job, NULL, profile, profile_len, &out, &err) < 0)
        FUZZ_CHECK (out.len == 1 && jm_error_is_set (&err), "a refused profile says why, writes nothing");
    else {
        FUZZ_CHECK (jm_json_doc_parse (doc, out.data + 1, out.len - 1, NULL) != NULL,
                    "a breakdown is JSON");
        char field [32];
        snprintf (field, sizeof field, ",\"job_version\":%d,", version);
        FUZZ_CHECK (strstr (out.data, field) != NULL, "the breakdown names the version asked");
        const jm_job_t *kept = jm_recompute_job (recompute, job_text, job_len, version, NULL);
        FUZZ_CHECK (kept == job, "the job is kept");
        jm_buf_puts (&again, "x");
        FUZZ_CHECK (jm_recompute_full (recompute, kept, NULL, profile, profile_len, &again, NULL) >= 0
                 && again.len == out.len && memcmp (again.data, out.data, out.len) == 0,
                    "the same breakdown twice");
    }
    jm_buf_free (&out);
    jm_buf_free (&again);
    return 0;
}
