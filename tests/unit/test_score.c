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
    //  Scorer 2.0.0 (every value changed deliberately from 1.0.0: evidence
    //  factors and the gate replaced full credit for unstated levels and the
    //  0.85 cut).  Total weight 4 + 3 + 2 + 1 + 2 + 0.5 = 12.5; required 9
    //  (language, SQL, Docker), optional 3.5; gate = 0.4 * 2 / 3.5 = 0.228571.
    //  Evidence factors, in 1/256 and applied to credits coded in 1/200
    //  ((code * factor) >> 8): unstated 0.75 (192) -> 1.0 earns 0.75, 0.8
    //  earns 0.6, 0.5 earns 0.375, 0.6 earns 0.45; with a career of known
    //  length unstated skills earn what its years do, at most 0.8.
    struct {
        const char *candidate;
        double score;
        jm_band_t band;
        int required_met;
    } cases [] = {
        //  career 3 (Docker's years): Python 0.8*4=3.2, Redis 0.8, communication 0.8*0.5=0.4;
        //  PostgreSQL level 4 (0.9: 230/256 -> 179/200) 0.895*2=1.79 and for SQL 0.895*3=2.685;
        //  Docker 3 years (0.8) 1.6: 10.475 / 12.5 = 83.8
        { "{\"id\": \"a\", \"skills\": [\"Python\", {\"name\": \"PostgreSQL\", \"level\": 4}, \"Redis\","
          " {\"name\": \"Docker\", \"years\": 3}, \"communication\"]}", 83.8, JM_BAND_STRONG, 3 },
        //  unstated 0.75: Django->Python 0.6*4=2.4, MySQL->SQL 0.75*3=2.25 (an unstated level counts
        //  as 3), MySQL~PostgreSQL 0.375*2=0.75, Memcached~Redis 0.45, Docker 1.5: 7.35 / 12.5 = 58.8;
        //  the language is only partial, so 2 of 3 required
        { "{\"id\": \"b\", \"skills\": [\"Django\", \"MySQL\", \"Memcached\", \"docker\"]}", 58.8, JM_BAND_PARTIAL, 2 },
        //  SQL level 1 (0.5) of 3: 0.5/3*3 = 0.5 required; SQL is PostgreSQL's parent: 0.3*0.5*2 = 0.3
        //  optional; language, SQL (1/3 shown) and Docker missing: 0.5 + 0.3 * gate^3 = 0.50358 / 12.5 = 4.0
        { "{\"id\": \"c\", \"skills\": [{\"name\": \"SQL\", \"level\": 1}, \"Git\"]}", 4.0, JM_BAND_WEAK, 0 },
        //  nothing at all
        { "{\"id\": \"d\", \"skills\": []}", 0.0, JM_BAND_WEAK, 0 },
        //  career 1: Express (0.6) -> Node.js -> JavaScript 0.64: 77/200 * 4 = 1.54; Docker 1 year (0.6)
        //  of 2: 0.6*0.5*2 = 0.6; SQL missing, nothing optional: 2.14 / 12.5 = 17.12
        { "{\"id\": \"e\", \"skills\": [{\"name\": \"Docker\", \"years\": 1}, \"Express\"]}", 17.1, JM_BAND_WEAK, 0 },
        //  all met, unstated: 0.75 * 12.5 / 12.5 = 75, good: strong needs 80
        { "{\"id\": \"f\", \"skills\": [\"Java\", \"PostgreSQL\", \"Redis\", \"Docker\", \"Communication\", \"GitHub\"]}",
          75.0, JM_BAND_GOOD, 3 },
        //  no language: SQL level 5 (1.0) 3 + Docker 1.5 required; parent 0.3*2 = 0.6 optional at the
        //  gate: 4.5 + 0.137143 = 4.637143 / 12.5 = 37.1
        { "{\"id\": \"g\", \"skills\": [\"golang\", {\"name\": \"sql\", \"level\": 5}, \"docker\"]}", 37.1, JM_BAND_WEAK, 2 },
        //  Python level 2 (0.65 -> 0.645) 2.58; SQL: the better of SQL level 2 of 3 (0.43) and PostgreSQL
        //  unstated (0.75) 2.25; PostgreSQL 1.5 optional; no Docker: 4.83 + 1.5 * gate = 41.4
        { "{\"id\": \"h\", \"skills\": [{\"name\": \"Python\", \"level\": 2}, {\"name\": \"SQL\", \"level\": 2}, \"postgres\"]}",
          41.4, JM_BAND_PARTIAL, 2 },
        //  typos and versions: Pyhton 3 -> Python, Postgres, Dockr -> Docker: 0.75 * 11 / 12.5 = 66
        { "{\"id\": \"k\", \"skills\": [\"Pyhton 3\", \"Postgres\", \"Dockr\"]}", 66.0, JM_BAND_GOOD, 3 },
        //  Python 3 + SQL level 2 of 3: 0.645*2/3*3 = 1.29 + Docker 1.5; SQL is PostgreSQL's parent
        //  0.19*2 = 0.38 + Redis 0.75 + communication 0.375: 7.295 / 12.5 = 58.36
        { "{\"id\": \"m\", \"skills\": [\"Python\", {\"name\": \"SQL\", \"level\": 2}, \"Redis\", \"Docker\", \"communication\"]}",
          58.4, JM_BAND_PARTIAL, 2 },
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
    //  any-of with min 2: Python 0.75 + JavaScript via Node.js 0.6 -> 0.675 * 2 = 1.35 of 3 = 45
    JM_CHECK_NEAR (s_score (&fixture, fixture.pair_job, "{\"id\": \"i\", \"skills\": [\"Python\", \"Node.js\"]}", &result),
                   45.0, 1e-9);
    JM_CHECK_INT (result.outcomes [0].status, JM_STATUS_PARTIAL);
    JM_CHECK_INT (result.band, JM_BAND_PARTIAL);
    JM_CHECK_NEAR (s_score (&fixture, fixture.pair_job,
                            "{\"id\": \"j\", \"skills\": [\"Java\", \"Python\", \"JS\", \"Docker\"]}", &result), 75.0, 1e-9);
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
    //  PostgreSQL: sibling MySQL, 0.5 at the unstated level's 0.75
    JM_CHECK_INT (result.outcomes [2].status, JM_STATUS_PARTIAL);
    JM_CHECK_INT (result.outcomes [2].relation, JM_RELATION_SIBLING);
    JM_CHECK_NEAR (result.outcomes [2].credit, 0.375, 1e-9);
    JM_CHECK_NEAR (result.outcomes [2].shown, 0.5, 1e-9);
    //  Docker: missing, contributes nothing
    JM_CHECK_INT (result.outcomes [4].status, JM_STATUS_MISSING);
    JM_CHECK_INT (result.outcomes [4].via, -1);
    JM_CHECK_NEAR (result.outcomes [4].contribution, 0, 1e-9);
    //  contributions (optional ones at the gate) add up to the score
    double sum = 0;
    for (int r = 0; r < result.requirement_count; r++)
        sum += result.outcomes [r].contribution;
    JM_CHECK_NEAR (sum, result.score, 0.05);

    //  below level: the skill itself with too low a level
    s_score (&fixture, fixture.job, "{\"id\": \"x\", \"skills\": [{\"name\": \"SQL\", \"level\": 2}]}", &result);
    JM_CHECK_INT (result.outcomes [1].status, JM_STATUS_BELOW_LEVEL);
    //  level 2 (0.65 -> 129/200) x 2 of 3
    JM_CHECK_NEAR (result.outcomes [1].credit, 0.645 * 2.0 / 3.0, 1e-9);
    JM_CHECK_NEAR (result.outcomes [1].shown, 2.0 / 3.0, 1e-9);
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
        { "{\"id\": \"j\", \"retain\": {\"top\": 0}, \"requirements\": [{\"skill\": \"python\"}]}",
          JM_ERR_INVALID_REQUEST, "retain.top" },
        { "{\"id\": \"j\", \"retain\": {\"min_score\": 100.5}, \"requirements\": [{\"skill\": \"python\"}]}",
          JM_ERR_INVALID_REQUEST, "retain.min_score" },
        { "{\"id\": \"j\", \"retain\": {\"top\": 5, \"min_score\": 5}, \"requirements\": [{\"skill\": \"python\"}]}",
          JM_ERR_INVALID_REQUEST, "retain must be" },
        { "{\"id\": \"j\", \"retain\": \"all\", \"requirements\": [{\"skill\": \"python\"}]}",
          JM_ERR_INVALID_REQUEST, "retain must be" },
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
    //  retain round-trips too; the labels come in requirement order
    jm_job_t *kept = s_job (fixture.taxonomy, "{\"id\": \"k\", \"retain\": {\"top\": 50}, "
                                              "\"requirements\": [{\"skill\": \"python\"}, {\"skill\": \"docker\"}]}");
    JM_REQUIRE (kept);
    back = jm_job_to_json (kept);
    again = jm_job_new_from_json (back, fixture.taxonomy, NULL);
    JM_REQUIRE (again);
    JM_CHECK_INT (jm_job_retain_top (again), 50);
    size_t labels_len;
    const char *labels = jm_job_labels (again, &labels_len);
    JM_CHECK_INT (labels_len, strlen (labels) + 1 + strlen (labels + strlen (labels) + 1) + 1);
    jm_job_destroy (&again);
    jm_job_destroy (&kept);
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
    //  unstated levels earn 0.75: pair-job: Python 0.75 + nothing / 2 members = 0.375 * 2 + Docker 0.75
    //  = 1.5 of 3 = 50; test-job: Python 3 + Docker 1.5 = 4.5 / 12.5 = 36 (SQL missing, nothing optional)
    JM_CHECK_INT (ranked [0].job, 1);
    JM_CHECK_NEAR (ranked [0].score, 50, 1e-9);
    JM_CHECK_INT (ranked [1].job, 0);       //  ties keep the jobs' order
    JM_CHECK_INT (ranked [2].job, 2);
    JM_CHECK_NEAR (ranked [1].score, 36, 1e-9);
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
    //  PostgreSQL implies SQL fully, but at level 1 (0.5) of 4: 0.5 * 0.25 = 12.5 (the only
    //  requirement: nothing optional to gate)
    JM_CHECK_NEAR (s_score (&fixture, job, "{\"id\": \"a\", \"skills\": [{\"name\": \"PostgreSQL\", \"level\": 1}]}",
                            &result), 12.5, 1e-9);
    JM_CHECK_INT (result.outcomes [0].status, JM_STATUS_BELOW_LEVEL);
    JM_CHECK_INT (result.outcomes [0].via, jm_taxonomy_find (fixture.taxonomy, "postgresql"));
    //  a related skill without a stated level counts as competent (3 of 4) at the unstated 0.75:
    //  0.5625 (before: fully)
    JM_CHECK_NEAR (s_score (&fixture, job, "{\"id\": \"b\", \"skills\": [\"PostgreSQL\"]}", &result), 56.3, 1e-9);
    JM_CHECK_INT (result.outcomes [0].status, JM_STATUS_BELOW_LEVEL);
    //  the better of the skill itself (level 2, 0.645, of 4: 0.3225) and MySQL at 1 year of 2,
    //  level 3 of 4 (level and years (0.8 + 0.6) / 2 = 0.7 -> 0.695, x 0.5) = 0.3475
    JM_CHECK_NEAR (s_score (&fixture, job, "{\"id\": \"c\", \"skills\": [{\"name\": \"SQL\", \"level\": 2},"
                            " {\"name\": \"MySQL\", \"level\": 3, \"years\": 1}]}", &result), 34.8, 1e-9);
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
    //  Java and Python fully shown, and Go 0.3: 0.3 years of the 1 asked; the credit is
    //  evidence-weighted: Java 2 years 0.695, Python 3 years 0.8: (0.695 + 0.8) / 2 = 74.75
    JM_CHECK_NEAR (s_score (&fixture, job, "{\"id\": \"a\", \"skills\": [{\"name\": \"Java\", \"years\": 2},"
                            " {\"name\": \"Python\", \"years\": 3}, {\"name\": \"Go\", \"years\": 0.3}]}", &result),
                   74.8, 1e-9);
    JM_CHECK_INT (result.outcomes [0].status, JM_STATUS_MET);
    JM_CHECK (result.outcomes [0].shown == 1);
    JM_CHECK_INT (result.required_met, 1);
    JM_CHECK_INT (result.band, JM_BAND_GOOD);
    jm_job_destroy (&job);
    s_teardown (&fixture);
}

