/*  Tests for jm_extract: the matching rules on a small inline taxonomy, then
    the data-driven cases (tests/data/extract_cases.json and the example
    résumés in proto/examples/resumes/) when the real taxonomy is present.  */
#include "jm_test.h"
#include "jm_extract.h"
#include "jm_taxonomy.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <unistd.h>

static const char *s_mini_taxonomy =
    "{ \"version\": \"test\","
    "  \"categories\": [ { \"id\": \"lang\", \"name\": \"Languages\" } ],"
    "  \"skills\": ["
    "    { \"id\": \"python\", \"name\": \"Python\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"python3\" ] },"
    "    { \"id\": \"java\", \"name\": \"Java\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"javascript\", \"name\": \"JavaScript\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"JS\", \"ECMAScript\" ] },"
    "    { \"id\": \"c\", \"name\": \"C\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"ambiguous\": [ \"C\" ] },"
    "    { \"id\": \"cpp\", \"name\": \"C++\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"csharp\", \"name\": \"C#\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"dotnet\", \"name\": \".NET\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"aspnet\", \"name\": \"ASP.NET\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"aspnet-core\", \"name\": \"ASP.NET Core\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"r\", \"name\": \"R\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"ambiguous\": [ \"R\" ] },"
    "    { \"id\": \"go\", \"name\": \"Go\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"golang\" ], \"ambiguous\": [ \"Go\" ] },"
    "    { \"id\": \"nodejs\", \"name\": \"Node.js\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"node js\", \"node\" ] },"
    "    { \"id\": \"ruby\", \"name\": \"Ruby\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"rails\", \"name\": \"Ruby on Rails\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"Rails\", \"RoR\" ] },"
    "    { \"id\": \"html\", \"name\": \"HTML\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"css\", \"name\": \"CSS\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"tcp-ip\", \"name\": \"TCP/IP\", \"category\": \"lang\", \"kind\": \"knowledge\" },"
    "    { \"id\": \"ci-cd\", \"name\": \"CI/CD\", \"category\": \"lang\", \"kind\": \"knowledge\" },"
    "    { \"id\": \"sql\", \"name\": \"SQL\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"express\", \"name\": \"Express\", \"category\": \"lang\", \"kind\": \"hard\" }"
    "  ] }";

static jm_taxonomy_t *
s_mini (void)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (s_mini_taxonomy, strlen (s_mini_taxonomy), &err);
    if (!taxonomy)
        jm_test_fail (__FILE__, __LINE__, "mini taxonomy: %s: %s", err.code, err.message);
    return taxonomy;
}

static int
s_compare_strings (const void *a, const void *b)
{
    return strcmp (*(const char * const *) a, *(const char * const *) b);
}

//  The distinct skill ids found in text, sorted and comma-joined, or
//  "error:<code>" when the scan fails.  The result is a static buffer.
static const char *
s_found_len (const jm_extractor_t *extractor, const char *text, size_t len)
{
    static char result [8192];
    const jm_taxonomy_t *taxonomy = jm_extractor_taxonomy (extractor);
    jm_mention_t *mentions = NULL;
    jm_error_t err;
    jm_error_clear (&err);
    long count = jm_extractor_scan (extractor, text, len, &mentions, &err);
    if (count < 0) {
        snprintf (result, sizeof result, "error:%s", err.code);
        return result;
    }
    uint64_t skills [JM_SKILL_WORDS];
    int distinct = jm_mentions_skill_set (mentions, count, skills);
    const char *ids [JM_MAX_SKILLS];
    int n = 0;
    for (int skill = 0; skill < JM_MAX_SKILLS; skill++)
        if (skills [skill / 64] & (1ULL << (skill % 64)))
            ids [n++] = jm_taxonomy_skill (taxonomy, skill)->id;
    JM_CHECK_INT (n, distinct);
    qsort (ids, (size_t) n, sizeof ids [0], s_compare_strings);
    result [0] = 0;
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof result - 80; i++)
        used += (size_t) snprintf (result + used, sizeof result - used, "%s%s", i ? "," : "", ids [i]);
    free (mentions);
    return result;
}

static const char *
s_found (const jm_extractor_t *extractor, const char *text)
{
    return s_found_len (extractor, text, strlen (text));
}

//  The mentions in order as "id@start-end" joined by spaces (static buffer)
static const char *
s_positions (const jm_extractor_t *extractor, const char *text)
{
    static char result [4096];
    jm_mention_t *mentions = NULL;
    long count = jm_extractor_scan (extractor, text, strlen (text), &mentions, NULL);
    result [0] = 0;
    size_t used = 0;
    for (long i = 0; i < count && used < sizeof result - 80; i++)
        used += (size_t) snprintf (result + used, sizeof result - used, "%s%s@%u-%u", i ? " " : "",
                                   jm_taxonomy_skill (jm_extractor_taxonomy (extractor),
                                                      mentions [i].skill)->id,
                                   mentions [i].start, mentions [i].end);
    free (mentions);
    return result;
}

