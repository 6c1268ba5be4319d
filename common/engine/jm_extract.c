/*  jm_extract: skill extraction from free text.  See jm_extract.h for the
    matching rules.

    How it works.  Every surface form becomes a key: runs of whitespace, '-'
    and '_' become one space and ASCII letters are lowercased.  The keys go
    into one trie over a small alphabet (each byte that occurs in some key is
    a class; upper and lower case share one; the separators are class 1;
    every other byte is class 0), packed as a double array: the children of
    the state in slot s sit in slots base[s] + class, each holding s as its
    check, so a step is two loads and a compare, and the taxonomy's ~11,500
    states take about 200 KB.

    The scan is anchored: a key may only start where the left-boundary rule
    lets it (not after a letter or digit, nor after a '.' that follows one,
    nor after a letter of an alphabetic script), so the trie is walked only
    from those places, never from mid-word.  And since a letter or digit
    right after a key rejects it, a key that starts at a word (a run of
    ASCII letters and digits) must begin with that whole word.  So the scan
    takes the text 64 bytes at a time, makes bit masks of letters and
    digits, '.' and non-ASCII bytes (SSE2 where there is SSE2), and from
    them where words end and which places are open; each open word costs a
    hash of its bytes and a look in a bitmap of the keys' first words.  Only
    a word some key begins with is looked up in a table of first words,
    which gives the trie state after it, and the walk goes on from there;
    places where a key begins with something else (".net", "Über") walk
    from the root.  A walk checks each key it passes against the rules
    (right boundary, exact case for ambiguous forms, list context for
    single letters) and keeps the longest that passes; a separator run in
    the text counts as one space.  Places are visited in text order, so the
    first mention found at a place is the leftmost-longest one: the scan
    records it and goes on from its end.  UTF-8 is validated on the way,
    non-ASCII bytes only, in text order (the bytes a mention skips are a
    key's).                                                                 */
#include "jm_extract.h"
#include "jm_text.h"
#include "jm_alloc.h"

#include <assert.h>
#if defined (__SSE2__)
#include <emmintrin.h>
#endif
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define S_CLASS_OTHER   0       //  a byte no key contains
#define S_CLASS_SPACE   1       //  whitespace, '-' and '_'; runs are collapsed

#define S_WORD_BITS     16      //  size of the first-word bitmap: 2^16 bits

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

//  One slot of the double array: a state of the trie
typedef struct {
    int32_t base;               //  its children sit in slots base + class
    int32_t check;              //  the slot of its parent; S_SLOT_FREE when none is here
    int32_t key;                //  index of the key ending here, or -1
} s_slot_t;

//  A key's first word, with where the trie stands after it
typedef struct {
    uint32_t hash;              //  s_word_hash of the word
    uint32_t len;               //  0: an empty entry
    uint32_t offset;            //  the word, lower case, in words_text
    int32_t slot;               //  the trie state after the word
    int32_t key;                //  the key the word is, or -1
    uint64_t follow;            //  bit c: the state has a child on class c < 64
} s_word_t;

#define S_SLOT_FREE     -1
#define S_SLOT_ROOT     -2

