/*  jm_store: the only module that talks to Redis.

    A matcher works in batches, and so does the store: one pipelined round
    trip looks up the cached results of a whole batch (jm_store_lookup_start
    and _next, which read each hit from the socket only when the caller
    gets to it, so a batch's hits are never all held at once), and one
    pipelined round trip writes the batch's new results
    (jm_store_write_many queues, jm_store_flush sends).  No call costs a round
    trip per item.

    Writes are at-least-once.  Every queued command stays in the store's own
    pending buffer until Redis has answered it (hiredis's redisReconnect
    would drop its output buffer, so we never rely on it).  While Redis is
    unreachable writes accumulate in that buffer, and none is ever dropped:
    its limits (by commands and by bytes) are a bound the owner watches
    (jm_store_pending_fill) to stop taking work that would add writes; the
    store logs once when the bound is reached.  It reconnects with jittered
    exponential backoff (backoff_min_ms doubling to backoff_max_ms), and the
    flushes and ticks after reconnecting replay the pending writes in order
    (a long backlog in steps of at most 50 ms per call),
    then log "back after N s, replayed M writes".  Queued commands must
    therefore be idempotent (SET, HSET, ZADD, SADD, PEXPIRE... are).  A command
    Redis refuses for good (WRONGTYPE, syntax) is logged, counted and dropped;
    one refused for now (LOADING, OOM, READONLY, BUSY...) stays pending and
    is retried after a backoff.  A Redis that refuses us (NOAUTH: no
    password, WRONGPASS, NOPERM: an ACL user short of a permission) is down:
    the connection is dropped, writes stay pending, reads fail.

    Each connection logs in (AUTH), selects its db and PINGs before use.
    rediss:// URLs go through jm_tls (GnuTLS), since Debian's hiredis 0.14
    has no TLS.  A password is kept only in the store and never printed.

    While Redis is down, lookups return at once as all misses (after at most
    one connect attempt, bounded by connect_timeout_ms, when a retry is due),
    so a matcher keeps scoring without its cache.  Every command is bounded
    by command_timeout_ms; a connection that times out is dropped and
    treated as a loss.  The owner's loop calls jm_store_tick when idle so
    reconnection and replay happen without traffic.

    The store ignores SIGPIPE (if it was left at its default), since a write
    to a Redis that just died would otherwise kill the process.

    Besides results, the store runs any command synchronously for the job
    registry and the results service: a jm_store_calls_t collects commands
    (plain or EVALSHA of a registered Lua script), jm_store_run sends them in
    one round trip and keeps every reply as a jm_reply_t, our own copy, so no
    other file sees a hiredis type.  Scripts are hashed here (SHA-1), loaded
    into Redis on every connection and reloaded when Redis says NOSCRIPT.

    A Redis Cluster (a seed list, or one node's address) is one Redis to
    the callers: every round trip goes through jm_cluster, which sends each
    command to its slot's master, splits a transaction or MGET that spans
    slots, and follows MOVED and ASK; a lost node is an outage as above.
    The registry's and rankings' keys then carry the hash tag {<ns>}
    (jm_keys_set_cluster, proto/redis-keys.md 1.1).

    Results and rankings use the keys of jm_keys (proto/redis-keys.md,
    proto/services.md).  A store is not thread-safe: one store per thread or
    actor.                                                                   */
#ifndef JM_STORE_H
#define JM_STORE_H

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"
#include "jm_keys.h"

typedef struct _jm_store_t jm_store_t;

