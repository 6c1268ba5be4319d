/*  jm_lists: skill lists and typo correction inside them.  See jm_lists.h.
    (Base: no list is recognised yet; issue 15.)  */
#include "jm_lists.h"

bool
jm_lists_contains (const char *text, size_t len, uint32_t start, uint32_t end)
{
    (void) text; (void) len; (void) start; (void) end;
    return false;
}

long
jm_lists_correct (const jm_taxonomy_t *taxonomy, const char *text, size_t len,
                  jm_found_t **found_p, long count, size_t *capacity_p)
{
    (void) taxonomy; (void) text; (void) len; (void) found_p; (void) capacity_p;
    return count;
}
