/*  Tests for jm_job, jm_candidate and jm_score on the fixture taxonomy:
    hand-computed scores (the arithmetic is in each comment), breakdowns,
    determinism, and hostile candidate input.                               */
#include "jm_test.h"
#include "jm_candidate.h"
#include "jm_job.h"
#include "jm_score.h"
#include "engine_fixture.h"

typedef struct {
    jm_taxonomy_t *taxonomy;
    jm_job_t *job;
    jm_job_t *pair_job;
} fixture_t;

static jm_job_t *
s_job (const jm_taxonomy_t *taxonomy, const char *text)
{
    jm_error_t err;
    jm_error_clear (&err);
    json_t *object = json_loads (text, 0, NULL);
    jm_job_t *job = jm_job_new_from_json (object, taxonomy, &err);
    JM_CHECK_MSG (job, "job: %s", err.message);
    json_decref (object);
    return job;
}

static bool
s_setup (fixture_t *fixture)
{
    fixture->taxonomy = jm_taxonomy_new_from_text (s_fixture_taxonomy, strlen (s_fixture_taxonomy), NULL);
    if (!fixture->taxonomy)
        return false;
    fixture->job = s_job (fixture->taxonomy, s_fixture_job);
    fixture->pair_job = s_job (fixture->taxonomy, s_fixture_pair_job);
    return fixture->job && fixture->pair_job;
}

static void
s_teardown (fixture_t *fixture)
{
    jm_job_destroy (&fixture->job);
    jm_job_destroy (&fixture->pair_job);
    jm_taxonomy_destroy (&fixture->taxonomy);
}

static jm_candidate_t *
s_candidate (const jm_taxonomy_t *taxonomy, const char *text, jm_error_t *err)
{
    json_error_t json_error;
    json_t *object = json_loads (text, 0, &json_error);
    JM_CHECK_MSG (object, "bad test JSON: %s: %s", text, json_error.text);
    jm_candidate_t *candidate = jm_candidate_new_from_json (object, taxonomy, NULL, err);
    json_decref (object);
    return candidate;
}

//  Scores text against job through both paths; checks they agree.
static double
s_score (const fixture_t *fixture, const jm_job_t *job, const char *text, jm_result_t *result)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = s_candidate (fixture->taxonomy, text, &err);
    JM_CHECK_MSG (candidate, "candidate %s: %s", text, err.message);
    if (!candidate)
        return -1;
    jm_score_explain (job, candidate, result);
    double fast = jm_score_fast (job, candidate);
    JM_CHECK_MSG (fast == result->score, "fast %.4f != explained %.4f for %s", fast, result->score, text);
    jm_candidate_destroy (&candidate);
    return result->score;
}