//  Settings; jm_store_options_default fills in the defaults shown.
typedef struct {
    const char *key_namespace;      //  key prefix, "jobmatch" (copied)
    int connect_timeout_ms;         //  1000: bound on one connect attempt
    int command_timeout_ms;         //  1000: bound on each socket read/write
    int64_t result_ttl_ms;          //  7 days: TTL of stored results; 0 = none
    int64_t profile_ttl_ms;         //  30 days: TTL of stored profiles; 0 = none
    size_t pending_max_commands;    //  200000: bound on commands kept while Redis is down
    size_t pending_max_bytes;       //  256 MiB: bound on bytes kept while Redis is down
                                    //  (never dropped: see jm_store_pending_fill)
    int backoff_min_ms;             //  100: first reconnect delay
    int backoff_max_ms;             //  5000: reconnect delay cap
    //  Who we are and how we get there (copied; NULL or "" for none):
    const char *password;           //  sent with AUTH when the URL holds none
    const char *tls_ca_file;        //  rediss://: CA certificates (PEM); default the system's
    const char *tls_cert_file;      //  rediss://: client certificate (PEM), with its key
    const char *tls_key_file;       //  rediss://: the client certificate's private key
    const char *tls_server_name;    //  rediss://: name Redis's certificate carries; default the host
} jm_store_options_t;

//  Fills options with the defaults.
void jm_store_options_default (jm_store_options_t *options);

//  One item of a batch lookup.  The caller fills job, candidate and
//  fingerprint (borrowed for the call); the store fills hit: the job's
//  compact record of the candidate (proto/redis-keys.md 3.1.1) holds that
//  fingerprint, so scoring the same profile against the same job version
//  with the same scorer gives again, byte for byte, the result stored.
typedef struct {
    const char *job;                //  job id
    const char *candidate;          //  candidate id
    const char *fingerprint;        //  expected fingerprint (jm_registry_fingerprint)
    bool hit;                       //  out: a record with that fingerprint is stored
} jm_store_lookup_t;

//  One result to write; every field is borrowed for the call only.
typedef struct {
    const char *job;                //  job id
    const char *version;            //  job version the result was scored for
    const char *candidate;          //  candidate id
    double score;                   //  ranking score
    const char *fingerprint;        //  "<version>:<hex hash of normalized profile>"
    const char *json;               //  full result JSON text: not stored (readers
    size_t json_len;                //  recompute it, jm_results_read.h); may be NULL
    //  Optional, for ranking pages: when band is set, the hash also gets
    //  band, name (when not NULL) and required, the candidate is added to
    //  the band's ranking <ns>:rank:<job>:<version>:<band> and removed from
    //  the three other bands' (a candidate scored again may change band).
    const char *band;               //  "strong", "good", "partial", "weak"
    const char *name;               //  the candidate's name, or NULL
    const char *required;           //  e.g. "7 of 7"
    //  For the job version's kept summary (<ns>:rank:<job>:<version>:summary):
    //  the requirements it misses, one byte each (jm_result_write_missing),
    //  NULL or "" for none; and the job's labels (jm_job_labels), NULL
    //  when it misses none.
    const char *missing;
    size_t missing_len;
    const char *labels;
    size_t labels_len;
    //  The job's retention (jm_job_retain_top, _min_score; 0: none): the
    //  ranking and its band sets are trimmed to it in the same write; the
    //  kept summary still counts every candidate.
    long retain_top;
    double retain_min_score;
} jm_store_result_t;

//  Counters since jm_store_new, and the pending buffer's size now.
typedef struct {
    uint64_t commands_sent;         //  commands written to Redis (incl. replays)
    uint64_t round_trips;           //  pipelines sent and fully answered
    uint64_t errors;                //  error replies from Redis
    uint64_t connect_attempts;      //  connection attempts, failed or not
    uint64_t reconnects;            //  successful connections after a loss
    uint64_t confirmed;             //  writes Redis confirmed
    uint64_t dropped;               //  writes dropped unconfirmed: always 0 (kept for
                                    //  the dashboard; nothing is dropped any more)
    uint64_t lookups;               //  items looked up
    uint64_t hits;                  //  of which cache hits
    size_t pending_writes;          //  queued writes not yet confirmed
    size_t pending_commands;        //  commands in them
    size_t pending_bytes;           //  bytes in them
    size_t pending_peak_bytes;      //  the most bytes pending at once, ever
} jm_store_stats_t;

