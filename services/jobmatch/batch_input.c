/*  jobmatch CLI: candidates read one at a time.  See batch_input.h.

    The buffer holds [start, end) of the input not yet consumed; offset is
    where buf [0] sits in the file, line the line number at buf [start].
    Every parser works from start and, when it runs out of bytes before its
    record ends, refills (which moves [start, end) down to buf [0]) and
    starts the record again: simple, and a record is re-scanned at most
    once per megabyte read.                                                 */
#include "batch_input.h"
#include "batch_json.h"
#include "cli.h"
#include "jm_alloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef JM_BATCH_READ_SIZE          //  a fuzz build reads in small pieces
#define JM_BATCH_READ_SIZE  (1024 * 1024)
#endif

//  CSV columns we know; others are ignored
enum { s_COL_ID, s_COL_NAME, s_COL_SKILLS, s_COL_RESUME, s_COL_YEARS, s_COLS };
static const char *s_column_names [s_COLS] = { "id", "name", "skills", "resume", "years_experience" };

typedef struct {
    size_t offset, len;         //  in self->field
} s_field_t;

struct _jm_batch_input_t {
    int fd;
    char *name;
    jm_batch_format_t format;
    char *buf;
    size_t cap, start, end;
    uint64_t offset;            //  file offset of buf [0]
    uint64_t size;              //  file size, 0 when unknown
    uint64_t line_start;        //  file offset where the line at start begins
    long line;                  //  line number at buf [start]
    long index;                 //  records returned
    bool eof;
    bool skipping;              //  inside jm_batch_input_skip: no checks, no conversion
    //  JSON lines
    size_t scanned;             //  bytes after start known to hold no newline
    //  array
    enum { s_ARRAY_OPEN, s_ARRAY_FIRST, s_ARRAY_ELEMENT, s_ARRAY_AFTER, s_ARRAY_DONE } array;
    size_t indent;              //  column - 1 of the last element's start
    //  CSV
    int columns;                //  fields in the header
    int column_of [s_COLS];     //  field index of each known column, -1 when absent
    s_field_t *fields;
    int field_count, field_cap;
    jm_buf_t field;             //  decoded field text
    jm_buf_t json;              //  the record as JSON
    jm_buf_t id;                //  a bad record's id
};

int
jm_batch_format_parse (const char *name, jm_batch_format_t *format)
{
    if (strcmp (name, "jsonl") == 0 || strcmp (name, "ndjson") == 0)
        *format = JM_BATCH_FORMAT_JSONL;
    else
    if (strcmp (name, "json") == 0)
        *format = JM_BATCH_FORMAT_JSON;
    else
    if (strcmp (name, "csv") == 0)
        *format = JM_BATCH_FORMAT_CSV;
    else
        return -1;
    return 0;
}


//  ---------------------------------------------------------------------------
//  The buffer

//  Reads more input after end, first moving [start, end) to the front and
//  growing the buffer when it is full.  Returns 1 when bytes came, 0 at the
//  end of the input, -1 on a read error (err filled).
static int
s_fill (jm_batch_input_t *self, jm_error_t *err)
{
    if (self->eof)
        return 0;
    if (self->start > 0) {
        memmove (self->buf, self->buf + self->start, self->end - self->start);
        self->end -= self->start;
        self->offset += self->start;
        self->start = 0;
    }
    if (self->cap - self->end < JM_BATCH_READ_SIZE / 2) {
        self->cap *= 2;
        self->buf = jm_realloc (self->buf, self->cap);
    }
    while (true) {
        ssize_t got = read (self->fd, self->buf + self->end, self->cap - self->end);
        if (got > 0) {
            self->end += (size_t) got;
            return 1;
        }
        if (got == 0) {
            self->eof = true;
            return 0;
        }
        if (errno != EINTR) {
            jm_error_set (err, JM_ERR_IO, "%s: %s", self->name, strerror (errno));
            return -1;
        }
    }
}

