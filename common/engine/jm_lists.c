/*  jm_lists: skill lists and typo correction inside them.  See jm_lists.h.

    Everything here looks at one line (and a few neighbours) at a time, each
    bounded to S_REACH bytes either side of what is asked about, so both
    functions are linear in the text whatever its shape.                   */
#include "jm_lists.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "jm_normalize.h"
#include "jm_alloc.h"

#define S_REACH 1024            //  bytes looked at either side of a span
#define S_ITEM_WORDS 4          //  words in a short list item, at most
#define S_ITEM_BYTES 48         //  bytes in a short list item, at most
#define S_BLOCK_LINES 40        //  lines back to a heading, at most
#define S_BLOCK_BYTES 4096      //  bytes back to a heading, at most

//  Words that head a skill list (lowercase; non-ASCII letters as written)
static const char *s_headings [] = {
    "skills", "skill", "skillset", "skillsets", "technologies", "technology", "tech", "stack",
    "stacks", "tools", "tooling", "toolset", "toolbox", "languages", "frameworks", "libraries",
    "databases", "platforms", "competencies", "competences", "expertise", "environment",
    "proficiencies", "software", "kenntnisse", "fähigkeiten", "fÄhigkeiten", "technologien",
    "werkzeuge", "programmiersprachen", "kompetenzen", "competencias", "habilidades",
    "herramientas", "tecnologías", "tecnologÍas", "compétences", "compÉtences", "outils",
    "langages", NULL
};

//  Words that head another section of a résumé: they end a skill block
#define S_NAMED(word) { word, sizeof word - 1 }
static const struct { const char *word; size_t len; } s_sections [] = {
    S_NAMED ("experience"), S_NAMED ("education"), S_NAMED ("employment"), S_NAMED ("projects"),
    S_NAMED ("certifications"), S_NAMED ("certificates"), S_NAMED ("interests"), S_NAMED ("hobbies"),
    S_NAMED ("summary"), S_NAMED ("profile"), S_NAMED ("references"), S_NAMED ("awards"),
    S_NAMED ("publications"), S_NAMED ("volunteering"), S_NAMED ("work"), S_NAMED ("career"),
    S_NAMED ("berufserfahrung"), S_NAMED ("ausbildung"), S_NAMED ("experiencia"),
    S_NAMED ("formación"), S_NAMED ("expérience"), S_NAMED ("formation"), { NULL, 0 }
};

typedef enum {
    S_LINE_PROSE,               //  anything else
    S_LINE_HEADED,              //  "Skills: Go, Rust": a list heading, ':', items
    S_LINE_HEADING,             //  "SKILLS", "Technical skills:" alone
    S_LINE_LABELLED             //  "Data: PostgreSQL, Redis": a short label, ':', items
} s_line_kind_t;

//  Sets of bytes, one bit each, looked up in one table
#define S_AFTER_COLON   0x01    //  skipped after a heading's ':'  " \t*_"
#define S_IN_HEADING    0x02    //  between a heading's words      " \t&/+*_#-()"
#define S_ITEM_TAIL     0x04    //  trimmed off an item's end      " .*_:"
#define S_NAME_TAIL     0x08    //  trimmed off a name's end       " -"
#define S_NAME_HEAD     0x10    //  trimmed off a name's start     "\"'`*_(["
static const unsigned char s_sets [256] = {
    [' '] = S_AFTER_COLON | S_IN_HEADING | S_ITEM_TAIL | S_NAME_TAIL,
    ['\t'] = S_AFTER_COLON | S_IN_HEADING,
    ['*'] = S_AFTER_COLON | S_IN_HEADING | S_ITEM_TAIL | S_NAME_HEAD,
    ['_'] = S_AFTER_COLON | S_IN_HEADING | S_ITEM_TAIL | S_NAME_HEAD,
    ['&'] = S_IN_HEADING, ['/'] = S_IN_HEADING, ['+'] = S_IN_HEADING, ['#'] = S_IN_HEADING,
    ['-'] = S_IN_HEADING | S_NAME_TAIL,
    ['('] = S_IN_HEADING | S_NAME_HEAD, [')'] = S_IN_HEADING,
    ['.'] = S_ITEM_TAIL, [':'] = S_ITEM_TAIL,
    ['"'] = S_NAME_HEAD, ['\''] = S_NAME_HEAD, ['`'] = S_NAME_HEAD, ['['] = S_NAME_HEAD
};

//  Is c in the set?
static inline bool
s_in (char c, int set)
{
    return (s_sets [(unsigned char) c] & set) != 0;
}

//  Blank or a parenthesis: skipped between tokens
static inline bool
s_spacer (char c)
{
    return c == ' ' || c == '\t' || c == '(' || c == ')';
}