JM_TEST (score_hand_computed)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    jm_result_t result;
    //  total weight 4 + 3 + 2 + 1 + 2 + 0.5 = 12.5
    struct {
        const char *candidate;
        double score;
        jm_band_t band;
        int required_met;
    } cases [] = {
        //  everything met, SQL through PostgreSQL (implies_credit 1): 12.5 / 12.5
        { "{\"id\": \"a\", \"skills\": [\"Python\", {\"name\": \"PostgreSQL\", \"level\": 4}, \"Redis\","
          " {\"name\": \"Docker\", \"years\": 3}, \"communication\"]}", 100.0, JM_BAND_STRONG, 3 },
        //  Django->Python 0.8*4=3.2, MySQL->SQL 3, MySQL~PostgreSQL 0.5*2=1, Memcached~Redis 0.6*1,
        //  Docker 2: 9.8 / 12.5 = 78.4; the language is only partial, so 2 of 3 required
        { "{\"id\": \"b\", \"skills\": [\"Django\", \"MySQL\", \"Memcached\", \"docker\"]}", 78.4, JM_BAND_GOOD, 2 },
        //  SQL level 1 of 3: 1/3*3=1; SQL is PostgreSQL's parent: 0.3*2=0.6; 1.6/12.5 = 12.8;
        //  language, SQL (1/3 < 0.5) and Docker below half: 12.8 * 0.85^3 = 7.8608
        { "{\"id\": \"c\", \"skills\": [{\"name\": \"SQL\", \"level\": 1}, \"Git\"]}", 7.9, JM_BAND_WEAK, 0 },
        //  nothing at all
        { "{\"id\": \"d\", \"skills\": []}", 0.0, JM_BAND_WEAK, 0 },
        //  Express->Node.js->JavaScript 0.64*4=2.56; Docker 1 of 2 years 0.5*2=1: 3.56/12.5 = 28.48;
        //  SQL missing: * 0.85 = 24.208
        { "{\"id\": \"e\", \"skills\": [{\"name\": \"Docker\", \"years\": 1}, \"Express\"]}", 24.2, JM_BAND_WEAK, 0 },
        //  all met, Git through GitHub irrelevant: 100
        { "{\"id\": \"f\", \"skills\": [\"Java\", \"PostgreSQL\", \"Redis\", \"Docker\", \"Communication\", \"GitHub\"]}",
          100.0, JM_BAND_STRONG, 3 },
        //  no language: SQL 3 + parent 0.3*2=0.6 + Docker 2 = 5.6/12.5 = 44.8; * 0.85 = 38.08
        { "{\"id\": \"g\", \"skills\": [\"golang\", {\"name\": \"sql\", \"level\": 5}, \"docker\"]}", 38.1, JM_BAND_WEAK, 2 },
        //  SQL level 2 of 3 but PostgreSQL implies SQL fully: 4 + 3 + 2 = 9/12.5 = 72; no Docker: * 0.85 = 61.2
        { "{\"id\": \"h\", \"skills\": [{\"name\": \"Python\", \"level\": 2}, {\"name\": \"SQL\", \"level\": 2}, \"postgres\"]}",
          61.2, JM_BAND_GOOD, 2 },
        //  typos and versions: Pyhton 3 -> Python, Postgres, Dockr -> Docker: 4 + 3 + 2 + 2 = 11/12.5 = 88
        { "{\"id\": \"k\", \"skills\": [\"Pyhton 3\", \"Postgres\", \"Dockr\"]}", 88.0, JM_BAND_STRONG, 3 },
        //  a required skill below level keeps the band below strong even at a high score:
        //  Python 4 + SQL level 2 of 3 -> 2/3*3 = 2 + SQL is PostgreSQL's parent 0.3*2 = 0.6 + Redis 1
        //  + Docker 2 + communication 0.5 = 10.1/12.5 = 80.8, yet only good: SQL is not fully met
        { "{\"id\": \"m\", \"skills\": [\"Python\", {\"name\": \"SQL\", \"level\": 2}, \"Redis\", \"Docker\", \"communication\"]}",
          80.8, JM_BAND_GOOD, 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        double score = s_score (&fixture, fixture.job, cases [i].candidate, &result);
        JM_CHECK_MSG (score == cases [i].score, "case %zu: score %.2f, want %.2f", i, score, cases [i].score);
        JM_CHECK_MSG (result.band == cases [i].band, "case %zu: band %s, want %s", i,
                      jm_band_name (result.band), jm_band_name (cases [i].band));
        JM_CHECK_MSG (result.required_met == cases [i].required_met, "case %zu: %d required met, want %d", i,
                      result.required_met, cases [i].required_met);
        JM_CHECK_INT (result.required_total, 3);
    }
    //  any-of with min 2: Python 1 + JavaScript via Node.js 0.8 -> 0.9 * 2 = 1.8 of 3 = 60
    JM_CHECK_NEAR (s_score (&fixture, fixture.pair_job, "{\"id\": \"i\", \"skills\": [\"Python\", \"Node.js\"]}", &result),
                   60.0, 1e-9);
    JM_CHECK_INT (result.outcomes [0].status, JM_STATUS_PARTIAL);
    JM_CHECK_INT (result.band, JM_BAND_GOOD);
    JM_CHECK_NEAR (s_score (&fixture, fixture.pair_job,
                            "{\"id\": \"j\", \"skills\": [\"Java\", \"Python\", \"JS\", \"Docker\"]}", &result), 100.0, 1e-9);
    s_teardown (&fixture);
}

