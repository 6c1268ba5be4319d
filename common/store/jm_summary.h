/*  jm_summary: a job version's kept summary, as readers answer it.

    The matcher keeps each job version's summary up to date in the same
    writes as its results (jm_store_results.c), in the hash
    <ns>:rank:<job>:<version>:summary (proto/redis-keys.md): total,
    bin:0..bin:9, band:<band>, missing:<label>.  Both readers (the matcher's
    jobmatch.results and the dashboard) read it here, jm_summary_read: one
    round trip for the kept summary, the same retry when the ranking flips
    meanwhile, and the same recount (same sample, same tie-break) for a
    ranking written before summaries were kept (from the records and
    breakdowns recomputed from the stored profiles).                            */
#ifndef JM_SUMMARY_H
#define JM_SUMMARY_H

#include <stdbool.h>
#include "jm_buf.h"
#include "jm_store.h"
#include "jm_keys.h"
#include "jm_taxonomy.h"

#define JM_SUMMARY_MISSING  20      //  requirements listed as most missing
#define JM_SUMMARY_SAMPLE   1000    //  best results a recount counts missing requirements over
#define JM_SUMMARY_FLIP_RETRIES 3   //  reads repeated when the ranking flipped meanwhile

//  True when reply (of HGETALL summary) holds a kept summary: a non-empty
//  field/value array.
bool jm_summary_kept (const jm_reply_t *reply);

//  Appends the summary in reply as JSON members, without braces:
//  "total":n,"bands":{...},"histogram":[10 counts],"missing":[{"requirement":
//  label,"count":n}...] (the JM_SUMMARY_MISSING most missed, ties by label).
//  Fields it does not know are ignored; bad numbers count as 0.
void jm_summary_write_json (const jm_reply_t *reply, jm_buf_t *out);

//  Runs calls for a reader (jm_store_run for the matcher, a pooled
//  connection for the dashboard).  Returns 0, or -1 with err set (io_error).
typedef int (jm_summary_run_fn) (void *arg, jm_store_calls_t *calls, jm_error_t *err);

//  A job's ranked version and re-scoring progress (rescore_version 0: none).
typedef struct {
    long long ranked;
    long long rescore_version, rescore_done, rescore_total;
} jm_summary_state_t;

//  Appends the summary of job's ranked version as JSON members, without
//  braces: "version":v, then jm_summary_write_json's members; for a ranking
//  without a kept summary, a recount from the ranking and the records of
//  its best JM_SUMMARY_SAMPLE candidates of that version, their missing
//  requirements from breakdowns recomputed with taxonomy (borrowed; NULL:
//  none counted) from the stored profiles and the job's JSON at that
//  version, ending ,"recounted":true (logged).  state->ranked is the version the caller
//  read; when the job hash names another by the read (a flip), reads again
//  at that one, up to JM_SUMMARY_FLIP_RETRIES times.  state is left as
//  answered, with the progress read with it.  Returns 0, or -1 with err
//  set when Redis failed (out may then hold part of the members).
int jm_summary_read (const jm_keys_t *keys, const jm_taxonomy_t *taxonomy, const char *job,
                     jm_summary_state_t *state, jm_summary_run_fn *run, void *arg, jm_buf_t *out,
                     jm_error_t *err);

#endif
