/*  jm_text: plain text with a map to the original.  See jm_text.h.
    (Base: the text is used as is; cleaning comes with issue 15.)  */
#include "jm_text.h"

#include <stdlib.h>
#include <string.h>

int
jm_text_clean (const char *raw, size_t len, const jm_taxonomy_t *taxonomy,
               jm_text_t *self, jm_error_t *err)
{
    (void) taxonomy;
    (void) err;
    memset (self, 0, sizeof *self);
    self->text = raw;
    self->len = len;
    return 0;
}

void
jm_text_span (const jm_text_t *self, uint32_t start, uint32_t end,
              uint32_t *raw_start, uint32_t *raw_end)
{
    if (!self->origin) {
        *raw_start = start;
        *raw_end = end;
        return;
    }
    *raw_start = self->origin [start];
    *raw_end = end > start ? self->origin_end [end - 1] : self->origin [start];
}

void
jm_text_free (jm_text_t *self)
{
    free (self->owned);
    free (self->origin);
    free (self->origin_end);
    memset (self, 0, sizeof *self);
}
