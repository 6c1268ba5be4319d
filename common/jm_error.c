/*  jm_error: first-error-wins error records.  See jm_error.h.  */
#include "jm_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
}
