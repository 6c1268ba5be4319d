/*  Tests for jm_detail: reading "detail", and the score and summary levels
    written from a fresh score and cut from the full JSON, byte for byte the
    same; hostile stored text refused without touching the output.        */
#include "jm_test.h"
#include "jm_candidate.h"
#include "jm_detail.h"
#include "jm_job.h"
#include "jm_score.h"
#include "engine_fixture.h"

JM_TEST (detail_parse)
{
    jm_detail_t detail = JM_DETAIL_FULL;
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK (jm_detail_parse (NULL, NULL, 0, JM_DETAIL_DEFAULT, &detail, &err) == 0);
    JM_CHECK_INT (detail, JM_DETAIL_SUMMARY);
    const char *names [] = { "score", "summary", "full" };
    for (int d = 0; d < 3; d++) {
        JM_CHECK (jm_detail_parse ("string", names [d], strlen (names [d]), JM_DETAIL_SUMMARY,
                                   &detail, &err) == 0);
        JM_CHECK_INT (detail, d);
        JM_CHECK_STR (jm_detail_name (detail), names [d]);
    }
    const char *bad [] = { "", "Full", "ful", "fullx", "summary ", "scor\"e" };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        jm_error_clear (&err);
        detail = JM_DETAIL_FULL;
        JM_CHECK (jm_detail_parse ("string", bad [b], strlen (bad [b]), JM_DETAIL_SUMMARY,
                                   &detail, &err) == -1);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
        JM_CHECK_MSG (strstr (err.message, "detail must be one of \"score\", \"summary\" or \"full\""),
                      "%s", err.message);
        JM_CHECK_INT (detail, JM_DETAIL_FULL);      //  untouched
    }
    //  "full" with a NUL after it is not "full"
    jm_error_clear (&err);
    JM_CHECK (jm_detail_parse ("string", "full\0x", 6, JM_DETAIL_SUMMARY, &detail, &err) == -1);
    //  a long value is quoted cut short
    char long_value [4096];
    memset (long_value, 'a', sizeof long_value);
    jm_error_clear (&err);
    JM_CHECK (jm_detail_parse ("string", long_value, sizeof long_value, JM_DETAIL_SUMMARY, &detail,
                               &err) == -1);
    JM_CHECK (strlen (err.message) < 160);
    JM_CHECK (strstr (err.message, "...") != NULL);
    //  not a string: the type is named
    jm_error_clear (&err);
    JM_CHECK (jm_detail_parse ("a number", NULL, 0, JM_DETAIL_SUMMARY, &detail, &err) == -1);
    JM_CHECK_MSG (strstr (err.message, "detail must be a string") && strstr (err.message, "a number"),
                  "%s", err.message);
}

JM_TEST (detail_parse_json)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    struct {
        const char *body;
        int rc;
        jm_detail_t detail;
        const char *words;
    } cases [] = {
        { "{}", 0, JM_DETAIL_SUMMARY, NULL },
        { "{\"detail\": null}", 0, JM_DETAIL_SUMMARY, NULL },
        { "{\"detail\": \"score\"}", 0, JM_DETAIL_SCORE, NULL },
        { "{\"detail\": \"full\"}", 0, JM_DETAIL_FULL, NULL },
        { "{\"detail\": \"\\u0066ull\"}", 0, JM_DETAIL_FULL, NULL },
        { "{\"detail\": 2}", -1, 0, "not a number" },
        { "{\"detail\": true}", -1, 0, "not true" },
        { "{\"detail\": [\"full\"]}", -1, 0, "not an array" },
        { "{\"detail\": {}}", -1, 0, "not an object" },
        { "{\"detail\": \"everything\"}", -1, 0, "not \"everything\"" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases [0]; c++) {
        jm_error_t err;
        jm_error_clear (&err);
        const jm_json_t *body = jm_json_doc_parse (doc, cases [c].body, strlen (cases [c].body), &err);
        JM_REQUIRE (body);
        jm_detail_t detail = JM_DETAIL_SCORE;
        int rc = jm_detail_parse_json (jm_json_get (body, "detail"), JM_DETAIL_SUMMARY, &detail, &err);
        JM_CHECK_MSG (rc == cases [c].rc, "%s: rc %d", cases [c].body, rc);
        if (rc == 0)
            JM_CHECK_INT (detail, cases [c].detail);
        else
            JM_CHECK_MSG (strstr (err.message, cases [c].words), "%s: %s", cases [c].body, err.message);
    }
    jm_json_doc_destroy (&doc);
}

