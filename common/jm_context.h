/*  jm_context: whether the candidate holds a skill the text mentions.
    Negation ("I have no experience with Python or Java", "Never used
    MongoDB", "❌ no PHP", "No: PHP, Java"), intent ("I want to learn
    TypeScript", "Goals for 2025: learn React") and other people's skills
    ("the backend team, who own the Node/Express BFF"), each cue with its
    scope (clause, sentence, list), in English, German, Spanish and French.  */
#ifndef JM_CONTEXT_H
#define JM_CONTEXT_H

#include <stddef.h>
#include "jm_resume.h"

//  Sets claim, reason and cue of every held mention a cue covers.  Offsets
//  are plain-text bytes.
void jm_context_classify (const char *text, size_t len, jm_found_t *found, long count);

#endif