JM_TEST (score_breakdown_explains)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    jm_result_t result;
    s_score (&fixture, fixture.job,
             "{\"id\": \"b\", \"skills\": [\"Django\", \"MySQL\", {\"name\": \"SQL\", \"level\": 1}, \"Memcached\"]}", &result);
    const jm_taxonomy_t *tax = fixture.taxonomy;
    //  the language: partial via Django, which implies Python
    JM_CHECK_INT (result.outcomes [0].status, JM_STATUS_PARTIAL);
    JM_CHECK_INT (result.outcomes [0].skill, jm_taxonomy_find (tax, "python"));
    JM_CHECK_INT (result.outcomes [0].via, jm_taxonomy_find (tax, "django"));
    JM_CHECK_INT (result.outcomes [0].relation, JM_RELATION_IMPLIES);
    //  SQL: level 1 of 3 stated, but MySQL implies SQL fully
    JM_CHECK_INT (result.outcomes [1].status, JM_STATUS_MET);
    JM_CHECK_INT (result.outcomes [1].via, jm_taxonomy_find (tax, "mysql"));
    //  PostgreSQL: sibling MySQL
    JM_CHECK_INT (result.outcomes [2].status, JM_STATUS_PARTIAL);
    JM_CHECK_INT (result.outcomes [2].relation, JM_RELATION_SIBLING);
    JM_CHECK_NEAR (result.outcomes [2].credit, 0.5, 1e-6);
    //  Docker: missing, contributes nothing
    JM_CHECK_INT (result.outcomes [4].status, JM_STATUS_MISSING);
    JM_CHECK_INT (result.outcomes [4].via, -1);
    JM_CHECK_NEAR (result.outcomes [4].contribution, 0, 1e-9);
    //  contributions add up to the score before the missing-required cut
    double sum = 0;
    for (int r = 0; r < result.requirement_count; r++)
        sum += result.outcomes [r].contribution;
    JM_CHECK_NEAR (sum * JM_SCORE_MISSING_FACTOR, result.score, 0.05);

    //  below level: the skill itself with too low a level
    s_score (&fixture, fixture.job, "{\"id\": \"x\", \"skills\": [{\"name\": \"SQL\", \"level\": 2}]}", &result);
    JM_CHECK_INT (result.outcomes [1].status, JM_STATUS_BELOW_LEVEL);
    JM_CHECK_NEAR (result.outcomes [1].credit, 2.0 / 3.0, 1e-9);
    s_teardown (&fixture);
}

//  Labels are escaped once, when the job is built: a label with a quote,
//  a backslash, a newline and non-ASCII text reads back the same from the
//  breakdown and from the missing list; skill ids and names likewise.
JM_TEST (score_json_labels_escaped_once)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    const char *label = "say \"hi\" \\ back\nslash, café";
    jm_job_t *job = s_job (fixture.taxonomy,
        "{\"id\": \"quoted\", \"requirements\": ["
        " {\"skill\": \"Kubernetes\", \"label\": \"say \\\"hi\\\" \\\\ back\\nslash, caf\u00e9\"},"
        " {\"skill\": \"PostgreSQL\"}]}");
    JM_REQUIRE (job);
    JM_CHECK_STR (jm_job_requirement (job, 0)->label, label);
    jm_candidate_t *candidate = s_candidate (fixture.taxonomy, "{\"id\": \"c\", \"skills\": [\"MySQL\"]}", NULL);
    JM_REQUIRE (candidate);
    jm_result_t result;
    jm_score_explain (job, candidate, &result);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_result_write_json (&result, job, candidate, &out);
    json_t *parsed = json_loads (out.data, 0, NULL);
    JM_REQUIRE (parsed);
    json_t *requirements = json_object_get (parsed, "requirements");
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (requirements, 0), "requirement")), label);
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (requirements, 0), "skill")), "kubernetes");
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (requirements, 1), "via")), "mysql");
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (requirements, 1), "via_name")), "MySQL");
    JM_CHECK_STR (json_string_value (json_array_get (json_object_get (parsed, "missing"), 0)), label);
    json_decref (parsed);
    jm_buf_free (&out);
    jm_candidate_destroy (&candidate);
    jm_job_destroy (&job);
    s_teardown (&fixture);
}

