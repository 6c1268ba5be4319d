/*  jm_extract: skill extraction from free text.  See jm_extract.h for the
    matching rules.

    How it works.  Every surface form becomes a key: runs of whitespace, '-'
    and '_' become one space and ASCII letters are lowercased.  The keys go
    into one trie over a small alphabet (each byte that occurs in some key is
    a class; upper and lower case share one; the separators are class 1;
    every other byte is class 0), which is then turned into an Aho-Corasick
    DFA with a transition for every state and class.  The table is what the
    scan waits on, so it is kept small and hot: a cell is the target state
    in 16 bits (32 past 65,536 states); the table is stored by column (all
    the states' targets for one class together), so the column is picked by
    the byte alone and the next state waits on one load; states are
    numbered breadth-first, so the shallow ones the scan visits most share
    the first cache lines of each column, with the states that end a key
    (itself or through its dictionary-suffix chain) last, so one compare
    tells when to look at outputs; and a state entered by a separator stays
    put on another, which collapses separator runs without a test.

    The scan feeds the text through the DFA once, validating UTF-8 as it
    meets non-ASCII bytes.  On an output it walks the chain of keys ending
    here (longest first), checks the rules a key needs (boundaries, exact
    case for ambiguous forms, list context for single letters) and keeps
    the candidates in (start, longest) order.  Candidates arrive by end
    offset, so that order costs an insertion step only past overlapping
    candidates.  A last pass keeps the leftmost-longest non-overlapping
    ones.                                                                   */
#include "jm_extract.h"
#include "jm_text.h"
#include "jm_alloc.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define S_CLASS_OTHER   0       //  a byte no key contains
#define S_CLASS_SPACE   1       //  whitespace, '-' and '_'; runs are collapsed

//  Key flags
#define S_ANY_CASE      0x01    //  an ordinary form: ASCII case is ignored
#define S_HAS_SPACE     0x02    //  the key holds a space, so text may hold a separator run
#define S_LETTER        0x04    //  one ASCII letter: needs list context
#define S_PUNCT_END     0x08    //  ends in punctuation: a version digit may follow

typedef struct {
    int skill;
    uint32_t symbols;           //  key length, one symbol per byte or space
    uint8_t flags;
    char **variants;            //  for ambiguous keys: the spellings that match
    int variant_count;
} s_key_t;

struct _jm_extractor_t {
    const jm_taxonomy_t *taxonomy;
    uint8_t map [256];          //  byte -> class
    uint32_t classes;
    size_t column [256];        //  byte -> offset of its class's column in delta
    void *delta;                //  a column of states per class: the target state, 16 bits
    bool wide;                  //  32-bit cells: more than 65,536 states
    uint32_t first_output;      //  states from here on end a key (own or by suffix)
    int states;
    int32_t *term;              //  per state: index of the key ending here, or -1
    int32_t *next_out;          //  per state: nearest proper suffix state ending a key, or -1
    s_key_t *keys;
    int key_count;
};

//  Whitespace, '-' and '_': a run of them in a form or a text is one space
static inline bool
s_is_separator (uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
        || c == '-' || c == '_';
}

