/*  jm_store: the connection, the pending buffer and round trips.  See
    jm_store.h.  The table of Lua scripts is in jm_store_scripts.c (below
    this file), the batched calls in jm_store_calls.c and results and
    rankings in jm_store_results.c (above it); what they share is in
    jm_store_internal.h.

    How it works.  Commands are formatted as RESP straight into byte buffers
    (no per-item malloc): lookups into a scratch buffer, writes into the
    pending buffer, where each queued write is an entry (offset, length,
    number of commands).  A round trip hands a run of those bytes to hiredis
    at once (redisAppendFormattedCommand) and reads one reply per command
    (redisGetReply).  An entry leaves the pending buffer only when all its
    replies are in, so a connection lost mid-flight loses nothing: the next
    connection replays from the first unanswered entry.  jm_store_send
    puts writes on the wire without waiting, so that Redis works on them
    while the caller computes; their replies are read before anything else
    is sent (the next round trip or flush), so every reply still meets its
    entry in order.

    Connection states: connected (ctx set), or down with a time for the next
    attempt.  After a loss or a failed attempt the store waits a backoff
    (jittered +-20%) that doubles from backoff_min_ms to backoff_max_ms and
    goes back to backoff_min_ms once connected.  A loss is logged once; the
    return is logged with the outage's length and how many writes were
    replayed.                                                              */
#include "jm_store_internal.h"
#include "jm_buf.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>


//  --------------------------------------------------------------------------
//  Small helpers: time, buffers, RESP formatting

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
jm_store__mono_ms (void)
{
    return s_now_ms ();
}

int64_t
jm_store__wall_ms (void)
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
s_bytes_reserve (jm_store__bytes_t *self, size_t more)
{
    if (self->len + more + 1 <= self->cap)
        return;
    size_t cap = self->cap ? self->cap : 4096;
    while (cap < self->len + more + 1)
        cap *= 2;
    self->data = jm_realloc (self->data, cap);
    self->cap = cap;
}

void
jm_store__bytes_free (jm_store__bytes_t *self)
{
    free (self->data);
    memset (self, 0, sizeof *self);
}

void
jm_store__bytes_append (jm_store__bytes_t *self, const void *data, size_t len)
{
    s_bytes_reserve (self, len);
    memcpy (self->data + self->len, data, len);
    self->len += len;
    self->data [self->len] = '\0';
}

//  Appends one command in RESP: *argc, then $len and the bytes of each arg.
void
jm_store__bytes_command (jm_store__bytes_t *self, int argc, const char **argv,
                         const size_t *argvlen)
{
    jm_store__bytes_command_joined (self, argc, argv, argvlen, -1, NULL, NULL, 0);
}

void
jm_store__bytes_command_joined (jm_store__bytes_t *self, int argc, const char **argv,
                                const size_t *argvlen, int joined, const char *const *tails,
                                const size_t *tail_lens, int tail_count)
{
    assert (joined < argc);
    size_t tail_len = 0;
    for (int t = 0; t < tail_count; t++)
        tail_len += tail_lens [t];
    size_t need = 24 + tail_len;
    for (int i = 0; i < argc; i++)
        need += 26 + argvlen [i];
    s_bytes_reserve (self, need);
    char *out = self->data + self->len;
    *out++ = '*';
    out = jm_buf_put_uint (out, (uint64_t) argc);
    *out++ = '\r';
    *out++ = '\n';
    for (int i = 0; i < argc; i++) {
        bool tailed = i == joined;
        *out++ = '$';
        out = jm_buf_put_uint (out, argvlen [i] + (tailed ? tail_len : 0));
        *out++ = '\r';
        *out++ = '\n';
        memcpy (out, argv [i], argvlen [i]);
        out += argvlen [i];
        for (int t = 0; tailed && t < tail_count; t++) {
            memcpy (out, tails [t], tail_lens [t]);
            out += tail_lens [t];
        }
        *out++ = '\r';
        *out++ = '\n';
    }
    self->len = (size_t) (out - self->data);
    self->data [self->len] = '\0';
}

//  Name and first argument of command number `index` in RESP bytes, for logs.
void
jm_store__describe_command (const char *bytes, size_t len, uint32_t index, char *out,
                            size_t size)
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
        "READONLY", "NOREPLICAS", "MISCONF", "NOSCRIPT",
        "MOVED", "ASK",             //  a cluster's redirect jm_cluster gave up following
        NULL
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

//  Where the user information of a URL ends (its '@'), or NULL.  rest is
//  the text after "scheme://".  A password may hold an unescaped '@', so
//  the last one counts; in a unix URL the '@' before the path's first '/'.
static const char *
s_userinfo_end (const char *rest, bool unix_url)
{
    if (!unix_url)
        return strrchr (rest, '@');
    if (*rest == '/')
        return NULL;
    const char *at = NULL;
    for (const char *next = rest; (next = strstr (next, "@/")); next++)
        at = next;
    return at;
}

static int
s_hex_digit (char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

//  Decodes the %XX escapes of len bytes of text into a new string, or
//  returns NULL for a bad escape or an escaped NUL.
static char *
s_percent_decode (const char *text, size_t len)
{
    char *out = jm_malloc (len + 1);
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        if (text [i] != '%')
            out [used++] = text [i];
        else {
            int high = i + 1 < len ? s_hex_digit (text [i + 1]) : -1;
            int low = i + 2 < len ? s_hex_digit (text [i + 2]) : -1;
            if (high < 0 || low < 0 || (high == 0 && low == 0)) {
                explicit_bzero (out, len + 1);
                free (out);
                return NULL;
            }
            out [used++] = (char) (high * 16 + low);
            i += 2;
        }
    }
    out [used] = '\0';
    return out;
}

//  Frees a string that may hold a secret, wiping it first.
static void
s_free_secret (char **secret_p)
{
    if (*secret_p) {
        explicit_bzero (*secret_p, strlen (*secret_p));
        free (*secret_p);
        *secret_p = NULL;
    }
}

