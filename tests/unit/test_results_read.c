/*  Unit tests of jm_results_read, the read path both readers share,
    against a private redis-server.                                        */
#include "jm_test.h"
#include "jm_test_redis.h"
#include "jm_results_read.h"
#include "jm_store.h"
#include "jm_engine.h"
#include "jm_profile_pack.h"
#include "jm_record.h"

#include <math.h>

typedef struct {
    jm_store_t *store;
    jm_test_redis_t *redis;
    int calls;                      //  round trips run
    int flip_at;                    //  after this round trip, the job flips to ranked 2 (0: never)
    jm_keys_t *keys;
    jm_engine_t *engine;            //  the taxonomy, profiles and the job of the breakdowns
    jm_results_reader_t reader;     //  reads through the fixture's store
    jm_error_t err;
} s_fixture_t;

static int
s_run (void *arg, jm_store_calls_t *calls, jm_error_t *err)
{
    s_fixture_t *fixture = arg;
    if (jm_store_run (fixture->store, calls))
        return jm_error_set (err, JM_ERR_IO, "Redis is not available");
    if (++fixture->calls == fixture->flip_at)
        free (jm_test_redis_command (fixture->redis, "HSET", "jobmatch:job:j1", "ranked", "2", NULL));
    return 0;
}

static void
s_command (jm_test_redis_t *redis, const char *a, const char *b, const char *c, const char *d,
           const char *e)
{
    free (jm_test_redis_command (redis, a, b, c, d, e, NULL));
}

//  Runs one command of binary-safe arguments through the fixture's store.
static void
s_binary (s_fixture_t *fixture, int argc, const char **argv, const size_t *lens)
{
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_add (calls, argc, argv, lens);
    JM_CHECK_INT (jm_store_run (fixture->store, calls), 0);
    jm_store_calls_destroy (&calls);
}

//  The candidate the fixture stores under id, named name.
static jm_candidate_t *
s_candidate (s_fixture_t *fixture, const char *id, const char *name)
{
    char text [256];
    snprintf (text, sizeof text, "{\"id\":\"%s\",\"name\":\"%s\",\"skills\":[\"python\",\"sql\","
              "\"docker\"]}", id, name);
    json_t *object = json_loads (text, 0, NULL);
    jm_candidate_t *candidate = jm_engine_candidate (fixture->engine, object, NULL);
    json_decref (object);
    return candidate;
}

//  A stored result as the matcher writes it: its compact record in the
//  job's bucket hash, and the candidate's packed profile.
static void
s_result (s_fixture_t *fixture, const char *candidate, const char *version, const char *name,
          const char *required)
{
    jm_record_t record = { .score = 50, .band = JM_BAND_GOOD, .at_ms = 1 };
    char fingerprint [128], profile_hex [17], key [256];
    jm_candidate_t *scored = s_candidate (fixture, candidate, name);
    JM_REQUIRE (scored);
    jm_candidate_fingerprint_hex (scored, profile_hex);
    snprintf (fingerprint, sizeof fingerprint, "%s:0123abcd:%s:%s", version, JM_SCORER_VERSION,
              profile_hex);
    JM_REQUIRE (jm_record_set_fingerprint (&record, fingerprint, NULL) == 0);
    JM_REQUIRE (sscanf (required, "%d of %d", &record.required_met, &record.required_total) == 2);
    uint8_t bytes [JM_RECORD_MAX];
    size_t len = jm_record_encode (&record, bytes);
    jm_keys_result_bucket (fixture->keys, "j1", jm_record_bucket (candidate, JM_RECORD_BUCKETS),
                           key, sizeof key, NULL);
    const char *hset [] = { "HSET", key, candidate, (const char *) bytes };
    size_t hset_len [] = { 4, strlen (key), strlen (candidate), len };
    s_binary (fixture, 4, hset, hset_len);
    jm_buf_t packed;
    jm_buf_init (&packed);
    jm_profile_pack (scored, jm_engine_taxonomy (fixture->engine), &packed);
    jm_keys_profile (fixture->keys, candidate, key, sizeof key, NULL);
    const char *set [] = { "SET", key, packed.data };
    size_t set_len [] = { 3, strlen (key), packed.len };
    s_binary (fixture, 3, set, set_len);
    jm_buf_free (&packed);
    jm_candidate_destroy (&scored);
}

