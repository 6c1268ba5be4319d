/*  jm_text: plain text with a map to the original.  See jm_text.h for the
    rules.

    How it works.  A survey pass over the original validates UTF-8 and
    looks for anything to clean (16 bytes at a time past the bytes that can
    start nothing; most résumés have nothing) and whether the text is HTML.
    When something needs cleaning, one pass copies runs of ordinary bytes
    (found the same way) and handles each special byte ('<',
    '&', Markdown markers, the lead bytes of the characters to fold) in
    place.  The map is a list of pieces: a run copied as is (plain byte k
    of it is original byte raw + k), or the plain bytes of one replaced
    character, entity or tag (each maps to all of raw [raw, raw_end)), so
    an ordinary run costs one entry however long.  At each line break, the
    plain text so far ending in a hyphenated word that rejoins loses its
    hyphen and the break (the pieces behind it are cut).  Every look
    ahead for a closing ']' ')' '>' or "</script" remembers where it got,
    so no input makes the passes worse than linear.                         */
#include "jm_text.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined (__SSE2__)
#include <emmintrin.h>
#endif
#include "jm_normalize.h"
#include "jm_alloc.h"

#define S_REPLACEMENT   0xFFFD      //  for &#0;, surrogates and past U+10FFFF
#define S_WORD_MAX      48          //  bytes of a word looked at around a hyphenated break
#define S_LINK_TEXT_MAX 1024        //  longest [text] of a Markdown link
#define S_LINK_URL_MAX  4096        //  longest (url) of a Markdown link

void
jm_text_utf8_error (const uint8_t *text, size_t offset, jm_error_t *err)
{
    int line = 1, column = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text [i] == '\n') {
            line++;
            column = 1;
        }
        else
        if ((text [i] & 0xC0) != 0x80)
            column++;
    }
    jm_error_set_at (err, JM_ERR_INVALID_REQUEST, line, column,
                     "text is not valid UTF-8 at line %d, column %d (byte %zu)",
                     line, column, offset);
}

static inline bool
s_is_alpha (uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
s_is_alnum (uint8_t c)
{
    return s_is_alpha (c) || (c >= '0' && c <= '9');
}

static inline bool
s_is_space (uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline uint8_t
s_lower (uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t) (c + 32) : c;
}

static uint32_t
s_decode (const uint8_t *p, size_t n)
{
    switch (n) {
        case 2: return (uint32_t) (p [0] & 0x1F) << 6 | (p [1] & 0x3F);
        case 3: return (uint32_t) (p [0] & 0x0F) << 12 | (uint32_t) (p [1] & 0x3F) << 6 | (p [2] & 0x3F);
        case 4: return (uint32_t) (p [0] & 0x07) << 18 | (uint32_t) (p [1] & 0x3F) << 12
                     | (uint32_t) (p [2] & 0x3F) << 6 | (p [3] & 0x3F);
        default: return p [0];
    }
}

static size_t
s_encode (uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out [0] = (uint8_t) cp;
        return 1;
    }
    if (cp < 0x800) {
        out [0] = (uint8_t) (0xC0 | cp >> 6);
        out [1] = (uint8_t) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out [0] = (uint8_t) (0xE0 | cp >> 12);
        out [1] = (uint8_t) (0x80 | ((cp >> 6) & 0x3F));
        out [2] = (uint8_t) (0x80 | (cp & 0x3F));
        return 3;
    }
    out [0] = (uint8_t) (0xF0 | cp >> 18);
    out [1] = (uint8_t) (0x80 | ((cp >> 12) & 0x3F));
    out [2] = (uint8_t) (0x80 | ((cp >> 6) & 0x3F));
    out [3] = (uint8_t) (0x80 | (cp & 0x3F));
    return 4;
}

//  ---------------------------------------------------------------------
//  Characters: what becomes of one code point

typedef enum {
    S_FOLD_KEEP,                //  as it is
    S_FOLD_DROP,                //  zero-width: nothing
    S_FOLD_SOFT_HYPHEN,         //  nothing, and a line break after it rejoins
    S_FOLD_CHAR,                //  the one letter **ascii
    S_FOLD_ASCII                //  the letters of the string *ascii
} s_fold_t;

static s_fold_t
s_fold (uint32_t cp, const char **ascii)
{
    static const char *ligatures [] = { "ff", "fi", "fl", "ffi", "ffl", "st", "st" };
    static const char *ascii_table =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    if (cp == 0xAD)
        return S_FOLD_SOFT_HYPHEN;
    if ((cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF)
        return S_FOLD_DROP;
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
        *ascii = ascii_table + (cp - 0xFF00);
        return S_FOLD_CHAR;
    }
    if (cp == 0x3000 || cp == 0xA0 || cp == 0x2007 || cp == 0x202F) {
        *ascii = " ";
        return S_FOLD_ASCII;
    }
    if (cp >= 0xFB00 && cp <= 0xFB06) {
        *ascii = ligatures [cp - 0xFB00];
        return S_FOLD_ASCII;
    }
    return S_FOLD_KEEP;
}

//  True when the UTF-8 character at p (n bytes) is one s_fold changes;
//  cheap on the lead bytes the survey sees.
static bool
s_folds (const uint8_t *p, size_t n)
{
    const char *ascii;
    return s_fold (s_decode (p, n), &ascii) != S_FOLD_KEEP;
}

//  ---------------------------------------------------------------------
//  Entities

typedef struct {
    const char *name;
    uint8_t name_len;
    uint16_t cp;
} s_entity_name_t;