//  Reads "user[:password]" (len bytes, percent-encoded) of the URL shown.
static int
s_parse_userinfo (jm_store_t *self, const char *info, size_t len, const char *shown,
                  jm_error_t *err)
{
    const char *colon = memchr (info, ':', len);
    size_t user_len = colon ? (size_t) (colon - info) : len;
    if (user_len) {
        self->user = s_percent_decode (info, user_len);
        if (!self->user)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": bad %%-escape in the user name", shown);
    }
    if (colon && len > user_len + 1) {
        self->password = s_percent_decode (colon + 1, len - user_len - 1);
        if (!self->password)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": bad %%-escape in the password", shown);
    }
    return 0;
}

static int
s_parse_unix_url (jm_store_t *self, const char *url, const char *shown, jm_error_t *err)
{
    const char *path = url + strlen ("unix://");
    const char *at = s_userinfo_end (path, true);
    if (at) {
        if (s_parse_userinfo (self, path, (size_t) (at - path), shown, err))
            return -1;
        path = at + 1;
    }
    if (*path != '/')
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": the socket path must be absolute "
                             "(unix:///path/to/socket)", shown);
    const char *query = strchr (path, '?');
    size_t path_len = query ? (size_t) (query - path) : strlen (path);
    if (path_len >= sizeof ((struct sockaddr_un *) 0)->sun_path)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": socket path longer than %zu bytes",
                             shown, sizeof ((struct sockaddr_un *) 0)->sun_path - 1);
    if (query) {
        long db;
        if (strncmp (query, "?db=", 4) != 0)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": unknown parameter \"%s\", only ?db=N",
                                 shown, query + 1);
        if (s_parse_uint (query + 4, strlen (query + 4), 999999999, &db))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": db \"%s\" is not a number >= 0",
                                 shown, query + 4);
        self->db = (int) db;
    }
    self->unix_socket = true;
    self->host = jm_strndup (path, path_len);
    return 0;
}

//  Reads a seed list "host[:port],host[:port]..." (IPv6 hosts in brackets)
//  ending at the end of text or at "/" or "/0": a cluster has db 0 only.
static int
s_parse_seeds (jm_store_t *self, const char *text, const char *shown, jm_error_t *err)
{
    self->seeds = jm_calloc (JM_CLUSTER_SEEDS_MAX, sizeof *self->seeds);
    const char *p = text;
    while (true) {
        if (self->seed_count == JM_CLUSTER_SEEDS_MAX)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "redis URL \"%s\": more than %d "
                                 "cluster seeds", shown, JM_CLUSTER_SEEDS_MAX);
        const char *host = p, *host_end;
        if (*p == '[') {
            host_end = strchr (++host, ']');
            if (!host_end)
                return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                     "redis URL \"%s\": missing ']' after IPv6 address", shown);
            p = host_end + 1;
        }
        else
            p = host_end = host + strcspn (host, ":,/");
        if (host_end == host || (size_t) (host_end - host) >= JM_CLUSTER_HOST_MAX)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "redis URL \"%s\": seed %zu has "
                                 "no host, or one too long", shown, self->seed_count + 1);
        long port = 6379;
        if (*p == ':') {
            size_t len = strcspn (p + 1, ",/");
            if (s_parse_uint (p + 1, len, 65535, &port) || port == 0)
                return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                     "redis URL \"%s\": port \"%.*s\" is not 1..65535",
                                     shown, (int) len, p + 1);
            p += 1 + len;
        }
        jm_cluster_addr_t *seed = &self->seeds [self->seed_count++];
        memcpy (seed->host, host, (size_t) (host_end - host));
        seed->host [host_end - host] = '\0';
        seed->port = (int) port;
        if (*p != ',')
            break;
        p++;
    }
    if (*p && strcmp (p, "/") != 0 && strcmp (p, "/0") != 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "redis URL \"%s\": a cluster seed "
                             "list takes no db (a cluster has db 0 only): unexpected \"%s\"",
                             shown, p);
    self->host = jm_strdup (self->seeds [0].host);
    self->port = self->seeds [0].port;
    return 0;
}

static int
s_parse_tcp_url (jm_store_t *self, const char *url, const char *shown, jm_error_t *err)
{
    const char *host = strstr (url, "://") + 3;
    const char *at = s_userinfo_end (host, false);
    if (at) {
        if (s_parse_userinfo (self, host, (size_t) (at - host), shown, err))
            return -1;
        host = at + 1;
    }
    if (strchr (host, '?'))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": parameters are not supported "
                             "(redis://host[:port][/db])", shown);
    if (strchr (host, ','))
        return s_parse_seeds (self, host, shown, err);
    const char *host_end, *rest;
    if (*host == '[') {
        host_end = strchr (host, ']');
        if (!host_end)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": missing ']' after IPv6 address", shown);
        host++;
        rest = host_end + 1;
    }
    else {
        host_end = host + strcspn (host, ":/");
        rest = host_end;
    }
    if (host_end == host)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": no host", shown);
    long port = 6379, db = 0;
    if (*rest == ':') {
        size_t len = strcspn (rest + 1, "/");
        if (s_parse_uint (rest + 1, len, 65535, &port) || port == 0)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": port \"%.*s\" is not 1..65535",
                                 shown, (int) len, rest + 1);
        rest += 1 + len;
    }
    if (*rest == '/' && rest [1]) {
        if (s_parse_uint (rest + 1, strlen (rest + 1), 999999999, &db))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "redis URL \"%s\": db \"%s\" is not a number >= 0",
                                 shown, rest + 1);
    }
    else
    if (*rest && strcmp (rest, "/") != 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "redis URL \"%s\": unexpected \"%s\" after the host", shown, rest);
    self->host = jm_strndup (host, (size_t) (host_end - host));
    self->port = (int) port;
    self->db = (int) db;
    return 0;
}

