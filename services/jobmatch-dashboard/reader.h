/*  reader: the dashboard's read-only views, answered straight from Redis.

    Listing jobs, a job, a ranking page, one result, a candidate's results
    and a job's summary are plain reads of the keys of proto/services.md
    (the job registry, rankings by version and band, stored results), so
    the dashboard reads them itself, in one or two pipelined round trips,
    instead of asking a matcher through the gateway: a ranking page costs
    well under a millisecond and never waits behind a scoring batch.  The
    replies have the shapes of the jobmatch.jobs and jobmatch.results ops
    (without "ok").  Writes (job put and delete, match) still go through
    the gateway, since matchers own the registry's scripts.

    Until a matcher has created the job registry in Redis (no <ns>:jobs and
    no <ns>:jobs:seeded key), the jobs are the built-in files of the data
    folder at version 1, which is what matchers score against then.

    Every function returns a new JSON value the caller owns, or NULL with
    err filled: unknown_job, not_found, invalid_request (a bad id), io_error
    (Redis unavailable).  Safe from any thread: each round trip takes one
    of the app's reader connections (one per HTTP thread, up to 16).      */
#ifndef JM_READER_H
#define JM_READER_H

#include "exchange.h"

#include <jansson.h>

//  A ranking page's parameters.  min_score NAN for none, band NULL for any,
//  q NULL or folded to lower case: keep entries whose id or name holds it.
typedef struct {
    const char *job;
    long offset, limit;
    double min_score;
    const char *band;
    const char *q;
    long scan_max;                  //  entries a search reads at most
} jm_reader_rank_t;

//  Loads the built-in jobs of data_dir/jobs (id -> job object), for the
//  time before the registry exists.  Returns an object (maybe empty).
json_t *
    jm_reader_builtin_jobs (const char *data_dir);

//  {"jobs": [{"id", "title", "version", "requirements", "candidates",
//  "ranked_version", "rescoring"}, ...]} sorted by id.
json_t *
    jm_reader_jobs (jm_app_t *app, jm_error_t *err);

//  {"job": {..., "version"}, "ranked_version", "rescoring"}.
json_t *
    jm_reader_job (jm_app_t *app, const char *job, jm_error_t *err);

//  {"job", "version", "total", "matching", "offset", "limit", "entries":
//  [{"rank", "candidate", "name", "score", "band", "required"}, ...],
//  "rescoring"} plus "search": {"q", "scanned", "complete"} with q.
json_t *
    jm_reader_rank (jm_app_t *app, const jm_reader_rank_t *query, jm_error_t *err);

//  {"result": {...}}: the stored result of candidate for job.
json_t *
    jm_reader_result (jm_app_t *app, const char *job, const char *candidate, jm_error_t *err);

//  {"candidate", "results": [...]}: one per registered job with a result.
json_t *
    jm_reader_candidate (jm_app_t *app, const char *candidate, jm_error_t *err);

//  {"job", "version", "total", "bands": {...}, "histogram": [10 counts],
//  "missing": [{"requirement", "count"}, ...]} (over the best 1,000).
json_t *
    jm_reader_summary (jm_app_t *app, const char *job, jm_error_t *err);

#endif