//  ---------------------------------------------------------------------------
//  Scoring 2.0 on the real data: evidence, breadth, required vs optional,
//  everyday skills.  Each test would fail on scorer 1.0.0.

#include "jm_engine.h"
#include "jm_proficiency.h"

static jm_engine_t *
s_real_engine (void)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_engine_t *engine = jm_engine_new (jm_test_data_dir (), &err);
    JM_CHECK_MSG (engine, "engine: %s", err.message);
    return engine;
}

//  A candidate from a jansson object (stolen)
static jm_candidate_t *
s_real_candidate (const jm_engine_t *engine, json_t *object)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = jm_engine_candidate (engine, object, &err);
    JM_CHECK_MSG (candidate, "candidate: %s", err.message);
    json_decref (object);
    return candidate;
}

//  Scores through the breakdown and the fast path (they must agree)
static double
s_real_score (const jm_job_t *job, const jm_candidate_t *candidate, jm_result_t *result)
{
    jm_result_t local;
    jm_result_t *out = result ? result : &local;
    jm_score_explain (job, candidate, out);
    JM_CHECK_MSG (jm_score_fast (job, candidate) == out->score, "%s / %s: fast %.1f, explained %.1f",
                  candidate->id, jm_job_id (job), jm_score_fast (job, candidate), out->score);
    return out->score;
}

