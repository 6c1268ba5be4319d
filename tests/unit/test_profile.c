/*  Tests for what the job registry and re-scoring rely on outside the
    matcher: stored profiles (jm_candidate_write_profile and
    jm_candidate_new_from_profile), unknown skills of a job
    (jm_job_unknown_skills), the registry's keys (jm_keys), and the store's
    calls and Lua scripts (jm_store_run, jm_store_script) against a real
    redis-server.                                                          */
#include "jm_test.h"
#include "jm_test_redis.h"
#include "jm_engine.h"
#include "jm_keys.h"
#include "jm_profile_pack.h"
#include "jm_score.h"
#include "jm_store.h"

#include <math.h>
#include <string.h>

static jm_engine_t *
s_engine (void)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_engine_t *engine = jm_engine_new (jm_test_data_dir (), &err);
    JM_CHECK_MSG (engine, "engine: %s", err.message);
    return engine;
}

//  Round-trips one candidate through its stored profile.  Returns true when
//  the copy has the same fingerprint and scores the same for every job.
static bool
s_round_trip (jm_engine_t *engine, const char *text)
{
    json_t *object = json_loads (text, 0, NULL);
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = object ? jm_engine_candidate (engine, object, &err) : NULL;
    json_decref (object);
    JM_CHECK_MSG (candidate, "candidate %s: %s", text, err.message);
    if (!candidate)
        return false;
    jm_buf_t profile;
    jm_buf_init (&profile);
    jm_candidate_write_profile (candidate, jm_engine_taxonomy (engine), &profile);
    JM_CHECK_MSG (strstr (profile.data, "resume") == NULL || strstr (text, "resume") != NULL,
                  "profile: %s", profile.data);
    //  packed and unpacked, the stored profile is the same bytes
    jm_buf_t packed, unpacked;
    jm_buf_init (&packed);
    jm_buf_init (&unpacked);
    jm_profile_pack (candidate, jm_engine_taxonomy (engine), &packed);
    JM_CHECK (jm_profile_is_packed (packed.data, packed.len));
    JM_CHECK (packed.len < profile.len);
    JM_CHECK_MSG (jm_profile_unpack (packed.data, packed.len, &unpacked, &err) == 0,
                  "unpack: %s", err.message);
    JM_CHECK (unpacked.len == profile.len && memcmp (unpacked.data, profile.data, profile.len) == 0);
    jm_buf_free (&packed);
    jm_buf_free (&unpacked);
    jm_json_doc_t *doc = jm_json_doc_new ();
    const jm_json_t *parsed = jm_json_doc_parse (doc, profile.data, profile.len, &err);
    JM_CHECK_MSG (parsed, "profile is JSON: %s", profile.data);
    jm_candidate_t *copy = parsed ? jm_candidate_new_from_profile (parsed, jm_engine_taxonomy (engine), &err)
                                  : NULL;
    JM_CHECK_MSG (copy, "from profile: %s", err.message);
    bool same = copy && copy->fingerprint == candidate->fingerprint;
    JM_CHECK_MSG (same, "fingerprint differs after the round trip of %s", profile.data);
    for (int j = 0; copy && j < jm_engine_job_count (engine); j++) {
        const jm_job_t *job = jm_engine_job_at (engine, j);
        jm_buf_t a, b;
        jm_buf_init (&a);
        jm_buf_init (&b);
        jm_result_t result;
        jm_score_explain (job, candidate, &result);
        jm_result_write_json (&result, job, candidate, &a);
        jm_score_explain (job, copy, &result);
        jm_result_write_json (&result, job, copy, &b);
        JM_CHECK_STR (b.data, a.data);
        same = same && strcmp (a.data, b.data) == 0;
        jm_buf_free (&a);
        jm_buf_free (&b);
    }
    jm_json_doc_destroy (&doc);
    jm_buf_free (&profile);
    jm_candidate_destroy (&candidate);
    jm_candidate_destroy (&copy);
    return same;
}

JM_TEST (profile_round_trip_scores_the_same)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    JM_CHECK (s_round_trip (engine,
        "{\"id\": \"p1\", \"name\": \"Ada \\\"Lovelace\\\" \\u00e9\", \"years_experience\": 7.25,"
        " \"skills\": [{\"name\": \"Python 3\", \"level\": 4, \"years\": 5.5, \"last_used\": 2024},"
        "             \"Kubernets\", {\"name\": \"Postgres\", \"level\": 2}, \"Zorblax\", \"k8s\"]}"));
    //  skills found only in the resume, and a typo
    JM_CHECK (s_round_trip (engine,
        "{\"id\": \"p2\", \"skills\": [\"Djangoo\"],"
        " \"resume\": \"Built REST APIs in Java with Spring Boot on PostgreSQL and Docker.\"}"));
    JM_CHECK (s_round_trip (engine, "{\"id\": \"p3\", \"skills\": []}"));
    jm_engine_destroy (&engine);
}

