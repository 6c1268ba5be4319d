/*  jobmatch CLI: JSON without a tree, for the commands that talk to the
    gateway (submit, batch).

    A batch run moves tens of megabytes of JSON a second through the CLI: the
    candidates going out and the results coming back.  Building jansson trees
    for them (about 40 MB/s, bench/RESULTS.md) would cost more CPU than the
    matchers spend scoring, so the CLI only looks at the text (which reader
    is used where: common/wire/jm_json.h):

      - jm_batch_json_check validates one candidate (RFC 8259 and UTF-8, and
        jansson's own limits: no \u0000, integers that fit a long long, reals
        that do not overflow), so a bad input line is caught before it
        reaches a request and spoils the whole batch;
      - the iterator walks a well-formed document member by member and
        element by element, skipping what it does not need, so a reply's
        results are split and copied as text without re-serializing them;
      - jm_batch_json_unescape decodes a string literal (for CSV output).

    The iterator does not validate: it is meant for the gateway's replies,
    but it never reads past the end and stops with ok == false on text it
    cannot follow.                                                          */
#ifndef JM_BATCH_JSON_H
#define JM_BATCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include "jm_buf.h"

//  Checks that text [0..len) holds exactly one JSON value, blanks around it
//  allowed.  Returns 0, or -1 with *error_at set to the offset of the
//  offending byte and *message to a static description.
int jm_batch_json_check (const char *text, size_t len, size_t *error_at, const char **message);

//  Checks the JSON value that starts at text [0] (no leading blanks) and
//  finds where it ends.  Returns its length; 0 when text ends before the
//  value does (read more and call again); -1 on a syntax error, with
//  *error_at and *message as above.
long jm_batch_json_value_end (const char *text, size_t len, size_t *error_at, const char **message);

//  A cursor over well-formed JSON text.
typedef struct {
    const char *text;
    size_t len;
    size_t pos;
    bool ok;                    //  false once the text could not be followed
} jm_batch_json_iter_t;

//  Starts a cursor at the beginning of text (blanks are skipped as needed).
void jm_batch_json_iter_init (jm_batch_json_iter_t *self, const char *text, size_t len);

//  With the cursor on a value that is an object ('{') or inside one after a
//  member's value: moves to the next member.  Returns true with the key's
//  raw text (between the quotes, escapes left as they are) and the cursor
//  on its value; false at the object's end (the cursor past '}') or when
//  the text cannot be followed (ok false).  The caller must consume each
//  member's value (skip it, or walk into it) before asking for the next.
bool jm_batch_json_member (jm_batch_json_iter_t *self, const char **key, size_t *key_len);

//  The same for the elements of an array: true with the cursor on the next
//  element's value; false at the array's end (cursor past ']').
bool jm_batch_json_element (jm_batch_json_iter_t *self);

//  Skips the value under the cursor.  Returns its start; *len its length.
const char *jm_batch_json_skip (jm_batch_json_iter_t *self, size_t *len);

//  True when the cursor's value starts with c ('{', '[', '"', 't', ...).
bool jm_batch_json_at (const jm_batch_json_iter_t *self, char c);

//  A member of an object looked up by jm_batch_json_fields.
typedef struct {
    const char *name;           //  the key to find (plain ASCII)
    const char *value;          //  its raw value text, NULL when absent
    size_t len;
} jm_batch_json_field_t;

//  A row of a field table: JM_BATCH_FIELD ("score").
#define JM_BATCH_FIELD(name) { (name), NULL, 0 }

//  Walks the object under the cursor once, filling the value of every
//  field whose name is among its top-level keys, and leaves the cursor past
//  the object.  Returns the object's start and its length in *len, or NULL
//  when the value is not an object (cursor past it) or cannot be followed.
const char *jm_batch_json_fields (jm_batch_json_iter_t *self, jm_batch_json_field_t *fields,
                                  int count, size_t *len);

//  True when the raw value text equals the JSON string literal of text
//  (for plain text: no escapes needed).
bool jm_batch_json_is_str (const char *value, size_t len, const char *text);

//  Appends the decoded contents of a JSON string literal value (with its
//  quotes) to out; any other value is appended as it is.  Invalid escapes
//  and lone surrogates become U+FFFD.
void jm_batch_json_unescape (const char *value, size_t len, jm_buf_t *out);

#endif