//  skills: names, each {"name", "level", "years"} when level > 0
static json_t *
s_profile (const char *id, const char * const *names, int level, double years, double years_experience)
{
    json_t *skills = json_array ();
    for (int i = 0; names [i]; i++)
        if (level > 0 && years >= 0)
            json_array_append_new (skills, json_pack ("{s:s, s:i, s:f}", "name", names [i], "level", level,
                                                      "years", years));
        else
        if (level > 0)
            json_array_append_new (skills, json_pack ("{s:s, s:i}", "name", names [i], "level", level));
        else
        if (years >= 0)
            json_array_append_new (skills, json_pack ("{s:s, s:f}", "name", names [i], "years", years));
        else
            json_array_append_new (skills, json_string (names [i]));
    json_t *object = json_pack ("{s:s, s:o}", "id", id, "skills", skills);
    if (years_experience >= 0)
        json_object_set_new (object, "years_experience", json_real (years_experience));
    return object;
}

static const char *s_jobs [] = {
    "backend-developer", "backend-engineer", "database-administrator", "solutions-architect"
};

//  The tester's stuffed profile: 45 skills covering every built-in job's
//  requirements, each with 1 year, on a 1-year career, never outranks a
//  senior specialist of the job (before: 100.0 "strong", first for three
//  of the four jobs); nor does the same list claiming level 5 everywhere.
JM_TEST (score_keyword_stuffing_never_beats_a_specialist)
{
    jm_engine_t *engine = s_real_engine ();
    JM_REQUIRE (engine);
    static const char *stuffed [] = {
        "python", "java", "django", "spring-boot", "sql", "postgresql", "mysql", "rest-api", "graphql", "http",
        "git", "linux", "nginx", "docker", "kubernetes", "ci-cd", "aws", "azure", "unit-testing", "debugging",
        "web-security", "redis", "dsa", "mongodb", "kafka", "microservices", "prometheus", "database-administration",
        "backup-recovery", "authorization", "query-optimization", "database-design", "db-replication", "plsql",
        "bash", "encryption", "software-architecture", "system-design", "scalability", "distributed-systems",
        "terraform", "serverless", "requirements-analysis", "json", "html", NULL
    };
    int count = 0;
    while (stuffed [count])
        count++;
    JM_CHECK_INT (count, 45);
    static const char *specialists [][12] = {
        { "python", "django", "postgresql", "rest-api", "git", "docker", "linux", "unit-testing", "redis", NULL },
        { "java", "spring-boot", "postgresql", "rest-api", "git", "linux", "nginx", "docker", "ci-cd", "aws", NULL },
        { "sql", "postgresql", "oracle", "database-administration", "backup-recovery", "authorization",
          "query-optimization", "db-replication", "linux", "bash", NULL },
        { "software-architecture", "system-design", "scalability", "aws", "java", "rest-api", "microservices",
          "distributed-systems", "kubernetes", NULL },
    };
    for (int j = 0; j < 4; j++) {
        const jm_job_t *job = jm_engine_job (engine, s_jobs [j]);
        JM_REQUIRE (job);
        jm_candidate_t *stuffer = s_real_candidate (engine, s_profile ("stuffer", stuffed, 0, 1, 1));
        jm_candidate_t *bragger = s_real_candidate (engine, s_profile ("bragger", stuffed, 5, -1, 1));
        jm_candidate_t *plain = s_real_candidate (engine, s_profile ("plain", stuffed, 0, -1, -1));
        jm_candidate_t *senior = s_real_candidate (engine, s_profile ("senior", specialists [j], 5, 10, 10));
        JM_REQUIRE (stuffer && bragger && plain && senior);
        jm_result_t result;
        double stuffed_score = s_real_score (job, stuffer, &result);
        JM_CHECK_MSG (result.band != JM_BAND_STRONG, "%s: the stuffed list is strong", s_jobs [j]);
        double bragged = s_real_score (job, bragger, NULL);
        double listed = s_real_score (job, plain, NULL);
        double specialist = s_real_score (job, senior, NULL);
        JM_CHECK_MSG (specialist > stuffed_score && specialist > bragged && specialist > listed,
                      "%s: specialist %.1f, stuffed %.1f, level-5 stuffed %.1f, plain list %.1f",
                      s_jobs [j], specialist, stuffed_score, bragged, listed);
        JM_CHECK_MSG (stuffed_score < 50, "%s: stuffed %.1f", s_jobs [j], stuffed_score);
        jm_candidate_destroy (&stuffer);
        jm_candidate_destroy (&bragger);
        jm_candidate_destroy (&plain);
        jm_candidate_destroy (&senior);
    }
    jm_engine_destroy (&engine);
}

