/*  jm_store: cached results and rankings in Redis.  See jm_store.h.

    How it works.  Commands are formatted as RESP straight into byte buffers
    (no per-item malloc): lookups into a scratch buffer, writes into the
    pending buffer, where each queued write is an entry (offset, length,
    number of commands).  A round trip hands a run of those bytes to hiredis
    at once (redisAppendFormattedCommand) and reads one reply per command
    (redisGetReply).  An entry leaves the pending buffer only when all its
    replies are in, so a connection lost mid-flight loses nothing: the next
    connection replays from the first unanswered entry.

    Connection states: connected (ctx set), or down with a time for the next
    attempt.  After a loss or a failed attempt the store waits a backoff
    (jittered +-20%) that doubles from backoff_min_ms to backoff_max_ms and
    goes back to backoff_min_ms once connected.  A loss is logged once; the return is logged with the
    outage's length and how many writes were replayed.                     */
#include "jm_store.h"
#include "jm_log.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

//  Writes go out in pipelines of at most this many commands/bytes, which
//  bounds hiredis's copy of them (it copies each pipeline into its output
//  buffer) and Redis's reply buffer: a batch of 1,000 large results is a few
//  round trips of 1 MiB rather than one 8 MiB copy held by the matcher.
#define S_PIPELINE_COMMANDS   16384
#define S_PIPELINE_BYTES      (1u << 20)

//  A growable byte buffer, always NUL-terminated when allocated.
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} s_bytes_t;

//  One queued write: bytes [offset, offset + len) of the pending buffer,
//  holding `commands` RESP commands.
typedef struct {
    size_t offset;
    size_t len;
    uint32_t commands;
} s_entry_t;

struct _jm_store_t {
    //  Where Redis is
    bool unix_socket;
    char *host;                     //  TCP host or socket path
    int port;
    int db;
    char endpoint [300];
    jm_store_options_t options;
    char *key_namespace;            //  options.key_namespace points here
    jm_keys_t *keys;

    //  Connection state
    redisContext *ctx;              //  NULL while down
    bool ever_connected;
    int64_t next_attempt_ms;        //  monotonic; no attempt before it
    int backoff_ms;                 //  delay after the next failed attempt
    int64_t down_since_ms;          //  monotonic; 0 when not in an outage
    bool down_logged;               //  the outage's one error record is out
    bool replay_due;                //  reconnected; the return is not logged yet
    double outage_s;                //  how long the last outage lasted
    size_t replay_count;            //  writes pending when it ended
    int64_t writes_held_until_ms;   //  Redis refused writes for now (OOM...)
    int write_backoff_ms;
    bool refusal_logged;
    unsigned int seed;              //  for jitter

    //  Pending writes: live bytes are [pend_dead, pend.len), live entries
    //  [entry_first, entry_end)
    s_bytes_t pend;
    size_t pend_dead;
    s_entry_t *entries;
    size_t entry_first;
    size_t entry_end;
    size_t entry_cap;
    size_t pend_commands;
    bool drop_logged;
    uint64_t dropped_in_outage;
    uint64_t confirmed;             //  writes confirmed, ever

    //  Lookup scratch, reused from batch to batch
    s_bytes_t scratch;              //  formatted HMGETs
    s_bytes_t arena;                //  copies of cached JSON
    size_t *slots;                  //  command -> item, item -> arena offset
    size_t slot_cap;

    //  Lua scripts: loaded after each connection and after NOSCRIPT
    jm_store_script_t **scripts;
    size_t script_count;
    bool scripts_dirty;             //  Redis may not know them: load before use

    jm_store_stats_t stats;
};

struct _jm_store_script_t {
    char *name;
    char *text;
    char sha [41];
};

//  One command of a jm_store_calls_t: bytes [offset, offset + len)
typedef struct {
    size_t offset;
    size_t len;
    bool script;                    //  an EVALSHA, sent again after NOSCRIPT
} s_call_t;

struct _jm_store_calls_t {
    s_bytes_t bytes;                //  the commands in RESP
    s_call_t *calls;
    size_t count;
    size_t cap;
    jm_reply_t *replies;            //  reply_count replies, filled by a run
    size_t reply_count;
    size_t reply_cap;
    bool answered;
};


//  --------------------------------------------------------------------------
//  Small helpers: time, buffers, RESP formatting

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval
s_timeval (int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    return tv;
}

static void
s_bytes_reserve (s_bytes_t *self, size_t more)
{
    if (self->len + more + 1 <= self->cap)
        return;
    size_t cap = self->cap ? self->cap : 4096;
    while (cap < self->len + more + 1)
        cap *= 2;
    self->data = realloc (self->data, cap);
    assert (self->data);
    self->cap = cap;
}

static void
s_bytes_free (s_bytes_t *self)
{
    free (self->data);
    memset (self, 0, sizeof *self);
}

static void
s_bytes_append (s_bytes_t *self, const void *data, size_t len)
{
    s_bytes_reserve (self, len);
    memcpy (self->data + self->len, data, len);
    self->len += len;
    self->data [self->len] = '\0';
}

static char *
s_put_uint (char *out, uint64_t value)
{
    char digits [24];
    int count = 0;
    do
        digits [count++] = (char) ('0' + value % 10);
    while ((value /= 10) > 0);
    while (count > 0)
        *out++ = digits [--count];
    return out;
}

//  Appends one command in RESP: *argc, then $len and the bytes of each arg.
static void
s_bytes_command (s_bytes_t *self, int argc, const char **argv, const size_t *argvlen)
{
    size_t need = 24;
    for (int i = 0; i < argc; i++)
        need += 26 + argvlen [i];
    s_bytes_reserve (self, need);
    char *out = self->data + self->len;
    *out++ = '*';
    out = s_put_uint (out, (uint64_t) argc);
    *out++ = '\r';
    *out++ = '\n';
    for (int i = 0; i < argc; i++) {
        *out++ = '$';
        out = s_put_uint (out, argvlen [i]);
        *out++ = '\r';
        *out++ = '\n';
        memcpy (out, argv [i], argvlen [i]);
        out += argvlen [i];
        *out++ = '\r';
        *out++ = '\n';
    }
    self->len = (size_t) (out - self->data);
    self->data [self->len] = '\0';
}

//  Shortest decimal that reads back as the same double.
static int
s_format_double (char *out, size_t size, double value)
{
    if (isinf (value))
        return snprintf (out, size, "%s", value > 0 ? "+inf" : "-inf");
    int len = snprintf (out, size, "%.15g", value);
    if (strtod (out, NULL) != value)
        len = snprintf (out, size, "%.17g", value);
    return len;
}

//  Name and first argument of command number `index` in RESP bytes, for logs.
static void
s_describe_command (const char *bytes, size_t len, uint32_t index, char *out, size_t size)
{
    const char *p = bytes, *end = bytes + len;
    snprintf (out, size, "?");
    for (uint32_t command = 0; p < end && *p == '*'; command++) {
        long argc = strtol (p + 1, NULL, 10);
        p = memchr (p, '\n', (size_t) (end - p));
        if (!p++)
            return;
        size_t used = 0;
        for (long arg = 0; arg < argc && p < end && *p == '$'; arg++) {
            size_t arg_len = (size_t) strtoul (p + 1, NULL, 10);
            p = memchr (p, '\n', (size_t) (end - p));
            if (!p++ || arg_len > (size_t) (end - p))
                return;
            if (command == index && arg < 2 && used + 2 < size) {
                int wrote = snprintf (out + used, size - used, "%s%.*s", arg ? " " : "",
                                      (int) (arg_len < 200 ? arg_len : 200), p);
                used += wrote > 0 ? (size_t) wrote : 0;
            }
            p += arg_len + 2;
        }
        if (command == index)
            return;
    }
}

static int
s_jitter (jm_store_t *self, int ms)
{
    //  +-20%, so workers that lost Redis together do not return together
    double factor = 0.8 + 0.4 * ((double) rand_r (&self->seed) / RAND_MAX);
    int value = (int) (ms * factor);
    return value > 0 ? value : 1;
}

