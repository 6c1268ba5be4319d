/*  jm_resume: reads a résumé into the skills it shows, each with whether
    the candidate holds it and the evidence of how well.

    One call runs the stages in order, each in its own module:
      1. jm_text       the text as it arrives (PDF breaks, soft hyphens,
                       zero-width and full-width characters, HTML, Markdown)
                       made plain, every byte mapped back to the original;
      2. jm_extract    every mention of a taxonomy form (one pass, a trie);
      3. jm_lists      skill lists and "Skills:" lines: entries the
                       taxonomy knows only by a typo are corrected there;
      4. jm_context    negation ("no experience with"), intent ("want to
                       learn") and other people's skills ("the team owns");
      5. jm_ambiguity  skills whose names are ordinary words (Go, Spring,
                       Oracle) count only with evidence;
      6. jm_evidence   years and level ("5 years of Java", "senior Go
                       developer", "familiar with Docker", "Java since 2016").
    Spans are byte offsets into the original text.  The result depends on the
    text and the taxonomy only: identical input, identical output.          */
#ifndef JM_RESUME_H
#define JM_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"
#include "jm_found.h"

typedef struct _jm_extractor_t jm_extractor_t;

//  Reads text (original bytes, len of them).  Sets *found_p to a new array
//  (free() it; NULL when empty) of every mention in text order, and returns
//  the count.  Returns -1 with err set when the text is not valid UTF-8
//  (invalid_request naming line and column of the original) or too large.
long jm_resume_read (const jm_extractor_t *extractor, const char *text, size_t len,
                     jm_found_t **found_p, jm_error_t *err);

//  Names for JSON: "held", "negated", "intended", "others", "ambiguous".
const char *jm_claim_name (jm_claim_t claim);

//  Names for JSON: "negation", "intent", "someone_else", "no_evidence", ...
const char *jm_reason_name (jm_reason_t reason);

//  A reason named as jm_reason_name writes it, in a recruiter's words
//  ("negated", "an ordinary word: a year or term after it"); never NULL.
const char *jm_reason_words (const char *name);

//  The claim or reason named (as the functions above write them), or -1.
int jm_claim_parse (const char *name);
int jm_reason_parse (const char *name);

#endif
