/*  jm_ambiguity: evidence for ordinary-word skill names.  See jm_ambiguity.h.  */
#include "jm_ambiguity.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "jm_lists.h"

#define S_WINDOW_BYTES 256      //  bytes looked at either side of a mention
#define S_WINDOW_WORDS 8        //  words either side that may be a neighbour
#define S_NEAR_MENTIONS 16      //  mentions either side looked at
#define S_WORD_MAX 32           //  longer words never match a rule

//  Technical words that make an ordinary word near them the skill
//  (lowercase, 2 to 13 letters)
static const char *s_tech_words [] = {
    "api", "apis", "app", "application", "applications", "apps", "async", "backend",
    "binaries", "binary", "cli", "cloud", "cluster", "clusters", "code", "codebase", "coding",
    "compiler", "component", "components", "concurrency", "database", "databases", "dba",
    "deployment", "deployments", "developer", "developers", "development", "devops",
    "endpoint", "endpoints", "framework", "frameworks", "frontend", "fullstack", "grpc",
    "http", "json", "language", "languages", "libraries", "library", "microservice",
    "microservices", "module", "modules", "orm", "package", "packages", "pipeline",
    "pipelines", "programmer", "programming", "queries", "query", "repositories",
    "repository", "runtime", "schema", "schemas", "script", "scripting", "scripts", "sdk",
    "server", "serverless", "servers", "service", "services", "software", "sql", "stack",
    "tests"
};

//  Words after the name that make it a company
static const char *s_company_after [] = {
    "corporation", "corp", "inc", "ltd", "llc", "gmbh", "labs", "plc", "ag", NULL
};

//  Words that make "at" a skill, not an employer: "good at Oracle"
static const char *s_good_at [] = {
    "good", "great", "expert", "experts", "skilled", "proficient", "experienced", "adept",
    "better", "best", "strong", "fluent", NULL
};

//  Words after a year-like season: "Spring semester"
static const char *s_terms [] = {
    "semester", "term", "quarter", "break", "season", "intake", "cohort", NULL
};

//  Words after a hyphen that keep the name a skill: "Go-based"
static const char *s_hyphen_ok [] = {
    "based", "powered", "driven", "backed", "native", "first", "only", "compatible", "specific",
    "centric", "certified", "heavy", "focused", "style", "enabled", "friendly", NULL
};

typedef struct {
    size_t start, end;          //  in the text
    char lower [S_WORD_MAX + 1];
    size_t len;
} s_word_t;

//  A letter, a digit or a byte of a UTF-8 character (isalnum in the C
//  locale, which the programs keep, without the call)
static inline bool
s_word_char (unsigned char c)
{
    return (unsigned char) ((c | 0x20) - 'a') < 26 || (unsigned char) (c - '0') < 10 || c >= 0x80;
}

//  Characters a word of a phrase may hold beside letters and digits
static bool
s_phrase_char (unsigned char c)
{
    return s_word_char (c) || c == '.' || c == '+' || c == '#' || c == '/' || c == '\'' || c == '&';
}

//  Is the NUL-terminated string equal to text [0, len)?
static inline bool
s_same (const char *string, const char *text, size_t len)
{
    return string [0] == text [0] && strncmp (string, text, len) == 0 && string [len] == 0;
}

static bool
s_in_list (const char *word, size_t len, const char **list)
{
    for (int i = 0; list [i]; i++)
        if (strlen (list [i]) == len && memcmp (list [i], word, len) == 0)
            return true;
    return false;
}

//  The technical words in a hash set built once: a word of 2 to 16 bytes
//  is its bytes in two integers, so a look is a hash and a compare
#define S_TECH_SLOTS 256        //  power of two, over twice the words
typedef struct {
    uint64_t low, high;         //  bytes 0-7 and 8-15, zeros past the word
    size_t len;                 //  0: an empty slot
} s_tech_t;
static s_tech_t s_tech [S_TECH_SLOTS];
static pthread_once_t s_tech_once = PTHREAD_ONCE_INIT;

