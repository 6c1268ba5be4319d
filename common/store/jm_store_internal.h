/*  jm_store_internal: what the files of the store share.  Private to
    jm_store*.c: no other file includes it, so no other file sees hiredis.

    The store is one class split over four files, each calling only those
    above it in this list:
        jm_store_scripts.c  the table of Lua scripts
        jm_store.c          options, URL, connection and reconnection, the
                            pending buffer, round trips, flush, getters,
                            loading the scripts into Redis
        jm_store_calls.c    replies, batched calls
        jm_store_results.c  result lookups and writes, profiles, rankings
    What the connection must have done by a file below it (end a streamed
    lookup before anything else goes on the wire) goes through a hook that
    file sets.  Names here start with jm_store__ (two underscores):
    internal, not API.                                                      */
#ifndef JM_STORE_INTERNAL_H
#define JM_STORE_INTERNAL_H

#include "jm_store.h"
#include "jm_buf.h"
#include "jm_tls.h"
#include "jm_cluster.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

//  Writes go out in pipelines of at most this many commands/bytes, which
//  bounds hiredis's copy of them (it copies each pipeline into its output
//  buffer) and Redis's reply buffer: a batch of 1,000 large results is a few
//  round trips of 1 MiB rather than one 8 MiB copy held by the matcher.
#define JM_STORE_PIPELINE_COMMANDS   16384
#define JM_STORE_PIPELINE_BYTES      (1u << 20)
#define JM_STORE_FLUSH_BUDGET_MS     50          //  a flush drains an outage's backlog this long at most

//  A growable byte buffer, always NUL-terminated when allocated.
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} jm_store__bytes_t;

//  One queued write: bytes [offset, offset + len) of the pending buffer,
//  holding `commands` RESP commands.
typedef struct {
    size_t offset;
    size_t len;
    uint32_t commands;
} jm_store__entry_t;

//  A Lua script of the store (jm_store_script), named by its SHA-1.
struct _jm_store_script_t {
    char *name;
    char *text;
    char sha [41];
};

struct _jm_store_t {
    //  Where Redis is, and who we are there
    bool unix_socket;
    char *host;                     //  TCP host or socket path
    int port;
    int db;
    char endpoint [300];
    char *user;                     //  ACL user, or NULL for the default user
    char *password;                 //  AUTH password, or NULL; wiped when freed
    jm_tls_config_t *tls_config;    //  rediss://: credentials, else NULL
    jm_tls_t *tls;                  //  rediss://: the connection under ctx
    bool tls_client_cert;           //  rediss://: we have a client certificate
    jm_store_options_t options;
    char *key_namespace;            //  options.key_namespace points here
    jm_keys_t *keys;
    //  Redis Cluster: the seed list of the URL (one address: the URL's),
    //  and the cluster client once Redis turned out to be a cluster
    jm_cluster_addr_t *seeds;
    size_t seed_count;
    bool cluster_checked;           //  a single address was asked CLUSTER SLOTS
    jm_cluster_t *cluster;          //  set: every command goes through it, ctx is NULL
    uint64_t cluster_generation;    //  jm_cluster_generation when scripts were last due

    //  Connection state
    redisContext *ctx;              //  NULL while down
    bool ever_connected;
    int64_t next_attempt_ms;        //  monotonic; no attempt before it
    int backoff_ms;                 //  delay after the next failed attempt
    int64_t down_since_ms;          //  monotonic; 0 when not in an outage
    bool down_logged;               //  the outage's one error record is out
    char down_why [240];            //  what it said, when Redis refused us
    int64_t down_why_ms;            //  monotonic: when that was logged
    char run_error [240];           //  the last error reply of a run logged
    int64_t run_error_ms;           //  monotonic: when
    bool handshaking;               //  AUTH/SELECT/PING of a new connection
    bool replay_due;                //  reconnected; the return is not logged yet
    double outage_s;                //  how long the last outage lasted
    size_t replay_count;            //  writes pending when it ended
    int64_t reconnected_ms;         //  monotonic: when it ended
    int64_t drain_since_ms;         //  the backlog is still draining since then, or 0
    bool recovering;                //  since a loss or refusal, until nothing is pending:
                                    //  a flush drains for JM_STORE_FLUSH_BUDGET_MS at most
    int64_t writes_held_until_ms;   //  Redis refused writes for now (OOM...)
    int write_backoff_ms;
    bool refusal_logged;
    unsigned int seed;              //  for jitter

