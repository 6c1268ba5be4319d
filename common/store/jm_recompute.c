/*  jm_recompute: a result's full breakdown from its stored profile and job
    version.  See jm_recompute.h.                                          */
#include "jm_recompute.h"
#include "jm_alloc.h"
#include "jm_json.h"
#include "jm_profile_pack.h"
#include "jm_score.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

//  One parsed job, with the text and version it was parsed from
typedef struct {
    jm_job_t *job;
    char *text;
    size_t len;
    int version;
} s_kept_t;

struct _jm_recompute_t {
    const jm_taxonomy_t *taxonomy;
    s_kept_t kept [JM_RECOMPUTE_JOBS];
    int next;                   //  the slot the next new job replaces
    jm_buf_t unpacked;          //  a packed profile's JSON
    jm_json_doc_t *doc;         //  one profile at a time
};

jm_recompute_t *
jm_recompute_new (const jm_taxonomy_t *taxonomy)
{
    assert (taxonomy);
    jm_recompute_t *self = jm_calloc (1, sizeof *self);
    self->taxonomy = taxonomy;
    jm_buf_init (&self->unpacked);
    self->doc = jm_json_doc_new ();
    return self;
}

void
jm_recompute_destroy (jm_recompute_t **self_p)
{
    assert (self_p);
    jm_recompute_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < JM_RECOMPUTE_JOBS; i++) {
        jm_job_destroy (&self->kept [i].job);
        free (self->kept [i].text);
    }
    jm_buf_free (&self->unpacked);
    jm_json_doc_destroy (&self->doc);
    free (self);
    *self_p = NULL;
}

void
jm_recompute_version_field (int version, char *out)
{
    assert (version >= 1);
    snprintf (out, JM_RECOMPUTE_FIELD_MAX, "v:%d", version);
}

const jm_job_t *
jm_recompute_job (jm_recompute_t *self, const char *json, size_t len, int version, jm_error_t *err)
{
    assert (self);
    if (!json || len == 0 || len > JM_RECOMPUTE_JOB_MAX || version < 1) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "a job version needs 1 to %d bytes of JSON and a "
                      "version from 1, not %zu bytes at version %d", JM_RECOMPUTE_JOB_MAX,
                      json ? len : 0, version);
        return NULL;
    }
    for (int i = 0; i < JM_RECOMPUTE_JOBS; i++) {
        s_kept_t *kept = &self->kept [i];
        if (kept->job && kept->version == version && kept->len == len
        &&  memcmp (kept->text, json, len) == 0)
            return kept->job;
    }
    json_error_t json_error;
    json_t *object = json_loadb (json, len, JSON_REJECT_DUPLICATES, &json_error);
    if (!object) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "job version %d is not JSON: %s (line %d, column %d)",
                      version, json_error.text, json_error.line, json_error.column);
        return NULL;
    }
    jm_job_t *job = jm_job_new_from_json (object, self->taxonomy, err);
    json_decref (object);
    if (!job) {
        jm_error_prefix (err, "job version %d: ", version);
        return NULL;
    }
    jm_job_set_version (job, version);
    s_kept_t *kept = &self->kept [self->next];
    self->next = (self->next + 1) % JM_RECOMPUTE_JOBS;
    jm_job_destroy (&kept->job);
    free (kept->text);
    kept->job = job;
    kept->text = jm_malloc (len);
    memcpy (kept->text, json, len);
    kept->len = len;
    kept->version = version;
    return job;
}

jm_candidate_t *
jm_recompute_candidate (jm_recompute_t *self, const char *profile, size_t len, jm_error_t *err)
{
    assert (self);
    if (!profile || len == 0 || len > JM_RECOMPUTE_PROFILE_MAX) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "a stored profile is 1 to %d bytes, not %zu",
                      JM_RECOMPUTE_PROFILE_MAX, profile ? len : 0);
        return NULL;
    }
    //  packed by this version, or JSON written by an older one
    if (jm_profile_is_packed (profile, len)) {
        jm_buf_reset (&self->unpacked);
        if (jm_profile_unpack (profile, len, &self->unpacked, err))
            return NULL;
        profile = self->unpacked.data;
        len = self->unpacked.len;
    }
    const jm_json_t *json = jm_json_doc_parse (self->doc, profile, len, err);
    if (!json) {
        jm_error_prefix (err, "stored profile: ");
        return NULL;
    }
    return jm_candidate_new_from_profile (json, self->taxonomy, err);
}

double
jm_recompute_full (jm_recompute_t *self, const jm_job_t *job, const char *candidate,
                   const char *profile, size_t len, jm_buf_t *out, jm_error_t *err)
{
    assert (self && job && out);
    jm_candidate_t *scored = jm_recompute_candidate (self, profile, len, err);
    if (!scored)
        return -1;
    if (candidate && strcmp (scored->id, candidate) != 0) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "the stored profile of '%.64s' holds another "
                      "candidate, '%.64s'", candidate, scored->id);
        jm_candidate_destroy (&scored);
        return -1;
    }
    jm_result_t result;
    jm_score_explain (job, scored, &result);
    jm_result_write_json (&result, job, scored, out);
    jm_candidate_destroy (&scored);
    return result.score;
}