//  Consumes n bytes from start, counting lines.
static void
s_consume (jm_batch_input_t *self, size_t n)
{
    const char *p = self->buf + self->start, *end = p + n;
    const char *last = NULL;
    while (p < end) {
        const char *newline = memchr (p, '\n', (size_t) (end - p));
        if (!newline)
            break;
        self->line++;
        last = newline;
        p = newline + 1;
    }
    if (last)
        self->line_start = self->offset + (size_t) (last - self->buf) + 1;
    self->start += n;
}

//  Column (1-based, in characters) of buf [at] on its line, given that
//  buf [from] is at column `column`.
static int
s_column (const jm_batch_input_t *self, size_t from, int column, size_t at)
{
    for (size_t i = from; i < at && i < self->end; i++) {
        unsigned char c = (unsigned char) self->buf [i];
        if (c == '\n')
            column = 1;
        else
        if ((c & 0xC0) != 0x80)
            column++;
    }
    return column;
}

//  Column of buf [start] in characters.
static int
s_start_column (const jm_batch_input_t *self)
{
    if (self->line_start < self->offset)
        return (int) (self->offset + self->start - self->line_start) + 1;   //  bytes: the line began before buf
    return s_column (self, (size_t) (self->line_start - self->offset), 1, self->start);
}

static void
s_record_init (jm_batch_input_t *self, jm_batch_record_t *record)
{
    memset (record, 0, sizeof *record);
    jm_error_clear (&record->error);
    record->line = self->line;
    record->index = ++self->index;
}


//  ---------------------------------------------------------------------------
//  JSON lines

static int
s_next_line (jm_batch_input_t *self, jm_batch_record_t *record, jm_error_t *err)
{
    bool too_long = false;
    long too_long_line = 0;
    while (true) {
        size_t have = self->end - self->start;
        char *text = self->buf + self->start;
        char *newline = have > self->scanned ? memchr (text + self->scanned, '\n', have - self->scanned) : NULL;
        if (!newline) {
            self->scanned = have;
            if (!self->eof) {
                if (have > JM_BATCH_RECORD_MAX) {
                    //  drop what we have of an over-long line, keep reading to its end
                    if (!too_long) {
                        too_long = true;
                        too_long_line = self->line;
                    }
                    self->start = self->end;
                    self->scanned = 0;
                }
                if (s_fill (self, err) < 0)
                    return -1;
                continue;
            }
            if (have == 0 && !too_long)
                return 0;
        }
        size_t len = newline ? (size_t) (newline - text) : have;
        long line = too_long ? too_long_line : self->line;
        bool first = self->offset + self->start == 0;
        s_consume (self, newline ? len + 1 : len);
        self->scanned = 0;
        if (!newline)
            self->line++;       //  the last line, without a newline
        if (too_long) {
            s_record_init (self, record);
            record->line = line;
            jm_error_set_at (&record->error, JM_ERR_TOO_LARGE, (int) line, 1,
                             "line %ld is longer than %d bytes", line, JM_BATCH_RECORD_MAX);
            return 1;
        }
        if (first && len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0) {
            text += 3;
            len -= 3;
        }
        if (len && text [len - 1] == '\r')
            len--;
        size_t blank = 0;
        while (blank < len && (text [blank] == ' ' || text [blank] == '\t' || text [blank] == '\r'))
            blank++;
        if (blank == len)
            continue;
        s_record_init (self, record);
        record->line = line;
        record->text = text;
        record->len = len;
        if (self->skipping)
            return 1;
        size_t at;
        const char *message;
        if (jm_batch_json_check (text, len, &at, &message)) {
            int column = 1;
            for (size_t i = 0; i < at; i++)
                column += ((unsigned char) text [i] & 0xC0) != 0x80;
            jm_error_set_at (&record->error, JM_ERR_INVALID_JSON, (int) line, column,
                             "line %ld, column %d: %s", line, column, message);
            record->text = NULL;
        }
        return 1;
    }
}


//  ---------------------------------------------------------------------------
//  A JSON array