//  A letter, a digit or a byte of a UTF-8 character (isalnum in the C
//  locale, which the programs keep, without the call)
static inline bool
s_word_char (unsigned char c)
{
    return (unsigned char) ((c | 0x20) - 'a') < 26 || (unsigned char) (c - '0') < 10 || c >= 0x80;
}

//  tolower in the C locale, which the programs keep, without the call
static inline char
s_fold (char c)
{
    return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
}

//  Whether text [at, at + 3) is "and" or "und", any case
static inline bool
s_and_word (const char *text, size_t at)
{
    char first = s_fold (text [at]);
    return (first == 'a' || first == 'u') && s_fold (text [at + 1]) == 'n' && s_fold (text [at + 2]) == 'd';
}

//  Length of a bullet or decoration at text [at] (0 when none)
static size_t
s_bullet (const char *text, size_t at, size_t end)
{
    unsigned char c = (unsigned char) text [at];
    if (c == '-' || c == '*' || c == '+' || c == '>' || c == '#' || c == '_')
        return 1;
    if (at + 1 < end && c == 0xC2 && (unsigned char) text [at + 1] == 0xB7)       //  ·
        return 2;
    if (at + 2 < end && c == 0xE2) {
        unsigned char b = (unsigned char) text [at + 1], d = (unsigned char) text [at + 2];
        if ((b == 0x80 && (d == 0xA2 || d == 0xA3 || d == 0x93 || d == 0x94))    //  • ‣ – —
        ||  (b == 0x96 && (d == 0xAA || d == 0xA0))                              //  ▪ ■
        ||  (b == 0x97 && (d == 0xA6 || d == 0x8F)))                             //  ◦ ●
            return 3;
    }
    return 0;
}

//  First byte after blanks and bullets from at; *bulleted set when a bullet was seen
static size_t
s_skip_bullets (const char *text, size_t at, size_t end, bool *bulleted)
{
    *bulleted = false;
    while (at < end) {
        if (text [at] == ' ' || text [at] == '\t')
            at++;
        else {
            size_t bullet = s_bullet (text, at, end);
            if (!bullet)
                break;
            *bulleted = true;
            at += bullet;
        }
    }
    return at;
}

//  The first two bytes of the headings, one bit a pair (the first is a
//  letter; of the second, its low five bits: a sieve, not a test), and
//  the headings by first letter, with their lengths
#define S_HEADINGS_A_LETTER 16
static uint32_t s_heading_pairs [26];
static uint8_t s_heading_index [26][S_HEADINGS_A_LETTER];
static uint8_t s_heading_count [26];
static uint8_t s_heading_len [64];
static pthread_once_t s_heading_once = PTHREAD_ONCE_INIT;    //  run by the public functions

static void
s_heading_pairs_build (void)
{
    for (int i = 0; s_headings [i]; i++) {
        int letter = s_headings [i][0] - 'a';
        assert (i < 64 && letter >= 0 && letter < 26 && s_heading_count [letter] < S_HEADINGS_A_LETTER);
        s_heading_pairs [letter] |= 1u << (s_headings [i][1] & 31);
        s_heading_index [letter][s_heading_count [letter]++] = (uint8_t) i;
        s_heading_len [i] = (uint8_t) strlen (s_headings [i]);
    }
}

static bool
s_is_heading (const char *word, size_t len)
{
    if (len < 3 || len >= 32)
        return false;
    //  the first two letters rule out nearly every word
    char first = s_fold (word [0]), second = s_fold (word [1]);
    unsigned letter = (unsigned char) first - 'a';
    if (letter >= 26 || !(s_heading_pairs [letter] >> (second & 31) & 1))
        return false;
    for (int k = 0; k < s_heading_count [letter]; k++) {
        int i = s_heading_index [letter][k];
        if (s_headings [i][1] == second && s_heading_len [i] == len) {
            size_t at = 2;
            while (at < len && s_headings [i][at] == s_fold (word [at]))
                at++;
            if (at == len)
                return true;
        }
    }
    return false;
}

//  Is the line a heading of another section ("EXPERIENCE", "Work history")?
//  at: its first byte past blanks and bullets, bulleted: whether one was
static bool
s_section_line_at (const char *text, size_t at, size_t end, bool bulleted)
{
    if (bulleted || end - at > 32 || memchr (text + at, ',', end - at))
        return false;
    size_t word = at;
    while (at < end && s_word_char ((unsigned char) text [at]))
        at++;
    size_t len = at - word;
    if (len == 0 || len >= 24)
        return false;
    char first = s_fold (text [word]);
    for (int i = 0; s_sections [i].word; i++) {
        if (s_sections [i].len != len || s_sections [i].word [0] != first)
            continue;
        size_t same = 1;
        while (same < len && s_sections [i].word [same] == s_fold (text [word + same]))
            same++;
        if (same == len)
            return true;
    }
    return false;
}