//  Lowercases ASCII and turns whitespace runs into one space, trimmed
static size_t
s_refold (const char *text, size_t len, char *dest)
{
    size_t out = 0;
    bool space = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
            space = out > 0;
        else {
            if (space)
                dest [out++] = ' ';
            space = false;
            dest [out++] = (char) (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
    }
    dest [out] = 0;
    return out;
}

//  Checks that every mention's text re-folds to a form of its skill, that
//  mentions are in order and never overlap.  Returns the mention count.
static long
s_check_positions (const jm_extractor_t *extractor, const char *text, size_t len)
{
    const jm_taxonomy_t *taxonomy = jm_extractor_taxonomy (extractor);
    jm_mention_t *mentions = NULL;
    long count = jm_extractor_scan (extractor, text, len, &mentions, NULL);
    uint32_t last_end = 0;
    for (long i = 0; i < count; i++) {
        jm_mention_t *mention = &mentions [i];
        JM_CHECK_MSG (mention->start >= last_end && mention->start < mention->end && mention->end <= len,
                      "mention %ld [%u, %u) out of order or range", i, mention->start, mention->end);
        last_end = mention->end;
        char *got = malloc (mention->end - mention->start + 1);
        s_refold (text + mention->start, mention->end - mention->start, got);
        bool found = false;
        for (int f = 0; f < jm_taxonomy_form_count (taxonomy) && !found; f++) {
            const jm_form_t *form = jm_taxonomy_form (taxonomy, f);
            if (form->skill != mention->skill)
                continue;
            char *want = malloc (strlen (form->text) + 1);
            s_refold (form->text, strlen (form->text), want);
            found = strcmp (got, want) == 0;
            free (want);
        }
        JM_CHECK_MSG (found, "mention \"%.*s\" at [%u, %u) is no form of '%s'",
                      (int) (mention->end - mention->start), text + mention->start,
                      mention->start, mention->end, jm_taxonomy_skill (taxonomy, mention->skill)->id);
        free (got);
    }
    free (mentions);
    return count;
}

JM_TEST (extract_words)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    JM_CHECK_STR (s_found (extractor, "I know Python."), "python");
    JM_CHECK_STR (s_found (extractor, "PYTHON, java and JavaScript"), "java,javascript,python");
    JM_CHECK_STR (s_found (extractor, "JavaScript"), "javascript");
    JM_CHECK_STR (s_found (extractor, "C++ and C# daily"), "cpp,csharp");
    JM_CHECK_STR (s_found (extractor, "Pythonic code, Javanese coffee"), "");
    JM_CHECK_STR (s_found (extractor, "python3 scripts"), "python");
    JM_CHECK_STR (s_found (extractor, "Python's standard library"), "python");
    JM_CHECK_STR (s_found (extractor, "no skills at all here"), "");
    jm_extractor_destroy (&extractor);
    JM_CHECK (extractor == NULL);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_whitespace)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    JM_CHECK_STR (s_found (extractor, "Node JS"), "nodejs");
    JM_CHECK_STR (s_found (extractor, "Node   JS"), "nodejs");
    JM_CHECK_STR (s_found (extractor, "node\t\r\njs"), "nodejs");
    JM_CHECK_STR (s_found (extractor, "Ruby on\nRails"), "rails");
    JM_CHECK_STR (s_found (extractor, "Ruby  on \n\t Rails apps"), "rails");
    JM_CHECK_STR (s_positions (extractor, "  Ruby  on \n Rails  "), "rails@2-18");
    JM_CHECK_STR (s_positions (extractor, "Node   JS, Node.js"), "nodejs@0-9 nodejs@11-18");
    //  '-' and '_' fold like whitespace, in forms and in text
    JM_CHECK_STR (s_found (extractor, "Node-JS, node_js"), "nodejs");
    JM_CHECK_STR (s_positions (extractor, "Ruby-on-Rails; Ruby - on_Rails"), "rails@0-13 rails@15-30");
    JM_CHECK_STR (s_found (extractor, "ci cd and tcp ip"), "ci-cd,tcp-ip");   //  the ids
    JM_CHECK_STR (s_found (extractor, "aspnet core, aspnet-core"), "aspnet-core");
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_boundaries)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    JM_CHECK_STR (s_found (extractor, "C#/.NET"), "csharp,dotnet");
    JM_CHECK_STR (s_found (extractor, "ASP.NET"), "aspnet");
    JM_CHECK_STR (s_found (extractor, "ASP.NET Core"), "aspnet-core");
    JM_CHECK_STR (s_found (extractor, "VB.NET"), "");
    JM_CHECK_STR (s_found (extractor, "HTML/CSS/JS"), "css,html,javascript");
    JM_CHECK_STR (s_found (extractor, "TCP/IP"), "tcp-ip");
    JM_CHECK_STR (s_found (extractor, "CI/CD pipelines"), "ci-cd");
    JM_CHECK_STR (s_found (extractor, "see main.js and app.py"), "");
    JM_CHECK_STR (s_found (extractor, "express.static (Express)"), "express");
    JM_CHECK_STR (s_found (extractor, "Java."), "java");
    JM_CHECK_STR (s_found (extractor, "Java.Python"), "");
    JM_CHECK_STR (s_found (extractor, "C++17 and C++"), "cpp");
    JM_CHECK_STR (s_found (extractor, "Python4"), "");
    JM_CHECK_STR (s_found (extractor, "my_python_script"), "python");
    JM_CHECK_STR (s_found (extractor, "Java-based, SQL-heavy"), "java,sql");
    //  non-ASCII neighbours: letters block, punctuation and spaces do not
    JM_CHECK_STR (s_found (extractor, "Pythoné Javaß ÄSQL"), "");
    JM_CHECK_STR (s_found (extractor, "\xE2\x80\xA2Python\xC2\xA0" "and\xC2\xA0Java\xE2\x84\xA2"), "java,python");
    JM_CHECK_STR (s_found (extractor, "\xE2\x80\x9CSQL\xE2\x80\x9D\xE2\x80\x94HTML"), "html,sql");
    JM_CHECK_STR (s_found (extractor, "\xEF\xBB\xBFPython"), "python");
    JM_CHECK_STR (s_found (extractor, "熟悉Python和Java"), "java,python");
    //  NUL bytes are boundaries
    JM_CHECK_STR (s_found_len (extractor, "Python\0Java", 11), "java,python");
    JM_CHECK_STR (s_found_len (extractor, "Node\0JS", 7), "javascript,nodejs");
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_ambiguous_case)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    JM_CHECK_STR (s_found (extractor, "I write Go every day"), "go");
    JM_CHECK_STR (s_found (extractor, "ready to go ahead"), "");
    JM_CHECK_STR (s_found (extractor, "GO TEAM"), "");
    JM_CHECK_STR (s_found (extractor, "Golang and GOLANG"), "go");
    JM_CHECK_STR (s_found (extractor, "Go-based services"), "go");
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_single_letters)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    //  lists count
    JM_CHECK_STR (s_found (extractor, "C, C++ and Python"), "c,cpp,python");
    JM_CHECK_STR (s_found (extractor, "R and Python"), "python,r");
    JM_CHECK_STR (s_found (extractor, "Python and R."), "python,r");
    JM_CHECK_STR (s_found (extractor, "Proficient in C and Go"), "c,go");
    JM_CHECK_STR (s_found (extractor, "Languages: C"), "c");
    JM_CHECK_STR (s_found (extractor, "C/C++"), "c,cpp");
    JM_CHECK_STR (s_found (extractor, "Java | C | SQL"), "c,java,sql");
    JM_CHECK_STR (s_found (extractor, "Skills (C; R)"), "c,r");
    JM_CHECK_STR (s_found (extractor, "- C\n- R\n"), "c,r");
    JM_CHECK_STR (s_found (extractor, "  * C\n"), "c");
    JM_CHECK_STR (s_found (extractor, "\xE2\x80\xA2 R\n"), "r");
    JM_CHECK_STR (s_found (extractor, "C & C++"), "c,cpp");
    JM_CHECK_STR (s_found (extractor, "Python or R"), "python,r");
    JM_CHECK_STR (s_found (extractor, "Knows C#, Java and a little C."), "c,csharp,java");
    JM_CHECK_STR (s_found (extractor, "SQL, also some R"), "r,sql");
    JM_CHECK_STR (s_found (extractor, "Java; a bit of C"), "c,java");
    //  prose does not
    JM_CHECK_STR (s_found (extractor, "Plan C was chosen"), "");
    JM_CHECK_STR (s_found (extractor, "I got grade C."), "");
    JM_CHECK_STR (s_found (extractor, "I got a C in maths"), "");
    JM_CHECK_STR (s_found (extractor, "c, python"), "python");
    JM_CHECK_STR (s_found (extractor, "Led R&D for SQL tools"), "sql");
    JM_CHECK_STR (s_found (extractor, "R & D\n"), "");
    JM_CHECK_STR (s_found (extractor, "R. Smith\nSQL"), "sql");
    JM_CHECK_STR (s_found (extractor, "(C) 2024 Acme"), "");
    JM_CHECK_STR (s_found (extractor, "Objective-C is old"), "");
    JM_CHECK_STR (s_found (extractor, "Vitamin C deficiency"), "");
    JM_CHECK_STR (s_found (extractor, "passed, and a C grade"), "");
    JM_CHECK_STR (s_found (extractor, "I wrote some C back then"), "");
    JM_CHECK_STR (s_found (extractor, "Also C was fine"), "");
    JM_CHECK_STR (s_found (extractor, "C-suite sponsors\nR-value"), "");
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_overlaps)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    JM_CHECK_STR (s_found (extractor, "Ruby on Rails"), "rails");
    JM_CHECK_STR (s_found (extractor, "Ruby and Rails"), "rails,ruby");
    JM_CHECK_STR (s_found (extractor, "Ruby on Railsy"), "ruby");
    JM_CHECK_STR (s_positions (extractor, "ASP.NET Core, ASP.NET"), "aspnet-core@0-12 aspnet@14-21");
    JM_CHECK_STR (s_positions (extractor, "C#/.NET"), "csharp@0-2 dotnet@3-7");
    JM_CHECK_STR (s_positions (extractor, "TCP/IP, CI/CD"), "tcp-ip@0-6 ci-cd@8-13");
    JM_CHECK_STR (s_positions (extractor, "C, C++ and Python"), "c@0-1 cpp@3-6 python@11-17");
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_positions_refold)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const char *text =
        "Senior engineer: PYTHON, node   js, Ruby on\n Rails, C#/.NET, ASP.NET Core.\n"
        "- C\n- R\nTCP/IP and CI/CD; HTML/CSS/JS; Golang, Go.\n";
    long count = s_check_positions (extractor, text, strlen (text));
    JM_CHECK_INT (count, 15);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_invalid_utf8)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    struct { const char *text; int line, column; } cases [] = {
        { "abc\n  d\xC3(", 2, 4 },                  //  lead byte without continuation
        { "Python \x80", 1, 8 },                    //  stray continuation byte
        { "caf\xC3\xA9 \xC0\xAF", 1, 6 },           //  overlong '/'; é is one column
        { "x\n\n\xED\xA0\x80", 3, 1 },              //  UTF-16 surrogate
        { "Java \xF4\x90\x80\x80", 1, 6 },          //  past U+10FFFF
        { "Go \xE2\x80", 1, 4 },                    //  truncated at the end
        { "\xFF", 1, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        jm_mention_t *mentions = (jm_mention_t *) &err;    //  must be reset
        long count = jm_extractor_scan (extractor, cases [i].text, strlen (cases [i].text),
                                        &mentions, &err);
        JM_CHECK_INT (count, -1);
        JM_CHECK (mentions == NULL);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
        JM_CHECK_MSG (err.line == cases [i].line && err.column == cases [i].column,
                      "case %zu: line %d column %d, want %d %d (%s)", i, err.line, err.column,
                      cases [i].line, cases [i].column, err.message);
        JM_CHECK (strstr (err.message, "line") && strstr (err.message, "column"));
    }
    //  valid multi-byte text is fine, including 4-byte characters
    JM_CHECK_STR (s_found (extractor, "Café, naïve, 日本, \xF0\x9F\x98\x80 SQL"), "sql");
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_empty)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    jm_mention_t *mentions = (jm_mention_t *) extractor;
    JM_CHECK_INT (jm_extractor_scan (extractor, "", 0, &mentions, NULL), 0);
    JM_CHECK (mentions == NULL);
    JM_CHECK_INT (jm_extractor_scan (extractor, NULL, 0, &mentions, NULL), 0);
    JM_CHECK_INT (jm_extractor_scan (extractor, " \n\t ", 4, &mentions, NULL), 0);
    JM_CHECK (mentions == NULL);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_large_text)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const char *paragraph =
        "Built REST services in Python and Go on Node.js, deployed through CI/CD; "
        "wrote reports for the team and mentored two juniors.\n";   //  4 mentions
    size_t plen = strlen (paragraph), size = 1 << 20;
    size_t copies = size / plen;
    char *text = malloc (size);
    JM_REQUIRE (text);
    for (size_t i = 0; i < copies; i++)
        memcpy (text + i * plen, paragraph, plen);
    memset (text + copies * plen, ' ', size - copies * plen);
    jm_mention_t *mentions = NULL;
    long count = jm_extractor_scan (extractor, text, size, &mentions, NULL);
    JM_CHECK_INT (count, (long) copies * 4);
    if (count > 0) {
        size_t cicd_end = (size_t) (strstr (paragraph, "CI/CD") - paragraph) + 5;
        JM_CHECK_INT (mentions [count - 1].end, (copies - 1) * plen + cicd_end);
        jm_mention_summary_t summary [JM_MAX_SKILLS];
        int entries = jm_mentions_summarize (mentions, count, summary);
        JM_CHECK_INT (entries, 4);
        JM_CHECK_STR (jm_taxonomy_skill (taxonomy, summary [0].skill)->id, "python");
        JM_CHECK_INT (summary [0].count, copies);
        JM_CHECK_INT (summary [0].start, 23);
        JM_CHECK_INT (summary [3].count, copies);
    }
    free (mentions);
    //  one 1 MB word, and 1 MB of one letter that is a pattern prefix
    memset (text, 'x', size);
    JM_CHECK_INT (jm_extractor_scan (extractor, text, size, &mentions, NULL), 0);
    memset (text, 'C', size);
    JM_CHECK_INT (jm_extractor_scan (extractor, text, size, &mentions, NULL), 0);
    //  1 MB of "C, " counts every C and stays linear
    for (size_t i = 0; i + 3 <= size; i += 3)
        memcpy (text + i, "C, ", 3);
    count = jm_extractor_scan (extractor, text, size - size % 3, &mentions, NULL);
    JM_CHECK_INT (count, (long) (size / 3));
    free (mentions);
    free (text);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_scan_into_reuse)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    jm_mention_t *buffer = NULL;
    size_t capacity = 0;
    const char *texts [] = { "Python, Java", "nothing", "C, R, SQL and HTML", "bad \xFF", "Go" };
    long want [] = { 2, 0, 4, -1, 1 };
    for (int i = 0; i < 5; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        long count = jm_extractor_scan_into (extractor, texts [i], strlen (texts [i]),
                                             &buffer, &capacity, &err);
        JM_CHECK_INT (count, want [i]);
        JM_CHECK (count >= 0 || jm_error_is_set (&err));
    }
    JM_CHECK (buffer != NULL && capacity >= 4);
    JM_CHECK_STR (jm_taxonomy_skill (taxonomy, buffer [0].skill)->id, "go");
    free (buffer);
    JM_CHECK (jm_extractor_pattern_count (extractor) > 20);
    JM_CHECK (jm_extractor_state_count (extractor) > jm_extractor_pattern_count (extractor));
    JM_CHECK (jm_extractor_memory (extractor) > 0);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  The scan takes the text 64 bytes at a time: the same mentions wherever
