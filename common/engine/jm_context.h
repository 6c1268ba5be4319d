/*  jm_context: whether the candidate holds a skill the text mentions.
    Negation ("I have no experience with Python or Java", "Never used
    MongoDB", "❌ no PHP", "No: PHP, Java"), intent ("I want to learn
    TypeScript", "Goals for 2025: learn React") and other people's skills
    ("the backend team, who own the Node/Express BFF"), each cue with its
    scope (clause, sentence, list), in English, German, Spanish and French.

    The rules (data/README.md, "Context: negation, intent, other people"):
    - A cue is a word or phrase of the lexicon in jm_context.c, matched on
      whole words, case-insensitive (ASCII case; other letters count as
      letters), apostrophes joined ("don't" = dont) or split after one letter
      ("d'expérience"), or a symbol: ❌ ✗ ✘ ✖ 🚫 ⛔ negate, ✓ ✔ ✅ ☑ start a
      new clause.
    - A forward cue covers the mentions after it to the end of its clause:
      . ! ? ; ) | and a line's end (unless the line breaks a phrase:
      "experience with\nPython"), a colon (unless the heading's own), break
      words (but, however, while, aber, sondern, pero, sino, mais...), a comma
      followed by a new start ("No Java, strong Python", ", I use...") and
      "and" followed by a verb ("...and have 5 years of Java").  The latest
      cue in the clause decides; "not interested in", "don't want to learn"
      stay negations.
    - "no", "without", "lack", "ohne", "sin", "sans" count only before a
      skill (then they cover that list of skills only: "no PHP or Ruby", not
      "No SQL injection issues in the PHP code") or before experience words
      ("no experience with", "sin experiencia en"); "never", "nie", "nunca",
      "jamais" before a skill, "used", "worked", "with"... ("I never stop
      improving my Python" is held).
    - Blockers cancel a negation: "not only", "no problem", "not a
      problem", "no longer", "not limited to", "nicht nur", "sin problema",
      "pas de problème", "non seulement".
    - Intent verbs need a desire ("want/plan/hope/aim/would like to" +
      learn, try, explore, master, get into...); "learn", "aprender",
      "apprendre", "lerne" stand alone; "learning"/"studying" only after
      "currently", "am", "still"... or first in the clause ("Machine
      learning" is held); not in a clause about someone else learning
      ("helped the QA team learn Python", "new hires who want to learn X").
    - Other people: "who own/use/maintain...", "a team that used",
      "colleagues used", "the client's stack", "worked alongside"; the scope
      also ends at a comma; not when the candidate led or mentored them.
    - A heading ("No:", "Never used:", "Want to learn:", "Goals for 2025:",
      "Wishlist:", "Ziele:", "Objetivos:", "Objectifs :") covers the rest of
      its line, or, alone on its line, the lines below it up to a blank line,
      another heading or a paragraph after bullet lines (25 lines at most).
    - After a single skill: "Java: none", "PHP — no experience", "Kotlin
      (never used)", "Java? No.", "PHP ❌" negate that skill only.
    - At a clause's end, with no skill after it (only "used", "gelernt"...
      between): "Python is something I have not used.", "Java kenne ich
      nicht.", "Ich möchte Kubernetes lernen." cover the clause before.
    - Mentions already not held (another stage decided) are left alone.
    One linear pass, bounded look-aheads, no allocation.                    */
#ifndef JM_CONTEXT_H
#define JM_CONTEXT_H

#include <stddef.h>
#include "jm_found.h"

//  Sets claim (NEGATED, INTENDED, OTHERS), reason (JM_REASON_NEGATION,
//  _INTENT, _OTHERS) and cue_start/cue_end (the cue's span) of every held
//  mention a cue covers.  Offsets are plain-text bytes; found is in text
//  order.  Thread-safe (the lexicon is built once).
void jm_context_classify (const char *text, size_t len, jm_found_t *found, long count);

#endif
