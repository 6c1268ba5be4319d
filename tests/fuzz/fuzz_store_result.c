/*  fuzz_store_result: a stored result value as Redis returns it (a header
    line, a newline, the result JSON; proto/redis-keys.md section 3.1),
    read as the matcher's results service and the dashboard's reader read
    it: jm_store_result_json, jm_store_result_head (also on a cut first
    read), jm_store_reply_result, and its JSON cut to the detail a reply
    asks (jm_detail_cut: valid JSON, or refused with the output untouched;
    cut twice, the same bytes).  The same bytes are also read as a stored
    candidate profile (jm_candidate_new_from_profile), the other value the
    matcher reads back from Redis.                                         */
#include "fuzz_common.h"
#include "jm_candidate.h"
#include "jm_detail.h"
#include "jm_json.h"
#include "jm_store.h"

static jm_json_doc_t *s_doc;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_doc)
        s_doc = jm_json_doc_new ();
    //  hiredis hands out NUL-terminated strings
    char *value = malloc (size + 1);
    memcpy (value, data, size);
    value [size] = 0;

    size_t json_len = 0;
    const char *json = jm_store_result_json (value, size, &json_len);
    FUZZ_CHECK (!json || (json > value && json + json_len == value + size),
                "the result JSON lies inside the value, up to its end");
    json_t *head = jm_store_result_head (value, size);
    FUZZ_CHECK (!head || json_is_object (head), "a header is an object");
    FUZZ_CHECK (!head || json, "a header comes with its result");
    if (head) {
        //  what the readers take from it
        (void) json_string_value (json_object_get (head, "fp"));
        (void) json_string_value (json_object_get (head, "name"));
        (void) json_number_value (json_object_get (head, "score"));
    }
    json_decref (head);
    //  the first read is cut at JM_STORE_RESULT_HEAD_READ bytes
    size_t cut = size < JM_STORE_RESULT_HEAD_READ ? size : JM_STORE_RESULT_HEAD_READ;
    head = jm_store_result_head (value, cut);
    if (!head)
        (void) jm_store_result_head_cut (cut);
    json_decref (head);

    if (json)
        for (int d = JM_DETAIL_SCORE; d < JM_DETAIL_FULL; d++) {
            jm_buf_t out, again;
            jm_buf_init (&out);
            jm_buf_init (&again);
            jm_error_t cut_err;
            jm_error_clear (&cut_err);
            int rc = jm_detail_cut (s_doc, json, json_len, (jm_detail_t) d, &out, &cut_err);
            FUZZ_CHECK (rc == 0 || (out.len == 0 && jm_error_is_set (&cut_err)),
                        "a refusal says why and writes nothing");
            if (rc == 0) {
                json_t *cut_json = json_loadb (out.data, out.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                                              NULL);
                FUZZ_CHECK (json_is_object (cut_json), "a cut result is one JSON object");
                json_decref (cut_json);
                //  and reads the same once more: no state kept between cuts
                FUZZ_CHECK (jm_detail_cut (s_doc, json, json_len, (jm_detail_t) d, &again, NULL) == 0
                            && again.len == out.len && memcmp (again.data, out.data, out.len) == 0,
                            "a cut is the same bytes each time");
            }
            jm_buf_free (&out);
            jm_buf_free (&again);
        }

    jm_reply_t reply = { .type = JM_REPLY_STRING, .str = value, .len = size };
    json_t *result = jm_store_reply_result (&reply);
    json_decref (result);

    jm_error_t err;
    jm_error_clear (&err);
    const jm_json_t *profile = jm_json_doc_parse (s_doc, value, size, &err);
    if (profile) {
        jm_candidate_t *candidate = jm_candidate_new_from_profile (profile, fuzz_taxonomy (), &err);
        FUZZ_CHECK (candidate || jm_error_is_set (&err), "a refusal says why");
        jm_candidate_destroy (&candidate);
    }
    free (value);
    return 0;
}