static inline bool
s_is_alnum (uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static inline bool
s_is_alpha (uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline uint8_t
s_lower (uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t) (c + 32) : c;
}

//  Copies a form with separator runs as one space, trimmed.  Returns the length.
static size_t
s_collapse (const char *form, char *dest)
{
    size_t len = 0;
    bool space = false;
    for (const uint8_t *p = (const uint8_t *) form; *p; p++) {
        if (s_is_separator (*p))
            space = len > 0;
        else {
            if (space)
                dest [len++] = ' ';
            space = false;
            dest [len++] = (char) *p;
        }
    }
    dest [len] = 0;
    return len;
}

//  Adds spelling to an ambiguous key's variants unless it is there already.
static void
s_key_add_variant (s_key_t *key, const char *spelling)
{
    for (int i = 0; i < key->variant_count; i++)
        if (strcmp (key->variants [i], spelling) == 0)
            return;
    key->variants = jm_realloc (key->variants, (size_t) (key->variant_count + 1) * sizeof (char *));
    key->variants [key->variant_count] = jm_strdup (spelling);
    key->variant_count++;
}

//  Builds the scan table, column by column, from the full transitions goto_
//  (a row of classes per state, in trie numbering) and the states in
//  breadth-first order (queue, root left out).  New numbers: the root, the
//  states without output, then those with, each group breadth-first, so the
//  shallow states the scan visits most sit together and a state ends a key
//  when its number is first_output or more.
//  A state entered through a separator loops on a separator, so the scan
//  needs no test to collapse separator runs.
static void
s_renumber (jm_extractor_t *self, const uint32_t *goto_, const int32_t *queue)
{
    int states = self->states;
    self->wide = states > UINT16_MAX + 1;
    size_t cell_size = self->wide ? sizeof (uint32_t) : sizeof (uint16_t);
    uint32_t *number = jm_malloc ((size_t) states * sizeof (uint32_t));
    int32_t *term = jm_malloc ((size_t) states * sizeof (int32_t));
    int32_t *next_out = jm_malloc ((size_t) states * sizeof (int32_t));
    bool *spaced = jm_calloc ((size_t) states, sizeof (bool));
    uint32_t next = 0;
    number [0] = next++;
    for (int output = 0; output < 2; output++) {
        if (output)
            self->first_output = next;
        for (int k = 0; k < states - 1; k++) {
            int32_t state = queue [k];
            bool has = self->term [state] >= 0 || self->next_out [state] >= 0;
            if (has == (output == 1))
                number [state] = next++;
        }
    }
    for (int state = 0; state < states; state++) {
        term [number [state]] = self->term [state];
        next_out [number [state]] = self->next_out [state] >= 0
                                  ? (int32_t) number [self->next_out [state]] : -1;
        spaced [goto_ [(size_t) state * self->classes + S_CLASS_SPACE]] = true;
    }
    size_t cells = (size_t) states * self->classes;
    self->delta = jm_alloc_check (aligned_alloc (64, (cells * cell_size + 63) / 64 * 64),
                                 "extraction automaton table");
    memset (self->delta, 0, cells * cell_size);
    for (int state = 0; state < states; state++) {
        for (uint32_t cls = 0; cls < self->classes; cls++) {
            uint32_t target = number [goto_ [(size_t) state * self->classes + cls]];
            if (cls == S_CLASS_SPACE && spaced [state])
                target = number [state];
            size_t cell = (size_t) cls * (size_t) states + number [state];
            if (self->wide)
                ((uint32_t *) self->delta) [cell] = target;
            else
                ((uint16_t *) self->delta) [cell] = (uint16_t) target;
        }
    }
    for (int c = 0; c < 256; c++)
        self->column [c] = (size_t) self->map [c] * (size_t) states;
    free (self->term);
    free (self->next_out);
    self->term = term;
    self->next_out = next_out;
    free (number);
    free (spaced);
}

jm_extractor_t *
jm_extractor_new (const jm_taxonomy_t *taxonomy)
{
    assert (taxonomy);
    jm_extractor_t *self = jm_calloc (1, sizeof *self);
    self->taxonomy = taxonomy;
    int form_count = jm_taxonomy_form_count (taxonomy);

    //  Classes: 0 other, 1 whitespace, then each byte some key holds
    size_t longest = 0, total = 0;
    uint32_t classes = 2;
    for (int c = 0; c < 256; c++)
        self->map [c] = s_is_separator ((uint8_t) c) ? S_CLASS_SPACE : S_CLASS_OTHER;
    for (int i = 0; i < form_count; i++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, i);
        size_t len = strlen (form->text);
        longest = len > longest ? len : longest;
        total += len;
        for (const uint8_t *p = (const uint8_t *) form->text; *p; p++) {
            uint8_t c = s_lower (*p);
            if (!s_is_separator (c) && self->map [c] == S_CLASS_OTHER) {
                self->map [c] = (uint8_t) classes;
                if (c >= 'a' && c <= 'z')
                    self->map [c - 32] = (uint8_t) classes;
                classes++;
            }
        }
    }
    self->classes = classes;

    //  The trie, in a table big enough for one state per key byte
    size_t capacity = total + 1;
    assert (capacity * self->classes < (1u << 31));
    uint32_t *goto_ = jm_calloc (capacity * self->classes, sizeof (uint32_t));
    int32_t *parent = jm_malloc (capacity * sizeof (int32_t));
    self->term = jm_malloc (capacity * sizeof (int32_t));
    self->keys = jm_calloc ((size_t) form_count + 1, sizeof (s_key_t));
    char *spelling = jm_malloc (longest + 1);
    char *key = jm_malloc (longest + 1);
    parent [0] = -1;
    self->term [0] = -1;
    self->states = 1;
    bool *seen_any_case = jm_calloc ((size_t) form_count + 1, sizeof (bool));
    bool *ambiguous = jm_calloc ((size_t) form_count + 1, sizeof (bool));

    for (int i = 0; i < form_count; i++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, i);
        size_t len = s_collapse (form->text, spelling);
        if (len == 0)
            continue;
        bool has_space = false;
        uint32_t state = 0;
        for (size_t k = 0; k < len; k++) {
            key [k] = (char) s_lower ((uint8_t) spelling [k]);
            has_space |= key [k] == ' ';
            uint32_t cls = self->map [(uint8_t) key [k]];
            uint32_t *cell = &goto_ [state * self->classes + cls];
            if (*cell == 0) {
                *cell = (uint32_t) self->states;
                parent [self->states] = (int32_t) state;
                self->term [self->states] = -1;
                self->states++;
            }
            state = *cell;
        }
        key [len] = 0;
        int index = self->term [state];
        if (index < 0) {
            index = self->key_count++;
            self->term [state] = index;
            s_key_t *entry = &self->keys [index];
            entry->skill = form->skill;
            entry->symbols = (uint32_t) len;
            if (has_space)
                entry->flags |= S_HAS_SPACE;
            if (len == 1 && s_is_alpha ((uint8_t) key [0]))
                entry->flags |= S_LETTER;
            uint8_t last = (uint8_t) key [len - 1];
            if (last < 0x80 && !s_is_alnum (last))
                entry->flags |= S_PUNCT_END;
        }
        //  The taxonomy refuses one key for two skills; keep the first if not
        if (self->keys [index].skill != form->skill)
            continue;
        if (form->ambiguous) {
            ambiguous [index] = true;
            s_key_add_variant (&self->keys [index], spelling);
        }
        else
            seen_any_case [index] = true;
    }
    //  A key listed as ambiguous matches only in its ambiguous spellings
    for (int i = 0; i < self->key_count; i++)
        if (seen_any_case [i] && !ambiguous [i])
            self->keys [i].flags |= S_ANY_CASE;
    free (seen_any_case);
    free (ambiguous);
    free (spelling);
    free (key);

    //  Breadth-first: failure links, dictionary links and full transitions
    uint32_t width = self->classes;
    int32_t *fail = jm_calloc ((size_t) self->states, sizeof (int32_t));
    int32_t *queue = jm_malloc ((size_t) self->states * sizeof (int32_t));
    self->next_out = jm_malloc ((size_t) self->states * sizeof (int32_t));
    size_t head = 0, tail = 0;
    self->next_out [0] = -1;
    for (uint32_t cls = 0; cls < width; cls++) {
        uint32_t child = goto_ [cls];
        if (child) {
            fail [child] = 0;
            self->next_out [child] = -1;
            queue [tail++] = (int32_t) child;
        }
    }
    while (head < tail) {
        uint32_t state = (uint32_t) queue [head++];
        uint32_t *row = &goto_ [state * width];
        const uint32_t *fail_row = &goto_ [(uint32_t) fail [state] * width];
        for (uint32_t cls = 0; cls < width; cls++) {
            uint32_t child = row [cls];
            if (child && parent [child] == (int32_t) state) {
                int32_t link = (int32_t) fail_row [cls];
                fail [child] = link;
                self->next_out [child] = self->term [link] >= 0 ? link : self->next_out [link];
                queue [tail++] = (int32_t) child;
            }
            else
                row [cls] = fail_row [cls];
        }
    }
    free (fail);
    free (parent);
    s_renumber (self, goto_, queue);
    free (queue);
    free (goto_);
    return self;
}

