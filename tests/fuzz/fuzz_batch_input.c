/*  fuzz_batch_input: a `jobmatch batch` input file (JSON lines, a JSON
    array or CSV) read by services/jobmatch/batch_input.c, built here with
    a 64-byte read size so that records cross the sliding buffer's edges.
    The first byte picks the format (auto, jsonl, json, csv); the rest is
    the file.  Checks: every good record is one JSON value (a CSV record
    is converted to an object), every bad one says why and where, and skipping
    reads the same number of records as reading.                          */
// fuzz-sources: services/jobmatch/batch_input.c services/jobmatch/batch_json.c services/jobmatch/table.c
// fuzz-cflags: -DJM_BATCH_READ_SIZE=64
#include "fuzz_common.h"
#include "batch_input.h"

#include <jansson.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    jm_batch_format_t format = (jm_batch_format_t) (data [0] % 4);
    const char *path = fuzz_file (data + 1, size - 1);
    jm_error_t err;
    jm_error_clear (&err);
    jm_batch_input_t *input = jm_batch_input_new (path, format, &err);
    if (!input) {
        FUZZ_CHECK (jm_error_is_set (&err), "a refusal says why");
        return 0;
    }
    long records = 0;
    jm_batch_record_t record;
    int rc;
    while ((rc = jm_batch_input_next (input, &record, &err)) == 1) {
        records++;
        FUZZ_CHECK (record.index == records && record.line >= 1, "records are numbered and placed");
        if (record.text) {
            //  one JSON value (the matcher answers for one that is not an
            //  object); a CSV record is converted to an object
            json_t *value = json_loadb (record.text, record.len, JSON_DECODE_ANY, NULL);
            FUZZ_CHECK (value, "a good record is one JSON value");
            FUZZ_CHECK (json_is_object (value) || jm_batch_input_format (input) != JM_BATCH_FORMAT_CSV,
                        "a CSV record becomes a JSON object");
            json_decref (value);
        }
        else
        FUZZ_CHECK (jm_error_is_set (&record.error), "a bad record says why");
    }
    FUZZ_CHECK (rc == 0, "no I/O error can happen on this file");
    jm_batch_input_destroy (&input);

    jm_error_clear (&err);
    input = jm_batch_input_new (path, format, &err);
    FUZZ_CHECK (input, "it opened the first time");
    long skipped = jm_batch_input_skip (input, 1L << 30, &err);
    FUZZ_CHECK (skipped == records, "skip splits records as next does");
    jm_batch_input_destroy (&input);
    return 0;
}
