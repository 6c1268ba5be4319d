/*  Tests for jm_keys and jm_store.  The store tests run against a real
    redis-server that each test starts for itself (jm_test_redis).         */
#include "jm_test.h"
#include "jm_test_redis.h"
#include "jm_keys.h"
#include "jm_record.h"
#include "jm_store.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

//  One result through the store's write API (jm_store_write_many).
//  Returns 0 when it was queued, -1 with err (may be NULL) filled when not.
static int
s_write_one (jm_store_t *store, const jm_store_result_t *result, jm_error_t *err)
{
    jm_error_t local;
    jm_error_clear (&local);
    int queued = jm_store_write_many (store, result, 1, &local);
    if (err)
        *err = local;
    return queued == 1 ? 0 : -1;
}

static double
s_ms_since (const struct timespec *start)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) (now.tv_sec - start->tv_sec) * 1e3
         + (double) (now.tv_nsec - start->tv_nsec) / 1e6;
}

static void
s_sleep_ms (int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep (&ts, NULL);
}

//  The key of the bucket hash holding (job, candidate)'s record, in key
//  (JM_KEYS_MAX bytes; namespace jobmatch).
static const char *
s_bucket (const char *job, const char *candidate, char *key)
{
    jm_keys_t *keys = jm_keys_new (NULL, NULL);
    jm_keys_result_bucket (keys, job, jm_record_bucket (candidate, JM_RECORD_BUCKETS), key,
                           JM_KEYS_MAX, NULL);
    jm_keys_destroy (&keys);
    return key;
}

//  Fields of (job, candidate)'s record, one per line, as the stored value's
//  header named them: "fp", "score" (shortest text), "version", "at",
//  "band", "required" ("m of n"); "-" for any other.  NULL when there is
//  no record.
static char *
s_stored (jm_test_redis_t *redis, const char *job, const char *candidate, const char *field, ...)
{
    jm_record_t record;
    if (jm_test_redis_record (redis, NULL, job, candidate, &record))
        return NULL;
    char out [4096] = "";
    va_list args;
    va_start (args, field);
    for (const char *name = field; name; name = va_arg (args, const char *)) {
        char text [1024] = "-";
        if (strcmp (name, "fp") == 0)
            jm_record_fingerprint (&record, text);
        else
        if (strcmp (name, "score") == 0) {
            snprintf (text, sizeof text, "%.15g", record.score);
            if (strtod (text, NULL) != record.score)
                snprintf (text, sizeof text, "%.17g", record.score);
        }
        else
        if (strcmp (name, "version") == 0)
            snprintf (text, sizeof text, "%d", record.version);
        else
        if (strcmp (name, "at") == 0)
            snprintf (text, sizeof text, "%lld", (long long) record.at_ms);
        else
        if (strcmp (name, "band") == 0)
            snprintf (text, sizeof text, "%s", jm_band_name (record.band));
        else
        if (strcmp (name, "required") == 0)
            snprintf (text, sizeof text, "%d of %d", record.required_met, record.required_total);
        snprintf (out + strlen (out), sizeof out - strlen (out), "%s%s", *out ? "\n" : "", text);
    }
    va_end (args);
    return strdup (out);
}

static int
s_write (jm_store_t *store, const char *job, const char *version, const char *candidate,
         double score, const char *fingerprint)
{
    char json [512];
    snprintf (json, sizeof json, "{\"job\":\"%s\",\"candidate\":\"%s\",\"score\":%g}",
              job, candidate, score);
    jm_store_result_t result = {
        .job = job, .version = version, .candidate = candidate, .score = score,
        .fingerprint = fingerprint, .json = json
    };
    jm_error_t err;
    jm_error_clear (&err);
    int rc = s_write_one (store, &result, &err);
    JM_CHECK_MSG (rc == 0, "write %s/%s: %s", job, candidate, err.message);
    return rc;
}

//  Looks up count items as the matcher does (jm_store_lookup_start, then
//  jm_store_lookup_next of each).  Returns the hits, or -1 when Redis was
//  not available (every item then a miss).
static int
s_lookup (jm_store_t *store, jm_store_lookup_t *items, size_t count)
{
    if (jm_store_lookup_start (store, items, count))
        return -1;
    int hits = 0;
    for (size_t i = 0; i < count; i++)
        hits += jm_store_lookup_next (store, i);
    return count && !jm_store_connected (store) ? -1 : hits;
}

//  Ticks until the store is connected with nothing pending, at most 3 s.
static bool
s_tick_until_idle (jm_store_t *store)
{
    for (int waited = 0; waited < 3000; waited += 5) {
        if (jm_store_tick (store) == 0)
            return true;
        s_sleep_ms (5);
    }
    return false;
}


//  --------------------------------------------------------------------------
//  jm_keys

JM_TEST (keys_build_and_escape)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_keys_t *keys = jm_keys_new (NULL, &err);
    JM_REQUIRE (keys);
    JM_CHECK_STR (jm_keys_namespace (keys), "jobmatch");
    char key [JM_KEYS_MAX];
    JM_CHECK_INT (jm_keys_result (keys, "job-1", "cand.7", key, sizeof key, &err), 28);
    JM_CHECK_STR (key, "jobmatch:result:job-1:cand.7");
    jm_keys_rank (keys, "job-1", "3", key, sizeof key, &err);
    JM_CHECK_STR (key, "jobmatch:rank:job-1:3");
    jm_keys_job (keys, "job-1", key, sizeof key, &err);
    JM_CHECK_STR (key, "jobmatch:job:job-1");
    jm_keys_profile (keys, "c", key, sizeof key, &err);
    JM_CHECK_STR (key, "jobmatch:profile:c");
    jm_keys_jobs (keys, key, sizeof key, &err);
    JM_CHECK_STR (key, "jobmatch:jobs");
    jm_keys_events (keys, key, sizeof key, &err);
    JM_CHECK_STR (key, "jobmatch:events");
    jm_keys_matchers (keys, key, sizeof key, &err);
    JM_CHECK_STR (key, "jobmatch:matchers");
    //  a matcher id (host:pid) has its ':' escaped like any id
    JM_CHECK_INT (jm_keys_matcher (keys, "host-1:4242", key, sizeof key, &err), 30);
    JM_CHECK_STR (key, "jobmatch:matcher:host-1%3A4242");

    //  ':' in ids cannot make two pairs share a key
    char other [JM_KEYS_MAX];
    jm_keys_result (keys, "a:b", "c", key, sizeof key, &err);
    jm_keys_result (keys, "a", "b:c", other, sizeof other, &err);
    JM_CHECK_STR (key, "jobmatch:result:a%3Ab:c");
    JM_CHECK_STR (other, "jobmatch:result:a:b%3Ac");
    jm_keys_result (keys, "job 1\t%", "{x}*?[y]\\", key, sizeof key, &err);
    JM_CHECK_STR (key, "jobmatch:result:job%201%09%25:%7Bx%7D%2A%3F%5By%5D%5C");
    jm_keys_result (keys, "José", "日本", key, sizeof key, &err);
    JM_CHECK_STR (key, "jobmatch:result:José:日本");
    JM_CHECK (!jm_error_is_set (&err));

    //  Escape and unescape round trip
    char escaped [3 * JM_KEYS_ID_MAX + 1], back [JM_KEYS_ID_MAX + 1];
    const char *ids [] = { "a:b c%d", "plain", "\x7f\x01:", "ü:ü", NULL };
    for (int i = 0; ids [i]; i++) {
        int len = jm_keys_escape_id (ids [i], escaped, sizeof escaped);
        JM_REQUIRE (len > 0);
        JM_CHECK (!strchr (escaped, ':') && !strchr (escaped, ' '));
        JM_CHECK_INT (jm_keys_unescape_id (escaped, (size_t) len, back, sizeof back),
                      (int) strlen (ids [i]));
        JM_CHECK_STR (back, ids [i]);
    }
    JM_CHECK_INT (jm_keys_unescape_id ("a%3", 3, back, sizeof back), -1);
    JM_CHECK_INT (jm_keys_unescape_id ("a%00", 4, back, sizeof back), -1);
    JM_CHECK_INT (jm_keys_unescape_id ("a%zz", 4, back, sizeof back), -1);

    //  A 128-byte id of the worst kind still fits in JM_KEYS_MAX
    char worst [JM_KEYS_ID_MAX + 1];
    memset (worst, ':', JM_KEYS_ID_MAX);
    worst [JM_KEYS_ID_MAX] = '\0';
    JM_CHECK_INT (jm_keys_result (keys, worst, worst, key, sizeof key, &err),
                  (int) strlen ("jobmatch:result::") + 2 * 3 * JM_KEYS_ID_MAX);
    //  ...but not in a small buffer
    char small [32];
    JM_CHECK_INT (jm_keys_result (keys, worst, "c", small, sizeof small, NULL), -1);
    JM_CHECK_STR (small, "");
    JM_CHECK_INT (jm_keys_matcher (keys, "", key, sizeof key, &err), -1);
    JM_CHECK (strstr (err.message, "matcher id is empty") != NULL);
    jm_keys_destroy (&keys);
    jm_keys_destroy (&keys);
    JM_CHECK (keys == NULL);
}

