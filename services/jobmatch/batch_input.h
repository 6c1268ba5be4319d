/*  jobmatch CLI: candidates read one at a time from a file of any size.

    `jobmatch batch` reads files of millions of candidates, so it never
    holds more than one window of the input: a sliding buffer over the file
    (1 MB, grown only for a longer record) from which each call takes the
    next candidate.  Three shapes:

      - JSON lines: one candidate per line; blank lines are skipped;
      - a JSON array, parsed element by element;
      - CSV with a header naming the columns id, name, skills and
        optionally resume and years_experience (skills separated by ';'),
        quoted per RFC 4180: commas, doubled quotes and line breaks inside
        quotes.  A CSV record is turned into a candidate's JSON here.

    A bad candidate (a line that is not JSON, a CSV record with the wrong
    number of fields, invalid UTF-8) is returned as a record with an error
    naming its line, and reading goes on: at the next line for JSON lines,
    at the line after the record's first for CSV, at the next line that
    starts an element ('{' indented no deeper than the broken one) for an
    array.  The same input always splits into the same records, whatever
    the buffer size, so a run can be resumed by counting records.         */
#ifndef JM_BATCH_INPUT_H
#define JM_BATCH_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"

typedef enum {
    JM_BATCH_FORMAT_AUTO = 0,   //  by the file's extension, else by its first character
    JM_BATCH_FORMAT_JSONL,
    JM_BATCH_FORMAT_JSON,       //  an array
    JM_BATCH_FORMAT_CSV
} jm_batch_format_t;

//  The longest candidate read (the gateway's default body limit is 8 MB).
#define JM_BATCH_RECORD_MAX (8 * 1024 * 1024)

//  One candidate.  text and id are borrowed until the next call.
typedef struct {
    const char *text;           //  the candidate as JSON; NULL when it is bad
    size_t len;
    long line;                  //  where it starts, 1-based
    long index;                 //  its number in the input, 1-based
    const char *id;             //  for a bad one: its id when known, else NULL
    jm_error_t error;           //  for a bad one: why, with line (and column when known)
} jm_batch_record_t;

typedef struct _jm_batch_input_t jm_batch_input_t;

//  Opens path ("-": stdin) in the given format.  Returns NULL with err
//  filled (io_error, or invalid_request for a CSV header without id and
//  skills) when it cannot.
jm_batch_input_t *jm_batch_input_new (const char *path, jm_batch_format_t format, jm_error_t *err);

//  Closes the file and frees the reader.  Accepts NULL; nulls *self_p.
void jm_batch_input_destroy (jm_batch_input_t **self_p);

//  Reads the next candidate into *record.  Returns 1, 0 at the end of the
//  input, or -1 with err filled when reading failed (an I/O error).
int jm_batch_input_next (jm_batch_input_t *self, jm_batch_record_t *record, jm_error_t *err);

//  Skips count candidates as next () would read them, without checking or
//  converting them.  Returns how many were skipped (fewer at the end of the
//  input), or -1 with err filled.
long jm_batch_input_skip (jm_batch_input_t *self, long count, jm_error_t *err);

//  The format in use (never AUTO once opened).
jm_batch_format_t jm_batch_input_format (const jm_batch_input_t *self);

//  Bytes read so far and the file's size (0 when not known: stdin, a pipe).
uint64_t jm_batch_input_offset (const jm_batch_input_t *self);
uint64_t jm_batch_input_size (const jm_batch_input_t *self);

//  The name of the input for messages ("<stdin>" or the path; borrowed).
const char *jm_batch_input_name (const jm_batch_input_t *self);

//  Parses a format name (jsonl, json, csv); returns -1 for another.
int jm_batch_format_parse (const char *name, jm_batch_format_t *format);

#endif