    //  Pending writes: live bytes are [pend_dead, pend.len), live entries
    //  [entry_first, entry_end), of which [entry_first, entry_sent) are on
    //  the wire (jm_store_send) with sent_commands replies still to read
    jm_store__bytes_t pend;
    size_t pend_dead;
    jm_store__entry_t *entries;
    size_t entry_first;
    size_t entry_sent;
    size_t entry_end;
    size_t sent_commands;
    size_t entry_cap;
    size_t pend_commands;
    bool full_logged;               //  the bound was reached; logged once until empty
    uint64_t confirmed;             //  writes confirmed, ever

    //  Lookup scratch, reused from batch to batch
    jm_store__bytes_t scratch;      //  formatted HGETs
    jm_buf_t value;                 //  a result value being formatted
    size_t *slots;                  //  command -> item
    size_t slot_cap;

    //  A streamed lookup (jm_store_lookup_start): its items, how many of its
    //  commands' replies are read, and a hit read ahead of the caller
    jm_store_lookup_t *stream_items;
    size_t stream_commands;
    size_t stream_read;
    redisReply *stream_reply;       //  the hit of item stream_hit, or NULL
    size_t stream_hit;
    char stream_refused [200];      //  a refusal among its replies
    void (*stream_end) (jm_store_t *self);  //  jm_store__stream_end, set by the first
                                            //  streamed lookup: called before anything
                                            //  else goes on the wire, and when destroyed

    //  Lua scripts: loaded after each connection and after NOSCRIPT
    jm_store_script_t **scripts;
    size_t script_count;
    bool scripts_dirty;             //  Redis may not know them: load before use
    const jm_store_script_t *summary_script;    //  registered at the first result write

    jm_store_stats_t stats;
};

//  One command of a jm_store_calls_t: bytes [offset, offset + len)
typedef struct {
    size_t offset;
    size_t len;
    bool script;                    //  an EVALSHA, sent again after NOSCRIPT
} jm_store__call_t;

struct _jm_store_calls_t {
    jm_store__bytes_t bytes;        //  the commands in RESP
    jm_store__call_t *calls;
    size_t count;
    size_t cap;
    jm_reply_t *replies;            //  reply_count replies, filled by a run
    size_t reply_count;
    size_t reply_cap;
    bool answered;
};


//  --------------------------------------------------------------------------
//  jm_store_scripts.c

//  Registers the store's scripts with its new cluster client, which loads
//  them into every master it connects to.
void jm_store__scripts_to_cluster (jm_store_t *self);

//  Frees the store's registered scripts.
void jm_store__scripts_free (jm_store_t *self);

//  --------------------------------------------------------------------------
//  jm_store.c

//  True while connected: to the one Redis, or to every master of a cluster.
bool jm_store__up (const jm_store_t *self);

//  Wall-clock time in ms since the epoch.
int64_t jm_store__wall_ms (void);

//  Monotonic time in ms.
int64_t jm_store__mono_ms (void);

//  Frees the buffer's memory and empties it.
void jm_store__bytes_free (jm_store__bytes_t *self);

//  Appends len bytes, keeping the buffer NUL-terminated.
void jm_store__bytes_append (jm_store__bytes_t *self, const void *data, size_t len);

//  Appends one command in RESP: *argc, then $len and the bytes of each arg.
void jm_store__bytes_command (jm_store__bytes_t *self, int argc, const char **argv,
                              const size_t *argvlen);

//  The same, with argument `joined` followed by the tail_count pieces of
//  tails (one argument made of several pieces, without copying them
//  together first); joined -1 for none.
void jm_store__bytes_command_joined (jm_store__bytes_t *self, int argc, const char **argv,
                                     const size_t *argvlen, int joined, const char *const *tails,
                                     const size_t *tail_lens, int tail_count);