JM_TEST (keys_reject_bad_ids_and_namespaces)
{
    jm_keys_t *keys = jm_keys_new ("test:ns", NULL);
    JM_REQUIRE (keys);
    char key [JM_KEYS_MAX];
    jm_keys_jobs (keys, key, sizeof key, NULL);
    JM_CHECK_STR (key, "test:ns:jobs");

    char long_id [JM_KEYS_ID_MAX + 2];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id [sizeof long_id - 1] = '\0';
    struct { const char *job, *candidate, *message; } cases [] = {
        { "", "c", "job id is empty" },
        { NULL, "c", "job id is empty" },
        { "j", "", "candidate id is empty" },
        { long_id, "c", "job id is 129 bytes, at most 128 allowed" },
        { "j", "bad\xff", "candidate id is not valid UTF-8 at byte 4" },
        { "\xc0\x80", "c", "job id is not valid UTF-8 at byte 1" },        //  overlong NUL
        { "\xed\xa0\x80", "c", "job id is not valid UTF-8 at byte 1" },    //  surrogate
        { "ab\xe2\x82", "c", "job id is not valid UTF-8 at byte 3" },      //  truncated
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        JM_CHECK_INT (jm_keys_result (keys, cases [i].job, cases [i].candidate,
                                      key, sizeof key, &err), -1);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
        JM_CHECK_STR (err.message, cases [i].message);
        JM_CHECK_STR (key, "");
    }
    jm_keys_destroy (&keys);

    const char *bad [] = { "bad ns", ":x", "x:", "a{b}", "n\n", NULL };
    for (int i = 0; bad [i]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        JM_CHECK_MSG (jm_keys_new (bad [i], &err) == NULL, "namespace \"%s\" accepted", bad [i]);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
    }
    char long_ns [JM_KEYS_NAMESPACE_MAX + 2];
    memset (long_ns, 'n', sizeof long_ns - 1);
    long_ns [sizeof long_ns - 1] = '\0';
    JM_CHECK (jm_keys_new (long_ns, NULL) == NULL);
}


//  --------------------------------------------------------------------------
//  jm_store without a server

JM_TEST (store_url_parsing)
{
    struct { const char *url, *endpoint; } good [] = {
        { "redis://127.0.0.1:1/3", "127.0.0.1:1 db 3" },
        { "redis://127.0.0.1:1", "127.0.0.1:1 db 0" },
        { "redis://127.0.0.1:1/", "127.0.0.1:1 db 0" },
        { "redis://localhost", "localhost:6379 db 0" },
        { "redis://[::1]:2/15", "[::1]:2 db 15" },
        { "unix:///nonexistent/redis.sock", "unix:/nonexistent/redis.sock db 0" },
        { "unix:///nonexistent/redis.sock?db=5", "unix:/nonexistent/redis.sock db 5" },
    };
    jm_store_options_t options = jm_test_store_options ();
    options.connect_timeout_ms = 200;
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        jm_store_t *store = jm_store_new (good [i].url, &options, &err);
        JM_CHECK_MSG (store, "%s: %s", good [i].url, err.message);
        if (store)
            JM_CHECK_STR (jm_store_endpoint (store), good [i].endpoint);
        jm_store_destroy (&store);
    }
    char long_path [200] = "unix:///";
    memset (long_path + 8, 'p', 150);
    struct { const char *url, *message; } bad [] = {
        { NULL, "redis URL is empty" },
        { "", "redis URL is empty" },
        { "http://127.0.0.1", "expected redis://host[:port][/db]" },
        { "127.0.0.1:6379", "expected redis://host[:port][/db]" },
        { "redis://", "no host" },
        { "redis://:6379", "no host" },
        { "redis://127.0.0.1:0", "port \"0\" is not 1..65535" },
        { "redis://127.0.0.1:65536", "port \"65536\" is not 1..65535" },
        { "redis://127.0.0.1:x/1", "port \"x\" is not 1..65535" },
        { "redis://127.0.0.1:/1", "port \"\" is not 1..65535" },
        { "redis://127.0.0.1:6379/x", "db \"x\" is not a number" },
        { "redis://127.0.0.1:6379/-1", "db \"-1\" is not a number" },
        { "redis://127.0.0.1:6379/1/2", "db \"1/2\" is not a number" },
        { "redis://user@127.0.0.1", "redis user \"user\" has no password" },
        { "redis://us%zr:pw@127.0.0.1", "bad %-escape in the user name" },
        { "redis://user:p%4@127.0.0.1", "bad %-escape in the password" },
        { "redis://user:p%00w@127.0.0.1", "bad %-escape in the password" },
        { "redis://127.0.0.1?db=1", "parameters are not supported" },
        { "redis://[::1:6379", "missing ']'" },
        { "redis://[::1]x", "unexpected \"x\" after the host" },
        { "unix://relative.sock", "must be absolute" },
        { "unix:///tmp/r.sock?db=x", "db \"x\" is not a number" },
        { "unix:///tmp/r.sock?timeout=1", "unknown parameter \"timeout=1\"" },
        { long_path, "socket path longer than" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        jm_store_t *store = jm_store_new (bad [i].url, &options, &err);
        JM_CHECK_MSG (!store, "%s accepted", bad [i].url);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
        JM_CHECK_MSG (strstr (err.message, bad [i].message),
                      "%s: message \"%s\" lacks \"%s\"", bad [i].url, err.message,
                      bad [i].message);
        jm_store_destroy (&store);
    }
    //  Bad options are refused the same way
    jm_error_t err;
    jm_error_clear (&err);
    options.command_timeout_ms = 0;
    JM_CHECK (!jm_store_new ("redis://127.0.0.1:1", &options, &err));
    JM_CHECK_STR (err.message, "redis command timeout 0 ms is not 1..600000");
    options = jm_test_store_options ();
    options.key_namespace = "no spaces";
    jm_error_clear (&err);
    JM_CHECK (!jm_store_new ("redis://127.0.0.1:1", &options, &err));
    JM_CHECK (strstr (err.message, "key namespace"));
}

JM_TEST (store_unreachable_at_start)
{
    jm_store_options_t options = jm_test_store_options ();
    options.backoff_min_ms = options.backoff_max_ms = 1000;
    struct timespec start;
    clock_gettime (CLOCK_MONOTONIC, &start);
    jm_store_t *store = jm_store_new ("unix:///nonexistent/redis.sock", &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (!jm_store_connected (store));
    jm_store_lookup_t item = { .job = "j", .candidate = "c", .fingerprint = "1:00000000:t:00000000313a6162" };
    JM_CHECK_INT (s_lookup (store, &item, 1), -1);
    JM_CHECK (!item.hit);
    JM_CHECK_INT (s_write (store, "j", "1", "c", 0.5, "1:00000000:t:00000000313a6162"), 0);
    JM_CHECK_INT (jm_store_flush (store), -1);
    JM_CHECK_INT (jm_store_tick (store), -1);
    JM_CHECK_INT (jm_store_pending (store), 1);
    char *json = NULL;
    JM_CHECK_INT (jm_store_read_result (store, "j", "c", &json, NULL), -1);
    JM_CHECK (!json);
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.connect_attempts, 1);       //  the rest fell in the backoff
    JM_CHECK (s_ms_since (&start) < 900);          //  never waited out the 1 s backoff
    jm_store_destroy (&store);
    jm_store_destroy (&store);
    JM_CHECK (store == NULL);
}


//  --------------------------------------------------------------------------
//  jm_store against redis-server