static bool
s_section_line (const char *text, size_t start, size_t end)
{
    bool bulleted;
    size_t at = s_skip_bullets (text, start, end, &bulleted);
    return s_section_line_at (text, at, end, bulleted);
}

//  Whether text [at, limit) holds ':' or 0xEF (the first byte of the
//  full-width colon): sixteen bytes a step where SSE2 is, else one
static inline bool
s_colon_within (const char *text, size_t at, size_t limit)
{
#ifdef __SSE2__
    for (; at + 16 <= limit; at += 16) {
        __m128i bytes = _mm_loadu_si128 ((const __m128i *) (text + at));
        __m128i colons = _mm_or_si128 (_mm_cmpeq_epi8 (bytes, _mm_set1_epi8 (':')),
                                       _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ((char) 0xEF)));
        if (_mm_movemask_epi8 (colons))
            return true;
    }
#endif
    for (; at < limit; at++)
        if (text [at] == ':' || text [at] == (char) 0xEF)
            return true;
    return false;
}

//  Reads a line's opening from at (past blanks and bullets): a heading of
//  at most four words, then ':' and items (S_LINE_HEADED, *content_p after
//  the ':'), or nothing more (S_LINE_HEADING: "SKILLS", "Technical Skills:").
static s_line_kind_t
s_line_kind_at (const char *text, size_t at, size_t end, size_t *content_p)
{
    size_t limit = at + S_ITEM_BYTES < end ? at + S_ITEM_BYTES : end;
    //  quick no: a long line with no colon near its start
    if (limit < end && !s_colon_within (text, at, limit))
        return S_LINE_PROSE;
    int words = 0;
    bool heading = false;
    while (at < limit) {
        unsigned char c = (unsigned char) text [at];
        if (s_word_char (c)) {
            size_t word = at;
            while (at < limit && s_word_char ((unsigned char) text [at]))
                at++;
            size_t wlen = at - word;
            if (text [word] >= '0' && text [word] <= '9')
                return S_LINE_PROSE;
            bool connector = wlen == 3 && s_and_word (text, word);
            if (!connector && ++words > 4)
                return S_LINE_PROSE;
            heading = heading || s_is_heading (text + word, wlen);
        }
        else
        if (c == ':' || (c == 0xEF && at + 2 < end && (unsigned char) text [at + 1] == 0xBC
                                   && (unsigned char) text [at + 2] == 0x9A)) {   //  full-width colon
            at += c == ':' ? 1 : 3;
            while (at < end && s_in (text [at], S_AFTER_COLON))
                at++;
            *content_p = at;
            if (!heading)
                return at >= end || words == 0 ? S_LINE_PROSE : S_LINE_LABELLED;
            return at >= end ? S_LINE_HEADING : S_LINE_HEADED;
        }
        else
        if (s_in ((char) c, S_IN_HEADING))
            at++;
        else
            return S_LINE_PROSE;
    }
    if (at >= end && heading && words > 0) {
        *content_p = end;
        return S_LINE_HEADING;
    }
    return S_LINE_PROSE;
}

static s_line_kind_t
s_line_kind (const char *text, size_t start, size_t end, size_t *content_p)
{
    bool bulleted;
    return s_line_kind_at (text, s_skip_bullets (text, start, end, &bulleted), end, content_p);
}

//  Bytes an item's walk must look at closely (s_short_items,
//  s_next_item); any other byte inside a word just extends it
#define S_PLAIN_NOT 1
static const unsigned char s_not_plain [256] = {
    [','] = S_PLAIN_NOT, [';'] = S_PLAIN_NOT, ['|'] = S_PLAIN_NOT, ['/'] = S_PLAIN_NOT,
    ['\t'] = S_PLAIN_NOT, [' '] = S_PLAIN_NOT, ['!'] = S_PLAIN_NOT, ['?'] = S_PLAIN_NOT,
    ['.'] = S_PLAIN_NOT, [0x80 ... 0xFF] = S_PLAIN_NOT
};

//  The first byte from at (before end) that is not plain: sixteen bytes a
//  step where SSE2 is (every x86-64), else one
static inline size_t
s_plain_run (const char *text, size_t at, size_t end)
{
#ifdef __SSE2__
    while (at + 16 <= end) {
        __m128i bytes = _mm_loadu_si128 ((const __m128i *) (text + at));
        __m128i marks = _mm_or_si128 (
            _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (bytes, _mm_set1_epi8 (',')),
                                        _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 (';'))),
                          _mm_or_si128 (_mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('|')),
                                        _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('/')))),
            _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('\t')),
                                        _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 (' '))),
                          _mm_or_si128 (_mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('!')),
                                        _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('?')))));
        marks = _mm_or_si128 (marks, _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('.')));
        //  the sign bit: bytes from 0x80
        unsigned found = (unsigned) _mm_movemask_epi8 (_mm_or_si128 (marks, bytes));
        if (found)
            return at + (size_t) __builtin_ctz (found);
        at += 16;
    }
