/*  body: reading request bodies and writing reply bodies, shared by the
    matcher's three services (jobmatch.match, jobmatch.jobs, jobmatch.results).

    Every body is one JSON object.  Bad input is answered, never asserted:
    these helpers turn it into a jm_error_t naming the field, and write
    {"ok": false, "error": {"code": C, "message": M}} for it.              */
#ifndef JM_MATCHER_BODY_H
#define JM_MATCHER_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include "jm_buf.h"
#include "jm_detail.h"
#include "jm_error.h"

//  Parses a request body.  Returns the object (new reference), or NULL with
//  err set: invalid_json with line and column, or invalid_request when the
//  body is JSON but not an object.
json_t *
    jm_body_parse (const void *data, size_t size, jm_error_t *err);

//  The body's "op" when it is one of ops (a NULL-terminated list), else NULL
//  with err set (invalid_request naming the ops the service knows).
const char *
    jm_body_op (json_t *body, const char *service, const char * const *ops, jm_error_t *err);

//  Reads the integer member name into *value: def when absent or null.
//  Returns 0, or -1 with err set (invalid_request) when it is not an integer
//  in min..max.
int
    jm_body_int (json_t *body, const char *name, long long def, long long min, long long max,
                 long long *value, jm_error_t *err);

//  Reads the string member name (1..max_len bytes).  Returns it (borrowed
//  from body), or NULL with err set (invalid_request) when it is missing or
//  not such a string.
const char *
    jm_body_string (json_t *body, const char *name, size_t max_len, jm_error_t *err);

//  Reads the "detail" member (jm_detail.h): JM_DETAIL_DEFAULT when absent
//  or null.  Returns 0, or -1 with err set (invalid_request naming the
//  values it takes).
int
    jm_body_detail (json_t *body, jm_detail_t *detail, jm_error_t *err);

//  Replaces out with {"ok": false, "error": {...}}.
void
    jm_body_error (jm_buf_t *out, const jm_error_t *err);

//  Appends value as compact JSON text.
void
    jm_body_json (jm_buf_t *out, const json_t *value);

#endif
