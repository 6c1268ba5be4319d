/*  Tests for the CLI's JSON skip (services/jobmatch/batch_json.c): the
    64-byte block scan that finds where an object or array ends must agree
    with a plain byte-by-byte reading on any text, at any alignment, with
    backslashes, quotes and brackets on either side of a block's edge.  The
    module is the CLI's, linked from its service archive (Makefile).        */
#include "jm_test.h"
#include "../../services/jobmatch/batch_json.h"
#include "jm_json.h"

#include <string.h>

//  Index past the container that opens at text [start], or len + 1 when it
//  has no end: jm_batch_json_skip, the module's entry point to the scan.
static size_t
s_skip_container (const char *text, size_t len, size_t start)
{
    jm_batch_json_iter_t iter;
    jm_batch_json_iter_init (&iter, text, len);
    iter.pos = start;
    size_t value_len;
    return jm_batch_json_skip (&iter, &value_len)? start + value_len: len + 1;
}

//  The reference: index past the container opened at text [0], or len + 1.
static size_t
s_reference_end (const char *text, size_t len)
{
    long depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char c = text [i];
        if (escaped)
            escaped = false;
        else
        if (in_string && c == '\\')
            escaped = true;
        else
        if (c == '"')
            in_string = !in_string;
        else
        if (!in_string && (c == '{' || c == '['))
            depth++;
        else
        if (!in_string && (c == '}' || c == ']') && --depth == 0)
            return i + 1;
    }
    return len + 1;
}

static unsigned s_seed = 12345;

static unsigned
s_random (unsigned below)
{
    s_seed = s_seed * 1103515245u + 12345u;
    return (s_seed >> 8) % below;
}

//  Appends a random JSON value to out: containers, strings with escaped
//  quotes, backslashes and brackets inside, numbers, literals.
static void
s_random_value (jm_buf_t *out, int depth)
{
    int kind = depth > 6 ? 2 + (int) s_random (3) : (int) s_random (5);
    if (kind == 0 || kind == 1) {
        bool object = kind == 0;
        jm_buf_puts (out, object ? "{" : "[");
        int count = (int) s_random (6);
        for (int k = 0; k < count; k++) {
            if (k)
                jm_buf_puts (out, s_random (4) ? "," : " , ");
            if (object)
                jm_buf_puts (out, "\"key\":");
            s_random_value (out, depth + 1);
        }
        jm_buf_puts (out, object ? "}" : "]");
    }
    else
    if (kind == 2) {
        static const char *pieces [] = {
            "a", "plain text ", "{", "}", "[", "]", "\\\"", "\\\\", "\\n", "\\u00e9", "é", ",", ":"
        };
        jm_buf_puts (out, "\"");
        int count = (int) s_random (40);
        for (int k = 0; k < count; k++)
            jm_buf_puts (out, pieces [s_random (sizeof pieces / sizeof pieces [0])]);
        jm_buf_puts (out, "\"");
    }
    else
        jm_buf_puts (out, s_random (2) ? "12.5" : "true");
}

JM_TEST (batch_json_skip_agrees_on_random_values)
{
    jm_buf_t text;
    jm_buf_init (&text);
    for (int round = 0; round < 3000; round++) {
        jm_buf_reset (&text);
        //  a prefix moves the value across the 64-byte blocks
        int prefix = (int) s_random (70);
        for (int k = 0; k < prefix; k++)
            jm_buf_puts (&text, " ");
        jm_buf_puts (&text, s_random (2) ? "{\"a\":" : "[");
        int count = 1 + (int) s_random (8);
        for (int k = 0; k < count; k++) {
            if (k)
                jm_buf_puts (&text, ",");
            s_random_value (&text, 0);
        }
        jm_buf_puts (&text, text.data [prefix] == '{' ? "}" : "]");
        jm_buf_puts (&text, ",\"after\":[1]}");
        size_t want = s_reference_end (text.data + prefix, text.len - (size_t) prefix) + (size_t) prefix;
        size_t got = s_skip_container (text.data, text.len, (size_t) prefix);
        JM_CHECK_MSG (got == want, "round %d: end %zu, want %zu in %s", round, got, want, text.data);
        JM_CHECK_MSG (want <= text.len, "round %d: the value ends inside the text", round);
        //  cut short anywhere, the container has no end
        size_t cut = (size_t) prefix + 1 + s_random ((unsigned) (want - (size_t) prefix - 1));
        JM_CHECK_INT (s_skip_container (text.data, cut, (size_t) prefix), cut + 1);
    }
    jm_buf_free (&text);
}

