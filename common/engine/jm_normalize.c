/*  jm_normalize: skill names as written -> taxonomy skills.  See jm_normalize.h.  */
#include "jm_normalize.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

//  Words that qualify a skill rather than name it: dropped from either end.
//  Ordered by length; s_qualifier_from [len] is the first of that length.
static const char *s_qualifiers [] = {
    "a", "on", "of", "in", "an", "yr", "the", "and", "yrs", "good", "deep", "with", "lang", "year",
    "some", "lead", "basic", "solid", "hands", "using", "skill", "years", "daily", "expert",
    "basics", "senior", "junior", "strong", "skills", "fluent", "native", "mainly", "mostly",
    "latest", "working", "primary", "advanced", "beginner", "hands on", "familiar", "language",
    "expertise", "excellent", "knowledge", "languages", "secondary", "certified", "proficient",
    "experience", "production", "proficiency", "experienced", "familiarity", "programming",
    "intermediate", "professional", "fundamentals", "understanding",
};
#define S_QUALIFIER_LONGEST 13
static const unsigned char s_qualifier_from [S_QUALIFIER_LONGEST + 2] = {
    0, 0, 1, 6, 9, 16, 23, 34, 36, 41, 47, 50, 54, 57, 58
};

int
jm_normalize_distance (const char *a, size_t alen, const char *b, size_t blen, int limit)
{
    if ((alen > blen ? alen - blen : blen - alen) > (size_t) limit)
        return limit + 1;
    if (alen > JM_NORMALIZE_MAX || blen > JM_NORMALIZE_MAX)
        return limit + 1;
    //  three rolling rows of the optimal-string-alignment table
    int rows [3][JM_NORMALIZE_MAX + 1];
    int *before = rows [0], *previous = rows [1], *current = rows [2];
    for (size_t j = 0; j <= blen; j++)
        previous [j] = (int) j;
    for (size_t i = 1; i <= alen; i++) {
        current [0] = (int) i;
        int row_min = current [0];
        for (size_t j = 1; j <= blen; j++) {
            int cost = a [i - 1] == b [j - 1] ? 0 : 1;
            int best = previous [j] + 1;
            if (current [j - 1] + 1 < best)
                best = current [j - 1] + 1;
            if (previous [j - 1] + cost < best)
                best = previous [j - 1] + cost;
            if (i > 1 && j > 1 && a [i - 1] == b [j - 2] && a [i - 2] == b [j - 1]
            &&  before [j - 2] + 1 < best)
                best = before [j - 2] + 1;
            current [j] = best;
            if (best < row_min)
                row_min = best;
        }
        if (row_min > limit)
            return limit + 1;
        int *spare = before;
        before = previous;
        previous = current;
        current = spare;
    }
    return previous [blen] > limit ? limit + 1 : previous [blen];
}

//  True when text is valid UTF-8 without NUL bytes; *asides is set when
//  it holds an opening bracket ( [ {.
static bool
s_valid_utf8 (const unsigned char *text, size_t len, bool *asides)
{
    size_t i = 0;
    bool nul = false, bracket = false;
    //  eight ASCII bytes at a time while there are no others
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (i < len && len >= 8) {
        //  the last word overlaps the one before: the checks do not mind
        size_t at = i + 8 <= len ? i : len - 8;
        uint64_t word;
        memcpy (&word, text + at, 8);
        if (word & highs)
            break;
        uint64_t zero = (word - ones) & ~word & highs;
        uint64_t open = word ^ (ones * '('), square = word ^ (ones * '['), curly = word ^ (ones * '{');
        nul |= zero != 0;
        bracket |= (((open - ones) & ~open) | ((square - ones) & ~square) | ((curly - ones) & ~curly)) & highs;
        i = at + 8;
    }
    while (i < len) {
        unsigned char c = text [i];
        if (c < 0x80) {
            nul |= c == 0;
            bracket |= (c | 0x20) == '{' || c == '(';      //  { [ (
            i++;
            continue;
        }
        size_t extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
                     : (c & 0xF8) == 0xF0 ? 3 : 9;
        if (extra == 9 || (extra == 1 && c < 0xC2) || i + extra >= len + (extra ? 0 : 1))
            return false;
        for (size_t k = 1; k <= extra; k++)
            if ((text [i + k] & 0xC0) != 0x80)
                return false;
        i += extra + 1;
    }
    *asides = bracket;
    return !nul;
}

