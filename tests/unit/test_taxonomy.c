/*  Tests for jm_taxonomy and jm_normalize on a small fixture taxonomy.  */
#include "jm_test.h"
#include "jm_normalize.h"
#include "jm_taxonomy.h"
#include "engine_fixture.h"

static jm_taxonomy_t *
s_fixture (void)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (s_fixture_taxonomy, strlen (s_fixture_taxonomy), &err);
    JM_CHECK_MSG (taxonomy, "fixture taxonomy: %s", err.message);
    return taxonomy;
}

static const char *
s_lookup (const jm_taxonomy_t *taxonomy, const char *text, jm_match_t *match)
{
    jm_lookup_t found = jm_normalize_lookup (taxonomy, text, strlen (text));
    if (match)
        *match = found.match;
    return found.skill >= 0 ? jm_taxonomy_skill (taxonomy, found.skill)->id : NULL;
}

JM_TEST (taxonomy_loads_fixture)
{
    jm_taxonomy_t *taxonomy = s_fixture ();
    JM_REQUIRE (taxonomy);
    JM_CHECK_INT (jm_taxonomy_size (taxonomy), 21);
    JM_CHECK_STR (jm_taxonomy_version (taxonomy), "test-1");
    int nodejs = jm_taxonomy_find (taxonomy, "nodejs");
    JM_CHECK_STR (jm_taxonomy_skill (taxonomy, nodejs)->name, "Node.js");
    JM_CHECK_STR (jm_taxonomy_skill (taxonomy, nodejs)->category_name, "Languages");
    JM_CHECK_INT (jm_taxonomy_find (taxonomy, "cobol"), -1);
    jm_taxonomy_destroy (&taxonomy);
    JM_CHECK (taxonomy == NULL);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (taxonomy_relation_closure)
{
    jm_taxonomy_t *taxonomy = s_fixture ();
    JM_REQUIRE (taxonomy);
    int express = jm_taxonomy_find (taxonomy, "express");
    int nodejs = jm_taxonomy_find (taxonomy, "nodejs");
    int javascript = jm_taxonomy_find (taxonomy, "javascript");
    int postgresql = jm_taxonomy_find (taxonomy, "postgresql");
    int mysql = jm_taxonomy_find (taxonomy, "mysql");
    int sql = jm_taxonomy_find (taxonomy, "sql");
    jm_relation_t relation;
    JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, express, nodejs, &relation), 0.8, 1e-6);
    JM_CHECK_INT (relation, JM_RELATION_IMPLIES);
    //  transitive: Express -> Node.js -> JavaScript, credits multiply
    JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, express, javascript, &relation), 0.64, 1e-6);
    JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, postgresql, sql, &relation), 1.0, 1e-6);
    JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, sql, postgresql, &relation), 0.3, 1e-6);
    JM_CHECK_INT (relation, JM_RELATION_PARENT);
    JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, mysql, postgresql, &relation), 0.5, 1e-6);
    JM_CHECK_INT (relation, JM_RELATION_SIBLING);
    JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, postgresql, postgresql, &relation), 1.0, 1e-6);
    JM_CHECK_INT (relation, JM_RELATION_SAME);
    JM_CHECK_NEAR (jm_taxonomy_credit (taxonomy, javascript, mysql, NULL), 0, 1e-9);
    jm_taxonomy_destroy (&taxonomy);
}