static const s_entity_name_t s_entity_names [] = {
    { "amp", 3, '&' }, { "lt", 2, '<' }, { "gt", 2, '>' }, { "quot", 4, '"' }, { "apos", 4, '\'' },
    { "nbsp", 4, 0xA0 }, { "shy", 3, 0xAD }, { "ndash", 5, 0x2013 }, { "mdash", 5, 0x2014 },
    { "bull", 4, 0x2022 }, { "hellip", 6, 0x2026 }, { "copy", 4, 0xA9 }, { "reg", 3, 0xAE },
    { "trade", 5, 0x2122 }, { "laquo", 5, 0xAB }, { "raquo", 5, 0xBB }, { "lsquo", 5, 0x2018 },
    { "rsquo", 5, 0x2019 }, { "ldquo", 5, 0x201C }, { "rdquo", 5, 0x201D }, { "sbquo", 5, 0x201A },
    { "bdquo", 5, 0x201E }, { "middot", 6, 0xB7 }, { "euro", 4, 0x20AC }, { "pound", 5, 0xA3 },
    { "yen", 3, 0xA5 }, { "cent", 4, 0xA2 }, { "sect", 4, 0xA7 }, { "deg", 3, 0xB0 }, { "plusmn", 6, 0xB1 },
    { "times", 5, 0xD7 }, { "divide", 6, 0xF7 }, { "para", 4, 0xB6 }, { "iexcl", 5, 0xA1 },
    { "iquest", 6, 0xBF }, { "ensp", 4, 0x2002 }, { "emsp", 4, 0x2003 }, { "thinsp", 6, 0x2009 },
    { "zwnj", 4, 0x200C }, { "zwj", 3, 0x200D }, { "lrm", 3, 0x200E }, { "rlm", 3, 0x200F },
    { "dagger", 6, 0x2020 }, { "Dagger", 6, 0x2021 }, { "permil", 6, 0x2030 }, { "larr", 4, 0x2190 },
    { "rarr", 4, 0x2192 }, { "uarr", 4, 0x2191 }, { "darr", 4, 0x2193 }, { "harr", 4, 0x2194 },
    { "minus", 5, 0x2212 }, { "le", 2, 0x2264 }, { "ge", 2, 0x2265 }, { "ne", 2, 0x2260 },
    { "check", 5, 0x2713 }, { "star", 4, 0x2606 }, { "starf", 5, 0x2605 }, { "ordf", 4, 0xAA },
    { "ordm", 4, 0xBA }, { "micro", 5, 0xB5 }, { "sup1", 4, 0xB9 }, { "sup2", 4, 0xB2 }, { "sup3", 4, 0xB3 },
    { "frac12", 6, 0xBD }, { "frac14", 6, 0xBC }, { "frac34", 6, 0xBE },
    { "Agrave", 6, 0xC0 }, { "Aacute", 6, 0xC1 }, { "Acirc", 5, 0xC2 }, { "Atilde", 6, 0xC3 },
    { "Auml", 4, 0xC4 }, { "Aring", 5, 0xC5 }, { "AElig", 5, 0xC6 }, { "Ccedil", 6, 0xC7 },
    { "Egrave", 6, 0xC8 }, { "Eacute", 6, 0xC9 }, { "Ecirc", 5, 0xCA }, { "Euml", 4, 0xCB },
    { "Igrave", 6, 0xCC }, { "Iacute", 6, 0xCD }, { "Icirc", 5, 0xCE }, { "Iuml", 4, 0xCF },
    { "ETH", 3, 0xD0 }, { "Ntilde", 6, 0xD1 }, { "Ograve", 6, 0xD2 }, { "Oacute", 6, 0xD3 },
    { "Ocirc", 5, 0xD4 }, { "Otilde", 6, 0xD5 }, { "Ouml", 4, 0xD6 }, { "Oslash", 6, 0xD8 },
    { "Ugrave", 6, 0xD9 }, { "Uacute", 6, 0xDA }, { "Ucirc", 5, 0xDB }, { "Uuml", 4, 0xDC },
    { "Yacute", 6, 0xDD }, { "THORN", 5, 0xDE }, { "szlig", 5, 0xDF }, { "agrave", 6, 0xE0 },
    { "aacute", 6, 0xE1 }, { "acirc", 5, 0xE2 }, { "atilde", 6, 0xE3 }, { "auml", 4, 0xE4 },
    { "aring", 5, 0xE5 }, { "aelig", 5, 0xE6 }, { "ccedil", 6, 0xE7 }, { "egrave", 6, 0xE8 },
    { "eacute", 6, 0xE9 }, { "ecirc", 5, 0xEA }, { "euml", 4, 0xEB }, { "igrave", 6, 0xEC },
    { "iacute", 6, 0xED }, { "icirc", 5, 0xEE }, { "iuml", 4, 0xEF }, { "eth", 3, 0xF0 },
    { "ntilde", 6, 0xF1 }, { "ograve", 6, 0xF2 }, { "oacute", 6, 0xF3 }, { "ocirc", 5, 0xF4 },
    { "otilde", 6, 0xF5 }, { "ouml", 4, 0xF6 }, { "oslash", 6, 0xF8 }, { "ugrave", 6, 0xF9 },
    { "uacute", 6, 0xFA }, { "ucirc", 5, 0xFB }, { "uuml", 4, 0xFC }, { "yacute", 6, 0xFD },
    { "thorn", 5, 0xFE }, { "yuml", 4, 0xFF }, { "OElig", 5, 0x152 }, { "oelig", 5, 0x153 },
    { "Scaron", 6, 0x160 }, { "scaron", 6, 0x161 }, { "Yuml", 4, 0x178 }, { "fnof", 4, 0x192 },
    { "circ", 4, 0x2C6 }, { "tilde", 5, 0x2DC }
};

//  Windows-1252 for the C1 range, as HTML reads &#128; .. &#159;
static const uint16_t s_cp1252 [32] = {
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
    0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178
};

#define S_DIGITS_MAX 32         //  digits of a numeric entity, leading zeros included

