/*  jm_profile_pack: the stored normalized profile in compact binary form.
    See jm_profile_pack.h for the layout.                                   */
#include "jm_profile_pack.h"
#include "jm_json.h"
#include "jm_resume.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS       4096        //  skills, unknown or ignored in one profile
#define MAX_STRING      65536

enum { HAS_NAME = 1, HAS_YEARS_EXPERIENCE = 2, HAS_IGNORED = 4 };
enum { SKILL_NAME = 1, SKILL_LEVEL = 2, SKILL_YEARS = 4, SKILL_LAST_USED = 8, SKILL_FROM_RESUME = 16 };


//  --------------------------------------------------------------------------
//  Packing

static void
s_put_varint (jm_buf_t *out, uint64_t value)
{
    uint8_t bytes [10];
    size_t len = 0;
    while (value >= 0x80) {
        bytes [len++] = (uint8_t) (value | 0x80);
        value >>= 7;
    }
    bytes [len++] = (uint8_t) value;
    jm_buf_append (out, bytes, len);
}

static void
s_put_string (jm_buf_t *out, const char *text)
{
    size_t len = strlen (text);
    s_put_varint (out, len);
    jm_buf_append (out, text, len);
}

static void
s_put_integer (jm_buf_t *out, int64_t value)
{
    uint8_t tag = 0;
    jm_buf_append (out, &tag, 1);
    s_put_varint (out, ((uint64_t) value << 1) ^ (uint64_t) (value >> 63));
}

//  A number as jm_candidate_write_profile writes it: whole ones as integers
static void
s_put_number (jm_buf_t *out, double value)
{
    if (value > -1e15 && value < 1e15 && value == (double) (long long) value) {
        s_put_integer (out, (long long) value);
        return;
    }
    uint8_t bytes [9] = { 1 };
    uint64_t bits;
    memcpy (&bits, &value, 8);
    for (int i = 0; i < 8; i++)
        bytes [1 + i] = (uint8_t) (bits >> (8 * i));
    jm_buf_append (out, bytes, 9);
}

void
jm_profile_pack (const jm_candidate_t *candidate, const jm_taxonomy_t *taxonomy, jm_buf_t *out)
{
    assert (candidate && taxonomy && out);
    uint8_t head = JM_PROFILE_PACKED;
    jm_buf_append (out, &head, 1);
    s_put_string (out, candidate->id);
    uint8_t flags = (uint8_t) ((candidate->name ? HAS_NAME : 0)
                  | (candidate->years_experience >= 0 ? HAS_YEARS_EXPERIENCE : 0)
                  | (candidate->ignored_count ? HAS_IGNORED : 0));
    jm_buf_append (out, &flags, 1);
    if (candidate->name)
        s_put_string (out, candidate->name);
    if (candidate->years_experience >= 0)
        s_put_number (out, candidate->years_experience);
    s_put_varint (out, (uint64_t) candidate->skill_count);
    for (int i = 0; i < candidate->skill_count; i++) {
        const jm_candidate_skill_t *entry = &candidate->skills [i];
        s_put_string (out, jm_taxonomy_skill (taxonomy, entry->skill)->id);
        uint8_t skill_flags = (uint8_t) ((entry->input ? SKILL_NAME : 0)
                            | (entry->level ? SKILL_LEVEL : 0) | (entry->years >= 0 ? SKILL_YEARS : 0)
                            | (entry->last_used ? SKILL_LAST_USED : 0)
                            | (entry->from_resume ? SKILL_FROM_RESUME : 0));
        jm_buf_append (out, &skill_flags, 1);
        if (entry->input)
            s_put_string (out, entry->input);
        if (entry->level)
            s_put_integer (out, entry->level);
        if (entry->years >= 0)
            s_put_number (out, entry->years);
        if (entry->last_used)
            s_put_integer (out, entry->last_used);
    }
    s_put_varint (out, (uint64_t) candidate->unknown_count);
    for (int i = 0; i < candidate->unknown_count; i++)
        s_put_string (out, candidate->unknown [i].input);
    if (candidate->ignored_count) {
        s_put_varint (out, (uint64_t) candidate->ignored_count);
        for (int i = 0; i < candidate->ignored_count; i++) {
            const jm_ignored_skill_t *entry = &candidate->ignored [i];
            s_put_string (out, jm_taxonomy_skill (taxonomy, entry->skill)->id);
            s_put_string (out, jm_claim_name (entry->claim));
            s_put_string (out, jm_reason_name (entry->reason));
        }
    }
}

