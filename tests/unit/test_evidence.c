/*  Tests for jm_evidence (stage 6 of jm_resume): years, level and since read
    from the words around each held mention, through jm_resume_read on the
    engine fixture's taxonomy.  The cases are in tests/data/evidence_cases.json:
    {"text", "skills": {"<id>": {"level"?, "years"?, "since"?}}}; a held skill
    the case does not name must have no evidence, a named one must be held.  */
#include "jm_test.h"
#include "jm_candidate.h"
#include "jm_evidence.h"
#include "jm_extract.h"
#include "jm_resume.h"
#include "jm_taxonomy.h"
#include "engine_fixture.h"

#include <jansson.h>
#include <unistd.h>

typedef struct {
    jm_taxonomy_t *taxonomy;
    jm_extractor_t *extractor;
} s_fixture_t;

static bool
s_setup (s_fixture_t *fixture)
{
    fixture->taxonomy = jm_taxonomy_new_from_text (s_fixture_taxonomy, strlen (s_fixture_taxonomy), NULL);
    fixture->extractor = fixture->taxonomy ? jm_extractor_new (fixture->taxonomy) : NULL;
    return fixture->extractor != NULL;
}

static void
s_teardown (s_fixture_t *fixture)
{
    jm_extractor_destroy (&fixture->extractor);
    jm_taxonomy_destroy (&fixture->taxonomy);
}

//  One skill's evidence over its held mentions, as `skills extract` merges it
typedef struct {
    bool held;
    int level;
    double years;
    int since;
} s_merged_t;

//  Reads text; fills merged [skill]; returns the mention count (-1: error)
static long
s_read (const s_fixture_t *fixture, const char *text, s_merged_t *merged, int skills)
{
    for (int s = 0; s < skills; s++)
        merged [s] = (s_merged_t) { false, 0, -1, 0 };
    jm_found_t *found = NULL;
    jm_error_t err;
    jm_error_clear (&err);
    long count = jm_resume_read (fixture->extractor, text, strlen (text), &found, &err);
    for (long i = 0; i < count; i++) {
        if (found [i].claim != JM_CLAIM_HELD)
            continue;
        s_merged_t *entry = &merged [found [i].skill];
        entry->held = true;
        if (found [i].level > entry->level)
            entry->level = found [i].level;
        if (found [i].years > entry->years)
            entry->years = found [i].years;
        if (found [i].since && (!entry->since || found [i].since < entry->since))
            entry->since = found [i].since;
        //  a cue lies inside the text
        JM_CHECK (found [i].cue_end <= strlen (text));
        JM_CHECK (found [i].level >= 0 && found [i].level <= 5);
        JM_CHECK (found [i].years <= 50);
    }
    free (found);
    return count;
}

static const char *
s_repo_path (const char *relative)
{
    static char path [1024];
    snprintf (path, sizeof path, "%s/../%s", jm_test_data_dir (), relative);
    return path;
}