JM_TEST (profile_keeps_no_resume_text)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    json_t *object = json_loads ("{\"id\": \"r\", \"skills\": [\"Go\"], \"resume\": "
                                 "\"secret words about Java and my address\"}", 0, NULL);
    jm_candidate_t *candidate = jm_engine_candidate (engine, object, NULL);
    JM_REQUIRE (candidate);
    jm_buf_t profile;
    jm_buf_init (&profile);
    jm_candidate_write_profile (candidate, jm_engine_taxonomy (engine), &profile);
    JM_CHECK_MSG (!strstr (profile.data, "secret") && !strstr (profile.data, "address"),
                  "profile holds resume text: %s", profile.data);
    JM_CHECK_MSG (strstr (profile.data, "\"from_resume\":true") != NULL, "java from the resume: %s",
                  profile.data);
    jm_buf_free (&profile);
    jm_candidate_destroy (&candidate);
    json_decref (object);
    jm_engine_destroy (&engine);
}

JM_TEST (profile_malformed_is_an_error_naming_the_field)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    const char *cases [][2] = {
        { "{\"skills\": []}", "id" },
        { "{\"id\": \"x\", \"skills\": 5}", "skills" },
        { "{\"id\": \"x\", \"skills\": [{\"id\": \"python\", \"level\": \"high\"}]}", "level" },
        { "{\"id\": \"x\", \"skills\": [{\"name\": \"Python\"}]}", "id" },
    };
    jm_json_doc_t *doc = jm_json_doc_new ();
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        const jm_json_t *object = jm_json_doc_parse (doc, cases [i][0], strlen (cases [i][0]), &err);
        JM_REQUIRE (object);
        jm_candidate_t *candidate = jm_candidate_new_from_profile (object, jm_engine_taxonomy (engine), &err);
        JM_CHECK_MSG (!candidate, "accepted %s", cases [i][0]);
        JM_CHECK_MSG (strstr (err.message, cases [i][1]) != NULL, "%s: message '%s' does not name %s",
                      cases [i][0], err.message, cases [i][1]);
        jm_candidate_destroy (&candidate);
    }
    //  a skill id the taxonomy does not know becomes an unknown skill
    const char *text = "{\"id\": \"x\", \"skills\": [{\"id\": \"no-such-skill\", \"name\": \"Nope\"}]}";
    const jm_json_t *object = jm_json_doc_parse (doc, text, strlen (text), NULL);
    jm_candidate_t *candidate = jm_candidate_new_from_profile (object, jm_engine_taxonomy (engine), NULL);
    JM_CHECK (candidate && candidate->skill_count == 0 && candidate->unknown_count == 1);
    jm_candidate_destroy (&candidate);
    jm_json_doc_destroy (&doc);
    jm_engine_destroy (&engine);
}

//  The candidate a JSON text makes, or NULL
static jm_candidate_t *
s_candidate (jm_engine_t *engine, const char *text)
{
    json_t *object = json_loads (text, 0, NULL);
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = object ? jm_engine_candidate (engine, object, &err) : NULL;
    JM_CHECK_MSG (candidate, "candidate %s: %s", text, err.message);
    json_decref (object);
    return candidate;
}

//  The candidate a stored profile text makes, or NULL with err set
static jm_candidate_t *
s_from_profile (jm_engine_t *engine, const char *text, size_t len, jm_error_t *err)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    const jm_json_t *parsed = jm_json_doc_parse (doc, text, len, err);
    jm_candidate_t *copy = parsed ? jm_candidate_new_from_profile (parsed, jm_engine_taxonomy (engine), err)
                                  : NULL;
    jm_json_doc_destroy (&doc);
    return copy;
}

