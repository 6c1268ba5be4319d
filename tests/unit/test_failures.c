/*  Tests for jm_failures: newest first, the oldest overwritten when full,
    text cleaned and cut to its field, and the JSON form.                 */
#include "jm_test.h"
#include "jm_failures.h"

static void
s_add (jm_failures_t *ring, int64_t time_ms, const char *service, const char *code)
{
    jm_failures_add (ring, time_ms, service, strlen (service), code, 1, "00801e4a2b", "gateway");
}

//  Field name of the entry index places from the newest, as the ring's
//  JSON says it ("" when there is none).
static const char *
s_field (json_t *entries, size_t index, const char *name)
{
    const char *text = json_string_value (json_object_get (json_array_get (entries, index), name));
    return text ? text : "";
}

JM_TEST (failures_newest_first_and_bounded)
{
    jm_failures_t *ring = jm_failures_new (3);
    json_t *entries = jm_failures_json (ring, 10, 0);
    JM_CHECK_INT (json_array_size (entries), 0);
    json_decref (entries);
    for (int index = 1; index <= 5; index++) {
        char service [16];
        snprintf (service, sizeof service, "svc%d", index);
        s_add (ring, 1000 * index, service, "busy");
    }
    JM_CHECK_INT (jm_failures_total (ring), 5);
    entries = jm_failures_json (ring, 10, 0);
    JM_CHECK_INT (json_array_size (entries), 3);
    JM_CHECK_STR (s_field (entries, 0, "service"), "svc5");
    JM_CHECK_STR (s_field (entries, 1, "service"), "svc4");
    JM_CHECK_STR (s_field (entries, 2, "service"), "svc3");
    json_decref (entries);
    jm_failures_destroy (&ring);
    JM_CHECK (ring == NULL);
    jm_failures_destroy (&ring);            //  NULL is fine
}

JM_TEST (failures_text_cleaned_and_cut)
{
    jm_failures_t *ring = jm_failures_new (2);
    //  bytes outside printable ASCII become '?'; the service's size bounds it
    char client [40];
    memset (client, 'f', sizeof client - 1);
    client [sizeof client - 1] = 0;
    jm_failures_add (ring, 0, "a\x01\xc3\xa9zIGNORED", 5, "worker_lost", 2, client, NULL);
    json_t *entries = jm_failures_json (ring, 10, 0);
    JM_CHECK_STR (s_field (entries, 0, "service"), "a???z");
    JM_CHECK_STR (s_field (entries, 0, "code"), "worker_lost");
    JM_CHECK_INT (json_integer_value (json_object_get (json_array_get (entries, 0), "attempts")), 2);
    JM_CHECK_INT (strlen (s_field (entries, 0, "client")), JM_FAILURE_CLIENT_SIZE - 1);
    JM_CHECK_STR (s_field (entries, 0, "source"), "");
    json_decref (entries);
    jm_failures_destroy (&ring);
}

JM_TEST (failures_json_newest_first_with_limit)
{
    jm_failures_t *ring = jm_failures_new (10);
    s_add (ring, 1765133400123, "jobmatch.match", "busy");
    s_add (ring, 1765133401000, "jobmatch.jobs", "no_workers");
    json_t *all = jm_failures_json (ring, 10, 1765133402000);
    JM_REQUIRE (json_array_size (all) == 2);
    json_t *newest = json_array_get (all, 0);
    JM_CHECK_STR (json_string_value (json_object_get (newest, "code")), "no_workers");
    JM_CHECK_INT (json_integer_value (json_object_get (newest, "age_ms")), 1000);
    json_t *oldest = json_array_get (all, 1);
    JM_CHECK_STR (json_string_value (json_object_get (oldest, "time")),
                  "2025-12-07T18:50:00.123Z");
    JM_CHECK_STR (json_string_value (json_object_get (oldest, "service")), "jobmatch.match");
    JM_CHECK_STR (json_string_value (json_object_get (oldest, "client")), "00801e4a2b");
    JM_CHECK_INT (json_integer_value (json_object_get (oldest, "attempts")), 1);
    json_decref (all);
    json_t *one = jm_failures_json (ring, 1, 0);
    JM_CHECK_INT (json_array_size (one), 1);
    //  a clock that went back gives age 0, not a negative age
    JM_CHECK_INT (json_integer_value (json_object_get (json_array_get (one, 0), "age_ms")), 0);
    json_decref (one);
    jm_failures_destroy (&ring);
}

