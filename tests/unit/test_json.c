/*  Tests for jm_json: values, errors with line and column, UTF-8, and a
    differential run against jansson on generated and mutated documents
    (also read back through jm_json_doc_import).                           */
#include "jm_test.h"
#include "jm_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const jm_json_t *
s_parse (jm_json_doc_t *doc, const char *text, jm_error_t *err)
{
    jm_error_clear (err);
    return jm_json_doc_parse (doc, text, strlen (text), err);
}

JM_TEST (json_values_and_members)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    jm_error_t err;
    const jm_json_t *root = s_parse (doc,
        " {\"id\": \"c1\", \"n\": -12, \"x\": 2.5e1, \"ok\": true, \"no\": false, \"none\": null,\n"
        "  \"list\": [1, [2, 3], {\"a\": \"b\"}, []], \"empty\": {}, \"id\": \"c2\"} ", &err);
    JM_REQUIRE (root);
    JM_CHECK (jm_json_is_object (root));
    JM_CHECK_INT (root->count, 9);
    JM_CHECK_INT (sizeof (jm_json_t), 24);
    JM_CHECK_STR (jm_json_string (jm_json_get (root, "id")), "c2");      //  the last one wins
    const jm_json_t *n = jm_json_get (root, "n");
    JM_CHECK (jm_json_is_integer (n));
    JM_CHECK_INT (n->integer, -12);
    const jm_json_t *x = jm_json_get (root, "x");
    JM_CHECK (jm_json_is_number (x) && !jm_json_is_integer (x));
    JM_CHECK_NEAR (jm_json_number (x), 25.0, 1e-12);
    JM_CHECK (jm_json_is (jm_json_get (root, "ok"), JM_JSON_TRUE));
    JM_CHECK (jm_json_is (jm_json_get (root, "no"), JM_JSON_FALSE));
    JM_CHECK (jm_json_is_null (jm_json_get (root, "none")));
    JM_CHECK (jm_json_get (root, "missing") == NULL);
    JM_CHECK (jm_json_get (jm_json_get (root, "n"), "x") == NULL);
    const jm_json_t *list = jm_json_get (root, "list");
    JM_CHECK_INT (jm_json_count (list), 4);
    const jm_json_t *item = jm_json_first (list);
    JM_CHECK_INT (item->integer, 1);
    item = jm_json_skip (item);
    JM_CHECK_INT (jm_json_count (item), 2);
    JM_CHECK_INT (jm_json_skip (jm_json_first (item))->integer, 3);
    item = jm_json_skip (item);
    JM_CHECK_STR (jm_json_string (jm_json_get (item, "a")), "b");
    item = jm_json_skip (item);
    JM_CHECK (jm_json_is_array (item) && jm_json_count (item) == 0 && jm_json_first (item) == NULL);
    const jm_json_t *empty = jm_json_get (root, "empty");
    JM_CHECK (jm_json_is_object (empty) && empty->count == 0);
    JM_CHECK (jm_json_skip (list) == empty - 1);        //  the key "empty" follows the list
    //  a bare scalar is a document too
    root = s_parse (doc, "\"solo\"", &err);
    JM_REQUIRE (root);
    JM_CHECK_STR (root->string, "solo");
    jm_json_doc_destroy (&doc);
    jm_json_doc_destroy (&doc);
    JM_CHECK (doc == NULL);
}

