/*  jm_results_read: the one read path of results and rankings.

    Both readers, the matcher's jobmatch.results (results.c) and the
    dashboard's /api/v1 reads (reader.c, reader_rank.c), read here; they
    only parse their request and render their reply.  One version rule: a
    view shows the version the job hash names as "ranked", read with its
    state; a page whose ranking flipped between round trips is read again,
    up to JM_SUMMARY_FLIP_RETRIES times, so it is never assembled from two
    versions.  One tie-break: equal scores by candidate id in descending
    byte order (Redis's ZREVRANGE); best jobs: equal scores by job id in
    ascending byte order.  One band and "required" rule: an
    entry's band is that of the ranked version (strong or good from its
    band sets, else partial or weak by the score), and "required" is null
    while the stored result is already of another version.  One error
    vocabulary: invalid_request (a bad id), unknown_job (no such job),
    not_found (no such result), io_error (Redis).  See proto/services.md.   */
#ifndef JM_RESULTS_READ_H
#define JM_RESULTS_READ_H

#include "jm_summary.h"
#include "jm_detail.h"
#include "jm_score.h"
#include "jm_recompute.h"
#include "jm_taxonomy.h"

#include <stdbool.h>
#include <stddef.h>

//  Where a reader's round trips go.  builtin (may be NULL): for the time
//  before any registry exists in Redis (no <ns>:jobs, no <ns>:jobs:seeded),
//  true when job is a built-in job, read at version 1.  taxonomy (borrowed)
//  recomputes breakdowns: the one the results were scored with.  recompute
//  (borrowed, may be NULL): a recompute object of that taxonomy kept by a
//  reader of one thread, so the jobs it parsed are parsed once; NULL makes
//  one per read (a reader shared by threads).
typedef struct {
    const jm_keys_t *keys;
    jm_summary_run_fn *run;
    void *arg;
    bool (*builtin) (void *arg, const char *job);
    const jm_taxonomy_t *taxonomy;
    jm_recompute_t *recompute;
} jm_results_reader_t;

//  A job's state: its version, the ranked one, re-scoring progress
//  (rescore_version 0: none).
typedef struct {
    long long version, ranked;
    long long rescore_version, rescore_done, rescore_total;
    char ranked_text [24];          //  ranked, as the key builders take it
} jm_results_state_t;

//  A ranking page asked for.  band NULL for any, min_score NAN for none;
//  version 0 for the ranked one (flip retries), else that version exactly.
//  guess (0: none): the ranked version the caller saw last; when right, the
//  state and the page are read in one round trip instead of two.
typedef struct {
    const char *job;
    long long offset, limit;
    const char *band;
    double min_score;
    long long version;
    long long guess;
} jm_results_query_t;

//  One ranking entry.  name and required NULL when unknown.
typedef struct {
    long long rank;
    char *candidate;
    double score;
    const char *band;               //  static
    char *name;
    char *required;
} jm_results_entry_t;

//  A ranking page read.
typedef struct {
    jm_results_state_t state;
    long long total, matching;      //  the whole ranking, those passing the filters
    size_t count;
    jm_results_entry_t *entries;
} jm_results_page_t;

//  Reads job's state in one round trip.  Returns 0, or -1 with err set.
int jm_results_read_state (const jm_results_reader_t *reader, const char *job,
                           jm_results_state_t *state, jm_error_t *err);

//  Reads the result of (job, candidate), its record, the stored profile and
//  the job's JSON in one round trip with the job's state (two when the
//  record is of an older version), and recomputes it at detail (at full
//  the breakdown scoring returned, byte for byte; jm_detail_write).
//  Returns 0 with *json_p the result JSON (new, NUL-terminated; caller
//  frees) and *len_p its length, or -1 with err set (unknown_job,
//  not_found: no record, or the profile expired; invalid_data: a stored
//  profile or job that does not parse).
int jm_results_read_result (const jm_results_reader_t *reader, const char *job,
                            const char *candidate, jm_detail_t detail, char **json_p,
                            size_t *len_p, jm_error_t *err);

//  Reads a ranking page: state, counts and entries.  Returns 0 (free the
//  page with jm_results_page_free), or -1 with err set.
int jm_results_read_page (const jm_results_reader_t *reader, const jm_results_query_t *query,
                          jm_results_page_t *page, jm_error_t *err);

//  Frees what a page holds and zeroes it.
void jm_results_page_free (jm_results_page_t *page);

//  Called by jm_results_read_candidate for each job (in the order given)
//  with a stored result: its index and result JSON at the detail asked
//  (borrowed).
typedef void (jm_results_found_fn) (void *arg, size_t index, const char *json, size_t len);

//  Reads candidate's results for jobs [0..count) as jm_results_read_result
//  does, all in one round trip (two when records are of older versions),
//  the profile parsed once.  A result that cannot be recomputed is left out
//  (logged).  Returns 0, or -1 with err set.
int jm_results_read_candidate (const jm_results_reader_t *reader, const char *candidate,
                               const char * const *jobs, size_t count, jm_detail_t detail,
                               jm_results_found_fn *found, void *arg, jm_error_t *err);

//  Sets held [i] for each of candidates [0..count) (valid ids) that job
//  holds for version: a record of that version or a later one, and an
//  entry in the ranking of version.  One round trip.  Returns 0, or -1 with
//  err set.
int jm_results_read_held (const jm_results_reader_t *reader, const char *job, long long version,
                          const char * const *candidates, size_t count, bool *held,
                          jm_error_t *err);

//  Reads the summary of job's ranked version: the state, then
//  jm_summary_read's members (appended to out, without braces), with the
//  state left as answered.  Returns 0, or -1 with err set.
int jm_results_read_summary (const jm_results_reader_t *reader, const char *job,
                             jm_results_state_t *state, jm_buf_t *out, jm_error_t *err);

//  A job a candidate's best jobs are chosen from.
typedef struct {
    const char *id;
    const jm_job_t *job;
    double score;                   //  set by jm_results_best
} jm_results_best_t;

//  Scores candidate against jobs [0..count) (jm_score_rank) and orders them
//  best first, equal scores by job id in ascending byte order.  Nothing is
//  read from Redis: the caller's jobs are the registry it holds.
void jm_results_best (jm_results_best_t *jobs, size_t count, const jm_candidate_t *candidate);

#endif