//  A result with a band, required and a well-formed fingerprint is stored
//  as its compact record, in its job's bucket hash; one with a malformed
//  fingerprint (an older writer's) is refused: it would have no record.
JM_TEST (store_write_keeps_compact_record)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    options.result_ttl_ms = 60000;
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    const char *fingerprint = "3:1a2b3c4d:7:9f2c0011aabbccdd";
    jm_store_result_t result = {
        .job = "j1", .version = "3", .candidate = "cand 7", .score = 81.5,
        .fingerprint = fingerprint, .json = "{\"score\":81.5}", .band = "good",
        .required = "5 of 7", .name = "Ann"
    };
    jm_store_result_t plain = { .job = "j1", .version = "3", .candidate = "c2", .score = 1,
                                .fingerprint = "3:aa", .json = "{}" };
    JM_CHECK_INT (jm_store_write_many (store, &result, 1, &(jm_error_t) { 0 }), 1);
    jm_error_t refused;
    jm_error_clear (&refused);
    JM_CHECK_INT (jm_store_write_many (store, &plain, 1, &refused), 0);
    JM_CHECK_STR (refused.code, JM_ERR_INVALID_REQUEST);
    JM_CHECK (strstr (refused.message, "fingerprint") != NULL);
    JM_CHECK_INT (jm_store_flush (store), 1);

    jm_keys_t *keys = jm_keys_new ("jobmatch", NULL);
    char bucket [JM_KEYS_MAX], other [JM_KEYS_MAX];
    jm_keys_result_bucket (keys, "j1", jm_record_bucket ("cand 7", JM_RECORD_BUCKETS),
                           bucket, sizeof bucket, NULL);
    jm_keys_result_bucket (keys, "j1", jm_record_bucket ("c2", JM_RECORD_BUCKETS),
                           other, sizeof other, NULL);
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_addv (calls, "HGET", bucket, "cand 7", NULL);
    jm_store_calls_addv (calls, "PTTL", bucket, NULL);
    jm_store_calls_addv (calls, "HGET", other, "c2", NULL);
    JM_CHECK_INT (jm_store_run (store, calls), 0);
    const jm_reply_t *stored = jm_store_calls_reply (calls, 0);
    JM_REQUIRE (stored && stored->type == JM_REPLY_STRING);
    jm_record_t record;
    jm_error_t error;
    jm_error_clear (&error);
    JM_CHECK_INT (jm_record_decode ((const uint8_t *) stored->str, stored->len, &record, &error), 0);
    JM_CHECK (stored->len <= 40);
    char text [JM_RECORD_FP_MAX];
    jm_record_fingerprint (&record, text);
    JM_CHECK_STR (text, fingerprint);
    JM_CHECK (record.score == 81.5 && record.band == JM_BAND_GOOD);
    JM_CHECK_INT (record.required_met, 5);
    JM_CHECK_INT (record.required_total, 7);
    JM_CHECK (llabs (record.at_ms - (long long) time (NULL) * 1000) < 60000);
    long long ttl = -1;
    JM_CHECK (jm_reply_int (jm_store_calls_reply (calls, 1), &ttl) && ttl > 0 && ttl <= 60000);
    JM_CHECK (jm_store_calls_reply (calls, 2)->type == JM_REPLY_NIL);
    jm_store_calls_destroy (&calls);
    jm_keys_destroy (&keys);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_write_then_lookup)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_connected (store));
    s_write (store, "j1", "v3", "c1", 0.8125, "3:00000000:t:00000076333a6161");
    s_write (store, "j1", "v3", "c2", 0.1, "3:00000000:t:00000076333a6262");
    s_write (store, "j2", "v1", "c1", 1.0, "1:00000000:t:00000076313a6363");
    JM_CHECK_INT (jm_store_pending (store), 3);
    JM_CHECK_INT (jm_store_flush (store), 3);
    JM_CHECK_INT (jm_store_pending (store), 0);
    JM_CHECK_INT (jm_store_flush (store), 0);

    jm_store_lookup_t items [] = {
        { .job = "j1", .candidate = "c1", .fingerprint = "3:00000000:t:00000076333a6161" },
        { .job = "j1", .candidate = "c3", .fingerprint = "3:00000000:t:00000076333a6161" },     //  never written
        { .job = "j1", .candidate = "c2", .fingerprint = "3:00000000:t:00000076333a6262" },
        { .job = "j2", .candidate = "c1", .fingerprint = "1:00000000:t:00000076313a6363" },
        { .job = "", .candidate = "c1", .fingerprint = "1:00000000:t:00000076313a6363" },       //  invalid id
    };
    JM_CHECK_INT (s_lookup (store, items, 5), 3);
    JM_CHECK (items [0].hit && !items [1].hit && items [2].hit && items [3].hit && !items [4].hit);
    //  a hit is a record with the fingerprint asked: the caller scores again

    //  The record holds every documented field; no result string is stored
    char *fields = s_stored (redis, "j1", "c2", "fp", "score", "version", NULL);
    JM_CHECK_STR (fields, "3:00000000:t:00000076333a6262\n0.1\n3");
    free (fields);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", "jobmatch:result:j1:c2", NULL), 0);
    char *at_text = s_stored (redis, "j1", "c1", "at", NULL);
    long long at = at_text ? atoll (at_text) : 0;
    free (at_text);
    JM_CHECK (llabs (at - (long long) time (NULL) * 1000) < 60000);
    char *score = jm_test_redis_command (redis, "ZSCORE", "jobmatch:rank:j1:v3", "c1", NULL);
    JM_CHECK_STR (score, "0.8125");
    free (score);

    //  One-result read of a result string: none is written any more
    char *json = NULL;
    size_t len = 0;
    JM_CHECK_INT (jm_store_read_result (store, "j2", "c1", &json, &len), 0);
    JM_CHECK (json == NULL && len == 0);
    JM_CHECK_INT (jm_store_read_result (store, "j2", "", &json, &len), -1);

    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.lookups, 5);
    JM_CHECK_INT (stats.hits, 3);
    JM_CHECK_INT (stats.confirmed, 3);
    JM_CHECK_INT (stats.errors, 0);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