//  Errors after which the same command may well succeed later.
static bool
s_error_is_transient (const char *text)
{
    static const char *prefixes [] = {
        "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM",
        "READONLY", "NOREPLICAS", "MISCONF", "NOSCRIPT", NULL
    };
    for (int i = 0; prefixes [i]; i++) {
        size_t len = strlen (prefixes [i]);
        if (strncmp (text, prefixes [i], len) == 0 && (text [len] == ' ' || !text [len]))
            return true;
    }
    return false;
}


//  --------------------------------------------------------------------------
//  URL and options

static int
s_parse_uint (const char *text, size_t len, long max, long *value)
{
    if (len == 0 || len > 9)
        return -1;
    long result = 0;
    for (size_t i = 0; i < len; i++) {
        if (text [i] < '0' || text [i] > '9')
            return -1;
        result = result * 10 + (text [i] - '0');
    }
    if (result > max)
        return -1;
    *value = result;
    return 0;
}

static int
s_parse_unix_url (jm_store_t *self, const char *url, jm_error_t *err)
{
    const char *path = url + strlen ("unix://");
    if (*path != '/')
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": the socket path must be absolute "
                             "(unix:///path/to/socket)", url);
    const char *query = strchr (path, '?');
    size_t path_len = query ? (size_t) (query - path) : strlen (path);
    if (path_len >= sizeof ((struct sockaddr_un *) 0)->sun_path)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": socket path longer than %zu bytes",
                             url, sizeof ((struct sockaddr_un *) 0)->sun_path - 1);
    if (query) {
        long db;
        if (strncmp (query, "?db=", 4) != 0)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": unknown parameter \"%s\", only ?db=N",
                                 url, query + 1);
        if (s_parse_uint (query + 4, strlen (query + 4), 999999999, &db))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": db \"%s\" is not a number >= 0",
                                 url, query + 4);
        self->db = (int) db;
    }
    self->unix_socket = true;
    self->host = strndup (path, path_len);
    assert (self->host);
    return 0;
}

static int
s_parse_tcp_url (jm_store_t *self, const char *url, jm_error_t *err)
{
    const char *host = url + strlen ("redis://");
    if (strchr (host, '@'))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": user names and passwords are not supported",
                             url);
    if (strchr (host, '?'))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": parameters are not supported "
                             "(redis://host[:port][/db])", url);
    const char *host_end, *rest;
    if (*host == '[') {
        host_end = strchr (host, ']');
        if (!host_end)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": missing ']' after IPv6 address", url);
        host++;
        rest = host_end + 1;
    }
    else {
        host_end = host + strcspn (host, ":/");
        rest = host_end;
    }
    if (host_end == host)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": no host", url);
    long port = 6379, db = 0;
    if (*rest == ':') {
        size_t len = strcspn (rest + 1, "/");
        if (s_parse_uint (rest + 1, len, 65535, &port) || port == 0)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": port \"%.*s\" is not 1..65535",
                                 url, (int) len, rest + 1);
        rest += 1 + len;
    }
    if (*rest == '/' && rest [1]) {
        if (s_parse_uint (rest + 1, strlen (rest + 1), 999999999, &db))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": db \"%s\" is not a number >= 0",
                                 url, rest + 1);
    }
    else
    if (*rest && strcmp (rest, "/") != 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": unexpected \"%s\" after the host", url, rest);
    self->host = strndup (host, (size_t) (host_end - host));
    assert (self->host);
    self->port = (int) port;
    self->db = (int) db;
    return 0;
}

static int
s_parse_url (jm_store_t *self, const char *url, jm_error_t *err)
{
    if (!url || !*url)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "redis URL is empty");
    int rc;
    if (strncmp (url, "unix://", 7) == 0)
        rc = s_parse_unix_url (self, url, err);
    else
    if (strncmp (url, "redis://", 8) == 0)
        rc = s_parse_tcp_url (self, url, err);
    else
        rc = jm_error_set (err, JM_ERR_INVALID_REQUEST,
                           "redis URL \"%s\": expected redis://host[:port][/db] "
                           "or unix:///path/to/socket[?db=N]", url);
    if (rc == 0) {
        if (self->unix_socket)
            snprintf (self->endpoint, sizeof self->endpoint, "unix:%s db %d",
                      self->host, self->db);
        else
            if (strchr (self->host, ':'))
            snprintf (self->endpoint, sizeof self->endpoint, "[%s]:%d db %d",
                      self->host, self->port, self->db);
        else
            snprintf (self->endpoint, sizeof self->endpoint, "%s:%d db %d",
                      self->host, self->port, self->db);
    }
    return rc;
}

void
jm_store_options_default (jm_store_options_t *options)
{
    assert (options);
    *options = (jm_store_options_t) {
        .key_namespace = JM_KEYS_NAMESPACE_DEFAULT,
        .connect_timeout_ms = 1000,
        .command_timeout_ms = 1000,
        .result_ttl_ms = 7LL * 24 * 3600 * 1000,
        .profile_ttl_ms = 30LL * 24 * 3600 * 1000,
        .pending_max_commands = 200000,
        .pending_max_bytes = 256u << 20,
        .backoff_min_ms = 100,
        .backoff_max_ms = 5000
    };
}

static int
s_check_options (const jm_store_options_t *options, jm_error_t *err)
{
    if (options->connect_timeout_ms < 1 || options->connect_timeout_ms > 600000)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis connect timeout %d ms is not 1..600000",
                             options->connect_timeout_ms);
    if (options->command_timeout_ms < 1 || options->command_timeout_ms > 600000)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis command timeout %d ms is not 1..600000",
                             options->command_timeout_ms);
    if (options->result_ttl_ms < 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "result TTL %lld ms is negative",
                             (long long) options->result_ttl_ms);
    if (options->profile_ttl_ms < 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "profile TTL %lld ms is negative",
                             (long long) options->profile_ttl_ms);
    if (options->pending_max_commands < 1 || options->pending_max_bytes < 1)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "pending write limits must be at least 1");
    if (options->backoff_min_ms < 1 || options->backoff_max_ms < options->backoff_min_ms)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis backoff %d..%d ms: need 1 <= min <= max",
                             options->backoff_min_ms, options->backoff_max_ms);
    return 0;
}


//  --------------------------------------------------------------------------
//  Connection

//  No connection attempt before a jittered backoff; the next one waits twice
//  as long, up to backoff_max_ms.
static void
s_schedule_retry (jm_store_t *self)
{
    self->next_attempt_ms = s_now_ms () + s_jitter (self, self->backoff_ms);
    self->backoff_ms = self->backoff_ms * 2 < self->options.backoff_max_ms
                     ? self->backoff_ms * 2 : self->options.backoff_max_ms;
}

//  Drops the connection after an I/O error or timeout; logs only the first
//  loss of an outage.  The first retry waits backoff_min_ms (jittered), so a
//  stalled Redis costs one command timeout, not one per call.
static void
s_lost (jm_store_t *self, const char *reason)
{
    char why [160];
    snprintf (why, sizeof why, "%s", reason);     //  reason may live in ctx
    if (self->ctx) {
        redisFree (self->ctx);
        self->ctx = NULL;
    }
    if (!self->down_logged) {
        jm_log_error ("redis %s: connection lost (%s); %zu writes pending, "
                      "reconnecting with backoff", self->endpoint, why,
                      self->entry_end - self->entry_first);
        self->down_logged = true;
    }
    if (!self->down_since_ms)
        self->down_since_ms = s_now_ms ();
    s_schedule_retry (self);
}

//  Sends len bytes holding `commands` commands and hands each reply to fn
//  (which must not keep it).  Returns 0, or -1 when the connection failed
//  (it is then dropped; replies already handed over stay handled).
typedef void (s_reply_fn) (jm_store_t *self, size_t index, redisReply *reply, void *arg);