JM_TEST (json_strings_decode_escapes_and_utf8)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    jm_error_t err;
    const jm_json_t *root = s_parse (doc,
        "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\\ud83d\\ude00\", \"C\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]",
        &err);
    JM_REQUIRE (root);
    const jm_json_t *s = jm_json_first (root);
    JM_CHECK_STR (s->string, "a\"b\\c/d\b\f\n\r\t");
    JM_CHECK_INT (s->count, 12);
    s = jm_json_skip (s);
    JM_CHECK_STR (s->string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    s = jm_json_skip (s);
    JM_CHECK_STR (s->string, "C\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    jm_json_doc_destroy (&doc);
}

JM_TEST (json_numbers)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    jm_error_t err;
    const jm_json_t *root = s_parse (doc,
        "[0, -0, 123456789012345678, 9223372036854775807, 92233720368547758070, 1.5, -2E-2, 1e2]", &err);
    JM_REQUIRE (root);
    const jm_json_t *v = jm_json_first (root);
    JM_CHECK (v->is_integer && v->integer == 0);
    v = jm_json_skip (v);
    JM_CHECK (v->is_integer && v->integer == 0);
    v = jm_json_skip (v);
    JM_CHECK (v->is_integer && v->integer == 123456789012345678LL);
    v = jm_json_skip (v);
    JM_CHECK (v->is_integer && v->integer == 9223372036854775807LL);
    v = jm_json_skip (v);
    JM_CHECK (!v->is_integer);                          //  too big for int64: a real
    JM_CHECK_NEAR (jm_json_number (v), 9.2233720368547758e19, 1e5);
    v = jm_json_skip (v);
    JM_CHECK_NEAR (jm_json_number (v), 1.5, 0);
    v = jm_json_skip (v);
    JM_CHECK_NEAR (jm_json_number (v), -0.02, 1e-15);
    v = jm_json_skip (v);
    JM_CHECK (!v->is_integer);
    JM_CHECK_NEAR (jm_json_number (v), 100, 0);
    jm_json_doc_destroy (&doc);
}

//  Parses text expecting an error at line, column whose message holds part.
static void
s_expect_error (jm_json_doc_t *doc, const char *text, size_t len, int line, int column,
                const char *part)
{
    jm_error_t err;
    jm_error_clear (&err);
    const jm_json_t *root = jm_json_doc_parse (doc, text, len, &err);
    JM_CHECK_MSG (root == NULL, "accepted %s", text);
    JM_CHECK_STR (err.code, "invalid_json");
    JM_CHECK_MSG (err.line == line && err.column == column, "%s: at %d:%d, want %d:%d (%s)",
                  text, err.line, err.column, line, column, err.message);
    JM_CHECK_MSG (strstr (err.message, part) != NULL, "%s: message '%s' lacks '%s'", text,
                  err.message, part);
    char where [64];
    snprintf (where, sizeof where, "(line %d, column %d)", line, column);
    JM_CHECK_MSG (strstr (err.message, where) != NULL, "message '%s' lacks '%s'", err.message, where);
}
#define EXPECT_ERROR(text, line, column, part) \
    s_expect_error (doc, text, sizeof (text) - 1, line, column, part)

JM_TEST (json_errors_say_what_and_where)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    EXPECT_ERROR ("{\n  \"candidate\": {\n    \"id\": \"x\",\n  }\n}", 4, 3, "key");
    EXPECT_ERROR ("", 1, 1, "empty");
    EXPECT_ERROR ("  \n ", 2, 2, "empty");
    EXPECT_ERROR ("[1, 2", 1, 6, "end of input");
    EXPECT_ERROR ("[1 2]", 1, 4, "',' or ']'");
    EXPECT_ERROR ("{\"a\" 1}", 1, 6, "':'");
    EXPECT_ERROR ("{\"a\": 1 \"b\": 2}", 1, 9, "',' or '}'");
    EXPECT_ERROR ("[1,]", 1, 4, "value");
    EXPECT_ERROR ("{1: 2}", 1, 2, "key");
    EXPECT_ERROR ("{} x", 1, 4, "end here");
    EXPECT_ERROR ("[01]", 1, 3, "',' or ']'");
    EXPECT_ERROR ("[1.]", 1, 4, "decimal point");
    EXPECT_ERROR ("[.5]", 1, 2, "value");
    EXPECT_ERROR ("[-]", 1, 3, "digit");
    EXPECT_ERROR ("[1e]", 1, 4, "exponent");
    EXPECT_ERROR ("[1e999]", 1, 2, "out of range");
    EXPECT_ERROR ("[tru]", 1, 2, "value");
    EXPECT_ERROR ("[nul", 1, 2, "value");
    EXPECT_ERROR ("[\"abc", 1, 6, "inside a string");
    EXPECT_ERROR ("[\"a\tb\"]", 1, 4, "control character");
    EXPECT_ERROR ("[\"a\\x\"]", 1, 4, "escape");
    EXPECT_ERROR ("[\"\\u12G4\"]", 1, 3, "escape");
    EXPECT_ERROR ("[\"\\ud800\"]", 1, 3, "surrogate");
    EXPECT_ERROR ("[\"\\udc00\"]", 1, 3, "surrogate");
    EXPECT_ERROR ("[\"a\\u0000b\"]", 1, 4, "\\u0000");
    //  invalid UTF-8: the column is the bad sequence's first byte
    EXPECT_ERROR ("{\"name\": \"Bad \xff name\"}", 1, 15, "UTF-8");
    EXPECT_ERROR ("[\n\"Go\",\n \"C\xc3\x28\"]", 3, 4, "UTF-8");
    EXPECT_ERROR ("[\"\xc0\x80\"]", 1, 3, "UTF-8");                 //  overlong
    EXPECT_ERROR ("[\"\xe0\x80\xaf\"]", 1, 3, "UTF-8");             //  overlong
    EXPECT_ERROR ("[\"\xed\xa0\x80\"]", 1, 3, "UTF-8");             //  a surrogate
    EXPECT_ERROR ("[\"\xf4\x90\x80\x80\"]", 1, 3, "UTF-8");         //  past U+10FFFF
    EXPECT_ERROR ("[\"\xf5\x80\x80\x80\"]", 1, 3, "UTF-8");
    EXPECT_ERROR ("[\"\xe2\x82\"]", 1, 3, "UTF-8");                 //  cut short
    EXPECT_ERROR ("[\"\xe2\x82", 1, 3, "UTF-8");
    EXPECT_ERROR ("\xef\xbb\xbf{}", 1, 1, "value");                 //  a BOM is not JSON
    //  bytes outside strings, and a NUL inside the text
    EXPECT_ERROR ("[1,\x01]", 1, 4, "0x01");
    EXPECT_ERROR ("{\"a\":\"b\"}\0", 1, 10, "0x00");
    jm_json_doc_destroy (&doc);
}