//  Skips blanks, refilling as needed.  Returns 1 with a non-blank byte at
//  start, 0 at the end of the input, -1 on a read error.
static int
s_blanks (jm_batch_input_t *self, jm_error_t *err)
{
    while (true) {
        size_t i = self->start;
        while (i < self->end && (self->buf [i] == ' ' || self->buf [i] == '\t'
                              || self->buf [i] == '\n' || self->buf [i] == '\r'))
            i++;
        s_consume (self, i - self->start);
        if (self->start < self->end)
            return 1;
        int rc = s_fill (self, err);
        if (rc <= 0)
            return rc;
    }
}

//  After a broken element: moves to the next line whose first non-blank
//  byte is '{' (or ',' then '{') indented no deeper than the broken
//  element, or to the end.
static int
s_array_resync (jm_batch_input_t *self, jm_error_t *err)
{
    //  first leave the current line
    while (true) {
        char *newline = memchr (self->buf + self->start, '\n', self->end - self->start);
        if (newline) {
            s_consume (self, (size_t) (newline - (self->buf + self->start)) + 1);
            break;
        }
        s_consume (self, self->end - self->start);
        int rc = s_fill (self, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            self->array = s_ARRAY_DONE;
            return 0;
        }
    }
    while (true) {
        //  at the start of a line: look at its indentation, then its first byte
        size_t i = self->start;
        while (i < self->end && (self->buf [i] == ' ' || self->buf [i] == '\t'))
            i++;
        if (i == self->end || (self->buf [i] == '\r' && i + 1 == self->end)) {
            int rc = s_fill (self, err);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                s_consume (self, self->end - self->start);
                self->array = s_ARRAY_DONE;
                return 0;
            }
            continue;
        }
        //  an element starts the line, or follows the comma that does (",{")
        size_t brace = i;
        if (brace < self->end && self->buf [brace] == ',')
            for (brace++; brace < self->end && (self->buf [brace] == ' ' || self->buf [brace] == '\t'); brace++)
                ;
        if (brace < self->end && self->buf [brace] == '{' && i - self->start <= self->indent) {
            s_consume (self, brace - self->start);
            self->array = s_ARRAY_ELEMENT;
            return 0;
        }
        char *newline = memchr (self->buf + i, '\n', self->end - i);
        if (newline)
            s_consume (self, (size_t) (newline - (self->buf + self->start)) + 1);
        else {
            //  a line longer than the buffer: drop it and read on
            s_consume (self, self->end - self->start);
            int rc = s_fill (self, err);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                self->array = s_ARRAY_DONE;
                return 0;
            }
            //  still inside that line: find its end
            while (true) {
                newline = memchr (self->buf + self->start, '\n', self->end - self->start);
                if (newline) {
                    s_consume (self, (size_t) (newline - (self->buf + self->start)) + 1);
                    break;
                }
                s_consume (self, self->end - self->start);
                rc = s_fill (self, err);
                if (rc < 0)
                    return -1;
                if (rc == 0) {
                    self->array = s_ARRAY_DONE;
                    return 0;
                }
            }
        }
    }
}

//  A broken element or separator at buf [at]: an error record, then resync.
static int
s_array_error (jm_batch_input_t *self, jm_batch_record_t *record, size_t at, const char *message,
               bool element, jm_error_t *err)
{
    long line = self->line;
    int column = s_start_column (self);
    for (size_t i = self->start; i < at && i < self->end; i++)
        if (self->buf [i] == '\n')
            line++;
    column = s_column (self, self->start, column, at);
    s_record_init (self, record);
    jm_error_set_at (&record->error, JM_ERR_INVALID_JSON, (int) line, column,
                     "line %ld, column %d: %s (reading resumes at the next line that starts an element)",
                     line, column, message);
    if (element)
        self->indent = (size_t) s_start_column (self) - 1;
    if (s_array_resync (self, err) < 0)
        return -1;
    return 1;
}

