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