//  Packs word [0, len) (len <= 16; 16 bytes may be read) into two integers
static inline void
s_pack (const char *word, size_t len, uint64_t *low, uint64_t *high)
{
    uint64_t bytes [2];
    memcpy (bytes, word, 16);
    *low = len >= 8 ? bytes [0] : bytes [0] & ((1ULL << (len * 8)) - 1);
    *high = len >= 16 ? bytes [1] : len <= 8 ? 0 : bytes [1] & ((1ULL << ((len - 8) * 8)) - 1);
}

static inline size_t
s_tech_home (uint64_t low, uint64_t high, size_t len)
{
    return (size_t) (((low ^ len) * 0x9E3779B97F4A7C15ULL ^ high * 0xC2B2AE3D27D4EB4FULL) >> 56)
         & (S_TECH_SLOTS - 1);
}

static void
s_tech_build (void)
{
    for (size_t i = 0; i < sizeof s_tech_words / sizeof s_tech_words [0]; i++) {
        char word [16] = { 0 };
        size_t len = strlen (s_tech_words [i]);
        memcpy (word, s_tech_words [i], len);
        s_tech_t entry = { 0, 0, len };
        s_pack (word, len, &entry.low, &entry.high);
        size_t at = s_tech_home (entry.low, entry.high, len);
        while (s_tech [at].len)
            at = (at + 1) & (S_TECH_SLOTS - 1);
        s_tech [at] = entry;
    }
}

//  Is lower [0, len) (2 to 13 bytes, 16 readable) a shared technical word?
static bool
s_tech_word (const char *lower, size_t len)
{
    uint64_t low, high;
    s_pack (lower, len, &low, &high);
    for (size_t at = s_tech_home (low, high, len); s_tech [at].len; at = (at + 1) & (S_TECH_SLOTS - 1))
        if (s_tech [at].low == low && s_tech [at].high == high && s_tech [at].len == len)
            return true;
    return false;
}

static void
s_set_word (s_word_t *word, const char *text, size_t start, size_t end)
{
    word->start = start;
    word->end = end;
    word->len = end - start <= S_WORD_MAX ? end - start : 0;
    for (size_t i = 0; i < word->len; i++) {
        char c = text [start + i];
        word->lower [i] = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;     //  tolower without the call
    }
    word->lower [word->len] = 0;
}

//  Up to max words right after pos, each after blanks only (a word ends a
//  run at a sentence's '.').  Returns how many.
static int
s_words_after (const char *text, size_t len, size_t pos, s_word_t *words, int max)
{
    int count = 0;
    size_t at = pos;
    while (count < max && at < len) {
        size_t blank = at;
        while (at < len && (text [at] == ' ' || text [at] == '\t'))
            at++;
        if (at == blank || at >= len || !s_phrase_char ((unsigned char) text [at]))
            break;
        size_t start = at;
        while (at < len && at - start <= S_WORD_MAX && s_phrase_char ((unsigned char) text [at]))
            at++;
        size_t end = at;
        bool stop = false;
        while (end > start && text [end - 1] == '.') {
            end--;
            stop = true;
        }
        if (end == start)
            break;
        s_set_word (&words [count++], text, start, end);
        if (stop)
            break;
    }
    return count;
}

//  Up to max words right before pos, nearest first, blanks between only
static int
s_words_before (const char *text, size_t pos, s_word_t *words, int max)
{
    int count = 0;
    size_t at = pos;
    while (count < max && at > 0) {
        size_t blank = at;
        while (at > 0 && (text [at - 1] == ' ' || text [at - 1] == '\t'))
            at--;
        if (at == blank || at == 0 || !s_phrase_char ((unsigned char) text [at - 1]))
            break;
        size_t end = at;
        while (at > 0 && end - at <= S_WORD_MAX && s_phrase_char ((unsigned char) text [at - 1]))
            at--;
        size_t start = at;
        //  "... end. Rust": the '.' ends a sentence, not part of a phrase
        if (text [end - 1] == '.')
            break;
        s_set_word (&words [count++], text, start, end);
    }
    return count;
}