//  The endpoint of a cluster, for logs: "cluster host:port,..."
static void
s_cluster_endpoint (jm_store_t *self)
{
    size_t used = (size_t) snprintf (self->endpoint, sizeof self->endpoint, "cluster ");
    for (size_t i = 0; i < self->seed_count && used < sizeof self->endpoint; i++)
        used += (size_t) snprintf (self->endpoint + used, sizeof self->endpoint - used,
                                   strchr (self->seeds [i].host, ':') ? "%s[%s]:%d" : "%s%s:%d",
                                   i ? "," : "", self->seeds [i].host, self->seeds [i].port);
    if (used < sizeof self->endpoint && self->tls_config)
        used += (size_t) snprintf (self->endpoint + used, sizeof self->endpoint - used, " tls");
    if (used < sizeof self->endpoint && self->user)
        snprintf (self->endpoint + used, sizeof self->endpoint - used, " as %s", self->user);
}

static int
s_parse_url (jm_store_t *self, const char *url, jm_error_t *err)
{
    if (!url || !*url)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "redis URL is empty");
    char shown [400];
    jm_log_redact_url (url, shown, sizeof shown);
    int rc;
    if (strncmp (url, "unix://", 7) == 0)
        rc = s_parse_unix_url (self, url, shown, err);
    else
    if (strncmp (url, "redis://", 8) == 0)
        rc = s_parse_tcp_url (self, url, shown, err);
    else
    if (strncmp (url, "rediss://", 9) == 0)
        rc = s_parse_tcp_url (self, url, shown, err);
    else
        rc = jm_error_set (err, JM_ERR_INVALID_REQUEST,
                           "redis URL \"%s\": expected redis://host[:port][/db], rediss://... "
                           "(TLS) or unix:///path/to/socket[?db=N]", shown);
    if (rc == 0 && self->seed_count) {
        s_cluster_endpoint (self);
        return 0;
    }
    if (rc == 0 && !self->unix_socket) {
        //  one address: a cluster or not, the first connection tells
        self->seeds = jm_calloc (1, sizeof *self->seeds);
        snprintf (self->seeds [0].host, sizeof self->seeds [0].host, "%s", self->host);
        self->seeds [0].port = self->port;
        self->seed_count = 1;
        self->cluster_checked = strlen (self->host) >= JM_CLUSTER_HOST_MAX || self->db != 0;
    }
    else
        self->cluster_checked = true;
    if (rc == 0) {
        int used;
        if (self->unix_socket)
            used = snprintf (self->endpoint, sizeof self->endpoint, "unix:%s db %d",
                             self->host, self->db);
        else
        if (strchr (self->host, ':'))
            used = snprintf (self->endpoint, sizeof self->endpoint, "[%s]:%d db %d",
                             self->host, self->port, self->db);
        else
            used = snprintf (self->endpoint, sizeof self->endpoint, "%s:%d db %d",
                             self->host, self->port, self->db);
        size_t at = used > 0 && (size_t) used < sizeof self->endpoint ? (size_t) used : 0;
        if (at && strncmp (url, "rediss://", 9) == 0)
            at += (size_t) snprintf (self->endpoint + at, sizeof self->endpoint - at, " tls");
        if (at && at < sizeof self->endpoint && self->user)
            snprintf (self->endpoint + at, sizeof self->endpoint - at, " as %s", self->user);
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

//  Closes the connection (and the TLS bridge under it), if any.
static void
s_close (jm_store_t *self)
{
    self->stream_read = self->stream_commands;  //  a streamed lookup's rest: misses
    if (self->ctx) {
        redisFree (self->ctx);
        self->ctx = NULL;
    }
    if (self->cluster)
        jm_cluster_close (self->cluster);
    jm_tls_destroy (&self->tls);
}

bool
jm_store__up (const jm_store_t *self)
{
    return self->ctx || (self->cluster && jm_cluster_connected (self->cluster));
}

#define S_REFUSED "Redis refused a command: "

//  Errors that say Redis does not let us in or lets us do too little: a
//  missing or wrong password, or an ACL user short of a permission.  They
//  mean Redis is unavailable to us, as if it were down.
static bool
s_error_is_refusal (const char *text)
{
    static const char *prefixes [] = { "NOAUTH", "WRONGPASS", "NOPERM", NULL };
    for (int i = 0; prefixes [i]; i++) {
        size_t len = strlen (prefixes [i]);
        if (strncmp (text, prefixes [i], len) == 0 && (text [len] == ' ' || !text [len]))
            return true;
    }
    return false;
}

//  Drops the connection after an I/O error or timeout; logs only the first
//  loss of an outage.  The first retry waits backoff_min_ms (jittered), so a
//  stalled Redis costs one command timeout, not one per call.
static void
s_lost (jm_store_t *self, const char *reason)
{
    char why [240];
    snprintf (why, sizeof why, "%s", reason);     //  reason may live in ctx
    s_close (self);
    self->recovering = true;
    self->entry_sent = self->entry_first;   //  unanswered: replayed on the next connection
    self->sent_commands = 0;
    //  A refusal comes back on every reconnection while it lasts: say it
    //  once a minute, not once per backoff
    int64_t now = s_now_ms ();
    bool refusal = strncmp (why, S_REFUSED, strlen (S_REFUSED)) == 0;
    bool repeat = refusal && strcmp (why, self->down_why) == 0
               && now - self->down_why_ms < 60000;
    if (!self->down_logged && !repeat) {
        jm_log_error ("redis %s: connection lost (%s); %zu writes pending, "
                      "reconnecting with backoff", self->endpoint, why,
                      self->entry_end - self->entry_first);
        if (refusal) {
            snprintf (self->down_why, sizeof self->down_why, "%s", why);
            self->down_why_ms = now;
        }
    }
    self->down_logged = true;
    if (!self->down_since_ms)
        self->down_since_ms = s_now_ms ();
    s_schedule_retry (self);
}

//  s_lost after a failed read or write: over TLS, what the TLS session
//  said says more than the socketpair's end of file.
static void
s_lost_io (jm_store_t *self, const char *why)
{
    char failure [200] = "";
    if (self->tls)
        jm_tls_failure (self->tls, failure, sizeof failure);
    if (!failure [0]) {
        s_lost (self, why);
        return;
    }
    char reason [300];
    snprintf (reason, sizeof reason, "%s%s", failure,
              self->handshaking && !self->tls_client_cert
              ? "; does Redis want a client certificate (--redis-tls-cert)?" : "");
    s_lost (self, reason);
}

bool
jm_store__stream_open (const jm_store_t *self)
{
    return self->stream_read < self->stream_commands;
}

//  Sends bytes and hands each reply to fn; see jm_store_internal.h.
//  Sends the commands.  A batch's bytes go straight from our buffer to the
//  socket: hiredis would first copy them all into its own output buffer,
//  and for a turn of 500 results that copy alone is some 4 MB of a
//  matcher's peak memory.  hiredis then only reads the replies.  Its
//  buffer is empty here (every round trip reads all its replies), else
//  the bytes queue behind what it holds.
static int
s_send (jm_store_t *self, const char *bytes, size_t len)
{
    if (jm_store__stream_open (self))
        self->stream_end (self);        //  its replies come first on the wire
    if (!jm_store__up (self))
        return -1;
    if (self->cluster) {
        char why [240];
        if (jm_cluster_send (self->cluster, bytes, len, why, sizeof why)) {
            s_lost (self, why);
            return -1;
        }
        if (jm_cluster_generation (self->cluster) != self->cluster_generation) {
            self->cluster_generation = jm_cluster_generation (self->cluster);
            self->scripts_dirty = true;     //  a new master: load them before the next use
        }
        return 0;
    }
    redisContext *ctx = self->ctx;
    if (ctx->obuf && ctx->obuf [0] != '\0') {
        if (redisAppendFormattedCommand (ctx, bytes, len) != REDIS_OK) {
            s_lost (self, ctx->errstr);
            return -1;
        }
        return 0;
    }
    while (len > 0) {
        ssize_t written = write (ctx->fd, bytes, len);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0) {
            char why [240];
            if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                snprintf (why, sizeof why, "could not send within %d ms",
                          self->options.command_timeout_ms);
            else
                snprintf (why, sizeof why, "%s", written < 0 ? strerror (errno) : "connection closed");
            s_lost_io (self, why);
            return -1;
        }
        bytes += written;
        len -= (size_t) written;
    }
    return 0;
}

