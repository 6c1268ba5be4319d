/*  jm_error: first-error-wins error records and the JSON object clients
    see of one.  See jm_error.h.                                            */
#include "jm_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

//  Replaces each byte that is not part of a whole, valid UTF-8 sequence with
//  '?'.  Messages quote clients' text, cut by a precision ("%.64s") or by the
//  buffer's size, and go into JSON replies, which must stay valid UTF-8.
static void
s_repair_utf8 (char *text)
{
    unsigned char *byte = (unsigned char *) text;
    while (*byte) {
        unsigned char c = *byte;
        int extra = c < 0x80? 0: c >= 0xC2 && c <= 0xDF? 1: c >= 0xE0 && c <= 0xEF? 2
                  : c >= 0xF0 && c <= 0xF4? 3: -1;
        unsigned int value = extra == 1? c & 0x1F: extra == 2? c & 0x0F: c & 0x07;
        int index = 1;
        while (index <= extra && (byte [index] & 0xC0) == 0x80)
            value = (value << 6) | (byte [index++] & 0x3F);
        bool valid = extra >= 0 && index > extra
                  && !(extra == 2 && (value < 0x800 || (value >= 0xD800 && value <= 0xDFFF)))
                  && !(extra == 3 && (value < 0x10000 || value > 0x10FFFF));
        if (valid)
            byte += extra + 1;
        else
            *byte++ = '?';
    }
}

void
jm_error_clear (jm_error_t *err)
{
    if (err)
        memset (err, 0, sizeof *err);
}

static int
s_error_vset (jm_error_t *err, const char *code, int line, int column,
              const char *format, va_list args)
{
    if (!err || err->code [0])
        return -1;
    snprintf (err->code, sizeof err->code, "%s", code);
    vsnprintf (err->message, sizeof err->message, format, args);
    s_repair_utf8 (err->message);
    err->line = line;
    err->column = column;
    return -1;
}

int
jm_error_set (jm_error_t *err, const char *code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_error_vset (err, code, 0, 0, format, args);
    va_end (args);
    return -1;
}

int
jm_error_set_at (jm_error_t *err, const char *code, int line, int column,
                 const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_error_vset (err, code, line, column, format, args);
    va_end (args);
    return -1;
}

bool
jm_error_is_set (const jm_error_t *err)
{
    return err && err->code [0];
}

void
jm_error_prefix (jm_error_t *err, const char *format, ...)
{
    if (!jm_error_is_set (err))
        return;
    char prefix [JM_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (prefix, sizeof prefix, format, args);
    va_end (args);
    size_t prefix_len = strlen (prefix);
    size_t message_len = strlen (err->message);
    if (prefix_len >= sizeof err->message)
        prefix_len = sizeof err->message - 1;
    if (prefix_len + message_len >= sizeof err->message)
        message_len = sizeof err->message - 1 - prefix_len;
    memmove (err->message + prefix_len, err->message, message_len);
    memcpy (err->message, prefix, prefix_len);
    err->message [prefix_len + message_len] = 0;
    s_repair_utf8 (err->message);
}

void
jm_error_write_json_open (const char *code, const char *message, jm_buf_t *out)
{
    jm_buf_puts (out, "{\"code\":");
    jm_buf_json_str (out, code);
    jm_buf_puts (out, ",\"message\":");
    jm_buf_json_str (out, message);
}

void
jm_error_write_json (const jm_error_t *err, jm_buf_t *out)
{
    jm_error_write_json_open (err->code, err->message, out);
    if (err->line > 0)
        jm_buf_printf (out, ",\"line\":%d,\"column\":%d", err->line, err->column);
    jm_buf_puts (out, "}");
}
