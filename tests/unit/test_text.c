/*  Tests for jm_text: each cleaning rule on a small inline taxonomy, the map
    back to the original (exact, in range, monotone) on every input, the
    fast path (no copy), hostile inputs, then the data-driven cases
    (tests/data/text_cases.json) read end to end by jm_resume_read with the
    real taxonomy.                                                          */
#include "jm_test.h"
#include "jm_extract.h"
#include "jm_resume.h"
#include "jm_taxonomy.h"
#include "jm_text.h"

#include <jansson.h>
#include <time.h>
#include <unistd.h>

static const char *s_mini_taxonomy =
    "{ \"version\": \"test\","
    "  \"categories\": [ { \"id\": \"lang\", \"name\": \"Languages\" } ],"
    "  \"skills\": ["
    "    { \"id\": \"java\", \"name\": \"Java\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"javascript\", \"name\": \"JavaScript\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"kubernetes\", \"name\": \"Kubernetes\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"k8s\" ] },"
    "    { \"id\": \"postgresql\", \"name\": \"PostgreSQL\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"Postgre SQL\" ] },"
    "    { \"id\": \"spring-boot\", \"name\": \"Spring Boot\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"SpringBoot\" ] },"
    "    { \"id\": \"nodejs\", \"name\": \"Node.js\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"html\", \"name\": \"HTML\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"csharp\", \"name\": \"C#\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"vs\", \"name\": \"Visual Studio\", \"category\": \"lang\", \"kind\": \"hard\" },"
    "    { \"id\": \"aws\", \"name\": \"AWS\", \"category\": \"lang\", \"kind\": \"hard\","
    "      \"aliases\": [ \"Amazon Web Services\" ] },"
    "    { \"id\": \"gcp\", \"name\": \"Google Cloud Platform\", \"category\": \"lang\", \"kind\": \"hard\" }"
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