//  Reads an entity at raw [i] ('&').  Returns its length (the ';' included)
//  and sets *cp, or 0 when it is not one.
static size_t
s_entity (const uint8_t *raw, size_t len, size_t i, uint32_t *cp)
{
    size_t p = i + 1;
    if (p < len && raw [p] == '#') {
        p++;
        bool hex = p < len && (raw [p] == 'x' || raw [p] == 'X');
        p += hex;
        size_t digits = 0;
        uint32_t value = 0;
        while (p < len && digits <= S_DIGITS_MAX) {
            uint8_t c = raw [p];
            uint32_t d;
            if (c >= '0' && c <= '9')
                d = (uint32_t) (c - '0');
            else
            if (hex && s_lower (c) >= 'a' && s_lower (c) <= 'f')
                d = (uint32_t) (s_lower (c) - 'a' + 10);
            else
                break;
            value = value * (hex ? 16 : 10) + d;
            if (value > 0x10FFFF)
                value = 0x110000;           //  saturated: past Unicode
            digits++;
            p++;
        }
        if (digits == 0 || digits > S_DIGITS_MAX || p >= len || raw [p] != ';')
            return 0;
        if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
            value = S_REPLACEMENT;
        else
        if (value >= 0x80 && value <= 0x9F)
            value = s_cp1252 [value - 0x80];
        *cp = value;
        return p + 1 - i;
    }
    size_t name = p;
    while (p < len && p - name < 8 && s_is_alnum (raw [p]))
        p++;
    if (p == name || p >= len || raw [p] != ';')
        return 0;
    size_t name_len = p - name;
    for (size_t k = 0; k < sizeof s_entity_names / sizeof s_entity_names [0]; k++) {
        const char *known = s_entity_names [k].name;
        if (s_entity_names [k].name_len == name_len && known [0] == raw [name]
        &&  memcmp (known, raw + name, name_len) == 0) {
            *cp = s_entity_names [k].cp;
            return p + 1 - i;
        }
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  HTML elements

typedef enum {
    S_TAG_INLINE,               //  <b>, <span>, <a>, unknown: nothing
    S_TAG_BLOCK,                //  a line break
    S_TAG_BREAK,                //  <br>: always a line break
    S_TAG_CELL,                 //  <td>, <th>: a tab
    S_TAG_SKIP                  //  <script>, <style>, <head>, ...: dropped with their content
} s_tag_kind_t;

typedef struct {
    const char *name;
    size_t name_len;
    s_tag_kind_t kind;
} s_element_t;

//  Sorted by name: s_element looks among those of the name's first letter
static const s_element_t s_elements [] = {
    { "a", 1, S_TAG_INLINE }, { "address", 7, S_TAG_BLOCK }, { "article", 7, S_TAG_BLOCK },
    { "aside", 5, S_TAG_BLOCK }, { "b", 1, S_TAG_INLINE }, { "blockquote", 10, S_TAG_BLOCK },
    { "body", 4, S_TAG_BLOCK }, { "br", 2, S_TAG_BREAK }, { "caption", 7, S_TAG_BLOCK },
    { "code", 4, S_TAG_INLINE }, { "dd", 2, S_TAG_BLOCK }, { "details", 7, S_TAG_BLOCK },
    { "div", 3, S_TAG_BLOCK }, { "dl", 2, S_TAG_BLOCK }, { "dt", 2, S_TAG_BLOCK },
    { "em", 2, S_TAG_INLINE }, { "fieldset", 8, S_TAG_BLOCK }, { "figcaption", 10, S_TAG_BLOCK },
    { "figure", 6, S_TAG_BLOCK }, { "font", 4, S_TAG_INLINE }, { "footer", 6, S_TAG_BLOCK },
    { "form", 4, S_TAG_BLOCK }, { "h1", 2, S_TAG_BLOCK }, { "h2", 2, S_TAG_BLOCK },
    { "h3", 2, S_TAG_BLOCK }, { "h4", 2, S_TAG_BLOCK }, { "h5", 2, S_TAG_BLOCK },
    { "h6", 2, S_TAG_BLOCK }, { "head", 4, S_TAG_SKIP }, { "header", 6, S_TAG_BLOCK },
    { "hr", 2, S_TAG_BLOCK }, { "html", 4, S_TAG_BLOCK }, { "i", 1, S_TAG_INLINE },
    { "img", 3, S_TAG_INLINE }, { "li", 2, S_TAG_BLOCK }, { "link", 4, S_TAG_INLINE },
    { "main", 4, S_TAG_BLOCK }, { "meta", 4, S_TAG_INLINE }, { "nav", 3, S_TAG_BLOCK },
    { "ol", 2, S_TAG_BLOCK }, { "p", 1, S_TAG_BLOCK }, { "pre", 3, S_TAG_BLOCK },
    { "script", 6, S_TAG_SKIP }, { "section", 7, S_TAG_BLOCK }, { "small", 5, S_TAG_INLINE },
    { "span", 4, S_TAG_INLINE }, { "strong", 6, S_TAG_INLINE }, { "style", 5, S_TAG_SKIP },
    { "sub", 3, S_TAG_INLINE }, { "summary", 7, S_TAG_BLOCK }, { "sup", 3, S_TAG_INLINE },
    { "table", 5, S_TAG_BLOCK }, { "tbody", 5, S_TAG_BLOCK }, { "td", 2, S_TAG_CELL },
    { "template", 8, S_TAG_SKIP }, { "tfoot", 5, S_TAG_BLOCK }, { "th", 2, S_TAG_CELL },
    { "thead", 5, S_TAG_BLOCK }, { "title", 5, S_TAG_SKIP }, { "tr", 2, S_TAG_BLOCK },
    { "u", 1, S_TAG_INLINE }, { "ul", 2, S_TAG_BLOCK }
};
#define S_ELEMENTS (sizeof s_elements / sizeof s_elements [0])
#define S_NAME_MAX 16

static inline bool
s_is_name_byte (uint8_t c)
{
    return s_is_alnum (c) || c == '-' || c == ':' || c == '_';
}

//  Reads a tag name at raw [p] into name (lowercase, at most S_NAME_MAX
//  bytes kept).  Returns where it ends.
static size_t
s_tag_name (const uint8_t *raw, size_t len, size_t p, char *name, size_t *name_len)
{
    size_t start = p;
    *name_len = 0;
    while (p < len && s_is_name_byte (raw [p])) {
        if (p - start < S_NAME_MAX)
            name [(*name_len)++] = (char) s_lower (raw [p]);
        p++;
    }
    if (p - start > S_NAME_MAX)
        *name_len = 0;          //  no element has so long a name
    return p;
}

//  Where the elements of each first letter begin in s_elements (by
//  letter - 'a'; entry 26 is the end), built once
static uint8_t s_element_from [27];
static pthread_once_t s_element_once = PTHREAD_ONCE_INIT;

static void
s_element_index (void)
{
    size_t e = 0;
    for (int letter = 0; letter <= 26; letter++) {
        while (e < S_ELEMENTS && s_elements [e].name [0] - 'a' < letter)
            e++;
        s_element_from [letter] = (uint8_t) e;
    }
}

//  Index of a known element (name lowercase), or -1
static int
s_element (const char *name, size_t name_len)
{
    if (name_len == 0 || (uint8_t) name [0] < 'a' || (uint8_t) name [0] > 'z')
        return -1;
    unsigned letter = (unsigned) (uint8_t) name [0] - 'a';
    pthread_once (&s_element_once, s_element_index);
    for (size_t e = s_element_from [letter]; e < s_element_from [letter + 1]; e++)
        if (s_elements [e].name_len == name_len && memcmp (s_elements [e].name, name, name_len) == 0)
            return (int) e;
    return -1;
}

//  True when raw [i] ('<') opens a complete tag of a known element ("<p>",
//  "</li>", "<div class=x>", "<br/>") or a doctype: the text is HTML.  Looks
//  no further than the next '<', so the survey stays linear.
static bool
s_html_evidence (const uint8_t *raw, size_t len, size_t i)
{
    size_t p = i + 1;
    if (p < len && raw [p] == '!') {
        static const char doctype [] = "doctype";
        for (size_t k = 0; k < 7; k++)
            if (p + 1 + k >= len || s_lower (raw [p + 1 + k]) != (uint8_t) doctype [k])
                return false;
        return true;
    }
    if (p < len && raw [p] == '/')
        p++;
    if (p >= len || !s_is_alpha (raw [p]))
        return false;
    char name [S_NAME_MAX];
    size_t name_len;
    p = s_tag_name (raw, len, p, name, &name_len);
    if (name_len == 0 || s_element (name, name_len) < 0)
        return false;
    if (p >= len || !(raw [p] == '>' || raw [p] == '/' || s_is_space (raw [p])))
        return false;
    for (size_t limit = p + 512; p < len && p < limit; p++) {
        if (raw [p] == '>')
            return true;
        if (raw [p] == '<')
            return false;
    }
    return false;
}

//  ---------------------------------------------------------------------
//  Markdown

//  True when raw [i] sits at a line's start, up to three blanks aside
static bool
s_line_start (const uint8_t *raw, size_t i)
{
    size_t k = 0;
    while (i > 0 && k < 3 && (raw [i - 1] == ' ' || raw [i - 1] == '\t')) {
        i--;
        k++;
    }
    return i == 0 || raw [i - 1] == '\n' || raw [i - 1] == '\r';
}

static inline bool
s_wordish (uint8_t c)
{
    return s_is_alnum (c) || c >= 0x80;
}

//  Length of an emphasis run of '*' or '_' at raw [i] to drop, or 0 when
//  it stays: a bullet, a run between blanks, or between two words
//  (snake_case, 5*3) or two punctuation marks.  before
//  is the character before it as the plain text has it (an entity decoded),
//  -1 at the start.
static size_t
s_emphasis (const uint8_t *raw, size_t len, size_t i, int before)
{
    uint8_t c = raw [i];
    size_t run = 1;
    while (i + run < len && raw [i + run] == c)
        run++;
    bool before_space = before < 0 || s_is_space ((uint8_t) before);
    bool after_space = i + run >= len || s_is_space (raw [i + run]);
    if (before_space && after_space)
        return 0;
    if (c == '*' && run == 1 && s_line_start (raw, i) && i + 1 < len && (raw [i + 1] == ' ' || raw [i + 1] == '\t'))
        return 0;               //  a bullet
    if (before_space || after_space)
        return run;             //  opens or closes: "**Python**", "**C#**"
    bool before_word = before >= 0 && s_wordish ((uint8_t) before);
    bool after_word = i + run < len && s_wordish (raw [i + run]);
    //  between a word and punctuation: "(**Go**)"; not snake_case, 5*3, --**--
    return before_word != after_word ? run : 0;
}

//  Length of a heading's '#' run and the blanks after it at raw [i], or 0
static size_t
s_heading (const uint8_t *raw, size_t len, size_t i)
{
    if (!s_line_start (raw, i))
        return 0;
    size_t p = i;
    while (p < len && raw [p] == '#' && p - i < 7)
        p++;
    if (p - i > 6 || (p < len && raw [p] != ' ' && raw [p] != '\t' && raw [p] != '\n' && raw [p] != '\r'))
        return 0;
    while (p < len && (raw [p] == ' ' || raw [p] == '\t'))
        p++;
    return p - i;
}

static inline bool
s_is_punct (uint8_t c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`')
        || (c >= '{' && c <= '~');
}

//  The next c at or after pos, remembered: queries must come in order.
typedef struct {
    size_t from;                //  raw [from, at) holds no c
    size_t at;                  //  len when there is none
} s_next_t;

static size_t
s_next (const uint8_t *raw, size_t len, s_next_t *memo, uint8_t c, size_t pos)
{
    if (pos >= len)
        return len;
    if (pos >= memo->from && pos <= memo->at)
        return memo->at;
    const uint8_t *hit = memchr (raw + pos, c, len - pos);
    memo->from = pos;
    memo->at = hit ? (size_t) (hit - raw) : len;
    return memo->at;
}

//  ---------------------------------------------------------------------
//  The survey: validates and tells whether anything needs cleaning

//  Bytes the survey looks at: 1 for ASCII, 2 for the lead bytes of
//  characters that may fold, 3 for other non-ASCII bytes (validated)
static const uint8_t s_survey_class [256] = {
    ['<'] = 1, ['&'] = 1, ['*'] = 1, ['_'] = 1, ['`'] = 1, ['#'] = 1, ['['] = 1, ['\\'] = 1,
    ['\n'] = 1, [0x80 ... 0xC1] = 3, [0xC2] = 2, [0xC3 ... 0xE1] = 3, [0xE2] = 2, [0xE3] = 2,
    [0xE4 ... 0xEE] = 3, [0xEF] = 2, [0xF0 ... 0xFF] = 3
};

//  Bytes the cleaning pass stops at
static const uint8_t s_special [256] = {
    ['<'] = true, ['&'] = true, ['*'] = true, ['_'] = true, ['`'] = true, ['#'] = true,
    ['['] = true, [']'] = true, ['!'] = true, ['\\'] = true, ['\n'] = true,
    [0xC2] = true, [0xE2] = true, [0xE3] = true, [0xEF] = true
};

//  True when a '\n' after c may end a hyphenated line ("Kuber-\n",
//  "Kuber- \r\n", U+2010 whose last byte is 0x90): see s_hyphen_at
static inline bool
s_may_hyphenate (uint8_t c)
{
    return c == '-' || c == ' ' || c == '\t' || c == '\r' || c == 0x90;
}

#if defined (__SSE2__)
//  Bit k set when p [k] may be a byte s_survey_class or s_special marks:
//  those ASCII bytes (and '^' besides) and every non-ASCII one
static inline unsigned
s_candidates (const uint8_t *p)
{
    __m128i bytes = _mm_loadu_si128 ((const __m128i *) p);
    __m128i hit = _mm_or_si128 (_mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('<')),
                                _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('&')));
    hit = _mm_or_si128 (hit, _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('*')));
    hit = _mm_or_si128 (hit, _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('#')));
    hit = _mm_or_si128 (hit, _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('!')));
    hit = _mm_or_si128 (hit, _mm_cmpeq_epi8 (bytes, _mm_set1_epi8 ('\n')));
    //  '[' '\\' ']' '^' '_' '`' are 0x5B..0x60: one range
    __m128i bracket = _mm_subs_epu8 (_mm_sub_epi8 (bytes, _mm_set1_epi8 ('[')), _mm_set1_epi8 ('`' - '['));
    hit = _mm_or_si128 (hit, _mm_cmpeq_epi8 (bracket, _mm_setzero_si128 ()));
    return (unsigned) _mm_movemask_epi8 (hit) | (unsigned) _mm_movemask_epi8 (bytes);
}
#endif