//  The coded credits the scorer reads agree with the credit matrix
JM_TEST (taxonomy_credit_codes)
{
    jm_taxonomy_t *taxonomy = s_fixture ();
    JM_REQUIRE (taxonomy);
    int size = jm_taxonomy_size (taxonomy), count = 0;
    const double *levels = jm_taxonomy_credit_levels (taxonomy, &count);
    JM_CHECK (count >= 2 && count <= JM_CREDIT_LEVELS);
    JM_CHECK (levels [0] == 0 && levels [count - 1] == 1);
    for (int i = 1; i < count; i++)
        JM_CHECK_MSG (levels [i - 1] < levels [i], "levels %d and %d out of order", i - 1, i);
    int stride = 0;
    const uint8_t *rows = jm_taxonomy_credit_code_rows (taxonomy, &stride);
    JM_REQUIRE (stride >= size);
    for (int have = 0; have < size; have++)
        for (int want = 0; want < size; want++) {
            int code = rows [have * stride + want];
            JM_REQUIRE (code < count);
            JM_CHECK_MSG (levels [code] == jm_taxonomy_credit (taxonomy, have, want, NULL),
                          "code of %d -> %d is %d", have, want, code);
        }
    //  a set's codes are the best over its skills: Express and MySQL
    uint16_t skills [2] = { (uint16_t) jm_taxonomy_find (taxonomy, "express"),
                            (uint16_t) jm_taxonomy_find (taxonomy, "mysql") };
    uint8_t codes [JM_MAX_SKILLS];
    jm_taxonomy_credit_codes (taxonomy, skills, 2, codes);
    for (int want = 0; want < JM_MAX_SKILLS; want++) {
        double best = 0;
        for (int i = 0; i < 2 && want < size; i++) {
            double credit = jm_taxonomy_credit (taxonomy, skills [i], want, NULL);
            best = credit > best ? credit : best;
        }
        JM_CHECK_MSG (levels [codes [want]] == best, "want %d: code %d, best %.3f", want, codes [want], best);
    }
    JM_CHECK_NEAR (levels [codes [jm_taxonomy_find (taxonomy, "javascript")]], 0.64, 1e-6);
    JM_CHECK_NEAR (levels [codes [jm_taxonomy_find (taxonomy, "postgresql")]], 0.5, 1e-6);
    JM_CHECK_INT (codes [jm_taxonomy_find (taxonomy, "docker")], 0);
    jm_taxonomy_destroy (&taxonomy);
}

static void
s_expect_invalid (const char *text, const char *fragment)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (text, strlen (text), &err);
    JM_CHECK_MSG (!taxonomy, "accepted: %s", text);
    JM_CHECK_MSG (strstr (err.message, fragment), "message \"%s\" lacks \"%s\"", err.message, fragment);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (taxonomy_rejects_bad_data)
{
    const char *head = "{\"version\": \"x\", \"categories\": [{\"id\": \"a\", \"name\": \"A\"}], \"skills\": [";
    char text [1024];
    snprintf (text, sizeof text, "%s{\"id\": \"x\", \"name\": \"X\", \"category\": \"a\", \"kind\": \"hard\"},"
              "{\"id\": \"y\", \"name\": \"Y\", \"category\": \"a\", \"kind\": \"hard\", \"aliases\": [\"X\"]}]}", head);
    s_expect_invalid (text, "already names skill 'x'");
    snprintf (text, sizeof text, "%s{\"id\": \"x\", \"name\": \"X\", \"category\": \"b\", \"kind\": \"hard\"}]}", head);
    s_expect_invalid (text, "category 'b' is not defined");
    snprintf (text, sizeof text, "%s{\"id\": \"x\", \"name\": \"X\", \"category\": \"a\", \"kind\": \"hard\", \"implies\": [\"y\"]},"
              "{\"id\": \"y\", \"name\": \"Y\", \"category\": \"a\", \"kind\": \"hard\", \"implies\": [\"x\"]}]}", head);
    s_expect_invalid (text, "cycle");
    snprintf (text, sizeof text, "%s{\"id\": \"X!\", \"name\": \"X\", \"category\": \"a\", \"kind\": \"hard\"}]}", head);
    s_expect_invalid (text, "id must be");
    snprintf (text, sizeof text, "%s{\"id\": \"x\", \"name\": \"X\", \"category\": \"a\", \"kind\": \"firm\"}]}", head);
    s_expect_invalid (text, "kind must be");
    snprintf (text, sizeof text, "%s{\"id\": \"x\", \"name\": \"X\", \"category\": \"a\", \"kind\": \"hard\", \"implies\": [\"nope\"]}]}", head);
    s_expect_invalid (text, "implies[0]");
    s_expect_invalid ("{\"version\": \"x\",\n \"skills\": [,]}", "line 2");
}