//  Does the phrase hold the mention with these words around it?  Sets the
//  cue.  The words' first bytes turn nearly every phrase away before a call.
static inline bool
s_phrase_matches (const jm_evidence_phrase_t *phrase, const char *mention, size_t mention_len,
                  const s_word_t *before, int before_count, const s_word_t *after, int after_count,
                  uint32_t *cue_start, uint32_t *cue_end)
{
    if (phrase->before_count > before_count || phrase->after_count > after_count)
        return false;
    for (int i = 0; i < phrase->before_count; i++)
        if (phrase->before [i][0] != before [i].lower [0])
            return false;
    for (int i = 0; i < phrase->after_count; i++)
        if (phrase->after [i][0] != after [i].lower [0])
            return false;
    if (!s_same (phrase->form, mention, mention_len))
        return false;
    for (int i = 0; i < phrase->before_count; i++)
        if (strcmp (phrase->before [i], before [i].lower) != 0)
            return false;
    for (int i = 0; i < phrase->after_count; i++)
        if (strcmp (phrase->after [i], after [i].lower) != 0)
            return false;
    if (phrase->before_count)
        *cue_start = (uint32_t) before [phrase->before_count - 1].start;
    if (phrase->after_count)
        *cue_end = (uint32_t) after [phrase->after_count - 1].end;
    return true;
}

static bool
s_any_phrase (const jm_evidence_phrase_t *phrases, int count, const char *mention, size_t mention_len,
              const s_word_t *before, int before_count, const s_word_t *after, int after_count,
              jm_found_t *item)
{
    for (int i = 0; i < count; i++) {
        uint32_t cue_start = item->start, cue_end = item->end;
        if (s_phrase_matches (&phrases [i], mention, mention_len, before, before_count,
                              after, after_count, &cue_start, &cue_end)) {
            item->cue_start = cue_start;
            item->cue_end = cue_end;
            return true;
        }
    }
    return false;
}

//  Does this mention need evidence: its skill has a rule and it is written as a form of it?
static const jm_evidence_rule_t *
s_rule (const jm_taxonomy_t *taxonomy, const char *text, const jm_found_t *item)
{
    const jm_evidence_rule_t *rule = jm_taxonomy_evidence (taxonomy, item->skill);
    if (!rule)
        return NULL;
    size_t len = item->end - item->start;
    for (int i = 0; i < rule->form_count; i++)
        if (s_same (rule->forms [i], text + item->start, len))
            return rule;
    return NULL;
}

static bool
s_year (const s_word_t *word)
{
    const char *w = word->lower;
    if (word->len == 4 && (strncmp (w, "19", 2) == 0 || strncmp (w, "20", 2) == 0)
    &&  isdigit ((unsigned char) w [2]) && isdigit ((unsigned char) w [3]))
        return true;
    return word->len == 3 && w [0] == '\'' && isdigit ((unsigned char) w [1]) && isdigit ((unsigned char) w [2]);
}

static bool
s_version (const s_word_t *word)
{
    const char *w = word->lower;
    if (word->len == 0 || s_year (word))
        return false;
    return isdigit ((unsigned char) w [0]) || (w [0] == 'v' && isdigit ((unsigned char) w [1]));
}

static void
s_mark (jm_found_t *item, jm_reason_t reason, size_t cue_start, size_t cue_end)
{
    item->claim = JM_CLAIM_UNSUPPORTED;
    item->reason = reason;
    item->cue_start = (uint32_t) cue_start;
    item->cue_end = (uint32_t) cue_end;
}

