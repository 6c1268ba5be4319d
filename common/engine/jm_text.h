/*  jm_text: résumé text as it arrives, made plain for extraction, with every
    byte of the plain text mapped back to the original.

    Validates UTF-8 (RFC 3629; the first bad byte fails with the line and
    column of the original, column counted in characters, 1-based) and, only
    where the text needs it, cleans (data/README.md, "Cleaning before extraction"):

    - Characters.  Soft hyphens (U+00AD) and zero-width characters (U+200B,
      U+200C, U+200D, U+2060, U+FEFF) are dropped; full-width ASCII
      (U+FF01..U+FF5E) becomes ASCII, the ideographic space (U+3000) and the
      no-break spaces (U+00A0, U+2007, U+202F) a space; the ligatures
      U+FB00..U+FB06 (ff fi fl ffi ffl st st) their letters.
    - Line-end hyphenation.  "Kuber-\nnetes": a word, '-' or U+2010 at the
      end of a line, then a word on the next line are rejoined (hyphen, line
      break and indent dropped) when the joined word is a taxonomy form, or
      makes one with up to two words around it ("Visual Stu-\ndio"), and the
      hyphenated one is not ("Java-\nScript" is JavaScript, "back-\nend"
      stays).  A soft hyphen at a line end always rejoins.  A NULL taxonomy
      rejoins nothing but soft hyphens.
    - Entities, in any text.  "&name;" for the HTML names of data/README.md
      (amp lt gt quot apos nbsp shy, dashes, quotes, bullets, symbols, the
      Latin-1 letters), "&#N;" and "&#xH;" (0, surrogates and past U+10FFFF
      become U+FFFD; 0x80..0x9F read as Windows-1252).  The ';' is required;
      unknown names stay as written, so "R&D" and "AT&T" are untouched.
    - HTML, when the text holds a complete tag of a known HTML element
      ("<p>", "<div class=x>", "</li>", "<br/>", "<!DOCTYPE html"): tags are
      removed; a block element or <br> leaves a line break, a table cell a
      tab, an inline one (<b>, <span>, <a>) nothing; comments and the
      content of <script>, <style>, <head>, <title>, <template> are dropped.
      A tag ends at the first '>'; a '<' with no '>' after it, or not
      followed by a letter, '/', '!' or '?', is text.  Plain text that only
      mentions "x < y" or "<3" is never read as HTML.
    - Markdown, in any text.  A run of '*' or '_' with a blank on exactly
      one side, or between a word and punctuation, is emphasis and dropped
      (a '*' bullet opening a line, snake_case and 5*3 stay); backticks are
      dropped; a heading's '#'s are dropped; "[text](url)" and
      "![alt](url)" keep the text; "\*" is '*'.

    Plain text never grows past the original, is valid UTF-8, and every plain
    byte maps to a non-empty range of original bytes, both ends
    non-decreasing.  A text that needs none of the above (one pass over it
    tells) is used as is, without a copy.                                   */
#ifndef JM_TEXT_H
#define JM_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"
#include "jm_taxonomy.h"
#include "jm_text_utf8.h"

typedef struct _jm_text_piece_t jm_text_piece_t;

typedef struct {
    const char *text;           //  the plain text (the original when nothing changed)
    size_t len;
    char *owned;                //  private: the plain copy, NULL when none was needed
    jm_text_piece_t *pieces;    //  private: the map, one piece per run copied or
    size_t piece_count;         //  character replaced, in plain order; NULL when identical
    size_t raw_len;             //  private: length of the original
    size_t hint;                //  private: the piece the last span ended in
} jm_text_t;

//  Makes raw [0, len) plain into *self.  taxonomy (may be NULL) decides which
//  hyphenated line breaks are rejoined.  Returns 0, or -1 with err set
//  (invalid_request with line and column; too_large past 4 GiB) and *self
//  empty.
int jm_text_clean (const char *raw, size_t len, const jm_taxonomy_t *taxonomy,
                   jm_text_t *self, jm_error_t *err);

//  Maps plain [start, end) to the original bytes it came from; offsets past
//  the plain text map to the end of the original.  Remembers where it
//  looked, so spans asked in text order cost about O(1) each.
void jm_text_span (jm_text_t *self, uint32_t start, uint32_t end,
                   uint32_t *raw_start, uint32_t *raw_end);

//  Frees what clean allocated; safe twice.
void jm_text_free (jm_text_t *self);

//  Sets err (invalid_request) for the bad UTF-8 byte at text [offset],
//  naming its line and column (characters, 1-based) and byte offset.
void jm_text_utf8_error (const uint8_t *text, size_t offset, jm_error_t *err);

#endif
