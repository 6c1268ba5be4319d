/*  gateway_internal.h: private to services/jobmatch-gateway.  The types the
    broker's files share and the functions they call in one another; no
    other program or library includes it.  The public API is gateway.h.

    The broker is one actor split along its seams, listed from the top:
    each file calls only files below it (the actor calls them all).
        gateway.c           the actor: loop handlers, the periodic tick,
                            construction, the public API
        gateway_client.c    the client side: checking client messages
                            (decoded by jm_mdp_decode), turning them into
                            requests, mmi.*, jobmatch.stats and
                            jobmatch.system answered by the gateway itself
        gateway_worker.c    the worker side: READY (slots, heartbeat),
                            REPLY, HEARTBEAT and DISCONNECT; workers
                            joining and leaving; requests a worker holds
                            past their deadline taken back
        gateway_stats.c     the latency histogram, the jobmatch.stats body
                            and the summary log line
        gateway_auth.c      CURVE, the ZAP handler's rules, --insecure and
                            the admin check on registry writes
        gateway_queue.c     requests, tokens and services: the queues, the
                            ready rings and dispatch
        gateway_send.c      replies and error replies to clients with
                            their envelope, requests to workers
        gateway_system.c    jobmatch.system's document: each worker, each
                            queue and the ring of the last failed requests
        gateway_limits.c    limits: per-client and global caps on requests
                            and bytes held, replies a client does not read
        gateway_util.c      the clock, rate-limited warnings, frames in hex
    Functions shared between these files are named gw_*; the rest are
    static (s_*) in the file that uses them.

    How it holds things.  Every request a client sends becomes a request_t
    that lives until it is answered exactly once: by its worker's reply, or
    by an error from the gateway.  A request is always in exactly one list:
    its service's queue (waiting) or its worker's in-flight list.  While in
    flight it is also in the tokens table under the dispatch token it was
    sent with; a new token is drawn for every dispatch, so a reply carrying
    an old token finds nothing and is dropped.

    A service (by name) holds its queue, its workers and a ring of the
    workers that have free slots; dispatch takes the head of the ring and
    moves it to the back, so workers with free slots take turns.  Services
    are created by the first request or READY naming them and deleted when
    they have no workers and no requests.

    Requests held (waiting + in flight) are capped at queue-max, their body
    bytes at held-bytes-max, and per client (routing id) at client-queue-max
    requests and client-bytes-max bytes; past a cap new requests are
    answered busy.  Waiting requests of a service with no workers are
    answered no_workers once they have waited no-worker-wait-ms.  A request
    a worker holds longer than request-timeout-ms is taken back and
    re-dispatched (to another worker when there is one), and answered
    timeout after max-attempts dispatches; a worker whose requests time out
    worker-timeouts-max times in a row is disconnected.

    A worker is lost, and what it holds goes back to the front of its
    queue, as soon as its connection closes: a socket monitor on the
    workers socket reports it, and ZeroMQ's heartbeat closes a connection
    silent for peer-timeout-ms (gateway_worker.c); missed MDP heartbeats
    (heartbeat-ms x liveness) are the last resort.

    Every lookup on the message path is a hash (tokens, worker identities,
    service names) or a list head; the only scans are over workers and
    services, once per tick.                                               */
#ifndef JM_GATEWAY_INTERNAL_H
#define JM_GATEWAY_INTERNAL_H

#include "gateway.h"
#include "jm_probe.h"
#include "jm_prom.h"
#include "jm_failures.h"
#include "jm_log.h"
#include "jm_mdp.h"
#include "jm_mdp_decode.h"
#include "jm_zap.h"

#include <czmq.h>

#ifndef JM_VERSION
#   define JM_VERSION "unknown"
#endif

#define HEX_MAX             (JM_MDP_SERVICE_MAX * 2 + 1)
//  Latency histogram buckets: one per bound in gateway_stats.c, plus one
//  that counts everything slower.
#define LATENCY_BUCKETS     ((size_t) 17)
//  Failed requests jobmatch.system remembers (gateway_system.c)
#define FAILURES_KEPT       ((size_t) 100)

