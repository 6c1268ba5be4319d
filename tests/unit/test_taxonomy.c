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

//  The taxonomy of data/, the one résumés are read with
static jm_taxonomy_t *
s_real_taxonomy (void)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/taxonomy.json", jm_test_data_dir ());
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_load (path, &err);
    JM_CHECK_MSG (taxonomy, "taxonomy: %s", err.message);
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
    //  a skill set gets the best of its skills' rows, as the scorer takes
    //  it: Express and MySQL
    const uint8_t *express = rows + jm_taxonomy_find (taxonomy, "express") * stride;
    const uint8_t *mysql = rows + jm_taxonomy_find (taxonomy, "mysql") * stride;
    const char *wants [] = { "javascript", "postgresql", "docker" };
    const double credits [] = { 0.64, 0.5, 0 };
    for (int i = 0; i < 3; i++) {
        int want = jm_taxonomy_find (taxonomy, wants [i]);
        int code = express [want] > mysql [want] ? express [want] : mysql [want];
        JM_CHECK_NEAR (levels [code], credits [i], 1e-6);
    }
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

//  A one-skill taxonomy whose skill "go" (ambiguous "Go") carries this evidence
static void
s_evidence_taxonomy (char *text, size_t size, const char *evidence)
{
    snprintf (text, size, "{\"version\": \"x\", \"categories\": [{\"id\": \"a\", \"name\": \"A\"}], \"skills\": ["
              "{\"id\": \"go\", \"name\": \"Go\", \"category\": \"a\", \"kind\": \"hard\", \"aliases\": [\"Golang\"],"
              " \"ambiguous\": [\"Go\"], \"evidence\": %s},"
              "{\"id\": \"kafka\", \"name\": \"Kafka\", \"category\": \"a\", \"kind\": \"hard\"}]}", evidence);
}