//  A streamed lookup hands over each item's result in order; writes queued
//  meanwhile wait until its replies are read; a round trip in between
//  reads the rest, whose items are then misses.
JM_TEST (store_lookup_streamed)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    s_write (store, "j1", "v3", "c1", 0.8125, "3:00000000:t:00000076333a6161");
    s_write (store, "j1", "v3", "c2", 0.1, "3:00000000:t:00000076333a6262");
    s_write (store, "j2", "v1", "c1", 1.0, "1:00000000:t:00000076313a6363");
    //  a result whose JSON is json_len bytes of a longer text
    jm_store_result_t tailed = {
        .job = "j2", .version = "v1", .candidate = "c2", .score = 0.5,
        .fingerprint = "1:00000000:t:00000076313a6464", .json = "{\"tail\":true,\"x\":1}x", .json_len = 19
    };
    JM_CHECK_INT (s_write_one (store, &tailed, NULL), 0);
    JM_CHECK_INT (jm_store_flush (store), 4);
    //  the JSON is not stored: the record is
    jm_record_t record;
    JM_CHECK_INT (jm_test_redis_record (redis, NULL, "j2", "c2", &record), 0);
    JM_CHECK_INT (record.version, 1);
    JM_CHECK_NEAR (record.score, 0.5, 1e-12);

    jm_store_lookup_t items [] = {
        { .job = "j1", .candidate = "c1", .fingerprint = "3:00000000:t:00000076333a6161" },
        { .job = "j1", .candidate = "c3", .fingerprint = "3:00000000:t:00000076333a6161" },     //  never written
        { .job = "", .candidate = "c1", .fingerprint = "1:00000000:t:00000076313a6363" },       //  invalid id
        { .job = "j2", .candidate = "c2", .fingerprint = "1:00000000:t:00000076313a6464" },
        { .job = "j1", .candidate = "c2", .fingerprint = "3:00000000:t:00000076333a6262" },     //  skipped: a miss
        { .job = "j2", .candidate = "c1", .fingerprint = "1:00000000:t:00000076313a6363" },
    };
    JM_CHECK_INT (jm_store_lookup_start (store, items, 6), 0);
    JM_CHECK (jm_store_lookup_next (store, 0));
    //  a write while replies are unread: queued, sent once they are read
    s_write (store, "j3", "v1", "c9", 0.25, "1:00000000:t:00000076313a6565");
    JM_CHECK_INT (jm_store_send (store), -1);
    JM_CHECK (!jm_store_lookup_next (store, 1));
    JM_CHECK (!jm_store_lookup_next (store, 2));
    JM_CHECK (jm_store_lookup_next (store, 3));
    JM_CHECK (jm_store_lookup_next (store, 5));
    JM_CHECK (!items [4].hit);
    JM_CHECK_INT (jm_store_send (store), 0);
    JM_CHECK_INT (jm_store_flush (store), 1);

    //  a round trip in the middle: the rest are misses, and the wire is in step
    JM_CHECK_INT (jm_store_lookup_start (store, items, 6), 0);
    JM_CHECK (jm_store_lookup_next (store, 0));
    jm_store_lookup_t probe = { .job = "j3", .candidate = "c9", .fingerprint = "1:00000000:t:00000076313a6565" };
    JM_CHECK_INT (s_lookup (store, &probe, 1), 1);
    JM_CHECK (!jm_store_lookup_next (store, 3));
    JM_CHECK (!jm_store_lookup_next (store, 5));
    JM_CHECK_INT (s_lookup (store, &probe, 1), 1);

    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.lookups, 14);
    JM_CHECK_INT (stats.hits, 6);
    JM_CHECK_INT (stats.errors, 0);
    JM_CHECK_INT (stats.pending_writes, 0);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_fingerprint_mismatch_is_miss)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    s_write (store, "j", "3", "c", 0.5, "3:00000000:t:000000333a616263");
    JM_CHECK_INT (jm_store_flush (store), 1);
    jm_store_lookup_t items [] = {
        { .job = "j", .candidate = "c", .fingerprint = "4:00000000:t:000000343a616263" },   //  job changed
        { .job = "j", .candidate = "c", .fingerprint = "3:00000000:t:000000333a616264" },   //  profile changed
        { .job = "j", .candidate = "c", .fingerprint = "3:00000000:t:00000000333a6162" },    //  a prefix is not equal
        { .job = "j", .candidate = "c", .fingerprint = NULL },
        { .job = "j", .candidate = "c", .fingerprint = "3:00000000:t:000000333a616263" },
    };
    JM_CHECK_INT (s_lookup (store, items, 5), 1);
    for (int i = 0; i < 4; i++)
        JM_CHECK_MSG (!items [i].hit, "item %d hit", i);
    JM_CHECK (items [4].hit);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_result_ttl)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    s_write (store, "j", "1", "default", 0.5, "1:00000000:t:0000000000313a61");
    JM_CHECK_INT (jm_store_flush (store), 1);
    long long week = 7LL * 24 * 3600 * 1000;
    char bucket [JM_KEYS_MAX];
    long long ttl = jm_test_redis_integer (redis, "PTTL", s_bucket ("j", "default", bucket), NULL);
    JM_CHECK_MSG (ttl > week - 60000 && ttl <= week, "default TTL %lld ms", ttl);
    jm_store_destroy (&store);

    jm_store_options_t options = jm_test_store_options ();
    options.result_ttl_ms = 60000;
    store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    s_write (store, "j", "1", "minute", 0.5, "1:00000000:t:0000000000313a61");
    JM_CHECK_INT (jm_store_flush (store), 1);
    ttl = jm_test_redis_integer (redis, "PTTL", s_bucket ("j", "minute", bucket), NULL);
    JM_CHECK_MSG (ttl > 50000 && ttl <= 60000, "TTL %lld ms", ttl);
    jm_store_destroy (&store);

    options.result_ttl_ms = 0;      //  no expiry: HSET, ZADD, EVALSHA in MULTI/EXEC
    store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    s_write (store, "j", "1", "forever", 0.5, "1:00000000:t:0000000000313a61");
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.pending_commands, 5);
    JM_CHECK_INT (jm_store_flush (store), 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "PTTL", s_bucket ("j", "forever", bucket), NULL), -1);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_ranking_written)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    //  c01..c10 score 0.1..1.0 in version 2; one more in version 3
    for (int i = 1; i <= 10; i++) {
        char candidate [8];
        snprintf (candidate, sizeof candidate, "c%02d", i);
        s_write (store, "j", "2", candidate, i / 10.0, "2:00000000:t:0000000000323a78");
    }
    s_write (store, "j", "3", "c99", 0.99, "3:00000000:t:0000000000333a78");
    JM_CHECK_INT (jm_store_flush (store), 11);

    //  best first, the scores as written; each version its own ranking
    //  (pages and counts are the dashboard's reader_rank.c)
    char *page = jm_test_redis_command (redis, "ZREVRANGE", "jobmatch:rank:j:2", "0", "2", NULL);
    JM_CHECK_STR (page, "c10\nc09\nc08");
    free (page);
    char *score = jm_test_redis_command (redis, "ZSCORE", "jobmatch:rank:j:2", "c08", NULL);
    JM_CHECK_NEAR (score ? strtod (score, NULL) : 0, 0.8, 1e-12);
    free (score);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:2", NULL), 10);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCOUNT", "jobmatch:rank:j:2", "0.55", "+inf", NULL), 5);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:3", NULL), 1);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_batch_is_one_round_trip)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    //  A realistic result body, ~600 bytes
    char json [700];
    int len = snprintf (json, sizeof json, "{\"score\":0.5,\"explanation\":\"");
    memset (json + len, 'x', 560);
    strcpy (json + len + 560, "\"}");
    char candidates [1000][16], fingerprints [1000][40];
    jm_store_lookup_t items [1000];
    for (int i = 0; i < 1000; i++) {
        snprintf (candidates [i], sizeof candidates [i], "cand-%d", i);
        snprintf (fingerprints [i], sizeof fingerprints [i], "7:00000000:t:%016x", i * 2654435761u);
        items [i] = (jm_store_lookup_t) {
            .job = "job-42", .candidate = candidates [i], .fingerprint = fingerprints [i]
        };
    }
    //  a first write registers the summary script, loaded by its flush
    jm_store_result_t first = {
        .job = "job-0", .version = "7", .candidate = "c", .score = 1, .fingerprint = "7:00000000:t:0000000000373a30", .json = "{}"
    };
    JM_REQUIRE (s_write_one (store, &first, NULL) == 0);
    JM_CHECK_INT (jm_store_flush (store), 1);
    jm_store_stats_t before, after;
    jm_store_stats (store, &before);
    struct timespec start;
    clock_gettime (CLOCK_MONOTONIC, &start);
    static jm_store_result_t results [1000];
    static jm_error_t errors [1000];
    for (int i = 0; i < 1000; i++)
        results [i] = (jm_store_result_t) {
            .job = "job-42", .version = "7", .candidate = candidates [i], .score = i / 1000.0,
            .fingerprint = fingerprints [i], .json = json
        };
    JM_REQUIRE (jm_store_write_many (store, results, 1000, errors) == 1000);
    double queue_ms = s_ms_since (&start);
    clock_gettime (CLOCK_MONOTONIC, &start);
    JM_CHECK_INT (jm_store_flush (store), 1);           //  one pending entry
    double flush_ms = s_ms_since (&start);
    jm_store_stats (store, &after);
    //  one pipeline per JM_STORE_PIPELINE_BYTES: 1000 writes of ~1 KB
    JM_CHECK (after.round_trips - before.round_trips <= 2);
    //  MULTI, an HSET and PEXPIRE each, one ZADD and one summary EVALSHA
    //  for all, EXEC; no result string
    JM_CHECK_INT (after.commands_sent - before.commands_sent, 2004);
    JM_CHECK_INT (jm_test_redis_calls (redis, "set"), 0);
    char bucket [JM_KEYS_MAX];
    JM_CHECK (jm_test_redis_integer (redis, "PTTL", s_bucket ("job-42", "cand-999", bucket), NULL) > 0);
    JM_CHECK_INT (jm_test_redis_calls (redis, "zadd"), 2);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:job-42:7", NULL), 1000);

    jm_store_stats (store, &before);
    clock_gettime (CLOCK_MONOTONIC, &start);
    JM_CHECK_INT (s_lookup (store, items, 1000), 1000);
    double lookup_ms = s_ms_since (&start);
    jm_store_stats (store, &after);
    JM_CHECK_INT (after.round_trips - before.round_trips, 1);
    JM_CHECK_INT (jm_test_redis_calls (redis, "hget"), 1000);
    printf ("    1000 results: queue %.2f ms, flush %.2f ms, lookup %.2f ms\n",
            queue_ms, flush_ms, lookup_ms);
    //  Generous bound (sanitizers, valgrind); one RTT per command would be far slower
    JM_CHECK_MSG (flush_ms < 1000 && lookup_ms < 1000, "flush %.1f ms, lookup %.1f ms",
                  flush_ms, lookup_ms);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_redis_down_misses_fast_and_pends)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    options.backoff_min_ms = 300;
    options.backoff_max_ms = 300;
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    s_write (store, "j", "1", "c", 0.5, "1:00000000:t:0000000000313a61");
    JM_CHECK_INT (jm_store_flush (store), 1);
    JM_REQUIRE (jm_test_redis_stop (redis) == 0);

    jm_store_lookup_t item = { .job = "j", .candidate = "c", .fingerprint = "1:00000000:t:0000000000313a61" };
    struct timespec start;
    clock_gettime (CLOCK_MONOTONIC, &start);
    JM_CHECK_INT (s_lookup (store, &item, 1), -1);     //  finds the loss
    JM_CHECK (!item.hit);
    JM_CHECK (!jm_store_connected (store));
    jm_store_stats_t before, after;
    jm_store_stats (store, &before);
    for (int i = 0; i < 100; i++)
        JM_CHECK_INT (s_lookup (store, &item, 1), -1);
    for (int i = 0; i < 5; i++) {
        char candidate [8];
        snprintf (candidate, sizeof candidate, "d%d", i);
        s_write (store, "j", "1", candidate, 0.5, "1:00000000:t:0000000000313a61");
        JM_CHECK_INT (jm_store_flush (store), -1);
    }
    double elapsed = s_ms_since (&start);
    jm_store_stats (store, &after);
    JM_CHECK_MSG (elapsed < 100, "100 lookups and 5 flushes took %.1f ms", elapsed);
    JM_CHECK_INT (after.connect_attempts, before.connect_attempts);    //  all in backoff
    JM_CHECK_INT (jm_store_pending (store), 5);
    JM_CHECK_INT (after.dropped, 0);

    //  After the backoff, one attempt, which fails at once (no socket)
    s_sleep_ms (400);
    clock_gettime (CLOCK_MONOTONIC, &start);
    JM_CHECK_INT (s_lookup (store, &item, 1), -1);
    JM_CHECK (s_ms_since (&start) < 50);
    jm_store_stats (store, &after);
    JM_CHECK_INT (after.connect_attempts, before.connect_attempts + 1);
    JM_CHECK_INT (jm_store_pending (store), 5);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_restart_replays_in_order)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_REQUIRE (jm_store_connected (store));
    JM_REQUIRE (jm_test_redis_stop (redis) == 0);

    //  Writes made during the outage, the same key twice: the later must win
    jm_store_result_t first = {
        .job = "j", .version = "1", .candidate = "twice", .score = 0.1,
        .fingerprint = "1:00000000:t:000000313a6f6c64", .json = "{\"v\":1}"
    };
    jm_store_result_t second = first;
    second.score = 0.9;
    second.fingerprint = "1:00000000:t:000000313a6e6577";
    second.json = "{\"v\":2}";
    JM_CHECK_INT (s_write_one (store, &first, NULL), 0);
    for (int i = 0; i < 100; i++) {
        char candidate [8];
        snprintf (candidate, sizeof candidate, "c%d", i);
        s_write (store, "j", "1", candidate, i / 100.0, "1:00000000:t:0000000000313a61");
    }
    JM_CHECK_INT (s_write_one (store, &second, NULL), 0);
    JM_CHECK_INT (jm_store_flush (store), -1);
    JM_CHECK (!jm_store_connected (store));
    JM_CHECK_INT (jm_store_tick (store), -1);
    JM_CHECK_INT (jm_store_pending (store), 102);

    JM_REQUIRE (jm_test_redis_restart (redis) == 0);
    //  A lookup that reconnects does not wait for the replay...
    jm_store_lookup_t probe = { .job = "j", .candidate = "none", .fingerprint = "1:00000000:t:0000000000313a61" };
    for (int waited = 0; waited < 3000 && s_lookup (store, &probe, 1) < 0; waited += 5)
        s_sleep_ms (5);
    JM_CHECK (jm_store_connected (store));
    JM_CHECK_INT (jm_store_pending (store), 102);
    //  ...the tick does it
    JM_CHECK (s_tick_until_idle (store));
    JM_CHECK (jm_store_connected (store));
    JM_CHECK_INT (jm_store_pending (store), 0);
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.reconnects, 1);
    JM_CHECK_INT (stats.confirmed, 102);
    JM_CHECK_INT (stats.dropped, 0);

    jm_store_lookup_t items [101];
    char candidates [100][8];
    for (int i = 0; i < 100; i++) {
        snprintf (candidates [i], sizeof candidates [i], "c%d", i);
        items [i] = (jm_store_lookup_t) { .job = "j", .candidate = candidates [i],
                                          .fingerprint = "1:00000000:t:0000000000313a61" };
    }
    items [100] = (jm_store_lookup_t) { .job = "j", .candidate = "twice", .fingerprint = "1:00000000:t:000000313a6e6577" };
    JM_CHECK_INT (s_lookup (store, items, 101), 101);
    char *score = jm_test_redis_command (redis, "ZSCORE", "jobmatch:rank:j:1", "twice", NULL);
    JM_CHECK (score && strtod (score, NULL) == 0.9);
    free (score);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_pending_is_never_dropped)
{
    //  Past its bound the buffer keeps every write and says it is full
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    options.pending_max_commands = 15;          //  three writes of five commands
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_pending_fill (store) == 0.0);
    JM_REQUIRE (jm_test_redis_stop (redis) == 0);
    for (int i = 1; i <= 5; i++) {
        char candidate [8];
        snprintf (candidate, sizeof candidate, "c%d", i);
        s_write (store, "j", "1", candidate, 0.5, "1:00000000:t:0000000000313a61");
        JM_CHECK_INT (jm_store_flush (store), -1);
        JM_CHECK (jm_store_pending_fill (store) >= (i * 5) / 15.0 - 1e-9);
    }
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.pending_writes, 5);
    JM_CHECK_INT (stats.pending_commands, 30);      //  MULTI, HSET, PEXPIRE, ZADD,
                                                    //  EVALSHA, EXEC each
    JM_CHECK_INT (stats.dropped, 0);
    JM_CHECK (jm_store_pending_fill (store) >= 1.0);

    JM_REQUIRE (jm_test_redis_restart (redis) == 0);
    JM_CHECK (s_tick_until_idle (store));
    //  Every write replayed
    for (int i = 1; i <= 5; i++) {
        char candidate [8];
        jm_record_t record;
        snprintf (candidate, sizeof candidate, "c%d", i);
        JM_CHECK_MSG (jm_test_redis_record (redis, NULL, "j", candidate, &record) == 0, "record of %s", candidate);
    }
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:1", NULL), 5);
    JM_CHECK (jm_store_pending_fill (store) == 0.0);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_pending_bytes_bound)
{
    jm_store_options_t options = jm_test_store_options ();
    options.pending_max_bytes = 1500;       //  a write is some 470 bytes
    options.backoff_min_ms = options.backoff_max_ms = 1000;
    jm_store_t *store = jm_store_new ("unix:///nonexistent/redis.sock", &options, NULL);
    JM_REQUIRE (store);
    char json [1200];
    memset (json, 'x', 999);
    json [999] = '\0';
    for (int i = 0; i < 10; i++) {
        jm_store_result_t result = {
            .job = "j", .version = "1", .candidate = "c", .score = 0.5,
            .fingerprint = "1:00000000:t:0000000000313a61", .json = json
        };
        JM_CHECK_INT (s_write_one (store, &result, NULL), 0);
    }
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.pending_writes, 10);
    JM_CHECK_INT (stats.dropped, 0);
    JM_CHECK_MSG (stats.pending_bytes > 4000, "%zu bytes pending", stats.pending_bytes);
    JM_CHECK_INT (stats.pending_peak_bytes, stats.pending_bytes);
    JM_CHECK (jm_store_pending_fill (store) > 2.5);

    //  A write bigger than the whole bound is kept too
    char big [5000];
    memset (big, 'y', sizeof big - 1);
    big [sizeof big - 1] = '\0';
    jm_store_result_t result = {            //  big by its job's labels, sent to the summary
        .job = "j", .version = "1", .candidate = "big", .score = 0.5,
        .fingerprint = "1:00000000:t:0000000000313a61", .missing = "0", .missing_len = 1,
        .labels = big, .labels_len = sizeof big - 1
    };
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK_INT (s_write_one (store, &result, &err), 0);
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.pending_writes, 11);
    JM_CHECK_INT (stats.dropped, 0);
    jm_store_destroy (&store);
}