static int
s_round_trip (jm_store_t *self, const char *bytes, size_t len, size_t commands,
              s_reply_fn *fn, void *arg)
{
    assert (self->ctx);
    if (redisAppendFormattedCommand (self->ctx, bytes, len) != REDIS_OK) {
        s_lost (self, self->ctx->errstr);
        return -1;
    }
    self->stats.commands_sent += commands;
    for (size_t index = 0; index < commands; index++) {
        void *reply = NULL;
        if (redisGetReply (self->ctx, &reply) != REDIS_OK || !reply) {
            char why [160];
            if (strcmp (self->ctx->errstr, strerror (EAGAIN)) == 0)
                snprintf (why, sizeof why, "no reply within %d ms",
                          self->options.command_timeout_ms);
            else
                snprintf (why, sizeof why, "%s",
                          self->ctx->errstr [0] ? self->ctx->errstr : "no reply");
            s_lost (self, why);
            return -1;
        }
        if (((redisReply *) reply)->type == REDIS_REPLY_ERROR)
            self->stats.errors++;
        fn (self, index, reply, arg);
        freeReplyObject (reply);
    }
    self->stats.round_trips++;
    return 0;
}

static void
s_check_ok (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    if (reply->type == REDIS_REPLY_ERROR)
        snprintf (arg, 128, "%s", reply->str);
}

//  One connection attempt.  Returns true when connected.
static bool
s_connect (jm_store_t *self)
{
    self->stats.connect_attempts++;
    struct timeval connect_timeout = s_timeval (self->options.connect_timeout_ms);
    redisContext *ctx = self->unix_socket
        ? redisConnectUnixWithTimeout (self->host, connect_timeout)
        : redisConnectWithTimeout (self->host, self->port, connect_timeout);
    assert (ctx);                   //  hiredis returns NULL only when out of memory
    char why [160] = "";
    if (ctx->err)
        snprintf (why, sizeof why, "%s", ctx->errstr);
    else
    if (redisSetTimeout (ctx, s_timeval (self->options.command_timeout_ms)) != REDIS_OK)
        snprintf (why, sizeof why, "cannot set timeout: %s", strerror (errno));
    else
    if (!self->unix_socket)
        redisEnableKeepAlive (ctx);
    if (why [0]) {
        jm_log_debug ("redis %s: connect failed: %s", self->endpoint, why);
        if (!self->down_logged) {
            jm_log_error ("redis %s unavailable (%s); %zu writes pending, "
                          "retrying with backoff", self->endpoint, why,
                          self->entry_end - self->entry_first);
            self->down_logged = true;
        }
        redisFree (ctx);
        return false;
    }
    self->ctx = ctx;
    if (self->db) {
        char command [64];
        int len = snprintf (command, sizeof command, "*2\r\n$6\r\nSELECT\r\n$%d\r\n%d\r\n",
                            snprintf (NULL, 0, "%d", self->db), self->db);
        char error [128] = "";
        if (s_round_trip (self, command, (size_t) len, 1, s_check_ok, error))
            return false;
        if (error [0]) {
            //  A wrong db is a configuration fault: say so each time we try
            jm_log_error ("redis %s: SELECT %d failed: %s", self->endpoint, self->db, error);
            self->down_logged = true;
            redisFree (self->ctx);
            self->ctx = NULL;
            return false;
        }
    }
    return true;
}

//  Makes sure the store is connected, connecting when a retry is due.
//  Returns true when connected.  The replay of writes that pended during an
//  outage is left to the next flush or tick, so a lookup that reconnects
//  does not wait for it.
static bool
s_ensure (jm_store_t *self)
{
    if (self->ctx)
        return true;
    int64_t now = s_now_ms ();
    if (now < self->next_attempt_ms)
        return false;
    if (!s_connect (self)) {
        if (!self->down_since_ms)
            self->down_since_ms = now;
        if (self->next_attempt_ms <= now)   //  unless s_lost just did
            s_schedule_retry (self);
        return false;
    }
    self->backoff_ms = self->options.backoff_min_ms;
    self->writes_held_until_ms = 0;
    self->write_backoff_ms = self->options.backoff_min_ms;
    self->scripts_dirty = true;     //  a new connection may be a new Redis
    if (!self->ever_connected && !self->down_since_ms)
        jm_log_info ("redis %s: connected", self->endpoint);
    else {
        if (self->ever_connected)
            self->stats.reconnects++;
        self->outage_s = (double) (s_now_ms () - self->down_since_ms) / 1000.0;
        self->replay_count = self->entry_end - self->entry_first;
        self->replay_due = true;
    }
    self->ever_connected = true;
    self->down_since_ms = 0;
    self->down_logged = false;
    return true;
}

//  After an outage, once pending writes have been sent: says Redis is back.
//  replayed is how many writes the flush confirmed.
static void
s_report_return (jm_store_t *self, uint64_t replayed)
{
    if (!self->replay_due || !self->ctx)
        return;
    if (replayed > self->replay_count)
        replayed = self->replay_count;  //  the rest were this batch's own
    char dropped [64] = "";
    if (self->dropped_in_outage)
        snprintf (dropped, sizeof dropped, ", dropped %llu",
                  (unsigned long long) self->dropped_in_outage);
    jm_log_info ("redis %s: back after %.1f s, replayed %llu writes%s%s", self->endpoint,
                 self->outage_s, (unsigned long long) replayed, dropped,
                 self->entry_end > self->entry_first ? "; some still pending" : "");
    self->replay_due = false;
    self->dropped_in_outage = 0;
}


//  --------------------------------------------------------------------------
//  Lua scripts: SHA-1 (FIPS 180-1) so EVALSHA can be queued before Redis
//  has seen the script, and SCRIPT LOAD after each connection

static uint32_t
s_rol (uint32_t value, int bits)
{
    return (value << bits) | (value >> (32 - bits));
}

static void
s_sha1_block (uint32_t state [5], const unsigned char block [64])
{
    uint32_t w [80];
    for (int i = 0; i < 16; i++)
        w [i] = (uint32_t) block [4 * i] << 24 | (uint32_t) block [4 * i + 1] << 16
              | (uint32_t) block [4 * i + 2] << 8 | (uint32_t) block [4 * i + 3];
    for (int i = 16; i < 80; i++)
        w [i] = s_rol (w [i - 3] ^ w [i - 8] ^ w [i - 14] ^ w [i - 16], 1);
    uint32_t a = state [0], b = state [1], c = state [2], d = state [3], e = state [4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20)      { f = (b & c) | (~b & d);          k = 0x5A827999; }
        else if (i < 40) { f = b ^ c ^ d;                   k = 0x6ED9EBA1; }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
        else             { f = b ^ c ^ d;                   k = 0xCA62C1D6; }
        uint32_t temp = s_rol (a, 5) + f + e + k + w [i];
        e = d;
        d = c;
        c = s_rol (b, 30);
        b = a;
        a = temp;
    }
    state [0] += a;
    state [1] += b;
    state [2] += c;
    state [3] += d;
    state [4] += e;
}

//  The SHA-1 of text [len] as 40 lower-case hex digits into hex [41].
static void
s_sha1_hex (const char *text, size_t len, char hex [41])
{
    uint32_t state [5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
    const unsigned char *bytes = (const unsigned char *) text;
    size_t done = 0;
    for (; len - done >= 64; done += 64)
        s_sha1_block (state, bytes + done);
    unsigned char tail [128] = { 0 };
    size_t rest = len - done;
    memcpy (tail, bytes + done, rest);
    tail [rest] = 0x80;
    size_t tail_len = rest + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t) len * 8;
    for (int i = 0; i < 8; i++)
        tail [tail_len - 1 - i] = (unsigned char) (bits >> (8 * i));
    s_sha1_block (state, tail);
    if (tail_len == 128)
        s_sha1_block (state, tail + 64);
    for (int i = 0; i < 5; i++)
        snprintf (hex + 8 * i, 9, "%08x", state [i]);
}