static int
s_next_element (jm_batch_input_t *self, jm_batch_record_t *record, jm_error_t *err)
{
    while (true) {
        int rc = s_blanks (self, err);
        if (rc < 0)
            return -1;
        if (self->array == s_ARRAY_DONE)
            return 0;
        if (rc == 0) {
            if (self->array == s_ARRAY_OPEN)
                return 0;                   //  an empty file
            self->array = s_ARRAY_DONE;
            s_record_init (self, record);
            jm_error_set_at (&record->error, JM_ERR_INVALID_JSON, (int) self->line, s_start_column (self),
                             "line %ld: unexpected end of input: ']' expected", self->line);
            return 1;
        }
        char c = self->buf [self->start];
        switch (self->array) {
            case s_ARRAY_OPEN:
                if (self->offset + self->start == 0 && self->end - self->start >= 3
                &&  memcmp (self->buf, "\xEF\xBB\xBF", 3) == 0) {
                    s_consume (self, 3);
                    continue;
                }
                if (c != '[') {
                    self->array = s_ARRAY_DONE;
                    s_record_init (self, record);
                    jm_error_set_at (&record->error, JM_ERR_INVALID_JSON, (int) self->line, s_start_column (self),
                                     "line %ld: '[' expected: the input is not a JSON array", self->line);
                    return 1;
                }
                s_consume (self, 1);
                self->array = s_ARRAY_FIRST;
                continue;
            case s_ARRAY_FIRST:
            case s_ARRAY_ELEMENT:
                if (c == ']' && self->array == s_ARRAY_FIRST) {
                    s_consume (self, 1);
                    self->array = s_ARRAY_AFTER;
                    continue;
                }
                break;
            case s_ARRAY_AFTER:
                if (c == ',') {
                    s_consume (self, 1);
                    self->array = s_ARRAY_ELEMENT;
                    continue;
                }
                if (c == ']') {
                    s_consume (self, 1);
                    //  anything after the array is an error
                    rc = s_blanks (self, err);
                    if (rc < 0)
                        return -1;
                    self->array = s_ARRAY_DONE;
                    if (rc == 0)
                        return 0;
                    s_record_init (self, record);
                    jm_error_set_at (&record->error, JM_ERR_INVALID_JSON, (int) self->line, s_start_column (self),
                                     "line %ld: end of input expected after the array", self->line);
                    s_consume (self, self->end - self->start);
                    return 1;
                }
                return s_array_error (self, record, self->start, "',' or ']' expected", false, err);
            case s_ARRAY_DONE:
                return 0;
        }
        //  an element: find its end, reading more as needed
        while (true) {
            size_t at = 0;
            const char *message = NULL;
            long size = jm_batch_json_value_end (self->buf + self->start, self->end - self->start,
                                                 &at, &message);
            if (size > 0) {
                s_record_init (self, record);
                self->indent = (size_t) s_start_column (self) - 1;
                record->text = self->buf + self->start;
                record->len = (size_t) size;
                s_consume (self, (size_t) size);
                self->array = s_ARRAY_AFTER;
                return 1;
            }
            if (size < 0)
                return s_array_error (self, record, self->start + at, message, true, err);
            if (self->end - self->start > JM_BATCH_RECORD_MAX)
                return s_array_error (self, record, self->start, "element longer than 8 MB", true, err);
            rc = s_fill (self, err);
            if (rc < 0)
                return -1;
            if (rc == 0)
                return s_array_error (self, record, self->end, "unexpected end of input", true, err);
        }
    }
}


//  ---------------------------------------------------------------------------
//  CSV
//
//  Ours, not libcsv: it splits a 29 MB, 200,000-candidate file 2.3-2.5x faster
//  (medians 47.7 vs 110.8 ms; bench/libcsv/compare.c), and gives --resume each record's size.

static void
s_field_add (jm_batch_input_t *self, size_t offset, size_t len)
{
    if (self->field_count == self->field_cap) {
        self->field_cap = self->field_cap ? self->field_cap * 2 : 16;
        self->fields = jm_realloc (self->fields, (size_t) self->field_cap * sizeof (s_field_t));
    }
    self->fields [self->field_count++] = (s_field_t) { offset, len };
}

