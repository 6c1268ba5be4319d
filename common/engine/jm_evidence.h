/*  jm_evidence: how well the candidate knows a skill, from the words around
    its mention (stage 6 of jm_resume), in English, German, Spanish and
    French.  The full table is in data/README.md, "Evidence of proficiency".

      years   "5 years of X", "5+ yrs", "over a decade of X", "18 months",
              "X (5 yrs)", "X: 5 years", "X for 5 years", "X developer with
              5 years", "5 Jahre Erfahrung mit X", "5 años de experiencia en
              X", "5 ans d'expérience en X"
      since   "X since 2016", "X seit/desde/depuis 2016", "X (2016–present)":
              years = reference − 2016; "X (2015–2020)": years 5, no since
      level   5 expert, guru, "lead/principal/staff X developer";
              4 senior (with a role noun), advanced, strong, proficient, deep,
                "sehr gute", fundierte, avanzado, avancé, confirmé;
              3 solid, good, experienced, intermediate, gute, intermedio,
                intermédiaire;
              2 basic, familiar, exposure, some, junior, Grundkenntnisse,
                básico, "de base";
              1 beginner, "a little", Anfänger, principiante, notions,
                débutant;
              ratings after a skill: "4/5", "Level 4", "★★★★☆".

    Scope: a phrase before a skill applies to the skills coordinated with it
    ("5 years of Java, Python and SQL": all three), until a filler word has
    been passed ("5 years of Java with Docker": Java only); a phrase after a
    skill applies to that skill only ("Java (5 yrs), Python (2 yrs)").  The
    walks look at most 120 bytes before and 80 after a mention, within its
    line and sentence, and allocate nothing.

    Several phrases: the most years; for level a rating wins over a word
    after the skill, which wins over a word before it.  A plain year is no
    duration ("Java 2019"), nor are "5 years ago", versions ("Python 3.11",
    "SQL Server 2008 - 2014") or more than 50 years.

    The reference year is the later of JM_EVIDENCE_YEAR and the latest year
    (1970-2100) the text names, so the same text always reads the same.    */
#ifndef JM_EVIDENCE_H
#define JM_EVIDENCE_H

#include <stddef.h>
#include "jm_found.h"

#define JM_EVIDENCE_YEAR 2026   //  moves with the scorer version

//  Sets level, years and since (and the cue: the phrases read) of every held
//  mention the text gives evidence for; other mentions are left alone.
//  Offsets are plain-text bytes; found is in text order.  Thread-safe.
void jm_evidence_read (const char *text, size_t len, jm_found_t *found, long count);

#endif