static void
s_on_script_load (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    jm_store_script_t *script = self->scripts [index];
    int *failed = arg;
    if (reply->type != REDIS_REPLY_STRING) {
        jm_log_error ("redis %s: SCRIPT LOAD of %s failed: %s", self->endpoint, script->name,
                      reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
        *failed = 1;
    }
    else
    if (reply->len != 40 || memcmp (reply->str, script->sha, 40) != 0) {
        //  our SHA-1 disagrees with Redis: a bug here, so trust Redis
        jm_log_error ("redis %s: script %s has SHA-1 %.*s, we computed %s", self->endpoint,
                      script->name, (int) reply->len, reply->str, script->sha);
        snprintf (script->sha, sizeof script->sha, "%.*s", (int) reply->len, reply->str);
    }
}

//  Loads every registered script when Redis may not know them.  Returns 0,
//  or -1 when Redis is not available.
static int
s_scripts_ready (jm_store_t *self)
{
    if (!self->scripts_dirty || self->script_count == 0) {
        self->scripts_dirty = false;
        return 0;
    }
    if (!self->ctx)
        return -1;
    s_bytes_t commands = { 0 };
    for (size_t i = 0; i < self->script_count; i++) {
        const char *argv [] = { "SCRIPT", "LOAD", self->scripts [i]->text };
        size_t argvlen [] = { 6, 4, strlen (self->scripts [i]->text) };
        s_bytes_command (&commands, 3, argv, argvlen);
    }
    int failed = 0;
    int rc = s_round_trip (self, commands.data, commands.len, self->script_count,
                           s_on_script_load, &failed);
    s_bytes_free (&commands);
    if (rc)
        return -1;
    //  A script Redis refuses (a syntax error) fails each call instead
    self->scripts_dirty = false;
    return 0;
}

const jm_store_script_t *
jm_store_script (jm_store_t *self, const char *name, const char *text)
{
    assert (self && name && text);
    jm_store_script_t *script = calloc (1, sizeof *script);
    assert (script);
    script->name = strdup (name);
    script->text = strdup (text);
    assert (script->name && script->text);
    s_sha1_hex (text, strlen (text), script->sha);
    self->scripts = realloc (self->scripts, (self->script_count + 1) * sizeof (jm_store_script_t *));
    assert (self->scripts);
    self->scripts [self->script_count++] = script;
    self->scripts_dirty = true;
    return script;
}

const char *
jm_store_script_sha (const jm_store_script_t *script)
{
    assert (script);
    return script->sha;
}


//  --------------------------------------------------------------------------
//  Pending writes

//  Prepares the pending buffer for a new entry: resets it when empty,
//  compacts it when dead bytes dominate.  Returns where the entry starts.
static size_t
s_pending_begin (jm_store_t *self)
{
    if (self->entry_first == self->entry_end) {
        //  Give back the memory of a long outage once it is replayed
        if (self->pend.cap > (4u << 20)) {
            s_bytes_free (&self->pend);
            free (self->entries);
            self->entries = NULL;
            self->entry_cap = 0;
        }
        self->pend.len = self->pend_dead = 0;
        self->entry_first = self->entry_end = 0;
    }
    else
    if (self->pend_dead > (64u << 10) && self->pend_dead >= (self->pend.len - self->pend_dead) / 4) {
        size_t live = self->pend.len - self->pend_dead;
        memmove (self->pend.data, self->pend.data + self->pend_dead, live);
        size_t count = self->entry_end - self->entry_first;
        memmove (self->entries, self->entries + self->entry_first, count * sizeof (s_entry_t));
        for (size_t i = 0; i < count; i++)
            self->entries [i].offset -= self->pend_dead;
        self->pend.len = live;
        self->pend_dead = 0;
        self->entry_first = 0;
        self->entry_end = count;
    }
    return self->pend.len;
}

//  Removes the oldest entry.
static void
s_pending_pop (jm_store_t *self)
{
    assert (self->entry_first < self->entry_end);
    s_entry_t *entry = &self->entries [self->entry_first++];
    self->pend_dead = entry->offset + entry->len;
    self->pend_commands -= entry->commands;
}

//  Registers the bytes from start to the end of the buffer as one entry of
//  `commands` commands, dropping the oldest entries to stay within bounds.
//  Returns 0, or -1 when the entry alone exceeds the bounds (it is dropped).
static int
s_pending_commit (jm_store_t *self, size_t start, uint32_t commands)
{
    size_t len = self->pend.len - start;
    size_t max_commands = self->options.pending_max_commands;
    size_t max_bytes = self->options.pending_max_bytes;
    uint64_t dropped = 0;
    bool fits = commands <= max_commands && len <= max_bytes;
    while (fits && self->entry_first < self->entry_end
       && (self->pend_commands + commands > max_commands
        || start - self->pend_dead + len > max_bytes)) {
        s_pending_pop (self);
        dropped++;
    }
    if (!fits) {
        self->pend.len = start;
        if (self->pend.data)
            self->pend.data [start] = '\0';
        dropped++;
    }
    if (dropped) {
        self->stats.dropped += dropped;
        self->dropped_in_outage += dropped;
        if (!fits)
            jm_log_error ("redis %s: a write of %u commands, %zu bytes exceeds the pending "
                          "limits (%zu commands, %zu bytes); dropped", self->endpoint,
                          commands, len, max_commands, max_bytes);
        else
        if (!self->drop_logged) {
            jm_log_error ("redis %s: pending writes full (%zu commands, %zu bytes); "
                          "dropping the oldest", self->endpoint, max_commands, max_bytes);
            self->drop_logged = true;
        }
    }
    if (!fits)
        return -1;
    if (self->entry_end == self->entry_cap) {
        if (self->entry_first > 0) {
            size_t count = self->entry_end - self->entry_first;
            memmove (self->entries, self->entries + self->entry_first, count * sizeof (s_entry_t));
            self->entry_first = 0;
            self->entry_end = count;
        }
        else {
            self->entry_cap = self->entry_cap ? self->entry_cap * 2 : 1024;
            self->entries = realloc (self->entries, self->entry_cap * sizeof (s_entry_t));
            assert (self->entries);
        }
    }
    self->entries [self->entry_end++] = (s_entry_t) { start, len, commands };
    self->pend_commands += commands;
    return 0;
}

//  State of one flush while its replies come in.
typedef struct {
    size_t kept;                    //  entries answered but kept (after a transient error)
    uint32_t replies;               //  replies seen for the current entry
    bool failed;                    //  the current entry got an error reply
    bool hold;                      //  Redis refused a write for now: keep the rest
    size_t refused;                 //  entries dropped after error replies
    char first_error [300];
} s_flush_t;

static void
s_on_write_reply (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    s_flush_t *flush = arg;
    s_entry_t *entry = &self->entries [self->entry_first + flush->kept];
    if (reply->type == REDIS_REPLY_ERROR) {
        bool transient = s_error_is_transient (reply->str);
        if (strncmp (reply->str, "NOSCRIPT", 8) == 0)
            self->scripts_dirty = true;
        if (!flush->first_error [0] || (transient && !flush->hold)) {
            char command [240];
            s_describe_command (self->pend.data + entry->offset, entry->len,
                                flush->replies, command, sizeof command);
            snprintf (flush->first_error, sizeof flush->first_error, "%.200s (%s)",
                      reply->str, command);
        }
        if (transient)
            flush->hold = true;
        flush->failed = true;
    }
    if (++flush->replies < entry->commands)
        return;
    if (flush->hold)
        flush->kept++;
    else {
        if (flush->failed)
            flush->refused++;
        else
            self->confirmed++;
        s_pending_pop (self);
    }
    flush->replies = 0;
    flush->failed = false;
}

//  Sends pending writes until none are left.  Returns 0, or -1 when the
//  connection failed or Redis refused writes for now (the rest stay pending).
static int
s_flush_pending (jm_store_t *self)
{
    s_flush_t flush = { 0 };
    int rc = 0;
    if (s_scripts_ready (self))
        return -1;
    while (self->entry_first < self->entry_end) {
        size_t first = self->entry_first, last = first, commands = 0;
        while (last < self->entry_end
           && (last == first
            || (commands + self->entries [last].commands <= S_PIPELINE_COMMANDS
             && self->entries [last].offset + self->entries [last].len
              - self->entries [first].offset <= S_PIPELINE_BYTES)))
            commands += self->entries [last++].commands;
        size_t offset = self->entries [first].offset;
        size_t len = self->entries [last - 1].offset + self->entries [last - 1].len - offset;
        flush.kept = 0;
        flush.replies = 0;
        if (s_round_trip (self, self->pend.data + offset, len, commands,
                          s_on_write_reply, &flush)) {
            rc = -1;
            break;
        }
        if (flush.hold) {
            rc = -1;
            break;
        }
    }
    if (flush.refused)
        jm_log_warning ("redis %s: refused %zu writes, dropped them; first: %s",
                        self->endpoint, flush.refused, flush.first_error);
    if (flush.hold) {
        if (!self->refusal_logged) {
            jm_log_warning ("redis %s: refuses writes for now: %s; %zu writes kept pending, "
                            "retrying with backoff", self->endpoint, flush.first_error,
                            self->entry_end - self->entry_first);
            self->refusal_logged = true;
        }
        self->writes_held_until_ms = s_now_ms () + s_jitter (self, self->write_backoff_ms);
        self->write_backoff_ms = self->write_backoff_ms * 2 < self->options.backoff_max_ms
                               ? self->write_backoff_ms * 2 : self->options.backoff_max_ms;
    }
    else
    if (rc == 0) {
        if (self->refusal_logged)
            jm_log_info ("redis %s: accepts writes again", self->endpoint);
        self->refusal_logged = false;
        self->writes_held_until_ms = 0;
        self->write_backoff_ms = self->options.backoff_min_ms;
        self->drop_logged = false;
    }
    return rc;
}


//  --------------------------------------------------------------------------
//  Lifecycle

jm_store_t *
jm_store_new (const char *url, const jm_store_options_t *options, jm_error_t *err)
{
    jm_store_options_t defaults;
    jm_store_options_default (&defaults);
    if (!options)
        options = &defaults;
    if (s_check_options (options, err))
        return NULL;
    jm_store_t *self = calloc (1, sizeof *self);
    assert (self);
    self->options = *options;
    self->keys = jm_keys_new (options->key_namespace, err);
    if (!self->keys || s_parse_url (self, url, err)) {
        jm_store_destroy (&self);
        return NULL;
    }
    self->key_namespace = strdup (jm_keys_namespace (self->keys));
    assert (self->key_namespace);
    self->options.key_namespace = self->key_namespace;
    self->backoff_ms = self->options.backoff_min_ms;
    self->write_backoff_ms = self->options.backoff_min_ms;
    self->seed = (unsigned int) (s_wall_ms () ^ ((uint64_t) getpid () << 16)
                               ^ (uint64_t) (uintptr_t) self);

    //  A write to a Redis that just went away raises SIGPIPE; the store
    //  handles EPIPE, so the signal must not kill the process
    struct sigaction action;
    if (sigaction (SIGPIPE, NULL, &action) == 0 && action.sa_handler == SIG_DFL)
        signal (SIGPIPE, SIG_IGN);

    s_ensure (self);
    return self;
}

void
jm_store_destroy (jm_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_store_t *self = *self_p;
    if (self->ctx && self->entry_first < self->entry_end
    &&  self->writes_held_until_ms <= s_now_ms ())
        s_flush_pending (self);
    if (self->entry_first < self->entry_end)
        jm_log_warning ("redis %s: closing with %zu writes unconfirmed; they are lost",
                        self->endpoint, self->entry_end - self->entry_first);
    if (self->ctx)
        redisFree (self->ctx);
    jm_keys_destroy (&self->keys);
    free (self->host);
    free (self->key_namespace);
    s_bytes_free (&self->pend);
    free (self->entries);
    s_bytes_free (&self->scratch);
    s_bytes_free (&self->arena);
    free (self->slots);
    for (size_t i = 0; i < self->script_count; i++) {
        free (self->scripts [i]->name);
        free (self->scripts [i]->text);
        free (self->scripts [i]);
    }
    free (self->scripts);
    free (self);
    *self_p = NULL;
}


//  --------------------------------------------------------------------------
//  Replies and calls

static void
s_reply_clear (jm_reply_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        s_reply_clear (&self->items [i]);
    free (self->items);
    free (self->str);
    memset (self, 0, sizeof *self);
}

//  Copies a hiredis reply (and its elements) into out.
static void
s_reply_copy (jm_reply_t *out, const redisReply *in)
{
    memset (out, 0, sizeof *out);
    switch (in->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR:
            out->type = in->type == REDIS_REPLY_STATUS ? JM_REPLY_STATUS
                      : in->type == REDIS_REPLY_ERROR ? JM_REPLY_ERROR : JM_REPLY_STRING;
            out->str = malloc (in->len + 1);
            assert (out->str);
            memcpy (out->str, in->str, in->len);
            out->str [in->len] = '\0';
            out->len = in->len;
            break;
        case REDIS_REPLY_INTEGER:
            out->type = JM_REPLY_INTEGER;
            out->integer = in->integer;
            break;
        case REDIS_REPLY_ARRAY:
            out->type = JM_REPLY_ARRAY;
            out->count = in->elements;
            out->items = calloc (in->elements ? in->elements : 1, sizeof (jm_reply_t));
            assert (out->items);
            for (size_t i = 0; i < in->elements; i++)
                s_reply_copy (&out->items [i], in->element [i]);
            break;
        default:
            out->type = JM_REPLY_NIL;
    }
}

const jm_reply_t *
jm_reply_item (const jm_reply_t *self, size_t index)
{
    if (!self || self->type != JM_REPLY_ARRAY || index >= self->count)
        return NULL;
    return &self->items [index];
}

const char *
jm_reply_str (const jm_reply_t *self)
{
    return self && (self->type == JM_REPLY_STRING || self->type == JM_REPLY_STATUS)
         ? self->str : NULL;
}

bool
jm_reply_int (const jm_reply_t *self, long long *value)
{
    if (!self)
        return false;
    if (self->type == JM_REPLY_INTEGER) {
        *value = self->integer;
        return true;
    }
    if (self->type != JM_REPLY_STRING || self->len == 0 || self->len > 20)
        return false;
    char *end;
    errno = 0;
    long long parsed = strtoll (self->str, &end, 10);
    if (errno || *end)
        return false;
    *value = parsed;
    return true;
}

bool
jm_reply_is_error (const jm_reply_t *self)
{
    return self && self->type == JM_REPLY_ERROR;
}

jm_store_calls_t *
jm_store_calls_new (void)
{
    jm_store_calls_t *self = calloc (1, sizeof *self);
    assert (self);
    return self;
}

static void
s_calls_clear_replies (jm_store_calls_t *self)
{
    for (size_t i = 0; i < self->reply_count; i++)
        s_reply_clear (&self->replies [i]);
    self->reply_count = 0;
    self->answered = false;
}

void
jm_store_calls_destroy (jm_store_calls_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_store_calls_t *self = *self_p;
    s_calls_clear_replies (self);
    free (self->replies);
    free (self->calls);
    s_bytes_free (&self->bytes);
    free (self);
    *self_p = NULL;
}

void
jm_store_calls_reset (jm_store_calls_t *self)
{
    assert (self);
    s_calls_clear_replies (self);
    self->count = 0;
    self->bytes.len = 0;
    //  Give back the memory of a very large batch
    if (self->bytes.cap > (8u << 20))
        s_bytes_free (&self->bytes);
}

//  Registers the bytes from start to the end of the buffer as one command.
static size_t
s_calls_commit (jm_store_calls_t *self, size_t start, bool script)
{
    s_calls_clear_replies (self);
    if (self->count == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        self->calls = realloc (self->calls, self->cap * sizeof (s_call_t));
        assert (self->calls);
    }
    self->calls [self->count] = (s_call_t) { start, self->bytes.len - start, script };
    return self->count++;
}

//  Fills lens [argc] with strlen of each argument when argvlen is NULL.
static const size_t *
s_lengths (int argc, const char **argv, const size_t *argvlen, size_t *local, size_t local_count,
           size_t **allocated)
{
    *allocated = NULL;
    if (argvlen)
        return argvlen;
    size_t *lens = local;
    if ((size_t) argc > local_count) {
        lens = *allocated = malloc ((size_t) argc * sizeof (size_t));
        assert (lens);
    }
    for (int i = 0; i < argc; i++)
        lens [i] = strlen (argv [i]);
    return lens;
}

size_t
jm_store_calls_add (jm_store_calls_t *self, int argc, const char **argv, const size_t *argvlen)
{
    assert (self && argc >= 1 && argv);
    size_t local [16], *allocated;
    const size_t *lens = s_lengths (argc, argv, argvlen, local, 16, &allocated);
    size_t start = self->bytes.len;
    s_bytes_command (&self->bytes, argc, argv, lens);
    free (allocated);
    return s_calls_commit (self, start, false);
}

size_t
jm_store_calls_addv (jm_store_calls_t *self, const char *arg, ...)
{
    const char *argv [32];
    int argc = 0;
    va_list args;
    va_start (args, arg);
    for (const char *next = arg; next; next = va_arg (args, const char *)) {
        assert (argc < 32);
        argv [argc++] = next;
    }
    va_end (args);
    return jm_store_calls_add (self, argc, argv, NULL);
}

//  Appends EVALSHA <sha> <numkeys> argv... to bytes.
static void
s_bytes_script (s_bytes_t *bytes, const jm_store_script_t *script, int numkeys,
                int argc, const char **argv, const size_t *argvlen)
{
    assert (script && numkeys >= 0 && numkeys <= argc);
    size_t local [32], *allocated;
    const size_t *lens = s_lengths (argc, argv, argvlen, local, 32, &allocated);
    const char **all = malloc ((size_t) (argc + 3) * sizeof (char *));
    size_t *all_len = malloc ((size_t) (argc + 3) * sizeof (size_t));
    assert (all && all_len);
    char numkeys_text [16];
    all [0] = "EVALSHA";
    all_len [0] = 7;
    all [1] = script->sha;
    all_len [1] = 40;
    all_len [2] = (size_t) snprintf (numkeys_text, sizeof numkeys_text, "%d", numkeys);
    all [2] = numkeys_text;
    for (int i = 0; i < argc; i++) {
        all [i + 3] = argv [i];
        all_len [i + 3] = lens [i];
    }
    s_bytes_command (bytes, argc + 3, all, all_len);
    free (all);
    free (all_len);
    free (allocated);
}

size_t
jm_store_calls_add_script (jm_store_calls_t *self, const jm_store_script_t *script,
                           int numkeys, int argc, const char **argv, const size_t *argvlen)
{
    assert (self);
    size_t start = self->bytes.len;
    s_bytes_script (&self->bytes, script, numkeys, argc, argv, argvlen);
    return s_calls_commit (self, start, true);
}

size_t
jm_store_calls_count (const jm_store_calls_t *self)
{
    assert (self);
    return self->count;
}

const jm_reply_t *
jm_store_calls_reply (const jm_store_calls_t *self, size_t index)
{
    assert (self);
    return self->answered && index < self->count ? &self->replies [index] : NULL;
}

static void
s_calls_prepare (jm_store_calls_t *self)
{
    s_calls_clear_replies (self);
    if (self->count > self->reply_cap) {
        free (self->replies);
        self->reply_cap = self->count;
        self->replies = calloc (self->reply_cap, sizeof (jm_reply_t));
        assert (self->replies);
    }
    memset (self->replies, 0, self->count * sizeof (jm_reply_t));
    self->reply_count = self->count;
}

static void
s_on_call_reply (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    jm_store_calls_t *calls = arg;
    s_reply_copy (&calls->replies [index], reply);
}

//  After a round trip: sends again, one by one, the scripts Redis did not
//  know (its script cache was flushed), once they are loaded.
static int
s_calls_retry_noscript (jm_store_t *self, jm_store_calls_t *calls)
{
    for (size_t i = 0; i < calls->count; i++) {
        jm_reply_t *reply = &calls->replies [i];
        if (!calls->calls [i].script || reply->type != JM_REPLY_ERROR
        ||  strncmp (reply->str, "NOSCRIPT", 8) != 0)
            continue;
        self->scripts_dirty = true;
        if (s_scripts_ready (self))
            return -1;
        s_reply_clear (reply);
        jm_store_calls_t one = { .replies = reply };
        if (s_round_trip (self, calls->bytes.data + calls->calls [i].offset,
                          calls->calls [i].len, 1, s_on_call_reply, &one))
            return -1;
    }
    return 0;
}

int
jm_store_run (jm_store_t *self, jm_store_calls_t *calls)
{
    assert (self && calls);
    s_calls_clear_replies (calls);
    if (calls->count == 0) {
        calls->answered = true;
        return 0;
    }
    if (!s_ensure (self) || s_scripts_ready (self))
        return -1;
    s_calls_prepare (calls);
    //  Long runs go in pieces, which bounds what hiredis and Redis buffer
    size_t first = 0;
    while (first < calls->count) {
        size_t last = first, bytes = 0;
        while (last < calls->count && (last == first
           || (last - first < S_PIPELINE_COMMANDS && bytes + calls->calls [last].len <= S_PIPELINE_BYTES)))
            bytes += calls->calls [last++].len;
        jm_store_calls_t piece = { .replies = calls->replies + first };
        if (s_round_trip (self, calls->bytes.data + calls->calls [first].offset, bytes,
                          last - first, s_on_call_reply, &piece)) {
            s_calls_clear_replies (calls);
            return -1;
        }
        first = last;
    }
    if (s_calls_retry_noscript (self, calls)) {
        s_calls_clear_replies (calls);
        return -1;
    }
    calls->answered = true;
    return 0;
}

int
jm_store_append_script (jm_store_t *self, const jm_store_script_t *script,
                        int numkeys, int argc, const char **argv, const size_t *argvlen)
{
    assert (self);
    size_t start = s_pending_begin (self);
    s_bytes_script (&self->pend, script, numkeys, argc, argv, argvlen);
    return s_pending_commit (self, start, 1);
}


//  --------------------------------------------------------------------------
//  Lookups

static void
s_on_lookup_reply (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    jm_store_lookup_t *items = arg;
    size_t item = self->slots [index];
    if (reply->type == REDIS_REPLY_ERROR) {
        jm_log_debug ("redis %s: lookup of %s/%s failed: %s", self->endpoint,
                      items [item].job, items [item].candidate, reply->str);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
        return;
    redisReply *fp = reply->element [0], *json = reply->element [1];
    const char *want = items [item].fingerprint;
    if (fp->type != REDIS_REPLY_STRING || json->type != REDIS_REPLY_STRING
    ||  !want || fp->len != strlen (want) || memcmp (fp->str, want, fp->len) != 0)
        return;
    items [item].hit = true;
    items [item].json_len = json->len;
    //  Offsets now, pointers at the end: the arena may move as it grows
    size_t *offset = &self->slots [self->slot_cap / 2 + item];
    *offset = self->arena.len;
    s_bytes_append (&self->arena, json->str, json->len);
    self->arena.len++;              //  keep the NUL
}

//  Lookup replies go to the items; those after them to the extra calls.
typedef struct {
    jm_store_lookup_t *items;
    size_t commands;                //  lookup commands; the rest are extra
    jm_store_calls_t *extra;
} s_lookup_t;

static void
s_on_lookup_or_extra (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    s_lookup_t *lookup = arg;
    if (index < lookup->commands)
        s_on_lookup_reply (self, index, reply, lookup->items);
    else
        s_reply_copy (&lookup->extra->replies [index - lookup->commands], reply);
}

int
jm_store_lookup (jm_store_t *self, jm_store_lookup_t *items, size_t count)
{
    return jm_store_lookup_with (self, items, count, NULL);
}

int
jm_store_lookup_with (jm_store_t *self, jm_store_lookup_t *items, size_t count,
                      jm_store_calls_t *extra)
{
    assert (self);
    assert (items || count == 0);
    size_t extra_count = extra ? extra->count : 0;
    if (extra)
        s_calls_clear_replies (extra);
    for (size_t i = 0; i < count; i++) {
        items [i].hit = false;
        items [i].json = NULL;
        items [i].json_len = 0;
    }
    self->stats.lookups += count;
    if (count == 0 && extra_count == 0)
        return 0;
    if (!s_ensure (self) || (extra_count && s_scripts_ready (self)))
        return -1;
    if (count > self->slot_cap / 2) {
        free (self->slots);
        self->slot_cap = count * 2;
        self->slots = malloc (self->slot_cap * sizeof (size_t));
        assert (self->slots);
    }
    self->scratch.len = 0;
    self->arena.len = 0;
    size_t commands = 0;
    for (size_t i = 0; i < count; i++) {
        char key [JM_KEYS_MAX];
        int key_len = jm_keys_result (self->keys, items [i].job, items [i].candidate,
                                      key, sizeof key, NULL);
        if (key_len < 0)
            continue;               //  an invalid id cannot be cached: a miss
        const char *argv [] = { "HMGET", key, "fp", "json" };
        size_t argvlen [] = { 5, (size_t) key_len, 2, 4 };
        s_bytes_command (&self->scratch, 4, argv, argvlen);
        self->slots [commands++] = i;
    }
    if (commands == 0 && extra_count == 0)
        return 0;
    if (extra_count) {
        s_bytes_append (&self->scratch, extra->bytes.data, extra->bytes.len);
        s_calls_prepare (extra);
    }
    s_lookup_t lookup = { items, commands, extra };
    if (s_round_trip (self, self->scratch.data, self->scratch.len, commands + extra_count,
                      s_on_lookup_or_extra, &lookup)
    ||  (extra_count && s_calls_retry_noscript (self, extra))) {
        for (size_t i = 0; i < count; i++) {
            items [i].hit = false;
            items [i].json_len = 0;
        }
        if (extra)
            s_calls_clear_replies (extra);
        return -1;
    }
    if (extra)
        extra->answered = true;
    int hits = 0;
    for (size_t i = 0; i < count; i++)
        if (items [i].hit) {
            items [i].json = self->arena.data + self->slots [self->slot_cap / 2 + i];
            hits++;
        }
    self->stats.hits += (uint64_t) hits;
    return hits;
}


//  --------------------------------------------------------------------------
//  Writes

static bool
s_valid_band (const char *band)
{
    return band && (strcmp (band, "strong") == 0 || strcmp (band, "good") == 0
                 || strcmp (band, "partial") == 0 || strcmp (band, "weak") == 0);
}

//  Appends the commands of a result write to out.  Returns how many, or -1
//  with err set when an id is invalid (nothing appended then).
static int
s_format_result (jm_store_t *self, s_bytes_t *out, const jm_store_result_t *result,
                 jm_error_t *err)
{
    assert (self && result);
    char key [JM_KEYS_MAX], rank [JM_KEYS_MAX];
    int key_len = jm_keys_result (self->keys, result->job, result->candidate,
                                  key, sizeof key, err);
    if (key_len < 0)
        return -1;
    int rank_len = jm_keys_rank (self->keys, result->job, result->version,
                                 rank, sizeof rank, err);
    if (rank_len < 0)
        return -1;
    if (!result->fingerprint || !result->json)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "result of %s/%s has no %s", result->job, result->candidate,
                             result->fingerprint ? "json" : "fingerprint");
    char band_key [JM_KEYS_MAX];
    int band_len = 0;
    if (result->band) {
        if (!s_valid_band (result->band))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "result of %s/%s: unknown band",
                                 result->job, result->candidate);
        band_len = jm_keys_rank_band (self->keys, result->job, result->version, result->band,
                                      band_key, sizeof band_key, err);
        if (band_len < 0)
            return -1;
    }
    char score [40], at [24], ttl [24];
    int score_len = s_format_double (score, sizeof score, result->score);
    int at_len = snprintf (at, sizeof at, "%lld", (long long) s_wall_ms ());
    size_t json_len = result->json_len ? result->json_len : strlen (result->json);

    const char *hset [] = {
        "HSET", key, "fp", result->fingerprint, "score", score,
        "version", result->version, "json", result->json, "at", at,
        "band", result->band, "required", result->required, "name", result->name
    };
    size_t hset_len [] = {
        4, (size_t) key_len, 2, strlen (result->fingerprint), 5, (size_t) score_len,
        7, strlen (result->version), 4, json_len, 2, (size_t) at_len,
        4, result->band ? strlen (result->band) : 0,
        8, result->required ? strlen (result->required) : 0,
        4, result->name ? strlen (result->name) : 0
    };
    if (!result->required)
        hset [15] = "";
    int hset_argc = !result->band ? 12 : result->name ? 18 : 16;
    s_bytes_command (out, hset_argc, hset, hset_len);
    int commands = 1;
    if (self->options.result_ttl_ms > 0) {
        int ttl_len = snprintf (ttl, sizeof ttl, "%lld", (long long) self->options.result_ttl_ms);
        const char *pexpire [] = { "PEXPIRE", key, ttl };
        size_t pexpire_len [] = { 7, (size_t) key_len, (size_t) ttl_len };
        s_bytes_command (out, 3, pexpire, pexpire_len);
        commands++;
    }
    const char *zadd [] = { "ZADD", rank, score, result->candidate };
    size_t zadd_len [] = { 4, (size_t) rank_len, (size_t) score_len, strlen (result->candidate) };
    s_bytes_command (out, 4, zadd, zadd_len);
    commands++;
    if (result->band) {
        zadd [1] = band_key;
        zadd_len [1] = (size_t) band_len;
        s_bytes_command (out, 4, zadd, zadd_len);
        commands++;
        //  a candidate scored again may have changed band: one band set only
        static const char *bands [] = { "strong", "good", "partial", "weak" };
        for (int b = 0; b < 4; b++) {
            if (strcmp (bands [b], result->band) == 0)
                continue;
            char other [JM_KEYS_MAX];
            int other_len = jm_keys_rank_band (self->keys, result->job, result->version, bands [b],
                                               other, sizeof other, NULL);
            const char *zrem [] = { "ZREM", other, result->candidate };
            size_t zrem_len [] = { 4, (size_t) other_len, strlen (result->candidate) };
            s_bytes_command (out, 3, zrem, zrem_len);
            commands++;
        }
    }
    return commands;
}

