/*  jobmatch CLI: JSON without a tree.  See batch_json.h.

    The checker is a loop over a small stack of open containers rather than
    a recursive parser, so a hostile line of ten thousand '[' costs nothing
    but its error.  It accepts what jansson accepts (flags 0), nested no
    deeper than the matcher's jm_json reads inside a request: a candidate
    it passes will not make the matcher answer invalid_json for the whole
    request.                                     */
#include "batch_json.h"
#include "jm_json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined (__SSE2__)
#include <emmintrin.h>
#endif

//  The matcher's limit (jm_json) less the two levels around a candidate in a
//  request, {"candidates": [...]}: a deeper candidate would fail the request
#define JM_BATCH_JSON_DEPTH (JM_JSON_MAX_DEPTH - 2)

//  ---------------------------------------------------------------------------
//  The checker

typedef struct {
    const char *text;
    size_t len;
    size_t pos;
    bool final;                 //  the text ends here (else: more may come)
    const char *message;        //  set on a syntax error
} s_check_t;

enum { s_MORE = 0, s_OK = 1, s_BAD = -1 };

static int
s_fail (s_check_t *self, const char *message)
{
    self->message = message;
    return s_BAD;
}

//  Text ran out: an error when nothing more will come.
static int
s_end (s_check_t *self, const char *message)
{
    if (self->final)
        return s_fail (self, message);
    return s_MORE;
}

