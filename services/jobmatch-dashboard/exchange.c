/*  exchange: one HTTP request and its response.  See exchange.h.        */
#include "exchange.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <assert.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

//  Query values decoded on demand, owned by the exchange
typedef struct s_decoded {
    struct s_decoded *next;
    char *name;
    char *value;                    //  NULL when the parameter is absent
} s_decoded_t;

int64_t
jm_exchange_now_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int
s_hex_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

//  Decodes %XX escapes (and '+' as a space when plus is set) of size bytes
//  of text into a new string.  Returns NULL for a bad escape or a NUL byte:
//  ids never hold one, and C strings could not carry it.
static char *
s_decode (const char *text, size_t size, bool plus)
{
    char *out = jm_malloc (size + 1);
    size_t length = 0;
    for (size_t index = 0; index < size; index++) {
        char c = text [index];
        if (c == '%') {
            int high = index + 2 < size? s_hex_value (text [index + 1]): -1;
            int low = high >= 0? s_hex_value (text [index + 2]): -1;
            if (low < 0 || (high == 0 && low == 0)) {
                free (out);
                return NULL;
            }
            out [length++] = (char) (high * 16 + low);
            index += 2;
        }
        else
        if (c == '+' && plus)
            out [length++] = ' ';
        else
            out [length++] = c;
    }
    out [length] = 0;
    return out;
}

static jm_method_t
s_method (const char *method)
{
    if (strcmp (method, "GET") == 0)
        return JM_METHOD_GET;
    if (strcmp (method, "HEAD") == 0)
        return JM_METHOD_HEAD;
    if (strcmp (method, "POST") == 0)
        return JM_METHOD_POST;
    if (strcmp (method, "PUT") == 0)
        return JM_METHOD_PUT;
    if (strcmp (method, "DELETE") == 0)
        return JM_METHOD_DELETE;
    return JM_METHOD_OTHER;
}

jm_exchange_t *
jm_exchange_new (jm_app_t *app, struct MHD_Connection *connection, const char *method,
                 const char *path, size_t body_limit)
{
    assert (app && method && path);
    jm_exchange_t *self = jm_calloc (1, sizeof *self);
    self->app = app;
    self->connection = connection;
    self->body_limit = body_limit;
    self->started_us = jm_exchange_now_us ();
    jm_buf_init (&self->body);
    jm_buf_init (&self->out);
    atomic_init (&self->outstanding, 0);
    self->method = s_method (method);
    //  split the raw path on '/', then decode each segment, so an id may
    //  hold an escaped slash ("/" alone has no segment)
    const char *cursor = path;
    if (*cursor == '/')
        cursor++;
    while (*cursor || cursor > path + 1) {
        const char *slash = strchr (cursor, '/');
        size_t size = slash? (size_t) (slash - cursor): strlen (cursor);
        if (self->segment_count == JM_EXCHANGE_SEGMENTS) {
            //  deeper than any route: a marker segment so that nothing matches
            free (self->segment [JM_EXCHANGE_SEGMENTS - 1]);
            self->segment [JM_EXCHANGE_SEGMENTS - 1] = jm_strdup ("\x01");
            break;
        }
        char *segment = s_decode (cursor, size, false);
        if (!segment) {
            jm_exchange_destroy (&self);
            return NULL;
        }
        self->segment [self->segment_count++] = segment;
        if (!slash)
            break;
        cursor = slash + 1;
    }
    return self;
}

void
jm_exchange_destroy (jm_exchange_t **self_p)
{
    assert (self_p);
    jm_exchange_t *self = *self_p;
    if (!self)
        return;
    for (int index = 0; index < self->segment_count; index++)
        free (self->segment [index]);
    for (int index = 0; index < self->call_count; index++) {
        free (self->calls [index].reply);
        free (self->call_body [index]);
    }
    if (self->state && self->state_free)
        self->state_free (self->state);
    s_decoded_t *decoded = self->decoded;
    while (decoded) {
        s_decoded_t *next = decoded->next;
        free (decoded->name);
        free (decoded->value);
        free (decoded);
        decoded = next;
    }
    jm_buf_free (&self->body);
    jm_buf_free (&self->out);
    free (self);
    *self_p = NULL;
}

void
jm_exchange_take_body (jm_exchange_t *self, const char *data, size_t size)
{
    assert (self);
    if (self->body_too_large || self->body.len + size > self->body_limit) {
        self->body_too_large = true;
        return;
    }
    jm_buf_append (&self->body, data, size);
}