JM_TEST (json_depth_is_bounded)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    jm_error_t err;
    size_t deep = 100000;
    char *text = malloc (2 * deep + 1);
    JM_REQUIRE (text);
    memset (text, '[', deep);
    memset (text + deep, ']', deep);
    text [2 * deep] = '\0';
    jm_error_clear (&err);
    JM_CHECK (jm_json_doc_parse (doc, text, 2 * deep, &err) == NULL);
    JM_CHECK_INT (err.column, JM_JSON_MAX_DEPTH + 1);
    JM_CHECK (strstr (err.message, "too deep") != NULL);
    //  exactly the limit is fine
    jm_error_clear (&err);
    memmove (text + JM_JSON_MAX_DEPTH, text + deep, JM_JSON_MAX_DEPTH);
    const jm_json_t *root = jm_json_doc_parse (doc, text, 2 * JM_JSON_MAX_DEPTH, &err);
    JM_CHECK_MSG (root != NULL, "%s", err.message);
    JM_CHECK_INT (root ? root->size : 0, JM_JSON_MAX_DEPTH);
    free (text);
    jm_json_doc_destroy (&doc);
}

JM_TEST (json_values_are_bounded)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    jm_error_t err;
    //  "[0,0,...]": the array and its zeros
    size_t zeros = JM_JSON_MAX_VALUES;
    char *text = malloc (2 * zeros + 2);
    JM_REQUIRE (text);
    text [0] = '[';
    for (size_t i = 0; i < zeros; i++) {
        text [1 + 2 * i] = '0';
        text [2 + 2 * i] = ',';
    }
    text [2 * zeros] = ']';
    jm_error_clear (&err);
    JM_CHECK (jm_json_doc_parse (doc, text, 2 * zeros + 1, &err) == NULL);
    JM_CHECK_STR (err.code, "too_large");
    JM_CHECK (strstr (err.message, "JSON values") != NULL);
    //  one value fewer in all fits
    text [2 * (zeros - 2)] = ']';
    jm_error_clear (&err);
    const jm_json_t *root = jm_json_doc_parse (doc, text, 2 * (zeros - 2) + 1, &err);
    JM_CHECK_MSG (root != NULL, "%s", err.message);
    JM_CHECK_INT (jm_json_count (root), zeros - 2);
    //  and the document is still good for small ones afterwards
    root = s_parse (doc, "{\"a\": [1]}", &err);
    JM_CHECK (root && jm_json_count (jm_json_get (root, "a")) == 1);
    free (text);
    jm_json_doc_destroy (&doc);
}