//  Counter-evidence: marks the item and returns true when one applies
static bool
s_counter (const jm_evidence_rule_t *rule, const char *text, size_t len, jm_found_t *item,
           const s_word_t *before, int before_count, const s_word_t *after, int after_count)
{
    size_t start = item->start, end = item->end;
    const char *mention = text + start;
    size_t mention_len = end - start;
    //  hyphen-joined: "Go-live", "Objective-C"; not "Go-based" (evidence, below)
    if (end + 1 < len && text [end] == '-' && s_word_char ((unsigned char) text [end + 1])) {
        size_t word_end = end + 1;
        while (word_end < len && word_end - end < 64 && s_word_char ((unsigned char) text [word_end]))
            word_end++;
        s_word_t word;
        s_set_word (&word, text, end + 1, word_end);
        if (!s_in_list (word.lower, word.len, s_hyphen_ok)) {
            s_mark (item, JM_REASON_HYPHEN_JOINED, start, word_end);
            return true;
        }
    }
    if (start >= 2 && text [start - 1] == '-' && s_word_char ((unsigned char) text [start - 2])) {
        size_t word_start = start - 1;
        while (word_start > 0 && start - word_start < 64 && s_word_char ((unsigned char) text [word_start - 1]))
            word_start--;
        s_mark (item, JM_REASON_HYPHEN_JOINED, word_start, end);
        return true;
    }
    //  a single letter among single letters: "A/B/C testing"
    if (mention_len == 1) {
        if (start >= 2 && text [start - 1] == '/' && isalpha ((unsigned char) text [start - 2])
        &&  (start == 2 || !s_word_char ((unsigned char) text [start - 3]))) {
            s_mark (item, JM_REASON_HYPHEN_JOINED, start - 2, end);
            return true;
        }
        if (end + 1 < len && text [end] == '/' && isalpha ((unsigned char) text [end + 1])
        &&  (end + 2 == len || (!s_word_char ((unsigned char) text [end + 2])
                                && text [end + 2] != '+' && text [end + 2] != '#'))) {
            s_mark (item, JM_REASON_HYPHEN_JOINED, start, end + 2);
            return true;
        }
    }
    //  a year or a term after it
    if (after_count > 0 && (s_year (&after [0]) || s_in_list (after [0].lower, after [0].len, s_terms))) {
        s_mark (item, JM_REASON_YEAR_AFTER, after [0].start, after [0].end);
        return true;
    }
    if (after_count > 1 && strcmp (after [0].lower, "of") == 0 && s_year (&after [1])) {
        s_mark (item, JM_REASON_YEAR_AFTER, after [0].start, after [1].end);
        return true;
    }
    //  a longer name: "SQL Server Express", "Oracle Park"
    if (s_any_phrase (rule->names, rule->name_count, mention, mention_len,
                      before, before_count, after, after_count, item)) {
        item->claim = JM_CLAIM_UNSUPPORTED;
        item->reason = JM_REASON_LONGER_NAME;
        return true;
    }
    //  an employer
    if (rule->employer) {
        if (before_count > 0
        &&  ((strcmp (before [0].lower, "at") == 0
              && !(before_count > 1 && s_in_list (before [1].lower, before [1].len, s_good_at)))
          || strcmp (before [0].lower, "@") == 0 || strcmp (before [0].lower, "joined") == 0)) {
            s_mark (item, JM_REASON_EMPLOYER, before [0].start, end);
            return true;
        }
        if (before_count > 1
        &&  ((strcmp (before [0].lower, "for") == 0
              && (strncmp (before [1].lower, "work", 4) == 0 || strcmp (before [1].lower, "consultant") == 0
                  || strcmp (before [1].lower, "contractor") == 0 || strcmp (before [1].lower, "interned") == 0))
          || (strcmp (before [0].lower, "by") == 0 && strcmp (before [1].lower, "employed") == 0))) {
            s_mark (item, JM_REASON_EMPLOYER, before [1].start, end);
            return true;
        }
        //  a company line: "Oracle (2016-2019)", "Oracle | 2019 - now", "Oracle, 2016–2019"
        size_t after_name = end;
        while (after_name < len && after_name - end < 8
               && (text [after_name] == ' ' || text [after_name] == '(' || text [after_name] == ','
                   || text [after_name] == '|' || text [after_name] == '-' || (unsigned char) text [after_name] >= 0x80))
            after_name++;
        if (after_name > end && after_name + 4 <= len
        &&  (strncmp (text + after_name, "19", 2) == 0 || strncmp (text + after_name, "20", 2) == 0)
        &&  isdigit ((unsigned char) text [after_name + 2]) && isdigit ((unsigned char) text [after_name + 3])
        &&  (after_name + 4 == len || !isalnum ((unsigned char) text [after_name + 4]))) {
            s_mark (item, JM_REASON_EMPLOYER, start, after_name + 4);
            return true;
        }
        //  "Oracle Corporation", "Oracle Corp.", "Puppet Labs"
        size_t at = end;
        while (at < len && text [at] == ' ')
            at++;
        size_t word_end = at;
        while (word_end < len && word_end - at < 16 && isalpha ((unsigned char) text [word_end]))
            word_end++;
        s_word_t word;
        s_set_word (&word, text, at, word_end);
        if (at > end && word.len && s_in_list (word.lower, word.len, s_company_after)) {
            s_mark (item, JM_REASON_EMPLOYER, start, word_end);
            return true;
        }
    }
    if (s_any_phrase (rule->phrases, rule->phrase_count, mention, mention_len,
                      before, before_count, after, after_count, item)) {
        item->claim = JM_CLAIM_UNSUPPORTED;
        item->reason = JM_REASON_ORDINARY_WORD;
        return true;
    }
    return false;
}

