/*  jm_json: a strict, fast JSON reader for request bodies.  See jm_json.h.

    The parser is a loop over three states (a value is expected, a key is
    expected, a value is done) with an explicit stack of open containers,
    so nesting depth costs no C stack and is bounded.  Decoded strings go
    to one text buffer sized before parsing (decoded text plus its NULs
    never exceeds the input: every string has two quotes and an escape
    never decodes longer than it is written), so string pointers stay
    valid while the value array grows.                                     */
#include "jm_json.h"
#include "jm_alloc.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _jm_json_doc_t {
    jm_json_t *values;
    size_t value_count, value_cap;
    char *text;                         //  decoded strings, NUL-terminated
    size_t text_len, text_cap;
    uint32_t stack [JM_JSON_MAX_DEPTH]; //  indexes of the open containers
};

typedef struct {
    jm_json_doc_t *doc;
    const char *p, *end;
    const char *line_start;
    int line;
    jm_error_t *err;
} s_parser_t;

jm_json_doc_t *
jm_json_doc_new (void)
{
    jm_json_doc_t *self = jm_calloc (1, sizeof *self);
    return self;
}

void
jm_json_doc_destroy (jm_json_doc_t **self_p)
{
    assert (self_p);
    jm_json_doc_t *self = *self_p;
    if (!self)
        return;
    free (self->values);
    free (self->text);
    free (self);
    *self_p = NULL;
}

//  Records the error at the parser's position; returns NULL.
static const jm_json_t *
s_fail (s_parser_t *self, const char *what)
{
    int column = (int) (self->p - self->line_start) + 1;
    jm_error_set_at (self->err, JM_ERR_INVALID_JSON, self->line, column,
                     "%s (line %d, column %d)", what, self->line, column);
    return NULL;
}

static const jm_json_t *
s_fail_character (s_parser_t *self, const char *expected)
{
    char what [96];
    unsigned char c = (unsigned char) *self->p;
    if (c >= 0x20 && c < 0x7f)
        snprintf (what, sizeof what, "unexpected '%c', %s", c, expected);
    else
        snprintf (what, sizeof what, "unexpected byte 0x%02x, %s", c, expected);
    return s_fail (self, what);
}

static void
s_skip_space (s_parser_t *self)
{
    const char *p = self->p;
    while (p < self->end) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\r')
            p++;
        else
        if (c == '\n') {
            p++;
            self->line++;
            self->line_start = p;
        }
        else
            break;
    }
    self->p = p;
}

//  Capacities kept from one document to the next; above them the buffers
//  are freed before the next parse
#define KEEP_VALUES     (256 * 1024)        //  6 MB of values
#define KEEP_TEXT       (8 << 20)

void
jm_json_doc_trim (jm_json_doc_t *self)
{
    assert (self);
    self->value_count = 0;
    self->text_len = 0;
    if (self->value_cap > KEEP_VALUES) {
        free (self->values);
        self->values = NULL;
        self->value_cap = 0;
    }
    if (self->text_cap > KEEP_TEXT) {
        free (self->text);
        self->text = NULL;
        self->text_cap = 0;
    }
}

//  Appends a value of the type; returns its index.  The parse loop checks
//  JM_JSON_MAX_VALUES before each value it starts.
static uint32_t
s_push (jm_json_doc_t *self, jm_json_type_t type)
{
    if (self->value_count == self->value_cap) {
        self->value_cap = self->value_cap ? self->value_cap * 2 : 256;
        self->values = jm_realloc (self->values, self->value_cap * sizeof *self->values);
    }
    jm_json_t *value = &self->values [self->value_count];
    memset (value, 0, sizeof *value);
    value->type = (uint8_t) type;
    value->size = 1;
    return (uint32_t) self->value_count++;
}

int
jm_json_hex4 (const char *p)
{
    int value = 0;
    for (int i = 0; i < 4; i++) {
        char c = p [i];
        value <<= 4;
        if (c >= '0' && c <= '9')
            value |= c - '0';
        else
        if (c >= 'a' && c <= 'f')
            value |= c - 'a' + 10;
        else
        if (c >= 'A' && c <= 'F')
            value |= c - 'A' + 10;
        else
            return -1;
    }
    return value;
}