enum { s_CSV_OK = 1, s_CSV_MORE = 0, s_CSV_BAD = -1 };

//  Splits the record at start into fields (decoded into self->field).
//  Returns s_CSV_OK with *size the bytes it takes (its line break
//  included), s_CSV_MORE when the buffer ends first and more may come, or
//  s_CSV_BAD with *message.
static int
s_csv_split (jm_batch_input_t *self, size_t *size, const char **message)
{
    const char *buf = self->buf;
    size_t i = self->start, end = self->end;
    self->field_count = 0;
    jm_buf_reset (&self->field);
    while (true) {
        size_t begin = self->field.len;
        if (i < end && buf [i] == '"') {
            i++;
            while (true) {
                const char *quote = memchr (buf + i, '"', end - i);
                if (!quote) {
                    if (!self->eof)
                        return s_CSV_MORE;
                    *message = "unterminated quoted field";
                    return s_CSV_BAD;
                }
                size_t q = (size_t) (quote - buf);
                jm_buf_append (&self->field, buf + i, q - i);
                if (q + 1 == end && !self->eof)
                    return s_CSV_MORE;
                if (q + 1 < end && buf [q + 1] == '"') {
                    jm_buf_append (&self->field, "\"", 1);
                    i = q + 2;
                    continue;
                }
                i = q + 1;
                break;
            }
            s_field_add (self, begin, self->field.len - begin);
            if (i == end) {
                if (!self->eof)
                    return s_CSV_MORE;
                *size = i - self->start;
                return s_CSV_OK;
            }
            if (buf [i] == ',') {
                i++;
                continue;
            }
            if (buf [i] == '\n') {
                *size = i + 1 - self->start;
                return s_CSV_OK;
            }
            if (buf [i] == '\r') {
                if (i + 1 == end && !self->eof)
                    return s_CSV_MORE;
                if (i + 1 == end || buf [i + 1] == '\n') {
                    *size = (i + 1 == end ? i + 1 : i + 2) - self->start;
                    return s_CSV_OK;
                }
            }
            *message = "unexpected character after a closing quote";
            return s_CSV_BAD;
        }
        size_t j = i;
        while (j < end && buf [j] != ',' && buf [j] != '\n')
            j++;
        if (j == end && !self->eof)
            return s_CSV_MORE;
        size_t field_end = j;
        if (j < end && buf [j] == '\n' && field_end > i && buf [field_end - 1] == '\r')
            field_end--;
        else
        if (j == end && field_end > i && buf [field_end - 1] == '\r')
            field_end--;
        jm_buf_append (&self->field, buf + i, field_end - i);
        s_field_add (self, begin, self->field.len - begin);
        if (j < end && buf [j] == ',') {
            i = j + 1;
            continue;
        }
        *size = (j < end ? j + 1 : j) - self->start;
        return s_CSV_OK;
    }
}

