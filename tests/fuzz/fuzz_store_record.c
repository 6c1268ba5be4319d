/*  fuzz_store_record: the compact values the matcher reads back from
    Redis: a result's record (jm_record_decode) and a packed normalized
    profile (jm_profile_unpack).  The first byte picks which.  Besides never
    crashing: a record that decodes encodes to the same bytes and its
    fingerprint text reads back to the same record; a refused one says
    why; a profile that unpacks is JSON that jm_json reads, and one
    refused leaves the output as it was.                                    */
#include "fuzz_common.h"
#include "jm_buf.h"
#include "jm_json.h"
#include "jm_profile_pack.h"
#include "jm_record.h"

static void
s_record (const uint8_t *data, size_t size)
{
    jm_record_t record;
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_record_decode (data, size, &record, &err)) {
        FUZZ_CHECK (jm_error_is_set (&err), "a refused record says why");
        return;
    }
    uint8_t bytes [JM_RECORD_MAX];
    size_t len = jm_record_encode (&record, bytes);
    //  hundredths may be stored either way: compare what they decode to
    jm_record_t again;
    FUZZ_CHECK (jm_record_decode (bytes, len, &again, NULL) == 0, "an encoded record decodes");
    FUZZ_CHECK (again.score == record.score && again.band == record.band
             && again.version == record.version && again.at_ms == record.at_ms,
                "a record reads back the same");
    char fingerprint [JM_RECORD_FP_MAX];
    jm_record_fingerprint (&record, fingerprint);
    jm_record_t parsed = record;
    memset (parsed.job_hash, 0, 4);
    FUZZ_CHECK (jm_record_set_fingerprint (&parsed, fingerprint, NULL) == 0,
                "a record's fingerprint text reads back");
    FUZZ_CHECK (memcmp (parsed.job_hash, record.job_hash, 4) == 0
             && strcmp (parsed.scorer, record.scorer) == 0
             && memcmp (parsed.profile_hash, record.profile_hash, 8) == 0,
                "the same fingerprint");
}

static void
s_profile (const uint8_t *data, size_t size)
{
    static jm_json_doc_t *doc;
    if (!doc)
        doc = jm_json_doc_new ();
    jm_buf_t out;
    jm_buf_init (&out);
    jm_buf_puts (&out, "x");
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_profile_unpack ((const char *) data, size, &out, &err) == 0)
        FUZZ_CHECK (jm_json_doc_parse (doc, out.data + 1, out.len - 1, NULL) != NULL,
                    "an unpacked profile is JSON");
    else
        FUZZ_CHECK (out.len == 1 && jm_error_is_set (&err), "a refused profile says why, writes nothing");
    jm_buf_free (&out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data [0] & 1)
        s_record (data + 1, size - 1);
    else
        s_profile (data + 1, size - 1);
    return 0;
}