JM_TEST (score_json_is_deterministic_and_valid)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    const char *text = "{\"id\": \"c-\\\"1\", \"name\": \"<script>alert(1)</script>\", "
                       "\"skills\": [\"Django\", \"Kubernets\", \"Figma\", \"Mysq\", {\"name\": \"Docker\", \"years\": 1.5}]}";
    char *outputs [2];
    for (int round = 0; round < 2; round++) {
        jm_candidate_t *candidate = s_candidate (fixture.taxonomy, text, NULL);
        JM_REQUIRE (candidate);
        jm_result_t result;
        jm_score_explain (fixture.job, candidate, &result);
        jm_buf_t out;
        jm_buf_init (&out);
        jm_result_write_json (&result, fixture.job, candidate, &out);
        outputs [round] = jm_buf_steal (&out, NULL);
        jm_candidate_destroy (&candidate);
    }
    JM_CHECK_STR (outputs [0], outputs [1]);
    json_error_t error;
    json_t *parsed = json_loads (outputs [0], 0, &error);
    JM_REQUIRE (parsed);
    JM_CHECK_STR (json_string_value (json_object_get (parsed, "candidate")), "c-\"1");
    JM_CHECK_STR (json_string_value (json_object_get (parsed, "name")), "<script>alert(1)</script>");
    JM_CHECK_STR (json_string_value (json_object_get (parsed, "job")), "test-job");
    JM_CHECK_INT (json_integer_value (json_object_get (parsed, "job_version")), 3);
    JM_CHECK_STR (json_string_value (json_object_get (parsed, "required")), "0 of 3");
    JM_CHECK_INT (json_array_size (json_object_get (parsed, "requirements")), 6);
    json_t *corrections = json_object_get (parsed, "corrections");
    JM_CHECK_INT (json_array_size (corrections), 1);
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (corrections, 0), "skill")), "kubernetes");
    json_t *unknown = json_object_get (parsed, "unknown_skills");
    JM_CHECK_INT (json_array_size (unknown), 2);
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (unknown, 1), "suggestion")), "mysql");
    JM_CHECK (json_is_null (json_object_get (json_array_get (unknown, 0), "suggestion")));
    JM_CHECK_STR (json_string_value (json_object_get (json_object_get (parsed, "versions"), "scorer")), JM_SCORER_VERSION);
    json_t *missing = json_object_get (parsed, "missing");
    JM_CHECK (json_array_size (missing) >= 2);
    json_decref (parsed);
    free (outputs [0]);
    free (outputs [1]);
    s_teardown (&fixture);
}

static void
s_expect_error (const fixture_t *fixture, const char *text, const char *code, const char *fragment)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = s_candidate (fixture->taxonomy, text, &err);
    JM_CHECK_MSG (!candidate, "accepted: %.80s", text);
    JM_CHECK_MSG (strcmp (err.code, code) == 0, "%.60s: code %s, want %s", text, err.code, code);
    JM_CHECK_MSG (strstr (err.message, fragment), "%.60s: message \"%s\" lacks \"%s\"", text, err.message, fragment);
    jm_candidate_destroy (&candidate);
}