//  Reads one CSV record into self->fields.  Returns 1 (record->error set
//  when it is malformed), 0 at the end, -1 on a read error.  Blank lines
//  are skipped.
static int
s_csv_record (jm_batch_input_t *self, jm_batch_record_t *record, jm_error_t *err)
{
    while (true) {
        if (self->start == self->end) {
            int rc = s_fill (self, err);
            if (rc < 0)
                return -1;
            if (rc == 0)
                return 0;
        }
        if (self->offset + self->start == 0 && self->end >= 3 && memcmp (self->buf, "\xEF\xBB\xBF", 3) == 0) {
            self->start = 3;
            self->line_start = 3;
        }
        size_t size = 0;
        const char *message = NULL;
        int rc = s_csv_split (self, &size, &message);
        if (rc == s_CSV_MORE) {
            if (self->end - self->start <= JM_BATCH_RECORD_MAX) {
                if (s_fill (self, err) < 0)
                    return -1;
                continue;
            }
            rc = s_CSV_BAD;
            message = "record longer than 8 MB (an unterminated quoted field?)";
        }
        if (rc == s_CSV_BAD) {
            //  report it at its first line and go on at the next
            s_record_init (self, record);
            jm_error_set_at (&record->error, JM_ERR_INVALID_REQUEST, (int) self->line, 0,
                             "line %ld: %s", self->line, message);
            if (self->field_count > 0 && self->column_of [s_COL_ID] == 0 && self->fields [0].len) {
                jm_buf_reset (&self->id);
                jm_buf_append (&self->id, self->field.data + self->fields [0].offset, self->fields [0].len);
                record->id = self->id.data;
            }
            while (true) {
                char *newline = memchr (self->buf + self->start, '\n', self->end - self->start);
                if (newline) {
                    s_consume (self, (size_t) (newline - (self->buf + self->start)) + 1);
                    break;
                }
                s_consume (self, self->end - self->start);
                int got = s_fill (self, err);
                if (got < 0)
                    return -1;
                if (got == 0)
                    break;
            }
            return 1;
        }
        long line = self->line;
        s_consume (self, size);
        if (self->start == self->end && self->eof && size > 0 && self->buf [self->start - 1] != '\n')
            self->line++;       //  the last line, without a newline
        if (self->field_count == 1 && self->fields [0].len == 0)
            continue;           //  a blank line
        s_record_init (self, record);
        record->line = line;
        return 1;
    }
}

static void
s_field_text (const jm_batch_input_t *self, int column, const char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    int index = self->column_of [column];
    if (index >= 0 && index < self->field_count) {
        *text = self->field.data + self->fields [index].offset;
        *len = self->fields [index].len;
    }
}

static void
s_trim (const char **text, size_t *len)
{
    while (*len && isspace ((unsigned char) (*text) [0]))
        (*text)++, (*len)--;
    while (*len && isspace ((unsigned char) (*text) [*len - 1]))
        (*len)--;
}

//  Turns the fields of a CSV record into the candidate's JSON.
static void
s_csv_candidate (jm_batch_input_t *self, jm_batch_record_t *record)
{
    const char *text;
    size_t len;
    s_field_text (self, s_COL_ID, &text, &len);
    if (len && jm_cli_utf8_invalid (text, len) < 0 && !memchr (text, 0, len)) {
        jm_buf_reset (&self->id);
        jm_buf_append (&self->id, text, len);
        record->id = self->id.data;
    }
    if (self->field_count != self->columns) {
        jm_error_set_at (&record->error, JM_ERR_INVALID_REQUEST, (int) record->line, 0,
                         "line %ld: %d fields, the header has %d", record->line, self->field_count,
                         self->columns);
        return;
    }
    for (int c = 0; c < s_COLS; c++) {
        s_field_text (self, c, &text, &len);
        long bad = text ? jm_cli_utf8_invalid (text, len) : -1;
        if (bad >= 0) {
            jm_error_set_at (&record->error, JM_ERR_INVALID_JSON, (int) record->line, 0,
                             "line %ld: invalid UTF-8 in column %s (byte 0x%02x)", record->line,
                             s_column_names [c], (unsigned char) text [bad]);
            return;
        }
        //  JSON text cannot carry a NUL ("\u0000" is refused by the matcher)
        if (text && memchr (text, 0, len)) {
            jm_error_set_at (&record->error, JM_ERR_INVALID_JSON, (int) record->line, 0,
                             "line %ld: a NUL byte in column %s", record->line, s_column_names [c]);
            return;
        }
    }
    jm_buf_t *json = &self->json;
    jm_buf_reset (json);
    s_field_text (self, s_COL_ID, &text, &len);
    s_trim (&text, &len);
    jm_buf_puts (json, "{\"id\":");
    jm_buf_json_string (json, text ? text : "", len);
    s_field_text (self, s_COL_NAME, &text, &len);
    s_trim (&text, &len);
    if (len) {
        jm_buf_puts (json, ",\"name\":");
        jm_buf_json_string (json, text, len);
    }
    s_field_text (self, s_COL_YEARS, &text, &len);
    s_trim (&text, &len);
    if (len) {
        char number [64];
        char *stop = NULL;
        double years = 0;
        if (len < sizeof number) {
            memcpy (number, text, len);
            number [len] = 0;
            years = strtod (number, &stop);
        }
        if (!stop || *stop || !isfinite (years) || years < 0) {
            jm_error_set_at (&record->error, JM_ERR_INVALID_REQUEST, (int) record->line, 0,
                             "line %ld: years_experience must be a number", record->line);
            return;
        }
        jm_buf_puts (json, ",\"years_experience\":");
        jm_buf_json_number (json, years, 3);
    }
    jm_buf_puts (json, ",\"skills\":[");
    s_field_text (self, s_COL_SKILLS, &text, &len);
    bool first = true;
    while (text && len) {
        const char *semicolon = memchr (text, ';', len);
        size_t part = semicolon ? (size_t) (semicolon - text) : len;
        const char *skill = text;
        size_t skill_len = part;
        s_trim (&skill, &skill_len);
        if (skill_len) {
            if (!first)
                jm_buf_puts (json, ",");
            jm_buf_json_string (json, skill, skill_len);
            first = false;
        }
        text += semicolon ? part + 1 : part;
        len -= semicolon ? part + 1 : part;
    }
    jm_buf_puts (json, "]");
    s_field_text (self, s_COL_RESUME, &text, &len);
    if (text && len) {
        jm_buf_puts (json, ",\"resume\":");
        jm_buf_json_string (json, text, len);
    }
    jm_buf_puts (json, "}");
    record->text = json->data;
    record->len = json->len;
}

