/*  Tests for jm_error.  */
#include "jm_test.h"
#include "jm_error.h"

JM_TEST (error_first_wins)
{
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK (!jm_error_is_set (&err));
    JM_CHECK_INT (jm_error_set_at (&err, JM_ERR_INVALID_JSON, 3, 7, "bad %s", "token"), -1);
    jm_error_set (&err, JM_ERR_INTERNAL, "second");
    JM_CHECK_STR (err.code, "invalid_json");
    JM_CHECK_STR (err.message, "bad token");
    JM_CHECK_INT (err.line, 3);
    JM_CHECK_INT (err.column, 7);
    JM_CHECK_INT (jm_error_set (NULL, JM_ERR_INTERNAL, "ignored"), -1);
}

JM_TEST (error_message_stays_utf8)
{
    //  found by fuzzing: "unknown op \"%.64s\"" cut a two-byte character in
    //  half and the reply quoting the message was not valid JSON
    jm_error_t err;
    jm_error_clear (&err);
    jm_error_set (&err, JM_ERR_INVALID_REQUEST, "op \"%.4s\" and \xff, \xed\xa0\x80, \xe2\x82\xac", "a\xc3\xa9\xc3\xa9");
    JM_CHECK_STR (err.message, "op \"a\xc3\xa9?\" and ?, ???, \xe2\x82\xac");
    //  a message cut by the buffer's size
    char long_text [JM_ERROR_MESSAGE_MAX + 8];
    memset (long_text, 0, sizeof long_text);
    for (size_t i = 0; i + 2 < sizeof long_text; i += 2)
        memcpy (long_text + i, "\xc3\xa9", 2);
    jm_error_clear (&err);
    jm_error_set (&err, JM_ERR_INVALID_REQUEST, "xy%s", long_text);
    size_t len = strlen (err.message);
    JM_CHECK (len == JM_ERROR_MESSAGE_MAX - 1);
    JM_CHECK (err.message [len - 1] == '?');
    jm_error_prefix (&err, "\xc3");
    JM_CHECK (err.message [0] == '?');
}
