/*  jobmatch CLI: reading candidates.

    The whole input is read into memory (a file or stdin; hundreds of MB are
    fine) and walked value by value with json_loadb and
    JSON_DISABLE_EOF_CHECK, which reports how many bytes each value took.  A
    cursor follows the walk, counting lines and columns, so every error names
    the absolute line and column in the input, not in the value.

    Two shapes:
      - an array ("[" is the first non-blank character): all of it must
        parse, or nothing is scored (exit 2) — an array is one document;
      - a stream of values (JSON lines, or objects one after another, pretty
        printed or not): a value that does not parse is reported and reading
        resumes at the next line that can start a value, so one bad line
        costs one result.                                                  */
#include "cli.h"
#include "jm_alloc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

//  jansson counts positions in an int
#define JM_CLI_INPUT_MAX  ((size_t) INT_MAX)

int
jm_cli_input_read (const char *path, jm_cli_input_t *input)
{
    memset (input, 0, sizeof *input);
    bool use_stdin = !path || strcmp (path, "-") == 0;
    input->name = use_stdin ? "<stdin>" : path;
    FILE *file = use_stdin ? stdin : fopen (path, "rb");
    if (!file) {
        jm_cli_error ("%s: %s", path, strerror (errno));
        return -1;
    }
    size_t cap = 1 << 16;
    struct stat info;
    if (fstat (fileno (file), &info) == 0) {
        if (S_ISDIR (info.st_mode)) {
            jm_cli_error ("%s: is a folder", input->name);
            if (!use_stdin)
                fclose (file);
            return -1;
        }
        if (S_ISREG (info.st_mode) && (size_t) info.st_size + 1 > cap)
            cap = (size_t) info.st_size + 1;
    }
    char *data = jm_malloc (cap);
    size_t len = 0;
    int rc = 0;
    while (true) {
        if (len + 1 >= cap) {
            cap *= 2;
            data = jm_realloc (data, cap);
        }
        size_t got = fread (data + len, 1, cap - len - 1, file);
        len += got;
        if (len > JM_CLI_INPUT_MAX) {
            jm_cli_error ("%s: too_large: the input is over %zu bytes", input->name, JM_CLI_INPUT_MAX);
            rc = -1;
            break;
        }
        if (got == 0) {
            if (ferror (file)) {
                jm_cli_error ("%s: %s", input->name, strerror (errno));
                rc = -1;
            }
            break;
        }
    }
    if (!use_stdin)
        fclose (file);
    if (rc) {
        free (data);
        return -1;
    }
    data [len] = 0;
    input->data = data;
    input->len = len;
    return 0;
}

void
jm_cli_input_free (jm_cli_input_t *input)
{
    free (input->data);
    input->data = NULL;
    input->len = 0;
}


//  ---------------------------------------------------------------------------
//  A position in the input with its line and column (in characters).

typedef struct {
    const char *data;
    size_t len;
    size_t offset;
    int line, column;           //  1-based, of data [offset]
} s_cursor_t;

static void
s_advance (s_cursor_t *self, size_t to)
{
    if (to > self->len)
        to = self->len;
    for (size_t i = self->offset; i < to; i++) {
        unsigned char c = (unsigned char) self->data [i];
        if (c == '\n') {
            self->line++;
            self->column = 1;
        }
        else
        if ((c & 0xC0) != 0x80)
            self->column++;
    }
    if (to > self->offset)
        self->offset = to;
}

static bool
s_is_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
s_skip_blanks (s_cursor_t *self)
{
    size_t i = self->offset;
    while (i < self->len && s_is_blank (self->data [i]))
        i++;
    s_advance (self, i);
}

//  Moves to the next line after the current one that can start a value: it
//  begins with something other than a blank or a closing ']', '}' or ','
//  (so the inside of a broken pretty-printed object is skipped).  At the
//  end of the input when there is none.
static void
s_resync (s_cursor_t *self)
{
    size_t i = self->offset;
    while (true) {
        const char *newline = memchr (self->data + i, '\n', self->len - i);
        if (!newline) {
            i = self->len;
            break;
        }
        i = (size_t) (newline - self->data) + 1;
        if (i < self->len) {
            char c = self->data [i];
            if (!s_is_blank (c) && c != '}' && c != ']' && c != ',')
                break;
        }
    }
    s_advance (self, i);
}

void
jm_cli_short_message (const char *text, char *dest, size_t size)
{
    snprintf (dest, size, "%s", text);
    char *near = strstr (dest, " near ");
    if (near)
        *near = 0;
}