//  Looks one folded key up in the table of folded forms.
static bool
s_lookup_key (const jm_taxonomy_t *taxonomy, const char *key, size_t len, jm_lookup_t *result)
{
    if (len == 0)
        return false;
    bool exact = false;
    int skill = jm_taxonomy_lookup_key (taxonomy, key, len, &exact);
    if (skill < 0)
        return false;
    result->skill = skill;
    result->match = exact ? JM_MATCH_EXACT : JM_MATCH_ALIAS;
    return true;
}

//  Looks the compact form of a folded key up ("node js" -> "nodejs").
static bool
s_lookup_compact (const jm_taxonomy_t *taxonomy, const char *key, size_t len, jm_lookup_t *result)
{
    char compact [JM_NORMALIZE_MAX + 1];
    size_t clen = jm_normalize_compact (key, len, compact, sizeof compact);
    int skill = clen ? jm_taxonomy_lookup_compact (taxonomy, compact, clen) : -1;
    if (skill < 0)
        return false;
    result->skill = skill;
    result->match = JM_MATCH_ALIAS;
    return true;
}

static bool
s_is_qualifier (const char *word, size_t len)
{
    if (len == 0 || len > S_QUALIFIER_LONGEST)
        return false;
    for (int i = s_qualifier_from [len]; i < s_qualifier_from [len + 1]; i++)
        if (s_qualifiers [i][0] == word [0] && memcmp (s_qualifiers [i], word, len) == 0)
            return true;
    return false;
}

//  A version token: 3, 3.11, v2, 17+, 2019, 5.x, 8th ...
static bool
s_is_version (const char *word, size_t len)
{
    size_t i = 0;
    if (len == 0)
        return false;
    if (word [0] == 'v' && len > 1)
        i = 1;
    if (!isdigit ((unsigned char) word [i]) && word [i] != '+')
        return false;
    for (; i < len; i++)
        if (!isdigit ((unsigned char) word [i]) && word [i] != '.' && word [i] != 'x'
        &&  word [i] != '+')
            return false;
    return true;
}

//  Strips one qualifier word or version token from either end of a folded
//  key, in place; returns the new length (the same when nothing was left to strip).
static size_t
s_strip_step (char *key, size_t len)
{
    //  leading word
    char *space = memchr (key, ' ', len);
    size_t first = space ? (size_t) (space - key) : len;
    if (space && (s_is_qualifier (key, first) || s_is_version (key, first))) {
        memmove (key, space + 1, len - first - 1);
        len -= first + 1;
        key [len] = 0;
        return len;
    }
    //  trailing word
    size_t start = len;
    while (start > 0 && key [start - 1] != ' ')
        start--;
    if (start > 0 && (s_is_qualifier (key + start, len - start) || s_is_version (key + start, len - start))) {
        len = start - 1;
        key [len] = 0;
        return len;
    }
    //  a version glued to the name: python3, java8, php7.4, c++17
    size_t end = len;
    while (end > start && (isdigit ((unsigned char) key [end - 1]) || key [end - 1] == '.'))
        end--;
    if (end < len && end > start && !isdigit ((unsigned char) key [end - 1]))
        len = end;
    key [len] = 0;
    return len;
}

//  Copies text without parenthesised or bracketed asides: "Python (primary)".
static size_t
s_drop_asides (const char *text, size_t len, char *dest, size_t cap)
{
    size_t out = 0;
    int depth = 0;
    for (size_t i = 0; i < len && out + 1 < cap; i++) {
        char c = text [i];
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else
        if ((c == ')' || c == ']' || c == '}') && depth > 0)
            depth--;
        else
        if (depth == 0)
            dest [out++] = c;
    }
    dest [out] = 0;
    return out;
}

typedef struct {
    const char *key;
    size_t len;
    int limit;
    int best_distance;
    int best_skill;
    bool tie;                   //  two different skills at best_distance
} s_typo_search_t;

//  How far a typo may be from a name of this many characters
static int
s_typo_limit (const char *key, size_t len)
{
    size_t letters = 0;
    for (size_t i = 0; i < len; i++)
        letters += ((unsigned char) key [i] & 0xC0) != 0x80;
    return letters >= 9 ? 2 : letters >= 5 ? 1 : 0;
}

static void
s_typo_visit (const char *key, size_t len, int skill, void *arg)
{
    s_typo_search_t *search = arg;
    int distance = jm_normalize_distance (search->key, search->len, key, len, search->limit);
    if (distance > search->limit)
        return;
    //  a typo must be within reach of both names: "Javas" is not Java
    if (distance > s_typo_limit (key, len))
        distance += 10;
    if (distance < search->best_distance) {
        search->best_distance = distance;
        search->best_skill = skill;
        search->tie = false;
    }
    else
    if (distance == search->best_distance && skill != search->best_skill)
        search->tie = true;
}