JM_TEST (candidate_bad_input)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    s_expect_error (&fixture, "[1, 2]", JM_ERR_INVALID_REQUEST, "must be a JSON object");
    s_expect_error (&fixture, "{\"skills\": []}", JM_ERR_INVALID_REQUEST, "id is required");
    s_expect_error (&fixture, "{\"id\": \"\"}", JM_ERR_INVALID_REQUEST, "id is required");
    s_expect_error (&fixture, "{\"id\": true}", JM_ERR_INVALID_REQUEST, "id is required");
    s_expect_error (&fixture, "{\"id\": \"a\", \"skills\": 5}", JM_ERR_INVALID_REQUEST, "skills must be an array");
    s_expect_error (&fixture, "{\"id\": \"a\", \"skills\": [\"Python\", 7]}", JM_ERR_INVALID_REQUEST, "skills[1]");
    s_expect_error (&fixture, "{\"id\": \"a\", \"skills\": [{\"name\": \"Python\", \"level\": \"high\"}]}",
                    JM_ERR_INVALID_REQUEST, "skills[0].level must be an integer from 1 to 5");
    s_expect_error (&fixture, "{\"id\": \"a\", \"skills\": [{\"name\": \"Python\", \"level\": 9}]}",
                    JM_ERR_INVALID_REQUEST, "skills[0].level");
    s_expect_error (&fixture, "{\"id\": \"a\", \"skills\": [{\"level\": 3}]}", JM_ERR_INVALID_REQUEST, "skills[0].name");
    s_expect_error (&fixture, "{\"id\": \"a\", \"skills\": [{\"name\": \"Go\", \"years\": -1}]}",
                    JM_ERR_INVALID_REQUEST, "skills[0].years");
    s_expect_error (&fixture, "{\"id\": \"a\", \"skills\": [{\"name\": \"Go\", \"last_used\": 1066}]}",
                    JM_ERR_INVALID_REQUEST, "skills[0].last_used");
    s_expect_error (&fixture, "{\"id\": \"a\", \"resume\": 12}", JM_ERR_INVALID_REQUEST, "resume must be a string");
    s_expect_error (&fixture, "{\"id\": \"a\", \"years_experience\": \"ten\"}", JM_ERR_INVALID_REQUEST, "years_experience");
    s_expect_error (&fixture, "{\"id\": \"a\", \"name\": 5}", JM_ERR_INVALID_REQUEST, "name must be a string");
    //  10,000 skills: a clear error, not a crash
    jm_buf_t big;
    jm_buf_init (&big);
    jm_buf_puts (&big, "{\"id\": \"many\", \"skills\": [");
    for (int i = 0; i < 10000; i++)
        jm_buf_printf (&big, "%s\"skill-%d\"", i ? "," : "", i);
    jm_buf_puts (&big, "]}");
    s_expect_error (&fixture, big.data, JM_ERR_TOO_LARGE, "10000 skills");
    jm_buf_free (&big);
    s_teardown (&fixture);
}

JM_TEST (candidate_merges_and_fingerprints)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    jm_candidate_t *one = s_candidate (fixture.taxonomy,
        "{\"id\": 42, \"skills\": [\"python\", {\"name\": \"Python 3\", \"level\": 4}, \"Figma\", \"Figma\"]}", NULL);
    JM_REQUIRE (one);
    JM_CHECK_STR (one->id, "42");
    JM_CHECK_INT (one->skill_count, 1);
    JM_CHECK_INT (one->skills [0].level, 4);
    JM_CHECK_INT (one->unknown_count, 1);
    jm_candidate_t *same = s_candidate (fixture.taxonomy,
        "{\"id\": 42, \"skills\": [\"python\", {\"name\": \"Python 3\", \"level\": 4}, \"Figma\"]}", NULL);
    jm_candidate_t *other = s_candidate (fixture.taxonomy,
        "{\"id\": 42, \"skills\": [\"python\", {\"name\": \"Python 3\", \"level\": 5}, \"Figma\"]}", NULL);
    JM_REQUIRE (same && other);
    JM_CHECK (one->fingerprint == same->fingerprint);
    JM_CHECK (one->fingerprint != other->fingerprint);
    //  as hex: 16 lower-case digits, leading zeros kept
    uint64_t prints [] = { one->fingerprint, 0, 0xabcULL, UINT64_MAX };
    for (size_t i = 0; i < sizeof prints / sizeof prints [0]; i++) {
        other->fingerprint = prints [i];
        char hex [17], expected [17];
        jm_candidate_fingerprint_hex (other, hex);
        snprintf (expected, sizeof expected, "%016llx", (unsigned long long) prints [i]);
        JM_CHECK_STR (hex, expected);
    }
    jm_candidate_destroy (&one);
    jm_candidate_destroy (&same);
    jm_candidate_destroy (&other);
    JM_CHECK (other == NULL);
    s_teardown (&fixture);
}