//  Is the word text [start, end) technical for this rule?  Its length
//  tells first whether any shared word or rule neighbour could be it.
static bool
s_neighbour_word (const jm_evidence_rule_t *rule, const char *text, size_t start, size_t end)
{
    size_t len = end - start;
    bool shared = len >= 2 && len <= 13;        //  the shared words are 2-13 letters
    if (len == 0 || len > S_WORD_MAX
    ||  (!shared && !(rule->neighbour_lengths >> (len < 63 ? len : 63) & 1)))
        return false;
    s_word_t word;
    s_set_word (&word, text, start, end);
    if (shared && s_tech_word (word.lower, len))
        return true;
    if (!(rule->neighbour_lengths >> (len < 63 ? len : 63) & 1))
        return false;                   //  no neighbour this long
    for (int i = 0; i < rule->neighbour_count; i++)
        if (s_same (rule->neighbours [i], word.lower, len))
            return true;
    return false;
}

static inline bool
s_sentence_end (const char *text, size_t len, size_t at)
{
    char c = text [at];
    return c == '\n' || c == '!' || c == '?' || c == ';'
        || (c == '.' && (at + 1 >= len || text [at + 1] == ' ' || text [at + 1] == '\n'));
}

//  The sentence window around the mention: [*from, *to), at most
//  S_WINDOW_WORDS words and S_WINDOW_BYTES bytes either side.  Returns
//  true, at the first, when a technical word is in it (*from and *to
//  then unset).
static bool
s_window (const jm_evidence_rule_t *rule, const char *text, size_t len, const jm_found_t *item,
          size_t *from, size_t *to)
{
    //  left
    size_t at = item->start, limit = at > S_WINDOW_BYTES ? at - S_WINDOW_BYTES : 0;
    int words = 0;
    while (at > limit && words < S_WINDOW_WORDS && !s_sentence_end (text, len, at - 1)) {
        if (!s_word_char ((unsigned char) text [at - 1])) {
            at--;
            continue;
        }
        size_t end = at;
        while (at > limit && s_word_char ((unsigned char) text [at - 1]))
            at--;
        if (s_neighbour_word (rule, text, at, end))
            return true;                //  the window's bounds serve only when none is
        words++;
    }
    *from = at;
    //  right
    at = item->end;
    limit = at + S_WINDOW_BYTES < len ? at + S_WINDOW_BYTES : len;
    words = 0;
    while (at < limit && words < S_WINDOW_WORDS && !s_sentence_end (text, len, at)) {
        if (!s_word_char ((unsigned char) text [at])) {
            at++;
            continue;
        }
        size_t start = at;
        while (at < limit && s_word_char ((unsigned char) text [at]))
            at++;
        if (s_neighbour_word (rule, text, start, at))
            return true;
        words++;
    }
    *to = at;
    return false;
}

