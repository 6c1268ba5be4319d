/*  Tests of the matcher's counters in Redis (services/jobmatch-matcher/
    stats.c): the hash is keyed by the matcher's stable name, so a restart
    continues one series; two matchers of one host with default names get
    names of their own; a --name taken on the host is refused.  Against a
    private redis-server.                                                  */
#include "jm_test.h"
#include "jm_test_redis.h"
#include "jm_store.h"
#include "../../services/jobmatch-matcher/stats.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

//  A store on the test's server; its namespace is "stats<pid>", so that
//  names claimed by matchers running elsewhere on the host never meet ours.
static jm_store_t *
s_store (jm_test_redis_t *redis, char *namespace, size_t size)
{
    snprintf (namespace, size, "stats%ld", (long) getpid ());
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.key_namespace = namespace;
    return jm_store_new (jm_test_redis_url (redis), &options, NULL);
}

//  "<hostname>-matcher" with the bytes stats.c replaces replaced.
static void
s_default_name (char *name, size_t size)
{
    char host [101] = "";
    if (gethostname (host, sizeof host - 1) != 0 || !*host)
        strcpy (host, "unknown");
    for (char *c = host; *c; c++)
        if (*c <= ' ' || *c > '~')
            *c = '_';
    snprintf (name, size, "%s-matcher", host);
}

JM_TEST (matcher_stats_keyed_by_name)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    char namespace [32], name [160], key [200];
    jm_store_t *store = s_store (redis, namespace, sizeof namespace);
    JM_REQUIRE (store);
    jm_error_t err;
    jm_error_clear (&err);
    jm_stats_t *stats = jm_stats_new (store, 1000, "", &err);
    JM_REQUIRE (stats);
    s_default_name (name, sizeof name);
    JM_CHECK_STR (jm_stats_name (stats), name);
    JM_CHECK (strchr (jm_stats_id (stats), ':'));       //  host:pid, for the gateway

    jm_stats_counts_t counts = { .requests = 7, .results = 5, .cached = 2 };
    jm_stats_publish (stats, &counts);
    JM_CHECK (jm_store_flush (store) >= 1);
    //  the name holds no character the key escapes
    snprintf (key, sizeof key, "%s:matcher:%s", namespace, name);
    char *requests = jm_test_redis_command (redis, "HGET", key, "requests", NULL);
    JM_CHECK_STR (requests, "7");
    free (requests);
    char *process = jm_test_redis_command (redis, "HGET", key, "process", NULL);
    JM_CHECK_STR (process, jm_stats_id (stats));
    free (process);
    char set [64];
    snprintf (set, sizeof set, "%s:matchers", namespace);
    char *ids = jm_test_redis_command (redis, "ZRANGE", set, "0", "-1", NULL);
    JM_CHECK_STR (ids, name);
    free (ids);

    //  a restart (the old one gone without withdrawing) writes the same hash
    jm_stats_destroy (&stats);
    stats = jm_stats_new (store, 1000, "", &err);
    JM_REQUIRE (stats);
    JM_CHECK_STR (jm_stats_name (stats), name);
    counts.requests = 1;
    jm_stats_publish (stats, &counts);
    JM_CHECK (jm_store_flush (store) >= 1);
    requests = jm_test_redis_command (redis, "HGET", key, "requests", NULL);
    JM_CHECK_STR (requests, "1");       //  a counter reset, in the same series
    free (requests);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", set, NULL), 1);

    //  a clean stop removes the hash and the id
    jm_stats_withdraw (stats);
    JM_CHECK (jm_store_flush (store) >= 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", key, NULL), 0);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", set, NULL), 0);
    jm_stats_destroy (&stats);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (matcher_stats_names_never_collide)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    char namespace [32], name [160], second [170], third [170];
    jm_store_t *store = s_store (redis, namespace, sizeof namespace);
    JM_REQUIRE (store);
    s_default_name (name, sizeof name);
    snprintf (second, sizeof second, "%s-2", name);
    snprintf (third, sizeof third, "%s-3", name);
    jm_error_t err;
    jm_error_clear (&err);
    //  three matchers of one host with default names (in one process here:
    //  the claim is per socket, as it is per process)
    jm_stats_t *one = jm_stats_new (store, 1000, "", &err);
    jm_stats_t *two = jm_stats_new (store, 1000, "", &err);
    jm_stats_t *three = jm_stats_new (store, 1000, "", &err);
    JM_REQUIRE (one && two && three);
    JM_CHECK_STR (jm_stats_name (one), name);
    JM_CHECK_STR (jm_stats_name (two), second);
    JM_CHECK_STR (jm_stats_name (three), third);
    //  the first stops: the next to start takes its name again
    jm_stats_destroy (&one);
    one = jm_stats_new (store, 1000, "", &err);
    JM_REQUIRE (one);
    JM_CHECK_STR (jm_stats_name (one), name);

    //  a --name taken on the host is refused, naming it
    jm_stats_t *named = jm_stats_new (store, 1000, "blue", &err);
    JM_REQUIRE (named);
    JM_CHECK_STR (jm_stats_name (named), "blue");
    jm_error_clear (&err);
    JM_CHECK (jm_stats_new (store, 1000, "blue", &err) == NULL);
    JM_CHECK_STR (err.code, JM_ERR_INVALID_DATA);
    JM_CHECK_MSG (strstr (err.message, "--name") && strstr (err.message, "'blue'"), "%s", err.message);
    jm_error_clear (&err);
    JM_CHECK (jm_stats_new (store, 1000, second, &err) == NULL);      //  a default one too
    //  an id the keys refuse is refused
    char invalid [300];
    memset (invalid, 'x', sizeof invalid - 1);
    invalid [sizeof invalid - 1] = 0;
    jm_error_clear (&err);
    JM_CHECK (jm_stats_new (store, 1000, invalid, &err) == NULL);
    JM_CHECK_MSG (strstr (err.message, "--name"), "%s", err.message);

    //  the same name in another namespace (or another Redis) is another hash
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.key_namespace = "other";
    jm_store_t *other = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (other);
    jm_stats_t *elsewhere = jm_stats_new (other, 1000, "blue", &err);
    JM_CHECK (elsewhere);
    jm_stats_destroy (&elsewhere);
    jm_store_destroy (&other);

    jm_stats_destroy (&named);
    jm_stats_destroy (&three);
    jm_stats_destroy (&two);
    jm_stats_destroy (&one);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}