int
jm_json_utf8_length (const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p [0];
    int length;
    unsigned char low = 0x80, high = 0xbf;      //  bounds of the second byte
    if (c >= 0xc2 && c <= 0xdf)
        length = 2;
    else
    if (c >= 0xe0 && c <= 0xef) {
        length = 3;
        if (c == 0xe0) low = 0xa0;              //  no overlong forms
        if (c == 0xed) high = 0x9f;             //  no UTF-16 surrogates
    }
    else
    if (c >= 0xf0 && c <= 0xf4) {
        length = 4;
        if (c == 0xf0) low = 0x90;
        if (c == 0xf4) high = 0x8f;             //  nothing past U+10FFFF
    }
    else
        return 0;
    for (int i = 1; i < length; i++) {
        if (p + i >= end)
            return -1;
        if (i == 1 ? p [i] < low || p [i] > high : (p [i] & 0xc0) != 0x80)
            return 0;
    }
    return length;
}

static char *
s_put_utf8 (char *out, int code)
{
    if (code < 0x80)
        *out++ = (char) code;
    else
    if (code < 0x800) {
        *out++ = (char) (0xc0 | (code >> 6));
        *out++ = (char) (0x80 | (code & 0x3f));
    }
    else
    if (code < 0x10000) {
        *out++ = (char) (0xe0 | (code >> 12));
        *out++ = (char) (0x80 | ((code >> 6) & 0x3f));
        *out++ = (char) (0x80 | (code & 0x3f));
    }
    else {
        *out++ = (char) (0xf0 | (code >> 18));
        *out++ = (char) (0x80 | ((code >> 12) & 0x3f));
        *out++ = (char) (0x80 | ((code >> 6) & 0x3f));
        *out++ = (char) (0x80 | (code & 0x3f));
    }
    return out;
}

//  Reads the string at p (its opening quote) into a new value.
static int
s_string (s_parser_t *self)
{
    jm_json_doc_t *doc = self->doc;
    uint32_t index = s_push (doc, JM_JSON_STRING);
    char *start = doc->text + doc->text_len, *out = start;
    const char *p = self->p + 1, *end = self->end;
    while (true) {
        //  the common run: printable ASCII without quote or backslash
        while (p < end && (unsigned char) *p >= 0x20 && (unsigned char) *p < 0x80
               && *p != '"' && *p != '\\')
            *out++ = *p++;
        if (p == end) {
            self->p = p;
            s_fail (self, "unexpected end of input inside a string");
            return -1;
        }
        unsigned char c = (unsigned char) *p;
        if (c == '"')
            break;
        if (c < 0x20) {
            self->p = p;
            s_fail (self, "control character inside a string (escape it)");
            return -1;
        }
        if (c >= 0x80) {
            int length = jm_json_utf8_length ((const unsigned char *) p, (const unsigned char *) end);
            if (length <= 0) {
                self->p = p;
                s_fail (self, "invalid UTF-8 inside a string");
                return -1;
            }
            memcpy (out, p, (size_t) length);
            out += length;
            p += length;
            continue;
        }
        //  an escape
        if (end - p < 2) {
            self->p = end;
            s_fail (self, "unexpected end of input inside a string");
            return -1;
        }
        char escaped = p [1];
        const char *simple = strchr ("\"\\/bfnrt", escaped);
        if (simple && escaped) {
            static const char decoded [] = "\"\\/\b\f\n\r\t";
            *out++ = decoded [simple - "\"\\/bfnrt"];
            p += 2;
            continue;
        }
        int code = escaped == 'u' && end - p >= 6 ? jm_json_hex4 (p + 2) : -1;
        if (code < 0) {
            self->p = p;
            s_fail (self, "invalid escape inside a string");
            return -1;
        }
        if (code >= 0xd800 && code <= 0xdbff) {
            int low = end - p >= 12 && p [6] == '\\' && p [7] == 'u' ? jm_json_hex4 (p + 8) : -1;
            if (low < 0xdc00 || low > 0xdfff) {
                self->p = p;
                s_fail (self, "invalid \\u escape: a high surrogate without its low half");
                return -1;
            }
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            p += 6;
        }
        else
        if (code >= 0xdc00 && code <= 0xdfff) {
            self->p = p;
            s_fail (self, "invalid \\u escape: a low surrogate on its own");
            return -1;
        }
        else
        if (code == 0) {
            self->p = p;
            s_fail (self, "\\u0000 is not allowed inside a string");
            return -1;
        }
        out = s_put_utf8 (out, code);
        p += 6;
    }
    *out = '\0';
    jm_json_t *value = &doc->values [index];
    value->string = start;
    value->count = (uint32_t) (out - start);
    doc->text_len += (size_t) (out - start) + 1;
    assert (doc->text_len <= doc->text_cap);
    self->p = p + 1;
    return 0;
}