//  500 listed skills (every skill of the taxonomy, some twice by alias) are
//  flagged, and their credits spread thin (before: 100.0)
JM_TEST (score_huge_skill_list_is_flagged)
{
    jm_engine_t *engine = s_real_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    json_t *skills = json_array ();
    for (int i = 0; json_array_size (skills) < 500; i++) {
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, i % jm_taxonomy_size (taxonomy));
        json_array_append_new (skills, json_string (i < jm_taxonomy_size (taxonomy) ? skill->id : skill->name));
    }
    jm_candidate_t *candidate = s_real_candidate (engine, json_pack ("{s:s, s:o}", "id", "all", "skills", skills));
    JM_REQUIRE (candidate);
    JM_CHECK_MSG (candidate->breadth_factor < 0.2, "breadth factor %.3f", candidate->breadth_factor);
    for (int j = 0; j < 4; j++) {
        const jm_job_t *job = jm_engine_job (engine, s_jobs [j]);
        jm_result_t result;
        double score = s_real_score (job, candidate, &result);
        JM_CHECK_MSG (score < 20, "%s: %.1f", s_jobs [j], score);
        jm_buf_t out;
        jm_buf_init (&out);
        jm_result_write_json (&result, job, candidate, &out);
        json_t *parsed = json_loads (out.data, 0, NULL);
        JM_REQUIRE (parsed);
        json_t *breadth = json_object_get (parsed, "breadth");
        JM_CHECK (json_integer_value (json_object_get (breadth, "skills")) == candidate->breadth_skills);
        JM_CHECK (json_number_value (json_object_get (breadth, "factor")) < 0.2);
        JM_CHECK_MSG (json_array_size (json_object_get (parsed, "warnings")) == 1, "%s", out.data);
        json_decref (parsed);
        jm_buf_free (&out);
    }
    jm_candidate_destroy (&candidate);
    jm_engine_destroy (&engine);
}

