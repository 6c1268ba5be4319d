/*  exchange: one HTTP request and its response, as the dashboard's handlers
    see it, and what the handlers share (jm_app_t).

    libmicrohttpd calls the dashboard several times per request (headers,
    body chunks, end).  Once the request is whole, dashboard.c routes it to
    a handler, a function that looks at the exchange and either sets the
    response (returns JM_EXCHANGE_DONE) or asks the gateway for something
    with jm_exchange_call and returns JM_EXCHANGE_WAIT.  The connection is
    then suspended, costing no thread, until every call of that round has
    its reply; the handler runs again with stage raised by one, reads the
    replies, and answers or asks again.  A handler therefore reads:

        static int
        s_job_get (jm_exchange_t *self)
        {
            if (self->stage == 0) {
                jm_exchange_call (self, "jobmatch.jobs", body, 0);
                return JM_EXCHANGE_WAIT;
            }
            json_t *reply = jm_exchange_call_result (self, 0);   //  sets the
            if (!reply)                                          //  error response
                return JM_EXCHANGE_DONE;
            return jm_exchange_json (self, 200, reply);
        }

    Errors reach clients as {"error": {"code": C, "message": M, ...}} with
    the HTTP status that jm_exchange_status_for maps each code to
    (proto/openapi.yaml lists them).                                       */
#ifndef JM_EXCHANGE_H
#define JM_EXCHANGE_H

#include "bridge.h"
#include "jm_buf.h"
#include "jm_error.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct MHD_Connection;
typedef struct _jm_metrics_t jm_metrics_t;
typedef struct _jm_store_t jm_store_t;
typedef struct _jm_taxonomy_t jm_taxonomy_t;

#define JM_APP_READERS_MAX      16      //  Redis connections for reads

//  What every handler may use; built by dashboard.c, read-only after start
//  except where a lock says otherwise.
typedef struct {
    void *owner;                    //  the jm_dashboard_t
    jm_bridge_t *bridge;
    jm_metrics_t *metrics;
    const jm_taxonomy_t *taxonomy;
    char *taxonomy_json;            //  GET /api/v1/taxonomy without filters, prebuilt
    size_t taxonomy_json_len;
    jm_store_t *store;              //  for /healthz and /metrics, under store_lock
    pthread_mutex_t store_lock;
    //  the reads of reader.c: one connection per HTTP thread, so a slow
    //  summary never holds a ranking page up (taken under store_lock)
    jm_store_t *readers [JM_APP_READERS_MAX];
    bool reader_busy [JM_APP_READERS_MAX];
    int reader_count;
    pthread_cond_t reader_free;
    atomic_ullong read_failures;    //  reads that found Redis unavailable
    json_t *ranked_seen;            //  job id -> version shown, last seen (reader_rank.c)
    pthread_mutex_t ranked_lock;
    const char *gateway;            //  endpoint, for logs (never in /healthz)
    int timeout_ms;                 //  gateway calls
    int health_timeout_ms;          //  gateway calls of /healthz and /metrics
    int min_matchers;               //  fewer registered matchers is "degraded"
    int search_scan_max;            //  ranking entries one search reads at most
    json_t *builtin_jobs;           //  data/jobs by id, until the registry exists (reader.h)
    int64_t started_us;
} jm_app_t;

#define JM_EXCHANGE_DONE        0
#define JM_EXCHANGE_WAIT        1

#define JM_EXCHANGE_CALLS_MAX   8       //  gateway calls in one round
#define JM_EXCHANGE_SEGMENTS    8       //  path segments kept

typedef enum {
    JM_METHOD_OTHER = 0, JM_METHOD_GET, JM_METHOD_HEAD, JM_METHOD_POST, JM_METHOD_PUT,
    JM_METHOD_DELETE
} jm_method_t;

typedef struct _jm_exchange_t jm_exchange_t;
typedef int (jm_handler_fn) (jm_exchange_t *self);