typedef struct {
    char *clients;
    char *workers;
    int heartbeat_ms;
    int liveness;
    int max_attempts;
    int no_worker_wait_ms;
    size_t queue_max;
    size_t max_body;
    int request_timeout_ms;     //  deadline of a request held by a worker
    int worker_timeouts_max;    //  timeouts in a row that disconnect a worker; 0: never
    size_t client_queue_max;    //  requests one client may have held
    size_t client_bytes_max;    //  body bytes one client may have held
    size_t held_bytes_max;      //  body bytes held, all clients
    size_t max_worker_message;  //  largest frame the workers socket takes
    int client_reply_max;       //  replies queued to one client (send high water mark)
    int drain_ms;               //  on $TERM, how long to wait for requests workers hold
    int peer_timeout_ms;        //  ZMTP heartbeat timeout on worker connections; 0: off
    //  CURVE: read at start only (borrowed from the config, then NULL)
    char *curve_cert;           //  the gateway's secret certificate; "": no CURVE
    char *curve_clients;        //  directories of allowed public certificates
    char *curve_workers;
    char *curve_admins;         //  "": no admin check
    bool insecure;              //  serve non-loopback addresses without CURVE
    jm_probe_t *probe;          //  --metrics-listen (borrowed), NULL: off
} settings_t;

typedef struct _request_t request_t;
typedef struct _worker_t worker_t;
typedef struct _service_t service_t;

typedef struct {
    request_t *head;
    request_t *tail;
    size_t size;
} request_list_t;

struct _request_t {
    request_t *prev, *next;     //  in its service's queue or its worker's in-flight list
    uint64_t token;             //  current dispatch token; key in tokens while in flight
    zframe_t *client;           //  client routing id
    zframe_t **envelope;        //  the client's frames before its delimiter (ours: the
    size_t envelope_size;       //  request id; stock clients: none), echoed in the reply
    zframe_t **body;            //  the body's frames, kept for re-dispatch; one block
    size_t body_size;           //  of memory with envelope (envelope + envelope_size)
    size_t bytes;               //  body bytes, all frames, counted against the byte caps
    service_t *service;
    worker_t *worker;           //  set while in flight
    int attempts;               //  dispatches so far
    int64_t received_us;        //  for the latency histogram
    int64_t queued_ms;          //  when it (re)entered the queue
    int64_t dispatched_ms;      //  when it was last dispatched (its deadline runs from here)
    int64_t dispatched_us;      //  the same, for jobmatch_request_duration_seconds
    uint64_t avoid_worker;      //  serial of the worker it last timed out at, 0: none
};

struct _worker_t {
    zframe_t *identity;         //  routing id at the workers socket
    char *key;                  //  identity in hex, key in workers table
    service_t *service;
    int slots;                  //  requests it may hold now (HEARTBEAT "slots=N")
    int slots_max;              //  its READY "slots=N"
    int busy;
    int heartbeat_ms;           //  its READY "heartbeat=MS", or the stock 7/MDP interval
    uint64_t serial;            //  unique in this run, never reused
    int timeouts_in_row;        //  requests taken back since its last reply in time
    int64_t expires_at;
    int64_t joined_ms;          //  when its READY came
    int64_t heard_ms;           //  when it last sent anything
    char name [JM_MDP_NAME_MAX + 1];    //  its READY "name=", "": none said
    int fd;                     //  descriptor of its connection (message metadata), -1: unknown
    request_list_t in_flight;
    worker_t *prev, *next;      //  in its service's worker list
    worker_t *ready_prev, *ready_next;  //  in its service's ready ring
    bool ready;                 //  in the ready ring (has free slots)
};

struct _service_t {
    char *name;
    request_list_t queue;
    worker_t *workers;          //  all workers, for stats and counting
    size_t worker_count;
    size_t slot_count;
    worker_t *ready_head, *ready_tail;
    size_t in_flight;
    int64_t no_workers_since;   //  when it last had no workers
    uint64_t dispatched;        //  sends to its workers, re-dispatches included
    uint64_t redispatched;      //  requests taken back and queued again
    jm_prom_histogram_t latency;    //  last dispatch to reply, /metrics
};