//  Level 5 with 10 years > no level > level 1 with half a year (before: all
//  60.7); against a minimum level 3, no level is below a stated 3 and above
//  a stated 1 (before: above every stated level)
JM_TEST (score_evidence_orders_levels)
{
    jm_engine_t *engine = s_real_engine ();
    JM_REQUIRE (engine);
    static const char *profiles [][2] = {
        { "expert", "{\"name\": \"Python\", \"level\": 5, \"years\": 10}" },
        { "competent", "{\"name\": \"Python\", \"level\": 3}" },
        { "unstated", "\"Python\"" },
        { "junior", "{\"name\": \"Python\", \"level\": 1, \"years\": 0.5}" },
    };
    const char *jobs [] = { "backend-developer", "backend-engineer" };
    for (int j = 0; j < 2; j++) {
        const jm_job_t *job = jm_engine_job (engine, jobs [j]);
        double scores [4];
        for (int p = 0; p < 4; p++) {
            char text [512];
            snprintf (text, sizeof text, "{\"id\": \"%s\", \"skills\": [%s, \"Django\", \"SQL\", \"PostgreSQL\","
                      " \"REST API\", \"Git\", \"Linux\", \"Nginx\"]}", profiles [p][0], profiles [p][1]);
            jm_candidate_t *candidate = s_real_candidate (engine, json_loads (text, 0, NULL));
            JM_REQUIRE (candidate);
            scores [p] = s_real_score (job, candidate, NULL);
            jm_candidate_destroy (&candidate);
        }
        JM_CHECK_MSG (scores [0] > scores [1] && scores [1] >= scores [2] && scores [2] > scores [3],
                      "%s: level 5 %.1f, level 3 %.1f, unstated %.1f, level 1 %.1f", jobs [j],
                      scores [0], scores [1], scores [2], scores [3]);
    }
    //  the factors themselves
    jm_candidate_t *candidate = s_real_candidate (engine, json_loads ("{\"id\": \"x\", \"skills\": [\"Go\"]}", 0, NULL));
    JM_REQUIRE (candidate);
    jm_candidate_skill_t entry = { 0, 0, -1, 0, JM_MATCH_EXACT, false, NULL };
    JM_CHECK_NEAR (jm_proficiency_of (candidate, &entry, NULL), JM_PROFICIENCY_UNKNOWN, 1e-12);
    entry.level = 3;
    JM_CHECK_NEAR (jm_proficiency_of (candidate, &entry, NULL), JM_PROFICIENCY_COMPETENT, 1e-12);
    JM_CHECK (JM_PROFICIENCY_UNKNOWN <= JM_PROFICIENCY_COMPETENT);
    entry.level = 5;
    entry.years = 10;
    JM_CHECK_NEAR (jm_proficiency_of (candidate, &entry, NULL), 1, 1e-12);
    entry.level = 1;
    entry.years = 0.5;
    JM_CHECK_NEAR (jm_proficiency_of (candidate, &entry, NULL), 0.525, 1e-12);
    jm_candidate_destroy (&candidate);
    jm_engine_destroy (&engine);
}

//  A skill cannot claim more years than the career: 20 years of Java on a
//  3-year career count as 3; and the career itself counts (before:
//  years_experience changed nothing)
JM_TEST (score_years_capped_by_the_career)
{
    jm_engine_t *engine = s_real_engine ();
    JM_REQUIRE (engine);
    const jm_job_t *job = jm_engine_job (engine, "solutions-architect");
#define S_BASE "{\"id\": \"%s\", \"years_experience\": %s, \"skills\": [{\"name\": \"Java\", \"years\": %s}," \
               " \"software architecture\", \"system design\", \"scalability\", \"AWS\", \"REST API\"]}"
    char text [512];
    snprintf (text, sizeof text, S_BASE, "claims", "3", "20");
    jm_candidate_t *claims = s_real_candidate (engine, json_loads (text, 0, NULL));
    snprintf (text, sizeof text, S_BASE, "honest", "3", "3");
#undef S_BASE
    jm_candidate_t *honest = s_real_candidate (engine, json_loads (text, 0, NULL));
    JM_REQUIRE (claims && honest);
    jm_result_t result;
    JM_CHECK (s_real_score (job, claims, &result) == s_real_score (job, honest, NULL));
    jm_buf_t out;
    jm_buf_init (&out);
    jm_result_write_json (&result, job, claims, &out);
    JM_CHECK_MSG (strstr (out.data, "\"years\":3,\"years_stated\":20"), "%s", out.data);
    jm_buf_free (&out);
    jm_candidate_destroy (&claims);
    jm_candidate_destroy (&honest);
    //  the same skills, unstated levels: a 10-year career above a 1-year one
    const jm_job_t *developer = jm_engine_job (engine, "backend-developer");
    static const char *core [] = { "Python", "Django", "PostgreSQL", "REST API", "Git", NULL };
    jm_candidate_t *senior = s_real_candidate (engine, s_profile ("senior", core, 0, -1, 10));
    jm_candidate_t *junior = s_real_candidate (engine, s_profile ("junior", core, 0, -1, 1));
    JM_REQUIRE (senior && junior);
    JM_CHECK (s_real_score (developer, senior, NULL) > s_real_score (developer, junior, NULL));
    jm_candidate_destroy (&senior);
    jm_candidate_destroy (&junior);
    jm_engine_destroy (&engine);
}

