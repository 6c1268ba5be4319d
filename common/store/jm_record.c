/*  jm_record: the compact record of one candidate-job result.  See
    jm_record.h for the layout.                                             */
#include "jm_record.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_DOUBLE    0x04        //  byte 0: an IEEE double follows
#define CENTS_MAX       (1u << 28)

static uint8_t *
s_put_varint (uint8_t *out, uint64_t value)
{
    while (value >= 0x80) {
        *out++ = (uint8_t) (value | 0x80);
        value >>= 7;
    }
    *out++ = (uint8_t) value;
    return out;
}

//  The score in hundredths when it is exactly that many, else -1.
static int64_t
s_cents (double score)
{
    if (!(score >= 0 && score < CENTS_MAX / 100) || signbit (score))
        return -1;
    int64_t cents = llround (score * 100);
    return (double) cents / 100 == score ? cents : -1;
}

size_t
jm_record_encode (const jm_record_t *record, uint8_t *out)
{
    assert (record && out);
    assert (isfinite (record->score));
    assert (record->band >= JM_BAND_STRONG && record->band <= JM_BAND_WEAK);
    assert (record->required_met >= 0 && record->required_met <= record->required_total
            && record->required_total <= 255);
    assert (record->version >= 1 && record->at_ms >= 0);
    size_t scorer_len = strlen (record->scorer);
    assert (scorer_len >= 1 && scorer_len <= JM_RECORD_SCORER_MAX);
    int64_t cents = s_cents (record->score);
    uint8_t *at = out;
    *at++ = (uint8_t) (JM_RECORD_FORMAT << 4 | (cents < 0 ? SCORE_DOUBLE : 0) | record->band);
    if (cents >= 0)
        at = s_put_varint (at, (uint64_t) cents);
    else {
        uint64_t bits;
        memcpy (&bits, &record->score, 8);
        for (int i = 0; i < 8; i++)
            *at++ = (uint8_t) (bits >> (8 * i));
    }
    at = s_put_varint (at, (uint64_t) record->required_met);
    at = s_put_varint (at, (uint64_t) record->required_total);
    at = s_put_varint (at, (uint64_t) record->version);
    memcpy (at, record->job_hash, 4);
    at += 4;
    *at++ = (uint8_t) scorer_len;
    memcpy (at, record->scorer, scorer_len);
    at += scorer_len;
    memcpy (at, record->profile_hash, 8);
    at += 8;
    at = s_put_varint (at, (uint64_t) record->at_ms);
    assert ((size_t) (at - out) <= JM_RECORD_MAX);
    return (size_t) (at - out);
}

//  A cursor over the bytes being decoded; the first error wins.
typedef struct {
    const uint8_t *data;
    size_t len, at;
    jm_error_t *err;
    int failed;
} s_reader_t;

static void
s_fail (s_reader_t *reader, const char *what)
{
    if (!reader->failed)
        jm_error_set (reader->err, JM_ERR_INVALID_REQUEST,
                      "stored record: %s at byte %zu of %zu", what, reader->at, reader->len);
    reader->failed = -1;
}

static uint64_t
s_get_varint (s_reader_t *reader, uint64_t max, const char *what)
{
    uint64_t value = 0;
    for (int shift = 0; !reader->failed; shift += 7) {
        if (reader->at >= reader->len) {
            s_fail (reader, "truncated");
            break;
        }
        if (shift > 56) {
            s_fail (reader, "overlong number");
            break;
        }
        uint8_t byte = reader->data [reader->at++];
        value |= (uint64_t) (byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            if (value > max)
                s_fail (reader, what);
            return value;
        }
    }
    return 0;
}

static void
s_get_bytes (s_reader_t *reader, void *out, size_t count)
{
    if (reader->failed)
        return;
    if (reader->len - reader->at < count) {
        s_fail (reader, "truncated");
        return;
    }
    memcpy (out, reader->data + reader->at, count);
    reader->at += count;
}

