/*  Tests for jm_cluster: key slots (the spec's CRC16 vector, hash tags) and
    the CLUSTER SLOTS parser, fed good and hostile replies as RESP text.  */
#include "jm_test.h"
#include "jm_cluster.h"
#include "jm_keys.h"
#include "jm_store.h"

//  A reply parsed from RESP text by hiredis's own reader; NULL if malformed.
static redisReply *
s_reply_len (const char *resp, size_t len)
{
    redisReader *reader = redisReaderCreate ();
    void *reply = NULL;
    redisReaderFeed (reader, resp, len);
    if (redisReaderGetReply (reader, &reply) != REDIS_OK)
        reply = NULL;
    redisReaderFree (reader);
    return reply;
}

static redisReply *
s_reply (const char *resp)
{
    return s_reply_len (resp, strlen (resp));
}

static int
s_parse (const char *resp, jm_cluster_map_t *map, char *why, size_t size)
{
    redisReply *reply = s_reply (resp);
    int rc = jm_cluster_map_parse (map, reply, "10.0.0.9", why, size);
    freeReplyObject (reply);
    return rc;
}

JM_TEST (cluster_key_slot)
{
    //  the spec's check value: CRC16-XMODEM ("123456789") = 0x31C3
    JM_CHECK_INT (jm_cluster_key_slot ("123456789", 9), 0x31C3 % JM_CLUSTER_SLOTS);
    JM_CHECK_INT (jm_cluster_key_slot ("foo", 3), 12182);
    JM_CHECK_INT (jm_cluster_key_slot ("", 0), 0);
    //  hash tags: the first {...} that is not empty
    uint16_t user = jm_cluster_key_slot ("user1000", 8);
    JM_CHECK_INT (jm_cluster_key_slot ("{user1000}.following", 20), user);
    JM_CHECK_INT (jm_cluster_key_slot ("a{user1000}b{x}", 15), user);
    JM_CHECK_INT (jm_cluster_key_slot ("foo{}{bar}", 10), jm_cluster_key_slot ("foo{}{bar}", 10));
    JM_CHECK (jm_cluster_key_slot ("foo{}{bar}", 10) != jm_cluster_key_slot ("bar", 3));
    JM_CHECK_INT (jm_cluster_key_slot ("foo{{bar}}zap", 13), jm_cluster_key_slot ("{bar", 4));
    JM_CHECK_INT (jm_cluster_key_slot ("{", 1), jm_cluster_key_slot ("{", 1));
}

static uint16_t
s_slot (const char *key)
{
    return jm_cluster_key_slot (key, strlen (key));
}

