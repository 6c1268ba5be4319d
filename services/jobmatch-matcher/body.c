/*  body: request and reply bodies.  See body.h.  */
#include "body.h"

#include <stdlib.h>
#include <string.h>

json_t *
jm_body_parse (const void *data, size_t size, jm_error_t *err)
{
    json_error_t json_error;
    json_t *body = json_loadb (data, size, JSON_REJECT_DUPLICATES, &json_error);
    if (!body) {
        jm_error_set_at (err, JM_ERR_INVALID_JSON, json_error.line, json_error.column,
                         "%s (line %d, column %d)", json_error.text, json_error.line,
                         json_error.column);
        return NULL;
    }
    if (!json_is_object (body)) {
        json_decref (body);
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "the body must be a JSON object");
        return NULL;
    }
    return body;
}

const char *
jm_body_op (json_t *body, const char *service, const char * const *ops, jm_error_t *err)
{
    const char *op = json_string_value (json_object_get (body, "op"));
    for (int i = 0; op && ops [i]; i++)
        if (strcmp (op, ops [i]) == 0)
            return ops [i];
    char known [256] = "";
    size_t used = 0;
    for (int i = 0; ops [i] && used < sizeof known; i++)
        used += (size_t) snprintf (known + used, sizeof known - used, "%s\"%s\"",
                                   i ? ", " : "", ops [i]);
    if (op)
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "unknown op \"%.64s\": %s knows %s", op,
                      service, known);
    else
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "the body needs \"op\", one of %s", known);
    return NULL;
}

int
jm_body_int (json_t *body, const char *name, long long def, long long min, long long max,
             long long *value, jm_error_t *err)
{
    json_t *member = json_object_get (body, name);
    if (!member || json_is_null (member)) {
        *value = def;
        return 0;
    }
    if (!json_is_integer (member) || json_integer_value (member) < min
    ||  json_integer_value (member) > max)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "%s must be an integer from %lld to %lld",
                             name, min, max);
    *value = json_integer_value (member);
    return 0;
}

const char *
jm_body_string (json_t *body, const char *name, size_t max_len, jm_error_t *err)
{
    json_t *member = json_object_get (body, name);
    size_t len = json_string_length (member);
    if (!json_is_string (member) || len == 0 || len > max_len
    ||  strlen (json_string_value (member)) != len) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "%s must be a string of 1 to %zu bytes",
                      name, max_len);
        return NULL;
    }
    return json_string_value (member);
}

int
jm_body_detail (json_t *body, jm_detail_t *detail, jm_error_t *err)
{
    static const char *types [] = { "an object", "an array", "string", "a number", "a number",
                                    "true", "false", "null" };
    json_t *member = json_object_get (body, "detail");
    if (!member || json_is_null (member))
        return jm_detail_parse (NULL, NULL, 0, JM_DETAIL_DEFAULT, detail, err);
    return jm_detail_parse (types [json_typeof (member)], json_string_value (member),
                            json_string_length (member), JM_DETAIL_DEFAULT, detail, err);
}

void
jm_body_error (jm_buf_t *out, const jm_error_t *err)
{
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":false,\"error\":");
    jm_error_write_json (err, out);
    jm_buf_puts (out, "}");
}

void
jm_body_json (jm_buf_t *out, const json_t *value)
{
    char *text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text) {
        jm_buf_puts (out, text);
        free (text);
    }
    else
        jm_buf_puts (out, "null");
}
