/*  jm_extract: finds the taxonomy's skills in free text (a résumé) in one pass.

    jm_extractor_new compiles every surface form of the taxonomy into one
    trie; jm_extractor_scan passes over the text once, walking the trie only
    from the places a key may start, and returns the accepted mentions in
    text order.  The extractor is immutable after new, so any
    number of threads may scan with one extractor at the same time.

    Matching rules (tests/unit/test_extract.c checks each):

    - Forms.  The id, name, aliases and ambiguous forms of every skill.
      Ordinary forms match ignoring ASCII case.  Ambiguous forms match only
      as written, case included.  When a form folds to the same key as an
      ambiguous form of its skill (the id "go" and the ambiguous "Go"), the
      key is ambiguous: only the listed ambiguous spellings match.
    - Separators.  As in the taxonomy's fold (data/README.md), a run of
      whitespace, '-' and '_' in a form or in the text is one space:
      "Ruby on\n  Rails", "Spring-Boot", "docker_compose" and "Test driven
      development" match the forms "Ruby on Rails", "Spring Boot", "Docker
      Compose" and "Test-driven development".
    - Left boundary.  The character before a match must not be a letter or
      a digit, nor a '.' that follows a letter or digit (".NET" is found
      in "C#/.NET" but not inside "ASP.NET"; "js" is not found in "main.js").
    - Right boundary.  The character after a match must not be a letter, a
      digit, '+' or '#' ("Java" is not in "JavaScript", "C" not in "C++"),
      nor a '.' followed by a letter or digit ("Express" is not in
      "express.static"); a sentence's closing '.' is fine.  After a form that
      ends in punctuation ("C++", ".NET") a digit is allowed as a version:
      "C++17" is C++.
    - Non-ASCII neighbours.  A non-ASCII character next to a match blocks it
      when it is a letter of an alphabetic script ("Pythoné", "Javaß").
      Non-ASCII spaces, punctuation and symbols (no-break space, bullets,
      dashes, curly quotes, ™, arrows, emoji) and CJK / Hangul characters
      (those scripts do not separate words with spaces) are boundaries.
    - NUL bytes are not text: they are boundaries and never part of a match.
    - Overlaps.  Leftmost-longest: among matches that pass every rule, the
      one starting first wins, then the longest; matches overlapping an
      accepted one are dropped ("ASP.NET Core", "TCP/IP" and "CI/CD" are one
      mention each).
    - Single letters ("C", "R") count only in list context: on at least one
      side the nearest non-blank neighbour is a list delimiter
      (',' '/' ';' '(' ')' '|' ':' '&'), the start or end of a line (a bullet
      such as "-", "*" or "•" may open the line), or the word "and" / "or".
      On the left, a few degree words may stand between the delimiter or
      conjunction and the letter ("C#, F# and a little C", "Java and some R";
      not "and a C").  "C, C++ and Python" and "R and Python" count;
      "Plan C was chosen", "grade C." and "a C in maths" do not.
      Exceptions: '&' between two single letters is an abbreviation ("R&D",
      "R & D"); a letter directly followed by '.' gets no line-start credit
      (an initial, "R. Smith"); a letter directly followed by '-' and a
      letter is a compound ("C-suite"); "(C)" before a digit is a copyright.

    Text must be valid UTF-8 (RFC 3629: no overlongs, surrogates or code
    points past U+10FFFF); the first bad byte fails the scan with its line
    and column (column counted in characters, 1-based).  Offsets are bytes,
    so texts are limited to 4 GiB.                                          */
#ifndef JM_EXTRACT_H
#define JM_EXTRACT_H

#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"
#include "jm_taxonomy.h"

//  One mention of a skill: text[start, end) in bytes.
typedef struct {
    int skill;                  //  taxonomy skill index
    uint32_t start;
    uint32_t end;
} jm_mention_t;

//  One skill found in a text, for reports and JSON replies.
typedef struct {
    int skill;                  //  taxonomy skill index
    int count;                  //  number of mentions
    uint32_t start;             //  first mention, text[start, end)
    uint32_t end;
} jm_mention_summary_t;

typedef struct _jm_extractor_t jm_extractor_t;

//  Builds the trie over every surface form of the taxonomy.  The
//  taxonomy is borrowed and must outlive the extractor.  Never fails: the
//  taxonomy was validated when loaded.
jm_extractor_t *jm_extractor_new (const jm_taxonomy_t *taxonomy);

//  Frees the extractor and nulls the pointer; safe on NULL.
void jm_extractor_destroy (jm_extractor_t **self_p);

//  Scans text once.  Sets *mentions_p to a new array (caller frees with
//  free(); NULL when there are none) holding every accepted mention in text
//  order, and returns their count.  Returns -1 with *mentions_p NULL and err
//  set when the text is not valid UTF-8 (invalid_request, naming line and
//  column) or longer than 4 GiB (too_large).
long jm_extractor_scan (const jm_extractor_t *self, const char *text, size_t len,
                        jm_mention_t **mentions_p, jm_error_t *err);

//  Same, reusing a caller-owned buffer so a hot loop does not allocate per
//  scan: *buffer_p (NULL or from malloc) holds *capacity_p mentions and is
//  grown with realloc as needed; the caller frees it once at the end.  The
//  mentions are (*buffer_p)[0 .. return value).  On error returns -1 with err
//  set; the buffer stays the caller's.
long jm_extractor_scan_into (const jm_extractor_t *self, const char *text, size_t len,
                             jm_mention_t **buffer_p, size_t *capacity_p, jm_error_t *err);

//  The taxonomy the extractor was built from (borrowed).
const jm_taxonomy_t *jm_extractor_taxonomy (const jm_extractor_t *self);

//  Number of distinct patterns and of trie states, and the bytes the
//  extractor takes, for logs and benchmarks.
int jm_extractor_pattern_count (const jm_extractor_t *self);
int jm_extractor_state_count (const jm_extractor_t *self);
size_t jm_extractor_memory (const jm_extractor_t *self);

//  Clears skills (JM_SKILL_WORDS words) and sets the bit of every mentioned
//  skill.  Returns the number of distinct skills.
int jm_mentions_skill_set (const jm_mention_t *mentions, long count, uint64_t *skills);

//  Groups mentions by skill into summary (room for JM_MAX_SKILLS entries),
//  ordered by first mention.  Returns the number of entries written.
int jm_mentions_summarize (const jm_mention_t *mentions, long count,
                           jm_mention_summary_t *summary);

#endif