typedef struct {
    uint64_t requests;          //  well-formed requests, built-ins included
    uint64_t replies;           //  worker replies delivered
    uint64_t builtin;           //  answered by mmi.*, jobmatch.stats and jobmatch.system
    uint64_t no_workers, busy, too_large, worker_lost, invalid_request;
    uint64_t dispatches;        //  requests sent to workers, re-dispatches included
    uint64_t redispatches;
    uint64_t worker_errors;     //  worker replies that were error replies
    uint64_t late_replies;      //  replies whose request was re-dispatched or answered
    uint64_t dropped_client;    //  malformed client messages dropped unanswered
    uint64_t dropped_worker;    //  malformed worker messages
    uint64_t workers_joined, workers_left;
    uint64_t workers_expired;   //  workers lost: missed heartbeats or a closed connection
    uint64_t workers_disconnected;  //  of those, removed when their connection closed
    uint64_t stale_ready;       //  READY read after its connection had closed, dropped
    uint64_t timeouts;          //  dispatches past request-timeout-ms, taken back
    uint64_t timeout;           //  requests answered timeout
    uint64_t workers_timed_out; //  workers disconnected for timeouts in a row
    uint64_t busy_queue, busy_held_bytes, busy_client_queue, busy_client_bytes;
    uint64_t replies_unread;    //  replies dropped: the client's queue was full
    uint64_t replies_gone;      //  replies dropped: the client had disconnected
    uint64_t forbidden;         //  registry writes refused to non-admin keys
    uint64_t unavailable;       //  requests answered unavailable while stopping
    uint64_t latency [LATENCY_BUCKETS];
    uint64_t latency_count;
    uint64_t latency_sum_us;
} counters_t;

typedef struct {
    zsock_t *pipe;
    zloop_t *loop;
    zsock_t *clients;           //  ROUTER
    zsock_t *workers;           //  ROUTER
    zsock_t *monitor;           //  PAIR: the workers socket's connection events
    zhashx_t *worker_fds;       //  connection descriptor -> worker_t, for workers with one
    zhashx_t *open_fds;         //  descriptors of the workers socket's open connections
    settings_t settings;
    zhashx_t *services;         //  name -> service_t
    zhashx_t *worker_table;     //  identity hex -> worker_t
    zhashx_t *tokens;           //  &request->token -> request_t, while in flight
    uint32_t epoch;             //  first 4 bytes of every token of this run
    uint64_t next_token;
    size_t held;                //  requests waiting or in flight
    size_t held_peak;           //  most held at once since memory was last trimmed
    size_t held_bytes;          //  their body bytes
    size_t held_bytes_peak;     //  most held at once since memory was last trimmed
    uint64_t traffic_bytes;     //  bytes received since memory was last trimmed
    zhashx_t *client_table;     //  client routing id frame -> client_t, while it holds requests
    uint64_t next_worker_serial;
    size_t queued;
    size_t in_flight;
    int64_t now_ms;             //  monotonic, read once per wake-up
    int64_t started_ms;
    int64_t heartbeat_at;
    int64_t summary_at;
    uint64_t summary_requests;  //  requests at the last summary
    int64_t warn_second;
    int warn_count;
    uint64_t warnings_suppressed;
    counters_t counters;
    jm_failures_t *failures;    //  the last FAILURES_KEPT failed requests
    jm_curve_t *curve;          //  the gateway's keys, NULL without CURVE
    jm_zap_t *zap;              //  the ZAP handler, NULL without CURVE
    bool admin_writes;          //  registry writes need an admin key (--curve-admins)
    bool draining;              //  stopping: new requests get unavailable (gateway.c)
    int64_t drain_until;        //  then those workers still hold get it too
} broker_t;


//  --------------------------------------------------------------------------
//  gateway_util.c: small helpers

//  Returns the time in microseconds, for request latencies.
int64_t
    gw_now_us (void);

