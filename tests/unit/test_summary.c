/*  Unit tests of jm_summary: a kept summary's HGETALL reply as JSON.      */
#include "jm_test.h"
#include "jm_summary.h"

#include <string.h>

//  A field/value array reply of count strings (borrowed).
static jm_reply_t
s_hash (const char **strings, jm_reply_t *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        items [i] = (jm_reply_t) { .type = JM_REPLY_STRING, .str = (char *) strings [i],
                                   .len = strlen (strings [i]) };
    return (jm_reply_t) { .type = JM_REPLY_ARRAY, .count = count, .items = items };
}

JM_TEST (summary_hash_as_json)
{
    const char *fields [] = {
        "total", "7", "bin:0", "2", "bin:9", "5", "band:strong", "4", "band:weak", "3",
        "missing:Go", "3", "missing:Docker", "5", "missing:Awk", "3", "missing:gone", "0",
        "bin:12", "9", "band:other", "1", "strange", "x", "missing:bad", "x"
    };
    jm_reply_t items [26];
    jm_reply_t hash = s_hash (fields, items, 26);
    JM_CHECK (jm_summary_kept (&hash));
    jm_buf_t out;
    jm_buf_init (&out);
    jm_summary_write_json (&hash, &out);
    JM_CHECK_STR (out.data, "\"total\":7,\"bands\":{\"strong\":4,\"good\":0,\"partial\":0,\"weak\":3},"
                            "\"histogram\":[2,0,0,0,0,0,0,0,0,5],\"missing\":["
                            "{\"requirement\":\"Docker\",\"count\":5},"
                            "{\"requirement\":\"Awk\",\"count\":3},"
                            "{\"requirement\":\"Go\",\"count\":3}]");
    jm_buf_free (&out);
}

JM_TEST (summary_missing_hash_is_not_kept)
{
    jm_reply_t empty = { .type = JM_REPLY_ARRAY };
    JM_CHECK (!jm_summary_kept (&empty));
    JM_CHECK (!jm_summary_kept (NULL));
    jm_buf_t out;
    jm_buf_init (&out);
    jm_summary_write_json (NULL, &out);
    JM_CHECK_STR (out.data, "\"total\":0,\"bands\":{\"strong\":0,\"good\":0,\"partial\":0,\"weak\":0},"
                            "\"histogram\":[0,0,0,0,0,0,0,0,0,0],\"missing\":[]");
    jm_buf_free (&out);
}