//  The first byte at or after i that s_special marks, or len.  It marks
//  only the ASCII bytes above and non-ASCII ones, so 16 bytes at a time
//  skip what holds none of those.  A '\n' past raw [i] counts only after a
//  byte that may end a hyphenated line: the others need nothing from the
//  cleaning pass, which copies them with the run.
static size_t
s_find (const uint8_t *raw, size_t len, size_t i)
{
    size_t from = i;
#if defined (__SSE2__)
    while (i + 16 <= len) {
        //  the candidates in order; the table tells
        for (unsigned mask = s_candidates (raw + i); mask; mask &= mask - 1) {
            size_t at = i + (size_t) __builtin_ctz (mask);
            uint8_t c = raw [at];
            if (s_special [c] && (c != '\n' || at == from || s_may_hyphenate (raw [at - 1])))
                return at;
        }
        i += 16;
    }
#endif
    while (i < len && !s_special [raw [i]])
        i++;
    return i;
}

typedef struct {
    bool clean;                 //  something for the cleaning pass
    bool html;                  //  tags to strip
    bool breaks;                //  a hyphen ends some line
} s_survey_t;

//  Where the hyphen of the break whose '\n' is text [n] starts, or n when
//  the line does not end in one.
static size_t
s_hyphen_at (const uint8_t *text, size_t n)
{
    size_t p = n;
    for (int k = 0; k < 8 && p > 0 && (text [p - 1] == ' ' || text [p - 1] == '\t' || text [p - 1] == '\r'); k++)
        p--;
    if (p > 0 && text [p - 1] == '-')
        return p - 1;
    if (p >= 3 && text [p - 3] == 0xE2 && text [p - 2] == 0x80 && text [p - 1] == 0x90)
        return p - 3;
    return n;
}