static int
s_next_csv (jm_batch_input_t *self, jm_batch_record_t *record, jm_error_t *err)
{
    int rc = s_csv_record (self, record, err);
    if (rc <= 0 || jm_error_is_set (&record->error) || self->skipping)
        return rc;
    s_csv_candidate (self, record);
    return 1;
}

//  Reads the header row and maps the known columns.
static int
s_csv_header (jm_batch_input_t *self, jm_error_t *err)
{
    jm_batch_record_t record;
    for (int c = 0; c < s_COLS; c++)
        self->column_of [c] = -1;
    int rc = s_csv_record (self, &record, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return 0;               //  an empty file: no candidates
    self->index = 0;
    if (jm_error_is_set (&record.error))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "%s: the CSV header: %s", self->name,
                             record.error.message);
    self->columns = self->field_count;
    for (int f = 0; f < self->field_count; f++) {
        const char *text = self->field.data + self->fields [f].offset;
        size_t len = self->fields [f].len;
        s_trim (&text, &len);
        for (int c = 0; c < s_COLS; c++)
            if (strlen (s_column_names [c]) == len && strncasecmp (text, s_column_names [c], len) == 0
            &&  self->column_of [c] < 0)
                self->column_of [c] = f;
    }
    if (self->column_of [s_COL_ID] < 0 || self->column_of [s_COL_SKILLS] < 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "%s: the CSV header (line 1) must name the columns id and skills "
                             "(and may name name, resume, years_experience)", self->name);
    return 0;
}


//  ---------------------------------------------------------------------------
//  The reader

//  Looks at the first non-blank byte: '[' an array, '{' JSON lines, else CSV.
static jm_batch_format_t
s_sniff (jm_batch_input_t *self, jm_error_t *err)
{
    while (true) {
        size_t i = 0;
        if (self->end >= 3 && memcmp (self->buf, "\xEF\xBB\xBF", 3) == 0)
            i = 3;
        while (i < self->end && isspace ((unsigned char) self->buf [i]))
            i++;
        if (i < self->end)
            return self->buf [i] == '[' ? JM_BATCH_FORMAT_JSON
                 : self->buf [i] == '{' ? JM_BATCH_FORMAT_JSONL : JM_BATCH_FORMAT_CSV;
        int rc = s_fill (self, err);
        if (rc < 0)
            return JM_BATCH_FORMAT_AUTO;
        if (rc == 0)
            return JM_BATCH_FORMAT_JSONL;
    }
}

static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t len = strlen (text), size = strlen (suffix);
    return len >= size && strcasecmp (text + len - size, suffix) == 0;
}