JM_TEST (store_key_escaping)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    s_write (store, "job:1", "v 2", "cand 7", 0.5, "2:00000000:t:0000000000000a0a");
    s_write (store, "a:b", "1", "c", 0.1, "1:00000000:t:0000000000313a78");
    s_write (store, "a", "1", "b:c", 0.2, "1:00000000:t:0000000000313a79");
    JM_CHECK_INT (jm_store_flush (store), 3);
    jm_record_t record;
    JM_CHECK_INT (jm_test_redis_record (redis, NULL, "job:1", "cand 7", &record), 0);
    JM_CHECK_INT (jm_test_redis_record (redis, NULL, "a:b", "c", &record), 0);
    JM_CHECK_INT (jm_test_redis_record (redis, NULL, "a", "b:c", &record), 0);
    char bucket [JM_KEYS_MAX];
    JM_CHECK (strncmp (s_bucket ("job:1", "cand 7", bucket), "jobmatch:res:job%3A1:", 21) == 0);
    //  Ranking members are the raw ids
    char *score = jm_test_redis_command (redis, "ZSCORE", "jobmatch:rank:job%3A1:v%202",
                                         "cand 7", NULL);
    JM_CHECK_STR (score, "0.5");
    free (score);
    jm_store_lookup_t items [] = {
        { .job = "a:b", .candidate = "c", .fingerprint = "1:00000000:t:0000000000313a78" },
        { .job = "a", .candidate = "b:c", .fingerprint = "1:00000000:t:0000000000313a79" },
        { .job = "job:1", .candidate = "cand 7", .fingerprint = "2:00000000:t:0000000000000a0a" },
    };
    JM_CHECK_INT (s_lookup (store, items, 3), 3);
    JM_CHECK (items [0].hit && items [1].hit);

    //  Invalid ids are refused before anything is queued
    jm_error_t err;
    jm_error_clear (&err);
    jm_store_result_t bad = { .job = "j", .version = "1", .candidate = "bad\xff",
                              .score = 0, .fingerprint = "1:00000000:t:0000000000313a61", .json = "{}" };
    JM_CHECK_INT (s_write_one (store, &bad, &err), -1);
    JM_CHECK_STR (err.message, "candidate id is not valid UTF-8 at byte 4");
    JM_CHECK_INT (jm_store_pending (store), 0);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

