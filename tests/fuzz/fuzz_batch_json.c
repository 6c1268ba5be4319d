/*  fuzz_batch_json: the CLI's JSON text helpers (services/jobmatch/
    batch_json.c): the checker every batch candidate goes through, the
    end-of-value finder, and the iterator that walks gateway replies.

    Checks: the checker accepts a text exactly when jansson does (batch_json.h
    promises it) and the matcher's jm_json reads it inside a request
    ({"candidates": [text]}), so a candidate the CLI lets through never
    makes the matcher refuse a whole request as invalid_json;
    jm_batch_json_value_end finds the same end as the checker; the
    iterator never reads past the end of any text, valid or not.          */
// fuzz-sources: services/jobmatch/batch_json.c
#include "fuzz_common.h"
#include "batch_json.h"
#include "jm_json.h"

#include <jansson.h>

static jm_json_doc_t *s_doc;

//  Walks the value under the cursor, at most depth levels down.
static void
s_walk (jm_batch_json_iter_t *iter, jm_buf_t *out, int depth)
{
    if (depth > 0 && jm_batch_json_at (iter, '{')) {
        const char *key;
        size_t key_len;
        while (jm_batch_json_member (iter, &key, &key_len)) {
            jm_buf_reset (out);
            jm_batch_json_unescape (key - 1, key_len + 2, out);
            s_walk (iter, out, depth - 1);
        }
    }
    else
    if (depth > 0 && jm_batch_json_at (iter, '[')) {
        while (jm_batch_json_element (iter))
            s_walk (iter, out, depth - 1);
    }
    else {
        size_t len;
        const char *value = jm_batch_json_skip (iter, &len);
        if (value) {
            jm_buf_reset (out);
            jm_batch_json_unescape (value, len, out);
            (void) jm_batch_json_is_str (value, len, "id");
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_doc)
        s_doc = jm_json_doc_new ();
    const char *text = (const char *) data;
    size_t error_at;
    const char *message;
    bool checked = jm_batch_json_check (text, size, &error_at, &message) == 0;
    FUZZ_CHECK (checked || error_at <= size, "an error is placed inside the text");

    json_t *value = json_loadb (text, size, JSON_DECODE_ANY, NULL);
    jm_buf_t request;
    jm_buf_init (&request);
    jm_buf_puts (&request, "{\"candidates\":[");
    jm_buf_append (&request, text, size);
    jm_buf_puts (&request, "]}");
    jm_error_t err;
    jm_error_clear (&err);
    bool parsed = jm_json_doc_parse (s_doc, request.data, request.len, &err) != NULL;
    jm_buf_free (&request);
    FUZZ_CHECK (!checked || value, "the checker passes what jansson refuses");
    FUZZ_CHECK (!checked || parsed || strcmp (err.code, JM_ERR_TOO_LARGE) == 0,
                "the checker passes what the matcher refuses");
    FUZZ_CHECK (checked || !value || !parsed, "the checker refuses what both accept");
    json_decref (value);

    //  the end of a value starting at the first byte
    long end = jm_batch_json_value_end (text, size, &error_at, &message);
    FUZZ_CHECK (end <= (long) size, "a value ends inside the text");

    jm_buf_t out;
    jm_buf_init (&out);
    jm_batch_json_iter_t iter;
    jm_batch_json_iter_init (&iter, text, size);
    s_walk (&iter, &out, 64);
    jm_batch_json_iter_init (&iter, text, size);
    jm_batch_json_field_t fields [] = {
        JM_BATCH_FIELD ("ok"), JM_BATCH_FIELD ("results"), JM_BATCH_FIELD ("id")
    };
    size_t len;
    (void) jm_batch_json_fields (&iter, fields, 3, &len);
    for (int index = 0; index < 3; index++)
        FUZZ_CHECK (!fields [index].value || (fields [index].value >= text
                    && fields [index].value + fields [index].len <= text + size),
                    "a field's value lies inside the text");
    jm_buf_free (&out);
    return 0;
}