//  Does the mention open a sentence (or a line, or a list item)?
static bool
s_opens_sentence (const char *text, size_t start)
{
    size_t at = start;
    while (at > 0 && (text [at - 1] == ' ' || text [at - 1] == '\t'))
        at--;
    if (at == 0)
        return true;
    char c = text [at - 1];
    return c == '\n' || c == '.' || c == '!' || c == '?' || c == ':' || c == '"' || c == '-' || c == '*';
}

//  Words between two byte offsets of one line (a, b with a <= b); -1 when
//  a line or sentence ends between them
static int
s_words_between (const char *text, size_t len, size_t a, size_t b)
{
    int words = 0;
    bool in_word = false;
    for (size_t at = a; at < b; at++) {
        if (s_sentence_end (text, len, at))
            return -1;
        bool letter = s_word_char ((unsigned char) text [at]);
        words += letter && !in_word;
        in_word = letter;
    }
    return words;
}

//  Strong evidence that beats an English phrase ("from Angular to React to
//  improve"): a line list, or another skill's plain mention in the same
//  sentence at most two words before or one word after
static bool
s_overrides (const jm_taxonomy_t *taxonomy, const char *text, size_t len, const jm_found_t *found,
             long count, long index)
{
    const jm_found_t *item = &found [index];
    if (jm_lists_kind (text, len, item->start, item->end) == JM_LIST_LINE)
        return true;
    for (long j = index - 1; j >= 0 && index - j <= 2; j--)
        if (found [j].skill != item->skill && found [j].end <= item->start && !s_rule (taxonomy, text, &found [j])) {
            int words = s_words_between (text, len, found [j].end, item->start);
            if (words >= 0 && words <= 2)
                return true;
        }
    for (long j = index + 1; j < count && j - index <= 2; j++)
        if (found [j].skill != item->skill && found [j].start >= item->end && !s_rule (taxonomy, text, &found [j])) {
            int words = s_words_between (text, len, item->end, found [j].start);
            if (words >= 0 && words <= 1)
                return true;
        }
    return false;
}

//  "Rust: 2 years", "Go (3 yrs)", "Swift - 4+ years": a length of experience
static bool
s_years_after (const char *text, size_t len, size_t end)
{
    size_t at = end, limit = end + 24 < len ? end + 24 : len;
    while (at < limit && (text [at] == ' ' || text [at] == ':' || text [at] == '(' || text [at] == '-'
                          || text [at] == ',' || (unsigned char) text [at] >= 0x80))
        at++;
    if (at == end || at >= limit || !isdigit ((unsigned char) text [at]))
        return false;
    while (at < limit && (isdigit ((unsigned char) text [at]) || text [at] == '.' || text [at] == '+'))
        at++;
    while (at < limit && text [at] == ' ')
        at++;
    return (at + 3 <= len && strncasecmp (text + at, "yrs", 3) == 0)
        || (at + 4 <= len && strncasecmp (text + at, "year", 4) == 0);
}