//  Judges the byte raw [i], which s_survey_class marks.  Returns the last
//  byte judged with it (a character's, an emphasis run's), or len with err
//  set when the UTF-8 there is invalid.
static size_t
s_survey_byte (const uint8_t *raw, size_t len, size_t i, s_survey_t *survey, jm_error_t *err)
{
    uint8_t c = raw [i];
    uint8_t cls = s_survey_class [c];
    if (cls >= 2) {
        size_t n = jm_text_utf8_length (raw + i, len - i);
        if (n == 0) {
            jm_text_utf8_error (raw, i, err);
            return len;
        }
        if (cls == 2 && !survey->clean)
            survey->clean = s_folds (raw + i, n);
        return i + n - 1;
    }
    switch (c) {
        case '\n':
            survey->breaks |= s_hyphen_at (raw, i) < i;
            break;
        case '<':
            if (!survey->html && s_html_evidence (raw, len, i))
                survey->html = survey->clean = true;
            break;
        case '&': {
            uint32_t cp;
            survey->clean |= s_entity (raw, len, i, &cp) > 0;
            break;
        }
        case '*':
        case '_': {
            size_t run = s_emphasis (raw, len, i, i ? raw [i - 1] : -1);
            survey->clean |= run > 0;
            //  the run's later bytes were judged with it
            while (i + 1 < len && raw [i + 1] == c)
                i++;
            break;
        }
        case '#':
            survey->clean |= s_heading (raw, len, i) > 0;
            break;
        case '`':
        case '[':
            survey->clean = true;
            break;
        case '\\':
            survey->clean |= i + 1 < len && s_is_punct (raw [i + 1]);
            break;
    }
    return i;
}

//  One pass over the text, 16 bytes at a time: each byte s_survey_class
//  marks is judged, in text order, except a '\n' after no hyphen or blank
//  (it ends no hyphenated line).
static int
s_survey (const uint8_t *raw, size_t len, s_survey_t *survey, jm_error_t *err)
{
    memset (survey, 0, sizeof *survey);
    size_t next = 0;            //  bytes below are judged
    size_t base = 0;
#if defined (__SSE2__)
    for (; base + 16 <= len; base += 16)
        for (unsigned mask = s_candidates (raw + base); mask; mask &= mask - 1) {
            size_t at = base + (size_t) __builtin_ctz (mask);
            uint8_t c = raw [at];
            if (at < next || !s_survey_class [c]
            ||  (c == '\n' && !(at > 0 && s_may_hyphenate (raw [at - 1]))))
                continue;
            next = s_survey_byte (raw, len, at, survey, err) + 1;
            if (next > len)
                return -1;
        }
#endif
    for (size_t at = base > next ? base : next; at < len; at++)
        if (s_survey_class [raw [at]]) {
            at = s_survey_byte (raw, len, at, survey, err);
            if (at >= len)
                return -1;
        }
    return 0;
}

//  ---------------------------------------------------------------------
//  Hyphenated line breaks

static inline bool
s_is_word_byte (uint8_t c)
{
    return s_is_alnum (c) || c == '+' || c == '#';
}

//  The word (ASCII word bytes) ending a blank or two before text [end]:
//  sets *word and returns its length, 0 when there is none.
static size_t
s_word_before (const uint8_t *text, size_t end, const uint8_t **word)
{
    size_t p = end;
    while (p > 0 && end - p < 4 && (text [p - 1] == ' ' || text [p - 1] == '\t'))
        p--;
    if (p == end)
        return 0;
    size_t start = p;
    while (start > 0 && p - start < S_WORD_MAX && s_is_word_byte (text [start - 1]))
        start--;
    if (start > 0 && (s_is_word_byte (text [start - 1]) || text [start - 1] >= 0x80))
        return 0;
    *word = text + start;
    return p - start;
}

//  The word starting a blank or two after text [start]: sets *word and
//  returns its length, 0 when there is none.
static size_t
s_word_after (const uint8_t *text, size_t len, size_t start, const uint8_t **word)
{
    size_t p = start;
    while (p < len && p - start < 4 && (text [p] == ' ' || text [p] == '\t'))
        p++;
    if (p == start)
        return 0;
    size_t end = p;
    while (end < len && end - p < S_WORD_MAX && s_is_word_byte (text [end]))
        end++;
    if (end < len && (s_is_word_byte (text [end]) || text [end] >= 0x80))
        return 0;
    *word = text + p;
    return end - p;
}

#define S_AROUND 2               //  words looked at on each side of a rejoined word

//  True when the words before [S_AROUND - take_before, S_AROUND), the
//  word, and the words after [0, take_after), one blank apart, fold to a
//  taxonomy form
static bool
s_known_phrase (const jm_taxonomy_t *taxonomy, const char *word, size_t word_len,
                const uint8_t **before, const size_t *before_len, int take_before,
                const uint8_t **after, const size_t *after_len, int take_after)
{
    char phrase [(2 * S_AROUND + 2) * (S_WORD_MAX + 1)], key [sizeof phrase];
    size_t at = 0;
    for (int k = S_AROUND - take_before; k < S_AROUND; k++) {
        memcpy (phrase + at, before [k], before_len [k]);
        at += before_len [k];
        phrase [at++] = ' ';
    }
    memcpy (phrase + at, word, word_len);
    at += word_len;
    for (int k = 0; k < take_after; k++) {
        phrase [at++] = ' ';
        memcpy (phrase + at, after [k], after_len [k]);
        at += after_len [k];
    }
    size_t key_len = jm_normalize_fold (phrase, at, key, sizeof key);
    return jm_taxonomy_lookup_key (taxonomy, key, key_len, NULL) >= 0;
}

