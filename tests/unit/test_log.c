/*  Tests for jm_log's JSON format: every string it writes is valid JSON,
    whatever bytes the message holds, and a cut string stays valid.       */
#include "jm_test.h"
#include "jm_log.h"

#include <jansson.h>

//  Escapes text into a buffer of size bytes and checks the result parses
//  back (as a JSON array holding the string) to want.
static void
s_check_escape (const char *text, size_t size, const char *want_json, const char *want_value)
{
    char out [512];
    JM_REQUIRE (size <= sizeof out);
    size_t len = jm_log_json_string (text, out, size);
    JM_CHECK_INT ((int) len, (int) strlen (out));
    JM_CHECK (len < size);
    if (want_json)
        JM_CHECK_STR (out, want_json);
    char wrapped [600];
    snprintf (wrapped, sizeof wrapped, "[%s]", out);
    json_error_t error;
    json_t *array = json_loads (wrapped, 0, &error);
    JM_CHECK_MSG (array, "'%s' does not parse: %s", out, error.text);
    if (array && want_value)
        JM_CHECK_STR (json_string_value (json_array_get (array, 0)), want_value);
    json_decref (array);
}

JM_TEST (log_json_escapes_quotes_and_controls)
{
    s_check_escape ("plain", 64, "\"plain\"", "plain");
    s_check_escape ("", 64, "\"\"", "");
    s_check_escape ("say \"hi\" \\ bye", 64, "\"say \\\"hi\\\" \\\\ bye\"", "say \"hi\" \\ bye");
    s_check_escape ("a\nb\tc\rd\be\ff", 64, "\"a\\nb\\tc\\rd\\be\\ff\"", "a\nb\tc\rd\be\ff");
    s_check_escape ("\x01\x1f\x7f", 64, "\"\\u0001\\u001f\\u007f\"", "\x01\x1f\x7f");
}

JM_TEST (log_json_keeps_utf8_and_replaces_invalid_bytes)
{
    s_check_escape ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 64, NULL, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    //  A stray continuation, a truncated sequence, an overlong form, a surrogate
    s_check_escape ("a\x80" "b", 64, "\"a\\ufffdb\"", "a\xef\xbf\xbd" "b");
    s_check_escape ("x\xc3", 64, "\"x\\ufffd\"", NULL);
    s_check_escape ("\xc0\xaf", 64, "\"\\ufffd\\ufffd\"", NULL);
    s_check_escape ("\xed\xa0\x80", 64, NULL, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    s_check_escape ("\xff\xfe", 64, NULL, NULL);
}

JM_TEST (log_json_cut_stays_valid)
{
    //  Every size from the smallest up: never half an escape or character
    const char *text = "ab\"\x01\xc3\xa9\xe2\x82\xac\x80z";
    for (size_t size = 3; size < 40; size++)
        s_check_escape (text, size, NULL, NULL);
    s_check_escape ("abcdef", 5, "\"ab\"", "ab");
    s_check_escape ("a\"b", 5, "\"a\"", "a");
}

JM_TEST (log_format_parse_names)
{
    jm_log_format_t format = JM_LOG_JSON;
    JM_CHECK_INT (jm_log_format_parse ("text", &format), 0);
    JM_CHECK_INT (format, JM_LOG_TEXT);
    JM_CHECK_INT (jm_log_format_parse ("json", &format), 0);
    JM_CHECK_INT (format, JM_LOG_JSON);
    JM_CHECK_INT (jm_log_format_parse ("JSON", &format), -1);
    JM_CHECK_INT (jm_log_format_parse ("", &format), -1);
    JM_CHECK_INT (jm_log_format_parse (NULL, &format), -1);
    JM_CHECK_INT (format, JM_LOG_JSON);
}