//  --------------------------------------------------------------------------
//  Differential: generated documents, then byte mutations of them, read by
//  both parsers must be accepted alike and, when accepted, hold the same.

static unsigned long long s_seed = 88172645463325252ULL;
static unsigned
s_random (unsigned below)
{
    s_seed ^= s_seed << 13;
    s_seed ^= s_seed >> 7;
    s_seed ^= s_seed << 17;
    return (unsigned) (s_seed % below);
}

static void
s_generate (json_t *parent, int depth, const char *key)
{
    json_t *value;
    static const char *strings [] = { "Python", "C#", "Node.js", "caf\xc3\xa9", "a\"q\\b", "tab\tnl\n",
                                      "\xf0\x9f\x98\x80", "", "\xe2\x82\xac 5" };
    switch (depth > 3 ? s_random (5) : s_random (7)) {
        case 0: value = json_integer ((json_int_t) s_random (100000) - 500); break;
        case 1: value = json_real ((double) s_random (10000) / 64.0); break;
        case 2: value = json_string (strings [s_random (9)]); break;
        case 3: value = s_random (2) ? json_true () : json_false (); break;
        case 4: value = json_null (); break;
        case 5:
            value = json_array ();
            for (unsigned i = s_random (5); i > 0; i--)
                s_generate (value, depth + 1, NULL);
            break;
        default: {
            value = json_object ();
            for (unsigned i = s_random (5); i > 0; i--) {
                char name [16];
                snprintf (name, sizeof name, "k%u", s_random (6));
                s_generate (value, depth + 1, name);
            }
        }
    }
    if (json_is_array (parent))
        json_array_append_new (parent, value);
    else
        json_object_set_new (parent, key, value);
}

//  True when the jm_json value holds what the jansson value holds.
static bool
s_same (const jm_json_t *ours, json_t *theirs)
{
    switch (json_typeof (theirs)) {
        case JSON_NULL: return ours->type == JM_JSON_NULL;
        case JSON_TRUE: return ours->type == JM_JSON_TRUE;
        case JSON_FALSE: return ours->type == JM_JSON_FALSE;
        case JSON_INTEGER: return jm_json_is_integer (ours) && ours->integer == json_integer_value (theirs);
        case JSON_REAL: return jm_json_is_number (ours) && !ours->is_integer
                            && ours->real == json_real_value (theirs);
        case JSON_STRING: return jm_json_is_string (ours) && ours->count == json_string_length (theirs)
                              && memcmp (ours->string, json_string_value (theirs), ours->count) == 0;
        case JSON_ARRAY: {
            if (!jm_json_is_array (ours) || ours->count != json_array_size (theirs))
                return false;
            const jm_json_t *item = jm_json_first (ours);
            for (size_t i = 0; i < ours->count; i++, item = jm_json_skip (item))
                if (!s_same (item, json_array_get (theirs, i)))
                    return false;
            return true;
        }
        case JSON_OBJECT: {
            //  jansson keeps the last of duplicate keys, as jm_json_get does
            if (!jm_json_is_object (ours))
                return false;
            const char *key;
            json_t *value;
            json_object_foreach (theirs, key, value) {
                const jm_json_t *mine = jm_json_get (ours, key);
                if (!mine || !s_same (mine, value))
                    return false;
            }
            const jm_json_t *member = jm_json_first (ours);
            for (size_t i = 0; i < ours->count; i++, member = jm_json_skip (member + 1))
                if (!json_object_get (theirs, member->string))
                    return false;
            return true;
        }
    }
    return false;
}