#endif
    while (at < end && !s_not_plain [(unsigned char) text [at]])
        at++;
    return at;
}

static inline bool
s_separator (const char *text, size_t at, size_t end, size_t *sep_len)
{
    unsigned char c = (unsigned char) text [at];
    if (c == ',' || c == ';' || c == '|' || c == '/' || c == '\t') {
        *sep_len = 1;
        return true;
    }
    if (c < 0x80)
        return false;
    size_t bullet = s_bullet (text, at, end);
    if (bullet >= 2) {
        *sep_len = bullet;
        return true;
    }
    return false;
}

//  Is text [at, end) at the word "and", "or", "und", "&" standing alone?
//  Returns its length, else 0.
static size_t
s_conjunction (const char *text, size_t at, size_t end)
{
    char c = (char) (text [at] | 0x20);
    size_t wlen = c == 'a' || c == 'u' ? 3 : c == 'o' ? 2 : text [at] == '&' ? 1 : 0;
    if (!wlen || (at > 0 && s_word_char ((unsigned char) text [at - 1])) || at + wlen > end)
        return 0;
    bool same = wlen == 1
             || (wlen == 2 && (text [at + 1] | 0x20) == 'r')
             || (wlen == 3 && (text [at + 1] | 0x20) == 'n' && (text [at + 2] | 0x20) == 'd');
    return same && (at + wlen == end || text [at + wlen] == ' ') ? wlen : 0;
}

//  The next item in [at, end): sets *item_start / *item_end (trimmed) and
//  returns where the next search starts; returns end when none is left.
static size_t
s_next_item (const char *text, size_t at, size_t end, size_t *item_start, size_t *item_end)
{
    size_t sep;
    //  skip separators, blanks and conjunctions
    while (at < end) {
        size_t conj;
        if (text [at] == ' ')
            at++;
        else
        if (s_separator (text, at, end, &sep))
            at += sep;
        else
        if ((conj = s_conjunction (text, at, end)))
            at += conj;
        else
            break;
    }
    size_t start = at;
    while (at < end) {
        bool plain = !s_not_plain [(unsigned char) text [at]] && !(at > 0 && text [at - 1] == ' ');
        if (plain) {
            at = s_plain_run (text, at + 1, end);   //  its followers are plain after plain
            continue;
        }
        if (s_separator (text, at, end, &sep)
        ||  (at > 0 && text [at - 1] == ' ' && s_conjunction (text, at, end)))
            break;
        at++;
    }
    size_t stop = at;
    while (stop > start && s_in (text [stop - 1], S_ITEM_TAIL))
        stop--;
    *item_start = start;
    *item_end = stop;
    return at;
}

//  Words in text [start, end)
static int
s_words (const char *text, size_t start, size_t end)
{
    int words = 0;
    bool in_word = false;
    for (size_t i = start; i < end; i++) {
        bool letter = text [i] != ' ' && text [i] != '\t';
        words += letter && !in_word;
        in_word = letter;
    }
    return words;
}

//  What a byte may be to s_short_items, one table lookup: most are none
#define S_ITEM_STOP     0x01    //  ends a sentence: ! ?
#define S_ITEM_DOT      0x02    //  ends one before a blank
#define S_ITEM_CONJ     0x04    //  may open "and", "or", "und", "&"
#define S_ITEM_SEP      0x08    //  may be a separator (s_separator says)
#define S_ITEM_BLANK    0x10
static const unsigned char s_item_roles [256] = {
    ['!'] = S_ITEM_STOP, ['?'] = S_ITEM_STOP, ['.'] = S_ITEM_DOT,
    ['a'] = S_ITEM_CONJ, ['o'] = S_ITEM_CONJ, ['u'] = S_ITEM_CONJ, ['A'] = S_ITEM_CONJ,
    ['O'] = S_ITEM_CONJ, ['U'] = S_ITEM_CONJ, ['&'] = S_ITEM_CONJ,
    [','] = S_ITEM_SEP, [';'] = S_ITEM_SEP, ['|'] = S_ITEM_SEP, ['/'] = S_ITEM_SEP,
    ['\t'] = S_ITEM_SEP | S_ITEM_BLANK, [' '] = S_ITEM_BLANK, [0x80 ... 0xFF] = S_ITEM_SEP
};