int
jm_store__read_reply (jm_store_t *self, redisReply **reply_p, char *refused, size_t refused_size)
{
    void *reply = NULL;
    *reply_p = NULL;
    if (self->cluster) {
        char why [240];
        if (jm_cluster_read (self->cluster, (redisReply **) &reply, why, sizeof why)) {
            s_lost (self, why);
            return -1;
        }
    }
    else
    if (redisGetReply (self->ctx, &reply) != REDIS_OK || !reply) {
        char why [240];
        if (strcmp (self->ctx->errstr, strerror (EAGAIN)) == 0)
            snprintf (why, sizeof why, "no reply within %d ms",
                      self->options.command_timeout_ms);
        else
            snprintf (why, sizeof why, "%s",
                      self->ctx->errstr [0] ? self->ctx->errstr : "no reply");
        s_lost_io (self, why);
        return -1;
    }
    if (((redisReply *) reply)->type == REDIS_REPLY_ERROR) {
        self->stats.errors++;
        const char *text = ((redisReply *) reply)->str;
        if (!self->handshaking && !refused [0] && s_error_is_refusal (text))
            snprintf (refused, refused_size, S_REFUSED "%.160s", text);
    }
    *reply_p = reply;
    return 0;
}

int
jm_store__refused (jm_store_t *self, const char *refused)
{
    if (!refused [0])
        return 0;
    //  Every reply is read, so nothing is left on the wire; what the
    //  callers kept pending goes again on the next connection
    s_lost (self, refused);
    return -1;
}

//  Reads the replies of `commands` commands sent before and hands each to
//  fn.  Returns 0, or -1 when the connection failed (it is then dropped).
static int
s_read_replies (jm_store_t *self, size_t commands, jm_store__reply_fn *fn, void *arg)
{
    char refused [200] = "";
    for (size_t index = 0; index < commands; index++) {
        redisReply *reply;
        if (jm_store__read_reply (self, &reply, refused, sizeof refused))
            return -1;
        fn (self, index, reply, arg);
        freeReplyObject (reply);
    }
    return jm_store__refused (self, refused);
}

static int s_collect (jm_store_t *self);

int
jm_store__send (jm_store_t *self, const char *bytes, size_t len)
{
    assert (jm_store__up (self));
    //  replies to writes sent ahead come first
    if (self->sent_commands) {
        s_collect (self);
        if (!jm_store__up (self))
            return -1;
    }
    return s_send (self, bytes, len);
}

int
jm_store__round_trip (jm_store_t *self, const char *bytes, size_t len, size_t commands,
                      jm_store__reply_fn *fn, void *arg)
{
    assert (jm_store__up (self));
    //  replies to writes sent ahead come first
    if (self->sent_commands) {
        s_collect (self);
        if (!jm_store__up (self))
            return -1;
    }
    if (s_send (self, bytes, len))
        return -1;
    self->stats.commands_sent += commands;
    if (s_read_replies (self, commands, fn, arg))
        return -1;
    self->stats.round_trips++;
    return 0;
}

//  The first error reply of a connection's handshake, and its command.
typedef struct {
    const char *names [3];
    char error [240];
} s_handshake_t;

static void
s_on_handshake_reply (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    s_handshake_t *handshake = arg;
    if (reply->type == REDIS_REPLY_ERROR && !handshake->error [0])
        snprintf (handshake->error, sizeof handshake->error, "%s refused: %.200s",
                  handshake->names [index], reply->str);
}

//  Logs that Redis is unavailable: once per outage, and again when Redis
//  refuses us for another reason (a configuration fault worth hearing of).
static void
s_log_down (jm_store_t *self, const char *why, bool refusal)
{
    jm_log_debug ("redis %s: connect failed: %s", self->endpoint, why);
    self->recovering = true;
    if (self->down_logged && !(refusal && strcmp (why, self->down_why) != 0))
        return;
    jm_log_error ("redis %s unavailable (%s); %zu writes pending, retrying with backoff",
                  self->endpoint, why, self->entry_end - self->entry_first);
    self->down_logged = true;
    snprintf (self->down_why, sizeof self->down_why, "%s", refusal ? why : "");
    self->down_why_ms = s_now_ms ();
}

