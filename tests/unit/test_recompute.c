/*  Tests for jm_recompute: the full breakdown recomputed from a packed
    profile and a job version's stored JSON is byte for byte what scoring
    the candidate returned (résumés, levels, years, typos, unknown and
    ignored skills, every built-in job, several versions), and hostile
    stored bytes are errors, never a crash.                               */
#include "jm_test.h"
#include "jm_engine.h"
#include "jm_profile_pack.h"
#include "jm_recompute.h"

#include <dirent.h>
#include <stdint.h>

//  The job as the registry stores it: compact, keys sorted, no version
static char *
s_stored_job (const jm_job_t *job)
{
    json_t *json = jm_job_to_json (job);
    json_object_del (json, "version");
    char *text = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (json);
    return text;
}

//  A résumé's text from tests/eval/resumes, or NULL
static char *
s_resume (const char *name)
{
    char path [512];
    snprintf (path, sizeof path, "%s/../tests/eval/resumes/%s", jm_test_data_dir (), name);
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *text = calloc (1, 1 << 16);
    size_t len = fread (text, 1, (1 << 16) - 1, file);
    text [len] = '\0';
    fclose (file);
    return text;
}

//  A varied candidate: skills as plain names or with level, years and
//  last use, typos, unknown names, and with a résumé when given
static json_t *
s_candidate (int serial, const jm_taxonomy_t *taxonomy, const char *resume, uint64_t *seed)
{
    static const char *odd [] = { "Pyhton", "Kubernets", "Postgres", "k8s", "Zorblax",
                                  "Djangoo", "JS", "golang", "Excel wizardry" };
    json_t *skills = json_array ();
    int count = jm_taxonomy_size (taxonomy);
    int wanted = 3 + (int) (*seed % 18);
    for (int i = 0; i < wanted; i++) {
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t r = (uint32_t) (*seed >> 33);
        const char *name = r % 7 == 0 ? odd [r % 9] : jm_taxonomy_skill (taxonomy, (int) (r % (uint32_t) count))->name;
        if (r % 4 == 0)
            json_array_append_new (skills, json_string (name));
        else
            json_array_append_new (skills, json_pack ("{s:s, s:i, s:f, s:i}", "name", name,
                "level", 1 + (int) (r % 5), "years", (double) (r % 97) / 4.0,
                "last_used", 2010 + (int) (r % 17)));
    }
    char id [32];
    snprintf (id, sizeof id, "rc-%d", serial);
    json_t *candidate = json_pack ("{s:s, s:o}", "id", id, "skills", skills);
    if (serial % 3)
        json_object_set_new (candidate, "name", json_sprintf ("Ann \"%d\" L\u00e9e", serial));
    if (serial % 4)
        json_object_set_new (candidate, "years_experience", json_real ((double) (serial % 31) / 2.0));
    if (resume)
        json_object_set_new (candidate, "resume", json_string (resume));
    return candidate;
}

//  Scores candidate against every job at version, recomputes from its
//  packed profile and the job's stored JSON; returns the breakdowns compared.
static int
s_compare (jm_engine_t *engine, jm_recompute_t *recompute, json_t *object, int version)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = jm_engine_candidate (engine, object, &err);
    JM_CHECK_MSG (candidate, "candidate: %s", err.message);
    if (!candidate)
        return 0;
    jm_buf_t packed, fresh, again;
    jm_buf_init (&packed);
    jm_buf_init (&fresh);
    jm_buf_init (&again);
    jm_profile_pack (candidate, jm_engine_taxonomy (engine), &packed);
    int compared = 0;
    for (int j = 0; j < jm_engine_job_count (engine); j++) {
        jm_job_t *job = jm_engine_job_at (engine, j);
        jm_job_set_version (job, version);
        jm_buf_reset (&fresh);
        jm_buf_reset (&again);
        jm_result_t result;
        jm_score_explain (job, candidate, &result);
        jm_result_write_json (&result, job, candidate, &fresh);
        double score = result.score;
        char *text = s_stored_job (job);
        const jm_job_t *stored = jm_recompute_job (recompute, text, strlen (text), version, &err);
        JM_CHECK_MSG (stored, "job %s: %s", jm_job_id (job), err.message);
        double recomputed = stored ? jm_recompute_full (recompute, stored, candidate->id, packed.data,
                                                        packed.len, &again, &err) : -1;
        JM_CHECK_MSG (recomputed == score, "score of %s for %s: %g, recomputed %g (%s)",
                      candidate->id, jm_job_id (job), score, recomputed, err.message);
        JM_CHECK_MSG (again.len == fresh.len && memcmp (again.data, fresh.data, fresh.len) == 0,
                      "breakdown of %s for %s differs:\n  %.*s\n  %.*s", candidate->id,
                      jm_job_id (job), (int) fresh.len, fresh.data, (int) again.len,
                      again.data ? again.data : "");
        compared++;
        free (text);
    }
    jm_buf_free (&packed);
    jm_buf_free (&fresh);
    jm_buf_free (&again);
    jm_candidate_destroy (&candidate);
    return compared;
}

