/*  jm_log: one-line log records on stderr, with time, program, pid and level.

    Text records read "2026-12-07T19:48:56.123Z jobmatch-gateway[42] I text";
    with the json format (--log-format json) each record is one JSON object
    a line with the same fields: {"time":"...","program":"...","pid":42,
    "level":"info","message":"..."}.  The message is escaped so every line
    parses: quotes, backslashes and control bytes as JSON escapes, bytes that
    are not UTF-8 as U+FFFD (as Go's encoding/json does).

    Info says what happened with the ids a reader needs; per-item records go
    to debug, shown only with --verbose.  Never log candidate free text above
    debug.                                                                  */
#ifndef JM_LOG_H
#define JM_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    JM_LOG_ERROR = 0,
    JM_LOG_WARNING = 1,
    JM_LOG_INFO = 2,
    JM_LOG_DEBUG = 3
} jm_log_level_t;

typedef enum {
    JM_LOG_TEXT = 0,
    JM_LOG_JSON = 1
} jm_log_format_t;

//  Sets the program name shown in each record and the most detailed level kept.
void jm_log_init (const char *program, jm_log_level_t level);

//  Chooses how records are written from now on (text by default).
void jm_log_set_format (jm_log_format_t format);

//  Parses a --log-format value ("text" or "json") into format; returns 0, or
//  -1 for any other name (format untouched).
int jm_log_format_parse (const char *name, jm_log_format_t *format);

//  Writes text as a quoted JSON string into out (size >= 3 bytes,
//  NUL-terminated): quotes, backslashes and bytes below 0x20 escaped, bytes
//  that are not UTF-8 replaced by \ufffd.  A text too long is cut before the
//  escape or character that would not fit, so the string stays valid.
//  Returns the length written.
size_t jm_log_json_string (const char *text, char *out, size_t size);

//  True when records at this level are written (guards costly formatting).
bool jm_log_enabled (jm_log_level_t level);

//  Writes one record at the given level.
void jm_log (jm_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Writes url into out (size bytes, truncated, NUL-terminated) with any
//  password replaced by "***", e.g. "redis://matcher:***@host:6379/0", so
//  no log, error or printed setting ever shows one; works on any text, URL
//  or not.  Returns out.
char *jm_log_redact_url (const char *url, char *out, size_t size);

#define jm_log_error(...)   jm_log (JM_LOG_ERROR, __VA_ARGS__)
#define jm_log_warning(...) jm_log (JM_LOG_WARNING, __VA_ARGS__)
#define jm_log_info(...)    jm_log (JM_LOG_INFO, __VA_ARGS__)
#define jm_log_debug(...)   do { if (jm_log_enabled (JM_LOG_DEBUG)) \
                                jm_log (JM_LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