void
jm_extractor_destroy (jm_extractor_t **self_p)
{
    assert (self_p);
    jm_extractor_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->key_count; i++) {
        for (int k = 0; k < self->keys [i].variant_count; k++)
            free (self->keys [i].variants [k]);
        free (self->keys [i].variants);
    }
    free (self->keys);
    free (self->delta);
    free (self->term);
    free (self->next_out);
    free (self);
    *self_p = NULL;
}

//  Length of the UTF-8 sequence at p (2 to 4), or 0 when it is not valid
//  RFC 3629 UTF-8; jm_text owns the rule.
static inline size_t
s_utf8_length (const uint8_t *p, size_t avail)
{
    return jm_text_utf8_length (p, avail);
}

#define S_BAD_CODEPOINT 0x110000

//  Decodes the character at p, or S_BAD_CODEPOINT.
static uint32_t
s_decode (const uint8_t *p, size_t avail)
{
    switch (s_utf8_length (p, avail)) {
        case 2: return (uint32_t) (p [0] & 0x1F) << 6 | (p [1] & 0x3F);
        case 3: return (uint32_t) (p [0] & 0x0F) << 12 | (uint32_t) (p [1] & 0x3F) << 6 | (p [2] & 0x3F);
        case 4: return (uint32_t) (p [0] & 0x07) << 18 | (uint32_t) (p [1] & 0x3F) << 12
                     | (uint32_t) (p [2] & 0x3F) << 6 | (p [3] & 0x3F);
        default: return S_BAD_CODEPOINT;
    }
}