//  the 64-byte edges fall (inside a word, a separator run, before a '.' or
//  a non-ASCII character), and a long word hides the keys inside it
JM_TEST (extract_block_edges)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const char *tail = "Ruby  on\n  Rails, \xE2\x80\xA2.NET and C++17; \xC3\xA9python python3 "
                       "abcdefghijklmnopqrstuvwxyzpython Java";
    const char *want [] = { "rails", "dotnet", "cpp", "python", "java" };
    char text [512];
    for (size_t lead = 0; lead < 140; lead++) {
        memset (text, ' ', lead);
        for (size_t k = 0; k + 2 < lead; k += 3)
            text [k] = text [k + 1] = 'z';          //  "zz zz zz ..."
        size_t len = lead + (size_t) snprintf (text + lead, sizeof text - lead, "%s", tail);
        jm_mention_t *mentions = NULL;
        long count = jm_extractor_scan (extractor, text, len, &mentions, NULL);
        JM_CHECK_MSG (count == 5, "lead %zu: %ld mentions", lead, count);
        for (long i = 0; i < count && i < 5; i++)
            JM_CHECK_STR (jm_taxonomy_skill (taxonomy, mentions [i].skill)->id, want [i]);
        if (count == 5) {
            JM_CHECK_INT (mentions [0].start, lead);
            JM_CHECK_INT (mentions [4].end, len);
        }
        free (mentions);
    }
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (extract_skill_set)
{
    jm_mention_t mentions [] = { { 3, 0, 1 }, { 70, 2, 4 }, { 3, 5, 6 }, { 511, 7, 9 } };
    uint64_t skills [JM_SKILL_WORDS];
    memset (skills, 0xFF, sizeof skills);
    JM_CHECK_INT (jm_mentions_skill_set (mentions, 4, skills), 3);
    JM_CHECK (skills [0] == 1ULL << 3);
    JM_CHECK (skills [1] == 1ULL << 6);
    JM_CHECK (skills [7] == 1ULL << 63);
    JM_CHECK (skills [2] == 0);
    jm_mention_summary_t summary [JM_MAX_SKILLS];
    JM_CHECK_INT (jm_mentions_summarize (mentions, 4, summary), 3);
    JM_CHECK_INT (summary [0].skill, 3);
    JM_CHECK_INT (summary [0].count, 2);
    JM_CHECK_INT (summary [2].skill, 511);
    JM_CHECK_INT (jm_mentions_skill_set (NULL, 0, skills), 0);
}