JM_TEST (recompute_full_is_the_scored_bytes)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_engine_t *engine = jm_engine_new (jm_test_data_dir (), &err);
    JM_REQUIRE (engine);
    jm_recompute_t *recompute = jm_recompute_new (jm_engine_taxonomy (engine));
    uint64_t seed = 42;
    int compared = 0, serial = 0, resumes = 0;
    //  every résumé of the evaluation set, with listed skills around it
    char path [512];
    snprintf (path, sizeof path, "%s/../tests/eval/resumes", jm_test_data_dir ());
    DIR *dir = opendir (path);
    JM_CHECK_MSG (dir, "no %s", path);
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len < 5 || entry->d_name [0] == '.' || strcmp (entry->d_name + len - 5, ".json") == 0)
            continue;
        char *resume = s_resume (entry->d_name);
        if (!resume)
            continue;
        json_t *object = s_candidate (serial++, jm_engine_taxonomy (engine), resume, &seed);
        compared += s_compare (engine, recompute, object, 1 + serial % 3);
        json_decref (object);
        free (resume);
        resumes++;
    }
    if (dir)
        closedir (dir);
    //  and without résumés
    for (int i = 0; i < 200; i++) {
        json_t *object = s_candidate (serial++, jm_engine_taxonomy (engine), NULL, &seed);
        compared += s_compare (engine, recompute, object, 1 + i % 5);
        json_decref (object);
    }
    JM_CHECK (resumes >= 50);
    if (getenv ("JM_TEST_VERBOSE"))
        printf ("    %d breakdowns compared (%d with a resume)\n", compared, resumes);
    jm_recompute_destroy (&recompute);
    jm_engine_destroy (&engine);
}

