/*  jm_evidence: how well the candidate knows a skill, from the words around
    its mention: "N years of X", "X (5 yrs)", "X since 2016", "senior X
    developer", "familiar with X", "basic X", in English, German, Spanish
    and French.  Years since a year count up to JM_EVIDENCE_YEAR or the
    latest year the text names, whichever is later, so that the same text
    always reads the same.                                                  */
#ifndef JM_EVIDENCE_H
#define JM_EVIDENCE_H

#include <stddef.h>
#include "jm_resume.h"

#define JM_EVIDENCE_YEAR 2026   //  moves with the scorer version

//  Sets level, years and since (and the cue) of every held mention the text
//  gives evidence for.  Offsets are plain-text bytes.
void jm_evidence_read (const char *text, size_t len, jm_found_t *found, long count);

#endif