static bool
s_digit (const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

//  Reads the number at p into a new value.
static int
s_number (s_parser_t *self)
{
    const char *start = self->p, *p = start, *end = self->end;
    if (*p == '-')
        p++;
    if (!s_digit (p, end)) {
        self->p = p < end ? p : end;
        if (p < end)
            s_fail_character (self, "a digit was expected");
        else
            s_fail (self, "unexpected end of input inside a number");
        return -1;
    }
    if (*p == '0')
        p++;
    else
        while (s_digit (p, end))
            p++;
    size_t integer_digits = (size_t) (p - start) - (*start == '-');
    bool is_integer = true;
    if (p < end && *p == '.') {
        p++;
        if (!s_digit (p, end)) {
            self->p = p;
            s_fail (self, "a digit was expected after the decimal point");
            return -1;
        }
        while (s_digit (p, end))
            p++;
        is_integer = false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!s_digit (p, end)) {
            self->p = p;
            s_fail (self, "a digit was expected in the exponent");
            return -1;
        }
        while (s_digit (p, end))
            p++;
        is_integer = false;
    }
    uint32_t index = s_push (self->doc, JM_JSON_NUMBER);
    jm_json_t *value = &self->doc->values [index];
    if (is_integer && integer_digits <= 18) {
        //  the common case, exact without strtod
        int64_t integer = 0;
        for (const char *digit = start + (*start == '-'); digit < p; digit++)
            integer = integer * 10 + (*digit - '0');
        value->is_integer = true;
        value->integer = *start == '-' ? -integer : integer;
        self->p = p;
        return 0;
    }
    size_t len = (size_t) (p - start);
    char small [64];
    char *text = len < sizeof small ? small : jm_malloc (len + 1);
    memcpy (text, start, len);
    text [len] = '\0';
    double real = strtod (text, NULL);
    if (is_integer) {
        errno = 0;
        long long integer = strtoll (text, NULL, 10);
        if (errno == 0) {
            value->is_integer = true;
            value->integer = integer;
        }
    }
    if (!value->is_integer)
        value->real = real;
    if (text != small)
        free (text);
    if (!isfinite (real)) {
        self->p = start;
        s_fail (self, "number out of range");
        return -1;
    }
    self->p = p;
    return 0;
}

static int
s_literal (s_parser_t *self, const char *word, jm_json_type_t type)
{
    size_t len = strlen (word);
    if ((size_t) (self->end - self->p) < len || memcmp (self->p, word, len) != 0) {
        s_fail_character (self, "a value was expected");
        return -1;
    }
    s_push (self->doc, type);
    self->p += len;
    return 0;
}

const jm_json_t *
jm_json_doc_parse (jm_json_doc_t *self, const char *data, size_t size, jm_error_t *err)
{
    assert (self);
    assert (data || size == 0);
    jm_json_doc_trim (self);
    if (size + 1 > self->text_cap) {
        free (self->text);
        self->text_cap = size + 1;
        self->text = jm_malloc (self->text_cap);
    }
    s_parser_t parser = { self, data, data + size, data, 1, err };
    s_parser_t *P = &parser;
    int depth = 0;

value:
    s_skip_space (P);
    if (self->value_count >= JM_JSON_MAX_VALUES - 1) {
        int column = (int) (P->p - P->line_start) + 1;
        jm_error_set_at (err, JM_ERR_TOO_LARGE, P->line, column,
                         "more than %d JSON values in one document (line %d, column %d)",
                         JM_JSON_MAX_VALUES, P->line, column);
        return NULL;
    }
    if (P->p == P->end)
        return s_fail (P, depth ? "unexpected end of input, a value was expected"
                                : "no JSON value: the text is empty");
    switch (*P->p) {
        case '{':
        case '[': {
            if (depth == JM_JSON_MAX_DEPTH)
                return s_fail (P, "arrays and objects nested too deep");
            bool object = *P->p == '{';
            uint32_t index = s_push (self, object ? JM_JSON_OBJECT : JM_JSON_ARRAY);
            self->stack [depth++] = index;
            P->p++;
            s_skip_space (P);
            if (P->p < P->end && *P->p == (object ? '}' : ']')) {
                P->p++;
                depth--;
                goto done;
            }
            if (object)
                goto key;
            goto value;
        }
        case '"':
            if (s_string (P))
                return NULL;
            goto done;
        case 't':
            if (s_literal (P, "true", JM_JSON_TRUE))
                return NULL;
            goto done;
        case 'f':
            if (s_literal (P, "false", JM_JSON_FALSE))
                return NULL;
            goto done;
        case 'n':
            if (s_literal (P, "null", JM_JSON_NULL))
                return NULL;
            goto done;
        default:
            if (*P->p == '-' || (*P->p >= '0' && *P->p <= '9')) {
                if (s_number (P))
                    return NULL;
                goto done;
            }
            return s_fail_character (P, "a value was expected");
    }

key:
    if (P->p == P->end)
        return s_fail (P, "unexpected end of input, a key was expected");
    if (*P->p != '"')
        return s_fail_character (P, "a key (a string) was expected");
    if (s_string (P))
        return NULL;
    s_skip_space (P);
    if (P->p == P->end)
        return s_fail (P, "unexpected end of input, ':' was expected");
    if (*P->p != ':')
        return s_fail_character (P, "':' was expected after the key");
    P->p++;
    goto value;

done:
    //  a value is complete (a container closing is one): count it as a
    //  member of the innermost open container, then expect ',' or its end
    if (depth == 0) {
        s_skip_space (P);
        if (P->p != P->end)
            return s_fail_character (P, "the JSON value should end here");
        self->values [0].size = (uint32_t) self->value_count;
        return &self->values [0];
    }
    {
        jm_json_t *container = &self->values [self->stack [depth - 1]];
        bool object = container->type == JM_JSON_OBJECT;
        s_skip_space (P);
        if (P->p == P->end)
            return s_fail (P, object ? "unexpected end of input, ',' or '}' was expected"
                                     : "unexpected end of input, ',' or ']' was expected");
        container->count++;
        if (*P->p == ',') {
            P->p++;
            s_skip_space (P);
            if (object)
                goto key;
            goto value;
        }
        if (*P->p == (object ? '}' : ']')) {
            P->p++;
            depth--;
            container->size = (uint32_t) (self->value_count - self->stack [depth]);
            goto done;
        }
        return s_fail_character (P, object ? "',' or '}' was expected" : "',' or ']' was expected");
    }
}

