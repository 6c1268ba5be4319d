/*  jm_failures: the ring of the last failed requests.  See jm_failures.h.

    A fixed array used as a ring: next is where the next entry goes, and
    the newest entry sits just before it.                                 */
#include "jm_failures.h"
#include "jm_alloc.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  One failed request.
typedef struct {
    int64_t time_ms;                        //  wall clock, ms since the epoch
    char service [JM_FAILURE_SERVICE_SIZE];
    char code [JM_FAILURE_CODE_SIZE];
    int attempts;                           //  dispatches to workers, 0: never dispatched
    char client [JM_FAILURE_CLIENT_SIZE];
    char source [JM_FAILURE_SOURCE_SIZE];
} jm_failure_t;

struct _jm_failures_t {
    jm_failure_t *entries;
    size_t capacity;
    size_t size;
    size_t next;
    uint64_t total;
};

jm_failures_t *
jm_failures_new (size_t capacity)
{
    assert (capacity >= 1 && capacity <= JM_FAILURES_MAX);
    jm_failures_t *self = jm_calloc (1, sizeof *self);
    self->entries = jm_calloc (capacity, sizeof *self->entries);
    self->capacity = capacity;
    return self;
}

void
jm_failures_destroy (jm_failures_t **self_p)
{
    assert (self_p);
    jm_failures_t *self = *self_p;
    if (!self)
        return;
    free (self->entries);
    free (self);
    *self_p = NULL;
}

//  Copies at most length bytes of text, up to its NUL, into dest (size
//  bytes, NUL included): printable ASCII as it is, any other byte as '?',
//  cut to fit.
static void
s_copy_clean (char *dest, size_t size, const char *text, size_t length)
{
    size_t index = 0;
    for (; text && index < length && text [index] && index + 1 < size; index++) {
        unsigned char c = (unsigned char) text [index];
        dest [index] = c >= 0x20 && c < 0x7f? (char) c: '?';
    }
    dest [index] = 0;
}

void
jm_failures_add (jm_failures_t *self, int64_t time_ms, const char *service,
                 size_t service_size, const char *code, int attempts, const char *client,
                 const char *source)
{
    assert (self);
    jm_failure_t *slot = &self->entries [self->next];
    slot->time_ms = time_ms;
    slot->attempts = attempts;
    s_copy_clean (slot->service, sizeof slot->service, service, service_size);
    s_copy_clean (slot->code, sizeof slot->code, code, SIZE_MAX);
    s_copy_clean (slot->client, sizeof slot->client, client, SIZE_MAX);
    s_copy_clean (slot->source, sizeof slot->source, source, SIZE_MAX);
    self->next = (self->next + 1) % self->capacity;
    if (self->size < self->capacity)
        self->size++;
    self->total++;
}

uint64_t
jm_failures_total (jm_failures_t *self)
{
    assert (self);
    return self->total;
}

//  The entry index places from the newest (0: the newest); NULL when the
//  ring holds fewer.
static const jm_failure_t *
s_get (jm_failures_t *self, size_t index)
{
    if (index >= self->size)
        return NULL;
    size_t position = (self->next + self->capacity - 1 - index) % self->capacity;
    return &self->entries [position];
}

//  Writes time_ms (ms since the epoch) as "YYYY-MM-DDTHH:MM:SS.mmmZ".
static void
s_iso_time (int64_t time_ms, char *buffer, size_t size)
{
    if (time_ms < 0)
        time_ms = 0;
    time_t seconds = (time_t) (time_ms / 1000);
    struct tm utc;
    if (!gmtime_r (&seconds, &utc)
    ||  strftime (buffer, size, "%Y-%m-%dT%H:%M:%S", &utc) == 0) {
        snprintf (buffer, size, "?");
        return;
    }
    size_t length = strlen (buffer);
    snprintf (buffer + length, size - length, ".%03dZ", (int) (time_ms % 1000));
}

//  Sets a member of an object we build; fails only when out of memory.
static void
s_set (json_t *object, const char *key, json_t *value)
{
    if (json_object_set_new (object, key, value))
        jm_alloc_check (NULL, "JSON member");
}