//  Number of items in text [start, end) when all are short, else 0.  One
//  pass that stops at the first long item, so prose costs a few words.
static int
s_short_items (const char *text, size_t start, size_t end)
{
    if (end - start > S_REACH)
        return 0;
    int items = 0, words = 0;
    size_t item_start = 0, last = 0, sep;      //  item_start, last: first and last byte + 1
    bool in_word = false;
    for (size_t at = start; at < end; ) {
        char c = text [at];
        if (in_word && !s_not_plain [(unsigned char) c]) {
            at = s_plain_run (text, at + 1, end);  //  the common case: a word goes on
            last = at;
            if (last - item_start > S_ITEM_BYTES)
                return 0;
            continue;
        }
        unsigned char role = s_item_roles [(unsigned char) c];
        if (role & S_ITEM_STOP)
            return 0;
        if ((role & S_ITEM_DOT) && at + 1 < end && text [at + 1] == ' ')
            return 0;
        bool conjunction = !in_word && (role & S_ITEM_CONJ) && words > 0 && s_conjunction (text, at, end);
        if (((role & S_ITEM_SEP) && s_separator (text, at, end, &sep)) || conjunction) {
            if (words > 0)
                items++;
            words = 0;
            in_word = false;
            at += conjunction ? s_conjunction (text, at, end) : sep;
            continue;
        }
        if (role & S_ITEM_BLANK)
            in_word = false;
        else {
            if (!in_word) {
                if (words == 0)
                    item_start = at;
                if (++words > S_ITEM_WORDS)
                    return 0;
            }
            in_word = true;
            last = at + 1;
            if (last - item_start > S_ITEM_BYTES)
                return 0;
        }
        at++;
    }
    return items + (words > 0);
}

//  Line [*start, *end) holding at; false when it reaches past S_REACH
static bool
s_line_of (const char *text, size_t len, size_t at, size_t *start, size_t *end)
{
    size_t from = at > S_REACH ? at - S_REACH : 0;
    const char *newline = at > from ? memrchr (text + from, '\n', at - from) : NULL;
    if (!newline && from > 0)
        return false;
    *start = newline ? (size_t) (newline - text) + 1 : 0;
    size_t to = at + S_REACH < len ? at + S_REACH : len;
    newline = at < to ? memchr (text + at, '\n', to - at) : NULL;
    if (!newline && to < len)
        return false;
    *end = newline ? (size_t) (newline - text) : to;
    if (*end > *start && text [*end - 1] == '\r')
        (*end)--;
    return true;
}

static bool
s_blank (const char *text, size_t start, size_t end)
{
    for (size_t i = start; i < end; i++)
        if (text [i] != ' ' && text [i] != '\t')
            return false;
    return true;
}

//  A bullet line of short items; *items gets how many
static bool
s_bullet_line (const char *text, size_t start, size_t end, int *items)
{
    bool bulleted;
    size_t content = s_skip_bullets (text, start, end, &bulleted);
    *items = bulleted ? s_short_items (text, content, end) : 0;
    return *items > 0;
}

static bool
s_table_row (const char *text, size_t start, size_t end)
{
    while (start < end && (text [start] == ' ' || text [start] == '\t'))
        start++;
    return start < end && text [start] == '|' && memchr (text + start + 1, '|', end - start - 1);
}

//  The line before the one starting at start, false when none or too long
static bool
s_previous_line (const char *text, size_t len, size_t start, size_t *prev_start, size_t *prev_end)
{
    if (start == 0)
        return false;
    return s_line_of (text, len, start - 1, prev_start, prev_end);
}

//  Is the line [start, end) part of a block under a skill heading line?
static bool
s_under_heading (const char *text, size_t len, size_t start)
{
    size_t at = start, prev_start, prev_end, content;
    for (int lines = 0; lines < S_BLOCK_LINES && start - at < S_BLOCK_BYTES; lines++) {
        if (!s_previous_line (text, len, at, &prev_start, &prev_end) || s_blank (text, prev_start, prev_end)
        ||  s_section_line (text, prev_start, prev_end))
            return false;
        s_line_kind_t kind = s_line_kind (text, prev_start, prev_end, &content);
        if (kind == S_LINE_HEADED || kind == S_LINE_HEADING)
            return true;
        bool bulleted;
        if (kind != S_LINE_LABELLED)
            content = s_skip_bullets (text, prev_start, prev_end, &bulleted);
        if (s_short_items (text, content, prev_end) == 0)
            return false;
        at = prev_start;
    }
    return false;
}

