/*  Tests for jm_context (stage 5 of résumé reading): negation, intent and
    other people's skills.  The data-driven cases (tests/data/
    context_cases.json, English, German, Spanish, French and symbols) run
    through jm_resume_read on the fixture taxonomy plus a few skills the
    cases name; then the cue spans, hostile input and the time a pass takes
    on long texts.                                                          */
#include "jm_test.h"
#include "engine_fixture.h"
#include "jm_context.h"
#include "jm_extract.h"
#include "jm_resume.h"
#include "jm_taxonomy.h"

#include <jansson.h>
#include <time.h>

//  The fixture taxonomy with the skills listed in extra (a JSON array, may be NULL)
static jm_taxonomy_t *
s_taxonomy (json_t *extra)
{
    json_t *root = json_loads (s_fixture_taxonomy, 0, NULL);
    if (!root)
        return NULL;
    json_t *skills = json_object_get (root, "skills");
    size_t index;
    json_t *skill;
    json_array_foreach (extra, index, skill)
        json_array_append (skills, skill);
    char *text = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (text, strlen (text), &err);
    JM_CHECK_MSG (taxonomy, "taxonomy: %s", err.message);
    free (text);
    return taxonomy;
}

//  The cases file, or NULL
static json_t *
s_cases (void)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/../tests/data/context_cases.json", jm_test_data_dir ());
    json_error_t error;
    json_t *root = json_load_file (path, 0, &error);
    JM_CHECK_MSG (root, "%s: %s (line %d)", path, error.text, error.line);
    return root;
}

//  The ids with a claim, sorted, as a JSON array text (malloc'd)
static char *
s_ids (const jm_taxonomy_t *taxonomy, const jm_found_t *found, long count, jm_claim_t claim)
{
    const char *ids [256];
    size_t total = 0;
    for (long i = 0; i < count && total < 256; i++) {
        if (found [i].claim != claim)
            continue;
        const char *id = jm_taxonomy_skill (taxonomy, found [i].skill)->id;
        size_t at = 0;
        while (at < total && strcmp (ids [at], id) < 0)
            at++;
        if (at < total && strcmp (ids [at], id) == 0)
            continue;
        memmove (ids + at + 1, ids + at, (total - at) * sizeof ids [0]);
        ids [at] = id;
        total++;
    }
    json_t *array = json_array ();
    for (size_t i = 0; i < total; i++)
        json_array_append_new (array, json_string (ids [i]));
    char *text = json_dumps (array, JSON_COMPACT);
    json_decref (array);
    return text;
}

//  The expected ids of a case for one status, as the same JSON text
static char *
s_expected (json_t *item, const char *key)
{
    json_t *array = json_object_get (item, key);
    return array ? json_dumps (array, JSON_COMPACT) : strdup ("[]");
}

JM_TEST (context_cases)
{
    json_t *root = s_cases ();
    JM_REQUIRE (root);
    jm_taxonomy_t *taxonomy = s_taxonomy (json_object_get (root, "skills"));
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    json_t *cases = json_object_get (root, "cases");
    JM_CHECK_MSG (json_array_size (cases) >= 80, "only %zu cases", json_array_size (cases));
    static const struct { const char *key; jm_claim_t claim; } statuses [] = {
        { "held", JM_CLAIM_HELD }, { "negated", JM_CLAIM_NEGATED },
        { "intended", JM_CLAIM_INTENDED }, { "others", JM_CLAIM_OTHERS }
    };
    size_t index, failed = 0;
    json_t *item;
    json_array_foreach (cases, index, item) {
        const char *text = json_string_value (json_object_get (item, "text"));
        JM_REQUIRE (text);
        jm_found_t *found = NULL;
        long count = jm_resume_read (extractor, text, strlen (text), &found, NULL);
        JM_CHECK_MSG (count >= 0, "case %zu: not read", index);
        bool good = true;
        for (size_t s = 0; s < 4 && count >= 0; s++) {
            char *got = s_ids (taxonomy, found, count, statuses [s].claim);
            char *want = s_expected (item, statuses [s].key);
            if (strcmp (got, want) != 0) {
                jm_test_fail (__FILE__, __LINE__, "case %zu \"%s\": %s %s, want %s", index, text,
                              statuses [s].key, got, want);
                good = false;
            }
            free (got);
            free (want);
        }
        //  every mention that does not count has a reason and a cue inside the text
        for (long i = 0; i < count; i++) {
            if (found [i].claim == JM_CLAIM_HELD || found [i].claim == JM_CLAIM_UNSUPPORTED)
                continue;
            jm_reason_t want = found [i].claim == JM_CLAIM_NEGATED ? JM_REASON_NEGATION
                             : found [i].claim == JM_CLAIM_INTENDED ? JM_REASON_INTENT : JM_REASON_OTHERS;
            JM_CHECK_MSG (found [i].reason == want, "case %zu: reason %d", index, found [i].reason);
            JM_CHECK_MSG (found [i].cue_end > found [i].cue_start && found [i].cue_end <= strlen (text),
                          "case %zu: cue [%u, %u)", index, found [i].cue_start, found [i].cue_end);
        }
        failed += !good;
        free (found);
    }
    JM_CHECK_MSG (failed == 0, "%zu of %zu cases failed", failed, json_array_size (cases));
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
    json_decref (root);
}