int
jm_record_decode (const uint8_t *data, size_t len, jm_record_t *record, jm_error_t *err)
{
    assert (record && (data || len == 0));
    memset (record, 0, sizeof *record);
    s_reader_t reader = { data, len, 0, err, 0 };
    uint8_t head = 0;
    s_get_bytes (&reader, &head, 1);
    if (!reader.failed && head >> 4 != JM_RECORD_FORMAT) {
        reader.at = 0;
        s_fail (&reader, "unknown format");
    }
    if (!reader.failed && (head & 0x08)) {
        reader.at = 0;
        s_fail (&reader, "reserved bit set");
    }
    record->band = (jm_band_t) (head & 0x03);
    if (head & SCORE_DOUBLE) {
        uint8_t bytes [8] = { 0 };
        s_get_bytes (&reader, bytes, 8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t) bytes [i] << (8 * i);
        memcpy (&record->score, &bits, 8);
        if (!reader.failed && !isfinite (record->score))
            s_fail (&reader, "score not finite");
    }
    else
        record->score = (double) s_get_varint (&reader, CENTS_MAX - 1, "score out of range") / 100;
    record->required_met = (int) s_get_varint (&reader, 255, "required met out of range");
    record->required_total = (int) s_get_varint (&reader, 255, "required total out of range");
    if (!reader.failed && record->required_met > record->required_total)
        s_fail (&reader, "more required met than required");
    record->version = (int) s_get_varint (&reader, INT32_MAX, "job version out of range");
    if (!reader.failed && record->version < 1)
        s_fail (&reader, "job version 0");
    s_get_bytes (&reader, record->job_hash, 4);
    uint8_t scorer_len = 0;
    s_get_bytes (&reader, &scorer_len, 1);
    if (!reader.failed && (scorer_len < 1 || scorer_len > JM_RECORD_SCORER_MAX))
        s_fail (&reader, "scorer version length out of range");
    s_get_bytes (&reader, record->scorer, reader.failed ? 0 : scorer_len);
    for (size_t i = 0; i < scorer_len && !reader.failed; i++)
        if (record->scorer [i] <= ' ' || record->scorer [i] == ':' || record->scorer [i] > '~')
            s_fail (&reader, "scorer version not printable");
    s_get_bytes (&reader, record->profile_hash, 8);
    record->at_ms = (int64_t) s_get_varint (&reader, INT64_MAX, "time out of range");
    if (!reader.failed && reader.at != len)
        s_fail (&reader, "bytes after the record");
    if (reader.failed)
        memset (record, 0, sizeof *record);
    return reader.failed;
}

static int
s_hex_digit (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

//  Reads count bytes from 2 * count lower-case hex digits.  Returns 0 or -1.
static int
s_unhex (const char *hex, uint8_t *out, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int high = s_hex_digit (hex [2 * i]), low = s_hex_digit (hex [2 * i + 1]);
        if (high < 0 || low < 0)
            return -1;
        out [i] = (uint8_t) (high << 4 | low);
    }
    return 0;
}

int
jm_record_set_fingerprint (jm_record_t *record, const char *fingerprint, jm_error_t *err)
{
    assert (record && fingerprint);
    //  <version>:<8 hex>:<scorer>:<16 hex>
    const char *first = strchr (fingerprint, ':');
    const char *last = strrchr (fingerprint, ':');
    char *end;
    long version = strtol (fingerprint, &end, 10);
    if (!first || end != first || version < 1 || version > INT32_MAX || fingerprint [0] == '+'
    ||  strlen (first + 1) < 8 + 1 + 1 + 1 + 16 || first [9] != ':'
    ||  s_unhex (first + 1, record->job_hash, 4)
    ||  last == first + 9 || (size_t) (last - (first + 10)) > JM_RECORD_SCORER_MAX
    ||  strlen (last + 1) != 16 || s_unhex (last + 1, record->profile_hash, 8))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "fingerprint \"%.64s\" is malformed",
                             fingerprint);
    size_t scorer_len = (size_t) (last - (first + 10));
    for (size_t i = 0; i < scorer_len; i++)
        if (first [10 + i] <= ' ' || first [10 + i] > '~')
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "fingerprint \"%.64s\" is malformed", fingerprint);
    record->version = (int) version;
    memcpy (record->scorer, first + 10, scorer_len);
    record->scorer [scorer_len] = '\0';
    return 0;
}

size_t
jm_record_fingerprint (const jm_record_t *record, char *out)
{
    assert (record && out);
    static const char hex [] = "0123456789abcdef";
    int len = snprintf (out, JM_RECORD_FP_MAX, "%d:", record->version);
    char *at = out + len;
    for (int i = 0; i < 4; i++) {
        *at++ = hex [record->job_hash [i] >> 4];
        *at++ = hex [record->job_hash [i] & 15];
    }
    *at++ = ':';
    size_t scorer_len = strlen (record->scorer);
    memcpy (at, record->scorer, scorer_len);
    at += scorer_len;
    *at++ = ':';
    for (int i = 0; i < 8; i++) {
        *at++ = hex [record->profile_hash [i] >> 4];
        *at++ = hex [record->profile_hash [i] & 15];
    }
    *at = '\0';
    return (size_t) (at - out);
}

uint32_t
jm_record_bucket (const char *candidate, uint32_t buckets)
{
    assert (candidate && buckets && (buckets & (buckets - 1)) == 0);
    uint32_t hash = 2166136261u;
    for (const unsigned char *p = (const unsigned char *) candidate; *p; p++)
        hash = (hash ^ *p) * 16777619u;
    return hash & (buckets - 1);
}