const char *
jm_exchange_query (jm_exchange_t *self, const char *name)
{
    assert (self && name);
    for (s_decoded_t *decoded = self->decoded; decoded; decoded = decoded->next)
        if (strcmp (decoded->name, name) == 0)
            return decoded->value;
    s_decoded_t *decoded = jm_calloc (1, sizeof *decoded);
    decoded->name = jm_strdup (name);
    const char *raw = self->connection
                    ? MHD_lookup_connection_value (self->connection, MHD_GET_ARGUMENT_KIND, name)
                    : NULL;
    //  a value that cannot be decoded reads as "\x01", which no parser accepts
    if (raw) {
        decoded->value = s_decode (raw, strlen (raw), true);
        if (!decoded->value)
            decoded->value = jm_strdup ("\x01");
    }
    decoded->next = self->decoded;
    self->decoded = decoded;
    return decoded->value;
}

const char *
jm_exchange_segment (jm_exchange_t *self, int index)
{
    assert (self);
    return index >= 0 && index < self->segment_count? self->segment [index]: NULL;
}

//  Runs in the bridge's thread as each call completes; the last one wakes
//  the connection up.  Touches nothing after the resume, which may let an
//  HTTP thread free the exchange.
static void
s_on_call_done (void *arg)
{
    jm_exchange_t *self = arg;
    if (atomic_fetch_sub (&self->outstanding, 1) == 1)
        MHD_resume_connection (self->connection);
}

int
jm_exchange_call (jm_exchange_t *self, const char *service, char *body, int timeout_ms)
{
    assert (self && service && body);
    if (self->call_count && self->call_stage != self->stage) {
        for (int old = 0; old < self->call_count; old++) {
            free (self->calls [old].reply);
            free (self->call_body [old]);
            self->calls [old].reply = NULL;
            self->call_body [old] = NULL;
        }
        self->call_count = 0;
    }
    self->call_stage = self->stage;
    assert (self->call_count < JM_EXCHANGE_CALLS_MAX);
    int index = self->call_count++;
    self->call_body [index] = body;
    jm_bridge_call_t *call = &self->calls [index];
    memset (call, 0, sizeof *call);
    call->service = service;
    call->body = body;
    call->body_size = strlen (body);
    call->timeout_ms = timeout_ms > 0? timeout_ms: self->app->timeout_ms;
    call->done = s_on_call_done;
    call->arg = self;
    return index;
}

void
jm_exchange_submit (jm_exchange_t *self)
{
    assert (self && self->call_count > 0);
    jm_bridge_call_t *calls [JM_EXCHANGE_CALLS_MAX];
    for (int index = 0; index < self->call_count; index++)
        calls [index] = &self->calls [index];
    atomic_store (&self->outstanding, self->call_count);
    self->suspended = true;
    MHD_suspend_connection (self->connection);
    jm_bridge_submit (self->app->bridge, calls, (size_t) self->call_count);
}

json_t *
jm_exchange_call_result (jm_exchange_t *self, int index)
{
    assert (self && index >= 0 && index < self->call_count);
    jm_bridge_call_t *call = &self->calls [index];
    if (call->failure) {
        if (strcmp (call->failure, JM_BRIDGE_TIMEOUT) == 0)
            jm_exchange_error (self, "timeout", "no reply from %s through the gateway within %d ms",
                               call->service, call->timeout_ms);
        else
        if (strcmp (call->failure, JM_BRIDGE_BUSY) == 0)
            jm_exchange_error (self, JM_ERR_BUSY, "too many requests waiting for the gateway; retry later");
        else
            jm_exchange_error (self, JM_ERR_UNAVAILABLE, "the dashboard is stopping; send the request again");
        return NULL;
    }
    json_error_t json_error;
    json_t *reply = json_loads (call->reply, 0, &json_error);
    if (!json_is_object (reply)) {
        json_decref (reply);
        jm_log_warning ("%s replied something that is not a JSON object", call->service);
        jm_exchange_error (self, JM_ERR_INTERNAL, "%s replied something that is not a JSON object",
                           call->service);
        return NULL;
    }
    json_t *ok = json_object_get (reply, "ok");
    if (!json_is_true (ok)) {
        json_t *error = json_object_get (reply, "error");
        if (json_is_object (error) && json_is_string (json_object_get (error, "code")))
            jm_exchange_error_object (self, error);
        else
            jm_exchange_error (self, JM_ERR_INTERNAL, "%s replied without \"ok\": true or an error",
                               call->service);
        json_decref (reply);
        return NULL;
    }
    json_object_del (reply, "ok");
    return reply;
}

int
jm_exchange_raw (jm_exchange_t *self, int status, const char *content_type, const void *data,
                 size_t size)
{
    assert (self);
    jm_buf_reset (&self->out);
    jm_buf_append (&self->out, data, size);
    self->status = status;
    self->content_type = content_type;
    return JM_EXCHANGE_DONE;
}