struct _jm_exchange_t {
    jm_app_t *app;
    struct MHD_Connection *connection;
    jm_method_t method;
    const char *route;              //  route pattern, the metrics label
    jm_handler_fn *handler;
    //  the request
    char *segment [JM_EXCHANGE_SEGMENTS];   //  decoded path segments, owned
    int segment_count;
    jm_buf_t body;
    bool body_too_large;
    size_t body_limit;
    //  gateway calls of the current round
    int stage;                      //  rounds completed
    jm_bridge_call_t calls [JM_EXCHANGE_CALLS_MAX];
    char *call_body [JM_EXCHANGE_CALLS_MAX];
    int call_count;
    int call_stage;                 //  the stage the calls were made in
    atomic_int outstanding;
    bool suspended;
    struct s_decoded *decoded;      //  query values decoded so far
    //  handler state kept across rounds
    void *state;
    void (*state_free) (void *state);
    //  the response
    int status;                     //  0 until set
    jm_buf_t out;
    const char *content_type;
    int retry_after;                //  seconds, 0 for none
    bool set_cookie;                //  the page got the token in ?token=
    char allow [64];                //  the Allow header of a 405
    const void *file;               //  a page file (jm_web_file_t) to send instead
    char error_code [JM_ERROR_CODE_MAX];    //  for metrics, "" on success
    int64_t started_us;
};

//  Creates an exchange for a request on connection; path is the raw
//  (still percent-encoded) path, split and decoded here.  Returns NULL when
//  the path cannot be decoded (a NUL byte or bad escape): the caller
//  answers 400.
jm_exchange_t *
    jm_exchange_new (jm_app_t *app, struct MHD_Connection *connection,
                     const char *method, const char *path, size_t body_limit);

//  Frees the exchange, its buffers, call replies and handler state.
//  Accepts NULL and nulls the caller's pointer.
void
    jm_exchange_destroy (jm_exchange_t **self_p);

//  Appends request body bytes; past body_limit they are counted as too
//  large and dropped.
void
    jm_exchange_take_body (jm_exchange_t *self, const char *data, size_t size);

//  The decoded value of query parameter name, or NULL.  The string is
//  owned by the exchange.
const char *
    jm_exchange_query (jm_exchange_t *self, const char *name);

//  The path segment at index (decoded), or NULL.
const char *
    jm_exchange_segment (jm_exchange_t *self, int index);

//  Adds a gateway call to this round; body is taken (freed with the
//  exchange).  timeout_ms 0 means the app's default.  Returns its index.
//  The first call of a round frees the previous round's calls and replies:
//  read those first.
int
    jm_exchange_call (jm_exchange_t *self, const char *service, char *body, int timeout_ms);

//  Sends the round's calls and suspends the connection; done by dashboard.c
//  after a handler returns JM_EXCHANGE_WAIT.
void
    jm_exchange_submit (jm_exchange_t *self);

//  The reply of call index decoded, when it says "ok": true: returns the
//  object with "ok" removed (a new reference the caller owns).  Otherwise
//  sets the error response (the service's error, a timeout, a reply that
//  is not JSON) and returns NULL.
json_t *
    jm_exchange_call_result (jm_exchange_t *self, int index);

//  Sets a JSON response from value (stolen).  Returns JM_EXCHANGE_DONE.
int
    jm_exchange_json (jm_exchange_t *self, int status, json_t *value);

//  Sets a response of raw bytes (copied).  Returns JM_EXCHANGE_DONE.
int
    jm_exchange_raw (jm_exchange_t *self, int status, const char *content_type,
                     const void *data, size_t size);

//  Sets an error response {"error": {"code", "message"}} with the status
//  the code maps to.  Returns JM_EXCHANGE_DONE.
int
    jm_exchange_error (jm_exchange_t *self, const char *code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Same from a jm_error_t, adding line and column when it has them.
int
    jm_exchange_error_from (jm_exchange_t *self, const jm_error_t *err);

//  Sets an error response from a service's error object (borrowed), kept
//  whole so that extra fields (unknown skills, line, column) reach the
//  client.  Returns JM_EXCHANGE_DONE.
int
    jm_exchange_error_object (jm_exchange_t *self, json_t *error);

//  The HTTP status for an error code: invalid_json 400, invalid_request 400,
//  unknown_skill 422, unknown_job 404, not_found 404, too_large 413, busy
//  503, no_workers 503, io_error 503, worker_lost 502, timeout 504,
//  unauthorized 401, method_not_allowed 405, cross_origin 403,
//  unsupported_media_type 415, misdirected_request 421, rate_limited 429,
//  anything else 500.
int
    jm_exchange_status_for (const char *code);

//  Parses the request body as JSON.  Returns the value (caller owns), or
//  NULL after setting a 400 invalid_json response naming line and column
//  (or 413 when the body was too large, 400 when it is empty).
json_t *
    jm_exchange_body_json (jm_exchange_t *self);

//  Microseconds on a monotonic clock.
int64_t
    jm_exchange_now_us (void);

#endif
