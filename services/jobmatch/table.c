/*  jobmatch CLI: text tables, display widths and numbers as text.

    Tables are for people: columns padded to the widest cell, numbers
    right-aligned, long cells cut.  Widths are counted in display columns,
    roughly: a code point is one column, East Asian wide characters and most
    emoji two, combining marks none — close enough for names and skills
    without a full wcwidth table.                                           */
#include "cli.h"
#include "jm_alloc.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JM_CLI_TABLE_COLUMNS 16

//  Decodes one UTF-8 sequence at text (len bytes left).  Returns its length
//  and the code point, or 0 when the bytes are not valid UTF-8 (RFC 3629:
//  no overlongs, no surrogates, nothing past U+10FFFF).
static size_t
s_decode (const unsigned char *text, size_t len, uint32_t *code)
{
    unsigned char c = text [0];
    if (c < 0x80) {
        *code = c;
        return 1;
    }
    size_t need;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2, min = 0x80, *code = c & 0x1F;
    else
    if (c >= 0xE0 && c <= 0xEF)
        need = 3, min = 0x800, *code = c & 0x0F;
    else
    if (c >= 0xF0 && c <= 0xF4)
        need = 4, min = 0x10000, *code = c & 0x07;
    else
        return 0;
    if (len < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((text [i] & 0xC0) != 0x80)
            return 0;
        *code = (*code << 6) | (text [i] & 0x3F);
    }
    if (*code < min || *code > 0x10FFFF || (*code >= 0xD800 && *code <= 0xDFFF))
        return 0;
    return need;
}

long
jm_cli_utf8_invalid (const char *text, size_t len)
{
    const unsigned char *bytes = (const unsigned char *) text;
    size_t i = 0;
    while (i < len) {
        if (bytes [i] < 0x80) {
            i++;
            continue;
        }
        uint32_t code;
        size_t step = s_decode (bytes + i, len - i, &code);
        if (step == 0)
            return (long) i;
        i += step;
    }
    return -1;
}

static int
s_code_width (uint32_t code)
{
    if ((code >= 0x0300 && code <= 0x036F) || (code >= 0x1AB0 && code <= 0x1AFF)
    ||  (code >= 0x1DC0 && code <= 0x1DFF) || (code >= 0x20D0 && code <= 0x20FF)
    ||  (code >= 0xFE00 && code <= 0xFE0F) || (code >= 0xFE20 && code <= 0xFE2F)
    ||  (code >= 0x200B && code <= 0x200F))
        return 0;
    if ((code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0x303E)
    ||  (code >= 0x3041 && code <= 0x33FF) || (code >= 0x3400 && code <= 0x4DBF)
    ||  (code >= 0x4E00 && code <= 0x9FFF) || (code >= 0xA000 && code <= 0xA4CF)
    ||  (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF)
    ||  (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60)
    ||  (code >= 0xFFE0 && code <= 0xFFE6) || (code >= 0x1F300 && code <= 0x1F64F)
    ||  (code >= 0x1F900 && code <= 0x1F9FF) || (code >= 0x20000 && code <= 0x3FFFD))
        return 2;
    return 1;
}

//  Display width of valid UTF-8 text, roughly: one column per code point,
//  two for East Asian wide characters, none for combining marks.
static int
s_text_width (const char *text, size_t len)
{
    const unsigned char *bytes = (const unsigned char *) text;
    int width = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t code;
        size_t step = s_decode (bytes + i, len - i, &code);
        if (step == 0) {
            step = 1;
            code = '?';
        }
        width += s_code_width (code);
        i += step;
    }
    return width;
}

//  True for the code points that could rewrite or reorder what a terminal
//  shows: C0 and C1 controls, DEL, and the bidirectional marks, embeddings,
//  overrides and isolates (U+200E-U+200F, U+202A-U+202E, U+2066-U+2069).
static bool
s_hides_text (uint32_t code)
{
    return code < 0x20 || (code >= 0x7F && code < 0xA0)
        || code == 0x200E || code == 0x200F
        || (code >= 0x202A && code <= 0x202E)
        || (code >= 0x2066 && code <= 0x2069);
}

void
jm_cli_text_clean (jm_buf_t *out, const char *text, int width)
{
    if (!text)
        return;
    const unsigned char *bytes = (const unsigned char *) text;
    size_t len = strlen (text);
    bool cut = width > 0 && s_text_width (text, len) > width;
    int room = cut ? width - 3 : width;
    int used = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t code;
        size_t step = s_decode (bytes + i, len - i, &code);
        bool replace = step == 0 || s_hides_text (code);
        if (step == 0)
            step = 1;
        int code_width = replace ? 1 : s_code_width (code);
        if (cut && used + code_width > room)
            break;
        if (replace)
            jm_buf_append (out, "?", 1);
        else
            jm_buf_append (out, bytes + i, step);
        used += code_width;
        i += step;
    }
    if (cut)
        jm_buf_append (out, "...", 3);
}


//  ---------------------------------------------------------------------------
//  Tables

struct _jm_cli_table_t {
    int columns;
    const char *headers [JM_CLI_TABLE_COLUMNS];
    bool right [JM_CLI_TABLE_COLUMNS];
    int limit [JM_CLI_TABLE_COLUMNS];
    char **cells;               //  rows * columns, cleaned, owned
    int rows, cap;
};

jm_cli_table_t *
jm_cli_table_new (const char *const *headers)
{
    jm_cli_table_t *self = jm_calloc (1, sizeof *self);
    while (headers [self->columns]) {
        assert (self->columns < JM_CLI_TABLE_COLUMNS);
        const char *header = headers [self->columns];
        self->right [self->columns] = header [0] == '>';
        self->headers [self->columns] = header + (header [0] == '>');
        self->columns++;
    }
    return self;
}

