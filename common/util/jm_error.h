/*  jm_error: the one error record every fallible call fills.

    A caller passes a jm_error_t * last (NULL allowed).  The first error wins:
    once code is set, later calls leave the record alone, so the message says
    where things first went wrong.  Codes are the protocol's error codes
    (proto/protocol.md), so the same text reaches clients unchanged.        */
#ifndef JM_ERROR_H
#define JM_ERROR_H

#include <stdbool.h>
#include "jm_buf.h"

#define JM_ERROR_CODE_MAX     32
#define JM_ERROR_MESSAGE_MAX  512

typedef struct {
    char code [JM_ERROR_CODE_MAX];          //  "invalid_json", "" when no error
    char message [JM_ERROR_MESSAGE_MAX];    //  names the field / line / column
    int line;                               //  1-based, 0 when not applicable
    int column;                             //  1-based, 0 when not applicable
} jm_error_t;

//  Error codes, one list for the library, the services and the clients
#define JM_ERR_INVALID_JSON     "invalid_json"
#define JM_ERR_INVALID_REQUEST  "invalid_request"
#define JM_ERR_INVALID_DATA     "invalid_data"      //  a taxonomy or job file is inconsistent
#define JM_ERR_UNKNOWN_JOB      "unknown_job"
#define JM_ERR_UNKNOWN_SKILL    "unknown_skill"
#define JM_ERR_NOT_FOUND        "not_found"         //  an id (job, candidate, result) that does not exist
#define JM_ERR_TOO_LARGE        "too_large"
#define JM_ERR_NO_WORKERS       "no_workers"
#define JM_ERR_BUSY             "busy"
#define JM_ERR_WORKER_LOST      "worker_lost"
#define JM_ERR_TIMEOUT          "timeout"           //  no reply in time, after every dispatch
#define JM_ERR_IO               "io_error"
#define JM_ERR_INTERNAL         "internal"
#define JM_ERR_FORBIDDEN        "forbidden"         //  the sender's key may not do this (an admin's may)
#define JM_ERR_UNAVAILABLE      "unavailable"       //  the program is stopping: send it again

//  Clears the record so it can be reused.
void jm_error_clear (jm_error_t *err);

//  Sets code and a printf-style message unless an error is already recorded
//  or err is NULL.  Always returns -1, so callers can `return jm_error_set (...)`.
int jm_error_set (jm_error_t *err, const char *code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Same as jm_error_set, also recording a 1-based line and column.
int jm_error_set_at (jm_error_t *err, const char *code, int line, int column,
                     const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));

//  Puts printf-style context before the recorded message ("candidate 'c1': ")
//  when an error is recorded; does nothing otherwise.
void jm_error_prefix (jm_error_t *err, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  True when err is non-NULL and holds an error.
bool jm_error_is_set (const jm_error_t *err);

//  Appends the error object every reply carries, {"code":..,"message":..},
//  to out, with "line" and "column" when err->line > 0.
void jm_error_write_json (const jm_error_t *err, jm_buf_t *out);

//  Appends the same object's start, {"code":..,"message":.., left open for
//  the caller's own fields (an item's "position") and closing '}'.
void jm_error_write_json_open (const char *code, const char *message, jm_buf_t *out);

#endif