//  --------------------------------------------------------------------------
//  Replies: our own copy of what Redis answered

typedef enum {
    JM_REPLY_NIL = 0,               //  nil (also Lua false)
    JM_REPLY_STRING,                //  bulk string
    JM_REPLY_STATUS,                //  +OK and friends
    JM_REPLY_INTEGER,
    JM_REPLY_ARRAY,
    JM_REPLY_ERROR                  //  str holds the message ("WRONGTYPE ...")
} jm_reply_type_t;

typedef struct _jm_reply_t jm_reply_t;
struct _jm_reply_t {
    jm_reply_type_t type;
    long long integer;              //  INTEGER
    char *str;                      //  STRING, STATUS, ERROR: NUL-terminated
    size_t len;                     //  bytes in str
    size_t count;                   //  ARRAY: items
    jm_reply_t *items;              //  ARRAY: count items
};

//  Item index of an array reply (borrowed), or NULL when self is NULL, not
//  an array, or too short.
const jm_reply_t *jm_reply_item (const jm_reply_t *self, size_t index);

//  The text of a string or status reply (borrowed), else NULL.
const char *jm_reply_str (const jm_reply_t *self);

//  True with *value set for an integer reply or a string holding a decimal
//  integer; false otherwise (value untouched).
bool jm_reply_int (const jm_reply_t *self, long long *value);

//  True for an error reply.
bool jm_reply_is_error (const jm_reply_t *self);


//  --------------------------------------------------------------------------
//  Calls: commands sent together in one round trip, replies kept

typedef struct _jm_store_calls_t jm_store_calls_t;

//  A Lua script registered with a store (jm_store_script); owned by it.
typedef struct _jm_store_script_t jm_store_script_t;

//  Creates an empty set of calls; reuse it with jm_store_calls_reset.
jm_store_calls_t *jm_store_calls_new (void);

//  Frees the calls and their replies; nulls the pointer; safe on NULL.
void jm_store_calls_destroy (jm_store_calls_t **self_p);

//  Forgets every command and reply, keeping the memory.
void jm_store_calls_reset (jm_store_calls_t *self);

//  Adds a command; argv [i] holds argvlen [i] bytes (argvlen NULL: strings).
//  Returns its index, which jm_store_calls_reply takes.
size_t jm_store_calls_add (jm_store_calls_t *self, int argc, const char **argv,
                           const size_t *argvlen);

//  Same with the arguments as strings, ending with NULL:
//  jm_store_calls_addv (calls, "GET", key, NULL).
size_t jm_store_calls_addv (jm_store_calls_t *self, const char *arg, ...)
    __attribute__ ((sentinel));

//  Adds EVALSHA of script with numkeys keys, then the argc keys and
//  arguments (argvlen NULL: strings).  Returns its index.
size_t jm_store_calls_add_script (jm_store_calls_t *self, const jm_store_script_t *script,
                                  int numkeys, int argc, const char **argv,
                                  const size_t *argvlen);

//  Commands added so far.
size_t jm_store_calls_count (const jm_store_calls_t *self);

//  The reply to command index after a successful jm_store_run (borrowed,
//  valid until the next run, reset or destroy), else NULL.
const jm_reply_t *jm_store_calls_reply (const jm_store_calls_t *self, size_t index);

//  Sends every command in one pipelined round trip and keeps the replies.
//  A script Redis does not know (NOSCRIPT: its script cache was flushed) is
//  loaded and that command sent once more.  Returns 0 when every command
//  was answered without error.  Returns -1 when Redis is not available (no
//  replies then; commands may or may not have run), and when Redis answered
//  any command with an error (WRONGTYPE, LOADING, a failed script...; the
//  first is logged, the replies are kept for callers that say which item
//  failed): an error is never "no data", so callers treat both as Redis
//  being unavailable.  Pending writes are not flushed first.
int jm_store_run (jm_store_t *self, jm_store_calls_t *calls);