//  A candidate keeps its strings in a few blocks of its own: an id, a name
//  and many written names of the longest lengths span several, each kept
//  whole (make check runs this under AddressSanitizer).
JM_TEST (candidate_keeps_every_string)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    json_t *skills = json_array ();
    char names [40][257];
    for (int i = 0; i < 40; i++) {
        memset (names [i], 'a' + i % 26, 256);
        names [i][256] = '\0';
        snprintf (names [i], 8, "zz%03d-", i);
        names [i][6] = 'q';            //  no NUL inside: the name stays 256 bytes
        json_array_append_new (skills, json_string (names [i]));
    }
    json_array_append_new (skills, json_pack ("{s:s, s:i}", "name", "Python 3", "level", 4));
    char id [129];
    memset (id, 'i', 128);
    id [128] = '\0';
    char name [257];
    memset (name, 'N', 256);
    name [256] = '\0';
    json_t *object = json_pack ("{s:s, s:s, s:o}", "id", id, "name", name, "skills", skills);
    jm_candidate_t *candidate = jm_candidate_new_from_json (object, fixture.taxonomy, NULL, NULL);
    json_decref (object);
    JM_REQUIRE (candidate);
    JM_CHECK_STR (candidate->id, id);
    JM_CHECK_STR (candidate->name, name);
    JM_CHECK_INT (candidate->unknown_count, 40);
    for (int i = 0; i < candidate->unknown_count && i < 40; i++)
        JM_CHECK_STR (candidate->unknown [i].input, names [i]);
    JM_CHECK_INT (candidate->skill_count, 1);
    JM_CHECK_STR (candidate->skills [0].input, "Python 3");
    jm_candidate_t *copy = s_candidate (fixture.taxonomy, "{\"id\": \"c\", \"skills\": []}", NULL);
    JM_REQUIRE (copy);
    JM_CHECK (copy->name == NULL && copy->skill_count == 0);
    jm_candidate_destroy (&copy);
    jm_candidate_destroy (&candidate);
    jm_candidate_destroy (&candidate);          //  safe twice
    s_teardown (&fixture);
}

JM_TEST (job_validation)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    struct { const char *text; const char *code; const char *fragment; } cases [] = {
        { "{\"id\": \"j\", \"requirements\": [{\"skill\": \"Pyhton\"}, {\"skill\": \"Figma\"}]}",
          JM_ERR_UNKNOWN_SKILL, "\"Pyhton\" (did you mean \"Python\"?), \"Figma\"" },
        { "{\"id\": \"j\", \"requirements\": []}", JM_ERR_INVALID_REQUEST, "requirements must be" },
        { "{\"id\": \"bad id\", \"requirements\": [{\"skill\": \"python\"}]}", JM_ERR_INVALID_REQUEST, "job id" },
        { "{\"id\": \"j\", \"requirements\": [{\"skill\": \"python\", \"weight\": -1}]}", JM_ERR_INVALID_REQUEST,
          "requirements[0].weight" },
        { "{\"id\": \"j\", \"requirements\": [{\"skill\": \"python\", \"importance\": \"vital\"}]}",
          JM_ERR_INVALID_REQUEST, "requirements[0].importance" },
        { "{\"id\": \"j\", \"requirements\": [{\"skill\": \"python\", \"any_of\": [\"java\"]}]}",
          JM_ERR_INVALID_REQUEST, "exactly one of" },
        { "{\"id\": \"j\", \"requirements\": [{\"any_of\": [\"java\", \"python\"], \"min\": 3}]}",
          JM_ERR_INVALID_REQUEST, "requirements[0].min" },
        { "{\"id\": \"j\", \"requirements\": [{\"any_of\": [\"java\", \"Java\"]}]}",
          JM_ERR_INVALID_REQUEST, "twice" },
        { "{\"id\": \"j\", \"requirements\": [{\"skill\": \"python\", \"min_level\": 6}]}",
          JM_ERR_INVALID_REQUEST, "requirements[0].min_level" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        json_t *object = json_loads (cases [i].text, 0, NULL);
        jm_job_t *job = jm_job_new_from_json (object, fixture.taxonomy, &err);
        JM_CHECK_MSG (!job, "accepted %s", cases [i].text);
        JM_CHECK_MSG (strcmp (err.code, cases [i].code) == 0, "case %zu: code %s", i, err.code);
        JM_CHECK_MSG (strstr (err.message, cases [i].fragment), "case %zu: \"%s\" lacks \"%s\"", i, err.message,
                      cases [i].fragment);
        jm_job_destroy (&job);
        json_decref (object);
    }
    //  the job round-trips through JSON with skills by id
    json_t *back = jm_job_to_json (fixture.pair_job);
    jm_job_t *again = jm_job_new_from_json (back, fixture.taxonomy, NULL);
    JM_REQUIRE (again);
    JM_CHECK_INT (jm_job_requirement_count (again), 2);
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (json_object_get (back, "requirements"), 1), "skill")),
                  "docker");
    jm_job_destroy (&again);
    json_decref (back);
    s_teardown (&fixture);
}