//  Logs a warning about bad input from a peer, at most a few a second; the
//  rest are counted and reported in the summary.
void
    gw_warn (broker_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

//  Writes a frame in hex into buffer (HEX_MAX for a routing id); returns
//  buffer.
const char *
    gw_frame_hex (zframe_t *frame, char *buffer, size_t size);


//  --------------------------------------------------------------------------
//  gateway_send.c: what the broker sends

//  Sends a reply [client, envelope..., "", MDPC01, service, body...] to a
//  client: the body is body_size frames (borrowed: shared, not copied) or,
//  when body_size is 0, body_text.
void
    gw_client_send (broker_t *self, zframe_t *client, zframe_t **envelope, size_t envelope_size,
                    const void *service, size_t service_size, zframe_t **body, size_t body_size,
                    const char *body_text);

//  Sends an error reply to a client and counts it.
void
    gw_client_send_error (broker_t *self, zframe_t *client, zframe_t **envelope,
                          size_t envelope_size, const void *service, size_t service_size,
                          const char *code, const char *format, ...)
                          __attribute__ ((format (printf, 8, 9)));

//  Answers a request with an error (it stays the caller's to destroy).
void
    gw_request_send_error (broker_t *self, request_t *request, const char *code,
                           const char *message);

//  Writes the request's label for logs (its first envelope frame, printable,
//  or "-" for a stock client's request) into buffer; returns buffer.
const char *
    gw_request_label (request_t *request, char *buffer, size_t size);

//  Sends a request to a worker under token: REQUEST [token, "", body...].
void
    gw_request_send (broker_t *self, request_t *request, worker_t *worker,
                     const byte *token, size_t token_size);

//  Frees the frames a request holds (not the request).
void
    gw_request_free_frames (request_t *request);

//  --------------------------------------------------------------------------
//  gateway_queue.c: requests, tokens and services

//  Adds a request at the tail of a list.
void
    gw_list_append (request_list_t *list, request_t *request);

//  Adds a request at the head of a list.
void
    gw_list_prepend (request_list_t *list, request_t *request);

//  Takes a request out of the list it is in.
void
    gw_list_remove (request_list_t *list, request_t *request);

//  The hasher and comparator of the tokens table, keyed on &request->token.
size_t
    gw_token_hash (const void *key);
int
    gw_token_compare (const void *key_1, const void *key_2);

//  Returns the counter of a token frame of this run, or 0 (never issued).
uint64_t
    gw_token_decode (broker_t *self, zframe_t *frame);

//  Frees a request that is in no list and nulls the caller's pointer.
void
    gw_request_destroy (broker_t *self, request_t **request_p);

//  Answers a request (not in any list) with an error and destroys it.
void
    gw_request_fail (broker_t *self, request_t **request_p, const char *code,
                     const char *message);

//  Takes the request at the head of a worker's in-flight list back from it
//  (off the list and the tokens table, its slot freed); returns it.
request_t *
    gw_request_take_back (broker_t *self, worker_t *worker);

//  Re-queues a request taken back onto requeue, or answers it with code
//  (message from describe) when it has had max-attempts dispatches.
//  Returns true when it was answered.
bool
    gw_request_retry_or_fail (broker_t *self, request_t *request, request_list_t *requeue,
                              const char *code, void (*describe) (broker_t *, request_t *,
                                                                  char *, size_t));

//  Puts the requests of requeue at the front of their service's queue, in
//  their order; returns how many.
size_t
    gw_service_requeue_first (broker_t *self, service_t *service, request_list_t *requeue);

//  Returns the service of this name, creating it when there is none.
service_t *
    gw_service_require (broker_t *self, const char *name);

//  Puts a worker with free slots at the back of its service's ready ring.
void
    gw_ready_append (service_t *service, worker_t *worker);

//  Takes a worker out of its service's ready ring, when it is in it.
void
    gw_ready_remove (service_t *service, worker_t *worker);

//  Hands waiting requests to workers with free slots, taking turns.
void
    gw_service_dispatch (broker_t *self, service_t *service);

//  Answers no_workers to the requests of a service without workers that
//  have waited no-worker-wait-ms.
void
    gw_service_expire_waiting (broker_t *self, service_t *service);

//  Frees a service (its workers and requests are gone) and nulls the
//  caller's pointer.
void
    gw_service_destroy (service_t **service_p);


//  --------------------------------------------------------------------------
//  gateway_client.c: the client side

//  Handles one message from the clients socket; msg is borrowed (the
//  frames a request keeps are taken out of it).
void
    gw_client_message (broker_t *self, zmsg_t *msg);


//  --------------------------------------------------------------------------
//  gateway_worker.c: the worker side

//  Sends a command with no body to a worker identity.
void
    gw_worker_send_command (broker_t *self, zframe_t *identity, byte command);

//  Removes a worker and frees it, re-queueing or failing its requests;
//  sends it DISCONNECT when disconnect is true.  Nulls the caller's pointer.
void
    gw_worker_delete (broker_t *self, worker_t **worker_p, bool disconnect, const char *reason);

//  Handles one message from the workers socket; msg is borrowed.
void
    gw_worker_message (broker_t *self, zmsg_t *msg);

//  Starts watching the connections of the workers socket (a socket
//  monitor read on an inproc PAIR, self->monitor); call before it binds.
//  Returns 0, or -1 with the reason in error.
int
    gw_worker_monitor_start (broker_t *self, zsock_t *workers, char *error, size_t error_size);

//  Handles the connection events waiting on the monitor socket: a worker
//  whose connection closed is removed at once, its requests re-queued.
void
    gw_worker_monitor_drain (broker_t *self);

//  Takes back the requests a worker has held past request-timeout-ms (the
//  heads of its in-flight list), re-queueing them or answering timeout.
//  Returns true when the worker has now timed out worker-timeouts-max times
//  in a row: it is out of its service's ready ring and the caller
//  disconnects it.
bool
    gw_worker_overdue (broker_t *self, worker_t *worker);


//  --------------------------------------------------------------------------
//  gateway_limits.c: limits

//  Creates the per-client table; returns it.
zhashx_t *
    gw_limits_client_table_new (void);

//  Makes sends on the clients socket fail instead of blocking or dropping
//  silently: a reply to a client with client-reply-max replies unread (the
//  send high water mark, set before the bind) or that has gone is dropped
//  and counted.
void
    gw_limits_clients_socket (broker_t *self, zsock_t *sock);

//  Returns true when a request of body_size bytes from client may be held;
//  otherwise writes into message why not (which cap), counts it and
//  returns false: the caller answers busy.
bool
    gw_limits_admit (broker_t *self, zframe_t *client, size_t body_size, char *message,
                     size_t message_size);

//  Counts a request accepted (request->bytes set) against its client and
//  the global byte cap.
void
    gw_limits_hold (broker_t *self, request_t *request);

//  Takes a request that is being freed off its client's and the global
//  byte count; frees the client's entry when it holds nothing more.
void
    gw_limits_release (broker_t *self, request_t *request);

//  Counts a reply to a client that could not be sent; error is the errno
//  of the failed send.
void
    gw_limits_reply_dropped (broker_t *self, int error);


//  --------------------------------------------------------------------------
//  gateway_auth.c: CURVE and who may do what

//  Loads the keys and starts the ZAP handler when CURVE is on; else checks
//  that only loopback is bound, or --insecure.  Call before binding.
//  Returns 0, or -1 with the reason in error.
int
    gw_auth_start (broker_t *self, char *error, size_t error_size);

//  Makes a socket a CURVE server for the clients or the workers domain
//  (before it binds); does nothing without CURVE.
void
    gw_auth_apply (broker_t *self, zsock_t *sock, bool clients);

//  The loop handler of the ZAP socket.
int
    gw_auth_handle_zap (zloop_t *loop, zsock_t *sock, void *arg);

//  Stops the ZAP handler and frees the keys (after the sockets closed).
void
    gw_auth_stop (broker_t *self);

//  Checks a well-formed client request against the sender's role: with
//  --curve-admins, registry writes need an admin key.  Returns true when it
//  may go on; else it has been answered forbidden.
bool
    gw_auth_request_allowed (broker_t *self, jm_mdp_client_msg_t *request);

//  The "denied" object of jobmatch.stats: peers refused per socket.
struct json_t *
    gw_auth_stats_json (broker_t *self);


//  --------------------------------------------------------------------------
//  gateway_stats.c: statistics

//  Counts one request's latency in the histogram.
void
    gw_record_latency (broker_t *self, int64_t micros);

//  Returns the jobmatch.stats body (caller frees).
char *
    gw_stats_json (broker_t *self);

//  Logs the summary line, prefixed by when ("" or "final ").
void
    gw_log_summary (broker_t *self, const char *when);

//  Publishes the gateway's metrics and readiness to its probe
//  (--metrics-listen); does nothing without one.
void
    gw_publish_metrics (broker_t *self);


//  --------------------------------------------------------------------------
//  gateway_system.c: jobmatch.system, for inspection

//  Remembers a failed request: its client, service (service_size bytes, any
//  bytes), error code, dispatches so far, and who answered ("gateway" or
//  "worker").  Never anything of its body.
void
    gw_system_failure (broker_t *self, zframe_t *client, const void *service,
                       size_t service_size, const char *code, int attempts, const char *source);

//  Remembers a worker's reply to request when it is an error reply
//  ({"ok":false,"error":{"code":C,...}}); looks at its first bytes only.
void
    gw_system_check_reply (broker_t *self, request_t *request, zframe_t **body,
                           size_t body_size);

//  The jobmatch.system document of proto/protocol.md 6.3 for request (a new
//  string, caller frees), or NULL with err set (invalid_request) when its
//  body is not empty nor a JSON object with only "failures".
char *
    gw_system_json (broker_t *self, jm_mdp_client_msg_t *request, jm_error_t *err);

#endif