//  Every step of jm_normalize_lookup but the typo search: true when one
//  found the skill (in *result); else key holds the stripped folded key
//  (*key_len bytes) the typo search starts from
static bool
s_lookup_as_written (const jm_taxonomy_t *taxonomy, const char *text, size_t len,
                     jm_lookup_t *result, char *key, size_t *key_len_p)
{
    bool asides;
    *key_len_p = 0;
    if (!text || len == 0 || len > JM_NORMALIZE_MAX || !s_valid_utf8 ((const unsigned char *) text, len, &asides))
        return false;
    char whole [JM_NORMALIZE_MAX + 1];
    size_t key_len = jm_normalize_fold (text, len, key, JM_NORMALIZE_MAX + 1);
    if (s_lookup_key (taxonomy, key, key_len, result))
        return true;
    memcpy (whole, key, key_len + 1);
    size_t whole_len = key_len;
    //  Strip asides, qualifiers and versions: "Python 3" is still Python exactly
    if (asides) {
        char plain [JM_NORMALIZE_MAX + 1];
        size_t plain_len = s_drop_asides (text, len, plain, sizeof plain);
        key_len = jm_normalize_fold (plain, plain_len, key, JM_NORMALIZE_MAX + 1);
        if (s_lookup_key (taxonomy, key, key_len, result))
            return true;
    }
    //  one word or version at a time, so "IBM Db2 3" stops at "ibm db2"
    while (key_len > 0) {
        size_t stripped = s_strip_step (key, key_len);
        if (stripped == key_len)
            break;
        key_len = stripped;
        if (s_lookup_key (taxonomy, key, key_len, result))
            return true;
    }
    *key_len_p = key_len;
    //  Spacing and dots people vary: "Node JS", "node-js", "ASP NET"
    return s_lookup_compact (taxonomy, whole, whole_len, result)
        || s_lookup_compact (taxonomy, key, key_len, result);
}

jm_lookup_t
jm_normalize_lookup (const jm_taxonomy_t *taxonomy, const char *text, size_t len)
{
    jm_lookup_t result = { -1, JM_MATCH_UNKNOWN, -1, 0 };
    char key [JM_NORMALIZE_MAX + 1];
    size_t key_len;
    if (s_lookup_as_written (taxonomy, text, len, &result, key, &key_len) || key_len == 0)
        return result;
    //  A typo, only for names long enough that one slip cannot make another word
    int limit = s_typo_limit (key, key_len);
    s_typo_search_t search = { key, key_len, limit > 0 ? limit : 2, 99, -1, false };
    if (key_len >= 3)
        jm_taxonomy_each_key (taxonomy, s_typo_visit, &search);
    if (search.best_skill >= 0 && search.best_distance <= limit && !search.tie) {
        result.skill = search.best_skill;
        result.match = JM_MATCH_TYPO;
        result.distance = search.best_distance;
    }
    else
    if (search.best_skill >= 0) {
        result.suggestion = search.best_skill;
        result.distance = search.best_distance % 10;
    }
    return result;
}

jm_lookup_t
jm_normalize_lookup_near (const jm_taxonomy_t *taxonomy, const char *text, size_t len)
{
    jm_lookup_t result = { -1, JM_MATCH_UNKNOWN, -1, 0 };
    char key [JM_NORMALIZE_MAX + 1];
    size_t key_len;
    if (s_lookup_as_written (taxonomy, text, len, &result, key, &key_len) || s_typo_limit (key, key_len) == 0)
        return result;
    //  the names one edit away that a typo may reach (5+ characters, as in
    //  s_typo_visit); nearer names there are none, the key is no name
    s_typo_search_t search = { key, key_len, 1, 99, -1, false };
    if (!jm_taxonomy_each_near (taxonomy, key, key_len, s_typo_visit, &search))
        jm_taxonomy_each_key (taxonomy, s_typo_visit, &search);
    if (search.best_skill >= 0 && search.best_distance == 1 && !search.tie) {
        result.skill = search.best_skill;
        result.match = JM_MATCH_TYPO;
        result.distance = 1;
    }
    return result;
}

const char *
jm_match_name (jm_match_t match)
{
    switch (match) {
        case JM_MATCH_EXACT: return "exact";
        case JM_MATCH_ALIAS: return "alias";
        case JM_MATCH_TYPO:  return "typo";
        default:             return "unknown";
    }
}