void
jm_cli_table_destroy (jm_cli_table_t **self_p)
{
    assert (self_p);
    jm_cli_table_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->rows * self->columns; i++)
        free (self->cells [i]);
    free (self->cells);
    free (self);
    *self_p = NULL;
}

void
jm_cli_table_limit (jm_cli_table_t *self, int column, int width)
{
    assert (column >= 0 && column < self->columns);
    self->limit [column] = width;
}

void
jm_cli_table_add (jm_cli_table_t *self, const char *const *cells)
{
    if (self->rows == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 32;
        self->cells = jm_realloc (self->cells, (size_t) self->cap * (size_t) self->columns * sizeof (char *));
    }
    for (int c = 0; c < self->columns; c++) {
        jm_buf_t cell;
        jm_buf_init (&cell);
        jm_cli_text_clean (&cell, cells [c] ? cells [c] : "", self->limit [c]);
        self->cells [self->rows * self->columns + c] = jm_buf_steal (&cell, NULL);
    }
    self->rows++;
}

void
jm_cli_table_addf (jm_cli_table_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int needed = vsnprintf (NULL, 0, format, args);
    va_end (args);
    char *text = jm_malloc ((size_t) needed + 1);
    va_start (args, format);
    vsnprintf (text, (size_t) needed + 1, format, args);
    va_end (args);
    const char *cells [JM_CLI_TABLE_COLUMNS] = { NULL };
    char *next = text;
    for (int c = 0; c < self->columns && next; c++) {
        cells [c] = next;
        next = strchr (next, '\t');
        if (next)
            *next++ = 0;
    }
    jm_cli_table_add (self, cells);
    free (text);
}

static void
s_pad (jm_buf_t *out, int count)
{
    static const char spaces [] = "                                ";
    while (count > 0) {
        int step = count < 32 ? count : 32;
        jm_buf_append (out, spaces, (size_t) step);
        count -= step;
    }
}

//  One row: cells padded to the column widths, no trailing blanks.
static void
s_render_row (const jm_cli_table_t *self, const char *const *cells, const int *widths,
              int indent, jm_buf_t *out)
{
    size_t start = out->len;
    s_pad (out, indent);
    for (int c = 0; c < self->columns; c++) {
        const char *cell = cells [c] ? cells [c] : "";
        int gap = widths [c] - s_text_width (cell, strlen (cell));
        if (c)
            s_pad (out, 2);
        if (self->right [c])
            s_pad (out, gap);
        jm_buf_puts (out, cell);
        if (!self->right [c] && c + 1 < self->columns)
            s_pad (out, gap);
    }
    while (out->len > start && out->data [out->len - 1] == ' ')
        out->len--;
    out->data [out->len] = 0;
    jm_buf_puts (out, "\n");
}

void
jm_cli_table_render (const jm_cli_table_t *self, int indent, bool header, jm_buf_t *out)
{
    int widths [JM_CLI_TABLE_COLUMNS] = { 0 };
    for (int c = 0; c < self->columns; c++) {
        if (header)
            widths [c] = s_text_width (self->headers [c], strlen (self->headers [c]));
        for (int r = 0; r < self->rows; r++) {
            const char *cell = self->cells [r * self->columns + c];
            int width = s_text_width (cell, strlen (cell));
            if (width > widths [c])
                widths [c] = width;
        }
    }
    if (header)
        s_render_row (self, self->headers, widths, indent, out);
    for (int r = 0; r < self->rows; r++)
        s_render_row (self, (const char *const *) self->cells + r * self->columns, widths, indent, out);
}

const char *
jm_cli_number (char *dest, size_t size, double value, int decimals)
{
    jm_buf_t buf;
    jm_buf_init (&buf);
    jm_buf_json_number (&buf, value, decimals);
    snprintf (dest, size, "%s", buf.data);
    jm_buf_free (&buf);
    return dest;
}

//  How evidence set a credit, from a requirement's "evidence":
//  "; evidence level 5, 10 years: 1.00"
void
jm_cli_evidence (jm_buf_t *cell, json_t *evidence)
{
    const char *basis = json_string_value (json_object_get (evidence, "basis"));
    if (!basis)
        return;
    char have [32], stated [32];
    json_t *level = json_object_get (evidence, "level");
    json_t *years = json_object_get (evidence, "years");
    json_t *years_stated = json_object_get (evidence, "years_stated");
    jm_buf_puts (cell, "; evidence ");
    if (strcmp (basis, "unknown") == 0)
        jm_buf_puts (cell, "level unstated");
    else
    if (strcmp (basis, "career") == 0)
        jm_buf_printf (cell, "level unstated, %s-year career",
                       jm_cli_number (have, sizeof have, json_number_value (json_object_get (evidence, "career_years")), 1));
    else {
        if (json_is_integer (level))
            jm_buf_printf (cell, "level %lld", (long long) json_integer_value (level));
        if (json_is_number (years))
            jm_buf_printf (cell, "%s%s years", json_is_integer (level) ? ", " : "",
                           jm_cli_number (have, sizeof have, json_number_value (years), 1));
        if (json_is_number (years_stated))
            jm_buf_printf (cell, " (%s stated, capped at the career)",
                           jm_cli_number (stated, sizeof stated, json_number_value (years_stated), 1));
    }
    jm_buf_printf (cell, ": %.2f", json_number_value (json_object_get (evidence, "proficiency")));
    json_t *breadth = json_object_get (evidence, "breadth");
    if (json_is_number (breadth))
        jm_buf_printf (cell, " x %.2f breadth", json_number_value (breadth));
}