bool
jm_profile_is_packed (const char *data, size_t len)
{
    return len > 0 && (uint8_t) data [0] == JM_PROFILE_PACKED;
}


//  --------------------------------------------------------------------------
//  Unpacking: a cursor over the bytes; the first error wins

typedef struct {
    const uint8_t *data;
    size_t len, at;
    const char *failure;
    size_t failed_at;
} s_reader_t;

static void
s_fail (s_reader_t *reader, const char *what)
{
    if (!reader->failure) {
        reader->failure = what;
        reader->failed_at = reader->at;
    }
}

static uint64_t
s_get_varint (s_reader_t *reader, uint64_t max)
{
    uint64_t value = 0;
    for (int shift = 0; !reader->failure; shift += 7) {
        if (reader->at >= reader->len || shift > 63) {
            s_fail (reader, reader->at >= reader->len ? "truncated" : "overlong number");
            return 0;
        }
        uint8_t byte = reader->data [reader->at++];
        value |= (uint64_t) (byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            if (value > max)
                s_fail (reader, "count or length out of range");
            return reader->failure ? 0 : value;
        }
    }
    return 0;
}

static uint8_t
s_get_byte (s_reader_t *reader)
{
    if (reader->failure)
        return 0;
    if (reader->at >= reader->len) {
        s_fail (reader, "truncated");
        return 0;
    }
    return reader->data [reader->at++];
}

//  Writes the next string as JSON, checking it is UTF-8 without NUL.
static void
s_unpack_string (s_reader_t *reader, jm_buf_t *out)
{
    size_t len = (size_t) s_get_varint (reader, MAX_STRING);
    if (reader->failure)
        return;
    if (reader->len - reader->at < len) {
        s_fail (reader, "truncated");
        return;
    }
    const unsigned char *p = reader->data + reader->at, *end = p + len;
    while (p < end) {
        if (*p == 0) {
            s_fail (reader, "NUL in a string");
            return;
        }
        if (*p < 0x80)
            p++;
        else {
            int step = jm_json_utf8_length (p, end);
            if (step <= 0) {
                s_fail (reader, "a string that is not UTF-8");
                return;
            }
            p += step;
        }
    }
    jm_buf_json_string (out, (const char *) reader->data + reader->at, len);
    reader->at += len;
}

//  Writes the next number as jm_candidate_write_profile does.
static void
s_unpack_number (s_reader_t *reader, jm_buf_t *out)
{
    uint8_t tag = s_get_byte (reader);
    if (reader->failure)
        return;
    if (tag == 0) {
        uint64_t zigzag = s_get_varint (reader, UINT64_MAX);
        if (!reader->failure)
            jm_buf_int (out, (long long) ((zigzag >> 1) ^ (~(zigzag & 1) + 1)));
        return;
    }
    if (tag != 1 || reader->len - reader->at < 8) {
        s_fail (reader, tag != 1 ? "unknown number tag" : "truncated");
        return;
    }
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t) reader->data [reader->at++] << (8 * i);
    double value;
    memcpy (&value, &bits, 8);
    if (!isfinite (value)) {
        s_fail (reader, "a number that is not finite");
        return;
    }
    jm_buf_double (out, value);
}