//  Registers a Lua script under name (for logs).  Returns the script, owned
//  by the store until it is destroyed.  Its SHA-1 is computed at once, so
//  EVALSHA can be queued before any connection; the store loads every
//  registered script (SCRIPT LOAD) after each (re)connection.
const jm_store_script_t *jm_store_script (jm_store_t *self, const char *name,
                                          const char *text);

//  Queues EVALSHA of script as one write in the pending buffer, like
//  jm_store_append.  NOSCRIPT holds the writes, which go again once the
//  scripts are loaded.  Returns 0 or -1 (see jm_store_append).
int jm_store_append_script (jm_store_t *self, const jm_store_script_t *script,
                            int numkeys, int argc, const char **argv, const size_t *argvlen);


//  --------------------------------------------------------------------------
//  Creating, looking up, writing

//  Creates a store for url, either "redis://[user[:password]@]host[:port][/db]"
//  (port 6379 and db 0 by default; IPv6 hosts in brackets; user and password
//  percent-encoded), the same with "rediss://" for TLS, or
//  "unix://[user[:password]@]/path/to/socket[?db=N]", or a Redis Cluster's
//  seed list "redis://[user[:password]@]host[:port],host[:port],...[/0]"
//  ("rediss://" for TLS to every node; jm_cluster: every command goes to
//  its slot's master).  A single address that answers CLUSTER SLOTS on the first connection is
//  used as a cluster too; anything else stays one Redis.  options may be NULL
//  for the defaults.  On every connection the store sends AUTH (AUTH user
//  password for an ACL user) when it has a password, SELECT when the db is
//  not 0, and PING: a Redis that refuses any of them (NOAUTH, WRONGPASS,
//  NOPERM, a bad db) is down until it accepts them.  Tries to connect
//  once: an unreachable Redis is logged and retried with backoff, not an
//  error (see jm_store_connected).  Returns NULL with err set
//  (invalid_request naming the fault, the URL's password redacted) only for
//  a bad URL, bad options or unreadable TLS files.
jm_store_t *jm_store_new (const char *url, const jm_store_options_t *options,
                          jm_error_t *err);

//  The settings table rows of the Redis credentials and TLS files, for
//  every program that reads them with jm_store_new_from_config (its table
//  also has "redis" and "redis-url").
#define JM_STORE_CONFIG_OPTIONS \
    { "redis-password-file", JM_CONFIG_STRING, "", 0, 0, \
      "file whose first line is the Redis password (AUTH), used when the URL has none; " \
      "or set JOBMATCH_REDIS_PASSWORD (never put a password on the command line)" }, \
    { "redis-tls-ca", JM_CONFIG_STRING, "", 0, 0, \
      "rediss://: CA certificates (PEM) Redis's certificate must chain to (default: the system's)" }, \
    { "redis-tls-cert", JM_CONFIG_STRING, "", 0, 0, \
      "rediss://: client certificate (PEM), for a Redis with tls-auth-clients" }, \
    { "redis-tls-key", JM_CONFIG_STRING, "", 0, 0, \
      "rediss://: private key (PEM) of --redis-tls-cert" }, \
    { "redis-tls-servername", JM_CONFIG_STRING, "", 0, 0, \
      "rediss://: name Redis's certificate must carry (default: the URL's host)" }

struct _jm_config_t;

//  Creates a store as jm_store_new, from the settings of config: the URL
//  ("redis-url", else "redis"), the password (the URL's, else the first
//  line of "redis-password-file", else $JOBMATCH_REDIS_PASSWORD) and the
//  "redis-tls-*" files; options (not NULL) gives the rest.  Returns NULL
//  with err set for a bad URL or an unreadable password file.
jm_store_t *jm_store_new_from_config (struct _jm_config_t *config,
                                      const jm_store_options_t *options, jm_error_t *err);