static void
s_blanks (s_check_t *self)
{
    while (self->pos < self->len) {
        char c = self->text [self->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        self->pos++;
    }
}

//  The string at pos ('"'); leaves pos past its closing quote.
static int
s_string (s_check_t *self)
{
    const unsigned char *text = (const unsigned char *) self->text;
    size_t i = self->pos + 1;
    while (true) {
        //  the common case: plain ASCII
        while (i < self->len && text [i] >= 0x20 && text [i] < 0x80 && text [i] != '"' && text [i] != '\\')
            i++;
        if (i >= self->len) {
            self->pos = i;
            return s_end (self, "unexpected end of input in a string");
        }
        unsigned char c = text [i];
        if (c == '"') {
            self->pos = i + 1;
            return s_OK;
        }
        if (c < 0x20) {
            self->pos = i;
            return s_fail (self, "control character in a string");
        }
        if (c >= 0x80) {
            int size = jm_json_utf8_length (text + i, text + self->len);
            if (size < 0) {
                self->pos = i;
                return s_end (self, "invalid UTF-8");
            }
            if (size == 0) {
                self->pos = i;
                return s_fail (self, "invalid UTF-8");
            }
            i += (size_t) size;
            continue;
        }
        //  an escape
        self->pos = i;
        if (i + 1 >= self->len)
            return s_end (self, "unexpected end of input in a string");
        char e = (char) text [i + 1];
        if (e != 'u') {
            if (!strchr ("\"\\/bfnrt", e) || e == 0)
                return s_fail (self, "invalid escape in a string");
            i += 2;
            continue;
        }
        if (i + 6 > self->len)
            return s_end (self, "unexpected end of input in a string");
        int code = jm_json_hex4 (self->text + i + 2);
        if (code < 0)
            return s_fail (self, "invalid \\u escape in a string");
        if (code == 0)
            return s_fail (self, "\\u0000 is not allowed in a string");
        if (code >= 0xDC00 && code <= 0xDFFF)
            return s_fail (self, "invalid Unicode escape (a lone low surrogate)");
        i += 6;
        if (code >= 0xD800 && code <= 0xDBFF) {
            if (i + 6 > self->len)
                return s_end (self, "unexpected end of input in a string");
            int low = text [i] == '\\' && text [i + 1] == 'u' ? jm_json_hex4 (self->text + i + 2) : -1;
            if (low < 0xDC00 || low > 0xDFFF)
                return s_fail (self, "invalid Unicode escape (a lone high surrogate)");
            i += 6;
        }
    }
}

static bool
s_digit (char c)
{
    return c >= '0' && c <= '9';
}

//  The number at pos; leaves pos past it.
static int
s_number (s_check_t *self)
{
    const char *text = self->text;
    size_t start = self->pos, i = start;
    bool real = false;
    size_t digits = 0;
    if (i < self->len && text [i] == '-')
        i++;
    if (i >= self->len)
        goto more;
    if (text [i] == '0')
        i++, digits++;
    else
    if (s_digit (text [i]))
        while (i < self->len && s_digit (text [i]))
            i++, digits++;
    else {
        self->pos = i;
        return s_fail (self, "invalid number");
    }
    if (i < self->len && text [i] == '.') {
        real = true;
        i++;
        if (i >= self->len)
            goto more;
        if (!s_digit (text [i])) {
            self->pos = i;
            return s_fail (self, "invalid number: digits expected after '.'");
        }
        while (i < self->len && s_digit (text [i]))
            i++;
    }
    if (i < self->len && (text [i] == 'e' || text [i] == 'E')) {
        real = true;
        i++;
        if (i < self->len && (text [i] == '+' || text [i] == '-'))
            i++;
        if (i >= self->len)
            goto more;
        if (!s_digit (text [i])) {
            self->pos = i;
            return s_fail (self, "invalid number: digits expected in the exponent");
        }
        while (i < self->len && s_digit (text [i]))
            i++;
    }
    if (i >= self->len && !self->final)
        goto more;
    //  jansson's limits: a long long, a finite double
    if (digits > 18 || real) {
        char copy [512];
        size_t size = i - start;
        if (size < sizeof copy) {
            memcpy (copy, text + start, size);
            copy [size] = 0;
            errno = 0;
            if (!real) {
                long long value = strtoll (copy, NULL, 10);
                if (errno == ERANGE && (value == LLONG_MAX || value == LLONG_MIN)) {
                    self->pos = start;
                    return s_fail (self, "too big integer");
                }
            }
            else {
                double value = strtod (copy, NULL);
                if (errno == ERANGE && isinf (value)) {
                    self->pos = start;
                    return s_fail (self, "real number overflow");
                }
            }
        }
        else {
            self->pos = start;
            return s_fail (self, "number too long");
        }
    }
    self->pos = i;
    return s_OK;
more:
    self->pos = i;
    return s_end (self, "unexpected end of input in a number");
}

static int
s_literal (s_check_t *self, const char *word)
{
    size_t size = strlen (word);
    size_t have = self->len - self->pos;
    if (memcmp (self->text + self->pos, word, have < size ? have : size) != 0)
        return s_fail (self, "invalid value");
    if (have < size) {
        self->pos = self->len;
        return s_end (self, "unexpected end of input");
    }
    self->pos += size;
    return s_OK;
}

//  Checks the value at pos, leaving pos past it.
static int
s_value (s_check_t *self)
{
    char stack [JM_BATCH_JSON_DEPTH];
    int depth = 0;
    int rc;
    //  expecting: a value, a key (after '{' or ',' in an object)
    enum { VALUE, KEY, AFTER } state = VALUE;
    while (true) {
        if (state == VALUE) {
            s_blanks (self);
            if (self->pos >= self->len)
                return s_end (self, "unexpected end of input: a value expected");
            char c = self->text [self->pos];
            if (c == '{' || c == '[') {
                if (depth == JM_BATCH_JSON_DEPTH)
                    return s_fail (self, "maximum nesting depth exceeded");
                stack [depth++] = c;
                self->pos++;
                s_blanks (self);
                if (self->pos >= self->len)
                    return s_end (self, "unexpected end of input");
                char close = c == '{' ? '}' : ']';
                if (self->text [self->pos] == close) {
                    self->pos++;
                    depth--;
                    state = AFTER;
                }
                else
                    state = c == '{' ? KEY : VALUE;
                continue;
            }
            if (c == '"')
                rc = s_string (self);
            else
            if (c == '-' || s_digit (c))
                rc = s_number (self);
            else
            if (c == 't')
                rc = s_literal (self, "true");
            else
            if (c == 'f')
                rc = s_literal (self, "false");
            else
            if (c == 'n')
                rc = s_literal (self, "null");
            else
                return s_fail (self, c == ']' || c == '}' || c == ',' ? "a value expected" : "invalid value");
            if (rc != s_OK)
                return rc;
            state = AFTER;
        }
        else
        if (state == KEY) {
            s_blanks (self);
            if (self->pos >= self->len)
                return s_end (self, "unexpected end of input: a key expected");
            if (self->text [self->pos] != '"')
                return s_fail (self, "string or '}' expected");
            rc = s_string (self);
            if (rc != s_OK)
                return rc;
            s_blanks (self);
            if (self->pos >= self->len)
                return s_end (self, "unexpected end of input: ':' expected");
            if (self->text [self->pos] != ':')
                return s_fail (self, "':' expected");
            self->pos++;
            state = VALUE;
        }
        else {
            if (depth == 0)
                return s_OK;
            s_blanks (self);
            if (self->pos >= self->len)
                return s_end (self, "unexpected end of input");
            char c = self->text [self->pos];
            char open = stack [depth - 1];
            if (c == ',') {
                self->pos++;
                state = open == '{' ? KEY : VALUE;
            }
            else
            if ((open == '{' && c == '}') || (open == '[' && c == ']')) {
                self->pos++;
                depth--;
            }
            else
                return s_fail (self, open == '{' ? "',' or '}' expected" : "',' or ']' expected");
        }
    }
}

int
jm_batch_json_check (const char *text, size_t len, size_t *error_at, const char **message)
{
    s_check_t check = { text, len, 0, true, NULL };
    int rc = s_value (&check);
    if (rc == s_OK) {
        s_blanks (&check);
        if (check.pos < len) {
            rc = s_BAD;
            check.message = "end of input expected";
        }
    }
    if (rc == s_OK)
        return 0;
    *error_at = check.pos < len ? check.pos : len;
    *message = check.message ? check.message : "invalid JSON";
    return -1;
}

long
jm_batch_json_value_end (const char *text, size_t len, size_t *error_at, const char **message)
{
    s_check_t check = { text, len, 0, false, NULL };
    int rc = s_value (&check);
    if (rc == s_OK)
        return (long) check.pos;
    if (rc == s_MORE)
        return 0;
    *error_at = check.pos < len ? check.pos : len;
    *message = check.message ? check.message : "invalid JSON";
    return -1;
}


//  ---------------------------------------------------------------------------
//  The iterator

void
jm_batch_json_iter_init (jm_batch_json_iter_t *self, const char *text, size_t len)
{
    self->text = text;
    self->len = len;
    self->pos = 0;
    self->ok = true;
}

static void
s_iter_blanks (jm_batch_json_iter_t *self)
{
    while (self->pos < self->len) {
        char c = self->text [self->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        self->pos++;
    }
}

static bool
s_iter_fail (jm_batch_json_iter_t *self)
{
    self->ok = false;
    self->pos = self->len;
    return false;
}

//  Index past the string whose opening quote is at i, or len + 1.
static size_t
s_skip_string (const char *text, size_t len, size_t i)
{
    i++;
    while (i < len) {
        const char *quote = memchr (text + i, '"', len - i);
        if (!quote)
            break;
        size_t at = (size_t) (quote - text), k = at;
        while (k > i && text [k - 1] == '\\')
            k--;
        if (((at - k) & 1) == 0)
            return at + 1;
        i = at + 1;
    }
    return len + 1;
}

//  Where a container is scanned: depth in brackets, whether in a string,
//  whether the next byte is escaped.
typedef struct {
    long depth;
    bool in_string;
    bool escaped;
} s_scan_t;

//  Scans text [i..end) byte by byte; returns the index past the bracket
//  that closes the container, or 0 when it is not there.
static size_t
s_scan_bytes (s_scan_t *scan, const char *text, size_t i, size_t end)
{
    for (; i < end; i++) {
        char c = text [i];
        if (scan->in_string) {
            if (scan->escaped)
                scan->escaped = false;
            else
            if (c == '\\')
                scan->escaped = true;
            else
            if (c == '"')
                scan->in_string = false;
        }
        else
        if (c == '"')
            scan->in_string = true;
        else
        if (c == '{' || c == '[')
            scan->depth++;
        else
        if ((c == '}' || c == ']') && --scan->depth == 0)
            return i + 1;
    }
    return 0;
}

#if defined (__SSE2__)
//  Bit k of the result is set where block [k] equals one of the bytes that
//  SSE2 compares: needle, or needle with bit 0x20 cleared when fold is set
//  ('{' and '[', '}' and ']' differ only there).
static inline uint64_t
s_mask64 (const __m128i *lanes, char needle, bool fold)
{
    __m128i want = _mm_set1_epi8 (needle);
    __m128i bit = _mm_set1_epi8 (fold ? 0x20 : 0);
    uint64_t mask = 0;
    for (int k = 0; k < 4; k++) {
        __m128i equal = _mm_cmpeq_epi8 (_mm_or_si128 (lanes [k], bit), want);
        mask |= (uint64_t) (uint32_t) _mm_movemask_epi8 (equal) << (16 * k);
    }
    return mask;
}

//  Bit k set where an odd number of bits 0..k of x are set.
static inline uint64_t
s_prefix_xor (uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}
#endif

//  Index past the object or array whose opening bracket is at i, or
//  len + 1.  Only strings and brackets are followed (the iterator does not
//  validate).  With SSE2, 64 bytes at a time: quotes and brackets become
//  bit masks, the bytes inside strings a prefix XOR of the quotes, and the
//  depth moves by each bracket outside them (a few per block, taken by
//  their bit); a block with a backslash, and the last bytes, go byte by
//  byte.
static size_t
s_skip_container (const char *text, size_t len, size_t i)
{
    s_scan_t scan = { 0, false, false };
#if defined (__SSE2__)
    while (i + 64 <= len) {
        __m128i lanes [4];
        for (int k = 0; k < 4; k++)
            lanes [k] = _mm_loadu_si128 ((const __m128i *) (text + i + 16 * k));
        if (scan.escaped || s_mask64 (lanes, '\\', false)) {
            size_t end = s_scan_bytes (&scan, text, i, i + 64);
            if (end)
                return end;
            i += 64;
            continue;
        }
        uint64_t inside = s_prefix_xor (s_mask64 (lanes, '"', false));
        if (scan.in_string)
            inside = ~inside;
        scan.in_string = inside >> 63;
        uint64_t open = s_mask64 (lanes, '{', true) & ~inside;
        uint64_t close = s_mask64 (lanes, '}', true) & ~inside;
        for (uint64_t brackets = open | close; brackets; brackets &= brackets - 1) {
            int k = __builtin_ctzll (brackets);
            if (open >> k & 1)
                scan.depth++;
            else
            if (--scan.depth == 0)
                return i + (size_t) k + 1;
        }
        i += 64;
    }
#endif
    size_t end = s_scan_bytes (&scan, text, i, len);
    return end ? end : len + 1;
}

bool
jm_batch_json_at (const jm_batch_json_iter_t *self, char c)
{
    size_t i = self->pos;
    while (i < self->len && (self->text [i] == ' ' || self->text [i] == '\t'
                          || self->text [i] == '\n' || self->text [i] == '\r'))
        i++;
    return i < self->len && self->text [i] == c;
}

const char *
jm_batch_json_skip (jm_batch_json_iter_t *self, size_t *len)
{
    s_iter_blanks (self);
    const char *text = self->text;
    size_t start = self->pos, i = start;
    *len = 0;
    if (!self->ok || i >= self->len) {
        s_iter_fail (self);
        return NULL;
    }
    char c = text [i];
    if (c == '"')
        i = s_skip_string (text, self->len, i);
    else
    if (c == '{' || c == '[')
        i = s_skip_container (text, self->len, i);
    else {
        while (i < self->len && !strchr (",}] \t\r\n", text [i]))
            i++;
        if (i == start)
            i = self->len + 1;
    }
    if (i > self->len) {
        s_iter_fail (self);
        return NULL;
    }
    self->pos = i;
    *len = i - start;
    return text + start;
}

//  Moves into a container or past a separator: returns true with the
//  cursor on the next item, false at the container's end.
static bool
s_iter_next (jm_batch_json_iter_t *self, char open, char close)
{
    if (!self->ok)
        return false;
    s_iter_blanks (self);
    if (self->pos >= self->len)
        return s_iter_fail (self);
    char c = self->text [self->pos];
    if (c == open || c == ',') {
        self->pos++;
        s_iter_blanks (self);
        if (self->pos < self->len && self->text [self->pos] == close && c == open) {
            self->pos++;
            return false;
        }
        return self->pos < self->len ? true : s_iter_fail (self);
    }
    if (c == close) {
        self->pos++;
        return false;
    }
    return s_iter_fail (self);
}

bool
jm_batch_json_member (jm_batch_json_iter_t *self, const char **key, size_t *key_len)
{
    if (!s_iter_next (self, '{', '}'))
        return false;
    if (self->text [self->pos] != '"')
        return s_iter_fail (self);
    size_t end = s_skip_string (self->text, self->len, self->pos);
    if (end > self->len)
        return s_iter_fail (self);
    *key = self->text + self->pos + 1;
    *key_len = end - self->pos - 2;
    self->pos = end;
    s_iter_blanks (self);
    if (self->pos >= self->len || self->text [self->pos] != ':')
        return s_iter_fail (self);
    self->pos++;
    s_iter_blanks (self);
    return self->pos < self->len ? true : s_iter_fail (self);
}

bool
jm_batch_json_element (jm_batch_json_iter_t *self)
{
    return s_iter_next (self, '[', ']');
}

const char *
jm_batch_json_fields (jm_batch_json_iter_t *self, jm_batch_json_field_t *fields, int count,
                      size_t *len)
{
    for (int f = 0; f < count; f++) {
        fields [f].value = NULL;
        fields [f].len = 0;
    }
    *len = 0;
    s_iter_blanks (self);
    if (!self->ok || self->pos >= self->len)
        return NULL;
    if (self->text [self->pos] != '{') {
        size_t skipped;
        jm_batch_json_skip (self, &skipped);
        return NULL;
    }
    size_t start = self->pos;
    const char *key;
    size_t key_len;
    while (jm_batch_json_member (self, &key, &key_len)) {
        jm_batch_json_field_t *field = NULL;
        for (int f = 0; f < count && !field; f++)
            if (strlen (fields [f].name) == key_len && memcmp (fields [f].name, key, key_len) == 0)
                field = &fields [f];
        size_t value_len;
        const char *value = jm_batch_json_skip (self, &value_len);
        if (field && value) {
            field->value = value;
            field->len = value_len;
        }
    }
    if (!self->ok)
        return NULL;
    *len = self->pos - start;
    return self->text + start;
}


//  ---------------------------------------------------------------------------
//  Strings

static void
s_put_utf8 (jm_buf_t *out, uint32_t code)
{
    char bytes [4];
    size_t size;
    if (code < 0x80) {
        bytes [0] = (char) code;
        size = 1;
    }
    else
    if (code < 0x800) {
        bytes [0] = (char) (0xC0 | (code >> 6));
        bytes [1] = (char) (0x80 | (code & 0x3F));
        size = 2;
    }
    else
    if (code < 0x10000) {
        bytes [0] = (char) (0xE0 | (code >> 12));
        bytes [1] = (char) (0x80 | ((code >> 6) & 0x3F));
        bytes [2] = (char) (0x80 | (code & 0x3F));
        size = 3;
    }
    else {
        bytes [0] = (char) (0xF0 | (code >> 18));
        bytes [1] = (char) (0x80 | ((code >> 12) & 0x3F));
        bytes [2] = (char) (0x80 | ((code >> 6) & 0x3F));
        bytes [3] = (char) (0x80 | (code & 0x3F));
        size = 4;
    }
    jm_buf_append (out, bytes, size);
}

void
jm_batch_json_unescape (const char *value, size_t len, jm_buf_t *out)
{
    if (len < 2 || value [0] != '"' || value [len - 1] != '"') {
        jm_buf_append (out, value, len);
        return;
    }
    const char *p = value + 1, *end = value + len - 1;
    while (p < end) {
        const char *slash = memchr (p, '\\', (size_t) (end - p));
        if (!slash) {
            jm_buf_append (out, p, (size_t) (end - p));
            break;
        }
        jm_buf_append (out, p, (size_t) (slash - p));
        p = slash + 1;
        if (p >= end)
            break;
        char e = *p++;
        switch (e) {
            case 'b': jm_buf_append (out, "\b", 1); break;
            case 'f': jm_buf_append (out, "\f", 1); break;
            case 'n': jm_buf_append (out, "\n", 1); break;
            case 'r': jm_buf_append (out, "\r", 1); break;
            case 't': jm_buf_append (out, "\t", 1); break;
            case 'u': {
                int code = end - p >= 4 ? jm_json_hex4 (p) : -1;
                if (code < 0) {
                    s_put_utf8 (out, 0xFFFD);
                    break;
                }
                p += 4;
                uint32_t point = (uint32_t) code;
                if (code >= 0xD800 && code <= 0xDBFF) {
                    int low = end - p >= 6 && p [0] == '\\' && p [1] == 'u' ? jm_json_hex4 (p + 2) : -1;
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        point = 0x10000 + (((uint32_t) code - 0xD800) << 10) + ((uint32_t) low - 0xDC00);
                        p += 6;
                    }
                    else
                        point = 0xFFFD;
                }
                else
                if (code >= 0xDC00 && code <= 0xDFFF)
                    point = 0xFFFD;
                s_put_utf8 (out, point);
                break;
            }
            default:
                jm_buf_append (out, &e, 1);     //  \" \\ \/
        }
    }
}

bool
jm_batch_json_is_str (const char *value, size_t len, const char *text)
{
    size_t size = strlen (text);
    if (!value || len < 2 || value [0] != '"')
        return false;
    if (len == size + 2 && memcmp (value + 1, text, size) == 0)
        return true;
    if (!memchr (value, '\\', len))
        return false;
    jm_buf_t plain;
    jm_buf_init (&plain);
    jm_batch_json_unescape (value, len, &plain);
    bool same = plain.len == size && (size == 0 || memcmp (plain.data, text, size) == 0);
    jm_buf_free (&plain);
    return same;
}
