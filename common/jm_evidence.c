/*  jm_evidence: years and level from the text.  See jm_evidence.h.
    (Base: nothing is read yet; issue 15.)  */
#include "jm_evidence.h"

void
jm_evidence_read (const char *text, size_t len, jm_found_t *found, long count)
{
    (void) text; (void) len; (void) found; (void) count;
}