int
jm_store_write (jm_store_t *self, const jm_store_result_t *result, jm_error_t *err)
{
    assert (self && result);
    size_t start = s_pending_begin (self);
    int commands = s_format_result (self, &self->pend, result, err);
    if (commands < 0)
        return -1;
    if (s_pending_commit (self, start, (uint32_t) commands))
        return jm_error_set (err, JM_ERR_TOO_LARGE,
                             "result of %s/%s is %zu bytes, more than the pending "
                             "write limit", result->job, result->candidate,
                             self->pend.len - start);
    return 0;
}

int
jm_store_calls_add_result (jm_store_t *self, jm_store_calls_t *calls,
                           const jm_store_result_t *result, jm_error_t *err)
{
    assert (self && calls && result);
    size_t start = calls->bytes.len;
    int commands = s_format_result (self, &calls->bytes, result, err);
    if (commands < 0)
        return -1;
    //  Register each command of the write separately, for their replies
    const char *p = calls->bytes.data + start, *end = calls->bytes.data + calls->bytes.len;
    for (int c = 0; c < commands; c++) {
        size_t offset = (size_t) (p - calls->bytes.data);
        long argc = strtol (p + 1, NULL, 10);
        p = strchr (p, '\n') + 1;
        for (long arg = 0; arg < argc; arg++) {
            size_t arg_len = (size_t) strtoul (p + 1, NULL, 10);
            p = strchr (p, '\n') + 1 + arg_len + 2;
        }
        assert (p <= end);
        size_t saved = calls->bytes.len;
        calls->bytes.len = (size_t) (p - calls->bytes.data);
        s_calls_commit (calls, offset, false);
        calls->bytes.len = saved;
    }
    return 0;
}

