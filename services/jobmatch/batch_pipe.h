/*  jobmatch CLI: requests in flight to the gateways, with retries.

    The client side of `submit` and `batch`: one DEALER connection per
    gateway (jm_gateways_t) with any number of requests outstanding, each
    under a request id of its own, spread over the gateways that are up (the
    one with the fewest in flight first).  When a gateway's connection goes
    down, the requests waiting on it are sent at once to another, under the
    same ids.  The pipe resends a request that got no reply
    within the timeout, or that the gateway answered busy, no_workers,
    worker_lost, timeout or internal, after a backoff (250 ms, doubling, at most
    15 s), up to `retries` times, under the same request id; the first reply
    to arrive wins and later ones for that id are dropped (counted as
    duplicates).  Scoring is idempotent, so a resent request that the first
    attempt also completed costs only the work.

    Every request sent comes back exactly once from jm_batch_pipe_next: as
    a reply body (which may still be an error reply the pipe does not
    retry: invalid_json, too_large, unknown_job, ...), or as a failure
    after the last attempt.

    Both commands send jobmatch.match requests built with jm_batch_request_t
    and find the results of a reply with jm_batch_reply_results.            */
#ifndef JM_BATCH_PIPE_H
#define JM_BATCH_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>
#include "jm_curve.h"
#include "jm_error.h"
#include "batch_json.h"

typedef struct _jm_batch_pipe_t jm_batch_pipe_t;

//  What jm_batch_pipe_next hands back for one request.  The body is the
//  reply frame as it came off the socket, not copied and not NUL-terminated;
//  it stays valid (and may be written to) until jm_batch_reply_free, or
//  until the caller destroys msg after taking it (setting reply->msg NULL).
typedef struct {
    void *tag;                  //  as given to send
    zmsg_t *msg;                //  the reply message; NULL when failed
    char *body;                 //  its body frame's data
    size_t len;
    bool failed;                //  no usable reply: error says why
    jm_error_t error;           //  a timeout (io_error) or the last error reply's code and message
    int attempts;               //  times it was sent
} jm_batch_reply_t;

//  Frees the reply message, if the caller has not taken it.
void jm_batch_reply_free (jm_batch_reply_t *reply);

//  Pipe statistics, for the summary.
typedef struct {
    uint64_t sent;              //  requests sent, resends included
    uint64_t resent;
    uint64_t timeouts;          //  attempts that got no reply in time
    uint64_t refused;           //  busy / no_workers / worker_lost / internal replies
    uint64_t duplicates;        //  replies to requests already answered, dropped
    uint64_t failovers;         //  resent at once to another gateway, theirs being lost
} jm_batch_pipe_stats_t;

//  Connects to the gateways at endpoint (a list separated by commas).  timeout_ms: how long to wait for
//  each attempt's reply; retries: resends after the first attempt.
//  Returns NULL with err filled when the endpoint is invalid.
//  curve (may be NULL, borrowed): the CURVE keys to connect with.
jm_batch_pipe_t *jm_batch_pipe_new (const char *endpoint, const jm_curve_t *curve, int timeout_ms, int retries,
                                    jm_error_t *err);

//  Closes the connection, dropping requests still outstanding (their
//  bodies are freed; their tags stay the caller's).  Accepts NULL.
void jm_batch_pipe_destroy (jm_batch_pipe_t **self_p);

//  Sends a request to service; takes the body (malloc'ed, len bytes).
void jm_batch_pipe_send (jm_batch_pipe_t *self, const char *service, char *body, size_t len, void *tag);

//  Waits up to timeout_ms (0: only what is already there) for the next
//  request to come back.  Returns 1 with *reply filled, 0 when nothing did
//  in time or a signal interrupted the wait.
int jm_batch_pipe_next (jm_batch_pipe_t *self, int timeout_ms, jm_batch_reply_t *reply);

//  Drops one request still outstanding and returns its tag (for the
//  caller to free), or NULL when none is left.
void *jm_batch_pipe_drop (jm_batch_pipe_t *self);

//  Requests sent and not yet handed back.
size_t jm_batch_pipe_outstanding (const jm_batch_pipe_t *self);

//  The statistics.
jm_batch_pipe_stats_t jm_batch_pipe_stats (const jm_batch_pipe_t *self);

//  Asks the gateways at endpoint (one, or another when that one is lost)
//  whether service has workers (8/MMI), on connections of their own.  Returns 1 (it has), 0 (none yet: requests will
//  wait for one), or -1 with err filled when no reply came within
//  timeout_ms: nothing answers at that endpoint.
int jm_batch_pipe_probe (const char *endpoint, const jm_curve_t *curve, const char *service, int timeout_ms,
                         jm_error_t *err);

//  Reads the "ok" and error code of a reply body without walking its
//  results.  Returns true for {"ok": true, ...}; false with err filled
//  (code and message from the body, or invalid_json when the body is not
//  a JSON object with "ok").
bool jm_batch_reply_ok (const char *body, size_t len, jm_error_t *err);

//  Starts iter on the body of an ok reply and moves it into the reply's
//  "results" array: jm_batch_json_element then walks the results.  Returns
//  true, or false when the body has no "results" array.
bool jm_batch_reply_results (const char *body, size_t len, jm_batch_json_iter_t *iter);

//  ---------------------------------------------------------------------------
//  A jobmatch.match request, {"jobs":[ids],"candidates":[...]}, built one
//  candidate at a time and sent through the pipe.

typedef struct {
    jm_buf_t body;
    int candidates;             //  added so far
} jm_batch_request_t;

//  Starts a request against the count jobs at jobs (borrowed for the call);
//  refresh: the matcher scores and stores every result even when cached;
//  detail: how much of each result the reply carries ("score", "summary",
//  "full"; NULL: the service's default).
void jm_batch_request_init (jm_batch_request_t *self, const char *const *jobs, int count, bool refresh,
                            const char *detail);

//  Appends one candidate's JSON text (copied).
void jm_batch_request_add (jm_batch_request_t *self, const char *text, size_t len);

//  Sends the request to service with a malloc'ed copy of the tag_size bytes
//  at tag as its tag, which comes back as reply->tag (or from
//  jm_batch_pipe_drop) for the caller to free.  A request without
//  candidates is not sent.  Frees the request's buffer either way.
//  Returns the number of candidates sent.
int jm_batch_request_send (jm_batch_request_t *self, jm_batch_pipe_t *pipe, const char *service,
                           const void *tag, size_t tag_size);

#endif
