/*  jm_buf: a growable byte buffer with a JSON writer on top.

    Results are rendered straight into a buffer rather than through a
    json_t tree: at tens of thousands of results a second the tree costs
    more than the scoring.  Strings are escaped per RFC 8259.              */
#ifndef JM_BUF_H
#define JM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *data;                 //  NUL-terminated, owned
    size_t len;
    size_t cap;
} jm_buf_t;

//  Initialises an empty buffer (no allocation until the first append).
void jm_buf_init (jm_buf_t *self);

//  Frees the data and resets the buffer.
void jm_buf_free (jm_buf_t *self);

//  Empties the buffer, keeping its memory.
void jm_buf_reset (jm_buf_t *self);

//  Makes room for extra more bytes and the NUL (the slow path of appends).
void jm_buf_reserve (jm_buf_t *self, size_t extra);

//  Appends len bytes.  Inline, like jm_buf_puts, because results are
//  written as hundreds of short pieces, most of them literals whose length
//  the compiler then knows.
static inline void
jm_buf_append (jm_buf_t *self, const void *data, size_t len)
{
    if (__builtin_expect (self->len + len + 1 > self->cap, 0))
        jm_buf_reserve (self, len);
    if (len)
        memcpy (self->data + self->len, data, len);
    self->len += len;
    self->data [self->len] = 0;
}

//  Appends a NUL-terminated string.
static inline void
jm_buf_puts (jm_buf_t *self, const char *text)
{
    jm_buf_append (self, text, strlen (text));
}

//  Appends printf-style text.
void jm_buf_printf (jm_buf_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Appends a JSON string literal of len bytes, quoted and escaped.
void jm_buf_json_string (jm_buf_t *self, const char *text, size_t len);

//  Appends a JSON string literal of a NUL-terminated string, or null for NULL.
void jm_buf_json_str (jm_buf_t *self, const char *text);

//  Appends a number with at most `decimals` decimals, trailing zeros trimmed.
void jm_buf_json_number (jm_buf_t *self, double value, int decimals);

//  Appends an integer in decimal.
void jm_buf_int (jm_buf_t *self, long long value);

//  Appends a finite number as the shortest of %.15g and %.17g that reads
//  back as the same double; whole numbers as integers.
void jm_buf_double (jm_buf_t *self, double value);

//  Writes value in decimal at out (at most 20 bytes, no NUL) and returns
//  the end: for fixed buffers filled once per result, cheaper than printf.
char *jm_buf_put_uint (char *out, uint64_t value);

//  Takes the data out (caller frees) and resets the buffer.
char *jm_buf_steal (jm_buf_t *self, size_t *len_p);

#endif
