/*  Tests for jm_ambiguity (issue 15 item 2): ordinary-word skills need
    evidence.  Driven through jm_resume_read: a small fixture taxonomy for
    each rule, and tests/data/ambiguity_cases.json on the real one.       */
#include "jm_test.h"
#include "jm_ambiguity.h"
#include "jm_extract.h"
#include "jm_resume.h"
#include "jm_taxonomy.h"
#include "engine_fixture.h"

#include <jansson.h>
#include <time.h>
#include <unistd.h>

//  The engine fixture, with evidence rules on golang, express and c, and an
//  "oracle" skill that is also an employer
static jm_taxonomy_t *
s_fixture (void)
{
    static const char *additions [][2] = {
        { "\"ambiguous\": [\"Go\"]}",
          "\"ambiguous\": [\"Go\"], \"evidence\": {\"rule\": \"Go the language\","
          " \"neighbours\": [\"goroutines\", \"written in Go\"], \"phrases\": [\"Go ahead\"]}}" },
        { "\"ambiguous\": [\"Express\"], \"implies\": [\"nodejs\"]}",
          "\"ambiguous\": [\"Express\"], \"implies\": [\"nodejs\"], \"evidence\": {\"rule\": \"Express.js\","
          " \"neighbours\": [\"middleware\"], \"names\": [\"SQL Server Express\"], \"phrases\": [\"Express your\"]}},"
          "{\"id\": \"oracle\", \"name\": \"Oracle Database\", \"category\": \"db\", \"kind\": \"hard\","
          " \"ambiguous\": [\"Oracle\"], \"evidence\": {\"rule\": \"Oracle the database\", \"employer\": true,"
          " \"neighbours\": [\"dba\"], \"names\": [\"Oracle Park\"]}}" },
        { "\"ambiguous\": [\"C\"]}",
          "\"ambiguous\": [\"C\"], \"evidence\": {\"rule\": \"C the language\", \"names\": [\"Plan C\"]}}" },
    };
    size_t size = strlen (s_fixture_taxonomy) + 4096;
    char *text = malloc (size);
    if (!text)
        return NULL;
    strcpy (text, s_fixture_taxonomy);
    for (size_t i = 0; i < sizeof additions / sizeof additions [0]; i++) {
        char *at = strstr (text, additions [i][0]);
        if (!at) {
            jm_test_fail (__FILE__, __LINE__, "fixture lacks %s", additions [i][0]);
            free (text);
            return NULL;
        }
        size_t old_len = strlen (additions [i][0]), new_len = strlen (additions [i][1]);
        memmove (at + new_len, at + old_len, strlen (at + old_len) + 1);
        memcpy (at, additions [i][1], new_len);
    }
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (text, strlen (text), &err);
    JM_CHECK_MSG (taxonomy, "fixture: %s", err.message);
    free (text);
    return taxonomy;
}

//  Reads text; returns the claim of the first mention of id (or -1 when
//  none), its reason in *reason and its cue in cue (may be NULL)
static int
s_claim (const jm_extractor_t *extractor, const char *text, const char *id, jm_reason_t *reason,
         char *cue, size_t cue_size)
{
    const jm_taxonomy_t *taxonomy = jm_extractor_taxonomy (extractor);
    int skill = jm_taxonomy_find (taxonomy, id);
    jm_found_t *found = NULL;
    jm_error_t err;
    jm_error_clear (&err);
    long count = jm_resume_read (extractor, text, strlen (text), &found, &err);
    int claim = -1;
    for (long i = 0; i < count && claim < 0; i++)
        if (found [i].skill == skill) {
            claim = found [i].claim;
            if (reason)
                *reason = found [i].reason;
            if (cue) {
                size_t len = found [i].cue_end - found [i].cue_start;
                len = len < cue_size - 1 ? len : cue_size - 1;
                memcpy (cue, text + found [i].cue_start, len);
                cue [len] = 0;
            }
        }
    free (found);
    return claim;
}

static void
s_expect (const jm_extractor_t *extractor, const char *text, const char *id, int claim,
          jm_reason_t reason, const char *cue)
{
    jm_reason_t got_reason = JM_REASON_NONE;
    char got_cue [128] = "";
    int got = s_claim (extractor, text, id, &got_reason, got_cue, sizeof got_cue);
    JM_CHECK_MSG (got == claim && (claim != JM_CLAIM_UNSUPPORTED || got_reason == reason),
                  "\"%s\": %s is %s/%s, want %s/%s", text, id, got >= 0 ? jm_claim_name (got) : "absent",
                  jm_reason_name (got_reason), claim >= 0 ? jm_claim_name (claim) : "absent",
                  jm_reason_name (reason));
    if (cue)
        JM_CHECK_MSG (strcmp (got_cue, cue) == 0, "\"%s\": cue \"%s\", want \"%s\"", text, got_cue, cue);
}