JM_TEST (profile_round_trip_keeps_ignored_skills)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    const char *text = "{\"id\": \"ig\", \"skills\": [\"Django\"], \"resume\":"
        " \"I have no experience with PHP. I want to learn Kubernetes. Built APIs in Python.\"}";
    jm_candidate_t *candidate = s_candidate (engine, text);
    JM_REQUIRE (candidate);
    JM_REQUIRE (candidate->ignored_count == 2);
    JM_CHECK_STR (jm_taxonomy_skill (taxonomy, candidate->ignored [0].skill)->id, "php");
    JM_CHECK_INT (candidate->ignored [0].claim, JM_CLAIM_NEGATED);
    JM_CHECK_INT (candidate->ignored [0].reason, JM_REASON_NEGATION);
    JM_CHECK_STR (jm_taxonomy_skill (taxonomy, candidate->ignored [1].skill)->id, "kubernetes");
    JM_CHECK_INT (candidate->ignored [1].claim, JM_CLAIM_INTENDED);
    JM_CHECK (s_round_trip (engine, text));
    //  the stored profile names them; the copy has them in the same order
    jm_buf_t profile;
    jm_buf_init (&profile);
    jm_candidate_write_profile (candidate, taxonomy, &profile);
    JM_CHECK_MSG (strstr (profile.data, "\"ignored\":[{\"id\":\"php\",\"status\":\"negated\","
                                        "\"reason\":\"negation\"},{\"id\":\"kubernetes\","
                                        "\"status\":\"intended\",\"reason\":\"intent\"}]") != NULL,
                  "profile: %s", profile.data);
    jm_candidate_t *copy = s_from_profile (engine, profile.data, profile.len, NULL);
    JM_REQUIRE (copy);
    JM_CHECK_INT (copy->ignored_count, 2);
    for (int i = 0; i < copy->ignored_count && i < 2; i++) {
        JM_CHECK_INT (copy->ignored [i].skill, candidate->ignored [i].skill);
        JM_CHECK_INT (copy->ignored [i].claim, candidate->ignored [i].claim);
        JM_CHECK_INT (copy->ignored [i].reason, candidate->ignored [i].reason);
    }
    JM_CHECK (copy->fingerprint == candidate->fingerprint);
    jm_candidate_destroy (&copy);
    jm_buf_free (&profile);
    //  the ignored skills are part of the fingerprint: explanations print them
    jm_candidate_t *plain = s_candidate (engine,
        "{\"id\": \"ig\", \"skills\": [\"Django\"], \"resume\": \"Built APIs in Python.\"}");
    JM_REQUIRE (plain);
    JM_CHECK_INT (plain->ignored_count, 0);
    JM_CHECK (plain->fingerprint != candidate->fingerprint);
    jm_buf_init (&profile);
    jm_candidate_write_profile (plain, taxonomy, &profile);
    JM_CHECK_MSG (!strstr (profile.data, "ignored"), "profile: %s", profile.data);
    jm_buf_free (&profile);
    jm_candidate_destroy (&plain);
    jm_candidate_destroy (&candidate);
    jm_engine_destroy (&engine);
}

JM_TEST (profile_malformed_ignored_names_the_field)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    const char *cases [][2] = {
        { "{\"id\": \"x\", \"ignored\": 5}", "ignored is malformed" },
        { "{\"id\": \"x\", \"ignored\": [7]}", "ignored[0].id" },
        { "{\"id\": \"x\", \"ignored\": [{\"status\": \"negated\", \"reason\": \"negation\"}]}",
          "ignored[0].id" },
        { "{\"id\": \"x\", \"ignored\": [{\"id\": \"php\", \"status\": \"negated\", \"reason\": \"negation\"},"
          " {\"id\": \"java\", \"status\": \"held\", \"reason\": \"negation\"}]}", "ignored[1].status" },
        { "{\"id\": \"x\", \"ignored\": [{\"id\": \"php\", \"status\": 3, \"reason\": \"negation\"}]}",
          "ignored[0].status" },
        { "{\"id\": \"x\", \"ignored\": [{\"id\": \"php\", \"status\": \"negated\", \"reason\": \"vibes\"}]}",
          "ignored[0].reason" },
        { "{\"id\": \"x\", \"ignored\": [{\"id\": \"php\", \"status\": \"negated\", \"reason\": \"none\"}]}",
          "ignored[0].reason" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        jm_candidate_t *candidate = s_from_profile (engine, cases [i][0], strlen (cases [i][0]), &err);
        JM_CHECK_MSG (!candidate, "accepted %s", cases [i][0]);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_DATA);
        JM_CHECK_MSG (strstr (err.message, cases [i][1]) != NULL, "%s: message '%s' does not name %s",
                      cases [i][0], err.message, cases [i][1]);
        jm_candidate_destroy (&candidate);
    }
    //  a skill the taxonomy no longer knows is dropped
    const char *text = "{\"id\": \"x\", \"ignored\": [{\"id\": \"no-such-skill\", \"status\": \"negated\","
                       " \"reason\": \"negation\"}, {\"id\": \"php\", \"status\": \"others\","
                       " \"reason\": \"someone_else\"}]}";
    jm_candidate_t *candidate = s_from_profile (engine, text, strlen (text), NULL);
    JM_CHECK (candidate && candidate->ignored_count == 1 && candidate->ignored [0].claim == JM_CLAIM_OTHERS);
    jm_candidate_destroy (&candidate);
    jm_engine_destroy (&engine);
}