//  Closes the connection, frees the store and any pending writes (logging
//  how many are lost), and nulls the pointer; safe on NULL and twice.
void jm_store_destroy (jm_store_t **self_p);

//  Looks up count items in one pipelined round trip (HGET of each one's
//  record, some 30 bytes), streamed: sends the lookups and returns at once
//  (0, or -1 when Redis is not available: every item a miss, and the call
//  did not block longer than one connect attempt, none at all while
//  backing off).  Items with invalid ids or error replies are misses.  Then
//  jm_store_lookup_next hands over each item's result in order, reading
//  each hit from the socket only then, so the hits of a large batch are
//  never held all at once.  items stay the caller's, and must live until
//  every item was handed over or the next call of the store.
int jm_store_lookup_start (jm_store_t *self, jm_store_lookup_t *items, size_t count);

//  Fills hit of items [item] (items handed over in increasing order, each
//  at most once; those skipped are misses).  Returns hit.  Other calls may come between (writes are queued, not sent, until
//  every reply is read; a call that must use the connection first reads
//  the rest, whose items are then misses).
bool jm_store_lookup_next (jm_store_t *self, size_t item);

//  Queues the writes of count results as one pending entry, in one
//  MULTI/EXEC: each result's compact record (jm_record, HSET of its bucket
//  hash, PEXPIRE result_ttl_ms); then, per job version, one
//  ZADD to the ranking of (job, version) for all of them and, with a band,
//  one ZADD to the band's set when it is strong or good and one ZREM from
//  the other such set (partial and weak are score ranges: the band must be
//  the score's, as jm_score_band gives it; see jm_keys_rank_range), so
//  that Redis runs a few commands per batch instead of three to five per
//  result.  Nothing is sent until jm_store_flush.  errors [i] is cleared,
//  or set (invalid_request) when result i is invalid (left out, the others
//  queued).  Returns how many were queued; writes are queued even past the
//  pending bound (see jm_store_pending_fill).
int jm_store_write_many (jm_store_t *self, const jm_store_result_t *results, size_t count,
                         jm_error_t *errors);

//  Adds the commands of count result writes to calls, grouped as
//  jm_store_write_many groups them (each SET, then per job version one
//  ZADD to the ranking, the band sets' ZADD and ZREM, one summary script
//  call), without its MULTI/EXEC.  errors [i] is cleared, or set when
//  result i is invalid (left out).  Returns how many were added.
int jm_store_calls_add_results (jm_store_t *self, jm_store_calls_t *calls,
                                const jm_store_result_t *results, size_t count,
                                jm_error_t *errors);

//  Queues SET <ns>:profile:<candidate> json (PX profile_ttl_ms) as one
//  write; json is the profile packed (jm_profile_pack) or as JSON, json_len
//  bytes (0: up to its NUL).  Returns 0, or -1 with err set when the id is
//  invalid.
int jm_store_write_profile (jm_store_t *self, const char *candidate, const char *json,
                            size_t json_len, jm_error_t *err);

//  Queues any command, e.g. {"SADD", "jobmatch:jobs", id}, as one write that
//  goes through the same pending buffer.  argv [i] holds argvlen [i] bytes
//  (binary-safe); argvlen NULL means NUL-terminated strings.  Build key names
//  with jm_store_keys.  Returns 0, or -1 when argc < 1.
int jm_store_append (jm_store_t *self, int argc, const char **argv, const size_t *argvlen);

//  Sends the pending writes in pipelines of at most 16384 commands and
//  1 MiB (a usual batch is one) and reads all replies; after an outage or
//  a refusal, until nothing is pending, a call flushes for at most 50 ms,
//  so some may stay pending (see jm_store_pending).  Confirmed writes
//  and those Redis refused for good leave the buffer; the rest stay.
//  Returns the number of writes confirmed (all their commands answered
//  without error), or -1 when Redis is not available (down, backing off,
//  refusing writes for now, or lost during the flush).
int jm_store_flush (jm_store_t *self);

