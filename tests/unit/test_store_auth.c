/*  Tests of the store's credentials: URLs with users and passwords, their
    redaction, the password from a file or the environment, TLS settings,
    and a Redis that wants a password or an ACL user short of a permission
    being an outage (never an empty answer).  TLS against a real server is
    in tests/integration/test_redis_auth.py.                              */
#include "jm_test.h"
#include "jm_test_redis.h"
#include "jm_config.h"
#include "jm_log.h"
#include "jm_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

JM_TEST (store_redact_url)
{
    struct { const char *url, *shown; } cases [] = {
        { "redis://matcher:s3cret@127.0.0.1:6379/0", "redis://matcher:***@127.0.0.1:6379/0" },
        { "redis://:s3cret@host", "redis://:***@host" },
        { "rediss://u:p@ss@host:1/2", "rediss://u:***@host:1/2" },
        { "unix://u:s3cret@/run/redis.sock?db=1", "unix://u:***@/run/redis.sock?db=1" },
        { "redis://matcher@host", "redis://matcher@host" },
        { "redis://host:6379/0", "redis://host:6379/0" },
        { "unix:///run/a@b/redis.sock", "unix:///run/a@b/redis.sock" },
        { "user:s3cret@host:6379", "user:***@host:6379" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char out [200];
        JM_CHECK_STR (jm_log_redact_url (cases [i].url, out, sizeof out), cases [i].shown);
    }
    char small [12];
    jm_log_redact_url ("redis://u:s3cret@host", small, sizeof small);
    JM_CHECK_STR (small, "redis://u:*");
}

JM_TEST (store_url_credentials)
{
    struct { const char *url, *endpoint; } good [] = {
        { "redis://matcher:s3cret@127.0.0.1:1/2", "127.0.0.1:1 db 2 as matcher" },
        { "redis://:s3cret@127.0.0.1:1", "127.0.0.1:1 db 0" },
        { "redis://m%40x:p%2F%3Aw@127.0.0.1:1", "127.0.0.1:1 db 0 as m@x" },
        { "redis://u:p@ss@127.0.0.1:1", "127.0.0.1:1 db 0 as u" },
        { "unix://matcher:pw@/nonexistent/r.sock?db=1", "unix:/nonexistent/r.sock db 1 as matcher" },
    };
    jm_store_options_t options = jm_test_store_options ();
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        jm_store_t *store = jm_store_new (good [i].url, &options, &err);
        JM_CHECK_MSG (store, "%s: %s", good [i].url, err.message);
        if (store) {
            JM_CHECK_STR (jm_store_endpoint (store), good [i].endpoint);
            JM_CHECK (!jm_store_connected (store));
        }
        jm_store_destroy (&store);
    }
    //  A bad URL is refused without showing its password
    const char *bad [] = {
        "redis://u:s3cret@127.0.0.1:x", "redis://u:s3cret@", "http://u:s3cret@host",
        "redis://u:s3cret@host?db=1", "unix://u:s3cret@relative", "redis://u%zz:s3cret@host",
        "u:s3cret@host:6379",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        jm_store_t *store = jm_store_new (bad [i], &options, &err);
        JM_CHECK_MSG (!store, "%s accepted", bad [i]);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
        JM_CHECK_MSG (!strstr (err.message, "s3cret"), "password shown: %s", err.message);
        JM_CHECK_MSG (strstr (err.message, "***") || strstr (err.message, "escape"),
                      "no redacted URL: %s", err.message);
        jm_store_destroy (&store);
    }
}

JM_TEST (store_tls_settings)
{
    jm_store_options_t options = jm_test_store_options ();
    jm_error_t err;
    jm_error_clear (&err);
    options.tls_ca_file = "/nonexistent/ca.pem";
    JM_CHECK (!jm_store_new ("rediss://127.0.0.1:1", &options, &err));
    JM_CHECK_MSG (strstr (err.message, "TLS CA file /nonexistent/ca.pem"), "%s", err.message);

    jm_error_clear (&err);
    JM_CHECK (!jm_store_new ("redis://127.0.0.1:1", &options, &err));
    JM_CHECK_MSG (strstr (err.message, "does not start with rediss://"), "%s", err.message);

    jm_error_clear (&err);
    options = jm_test_store_options ();
    options.tls_cert_file = "/nonexistent/client.pem";
    JM_CHECK (!jm_store_new ("rediss://127.0.0.1:1", &options, &err));
    JM_CHECK_MSG (strstr (err.message, "give both"), "%s", err.message);

    //  A CA file that holds no certificate
    char path [] = "/tmp/jm-ca-XXXXXX";
    int fd = mkstemp (path);
    JM_REQUIRE (fd >= 0);
    JM_CHECK (write (fd, "not a certificate\n", 18) == 18);
    close (fd);
    jm_error_clear (&err);
    options = jm_test_store_options ();
    options.tls_ca_file = path;
    JM_CHECK (!jm_store_new ("rediss://127.0.0.1:1", &options, &err));
    JM_CHECK_MSG (strstr (err.message, "holds no PEM certificate"), "%s", err.message);
    unlink (path);
}