//  Compares one case; returns true when it holds, reporting what differs
static bool
s_check_case (const s_fixture_t *fixture, size_t index, json_t *item)
{
    const char *text = json_string_value (json_object_get (item, "text"));
    json_t *want = json_object_get (item, "skills");
    if (!text || !json_is_object (want)) {
        jm_test_fail (__FILE__, __LINE__, "case %zu: no text or skills object", index);
        return false;
    }
    int skills = jm_taxonomy_size (fixture->taxonomy);
    s_merged_t merged [JM_MAX_SKILLS];
    if (s_read (fixture, text, merged, skills) < 0) {
        jm_test_fail (__FILE__, __LINE__, "case %zu \"%s\": read failed", index, text);
        return false;
    }
    bool ok = true;
    const char *id;
    json_t *expect;
    json_object_foreach (want, id, expect) {
        int skill = jm_taxonomy_find (fixture->taxonomy, id);
        if (skill < 0) {
            jm_test_fail (__FILE__, __LINE__, "case %zu: no skill '%s' in the fixture", index, id);
            ok = false;
            continue;
        }
        s_merged_t *got = &merged [skill];
        json_t *level = json_object_get (expect, "level");
        json_t *years = json_object_get (expect, "years");
        json_t *since = json_object_get (expect, "since");
        int want_level = level ? (int) json_integer_value (level) : 0;
        double want_years = years ? json_number_value (years) : -1;
        int want_since = since ? (int) json_integer_value (since) : 0;
        if (!got->held || got->level != want_level || got->since != want_since
        ||  got->years < want_years - 1e-9 || got->years > want_years + 1e-9) {
            jm_test_fail (__FILE__, __LINE__,
                          "case %zu \"%s\": %s: got held %d level %d years %g since %d,"
                          " want level %d years %g since %d", index, text, id, got->held,
                          got->level, got->years, got->since, want_level, want_years, want_since);
            ok = false;
        }
    }
    for (int s = 0; s < skills; s++) {
        const char *skill_id = jm_taxonomy_skill (fixture->taxonomy, s)->id;
        if (!merged [s].held || json_object_get (want, skill_id))
            continue;
        if (merged [s].level || merged [s].years >= 0 || merged [s].since) {
            jm_test_fail (__FILE__, __LINE__,
                          "case %zu \"%s\": %s: got level %d years %g since %d, want none",
                          index, text, skill_id, merged [s].level, merged [s].years, merged [s].since);
            ok = false;
        }
    }
    return ok;
}

JM_TEST (evidence_data_cases)
{
    const char *path = s_repo_path ("tests/data/evidence_cases.json");
    JM_REQUIRE (access (path, R_OK) == 0);
    s_fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    json_error_t json_error;
    json_t *root = json_load_file (path, 0, &json_error);
    JM_REQUIRE (root);
    json_t *cases = json_is_array (root) ? root : json_object_get (root, "cases");
    JM_REQUIRE (json_is_array (cases));
    JM_CHECK (json_array_size (cases) >= 60);
    size_t index, failures = 0;
    json_t *item;
    json_array_foreach (cases, index, item)
        if (!s_check_case (&fixture, index, item))
            failures++;
    printf ("    %zu cases, %zu mismatches\n", json_array_size (cases), failures);
    json_decref (root);
    s_teardown (&fixture);
}

//  Only held mentions get evidence; the cue covers the phrase
JM_TEST (evidence_held_only)
{
    s_fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    const char *text = "10 years of Java";
    jm_found_t found [1] = {{
        .skill = jm_taxonomy_find (fixture.taxonomy, "java"), .start = 12, .end = 16,
        .claim = JM_CLAIM_NEGATED, .level = 0, .years = -1
    }};
    jm_evidence_read (text, strlen (text), found, 1);
    JM_CHECK (found [0].years < 0);
    found [0].claim = JM_CLAIM_HELD;
    jm_evidence_read (text, strlen (text), found, 1);
    JM_CHECK_NEAR (found [0].years, 10, 1e-9);
    JM_CHECK_INT (found [0].cue_start, 0);
    JM_CHECK_INT (found [0].cue_end, 11);
    s_teardown (&fixture);
}

//  "since" counts to the latest year the text names, never to the clock
JM_TEST (evidence_reference_year)
{
    s_fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    s_merged_t merged [JM_MAX_SKILLS];
    int skills = jm_taxonomy_size (fixture.taxonomy);
    int java = jm_taxonomy_find (fixture.taxonomy, "java");
    s_read (&fixture, "Java since 2016.", merged, skills);
    JM_CHECK_NEAR (merged [java].years, JM_EVIDENCE_YEAR - 2016, 1e-9);
    JM_CHECK_INT (merged [java].since, 2016);
    s_read (&fixture, "Java since 2016. Updated in 2031.", merged, skills);
    JM_CHECK_NEAR (merged [java].years, 2031 - 2016, 1e-9);
    s_read (&fixture, "Java (2016 - present)", merged, skills);
    JM_CHECK_NEAR (merged [java].years, JM_EVIDENCE_YEAR - 2016, 1e-9);
    s_teardown (&fixture);
}