//  In a cluster every key of a job carries the job's id as its hash tag
//  and the registry-wide keys {<ns>}; a single Redis keeps its names.
JM_TEST (cluster_keys_are_tagged_per_job)
{
    jm_keys_t *keys = jm_keys_new ("jobmatch", NULL);
    JM_REQUIRE (keys);
    char a [JM_KEYS_MAX], b [JM_KEYS_MAX];
    JM_CHECK (jm_keys_rank (keys, "job-1", "3", a, sizeof a, NULL) > 0);
    JM_CHECK_STR (a, "jobmatch:rank:job-1:3");          //  a single Redis: as always
    JM_CHECK (jm_keys_job_deleted (keys, "job-1", a, sizeof a, NULL) > 0);
    JM_CHECK_STR (a, "jobmatch:jobs:deleted");
    JM_CHECK (jm_keys_result_bucket (keys, "job-1", 7, a, sizeof a, NULL) > 0);
    JM_CHECK_STR (a, "jobmatch:res:job-1:7");
    jm_keys_set_cluster (keys, true);
    JM_CHECK (jm_keys_rank (keys, "job-1", "3", a, sizeof a, NULL) > 0);
    JM_CHECK_STR (a, "jobmatch:rank:{job-1}:3");
    uint16_t job_1 = s_slot (a);
    JM_CHECK_INT (job_1, jm_cluster_key_slot ("job-1", 5));
    JM_CHECK (jm_keys_job (keys, "job-1", b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:job:{job-1}");
    JM_CHECK (jm_keys_job_deleted (keys, "job-1", b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:jobs:deleted:{job-1}");
    JM_CHECK (jm_keys_result (keys, "job-1", "c-1", b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:result:{job-1}:c-1");
    JM_CHECK (jm_keys_result_bucket (keys, "job-1", 16383, b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:res:{job-1}:16383");
    JM_CHECK (jm_keys_rescore_claims (keys, "job-1", "4", b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:rescore:{job-1}:4:claims");
    JM_CHECK (jm_keys_rank_prefix (keys, "job-1", b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:rank:{job-1}:");
    //  another job: another slot (the load spreads over the masters)
    JM_CHECK (jm_keys_rank (keys, "job-2", "3", b, sizeof b, NULL) > 0);
    JM_CHECK (s_slot (b) != job_1);
    //  the registry-wide keys share {jobmatch}
    JM_CHECK (jm_keys_jobs (keys, a, sizeof a, NULL) > 0);
    JM_CHECK_STR (a, "jobmatch:{jobmatch}:jobs");
    const char *registry [3];
    char registry_keys [3][JM_KEYS_MAX];
    JM_CHECK (jm_keys_jobs_seq (keys, registry_keys [0], JM_KEYS_MAX, NULL) > 0);
    JM_CHECK (jm_keys_jobs_seeded (keys, registry_keys [1], JM_KEYS_MAX, NULL) > 0);
    JM_CHECK (jm_keys_jobs (keys, registry_keys [2], JM_KEYS_MAX, NULL) > 0);
    for (int i = 0; i < 3; i++) {
        registry [i] = registry_keys [i];
        JM_CHECK_INT (s_slot (registry [i]), jm_cluster_key_slot ("jobmatch", 8));
    }
    //  profiles and counters are not tagged
    JM_CHECK (jm_keys_profile (keys, "c-1", b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:profile:c-1");
    //  ids cannot bring a tag of their own: braces are escaped inside ours
    JM_CHECK (jm_keys_result (keys, "{x}", "c", b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:result:{%7Bx%7D}:c");
    JM_CHECK (jm_keys_result (keys, "a:b", "{y}", b, sizeof b, NULL) > 0);
    JM_CHECK_STR (b, "jobmatch:result:{a%3Ab}:%7By%7D");
    JM_CHECK_INT (s_slot (b), jm_cluster_key_slot ("a%3Ab", 5));
    //  the longest id still fits
    char id [JM_KEYS_ID_MAX + 1];
    memset (id, ':', JM_KEYS_ID_MAX);
    id [JM_KEYS_ID_MAX] = '\0';
    JM_CHECK (jm_keys_result (keys, id, id, b, sizeof b, NULL) > 0);
    jm_keys_destroy (&keys);
}

//  Checks that the count keys share one slot; what names the call.
static void
s_check_one_slot (const char *what, const char **keys, int count)
{
    for (int i = 1; i < count; i++)
        JM_CHECK_MSG (s_slot (keys [i]) == s_slot (keys [0]), "%s: %s and %s in two slots",
                      what, keys [0], keys [i]);
}

//  Every call of a script sends KEYS of one slot in a cluster (Redis
//  refuses others with CROSSSLOT): the job put, delete and re-scoring done
//  (the job, its deleted version, its claims and queue, then the keys of
//  its versions), the re-scoring claim, the version guard (keys built
//  inside from the job's prefixes), the summary script, and a job's write
//  group sent as one MULTI ... EXEC (records, ranking, band sets, summary).
JM_TEST (cluster_script_keys_share_a_slot)
{
    jm_keys_t *keys = jm_keys_new ("jobmatch", NULL);
    JM_REQUIRE (keys);
    char versions [JM_KEYS_VERSION_KEYS][JM_KEYS_MAX];
    JM_REQUIRE (jm_keys_job_version (keys, "job-1", "3", versions, NULL) == 0);
    JM_CHECK_STR (versions [1], "jobmatch:rank:job-1:3:strong");
    JM_CHECK_STR (versions [9], "jobmatch:rescore:job-1:3:union");
    jm_keys_set_cluster (keys, true);
    const char *jobs [] = { "job-1", "backend-developer", "a:b", "{x}", "José" };
    for (size_t j = 0; j < sizeof jobs / sizeof jobs [0]; j++) {
        const char *job = jobs [j];
        enum { FIXED = 6, VERSIONS = 3, RESULTS = 4 };
        char fixed [FIXED][JM_KEYS_MAX];
        JM_REQUIRE (jm_keys_job (keys, job, fixed [0], JM_KEYS_MAX, NULL) > 0);
        JM_REQUIRE (jm_keys_job_deleted (keys, job, fixed [1], JM_KEYS_MAX, NULL) > 0);
        JM_REQUIRE (jm_keys_rescore_claims (keys, job, "3", fixed [2], JM_KEYS_MAX, NULL) > 0);
        JM_REQUIRE (jm_keys_rescore_queue (keys, job, "3", fixed [3], JM_KEYS_MAX, NULL) > 0);
        JM_REQUIRE (jm_keys_rank_prefix (keys, job, fixed [4], JM_KEYS_MAX, NULL) > 0);
        JM_REQUIRE (jm_keys_rescore_prefix (keys, job, fixed [5], JM_KEYS_MAX, NULL) > 0);
        const char *all [FIXED + VERSIONS * JM_KEYS_VERSION_KEYS + RESULTS * 2 + 4];
        int count = 0;
        for (int i = 0; i < 4; i++)
            all [count++] = fixed [i];
        //  put, delete, done: the versions they declare
        const char *version_texts [VERSIONS] = { "1", "3", "2147483646" };
        char declared [VERSIONS][JM_KEYS_VERSION_KEYS][JM_KEYS_MAX];
        for (int v = 0; v < VERSIONS; v++) {
            JM_REQUIRE (jm_keys_job_version (keys, job, version_texts [v], declared [v],
                                             NULL) == 0);
            for (int i = 0; i < JM_KEYS_VERSION_KEYS; i++)
                all [count++] = declared [v][i];
        }
        //  the guard's keys, built in Lua from the prefixes: the prefix's tag
        //  closes before the version is appended
        char guard [2][JM_KEYS_MAX];
        snprintf (guard [0], JM_KEYS_MAX, "%s7:strong", fixed [4]);
        snprintf (guard [1], JM_KEYS_MAX, "%s7:claims", fixed [5]);
        all [count++] = guard [0];
        all [count++] = guard [1];
        //  a write group: each result's string and record bucket
        char results [RESULTS][2][JM_KEYS_MAX];
        const char *candidates [RESULTS] = { "c-1", "c-2", "{c}", "日本" };
        for (int c = 0; c < RESULTS; c++) {
            JM_REQUIRE (jm_keys_result (keys, job, candidates [c], results [c][0], JM_KEYS_MAX,
                                        NULL) > 0);
            JM_REQUIRE (jm_keys_result_bucket (keys, job, (uint32_t) c * 4000, results [c][1],
                                               JM_KEYS_MAX, NULL) > 0);
            all [count++] = results [c][0];
            all [count++] = results [c][1];
        }
        s_check_one_slot (job, all, count);
    }
    jm_keys_destroy (&keys);
}

JM_TEST (cluster_map_parse_good)
{
    jm_cluster_map_t *map = calloc (1, sizeof *map);
    JM_REQUIRE (map);
    char why [200] = "";
    const char *resp =
        "*3\r\n"
        "*4\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n"
            "*3\r\n$9\r\n127.0.0.1\r\n:7003\r\n$2\r\nr1\r\n"
        "*3\r\n:5461\r\n:10922\r\n*2\r\n$0\r\n\r\n:7001\r\n"
        "*3\r\n:10923\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:7002\r\n$2\r\nid\r\n*0\r\n";
    JM_CHECK_INT (s_parse (resp, map, why, sizeof why), 0);
    JM_CHECK_STR (why, "");
    JM_CHECK_INT (map->node_count, 3);
    JM_CHECK_STR (map->nodes [map->slot_node [0]].host, "127.0.0.1");
    JM_CHECK_INT (map->nodes [map->slot_node [0]].port, 7000);
    JM_CHECK_INT (map->nodes [map->slot_node [5460]].port, 7000);
    //  an empty host is the node asked
    JM_CHECK_STR (map->nodes [map->slot_node [5461]].host, "10.0.0.9");
    JM_CHECK_INT (map->nodes [map->slot_node [16383]].port, 7002);
    //  slots nobody serves stay unserved
    JM_CHECK_INT (s_parse ("*1\r\n*3\r\n:5\r\n:5\r\n*2\r\n$1\r\nh\r\n:1\r\n", map, why,
                           sizeof why), 0);
    JM_CHECK_INT (map->slot_node [4], JM_CLUSTER_NO_NODE);
    JM_CHECK_INT (map->slot_node [5], 0);
    free (map);
}

JM_TEST (cluster_map_parse_refuses_hostile_replies)
{
    jm_cluster_map_t *map = calloc (1, sizeof *map);
    JM_REQUIRE (map);
    static const struct { const char *resp; const char *says; } cases [] = {
        { "-ERR This instance has cluster support disabled\r\n", "cluster support disabled" },
        { "+OK\r\n", "not an array" },
        { "*0\r\n", "no slot" },
        { "*1\r\n:1\r\n", "range 0" },
        { "*1\r\n*2\r\n:0\r\n:1\r\n", "range 0" },
        { "*1\r\n*3\r\n$1\r\n0\r\n:1\r\n*2\r\n$1\r\nh\r\n:1\r\n", "slot bounds" },
        { "*1\r\n*3\r\n:-1\r\n:1\r\n*2\r\n$1\r\nh\r\n:1\r\n", "slot bounds" },
        { "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n", "slot bounds" },
        { "*1\r\n*3\r\n:9\r\n:3\r\n*2\r\n$1\r\nh\r\n:1\r\n", "slot bounds" },
        { "*1\r\n*3\r\n:0\r\n:1\r\n$1\r\nh\r\n", "master" },
        { "*1\r\n*3\r\n:0\r\n:1\r\n*1\r\n$1\r\nh\r\n", "master" },
        { "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n:1\r\n:1\r\n", "master" },
        { "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n$4\r\n7000\r\n", "master" },
        { "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n:0\r\n", "port 0" },
        { "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n:65536\r\n", "port 65536" },
        { "*2\r\n*3\r\n:0\r\n:9\r\n*2\r\n$1\r\nh\r\n:1\r\n"
            "*3\r\n:9\r\n:9\r\n*2\r\n$1\r\ni\r\n:1\r\n", "slot 9 given twice" },
        { "*1\r\n*3\r\n:0\r\n:1\r\n*-1\r\n", "master" },
        { "*1\r\n*-1\r\n", "range 0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char why [200] = "";
        redisReply *reply = s_reply (cases [i].resp);
        int rc = jm_cluster_map_parse (map, reply, "10.0.0.9", why, sizeof why);
        JM_CHECK_MSG (rc == -1, "case %zu: accepted", i);
        JM_CHECK_MSG (strstr (why, cases [i].says), "case %zu: \"%s\" does not say \"%s\"",
                      i, why, cases [i].says);
        freeReplyObject (reply);
    }
    //  a NUL inside the host, no reply at all, an over-long host
    char why [200] = "";
    const char nul [] = "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$3\r\nh\0x\r\n:1\r\n";
    redisReply *with_nul = s_reply_len (nul, sizeof nul - 1);
    JM_CHECK (with_nul != NULL);
    JM_CHECK_INT (jm_cluster_map_parse (map, with_nul, "h", why, sizeof why), -1);
    JM_CHECK (strstr (why, "host") != NULL);
    freeReplyObject (with_nul);
    JM_CHECK_INT (jm_cluster_map_parse (map, NULL, "h", why, sizeof why), -1);
    char resp [1024];
    char host [400];
    memset (host, 'h', sizeof host - 1);
    host [sizeof host - 1] = '\0';
    snprintf (resp, sizeof resp, "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$%zu\r\n%s\r\n:1\r\n",
              strlen (host), host);
    JM_CHECK_INT (s_parse (resp, map, why, sizeof why), -1);
    JM_CHECK (strstr (why, "host") != NULL);
    //  more masters than the bound
    size_t size = 64 * (JM_CLUSTER_NODES_MAX + 2);
    char *many = malloc (size);
    JM_REQUIRE (many);
    size_t used = (size_t) snprintf (many, size, "*%d\r\n", JM_CLUSTER_NODES_MAX + 1);
    for (int n = 0; n <= JM_CLUSTER_NODES_MAX; n++)
        used += (size_t) snprintf (many + used, size - used,
                                   "*3\r\n:%d\r\n:%d\r\n*2\r\n$1\r\nh\r\n:%d\r\n", n, n, n + 1);
    JM_CHECK_INT (s_parse (many, map, why, sizeof why), -1);
    JM_CHECK (strstr (why, "masters") != NULL);
    free (many);
    free (map);
}

JM_TEST (cluster_seed_list_urls)
{
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.connect_timeout_ms = 50;
    jm_error_t err;
    jm_error_clear (&err);
    jm_store_t *store = jm_store_new ("redis://u:secret@127.0.0.1:1,[::1]:2,localhost/0",
                                      &options, &err);
    JM_REQUIRE (store);
    JM_CHECK_STR (jm_store_endpoint (store), "cluster 127.0.0.1:1,[::1]:2,localhost:6379 as u");
    JM_CHECK (!jm_store_connected (store));
    jm_store_destroy (&store);
    //  TLS to every node of a cluster
    jm_error_clear (&err);
    store = jm_store_new ("rediss://127.0.0.1:1,127.0.0.1:2", &options, &err);
    JM_REQUIRE (store);
    JM_CHECK_STR (jm_store_endpoint (store), "cluster 127.0.0.1:1,127.0.0.1:2 tls");
    jm_store_destroy (&store);
    static const struct { const char *url; const char *says; } bad [] = {
        { "redis://a:1,,b:2", "seed 2" },
        { "redis://a:1,b:0", "port \"0\"" },
        { "redis://a:1,b:x", "port \"x\"" },
        { "redis://a:1,b:2/3", "db" },
        { "redis://a:1,[::1:2", "']'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        jm_error_clear (&err);
        store = jm_store_new (bad [i].url, &options, &err);
        JM_CHECK_MSG (!store, "%s accepted", bad [i].url);
        JM_CHECK_MSG (strstr (err.message, bad [i].says), "%s: \"%s\" does not say %s",
                      bad [i].url, err.message, bad [i].says);
        jm_store_destroy (&store);
    }
}
