/*  reader_private: what reader.c shares with reader_rank.c.  Not for other
    files: they use reader.h.                                               */
#ifndef JM_READER_PRIVATE_H
#define JM_READER_PRIVATE_H

#include "exchange.h"
#include "jm_keys.h"
#include "jm_store.h"
#include "jm_results_read.h"

#include <jansson.h>

#define JM_READER_KEY_MAX   1024

//  What a view knows of one job
typedef struct {
    json_t *job;                    //  the job object, with "version"
    int version;
    int ranked;                     //  the version readers are shown
    json_t *rescoring;              //  null or {"version", "done", "total"}
    char ranked_text [16];
} jm_reader_job_t;

//  Runs calls on a free reader connection.  Returns 0, or -1 with err set
//  (io_error).
int
    jm_reader_run (jm_app_t *app, jm_store_calls_t *calls, jm_error_t *err);

//  The key builder of the app's namespace.
const jm_keys_t *
    jm_reader_keys (jm_app_t *app);

//  An integer reply (or decimal string), else fallback.
long long
    jm_reader_int (const jm_reply_t *reply, long long fallback);

//  A string reply parsed as JSON (new reference), or NULL.
json_t *
    jm_reader_json (const jm_reply_t *reply);

//  Frees what a job view holds and zeroes it.
void
    jm_reader_job_free (jm_reader_job_t *self);

//  Adds the HMGET of job's hash to calls.  Returns -1 with err set when the
//  id is invalid.
int
    jm_reader_job_ask (jm_app_t *app, jm_store_calls_t *calls, const char *job, jm_error_t *err);

//  Adds EXISTS <ns>:jobs <ns>:jobs:seeded to calls: 0 means no registry yet.
void
    jm_reader_registry_ask (jm_app_t *app, jm_store_calls_t *calls);

//  Fills self from the reply of jm_reader_job_ask (legacy: no registry yet,
//  the built-in files count).  Returns 0, or -1 when there is no such job.
int
    jm_reader_job_take (jm_app_t *app, jm_reader_job_t *self, const char *job,
                        const jm_reply_t *reply, bool legacy);

//  Reads one job in one round trip.  Returns 0, or -1 with err set
//  (unknown_job, io_error, invalid_request).
int
    jm_reader_job_load (jm_app_t *app, const char *job, jm_reader_job_t *self, jm_error_t *err);

//  Fills range with where the ranking of the job's shown version is read
//  (one band of it when band is set, from min_score on unless NAN): see
//  jm_keys_rank_range.  Returns 0, or -1 with err set.
int
    jm_reader_rank_range (jm_app_t *app, const char *job, const jm_reader_job_t *state,
                          const char *band, double min_score, jm_keys_range_t *range,
                          jm_error_t *err);

//  The shared read path (jm_results_read) on the app's reader connections,
//  with the built-in jobs before a registry exists.
jm_results_reader_t
    jm_reader_path (jm_app_t *app);

//  A job's re-scoring progress as replies show it: null or {"version",
//  "done", "total"} (new reference).
json_t *
    jm_reader_progress (const jm_results_state_t *state);

#endif
