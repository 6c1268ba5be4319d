/*  jm_text: résumé text as it arrives, made plain for extraction, with every
    byte of the plain text mapped back to the original.

    Validates UTF-8 (errors name line and column of the original) and, where
    the text needs it: rejoins PDF line-end hyphenation when the joined word
    is a known skill form ("Kuber-\nnetes"), drops soft hyphens and
    zero-width characters, folds full-width letters and ligatures, reads
    HTML (tags stripped, entities decoded) and Markdown.  Plain text that
    needs none of it is used as is, without a copy.                         */
#ifndef JM_TEXT_H
#define JM_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"
#include "jm_taxonomy.h"

typedef struct {
    const char *text;           //  the plain text (the original when nothing changed)
    size_t len;
    char *owned;                //  private: the plain copy, NULL when none was needed
    uint32_t *origin;           //  private: per plain byte, its original offset; NULL when identical
    uint32_t *origin_end;       //  private: per plain byte, the end of its original bytes
} jm_text_t;

//  Makes raw [0, len) plain into *self.  taxonomy (may be NULL) decides which
//  hyphenated line breaks are rejoined.  Returns 0, or -1 with err set
//  (invalid_request with line and column; too_large past 4 GiB).
int jm_text_clean (const char *raw, size_t len, const jm_taxonomy_t *taxonomy,
                   jm_text_t *self, jm_error_t *err);

//  Maps plain [start, end) to the original bytes it came from.
void jm_text_span (const jm_text_t *self, uint32_t start, uint32_t end,
                   uint32_t *raw_start, uint32_t *raw_end);

//  Frees what clean allocated; safe twice.
void jm_text_free (jm_text_t *self);

#endif