//  Parses the value at the cursor.  On success advances past it and returns
//  it; on failure fills err (invalid_json, absolute line and column; for
//  invalid UTF-8 the exact byte) and leaves the cursor at the value's start.
static json_t *
s_parse_value (s_cursor_t *cursor, jm_error_t *err)
{
    json_error_t json_error;
    size_t start = cursor->offset;
    json_t *value = json_loadb (cursor->data + start, cursor->len - start,
                                JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                                &json_error);
    if (value) {
        s_advance (cursor, start + (size_t) json_error.position);
        return value;
    }
    s_cursor_t at = *cursor;
    if (json_error_code (&json_error) == json_error_invalid_utf8) {
        long bad = jm_cli_utf8_invalid (cursor->data + start, cursor->len - start);
        if (bad >= 0) {
            s_advance (&at, start + (size_t) bad);
            jm_error_set_at (err, JM_ERR_INVALID_JSON, at.line, at.column,
                             "invalid UTF-8: byte 0x%02x at line %d, column %d (byte offset %zu)",
                             (unsigned char) cursor->data [at.offset], at.line, at.column, at.offset);
            return NULL;
        }
    }
    //  jansson's line and column count from the value's start
    int line = json_error.line > 0 ? json_error.line : 1;
    int column = json_error.column > 0 ? json_error.column : 1;
    if (line == 1)
        column += cursor->column - 1;
    line += cursor->line - 1;
    jm_error_set_at (err, JM_ERR_INVALID_JSON, line, column, "%s", json_error.text);
    return NULL;
}

int
jm_cli_input_each (const jm_cli_input_t *input, jm_cli_item_fn *fn, void *arg)
{
    s_cursor_t cursor = { input->data, input->len, 0, 1, 1 };
    //  a UTF-8 byte order mark is not part of the JSON
    if (cursor.len >= 3 && memcmp (cursor.data, "\xEF\xBB\xBF", 3) == 0)
        cursor.offset = 3;
    s_skip_blanks (&cursor);
    jm_error_t err;
    char message [JM_ERROR_MESSAGE_MAX];
    long position = 0;

    if (cursor.offset < cursor.len && cursor.data [cursor.offset] == '[') {
        //  one array: parse every element first, so that a broken document
        //  scores nothing; keep where each element starts for messages
        typedef struct { json_t *value; int line, column; } s_element_t;
        s_element_t *elements = NULL;
        size_t count = 0, cap = 0;
        int rc = 0;
        s_advance (&cursor, cursor.offset + 1);
        s_skip_blanks (&cursor);
        bool closed = cursor.offset < cursor.len && cursor.data [cursor.offset] == ']';
        jm_error_clear (&err);
        while (!closed) {
            if (count == cap) {
                cap = cap ? cap * 2 : 256;
                elements = jm_realloc (elements, cap * sizeof *elements);
            }
            s_element_t *element = &elements [count];
            element->line = cursor.line;
            element->column = cursor.column;
            element->value = s_parse_value (&cursor, &err);
            if (!element->value)
                break;
            count++;
            s_skip_blanks (&cursor);
            char next = cursor.offset < cursor.len ? cursor.data [cursor.offset] : 0;
            if (next == ']') {
                closed = true;
                break;
            }
            if (next != ',') {
                jm_error_set_at (&err, JM_ERR_INVALID_JSON, cursor.line, cursor.column,
                                 cursor.offset < cursor.len ? "',' or ']' expected"
                                                            : "unexpected end of input: ']' expected");
                break;
            }
            s_advance (&cursor, cursor.offset + 1);
            s_skip_blanks (&cursor);
        }
        if (closed) {
            s_advance (&cursor, cursor.offset + 1);
            s_skip_blanks (&cursor);
            if (cursor.offset < cursor.len)
                jm_error_set_at (&err, JM_ERR_INVALID_JSON, cursor.line, cursor.column,
                                 "end of input expected after the array");
        }
        if (jm_error_is_set (&err)) {
            jm_cli_short_message (err.message, message, sizeof message);
            fprintf (stderr, "%s:%d:%d: %s\n", input->name, err.line, err.column, message);
            rc = JM_CLI_FATAL;
        }
        for (size_t i = 0; i < count && rc == 0; i++) {
            jm_cli_item_t item = { elements [i].value, (long) i + 1,
                                   elements [i].line, elements [i].column, NULL };
            if (fn (&item, arg))
                rc = -1;
        }
        for (size_t i = 0; i < count; i++)
            json_decref (elements [i].value);
        free (elements);
        return rc;
    }

    while (true) {
        s_skip_blanks (&cursor);
        if (cursor.offset >= cursor.len)
            break;
        jm_error_clear (&err);
        jm_cli_item_t item = { NULL, ++position, cursor.line, cursor.column, &err };
        item.value = s_parse_value (&cursor, &err);
        if (!item.value)
            s_resync (&cursor);
        int stop = fn (&item, arg);
        json_decref (item.value);
        if (stop)
            return -1;
    }
    return 0;
}
