/*  jm_cluster: the Redis Cluster layer under jm_store.

    hiredis 0.14 has no cluster client, so this is a small one, used only by
    jm_store.c (which stays the one module the rest of the code talks to).
    It holds the slot map (CLUSTER SLOTS), one connection per master, and
    turns a run of RESP commands into per-node pipelines, handing the
    replies back in the order the commands were given, as one connection
    would:

      - a key's slot is CRC16 of the key (or of its hash tag, the part
        between the first '{' and the next '}' when not empty) mod 16384;
      - a command goes to the master of its first key's slot; a command
        with no key (PING, TIME, PUBLISH) to any master; SCRIPT and FLUSH*
        to every master (the reply: the first error, else the first reply);
      - MULTI ... EXEC whose keys share one slot goes as it is; one whose
        keys span several slots is split into one MULTI ... EXEC per slot,
        and the caller still gets +OK, QUEUED... and one EXEC array;
      - MGET, DEL, EXISTS, UNLINK and TOUCH over keys of several slots are
        split into one command per key; MGET's arrays are joined, the
        others' counts added;
      - MOVED: the slot is pointed at the node named and the command sent
        there, and the whole map is read again before the next pipeline;
        ASK: ASKING and the command go once to the node named;
        TRYAGAIN and CLUSTERDOWN: sent again after 20, 40, 80... ms.
        At most JM_CLUSTER_REDIRECTS_MAX of these per command; after that
        the caller gets the error reply itself;
      - the map is read again every JM_CLUSTER_REFRESH_MS, after a MOVED
        or CLUSTERDOWN, and before the first pipeline after a second idle
        (a master may have died meanwhile and its replica taken over),
        always between pipelines (never while replies are on the wire).

    A failed connection to any node fails the call (-1 with why set); the
    store then drops every connection, as it does with one Redis, and
    reconnects (jm_cluster_connect, which reads the map from any seed or
    known node) with backoff: its pending writes go again.  A CLUSTER SLOTS
    reply that is not the shape the spec gives (redis.io, Cluster spec) is
    an error, never a crash.  With TLS credentials (rediss://) every node
    is reached through jm_tls, verified against the same CA and name as one
    Redis would be (the names in CLUSTER SLOTS are what the certificates
    must carry, unless a server name is given).  A cluster has no db other
    than 0.  Not thread-safe: one per store.                               */
#ifndef JM_CLUSTER_H
#define JM_CLUSTER_H

#include <hiredis/hiredis.h>
#include "jm_tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JM_CLUSTER_SLOTS            16384
#define JM_CLUSTER_NODES_MAX        256     //  bound on nodes in a map and connections
#define JM_CLUSTER_SEEDS_MAX        32      //  bound on addresses in a seed list
#define JM_CLUSTER_HOST_MAX         256     //  bytes in a host name, with its NUL
#define JM_CLUSTER_REDIRECTS_MAX    5       //  MOVED/ASK/TRYAGAIN/CLUSTERDOWN per command
#define JM_CLUSTER_REFRESH_MS       10000   //  the map is read again this often,
#define JM_CLUSTER_IDLE_REFRESH_MS  1000    //  and before sending after this long idle
#define JM_CLUSTER_TIMEOUT_MIN_MS   5000    //  a node's replies are waited for at least this
                                            //  long: a master in a manual failover holds
                                            //  its clients until its replica took over
#define JM_CLUSTER_NO_NODE          0xFFFF

typedef struct _jm_cluster_t jm_cluster_t;

//  A node's address.
typedef struct {
    char host [JM_CLUSTER_HOST_MAX];
    int port;
} jm_cluster_addr_t;

//  A slot map: each slot's master, as an index into nodes (NO_NODE: none).
typedef struct {
    jm_cluster_addr_t nodes [JM_CLUSTER_NODES_MAX];
    size_t node_count;
    uint16_t slot_node [JM_CLUSTER_SLOTS];
} jm_cluster_map_t;

//  How to reach and log in to every node; strings are copied.
typedef struct {
    const char *user;               //  ACL user, or NULL
    const char *password;           //  AUTH password, or NULL
    int connect_timeout_ms;
    int command_timeout_ms;         //  raised to JM_CLUSTER_TIMEOUT_MIN_MS
    jm_tls_config_t *tls;           //  rediss://: TLS to every node (borrowed), or NULL
} jm_cluster_options_t;

//  Counters since jm_cluster_new.
typedef struct {
    uint64_t moved;                 //  MOVED replies followed
    uint64_t asked;                 //  ASK replies followed
    uint64_t retried;               //  TRYAGAIN/CLUSTERDOWN replies waited out
    uint64_t refreshes;             //  slot maps read
    uint64_t splits;                //  transactions and multi-key commands split by slot
} jm_cluster_stats_t;

//  The slot of a key of len bytes (CRC16-XMODEM of its hash tag or the
//  whole key, mod 16384).
uint16_t jm_cluster_key_slot (const char *key, size_t len);

//  Fills map from a CLUSTER SLOTS reply.  A master given with an empty host
//  is at from_host (the node asked).  Returns 0, or -1 with why set when the
//  reply is not a well-formed slot map (wrong types, a slot out of range or
//  given twice, a bad port, too many nodes).
int jm_cluster_map_parse (jm_cluster_map_t *map, const redisReply *reply,
                          const char *from_host, char *why, size_t why_size);

//  Creates a cluster client for count seed addresses (copied; at least one).
//  Connects nothing: jm_cluster_connect does.
jm_cluster_t *jm_cluster_new (const jm_cluster_addr_t *seeds, size_t count,
                              const jm_cluster_options_t *options);

//  Closes every connection, frees the client and nulls the pointer; safe on NULL.
void jm_cluster_destroy (jm_cluster_t **self_p);

//  Reads the slot map from the first seed or known node that answers and
//  connects to every master.  Returns 0, or -1 with why set.
int jm_cluster_connect (jm_cluster_t *self, char *why, size_t why_size);

//  Closes every connection and forgets replies due; the map is kept.
void jm_cluster_close (jm_cluster_t *self);

//  True between a successful jm_cluster_connect and a failure or close.
bool jm_cluster_connected (const jm_cluster_t *self);

//  Sends len bytes of RESP commands, each to its node.  Their replies are
//  read with jm_cluster_read, one per command, in order.  Returns 0, or -1
//  with why set when a connection failed (the client is then closed).
int jm_cluster_send (jm_cluster_t *self, const char *bytes, size_t len,
                     char *why, size_t why_size);

//  Reads the reply to the next command sent into *reply_p (the caller
//  frees it with freeReplyObject), following redirects.  Returns 0, or -1
//  with why set when a connection failed (the client is then closed).
int jm_cluster_read (jm_cluster_t *self, redisReply **reply_p, char *why, size_t why_size);

//  Registers a Lua script (copied), loaded with SCRIPT LOAD into every
//  master as it is connected, before any command: a replica that takes
//  over from its master does not have its master's scripts.
void jm_cluster_script (jm_cluster_t *self, const char *text);

//  Masters connected now.
size_t jm_cluster_masters (const jm_cluster_t *self);

//  Raised whenever a master is connected: Lua scripts may have to be loaded.
uint64_t jm_cluster_generation (const jm_cluster_t *self);

//  Copies the counters.
void jm_cluster_stats (const jm_cluster_t *self, jm_cluster_stats_t *stats);

#endif