static uint64_t s_seed = 0x9E3779B97F4A7C15ULL;

static uint32_t
s_random (uint32_t bound)
{
    s_seed ^= s_seed << 13;
    s_seed ^= s_seed >> 7;
    s_seed ^= s_seed << 17;
    return (uint32_t) (s_seed % bound);
}

//  An independent UTF-8 check: decodes and tests the code point's range
static bool
s_valid_utf8 (const unsigned char *text, size_t len)
{
    for (size_t i = 0; i < len; ) {
        unsigned c = text [i];
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > len)
            return false;
        uint32_t cp = n == 1 ? c : c & (0x7F >> n);
        for (size_t k = 1; k < n; k++) {
            if ((text [i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (text [i + k] & 0x3F);
        }
        uint32_t least [] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < least [n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}

//  A taxonomy past 65,536 trie states (a big double array): same rules
JM_TEST (extract_wide_automaton)
{
    enum { SKILLS = 300, ALIASES = 8, LETTERS = 30 };
    size_t size = (size_t) SKILLS * (ALIASES + 2) * (LETTERS + 8) + 4096;
    char *json = malloc (size);
    JM_REQUIRE (json);
    char forms [SKILLS][ALIASES + 1][LETTERS + 2];
    size_t len = (size_t) snprintf (json, size, "{ \"version\": \"wide\", \"categories\": "
                                    "[ { \"id\": \"x\", \"name\": \"X\" } ], \"skills\": [");
    for (int skill = 0; skill < SKILLS; skill++) {
        for (int form = 0; form <= ALIASES; form++) {
            for (int k = 0; k < LETTERS; k++)
                forms [skill][form][k] = (char) ('a' + s_random (26));
            forms [skill][form][LETTERS / 2] = ' ';     //  two words
            forms [skill][form][LETTERS] = 0;
        }
        len += (size_t) snprintf (json + len, size - len, "%s{ \"id\": \"s%d\", \"name\": \"%s\", "
                                  "\"category\": \"x\", \"kind\": \"hard\", \"aliases\": [",
                                  skill ? ", " : "", skill, forms [skill][0]);
        for (int form = 1; form <= ALIASES; form++)
            len += (size_t) snprintf (json + len, size - len, "%s\"%s\"", form > 1 ? ", " : "",
                                      forms [skill][form]);
        len += (size_t) snprintf (json + len, size - len, "] }");
    }
    len += (size_t) snprintf (json + len, size - len, "] }");
    JM_REQUIRE (len < size);
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text (json, len, &err);
    if (!taxonomy)
        jm_test_fail (__FILE__, __LINE__, "wide taxonomy: %s", err.message);
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    JM_CHECK (jm_extractor_state_count (extractor) > 65536);
    //  a name, an alias with its space as a run of separators, an alias glued to a word
    char text [512], word [LETTERS + 8];
    snprintf (word, sizeof word, "%s", forms [299][3]);
    word [LETTERS / 2] = 0;
    snprintf (text, sizeof text, "Skills: %s, %s \n - _%s; x%s.", forms [5][0], word,
              word + LETTERS / 2 + 1, forms [17][2]);
    jm_mention_t *mentions = NULL;
    long count = jm_extractor_scan (extractor, text, strlen (text), &mentions, &err);
    JM_CHECK_INT (count, 2);
    if (count == 2) {
        JM_CHECK_STR (jm_taxonomy_skill (taxonomy, mentions [0].skill)->id, "s5");
        JM_CHECK_INT (mentions [0].start, 8);
        JM_CHECK_STR (jm_taxonomy_skill (taxonomy, mentions [1].skill)->id, "s299");
        JM_CHECK_INT (mentions [1].end - mentions [1].start, LETTERS + 5);
    }
    free (mentions);
    JM_CHECK_INT (jm_extractor_scan (extractor, "bad \xFF", 5, &mentions, &err), -1);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
    free (json);
}

//  Random bytes: never a crash, and an error exactly when not UTF-8
JM_TEST (extract_random_bytes)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const char *alphabet [] = { "C", "c", "+", "#", ".", "/", " ", "\n", ",", "Go", "NET", "ASP",
                                "\xC3", "\xA9", "\xE2\x80\xA2", "\xF0", "\x9F", "\xED", "\xFF",
                                "Ruby", "on", "Rails", "and", "&", "R", "D", "-", "(", ")", "\0" };
    int alphabet_size = (int) (sizeof alphabet / sizeof alphabet [0]);
    char text [256];
    int valid = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        int pieces = (int) s_random (24);
        for (int i = 0; i < pieces; i++) {
            const char *piece = alphabet [s_random ((uint32_t) alphabet_size)];
            size_t plen = piece [0] ? strlen (piece) : 1;
            memcpy (text + len, piece, plen);
            len += plen;
        }
        bool utf8 = s_valid_utf8 ((const unsigned char *) text, len);
        valid += utf8;
        jm_error_t err;
        jm_error_clear (&err);
        jm_mention_t *mentions = NULL;
        long count = jm_extractor_scan (extractor, text, len, &mentions, &err);
        JM_CHECK_MSG ((count >= 0) == utf8, "round %d: count %ld, utf8 %d", round, count, utf8);
        free (mentions);
        if (count >= 0)
            s_check_positions (extractor, text, len);
    }
    JM_CHECK (valid > 1000);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  Forms joined by random separators: widening blanks never changes the result
JM_TEST (extract_random_lists)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const char *separators [] = { ", ", " and ", "/", "; ", " ", "\n- ", " or ", " | ", "." };
    char text [2048], wide [8192];
    int found = 0;
    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        int items = 1 + (int) s_random (12);
        for (int i = 0; i < items; i++) {
            const jm_form_t *form = jm_taxonomy_form (taxonomy, (int) s_random ((uint32_t) jm_taxonomy_form_count (taxonomy)));
            len += (size_t) snprintf (text + len, sizeof text - len, "%s%s", form->text,
                                      separators [s_random (9)]);
        }
        size_t wide_len = 0;
        for (size_t i = 0; i < len; i++) {
            if (text [i] == ' ') {
                memcpy (wide + wide_len, " \t  ", 4);
                wide_len += 4;
            }
            else
                wide [wide_len++] = text [i];
        }
        jm_mention_t *narrow_mentions = NULL, *wide_mentions = NULL;
        long narrow_count = jm_extractor_scan (extractor, text, len, &narrow_mentions, NULL);
        long wide_count = jm_extractor_scan (extractor, wide, wide_len, &wide_mentions, NULL);
        bool same = narrow_count == wide_count && narrow_count >= 0;
        found += narrow_count > 0;
        for (long i = 0; same && i < narrow_count; i++)
            same = narrow_mentions [i].skill == wide_mentions [i].skill;
        JM_CHECK_MSG (same, "\"%.*s\": %ld mentions, widened %ld", (int) len, text, narrow_count, wide_count);
        free (narrow_mentions);
        free (wide_mentions);
        s_check_positions (extractor, wide, wide_len);
        if (jm_test_failures > 5)
            break;
    }
    JM_CHECK (found > 2000);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

typedef struct {
    const jm_extractor_t *extractor;
    const char *text;
    size_t len;
    long count;
    uint64_t skills [JM_SKILL_WORDS];
} s_thread_job_t;

static void *
s_thread_scan (void *arg)
{
    s_thread_job_t *job = arg;
    jm_mention_t *buffer = NULL;
    size_t capacity = 0;
    for (int round = 0; round < 50; round++) {
        job->count = jm_extractor_scan_into (job->extractor, job->text, job->len, &buffer, &capacity, NULL);
        jm_mentions_skill_set (buffer, job->count, job->skills);
    }
    free (buffer);
    return NULL;
}

//  One extractor, four threads scanning at once, the same answers
JM_TEST (extract_shared_by_threads)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    const char *texts [] = {
        "Python, Java, C and R", "Ruby on Rails with Node JS", "C#/.NET and ASP.NET Core", "Go, golang, GO"
    };
    s_thread_job_t jobs [4];
    pthread_t threads [4];
    for (int i = 0; i < 4; i++) {
        jobs [i] = (s_thread_job_t) { extractor, texts [i], strlen (texts [i]), 0, { 0 } };
        JM_REQUIRE (pthread_create (&threads [i], NULL, s_thread_scan, &jobs [i]) == 0);
    }
    long want [] = { 4, 2, 3, 2 };
    for (int i = 0; i < 4; i++) {
        pthread_join (threads [i], NULL);
        JM_CHECK_INT (jobs [i].count, want [i]);
    }
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  --- The real data, when present ---------------------------------------

//  Path of a file relative to the repository root (the parent of data/)
static const char *
s_repo_path (const char *relative)
{
    static char path [1024];
    snprintf (path, sizeof path, "%s/../%s", jm_test_data_dir (), relative);
    return path;
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
        jm_test_fail (__FILE__, __LINE__, "%s: %s: %s", path, err.code, err.message);
    return taxonomy;
}

//  The expected skill ids in a JSON value, sorted and comma-joined: an array
//  of ids, or an object holding one under "skills", "expected" or "expect".
static bool
s_expected (json_t *value, char *result, size_t size)
{
    if (json_is_object (value)) {
        json_t *list = json_object_get (value, "expected");
        if (!list)
            list = json_object_get (value, "skills");
        if (!list)
            list = json_object_get (value, "expect");
        value = list;
    }
    if (!json_is_array (value))
        return false;
    const char *ids [JM_MAX_SKILLS];
    size_t n = 0, index;
    json_t *item;
    json_array_foreach (value, index, item) {
        const char *id = json_string_value (item);
        if (!id && json_is_object (item))
            id = json_string_value (json_object_get (item, "id"));
        if (!id)
            id = json_string_value (json_object_get (item, "skill"));
        if (!id || n == JM_MAX_SKILLS)
            return false;
        bool duplicate = false;
        for (size_t k = 0; k < n; k++)
            duplicate |= strcmp (ids [k], id) == 0;
        if (!duplicate)
            ids [n++] = id;
    }
    qsort (ids, n, sizeof ids [0], s_compare_strings);
    result [0] = 0;
    size_t used = 0;
    for (size_t i = 0; i < n && used + 80 < size; i++)
        used += (size_t) snprintf (result + used, size - used, "%s%s", i ? "," : "", ids [i]);
    return true;
}

JM_TEST (extract_data_cases)
{
    const char *path = s_repo_path ("tests/data/extract_cases.json");
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
    json_t *cases = json_is_array (root) ? root : json_object_get (root, "cases");
    JM_REQUIRE (json_is_array (cases));
    JM_CHECK (json_array_size (cases) >= 40);
    size_t index, failures = 0;
    json_t *item;
    json_array_foreach (cases, index, item) {
        const char *text = json_string_value (json_object_get (item, "text"));
        if (!text)
            text = json_string_value (json_object_get (item, "sentence"));
        char want [4096];
        if (!text || !s_expected (item, want, sizeof want)) {
            jm_test_fail (__FILE__, __LINE__, "case %zu: no text or expected list", index);
            continue;
        }
        const char *got = s_found (extractor, text);
        if (strcmp (got, want) != 0) {
            failures++;
            jm_test_fail (__FILE__, __LINE__, "case %zu \"%s\": got [%s], want [%s]",
                          index, text, got, want);
        }
        s_check_positions (extractor, text, strlen (text));
    }
    printf ("    %zu cases, %zu mismatches\n", json_array_size (cases), failures);
    json_decref (root);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

static char *
s_read_file (const char *path, size_t *len)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    char *text = malloc ((size_t) size + 1);
    *len = fread (text, 1, (size_t) size, file);
    text [*len] = 0;
    fclose (file);
    return text;
}

JM_TEST (extract_resume_examples)
{
    const char *dir_path = s_repo_path ("proto/examples/resumes");
    char dir_name [1024];
    snprintf (dir_name, sizeof dir_name, "%s", dir_path);
    DIR *dir = opendir (dir_name);
    if (!dir) {
        printf ("    (skipped: no %s)\n", dir_name);
        return;
    }
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    if (!taxonomy) {
        closedir (dir);
        return;
    }
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    int checked = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        size_t name_len = strlen (entry->d_name);
        if (name_len < 5 || strcmp (entry->d_name + name_len - 4, ".txt") != 0)
            continue;
        char path [2048], expected_path [2048];
        snprintf (path, sizeof path, "%s/%s", dir_name, entry->d_name);
        snprintf (expected_path, sizeof expected_path, "%s/%.*s.expected.json", dir_name,
                  (int) (name_len - 4), entry->d_name);
        size_t len = 0;
        char *text = s_read_file (path, &len);
        JM_REQUIRE (text);
        json_error_t json_error;
        json_t *expected = json_load_file (expected_path, 0, &json_error);
        char want [8192];
        if (!expected || !s_expected (expected, want, sizeof want))
            jm_test_fail (__FILE__, __LINE__, "%s: missing or unreadable (want a list of skill ids)",
                          expected_path);
        else {
            const char *got = s_found_len (extractor, text, len);
            JM_CHECK_MSG (strcmp (got, want) == 0, "%s:\n      got  [%s]\n      want [%s]",
                          entry->d_name, got, want);
            s_check_positions (extractor, text, len);
            checked++;
        }
        json_decref (expected);
        free (text);
    }
    closedir (dir);
    printf ("    %d résumés checked\n", checked);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  True when an ambiguous form of the same skill folds to form's key
static bool
s_key_is_ambiguous (const jm_taxonomy_t *taxonomy, const jm_form_t *form)
{
    char key [600], other [600];
    if (strlen (form->text) >= sizeof key)
        return false;
    s_refold (form->text, strlen (form->text), key);
    for (int i = 0; i < jm_taxonomy_form_count (taxonomy); i++) {
        const jm_form_t *candidate = jm_taxonomy_form (taxonomy, i);
        if (candidate->ambiguous && candidate->skill == form->skill
        &&  strlen (candidate->text) < sizeof other) {
            s_refold (candidate->text, strlen (candidate->text), other);
            if (strcmp (key, other) == 0)
                return true;
        }
    }
    return false;
}

//  Every form of the real taxonomy is found when listed on its own
JM_TEST (extract_every_form)
{
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    if (!taxonomy)
        return;
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    for (int i = 0; i < jm_taxonomy_form_count (taxonomy); i++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, i);
        if (!form->ambiguous && s_key_is_ambiguous (taxonomy, form))
            continue;           //  "go" when "Go" is ambiguous: only "Go" matches
        char text [600];
        snprintf (text, sizeof text, "Skills: %s, more", form->text);
        jm_mention_t *mentions = NULL;
        long count = jm_extractor_scan (extractor, text, strlen (text), &mentions, NULL);
        bool found = false;
        for (long k = 0; k < count; k++)
            found |= mentions [k].skill == form->skill && mentions [k].start == 8
                  && mentions [k].end == 8 + strlen (form->text);
        JM_CHECK_MSG (found, "form \"%s\" of '%s' is not found in \"%s\"", form->text,
                      jm_taxonomy_skill (taxonomy, form->skill)->id, text);
        free (mentions);
    }
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}