static jm_job_t *
s_job (const jm_taxonomy_t *taxonomy, const char *text)
{
    json_t *object = json_loads (text, 0, NULL);
    jm_job_t *job = jm_job_new_from_json (object, taxonomy, NULL);
    json_decref (object);
    return job;
}

//  Every level of one candidate's result, written and cut, compared.
static void
s_check_levels (const jm_taxonomy_t *taxonomy, const jm_job_t *job, const char *text)
{
    json_t *object = json_loads (text, 0, NULL);
    JM_REQUIRE (object);
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = jm_candidate_new_from_json (object, taxonomy, NULL, &err);
    json_decref (object);
    JM_CHECK_MSG (candidate, "%s: %s", text, err.message);
    if (!candidate)
        return;
    jm_result_t result;
    jm_score_explain (job, candidate, &result);
    jm_buf_t full, written, cut;
    jm_buf_init (&full);
    jm_buf_init (&written);
    jm_buf_init (&cut);
    jm_result_write_json (&result, job, candidate, &full);
    jm_json_doc_t *doc = jm_json_doc_new ();
    for (int d = JM_DETAIL_SCORE; d <= JM_DETAIL_FULL; d++) {
        jm_buf_reset (&written);
        jm_buf_reset (&cut);
        jm_buf_puts (&cut, "[");            //  appended after what is there
        jm_detail_write (&result, job, candidate, (jm_detail_t) d, &written);
        jm_error_clear (&err);
        JM_CHECK_MSG (jm_detail_cut (doc, full.data, full.len, (jm_detail_t) d, &cut, &err) == 0,
                      "cut: %s", err.message);
        JM_CHECK_MSG (cut.len == written.len + 1 && memcmp (cut.data + 1, written.data, written.len) == 0,
                      "%s: written %.*s\ncut %.*s", jm_detail_name (d), (int) written.len, written.data,
                      (int) cut.len - 1, cut.data + 1);
        //  laid out otherwise (indented: parsed whole), the same bytes
        json_t *tree = json_loadb (full.data, full.len, 0, NULL);
        char *pretty = json_dumps (tree, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
        json_decref (tree);
        JM_REQUIRE (pretty);
        jm_buf_reset (&cut);
        JM_CHECK (jm_detail_cut (doc, pretty, strlen (pretty), (jm_detail_t) d, &cut, &err) == 0);
        if (d != JM_DETAIL_FULL)
            JM_CHECK_MSG (cut.len == written.len && memcmp (cut.data, written.data, written.len) == 0,
                          "%s, indented: %.*s", jm_detail_name (d), (int) cut.len, cut.data);
        free (pretty);
        json_t *parsed = json_loadb (written.data, written.len, JSON_REJECT_DUPLICATES, NULL);
        JM_CHECK_MSG (parsed, "%s is not JSON: %.*s", jm_detail_name (d), (int) written.len, written.data);
        if (!parsed)
            continue;
        JM_CHECK_STR (json_string_value (json_object_get (parsed, "candidate")), candidate->id);
        JM_CHECK_NEAR (json_real_value (json_object_get (parsed, "score")) +
                       (double) json_integer_value (json_object_get (parsed, "score")), result.score, 1e-9);
        JM_CHECK_STR (json_string_value (json_object_get (parsed, "band")), jm_band_name (result.band));
        JM_CHECK_INT (json_integer_value (json_object_get (parsed, "job_version")), jm_job_version (job));
        if (d == JM_DETAIL_SCORE)
            JM_CHECK_INT (json_object_size (parsed), 5);
        if (d == JM_DETAIL_SUMMARY) {
            json_t *missing = json_object_get (parsed, "missing_required_skills");
            JM_CHECK_INT (json_array_size (missing), result.missing_required);
            JM_CHECK_INT (json_integer_value (json_object_get (parsed, "required_met")), result.required_met);
            JM_CHECK (json_object_get (parsed, "requirements") == NULL);
        }
        if (d == JM_DETAIL_FULL)
            JM_CHECK (written.len == full.len && memcmp (written.data, full.data, full.len) == 0);
        else
            JM_CHECK_MSG (written.len * 3 < full.len, "%s: %zu bytes of %zu", jm_detail_name (d),
                          written.len, full.len);
        json_decref (parsed);
    }
    jm_json_doc_destroy (&doc);
    jm_buf_free (&full);
    jm_buf_free (&written);
    jm_buf_free (&cut);
    jm_candidate_destroy (&candidate);
}

JM_TEST (detail_written_equals_cut)
{
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (s_fixture_taxonomy, strlen (s_fixture_taxonomy), NULL);
    JM_REQUIRE (taxonomy);
    jm_job_t *job = s_job (taxonomy, s_fixture_job);
    JM_REQUIRE (job);
    const char *candidates [] = {
        //  all met, a name to escape
        "{\"id\": \"a\", \"name\": \"Zo\\u00eb \\\"Q\\\" \\\\ \\u2603\", \"skills\": [\"Python\","
        " {\"name\": \"PostgreSQL\", \"level\": 4}, \"Redis\", {\"name\": \"Docker\", \"years\": 3}]}",
        //  two required missing, no name
        "{\"id\": \"c/\\u00e9\", \"skills\": [{\"name\": \"SQL\", \"level\": 1}, \"Git\"]}",
        //  nothing at all
        "{\"id\": \"d\", \"skills\": []}",
        //  only through relations
        "{\"id\": \"b\", \"name\": \"\", \"skills\": [\"Django\", \"MySQL\", \"Memcached\", \"docker\"]}",
    };
    for (size_t c = 0; c < sizeof candidates / sizeof candidates [0]; c++)
        s_check_levels (taxonomy, job, candidates [c]);
    jm_job_destroy (&job);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (detail_cut_hostile)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    const char *bad [] = {
        "", "{", "null", "[]", "{}", "{\"candidate\": 5}",
        "{\"candidate\": \"a\", \"job\": \"j\", \"job_version\": 1, \"score\": \"high\", \"band\": \"weak\","
        " \"required\": \"0 of 1\", \"required_met\": 0, \"required_total\": 1, \"missing_required\": 1,"
        " \"requirements\": []}",
        "{\"candidate\": \"a\", \"name\": 7, \"job\": \"j\", \"job_version\": 1, \"score\": 1, \"band\": \"weak\","
        " \"required\": \"0 of 1\", \"required_met\": 0, \"required_total\": 1, \"missing_required\": 1,"
        " \"requirements\": []}",
        "{\"candidate\": \"a\", \"job\": \"j\", \"job_version\": 1, \"score\": 1, \"band\": \"weak\","
        " \"required\": \"0 of 1\", \"required_met\": 0, \"required_total\": 1, \"missing_required\": 1,"
        " \"requirements\": {}}",
    };
    jm_buf_t out;
    jm_buf_init (&out);
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++)
        for (int d = JM_DETAIL_SCORE; d < JM_DETAIL_FULL; d++) {
            jm_buf_reset (&out);
            jm_buf_puts (&out, "kept");
            jm_error_t err;
            jm_error_clear (&err);
            JM_CHECK_MSG (jm_detail_cut (doc, bad [b], strlen (bad [b]), (jm_detail_t) d, &out, &err) == -1,
                          "accepted %s", bad [b]);
            JM_CHECK_STR (err.code, JM_ERR_INVALID_DATA);
            JM_CHECK (out.len == 4 && memcmp (out.data, "kept", 4) == 0);
        }
    //  a requirement that is not an object, or has no label, is passed over
    const char *odd = "{\"candidate\": \"a\", \"job\": \"j\", \"job_version\": 1, \"score\": 1, \"band\": \"weak\","
        " \"required\": \"0 of 1\", \"required_met\": 0, \"required_total\": 1, \"missing_required\": 1,"
        " \"requirements\": [3, {\"penalised\": true}, {\"requirement\": \"X\", \"penalised\": true}]}";
    jm_buf_reset (&out);
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK (jm_detail_cut (doc, odd, strlen (odd), JM_DETAIL_SUMMARY, &out, &err) == 0);
    JM_CHECK (out.len && strstr (out.data, "\"missing_required_skills\":[\"X\"]}") != NULL);
    jm_buf_free (&out);
    jm_json_doc_destroy (&doc);
}