//  Sends AUTH (with a password), SELECT (db not 0) and PING on a new
//  connection in one round trip.  Returns 0, or -1 with why set when Redis
//  refused one of them or the connection failed.
static int
s_handshake (jm_store_t *self, char *why, size_t why_size)
{
    jm_store__bytes_t hello = { 0 };
    s_handshake_t handshake;
    memset (&handshake, 0, sizeof handshake);
    size_t commands = 0;
    if (self->password) {
        const char *argv [] = { "AUTH", self->user ? self->user : self->password,
                                self->password };
        int argc = self->user ? 3 : 2;
        size_t lens [] = { 4, strlen (argv [1]), strlen (argv [2]) };
        jm_store__bytes_command (&hello, argc, argv, lens);
        handshake.names [commands++] = "AUTH";
    }
    if (self->db) {
        char db [16];
        snprintf (db, sizeof db, "%d", self->db);
        const char *argv [] = { "SELECT", db };
        jm_store__bytes_command (&hello, 2, argv, (size_t []) { 6, strlen (db) });
        handshake.names [commands++] = "SELECT";
    }
    jm_store__bytes_command (&hello, 1, (const char *[]) { "PING" }, (size_t []) { 4 });
    handshake.names [commands++] = "PING";
    self->handshaking = true;
    int rc = jm_store__round_trip (self, hello.data, hello.len, commands,
                                   s_on_handshake_reply, &handshake);
    self->handshaking = false;
    explicit_bzero (hello.data, hello.cap);
    jm_store__bytes_free (&hello);
    if (rc)
        why [0] = '\0';            //  lost, and s_lost said so
    else
    if (handshake.error [0])
        snprintf (why, why_size, "%s", handshake.error);
    return rc || handshake.error [0] ? -1 : 0;
}

//  Connects to every master of the cluster.  Returns true when connected.
static bool
s_connect_cluster (jm_store_t *self)
{
    char why [240] = "no seed answered";
    if (jm_cluster_connect (self->cluster, why, sizeof why)) {
        s_log_down (self, why, false);
        return false;
    }
    self->cluster_generation = jm_cluster_generation (self->cluster);
    return true;
}

//  Makes the cluster client, for the seeds of the URL.
static void
s_cluster_start (jm_store_t *self)
{
    jm_cluster_options_t options = {
        .user = self->user,
        .password = self->password,
        .connect_timeout_ms = self->options.connect_timeout_ms,
        .command_timeout_ms = self->options.command_timeout_ms,
        .tls = self->tls_config
    };
    self->cluster = jm_cluster_new (self->seeds, self->seed_count, &options);
    jm_store__scripts_to_cluster (self);
    self->cluster_checked = true;
    jm_keys_set_cluster (self->keys, true);
}

//  On the first connection to a single address: is it a node of a cluster?
//  CLUSTER SLOTS answers a cluster's map, and an error anywhere else
//  ("cluster support disabled", or NOPERM for a user without it).  Returns
//  true when it is a cluster (the single connection is then closed).
static bool
s_probe_cluster (jm_store_t *self)
{
    self->cluster_checked = true;
    redisReply *reply = redisCommand (self->ctx, "CLUSTER SLOTS");
    bool cluster = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0;
    if (reply && reply->type == REDIS_REPLY_ERROR && strstr (reply->str, "NOPERM"))
        jm_log_debug ("redis %s: CLUSTER SLOTS refused (%s): taken as a single Redis",
                      self->endpoint, reply->str);
    freeReplyObject (reply);
    if (!cluster)
        return false;
    redisFree (self->ctx);
    self->ctx = NULL;
    jm_tls_destroy (&self->tls);
    s_cluster_start (self);
    s_cluster_endpoint (self);
    jm_log_info ("redis %s: a cluster node: using the cluster", self->endpoint);
    return true;
}

//  One connection attempt.  Returns true when connected.
static bool
s_connect (jm_store_t *self)
{
    self->stats.connect_attempts++;
    if (self->cluster)
        return s_connect_cluster (self);
    int timeout_ms = self->options.connect_timeout_ms;
    struct timeval connect_timeout = s_timeval (timeout_ms);
    char why [240] = "";
    redisContext *ctx = NULL;
    if (self->tls_config) {
        self->tls = jm_tls_connect (self->tls_config, self->host, self->port, timeout_ms,
                                    why, sizeof why);
        if (self->tls) {
            ctx = redisConnectFd (jm_tls_fd (self->tls));
            if (!ctx)
                close (jm_tls_fd (self->tls));
        }
    }
    else
        ctx = self->unix_socket
            ? redisConnectUnixWithTimeout (self->host, connect_timeout)
            : redisConnectWithTimeout (self->host, self->port, connect_timeout);
    if (why [0])
        ;                           //  the TLS connection failed
    else
    if (!ctx)
        snprintf (why, sizeof why, "out of memory");
    else
    if (ctx->err)
        snprintf (why, sizeof why, "%s", ctx->errstr);
    else
    if (redisSetTimeout (ctx, s_timeval (self->options.command_timeout_ms)) != REDIS_OK)
        snprintf (why, sizeof why, "cannot set timeout: %s", strerror (errno));
    else
    if (!self->unix_socket && !self->tls)
        redisEnableKeepAlive (ctx);
    self->ctx = ctx;
    if (why [0]) {
        s_close (self);
        s_log_down (self, why, false);
        return false;
    }
    if (s_handshake (self, why, sizeof why)) {
        s_close (self);
        //  a refusal (no or wrong password, a bad db) is a configuration
        //  fault: say so whenever it changes
        if (why [0])
            s_log_down (self, why, true);
        return false;
    }
    if (!self->cluster_checked && s_probe_cluster (self))
        return s_connect_cluster (self);
    return true;
}

