/*  jm_failures: a bounded ring of the last failed requests, for inspection
    (the gateway's jobmatch.system, `jobmatch status`, /api/v1/system).

    Each entry says when a request failed, for which service, with which
    error code, after how many dispatches, who sent it (a short prefix of
    the client's routing id, in hex) and who answered it (the gateway or a
    worker).  Nothing of the request's body is kept: an entry never holds
    candidate text.  Text put in is cut to its field and any byte outside
    printable ASCII is stored as '?', so every entry is safe to print and
    to put in JSON.  When the ring is full the oldest entry is overwritten.

    Two readers of outside bytes live here too, so they are unit-tested and
    fuzzed apart from the gateway: the code of a worker's error reply, read
    from its first bytes, and the body of a jobmatch.system request.

        jm_failures_t *ring = jm_failures_new (100);
        jm_failures_add (ring, zclock_time (), "jobmatch.match", 14, "busy", 0,
                         "00801e4a2b", "gateway");
        json_t *recent = jm_failures_json (ring, 20, zclock_time ());
        jm_failures_destroy (&ring);                                       */
#ifndef JM_FAILURES_H
#define JM_FAILURES_H

#include "jm_error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JM_FAILURES_MAX             1000    //  the most entries a ring may keep
#define JM_FAILURE_SERVICE_SIZE     64      //  bytes kept of a service name, NUL included
#define JM_FAILURE_CODE_SIZE        32      //  of an error code
#define JM_FAILURE_CLIENT_SIZE      11      //  of the client's routing id in hex (5 bytes)
#define JM_FAILURE_SOURCE_SIZE      8       //  of who answered: "gateway" or "worker"
#define JM_FAILURES_REQUEST_MAX     1024    //  bytes of a jobmatch.system request body
#define JM_FAILURES_REPLY_SCAN      256     //  bytes of a reply read for its error code

typedef struct _jm_failures_t jm_failures_t;

//  Creates a ring that keeps the last capacity entries (1..JM_FAILURES_MAX).
jm_failures_t *
    jm_failures_new (size_t capacity);

//  Frees the ring.  Accepts NULL and nulls the caller's pointer.
void
    jm_failures_destroy (jm_failures_t **self_p);

//  Adds an entry, overwriting the oldest when full: time_ms (wall clock),
//  the service's service_size bytes (not NUL-terminated, any bytes), code,
//  attempts, client and source (NUL-terminated, any bytes; NULL: empty).
//  The text is cleaned and cut as said above.  Costs no allocation: it is
//  called on every failed request.
void
    jm_failures_add (jm_failures_t *self, int64_t time_ms, const char *service,
                     size_t service_size, const char *code, int attempts,
                     const char *client, const char *source);

//  How many entries were ever added (held or overwritten).
uint64_t
    jm_failures_total (jm_failures_t *self);

//  Returns the newest limit entries, newest first, as a new JSON array of
//  {"time": "2026-12-07T18:50:00.123Z", "age_ms", "service", "code",
//  "attempts", "client", "source"}; ages are counted to now_ms (wall clock).
json_t *
    jm_failures_json (jm_failures_t *self, size_t limit, int64_t now_ms);

//  Reads whether a reply body (size bytes, any bytes) is an error reply:
//  it starts {"ok": false (blanks allowed between tokens; only the first
//  JM_FAILURES_REPLY_SCAN bytes are read).  Returns true then, with its
//  "error" object's first member "code" copied into code (code_size bytes,
//  at least 2) when that is a word of lower-case letters, digits and '_'
//  that fits, else "?".  Returns false for anything else, good replies
//  first: a body starting {"ok":true costs one comparison.
bool
    jm_failures_reply_code (const void *data, size_t size, char *code, size_t code_size);

//  Reads the body of a jobmatch.system request (size bytes, any bytes):
//  empty, or a JSON object whose only member "failures" is an integer
//  0..max.  Returns 0 with *wanted set (max when not said), or -1 with err
//  (code invalid_request) naming the problem, without quoting the body.
int
    jm_failures_request_parse (const void *data, size_t size, size_t max, size_t *wanted,
                               jm_error_t *err);

#endif
