/*  jm_cluster: the Redis Cluster layer under jm_store.  See jm_cluster.h.

    How it works.  jm_cluster_send cuts the caller's RESP into units: one
    command, or one MULTI ... EXEC, or (split) several parts that are such
    units, each routed by slot.  The bytes of every unit are copied once,
    into its node's `out`, written from there straight to the socket, and
    kept until every unit is answered, so a unit can be sent again after a
    redirect.  Each node has a count of replies on its wire and a queue of
    replies read ahead of their turn.  jm_cluster_read resolves the oldest unit: reads its replies from
    its node, and on MOVED/ASK/TRYAGAIN/CLUSTERDOWN first reads whatever
    the target node still owes into that node's queue (its replies belong
    to later units), then sends the unit to it and reads its answer
    straight off the wire.  So every node's replies still meet their units
    in order.                                                             */
#include "jm_cluster.h"
#include "jm_alloc.h"
#include "jm_log.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

//  --------------------------------------------------------------------------
//  Key slots

static uint16_t
s_crc16 (const char *bytes, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t) ((unsigned char) bytes [i] << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = crc & 0x8000 ? (uint16_t) ((crc << 1) ^ 0x1021) : (uint16_t) (crc << 1);
    }
    return crc;
}

uint16_t
jm_cluster_key_slot (const char *key, size_t len)
{
    const char *open = memchr (key, '{', len);
    if (open) {
        size_t rest = len - (size_t) (open - key) - 1;
        const char *close = memchr (open + 1, '}', rest);
        if (close && close > open + 1)
            return s_crc16 (open + 1, (size_t) (close - open - 1)) % JM_CLUSTER_SLOTS;
    }
    return s_crc16 (key, len) % JM_CLUSTER_SLOTS;
}


//  --------------------------------------------------------------------------
//  Slot map