//  Makes sure the store is connected, connecting when a retry is due.
//  Returns true when connected.  The replay of writes that pended during an
//  outage is left to the next flush or tick, so a lookup that reconnects
//  does not wait for it.
bool
jm_store__ensure (jm_store_t *self)
{
    if (jm_store__up (self))
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
        self->reconnected_ms = s_now_ms ();
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
    if (self->drain_since_ms && jm_store__up (self) && self->entry_first == self->entry_end) {
        jm_log_info ("redis %s: backlog drained in %.1f s (at most %zu bytes were pending)",
                     self->endpoint, (double) (s_now_ms () - self->drain_since_ms) / 1000.0,
                     self->stats.pending_peak_bytes);
        self->drain_since_ms = 0;
    }
    if (!self->replay_due || !jm_store__up (self))
        return;
    if (replayed > self->replay_count)
        replayed = self->replay_count;  //  the rest were this batch's own
    jm_log_info ("redis %s: back after %.1f s, replayed %llu writes%s", self->endpoint,
                 self->outage_s, (unsigned long long) replayed,
                 self->entry_end > self->entry_first ? "; some still pending" : "");
    if (self->entry_end > self->entry_first)
        self->drain_since_ms = self->reconnected_ms;
    self->replay_due = false;
}


//  --------------------------------------------------------------------------
//  Lua scripts: loaded into Redis (SCRIPT LOAD) after each connection and
//  after NOSCRIPT; the table of them is in jm_store_scripts.c

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
int
jm_store__scripts_ready (jm_store_t *self)
{
    if (!self->scripts_dirty || self->script_count == 0) {
        self->scripts_dirty = false;
        return 0;
    }
    if (!jm_store__up (self))
        return -1;
    jm_store__bytes_t commands = { 0 };
    for (size_t i = 0; i < self->script_count; i++) {
        const char *argv [] = { "SCRIPT", "LOAD", self->scripts [i]->text };
        size_t argvlen [] = { 6, 4, strlen (self->scripts [i]->text) };
        jm_store__bytes_command (&commands, 3, argv, argvlen);
    }
    int failed = 0;
    int rc = jm_store__round_trip (self, commands.data, commands.len, self->script_count,
                                   s_on_script_load, &failed);
    jm_store__bytes_free (&commands);
    if (rc)
        return -1;
    //  A script Redis refuses (a syntax error) fails each call instead
    self->scripts_dirty = false;
    return 0;
}


//  --------------------------------------------------------------------------
//  Pending writes