JM_TEST (normalize_fold_and_compact)
{
    char out [64];
    JM_CHECK_INT (jm_normalize_fold ("  Node   JS ", 12, out, sizeof out), 7);
    JM_CHECK_STR (out, "node js");
    jm_normalize_fold ("Ruby-on_Rails", 13, out, sizeof out);
    JM_CHECK_STR (out, "ruby on rails");
    jm_normalize_fold ("C++", 3, out, sizeof out);
    JM_CHECK_STR (out, "c++");
    jm_normalize_fold ("TCP/IP", 6, out, sizeof out);
    JM_CHECK_STR (out, "tcp/ip");
    jm_normalize_fold ("Python.", 7, out, sizeof out);
    JM_CHECK_STR (out, "python");
    jm_normalize_compact ("node.js", 7, out, sizeof out);
    JM_CHECK_STR (out, "nodejs");
    JM_CHECK_INT (jm_normalize_distance ("python", 6, "pyhton", 6, 2), 1);
    JM_CHECK_INT (jm_normalize_distance ("kubernetes", 10, "kubernets", 9, 2), 1);
    JM_CHECK_INT (jm_normalize_distance ("docker", 6, "java", 4, 1), 2);
}

JM_TEST (normalize_lookup_cases)
{
    jm_taxonomy_t *taxonomy = s_fixture ();
    JM_REQUIRE (taxonomy);
    struct { const char *input; const char *id; jm_match_t match; } cases [] = {
        { "Python", "python", JM_MATCH_EXACT },
        { "python", "python", JM_MATCH_EXACT },
        { "Python 3", "python", JM_MATCH_EXACT },       //  a version, stripped
        { "Python 3.11", "python", JM_MATCH_EXACT },
        { "Python (primary)", "python", JM_MATCH_EXACT },
        { "advanced Python programming", "python", JM_MATCH_EXACT },
        { "Java-8", "java", JM_MATCH_EXACT },
        { "Java 17+", "java", JM_MATCH_EXACT },
        { "java8", "java", JM_MATCH_EXACT },
        { "PostgreSQL 15", "postgresql", JM_MATCH_EXACT },
        { "Postgres", "postgresql", JM_MATCH_ALIAS },
        { "NodeJS", "nodejs", JM_MATCH_EXACT },     //  folds to the id
        { "Node JS", "nodejs", JM_MATCH_ALIAS },
        { "node.js", "nodejs", JM_MATCH_EXACT },
        { "node-js", "nodejs", JM_MATCH_ALIAS },
        { "node", "nodejs", JM_MATCH_ALIAS },
        { "k8s", "kubernetes", JM_MATCH_ALIAS },
        { "Kubernets", "kubernetes", JM_MATCH_TYPO },
        { "Pyhton", "python", JM_MATCH_TYPO },
        { "Dockr", "docker", JM_MATCH_TYPO },
        { "JavaScript", "javascript", JM_MATCH_EXACT },
        { "Java", "java", JM_MATCH_EXACT },
        { "C", "c", JM_MATCH_EXACT },
        { "C++", "cpp", JM_MATCH_EXACT },
        { "C#", "csharp", JM_MATCH_EXACT },
        { "C Sharp", "csharp", JM_MATCH_ALIAS },
        { ".NET", "dotnet", JM_MATCH_EXACT },
        { ".net core", "dotnet", JM_MATCH_ALIAS },
        { "dotnet", "dotnet", JM_MATCH_EXACT },
        { "Go", "golang", JM_MATCH_EXACT },
        { "golang", "golang", JM_MATCH_EXACT },
        { "Communication skills", "communication", JM_MATCH_ALIAS },
        { "Jav", NULL, JM_MATCH_UNKNOWN },          //  too short for a typo
        { "Javas", NULL, JM_MATCH_UNKNOWN },        //  1 from Java only at 4 letters: no
        { "Figma", NULL, JM_MATCH_UNKNOWN },
        { "", NULL, JM_MATCH_UNKNOWN },
        { "\xff\xfe", NULL, JM_MATCH_UNKNOWN },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        jm_match_t match;
        const char *id = s_lookup (taxonomy, cases [i].input, &match);
        JM_CHECK_MSG ((id == NULL && cases [i].id == NULL) || (id && cases [i].id && strcmp (id, cases [i].id) == 0),
                      "\"%s\": got %s, want %s", cases [i].input, id ? id : "unknown", cases [i].id ? cases [i].id : "unknown");
        JM_CHECK_MSG (match == cases [i].match, "\"%s\": match %s, want %s", cases [i].input,
                      jm_match_name (match), jm_match_name (cases [i].match));
    }
    //  an unknown name gets the closest skill as a suggestion
    jm_lookup_t found = jm_normalize_lookup (taxonomy, "Redix", 5);
    JM_CHECK_INT (found.skill, jm_taxonomy_find (taxonomy, "redis"));
    found = jm_normalize_lookup (taxonomy, "Mysq", 4);
    JM_CHECK_INT (found.skill, -1);
    JM_CHECK_INT (found.suggestion, jm_taxonomy_find (taxonomy, "mysql"));
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (normalize_every_form_round_trips)
{
    jm_taxonomy_t *taxonomy = s_fixture ();
    JM_REQUIRE (taxonomy);
    for (int i = 0; i < jm_taxonomy_form_count (taxonomy); i++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, i);
        jm_lookup_t found = jm_normalize_lookup (taxonomy, form->text, strlen (form->text));
        JM_CHECK_MSG (found.skill == form->skill && found.match != JM_MATCH_TYPO,
                      "form \"%s\" -> %d (%s)", form->text, found.skill, jm_match_name (found.match));
    }
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (normalize_hostile_input)
{
    jm_taxonomy_t *taxonomy = s_fixture ();
    JM_REQUIRE (taxonomy);
    char big [4096];
    memset (big, 'a', sizeof big);
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, big, sizeof big).skill, -1);
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, "Py\0thon", 7).skill, -1);
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, "((((", 4).skill, -1);
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, "3.11", 4).skill, -1);
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, "\xc3\x28", 2).skill, -1);
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, NULL, 0).skill, -1);
    //  a NUL anywhere in a longer name (checked eight bytes at a time) makes it unknown
    const char *name = "Kubernetes (primary)";
    size_t len = strlen (name);
    JM_CHECK_STR (s_lookup (taxonomy, name, NULL), "kubernetes");
    for (size_t at = 0; at < len; at++) {
        char copy [32];
        memcpy (copy, name, len);
        copy [at] = 0;
        JM_CHECK_MSG (jm_normalize_lookup (taxonomy, copy, len).skill == -1, "NUL at %zu accepted", at);
    }
    //  asides found at any position, also in the last, overlapping word
    JM_CHECK_STR (s_lookup (taxonomy, "Kubernetes [prod]", NULL), "kubernetes");
    JM_CHECK_STR (s_lookup (taxonomy, "Kubernetes {k8s}", NULL), "kubernetes");
    JM_CHECK_STR (s_lookup (taxonomy, "PostgreSQL(x)", NULL), "postgresql");
    //  invalid UTF-8 after eight good bytes, and valid UTF-8 that is no skill
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, "Postgres\xc3\x28ql", 11).skill, -1);
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, "Postgres\xff", 9).skill, -1);
    JM_CHECK_INT (jm_normalize_lookup (taxonomy, "Kubernetes caf\xc3\xa9", 16).skill, -1);
    jm_taxonomy_destroy (&taxonomy);
}

//  More distinct relation credits than a code can tell apart is bad data
JM_TEST (taxonomy_rejects_too_many_credits)
{
    //  300 skills each implying the first with its own credit
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc (cap);
    JM_REQUIRE (text);
    len += (size_t) snprintf (text + len, cap - len, "{\"version\": \"x\", \"categories\": "
                              "[{\"id\": \"a\", \"name\": \"A\"}], \"skills\": ["
                              "{\"id\": \"root\", \"name\": \"Root\", \"category\": \"a\", \"kind\": \"hard\"}");
    for (int i = 0; i < 300; i++)
        len += (size_t) snprintf (text + len, cap - len, ", {\"id\": \"s%d\", \"name\": \"S%d\", \"category\": \"a\","
                                  " \"kind\": \"hard\", \"implies\": [\"root\"], \"implies_credit\": %.4f}",
                                  i, i, 0.001 + i * 0.003);
    len += (size_t) snprintf (text + len, cap - len, "]}");
    JM_REQUIRE (len < cap - 1);
    s_expect_invalid (text, "distinct credits");
    free (text);
}