//  A GET, run as calls.  Returns what jm_store_run returned.
static int
s_run_get (jm_store_t *store)
{
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_addv (calls, "GET", "jobmatch:jobs:seq", NULL);
    int rc = jm_store_run (store, calls);
    jm_store_calls_destroy (&calls);
    return rc;
}

JM_TEST (store_requirepass_is_an_outage_without_the_password)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    //  the test's own connection stays logged in as the default user
    free (jm_test_redis_command (redis, "CONFIG", "SET", "requirepass", "pw d@x", NULL));
    jm_store_options_t options = jm_test_store_options ();

    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (!jm_store_connected (store));
    JM_CHECK_INT (s_run_get (store), -1);
    jm_store_lookup_t item = { .job = "j", .candidate = "c", .fingerprint = "1:a" };
    JM_CHECK_INT (jm_store_lookup_start (store, &item, 1), -1);
    const char *set [] = { "SET", "jobmatch:k", "v" };
    JM_CHECK_INT (jm_store_append (store, 3, set, NULL), 0);
    usleep (60 * 1000);
    JM_CHECK_INT (jm_store_flush (store), -1);
    JM_CHECK_INT (jm_store_pending (store), 1);
    jm_store_destroy (&store);

    options.password = "wrong";
    store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (!jm_store_connected (store));
    jm_store_destroy (&store);

    options.password = "pw d@x";
    store = jm_store_new (jm_test_redis_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_connected (store));
    JM_CHECK_INT (s_run_get (store), 0);
    jm_store_destroy (&store);

    //  The URL's password, percent-encoded, wins over the option's
    char url [300];
    snprintf (url, sizeof url, "unix://:pw%%20d%%40x@%s", jm_test_redis_url (redis) + 7);
    options.password = "wrong";
    store = jm_store_new (url, &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_connected (store));
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_acl_user_short_of_a_permission_is_an_outage)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    free (jm_test_redis_command (redis, "ACL", "SETUSER", "reader", "on", ">rpw", "~jobmatch:*",
                                 "+get", "+ping", NULL));
    char url [300];
    snprintf (url, sizeof url, "unix://reader:rpw@%s", jm_test_redis_url (redis) + 7);
    jm_store_options_t options = jm_test_store_options ();
    jm_store_t *store = jm_store_new (url, &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_connected (store));
    JM_CHECK_INT (s_run_get (store), 0);

    //  NOPERM on a write: kept pending, Redis unavailable to us
    const char *set [] = { "SET", "jobmatch:k", "v" };
    JM_CHECK_INT (jm_store_append (store, 3, set, NULL), 0);
    JM_CHECK_INT (jm_store_flush (store), -1);
    JM_CHECK_INT (jm_store_pending (store), 1);
    JM_CHECK (!jm_store_connected (store));

    //  NOPERM on a read: -1, never an empty answer
    usleep (60 * 1000);
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_addv (calls, "SMEMBERS", "jobmatch:jobs", NULL);
    JM_CHECK_INT (jm_store_run (store, calls), -1);
    JM_CHECK (!jm_store_calls_reply (calls, 0));
    jm_store_calls_destroy (&calls);

    //  Once granted, the kept write goes through
    free (jm_test_redis_command (redis, "ACL", "SETUSER", "reader", "+set", NULL));
    for (int i = 0; i < 50 && jm_store_tick (store); i++)
        usleep (20 * 1000);
    JM_CHECK_INT (jm_store_pending (store), 0);
    char *value = jm_test_redis_command (redis, "GET", "jobmatch:k", NULL);
    JM_CHECK_STR (value, "v");
    free (value);
    jm_store_destroy (&store);

    //  A wrong password for the user (WRONGPASS)
    snprintf (url, sizeof url, "unix://reader:nope@%s", jm_test_redis_url (redis) + 7);
    store = jm_store_new (url, &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (!jm_store_connected (store));
    JM_CHECK_INT (s_run_get (store), -1);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (store_password_from_file_or_environment)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    free (jm_test_redis_command (redis, "CONFIG", "SET", "requirepass", "from-somewhere", NULL));
    static const jm_config_option_t table [] = {
        { "redis", JM_CONFIG_STRING, "", 0, 0, "url" },
        { "redis-url", JM_CONFIG_STRING, "", 0, 0, "url" },
        JM_STORE_CONFIG_OPTIONS,
        { NULL }
    };
    jm_store_options_t options = jm_test_store_options ();
    jm_config_t *config = jm_config_new ("test", NULL, table);
    JM_REQUIRE (jm_config_set (config, "redis", jm_test_redis_url (redis), NULL) == 0);

    unsetenv ("JOBMATCH_REDIS_PASSWORD");
    jm_store_t *store = jm_store_new_from_config (config, &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (!jm_store_connected (store));
    jm_store_destroy (&store);

    setenv ("JOBMATCH_REDIS_PASSWORD", "from-somewhere", 1);
    store = jm_store_new_from_config (config, &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_connected (store));
    jm_store_destroy (&store);
    unsetenv ("JOBMATCH_REDIS_PASSWORD");

    char path [] = "/tmp/jm-password-XXXXXX";
    int fd = mkstemp (path);
    JM_REQUIRE (fd >= 0);
    JM_CHECK (write (fd, "from-somewhere\r\nsecond line\n", 28) == 28);
    close (fd);
    JM_REQUIRE (jm_config_set (config, "redis-password-file", path, NULL) == 0);
    store = jm_store_new_from_config (config, &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_connected (store));
    jm_store_destroy (&store);
    unlink (path);

    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK (!jm_store_new_from_config (config, &options, &err));
    JM_CHECK_MSG (strstr (err.message, path), "%s", err.message);
    jm_config_destroy (&config);
    jm_test_redis_destroy (&redis);
}

//  A 300 KB value each way through the TLS bridge.  Returns 0 when it came
//  back whole.
static int
s_tls_round_trip (jm_store_t *store)
{
    static char value [300000];
    memset (value, 'v', sizeof value - 1);
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_addv (calls, "SET", "jobmatch:big", value, NULL);
    jm_store_calls_addv (calls, "GET", "jobmatch:big", NULL);
    int rc = jm_store_run (store, calls);
    const jm_reply_t *got = jm_store_calls_reply (calls, 1);
    if (rc == 0 && (!got || got->len != sizeof value - 1 || memcmp (got->str, value, got->len)))
        rc = -1;
    jm_store_calls_destroy (&calls);
    return rc;
}

JM_TEST (store_tls_round_trips_reconnects_and_verifies)
{
    jm_test_redis_t *redis = jm_test_redis_start_tls ();
    JM_REQUIRE (redis);
    jm_store_options_t options = jm_test_store_options ();
    options.tls_ca_file = jm_test_redis_tls_file (redis, "ca");
    jm_store_t *store = jm_store_new (jm_test_redis_tcp_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (jm_store_connected (store));
    JM_CHECK_INT (s_tls_round_trip (store), 0);
    const char *set [] = { "SET", "jobmatch:queued", "1" };
    JM_CHECK_INT (jm_store_append (store, 3, set, NULL), 0);
    JM_CHECK_INT (jm_store_flush (store), 1);

    //  Redis restarts: lost, then back over a new TLS connection
    JM_REQUIRE (jm_test_redis_restart (redis) == 0);
    JM_CHECK_INT (jm_store_append (store, 3, set, NULL), 0);
    JM_CHECK_INT (jm_store_flush (store), -1);
    JM_CHECK (!jm_store_connected (store));
    for (int i = 0; i < 100 && jm_store_tick (store); i++)
        usleep (20 * 1000);
    JM_CHECK_INT (jm_store_pending (store), 0);
    JM_CHECK_INT (s_tls_round_trip (store), 0);
    char *queued = jm_test_redis_command (redis, "GET", "jobmatch:queued", NULL);
    JM_CHECK_STR (queued, "1");
    free (queued);
    jm_store_destroy (&store);

    //  With a client certificate too
    options.tls_cert_file = jm_test_redis_tls_file (redis, "cert");
    options.tls_key_file = jm_test_redis_tls_file (redis, "key");
    store = jm_store_new (jm_test_redis_tcp_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK_INT (s_tls_round_trip (store), 0);
    jm_store_destroy (&store);

    //  The server's certificate checked against another CA, or another
    //  name: refused
    options = jm_test_store_options ();
    options.tls_ca_file = jm_test_redis_tls_file (redis, "cert");   //  not a CA of it
    store = jm_store_new (jm_test_redis_tcp_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (!jm_store_connected (store));
    JM_CHECK_INT (s_tls_round_trip (store), -1);
    jm_store_destroy (&store);
    options.tls_ca_file = jm_test_redis_tls_file (redis, "ca");
    options.tls_server_name = "redis.example.org";
    store = jm_store_new (jm_test_redis_tcp_url (redis), &options, NULL);
    JM_REQUIRE (store);
    JM_CHECK (!jm_store_connected (store));
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}