//  The matcher's path sends each group as MULTI ... EXEC, where a command
//  that fails (WRONGTYPE) leaves EXEC an array holding the error: that
//  group is an error, never confirmed
JM_TEST (store_error_inside_exec_is_not_confirmed)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    free (jm_test_redis_command (redis, "SET", "jobmatch:rank:j:1", "oops", NULL));
    jm_store_result_t results [2] = {
        { .job = "j", .version = "1", .candidate = "c1", .score = 0.5, .fingerprint = "1:00000000:t:0000000000313a61",
          .json = "{}" },
        { .job = "j", .version = "2", .candidate = "c2", .score = 0.5, .fingerprint = "2:00000000:t:0000000000323a61",
          .json = "{}" },
    };
    jm_error_t errors [2];
    JM_CHECK_INT (jm_store_write_many (store, &results [0], 1, &errors [0]), 1);
    JM_CHECK_INT (jm_store_write_many (store, &results [1], 1, &errors [1]), 1);
    JM_CHECK_INT (jm_store_flush (store), 1);                   //  c2 only
    JM_CHECK_INT (jm_store_pending (store), 0);
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.errors, 1);
    JM_CHECK_INT (stats.confirmed, 1);
    JM_CHECK_INT (jm_test_redis_calls (redis, "exec"), 2);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_error_reply_not_retried)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    //  A string where the store expects a ranking: ZADD answers WRONGTYPE
    free (jm_test_redis_command (redis, "SET", "jobmatch:rank:j:1", "oops", NULL));
    s_write (store, "j", "1", "c1", 0.5, "1:00000000:t:0000000000313a61");
    s_write (store, "j", "2", "c2", 0.5, "2:00000000:t:0000000000323a61");
    JM_CHECK_INT (jm_store_flush (store), 1);                   //  c2 only
    JM_CHECK_INT (jm_store_pending (store), 0);
    jm_store_stats_t before, after;
    jm_store_stats (store, &before);
    JM_CHECK_INT (before.errors, 1);
    JM_CHECK_INT (before.confirmed, 1);
    JM_CHECK_INT (jm_store_flush (store), 0);
    JM_CHECK_INT (jm_store_tick (store), 0);
    jm_store_stats (store, &after);
    JM_CHECK_INT (after.commands_sent, before.commands_sent);   //  nothing resent
    JM_CHECK_INT (jm_test_redis_calls (redis, "set"), 1);       //  ours: no result strings
    JM_CHECK_INT (jm_test_redis_calls (redis, "zadd"), 2);
    //  A lookup of a key holding no stored result is a miss, not a
    //  failure: a bare string, a hash (as results were once stored), a list
    free (jm_test_redis_command (redis, "SET", "jobmatch:result:j:c3", "oops", NULL));
    free (jm_test_redis_command (redis, "SET", "jobmatch:result:j:c4", "{\"fp\":\"1:a\"", NULL));
    free (jm_test_redis_command (redis, "HSET", "jobmatch:result:j:c5", "fp", "1:a", "json", "{}",
                                 NULL));
    free (jm_test_redis_command (redis, "RPUSH", "jobmatch:result:j:c6", "1:a", NULL));
    free (jm_test_redis_command (redis, "SET", "jobmatch:result:j:c7", "{\"fp\":\"1:ab\"}\n{}",
                                 NULL));
    jm_store_lookup_t broken [5] = {
        { .job = "j", .candidate = "c3", .fingerprint = "1:00000000:t:0000000000313a61" },
        { .job = "j", .candidate = "c4", .fingerprint = "1:00000000:t:0000000000313a61" },
        { .job = "j", .candidate = "c5", .fingerprint = "1:00000000:t:0000000000313a61" },
        { .job = "j", .candidate = "c6", .fingerprint = "1:00000000:t:0000000000313a61" },
        { .job = "j", .candidate = "c7", .fingerprint = "1:00000000:t:0000000000313a61" },   //  a longer fingerprint
    };
    JM_CHECK_INT (s_lookup (store, broken, 5), 0);
    for (int i = 0; i < 5; i++)
        JM_CHECK_MSG (!broken [i].hit, "c%d hit", i + 3);
    char *json = NULL;
    JM_CHECK_INT (jm_store_read_result (store, "j", "c5", &json, NULL), 0);
    JM_CHECK_INT (jm_store_read_result (store, "j", "c3", &json, NULL), 0);
    JM_CHECK (json == NULL);
    //  the result whose ranking write failed is stored all the same
    jm_store_lookup_t item = { .job = "j", .candidate = "c1", .fingerprint = "1:00000000:t:0000000000313a61" };
    JM_CHECK_INT (s_lookup (store, &item, 1), 1);
    JM_CHECK (item.hit);
    //  Same for a queued command Redis rejects
    const char *argv [] = { "NOSUCHCOMMAND", "x" };
    JM_CHECK_INT (jm_store_append (store, 2, argv, NULL), 0);
    JM_CHECK_INT (jm_store_flush (store), 0);
    JM_CHECK_INT (jm_store_pending (store), 0);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

//  Writes sent ahead: Redis stores them before any reply is read; the next
//  send, lookup or flush reads those replies first, so every reply meets
//  its own write and the lookup sees what was sent before it.
JM_TEST (store_send_ahead_then_lookup_in_order)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK_INT (jm_store_send (store), 0);           //  nothing to send
    char candidate [16];
    for (int i = 0; i < 100; i++) {
        snprintf (candidate, sizeof candidate, "a%d", i);
        s_write (store, "j", "1", candidate, i, "1:00000000:t:0000000000313a61");
    }
    JM_CHECK_INT (jm_store_send (store), 0);
    JM_CHECK_INT (jm_store_pending (store), 100);       //  sent, not answered yet
    long long stored = 0;
    for (int waited = 0; waited < 3000 && stored < 100; waited += 5) {
        stored = jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:1", NULL);
        if (stored < 100)
            s_sleep_ms (5);
    }
    JM_CHECK_INT (stored, 100);
    for (int i = 0; i < 50; i++) {
        snprintf (candidate, sizeof candidate, "b%d", i);
        s_write (store, "j", "1", candidate, i, "1:00000000:t:0000000000313a62");
    }
    JM_CHECK_INT (jm_store_send (store), 0);            //  reads the first send's replies
    JM_CHECK_INT (jm_store_pending (store), 50);
    jm_store_lookup_t items [2] = {
        { .job = "j", .candidate = "a99", .fingerprint = "1:00000000:t:0000000000313a61" },
        { .job = "j", .candidate = "b49", .fingerprint = "1:00000000:t:0000000000313a62" }
    };
    JM_CHECK_INT (s_lookup (store, items, 2), 2);
    JM_CHECK (items [0].hit && items [1].hit);
    JM_CHECK_INT (jm_store_pending (store), 0);         //  the lookup read them first
    JM_CHECK_INT (jm_store_flush (store), 0);
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.confirmed, 150);
    JM_CHECK_INT (stats.dropped, 0);
    JM_CHECK_INT (stats.errors, 0);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

//  A connection lost with writes on the wire keeps them pending: they are
//  sent again on the next connection, and none is lost or counted twice.
JM_TEST (store_send_ahead_survives_a_restart)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    s_write (store, "j", "1", "c0", 0, "1:00000000:t:0000000000313a61");
    JM_CHECK_INT (jm_store_flush (store), 1);         //  loads the summary script
    char candidate [16];
    for (int i = 0; i < 100; i++) {
        snprintf (candidate, sizeof candidate, "c%d", i);
        s_write (store, "j", "1", candidate, i, "1:00000000:t:0000000000313a61");
    }
    //  Redis holds every command from now on, so none is answered
    free (jm_test_redis_command (redis, "CLIENT", "PAUSE", "10000", "ALL", NULL));
    JM_CHECK_INT (jm_store_send (store), 0);
    JM_REQUIRE (jm_test_redis_stop (redis) == 0);
    JM_CHECK_INT (jm_store_flush (store), -1);
    JM_CHECK (!jm_store_connected (store));
    JM_CHECK_INT (jm_store_pending (store), 100);
    JM_CHECK_INT (jm_store_send (store), -1);           //  down: left to the flush
    JM_REQUIRE (jm_test_redis_restart (redis) == 0);
    JM_CHECK (s_tick_until_idle (store));
    JM_CHECK_INT (jm_store_pending (store), 0);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:1", NULL), 100);
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.confirmed, 101);
    //  the kept summary counts each candidate once, replays and c0 twice aside
    JM_CHECK_INT (jm_test_redis_integer (redis, "HLEN", "jobmatch:rank:j:1:parts", NULL), 100);
    JM_CHECK_INT (jm_test_redis_integer (redis, "HINCRBY", "jobmatch:rank:j:1:summary", "total",
                                         "0", NULL), 100);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

//  Writes Redis refuses for now (over maxmemory with noeviction, it answers
//  OOM) stay pending, reads go on meanwhile, and the writes land once it
//  accepts again; sent ahead (jm_store_send) or by a flush alike.
static void
s_refusal_keeps_pending (bool send_ahead)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    s_write (store, "j", "1", "c0", 0.5, "1:00000000:t:0000000000313a61");
    JM_CHECK_INT (jm_store_flush (store), 1);
    free (jm_test_redis_command (redis, "CONFIG", "SET", "maxmemory", "1", NULL));
    s_write (store, "j", "1", "c1", 0.5, "1:00000000:t:0000000000313a61");
    s_write (store, "j", "1", "c2", 0.5, "1:00000000:t:0000000000313a61");
    if (send_ahead)
        JM_CHECK_INT (jm_store_send (store), 0);
    else
        JM_CHECK_INT (jm_store_flush (store), -1);
    jm_store_lookup_t item = { .job = "j", .candidate = "c0", .fingerprint = "1:00000000:t:0000000000313a61" };
    JM_CHECK_INT (s_lookup (store, &item, 1), 1);
    JM_CHECK (item.hit);
    JM_CHECK_INT (jm_store_pending (store), 2);
    JM_CHECK_INT (send_ahead ? jm_store_send (store) : jm_store_flush (store), -1);
    JM_CHECK (jm_store_connected (store));
    free (jm_test_redis_command (redis, "CONFIG", "SET", "maxmemory", "0", NULL));
    JM_CHECK (s_tick_until_idle (store));
    jm_record_t record;
    JM_CHECK_INT (jm_test_redis_record (redis, NULL, "j", "c1", &record), 0);
    JM_CHECK_INT (jm_test_redis_record (redis, NULL, "j", "c2", &record), 0);
    jm_store_stats_t stats;
    jm_store_stats (store, &stats);
    JM_CHECK_INT (stats.confirmed, 3);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_refusal_for_now_keeps_pending)
{
    s_refusal_keeps_pending (false);
}