//  Is the line [start, end) a list line?  *content_p: where its items start.
static bool
s_list_line (const char *text, size_t len, size_t start, size_t end, size_t *content_p)
{
    s_line_kind_t kind = s_line_kind (text, start, end, content_p);
    if (kind == S_LINE_HEADED)
        return true;
    if (kind == S_LINE_HEADING)
        return false;
    if (s_table_row (text, start, end)) {
        *content_p = start;
        return true;
    }
    bool bulleted;
    size_t content = s_skip_bullets (text, start, end, &bulleted);
    if (kind == S_LINE_LABELLED) {
        size_t label_end = *content_p;
        int items = s_short_items (text, label_end, end);
        *content_p = label_end;
        return items > 0 && s_under_heading (text, len, start);
    }
    *content_p = content;
    int items = s_short_items (text, content, end);
    if (items == 0)
        return false;
    if (bulleted && items >= 2)
        return true;
    if (bulleted) {
        size_t other_start, other_end;
        int other_items;
        if (s_previous_line (text, len, start, &other_start, &other_end)
        &&  s_bullet_line (text, other_start, other_end, &other_items))
            return true;
        if (end < len && s_line_of (text, len, end + 1, &other_start, &other_end)
        &&  other_start == end + 1 + (text [end] == '\r')
        &&  s_bullet_line (text, other_start, other_end, &other_items))
            return true;
    }
    return s_under_heading (text, len, start);
}

//  A run of three or more short items in the sentence around [start, end):
//  "React, Redux and TypeScript", "experience with Go, Rust and C".  Walks
//  out from the span one token at a time and stops as soon as it knows,
//  so it reads a few words either side, S_REACH / 4 bytes at most.

typedef enum { S_TOKEN_END, S_TOKEN_SEPARATOR, S_TOKEN_WORD } s_token_t;

//  Does a sentence end at byte at?  ("\n", "!", "?", ":", or ". ")
static bool
s_boundary (const char *text, size_t len, size_t at)
{
    char c = text [at];
    return c == '\n' || c == '!' || c == '?' || c == ':'
        || (c == '.' && (at + 1 >= len || text [at + 1] == ' ' || text [at + 1] == '\n'));
}

static bool
s_is_conjunction (const char *text, size_t start, size_t end)
{
    size_t len = end - start;
    return (len == 3 && s_and_word (text, start))
        || (len == 2 && s_fold (text [start]) == 'o' && s_fold (text [start + 1]) == 'r')
        || (len == 1 && text [start] == '&');
}

//  The token ending at *at (reading leftwards, not before limit); moves *at to its start
static s_token_t
s_token_left (const char *text, size_t len, size_t limit, size_t *at)
{
    size_t p = *at, sep;
    while (p > limit && s_spacer (text [p - 1]))
        p--;
    if (p <= limit || s_boundary (text, len, p - 1)) {
        *at = p;
        return S_TOKEN_END;
    }
    for (size_t width = 1; width <= 3 && width <= p - limit; width++)
        if (s_separator (text, p - width, len, &sep) && sep == width) {
            *at = p - width;
            return S_TOKEN_SEPARATOR;
        }
    size_t q = p;
    while (q > limit && !s_spacer (text [q - 1]) && !s_boundary (text, len, q - 1)
           && !s_separator (text, q - 1, len, &sep) && !((unsigned char) text [q - 1] >= 0x80 && q >= 3
           && s_separator (text, q - 3, len, &sep) && sep == 3))
        q--;
    *at = q;
    return s_is_conjunction (text, q, p) ? S_TOKEN_SEPARATOR : S_TOKEN_WORD;
}

//  The token starting at *at (reading rightwards, before limit); moves *at past it
static s_token_t
s_token_right (const char *text, size_t len, size_t limit, size_t *at)
{
    size_t p = *at, sep;
    while (p < limit && s_spacer (text [p]))
        p++;
    if (p >= limit || s_boundary (text, len, p)) {
        *at = p;
        return S_TOKEN_END;
    }
    if (s_separator (text, p, limit, &sep)) {
        *at = p + sep;
        return S_TOKEN_SEPARATOR;
    }
    size_t q = p;
    while (q < limit && !s_spacer (text [q]) && !s_boundary (text, len, q)
           && !s_separator (text, q, limit, &sep))
        q++;
    *at = q;
    return s_is_conjunction (text, p, q) ? S_TOKEN_SEPARATOR : S_TOKEN_WORD;
}

//  Words from *at to the next separator or end, at most S_ITEM_WORDS + 1;
//  *separator: a separator ends them.  Leftwards when left.
static int
s_segment (const char *text, size_t len, size_t limit, size_t *at, bool left, bool *separator)
{
    int words = 0;
    *separator = false;
    while (words <= S_ITEM_WORDS) {
        size_t before = *at;
        s_token_t token = left ? s_token_left (text, len, limit, at) : s_token_right (text, len, limit, at);
        if (token == S_TOKEN_WORD)
            words++;
        else {
            if (token == S_TOKEN_SEPARATOR)
                *separator = true;
            *at = token == S_TOKEN_SEPARATOR ? *at : before;
            break;
        }
    }
    return words;
}

