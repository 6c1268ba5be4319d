/*  Tests for jm_record: records read back as written, fingerprints read
    back as the matcher wrote them, and hostile bytes (every truncation,
    another format, trailing bytes, values out of bounds) refused with a
    message, never a crash.                                                */
#include "jm_test.h"
#include "jm_record.h"

static jm_record_t
s_sample (double score)
{
    jm_record_t record;
    memset (&record, 0, sizeof record);
    record.score = score;
    record.band = JM_BAND_GOOD;
    record.required_met = 5;
    record.required_total = 7;
    JM_CHECK_INT (jm_record_set_fingerprint (&record, "3:1a2b3c4d:2.0.0:9f2c00aabbccddee", NULL), 0);
    record.at_ms = 1764750000123;
    return record;
}

static void
s_check_same (const jm_record_t *a, const jm_record_t *b)
{
    JM_CHECK (a->score == b->score);
    JM_CHECK_INT (a->band, b->band);
    JM_CHECK_INT (a->required_met, b->required_met);
    JM_CHECK_INT (a->required_total, b->required_total);
    JM_CHECK_INT (a->version, b->version);
    JM_CHECK (memcmp (a->job_hash, b->job_hash, 4) == 0);
    JM_CHECK_STR (a->scorer, b->scorer);
    JM_CHECK (memcmp (a->profile_hash, b->profile_hash, 8) == 0);
    JM_CHECK (a->at_ms == b->at_ms);
}

JM_TEST (record_round_trip)
{
    const double scores [] = { 0, 81.5, 100, 42.37, 1.0 / 3, 99.99, 0.01 };
    for (size_t i = 0; i < sizeof scores / sizeof scores [0]; i++) {
        jm_record_t record = s_sample (scores [i]), back;
        uint8_t bytes [JM_RECORD_MAX];
        size_t len = jm_record_encode (&record, bytes);
        JM_CHECK (len <= 40);
        jm_error_t err;
        jm_error_clear (&err);
        JM_CHECK_INT (jm_record_decode (bytes, len, &back, &err), 0);
        s_check_same (&record, &back);
    }
    //  a score of hundredths takes a varint, any other the whole double
    jm_record_t record = s_sample (81.5);
    uint8_t bytes [JM_RECORD_MAX];
    JM_CHECK_INT (jm_record_encode (&record, bytes), 30);
    record.score = 1.0 / 3;
    JM_CHECK_INT (jm_record_encode (&record, bytes), 36);
}

JM_TEST (record_fingerprint_reads_back)
{
    jm_record_t record = s_sample (50);
    char fp [JM_RECORD_FP_MAX];
    JM_CHECK_INT (jm_record_fingerprint (&record, fp), 33);
    JM_CHECK_STR (fp, "3:1a2b3c4d:2.0.0:9f2c00aabbccddee");
    const char *bad [] = { "", "3", "0:1a2b3c4d:2.0.0:9f2c00aabbccddee",
                           "x:1a2b3c4d:2.0.0:9f2c00aabbccddee", "3:1a2b3c4:2.0.0:9f2c00aabbccddee",
                           "3:1a2b3c4d::9f2c00aabbccddee", "3:1A2B3C4D:2.0.0:9f2c00aabbccddee",
                           "3:1a2b3c4d:2.0.0:9f2c00aabbccdde", "3:1a2b3c4d:2.0.0:9f2c00aabbccddeef",
                           "3:1a2b3c4d:0123456789abcdef:9f2c00aabbccddee",
                           "99999999999:1a2b3c4d:2.0.0:9f2c00aabbccddee" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        jm_error_t err;
        jm_error_clear (&err);
        JM_CHECK_MSG (jm_record_set_fingerprint (&record, bad [i], &err) == -1, "%s", bad [i]);
        JM_CHECK_STR (err.code, JM_ERR_INVALID_REQUEST);
    }
}

JM_TEST (record_refuses_hostile_bytes)
{
    jm_record_t record = s_sample (81.5), back;
    uint8_t bytes [JM_RECORD_MAX + 1];
    size_t len = jm_record_encode (&record, bytes);
    jm_error_t err;
    //  every truncation
    for (size_t cut = 0; cut < len; cut++) {
        jm_error_clear (&err);
        JM_CHECK_MSG (jm_record_decode (bytes, cut, &back, &err) == -1, "cut at %zu", cut);
        JM_CHECK (strstr (err.message, "stored record") != NULL);
        JM_CHECK (back.version == 0);
    }
    //  a byte after the record
    bytes [len] = 0;
    jm_error_clear (&err);
    JM_CHECK_INT (jm_record_decode (bytes, len + 1, &back, &err), -1);
    JM_CHECK (strstr (err.message, "bytes after") != NULL);
    //  another format, or a reserved bit
    uint8_t saved = bytes [0];
    bytes [0] = (uint8_t) ((JM_RECORD_FORMAT + 1) << 4 | (saved & 0x0F));
    jm_error_clear (&err);
    JM_CHECK_INT (jm_record_decode (bytes, len, &back, &err), -1);
    JM_CHECK (strstr (err.message, "unknown format") != NULL);
    bytes [0] = saved | 0x08;
    JM_CHECK_INT (jm_record_decode (bytes, len, &back, NULL), -1);
    bytes [0] = saved;
    //  more required met than required: 7 of 5
    record.required_met = 5;
    len = jm_record_encode (&record, bytes);
    bytes [3] = 7;              //  byte 0 head, 1-2 score 8150, 3 met, 4 total
    bytes [4] = 5;
    jm_error_clear (&err);
    JM_CHECK_INT (jm_record_decode (bytes, len, &back, &err), -1);
    JM_CHECK (strstr (err.message, "more required met") != NULL);
    //  a varint that never ends
    uint8_t endless [JM_RECORD_MAX];
    memset (endless, 0xFF, sizeof endless);
    endless [0] = JM_RECORD_FORMAT << 4;
    JM_CHECK_INT (jm_record_decode (endless, sizeof endless, &back, &err), -1);
    //  a double score that is not finite
    uint8_t nan [] = { JM_RECORD_FORMAT << 4 | 0x04, 0, 0, 0, 0, 0, 0, 0xF8, 0x7F };
    jm_error_clear (&err);
    JM_CHECK_INT (jm_record_decode (nan, sizeof nan, &back, &err), -1);
    JM_CHECK (strstr (err.message, "not finite") != NULL);
    //  every single-byte corruption decodes or fails cleanly
    len = jm_record_encode (&record, bytes);
    for (size_t at = 0; at < len; at++)
        for (int value = 0; value < 256; value++) {
            uint8_t copy [JM_RECORD_MAX];
            memcpy (copy, bytes, len);
            copy [at] = (uint8_t) value;
            if (jm_record_decode (copy, len, &back, NULL) == 0) {
                JM_CHECK (back.required_met <= back.required_total);
                JM_CHECK (back.version >= 1);
            }
        }
    JM_CHECK_INT (jm_record_decode (NULL, 0, &back, NULL), -1);
}

JM_TEST (record_bucket_is_stable)
{
    //  FNV-1a: readers in any language find the same bucket
    JM_CHECK_INT (jm_record_bucket ("", 1024), 2166136261u & 1023);
    JM_CHECK_INT (jm_record_bucket ("a", 1u << 31), 0xe40c292cu & 0x7FFFFFFF);
    JM_CHECK (jm_record_bucket ("cand-1", 16384) < 16384);
}