//  For a hyphenated break whose '\n' is text [n], reading the word before
//  it from text [0, hyphen) and the rest from text [n + 1, len): sets
//  *resume to the start of the continuation and returns true when the
//  break rejoins.
static bool
s_rejoins (const uint8_t *before, size_t hyphen, const uint8_t *text, size_t len, size_t n,
           const jm_taxonomy_t *taxonomy, size_t *resume)
{
    //  the word before the hyphen
    size_t start = hyphen;
    while (start > 0 && hyphen - start < S_WORD_MAX && s_is_word_byte (before [start - 1]))
        start--;
    if (start == hyphen || !s_is_alnum (before [hyphen - 1])
    ||  (start > 0 && (s_is_word_byte (before [start - 1]) || before [start - 1] >= 0x80)))
        return false;
    //  the word after the break, past an indent
    size_t p = n + 1;
    while (p < len && p - n <= 16 && (text [p] == ' ' || text [p] == '\t'))
        p++;
    if (p >= len || !s_is_alpha (text [p]))
        return false;
    size_t q = p;
    while (q < len && q - p < S_WORD_MAX
       && (s_is_word_byte (text [q]) || (text [q] == '.' && q + 1 < len && s_is_alnum (text [q + 1]))))
        q++;
    if (q < len && (s_is_word_byte (text [q]) || text [q] >= 0x80))
        return false;
    char joined [2 * S_WORD_MAX + 2], key [2 * S_WORD_MAX + 2], compact [2 * S_WORD_MAX + 2];
    size_t left = hyphen - start, right = q - p;
    memcpy (joined, before + start, left);
    joined [left] = ' ';
    memcpy (joined + left + 1, text + p, right);
    //  the hyphenated word itself a form ("Spring-\nBoot"): the extractor finds it
    size_t key_len = jm_normalize_fold (joined, left + 1 + right, key, sizeof key);
    if (jm_taxonomy_lookup_key (taxonomy, key, key_len, NULL) >= 0)
        return false;
    memmove (joined + left, joined + left + 1, right);
    key_len = jm_normalize_fold (joined, left + right, key, sizeof key);
    bool known = jm_taxonomy_lookup_key (taxonomy, key, key_len, NULL) >= 0;
    if (!known) {
        size_t compact_len = jm_normalize_compact (key, key_len, compact, sizeof compact);
        known = jm_taxonomy_lookup_compact (taxonomy, compact, compact_len) >= 0;
    }
    if (!known) {
        //  part of a longer form: "Visual Stu-\ndio", "Amazon Web Ser-\nvices";
        //  before [S_AROUND - 1] is the nearest word before, after [0] after
        const uint8_t *before_words [S_AROUND], *after_words [S_AROUND];
        size_t before_len [S_AROUND], after_len [S_AROUND];
        int before_count = 0, after_count = 0;
        size_t edge = start;
        while (before_count < S_AROUND) {
            const uint8_t *word = NULL;
            size_t word_len = s_word_before (before, edge, &word);
            if (!word_len)
                break;
            before_count++;
            before_words [S_AROUND - before_count] = word;
            before_len [S_AROUND - before_count] = word_len;
            edge = (size_t) (word - before);
        }
        edge = q;
        while (after_count < S_AROUND) {
            const uint8_t *word = NULL;
            size_t word_len = s_word_after (text, len, edge, &word);
            if (!word_len)
                break;
            after_words [after_count] = word;
            after_len [after_count++] = word_len;
            edge = (size_t) (word - text) + word_len;
        }
        for (int take_before = 0; take_before <= before_count && !known; take_before++)
            for (int take_after = 0; take_after <= after_count && !known; take_after++)
                if (take_before + take_after > 0)
                    known = s_known_phrase (taxonomy, joined, left + right,
                                            before_words, before_len, take_before,
                                            after_words, after_len, take_after);
    }
    *resume = p;
    return known;
}

//  True when some hyphenated break in text rejoins
static bool
s_any_rejoin (const uint8_t *text, size_t len, const jm_taxonomy_t *taxonomy)
{
    for (const uint8_t *hit = memchr (text, '\n', len); hit;
         hit = memchr (hit + 1, '\n', len - (size_t) (hit + 1 - text))) {
        size_t n = (size_t) (hit - text), resume;
        size_t hyphen = s_hyphen_at (text, n);
        if (hyphen < n && s_rejoins (text, hyphen, text, len, n, taxonomy, &resume))
            return true;
        if (n + 1 >= len)
            break;
    }
    return false;
}

//  ---------------------------------------------------------------------
//  The cleaning pass

struct _jm_text_piece_t {
    uint32_t plain;             //  first plain byte; the piece runs to the next one's
    uint32_t raw;               //  original bytes: [raw + k, raw + k + 1) for byte k of a copy,
    uint32_t raw_end;           //  [raw, raw_end) for every byte of a replacement; 0 for a copy
};

#define s_is_copy(piece) ((piece)->raw_end == 0)

typedef struct {
    const uint8_t *raw;
    size_t len;
    const jm_taxonomy_t *taxonomy;      //  NULL: no rejoins
    uint8_t *out;
    size_t o;                   //  plain bytes written
    size_t cap;
    jm_text_piece_t *pieces;
    size_t piece_count;
    size_t piece_cap;
    bool html;
    //  look-aheads, each queried in increasing order
    s_next_t gt, bracket, paren, newline_bracket, newline_paren;
    size_t no_comment_end;      //  no "-->" at or after this (len + 1: not known)
    size_t no_close [S_ELEMENTS];       //  per skip element: no "</name" at or after this
    //  a Markdown link being read: at raw [close] (its ']'), skip to link_end
    bool link;
    size_t link_close;
    size_t link_end;
} s_clean_t;

static void
s_piece (s_clean_t *self, size_t from, size_t to, bool copy)
{
    if (self->piece_count == self->piece_cap) {
        self->piece_cap = self->piece_cap ? self->piece_cap * 2 : 64 + self->len / 32;
        self->pieces = jm_realloc (self->pieces, self->piece_cap * sizeof (jm_text_piece_t));
    }
    self->pieces [self->piece_count++] = (jm_text_piece_t) {
        (uint32_t) self->o, (uint32_t) from, copy ? 0 : (uint32_t) to
    };
}

//  Appends raw [from, to) as is
static void
s_copy (s_clean_t *self, size_t from, size_t to)
{
    assert (self->o + (to - from) <= self->cap);
    if (to == from)
        return;
    const jm_text_piece_t *last = self->piece_count ? &self->pieces [self->piece_count - 1] : NULL;
    if (!last || !s_is_copy (last) || last->raw + (self->o - last->plain) != from)
        s_piece (self, from, to, true);
    memcpy (self->out + self->o, self->raw + from, to - from);
    self->o += to - from;
}

//  Appends byte c, which stands for raw [from, to)
static inline void
s_put (s_clean_t *self, uint8_t c, size_t from, size_t to)
{
    if (to == from + 1 && self->raw [from] == c) {
        s_copy (self, from, to);
        return;
    }
    assert (self->o < self->cap);
    const jm_text_piece_t *last = self->piece_count ? &self->pieces [self->piece_count - 1] : NULL;
    if (!last || s_is_copy (last) || last->raw != from || last->raw_end != to)
        s_piece (self, from, to, false);
    self->out [self->o++] = c;
}

//  Cuts the plain text back to its first o bytes
static void
s_truncate (s_clean_t *self, size_t o)
{
    while (self->piece_count && self->pieces [self->piece_count - 1].plain >= o)
        self->piece_count--;
    self->o = o;
}