//  Hostile text: evidence words everywhere, at both ends, cut in the middle
JM_TEST (evidence_hostile)
{
    s_fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    s_merged_t merged [JM_MAX_SKILLS];
    int skills = jm_taxonomy_size (fixture.taxonomy);
    static const char *texts [] = {
        "Java", "5 years Java", "Java 5", "Java (", "Java (5", "Java (5 y", "Java since",
        "Java since 1", "Java 2015-", "Java ★", "Java ★★★★★★★★★★★★★★", "Java 4/", "Java 4/0",
        "99999999999999999999 years of Java", "Java 9999 years", "1.5.5 years of Java",
        "senior", "senior Java", "years of Java", ", , , Java", "Java -", "Java–",
        "\xc3", "Java \xc3\xa9", "sehr sehr sehr gute Java", "a a a a a a years of Java",
        "Java since 1969", "Java since 2101", "Java 2020-2010", "Java (0/5)", "Java 11/10",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts [0]; t++)
        s_read (&fixture, texts [t], merged, skills);
    //  random words from the table's world, many times over
    static const char *words [] = {
        "5", "years", "of", "Java", "Docker", ",", "and", "senior", "developer", "(", ")",
        "since", "2016", "-", "–", "present", "basic", "very", "good", "★", "☆", "4/5", "level",
        ":", "ago", "a", "decade", "in", "with", ".", "\n", "Jahre", "seit", "años", "d'",
    };
    unsigned seed = 7;
    char text [4096];
    for (int round = 0; round < 300; round++) {
        size_t used = 0;
        while (used + 32 < sizeof text) {
            seed = seed * 1103515245u + 12345u;
            const char *word = words [(seed >> 16) % (sizeof words / sizeof words [0])];
            used += (size_t) snprintf (text + used, sizeof text - used, "%s%s", word,
                                       (seed >> 8) & 1 ? " " : "");
        }
        s_read (&fixture, text, merged, skills);
    }
    s_teardown (&fixture);
}

//  A candidate's résumé skills take the best evidence of all their mentions;
//  a listed skill keeps the level and years it states, and takes the
//  résumé's only where it states none
JM_TEST (evidence_candidate_merge)
{
    s_fixture_t fixture;
    JM_REQUIRE (s_setup (&fixture));
    json_error_t json_error;
    json_t *object = json_loads (
        "{\"id\": \"c1\", \"skills\": [{\"name\": \"Python\", \"level\": 2, \"years\": 1}, \"Redis\"],"
        " \"resume\": \"Familiar with Java. 10 years of Java. Senior Java developer. Basic Docker."
        " Expert in Python, 9 years of Python. Redis (5 yrs, advanced).\"}", 0, &json_error);
    JM_REQUIRE (object);
    jm_candidate_t *candidate = jm_candidate_new_from_json (object, fixture.taxonomy, fixture.extractor, NULL);
    json_decref (object);
    JM_REQUIRE (candidate);
    const jm_candidate_skill_t *java = jm_candidate_skill (candidate, jm_taxonomy_find (fixture.taxonomy, "java"));
    const jm_candidate_skill_t *docker = jm_candidate_skill (candidate, jm_taxonomy_find (fixture.taxonomy, "docker"));
    const jm_candidate_skill_t *python = jm_candidate_skill (candidate, jm_taxonomy_find (fixture.taxonomy, "python"));
    const jm_candidate_skill_t *redis = jm_candidate_skill (candidate, jm_taxonomy_find (fixture.taxonomy, "redis"));
    JM_REQUIRE (java && docker && python && redis);
    JM_CHECK (java->from_resume);
    JM_CHECK_INT (java->level, 4);
    JM_CHECK_NEAR (java->years, 10, 1e-9);
    JM_CHECK_INT (docker->level, 2);
    JM_CHECK (docker->years < 0);
    JM_CHECK (!python->from_resume);
    JM_CHECK_INT (python->level, 2);
    JM_CHECK_NEAR (python->years, 1, 1e-9);
    JM_CHECK (!redis->from_resume);
    JM_CHECK_INT (redis->level, 4);
    JM_CHECK_NEAR (redis->years, 5, 1e-9);
    jm_candidate_destroy (&candidate);
    s_teardown (&fixture);
}