JM_TEST (failures_reply_code_reads_error_replies_only)
{
    struct { const char *body; bool error; const char *code; } cases [] = {
        { "{\"ok\":true,\"results\":[]}", false, NULL },
        { "{\"ok\": true}", false, NULL },
        { "{\"ok\":false,\"error\":{\"code\":\"unknown_job\",\"message\":\"x\"}}", true,
          "unknown_job" },
        { " { \"ok\" : false , \"error\" : { \"code\" : \"busy\" } }", true, "busy" },
        { "{\"ok\":false}", true, "?" },
        { "{\"ok\":false,\"error\":{\"message\":\"m\",\"code\":\"busy\"}}", true, "?" },
        { "{\"ok\":false,\"error\":{\"code\":\"Bad Code\"}}", true, "?" },
        { "{\"ok\":false,\"error\":{\"code\":\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "\"}}",
          true, "?" },                                  //  longer than the field
        { "{\"ok\":false,\"error\":{\"code\":\"cut", true, "?" },
        { "{\"error\":{\"code\":\"busy\"},\"ok\":false}", false, NULL },
        { "not json", false, NULL }, { "", false, NULL }, { "{\"ok\":fals", false, NULL },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        char code [JM_FAILURE_CODE_SIZE] = "";
        bool error = jm_failures_reply_code (cases [index].body, strlen (cases [index].body),
                                             code, sizeof code);
        JM_CHECK_MSG (error == cases [index].error, "%s: got %d", cases [index].body, error);
        if (error && cases [index].error)
            JM_CHECK_STR (code, cases [index].code);
    }
    //  only the first bytes are read: a code past them is not looked for
    char body [600];
    snprintf (body, sizeof body, "{\"ok\":false,%*s\"error\":{\"code\":\"busy\"}}", 300, "");
    char code [JM_FAILURE_CODE_SIZE];
    JM_CHECK (jm_failures_reply_code (body, strlen (body), code, sizeof code));
    JM_CHECK_STR (code, "?");
}

JM_TEST (failures_request_parse)
{
    struct { const char *body; int rc; size_t wanted; const char *message; } cases [] = {
        { "", 0, 100, NULL }, { "{}", 0, 100, NULL }, { "{\"failures\": 7}", 0, 7, NULL },
        { "{\"failures\": 0}", 0, 0, NULL }, { " {\"failures\":100} ", 0, 100, NULL },
        { "{\"failures\": 101}", -1, 0, "\"failures\" must be an integer from 0 to 100" },
        { "{\"failures\": -1}", -1, 0, "\"failures\" must be an integer" },
        { "{\"failures\": 2.0}", -1, 0, "\"failures\" must be an integer" },
        { "{\"failures\": 1, \"failures\": 2}", -1, 0, "not JSON" },
        { "{\"workers\": true}", -1, 0, "unknown member \"workers\"" },
        { "[1]", -1, 0, "must be empty or a JSON object" },
        { "secret-candidate-text", -1, 0, "not JSON" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        jm_error_t err;
        jm_error_clear (&err);
        size_t wanted = 999;
        int rc = jm_failures_request_parse (cases [index].body, strlen (cases [index].body), 100,
                                            &wanted, &err);
        JM_CHECK_MSG (rc == cases [index].rc, "%s: rc %d", cases [index].body, rc);
        if (rc == 0)
            JM_CHECK_INT (wanted, cases [index].wanted);
        else {
            JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
            JM_CHECK_MSG (strstr (err.message, cases [index].message), "%s: %s",
                          cases [index].body, err.message);
            JM_CHECK_MSG (!strstr (err.message, "secret"), "quotes the body: %s", err.message);
        }
    }
    char big [2000];
    memset (big, ' ', sizeof big);
    jm_error_t err;
    jm_error_clear (&err);
    size_t wanted;
    JM_CHECK_INT (jm_failures_request_parse (big, sizeof big, 100, &wanted, &err), -1);
    JM_CHECK (strstr (err.message, "at most 1024"));
}