//  Reads text; the found array (free it) and its count
static long
s_read (const jm_extractor_t *extractor, const char *text, jm_found_t **found)
{
    return jm_resume_read (extractor, text, strlen (text), found, NULL);
}

JM_TEST (context_cue_spans)
{
    jm_taxonomy_t *taxonomy = s_taxonomy (NULL);
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    jm_found_t *found = NULL;
    //  the cue is the words that decided, in original bytes
    const char *text = "I have no experience with Python or Java. Skills: Django";
    long count = s_read (extractor, text, &found);
    JM_REQUIRE (count == 3);
    JM_CHECK_INT (found [0].claim, JM_CLAIM_NEGATED);
    JM_CHECK_INT (found [0].cue_start, 7);
    JM_CHECK_INT (found [0].cue_end, 9);
    JM_CHECK_INT (found [1].cue_start, 7);
    JM_CHECK_INT (found [2].claim, JM_CLAIM_HELD);
    JM_CHECK_INT (found [2].reason, JM_REASON_NONE);
    JM_CHECK_INT (found [2].cue_end, found [2].cue_start);
    free (found);
    //  a phrase: "who own"; a symbol
    text = "the platform team, who own Kubernetes";
    count = s_read (extractor, text, &found);
    JM_REQUIRE (count == 1);
    JM_CHECK_INT (found [0].claim, JM_CLAIM_OTHERS);
    JM_CHECK_INT (found [0].reason, JM_REASON_OTHERS);
    JM_CHECK_INT (found [0].cue_start, 19);
    JM_CHECK_INT (found [0].cue_end, 26);
    free (found);
    text = "Docker ✗";
    count = s_read (extractor, text, &found);
    JM_REQUIRE (count == 1);
    JM_CHECK_INT (found [0].claim, JM_CLAIM_NEGATED);
    JM_CHECK_INT (found [0].cue_start, 7);
    JM_CHECK_INT (found [0].cue_end, 10);
    free (found);
    //  a mention that is already not held (another stage decided) stays as it is
    jm_found_t one = { .skill = 0, .start = 3, .end = 9, .claim = JM_CLAIM_UNSUPPORTED,
                       .reason = JM_REASON_NO_EVIDENCE };
    jm_context_classify ("No Python", 9, &one, 1);
    JM_CHECK_INT (one.claim, JM_CLAIM_UNSUPPORTED);
    JM_CHECK_INT (one.reason, JM_REASON_NO_EVIDENCE);
    jm_context_classify ("No Python", 9, NULL, 0);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  Hostile and long texts: cues everywhere, no boundaries, headings with no
//  end; a pass stays linear and never reads outside the text
JM_TEST (context_hostile_and_linear)
{
    jm_taxonomy_t *taxonomy = s_taxonomy (NULL);
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    static const char *units [] = {
        "no ", "not Python, ", "Java: none ", "No:\n- Docker\n", "who own ", "want to learn ",
        "Python lernen ", "❌", "Redis ", "d'", "'", "I'd ", "\n", ",", "-", "and I ", "(never used) ",
        "\xE2\x80\x99", "Ñ", "🚫 "
    };
    size_t units_count = sizeof units / sizeof units [0];
    size_t size = 2 << 20;
    char *text = malloc (size + 64);
    JM_REQUIRE (text);
    for (size_t u = 0; u < units_count; u++) {
        //  one unit repeated, then all of them mixed
        size_t len = 0;
        while (len + strlen (units [u]) < size) {
            memcpy (text + len, units [u], strlen (units [u]));
            len += strlen (units [u]);
        }
        text [len] = '\0';
        jm_found_t *found = NULL;
        clock_t start = clock ();
        long count = jm_resume_read (extractor, text, len, &found, NULL);
        double seconds = (double) (clock () - start) / CLOCKS_PER_SEC;
        JM_CHECK_MSG (count >= 0, "unit %zu not read", u);
        JM_CHECK_MSG (seconds < 2.0, "unit %zu: %.2f s for 2 MiB", u, seconds);
        for (long i = 0; i < count; i++)
            JM_CHECK (found [i].cue_end <= len && found [i].cue_start <= found [i].cue_end);
        free (found);
    }
    size_t len = 0;
    for (size_t k = 0; len + 32 < size; k = (k * 7 + 3) % units_count) {
        memcpy (text + len, units [k], strlen (units [k]));
        len += strlen (units [k]);
    }
    text [len] = '\0';
    jm_found_t *found = NULL;
    long count = jm_resume_read (extractor, text, len, &found, NULL);
    JM_CHECK (count > 0);
    free (found);
    //  texts that end inside a cue, a phrase or a character
    static const char *ends [] = { "no", "Python: no", "want to", "who", "Java ❌", "❌", "I'", "d’",
                                   "No:", "Goals:\n", "Python\n\n", "Java (never" };
    for (size_t e = 0; e < sizeof ends / sizeof ends [0]; e++) {
        count = s_read (extractor, ends [e], &found);
        JM_CHECK (count >= 0);
        free (found);
    }
    free (text);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}