JM_TEST (job_unknown_skills_with_suggestions)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    json_t *job = json_loads ("{\"id\": \"j\", \"title\": \"t\", \"requirements\": ["
                              "{\"skill\": \"Kubernets\"}, {\"skill\": \"Postgres\"},"
                              "{\"any_of\": [\"Java\", \"Zorblax\"]}, {\"skill\": \"python\"}]}", 0, NULL);
    JM_REQUIRE (job);
    json_t *unknown = jm_job_unknown_skills (job, jm_engine_taxonomy (engine));
    char *text = json_dumps (unknown, JSON_COMPACT);
    JM_CHECK_STR (text, "[{\"input\":\"Kubernets\",\"suggestion\":\"kubernetes\"},"
                        "{\"input\":\"Zorblax\",\"suggestion\":null}]");
    free (text);
    json_decref (unknown);
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK (!jm_job_new_from_json (job, jm_engine_taxonomy (engine), &err));
    JM_CHECK_STR (err.code, JM_ERR_UNKNOWN_SKILL);
    json_decref (job);
    jm_engine_destroy (&engine);
}

JM_TEST (keys_for_the_registry)
{
    jm_keys_t *keys = jm_keys_new ("ns", NULL);
    JM_REQUIRE (keys);
    char key [JM_KEYS_MAX];
    JM_CHECK (jm_keys_job (keys, "a:b", key, sizeof key, NULL) > 0);
    JM_CHECK_STR (key, "ns:job:a%3Ab");
    JM_CHECK (jm_keys_rank_band (keys, "j", "3", "good", key, sizeof key, NULL) > 0);
    JM_CHECK_STR (key, "ns:rank:j:3:good");
    JM_CHECK (jm_keys_rank_prefix (keys, "j*", key, sizeof key, NULL) > 0);
    JM_CHECK_STR (key, "ns:rank:j%2A:");
    JM_CHECK (jm_keys_rescore_claims (keys, "j", "4", key, sizeof key, NULL) > 0);
    JM_CHECK_STR (key, "ns:rescore:j:4:claims");
    JM_CHECK (jm_keys_rescore_prefix (keys, "j", key, sizeof key, NULL) > 0);
    JM_CHECK_STR (key, "ns:rescore:j:");
    JM_CHECK (jm_keys_jobs_seq (keys, key, sizeof key, NULL) > 0);
    JM_CHECK_STR (key, "ns:jobs:seq");
    JM_CHECK (jm_keys_jobs_seeded (keys, key, sizeof key, NULL) > 0);
    JM_CHECK_STR (key, "ns:jobs:seeded");
    JM_CHECK (jm_keys_profile (keys, "c 1", key, sizeof key, NULL) > 0);
    JM_CHECK_STR (key, "ns:profile:c%201");
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK (jm_keys_rank_band (keys, "j", "3", "Good!", key, sizeof key, &err) < 0);
    //  where each band is read: strong and good from their sets, partial
    //  and weak as score ranges of the ranking, with a minimum score or not
    jm_keys_range_t range;
    JM_CHECK_INT (jm_keys_rank_range (keys, "j", "3", NULL, NAN, &range, NULL), 0);
    JM_CHECK_STR (range.key, "ns:rank:j:3");
    JM_CHECK_STR (range.min, "-inf");
    JM_CHECK_STR (range.max, "+inf");
    JM_CHECK (range.whole);
    JM_CHECK_INT (jm_keys_rank_range (keys, "j", "3", "good", NAN, &range, NULL), 0);
    JM_CHECK_STR (range.key, "ns:rank:j:3:good");
    JM_CHECK (range.whole);
    JM_CHECK_INT (jm_keys_rank_range (keys, "j", "3", "strong", 85, &range, NULL), 0);
    JM_CHECK_STR (range.key, "ns:rank:j:3:strong");
    JM_CHECK_STR (range.min, "85");
    JM_CHECK (!range.whole);
    JM_CHECK_INT (jm_keys_rank_range (keys, "j", "3", "partial", NAN, &range, NULL), 0);
    JM_CHECK_STR (range.key, "ns:rank:j:3");
    JM_CHECK_STR (range.min, "40");
    JM_CHECK_STR (range.max, "(60");
    JM_CHECK (!range.whole);
    JM_CHECK_INT (jm_keys_rank_range (keys, "j", "3", "partial", 45.5, &range, NULL), 0);
    JM_CHECK_STR (range.min, "45.5");
    JM_CHECK_INT (jm_keys_rank_range (keys, "j", "3", "partial", 10, &range, NULL), 0);
    JM_CHECK_STR (range.min, "40");
    JM_CHECK_INT (jm_keys_rank_range (keys, "j", "3", "weak", NAN, &range, NULL), 0);
    JM_CHECK_STR (range.min, "-inf");
    JM_CHECK_STR (range.max, "(40");
    jm_error_clear (&err);
    JM_CHECK_INT (jm_keys_rank_range (keys, "j", "3", "great", NAN, &range, &err), -1);
    JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
    JM_CHECK (jm_keys_band_has_set ("strong") && jm_keys_band_has_set ("good"));
    JM_CHECK (!jm_keys_band_has_set ("partial") && !jm_keys_band_has_set (NULL));
    //  the ranges are the engine's bands
    JM_CHECK_INT (jm_score_band (JM_BAND_GOOD_MIN - 0.1, true), JM_BAND_PARTIAL);
    JM_CHECK_INT (jm_score_band (JM_BAND_PARTIAL_MIN, true), JM_BAND_PARTIAL);
    JM_CHECK_INT (jm_score_band (JM_BAND_PARTIAL_MIN - 0.1, true), JM_BAND_WEAK);
    JM_CHECK_INT (jm_score_band (JM_BAND_STRONG_MIN, false), JM_BAND_GOOD);
    JM_CHECK_INT (jm_score_band (JM_BAND_STRONG_MIN, true), JM_BAND_STRONG);
    //  one band table: names, lookups, histogram bins
    for (int band = 0; band < JM_BAND_COUNT; band++)
        JM_CHECK_INT (jm_band_lookup (jm_band_name ((jm_band_t) band)), band);
    JM_CHECK_INT (jm_band_lookup ("great"), -1);
    JM_CHECK_INT (jm_band_lookup (NULL), -1);
    JM_CHECK_INT (jm_score_bin (NAN), 0);
    JM_CHECK_INT (jm_score_bin (9.9), 0);
    JM_CHECK_INT (jm_score_bin (10), 1);
    JM_CHECK_INT (jm_score_bin (89.9), 8);
    JM_CHECK_INT (jm_score_bin (100), JM_SCORE_BINS - 1);
    JM_CHECK (strstr (err.message, "band") != NULL);
    jm_keys_destroy (&keys);
}

