/*  jobmatch CLI: `jobmatch batch --verify`: which results of an output the
    service really holds.

    A result the matcher confirmed ("stored": true) may still be gone: a
    Redis killed and restarted empty (no AOF), FLUSHALL, an eviction.  The
    output says nothing of it.  The verify reads the output's result
    records and asks the matcher's jobmatch.results service (op "stored",
    proto/services.md) which of them Redis holds, a result and its ranking
    entry at the version scored: up to 1,000 candidates of one job and
    version per request, built while the output is read, up to --window in
    flight through the batch's pipe: a 200,000-candidate output is checked
    in 200 requests (about a second), in flat memory.  A
    request answered io_error (the matcher is reconnecting to a Redis that
    just came back) is sent again after 250 ms, doubling up to 4 s, up to 10
    attempts; the pipe retries the rest (batch_pipe.h).  The
    candidates with any result missing join the tally's list of those not
    stored, which the repair of cmd_batch re-submits.                     */
#ifndef JM_BATCH_VERIFY_H
#define JM_BATCH_VERIFY_H

#include <signal.h>
#include "batch_output.h"
#include "batch_pipe.h"

#define JM_BATCH_VERIFY_SERVICE  "jobmatch.results"
#define JM_BATCH_VERIFY_MAX      1000   //  candidates per request (the matcher's limit)

//  What a verify found.
typedef struct {
    long results;               //  result records checked
    long requests;              //  requests sent (resends not counted)
    long missing;               //  results Redis does not hold
    long candidates;            //  candidates added to the tally for them
} jm_batch_verify_stats_t;

//  Checks the result records of the output at path (format, jobs
//  [0..job_count)) marked stored, with up to window requests in flight
//  through pipe, and adds the positions of the candidates with a result
//  missing to tally (jm_batch_tally_add_not_stored).  Stops early when
//  *signals becomes non-zero.  Returns 0 with *stats filled, or -1 with err
//  filled: the output cannot be read, the service answered an error (its
//  code and message, naming the job), a reply does not match its request,
//  or a request got no answer after the pipe's retries.
int jm_batch_verify (jm_batch_pipe_t *pipe, const char *path, jm_batch_out_format_t format,
                     const char *const *jobs, int job_count, int window, jm_batch_tally_t *tally,
                     const volatile sig_atomic_t *signals, jm_batch_verify_stats_t *stats,
                     jm_error_t *err);

#endif
