/*  jm_lists: the parts of a résumé that list skills — "Skills:" lines,
    comma and slash lists, bullet lists, tables — and, inside them only,
    entries the taxonomy knows through a typo ("Pyhton", "Kubernates").
    Prose words never become skills by correction.                          */
#ifndef JM_LISTS_H
#define JM_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include "jm_resume.h"
#include "jm_taxonomy.h"

//  True when plain text [start, end) sits in a skill list.
bool jm_lists_contains (const char *text, size_t len, uint32_t start, uint32_t end);

//  Adds to *found_p (count entries, capacity *capacity_p, grown with
//  realloc) the list entries recognised through a typo, marked corrected,
//  and keeps the array in text order.  Offsets are plain-text bytes.
//  Returns the new count.
long jm_lists_correct (const jm_taxonomy_t *taxonomy, const char *text, size_t len,
                       jm_found_t **found_p, long count, size_t *capacity_p);

#endif