int
jm_exchange_json (jm_exchange_t *self, int status, json_t *value)
{
    assert (self && value);
    //  15 digits: a score read as 92.6 is written back as 92.6, not 92.599999999999994
    char *text = jm_alloc_check (json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION (15)),
                                 "JSON text");
    json_decref (value);
    jm_exchange_raw (self, status, "application/json", text, strlen (text));
    free (text);
    return JM_EXCHANGE_DONE;
}

int
jm_exchange_status_for (const char *code)
{
    static const struct { const char *code; int status; } map [] = {
        { JM_ERR_INVALID_JSON, 400 },
        { JM_ERR_INVALID_REQUEST, 400 },
        { "unauthorized", 401 },
        { JM_ERR_FORBIDDEN, 403 },
        { JM_ERR_UNKNOWN_JOB, 404 },
        { "not_found", 404 },
        { "method_not_allowed", 405 },
        { "cross_origin", 403 },
        { "unsupported_media_type", 415 },
        { "misdirected_request", 421 },
        { "rate_limited", 429 },
        { JM_ERR_TOO_LARGE, 413 },
        { JM_ERR_UNKNOWN_SKILL, 422 },
        { JM_ERR_INTERNAL, 500 },
        { JM_ERR_INVALID_DATA, 500 },
        { JM_ERR_WORKER_LOST, 502 },
        { JM_ERR_BUSY, 503 },
        { JM_ERR_NO_WORKERS, 503 },
        { JM_ERR_IO, 503 },
        { JM_ERR_UNAVAILABLE, 503 },
        { "timeout", 504 },
    };
    for (size_t index = 0; index < sizeof map / sizeof map [0]; index++)
        if (strcmp (map [index].code, code) == 0)
            return map [index].status;
    return 500;
}

//  Status, Retry-After and the metrics label of an error response
static void
s_error_status (jm_exchange_t *self, const char *code)
{
    self->status = jm_exchange_status_for (code);
    snprintf (self->error_code, sizeof self->error_code, "%s", code);
    if (strcmp (code, JM_ERR_BUSY) == 0)
        self->retry_after = 1;
    else
    if (strcmp (code, JM_ERR_NO_WORKERS) == 0 || strcmp (code, JM_ERR_IO) == 0
    ||  strcmp (code, JM_ERR_UNAVAILABLE) == 0)
        self->retry_after = 5;
}

int
jm_exchange_error_object (jm_exchange_t *self, json_t *error)
{
    assert (self && error);
    const char *code = json_string_value (json_object_get (error, "code"));
    json_t *body = json_pack ("{s:O}", "error", error);
    jm_exchange_json (self, 0, body);
    s_error_status (self, code? code: JM_ERR_INTERNAL);
    return JM_EXCHANGE_DONE;
}

static int
s_error (jm_exchange_t *self, const char *code, const char *message, int line, int column)
{
    jm_buf_t *out = &self->out;
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"error\":");
    jm_error_write_json_open (code, message, out);
    if (line > 0)
        jm_buf_printf (out, ",\"line\":%d,\"column\":%d", line, column);
    jm_buf_puts (out, "}}");
    self->content_type = "application/json";
    s_error_status (self, code);
    return JM_EXCHANGE_DONE;
}

int
jm_exchange_error (jm_exchange_t *self, const char *code, const char *format, ...)
{
    assert (self && code && format);
    char message [JM_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    return s_error (self, code, message, 0, 0);
}

int
jm_exchange_error_from (jm_exchange_t *self, const jm_error_t *err)
{
    assert (self && err);
    return s_error (self, *err->code? err->code: JM_ERR_INTERNAL, err->message, err->line,
                    err->column);
}

json_t *
jm_exchange_body_json (jm_exchange_t *self)
{
    assert (self);
    if (self->body_too_large) {
        jm_exchange_error (self, JM_ERR_TOO_LARGE, "the request body is over %zu bytes",
                           self->body_limit);
        return NULL;
    }
    if (self->body.len == 0) {
        jm_exchange_error (self, JM_ERR_INVALID_JSON, "the request needs a JSON body");
        return NULL;
    }
    json_error_t json_error;
    json_t *value = json_loadb (self->body.data, self->body.len, 0, &json_error);
    if (!value) {
        jm_error_t err;
        jm_error_clear (&err);
        //  jansson says column 0 for a bad byte that starts a line
        int line = json_error.line > 0? json_error.line: 1;
        int column = json_error.column > 0? json_error.column: 1;
        jm_error_set_at (&err, JM_ERR_INVALID_JSON, line, column,
                         "the body is not valid JSON: %s (line %d, column %d)", json_error.text,
                         line, column);
        jm_exchange_error_from (self, &err);
    }
    return value;
}
