/*  jm_buf: growable buffer and JSON writer.  See jm_buf.h.  */
#include "jm_buf.h"
#include "jm_alloc.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
jm_buf_init (jm_buf_t *self)
{
    memset (self, 0, sizeof *self);
}

void
jm_buf_free (jm_buf_t *self)
{
    free (self->data);
    memset (self, 0, sizeof *self);
}

void
jm_buf_reset (jm_buf_t *self)
{
    self->len = 0;
    if (self->data)
        self->data [0] = 0;
}

void
jm_buf_reserve (jm_buf_t *self, size_t extra)
{
    if (self->len + extra + 1 <= self->cap)
        return;
    size_t cap = self->cap ? self->cap : 256;
    while (cap < self->len + extra + 1)
        cap *= 2;
    self->data = jm_realloc (self->data, cap);
    self->cap = cap;
}

void
jm_buf_printf (jm_buf_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int needed = vsnprintf (NULL, 0, format, args);
    va_end (args);
    assert (needed >= 0);
    jm_buf_reserve (self, (size_t) needed);
    va_start (args, format);
    vsnprintf (self->data + self->len, (size_t) needed + 1, format, args);
    va_end (args);
    self->len += (size_t) needed;
}

void
jm_buf_json_string (jm_buf_t *self, const char *text, size_t len)
{
    static const char hex [] = "0123456789abcdef";
    jm_buf_reserve (self, len + 2);
    self->data [self->len++] = '"';
    size_t run = 0;             //  start of the pending run of plain bytes
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    for (size_t i = 0; i < len; i++) {
        //  eight bytes at a time while none needs escaping: no control
        //  byte, quote, backslash or DEL (exact tests for "any such byte")
        while (i + 8 <= len) {
            uint64_t word, quote, slash, del;
            memcpy (&word, text + i, 8);
            quote = word ^ (ones * '"');
            slash = word ^ (ones * '\\');
            del = word ^ (ones * 0x7f);
            uint64_t special = ((word - ones * 0x20) & ~word) | ((quote - ones) & ~quote)
                             | ((slash - ones) & ~slash) | ((del - ones) & ~del);
            if (special & highs)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char c = (unsigned char) text [i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        jm_buf_append (self, text + run, i - run);
        run = i + 1;
        char escape [7] = { '\\', 0 };
        switch (c) {
            case '"':  escape [1] = '"'; break;
            case '\\': escape [1] = '\\'; break;
            case '\n': escape [1] = 'n'; break;
            case '\r': escape [1] = 'r'; break;
            case '\t': escape [1] = 't'; break;
            default:
                escape [1] = 'u'; escape [2] = '0'; escape [3] = '0';
                escape [4] = hex [c >> 4]; escape [5] = hex [c & 15];
        }
        jm_buf_append (self, escape, strlen (escape));
    }
    jm_buf_append (self, text + run, len - run);
    jm_buf_append (self, "\"", 1);
}

void
jm_buf_json_str (jm_buf_t *self, const char *text)
{
    if (text)
        jm_buf_json_string (self, text, strlen (text));
    else
        jm_buf_append (self, "null", 4);
}

void
jm_buf_json_number (jm_buf_t *self, double value, int decimals)
{
    if (!isfinite (value)) {
        jm_buf_append (self, "null", 4);
        return;
    }
    static const double scales [] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
    if (decimals < 0 || decimals > 6 || fabs (value) >= 1e12) {
        jm_buf_printf (self, "%.*g", 17, value);
        return;
    }
    //  fixed point by hand: the common case, and much cheaper than printf
    bool negative = value < 0;
    unsigned long long scaled = (unsigned long long) (fabs (value) * scales [decimals] + 0.5);
    int trim = decimals;
    while (trim > 0 && scaled % 10 == 0) {
        scaled /= 10;
        trim--;
    }
    char text [48];
    int position = sizeof text;
    for (int digit = 0; digit < trim || scaled > 0 || digit <= trim; digit++) {
        if (digit == trim && trim > 0)
            text [--position] = '.';
        text [--position] = (char) ('0' + scaled % 10);
        scaled /= 10;
        if (digit >= trim && scaled == 0)
            break;
    }
    if (negative && !(position == (int) sizeof text - 1 && text [position] == '0'))
        text [--position] = '-';
    jm_buf_append (self, text + position, sizeof text - (size_t) position);
}

void
jm_buf_int (jm_buf_t *self, long long value)
{
    char text [24], *end = text;
    if (value < 0)
        *end++ = '-';
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long) value : (unsigned long long) value;
    end = jm_buf_put_uint (end, magnitude);
    jm_buf_append (self, text, (size_t) (end - text));
}

void
jm_buf_double (jm_buf_t *self, double value)
{
    if (value > -1e15 && value < 1e15 && value == (double) (long long) value) {
        jm_buf_int (self, (long long) value);          //  the common case: whole numbers
        return;
    }
    char text [40];
    snprintf (text, sizeof text, "%.15g", value);
    if (strtod (text, NULL) != value)
        snprintf (text, sizeof text, "%.17g", value);
    jm_buf_puts (self, text);
}

char *
jm_buf_put_uint (char *out, uint64_t value)
{
    char digits [20];
    int count = 0;
    do
        digits [count++] = (char) ('0' + value % 10);
    while ((value /= 10) > 0);
    while (count > 0)
        *out++ = digits [--count];
    return out;
}

char *
jm_buf_steal (jm_buf_t *self, size_t *len_p)
{
    if (!self->data)
        jm_buf_append (self, "", 0);
    char *data = self->data;
    if (len_p)
        *len_p = self->len;
    memset (self, 0, sizeof *self);
    return data;
}
