/*  fuzz_failures: jm_failures, which keeps what the gateway says about
    failed requests and reads two things from outside: the first bytes of
    a worker's reply (jm_failures_reply_code) and a jobmatch.system request
    body (jm_failures_request_parse).  Checks: a code read is "?" or a word
    of [a-z0-9_]; a body either parses to a count in range or fails with
    invalid_request; the input stored as service, code and client comes
    back as printable ASCII, and the ring's JSON always dumps.            */
#include "fuzz_common.h"
#include "jm_failures.h"

static bool
s_printable (const char *text)
{
    for (; *text; text++)
        if ((unsigned char) *text < 0x20 || (unsigned char) *text >= 0x7f)
            return false;
    return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char code [JM_FAILURE_CODE_SIZE];
    if (jm_failures_reply_code (data, size, code, sizeof code)) {
        FUZZ_CHECK (*code, "an error reply has a code");
        bool word = true;
        for (const char *c = code; *c; c++)
            word = word && ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
        FUZZ_CHECK (strcmp (code, "?") == 0 || word, "the code is a word or ?");
    }
    jm_error_t err;
    jm_error_clear (&err);
    size_t wanted = 12345;
    if (jm_failures_request_parse (data, size, 100, &wanted, &err) == 0)
        FUZZ_CHECK (wanted <= 100, "the count is in range");
    else
        FUZZ_CHECK (strcmp (err.code, JM_ERR_INVALID_REQUEST) == 0 && *err.message,
                    "a refused body says why");

    jm_failures_t *ring = jm_failures_new (3);
    char text [64];
    size_t cut = size < sizeof text - 1? size: sizeof text - 1;
    memcpy (text, data, cut);
    text [cut] = 0;
    for (int round = 0; round < 4; round++)
        jm_failures_add (ring, (int64_t) size * 1000 * round, (const char *) data, size, text,
                         round, text, text);
    json_t *array = jm_failures_json (ring, 10, 0);
    for (size_t index = 0; index < json_array_size (array); index++) {
        json_t *entry = json_array_get (array, index);
        static const char *fields [] = { "service", "code", "client", "source" };
        for (size_t field = 0; field < 4; field++) {
            const char *text = json_string_value (json_object_get (entry, fields [field]));
            FUZZ_CHECK (text && s_printable (text), "stored text is printable");
        }
    }
    char *dumped = json_dumps (array, 0);
    FUZZ_CHECK (dumped && json_array_size (array) == 3, "the ring dumps as JSON");
    free (dumped);
    json_decref (array);
    jm_failures_destroy (&ring);
    return 0;
}