//  At a line break at raw [n] (a '\n', or the last byte of a tag that
//  breaks the line): when the plain text so far ends in a hyphenated word
//  that rejoins with the word after the break, cuts the hyphen and returns
//  where the word goes on; else returns 0.
static size_t
s_rejoin_at (s_clean_t *self, size_t n)
{
    if (!self->taxonomy || self->o == 0)
        return 0;
    size_t hyphen = s_hyphen_at (self->out, self->o);
    size_t resume;
    if (hyphen == self->o
    ||  !s_rejoins (self->out, hyphen, self->raw, self->len, n, self->taxonomy, &resume))
        return 0;
    s_truncate (self, hyphen);
    return resume;
}

//  After a soft hyphen ending at raw [p]: the end of a line break and the
//  indent after it when a letter follows, else p.
static size_t
s_soft_break (const uint8_t *raw, size_t len, size_t p)
{
    size_t q = p;
    while (q < len && q - p < 8 && (raw [q] == ' ' || raw [q] == '\t' || raw [q] == '\r'))
        q++;
    if (q >= len || raw [q] != '\n')
        return p;
    q++;
    size_t indent = q;
    while (q < len && q - indent < 16 && (raw [q] == ' ' || raw [q] == '\t'))
        q++;
    return q < len && (s_is_alpha (raw [q]) || raw [q] >= 0x80) ? q : p;
}

//  Writes code point cp, read from raw [from, to), folded.  Returns where
//  reading goes on (past a rejoined line break after a soft hyphen).
static size_t
s_put_codepoint (s_clean_t *self, uint32_t cp, size_t from, size_t to)
{
    const char *ascii = NULL;
    s_fold_t fold = s_fold (cp, &ascii);
    if (fold == S_FOLD_SOFT_HYPHEN)
        return s_soft_break (self->raw, self->len, to);
    if (fold == S_FOLD_DROP)
        return to;
    if (fold == S_FOLD_CHAR) {
        s_put (self, (uint8_t) ascii [0], from, to);
        return to;
    }
    if (fold == S_FOLD_ASCII) {
        for (const char *a = ascii; *a; a++)
            s_put (self, (uint8_t) *a, from, to);
        return to;
    }
    uint8_t bytes [4];
    size_t n = s_encode (cp, bytes);
    for (size_t k = 0; k < n; k++)
        s_put (self, bytes [k], from, to);
    return to;
}

//  A line break (or tab, for a cell) for a tag at raw [from, to)
static void
s_put_boundary (s_clean_t *self, s_tag_kind_t kind, size_t from, size_t to)
{
    uint8_t last = self->o ? self->out [self->o - 1] : '\n';
    if (kind == S_TAG_BREAK)
        s_put (self, '\n', from, to);
    else
    if (kind == S_TAG_BLOCK && last != '\n')
        s_put (self, '\n', from, to);
    else
    if (kind == S_TAG_CELL && !s_is_space (last))
        s_put (self, '\t', from, to);
}

//  Where the closing "</name" of skip element kind ends (after its '>'),
//  searching from p, or 0 when there is none.
static size_t
s_skip_close (s_clean_t *self, int kind, size_t p)
{
    if (p >= self->no_close [kind])
        return 0;
    const uint8_t *raw = self->raw;
    size_t len = self->len;
    const char *name = s_elements [kind].name;
    size_t name_len = s_elements [kind].name_len;
    size_t from = p;
    while (p < len) {
        const uint8_t *hit = memchr (raw + p, '<', len - p);
        if (!hit)
            break;
        size_t q = (size_t) (hit - raw);
        bool match = q + 2 + name_len <= len && raw [q + 1] == '/';
        for (size_t k = 0; match && k < name_len; k++)
            match = s_lower (raw [q + 2 + k]) == (uint8_t) name [k];
        if (match && (q + 2 + name_len == len || !s_is_name_byte (raw [q + 2 + name_len]))) {
            size_t gt = s_next (raw, len, &self->gt, '>', q + 2 + name_len);
            return gt < len ? gt + 1 : 0;
        }
        p = q + 1;
    }
    self->no_close [kind] = from;
    return 0;
}

//  Reads markup at raw [i] ('<') in HTML.  Returns where reading goes on,
//  or i when the '<' is text.
static size_t
s_markup (s_clean_t *self, size_t i)
{
    const uint8_t *raw = self->raw;
    size_t len = self->len;
    size_t p = i + 1;
    if (p >= len)
        return i;
    if (raw [p] == '!' && p + 2 < len && raw [p + 1] == '-' && raw [p + 2] == '-') {
        if (i + 2 >= self->no_comment_end)
            return i;
        //  "<!-->" is an empty comment; the first "-->" closes any other
        for (size_t q = i + 2; q + 3 <= len; q++) {
            const uint8_t *hit = memchr (raw + q, '-', len - q);
            if (!hit)
                break;
            q = (size_t) (hit - raw);
            if (q + 3 <= len && raw [q + 1] == '-' && raw [q + 2] == '>')
                return q + 3;
        }
        self->no_comment_end = i + 2;
        return i;
    }
    if (raw [p] == '!' || raw [p] == '?') {
        size_t gt = s_next (raw, len, &self->gt, '>', p);
        return gt < len ? gt + 1 : i;
    }
    bool closing = raw [p] == '/';
    p += closing;
    if (p >= len || !s_is_alpha (raw [p]))
        return i;
    char name [S_NAME_MAX];
    size_t name_len;
    p = s_tag_name (raw, len, p, name, &name_len);
    size_t gt = s_next (raw, len, &self->gt, '>', p);
    if (gt >= len)
        return i;
    size_t end = gt + 1;
    int element = name_len ? s_element (name, name_len) : -1;
    s_tag_kind_t kind = element >= 0 ? s_elements [element].kind : S_TAG_INLINE;
    if (kind == S_TAG_SKIP) {
        bool self_closing = gt > p && raw [gt - 1] == '/';
        if (!closing && !self_closing) {
            size_t after = s_skip_close (self, element, end);
            if (after)
                return after;
        }
        return end;
    }
    size_t resume = kind == S_TAG_BLOCK || kind == S_TAG_BREAK ? s_rejoin_at (self, end - 1) : 0;
    if (resume)
        return resume;
    s_put_boundary (self, kind, i, end);
    return end;
}

//  Reads a Markdown link "[text](url)" whose '[' is raw [b]: sets the link
//  to skip "](url)" when the main loop reaches its ']'.  Returns true when
//  it is one.
static bool
s_link (s_clean_t *self, size_t b)
{
    const uint8_t *raw = self->raw;
    size_t len = self->len;
    size_t close = s_next (raw, len, &self->bracket, ']', b + 1);
    size_t newline = s_next (raw, len, &self->newline_bracket, '\n', b + 1);
    if (close >= len || close > newline || close - b > S_LINK_TEXT_MAX)
        return false;
    if (close + 2 >= len || raw [close + 1] != '(' || s_is_space (raw [close + 2]))
        return false;
    size_t paren = s_next (raw, len, &self->paren, ')', close + 2);
    newline = s_next (raw, len, &self->newline_paren, '\n', close + 2);
    if (paren >= len || paren > newline || paren - close > S_LINK_URL_MAX)
        return false;
    self->link = true;
    self->link_close = close;
    self->link_end = paren + 1;
    return true;
}