int
jm_store_write_profile (jm_store_t *self, const char *candidate, const char *json,
                        size_t json_len, jm_error_t *err)
{
    assert (self && json);
    char key [JM_KEYS_MAX], ttl [24];
    int key_len = jm_keys_profile (self->keys, candidate, key, sizeof key, err);
    if (key_len < 0)
        return -1;
    if (!json_len)
        json_len = strlen (json);
    const char *argv [] = { "SET", key, json, "PX", ttl };
    size_t argvlen [] = { 3, (size_t) key_len, json_len, 2, 0 };
    argvlen [4] = (size_t) snprintf (ttl, sizeof ttl, "%lld", (long long) self->options.profile_ttl_ms);
    size_t start = s_pending_begin (self);
    s_bytes_command (&self->pend, self->options.profile_ttl_ms > 0 ? 5 : 3, argv, argvlen);
    if (s_pending_commit (self, start, 1))
        return jm_error_set (err, JM_ERR_TOO_LARGE, "profile of %s is %zu bytes, more than the "
                             "pending write limit", candidate, json_len);
    return 0;
}

int
jm_store_append (jm_store_t *self, int argc, const char **argv, const size_t *argvlen)
{
    assert (self);
    assert (argv || argc < 1);
    if (argc < 1)
        return -1;
    size_t lens_local [16];
    size_t *lens = (size_t *) argvlen;
    if (!argvlen) {
        lens = argc <= 16 ? lens_local : malloc ((size_t) argc * sizeof (size_t));
        assert (lens);
        for (int i = 0; i < argc; i++)
            lens [i] = strlen (argv [i]);
    }
    size_t start = s_pending_begin (self);
    s_bytes_command (&self->pend, argc, argv, lens);
    if (!argvlen && lens != lens_local)
        free (lens);
    return s_pending_commit (self, start, 1);
}