JM_TEST (batch_json_skip_agrees_on_any_bytes)
{
    //  not JSON at all: brackets, quotes and backslash runs at random
    //  (half the rounds without backslashes, so whole blocks take the fast way)
    static const char alphabet [] = "{}[]\"ax ,\\\\\\";
    char text [400];
    for (int round = 0; round < 20000; round++) {
        size_t len = 1 + s_random (sizeof text - 1);
        unsigned letters = round % 2 ? sizeof alphabet - 1 : sizeof alphabet - 4;
        text [0] = s_random (2) ? '{' : '[';
        for (size_t k = 1; k < len; k++)
            text [k] = alphabet [s_random (letters)];
        size_t want = s_reference_end (text, len);
        size_t got = s_skip_container (text, len, 0);
        JM_CHECK_MSG (got == want, "round %d: end %zu, want %zu (len %zu)", round, got, want, len);
    }
}

JM_TEST (batch_json_skip_through_the_iterator)
{
    //  a result-like member longer than a block, escapes across its edges
    jm_buf_t text;
    jm_buf_init (&text);
    jm_buf_puts (&text, "{\"results\":[{\"requirements\":[");
    for (int k = 0; k < 40; k++)
        jm_buf_printf (&text, "%s{\"requirement\":\"a \\\"quoted\\\" ] name \\\\\",\"n\":%d}", k ? "," : "", k);
    jm_buf_puts (&text, "],\"band\":\"weak\",\"cached\":false},{\"band\":\"good\"}]}");
    jm_batch_json_iter_t iter;
    jm_batch_json_iter_init (&iter, text.data, text.len);
    const char *key;
    size_t key_len, len;
    JM_REQUIRE (jm_batch_json_member (&iter, &key, &key_len));
    JM_REQUIRE (jm_batch_json_element (&iter));
    jm_batch_json_field_t fields [] = { JM_BATCH_FIELD ("band"), JM_BATCH_FIELD ("cached") };
    JM_REQUIRE (jm_batch_json_fields (&iter, fields, 2, &len));
    JM_CHECK (fields [0].value && fields [0].len == 6 && memcmp (fields [0].value, "\"weak\"", 6) == 0);
    JM_CHECK (fields [1].value && fields [1].len == 5 && memcmp (fields [1].value, "false", 5) == 0);
    JM_REQUIRE (jm_batch_json_element (&iter));
    JM_REQUIRE (jm_batch_json_fields (&iter, fields, 2, &len));
    JM_CHECK (fields [0].value && memcmp (fields [0].value, "\"good\"", 6) == 0);
    JM_CHECK (!fields [1].value);
    JM_CHECK (!jm_batch_json_element (&iter));
    JM_CHECK (iter.ok);
    jm_buf_free (&text);
}

JM_TEST (batch_json_fields_key_with_a_nul)
{
    //  found by fuzzing: a key "ok\0..." matched the field "ok" and the
    //  comparison read past the end of the field's name
    static const char text [] = "{\"ok\0\0\0x\":false,\"ok\":true}";
    jm_batch_json_iter_t iter;
    jm_batch_json_iter_init (&iter, text, sizeof text - 1);
    jm_batch_json_field_t fields [] = { JM_BATCH_FIELD ("ok") };
    size_t len;
    JM_REQUIRE (jm_batch_json_fields (&iter, fields, 1, &len));
    JM_CHECK (fields [0].value && fields [0].len == 4 && memcmp (fields [0].value, "true", 4) == 0);
}

JM_TEST (batch_json_check_depth_fits_a_request)
{
    //  found by fuzzing: the checker passed candidates nested up to 2048
    //  deep, which made the matcher (jm_json, 256 deep) refuse the whole
    //  request; it passes no more than fits inside {"candidates": [...]}
    jm_buf_t text;
    jm_buf_init (&text);
    size_t error_at;
    const char *message;
    for (int depth = JM_JSON_MAX_DEPTH - 3; depth <= JM_JSON_MAX_DEPTH - 1; depth++) {
        jm_buf_reset (&text);
        for (int i = 0; i < depth; i++)
            jm_buf_puts (&text, "[");
        for (int i = 0; i < depth; i++)
            jm_buf_puts (&text, "]");
        int rc = jm_batch_json_check (text.data, text.len, &error_at, &message);
        JM_CHECK_MSG ((rc == 0) == (depth <= JM_JSON_MAX_DEPTH - 2), "depth %d: rc %d", depth, rc);
        jm_buf_t request;
        jm_buf_init (&request);
        jm_buf_printf (&request, "{\"candidates\":[%s]}", text.data);
        jm_json_doc_t *doc = jm_json_doc_new ();
        JM_CHECK ((jm_json_doc_parse (doc, request.data, request.len, NULL) != NULL) == (rc == 0));
        jm_json_doc_destroy (&doc);
        jm_buf_free (&request);
    }
    jm_buf_free (&text);
}