struct _jm_extractor_t {
    const jm_taxonomy_t *taxonomy;
    uint8_t map [256];          //  byte -> class
    uint8_t starts [256];       //  1 for the bytes some key begins with
    bool odd_starts;            //  some key begins with an ASCII byte other than a letter, digit or '.'
    uint64_t first_words [(1 << S_WORD_BITS) / 64];     //  bits of s_word_bit (first word)
    s_word_t *words;            //  the keys' first words, open addressing by s_word_bit
    uint32_t word_mask;         //  entries - 1
    char *words_text;
    size_t words_text_len;
    uint32_t classes;
    s_slot_t *slots;            //  the trie as a double array; the root in slot 0
    size_t slot_count;
    int states;
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

//  A word is a run of ASCII letters and digits.  A key can match from a
//  word's first byte only when the key begins with that word, case aside,
//  as a whole (a letter or digit after a key ends it: see s_after), so a
//  bitmap of the hashes of the keys' first words lets the scan pass over
//  most words without walking the trie.
//  The 8 bytes at p, of which avail (may be less) are there, zeros past
static inline uint64_t
s_load8 (const uint8_t *p, size_t avail)
{
    uint64_t word = 0;
    if (__builtin_expect (avail >= 8, 1))
        memcpy (&word, p, 8);
    else {
        uint8_t bytes [8] = { 0 };
        memcpy (bytes, p, avail);
        memcpy (&word, bytes, 8);
    }
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64 (word);    //  byte k in bits 8k: the masks count on it
#endif
    return word;
}

//  Hash of the word p [0, len), letters and digits, case aside; avail >=
//  len bytes may be read from p.  Eight bytes at a time, without a loop.
static inline uint32_t
s_word_hash (const uint8_t *p, size_t len, size_t avail)
{
    uint64_t low_mask = len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
    uint64_t high_mask = len >= 16 ? ~0ULL : len <= 8 ? 0 : (1ULL << ((len - 8) * 8)) - 1;
    //  | 0x20: lower case for letters, digits as they are
    uint64_t low = (s_load8 (p, avail) | 0x2020202020202020ULL) & low_mask;
    uint64_t high = len > 8 ? (s_load8 (p + 8, avail - 8) | 0x2020202020202020ULL) & high_mask : 0;
    uint64_t hash = (low ^ len) * 0x9E3779B97F4A7C15ULL ^ high * 0xC2B2AE3D27D4EB4FULL;
    return (uint32_t) (hash >> 32 ^ hash);
}

//  The word's bit in the first-word bitmap
static inline uint32_t
s_word_bit (uint32_t hash)
{
    return hash >> (32 - S_WORD_BITS);
}

//  Where a word's entry goes in the table (mask: entries - 1)
static inline uint32_t
s_word_home (uint32_t hash, uint32_t mask)
{
    return (hash * 0x85EBCA6Bu) >> 7 & mask;
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

//  The first free slot at or after k, or capacity when there is none below
//  it.  skip [i] (i itself while unknown) points at or before the first
//  free slot past a taken slot i; the walk shortens the pointers it takes.
static size_t
s_free_slot (const s_slot_t *slots, size_t *skip, size_t capacity, size_t k)
{
    size_t at = k;
    while (at < capacity && slots [at].check != S_SLOT_FREE)
        at = skip [at] > at ? skip [at] : at + 1;
    for (size_t p = k; p < at && p < capacity; ) {
        size_t next = skip [p] > p ? skip [p] : p + 1;
        skip [p] = at;
        p = next;
    }
    return at;
}

//  Packs the trie goto_ (a row of classes per state, 0 where there is no
//  edge; term: the key ending at each state, or -1) into a double array
//  (slot_of: where each state went): the children of the state in slot s
//  sit in slots base + class, each holding s as its check, so a step is two
//  loads and a compare.  States are placed breadth-first, so the shallow ones a
//  walk visits most sit together.
static void
s_pack (jm_extractor_t *self, const uint32_t *goto_, const int32_t *term, int32_t *slot_of)
{
    int states = self->states;
    uint32_t width = self->classes;
    size_t capacity = (size_t) states + width;
    s_slot_t *slots = jm_malloc (capacity * sizeof (s_slot_t));
    size_t *skip = jm_malloc (capacity * sizeof (size_t));
    for (size_t k = 0; k < capacity; k++) {
        slots [k] = (s_slot_t) { 0, S_SLOT_FREE, -1 };
        skip [k] = k;
    }
    int32_t *queue = jm_malloc ((size_t) states * sizeof (int32_t));
    uint32_t *children = jm_malloc (width * sizeof (uint32_t));
    slots [0] = (s_slot_t) { 0, S_SLOT_ROOT, term [0] };
    slot_of [0] = 0;
    size_t head = 0, tail = 0, first_free = 1, top = 1;     //  top: past the last slot used
    queue [tail++] = 0;
    while (head < tail) {
        int32_t state = queue [head++];
        const uint32_t *row = &goto_ [(size_t) state * width];
        uint32_t count = 0;
        for (uint32_t cls = 0; cls < width; cls++)
            if (row [cls])
                children [count++] = cls;
        if (count == 0)
            continue;           //  base 0: no slot has this one as its check
        //  try the free slots for the first child in turn (skip jumps over
        //  runs of taken ones), so the search is not quadratic
        size_t first = s_free_slot (slots, skip, capacity,
                                    first_free > children [0] ? first_free : children [0] + 1);
        size_t base;
        while (true) {
            base = first - children [0];
            if (base + width > capacity) {
                size_t grown = (base + width) * 2;
                slots = jm_realloc (slots, grown * sizeof (s_slot_t));
                skip = jm_realloc (skip, grown * sizeof (size_t));
                for (size_t k = capacity; k < grown; k++) {
                    slots [k] = (s_slot_t) { 0, S_SLOT_FREE, -1 };
                    skip [k] = k;
                }
                capacity = grown;
            }
            uint32_t k = 1;
            while (k < count && slots [base + children [k]].check == S_SLOT_FREE)
                k++;
            if (k == count)
                break;
            first = s_free_slot (slots, skip, capacity, first + 1);
        }
        assert (base <= INT32_MAX - width);
        slots [slot_of [state]].base = (int32_t) base;
        top = base + width > top ? base + width : top;
        for (uint32_t k = 0; k < count; k++) {
            uint32_t child = row [children [k]];
            size_t slot = base + children [k];
            slots [slot] = (s_slot_t) { 0, slot_of [state], term [child] };
            slot_of [child] = (int32_t) slot;
            queue [tail++] = (int32_t) child;
        }
        while (slots [first_free].check != S_SLOT_FREE)
            first_free++;
    }
    //  every base + class stays inside the array
    self->slot_count = top;
    assert (self->slot_count <= capacity);
    self->slots = jm_realloc (slots, self->slot_count * sizeof (s_slot_t));
    for (int c = 0; c < 256; c++) {
        self->starts [c] = goto_ [self->map [c]] != 0;
        self->odd_starts |= self->starts [c] && c < 0x80 && !s_is_alnum ((uint8_t) c) && c != '.';
    }
    free (queue);
    free (children);
    free (skip);
}

//  Puts the keys' first words (list, their trie states numbered as before
//  s_pack) into the open addressing table and the bitmap.
static void
s_index_words (jm_extractor_t *self, const s_word_t *list, size_t count, const int32_t *slot_of)
{
    size_t size = 64;
    while (size < 2 * count)
        size *= 2;
    self->words = jm_calloc (size, sizeof (s_word_t));
    self->word_mask = (uint32_t) size - 1;
    for (size_t i = 0; i < count; i++) {
        uint32_t bit = s_word_bit (list [i].hash);
        self->first_words [bit / 64] |= 1ULL << (bit % 64);
        uint32_t at = s_word_home (list [i].hash, self->word_mask);
        while (self->words [at].len)
            at = (at + 1) & self->word_mask;
        s_word_t *word = &self->words [at];
        *word = list [i];
        word->slot = slot_of [list [i].slot];
        word->key = self->slots [word->slot].key;
        word->follow = 0;
        for (uint32_t cls = 0; cls < self->classes && cls < 64; cls++) {
            size_t child = (size_t) self->slots [word->slot].base + cls;
            if (self->slots [child].check == word->slot)
                word->follow |= 1ULL << cls;
        }
    }
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
    int32_t *term = jm_malloc (capacity * sizeof (int32_t));
    self->keys = jm_calloc ((size_t) form_count + 1, sizeof (s_key_t));
    char *spelling = jm_malloc (longest + 1);
    char *key = jm_malloc (longest + 1);
    term [0] = -1;
    self->states = 1;
    bool *seen_any_case = jm_calloc ((size_t) form_count + 1, sizeof (bool));
    bool *ambiguous = jm_calloc ((size_t) form_count + 1, sizeof (bool));
    bool *first_word = jm_calloc (capacity, sizeof (bool));     //  per state: ends a first word listed
    s_word_t *word_list = NULL;
    size_t word_count = 0, word_room = 0, text_len = 0;
    char *words_text = jm_calloc (total + 1 + 8, 1);     //  8 more: s_word_find loads 8 at a time

    for (int i = 0; i < form_count; i++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, i);
        size_t len = s_collapse (form->text, spelling);
        if (len == 0)
            continue;
        bool has_space = false;
        uint32_t state = 0, word_state = 0;
        size_t word_len = 0;    //  the first word: the letters and digits the key begins with
        while (word_len < len && s_is_alnum ((uint8_t) spelling [word_len]))
            word_len++;
        for (size_t k = 0; k < len; k++) {
            key [k] = (char) s_lower ((uint8_t) spelling [k]);
            has_space |= key [k] == ' ';
            uint32_t cls = self->map [(uint8_t) key [k]];
            uint32_t *cell = &goto_ [state * self->classes + cls];
            if (*cell == 0) {
                *cell = (uint32_t) self->states;
                term [self->states] = -1;
                self->states++;
            }
            state = *cell;
            if (k + 1 == word_len)
                word_state = state;
        }
        key [len] = 0;
        if (word_len > 0 && !first_word [word_state]) {
            //  a first word not seen yet
            first_word [word_state] = true;
            if (word_count == word_room) {
                word_room = word_room ? word_room * 2 : 256;
                word_list = jm_realloc (word_list, word_room * sizeof (s_word_t));
            }
            uint32_t hash = s_word_hash ((const uint8_t *) key, word_len, word_len);
            word_list [word_count++] = (s_word_t) {
                hash, (uint32_t) word_len, (uint32_t) text_len, (int32_t) word_state, -1, 0
            };
            memcpy (words_text + text_len, key, word_len);
            text_len += word_len;
        }
        int index = term [state];
        if (index < 0) {
            index = self->key_count++;
            term [state] = index;
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

    int32_t *slot_of = jm_malloc ((size_t) self->states * sizeof (int32_t));
    s_pack (self, goto_, term, slot_of);
    s_index_words (self, word_list, word_count, slot_of);
    self->words_text = words_text;
    self->words_text_len = text_len;
    free (word_list);
    free (first_word);
    free (slot_of);
    free (goto_);
    free (term);
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
    free (self->slots);
    free (self->words);
    free (self->words_text);
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
    jm_mention_t *items;        //  accepted mentions, in text order
    size_t count;
    size_t capacity;
} s_scan_t;

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

//  True when the key passes the rules for ambiguous forms and single
//  letters; out of line, as few keys have them
static bool __attribute__ ((noinline))
s_accepts_rare (const s_scan_t *scan, const s_key_t *key, size_t start, size_t end)
{
    const uint8_t *text = scan->text;
    if (!(key->flags & S_ANY_CASE)) {
        bool spelled = false;
        for (int i = 0; i < key->variant_count && !spelled; i++)
            spelled = s_spelled (text, start, end, key->variants [i]);
        if (!spelled)
            return false;
    }
    return !(key->flags & S_LETTER) || s_in_list (text, scan->len, start);
}

//  True when the key index passes the rules that look past the left
//  boundary (checked by the caller) for text[start, end), of which the
//  byte after (when there is one) is no letter, '+' or '#' (s_glued)
static inline bool
s_accepts (const s_scan_t *scan, int32_t index, size_t start, size_t end)
{
    const s_key_t *key = &scan->self->keys [index];
    const uint8_t *text = scan->text;
    if (end < scan->len && (text [end] >= 0x80 || text [end] == '.' || (text [end] >= '0' && text [end] <= '9'))) {
        s_after_t after = s_after (text, scan->len, end);
        if (after == S_AFTER_WORD || (after == S_AFTER_DIGIT && !(key->flags & S_PUNCT_END)))
            return false;
    }
    return (key->flags & S_ANY_CASE) && !(key->flags & S_LETTER) ? true : s_accepts_rare (scan, key, start, end);
}

//  Appends the mention of key at text[start, end)
static inline void
s_record (s_scan_t *scan, int32_t key, size_t start, size_t end)
{
    if (scan->count == scan->capacity) {
        scan->capacity = scan->capacity ? scan->capacity * 2 : 64;
        scan->items = jm_realloc (scan->items, scan->capacity * sizeof (jm_mention_t));
    }
    scan->items [scan->count++] = (jm_mention_t) {
        scan->self->keys [key].skill, (uint32_t) start, (uint32_t) end
    };
}

//  Walks the trie on from text[from] in state (the root, or the state after
//  the word text[start, from)) for a key starting at text[start], a place
//  a key may start, and records the longest key that passes every rule.
//  Returns the end of that mention, or 0 when there is none.
static inline size_t
s_walk (s_scan_t *scan, size_t start, size_t from, int32_t state)
{
    const jm_extractor_t *self = scan->self;
    const s_slot_t *slots = self->slots;
    const uint8_t *map = self->map;
    const uint8_t *text = scan->text;
    size_t len = scan->len;
    int32_t best = 0;
    size_t best_end = 0;
    for (size_t i = from; ; i++) {
        //  A letter, '+' or '#' right after ends no key: most ends of short
        //  keys are mid-word
        if (slots [state].key >= 0 && (i == len || !s_glued [text [i]])
        &&  s_accepts (scan, slots [state].key, start, i)) {
            best = state;
            best_end = i;
        }
        if (i == len)
            break;
        uint32_t cls = map [text [i]];
        //  a separator run is one space (text [start] is no separator)
        if (cls == S_CLASS_SPACE && map [text [i - 1]] == S_CLASS_SPACE)
            continue;
        int32_t next = slots [state].base + (int32_t) cls;
        if (slots [next].check != state)
            break;
        state = next;
    }
    if (best_end)
        s_record (scan, slots [best].key, start, best_end);
    return best_end;
}

//  Bits of 64 bytes, bit k for byte k
typedef struct {
    uint64_t alnum;             //  ASCII letters and digits
    uint64_t dot;               //  '.'
    uint64_t high;              //  non-ASCII
} s_masks_t;

static inline s_masks_t
s_masks (const uint8_t *p)
{
    s_masks_t masks = { 0, 0, 0 };
#if defined (__SSE2__)
    for (int k = 0; k < 4; k++) {
        __m128i bytes = _mm_loadu_si128 ((const __m128i *) (p + 16 * k));
        __m128i lower = _mm_or_si128 (bytes, _mm_set1_epi8 (0x20));
        //  signed compares: non-ASCII bytes are negative, so neither
        __m128i letter = _mm_and_si128 (_mm_cmpgt_epi8 (lower, _mm_set1_epi8 ('a' - 1)),
                                        _mm_cmplt_epi8 (lower, _mm_set1_epi8 ('z' + 1)));
        __m128i digit = _mm_and_si128 (_mm_cmpgt_epi8 (bytes, _mm_set1_epi8 ('0' - 1)),
                                       _mm_cmplt_epi8 (bytes, _mm_set1_epi8 ('9' + 1)));
        masks.alnum |= (uint64_t) (uint16_t) _mm_movemask_epi8 (_mm_or_si128 (letter, digit)) << (16 * k);
        masks.dot |= (uint64_t) (uint16_t) _mm_movemask_epi8 (_mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('.'))) << (16 * k);
        masks.high |= (uint64_t) (uint16_t) _mm_movemask_epi8 (bytes) << (16 * k);
    }
#else
    for (int k = 0; k < 64; k++) {
        masks.alnum |= (uint64_t) s_is_alnum (p [k]) << k;
        masks.dot |= (uint64_t) (p [k] == '.') << k;
        masks.high |= (uint64_t) (p [k] >= 0x80) << k;
    }
#endif
    return masks;
}

//  The entry of the word text [0, len) (letters and digits, hash its
//  s_word_hash; avail >= len bytes may be read) when some key begins with
//  it, else NULL
static inline const s_word_t *
s_word_find (const jm_extractor_t *self, const uint8_t *text, size_t len, size_t avail, uint32_t hash)
{
    uint32_t bit = s_word_bit (hash);
    if (!(self->first_words [bit / 64] >> (bit % 64) & 1))
        return NULL;
    for (uint32_t at = s_word_home (hash, self->word_mask); self->words [at].len;
         at = (at + 1) & self->word_mask) {
        const s_word_t *word = &self->words [at];
        if (word->hash != hash || word->len != len)
            continue;
        const char *lower = self->words_text + word->offset;
        if (len <= 8) {
            //  eight bytes at once (words_text has eight to spare)
            uint64_t mask = len == 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
            uint64_t mine = s_load8 (text, avail) | 0x2020202020202020ULL;
            if (((mine ^ s_load8 ((const uint8_t *) lower, 8)) & mask) == 0)
                return word;
            continue;
        }
        size_t k = 0;
        while (k < len && (text [k] | 0x20) == (uint8_t) lower [k])
            k++;
        if (k == len)
            return word;
    }
    return NULL;
}

//  Looks for keys at every place one may start (as s_blocks_left rules), in
//  text order, skipping what an accepted mention covers.  64 bytes at a
//  time: bit masks tell where words end and which places are open; a word
//  costs a hash and a look in the first-word bitmap, and only the words
//  some key begins with (and the places where a key begins with
//  punctuation, ".net") walk the trie.  Validates UTF-8 on the way:
//  returns the offset of the first bad byte, or len.
static size_t
s_run (s_scan_t *scan)
{
    const jm_extractor_t *self = scan->self;
    const uint8_t *text = scan->text;
    size_t len = scan->len;
    size_t word = 0;            //  the word running into the block: where it starts,
    bool word_open = false;     //  and whether a key may start there
    size_t checked = 0;         //  bytes below are valid UTF-8
    size_t base = 0;
    while (base <= len) {
        s_masks_t masks;
        if (base + 64 <= len)
            masks = s_masks (text + base);
        else {
            uint8_t last [64] = { 0 };
            if (len > base)     //  text may be NULL when len is 0
                memcpy (last, text + base, len - base);
            masks = s_masks (last);
        }
        //  bit k of X1 (X2) tells of the byte one (two) before byte k
        uint64_t before = base >= 1 && s_is_alnum (text [base - 1]);
        uint64_t before2 = base >= 2 && s_is_alnum (text [base - 2]);
        uint64_t alnum1 = masks.alnum << 1 | before;
        uint64_t alnum2 = masks.alnum << 2 | before << 1 | before2;
        uint64_t dot1 = masks.dot << 1 | (base >= 1 && text [base - 1] == '.');
        uint64_t high1 = masks.high << 1 | (base >= 1 && text [base - 1] >= 0x80);
        //  open by the ASCII rules; after a non-ASCII character, ask s_blocks_left
        uint64_t open = ~alnum1 & ~(dot1 & alnum2) & ~high1;
        uint64_t starts = masks.alnum & ~alnum1;
        uint64_t ends = ~masks.alnum & alnum1;
        //  Bytes other than letters and digits that begin a key (".net",
        //  "Über"); non-ASCII characters are validated here, in text order
        //  (the bytes a mention skips are a key's, so valid)
        uint64_t odd = self->starts ['.'] ? masks.dot : 0;
        for (uint64_t high = masks.high; high; high &= high - 1) {
            unsigned k = (unsigned) __builtin_ctzll (high);
            if (base + k >= checked) {
                size_t n = s_utf8_length (text + base + k, len - base - k);
                if (n == 0)
                    return base + k;
                checked = base + k + n;
            }
            odd |= (uint64_t) self->starts [text [base + k]] << k;
        }
        if (self->odd_starts) {
            size_t count = len - base < 64 ? len - base : 64;
            for (size_t k = 0; k < count; k++)
                odd |= (uint64_t) (self->starts [text [base + k]] && text [base + k] < 0x80
                                   && !s_is_alnum (text [base + k])) << k;
        }
        odd &= open | high1;
        uint64_t limit = len - base < 64 ? (2ULL << (len - base)) - 1 : ~0ULL;
        uint64_t events = (ends | odd) & limit;
        size_t resume = 0;
        while (events) {
            unsigned k = (unsigned) __builtin_ctzll (events);
            events &= events - 1;
            size_t at = base + k;
            size_t end = 0;
            if (odd >> k & 1) {
                if ((open >> k & 1) || !s_blocks_left (text, at))
                    end = s_walk (scan, at, at, 0);
            }
            else {
                //  a word ends at at: where did it start
                uint64_t earlier = starts & ((1ULL << k) - 1);
                size_t start = word;
                bool start_open = word_open;
                if (earlier) {
                    unsigned j = 63 - (unsigned) __builtin_clzll (earlier);
                    start = base + j;
                    start_open = (open >> j & 1) || ((high1 >> j & 1) && !s_blocks_left (text, start));
                }
                if (start_open) {
                    uint32_t hash = s_word_hash (text + start, at - start, len - start);
                    const s_word_t *entry = s_word_find (self, text + start, at - start, len - start, hash);
                    uint32_t cls = at < len ? self->map [text [at]] : S_CLASS_OTHER;
                    if (entry && (cls >= 64 || (entry->follow >> cls & 1)))
                        end = s_walk (scan, start, at, entry->slot);
                    else
                    if (entry && entry->key >= 0 && (at == len || !s_glued [text [at]])
                    &&  s_accepts (scan, entry->key, start, at)) {
                        //  the word is a key, and no longer one goes on from here
                        s_record (scan, entry->key, start, at);
                        end = at;
                    }
                }
            }
            if (end >= base + 64) {
                resume = end;
                break;
            }
            if (end) {
                //  leftmost-longest: on past the mention, in this block;
                //  a word that began inside it is no place to start
                uint64_t past = ~0ULL << (end - base);
                events &= past;
                starts &= past;
                word_open = false;
            }
        }
        if (resume) {
            //  leftmost-longest: the next mention starts past this one
            base = resume;
            word_open = false;
            continue;
        }
        if (masks.alnum >> 63 & 1 && starts) {
            unsigned j = 63 - (unsigned) __builtin_clzll (starts);
            word = base + j;
            word_open = (open >> j & 1) || ((high1 >> j & 1) && !s_blocks_left (text, word));
        }
        base += 64;
    }
    return len;
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
    size_t bad = s_run (&scan);
    *buffer_p = scan.items;
    *capacity_p = scan.capacity;
    if (bad < len) {
        jm_text_utf8_error ((const uint8_t *) text, bad, err);
        return -1;
    }
    return (long) scan.count;
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
                 + self->slot_count * sizeof (s_slot_t)
                 + ((size_t) self->word_mask + 1) * sizeof (s_word_t) + self->words_text_len
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