//  The skills of the job: every member of every requirement, by id, once
static int
s_job_skills (const jm_job_t *job, int *skills)
{
    int count = 0;
    for (int r = 0; r < jm_job_requirement_count (job); r++) {
        const jm_requirement_t *req = jm_job_requirement (job, r);
        for (int m = 0; m < req->member_count; m++) {
            bool seen = false;
            for (int k = 0; k < count && !seen; k++)
                seen = skills [k] == req->members [m].skill;
            if (!seen)
                skills [count++] = req->members [m].skill;
        }
    }
    return count;
}

//  Required means required, on every built-in job and for every required
//  requirement: the best profile missing it (every other skill the job
//  names) scores below the profile with only the required skills, at the
//  same evidence (before: 6 of 7 with extras 78.5 above 7 of 7 with the
//  core 56.2).  And the rule that proves it: optional points times the gate
//  are less than half the smallest required weight.
JM_TEST (score_missing_required_costs_more_than_all_extras)
{
    jm_engine_t *engine = s_real_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    for (int j = 0; j < jm_engine_job_count (engine); j++) {
        const jm_job_t *job = jm_engine_job_at (engine, j);
        double smallest = 0, optional = 0;
        for (int r = 0; r < jm_job_requirement_count (job); r++) {
            const jm_requirement_t *req = jm_job_requirement (job, r);
            if (req->importance != JM_IMPORTANCE_REQUIRED)
                optional += req->weight;
            else
            if (!smallest || req->weight < smallest)
                smallest = req->weight;
        }
        JM_CHECK_MSG (jm_job_gate (job) * optional < 0.5 * smallest, "%s: gate %.3f", jm_job_id (job),
                      jm_job_gate (job));
        int skills [JM_JOB_MAX_REQUIREMENTS * JM_JOB_MAX_MEMBERS];
        int count = s_job_skills (job, skills);
        //  the core: the first min members of every required requirement
        json_t *core = json_array ();
        for (int r = 0; r < jm_job_requirement_count (job); r++) {
            const jm_requirement_t *req = jm_job_requirement (job, r);
            if (req->importance == JM_IMPORTANCE_REQUIRED)
                for (int m = 0; m < req->min_count; m++)
                    json_array_append_new (core, json_pack ("{s:s, s:i, s:i}", "name",
                        jm_taxonomy_skill (taxonomy, req->members [m].skill)->id, "level", 5, "years", 10));
        }
        jm_candidate_t *core_only = s_real_candidate (engine, json_pack ("{s:s, s:o, s:i}", "id", "core",
                                                      "skills", core, "years_experience", 40));
        JM_REQUIRE (core_only);
        double core_score = s_real_score (job, core_only, NULL);
        for (int r = 0; r < jm_job_requirement_count (job); r++) {
            const jm_requirement_t *req = jm_job_requirement (job, r);
            if (req->importance != JM_IMPORTANCE_REQUIRED)
                continue;
            //  every skill of the job giving less than half toward each member
            json_t *rest = json_array ();
            for (int k = 0; k < count; k++) {
                bool counts = false;
                for (int m = 0; m < req->member_count && !counts; m++)
                    counts = jm_taxonomy_credit (taxonomy, skills [k], req->members [m].skill, NULL) >= 0.5;
                if (!counts)
                    json_array_append_new (rest, json_pack ("{s:s, s:i, s:i}", "name",
                        jm_taxonomy_skill (taxonomy, skills [k])->id, "level", 5, "years", 10));
            }
            jm_candidate_t *missing = s_real_candidate (engine, json_pack ("{s:s, s:o, s:i}", "id", "missing",
                                                        "skills", rest, "years_experience", 40));
            JM_REQUIRE (missing);
            JM_CHECK (missing->breadth_factor == 1);
            jm_result_t result;
            double missing_score = s_real_score (job, missing, &result);
            JM_CHECK_MSG (result.missing_required >= 1, "%s without %s: nothing missing", jm_job_id (job), req->label);
            JM_CHECK_MSG (missing_score < core_score, "%s: without %s %.1f, required only %.1f", jm_job_id (job),
                          req->label, missing_score, core_score);
            jm_candidate_destroy (&missing);
        }
        jm_candidate_destroy (&core_only);
    }
    jm_engine_destroy (&engine);
}