//  Items beyond the own segment on one side, up to need
static int
s_items_beyond (const char *text, size_t len, size_t limit, size_t at, bool left, int need)
{
    int items = 0;
    while (items < need) {
        bool separator;
        //  collapse runs of separators (", and")
        size_t peek = at;
        s_token_t token;
        while ((token = left ? s_token_left (text, len, limit, &peek) : s_token_right (text, len, limit, &peek))
               == S_TOKEN_SEPARATOR)
            at = peek;
        int words = s_segment (text, len, limit, &at, left, &separator);
        if (words == 0)
            break;
        items++;
        if (words > 3 || !separator)
            break;
    }
    return items;
}

static bool
s_sentence_list (const char *text, size_t len, size_t start, size_t end)
{
    size_t reach = S_REACH / 4;
    size_t left_limit = start > reach ? start - reach : 0;
    size_t right_limit = end + reach < len ? end + reach : len;
    size_t left_at = start, right_at = end;
    bool left_sep, right_sep;
    int before = s_segment (text, len, left_limit, &left_at, true, &left_sep);
    int after = s_segment (text, len, right_limit, &right_at, false, &right_sep);
    bool own_short = before + 1 + after <= 3;
    if (!own_short && before > 0 && after > 0)
        return false;
    int items = 1;
    //  a long own segment is an end of the run: it runs away from the span's side
    if (left_sep && (own_short || before == 0))
        items += s_items_beyond (text, len, left_limit, left_at, true, 2);
    if (items < 3 && right_sep && (own_short || after == 0))
        items += s_items_beyond (text, len, right_limit, right_at, false, 3 - items);
    return items >= 3;
}

jm_list_kind_t
jm_lists_kind (const char *text, size_t len, uint32_t start, uint32_t end)
{
    if (!text || start >= end || end > len)
        return JM_LIST_NONE;
    pthread_once (&s_heading_once, s_heading_pairs_build);
    size_t line_start, line_end, content;
    if (s_line_of (text, len, start, &line_start, &line_end) && end <= line_end
    &&  s_list_line (text, len, line_start, line_end, &content) && start >= content)
        return JM_LIST_LINE;
    return s_sentence_list (text, len, start, end) ? JM_LIST_SENTENCE : JM_LIST_NONE;
}

bool
jm_lists_contains (const char *text, size_t len, uint32_t start, uint32_t end)
{
    return jm_lists_kind (text, len, start, end) != JM_LIST_NONE;
}

//  ---------------------------------------------------------------------
//  Corrections

typedef struct {
    const jm_taxonomy_t *taxonomy;
    const char *text;
    size_t len;
    const jm_found_t *found;    //  the scan's mentions, in text order
    long count;
    long next;                  //  first mention not yet passed
    jm_found_t *added;          //  what we add, in text order
    int added_count;
    int lookups;                //  typo searches run
} s_correct_t;

//  Does the skill have a form starting with this letter?
static bool
s_first_letter (const jm_taxonomy_t *taxonomy, int skill, char letter)
{
    int forms = jm_taxonomy_form_count (taxonomy);
    for (int i = 0; i < forms; i++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, i);
        if (form->skill == skill && tolower ((unsigned char) form->text [0]) == tolower ((unsigned char) letter))
            return true;
    }
    return false;
}

static void
s_add (s_correct_t *self, int skill, size_t start, size_t end, bool corrected)
{
    if (self->added_count == JM_LISTS_MAX_LOOKUPS)
        return;
    self->added [self->added_count++] = (jm_found_t) {
        .skill = skill, .start = (uint32_t) start, .end = (uint32_t) end,
        .claim = JM_CLAIM_HELD, .reason = JM_REASON_NONE, .corrected = corrected,
        .level = 0, .years = -1, .since = 0
    };
}

static void
s_correct_item (s_correct_t *self, size_t start, size_t end)
{
    const char *text = self->text;
    while (start < end && s_in (text [start], S_NAME_HEAD))
        start++;
    //  covered by a mention? (most items are: asked first)
    while (self->next < self->count && self->found [self->next].end <= start)
        self->next++;
    if (self->next < self->count && self->found [self->next].start < end)
        return;
    //  the name ends at an aside: "Pyhton (primary)"
    size_t name_end = start;
    while (name_end < end && text [name_end] != '(' && text [name_end] != '[')
        name_end++;
    while (name_end > start && s_in (text [name_end - 1], S_NAME_TAIL))
        name_end--;
    if (name_end <= start)
        return;
    //  looks like a name?
    size_t bytes = name_end - start, letters = 0;
    if (bytes < 2 || bytes > 40 || !isalpha ((unsigned char) text [start])
    ||  s_words (text, start, name_end) > S_ITEM_WORDS)
        return;
    for (size_t i = start; i < name_end; i++)
        letters += isalpha ((unsigned char) text [i]) != 0;
    if (letters * 10 < bytes * 7)
        return;
    //  known as it is (cheap), else perhaps a typo
    char key [JM_NORMALIZE_MAX + 1], compact [JM_NORMALIZE_MAX + 1];
    size_t key_len = jm_normalize_fold (text + start, name_end - start, key, sizeof key);
    int skill = jm_taxonomy_lookup_key (self->taxonomy, key, key_len, NULL);
    if (skill < 0) {
        size_t compact_len = jm_normalize_compact (key, key_len, compact, sizeof compact);
        skill = compact_len ? jm_taxonomy_lookup_compact (self->taxonomy, compact, compact_len) : -1;
    }
    if (skill >= 0) {
        s_add (self, skill, start, name_end, false);
        return;
    }
    if (bytes < 5
    ||  self->lookups == JM_LISTS_MAX_LOOKUPS
    ||  !jm_taxonomy_typo_possible (self->taxonomy, key, key_len))
        return;
    self->lookups++;
    jm_lookup_t found = jm_normalize_lookup_near (self->taxonomy, text + start, end - start);
    if (found.skill < 0)
        return;
    if (found.match != JM_MATCH_TYPO)
        s_add (self, found.skill, start, name_end, false);
    else
    if (found.distance <= 1 && s_first_letter (self->taxonomy, found.skill, text [start]))
        s_add (self, found.skill, start, name_end, true);
}