//  True when a non-ASCII character continues a word: a letter, digit or
//  mark of an alphabetic script.  Spaces, punctuation, symbols, emoji and
//  the scripts that do not put spaces between words (CJK, kana, Hangul) are
//  boundaries.  Undecodable bytes count as letters.
static bool
s_word_codepoint (uint32_t cp)
{
    if (cp <= 0xBF)
        return cp == 0xAA || cp == 0xB5 || cp == 0xBA;     //  ª µ º; the rest is NBSP and signs
    if (cp == 0xD7 || cp == 0xF7)                           //  × ÷
        return false;
    if ((cp >= 0x2000 && cp <= 0x2BFF)      //  punctuation, symbols, arrows, shapes, dingbats
    ||  (cp >= 0x2E00 && cp <= 0x9FFF)      //  more punctuation, CJK, kana
    ||  (cp >= 0xAC00 && cp <= 0xD7FF)      //  Hangul
    ||  (cp >= 0xF900 && cp <= 0xFAFF)      //  CJK compatibility
    ||  (cp >= 0xFE10 && cp <= 0xFE6F)      //  vertical, small and compatibility forms
    ||  cp == 0xFEFF                        //  byte-order mark
    ||  (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20)
    ||  (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65)
    ||  (cp >= 0xFFF0 && cp <= 0xFFFF)
    ||  (cp >= 0x1F000 && cp <= 0x1FAFF)    //  emoji and pictographs
    ||  (cp >= 0x20000 && cp <= 0x3FFFF))   //  CJK extensions
        return false;
    return true;
}

//  The character ending just before pos (pos > 0, text[pos - 1] >= 0x80).
static uint32_t
s_codepoint_before (const uint8_t *text, size_t pos, size_t *lead)
{
    size_t p = pos - 1;
    for (int k = 0; k < 3 && p > 0 && (text [p] & 0xC0) == 0x80; k++)
        p--;
    if (lead)
        *lead = p;
    return s_decode (text + p, pos - p);
}

//  True when the character ending at pos continues a word into a match
//  starting at pos.
static bool
s_blocks_left (const uint8_t *text, size_t pos)
{
    if (pos == 0)
        return false;
    uint8_t c = text [pos - 1];
    if (s_is_alnum (c))
        return true;
    if (c == '.')               //  a dotted name: "main.js", "ASP.NET"
        return pos >= 2 && s_is_alnum (text [pos - 2]);
    if (c >= 0x80)
        return s_word_codepoint (s_codepoint_before (text, pos, NULL));
    return false;
}

//  What follows a match ending at pos
typedef enum {
    S_AFTER_FREE,               //  a boundary
    S_AFTER_DIGIT,              //  a digit: fine after "C++", not after "Python"
    S_AFTER_WORD                //  the match is part of a longer word
} s_after_t;

