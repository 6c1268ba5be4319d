/*  jm_recompute: a result's full breakdown, recomputed from what Redis keeps.

    Redis need not hold a result's ~6 KB breakdown: the engine is
    deterministic, so the candidate's stored profile (<ns>:profile:<c>,
    packed, jm_profile_pack) and the JSON of the job version the result was
    scored against (the job hash's `json`, or `v:<version>` for the ranked
    version while a newer one is re-scored: proto/redis-keys.md 3.3) give it
    again, byte for byte what jobmatch.match returned with "detail":"full"
    (jm_result_write_json).  With another taxonomy or scorer the bytes may
    differ: the result's fingerprint says which scorer made it.

    A recompute object keeps the last jobs it parsed (JM_RECOMPUTE_JOBS), so
    explaining many candidates of one job parses the job once.  Not
    thread-safe: one per thread.                                          */
#ifndef JM_RECOMPUTE_H
#define JM_RECOMPUTE_H

#include "jm_buf.h"
#include "jm_candidate.h"
#include "jm_error.h"
#include "jm_job.h"
#include "jm_taxonomy.h"

#include <stddef.h>

#define JM_RECOMPUTE_JOBS           8           //  parsed jobs kept
#define JM_RECOMPUTE_JOB_MAX        (1 << 20)   //  bytes of a job's JSON
#define JM_RECOMPUTE_PROFILE_MAX    (1 << 20)   //  bytes of a stored profile
#define JM_RECOMPUTE_FIELD_MAX      16          //  "v:" and a version, with its NUL

typedef struct _jm_recompute_t jm_recompute_t;

//  A recompute object over taxonomy (borrowed: must outlive it).
jm_recompute_t *jm_recompute_new (const jm_taxonomy_t *taxonomy);

//  Frees the object and the jobs it kept; nulls the pointer; safe on NULL.
void jm_recompute_destroy (jm_recompute_t **self_p);

//  Writes the job hash's field holding the JSON of a version that is no
//  longer current, "v:<version>", into out (JM_RECOMPUTE_FIELD_MAX bytes).
void jm_recompute_version_field (int version, char *out);

//  The job at version from its JSON as the registry stores it (borrowed,
//  valid until JM_RECOMPUTE_JOBS other jobs were asked for, or the object
//  is destroyed).  NULL with err set (invalid_data naming what is wrong)
//  when the text is not a job of this taxonomy or version is not >= 1.
const jm_job_t *jm_recompute_job (jm_recompute_t *self, const char *json, size_t len, int version,
                                  jm_error_t *err);

//  The candidate of a stored profile, the len bytes at profile (packed, or
//  the JSON older matchers stored), as the re-scoring and the breakdowns
//  read it.  Returns a new candidate (the caller destroys it), or NULL with
//  err set (invalid_data naming what is wrong).
jm_candidate_t *jm_recompute_candidate (jm_recompute_t *self, const char *profile, size_t len,
                                        jm_error_t *err);

//  Appends to out the full breakdown of the candidate whose stored profile
//  is the len bytes at profile (packed, or the JSON older matchers stored)
//  against job.  candidate, when not NULL, is the id the profile must hold.
//  Returns the score, or -1 with err set (invalid_data naming what is
//  wrong; out is then as it was).
double jm_recompute_full (jm_recompute_t *self, const jm_job_t *job, const char *candidate,
                          const char *profile, size_t len, jm_buf_t *out, jm_error_t *err);

#endif
