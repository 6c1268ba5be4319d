/*  fuzz_cluster_slots: a CLUSTER SLOTS reply, which a Redis Cluster node
    (or anything listening where one was expected) sends the store.  The
    input is RESP bytes, read by hiredis's reader as the store's connection
    would, then jm_cluster_map_parse.  Besides never crashing: an accepted
    map names only nodes it holds, with ports 1..65535 and non-empty hosts;
    a refused one says why.                                               */
#include "fuzz_common.h"
#include "jm_cluster.h"

#include <hiredis/hiredis.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static jm_cluster_map_t map;
    redisReader *reader = redisReaderCreate ();
    void *reply = NULL;
    redisReaderFeed (reader, (const char *) data, size);
    if (redisReaderGetReply (reader, &reply) != REDIS_OK)
        reply = NULL;
    redisReaderFree (reader);
    char why [200] = "";
    int rc = jm_cluster_map_parse (&map, reply, "10.0.0.1", why, sizeof why);
    freeReplyObject (reply);
    if (rc) {
        FUZZ_CHECK (why [0] != '\0', "a refused map says why");
        return 0;
    }
    FUZZ_CHECK (map.node_count >= 1 && map.node_count <= JM_CLUSTER_NODES_MAX, "node count");
    for (size_t i = 0; i < map.node_count; i++) {
        FUZZ_CHECK (map.nodes [i].host [0] != '\0', "a node has a host");
        FUZZ_CHECK (map.nodes [i].port >= 1 && map.nodes [i].port <= 65535, "a node's port");
    }
    for (size_t slot = 0; slot < JM_CLUSTER_SLOTS; slot++)
        FUZZ_CHECK (map.slot_node [slot] == JM_CLUSTER_NO_NODE
                 || map.slot_node [slot] < map.node_count, "a slot names a known node");
    return 0;
}
