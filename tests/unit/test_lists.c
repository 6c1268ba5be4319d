/*  Tests for jm_lists (issue 15 item 4): where skill lists are, and typo
    correction inside them only.                                           */
#include "jm_test.h"
#include "jm_extract.h"
#include "jm_lists.h"
#include "jm_normalize.h"
#include "jm_resume.h"
#include "jm_taxonomy.h"

#include <time.h>
#include <unistd.h>

//  Is the first occurrence of word in text in a list?
static jm_list_kind_t
s_kind (const char *text, const char *word)
{
    const char *at = strstr (text, word);
    if (!at) {
        jm_test_fail (__FILE__, __LINE__, "\"%s\" not in \"%s\"", word, text);
        return JM_LIST_NONE;
    }
    uint32_t start = (uint32_t) (at - text);
    return jm_lists_kind (text, strlen (text), start, start + (uint32_t) strlen (word));
}

#define CHECK_KIND(text, word, kind) \
    JM_CHECK_MSG (s_kind (text, word) == kind, "\"%s\" in \"%s\": kind %d, want %d", \
                  word, text, (int) s_kind (text, word), (int) kind)

JM_TEST (lists_where)
{
    //  headed lines, in several languages
    CHECK_KIND ("Skills: Go, Rust, C", "Rust", JM_LIST_LINE);
    CHECK_KIND ("Skills: Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("Technical Skills: Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("**Tech stack:** Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("- Programming Languages & Tools: Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("Kenntnisse: Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("Fähigkeiten: Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("Compétences : Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("Competencias: Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("Habilidades: Go", "Go", JM_LIST_LINE);
    CHECK_KIND ("Frameworks: Spring", "Spring", JM_LIST_LINE);
    CHECK_KIND ("Skills Go", "Go", JM_LIST_NONE);                     //  no ':'
    CHECK_KIND ("Summary: I like Go", "Go", JM_LIST_NONE);            //  not a list heading
    CHECK_KIND ("Role: Go developer at Acme", "Go", JM_LIST_NONE);    //  not a heading word
    CHECK_KIND ("My skills in team building include: Go", "Go", JM_LIST_NONE);   //  five words
    //  tables
    CHECK_KIND ("| Backend | Go | Rust |", "Go", JM_LIST_LINE);
    CHECK_KIND ("  | Go |", "Go", JM_LIST_LINE);
    //  bullets of short items
    CHECK_KIND ("- Go, Rust", "Go", JM_LIST_LINE);
    CHECK_KIND ("• Go / Rust / C", "Rust", JM_LIST_LINE);
    CHECK_KIND ("- Go\n- Rust\n", "Go", JM_LIST_LINE);
    CHECK_KIND ("- Go\n- Rust\n", "Rust", JM_LIST_LINE);
    CHECK_KIND ("- Go", "Go", JM_LIST_NONE);                          //  one bullet alone
    CHECK_KIND ("- Led the Go rewrite of billing, saving a lot of money", "Go", JM_LIST_NONE);
    //  lines under a heading
    CHECK_KIND ("SKILLS\nGo, Rust\nC", "C", JM_LIST_LINE);
    CHECK_KIND ("Technical skills:\nGo\nRust", "Rust", JM_LIST_LINE);
    CHECK_KIND ("SKILLS\n\nGo, Rust", "Go", JM_LIST_NONE);            //  a blank line ends the block
    CHECK_KIND ("EXPERIENCE\nGo, Rust", "Go", JM_LIST_NONE);
    //  runs of items in a sentence
    CHECK_KIND ("Built dashboards with React, Redux and TypeScript.", "React", JM_LIST_SENTENCE);
    CHECK_KIND ("Built dashboards with React, Redux and TypeScript.", "TypeScript", JM_LIST_SENTENCE);
    CHECK_KIND ("I have years of experience with Go, Rust and C", "Go", JM_LIST_SENTENCE);
    CHECK_KIND ("I build services in Go and Rust.", "Go", JM_LIST_NONE);
    CHECK_KIND ("In Spring we went hiking, then sailing, then home.", "Spring", JM_LIST_NONE);
    CHECK_KIND ("Go, then Rust. Later C, Java.", "Go", JM_LIST_NONE);
}

//  A span on a 2 MiB line is judged by its neighbourhood only, fast
JM_TEST (lists_long_lines_are_bounded)
{
    size_t size = 2u << 20;
    char *text = malloc (size + 1);
    JM_REQUIRE (text);
    for (size_t i = 0; i < size; i += 3)
        memcpy (text + i, i + 3 <= size ? "C, " : "C, ", i + 3 <= size ? 3 : size - i);
    text [size] = 0;
    clock_t start = clock ();
    long lists = 0;
    for (uint32_t at = 0; at + 1 < size; at += 3)
        lists += jm_lists_contains (text, size, at, at + 1);
    double seconds = (double) (clock () - start) / CLOCKS_PER_SEC;
    JM_CHECK (lists > 0);
    JM_CHECK_MSG (seconds < 2, "%.2f s", seconds);
    //  nonsense spans are refused, not read
    JM_CHECK (!jm_lists_contains (text, size, 10, 10));
    JM_CHECK (!jm_lists_contains (text, size, (uint32_t) size, (uint32_t) size + 5));
    JM_CHECK (!jm_lists_contains (NULL, 0, 0, 1));
    free (text);
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

//  "id" for a held mention, "id*" for a corrected one, "id?" for another
//  claim, joined by spaces in text order
static const char *
s_read (const jm_extractor_t *extractor, const char *text)
{
    static char result [4096];
    const jm_taxonomy_t *taxonomy = jm_extractor_taxonomy (extractor);
    jm_found_t *found = NULL;
    long count = jm_resume_read (extractor, text, strlen (text), &found, NULL);
    size_t used = 0;
    result [0] = 0;
    for (long i = 0; i < count && used + 80 < sizeof result; i++) {
        if (i > 0)
            JM_CHECK (found [i - 1].start <= found [i].start);
        used += (size_t) snprintf (result + used, sizeof result - used, "%s%s%s", used ? " " : "",
                                   jm_taxonomy_skill (taxonomy, found [i].skill)->id,
                                   found [i].claim != JM_CLAIM_HELD ? "?" : found [i].corrected ? "*" : "");
    }
    free (found);
    return result;
}

JM_TEST (lists_correct_typos)
{
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    if (!taxonomy)
        return;
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    //  the tester's case
    JM_CHECK_STR (s_read (extractor, "Skills: Pyhton, Kubernates, Postgress"), "python* kubernetes* postgresql*");
    //  in order among scanned mentions, in tables and bullets, with asides
    JM_CHECK_STR (s_read (extractor, "Skills: Java, Pyhton (advanced), Docker"), "java python* docker");
    JM_CHECK_STR (s_read (extractor, "| Languages | Pyhton | Java |"), "python* java");
    JM_CHECK_STR (s_read (extractor, "- Kubernates, Terrafrom\n- Docker"), "kubernetes* terraform* docker");
    JM_CHECK_STR (s_read (extractor, "SKILLS\nPyhton, Java\n\nI like Pyhton."), "python* java");
    //  prose never: not in a sentence, nor in a run of items in a sentence
    JM_CHECK_STR (s_read (extractor, "I wrote Pyhton scripts."), "");
    JM_CHECK_STR (s_read (extractor, "I know Pyhton, Java and Docker well."), "java docker");
    //  not a typo: unknown names, short names, other first letters, too far
    JM_CHECK_STR (s_read (extractor, "Skills: Figma, Jave, Larval"), "");
    JM_CHECK_STR (s_read (extractor, "Languages: English, German"), "");
    //  lowercase forms free text does not take count in a list, uncorrected
    JM_CHECK_STR (s_read (extractor, "Tools: go, rust, Java"), "go rust java");
    JM_CHECK_STR (s_read (extractor, "We go to rust-belt towns."), "");
    //  items that do not look like names are not looked up
    JM_CHECK_STR (s_read (extractor, "Skills: 12345, ####, a"), "");
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  The first letter of a typo must be the first letter of a form of its skill
JM_TEST (lists_typo_first_letter)
{
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    if (!taxonomy)
        return;
    jm_lookup_t lookup = jm_normalize_lookup (taxonomy, "Bython", 6);
    if (lookup.match == JM_MATCH_TYPO) {
        jm_extractor_t *extractor = jm_extractor_new (taxonomy);
        JM_CHECK_STR (s_read (extractor, "Skills: Bython"), "");
        JM_CHECK_STR (s_read (extractor, "Skills: Pythn"), "python*");
        jm_extractor_destroy (&extractor);
    }
    else
        printf ("    (Bython is not a typo in this taxonomy)\n");
    jm_taxonomy_destroy (&taxonomy);
}

//  At most JM_LISTS_MAX_LOOKUPS typo searches per résumé, so a long list of
//  near-misses costs a bounded time
JM_TEST (lists_lookups_are_bounded)
{
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    if (!taxonomy)
        return;
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    size_t size = 2u << 20, len = 0;
    char *text = malloc (size + 64);
    JM_REQUIRE (text);
    const char *lines [] = { "Skills: Pyhton, Kubernates, Terrafrom, Postgress, Dokcer\n",
                             "Skills: Pythox, Kubernatex, Terrafrox, Postgrexx, Dokcex\n" };
    for (int round = 0; len + 64 < size; round++) {
        const char *line = lines [round % 2];
        memcpy (text + len, line, strlen (line));
        len += strlen (line);
    }
    clock_t start = clock ();
    jm_found_t *found = NULL;
    long count = jm_resume_read (extractor, text, len, &found, NULL);
    double seconds = (double) (clock () - start) / CLOCKS_PER_SEC;
    long corrected = 0;
    for (long i = 0; i < count; i++)
        corrected += found [i].corrected;
    JM_CHECK (corrected > 0 && corrected <= JM_LISTS_MAX_LOOKUPS);
    JM_CHECK_MSG (seconds < 3, "%.2f s", seconds);
    free (found);
    free (text);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}

//  Labelled lines under a skill heading are lists after their label
JM_TEST (lists_labelled_lines)
{
    CHECK_KIND ("SKILLS\nData: PostgreSQL, Redis", "Redis", JM_LIST_LINE);
    CHECK_KIND ("SKILLS\nBack end (learning): Node.js, Express", "Express", JM_LIST_LINE);
    CHECK_KIND ("Data: PostgreSQL, Redis", "Redis", JM_LIST_NONE);    //  no heading above
    CHECK_KIND ("EXPERIENCE\nRole: Go developer", "Go", JM_LIST_NONE);
    //  another section's heading ends the block
    CHECK_KIND ("SKILLS\nJava, Rust\nEXPERIENCE\nGo team", "Go", JM_LIST_NONE);
    CHECK_KIND ("SKILLS\nJava, Rust\nWork history\nGo team", "Go", JM_LIST_NONE);
    jm_taxonomy_t *taxonomy = s_real_taxonomy ();
    if (!taxonomy)
        return;
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    JM_CHECK_STR (s_read (extractor, "SKILLS\nLanguages: Pyhton, Java\nData: Postgress, Redis\nOther: Terrafrom"),
                  "python* java postgresql* redis terraform*");
    JM_CHECK_STR (s_read (extractor, "SKILLS\nPython\nEXPERIENCE\nPyhton"), "python");
    //  one edit at most in a list: two are too many even for a long name
    JM_CHECK_STR (s_read (extractor, "Skills: Kubernatess, Kuberntes"), "kubernetes*");
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
}
