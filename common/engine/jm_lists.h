/*  jm_lists: the parts of a résumé that list skills — "Skills:" lines,
    comma and slash lists, bullet lists, tables — and, inside them only,
    entries the taxonomy knows through a typo ("Pyhton", "Kubernates").
    Prose words never become skills by correction.

    A span is in a skill list when its line is (data/README.md, "Lists"):
    - headed: the line opens (after bullets, '#', '*', '_') with at most four
      words, one of them a list heading (Skills, Technologies, Tech stack,
      Tools, Languages, Frameworks, Databases, Kenntnisse, Fähigkeiten,
      Competencias, Habilidades, Compétences ...), then ':'; the span is
      after the ':';
    - a table row: '|' opens the line and another '|' follows;
    - a bullet line ("-", "*", "•" ...) of short items only (at most four
      words and 48 bytes each, separated by , / | ; and "and" / "or"), with
      two or more items, or with bullet neighbours of short items too;
    - a line of short items under a heading line ("SKILLS", "Technical
      Skills:") with no blank line nor another section's heading
      ("EXPERIENCE", "Work history") between (40 lines back at most), after
      a short label if it has one ("Data: PostgreSQL, Redis");
    - or (jm_lists_contains only) a run of three or more short items in
      a sentence: "React, Redux and TypeScript".  Not for typo correction:
      a sentence is prose.
    Lines are looked at 1 KiB back and 1 KiB forward of the span at most,
    so a check costs the same on a 2 MiB line.

    Corrections (jm_lists_correct), in lists of the first four kinds:
    every item not already covered by a mention, 2-40 bytes, at most four
    words, opening with a letter and at least 70% ASCII letters, is looked
    up: the id, name or an alias (after the normalizer's stripping: "go",
    "rust" in lowercase, which free text does not take) is added as it is;
    a typo (jm_normalize_lookup_near, one skill only) is added marked corrected
    when it is one edit away, whatever the length (stricter than the
    normalizer's two from 9 characters), and its first letter is the first
    letter of a form of that skill ("Pyhton", "Kubernates", "Postgress";
    not "Bython").  At most JM_LISTS_MAX_LOOKUPS items per
    résumé are looked up, and the typo search runs only when the
    taxonomy's deletion index says a typo target may exist; it measures
    the distance to the few names that index gives, not to every name.   */
#ifndef JM_LISTS_H
#define JM_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include "jm_found.h"
#include "jm_taxonomy.h"

#define JM_LISTS_MAX_LOOKUPS 64     //  list items looked up per résumé, at most

typedef enum {
    JM_LIST_NONE = 0,
    JM_LIST_LINE,               //  a headed line, table row, bullet list or block under a heading
    JM_LIST_SENTENCE            //  a run of three or more short items in a sentence
} jm_list_kind_t;

//  True when plain text [start, end) sits in a skill list.
bool jm_lists_contains (const char *text, size_t len, uint32_t start, uint32_t end);

//  Which kind of list plain text [start, end) sits in, if any.
jm_list_kind_t jm_lists_kind (const char *text, size_t len, uint32_t start, uint32_t end);

//  Adds to *found_p (count entries, capacity *capacity_p, grown with
//  realloc) the list entries recognised through a typo, marked corrected,
//  and those free text does not take (lowercase "go"), and keeps the array
//  in text order.  Offsets are plain-text bytes.  Returns the new count.
long jm_lists_correct (const jm_taxonomy_t *taxonomy, const char *text, size_t len,
                       jm_found_t **found_p, long count, size_t *capacity_p);

#endif