//  The text of a built-in job, as the job hash keeps it.
static char *
s_job_text (const char *id)
{
    char path [512];
    snprintf (path, sizeof path, "%s/jobs/%s.json", jm_test_data_dir (), id);
    json_t *job = json_load_file (path, 0, NULL);
    char *text = job ? json_dumps (job, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref (job);
    return text;
}

//  Job j1 at version 2, ranked 1: five candidates, two with equal scores,
//  one whose stored result is already of version 2.
static void
s_setup (s_fixture_t *fixture)
{
    jm_test_redis_t *redis = fixture->redis;
    char *v1 = s_job_text ("backend-developer"), *v2 = s_job_text ("database-administrator");
    JM_REQUIRE (v1 && v2);
    s_command (redis, "HSET", "jobmatch:job:j1", "json", v2, NULL);
    s_command (redis, "HSET", "jobmatch:job:j1", "v:1", v1, NULL);
    free (v1);
    free (v2);
    free (jm_test_redis_command (redis, "HSET", "jobmatch:job:j1", "version", "2", "ranked", "1",
                                 "rescore_version", "2", "rescore_done", "9", "rescore_total", "5",
                                 NULL));
    s_command (redis, "SADD", "jobmatch:jobs", "j1", NULL, NULL);
    free (jm_test_redis_command (redis, "ZADD", "jobmatch:rank:j1:1", "91.5", "ann", "70", "bob",
                                 "70", "cid", "40", "dan", "10", "eve", NULL));
    free (jm_test_redis_command (redis, "ZADD", "jobmatch:rank:j1:2", "99", "zed", NULL));
    s_command (redis, "ZADD", "jobmatch:rank:j1:1:strong", "91.5", "ann", NULL);
    s_command (redis, "ZADD", "jobmatch:rank:j1:1:good", "70", "cid", NULL);
    s_result (fixture, "ann", "1", "Ann", "3 of 3");
    s_result (fixture, "bob", "2", "Bob", "1 of 3");
    s_result (fixture, "cid", "1", "Cid", "3 of 3");
    s_result (fixture, "dan", "1", "Dan", "0 of 3");
}

//  A server holding s_setup's keys, and a reader of them.
static s_fixture_t *
s_fixture_new (void)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    fixture->redis = jm_test_redis_start (false);
    if (!fixture->redis) {
        free (fixture);
        return NULL;
    }
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.connect_timeout_ms = 500;
    options.command_timeout_ms = 500;
    fixture->store = jm_store_new (jm_test_redis_url (fixture->redis), &options, NULL);
    fixture->keys = jm_keys_new (NULL, NULL);
    fixture->engine = jm_engine_new (jm_test_data_dir (), NULL);
    fixture->reader = (jm_results_reader_t) { fixture->keys, s_run, fixture, NULL,
                                              jm_engine_taxonomy (fixture->engine) };
    jm_error_clear (&fixture->err);
    s_setup (fixture);
    return fixture;
}

static void
s_fixture_destroy (s_fixture_t **fixture_p)
{
    jm_keys_destroy (&(*fixture_p)->keys);
    jm_engine_destroy (&(*fixture_p)->engine);
    jm_store_destroy (&(*fixture_p)->store);
    jm_test_redis_destroy (&(*fixture_p)->redis);
    free (*fixture_p);
    *fixture_p = NULL;
}