//  Sends the pending writes not sent yet without waiting for their replies,
//  so that Redis works on them while the caller goes on; the next send,
//  flush, lookup or other call reads those replies first (one send is in
//  flight at a time).  The writes stay pending until answered.  Returns 0,
//  or -1 when they are left for the next flush (Redis down, refusing
//  writes for now, or lost while sending).
int jm_store_send (jm_store_t *self);

//  Drives the store from the owner's loop: when Redis is down and a retry is
//  due, reconnects (replaying pending writes); when connected, flushes any
//  pending writes.  Call it every 100 ms or so, and when idle.  Returns 0 when
//  connected with nothing left pending, else -1.
int jm_store_tick (jm_store_t *self);

//  A stored result value is a header line, then the result JSON.  The header
//  line is a JSON object of the fields readers want without the whole
//  result: fp (always first), version, score, at, and with a band: band,
//  required and name.  Readers of the header alone read its first
//  JM_STORE_RESULT_HEAD_READ bytes (jm_store_calls_add_result_head), and
//  the whole value when those hold no newline (a long name).  See section
//  3.1 of proto/redis-keys.md.
#define JM_STORE_RESULT_HEAD_READ   1024

//  Returns the result JSON in a stored result value and sets *json_len
//  (json_len may be NULL); its header line is the bytes before the newline
//  that precedes it.  Returns NULL when value does not start with a header
//  line, or when value is a cut read that ends inside it.
const char *jm_store_result_json (const char *value, size_t len, size_t *json_len);

//  Parses the header line of a stored result value (whole, or its first
//  bytes).  Returns a new JSON object, or NULL when value does not start
//  with a whole header line.
json_t *jm_store_result_head (const char *value, size_t len);

//  The result JSON of a stored result read as a reply (GET), parsed: a new
//  JSON value, or NULL when the reply holds no stored result.
json_t *jm_store_reply_result (const jm_reply_t *reply);

//  True when a reply of len bytes to jm_store_calls_add_result_head may
//  have cut the header line: read the whole value then.
bool jm_store_result_head_cut (size_t len);

//  Adds the read of a stored result's first JM_STORE_RESULT_HEAD_READ bytes
//  (GETRANGE) to calls.  Returns its index.
size_t jm_store_calls_add_result_head (jm_store_calls_t *self, const char *key);

//  Reads the cached result JSON of (job, candidate) in one round trip.
//  Returns 1 with *json_p a new NUL-terminated string (caller frees) and
//  *len_p its length (len_p may be NULL), 0 when there is none (or the key
//  holds another type), -1 when Redis is not available, answered with any
//  other error, or an id is invalid.
int jm_store_read_result (jm_store_t *self, const char *job, const char *candidate,
                          char **json_p, size_t *len_p);

//  True while the store holds a working connection.
bool jm_store_connected (const jm_store_t *self);

//  Queued writes not yet confirmed by Redis.
size_t jm_store_pending (const jm_store_t *self);

//  How full the pending buffer is against its bound: the larger of pending
//  commands / pending_max_commands and pending bytes / pending_max_bytes
//  (0 when empty; 1 or more at or past the bound, which writes may pass:
//  none is dropped).  An owner stops taking work that writes at 1.
double jm_store_pending_fill (const jm_store_t *self);

//  Copies the counters into *stats.
void jm_store_stats (const jm_store_t *self, jm_store_stats_t *stats);

//  The key builder for this store's namespace (borrowed).
const jm_keys_t *jm_store_keys (const jm_store_t *self);

//  Where the store connects, for logs: "host:port db N" or "unix:path db N",
//  then " tls" for rediss:// and " as USER" for an ACL user; never a password.
const char *jm_store_endpoint (const jm_store_t *self);

#endif