int
jm_store_flush (jm_store_t *self)
{
    assert (self);
    uint64_t before = self->confirmed;
    if (!s_ensure (self))
        return -1;
    int rc = 0;
    if (self->entry_first < self->entry_end) {
        if (s_now_ms () < self->writes_held_until_ms)
            rc = -1;
        else
            rc = s_flush_pending (self);
    }
    if (self->entry_first == self->entry_end && self->pend.cap > (4u << 20))
        s_pending_begin (self);         //  gives a large buffer back at once
    s_report_return (self, self->confirmed - before);
    return rc ? -1 : (int) (self->confirmed - before);
}

int
jm_store_tick (jm_store_t *self)
{
    assert (self);
    return jm_store_flush (self) < 0 || self->entry_first < self->entry_end ? -1 : 0;
}


//  --------------------------------------------------------------------------
//  Reads

static void
s_on_string_reply (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    s_bytes_t *out = arg;
    if (reply->type == REDIS_REPLY_STRING)
        s_bytes_append (out, reply->str, reply->len);    //  allocates even when empty
    else
    if (reply->type == REDIS_REPLY_ERROR)
        jm_log_warning ("redis %s: read failed: %s", self->endpoint, reply->str);
}

int
jm_store_read_result (jm_store_t *self, const char *job, const char *candidate,
                      char **json_p, size_t *len_p)
{
    assert (self && json_p);
    *json_p = NULL;
    if (len_p)
        *len_p = 0;
    char key [JM_KEYS_MAX];
    int key_len = jm_keys_result (self->keys, job, candidate, key, sizeof key, NULL);
    if (key_len < 0 || !s_ensure (self))
        return -1;
    s_bytes_t command = { 0 }, json = { 0 };
    const char *argv [] = { "HGET", key, "json" };
    size_t argvlen [] = { 4, (size_t) key_len, 4 };
    s_bytes_command (&command, 3, argv, argvlen);
    int rc = s_round_trip (self, command.data, command.len, 1, s_on_string_reply, &json);
    s_bytes_free (&command);
    if (rc || !json.data) {
        s_bytes_free (&json);
        return rc ? -1 : 0;
    }
    *json_p = json.data;
    if (len_p)
        *len_p = json.len;
    return 1;
}