static void
s_unpack_skill (s_reader_t *reader, jm_buf_t *out)
{
    jm_buf_puts (out, "{\"id\":");
    s_unpack_string (reader, out);
    uint8_t flags = s_get_byte (reader);
    if (flags & ~(SKILL_NAME | SKILL_LEVEL | SKILL_YEARS | SKILL_LAST_USED | SKILL_FROM_RESUME))
        s_fail (reader, "unknown skill flags");
    if (flags & SKILL_NAME) {
        jm_buf_puts (out, ",\"name\":");
        s_unpack_string (reader, out);
    }
    static const struct { int flag; const char *key; } numbers [] = {
        { SKILL_LEVEL, ",\"level\":" }, { SKILL_YEARS, ",\"years\":" },
        { SKILL_LAST_USED, ",\"last_used\":" }
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers [0]; i++)
        if (flags & numbers [i].flag) {
            jm_buf_puts (out, numbers [i].key);
            s_unpack_number (reader, out);
        }
    if (flags & SKILL_FROM_RESUME)
        jm_buf_puts (out, ",\"from_resume\":true");
    jm_buf_puts (out, "}");
}

//  Writes "[item,item...]", count read first, each by unpack.
static void
s_unpack_list (s_reader_t *reader, jm_buf_t *out, void (*unpack) (s_reader_t *, jm_buf_t *))
{
    size_t count = (size_t) s_get_varint (reader, MAX_ITEMS);
    jm_buf_puts (out, "[");
    for (size_t i = 0; i < count && !reader->failure; i++) {
        if (i)
            jm_buf_puts (out, ",");
        unpack (reader, out);
    }
    jm_buf_puts (out, "]");
}

static void
s_unpack_ignored (s_reader_t *reader, jm_buf_t *out)
{
    jm_buf_puts (out, "{\"id\":");
    s_unpack_string (reader, out);
    jm_buf_puts (out, ",\"status\":");
    s_unpack_string (reader, out);
    jm_buf_puts (out, ",\"reason\":");
    s_unpack_string (reader, out);
    jm_buf_puts (out, "}");
}

int
jm_profile_unpack (const char *data, size_t len, jm_buf_t *out, jm_error_t *err)
{
    assert ((data || len == 0) && out);
    s_reader_t reader = { (const uint8_t *) data, len, 0, NULL, 0 };
    size_t start = out->len;
    if (s_get_byte (&reader) != JM_PROFILE_PACKED) {
        reader.at = 0;
        s_fail (&reader, "not a packed profile");
    }
    jm_buf_puts (out, "{\"id\":");
    s_unpack_string (&reader, out);
    uint8_t flags = s_get_byte (&reader);
    if (flags & ~(HAS_NAME | HAS_YEARS_EXPERIENCE | HAS_IGNORED))
        s_fail (&reader, "unknown flags");
    if (flags & HAS_NAME) {
        jm_buf_puts (out, ",\"name\":");
        s_unpack_string (&reader, out);
    }
    if (flags & HAS_YEARS_EXPERIENCE) {
        jm_buf_puts (out, ",\"years_experience\":");
        s_unpack_number (&reader, out);
    }
    jm_buf_puts (out, ",\"skills\":");
    s_unpack_list (&reader, out, s_unpack_skill);
    jm_buf_puts (out, ",\"unknown\":");
    s_unpack_list (&reader, out, s_unpack_string);
    if (flags & HAS_IGNORED) {
        jm_buf_puts (out, ",\"ignored\":");
        s_unpack_list (&reader, out, s_unpack_ignored);
    }
    jm_buf_puts (out, "}");
    if (!reader.failure && reader.at != len)
        s_fail (&reader, "bytes after the profile");
    if (reader.failure) {
        out->len = start;
        return jm_error_set (err, JM_ERR_INVALID_DATA, "stored profile: %s at byte %zu of %zu",
                             reader.failure, reader.failed_at, len);
    }
    return 0;
}