jm_batch_input_t *
jm_batch_input_new (const char *path, jm_batch_format_t format, jm_error_t *err)
{
    bool use_stdin = !path || strcmp (path, "-") == 0;
    int fd = use_stdin ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        jm_error_set (err, JM_ERR_IO, "%s: %s", path, strerror (errno));
        return NULL;
    }
    struct stat info;
    uint64_t size = 0;
    if (fstat (fd, &info) == 0) {
        if (S_ISDIR (info.st_mode)) {
            jm_error_set (err, JM_ERR_IO, "%s: is a folder", path);
            close (fd);
            return NULL;
        }
        if (S_ISREG (info.st_mode))
            size = (uint64_t) info.st_size;
    }
    jm_batch_input_t *self = jm_calloc (1, sizeof *self);
    self->fd = fd;
    self->name = jm_strdup (use_stdin ? "<stdin>" : path);
    self->size = size;
    self->cap = JM_BATCH_READ_SIZE * 2;
    self->buf = jm_malloc (self->cap);
    self->line = 1;
    jm_buf_init (&self->field);
    jm_buf_init (&self->json);
    jm_buf_init (&self->id);
    if (format == JM_BATCH_FORMAT_AUTO && !use_stdin) {
        if (s_ends_with (path, ".csv"))
            format = JM_BATCH_FORMAT_CSV;
        else
        if (s_ends_with (path, ".jsonl") || s_ends_with (path, ".ndjson"))
            format = JM_BATCH_FORMAT_JSONL;
    }
    if (format == JM_BATCH_FORMAT_AUTO || format == JM_BATCH_FORMAT_JSON) {
        jm_batch_format_t sniffed = s_sniff (self, err);
        if (sniffed == JM_BATCH_FORMAT_AUTO) {
            jm_batch_input_destroy (&self);
            return NULL;
        }
        //  --format json on a file that is not an array: JSON lines
        if (format == JM_BATCH_FORMAT_AUTO || sniffed != JM_BATCH_FORMAT_CSV)
            format = sniffed;
    }
    self->format = format;
    if (format == JM_BATCH_FORMAT_CSV && s_csv_header (self, err)) {
        jm_batch_input_destroy (&self);
        return NULL;
    }
    return self;
}

void
jm_batch_input_destroy (jm_batch_input_t **self_p)
{
    jm_batch_input_t *self = *self_p;
    if (!self)
        return;
    if (self->fd != STDIN_FILENO)
        close (self->fd);
    free (self->name);
    free (self->buf);
    free (self->fields);
    jm_buf_free (&self->field);
    jm_buf_free (&self->json);
    jm_buf_free (&self->id);
    free (self);
    *self_p = NULL;
}

int
jm_batch_input_next (jm_batch_input_t *self, jm_batch_record_t *record, jm_error_t *err)
{
    switch (self->format) {
        case JM_BATCH_FORMAT_CSV:
            return s_next_csv (self, record, err);
        case JM_BATCH_FORMAT_JSON:
            return s_next_element (self, record, err);
        default:
            return s_next_line (self, record, err);
    }
}

long
jm_batch_input_skip (jm_batch_input_t *self, long count, jm_error_t *err)
{
    jm_batch_record_t record;
    long skipped = 0;
    self->skipping = true;
    while (skipped < count) {
        int rc = jm_batch_input_next (self, &record, err);
        if (rc < 0) {
            skipped = -1;
            break;
        }
        if (rc == 0)
            break;
        skipped++;
    }
    self->skipping = false;
    return skipped;
}

jm_batch_format_t
jm_batch_input_format (const jm_batch_input_t *self)
{
    return self->format;
}

uint64_t
jm_batch_input_offset (const jm_batch_input_t *self)
{
    return self->offset + self->start;
}

uint64_t
jm_batch_input_size (const jm_batch_input_t *self)
{
    return self->size;
}

const char *
jm_batch_input_name (const jm_batch_input_t *self)
{
    return self->name;
}