//  Prepares the pending buffer for a new entry: resets it when empty,
//  compacts it when dead bytes dominate.  Returns where the entry starts.
size_t
jm_store__pending_begin (jm_store_t *self)
{
    if (self->entry_first == self->entry_end) {
        //  Give back the memory of a long outage once it is replayed
        if (self->pend.cap > (4u << 20)) {
            jm_store__bytes_free (&self->pend);
            free (self->entries);
            self->entries = NULL;
            self->entry_cap = 0;
        }
        self->pend.len = self->pend_dead = 0;
        self->entry_first = self->entry_sent = self->entry_end = 0;
    }
    else
    if (self->pend_dead > (64u << 10) && self->pend_dead >= (self->pend.len - self->pend_dead) / 4) {
        size_t live = self->pend.len - self->pend_dead;
        memmove (self->pend.data, self->pend.data + self->pend_dead, live);
        size_t count = self->entry_end - self->entry_first;
        memmove (self->entries, self->entries + self->entry_first,
                 count * sizeof (jm_store__entry_t));
        for (size_t i = 0; i < count; i++)
            self->entries [i].offset -= self->pend_dead;
        self->pend.len = live;
        self->pend_dead = 0;
        self->entry_sent -= self->entry_first;
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
    jm_store__entry_t *entry = &self->entries [self->entry_first++];
    if (self->entry_sent < self->entry_first)
        self->entry_sent = self->entry_first;
    self->pend_dead = entry->offset + entry->len;
    self->pend_commands -= entry->commands;
}

//  Registers the bytes from start to the end of the buffer as one entry of
//  `commands` commands.  Nothing is ever dropped: the pending limits are a
//  bound the owner watches (jm_store_pending_fill) to stop taking work, so
//  an entry that takes the buffer past them is kept and logged once per
//  outage.  Returns 0.
int
jm_store__pending_commit (jm_store_t *self, size_t start, uint32_t commands)
{
    size_t len = self->pend.len - start;
    if (self->entry_end == self->entry_cap) {
        if (self->entry_first > 0) {
            size_t count = self->entry_end - self->entry_first;
            memmove (self->entries, self->entries + self->entry_first,
                     count * sizeof (jm_store__entry_t));
            self->entry_sent -= self->entry_first;
            self->entry_first = 0;
            self->entry_end = count;
        }
        else {
            self->entry_cap = self->entry_cap ? self->entry_cap * 2 : 1024;
            self->entries = jm_realloc (self->entries, self->entry_cap * sizeof (jm_store__entry_t));
        }
    }
    self->entries [self->entry_end++] = (jm_store__entry_t) { start, len, commands };
    self->pend_commands += commands;
    size_t bytes = self->pend.len - self->pend_dead;
    if (bytes > self->stats.pending_peak_bytes)
        self->stats.pending_peak_bytes = bytes;
    if (jm_store_pending_fill (self) >= 1.0 && !self->full_logged) {
        jm_log_warning ("redis %s: pending writes reached the bound (%zu commands, %zu bytes; "
                        "limits %zu, %zu); kept, the owner stops taking work until they drain",
                        self->endpoint, self->pend_commands, bytes,
                        self->options.pending_max_commands, self->options.pending_max_bytes);
        self->full_logged = true;
    }
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

//  The error a write's reply carries: the reply itself, or for EXEC's array
//  the first of its commands that failed (a WRONGTYPE, or a NOSCRIPT from an
//  EVALSHA, fails one command inside a transaction and leaves EXEC itself
//  an array).  NULL when every command succeeded.
static const redisReply *
s_write_error (const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR)
        return reply;
    if (reply->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < reply->elements; i++)
            if (reply->element [i] && reply->element [i]->type == REDIS_REPLY_ERROR)
                return reply->element [i];
    return NULL;
}

static void
s_on_write_reply (jm_store_t *self, size_t index, redisReply *whole, void *arg)
{
    s_flush_t *flush = arg;
    jm_store__entry_t *entry = &self->entries [self->entry_first + flush->kept];
    const redisReply *reply = s_write_error (whole);
    if (reply && reply != whole)
        self->stats.errors++;       //  s_read_reply counted only the whole reply's errors
    if (reply) {
        //  refused for now, or refused to us (s_read_replies then drops
        //  the connection): either way the writes wait and go again
        bool transient = s_error_is_transient (reply->str) || s_error_is_refusal (reply->str);
        if (strncmp (reply->str, "NOSCRIPT", 8) == 0)
            self->scripts_dirty = true;
        if (!flush->first_error [0] || (transient && !flush->hold)) {
            char command [240];
            jm_store__describe_command (self->pend.data + entry->offset, entry->len,
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

static void s_flush_outcome (jm_store_t *self, s_flush_t *flush, int rc);

//  Reads the replies of the writes sent ahead (jm_store_send) into flush.
//  Returns 0, or -1 when the connection failed.  Afterwards nothing is in
//  flight: what Redis kept for later is sent again by the next flush.
static int
s_read_sent (jm_store_t *self, s_flush_t *flush)
{
    size_t commands = self->sent_commands;
    self->sent_commands = 0;
    int rc = s_read_replies (self, commands, s_on_write_reply, flush);
    if (rc == 0)
        self->stats.round_trips++;
    self->entry_sent = self->entry_first;
    return rc;
}

//  Reads the replies of the writes sent ahead, as a flush would.  Returns 0,
//  or -1 when the connection failed or Redis refused writes for now.
static int
s_collect (jm_store_t *self)
{
    s_flush_t flush = { 0 };
    int rc = s_read_sent (self, &flush) || flush.hold ? -1 : 0;
    s_flush_outcome (self, &flush, rc);
    return rc;
}

//  Sends pending writes until none are left, or until budget_ms have gone
//  by after a pipeline (budget_ms 0: no limit), so that a long backlog
//  drains in steps between which the owner's loop turns.  Returns 0, or
//  -1 when the connection failed or Redis refused writes for now (the rest
//  stay pending).
static int
s_flush_pending (jm_store_t *self, int budget_ms)
{
    int64_t deadline = budget_ms > 0 ? s_now_ms () + budget_ms : INT64_MAX;
    s_flush_t flush = { 0 };
    int rc = 0;
    if (self->sent_commands && s_read_sent (self, &flush))
        rc = -1;
    else
    if (!flush.hold && jm_store__scripts_ready (self))
        rc = -1;
    while (rc == 0 && !flush.hold && self->entry_first < self->entry_end) {
        size_t first = self->entry_first, last = first, commands = 0;
        while (last < self->entry_end
           && (last == first
            || (commands + self->entries [last].commands <= JM_STORE_PIPELINE_COMMANDS
             && self->entries [last].offset + self->entries [last].len
              - self->entries [first].offset <= JM_STORE_PIPELINE_BYTES)))
            commands += self->entries [last++].commands;
        size_t offset = self->entries [first].offset;
        size_t len = self->entries [last - 1].offset + self->entries [last - 1].len - offset;
        flush.kept = 0;
        flush.replies = 0;
        if (jm_store__round_trip (self, self->pend.data + offset, len, commands,
                                  s_on_write_reply, &flush)) {
            rc = -1;
            break;
        }
        if (flush.hold || s_now_ms () >= deadline)
            break;
    }
    if (flush.hold)
        rc = -1;
    s_flush_outcome (self, &flush, rc);
    return rc;
}

//  Logs what a flush's replies said and sets the write backoff: held after
//  a refusal for now, reset after a clean flush.
static void
s_flush_outcome (jm_store_t *self, s_flush_t *flush, int rc)
{
    if (flush->refused)
        jm_log_warning ("redis %s: refused %zu writes, dropped them; first: %s",
                        self->endpoint, flush->refused, flush->first_error);
    if (flush->hold && !jm_store__up (self))
        ;                           //  refused to us: an outage, s_lost logged it
    else
    if (flush->hold) {
        self->recovering = true;
        if (!self->refusal_logged) {
            jm_log_warning ("redis %s: refuses writes for now: %s; %zu writes kept pending, "
                            "retrying with backoff", self->endpoint, flush->first_error,
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
        if (self->entry_first == self->entry_end)
            self->full_logged = false;
    }
}


//  --------------------------------------------------------------------------
//  Lifecycle

//  Takes the password of the options when the URL has none, and loads the
//  TLS credentials of a rediss:// URL.
static int
s_set_credentials (jm_store_t *self, const char *url, const jm_store_options_t *options,
                   jm_error_t *err)
{
    if (!self->password && options->password && *options->password) {
        self->password = jm_strdup (options->password);
    }
    if (self->user && !self->password)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "redis user \"%s\" has no password: "
                             "give it in the URL (redis://user:password@host), in a file "
                             "(--redis-password-file) or in JOBMATCH_REDIS_PASSWORD", self->user);
    if (strncmp (url, "rediss://", 9) == 0) {
        self->tls_config = jm_tls_config_new (options->tls_ca_file, options->tls_cert_file,
                                              options->tls_key_file, options->tls_server_name,
                                              err);
        if (!self->tls_config)
            return -1;
        self->tls_client_cert = options->tls_cert_file && *options->tls_cert_file;
    }
    else
    if ((options->tls_ca_file && *options->tls_ca_file)
    ||  (options->tls_cert_file && *options->tls_cert_file)
    ||  (options->tls_key_file && *options->tls_key_file)
    ||  (options->tls_server_name && *options->tls_server_name))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "redis TLS settings given, but the "
                             "URL does not start with rediss://: TLS would not be used");
    return 0;
}

jm_store_t *
jm_store_new (const char *url, const jm_store_options_t *options, jm_error_t *err)
{
    jm_store_options_t defaults;
    jm_store_options_default (&defaults);
    if (!options)
        options = &defaults;
    if (s_check_options (options, err))
        return NULL;
    jm_store_t *self = jm_calloc (1, sizeof *self);
    self->options = *options;
    //  the store keeps its own copies of these, or nothing
    self->options.password = NULL;
    self->options.tls_ca_file = self->options.tls_cert_file = NULL;
    self->options.tls_key_file = self->options.tls_server_name = NULL;
    self->keys = jm_keys_new (options->key_namespace, err);
    if (!self->keys || s_parse_url (self, url, err)
    ||  s_set_credentials (self, url, options, err)) {
        jm_store_destroy (&self);
        return NULL;
    }
    if (self->seed_count > 1) {
        s_cluster_start (self);
        s_cluster_endpoint (self);      //  with " tls", known now
    }
    self->key_namespace = jm_strdup (jm_keys_namespace (self->keys));
    self->options.key_namespace = self->key_namespace;
    self->backoff_ms = self->options.backoff_min_ms;
    self->write_backoff_ms = self->options.backoff_min_ms;
    self->seed = (unsigned int) (jm_store__wall_ms () ^ ((uint64_t) getpid () << 16)
                               ^ (uint64_t) (uintptr_t) self);

    //  A write to a Redis that just went away raises SIGPIPE; the store
    //  handles EPIPE, so the signal must not kill the process
    struct sigaction action;
    if (sigaction (SIGPIPE, NULL, &action) == 0 && action.sa_handler == SIG_DFL)
        signal (SIGPIPE, SIG_IGN);

    jm_store__ensure (self);
    return self;
}

void
jm_store_destroy (jm_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_store_t *self = *self_p;
    if (jm_store__up (self) && self->entry_first < self->entry_end
    &&  self->writes_held_until_ms <= s_now_ms ())
        s_flush_pending (self, 0);
    if (self->entry_first < self->entry_end)
        jm_log_warning ("redis %s: closing with %zu writes unconfirmed; they are lost",
                        self->endpoint, self->entry_end - self->entry_first);
    s_close (self);
    jm_cluster_destroy (&self->cluster);
    free (self->seeds);
    jm_tls_config_destroy (&self->tls_config);
    jm_keys_destroy (&self->keys);
    free (self->host);
    free (self->user);
    s_free_secret (&self->password);
    free (self->key_namespace);
    jm_store__bytes_free (&self->pend);
    free (self->entries);
    jm_store__bytes_free (&self->scratch);
    jm_buf_free (&self->value);
    if (self->stream_end)
        self->stream_end (self);
    free (self->slots);
    jm_store__scripts_free (self);
    free (self);
    *self_p = NULL;
}


//  --------------------------------------------------------------------------
//  Writes: any command, flush, tick

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
        lens = argc <= 16 ? lens_local : jm_malloc ((size_t) argc * sizeof (size_t));
        for (int i = 0; i < argc; i++)
            lens [i] = strlen (argv [i]);
    }
    size_t start = jm_store__pending_begin (self);
    jm_store__bytes_command (&self->pend, argc, argv, lens);
    if (!argvlen && lens != lens_local)
        free (lens);
    return jm_store__pending_commit (self, start, 1);
}

int
jm_store_flush (jm_store_t *self)
{
    assert (self);
    uint64_t before = self->confirmed;
    if (!jm_store__ensure (self))
        return -1;
    int rc = 0;
    if (self->entry_first < self->entry_end) {
        if (s_now_ms () < self->writes_held_until_ms)
            rc = -1;
        else
            rc = s_flush_pending (self, self->recovering ? JM_STORE_FLUSH_BUDGET_MS : 0);
    }
    if (self->entry_first == self->entry_end && jm_store__up (self))
        self->recovering = false;
    if (self->entry_first == self->entry_end && self->pend.cap > (4u << 20))
        jm_store__pending_begin (self);         //  gives a large buffer back at once
    s_report_return (self, self->confirmed - before);
    return rc ? -1 : (int) (self->confirmed - before);
}

int
jm_store_send (jm_store_t *self)
{
    assert (self);
    if (self->entry_sent == self->entry_end)
        return 0;
    if (jm_store__stream_open (self))
        return -1;              //  a streamed lookup's replies come first: sent later
    //  one send in flight at a time, which bounds the pending bytes: the
    //  replies to the last one have usually arrived while the caller worked
    if (self->sent_commands)
        s_collect (self);
    if (!jm_store__up (self) || s_now_ms () < self->writes_held_until_ms || self->replay_due
    ||  jm_store__scripts_ready (self))
        return -1;              //  left to the next flush, which knows what to do
    const jm_store__entry_t *first = &self->entries [self->entry_sent];
    const jm_store__entry_t *last = &self->entries [self->entry_end - 1];
    size_t commands = 0;
    for (size_t e = self->entry_sent; e < self->entry_end; e++)
        commands += self->entries [e].commands;
    if (s_send (self, self->pend.data + first->offset, last->offset + last->len - first->offset))
        return -1;
    self->stats.commands_sent += commands;
    self->sent_commands += commands;
    self->entry_sent = self->entry_end;
    return 0;
}

int
jm_store_tick (jm_store_t *self)
{
    assert (self);
    return jm_store_flush (self) < 0 || self->entry_first < self->entry_end ? -1 : 0;
}


//  --------------------------------------------------------------------------
//  Accessors

bool
jm_store_connected (const jm_store_t *self)
{
    assert (self);
    return jm_store__up (self);
}

size_t
jm_store_pending (const jm_store_t *self)
{
    assert (self);
    return self->entry_end - self->entry_first;
}

double
jm_store_pending_fill (const jm_store_t *self)
{
    assert (self);
    double commands = (double) self->pend_commands / (double) self->options.pending_max_commands;
    double bytes = (double) (self->pend.len - self->pend_dead)
                 / (double) self->options.pending_max_bytes;
    return commands > bytes ? commands : bytes;
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