JM_TEST (results_read_state_and_result)
{
    s_fixture_t *fixture = s_fixture_new ();
    JM_REQUIRE (fixture);
    jm_results_reader_t *reader = &fixture->reader;
    jm_results_state_t state;
    jm_error_t err = fixture->err;
    JM_CHECK_INT (jm_results_read_state (reader, "j1", &state, &err), 0);
    JM_CHECK_INT (state.version, 2);
    JM_CHECK_INT (state.ranked, 1);
    JM_CHECK_STR (state.ranked_text, "1");
    JM_CHECK_INT (state.rescore_done, 5);           //  never more than the total
    JM_CHECK_INT (jm_results_read_state (reader, "nope", &state, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_UNKNOWN_JOB);
    jm_error_clear (&err);
    JM_CHECK_INT (jm_results_read_state (reader, "", &state, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);

    char *json = NULL;
    size_t len = 0;
    jm_error_clear (&err);
    //  ann's record is of version 1, kept as v:1 (backend-developer); bob's
    //  of version 2, the current json (database-administrator): each is
    //  the breakdown scoring returned at its version, byte for byte
    const char *pairs [][3] = { { "ann", "Ann", "backend-developer" },
                                { "bob", "Bob", "database-administrator" } };
    for (size_t p = 0; p < 2; p++) {
        jm_candidate_t *candidate = s_candidate (fixture, pairs [p][0], pairs [p][1]);
        char *text = s_job_text (pairs [p][2]);
        json_t *object = json_loads (text, 0, NULL);
        jm_job_t *job = jm_job_new_from_json (object, jm_engine_taxonomy (fixture->engine), NULL);
        json_decref (object);
        free (text);
        JM_REQUIRE (candidate && job);
        jm_job_set_version (job, (int) p + 1);
        jm_result_t result;
        jm_score_explain (job, candidate, &result);
        jm_buf_t expected;
        jm_buf_init (&expected);
        jm_result_write_json (&result, job, candidate, &expected);
        JM_CHECK_INT (jm_results_read_result (reader, "j1", pairs [p][0], JM_DETAIL_FULL, &json, &len, &err), 0);
        JM_CHECK_INT (len, expected.len);
        JM_CHECK (json && len == expected.len && memcmp (json, expected.data, len) == 0);
        JM_CHECK (json && strstr (json, "\"job_version\":") != NULL);
        free (json);
        //  at summary: jm_detail_write's bytes, as scoring answers them
        jm_buf_reset (&expected);
        jm_detail_write (&result, job, candidate, JM_DETAIL_SUMMARY, &expected);
        JM_CHECK_INT (jm_results_read_result (reader, "j1", pairs [p][0], JM_DETAIL_SUMMARY, &json,
                                              &len, &err), 0);
        JM_CHECK (json && len == expected.len && memcmp (json, expected.data, len) == 0);
        free (json);
        jm_buf_free (&expected);
        jm_job_destroy (&job);
        jm_candidate_destroy (&candidate);
    }
    //  a record whose profile expired is not found, saying why
    s_command (fixture->redis, "DEL", "jobmatch:profile:cid", NULL, NULL, NULL);
    JM_CHECK_INT (jm_results_read_result (reader, "j1", "cid", JM_DETAIL_FULL, &json, &len, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_NOT_FOUND);
    JM_CHECK (strstr (err.message, "profile") != NULL);
    jm_error_clear (&err);
    JM_CHECK_INT (jm_results_read_result (reader, "j1", "eve", JM_DETAIL_FULL, &json, &len, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_NOT_FOUND);
    jm_error_clear (&err);
    JM_CHECK_INT (jm_results_read_result (reader, "nope", "ann", JM_DETAIL_FULL, &json, &len, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_UNKNOWN_JOB);
    jm_error_clear (&err);
    JM_CHECK_INT (jm_results_read_result (reader, "j1", "", JM_DETAIL_FULL, &json, &len, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
    JM_CHECK (strstr (err.message, "candidate") != NULL);
    s_fixture_destroy (&fixture);
}

JM_TEST (results_read_page_ties_bands_and_filters)
{
    s_fixture_t *fixture = s_fixture_new ();
    JM_REQUIRE (fixture);
    jm_results_reader_t *reader = &fixture->reader;
    jm_error_t err = fixture->err;
    jm_results_page_t page;
    jm_results_query_t query = { .job = "j1", .offset = 0, .limit = 10, .min_score = NAN };
    JM_REQUIRE (jm_results_read_page (reader, &query, &page, &err) == 0);
    JM_CHECK_INT (page.state.ranked, 1);
    JM_CHECK_INT (page.total, 5);
    JM_CHECK_INT (page.matching, 5);
    JM_REQUIRE (page.count == 5);
    const char *order [] = { "ann", "cid", "bob", "dan", "eve" };   //  equal scores: id descending
    const char *bands [] = { "strong", "good", "partial", "partial", "weak" };
    for (size_t i = 0; i < 5; i++) {
        JM_CHECK_STR (page.entries [i].candidate, order [i]);
        JM_CHECK_STR (page.entries [i].band, bands [i]);
        JM_CHECK_INT (page.entries [i].rank, (long long) i + 1);
    }
    JM_CHECK_STR (page.entries [0].name, "Ann");
    JM_CHECK_STR (page.entries [0].required, "3 of 3");
    JM_CHECK_STR (page.entries [2].name, "Bob");
    JM_CHECK (page.entries [2].required == NULL);   //  its result is of version 2 already
    JM_CHECK (page.entries [4].name == NULL);       //  no stored result
    JM_CHECK (page.entries [4].required == NULL);
    JM_CHECK (fabs (page.entries [0].score - 91.5) < 1e-9);
    jm_results_page_free (&page);

    //  offset and limit, then filters
    query.offset = 1;
    query.limit = 2;
    JM_REQUIRE (jm_results_read_page (reader, &query, &page, &err) == 0);
    JM_REQUIRE (page.count == 2);
    JM_CHECK_STR (page.entries [0].candidate, "cid");
    JM_CHECK_INT (page.entries [0].rank, 2);
    jm_results_page_free (&page);
    query = (jm_results_query_t) { .job = "j1", .limit = 10, .min_score = 50 };
    JM_REQUIRE (jm_results_read_page (reader, &query, &page, &err) == 0);
    JM_CHECK_INT (page.matching, 3);
    JM_CHECK_INT (page.total, 5);
    jm_results_page_free (&page);
    query = (jm_results_query_t) { .job = "j1", .limit = 10, .min_score = NAN, .band = "good" };
    JM_REQUIRE (jm_results_read_page (reader, &query, &page, &err) == 0);
    JM_CHECK_INT (page.matching, 1);
    JM_REQUIRE (page.count == 1);
    JM_CHECK_STR (page.entries [0].candidate, "cid");
    jm_results_page_free (&page);
    s_fixture_destroy (&fixture);
}

JM_TEST (results_read_page_reads_again_after_a_flip)
{
    s_fixture_t *fixture = s_fixture_new ();
    JM_REQUIRE (fixture);
    jm_results_reader_t *reader = &fixture->reader;
    fixture->flip_at = 1;           //  the ranking flips right after the state is read
    jm_error_t err = fixture->err;
    jm_results_page_t page;
    jm_results_query_t query = { .job = "j1", .limit = 10, .min_score = NAN };
    JM_REQUIRE (jm_results_read_page (reader, &query, &page, &err) == 0);
    JM_CHECK_INT (page.state.ranked, 2);
    JM_CHECK_INT (page.total, 1);
    JM_REQUIRE (page.count == 1);
    JM_CHECK_STR (page.entries [0].candidate, "zed");
    jm_results_page_free (&page);

    //  a right guess reads state and page in one round trip, a wrong one
    //  reads them again
    fixture->calls = 0;
    query.guess = 2;
    JM_REQUIRE (jm_results_read_page (reader, &query, &page, &err) == 0);
    JM_CHECK_INT (fixture->calls, 2);
    JM_CHECK_INT (page.total, 1);
    jm_results_page_free (&page);
    fixture->calls = 0;
    query.guess = 1;
    JM_REQUIRE (jm_results_read_page (reader, &query, &page, &err) == 0);
    JM_CHECK_INT (fixture->calls, 4);
    JM_CHECK_INT (page.state.ranked, 2);
    JM_REQUIRE (page.count == 1);
    JM_CHECK_STR (page.entries [0].candidate, "zed");
    jm_results_page_free (&page);
    query.guess = 0;

    //  a version asked for is read as is
    query.version = 1;
    JM_REQUIRE (jm_results_read_page (reader, &query, &page, &err) == 0);
    JM_CHECK_INT (page.state.ranked, 1);
    JM_CHECK_INT (page.total, 5);
    jm_results_page_free (&page);
    s_fixture_destroy (&fixture);
}

static void
s_found (void *arg, size_t index, const char *json, size_t len)
{
    char *seen = arg;
    seen [index] = '1';
}

JM_TEST (results_read_candidate_and_io_errors)
{
    s_fixture_t *fixture = s_fixture_new ();
    JM_REQUIRE (fixture);
    jm_results_reader_t *reader = &fixture->reader;
    jm_error_t err = fixture->err;
    const char *jobs [] = { "j0", "j1", "" };
    char seen [4] = "000";
    JM_CHECK_INT (jm_results_read_candidate (reader, "ann", jobs, 3, JM_DETAIL_FULL, s_found, seen, &err), 0);
    JM_CHECK_STR (seen, "010");
    JM_CHECK_INT (jm_results_read_candidate (reader, "", jobs, 3, JM_DETAIL_FULL, s_found, seen, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);

    jm_test_redis_stop (fixture->redis);
    jm_error_clear (&err);
    jm_results_page_t page;
    jm_results_query_t query = { .job = "j1", .limit = 10, .min_score = NAN };
    JM_CHECK_INT (jm_results_read_page (reader, &query, &page, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_IO);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_results_state_t state;
    jm_error_clear (&err);
    JM_CHECK_INT (jm_results_read_summary (reader, "j1", &state, &out, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_IO);
    jm_buf_free (&out);
    s_fixture_destroy (&fixture);
}

JM_TEST (results_best_orders_by_score_then_job_id)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_engine_t *engine = jm_engine_new (jm_test_data_dir (), &err);
    JM_REQUIRE (engine);
    json_t *object = json_loads ("{\"id\":\"c\",\"skills\":[\"python\",\"sql\",\"docker\"]}", 0, NULL);
    jm_candidate_t *candidate = jm_engine_candidate (engine, object, &err);
    json_decref (object);
    JM_REQUIRE (candidate);
    //  the same job under two ids ties: the smaller id first
    jm_results_best_t jobs [] = {
        { "z", jm_engine_job (engine, "database-administrator") },
        { "b", jm_engine_job (engine, "backend-developer") },
        { "a", jm_engine_job (engine, "backend-developer") },
    };
    JM_REQUIRE (jobs [0].job && jobs [1].job);
    jm_results_best (jobs, 3, candidate);
    //  each the score scoring gives
    for (size_t i = 0; i < 3; i++)
        JM_CHECK_NEAR (jobs [i].score, jm_score_fast (jobs [i].job, candidate), 1e-12);
    for (size_t i = 1; i < 3; i++)
        JM_CHECK (jobs [i - 1].score >= jobs [i].score);
    for (size_t i = 1; i < 3; i++)
        if (jobs [i - 1].score == jobs [i].score)
            JM_CHECK (strcmp (jobs [i - 1].id, jobs [i].id) < 0);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < 3; i++) {
        a = strcmp (jobs [i].id, "a") == 0 ? i : a;
        b = strcmp (jobs [i].id, "b") == 0 ? i : b;
    }
    JM_CHECK (a + 1 == b);
    jm_candidate_destroy (&candidate);
    jm_engine_destroy (&engine);
}