JM_TEST (ambiguity_fixture_rules)
{
    jm_taxonomy_t *taxonomy = s_fixture ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const int held = JM_CLAIM_HELD, unsupported = JM_CLAIM_UNSUPPORTED;
    //  evidence
    s_expect (extractor, "Skills: Go, C, Express", "golang", held, 0, NULL);
    s_expect (extractor, "Skills: Go, C, Express", "c", held, 0, NULL);
    s_expect (extractor, "Services written in Go.", "golang", held, 0, NULL);
    s_expect (extractor, "Go with goroutines everywhere.", "golang", held, 0, NULL);
    s_expect (extractor, "Go 1.21 in production.", "golang", held, 0, NULL);
    s_expect (extractor, "Go and Docker on the build hosts.", "golang", held, 0, NULL);
    s_expect (extractor, "Express middleware.", "express", held, 0, NULL);
    s_expect (extractor, "Oracle DBA on call.", "oracle", held, 0, NULL);
    s_expect (extractor, "Golang at work; we moved the team to Go.", "golang", held, 0, NULL);
    s_expect (extractor, "Go-based tools.", "golang", held, 0, NULL);
    //  counter-evidence, with the cue
    s_expect (extractor, "Go-live in May.", "golang", unsupported, JM_REASON_HYPHEN_JOINED, "Go-live");
    s_expect (extractor, "Go 2019 release party with Docker.", "golang", unsupported, JM_REASON_YEAR_AFTER, "2019");
    s_expect (extractor, "Go ahead with Docker.", "golang", unsupported, JM_REASON_ORDINARY_WORD, "Go ahead");
    s_expect (extractor, "Express your ideas with Docker.", "express", unsupported, JM_REASON_ORDINARY_WORD, "Express your");
    s_expect (extractor, "MySQL and SQL Server Express.", "express", unsupported, JM_REASON_LONGER_NAME, "SQL Server Express");
    s_expect (extractor, "DBA at Oracle.", "oracle", unsupported, JM_REASON_EMPLOYER, "at Oracle");
    s_expect (extractor, "Skills: Java, Oracle Park", "oracle", unsupported, JM_REASON_LONGER_NAME, "Oracle Park");
    s_expect (extractor, "Worked for Oracle as a DBA.", "oracle", unsupported, JM_REASON_EMPLOYER, "Worked for Oracle");
    s_expect (extractor, "Oracle Corporation, DBA.", "oracle", unsupported, JM_REASON_EMPLOYER, "Oracle Corporation");
    s_expect (extractor, "Java, Objective-C", "c", unsupported, JM_REASON_HYPHEN_JOINED, "Objective-C");
    s_expect (extractor, "A/B/C tests", "c", unsupported, JM_REASON_HYPHEN_JOINED, "B/C");
    s_expect (extractor, "Plan C, then Java.", "c", unsupported, JM_REASON_LONGER_NAME, "Plan C");
    //  no evidence
    s_expect (extractor, "Go team!", "golang", unsupported, JM_REASON_NO_EVIDENCE, "");
    s_expect (extractor, "Golang too. Go home early.", "golang", held, 0, NULL);   //  the Golang mention
    //  not written as the rule's form: never challenged
    s_expect (extractor, "ExpressJS for fun.", "express", held, 0, NULL);
    //  skills without a rule are untouched
    s_expect (extractor, "Node is fine.", "nodejs", held, 0, NULL);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  The second mention of a skill held elsewhere counts unless it opens a sentence
JM_TEST (ambiguity_held_elsewhere)
{
    jm_taxonomy_t *taxonomy = s_fixture ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const char *text = "Skills: Go, Java\nMost of all I like Go for its tooling. Go home.";
    jm_found_t *found = NULL;
    long count = jm_resume_read (extractor, text, strlen (text), &found, NULL);
    int golang = jm_taxonomy_find (taxonomy, "golang"), seen = 0;
    for (long i = 0; i < count; i++)
        if (found [i].skill == golang) {
            seen++;
            JM_CHECK_INT (found [i].claim, seen < 3 ? JM_CLAIM_HELD : JM_CLAIM_UNSUPPORTED);
        }
    JM_CHECK_INT (seen, 3);
    free (found);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

static jm_taxonomy_t *
s_real_taxonomy (void)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/taxonomy.json", jm_test_data_dir ());
    if (access (path, R_OK) != 0) {
        printf ("    (skipped: no %s)\n", path);
        return NULL;
    }
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_load (path, &err);
    if (!taxonomy)
        jm_test_fail (__FILE__, __LINE__, "%s: %s", path, err.message);
    return taxonomy;
}

JM_TEST (ambiguity_data_cases)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/../tests/data/ambiguity_cases.json", jm_test_data_dir ());
    if (access (path, R_OK) != 0) {
        printf ("    (skipped: no %s)\n", path);
        return;
    }
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    if (!taxonomy)
        return;
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    json_error_t json_error;
    json_t *root = json_load_file (path, 0, &json_error);
    JM_REQUIRE (root);
    json_t *cases = json_object_get (root, "cases");
    JM_REQUIRE (json_is_array (cases));
    JM_CHECK (json_array_size (cases) >= 60);
    size_t index, failures = 0;
    json_t *item;
    json_array_foreach (cases, index, item) {
        const char *text = json_string_value (json_object_get (item, "text"));
        json_t *held = json_object_get (item, "held"), *unsupported = json_object_get (item, "unsupported");
        if (!text || !json_is_array (held) || !json_is_array (unsupported)) {
            jm_test_fail (__FILE__, __LINE__, "case %zu: needs text, held and unsupported", index);
            continue;
        }
        jm_found_t *found = NULL;
        long count = jm_resume_read (extractor, text, strlen (text), &found, NULL);
        size_t i;
        json_t *entry;
        json_array_foreach (held, i, entry) {
            int skill = jm_taxonomy_find (taxonomy, json_string_value (entry));
            bool ok = false;
            for (long k = 0; k < count; k++)
                ok = ok || (found [k].skill == skill && found [k].claim == JM_CLAIM_HELD);
            if (!ok) {
                failures++;
                jm_test_fail (__FILE__, __LINE__, "case %zu \"%s\": %s not held", index, text,
                              json_string_value (entry));
            }
        }
        json_array_foreach (unsupported, i, entry) {
            const char *id = json_string_value (json_object_get (entry, "id"));
            int skill = jm_taxonomy_find (taxonomy, id);
            int reason = jm_reason_parse (json_string_value (json_object_get (entry, "reason")));
            JM_CHECK_MSG (skill >= 0 && reason > 0, "case %zu: bad id or reason", index);
            bool marked = false, kept = false;
            for (long k = 0; k < count; k++)
                if (found [k].skill == skill) {
                    kept = kept || found [k].claim == JM_CLAIM_HELD;
                    marked = marked || (found [k].claim == JM_CLAIM_UNSUPPORTED && (int) found [k].reason == reason);
                }
            if (kept || !marked) {
                failures++;
                jm_test_fail (__FILE__, __LINE__, "case %zu \"%s\": %s %s, want unsupported/%s", index, text, id,
                              kept ? "held" : "not marked", jm_reason_name ((jm_reason_t) reason));
            }
        }
        free (found);
    }
    printf ("    %zu cases, %zu failures\n", json_array_size (cases), failures);
    json_decref (root);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  Hostile shapes stay linear: a 2 MiB line of ambiguous words, and of lines
JM_TEST (ambiguity_hostile_input_is_bounded)
{
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    if (!taxonomy)
        return;
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const char *pieces [] = { "Go Go-live Spring 2019 at Oracle ", "C, R, C, R, ", "Skills: Go, Rust, C\n",
                              "- Go\n", "| Go | Rust |\n", "React quickly, " };
    size_t size = 2u << 20;
    char *text = malloc (size + 64);
    JM_REQUIRE (text);
    for (size_t p = 0; p < sizeof pieces / sizeof pieces [0]; p++) {
        size_t len = 0, piece = strlen (pieces [p]);
        while (len + piece <= size) {
            memcpy (text + len, pieces [p], piece);
            len += piece;
        }
        text [len] = 0;
        clock_t start = clock ();
        jm_found_t *found = NULL;
        long count = jm_resume_read (extractor, text, len, &found, NULL);
        double seconds = (double) (clock () - start) / CLOCKS_PER_SEC;
        JM_CHECK (count > 0);
        //  about 0.5 s at worst optimised, a few times that under the sanitizers;
        //  a quadratic pass would take minutes
        JM_CHECK_MSG (seconds < 8, "piece %zu: %.2f s", p, seconds);
        free (found);
    }
    free (text);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}