JM_TEST (store_send_ahead_refused_for_now_keeps_pending)
{
    s_refusal_keeps_pending (true);
}

JM_TEST (store_command_timeout)
{
    //  A "server" that accepts connections (in the backlog) and never answers
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    JM_REQUIRE (fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t addr_len = sizeof addr;
    JM_REQUIRE (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
    JM_REQUIRE (listen (fd, 16) == 0);
    JM_REQUIRE (getsockname (fd, (struct sockaddr *) &addr, &addr_len) == 0);
    char url [64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d", ntohs (addr.sin_port));

    jm_store_options_t options = jm_test_store_options ();
    options.command_timeout_ms = 200;
    options.backoff_min_ms = options.backoff_max_ms = 1000;
    //  The connection's PING is not answered within the command timeout
    struct timespec start;
    clock_gettime (CLOCK_MONOTONIC, &start);
    jm_store_t *store = jm_store_new (url, &options, NULL);
    JM_REQUIRE (store);
    double elapsed = s_ms_since (&start);
    JM_CHECK_MSG (elapsed >= 150 && elapsed < 1000, "stalled connect took %.1f ms", elapsed);
    JM_CHECK (!jm_store_connected (store));
    jm_store_lookup_t item = { .job = "j", .candidate = "c", .fingerprint = "1:00000000:t:0000000000313a61" };
    //  The next calls fall in the backoff: no wait at all
    clock_gettime (CLOCK_MONOTONIC, &start);
    JM_CHECK_INT (s_lookup (store, &item, 1), -1);
    JM_CHECK_INT (jm_store_flush (store), -1);      //  unavailable, even with nothing to send
    elapsed = s_ms_since (&start);
    JM_CHECK_MSG (elapsed < 20, "lookup in backoff took %.1f ms", elapsed);
    jm_store_destroy (&store);
    close (fd);
}

JM_TEST (store_tcp_and_db)
{
    jm_test_redis_t *redis = jm_test_redis_start (true);
    JM_REQUIRE (redis);
    char url [96];
    snprintf (url, sizeof url, "%s/2", jm_test_redis_tcp_url (redis));
    jm_store_options_t options = jm_test_store_options ();
    options.key_namespace = "jm-test";
    jm_store_t *store = jm_store_new (url, &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_connected (store));
    s_write (store, "j", "1", "c", 0.5, "1:00000000:t:0000000000313a61");
    JM_CHECK_INT (jm_store_flush (store), 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "DBSIZE", NULL), 0);
    free (jm_test_redis_command (redis, "SELECT", "2", NULL));
    char bucket [JM_KEYS_MAX];
    s_bucket ("j", "c", bucket);
    memcpy (bucket, "jm-test", 7);          //  "jobmatch" in another namespace
    memmove (bucket + 7, bucket + 8, strlen (bucket + 8) + 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", bucket, "jm-test:rank:j:1", NULL), 2);
    jm_store_destroy (&store);

    //  A db Redis does not have: logged, and the store stays unavailable
    store = jm_store_new ("redis://127.0.0.1:1/0", &options, NULL);
    JM_REQUIRE (store);
    jm_store_destroy (&store);
    snprintf (url, sizeof url, "%s/9999", jm_test_redis_tcp_url (redis));
    store = jm_store_new (url, &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (!jm_store_connected (store));
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_append_generic)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    char jobs [JM_KEYS_MAX], job [JM_KEYS_MAX];
    JM_REQUIRE (jm_keys_jobs (jm_store_keys (store), jobs, sizeof jobs, NULL) > 0);
    JM_REQUIRE (jm_keys_job (jm_store_keys (store), "j:1", job, sizeof job, NULL) > 0);
    const char *sadd [] = { "SADD", jobs, "j:1", "j2" };
    JM_CHECK_INT (jm_store_append (store, 4, sadd, NULL), 0);
    //  Binary-safe arguments: a value with a NUL inside
    const char *hset [] = { "HSET", job, "blob", "a\0b" };
    size_t hset_len [] = { 4, strlen (job), 4, 3 };
    JM_CHECK_INT (jm_store_append (store, 4, hset, hset_len), 0);
    JM_CHECK_INT (jm_store_append (store, 0, NULL, NULL), -1);
    JM_CHECK_INT (jm_store_pending (store), 2);
    JM_CHECK_INT (jm_store_flush (store), 2);
    JM_CHECK_INT (jm_test_redis_integer (redis, "SCARD", "jobmatch:jobs", NULL), 2);
    JM_CHECK_INT (jm_test_redis_integer (redis, "SISMEMBER", "jobmatch:jobs", "j:1", NULL), 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "HSTRLEN", "jobmatch:job:j%3A1", "blob", NULL), 3);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_destroy_flushes_and_is_idempotent)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    s_write (store, "j", "1", "last", 0.5, "1:00000000:t:0000000000313a61");
    jm_store_destroy (&store);
    JM_CHECK (store == NULL);
    jm_store_destroy (&store);
    jm_store_destroy (NULL);
    jm_record_t record;
    JM_CHECK_INT (jm_test_redis_record (redis, NULL, "j", "last", &record), 0);
    jm_test_redis_destroy (&redis);
    jm_test_redis_destroy (&redis);
    JM_CHECK (redis == NULL);
}

//  Calls of one command since the last CONFIG RESETSTAT, from INFO.
static long
s_command_calls (jm_test_redis_t *redis, const char *command)
{
    char *info = jm_test_redis_command (redis, "INFO", "commandstats", NULL);
    char field [64];
    snprintf (field, sizeof field, "cmdstat_%s:calls=", command);
    const char *at = info ? strstr (info, field) : NULL;
    long calls = at ? strtol (at + strlen (field), NULL, 10) : 0;
    free (info);
    return calls;
}

//  Scores are stored as the shortest decimal that reads back the same
//  double (%.15g, else %.17g), whichever way the store formats them.
JM_TEST (store_scores_read_back_exactly)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    double scores [] = { 0, 5, 40.4, 10.25, 99.99, 0.05, 0.5, 100, 1e-7, 33.333333333333336,
                         2.0 / 3, 12345678901.01, 1e13, 0.1 + 0.2, -2.5, 71.15 };
    for (size_t i = 0; i < sizeof scores / sizeof scores [0]; i++) {
        char candidate [16], expected [40];
        snprintf (candidate, sizeof candidate, "s%zu", i);
        JM_CHECK_INT (s_write (store, "j", "1", candidate, scores [i], "1:00000000:t:0000000000313a78"), 0);
        JM_CHECK_INT (jm_store_flush (store), 1);
        snprintf (expected, sizeof expected, "%.15g", scores [i]);
        if (strtod (expected, NULL) != scores [i])
            snprintf (expected, sizeof expected, "%.17g", scores [i]);
        char *stored = s_stored (redis, "j", candidate, "score", NULL);
        JM_CHECK_STR (stored, expected);
        JM_CHECK (stored && strtod (stored, NULL) == scores [i]);
        free (stored);
    }
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

//  Checks the members of a sorted set, lowest score first, one per line.
static void
s_check_members (jm_test_redis_t *redis, const char *key, const char *expected)
{
    char *members = jm_test_redis_command (redis, "ZRANGE", key, "0", "-1", NULL);
    JM_CHECK_STR (members, expected);
    free (members);
}

//  A result is stored as its compact record only (the breakdown is
//  recomputed on read); the parsers of an older version's result strings
//  still refuse what is not one.
JM_TEST (store_result_value_header)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    char long_name [3000];
    memset (long_name, 'n', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = '\0';
    jm_store_result_t results [] = {
        { .job = "j", .version = "4", .candidate = "odd", .score = 55.5, .fingerprint = "4:00000000:t:00000000343a6162",
          .json = "{\"a\":\"x\\ny\"}", .band = "partial", .name = "Zoë \"Z\"\nO'Neil\\",
          .required = "1 of 2" },
        { .job = "j", .version = "4", .candidate = "long", .score = 90, .fingerprint = "4:00000000:t:00000000343a6364",
          .json = "{}", .band = "strong", .name = long_name, .required = "2 of 2" },
        { .job = "j", .version = "4", .candidate = "plain", .score = 1, .fingerprint = "4:00000000:t:00000000343a6566",
          .json = "[1]" },
    };
    jm_error_t errors [3];
    JM_CHECK_INT (jm_store_write_many (store, results, 3, errors), 3);
    JM_CHECK_INT (jm_store_flush (store), 1);

    //  each is its record only: no result string, whatever its name or JSON
    char *fields = s_stored (redis, "j", "odd", "band", "required", "version", "score", NULL);
    JM_CHECK_STR (fields, "partial\n1 of 2\n4\n55.5");
    free (fields);
    fields = s_stored (redis, "j", "long", "band", "required", NULL);
    JM_CHECK_STR (fields, "strong\n2 of 2");
    free (fields);
    fields = s_stored (redis, "j", "plain", "band", "required", NULL);
    JM_CHECK_STR (fields, "weak\n0 of 0");      //  no band given: its score's
    free (fields);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", "jobmatch:result:j:odd",
                                         "jobmatch:result:j:long", "jobmatch:result:j:plain",
                                         NULL), 0);
    json_t *head;

    //  an older version's result strings, read as before: a header line
    //  then the JSON; a head read longer than the cut is said so
    free (jm_test_redis_command (redis, "SET", "jobmatch:result:j:odd",
                                 "{\"fp\":\"4:x\",\"name\":\"Zo\\n\"}\n{\"a\":1}", NULL));
    char *value = jm_test_redis_command (redis, "GET", "jobmatch:result:j:odd", NULL);
    size_t json_len = 0;
    JM_CHECK_STR (jm_store_result_json (value, strlen (value), &json_len), "{\"a\":1}");
    head = jm_store_result_head (value, strlen (value));
    JM_CHECK_STR (json_string_value (json_object_get (head, "name")), "Zo\n");
    json_decref (head);
    free (value);
    JM_CHECK (jm_store_result_head_cut (JM_STORE_RESULT_HEAD_READ));

    //  not stored results
    const char *bad [] = { "", "{", "{}", "[1]\n{}", "{\"fp\":\"x\"", "{\"fp\":\"x\"} \n{}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        head = jm_store_result_head (bad [i], strlen (bad [i]));
        JM_CHECK_MSG (head == NULL || i == 5, "case %zu", i);
        json_decref (head);
    }
    JM_CHECK (jm_store_result_json ("[1]\n{}", 6, NULL) == NULL);
    JM_CHECK (jm_store_result_json ("{", 1, NULL) == NULL);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

