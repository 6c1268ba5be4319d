/*  jm_record: the compact record of one candidate-job result.

    What ranking and lookup need of a result, and nothing else: score,
    band, required requirements met, the job version scored against, the
    fingerprint and when it was written, packed in 20 to 40 bytes (the
    result JSON is some 6 KB).  A record is one field of a bucketed HASH
    (`<ns>:res:<job>:<bucket>`, jm_keys_result_bucket) under the candidate
    id, small enough that Redis keeps the bucket listpack-encoded; the
    layout and the measured bytes per pair are in proto/redis-keys.md and
    bench/bench_memory.py.

    Layout (integers are unsigned LEB128 varints unless said otherwise):
      byte 0      format (high 4 bits, JM_RECORD_FORMAT), score form (bit 2:
                  1 = an IEEE double follows, 0 = a varint of hundredths),
                  band (low 2 bits, jm_band_t)
      score       varint hundredths, or 8 bytes little-endian double
      required    varint met, varint total (met <= total <= 255)
      version     varint job version (1 .. 2^31-1)
      job hash    4 bytes (the 8 hex digits of the fingerprint)
      scorer      1 byte length (1 .. 15), then that many bytes (JM_SCORER_VERSION)
      profile     8 bytes (the 16 hex digits of the fingerprint)
      at          varint Unix time in milliseconds
    Nothing may follow.  A decoder refuses any other format, a truncated
    or overlong record, and values out of bounds, with a message.        */
#ifndef JM_RECORD_H
#define JM_RECORD_H

#include "jm_error.h"
#include "jm_score.h"

#include <stddef.h>
#include <stdint.h>

#define JM_RECORD_FORMAT        1
#define JM_RECORD_MAX           64      //  bytes: the most an encoded record takes
#define JM_RECORD_SCORER_MAX    15
#define JM_RECORD_FP_MAX        64      //  a fingerprint's text, with its NUL
#define JM_RECORD_BUCKETS       16384   //  bucket hashes per job: some 61 records each
                                        //  at 1M pairs, under hash-max-listpack-entries 128

typedef struct {
    double score;                       //  finite
    jm_band_t band;
    int required_met, required_total;   //  0 .. 255, met <= total
    int version;                        //  the job version scored against, >= 1
    uint8_t job_hash [4];
    char scorer [JM_RECORD_SCORER_MAX + 1];
    uint8_t profile_hash [8];
    int64_t at_ms;                      //  >= 0
} jm_record_t;

//  Encodes record into out (JM_RECORD_MAX bytes).  Returns the length.
//  The record must be valid (asserted: it comes from our own scoring).
size_t jm_record_encode (const jm_record_t *record, uint8_t *out);

//  Decodes len bytes into record.  Returns 0, or -1 with err set
//  (invalid_request) naming what is wrong and at which byte.
int jm_record_decode (const uint8_t *data, size_t len, jm_record_t *record, jm_error_t *err);

//  Sets the record's version, job hash, scorer and profile hash from a
//  fingerprint's text ("<version>:<8 hex>:<scorer>:<16 hex>",
//  jm_registry_fingerprint).  Returns 0, or -1 with err set.
int jm_record_set_fingerprint (jm_record_t *record, const char *fingerprint, jm_error_t *err);

//  Writes the record's fingerprint text into out (JM_RECORD_FP_MAX bytes),
//  as jm_registry_fingerprint wrote it.  Returns its length.
size_t jm_record_fingerprint (const jm_record_t *record, char *out);

//  The bucket of a candidate id among buckets (a power of two): FNV-1a of
//  the id's bytes, so every reader and writer agrees.
uint32_t jm_record_bucket (const char *candidate, uint32_t buckets);

#endif