JM_TEST (taxonomy_evidence_rules_parsed)
{
    char text [2048];
    s_evidence_taxonomy (text, sizeof text,
        "{\"rule\": \"Go the language\", \"neighbours\": [\"Goroutines\", \"written in Go\"],"
        " \"names\": [\"Pokemon Go\"], \"phrases\": [\"Go ahead\", \"let's Go to the\"], \"employer\": false}");
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (text, strlen (text), &err);
    JM_REQUIRE (taxonomy);
    const jm_evidence_rule_t *rule = jm_taxonomy_evidence (taxonomy, jm_taxonomy_find (taxonomy, "go"));
    JM_REQUIRE (rule);
    JM_CHECK_STR (rule->rule, "Go the language");
    JM_CHECK_INT (rule->form_count, 1);
    JM_CHECK_STR (rule->forms [0], "Go");           //  the ambiguous forms by default
    JM_CHECK_INT (rule->neighbour_count, 1);
    JM_CHECK_STR (rule->neighbours [0], "goroutines");
    JM_CHECK_INT (rule->near_count, 1);
    JM_CHECK_INT (rule->near [0].before_count, 2);
    JM_CHECK_STR (rule->near [0].before [0], "in");
    JM_CHECK_STR (rule->near [0].before [1], "written");
    JM_CHECK_INT (rule->name_count, 1);
    JM_CHECK_STR (rule->names [0].before [0], "pokemon");
    JM_CHECK_INT (rule->phrase_count, 2);
    JM_CHECK_INT (rule->phrases [1].before_count, 1);
    JM_CHECK_STR (rule->phrases [1].before [0], "let's");
    JM_CHECK_INT (rule->phrases [1].after_count, 2);
    JM_CHECK_STR (rule->phrases [1].after [1], "the");
    JM_CHECK (!rule->employer);
    JM_CHECK (jm_taxonomy_evidence (taxonomy, jm_taxonomy_find (taxonomy, "kafka")) == NULL);
    JM_CHECK (jm_taxonomy_evidence (taxonomy, 99) == NULL);
    jm_taxonomy_destroy (&taxonomy);
    //  explicit forms on a skill without ambiguous forms
    snprintf (text, sizeof text, "{\"version\": \"x\", \"categories\": [{\"id\": \"a\", \"name\": \"A\"}], \"skills\": ["
              "{\"id\": \"kafka\", \"name\": \"Kafka\", \"category\": \"a\", \"kind\": \"hard\","
              " \"evidence\": {\"rule\": \"r\", \"forms\": [\"Kafka\"], \"employer\": true}}]}");
    taxonomy = jm_taxonomy_new_from_text (text, strlen (text), &err);
    JM_REQUIRE (taxonomy);
    rule = jm_taxonomy_evidence (taxonomy, 0);
    JM_REQUIRE (rule);
    JM_CHECK_STR (rule->forms [0], "Kafka");
    JM_CHECK (rule->employer);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (taxonomy_evidence_rules_rejected)
{
    char text [4096];
    struct { const char *evidence, *message; } cases [] = {
        { "[]", "skill 'go': evidence must be an object" },
        { "{\"rule\": \"r\", \"nieghbours\": []}", "skill 'go': evidence.nieghbours is not a field" },
        { "{\"neighbours\": []}", "skill 'go': evidence.rule must be one line" },
        { "{\"rule\": \"\"}", "evidence.rule must be one line" },
        { "{\"rule\": \"two\\nlines\"}", "evidence.rule must be one line" },
        { "{\"rule\": \"r\", \"employer\": \"yes\"}", "skill 'go': evidence.employer must be true or false" },
        { "{\"rule\": \"r\", \"forms\": [\"Kafka\"]}", "skill 'go': evidence forms[0] \"Kafka\" is not a one-word form of this skill" },
        { "{\"rule\": \"r\", \"forms\": [\"Go lang\"]}", "not a one-word form" },
        { "{\"rule\": \"r\", \"forms\": \"Go\"}", "skill 'go': evidence.forms must be an array of strings" },
        { "{\"rule\": \"r\", \"forms\": []}", "skill 'go': evidence needs forms" },
        { "{\"rule\": \"r\", \"names\": [\"Pokemon go\"]}", "skill 'go': evidence.names[0] \"Pokemon go\" does not hold one of the forms" },
        { "{\"rule\": \"r\", \"phrases\": [\"Go\"]}", "evidence.phrases[0] \"Go\" needs a word beside the form" },
        { "{\"rule\": \"r\", \"phrases\": [\"Go (to)\"]}", "evidence.phrases[0] \"Go (to)\" holds a character" },
        { "{\"rule\": \"r\", \"phrases\": [\"a b c d e f g Go\"]}", "has too many words" },
        { "{\"rule\": \"r\", \"phrases\": [1]}", "skill 'go': evidence.phrases[0] must be a string" },
        { "{\"rule\": \"r\", \"neighbours\": [\"code;\"]}", "skill 'go': evidence.neighbours[0] \"code;\" is not a word" },
        { "{\"rule\": \"r\", \"neighbours\": [\"written in golang\"]}", "evidence.neighbours[0] \"written in golang\" does not hold" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_evidence_taxonomy (text, sizeof text, cases [i].evidence);
        s_expect_invalid (text, cases [i].message);
    }
    //  more entries than fit
    char list [2048] = "{\"rule\": \"r\", \"neighbours\": [";
    for (int i = 0; i < 65; i++)
        strcat (list, i ? ", \"x\"" : "\"x\"");
    strcat (list, "]}");
    s_evidence_taxonomy (text, sizeof text, list);
    s_expect_invalid (text, "evidence.neighbours has 65 entries, at most 64");
}

//  The typo index never says no where the normalizer finds a typo
JM_TEST (taxonomy_typo_index)
{
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    JM_REQUIRE (taxonomy);
    const char *typos [] = { "pyhton", "kubernates", "postgress", "kubernets", "javscript", "terrafrom",
                             "dokcer", "elasticsaerch", "mongdb", NULL };
    for (int i = 0; typos [i]; i++) {
        jm_lookup_t found = jm_normalize_lookup (taxonomy, typos [i], strlen (typos [i]));
        JM_CHECK_MSG (found.match == JM_MATCH_TYPO, "%s: not a typo", typos [i]);
        JM_CHECK_MSG (jm_taxonomy_typo_possible (taxonomy, typos [i], strlen (typos [i])), "%s", typos [i]);
    }
    const char *words [] = { "figma", "english", "teamwork", "confluence", "zzzzzzzz", NULL };
    for (int i = 0; words [i]; i++) {
        jm_lookup_t found = jm_normalize_lookup (taxonomy, words [i], strlen (words [i]));
        bool possible = jm_taxonomy_typo_possible (taxonomy, words [i], strlen (words [i]));
        JM_CHECK_MSG (found.match != JM_MATCH_TYPO || possible, "%s", words [i]);
    }
    JM_CHECK (!jm_taxonomy_typo_possible (taxonomy, "zzzzzzzz", 8));
    JM_CHECK (!jm_taxonomy_typo_possible (taxonomy, "abc", 3));     //  too short for a typo
    //  every one-edit variant of every 5+ letter id that the normalizer takes as a typo
    int size = jm_taxonomy_size (taxonomy), checked = 0;
    for (int skill = 0; skill < size; skill++) {
        const char *id = jm_taxonomy_skill (taxonomy, skill)->id;
        size_t len = strlen (id);
        if (len < 6 || len > 40)
            continue;
        char variant [64];
        for (size_t at = 0; at + 1 < len; at++) {
            memcpy (variant, id, len + 1);
            char swap = variant [at];               //  a transposition
            variant [at] = variant [at + 1];
            variant [at + 1] = swap;
            jm_lookup_t found = jm_normalize_lookup (taxonomy, variant, len);
            char key [64];
            size_t key_len = jm_normalize_fold (variant, len, key, sizeof key);
            if (found.match == JM_MATCH_TYPO) {
                checked++;
                JM_CHECK_MSG (jm_taxonomy_typo_possible (taxonomy, key, key_len), "%s", variant);
            }
            memmove (variant + at, variant + at + 1, len - at);    //  a deletion
            found = jm_normalize_lookup (taxonomy, variant, len - 1);
            key_len = jm_normalize_fold (variant, len - 1, key, sizeof key);
            if (found.match == JM_MATCH_TYPO)
                JM_CHECK_MSG (jm_taxonomy_typo_possible (taxonomy, key, key_len), "%s", variant);
        }
    }
    JM_CHECK (checked > 100);
    jm_taxonomy_destroy (&taxonomy);
}

//  jm_normalize_lookup_near agrees with jm_normalize_lookup on what is a typo
//  one edit away, over substitutions, insertions, deletions and swaps of
//  every form, and finds the same skill otherwise
static void
s_check_near (const jm_taxonomy_t *taxonomy, const char *text, size_t len, int *typos)
{
    jm_lookup_t full = jm_normalize_lookup (taxonomy, text, len);
    jm_lookup_t near = jm_normalize_lookup_near (taxonomy, text, len);
    bool full_typo = full.match == JM_MATCH_TYPO && full.distance == 1;
    if (full_typo || full.match != JM_MATCH_TYPO) {
        *typos += full_typo;
        JM_CHECK_MSG (near.skill == full.skill && near.match == full.match, "%.*s: %d/%d, near %d/%d",
                      (int) len, text, full.skill, (int) full.match, near.skill, (int) near.match);
    }
    else
        JM_CHECK_MSG (near.skill < 0, "%.*s: a typo two edits away", (int) len, text);
}

JM_TEST (normalize_near_matches_full_search)
{
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    JM_REQUIRE (taxonomy);
    int forms = jm_taxonomy_form_count (taxonomy), typos = 0;
    for (int i = 0; i < forms; i += 3) {
        const char *form = jm_taxonomy_form (taxonomy, i)->text;
        size_t len = strlen (form);
        if (len < 4 || len > 30)
            continue;
        char variant [64];
        for (size_t at = 0; at < len; at++) {
            memcpy (variant, form, len);                //  a substitution
            variant [at] = variant [at] == 'e' ? 'a' : 'e';
            s_check_near (taxonomy, variant, len, &typos);
            memcpy (variant, form, at);                 //  an insertion
            variant [at] = 'r';
            memcpy (variant + at + 1, form + at, len - at);
            s_check_near (taxonomy, variant, len + 1, &typos);
            memcpy (variant, form, len);                //  a deletion
            memmove (variant + at, variant + at + 1, len - at - 1);
            s_check_near (taxonomy, variant, len - 1, &typos);
            if (at + 1 < len) {                         //  a swap
                memcpy (variant, form, len);
                char swap = variant [at];
                variant [at] = variant [at + 1];
                variant [at + 1] = swap;
                s_check_near (taxonomy, variant, len, &typos);
            }
        }
    }
    JM_CHECK (typos > 100);
    jm_taxonomy_destroy (&taxonomy);
}