//  The tester's case: 6 of 7 required (Git absent) with many preferred
//  extras scored 78.5 "good", above 7 of 7 with the core only (56.2)
JM_TEST (score_six_of_seven_with_extras_below_the_core)
{
    jm_engine_t *engine = s_real_engine ();
    JM_REQUIRE (engine);
    const jm_job_t *job = jm_engine_job (engine, "backend-developer");
    static const char *core [] = { "Python", "Django", "SQL", "PostgreSQL", "REST API", "HTTP", "Git", NULL };
    static const char *six [] = { "Python", "Django", "SQL", "PostgreSQL", "REST API", "HTTP", "MongoDB",
        "database design", "JSON", "XML", "Docker", "Kubernetes", "Nginx", "Linux", "HTML", "CSS", "JavaScript",
        "unit testing", "web security", "OAuth", "data structures and algorithms", "communication",
        "problem solving", "Redis", "debugging", "Swagger", "microservices", "AWS", "teamwork", NULL };
    jm_candidate_t *seven = s_real_candidate (engine, s_profile ("seven", core, 0, -1, -1));
    jm_candidate_t *extras = s_real_candidate (engine, s_profile ("six", six, 0, -1, -1));
    JM_REQUIRE (seven && extras);
    jm_result_t result;
    double with_extras = s_real_score (job, extras, &result);
    JM_CHECK_INT (result.missing_required, 1);
    double core_only = s_real_score (job, seven, NULL);
    JM_CHECK_MSG (core_only > with_extras, "7 of 7 %.1f, 6 of 7 with extras %.1f", core_only, with_extras);
    jm_candidate_destroy (&seven);
    jm_candidate_destroy (&extras);
    jm_engine_destroy (&engine);
}

//  Everyday skills: a senior Django developer whose résumé never writes Git
//  or HTTP ranks above a junior who writes everything; HTTP shows as
//  implied by Django, Git from CI
JM_TEST (score_everyday_skills_are_implied)
{
    jm_engine_t *engine = s_real_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    const jm_job_t *job = jm_engine_job (engine, "backend-developer");
    static const char *senior_skills [] = { "Python", "Django", "PostgreSQL", "Docker", "Linux", "Redis", "CI/CD", NULL };
    static const char *bare_senior [] = { "Python", "Django", "PostgreSQL", "Docker", "Linux", "Redis", NULL };
    static const char *junior_skills [] = { "Python", "Django", "SQL", "PostgreSQL", "REST API", "HTTP", "Git", NULL };
    jm_candidate_t *senior = s_real_candidate (engine, s_profile ("senior", senior_skills, 5, 10, 10));
    jm_candidate_t *bare = s_real_candidate (engine, s_profile ("bare", bare_senior, 5, 10, 10));
    jm_candidate_t *junior = s_real_candidate (engine, s_profile ("junior", junior_skills, 1, 1, 1));
    JM_REQUIRE (senior && bare && junior);
    jm_result_t result;
    double junior_score = s_real_score (job, junior, NULL);
    double bare_score = s_real_score (job, bare, NULL);
    double senior_score = s_real_score (job, senior, &result);
    JM_CHECK_MSG (senior_score > junior_score && bare_score > junior_score,
                  "senior %.1f, senior without CI %.1f, junior %.1f", senior_score, bare_score, junior_score);
    int http = -1, git = -1;
    for (int r = 0; r < jm_job_requirement_count (job); r++) {
        const jm_requirement_t *req = jm_job_requirement (job, r);
        if (req->members [0].skill == jm_taxonomy_find (taxonomy, "http"))
            http = r;
        if (req->members [0].skill == jm_taxonomy_find (taxonomy, "git"))
            git = r;
    }
    JM_REQUIRE (http >= 0 && git >= 0);
    JM_CHECK_INT (result.outcomes [http].status, JM_STATUS_PARTIAL);
    JM_CHECK_INT (result.outcomes [http].relation, JM_RELATION_EVERYDAY);
    JM_CHECK_INT (result.outcomes [http].via, jm_taxonomy_find (taxonomy, "django"));
    JM_CHECK (!result.outcomes [http].penalised);
    JM_CHECK_INT (result.outcomes [git].relation, JM_RELATION_EVERYDAY);
    JM_CHECK_INT (result.outcomes [git].via, jm_taxonomy_find (taxonomy, "ci-cd"));
    JM_CHECK (!result.outcomes [git].penalised);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_result_write_json (&result, job, senior, &out);
    JM_CHECK_MSG (strstr (out.data, "\"relation\":\"everyday\"") && strstr (out.data, "\"implied_by\":\"django\""),
                  "%s", out.data);
    jm_buf_free (&out);
    //  a framework alone gives Git some credit, but not enough to count as shown
    jm_score_explain (job, bare, &result);
    JM_CHECK (result.outcomes [git].credit > 0 && result.outcomes [git].penalised);
    jm_candidate_destroy (&senior);
    jm_candidate_destroy (&bare);
    jm_candidate_destroy (&junior);
    jm_engine_destroy (&engine);
}