JM_TEST (store_calls_and_scripts)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    jm_store_t *store = jm_store_new (jm_test_redis_url (redis), NULL, NULL);
    JM_REQUIRE (store);
    const jm_store_script_t *script = jm_store_script (store, "incr twice",
        "redis.call ('INCRBY', KEYS[1], ARGV[1]); return {redis.call ('INCRBY', KEYS[1], ARGV[1]), 'x'}");
    jm_store_calls_t *calls = jm_store_calls_new ();
    const char *argv [] = { "counter", "5" };
    size_t first = jm_store_calls_add_script (calls, script, 1, 2, argv, NULL);
    size_t get = jm_store_calls_addv (calls, "GET", "counter", NULL);
    size_t missing = jm_store_calls_addv (calls, "GET", "nothing", NULL);
    size_t wrong = jm_store_calls_addv (calls, "HGET", "counter", "f", NULL);
    long long before = jm_test_redis_calls (redis, "get");
    //  an error reply fails the run, and the replies say which
    JM_CHECK_INT (jm_store_run (store, calls), -1);
    long long value = 0;
    JM_CHECK (jm_reply_int (jm_reply_item (jm_store_calls_reply (calls, first), 0), &value) && value == 10);
    JM_CHECK_STR (jm_reply_str (jm_reply_item (jm_store_calls_reply (calls, first), 1)), "x");
    JM_CHECK (jm_reply_int (jm_store_calls_reply (calls, get), &value) && value == 10);
    JM_CHECK_INT (jm_store_calls_reply (calls, missing)->type, JM_REPLY_NIL);
    JM_CHECK (jm_reply_is_error (jm_store_calls_reply (calls, wrong)));
    JM_CHECK_INT (jm_test_redis_calls (redis, "get") - (before < 0 ? 0 : before), 2);
    //  a flushed script cache is reloaded on NOSCRIPT and the call goes through
    free (jm_test_redis_command (redis, "SCRIPT", "FLUSH", NULL));
    jm_store_calls_reset (calls);
    first = jm_store_calls_add_script (calls, script, 1, 2, argv, NULL);
    JM_CHECK_INT (jm_store_run (store, calls), 0);
    JM_CHECK (jm_reply_int (jm_reply_item (jm_store_calls_reply (calls, first), 0), &value) && value == 20);
    //  Redis gone: -1 and no replies
    jm_test_redis_stop (redis);
    JM_CHECK_INT (jm_store_run (store, calls), -1);
    JM_CHECK (jm_store_calls_reply (calls, first) == NULL);
    jm_store_calls_destroy (&calls);
    jm_store_calls_destroy (&calls);
    jm_store_destroy (&store);
    jm_test_redis_destroy (&redis);
}