JM_TEST (json_agrees_with_jansson)
{
    jm_json_doc_t *doc = jm_json_doc_new ();
    jm_json_doc_t *other = jm_json_doc_new ();     //  the same trees through jm_json_doc_import
    int accepted = 0, rejected = 0;
    for (int round = 0; round < 3000; round++) {
        json_t *wrapper = json_array ();
        s_generate (wrapper, 0, NULL);
        char *text = json_dumps (json_array_get (wrapper, 0), JSON_ENCODE_ANY | (round % 2 ? JSON_INDENT (2) : 0));
        json_decref (wrapper);
        size_t len = strlen (text);
        //  the text as is, then with up to three bytes changed
        for (int mutation = 0; mutation < 4; mutation++) {
            if (mutation > 0 && len > 0) {
                static const char bytes [] = "{}[]\",:\\ 0-eE.tfnu\xff\xc3\x01\n";
                for (int m = 0; m < mutation; m++)
                    text [s_random ((unsigned) len)] = bytes [s_random (sizeof bytes - 1)];
            }
            jm_error_t err;
            jm_error_clear (&err);
            const jm_json_t *ours = jm_json_doc_parse (doc, text, len, &err);
            json_error_t json_error;
            json_t *theirs = json_loadb (text, len, JSON_DECODE_ANY, &json_error);
            JM_CHECK_MSG ((ours != NULL) == (theirs != NULL), "'%s': jm_json %s, jansson %s", text,
                          ours ? "accepts" : err.message, theirs ? "accepts" : json_error.text);
            if (ours && theirs) {
                JM_CHECK_MSG (s_same (ours, theirs), "'%s' read differently", text);
                const jm_json_t *imported = jm_json_doc_import (other, theirs);
                JM_CHECK_MSG (imported && s_same (imported, theirs), "'%s' imported differently", text);
                accepted++;
            }
            else
                rejected++;
            //  jansson may name the line after a newline it read past the
            //  bad byte ("\\" then a newline); jm_json names the bad byte's
            if (ours == NULL && theirs == NULL)
                JM_CHECK_MSG (err.line == json_error.line || err.line + 1 == json_error.line, "'%s': line %d, jansson %d (%s / %s)", text,
                              err.line, json_error.line, err.message, json_error.text);
            json_decref (theirs);
        }
        free (text);
    }
    JM_CHECK (accepted > 3000 && rejected > 3000);
    jm_json_doc_destroy (&doc);
    jm_json_doc_destroy (&other);
}

//  Random byte mutations of request-like documents, each parsed from a heap
//  copy of exactly its length (so AddressSanitizer, under make check, sees
//  any read past the end): never a crash, and every refusal is invalid_json
//  with a line and a column.
JM_TEST (json_survives_random_mutations)
{
    static const char *seeds [] = {
        "{\"candidates\":[{\"id\":\"c1\",\"name\":\"Ana \\u00e9\",\"skills\":[\"Python\","
        "{\"name\":\"Go\",\"level\":3,\"years\":2.5}]}],\"jobs\":[\"backend-developer\"]}",
        "[1,-2.5e3,true,false,null,\"\\ud83d\\ude00\",{},[],[[[]]]]",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
    };
    static const char inserts [] = "{}[]\",:\\0-eE.tfnu ";
    jm_json_doc_t *doc = jm_json_doc_new ();
    char buf [512];
    int accepted = 0, refused = 0;
    for (int round = 0; round < 100000; round++) {
        const char *seed = seeds [s_random (3)];
        size_t len = strlen (seed);
        memcpy (buf, seed, len);
        for (int m = 1 + (int) s_random (6); m > 0; m--) {
            unsigned kind = s_random (4), at = len ? s_random ((unsigned) len) : 0;
            if (kind == 0)
                buf [at] = (char) s_random (256);
            else
            if (kind == 1 && len > 1) {
                memmove (buf + at, buf + at + 1, len - at - 1);
                len--;
            }
            else
            if (kind == 2 && len < sizeof buf - 1) {
                memmove (buf + at + 1, buf + at, len - at);
                buf [at] = inserts [s_random (sizeof inserts - 1)];
                len++;
            }
            else
                len = at;
        }
        char *exact = malloc (len ? len : 1);
        JM_REQUIRE (exact);
        memcpy (exact, buf, len);
        jm_error_t err;
        jm_error_clear (&err);
        if (jm_json_doc_parse (doc, exact, len, &err))
            accepted++;
        else {
            refused++;
            JM_CHECK_MSG (strcmp (err.code, "invalid_json") == 0 && err.line > 0 && err.column > 0,
                          "'%.*s': %s at %d:%d", (int) len, exact, err.code, err.line, err.column);
        }
        free (exact);
    }
    JM_CHECK (accepted > 1000 && refused > 50000);
    jm_json_doc_destroy (&doc);
}
