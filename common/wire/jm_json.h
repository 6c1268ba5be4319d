/*  jm_json: a strict, fast JSON reader for request bodies.

    Which JSON reader is used where, and why (the one place that says so;
    figures from bench/RESULTS.md, "request body read"):
      - jm_json (this file): the hot path, every body a matcher reads
        (match requests, cached results cut to a detail, candidates in
        jm_candidate, jm_detail): 279 MB/s against jansson's 40 MB/s on a
        500-candidate request, and no allocation per value.
      - the CLI's batch_json (services/jobmatch/batch_json.h): text only,
        no document at all, for the tens of MB/s `submit` and `batch` move
        through one process: it checks a candidate line and walks a reply
        to copy its results out as text, never re-serializing them.
      - jansson: everything else, where a tree is convenient and the
        volume small: taxonomy and job files, config, the dashboard's API
        bodies and stored results it reads back, the gateway's stats and
        auth, the matcher's job registry, and the CLI's commands other
        than the batch paths.  jm_json_doc_import bridges the two where a
        caller holding a jansson tree reaches code written for jm_json.

    jansson builds a tree of separately allocated values; on a 500-candidate
    request the matcher spent more parsing it than scoring, normalizing and
    storing.  jm_json reads RFC 8259 text in one
    pass into a flat array of values kept in a reusable document, so a
    steady stream of requests allocates nothing.  A value is followed by
    its members (an object's as key, value, key, value...), and `size`
    says how many values the whole subtree spans, so skipping a member is
    one addition.  Strings are decoded, NUL-terminated and checked as
    UTF-8; \u0000 is refused, so every string is also a C string.  Errors
    say what and where: line and column, both 1-based, the column counted
    in bytes.  Duplicate keys are accepted, the last one wins (as jansson
    does by default); the matcher refuses them itself (matcher.c).         */
#ifndef JM_JSON_H
#define JM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "jm_error.h"

#define JM_JSON_MAX_DEPTH   256         //  arrays and objects nested deeper are refused
#define JM_JSON_MAX_VALUES  1000000     //  values in one document (24 MB); a request of
                                        //  1,000 candidates holds about 100,000

typedef enum {
    JM_JSON_NULL, JM_JSON_FALSE, JM_JSON_TRUE, JM_JSON_NUMBER, JM_JSON_STRING,
    JM_JSON_ARRAY, JM_JSON_OBJECT
} jm_json_type_t;

//  One value of a document: 24 bytes, as a request of 1,000 candidates
//  holds some 100,000 of them
typedef struct {
    uint8_t type;               //  jm_json_type_t
    bool is_integer;            //  a number with no fraction or exponent that fits int64_t
    uint32_t size;              //  values this one spans, itself and all its members
    uint32_t count;             //  members of an array or object; bytes of a string
    union {
        const char *string;     //  a string's decoded text, NUL-terminated
        double real;            //  a number's value when not is_integer
        int64_t integer;        //  when is_integer
    };
} jm_json_t;

typedef struct _jm_json_doc_t jm_json_doc_t;

//  A new, empty document.
jm_json_doc_t *jm_json_doc_new (void);

//  Frees the document and nulls the pointer; safe on NULL.
void jm_json_doc_destroy (jm_json_doc_t **self_p);

//  Parses size bytes of JSON text into the document, replacing what it
//  held (values returned before are no longer valid).  Returns the root
//  value, or NULL with err set: invalid_json, its line and column, and a
//  message that says what was wrong ending "(line L, column C)"; too_large
//  past JM_JSON_MAX_VALUES values.
const jm_json_t *jm_json_doc_parse (jm_json_doc_t *self, const char *data, size_t size,
                                    jm_error_t *err);

//  Empties the document, giving back buffers a huge document grew (more
//  than 6 MB of values or 8 MB of text), so one odd request does not stay
//  resident; parsing does it first.  Values returned before are invalid.
void jm_json_doc_trim (jm_json_doc_t *self);

//  Fills the document from a jansson value (borrowed: strings and keys
//  point into it, so it must outlive the values returned), replacing what
//  it held.  Returns the root, or NULL when value is NULL or nested deeper
//  than JM_JSON_MAX_DEPTH.  For callers that already hold a jansson tree.
const jm_json_t *jm_json_doc_import (jm_json_doc_t *self, json_t *value);

//  The value of the four hex digits at p (those of a \u escape), or -1.
int jm_json_hex4 (const char *p);

//  Length of the UTF-8 sequence at p (its lead byte >= 0x80) when it is
//  valid per RFC 3629 (no overlong forms, surrogates or code points past
//  U+10FFFF); 0 when it is invalid; -1 when end cuts it short.
int jm_json_utf8_length (const unsigned char *p, const unsigned char *end);

//  The member of an object named key, or NULL (also when object is NULL or
//  not an object).
const jm_json_t *jm_json_get (const jm_json_t *object, const char *key);

//  The first member of an array (or first key of an object), or NULL when
//  it has none.  The next one is jm_json_skip (member) (an object's value
//  is key + 1, the next key jm_json_skip (key + 1)).
static inline const jm_json_t *
jm_json_first (const jm_json_t *container)
{
    return container && container->count
        && (container->type == JM_JSON_ARRAY || container->type == JM_JSON_OBJECT)
         ? container + 1 : NULL;
}

//  The value after this one and all its members.
static inline const jm_json_t *
jm_json_skip (const jm_json_t *value)
{
    return value + value->size;
}

//  Type tests that accept NULL (as jansson's do).
static inline bool jm_json_is (const jm_json_t *value, jm_json_type_t type)
{
    return value && value->type == type;
}
static inline bool jm_json_is_null (const jm_json_t *value)   { return jm_json_is (value, JM_JSON_NULL); }
static inline bool jm_json_is_string (const jm_json_t *value) { return jm_json_is (value, JM_JSON_STRING); }
static inline bool jm_json_is_number (const jm_json_t *value) { return jm_json_is (value, JM_JSON_NUMBER); }
static inline bool jm_json_is_array (const jm_json_t *value)  { return jm_json_is (value, JM_JSON_ARRAY); }
static inline bool jm_json_is_object (const jm_json_t *value) { return jm_json_is (value, JM_JSON_OBJECT); }
static inline bool jm_json_is_integer (const jm_json_t *value)
{
    return jm_json_is_number (value) && value->is_integer;
}
//  Members of an array or object, 0 for anything else.
static inline size_t jm_json_count (const jm_json_t *value)
{
    return jm_json_is_array (value) || jm_json_is_object (value) ? value->count : 0;
}
//  A number's value (an integer's too), or 0 for anything else.
static inline double jm_json_number (const jm_json_t *value)
{
    return !jm_json_is_number (value) ? 0 : value->is_integer ? (double) value->integer : value->real;
}
//  A string's text, or NULL for anything else.
static inline const char *jm_json_string (const jm_json_t *value)
{
    return jm_json_is_string (value) ? value->string : NULL;
}

#endif