JM_TEST (profile_packed_is_compact_and_refuses_hostile_bytes)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    //  15 skills, each with a level, years and a name as written
    static const char *names [] = { "Python", "Go", "Java", "PostgreSQL", "Docker", "Kubernetes",
        "Redis", "Linux", "Git", "REST API", "Django", "Spring Boot", "AWS", "MySQL", "React" };
    jm_buf_t text;
    jm_buf_init (&text);
    jm_buf_puts (&text, "{\"id\": \"cand-0000001\", \"name\": \"Candidate 1\", \"skills\": [");
    for (int i = 0; i < 15; i++)
        jm_buf_printf (&text, "%s{\"name\": \"%s\", \"level\": %d, \"years\": %d}",
                       i ? "," : "", names [i], 1 + i % 5, i % 12);
    jm_buf_puts (&text, "]}");
    json_t *object = json_loads (text.data, 0, NULL);
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = object ? jm_engine_candidate (engine, object, &err) : NULL;
    json_decref (object);
    JM_REQUIRE (candidate);
    JM_CHECK_INT (candidate->skill_count, 15);
    jm_buf_t profile, packed, out;
    jm_buf_init (&profile);
    jm_buf_init (&packed);
    jm_buf_init (&out);
    jm_candidate_write_profile (candidate, jm_engine_taxonomy (engine), &profile);
    jm_profile_pack (candidate, jm_engine_taxonomy (engine), &packed);
    JM_CHECK_MSG (packed.len <= 400, "15 skills packed in %zu bytes (JSON %zu)", packed.len,
                  profile.len);
    if (getenv ("JM_TEST_VERBOSE"))
        printf ("    a 15-skill profile: %zu bytes of JSON, %zu packed\n", profile.len, packed.len);
    //  every truncation, and a byte after the end
    for (size_t cut = 0; cut < packed.len; cut++) {
        jm_error_clear (&err);
        JM_CHECK_MSG (jm_profile_unpack (packed.data, cut, &out, &err) == -1, "cut at %zu", cut);
        JM_CHECK (out.len == 0);
        JM_CHECK (strstr (err.message, "stored profile") != NULL);
    }
    jm_buf_append (&packed, "x", 1);
    jm_error_clear (&err);
    JM_CHECK_INT (jm_profile_unpack (packed.data, packed.len, &out, &err), -1);
    JM_CHECK (strstr (err.message, "bytes after") != NULL);
    packed.len--;
    //  every single-byte corruption unpacks to JSON or fails cleanly
    for (size_t at = 0; at < packed.len; at++)
        for (int value = 0; value < 256; value += 3) {
            char saved = packed.data [at];
            packed.data [at] = (char) value;
            jm_buf_reset (&out);
            if (jm_profile_unpack (packed.data, packed.len, &out, NULL) == 0) {
                json_t *back = json_loadb (out.data, out.len, 0, NULL);
                JM_CHECK_MSG (back, "corrupted at %zu to %d: not JSON: %.200s", at, value, out.data);
                json_decref (back);
            }
            packed.data [at] = saved;
        }
    JM_CHECK (!jm_profile_is_packed ("{", 1));
    jm_buf_free (&text);
    jm_buf_free (&profile);
    jm_buf_free (&packed);
    jm_buf_free (&out);
    jm_candidate_destroy (&candidate);
    jm_engine_destroy (&engine);
}