//  Results written together: each result's hash, and per job version one
//  ZADD to the ranking and one ZADD / ZREM per band set for all of them.
JM_TEST (store_write_many_groups_rankings)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    jm_store_result_t first [] = {
        { .job = "j", .version = "2", .candidate = "c1", .score = 91, .fingerprint = "2:00000000:t:0000000000323a61",
          .json = "{\"c\":1}", .band = "strong", .required = "4 of 4" },
        { .job = "j", .version = "2", .candidate = "c2", .score = 70, .fingerprint = "2:00000000:t:0000000000323a62",
          .json = "{\"c\":2}", .band = "good", .required = "3 of 4" },
        { .job = "k", .version = "1", .candidate = "c1", .score = 65, .fingerprint = "1:00000000:t:0000000000313a61",
          .json = "{\"k\":1}", .band = "good", .required = "2 of 2" },
        { .job = "j", .version = "2", .candidate = "c3", .score = 45, .fingerprint = "2:00000000:t:0000000000323a63",
          .json = "{\"c\":3}", .band = "partial", .required = "2 of 4" },
        { .job = "j", .version = "2", .candidate = "c5", .score = 50, .fingerprint = NULL,
          .json = "{}", .band = "partial" },                          //  invalid: left out
        { .job = "j", .version = "2", .candidate = "c4", .score = 10.25, .fingerprint = "2:00000000:t:0000000000323a64",
          .json = "{\"c\":4}", .band = "weak", .required = "0 of 4" },
    };
    jm_error_t errors [6];
    JM_CHECK_INT (jm_store_write_many (store, first, 6, errors), 5);
    JM_CHECK_STR (errors [4].code, JM_ERR_INVALID_REQUEST);
    for (int i = 0; i < 6; i++)
        if (i != 4)
            JM_CHECK_STR (errors [i].code, "");
    JM_CHECK_INT (jm_store_flush (store), 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:2", NULL), 4);
    char *text = jm_test_redis_command (redis, "ZRANGE", "jobmatch:rank:j:2", "0", "-1",
                                        "WITHSCORES", NULL);
    JM_CHECK_STR (text, "c4\n10.25\nc3\n45\nc2\n70\nc1\n91");
    free (text);
    s_check_members (redis, "jobmatch:rank:j:2:strong", "c1");
    s_check_members (redis, "jobmatch:rank:j:2:good", "c2");
    s_check_members (redis, "jobmatch:rank:k:1:good", "c1");
    text = s_stored (redis, "j", "c3", "band", "required", NULL);
    JM_CHECK_STR (text, "partial\n2 of 4");
    free (text);
    jm_record_t record;
    JM_CHECK_INT (jm_test_redis_record (redis, NULL, "j", "c5", &record), -1);
    char bucket [JM_KEYS_MAX];
    JM_CHECK (jm_test_redis_integer (redis, "PTTL", s_bucket ("j", "c4", bucket), NULL) > 0);

    //  scored again: c1 falls to weak, c3 rises to good; sets follow
    free (jm_test_redis_command (redis, "CONFIG", "RESETSTAT", NULL));
    jm_store_result_t again [] = {
        { .job = "j", .version = "2", .candidate = "c1", .score = 30, .fingerprint = "2:00000000:t:0000000000323a65",
          .json = "{}", .band = "weak" },
        { .job = "j", .version = "2", .candidate = "c3", .score = 62, .fingerprint = "2:00000000:t:0000000000323a66",
          .json = "{}", .band = "good" },
        { .job = "j", .version = "2", .candidate = "c2", .score = 70, .fingerprint = "2:00000000:t:0000000000323a62",
          .json = "{}", .band = "good" },
    };
    JM_CHECK_INT (jm_store_write_many (store, again, 3, errors), 3);
    JM_CHECK_INT (jm_store_flush (store), 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:2:strong", NULL), 0);
    s_check_members (redis, "jobmatch:rank:j:2:good", "c3\nc2");
    text = jm_test_redis_command (redis, "ZSCORE", "jobmatch:rank:j:2", "c1", NULL);
    JM_CHECK_STR (text, "30");
    free (text);
    //  three results, three records (no result strings; the fourth HSET is
    //  the summary script's), but the rankings in 4 commands: ZADD
    //  ranking, ZREM strong, ZADD good, ZREM good
    JM_CHECK_INT (s_command_calls (redis, "set"), 0);
    JM_CHECK_INT (s_command_calls (redis, "hset"), 4);
    JM_CHECK_INT (s_command_calls (redis, "zadd"), 2);
    JM_CHECK_INT (s_command_calls (redis, "zrem"), 2);
    //  a candidate twice in one batch ends in the band of its last result
    jm_store_result_t twice [] = {
        { .job = "j", .version = "2", .candidate = "c8", .score = 70, .fingerprint = "2:00000000:t:0000000000323a67",
          .json = "{}", .band = "good" },
        { .job = "j", .version = "2", .candidate = "c9", .score = 20, .fingerprint = "2:00000000:t:0000000000323a68",
          .json = "{}", .band = "weak" },
        { .job = "j", .version = "2", .candidate = "c8", .score = 30, .fingerprint = "2:00000000:t:0000000000323a69",
          .json = "{}", .band = "weak" },
        { .job = "j", .version = "2", .candidate = "c9", .score = 75, .fingerprint = "2:00000000:t:0000000000323a6a",
          .json = "{}", .band = "good" },
    };
    JM_CHECK_INT (jm_store_write_many (store, twice, 4, errors), 4);
    JM_CHECK_INT (jm_store_flush (store), 1);
    s_check_members (redis, "jobmatch:rank:j:2:good", "c3\nc2\nc9");
    text = jm_test_redis_command (redis, "ZMSCORE", "jobmatch:rank:j:2", "c8", "c9", NULL);
    JM_CHECK_STR (text, "30\n75");
    free (text);
    text = s_stored (redis, "j", "c9", "band", NULL);
    JM_CHECK_STR (text, "good");
    free (text);
    JM_CHECK_INT (jm_store_write_many (store, again, 0, NULL), 0);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

//  strong and good have sets, each candidate in one at most; partial and
//  weak are score ranges of the ranking, written to no set.
JM_TEST (store_band_sets_hold_each_candidate_once)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    struct { const char *band; double score; long long strong, good; } rounds [] = {
        { "strong", 90, 1, 0 }, { "good", 85, 0, 1 }, { "partial", 45, 0, 0 },
        { "good", 62, 0, 1 }, { "weak", 20, 0, 0 }
    };
    for (size_t round = 0; round < sizeof rounds / sizeof rounds [0]; round++) {
        jm_store_result_t result = {
            .job = "j", .version = "2", .candidate = "c1", .score = rounds [round].score,
            .fingerprint = "2:00000000:t:0000000000323a78", .json = "{}", .band = rounds [round].band, .name = "Ann",
            .required = "3 of 4"
        };
        JM_CHECK_INT (s_write_one (store, &result, NULL), 0);
        JM_CHECK_INT (jm_store_flush (store), 1);
        JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:2:strong", NULL),
                      rounds [round].strong);
        JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:2:good", NULL),
                      rounds [round].good);
    }
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", "jobmatch:rank:j:2:partial",
                                         "jobmatch:rank:j:2:weak", NULL), 0);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", "jobmatch:rank:j:2", NULL), 1);
    char *fields = s_stored (redis, "j", "c1", "band", "required", NULL);
    JM_CHECK_STR (fields, "weak\n3 of 4");
    free (fields);
    //  a bad band is refused before anything is queued
    jm_store_result_t bad = { .job = "j", .version = "2", .candidate = "c2", .score = 1,
                              .fingerprint = "2:00000000:t:0000000000323a78", .json = "{}", .band = "great" };
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK_INT (s_write_one (store, &bad, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
    JM_CHECK_INT (jm_store_pending (store), 0);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}