long
jm_lists_correct (const jm_taxonomy_t *taxonomy, const char *text, size_t len,
                  jm_found_t **found_p, long count, size_t *capacity_p)
{
    if (!text || len == 0)
        return count;
    pthread_once (&s_heading_once, s_heading_pairs_build);
    jm_found_t added [JM_LISTS_MAX_LOOKUPS];
    s_correct_t self = { taxonomy, text, len, *found_p, count, 0, added, 0, 0 };
    //  one pass over the lines; block: under a skill heading, no blank line since
    bool block = false, prev_bullet = false;
    size_t line_start = 0;
    while (line_start < len && self.added_count < JM_LISTS_MAX_LOOKUPS) {
        const char *newline = memchr (text + line_start, '\n', len - line_start);
        size_t line_end = newline ? (size_t) (newline - text) : len;
        size_t next = line_end + 1;
        if (line_end > line_start && text [line_end - 1] == '\r')
            line_end--;
        bool list = false, bullet_short = false;
        size_t content = line_start;
        bool bulleted = false;
        size_t opening = line_end - line_start > S_REACH ? line_start
                       : s_skip_bullets (text, line_start, line_end, &bulleted);
        s_line_kind_t kind = S_LINE_PROSE;
        if (line_end - line_start > S_REACH)
            block = false;          //  long lines are prose
        else
        if (s_blank (text, line_start, line_end))
            block = false;
        else
        //  a section's heading ends a block; outside one, a line of prose
        //  comes out the same whether it is one or not: not asked
        if (((kind = s_line_kind_at (text, opening, line_end, &content)) != S_LINE_PROSE || block)
        &&  s_section_line_at (text, opening, line_end, bulleted))
            block = false;
        else {
            if (kind == S_LINE_HEADING)
                block = true;
            else
            if (kind == S_LINE_HEADED)
                list = block = true;
            else
            if (s_table_row (text, line_start, line_end))
                list = true;
            else {
                if (kind != S_LINE_LABELLED)
                    content = opening;
                else
                    bulleted = false;
                //  a plain line outside a block is never a list: do not count its items
                int items = bulleted || block ? s_short_items (text, content, line_end) : 0;
                bullet_short = bulleted && items > 0;
                if (items == 0)
                    block = false;
                else
                if (block || (bulleted && (items >= 2 || prev_bullet)))
                    list = true;
                else
                if (bulleted && next < len) {
                    size_t other_start, other_end;
                    int other_items;
                    list = s_line_of (text, len, next, &other_start, &other_end) && other_start == next
                        && s_bullet_line (text, other_start, other_end, &other_items);
                }
            }
        }
        prev_bullet = bullet_short;
        if (list) {
            size_t at = content, item_start, item_end;
            while (at < line_end) {
                at = s_next_item (text, at, line_end, &item_start, &item_end);
                if (item_end > item_start)
                    s_correct_item (&self, item_start, item_end);
            }
        }
        line_start = next;
    }
    if (self.added_count == 0)
        return count;
    //  merge, keeping text order
    size_t total = (size_t) count + (size_t) self.added_count;
    if (total > *capacity_p) {
        jm_found_t *grown = jm_realloc (*found_p, total * sizeof (jm_found_t));
        *found_p = grown;
        *capacity_p = total;
    }
    jm_found_t *found = *found_p;
    long a = count - 1, b = self.added_count - 1;
    for (size_t out = total; out-- > 0; ) {
        if (b < 0)
            break;
        if (a >= 0 && found [a].start > added [b].start)
            found [out] = found [a--];
        else
            found [out] = added [b--];
    }
    return (long) total;
}
