/*  jm_normalize: turns what people write for a skill into a taxonomy skill.

    "Python 3", "python (primary)", "advanced Java", "NodeJS", "Node JS",
    "k8s", "Kubernets" — each maps to one canonical skill or to none.  Steps:
    fold (case, whitespace, punctuation that does not make a name), look the
    folded and compact keys up in the alias tables (constant time), strip
    versions and qualifiers and look up again, and finally allow a typo
    (edit distance 1 for 5+ characters, 2 for 9+) only when exactly one skill
    is that close.  Never maps onto a different real skill: an input that is
    itself a known form is never typo-corrected.                            */
#ifndef JM_NORMALIZE_H
#define JM_NORMALIZE_H

#include <stddef.h>
#include "jm_normalize_fold.h"
#include "jm_taxonomy.h"

typedef enum {
    JM_MATCH_EXACT = 0,         //  the skill's id or display name
    JM_MATCH_ALIAS,             //  one of its aliases
    JM_MATCH_TYPO,              //  within the typo distance of exactly one skill
    JM_MATCH_UNKNOWN            //  not a taxonomy skill
} jm_match_t;

typedef struct {
    int skill;                  //  skill index, -1 when unknown
    jm_match_t match;
    int suggestion;             //  for unknown input: closest skill or -1
    int distance;               //  edit distance for typo / suggestion
} jm_lookup_t;

//  Maps one skill name as written to a skill.  Input need not be NUL-terminated;
//  invalid UTF-8 or over-long input is simply unknown.
jm_lookup_t jm_normalize_lookup (const jm_taxonomy_t *taxonomy, const char *text, size_t len);

//  The same, but a typo counts only one edit from a name of 5+ characters
//  (JM_MATCH_TYPO, distance 1, one skill only), and unknown input gets no
//  suggestion: what jm_normalize_lookup calls a typo at distance 1, found
//  through the taxonomy's deletion index instead of a look at every name.
jm_lookup_t jm_normalize_lookup_near (const jm_taxonomy_t *taxonomy, const char *text, size_t len);

//  Name of a match kind: "exact", "alias", "typo", "unknown".
const char *jm_match_name (jm_match_t match);

//  Damerau (optimal string alignment) distance of a and b, or limit+1 when
//  it exceeds limit.
int jm_normalize_distance (const char *a, size_t alen, const char *b, size_t blen, int limit);

#endif