//  True when text [0, len) is valid UTF-8
static bool
s_valid_utf8 (const char *text, size_t len)
{
    const uint8_t *bytes = (const uint8_t *) text;
    for (size_t i = 0; i < len; ) {
        if (bytes [i] < 0x80) {
            i++;
            continue;
        }
        size_t n = jm_text_utf8_length (bytes + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

//  Checks what the map promises for a cleaned text: every plain byte maps
//  to a non-empty range inside the original, both ends non-decreasing; a
//  byte copied maps to the same byte; the plain text is valid UTF-8 and no
//  longer than the original.  Returns false (with a failure recorded) when not.
static bool
s_check_map (jm_text_t *plain, const char *raw, size_t raw_len, const char *what)
{
    bool ok = true;
    if (plain->len > raw_len || !s_valid_utf8 (plain->text, plain->len)) {
        jm_test_fail (__FILE__, __LINE__, "%s: plain text too long or not UTF-8", what);
        return false;
    }
    uint32_t *starts = malloc ((plain->len + 1) * sizeof (uint32_t));
    uint32_t *ends = malloc ((plain->len + 1) * sizeof (uint32_t));
    uint32_t last_start = 0, last_end = 0;
    for (size_t i = 0; i < plain->len && ok; i++) {
        uint32_t start, end;
        jm_text_span (plain, (uint32_t) i, (uint32_t) i + 1, &start, &end);
        starts [i] = start;
        ends [i] = end;
        if (!(start < end && end <= raw_len && start >= last_start && end >= last_end)) {
            jm_test_fail (__FILE__, __LINE__, "%s: plain byte %zu maps to [%u, %u) after [%u, %u)",
                          what, i, start, end, last_start, last_end);
            ok = false;
        }
        if (ok && end == start + 1 && (uint8_t) raw [start] < 0x80 && raw [start] != plain->text [i]
        &&  !(raw [start] == '\n' || raw [start] == '<' || raw [start] == '\\')) {
            //  a one-byte origin is the byte itself, or a line break / tab a tag left
            jm_test_fail (__FILE__, __LINE__, "%s: plain byte %zu '%c' maps to '%c'",
                          what, i, plain->text [i], raw [start]);
            ok = false;
        }
        last_start = start;
        last_end = end;
    }
    //  the same asked backwards and in a scattered order
    for (size_t k = 0; k < 2 * plain->len && ok; k++) {
        size_t i = k < plain->len ? plain->len - 1 - k : (k * 7919) % plain->len;
        uint32_t start, end;
        jm_text_span (plain, (uint32_t) i, (uint32_t) i + 1, &start, &end);
        if (start != starts [i] || end != ends [i]) {
            jm_test_fail (__FILE__, __LINE__, "%s: plain byte %zu maps to [%u, %u) asked again, [%u, %u) first",
                          what, i, start, end, starts [i], ends [i]);
            ok = false;
        }
    }
    free (starts);
    free (ends);
    uint32_t start, end;
    jm_text_span (plain, 0, (uint32_t) plain->len, &start, &end);
    if (plain->len && !(start <= end && end <= raw_len)) {
        jm_test_fail (__FILE__, __LINE__, "%s: whole text maps to [%u, %u)", what, start, end);
        ok = false;
    }
    jm_text_span (plain, (uint32_t) plain->len, (uint32_t) plain->len, &start, &end);
    if (start != end || end > raw_len) {
        jm_test_fail (__FILE__, __LINE__, "%s: the end maps to [%u, %u)", what, start, end);
        ok = false;
    }
    return ok;
}

//  Cleans raw with the taxonomy and returns the plain text (static buffer),
//  checking the map; "error:<code>" when refused.
static const char *
s_plain_len (const jm_taxonomy_t *taxonomy, const char *raw, size_t len)
{
    static char result [4096];
    jm_text_t plain;
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_text_clean (raw, len, taxonomy, &plain, &err)) {
        snprintf (result, sizeof result, "error:%s", err.code);
        return result;
    }
    s_check_map (&plain, raw, len, raw);
    snprintf (result, sizeof result, "%.*s", (int) plain.len, plain.text);
    jm_text_free (&plain);
    return result;
}

static const char *
s_plain (const jm_taxonomy_t *taxonomy, const char *raw)
{
    return s_plain_len (taxonomy, raw, strlen (raw));
}

//  The original bytes plain [start, end) of raw maps to (static buffer)
static const char *
s_origin (const jm_taxonomy_t *taxonomy, const char *raw, const char *needle)
{
    static char result [4096];
    jm_text_t plain;
    if (jm_text_clean (raw, strlen (raw), taxonomy, &plain, NULL))
        return "error";
    const char *hit = memmem (plain.text, plain.len, needle, strlen (needle));
    if (!hit) {
        jm_text_free (&plain);
        return "not found";
    }
    uint32_t start, end;
    jm_text_span (&plain, (uint32_t) (hit - plain.text), (uint32_t) (hit - plain.text + strlen (needle)),
                  &start, &end);
    snprintf (result, sizeof result, "%.*s", (int) (end - start), raw + start);
    jm_text_free (&plain);
    return result;
}

JM_TEST (text_fast_path_no_copy)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    const char *texts [] = {
        "Java, C#, Node.js and PostgreSQL; I like <3 and x < y.",
        "R&D at AT&T; docker_compose and snake_case; 5 * 3; C++ & C#",
        "Skills:\n* Java\n* Kubernetes\n- back-end\nback-\nend work\n",
        "Caf\xC3\xA9 na\xC3\xAFve \xE2\x80\x94 \xE2\x80\xA2 bullets \xE6\x97\xA5\xE6\x9C\xAC",
        "#1 in class, issue #42, __",
        ""
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts [0]; i++) {
        jm_text_t plain;
        JM_REQUIRE (jm_text_clean (texts [i], strlen (texts [i]), taxonomy, &plain, NULL) == 0);
        JM_CHECK_MSG (plain.text == texts [i] && plain.owned == NULL && plain.len == strlen (texts [i]),
                      "copied: %s", texts [i]);
        uint32_t start, end;
        jm_text_span (&plain, 2, 5, &start, &end);
        JM_CHECK (start == 2 && end == 5);
        jm_text_free (&plain);
        jm_text_free (&plain);
    }
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (text_characters)
{
    //  soft hyphen, zero-width characters, byte-order mark
    JM_CHECK_STR (s_plain (NULL, "Kuber\xC2\xADnetes"), "Kubernetes");
    JM_CHECK_STR (s_plain (NULL, "\xEF\xBB\xBFPy\xE2\x80\x8Bth\xE2\x80\x8Co\xE2\x80\x8Dn\xE2\x81\xA0!"), "Python!");
    //  full-width letters and the ideographic space
    JM_CHECK_STR (s_plain (NULL, "\xEF\xBC\xAA\xEF\xBD\x81\xEF\xBD\x96\xEF\xBD\x81\xE3\x80\x80\xEF\xBC\xA3\xEF\xBC\x83"),
                  "Java C#");
    JM_CHECK_STR (s_plain (NULL, "\xEF\xBC\x81\xEF\xBD\x9E"), "!~");
    //  no-break spaces
    JM_CHECK_STR (s_plain (NULL, "Ruby\xC2\xA0on\xE2\x80\xAFRails"), "Ruby on Rails");
    //  ligatures
    JM_CHECK_STR (s_plain (NULL, "\xEF\xAC\x81le \xEF\xAC\x82" "ask \xEF\xAC\x80 \xEF\xAC\x83 \xEF\xAC\x84 \xEF\xAC\x85 \xEF\xAC\x86"),
                  "file flask ff ffi ffl st st");
    //  other non-ASCII stays
    JM_CHECK_STR (s_plain (NULL, "\xC2\xAD\xC3\xA9t\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x98\x80"),
                  "\xC3\xA9t\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x98\x80");
    //  the original of a folded word is all its bytes
    JM_CHECK_STR (s_origin (NULL, "I use Kuber\xC2\xADnetes daily", "Kubernetes"), "Kuber\xC2\xADnetes");
    JM_CHECK_STR (s_origin (NULL, "a \xEF\xBC\xAA\xEF\xBD\x81\xEF\xBD\x96\xEF\xBD\x81 b", "Java"),
                  "\xEF\xBC\xAA\xEF\xBD\x81\xEF\xBD\x96\xEF\xBD\x81");
    JM_CHECK_STR (s_origin (NULL, "con\xEF\xAC\x81g", "fig"), "\xEF\xAC\x81g");
    JM_CHECK_STR (s_origin (NULL, "con\xEF\xAC\x81g", "i"), "\xEF\xAC\x81");
}

JM_TEST (text_hyphenation)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    JM_CHECK_STR (s_plain (taxonomy, "Kuber-\nnetes and Post-\ngreSQL"), "Kubernetes and PostgreSQL");
    JM_CHECK_STR (s_plain (taxonomy, "Java-\nScript, Java-\nbased"), "JavaScript, Java-\nbased");
    JM_CHECK_STR (s_plain (taxonomy, "back-\nend"), "back-\nend");
    //  blanks, CR and an indent around the break; U+2010 as the hyphen
    JM_CHECK_STR (s_plain (taxonomy, "Kuber- \r\n    netes."), "Kubernetes.");
    JM_CHECK_STR (s_plain (taxonomy, "Kuber\xE2\x80\x90\nnetes"), "Kubernetes");
    //  a hyphenated form that is itself known stays: the extractor reads it
    JM_CHECK_STR (s_plain (taxonomy, "Spring-\nBoot"), "Spring-\nBoot");
    JM_CHECK_STR (s_plain (taxonomy, "Postgre-\nSQL"), "Postgre-\nSQL");
    //  not at a line end, a blank line between, a longer word: no
    JM_CHECK_STR (s_plain (taxonomy, "Kuber- netes"), "Kuber- netes");
    JM_CHECK_STR (s_plain (taxonomy, "Kuber-\n\nnetes"), "Kuber-\n\nnetes");
    JM_CHECK_STR (s_plain (taxonomy, "Kuber-\nnetesx"), "Kuber-\nnetesx");
    JM_CHECK_STR (s_plain (taxonomy, "xKuber-\nnetes"), "xKuber-\nnetes");
    //  a word of a longer form, by the folded form only
    JM_CHECK_STR (s_plain (taxonomy, "Visual Stu-\ndio and Amazon Web Ser-\n vices, Web Ser-\nvices"),
                  "Visual Studio and Amazon Web Services, Web Ser-\nvices");
    JM_CHECK_STR (s_plain (taxonomy, "Google Cloud-\nPlatform"), "Google Cloud-\nPlatform");
    //  no taxonomy: never, but a soft hyphen always rejoins
    JM_CHECK_STR (s_plain (NULL, "Kuber-\nnetes"), "Kuber-\nnetes");
    JM_CHECK_STR (s_plain (NULL, "Kuber\xC2\xAD\n  netes"), "Kubernetes");
    //  with other cleaning in the same text, and across an HTML line break
    JM_CHECK_STR (s_plain (taxonomy, "**Kuber-\nnetes**"), "Kubernetes");
    JM_CHECK_STR (s_plain (taxonomy, "<p>Kuber-<br>netes</p>"), "Kubernetes\n");
    //  the span covers the word across the break
    JM_CHECK_STR (s_origin (taxonomy, "I run Kuber-\n  netes daily", "Kubernetes"), "Kuber-\n  netes");
    JM_CHECK_STR (s_origin (taxonomy, "Java-\nScript", "Script"), "Script");
    jm_taxonomy_destroy (&taxonomy);
}

JM_TEST (text_entities)
{
    JM_CHECK_STR (s_plain (NULL, "C&#35; &amp; F&#x23;, a &lt;b&gt; &quot;q&quot; &apos;"),
                  "C# & F#, a <b> \"q\" '");
    JM_CHECK_STR (s_plain (NULL, "caf&eacute; caf&#233; caf&#xE9; &Uuml; &szlig;"),
                  "caf\xC3\xA9 caf\xC3\xA9 caf\xC3\xA9 \xC3\x9C \xC3\x9F");
    JM_CHECK_STR (s_plain (NULL, "a&nbsp;b&shy;c &ndash; &mdash; &bull; &hellip; &trade;"),
                  "a bc \xE2\x80\x93 \xE2\x80\x94 \xE2\x80\xA2 \xE2\x80\xA6 \xE2\x84\xA2");
    JM_CHECK_STR (s_plain (NULL, "&#x1F600; &#128; &#150;"), "\xF0\x9F\x98\x80 \xE2\x82\xAC \xE2\x80\x93");
    //  a decoded '<' or '*' is text, never markup
    JM_CHECK_STR (s_plain (NULL, "<p>&lt;p&gt; &#42;x&#42;</p>"), "<p> *x*\n");
    //  left as written: unknown, unterminated, malformed
    JM_CHECK_STR (s_plain (NULL, "R&D, AT&T; &bogus; &amp &#; &#x; &#xZZ; & ;"),
                  "R&D, AT&T; &bogus; &amp &#; &#x; &#xZZ; & ;");
    //  never invalid UTF-8: 0, surrogates, past U+10FFFF, huge values
    JM_CHECK_STR (s_plain (NULL, "[&#0;][&#xD800;][&#xDFFF;][&#1114112;][&#99999999;][&#xFFFFFFFFFFFF;]"),
                  "[\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD]");
    //  too many digits: not an entity
    JM_CHECK_STR (s_plain (NULL, "&#000000000000000000000000000000000065;"),
                  "&#000000000000000000000000000000000065;");
    JM_CHECK_STR (s_plain (NULL, "&#00065;"), "A");
    //  the span of a decoded character is the whole entity
    JM_CHECK_STR (s_origin (NULL, "I write C&#35; daily", "C#"), "C&#35;");
    JM_CHECK_STR (s_origin (NULL, "I write C&#35; daily", "#"), "&#35;");
}

JM_TEST (text_html)
{
    //  detected: tags stripped, block elements leave a line break
    JM_CHECK_STR (s_plain (NULL, "<html><body><p>C&#35; and Java</p><p>Go</p></body></html>"),
                  "C# and Java\nGo\n");
    JM_CHECK_STR (s_plain (NULL, "<ul><li>Java</li><li>C</li></ul>"), "Java\nC\n");
    JM_CHECK_STR (s_plain (NULL, "<div>a<br>b<br/>c<br />d</div>"), "a\nb\nc\nd\n");
    JM_CHECK_STR (s_plain (NULL, "<table><tr><td>Java</td><td>5 years</td></tr></table>"),
                  "Java\t5 years\t\n");
    //  inline tags leave nothing, unknown ones too
    JM_CHECK_STR (s_plain (NULL, "<p><b>Ja</b>va <span class=\"x\">Go</span> <o:p>R</o:p></p>"),
                  "Java Go R\n");
    //  dropped with their content: comments, script, style, head, title
    JM_CHECK_STR (s_plain (NULL, "<html><head><title>Python CV</title><meta charset=utf-8></head>"
                                 "<body><!-- Ruby --><script>var s = '<p>Perl</p>';</script>"
                                 "<style>p { color: red }</style>Java</body></html>"),
                  "Java\n");
    JM_CHECK_STR (s_plain (NULL, "<!DOCTYPE html><p>a<!-- <!-- nested --> b --></p>"), "a b -->\n");
    JM_CHECK_STR (s_plain (NULL, "<p>a<!---->b<!-->c</p>"), "abc\n");
    //  hostile: unclosed tag or comment, '<' at the end, "<" that is no tag
    JM_CHECK_STR (s_plain (NULL, "<p>Java</p> x < y <3 <<div>"), "Java\n x < y <3 <\n");
    JM_CHECK_STR (s_plain (NULL, "<p>Java <span class="), "Java <span class=");
    JM_CHECK_STR (s_plain (NULL, "<p>Java <!-- open"), "Java <!-- open");
    JM_CHECK_STR (s_plain (NULL, "<p>Java <script>alert(1)"), "Java alert(1)");
    JM_CHECK_STR (s_plain (NULL, "<p>Java<"), "Java<");
    //  not HTML: "<3", "x < y", a word in angle brackets, a lone tag name
    JM_CHECK_STR (s_plain (NULL, "I like <3 and x<y, <name> and <b and <html"),
                  "I like <3 and x<y, <name> and <b and <html");
    //  a tag's span: the line break of "</p>" maps to the tag
    JM_CHECK_STR (s_origin (NULL, "<p>Java</p>", "\n"), "</p>");
    JM_CHECK_STR (s_origin (NULL, "<p><b>Ja</b>va</p>", "Java"), "Ja</b>va");
}

JM_TEST (text_markdown)
{
    JM_CHECK_STR (s_plain (NULL, "**Python** and __Go__, *Java* and _Rust_; ***C***"),
                  "Python and Go, Java and Rust; C");
    JM_CHECK_STR (s_plain (NULL, "Use `Docker` and ```bash```"), "Use Docker and bash");
    JM_CHECK_STR (s_plain (NULL, "# Skills\n## Tools ##\n###### Six\n####### Seven\n#hashtag"),
                  "Skills\nTools ##\nSix\n####### Seven\n#hashtag");
    JM_CHECK_STR (s_plain (NULL, "See [Kubernetes](https://kubernetes.io \"k\") and ![Java logo](java.png)."),
                  "See Kubernetes and Java logo.");
    //  kept: bullets, snake_case, products, a '*' between blanks, no link
    JM_CHECK_STR (s_plain (NULL, "* Java\n  * Go\n- C\nsnake_case 5*3 a * b [1] [a] (b) [c]\n(x)"),
                  "* Java\n  * Go\n- C\nsnake_case 5*3 a * b [1] [a] (b) [c]\n(x)");
    //  escapes
    JM_CHECK_STR (s_plain (NULL, "C\\# and C\\+\\+ and \\*x\\* C:\\Users"), "C# and C++ and *x* C:\\Users");
    //  a link's span is its text
    JM_CHECK_STR (s_origin (NULL, "I use [Kubernetes](https://k8s.io) daily", "Kubernetes"), "Kubernetes");
    JM_CHECK_STR (s_origin (NULL, "**Python**", "Python"), "Python");
}

JM_TEST (text_utf8_errors)
{
    struct { const char *text; int line, column; } cases [] = {
        { "ab\xFF", 1, 3 },
        { "a\nb\xC3\xA9\xC3x", 2, 3 },
        { "\xE2\x82", 1, 1 },
        { "\xED\xA0\x80 surrogate", 1, 1 },
        { "ok\n\xC3\xA9\xC3\xA9\n<p>\xC0\xAF</p>", 3, 4 },
        { "&amp;\xF4\x90\x80\x80", 1, 6 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        jm_text_t plain;
        jm_error_t err;
        jm_error_clear (&err);
        JM_CHECK (jm_text_clean (cases [i].text, strlen (cases [i].text), NULL, &plain, &err) == -1);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
        JM_CHECK_MSG (err.line == cases [i].line && err.column == cases [i].column,
                      "case %zu: got %d:%d, want %d:%d (%s)", i, err.line, err.column,
                      cases [i].line, cases [i].column, err.message);
        JM_CHECK (plain.owned == NULL && plain.pieces == NULL);
        jm_text_free (&plain);
    }
}

static double
s_seconds (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

//  2 MiB of one pattern, after a prefix
static char *
s_repeat (const char *prefix, const char *pattern, size_t size, size_t *len)
{
    char *text = malloc (size + 1);
    size_t prefix_len = strlen (prefix), pattern_len = strlen (pattern);
    memcpy (text, prefix, prefix_len);
    size_t at = prefix_len;
    while (at + pattern_len <= size) {
        memcpy (text + at, pattern, pattern_len);
        at += pattern_len;
    }
    text [at] = 0;
    *len = at;
    return text;
}

//  Seconds of the fastest of runs cleanings of text (the least disturbed by
//  other processes); fails the test when a cleaning fails
static double
s_fastest_clean (const char *text, size_t len, const jm_taxonomy_t *taxonomy, int runs,
                 const char *what)
{
    double fastest = 1e9;
    for (int run = 0; run < runs; run++) {
        jm_text_t plain;
        jm_error_t err;
        jm_error_clear (&err);
        double start = s_seconds ();
        int rc = jm_text_clean (text, len, taxonomy, &plain, &err);
        double took = s_seconds () - start;
        JM_CHECK_MSG (rc == 0, "%s: %s", what, err.message);
        if (rc == 0 && run == 0)
            s_check_map (&plain, text, len, what);
        jm_text_free (&plain);
        if (took < fastest)
            fastest = took;
    }
    return fastest;
}

//  Hostile repetitions clean in linear time: 2 MiB takes about 8 times what
//  256 KiB takes (a ratio, so a loaded machine does not fail it; anything
//  quadratic would be 64 times and more)
JM_TEST (text_hostile_linear)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    const char *cases [][2] = {
        { "<p>", "<" }, { "", "<" }, { "<p>", "<a " }, { "<p>", "<script>" }, { "<p>", "<!--" },
        { "<p>", "<!-- <!-- -->" }, { "<p>", "</" }, { "<p>", "<!x" }, { "", "[a](" }, { "", "[" },
        { "", "![a](b)" }, { "", "&#" }, { "", "&#99999999;" }, { "", "&#x0000000000000000000000000041;" },
        { "", "&amp;" }, { "", "**" }, { "", "*a" }, { "", "_ a_" }, { "", "`" }, { "\n", "# " },
        { "", "Kuber-\nnetes " }, { "", "Java-\n" }, { "", "-\n" }, { "", "\xC2\xAD\n" },
        { "", "\xEF\xAC\x83" }, { "<p>", "<td>" }, { "<p>", "<br>" }, { "<p>", "</title" },
        { "<p>", "<style><!-- " }, { "", "\\*" }
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        size_t small_len, big_len;
        char *small = s_repeat (cases [i][0], cases [i][1], 256u << 10, &small_len);
        char *big = s_repeat (cases [i][0], cases [i][1], 2u << 20, &big_len);
        char what [64];
        snprintf (what, sizeof what, "2 MiB of \"%s\"", cases [i][1]);
        double small_took = s_fastest_clean (small, small_len, taxonomy, 3, what);
        double big_took = s_fastest_clean (big, big_len, taxonomy, 2, what);
        //  8x the text: linear takes about 8x, quadratic 64x; 32x leaves room
        //  for a loaded machine (sanitizer builds, shared cores).
        JM_CHECK_MSG (big_took < 32 * small_took + 0.5,
                      "%s took %.3f s, 256 KiB %.3f s: not linear", what, big_took, small_took);
        free (small);
        free (big);
    }
    jm_taxonomy_destroy (&taxonomy);
}

//  Every prefix of a mixed text: the map holds wherever the text is cut
JM_TEST (text_map_every_prefix)
{
    jm_taxonomy_t *taxonomy = s_mini ();
    const char *text =
        "<!DOCTYPE html><html><head><title>x</title></head><body>\n"
        "<h1>Jane &amp; Doe</h1><p>**C&#35;** and Kuber-\nnetes, Post\xC2\xAD\ngreSQL</p>\n"
        "<ul><li>[Java](https://java.com) \xEF\xAC\x81 \xEF\xBC\xAA\xEF\xBD\x81</li><li>`Go`</li></ul>\n"
        "<!-- note --><script>x</script><table><tr><td>a</td><td>b</td></tr></table>\n"
        "# Skills\n* Java-\nScript\\*\n&#xD800; &#0; &bogus; x < y</body></html>";
    size_t len = strlen (text);
    for (size_t cut = 0; cut <= len; cut++) {
        if (cut < len && ((uint8_t) text [cut] & 0xC0) == 0x80)
            continue;           //  not a character boundary
        jm_text_t plain;
        JM_REQUIRE (jm_text_clean (text, cut, taxonomy, &plain, NULL) == 0);
        char what [32];
        snprintf (what, sizeof what, "prefix %zu", cut);
        bool ok = s_check_map (&plain, text, cut, what);
        jm_text_free (&plain);
        if (!ok)
            break;
    }
    JM_CHECK_STR (s_plain (taxonomy, text),
                  "\nJane & Doe\nC# and Kubernetes, PostgreSQL\n\nJava fi Ja\nGo\n\na\tb\t\n\n"
                  "Skills\n* JavaScript*\n\xEF\xBF\xBD \xEF\xBF\xBD &bogus; x < y\n");
    jm_taxonomy_destroy (&taxonomy);
}

//  ---------------------------------------------------------------------
//  tests/data/text_cases.json through jm_resume_read

static const char *
s_repo_path (const char *relative)
{
    static char path [1024];
    snprintf (path, sizeof path, "%s/../%s", jm_test_data_dir (), relative);
    return path;
}

JM_TEST (text_data_cases)
{
    char taxonomy_path [1024];
    snprintf (taxonomy_path, sizeof taxonomy_path, "%s/taxonomy.json", jm_test_data_dir ());
    const char *path = s_repo_path ("tests/data/text_cases.json");
    if (access (taxonomy_path, R_OK) != 0 || access (path, R_OK) != 0) {
        printf ("    (skipped: no %s or %s)\n", taxonomy_path, path);
        return;
    }
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_load (taxonomy_path, &err);
    JM_REQUIRE (taxonomy);
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    json_error_t json_error;
    json_t *root = json_load_file (path, 0, &json_error);
    JM_REQUIRE (root);
    json_t *cases = json_object_get (root, "cases");
    JM_REQUIRE (json_is_array (cases));
    size_t index, failures = 0;
    json_t *item;
    json_array_foreach (cases, index, item) {
        const char *name = json_string_value (json_object_get (item, "name"));
        json_t *text_value = json_object_get (item, "text");
        const char *text = json_string_value (text_value);
        JM_REQUIRE (name && text);
        size_t len = json_string_length (text_value);
        jm_found_t *found = NULL;
        jm_error_clear (&err);
        long count = jm_resume_read (extractor, text, len, &found, &err);
        if (count < 0) {
            jm_test_fail (__FILE__, __LINE__, "%s: %s", name, err.message);
            failures++;
            continue;
        }
        //  every mention in range; each expected skill found with its original text
        for (long i = 0; i < count; i++)
            JM_CHECK_MSG (found [i].start < found [i].end && found [i].end <= len,
                          "%s: mention %ld at [%u, %u) of %zu", name, i, found [i].start, found [i].end, len);
        const char *id;
        json_t *expected;
        json_object_foreach (json_object_get (item, "skills"), id, expected) {
            int skill = jm_taxonomy_find (taxonomy, id);
            const char *want = json_string_value (expected);
            bool seen = false;
            for (long i = 0; i < count && !seen; i++)
                seen = found [i].skill == skill && (!want
                    || (found [i].end - found [i].start == strlen (want)
                        && memcmp (text + found [i].start, want, strlen (want)) == 0));
            if (!seen) {
                jm_test_fail (__FILE__, __LINE__, "%s: no %s spanning \"%s\"", name, id, want ? want : "");
                failures++;
            }
        }
        json_t *absent;
        size_t k;
        json_array_foreach (json_object_get (item, "absent"), k, absent) {
            int skill = jm_taxonomy_find (taxonomy, json_string_value (absent));
            for (long i = 0; i < count; i++)
                if (found [i].skill == skill) {
                    jm_test_fail (__FILE__, __LINE__, "%s: found %s at [%u, %u)", name,
                                  json_string_value (absent), found [i].start, found [i].end);
                    failures++;
                    break;
                }
        }
        free (found);
    }
    printf ("    %zu cases, %zu mismatches\n", json_array_size (cases), failures);
    json_decref (root);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}