JM_TEST (score_rank_orders_jobs)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    jm_candidate_t *candidate = s_candidate (fixture.taxonomy,
        "{\"id\": \"r\", \"skills\": [\"Python\", \"Docker\"]}", NULL);
    JM_REQUIRE (candidate);
    const jm_job_t *jobs [3] = { fixture.job, fixture.pair_job, fixture.job };
    jm_ranked_t ranked [3];
    jm_score_rank (jobs, 3, candidate, ranked);
    //  pair-job: Python 1 + nothing / 2 members = 0.5 * 2 + Docker 1 = 2 of 3 = 66.7;
    //  test-job: Python 4 + Docker 2 = 6 / 12.5 = 48, SQL missing: 40.8
    JM_CHECK_INT (ranked [0].job, 1);
    JM_CHECK_NEAR (ranked [0].score, 66.7, 1e-9);
    JM_CHECK_INT (ranked [1].job, 0);       //  ties keep the jobs' order
    JM_CHECK_INT (ranked [2].job, 2);
    JM_CHECK_NEAR (ranked [1].score, 40.8, 1e-9);
    jm_candidate_destroy (&candidate);
    s_teardown (&fixture);
}

//  A minimum level holds for related skills too, scaled by their own level
JM_TEST (score_minimum_level_applies_to_related_skills)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    jm_job_t *job = s_job (fixture.taxonomy,
        "{\"id\": \"lvl\", \"requirements\": [{\"skill\": \"sql\", \"min_level\": 4, \"min_years\": 2}]}");
    JM_REQUIRE (job);
    jm_result_t result;
    //  PostgreSQL implies SQL fully, but at level 1 of 4: 0.25; below half: * 0.85 = 21.25
    JM_CHECK_NEAR (s_score (&fixture, job, "{\"id\": \"a\", \"skills\": [{\"name\": \"PostgreSQL\", \"level\": 1}]}",
                            &result), 21.3, 1e-9);
    JM_CHECK_INT (result.outcomes [0].status, JM_STATUS_BELOW_LEVEL);
    JM_CHECK_INT (result.outcomes [0].via, jm_taxonomy_find (fixture.taxonomy, "postgresql"));
    //  a related skill without a stated level counts fully
    JM_CHECK_NEAR (s_score (&fixture, job, "{\"id\": \"b\", \"skills\": [\"PostgreSQL\"]}", &result), 100, 1e-9);
    //  the better of the skill itself (level 2 of 4) and MySQL at 1 year of 2, level 3 of 4 -> 0.5
    JM_CHECK_NEAR (s_score (&fixture, job, "{\"id\": \"c\", \"skills\": [{\"name\": \"SQL\", \"level\": 2},"
                            " {\"name\": \"MySQL\", \"level\": 3, \"years\": 1}]}", &result), 50, 1e-9);
    jm_job_destroy (&job);
    s_teardown (&fixture);
}

//  Two of three at full credit are fully met, whatever the third earns:
//  the average of the best members is added, never found by subtraction
//  ((1 + 1 + 0.3) - 0.3 is a hair under 2 in doubles)
JM_TEST (score_best_members_at_full_credit_are_met)
{
    fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    jm_job_t *job = s_job (fixture.taxonomy,
        "{\"id\": \"two\", \"requirements\": [{\"any_of\": [\"java\", \"python\", \"go\"], \"min\": 2,"
        " \"min_years\": 1, \"importance\": \"required\"}]}");
    JM_REQUIRE (job);
    jm_result_t result;
    //  Java 1, Python 1, and Go 0.3: 0.3 years of the 1 asked
    JM_CHECK_NEAR (s_score (&fixture, job, "{\"id\": \"a\", \"skills\": [{\"name\": \"Java\", \"years\": 2},"
                            " {\"name\": \"Python\", \"years\": 3}, {\"name\": \"Go\", \"years\": 0.3}]}", &result),
                   100, 1e-9);
    JM_CHECK_INT (result.outcomes [0].status, JM_STATUS_MET);
    JM_CHECK (result.outcomes [0].credit == 1);
    JM_CHECK_INT (result.required_met, 1);
    JM_CHECK_INT (result.band, JM_BAND_STRONG);
    jm_job_destroy (&job);
    s_teardown (&fixture);
}