static int
s_why (char *why, size_t size, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

static int
s_why (char *why, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (why, size, format, args);
    va_end (args);
    return -1;
}

//  Index of host:port in map, added when new; -1 when the map is full.
static int
s_map_node (jm_cluster_map_t *map, const char *host, size_t host_len, int port)
{
    for (size_t i = 0; i < map->node_count; i++)
        if (map->nodes [i].port == port && strlen (map->nodes [i].host) == host_len
        &&  memcmp (map->nodes [i].host, host, host_len) == 0)
            return (int) i;
    if (map->node_count == JM_CLUSTER_NODES_MAX)
        return -1;
    jm_cluster_addr_t *node = &map->nodes [map->node_count];
    memcpy (node->host, host, host_len);
    node->host [host_len] = '\0';
    node->port = port;
    return (int) map->node_count++;
}

int
jm_cluster_map_parse (jm_cluster_map_t *map, const redisReply *reply, const char *from_host,
                      char *why, size_t why_size)
{
    assert (map && from_host);
    map->node_count = 0;
    for (size_t slot = 0; slot < JM_CLUSTER_SLOTS; slot++)
        map->slot_node [slot] = JM_CLUSTER_NO_NODE;
    if (!reply)
        return s_why (why, why_size, "CLUSTER SLOTS: no reply");
    if (reply->type == REDIS_REPLY_ERROR)
        return s_why (why, why_size, "CLUSTER SLOTS: %.160s", reply->str);
    if (reply->type != REDIS_REPLY_ARRAY)
        return s_why (why, why_size, "CLUSTER SLOTS: reply is not an array");
    if (reply->elements == 0)
        return s_why (why, why_size, "CLUSTER SLOTS: no slot is served");
    if (reply->elements > JM_CLUSTER_SLOTS)
        return s_why (why, why_size, "CLUSTER SLOTS: %zu ranges, more than slots",
                      reply->elements);
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *range = reply->element [i];
        if (!range || range->type != REDIS_REPLY_ARRAY || range->elements < 3)
            return s_why (why, why_size, "CLUSTER SLOTS: range %zu is not "
                          "[start, end, master, ...]", i);
        const redisReply *start = range->element [0], *end = range->element [1];
        const redisReply *master = range->element [2];
        if (!start || !end || start->type != REDIS_REPLY_INTEGER
        ||  end->type != REDIS_REPLY_INTEGER || start->integer < 0
        ||  end->integer >= JM_CLUSTER_SLOTS || start->integer > end->integer)
            return s_why (why, why_size, "CLUSTER SLOTS: range %zu: bad slot bounds", i);
        if (!master || master->type != REDIS_REPLY_ARRAY || master->elements < 2
        ||  !master->element [0] || !master->element [1]
        ||  master->element [0]->type != REDIS_REPLY_STRING
        ||  master->element [1]->type != REDIS_REPLY_INTEGER)
            return s_why (why, why_size, "CLUSTER SLOTS: range %zu: master is not "
                          "[host, port, ...]", i);
        const redisReply *host = master->element [0];
        long long port = master->element [1]->integer;
        if (port < 1 || port > 65535)
            return s_why (why, why_size, "CLUSTER SLOTS: range %zu: port %lld is not 1..65535",
                          i, port);
        const char *name = host->str;
        size_t name_len = host->len;
        if (name_len == 0 || (name_len == 1 && name [0] == '?')) {
            name = from_host;       //  "the node you asked" (cluster-preferred-endpoint-type)
            name_len = strlen (from_host);
        }
        if (name_len >= JM_CLUSTER_HOST_MAX || memchr (name, '\0', name_len))
            return s_why (why, why_size, "CLUSTER SLOTS: range %zu: bad host name", i);
        int node = s_map_node (map, name, name_len, (int) port);
        if (node < 0)
            return s_why (why, why_size, "CLUSTER SLOTS: more than %d masters",
                          JM_CLUSTER_NODES_MAX);
        for (long long slot = start->integer; slot <= end->integer; slot++) {
            if (map->slot_node [slot] != JM_CLUSTER_NO_NODE)
                return s_why (why, why_size, "CLUSTER SLOTS: slot %lld given twice", slot);
            map->slot_node [slot] = (uint16_t) node;
        }
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  The client

typedef struct {
    jm_cluster_addr_t addr;
    redisContext *ctx;
    jm_tls_t *tls;                  //  the TLS bridge under ctx, with rediss://
    bool master;
    size_t on_wire;                 //  replies sent, not read yet
    size_t scripts_loaded;          //  of the client's scripts, loaded here
    char *out;                      //  the bytes of its units, until all are answered
    size_t out_len, out_cap, out_sent;
    redisReply **ahead;             //  replies read before their turn, a FIFO
    size_t ahead_first, ahead_count, ahead_cap;
} s_node_t;

typedef enum { S_PLAIN, S_BROADCAST, S_SPLIT } s_kind_t;
typedef enum { S_JOIN_ARRAY, S_JOIN_SUM, S_JOIN_EXEC } s_join_t;

typedef struct {
    s_kind_t kind;
    int node;                       //  PLAIN: where it went (BROADCAST: part_count nodes
                                    //  from first_pos in positions)
    uint32_t commands;              //  replies the caller gets (PLAIN: the node sends)
    int out_node;                   //  PLAIN: whose out holds its bytes (it may be
    size_t offset, len;             //  redirected since), and where
    //  SPLIT: parts [first_part, first_part + part_count) of `parts`
    s_join_t join;
    size_t first_part, part_count;
    //  a part of a split transaction: positions [first_pos, + commands - 2)
    //  in `positions` of its commands in the caller's EXEC array
    size_t first_pos;
    bool bare;                      //  such a part of one command: sent without MULTI
} s_unit_t;

struct _jm_cluster_t {
    jm_cluster_options_t options;
    jm_cluster_addr_t seeds [JM_CLUSTER_SEEDS_MAX];
    size_t seed_count;
    s_node_t nodes [JM_CLUSTER_NODES_MAX];
    size_t node_count;
    uint16_t slot_node [JM_CLUSTER_SLOTS];
    jm_cluster_map_t *map;          //  scratch for a refresh
    bool connected;
    bool refresh_due;
    int64_t refreshed_ms;
    int64_t sent_ms;                //  the last pipeline went then
    uint64_t generation;
    jm_cluster_stats_t stats;
    char **scripts;                 //  loaded into every master on connecting
    size_t script_count;

    //  What was sent and not read yet
    s_unit_t *units;
    size_t unit_count, unit_cap, unit_next;
    s_unit_t *parts;
    size_t part_count, part_cap;
    uint32_t *positions;
    size_t position_count, position_cap;
    //  The replies of the unit being read
    redisReply **given;
    size_t given_count, given_next, given_cap;

    //  Parsing scratch: one command's arguments
    const char **argv;
    size_t *argvlen;
    size_t arg_cap;
};

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval
s_timeval (int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    return tv;
}

#define S_GROW(array, cap, need) do { \
    if ((need) > (cap)) { \
        size_t cap_ = (cap) ? (cap) * 2 : 16; \
        while (cap_ < (need)) cap_ *= 2; \
        (array) = jm_realloc ((array), cap_ * sizeof *(array)); \
        (cap) = cap_; \
    } } while (0)

jm_cluster_t *
jm_cluster_new (const jm_cluster_addr_t *seeds, size_t count, const jm_cluster_options_t *options)
{
    assert (seeds && count > 0 && count <= JM_CLUSTER_SEEDS_MAX && options);
    jm_cluster_t *self = jm_calloc (1, sizeof *self);
    self->options = *options;
    if (self->options.command_timeout_ms < JM_CLUSTER_TIMEOUT_MIN_MS)
        self->options.command_timeout_ms = JM_CLUSTER_TIMEOUT_MIN_MS;
    self->options.user = options->user ? jm_strdup (options->user) : NULL;
    self->options.password = options->password ? jm_strdup (options->password) : NULL;
    memcpy (self->seeds, seeds, count * sizeof *seeds);
    self->seed_count = count;
    self->map = jm_calloc (1, sizeof *self->map);
    for (size_t slot = 0; slot < JM_CLUSTER_SLOTS; slot++)
        self->slot_node [slot] = JM_CLUSTER_NO_NODE;
    return self;
}

static void s_forget_sent (jm_cluster_t *self);

void
jm_cluster_destroy (jm_cluster_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_cluster_t *self = *self_p;
    jm_cluster_close (self);
    for (size_t i = 0; i < self->node_count; i++) {
        free (self->nodes [i].ahead);
        free (self->nodes [i].out);
    }
    free ((char *) self->options.user);
    if (self->options.password) {
        explicit_bzero ((char *) self->options.password, strlen (self->options.password));
        free ((char *) self->options.password);
    }
    free (self->map);
    for (size_t i = 0; i < self->script_count; i++)
        free (self->scripts [i]);
    free (self->scripts);
    free (self->units);
    free (self->parts);
    free (self->positions);
    free (self->given);
    free (self->argv);
    free (self->argvlen);
    free (self);
    *self_p = NULL;
}

static void
s_node_close (s_node_t *node)
{
    if (node->ctx)
        redisFree (node->ctx);
    node->ctx = NULL;
    jm_tls_destroy (&node->tls);
    node->on_wire = 0;
    node->out_len = node->out_sent = 0;
    for (size_t i = 0; i < node->ahead_count; i++)
        freeReplyObject (node->ahead [(node->ahead_first + i) % node->ahead_cap]);
    node->ahead_first = node->ahead_count = 0;
}

void
jm_cluster_close (jm_cluster_t *self)
{
    assert (self);
    for (size_t i = 0; i < self->node_count; i++)
        s_node_close (&self->nodes [i]);
    s_forget_sent (self);
    self->connected = false;
}

bool
jm_cluster_connected (const jm_cluster_t *self)
{
    assert (self);
    return self->connected;
}

size_t
jm_cluster_masters (const jm_cluster_t *self)
{
    size_t count = 0;
    for (size_t i = 0; i < self->node_count; i++)
        count += self->nodes [i].master && self->nodes [i].ctx;
    return count;
}

void
jm_cluster_script (jm_cluster_t *self, const char *text)
{
    assert (self && text);
    self->scripts = jm_realloc (self->scripts, (self->script_count + 1) * sizeof (char *));
    self->scripts [self->script_count++] = jm_strdup (text);
}

uint64_t
jm_cluster_generation (const jm_cluster_t *self)
{
    return self->generation;
}

void
jm_cluster_stats (const jm_cluster_t *self, jm_cluster_stats_t *stats)
{
    *stats = self->stats;
}

//  Index of the node at host:port, added when new; -1 when there are too many.
static int
s_node_index (jm_cluster_t *self, const char *host, int port)
{
    for (size_t i = 0; i < self->node_count; i++)
        if (self->nodes [i].addr.port == port && strcmp (self->nodes [i].addr.host, host) == 0)
            return (int) i;
    if (self->node_count == JM_CLUSTER_NODES_MAX || strlen (host) >= JM_CLUSTER_HOST_MAX)
        return -1;
    s_node_t *node = &self->nodes [self->node_count];
    memset (node, 0, sizeof *node);
    snprintf (node->addr.host, sizeof node->addr.host, "%s", host);
    node->addr.port = port;
    return (int) self->node_count++;
}

//  One command on node's connection, nothing else on its wire; what to
//  call it in why.  Returns 0, or -1 with why set.
static int
s_node_call (s_node_t *node, redisContext *ctx, const char *what, int argc, const char **argv,
             char *why, size_t why_size)
{
    redisReply *reply = redisCommandArgv (ctx, argc, argv, NULL);
    int rc = 0;
    if (!reply)
        rc = s_why (why, why_size, "%s:%d: %s", node->addr.host, node->addr.port,
                    ctx->errstr [0] ? ctx->errstr : "no reply");
    else
    if (reply->type == REDIS_REPLY_ERROR)
        rc = s_why (why, why_size, "%s:%d: %s refused: %.160s", node->addr.host,
                    node->addr.port, what, reply->str);
    freeReplyObject (reply);
    return rc;
}

//  Connects to a node when not connected, logs in and PINGs; then, for a
//  master, loads the scripts it may not have.  Nothing may be on its wire.
//  Returns 0, or -1 with why set (the node is then closed).
static int
s_node_connect (jm_cluster_t *self, s_node_t *node, char *why, size_t why_size)
{
    assert (node->on_wire == 0);
    if (!node->ctx) {
        redisContext *ctx = NULL;
        if (self->options.tls) {
            char failed [200] = "";
            node->tls = jm_tls_connect (self->options.tls, node->addr.host, node->addr.port,
                                        self->options.connect_timeout_ms, failed, sizeof failed);
            if (!node->tls)
                return s_why (why, why_size, "%s:%d: %s", node->addr.host, node->addr.port,
                              failed);
            ctx = redisConnectFd (jm_tls_fd (node->tls));
            if (!ctx)
                close (jm_tls_fd (node->tls));
        }
        else
            ctx = redisConnectWithTimeout (node->addr.host, node->addr.port,
                                           s_timeval (self->options.connect_timeout_ms));
        if (!ctx || ctx->err) {
            s_why (why, why_size, "%s:%d: %s", node->addr.host, node->addr.port,
                   ctx ? ctx->errstr : "out of memory");
            if (ctx)
                redisFree (ctx);
            jm_tls_destroy (&node->tls);
            return -1;
        }
        redisSetTimeout (ctx, s_timeval (self->options.command_timeout_ms));
        if (!node->tls)
            redisEnableKeepAlive (ctx);     //  a socketpair under TLS has none
        const char *auth [] = { "AUTH", self->options.user ? self->options.user
                                                          : self->options.password,
                                self->options.password };
        if ((self->options.password
          && s_node_call (node, ctx, "AUTH", self->options.user ? 3 : 2, auth, why, why_size))
        ||  s_node_call (node, ctx, "PING", 1, (const char *[]) { "PING" }, why, why_size)) {
            redisFree (ctx);
            jm_tls_destroy (&node->tls);
            return -1;
        }
        node->ctx = ctx;
        node->scripts_loaded = 0;
        if (node->master)
            self->generation++;
    }
    for (; node->master && node->scripts_loaded < self->script_count; node->scripts_loaded++) {
        const char *load [] = { "SCRIPT", "LOAD", self->scripts [node->scripts_loaded] };
        if (s_node_call (node, node->ctx, "SCRIPT LOAD", 3, load, why, why_size)) {
            s_node_close (node);
            return -1;
        }
    }
    return 0;
}

//  Fails the client: closes every connection.  Returns -1.
static int
s_fail (jm_cluster_t *self)
{
    jm_cluster_close (self);
    return -1;
}

//  Reads one reply off node's wire.  Returns 0, or -1 with why set.
static int
s_wire_read (s_node_t *node, redisReply **reply_p, char *why, size_t why_size)
{
    void *reply = NULL;
    if (!node->ctx)
        return s_why (why, why_size, "%s:%d: not connected", node->addr.host, node->addr.port);
    if (redisGetReply (node->ctx, &reply) != REDIS_OK || !reply) {
        if (strcmp (node->ctx->errstr, strerror (EAGAIN)) == 0)
            return s_why (why, why_size, "%s:%d: no reply in time", node->addr.host,
                          node->addr.port);
        return s_why (why, why_size, "%s:%d: %s", node->addr.host, node->addr.port,
                      node->ctx->errstr [0] ? node->ctx->errstr : "no reply");
    }
    *reply_p = reply;
    return 0;
}

//  The node's next reply in turn: one read ahead, else off the wire.
static int
s_node_next (s_node_t *node, redisReply **reply_p, char *why, size_t why_size)
{
    if (node->ahead_count) {
        *reply_p = node->ahead [node->ahead_first];
        node->ahead_first = (node->ahead_first + 1) % node->ahead_cap;
        node->ahead_count--;
        return 0;
    }
    if (node->on_wire == 0)
        return s_why (why, why_size, "%s:%d: no reply is due", node->addr.host, node->addr.port);
    node->on_wire--;
    return s_wire_read (node, reply_p, why, why_size);
}

//  Reads everything node still owes into its queue, so that what is sent
//  next is answered next on the wire.
static int
s_node_drain (s_node_t *node, char *why, size_t why_size)
{
    while (node->on_wire > 0) {
        redisReply *reply;
        node->on_wire--;
        if (s_wire_read (node, &reply, why, why_size))
            return -1;
        if (node->ahead_count == node->ahead_cap) {
            //  unroll the ring into a larger array
            size_t cap = node->ahead_cap ? node->ahead_cap * 2 : 64;
            redisReply **ahead = jm_malloc (cap * sizeof *ahead);
            for (size_t i = 0; i < node->ahead_count; i++)
                ahead [i] = node->ahead [(node->ahead_first + i) % node->ahead_cap];
            free (node->ahead);
            node->ahead = ahead;
            node->ahead_cap = cap;
            node->ahead_first = 0;
        }
        node->ahead [(node->ahead_first + node->ahead_count++) % node->ahead_cap] = reply;
    }
    return 0;
}

//  Appends bytes to node's output, sent by s_node_flush.  Returns where
//  they start.  Our own buffer, not hiredis's: hiredis moves what is left
//  of its buffer down after every partial write, which for a pipeline of
//  large results is most of the matcher's time.
static size_t
s_node_put (s_node_t *node, const char *bytes, size_t len)
{
    S_GROW (node->out, node->out_cap, node->out_len + len);
    memcpy (node->out + node->out_len, bytes, len);
    node->out_len += len;
    return node->out_len - len;
}

//  Writes len bytes straight to node's socket.
static int
s_node_write (s_node_t *node, const char *bytes, size_t len, char *why, size_t why_size)
{
    if (len > 0 && !node->ctx)
        return s_why (why, why_size, "%s:%d: not connected", node->addr.host, node->addr.port);
    while (len > 0) {
        ssize_t written = write (node->ctx->fd, bytes, len);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return s_why (why, why_size, "%s:%d: %s", node->addr.host, node->addr.port,
                          written == 0 ? "connection closed"
                          : errno == EAGAIN || errno == EWOULDBLOCK ? "could not send in time"
                          : strerror (errno));
        bytes += written;
        len -= (size_t) written;
    }
    return 0;
}

//  Sends what node's output holds beyond what went before.
static int
s_node_flush (s_node_t *node, char *why, size_t why_size)
{
    size_t from = node->out_sent;
    node->out_sent = node->out_len;
    return s_node_write (node, node->out + from, node->out_len - from, why, why_size);
}


//  --------------------------------------------------------------------------
//  The slot map, read and applied

//  Reads CLUSTER SLOTS from node (idle) into self->map.
static int
s_read_map (jm_cluster_t *self, s_node_t *node, char *why, size_t why_size)
{
    redisReply *reply = redisCommand (node->ctx, "CLUSTER SLOTS");
    if (!reply)
        return s_why (why, why_size, "%s:%d: %s", node->addr.host, node->addr.port,
                      node->ctx->errstr [0] ? node->ctx->errstr : "no reply");
    char detail [200];
    int rc = jm_cluster_map_parse (self->map, reply, node->addr.host, detail, sizeof detail);
    freeReplyObject (reply);
    if (rc)
        return s_why (why, why_size, "%s:%d: %s", node->addr.host, node->addr.port, detail);
    return 0;
}

//  Points every slot at its master in self->map and connects to the
//  masters; nodes no longer masters are closed.  Returns 0, or -1.
static int
s_apply_map (jm_cluster_t *self, char *why, size_t why_size)
{
    int index [JM_CLUSTER_NODES_MAX];
    for (size_t i = 0; i < self->map->node_count; i++) {
        index [i] = s_node_index (self, self->map->nodes [i].host, self->map->nodes [i].port);
        if (index [i] < 0)
            return s_why (why, why_size, "more than %d cluster nodes", JM_CLUSTER_NODES_MAX);
    }
    for (size_t i = 0; i < self->node_count; i++)
        self->nodes [i].master = false;
    for (size_t i = 0; i < self->map->node_count; i++)
        self->nodes [index [i]].master = true;
    for (size_t i = 0; i < self->node_count; i++) {
        s_node_t *node = &self->nodes [i];
        if (!node->master && node->ctx && node->on_wire == 0 && node->ahead_count == 0)
            s_node_close (node);
        else
        if (node->master && s_node_connect (self, node, why, why_size))
            return -1;
    }
    size_t moved = 0;
    for (size_t slot = 0; slot < JM_CLUSTER_SLOTS; slot++) {
        uint16_t node = self->map->slot_node [slot];
        node = node == JM_CLUSTER_NO_NODE ? node : (uint16_t) index [node];
        moved += self->slot_node [slot] != node;
        self->slot_node [slot] = node;
    }
    if (moved && self->stats.refreshes > 0)
        jm_log_info ("redis cluster: slot map read again, %zu slots changed master; "
                     "%zu masters; so far %llu MOVED, %llu ASK, %llu TRYAGAIN/CLUSTERDOWN",
                     moved, self->map->node_count, (unsigned long long) self->stats.moved,
                     (unsigned long long) self->stats.asked,
                     (unsigned long long) self->stats.retried);
    self->refresh_due = false;
    self->refreshed_ms = s_now_ms ();
    self->stats.refreshes++;
    return 0;
}

int
jm_cluster_connect (jm_cluster_t *self, char *why, size_t why_size)
{
    assert (self);
    jm_cluster_close (self);
    //  the seeds first, then every node we knew
    size_t known = self->node_count;
    for (size_t i = 0; i < self->seed_count + known; i++) {
        const jm_cluster_addr_t *addr = i < self->seed_count ? &self->seeds [i]
                                      : &self->nodes [i - self->seed_count].addr;
        int index = s_node_index (self, addr->host, addr->port);
        if (index < 0)
            continue;
        s_node_t *node = &self->nodes [index];
        if (s_node_connect (self, node, why, why_size) || s_read_map (self, node, why, why_size)) {
            s_node_close (node);
            continue;
        }
        if (s_apply_map (self, why, why_size)) {
            jm_cluster_close (self);
            return -1;
        }
        self->connected = true;
        return 0;
    }
    return -1;
}

//  Reads the map again between pipelines; a failure keeps the old one.
static void
s_refresh (jm_cluster_t *self)
{
    char why [240] = "";
    for (size_t i = 0; i < self->node_count; i++) {
        s_node_t *node = &self->nodes [i];
        if (!node->master || !node->ctx)
            continue;
        if (s_read_map (self, node, why, sizeof why) == 0) {
            if (s_apply_map (self, why, sizeof why) == 0)
                return;
            break;
        }
        s_node_close (node);        //  gone: the map read elsewhere says who took over
    }
    jm_log_debug ("redis cluster: slot map not refreshed: %s", why);
    self->refreshed_ms = s_now_ms ();
}


//  --------------------------------------------------------------------------
//  Sending: RESP cut into units

//  Parses one command at p: its arguments into self->argv/argvlen.  Returns
//  the byte after it, or NULL when the bytes are not a RESP command.
static const char *
s_parse_command (jm_cluster_t *self, const char *p, const char *end, size_t *argc_p)
{
    if (p >= end || *p != '*')
        return NULL;
    char *after;
    long argc = strtol (p + 1, &after, 10);
    if (argc < 1 || argc > 1000000 || after + 2 > end || after [0] != '\r')
        return NULL;
    p = after + 2;
    if ((size_t) argc > self->arg_cap) {
        S_GROW (self->argv, self->arg_cap, (size_t) argc);
        self->argvlen = jm_realloc (self->argvlen, self->arg_cap * sizeof *self->argvlen);
    }
    for (long i = 0; i < argc; i++) {
        if (p >= end || *p != '$')
            return NULL;
        long len = strtol (p + 1, &after, 10);
        if (len < 0 || after + 2 > end || after [0] != '\r')
            return NULL;
        p = after + 2;
        if ((size_t) (end - p) < (size_t) len + 2)
            return NULL;
        self->argv [i] = p;
        self->argvlen [i] = (size_t) len;
        p += len + 2;
    }
    *argc_p = (size_t) argc;
    return p;
}

static bool
s_is (const jm_cluster_t *self, size_t arg, const char *name)
{
    return self->argvlen [arg] == strlen (name)
        && strncasecmp (self->argv [arg], name, self->argvlen [arg]) == 0;
}

#define S_ANY       -1      //  no key: any master
#define S_ALL       -2      //  every master
#define S_MULTI_KEY -3      //  several keys of several slots (MGET, DEL...)

//  The slot of the parsed command, or S_ANY, S_ALL, S_MULTI_KEY.
static int
s_command_slot (jm_cluster_t *self, size_t argc)
{
    static const char *keyless [] = {
        "PING", "ECHO", "TIME", "INFO", "PUBLISH", "CLUSTER", "ASKING", "AUTH", "SELECT",
        "MULTI", "EXEC", "DISCARD", "COMMAND", "CLIENT", "HELLO", "DBSIZE", "CONFIG", NULL
    };
    for (int i = 0; keyless [i]; i++)
        if (s_is (self, 0, keyless [i]))
            return S_ANY;
    if (s_is (self, 0, "SCRIPT") || s_is (self, 0, "FLUSHDB") || s_is (self, 0, "FLUSHALL"))
        return S_ALL;
    size_t key = 1;
    if (s_is (self, 0, "EVALSHA") || s_is (self, 0, "EVAL") || s_is (self, 0, "EVALSHA_RO")
    ||  s_is (self, 0, "EVAL_RO") || s_is (self, 0, "FCALL")) {
        if (argc < 4 || strtol (self->argv [2], NULL, 10) < 1)
            return S_ANY;       //  no keys (argv [2] is followed by a space or \r)
        key = 3;
    }
    else
    if (s_is (self, 0, "MEMORY") || s_is (self, 0, "OBJECT"))
        key = 2;
    else
    if (argc > 2 && (s_is (self, 0, "MGET") || s_is (self, 0, "DEL") || s_is (self, 0, "EXISTS")
                 || s_is (self, 0, "UNLINK") || s_is (self, 0, "TOUCH"))) {
        uint16_t first = jm_cluster_key_slot (self->argv [1], self->argvlen [1]);
        for (size_t i = 2; i < argc; i++)
            if (jm_cluster_key_slot (self->argv [i], self->argvlen [i]) != first)
                return S_MULTI_KEY;
        return first;
    }
    if (key >= argc)
        return S_ANY;
    return jm_cluster_key_slot (self->argv [key], self->argvlen [key]);
}

//  The master of slot, or the first master for S_ANY.  -1 when none.
static int
s_slot_node (const jm_cluster_t *self, int slot)
{
    if (slot >= 0 && self->slot_node [slot] != JM_CLUSTER_NO_NODE)
        return self->slot_node [slot];
    for (size_t i = 0; i < self->node_count; i++)
        if (self->nodes [i].master && self->nodes [i].ctx)
            return (int) i;
    return -1;
}

static s_unit_t *
s_unit_add (jm_cluster_t *self)
{
    S_GROW (self->units, self->unit_cap, self->unit_count + 1);
    s_unit_t *unit = &self->units [self->unit_count++];
    memset (unit, 0, sizeof *unit);
    return unit;
}

static s_unit_t *
s_part_add (jm_cluster_t *self)
{
    S_GROW (self->parts, self->part_cap, self->part_count + 1);
    s_unit_t *part = &self->parts [self->part_count++];
    memset (part, 0, sizeof *part);
    return part;
}

//  Makes unit a PLAIN unit of `commands` commands in bytes, sent to the
//  master of slot.
static int
s_plain (jm_cluster_t *self, s_unit_t *unit, int slot, const char *bytes, size_t len,
         uint32_t commands, char *why, size_t why_size)
{
    unit->kind = S_PLAIN;
    unit->node = unit->out_node = s_slot_node (self, slot);
    if (unit->node < 0)
        return s_why (why, why_size, "no master serves slot %d", slot);
    unit->commands = commands;
    unit->offset = s_node_put (&self->nodes [unit->node], bytes, len);
    unit->len = len;
    self->nodes [unit->node].on_wire += commands;
    return 0;
}

static void
s_resp_arg (s_node_t *node, const char *arg, size_t len)
{
    char head [32];
    int used = snprintf (head, sizeof head, "$%zu\r\n", len);
    s_node_put (node, head, (size_t) used);
    s_node_put (node, arg, len);
    s_node_put (node, "\r\n", 2);
}

//  Splits the parsed multi-key command (argc arguments) into one command
//  per key.  Each part's bytes are built in out, then queued.
static int
s_split_keys (jm_cluster_t *self, size_t argc, char *why, size_t why_size)
{
    s_unit_t *unit = s_unit_add (self);
    unit->kind = S_SPLIT;
    unit->commands = 1;
    unit->join = s_is (self, 0, "MGET") ? S_JOIN_ARRAY : S_JOIN_SUM;
    unit->first_part = self->part_count;
    unit->part_count = argc - 1;
    self->stats.splits++;
    for (size_t i = 1; i < argc; i++) {
        s_unit_t *part = s_part_add (self);
        part->kind = S_PLAIN;
        part->commands = 1;
        part->node = part->out_node
                   = s_slot_node (self, jm_cluster_key_slot (self->argv [i], self->argvlen [i]));
        if (part->node < 0)
            return s_why (why, why_size, "no master serves a key's slot");
        s_node_t *node = &self->nodes [part->node];
        part->offset = s_node_put (node, "*2\r\n", 4);
        s_resp_arg (node, self->argv [0], self->argvlen [0]);
        s_resp_arg (node, self->argv [i], self->argvlen [i]);
        part->len = node->out_len - part->offset;
        node->on_wire++;
    }
    return 0;
}

//  A transaction of count commands from bytes (MULTI, ..., EXEC), whose
//  slots are slots [1 .. count-2] (S_ANY for keyless): as it is when they
//  share a slot, else one MULTI ... EXEC per slot.
static int
s_transaction (jm_cluster_t *self, const char *bytes, const size_t *offsets, const int *slots,
               size_t count, char *why, size_t why_size)
{
    int slot = S_ANY;
    bool mixed = false;
    for (size_t i = 1; i + 1 < count; i++) {
        if (slots [i] == S_ANY)
            continue;
        if (slot == S_ANY)
            slot = slots [i];
        else
        if (slots [i] != slot)
            mixed = true;
    }
    s_unit_t *unit = s_unit_add (self);
    if (!mixed)
        return s_plain (self, unit, slot, bytes + offsets [0], offsets [count] - offsets [0],
                        (uint32_t) count, why, why_size);
    unit->kind = S_SPLIT;
    unit->join = S_JOIN_EXEC;
    unit->commands = (uint32_t) count;
    unit->first_part = self->part_count;
    self->stats.splits++;
    //  one part per slot, in order of first appearance; keyless commands
    //  go with the first
    bool *done = jm_calloc (count, sizeof (bool));
    for (size_t i = 1; i + 1 < count; i++) {
        if (done [i] || slots [i] == S_ANY)
            continue;
        int part_slot = slots [i];
        s_unit_t *part = s_part_add (self);
        unit->part_count++;
        part->kind = S_PLAIN;
        part->first_pos = self->position_count;
        uint32_t commands = 0;
        for (size_t j = 1; j + 1 < count; j++) {
            bool mine = slots [j] == part_slot || (slots [j] == S_ANY && unit->part_count == 1);
            if (done [j] || !mine)
                continue;
            done [j] = true;
            S_GROW (self->positions, self->position_cap, self->position_count + 1);
            self->positions [self->position_count++] = (uint32_t) (j - 1);
            commands++;
        }
        part->node = part->out_node = s_slot_node (self, part_slot);
        if (part->node < 0) {
            free (done);
            return s_why (why, why_size, "no master serves slot %d", part_slot);
        }
        //  one command alone needs no transaction: a result's SET
        s_node_t *node = &self->nodes [part->node];
        part->bare = commands == 1;
        part->offset = node->out_len;
        if (!part->bare)
            s_node_put (node, "*1\r\n$5\r\nMULTI\r\n", 15);
        for (uint32_t c = 0; c < commands; c++) {
            size_t j = self->positions [part->first_pos + c] + 1;
            s_node_put (node, bytes + offsets [j], offsets [j + 1] - offsets [j]);
        }
        if (!part->bare)
            s_node_put (node, "*1\r\n$4\r\nEXEC\r\n", 14);
        part->len = node->out_len - part->offset;
        part->commands = part->bare ? 1 : commands + 2;
        node->on_wire += part->commands;
    }
    free (done);
    return 0;
}

int
jm_cluster_send (jm_cluster_t *self, const char *bytes, size_t len, char *why, size_t why_size)
{
    assert (self);
    if (!self->connected)
        return s_why (why, why_size, "not connected");
    //  between pipelines, nothing on any wire: the map may be read again
    int64_t now = s_now_ms ();
    if (self->unit_next == self->unit_count
    &&  (self->refresh_due || now - self->refreshed_ms >= JM_CLUSTER_REFRESH_MS
      || now - self->sent_ms >= JM_CLUSTER_IDLE_REFRESH_MS))
        s_refresh (self);
    self->sent_ms = now;
    const char *p = bytes, *end = bytes + len;
    size_t group_cap = 0, group_count = 0;
    size_t *offsets = NULL;
    int *slots = NULL;
    bool in_multi = false;
    int rc = 0;
    while (p < end && rc == 0) {
        size_t argc;
        const char *next = s_parse_command (self, p, end, &argc);
        if (!next) {
            rc = s_why (why, why_size, "malformed command at byte %zu", (size_t) (p - bytes));
            break;
        }
        int slot = s_command_slot (self, argc);
        if (s_is (self, 0, "MULTI") && !in_multi) {
            in_multi = true;
            group_count = 0;
        }
        if (in_multi) {
            if (group_count + 2 > group_cap) {
                S_GROW (offsets, group_cap, group_count + 2);
                slots = jm_realloc (slots, group_cap * sizeof *slots);
            }
            offsets [group_count] = (size_t) (p - bytes);
            slots [group_count++] = slot == S_MULTI_KEY ? S_ANY : slot;
            if (s_is (self, 0, "EXEC") || s_is (self, 0, "DISCARD")) {
                offsets [group_count] = (size_t) (next - bytes);
                rc = s_transaction (self, bytes, offsets, slots, group_count, why, why_size);
                in_multi = false;
            }
        }
        else
        if (slot == S_MULTI_KEY)
            rc = s_split_keys (self, argc, why, why_size);
        else
        if (slot == S_ALL) {
            s_unit_t *unit = s_unit_add (self);
            unit->kind = S_BROADCAST;
            unit->commands = 1;
            unit->first_pos = self->position_count;     //  the nodes it went to
            for (size_t i = 0; i < self->node_count && rc == 0; i++)
                if (self->nodes [i].master && self->nodes [i].ctx) {
                    s_node_put (&self->nodes [i], p, (size_t) (next - p));
                    self->nodes [i].on_wire++;
                    S_GROW (self->positions, self->position_cap, self->position_count + 1);
                    self->positions [self->position_count++] = (uint32_t) i;
                    unit->part_count++;
                }
        }
        else
            rc = s_plain (self, s_unit_add (self), slot, p, (size_t) (next - p), 1, why, why_size);
        p = next;
    }
    if (rc == 0 && in_multi)
        rc = s_why (why, why_size, "MULTI without EXEC");
    free (offsets);
    free (slots);
    for (size_t i = 0; i < self->node_count && rc == 0; i++)
        rc = s_node_flush (&self->nodes [i], why, why_size);
    return rc ? s_fail (self) : 0;
}


//  --------------------------------------------------------------------------
//  Reading: units resolved, redirects followed

static void
s_forget_sent (jm_cluster_t *self)
{
    for (size_t i = self->given_next; i < self->given_count; i++)
        freeReplyObject (self->given [i]);
    self->given_count = self->given_next = 0;
    for (size_t i = 0; i < self->node_count; i++) {
        s_node_t *node = &self->nodes [i];
        node->out_len = node->out_sent = 0;
        if (node->out_cap > (4u << 20)) {
            free (node->out);
            node->out = NULL;
            node->out_cap = 0;
        }
    }
    self->unit_count = self->unit_next = 0;
    self->part_count = 0;
    self->position_count = 0;
}

//  The redirect or retry among a unit's replies: its error text, or NULL.
static const char *
s_redirect (redisReply **got, size_t count)
{
    static const char *kinds [] = { "MOVED ", "ASK ", "TRYAGAIN", "CLUSTERDOWN", NULL };
    for (size_t i = 0; i < count; i++) {
        if (!got [i] || got [i]->type != REDIS_REPLY_ERROR)
            continue;
        for (int k = 0; kinds [k]; k++)
            if (strncmp (got [i]->str, kinds [k], strlen (kinds [k])) == 0)
                return got [i]->str;
    }
    return NULL;
}

//  Parses "MOVED|ASK <slot> <host>:<port>"; an empty host is from_host.
static int
s_parse_redirect (const char *text, const char *from_host, int *slot, char *host,
                  size_t host_size, int *port)
{
    const char *space = strchr (text, ' ');
    if (!space)
        return -1;
    char *after;
    long value = strtol (space + 1, &after, 10);
    if (value < 0 || value >= JM_CLUSTER_SLOTS || *after != ' ')
        return -1;
    const char *address = after + 1;
    const char *colon = strrchr (address, ':');
    if (!colon)
        return -1;
    long port_value = strtol (colon + 1, &after, 10);
    if (port_value < 1 || port_value > 65535 || *after)
        return -1;
    size_t host_len = (size_t) (colon - address);
    if (host_len >= host_size)
        return -1;
    if (host_len == 0)
        snprintf (host, host_size, "%s", from_host);
    else {
        memcpy (host, address, host_len);
        host [host_len] = '\0';
    }
    *slot = (int) value;
    *port = (int) port_value;
    return 0;
}

//  Resolves a PLAIN unit: reads its replies into got, following redirects.
static int
s_resolve (jm_cluster_t *self, s_unit_t *unit, redisReply **got, char *why, size_t why_size)
{
    for (size_t i = 0; i < unit->commands; i++)
        got [i] = NULL;
    for (size_t i = 0; i < unit->commands; i++)
        if (s_node_next (&self->nodes [unit->node], &got [i], why, why_size))
            return -1;
    for (int attempt = 0; attempt < JM_CLUSTER_REDIRECTS_MAX; attempt++) {
        const char *text = s_redirect (got, unit->commands);
        if (!text)
            return 0;
        int target = unit->node;
        bool asking = false;
        if (strncmp (text, "MOVED ", 6) == 0 || strncmp (text, "ASK ", 4) == 0) {
            char host [JM_CLUSTER_HOST_MAX];
            int slot, port;
            if (s_parse_redirect (text, self->nodes [unit->node].addr.host, &slot, host,
                                  sizeof host, &port))
                return 0;           //  the caller gets the error as it is
            target = s_node_index (self, host, port);
            if (target < 0)
                return 0;
            asking = text [0] == 'A';
            if (asking)
                self->stats.asked++;
            else {
                self->stats.moved++;
                self->nodes [target].master = true;
                self->slot_node [slot] = (uint16_t) target;
                self->refresh_due = true;
                unit->node = target;
            }
            //  its replies to other units first, then whatever connecting says
            if (s_node_drain (&self->nodes [target], why, why_size)
            ||  s_node_connect (self, &self->nodes [target], why, why_size))
                return -1;
        }
        else {
            //  TRYAGAIN (keys of a slot being moved) or CLUSTERDOWN (a
            //  failover under way): the same node, after a while
            self->stats.retried++;
            if (text [0] == 'C')
                self->refresh_due = true;
            struct timespec pause = { 0, (20L << attempt) * 1000000L };
            nanosleep (&pause, NULL);
        }
        for (size_t i = 0; i < unit->commands; i++) {
            freeReplyObject (got [i]);
            got [i] = NULL;
        }
        s_node_t *node = &self->nodes [target];
        if (s_node_drain (node, why, why_size))
            return -1;
        //  everything sent before is on the wire: this goes straight after
        if ((asking && s_node_write (node, "*1\r\n$6\r\nASKING\r\n", 16, why, why_size))
        ||  s_node_write (node, self->nodes [unit->out_node].out + unit->offset, unit->len,
                          why, why_size))
            return -1;
        redisReply *asked = NULL;
        if (asking) {
            if (s_wire_read (node, &asked, why, why_size))
                return -1;
            freeReplyObject (asked);
        }
        for (size_t i = 0; i < unit->commands; i++)
            if (s_wire_read (node, &got [i], why, why_size))
                return -1;
    }
    return 0;
}

static redisReply *
s_reply_new (int type)
{
    redisReply *reply = jm_calloc (1, sizeof *reply);
    reply->type = type;
    return reply;
}

static redisReply *
s_reply_status (const char *text)
{
    redisReply *reply = s_reply_new (REDIS_REPLY_STATUS);
    reply->str = jm_strdup (text);
    reply->len = strlen (text);
    return reply;
}

static void
s_given_reserve (jm_cluster_t *self, size_t count)
{
    S_GROW (self->given, self->given_cap, count);
    self->given_count = self->given_next = 0;
}

//  Resolves a SPLIT unit's parts and joins their replies into given.
static int
s_resolve_split (jm_cluster_t *self, s_unit_t *unit, char *why, size_t why_size)
{
    size_t most = 2;
    for (size_t p = 0; p < unit->part_count; p++)
        if (self->parts [unit->first_part + p].commands > most)
            most = self->parts [unit->first_part + p].commands;
    redisReply **got = jm_calloc (most, sizeof *got);
    redisReply *joined = NULL;
    redisReply *failed = NULL;      //  a part's error, answered for the whole
    if (unit->join == S_JOIN_SUM)
        joined = s_reply_new (REDIS_REPLY_INTEGER);
    else {
        joined = s_reply_new (REDIS_REPLY_ARRAY);
        joined->elements = unit->join == S_JOIN_ARRAY ? unit->part_count : unit->commands - 2;
        joined->element = jm_calloc (joined->elements ? joined->elements : 1, sizeof (redisReply *));
    }
    int rc = 0;
    for (size_t p = 0; p < unit->part_count && rc == 0; p++) {
        s_unit_t *part = &self->parts [unit->first_part + p];
        rc = s_resolve (self, part, got, why, why_size);
        if (rc)
            break;
        redisReply *answer = got [part->commands - 1];      //  the part's EXEC or only reply
        if (part->bare) {
            //  what EXEC would have held for it, an error included
            joined->element [self->positions [part->first_pos]] = answer;
            got [0] = NULL;
        }
        else
        if (answer->type == REDIS_REPLY_ERROR || answer->type == REDIS_REPLY_NIL
        ||  (unit->join != S_JOIN_SUM && answer->type != REDIS_REPLY_ARRAY)
        ||  (unit->join == S_JOIN_SUM && answer->type != REDIS_REPLY_INTEGER)) {
            if (!failed) {
                failed = answer;
                got [part->commands - 1] = NULL;
            }
        }
        else
        if (unit->join == S_JOIN_SUM)
            joined->integer += answer->integer;
        else
        if (unit->join == S_JOIN_ARRAY) {
            if (answer->elements == 1) {
                joined->element [p] = answer->element [0];
                answer->element [0] = NULL;
            }
            else
                joined->element [p] = s_reply_new (REDIS_REPLY_NIL);
        }
        else
            for (size_t i = 0; i < answer->elements && i + 2 < part->commands; i++) {
                joined->element [self->positions [part->first_pos + i]] = answer->element [i];
                answer->element [i] = NULL;
            }
        for (size_t i = 0; i < part->commands; i++) {
            freeReplyObject (got [i]);
            got [i] = NULL;
        }
    }
    for (size_t i = 0; rc && i < most; i++)
        freeReplyObject (got [i]);
    free (got);
    if (rc) {
        freeReplyObject (joined);
        freeReplyObject (failed);
        return -1;
    }
    if (failed) {
        freeReplyObject (joined);
        joined = failed;
    }
    if (unit->join == S_JOIN_EXEC) {
        s_given_reserve (self, unit->commands);
        self->given [self->given_count++] = s_reply_status ("OK");
        for (size_t i = 1; i + 1 < unit->commands; i++)
            self->given [self->given_count++] = s_reply_status ("QUEUED");
    }
    else
        s_given_reserve (self, 1);
    //  an array of a join with holes (a part's short EXEC): nil, not NULL
    if (joined->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < joined->elements; i++)
            if (!joined->element [i])
                joined->element [i] = s_reply_new (REDIS_REPLY_NIL);
    self->given [self->given_count++] = joined;
    return 0;
}

//  Reads a BROADCAST unit's replies: the first error, else the first reply.
static int
s_resolve_broadcast (jm_cluster_t *self, s_unit_t *unit, char *why, size_t why_size)
{
    redisReply *kept = NULL;
    for (size_t i = 0; i < unit->part_count; i++) {
        s_node_t *node = &self->nodes [self->positions [unit->first_pos + i]];
        redisReply *reply;
        if (s_node_next (node, &reply, why, why_size)) {
            freeReplyObject (kept);
            return -1;
        }
        if (!kept || (reply->type == REDIS_REPLY_ERROR && kept->type != REDIS_REPLY_ERROR)) {
            freeReplyObject (kept);
            kept = reply;
        }
        else
            freeReplyObject (reply);
    }
    s_given_reserve (self, 1);
    self->given [self->given_count++] = kept ? kept : s_reply_status ("OK");
    return 0;
}

int
jm_cluster_read (jm_cluster_t *self, redisReply **reply_p, char *why, size_t why_size)
{
    assert (self && reply_p);
    *reply_p = NULL;
    if (self->given_next == self->given_count) {
        if (self->unit_next == self->unit_count)
            return s_why (why, why_size, "no reply is due");
        s_unit_t *unit = &self->units [self->unit_next++];
        int rc;
        if (unit->kind == S_PLAIN) {
            s_given_reserve (self, unit->commands);
            rc = s_resolve (self, unit, self->given, why, why_size);
            self->given_count = unit->commands;
            if (rc)
                for (size_t i = 0; i < unit->commands; i++)
                    freeReplyObject (self->given [i]);
            if (rc)
                self->given_count = 0;
        }
        else
        if (unit->kind == S_SPLIT)
            rc = s_resolve_split (self, unit, why, why_size);
        else
            rc = s_resolve_broadcast (self, unit, why, why_size);
        if (rc)
            return s_fail (self);
    }
    *reply_p = self->given [self->given_next++];
    if (self->given_next == self->given_count && self->unit_next == self->unit_count)
        s_forget_sent (self);
    return 0;
}