//  Skips blanks, then expects token at *cursor (before end); moves past it.
//  Returns false when something else is there.
static bool
s_expect (const char **cursor, const char *end, const char *token)
{
    const char *at = *cursor;
    while (at < end && (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r'))
        at++;
    size_t size = strlen (token);
    if ((size_t) (end - at) < size || memcmp (at, token, size) != 0)
        return false;
    *cursor = at + size;
    return true;
}

bool
jm_failures_reply_code (const void *data, size_t size, char *code, size_t code_size)
{
    assert (code && code_size >= 2);
    static const char good [] = "{\"ok\":true";
    const char *cursor = data;
    if (!cursor || (size >= sizeof good - 1 && memcmp (cursor, good, sizeof good - 1) == 0))
        return false;
    const char *end = cursor + (size < JM_FAILURES_REPLY_SCAN? size: JM_FAILURES_REPLY_SCAN);
    if (!s_expect (&cursor, end, "{") || !s_expect (&cursor, end, "\"ok\"")
    ||  !s_expect (&cursor, end, ":") || !s_expect (&cursor, end, "false"))
        return false;
    snprintf (code, code_size, "?");
    if (s_expect (&cursor, end, ",") && s_expect (&cursor, end, "\"error\"")
    &&  s_expect (&cursor, end, ":") && s_expect (&cursor, end, "{")
    &&  s_expect (&cursor, end, "\"code\"") && s_expect (&cursor, end, ":")
    &&  s_expect (&cursor, end, "\"")) {
        size_t length = 0;
        while (cursor + length < end && length < code_size - 1
           && ((cursor [length] >= 'a' && cursor [length] <= 'z')
            || (cursor [length] >= '0' && cursor [length] <= '9') || cursor [length] == '_'))
            length++;
        if (length > 0 && cursor + length < end && cursor [length] == '"') {
            memcpy (code, cursor, length);
            code [length] = 0;
        }
    }
    return true;
}

int
jm_failures_request_parse (const void *data, size_t size, size_t max, size_t *wanted,
                           jm_error_t *err)
{
    assert (wanted);
    *wanted = max;
    if (size == 0)
        return 0;
    if (size > JM_FAILURES_REQUEST_MAX)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "the body is %zu bytes; "
                             "jobmatch.system takes at most %d", size, JM_FAILURES_REQUEST_MAX);
    json_error_t error;
    json_t *root = json_loadb (data, size, JSON_REJECT_DUPLICATES, &error);
    if (!root) {
        //  Without jansson's " near '...'", which quotes the body
        char *near = strstr (error.text, " near ");
        if (near)
            *near = 0;
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "the body is not JSON: %.200s at line %d, column %d",
                             error.text, error.line, error.column);
    }
    int rc = 0;
    if (!json_is_object (root))
        rc = jm_error_set (err, JM_ERR_INVALID_REQUEST, "the body must be empty or a JSON "
                           "object such as {\"failures\": 20}");
    const char *key;
    json_t *value;
    if (rc == 0)
        json_object_foreach (root, key, value) {
            json_int_t number = json_integer_value (value);
            if (strcmp (key, "failures") != 0) {
                //  Keys are valid UTF-8 (jansson checked); cut short all the same
                rc = jm_error_set (err, JM_ERR_INVALID_REQUEST, "unknown member \"%.64s\"; "
                                   "jobmatch.system takes only \"failures\"", key);
                break;
            }
            if (!json_is_integer (value) || number < 0 || (uint64_t) number > max) {
                rc = jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                   "\"failures\" must be an integer from 0 to %zu", max);
                break;
            }
            *wanted = (size_t) number;
        }
    json_decref (root);
    return rc;
}

json_t *
jm_failures_json (jm_failures_t *self, size_t limit, int64_t now_ms)
{
    assert (self);
    json_t *array = jm_alloc_check (json_array (), "JSON array");
    for (size_t index = 0; index < limit && index < self->size; index++) {
        const jm_failure_t *entry = s_get (self, index);
        char time_text [40];
        s_iso_time (entry->time_ms, time_text, sizeof time_text);
        json_t *object = jm_alloc_check (json_object (), "JSON object");
        s_set (object, "time", json_string (time_text));
        s_set (object, "age_ms", json_integer (now_ms > entry->time_ms?
                                               now_ms - entry->time_ms: 0));
        s_set (object, "service", json_string (entry->service));
        s_set (object, "code", json_string (entry->code));
        s_set (object, "attempts", json_integer (entry->attempts));
        s_set (object, "client", json_string (entry->client));
        s_set (object, "source", json_string (entry->source));
        if (json_array_append_new (array, object))
            jm_alloc_check (NULL, "JSON array element");
    }
    return array;
}