static s_after_t
s_after (const uint8_t *text, size_t len, size_t pos)
{
    if (pos >= len)
        return S_AFTER_FREE;
    uint8_t c = text [pos];
    if (c >= '0' && c <= '9')
        return S_AFTER_DIGIT;
    if (s_is_alpha (c) || c == '+' || c == '#')
        return S_AFTER_WORD;
    if (c == '.')
        return pos + 1 < len && s_is_alnum (text [pos + 1]) ? S_AFTER_WORD : S_AFTER_FREE;
    if (c >= 0x80)
        return s_word_codepoint (s_decode (text + pos, len - pos)) ? S_AFTER_WORD : S_AFTER_FREE;
    return S_AFTER_FREE;
}

//  List context of a single letter, on one side
typedef enum {
    S_CONTEXT_NONE,             //  prose
    S_CONTEXT_LINE,             //  start or end of a line (after a bullet)
    S_CONTEXT_LIST,             //  a list delimiter or "and" / "or"
    S_CONTEXT_VETO              //  an abbreviation like "R&D": never a skill
} s_context_t;

static inline bool
s_is_blank (uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static inline bool
s_is_delimiter (uint8_t c)
{
    return c == ',' || c == '/' || c == ';' || c == '(' || c == ')' || c == '|' || c == ':';
}

static bool
s_is_conjunction (const uint8_t *word, size_t len)
{
    return (len == 3 && s_lower (word [0]) == 'a' && s_lower (word [1]) == 'n' && s_lower (word [2]) == 'd')
        || (len == 2 && s_lower (word [0]) == 'o' && s_lower (word [1]) == 'r');
}

//  True when a lone letter ends at pos, blanks aside ("R &" in "R & D")
static bool
s_lone_letter_before (const uint8_t *text, size_t pos)
{
    while (pos > 0 && s_is_blank (text [pos - 1]))
        pos--;
    return pos > 0 && s_is_alpha (text [pos - 1])
        && (pos == 1 || !(s_is_alnum (text [pos - 2]) || text [pos - 2] == '_'));
}

//  True when a lone letter starts at pos, blanks aside ("& D" in "R & D")
static bool
s_lone_letter_after (const uint8_t *text, size_t len, size_t pos)
{
    while (pos < len && s_is_blank (text [pos]))
        pos++;
    if (pos >= len || !s_is_alpha (text [pos]))
        return false;
    return pos + 1 >= len || s_after (text, len, pos + 1) != S_AFTER_WORD;
}

//  Degree words that may stand between a list's "and" and its last item
//  ("C#, F# and a little C", "Java and some R").  Weak ones ("a", "of")
//  only count next to a strong one, so "and a C" stays prose.
static int
s_filler (const uint8_t *word, size_t len)
{
    static const char *strong [] = {
        "little", "bit", "some", "basic", "also", "plain", "mostly", "mainly", "even",
        "occasionally", NULL
    };
    char lower [16];
    if (len >= sizeof lower)
        return 0;
    for (size_t i = 0; i < len; i++)
        lower [i] = (char) s_lower (word [i]);
    lower [len] = 0;
    if (strcmp (lower, "a") == 0 || strcmp (lower, "of") == 0)
        return 1;
    for (int i = 0; strong [i]; i++)
        if (strcmp (lower, strong [i]) == 0)
            return 2;
    return 0;
}

#define S_MAX_FILLERS 3

static s_context_t
s_context_left (const uint8_t *text, size_t start)
{
    size_t p = start;
    int skipped = 0;            //  degree words walked over
    bool strong = false;
    while (true) {
        while (p > 0 && s_is_blank (text [p - 1]))
            p--;
        s_context_t list = skipped == 0 || strong ? S_CONTEXT_LIST : S_CONTEXT_NONE;
        if (p == 0 || text [p - 1] == '\n' || text [p - 1] == '\r')
            return skipped ? S_CONTEXT_NONE : S_CONTEXT_LINE;
        uint8_t c = text [p - 1];
        if (c == '&' && skipped == 0)
            return s_lone_letter_before (text, p - 1) ? S_CONTEXT_VETO : S_CONTEXT_LIST;
        if (s_is_delimiter (c) || c == '&')
            return list;
        if (!s_is_alpha (c))
            break;
        size_t q = p - 1;       //  a word longer than 16 letters is no filler
        while (q > 0 && p - q < 16 && s_is_alpha (text [q - 1]))
            q--;
        if (q > 0 && (s_is_alnum (text [q - 1]) || text [q - 1] == '_'))
            return S_CONTEXT_NONE;
        if (s_is_conjunction (text + q, p - q))
            return list;
        int filler = s_filler (text + q, p - q);
        if (!filler || skipped == S_MAX_FILLERS)
            return S_CONTEXT_NONE;
        strong |= filler == 2;
        skipped++;
        p = q;
    }
    if (skipped)
        return S_CONTEXT_NONE;
    //  A bullet opening the line: "- C", "* R", "• C"
    uint8_t c = text [p - 1];
    size_t lead = p - 1;
    bool bullet = c == '-' || c == '*' || c == '+' || c == '>';
    if (c >= 0x80)
        bullet = !s_word_codepoint (s_codepoint_before (text, p, &lead));
    if (bullet) {
        while (lead > 0 && s_is_blank (text [lead - 1]))
            lead--;
        if (lead == 0 || text [lead - 1] == '\n' || text [lead - 1] == '\r')
            return S_CONTEXT_LINE;
    }
    return S_CONTEXT_NONE;
}

static s_context_t
s_context_right (const uint8_t *text, size_t len, size_t end)
{
    size_t p = end;
    while (p < len && s_is_blank (text [p]))
        p++;
    if (p == len || text [p] == '\n' || text [p] == '\r')
        return S_CONTEXT_LINE;
    uint8_t c = text [p];
    if (c == '&')
        return s_lone_letter_after (text, len, p + 1) ? S_CONTEXT_VETO : S_CONTEXT_LIST;
    if (s_is_delimiter (c))
        return S_CONTEXT_LIST;
    if (s_is_alpha (c)) {
        size_t q = p;           //  "and" / "or": four letters tell
        while (q < len && q - p < 4 && s_is_alpha (text [q]))
            q++;
        bool word_end = q == len || !(s_is_alnum (text [q]) || text [q] == '_');
        return word_end && s_is_conjunction (text + p, q - p) ? S_CONTEXT_LIST : S_CONTEXT_NONE;
    }
    return S_CONTEXT_NONE;
}

//  True when the single letter at text[start] stands in a list
static bool
s_in_list (const uint8_t *text, size_t len, size_t start)
{
    //  "(C) 2024" is a copyright notice
    if (start > 0 && text [start - 1] == '(' && start + 1 < len && text [start + 1] == ')') {
        size_t p = start + 2;
        while (p < len && s_is_blank (text [p]))
            p++;
        if (p < len && text [p] >= '0' && text [p] <= '9')
            return false;
    }
    //  "C-suite", "R-value": a compound word
    if (start + 2 < len && text [start + 1] == '-' && s_is_alpha (text [start + 2]))
        return false;
    s_context_t left = s_context_left (text, start);
    s_context_t right = s_context_right (text, len, start + 1);
    if (left == S_CONTEXT_VETO || right == S_CONTEXT_VETO)
        return false;
    if (left == S_CONTEXT_LIST || right != S_CONTEXT_NONE)
        return true;
    //  A line-initial letter with a dot is an initial: "R. Smith"
    return left == S_CONTEXT_LINE && !(start + 1 < len && text [start + 1] == '.');
}

//  True when text[start, end) is spelling exactly, a separator run in the
//  text standing for one space in spelling.
static bool
s_spelled (const uint8_t *text, size_t start, size_t end, const char *spelling)
{
    const uint8_t *s = (const uint8_t *) spelling;
    size_t p = start;
    while (p < end && *s) {
        if (*s == ' ') {
            if (!s_is_separator (text [p]))
                return false;
            while (p < end && s_is_separator (text [p]))
                p++;
        }
        else
        if (text [p++] != *s)
            return false;
        s++;
    }
    return p == end && *s == 0;
}

//  One scan in progress
typedef struct {
    const jm_extractor_t *self;
    const uint8_t *text;
    size_t len;
    jm_mention_t *items;        //  candidates, ordered by start, then longest
    size_t count;
    size_t capacity;
} s_scan_t;

static void
s_candidate (s_scan_t *scan, int skill, size_t start, size_t end)
{
    if (scan->count == scan->capacity) {
        scan->capacity = scan->capacity ? scan->capacity * 2 : 64;
        scan->items = jm_realloc (scan->items, scan->capacity * sizeof (jm_mention_t));
    }
    //  Candidates come by end offset; move back past those starting later
    size_t i = scan->count++;
    jm_mention_t *items = scan->items;
    while (i > 0 && (items [i - 1].start > start
                 || (items [i - 1].start == start && items [i - 1].end < end))) {
        items [i] = items [i - 1];
        i--;
    }
    items [i] = (jm_mention_t) { skill, (uint32_t) start, (uint32_t) end };
}

//  Checks every key ending at end (state's own, then its dictionary chain);
//  out of line, so the scan loop keeps its variables in registers
static void __attribute__ ((noinline))
s_outputs (s_scan_t *scan, uint32_t state, size_t end)
{
    const jm_extractor_t *self = scan->self;
    const uint8_t *text = scan->text;
    int32_t node = self->term [state] >= 0 ? (int32_t) state : self->next_out [state];
    s_after_t after = s_after (text, scan->len, end);
    for (; node >= 0; node = self->next_out [node]) {
        const s_key_t *key = &self->keys [self->term [node]];
        if (after == S_AFTER_WORD || (after == S_AFTER_DIGIT && !(key->flags & S_PUNCT_END)))
            continue;
        size_t start = end - key->symbols;
        if (key->flags & S_HAS_SPACE) {
            //  Walk back one symbol at a time; a separator run is one symbol
            start = end;
            for (uint32_t k = 0; k < key->symbols; k++) {
                start--;
                if (s_is_separator (text [start]))
                    while (start > 0 && s_is_separator (text [start - 1]))
                        start--;
            }
        }
        if (s_blocks_left (text, start))
            continue;
        if (!(key->flags & S_ANY_CASE)) {
            bool spelled = false;
            for (int i = 0; i < key->variant_count && !spelled; i++)
                spelled = s_spelled (text, start, end, key->variants [i]);
            if (!spelled)
                continue;
        }
        if ((key->flags & S_LETTER) && !s_in_list (text, scan->len, start))
            continue;
        s_candidate (scan, key->skill, start, end);
    }
}

//  Bytes that glue a match to what follows (see s_after): S_AFTER_WORD for any key
static const bool s_glued [256] = {
    ['+'] = true, ['#'] = true,
    ['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true, ['F'] = true,
    ['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true, ['K'] = true, ['L'] = true,
    ['M'] = true, ['N'] = true, ['O'] = true, ['P'] = true, ['Q'] = true, ['R'] = true,
    ['S'] = true, ['T'] = true, ['U'] = true, ['V'] = true, ['W'] = true, ['X'] = true,
    ['Y'] = true, ['Z'] = true,
    ['a'] = true, ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true,
    ['g'] = true, ['h'] = true, ['i'] = true, ['j'] = true, ['k'] = true, ['l'] = true,
    ['m'] = true, ['n'] = true, ['o'] = true, ['p'] = true, ['q'] = true, ['r'] = true,
    ['s'] = true, ['t'] = true, ['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true,
    ['y'] = true, ['z'] = true
};

//  Sets err for the bad byte at offset, naming its line and column
static void
s_utf8_error (const uint8_t *text, size_t offset, jm_error_t *err)
{
    jm_text_utf8_error (text, offset, err);
}

//  Feeds the text through the automaton; the caller picks the cell width,
//  so each width gets its own loop.  Returns 0, or -1 with err set.
static inline __attribute__ ((always_inline)) long
s_run (s_scan_t *scan, bool wide, jm_error_t *err)
{
    const jm_extractor_t *self = scan->self;
    const uint8_t *bytes = scan->text;
    size_t len = scan->len;
    const uint16_t *narrow_delta = self->delta;
    const uint32_t *wide_delta = self->delta;
    const size_t *column = self->column;
    const uint32_t first_output = self->first_output;
    uint32_t state = 0;
    size_t checked = 0;         //  bytes below this are known to be valid UTF-8
    for (size_t i = 0; i < len; i++) {
        uint8_t c = bytes [i];
        if (__builtin_expect (c >= 0x80, 0) && i >= checked) {
            size_t n = s_utf8_length (bytes + i, len - i);
            if (n == 0) {
                s_utf8_error (bytes, i, err);
                return -1;
            }
            checked = i + n;
        }
        //  the column hangs on the byte only, so the state waits on one load
        state = wide ? (wide_delta + column [c]) [state] : (narrow_delta + column [c]) [state];
        //  A letter, '+' or '#' right after ends every key here: skip the
        //  outputs without looking (most hits of short keys are mid-word)
        if (__builtin_expect (state >= first_output, 0) && (i + 1 == len || !s_glued [bytes [i + 1]]))
            s_outputs (scan, state, i + 1);
    }
    return 0;
}

long
jm_extractor_scan_into (const jm_extractor_t *self, const char *text, size_t len,
                        jm_mention_t **buffer_p, size_t *capacity_p, jm_error_t *err)
{
    assert (self);
    assert (text || len == 0);
    assert (buffer_p && capacity_p);
    if (len > UINT32_MAX) {
        jm_error_set (err, JM_ERR_TOO_LARGE, "text of %zu bytes is over the 4 GiB limit", len);
        return -1;
    }
    s_scan_t scan = { self, (const uint8_t *) text, len, *buffer_p, 0, *capacity_p };
    long rc = self->wide ? s_run (&scan, true, err) : s_run (&scan, false, err);
    if (rc == 0) {
        //  Leftmost-longest: keep each candidate that starts past the last kept
        size_t kept = 0;
        uint32_t last_end = 0;
        for (size_t i = 0; i < scan.count; i++)
            if (scan.items [i].start >= last_end) {
                last_end = scan.items [i].end;
                scan.items [kept++] = scan.items [i];
            }
        rc = (long) kept;
    }
    *buffer_p = scan.items;
    *capacity_p = scan.capacity;
    return rc;
}

long
jm_extractor_scan (const jm_extractor_t *self, const char *text, size_t len,
                   jm_mention_t **mentions_p, jm_error_t *err)
{
    assert (mentions_p);
    jm_mention_t *mentions = NULL;
    size_t capacity = 0;
    long count = jm_extractor_scan_into (self, text, len, &mentions, &capacity, err);
    if (count <= 0) {
        free (mentions);
        mentions = NULL;
    }
    *mentions_p = mentions;
    return count;
}

const jm_taxonomy_t *
jm_extractor_taxonomy (const jm_extractor_t *self)
{
    return self->taxonomy;
}

int
jm_extractor_pattern_count (const jm_extractor_t *self)
{
    return self->key_count;
}

int
jm_extractor_state_count (const jm_extractor_t *self)
{
    return self->states;
}

size_t
jm_extractor_memory (const jm_extractor_t *self)
{
    size_t bytes = sizeof *self
                 + (size_t) self->states * self->classes * (self->wide ? 4 : 2)
                 + (size_t) self->states * 2 * sizeof (int32_t)
                 + (size_t) self->key_count * sizeof (s_key_t);
    for (int i = 0; i < self->key_count; i++)
        for (int k = 0; k < self->keys [i].variant_count; k++)
            bytes += sizeof (char *) + strlen (self->keys [i].variants [k]) + 1;
    return bytes;
}

int
jm_mentions_skill_set (const jm_mention_t *mentions, long count, uint64_t *skills)
{
    assert (skills);
    memset (skills, 0, JM_SKILL_WORDS * sizeof (uint64_t));
    int distinct = 0;
    for (long i = 0; i < count; i++) {
        int skill = mentions [i].skill;
        assert (skill >= 0 && skill < JM_MAX_SKILLS);
        uint64_t bit = 1ULL << (skill % 64);
        if (!(skills [skill / 64] & bit)) {
            skills [skill / 64] |= bit;
            distinct++;
        }
    }
    return distinct;
}

int
jm_mentions_summarize (const jm_mention_t *mentions, long count, jm_mention_summary_t *summary)
{
    assert (summary);
    int slot [JM_MAX_SKILLS];
    memset (slot, 0xFF, sizeof slot);
    int entries = 0;
    for (long i = 0; i < count; i++) {
        int skill = mentions [i].skill;
        assert (skill >= 0 && skill < JM_MAX_SKILLS);
        if (slot [skill] < 0) {
            slot [skill] = entries;
            summary [entries++] = (jm_mention_summary_t) {
                skill, 0, mentions [i].start, mentions [i].end
            };
        }
        summary [slot [skill]].count++;
    }
    return entries;
}