static void
s_on_ranking_reply (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    jm_store_ranking_t *ranking = arg;
    if (reply->type == REDIS_REPLY_ERROR) {
        jm_log_warning ("redis %s: ranking read failed: %s", self->endpoint, reply->str);
        ranking->total = -1;        //  marks the failure for the caller
        return;
    }
    if (index == 0 && reply->type == REDIS_REPLY_ARRAY) {
        size_t count = reply->elements / 2;
        ranking->entries = calloc (count ? count : 1, sizeof (jm_store_rank_entry_t));
        assert (ranking->entries);
        for (size_t i = 0; i < count; i++) {
            redisReply *member = reply->element [2 * i], *score = reply->element [2 * i + 1];
            if (member->type != REDIS_REPLY_STRING || score->type != REDIS_REPLY_STRING)
                continue;
            jm_store_rank_entry_t *entry = &ranking->entries [ranking->count++];
            entry->candidate = strndup (member->str, member->len);
            assert (entry->candidate);
            entry->score = strtod (score->str, NULL);
        }
    }
    else
    if (index == 1 && reply->type == REDIS_REPLY_INTEGER)
        ranking->matching = reply->integer;
    else
    if (index == 2 && reply->type == REDIS_REPLY_INTEGER && ranking->total >= 0)
        ranking->total = reply->integer;
}

int
jm_store_read_ranking (jm_store_t *self, const char *job, const char *version,
                       size_t offset, size_t limit, double min_score,
                       jm_store_ranking_t **ranking_p)
{
    assert (self && ranking_p);
    *ranking_p = NULL;
    char key [JM_KEYS_MAX];
    int key_len = jm_keys_rank (self->keys, job, version, key, sizeof key, NULL);
    if (key_len < 0 || !s_ensure (self))
        return -1;
    char min [40], offset_text [24], limit_text [24];
    int min_len = isnan (min_score) ? snprintf (min, sizeof min, "-inf")
                                    : s_format_double (min, sizeof min, min_score);
    int offset_len = snprintf (offset_text, sizeof offset_text, "%zu", offset);
    int limit_len = snprintf (limit_text, sizeof limit_text, "%zu", limit);
    s_bytes_t commands = { 0 };
    const char *range [] = {
        "ZREVRANGEBYSCORE", key, "+inf", min, "WITHSCORES", "LIMIT", offset_text, limit_text
    };
    size_t range_len [] = {
        16, (size_t) key_len, 4, (size_t) min_len, 10, 5, (size_t) offset_len, (size_t) limit_len
    };
    s_bytes_command (&commands, 8, range, range_len);
    const char *count [] = { "ZCOUNT", key, min, "+inf" };
    size_t count_len [] = { 6, (size_t) key_len, (size_t) min_len, 4 };
    s_bytes_command (&commands, 4, count, count_len);
    const char *card [] = { "ZCARD", key };
    size_t card_len [] = { 5, (size_t) key_len };
    s_bytes_command (&commands, 2, card, card_len);

    jm_store_ranking_t *ranking = calloc (1, sizeof *ranking);
    assert (ranking);
    int rc = s_round_trip (self, commands.data, commands.len, 3, s_on_ranking_reply, ranking);
    s_bytes_free (&commands);
    if (rc || ranking->total < 0) {
        jm_store_ranking_destroy (&ranking);
        return -1;
    }
    if (!ranking->entries) {
        ranking->entries = calloc (1, sizeof (jm_store_rank_entry_t));
        assert (ranking->entries);
    }
    *ranking_p = ranking;
    return 0;
}

void
jm_store_ranking_destroy (jm_store_ranking_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_store_ranking_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->entries [i].candidate);
    free (self->entries);
    free (self);
    *self_p = NULL;
}


//  --------------------------------------------------------------------------
//  Accessors

bool
jm_store_connected (const jm_store_t *self)
{
    assert (self);
    return self->ctx != NULL;
}

size_t
jm_store_pending (const jm_store_t *self)
{
    assert (self);
    return self->entry_end - self->entry_first;
}

void
jm_store_stats (const jm_store_t *self, jm_store_stats_t *stats)
{
    assert (self && stats);
    *stats = self->stats;
    stats->confirmed = self->confirmed;
    stats->pending_writes = self->entry_end - self->entry_first;
    stats->pending_commands = self->pend_commands;
    stats->pending_bytes = self->pend.len - self->pend_dead;
}

const jm_keys_t *
jm_store_keys (const jm_store_t *self)
{
    assert (self);
    return self->keys;
}

const char *
jm_store_endpoint (const jm_store_t *self)
{
    assert (self);
    return self->endpoint;
}