//  Writes the name and first argument of command number index in len bytes
//  of RESP into out (size bytes), for logs; "?" when it cannot tell.
void jm_store__describe_command (const char *bytes, size_t len, uint32_t index, char *out,
                                 size_t size);

//  Sends len bytes holding `commands` commands and hands each reply to fn
//  (which must not keep it).  Returns 0, or -1 when the connection failed
//  (it is then dropped; replies already handed over stay handled).
typedef void (jm_store__reply_fn) (jm_store_t *self, size_t index, redisReply *reply, void *arg);

int jm_store__round_trip (jm_store_t *self, const char *bytes, size_t len, size_t commands,
                          jm_store__reply_fn *fn, void *arg);

//  Sends len bytes of commands whose replies the caller then reads, after
//  reading those of the writes sent ahead.  Returns 0, or -1 when the
//  connection failed (it is then dropped).
int jm_store__send (jm_store_t *self, const char *bytes, size_t len);

//  Reads one reply into *reply_p (the caller frees it).  Returns 0, or -1
//  when the connection failed (it is then dropped).  The first error reply
//  that refuses us (NOAUTH...) is noted in refused, for jm_store__refused.
int jm_store__read_reply (jm_store_t *self, redisReply **reply_p, char *refused,
                          size_t refused_size);

//  Once every reply of a run is read: when one refused us, drops the
//  connection (Redis is unavailable to us) and returns -1, else 0.
int jm_store__refused (jm_store_t *self, const char *refused);

//  True while replies of a streamed lookup are still to be read.
bool jm_store__stream_open (const jm_store_t *self);

//  Makes sure the store is connected, connecting when a retry is due.
//  Returns true when connected.
bool jm_store__ensure (jm_store_t *self);

//  Prepares the pending buffer for a new entry.  Returns where it starts:
//  append its commands to self->pend, then call jm_store__pending_commit.
size_t jm_store__pending_begin (jm_store_t *self);

//  Registers the bytes from start to the end of the pending buffer as one
//  write of `commands` commands; never drops one (the bound is the owner's
//  to watch, jm_store_pending_fill).  Returns 0.
int jm_store__pending_commit (jm_store_t *self, size_t start, uint32_t commands);

//  Loads every registered script when Redis may not know them.  Returns 0,
//  or -1 when Redis is not available.
int jm_store__scripts_ready (jm_store_t *self);

//  --------------------------------------------------------------------------
//  jm_store_calls.c

//  Appends EVALSHA of script with numkeys keys, then the argc keys and
//  arguments (argvlen NULL: strings), to bytes.
void jm_store__bytes_script (jm_store__bytes_t *bytes, const jm_store_script_t *script,
                             int numkeys, int argc, const char **argv, const size_t *argvlen);

//  Copies a hiredis reply (and its elements) into out.
void jm_store__reply_copy (jm_reply_t *out, const redisReply *in);

//  Frees the calls' replies; they are no longer answered.
void jm_store__calls_clear_replies (jm_store_calls_t *self);

//  Registers the bytes from start to the end of the calls' buffer as one
//  command.  Returns its index.
size_t jm_store__calls_commit (jm_store_calls_t *self, size_t start, bool script);

//  Makes room for one empty reply per command, before a round trip.
void jm_store__calls_prepare (jm_store_calls_t *self);

//  After a round trip: sends again, one by one, the scripts Redis did not
//  know, once they are loaded.  Returns 0, or -1 when Redis is not available.
int jm_store__calls_retry_noscript (jm_store_t *self, jm_store_calls_t *calls);

//  --------------------------------------------------------------------------
//  jm_store_results.c

//  Reads what is left of a streamed lookup (its items not handed out yet
//  are misses) and frees its last reply: before anything else goes on the
//  wire.  The connection calls it through self->stream_end.
void jm_store__stream_end (jm_store_t *self);

#endif