//  Appends value and its members; -1 when nested too deep.
static int
s_import (jm_json_doc_t *self, json_t *value, int depth)
{
    uint32_t index;
    switch (json_typeof (value)) {
        case JSON_OBJECT: {
            if (depth == JM_JSON_MAX_DEPTH)
                return -1;
            index = s_push (self, JM_JSON_OBJECT);
            const char *key;
            json_t *member;
            json_object_foreach (value, key, member) {
                uint32_t key_index = s_push (self, JM_JSON_STRING);
                self->values [key_index].string = key;
                self->values [key_index].count = (uint32_t) strlen (key);
                if (s_import (self, member, depth + 1))
                    return -1;
                self->values [index].count++;
            }
            break;
        }
        case JSON_ARRAY: {
            if (depth == JM_JSON_MAX_DEPTH)
                return -1;
            index = s_push (self, JM_JSON_ARRAY);
            size_t at;
            json_t *member;
            json_array_foreach (value, at, member) {
                if (s_import (self, member, depth + 1))
                    return -1;
                self->values [index].count++;
            }
            break;
        }
        case JSON_STRING:
            index = s_push (self, JM_JSON_STRING);
            self->values [index].string = json_string_value (value);
            self->values [index].count = (uint32_t) json_string_length (value);
            break;
        case JSON_INTEGER:
            index = s_push (self, JM_JSON_NUMBER);
            self->values [index].is_integer = true;
            self->values [index].integer = json_integer_value (value);
            break;
        case JSON_REAL:
            index = s_push (self, JM_JSON_NUMBER);
            self->values [index].real = json_real_value (value);
            break;
        case JSON_TRUE:
            index = s_push (self, JM_JSON_TRUE);
            break;
        case JSON_FALSE:
            index = s_push (self, JM_JSON_FALSE);
            break;
        default:
            index = s_push (self, JM_JSON_NULL);
            break;
    }
    self->values [index].size = (uint32_t) (self->value_count - index);
    return 0;
}

const jm_json_t *
jm_json_doc_import (jm_json_doc_t *self, json_t *value)
{
    assert (self);
    self->value_count = 0;
    self->text_len = 0;
    if (!value || s_import (self, value, 0))
        return NULL;
    return &self->values [0];
}

const jm_json_t *
jm_json_get (const jm_json_t *object, const char *key)
{
    if (!jm_json_is_object (object))
        return NULL;
    size_t key_len = strlen (key);
    const jm_json_t *found = NULL;
    const jm_json_t *member = object + 1;
    for (uint32_t i = 0; i < object->count; i++) {
        if (member->count == key_len && memcmp (member->string, key, key_len) == 0)
            found = member + 1;
        member = jm_json_skip (member + 1);
    }
    return found;
}