//  The breakdown says what was ignored and how evidence set each credit
JM_TEST (score_json_explains_evidence_and_ignored)
{
    jm_engine_t *engine = s_real_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    const jm_job_t *job = jm_engine_job (engine, "backend-developer");
    jm_candidate_t *candidate = s_real_candidate (engine, json_loads (
        "{\"id\": \"e\", \"years_experience\": 4, \"skills\": [{\"name\": \"Python\", \"level\": 4, \"years\": 6},"
        " \"Django\", {\"name\": \"PostgreSQL\", \"years\": 2}]}", 0, NULL));
    JM_REQUIRE (candidate);
    //  as jm_candidate records a résumé's negated and wanted mentions
    candidate->ignored = calloc (2, sizeof (jm_ignored_skill_t));
    JM_REQUIRE (candidate->ignored);
    candidate->ignored [0] = (jm_ignored_skill_t) { jm_taxonomy_find (taxonomy, "java"), JM_CLAIM_NEGATED,
                                                    JM_REASON_NEGATION };
    candidate->ignored [1] = (jm_ignored_skill_t) { jm_taxonomy_find (taxonomy, "typescript"), JM_CLAIM_INTENDED,
                                                    JM_REASON_INTENT };
    candidate->ignored_count = 2;
    jm_result_t result;
    s_real_score (job, candidate, &result);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_result_write_json (&result, job, candidate, &out);
    json_t *parsed = json_loads (out.data, 0, NULL);
    JM_REQUIRE (parsed);
    json_t *ignored = json_object_get (parsed, "ignored");
    JM_CHECK_INT ((int) json_array_size (ignored), 2);
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (ignored, 0), "id")), "java");
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (ignored, 0), "status")),
                  jm_claim_name (JM_CLAIM_NEGATED));
    JM_CHECK_STR (json_string_value (json_object_get (json_array_get (ignored, 1), "reason")),
                  jm_reason_name (JM_REASON_INTENT));
    //  the language: Python, level 4 (0.9) and 4 of its 6 years (the career; 0.85): 0.875
    json_t *language = json_array_get (json_object_get (parsed, "requirements"), 0);
    json_t *evidence = json_object_get (language, "evidence");
    JM_CHECK_STR (json_string_value (json_object_get (evidence, "basis")), "level and years");
    JM_CHECK_NEAR (json_number_value (json_object_get (evidence, "years")), 4, 1e-9);
    JM_CHECK_NEAR (json_number_value (json_object_get (evidence, "years_stated")), 6, 1e-9);
    JM_CHECK_NEAR (json_number_value (json_object_get (evidence, "proficiency")), 0.875, 1e-9);
    //  the framework: nothing stated, a 4-year career: competent at most
    json_t *framework = json_array_get (json_object_get (parsed, "requirements"), 1);
    JM_CHECK_STR (json_string_value (json_object_get (json_object_get (framework, "evidence"), "basis")), "career");
    JM_CHECK_NEAR (json_number_value (json_object_get (json_object_get (framework, "evidence"), "proficiency")),
                   JM_PROFICIENCY_COMPETENT, 1e-9);
    JM_CHECK_STR (json_string_value (json_object_get (json_object_get (parsed, "versions"), "scorer")), "2.0.0");
    json_decref (parsed);
    jm_buf_free (&out);
    jm_candidate_destroy (&candidate);
    jm_engine_destroy (&engine);
}

//  The everyday table: loaded after the relations, never lowering one,
//  validated like them
JM_TEST (score_everyday_table_loads_and_validates)
{
    //  the fixture taxonomy with an everyday section appended
    size_t len = strlen (s_fixture_taxonomy);
    const char *tails [] = {
        ", \"everyday\": [{\"skill\": \"git\", \"credit\": 0.7, \"from\": [\"docker\", \"github\"]}]}",
        ", \"everyday\": [{\"skill\": \"nope\", \"credit\": 0.7, \"from\": [\"docker\"]}]}",
        ", \"everyday\": [{\"skill\": \"git\", \"credit\": 1, \"from\": [\"docker\"]}]}",
        ", \"everyday\": [{\"skill\": \"git\", \"credit\": 0.5, \"from\": [\"git\"]}]}",
        ", \"everyday\": [{\"skill\": \"git\", \"credit\": 0.5}]}",
        ", \"everyday\": {}}",
    };
    for (size_t t = 0; t < sizeof tails / sizeof tails [0]; t++) {
        //  replace the closing brace of the object
        char *text = malloc (len + strlen (tails [t]) + 1);
        JM_REQUIRE (text);
        size_t end = len;
        while (end > 1 && s_fixture_taxonomy [end - 1] != '}')
            end--;
        memcpy (text, s_fixture_taxonomy, end - 1);
        strcpy (text + end - 1, tails [t]);
        jm_error_t err;
        jm_error_clear (&err);
        jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (text, strlen (text), &err);
        free (text);
        if (t > 0) {
            JM_CHECK_MSG (!taxonomy && strstr (err.message, "everyday"), "tail %zu: %s", t, err.message);
            jm_taxonomy_destroy (&taxonomy);
            continue;
        }
        JM_REQUIRE (taxonomy);
        jm_relation_t relation;
        int git = jm_taxonomy_find (taxonomy, "git");
        JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, jm_taxonomy_find (taxonomy, "docker"), git, &relation), 0.7, 1e-6);
        JM_CHECK_INT (relation, JM_RELATION_EVERYDAY);
        JM_CHECK_STR (jm_relation_name (relation), "everyday");
        //  GitHub implies Git (0.8) already: the everyday 0.7 does not lower it
        JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, jm_taxonomy_find (taxonomy, "github"), git, &relation), 0.8, 1e-6);
        JM_CHECK_INT (relation, JM_RELATION_IMPLIES);
        //  not the other way round
        JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, git, jm_taxonomy_find (taxonomy, "docker"), NULL), 0, 1e-9);
        jm_taxonomy_destroy (&taxonomy);
    }
}