JM_TEST (recompute_refuses_hostile_bytes)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_engine_t *engine = jm_engine_new (jm_test_data_dir (), &err);
    JM_REQUIRE (engine);
    jm_recompute_t *recompute = jm_recompute_new (jm_engine_taxonomy (engine));
    jm_job_t *job = jm_engine_job_at (engine, 0);
    char *text = s_stored_job (job);
    //  jobs: not JSON, not a job, an unknown skill, no version, empty
    const char *bad_jobs [] = { "{", "[]", "{\"id\":\"x\"}",
        "{\"id\":\"x\",\"title\":\"t\",\"requirements\":[{\"skill\":\"no-such-skill\",\"weight\":3}]}" };
    for (size_t i = 0; i < sizeof bad_jobs / sizeof *bad_jobs; i++) {
        jm_error_clear (&err);
        JM_CHECK (jm_recompute_job (recompute, bad_jobs [i], strlen (bad_jobs [i]), 1, &err) == NULL);
        JM_CHECK_MSG (err.code [0] && strstr (err.message, "job version 1"), "%s", err.message);
    }
    jm_error_clear (&err);
    JM_CHECK (jm_recompute_job (recompute, text, strlen (text), 0, &err) == NULL);
    JM_CHECK (jm_recompute_job (recompute, "", 0, 1, NULL) == NULL);
    const jm_job_t *stored = jm_recompute_job (recompute, text, strlen (text), 3, &err);
    JM_REQUIRE (stored);
    JM_CHECK (jm_recompute_job (recompute, text, strlen (text), 3, &err) == stored);    //  kept
    //  profiles: every truncation of a packed one, garbage, another id
    json_t *object = json_pack ("{s:s, s:[s, s]}", "id", "c-1", "skills", "Python", "Docker");
    jm_candidate_t *candidate = jm_engine_candidate (engine, object, &err);
    json_decref (object);
    JM_REQUIRE (candidate);
    jm_buf_t packed, out;
    jm_buf_init (&packed);
    jm_buf_init (&out);
    jm_profile_pack (candidate, jm_engine_taxonomy (engine), &packed);
    for (size_t len = 0; len < packed.len; len++) {
        jm_error_clear (&err);
        JM_CHECK (jm_recompute_full (recompute, stored, NULL, packed.data, len, &out, &err) < 0);
        JM_CHECK (err.code [0]);
        JM_CHECK (out.len == 0);
    }
    const char *garbage [] = { "{", "{}", "{\"id\":\"c-1\",\"skills\":7}", "\xF1\xFF\xFF\xFF" };
    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
        jm_error_clear (&err);
        JM_CHECK (jm_recompute_full (recompute, stored, NULL, garbage [i], strlen (garbage [i]),
                                     &out, &err) < 0);
        JM_CHECK (err.code [0]);
    }
    jm_error_clear (&err);
    JM_CHECK (jm_recompute_full (recompute, stored, "c-2", packed.data, packed.len, &out, &err) < 0);
    JM_CHECK_MSG (strstr (err.message, "another candidate"), "%s", err.message);
    JM_CHECK (out.len == 0);
    JM_CHECK (jm_recompute_full (recompute, stored, "c-1", packed.data, packed.len, &out, NULL) >= 0);
    JM_CHECK (out.len > 0 && strstr (out.data, "\"job_version\":3,"));
    char field [JM_RECOMPUTE_FIELD_MAX];
    jm_recompute_version_field (2147483647, field);
    JM_CHECK_STR (field, "v:2147483647");
    jm_buf_free (&packed);
    jm_buf_free (&out);
    free (text);
    jm_candidate_destroy (&candidate);
    jm_recompute_destroy (&recompute);
    jm_engine_destroy (&engine);
}

JM_TEST (profile_format_2_keeps_resume_corrections)
{
    //  a résumé's typo-corrected mention: format 2 only, never on a listed skill
    static const char skill [] = "\x01" "a" "\x00" "\x01" "\x06" "python" "\x30" "\x00";
    char bytes [sizeof skill];
    memcpy (bytes + 1, skill, sizeof skill - 1);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_error_t err;
    jm_error_clear (&err);
    bytes [0] = (char) JM_PROFILE_PACKED_2;
    JM_CHECK (jm_profile_is_packed (bytes, sizeof bytes));
    JM_CHECK_MSG (jm_profile_unpack (bytes, sizeof bytes, &out, &err) == 0, "%s", err.message);
    JM_CHECK_STR (out.data, "{\"id\":\"a\",\"skills\":[{\"id\":\"python\",\"from_resume\":true,"
                  "\"corrected\":true}],\"unknown\":[]}");
    bytes [0] = (char) JM_PROFILE_PACKED;
    jm_buf_reset (&out);
    JM_CHECK (jm_profile_unpack (bytes, sizeof bytes, &out, &err) < 0);
    JM_CHECK_MSG (strstr (err.message, "unknown skill flags"), "%s", err.message);
    bytes [0] = (char) JM_PROFILE_PACKED_2;
    bytes [12] = 0x20;                      //  corrected without from_resume
    jm_error_clear (&err);
    JM_CHECK (jm_profile_unpack (bytes, sizeof bytes, &out, &err) < 0);
    JM_CHECK_MSG (strstr (err.message, "listed skill"), "%s", err.message);
    jm_buf_free (&out);
}