//  Handles the special byte at raw [i].  Returns where reading goes on.
static size_t
s_special_byte (s_clean_t *self, size_t i)
{
    const uint8_t *raw = self->raw;
    size_t len = self->len;
    uint8_t c = raw [i];
    if (self->link && i > self->link_close)
        self->link = false;     //  markup swallowed its ']'
    switch (c) {
        case '\n': {
            size_t resume = s_rejoin_at (self, i);
            if (resume)
                return resume;
            break;
        }
        case '<':
            if (self->html) {
                size_t next = s_markup (self, i);
                if (next != i)
                    return next;
            }
            break;
        case '&': {
            uint32_t cp;
            size_t n = s_entity (raw, len, i, &cp);
            if (n)
                return s_put_codepoint (self, cp, i, i + n);
            break;
        }
        case '*':
        case '_': {
            size_t run = s_emphasis (raw, len, i, self->o ? self->out [self->o - 1] : -1);
            if (run)
                return i + run;
            size_t p = i;
            while (p < len && raw [p] == c)
                p++;
            s_copy (self, i, p);
            return p;
        }
        case '`': {
            size_t p = i;
            while (p < len && raw [p] == '`')
                p++;
            return p;
        }
        case '#': {
            size_t run = s_heading (raw, len, i);
            if (run)
                return i + run;
            break;
        }
        case '!':
            if (!self->link && i + 1 < len && raw [i + 1] == '[' && s_link (self, i + 1))
                return i + 2;
            break;
        case '[':
            if (!self->link && s_link (self, i))
                return i + 1;
            break;
        case ']':
            if (self->link && i == self->link_close) {
                self->link = false;
                return self->link_end;
            }
            break;
        case '\\':
            if (i + 1 < len && s_is_punct (raw [i + 1])) {
                s_put (self, raw [i + 1], i, i + 2);
                return i + 2;
            }
            break;
        default: {
            //  a lead byte of a character that may fold (validated already)
            size_t n = jm_text_utf8_length (raw + i, len - i);
            assert (n >= 2);
            uint32_t cp = s_decode (raw + i, n);
            const char *ascii;
            if (s_fold (cp, &ascii) == S_FOLD_KEEP) {
                s_copy (self, i, i + n);
                return i + n;
            }
            return s_put_codepoint (self, cp, i, i + n);
        }
    }
    s_put (self, c, i, i + 1);
    return i + 1;
}

static void
s_clean (s_clean_t *self)
{
    const uint8_t *raw = self->raw;
    size_t len = self->len;
    size_t i = 0;
    while (i < len) {
        size_t run = s_find (raw, len, i);
        if (run > i)
            s_copy (self, i, run);
        i = run;
        if (i < len)
            i = s_special_byte (self, i);
    }
}

//  ---------------------------------------------------------------------

int
jm_text_clean (const char *raw, size_t len, const jm_taxonomy_t *taxonomy,
               jm_text_t *self, jm_error_t *err)
{
    assert (self);
    assert (raw || len == 0);
    memset (self, 0, sizeof *self);
    if (len > UINT32_MAX) {
        jm_error_set (err, JM_ERR_TOO_LARGE, "text of %zu bytes is over the 4 GiB limit", len);
        return -1;
    }
    const uint8_t *bytes = (const uint8_t *) raw;
    s_survey_t survey;
    if (s_survey (bytes, len, &survey, err))
        return -1;
    self->text = raw;
    self->len = len;
    self->raw_len = len;
    if (!survey.clean && !(survey.breaks && taxonomy && s_any_rejoin (bytes, len, taxonomy)))
        return 0;               //  the fast path: as it is
    s_clean_t clean = {
        .raw = bytes, .len = len, .taxonomy = taxonomy, .cap = len, .html = survey.html,
        .gt = { 1, 0 }, .bracket = { 1, 0 }, .paren = { 1, 0 },
        .newline_bracket = { 1, 0 }, .newline_paren = { 1, 0 }, .no_comment_end = len + 1
    };
    for (size_t k = 0; k < S_ELEMENTS; k++)
        clean.no_close [k] = len + 1;
    clean.out = jm_malloc (len + 1);
    s_clean (&clean);
    clean.out [clean.o] = 0;
    self->owned = (char *) clean.out;
    self->text = self->owned;
    self->len = clean.o;
    self->pieces = clean.pieces;
    self->piece_count = clean.piece_count;
    return 0;
}

//  The piece holding plain byte at (< len, pieces present).  Spans come
//  mostly in text order, so the search gallops from the piece found last.
static const jm_text_piece_t *
s_piece_of (jm_text_t *self, size_t at)
{
    const jm_text_piece_t *pieces = self->pieces;
    size_t count = self->piece_count;
    size_t guess = self->hint < count ? self->hint : 0;
    size_t low, high;           //  pieces [low].plain <= at, and at < pieces [high].plain or high == count
    size_t step = 1;
    if (pieces [guess].plain <= at) {
        low = guess;
        high = guess + 1;
        while (high < count && pieces [high].plain <= at) {
            low = high;
            high = count - low > step ? low + step : count;
            step *= 2;
        }
    }
    else {
        high = guess;
        low = guess - 1;        //  pieces [0].plain == 0 <= at, so guess > 0
        while (pieces [low].plain > at) {
            high = low;
            low = low > step ? low - step : 0;
            step *= 2;
        }
    }
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (pieces [middle].plain <= at)
            low = middle;
        else
            high = middle;
    }
    self->hint = low;
    return &pieces [low];
}

void
jm_text_span (jm_text_t *self, uint32_t start, uint32_t end,
              uint32_t *raw_start, uint32_t *raw_end)
{
    if (!self->owned) {
        *raw_start = start;
        *raw_end = end;
        return;
    }
    if (end > self->len)
        end = (uint32_t) self->len;
    if (start >= end) {
        //  empty: where plain byte start begins
        uint32_t at = (uint32_t) self->raw_len;
        if (start < self->len) {
            const jm_text_piece_t *piece = s_piece_of (self, start);
            at = s_is_copy (piece) ? piece->raw + (start - piece->plain) : piece->raw;
        }
        *raw_start = *raw_end = at;
        return;
    }
    const jm_text_piece_t *piece = s_piece_of (self, start);
    *raw_start = s_is_copy (piece) ? piece->raw + (start - piece->plain) : piece->raw;
    piece = s_piece_of (self, end - 1);
    *raw_end = s_is_copy (piece) ? piece->raw + (end - 1 - piece->plain) + 1 : piece->raw_end;
}

void
jm_text_free (jm_text_t *self)
{
    free (self->owned);
    free (self->pieces);
    memset (self, 0, sizeof *self);
}