//  Evidence: true when some applies
static bool
s_evidence (const jm_taxonomy_t *taxonomy, const jm_evidence_rule_t *rule, const char *text,
            size_t len, jm_found_t *found, long count, long index,
            const s_word_t *before, int before_count, const s_word_t *after, int after_count)
{
    jm_found_t *item = &found [index];
    const char *mention = text + item->start;
    size_t mention_len = item->end - item->start;
    uint32_t cue_start = item->start, cue_end = item->end;
    for (int i = 0; i < rule->near_count; i++)
        if (s_phrase_matches (&rule->near [i], mention, mention_len, before, before_count,
                              after, after_count, &cue_start, &cue_end))
            return true;
    if (after_count > 0 && s_version (&after [0]))
        return true;
    if (s_years_after (text, len, item->end))
        return true;
    //  "Go-based", "React-powered"
    if (item->end + 1 < len && text [item->end] == '-') {
        size_t word_end = item->end + 1;
        while (word_end < len && word_end - item->end < 64 && s_word_char ((unsigned char) text [word_end]))
            word_end++;
        s_word_t word;
        s_set_word (&word, text, item->end + 1, word_end);
        if (s_in_list (word.lower, word.len, s_hyphen_ok))
            return true;
    }
    size_t from, to;
    if (s_window (rule, text, len, item, &from, &to))
        return true;
    //  another skill's mention nearby that needs no evidence
    for (long j = index - 1; j >= 0 && index - j <= S_NEAR_MENTIONS && found [j].end > from; j--)
        if (found [j].skill != item->skill && found [j].claim == JM_CLAIM_HELD && found [j].end <= item->start
        &&  !s_rule (taxonomy, text, &found [j]))
            return true;
    for (long j = index + 1; j < count && j - index <= S_NEAR_MENTIONS && found [j].start < to; j++)
        if (found [j].skill != item->skill && found [j].claim == JM_CLAIM_HELD && found [j].start >= item->end
        &&  !s_rule (taxonomy, text, &found [j]))
            return true;
    //  a list; a run of items in a sentence needs another skill among them
    jm_list_kind_t list = jm_lists_kind (text, len, item->start, item->end);
    if (list == JM_LIST_LINE)
        return true;
    if (list == JM_LIST_SENTENCE)
        for (long j = index - S_NEAR_MENTIONS < 0 ? 0 : index - S_NEAR_MENTIONS;
             j < count && j <= index + S_NEAR_MENTIONS; j++)
            if (j != index && found [j].skill != item->skill && found [j].end > from && found [j].start < to)
                return true;
    return false;
}

void
jm_ambiguity_check (const jm_taxonomy_t *taxonomy, const char *text, size_t len,
                    jm_found_t *found, long count)
{
    if (!taxonomy || !text || !found)
        return;
    pthread_once (&s_tech_once, s_tech_build);
    uint64_t held [JM_SKILL_WORDS] = { 0 };     //  skills held by a mention that counts
    bool revisit = false;
    for (long i = 0; i < count; i++) {
        jm_found_t *item = &found [i];
        if (item->claim != JM_CLAIM_HELD || item->skill < 0 || item->skill >= JM_MAX_SKILLS
        ||  item->end > len || item->start >= item->end)
            continue;
        const jm_evidence_rule_t *rule = s_rule (taxonomy, text, item);
        if (rule) {
            s_word_t before [JM_EVIDENCE_WORDS], after [JM_EVIDENCE_WORDS];
            int before_count = s_words_before (text, item->start, before, JM_EVIDENCE_WORDS);
            int after_count = s_words_after (text, len, item->end, after, JM_EVIDENCE_WORDS);
            if (s_counter (rule, text, len, item, before, before_count, after, after_count)) {
                if (item->reason != JM_REASON_ORDINARY_WORD || !s_overrides (taxonomy, text, len, found, count, i))
                    continue;
                item->claim = JM_CLAIM_HELD;        //  "from Angular to React to improve"
                item->reason = JM_REASON_NONE;
                item->cue_start = item->cue_end = 0;
            }
            if (!s_evidence (taxonomy, rule, text, len, found, count, i,
                             before, before_count, after, after_count)) {
                s_mark (item, JM_REASON_NO_EVIDENCE, 0, 0);
                revisit = true;
                continue;
            }
        }
        held [item->skill / 64] |= 1ULL << (item->skill % 64);
    }
    //  a skill held elsewhere: a mention inside a sentence is the skill too
    for (long i = 0; revisit && i < count; i++) {
        jm_found_t *item = &found [i];
        if (item->claim == JM_CLAIM_UNSUPPORTED && item->reason == JM_REASON_NO_EVIDENCE
        &&  (held [item->skill / 64] >> (item->skill % 64) & 1) && !s_opens_sentence (text, item->start)) {
            item->claim = JM_CLAIM_HELD;
            item->reason = JM_REASON_NONE;
        }
    }
}
