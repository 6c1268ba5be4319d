/*  jm_log: one-line log records on stderr, with time, program, pid and level.

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

//  Sets the program name shown in each record and the most detailed level kept.
void jm_log_init (const char *program, jm_log_level_t level);

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
