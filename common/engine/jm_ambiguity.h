/*  jm_ambiguity: skills whose names are ordinary words (Go, Spring, Swift,
    React, Express, Rust, R, C, Oracle ...) count only with evidence: a skill
    list, a technical neighbour, a version after it; not with a year after
    it ("Spring 2019"), hyphen-joined ("Go-live", "Objective-C"), as an
    employer ("at Oracle") or inside a longer name ("SQL Server Express").
    The rules are data: one per skill in data/taxonomy.json ("evidence",
    jm_evidence_rule_t), documented in data/README.md.

    Only a mention written as one of the rule's forms (exact case: "Go",
    not "Golang" or a lowercase list entry) is checked.  In this order:
    1. Counter-evidence; the first that applies decides, even in a list:
       - hyphen_joined: '-' joins it to a word ("Go-live", "Objective-C";
         not "Go-based", "React-powered" ...), or a single letter is
         '/'-joined to another single letter ("A/B/C testing");
       - year_after: a year ("Spring 2019", "Spring '19", "Spring of
         2019") or a term word (semester, term, quarter, break, season,
         intake, cohort) follows;
       - employer (rules with "employer": true): "at X" (not "good at X"),
         "joined X", "worked for X", "employed by X", "X Corporation",
         "X Inc", "X Labs" ..., or a year right after it as on a job line
         ("Oracle (2016-2019)", "Oracle, 2016–2019");
       - longer_name: one of the rule's "names" holds it ("SQL Server
         Express", "Rust Belt");
       - ordinary_word: one of the rule's "phrases" holds it ("React
         quickly", "Express your"), unless it is in a line list or another
         skill's plain mention is at most two words before it or one word
         after it in the sentence ("from Angular to React to improve").
    2. Evidence; any one suffices:
       - the mention is in a skill list (jm_lists_kind); a run of items in
         a sentence ("Go, Rust and C") counts when another skill is in it;
       - one of the rule's neighbour phrases holds it ("written in Go");
       - a version follows: "Go 1.21", "Oracle 19c", "React 18"; or a
         length of experience: "Rust: 2 years", "Swift (3 yrs)";
       - a hyphen suffix that makes a technical adjective: "Go-based",
         "React-powered";
       - within 8 words in the same sentence: a technical word (a shared
         list: api, services, code, framework, database ...; plus the
         rule's own "neighbours") or a mention of another skill that
         needs no evidence ("React with TypeScript");
       - the skill is held elsewhere in the résumé (by an unambiguous form,
         "Golang", or with evidence) and this mention does not open a
         sentence.
    3. Otherwise no_evidence.
    Each check looks at a bounded window (256 bytes, 8 words, 16 nearby
    mentions) around the mention: linear in the text.                     */
#ifndef JM_AMBIGUITY_H
#define JM_AMBIGUITY_H

#include <stddef.h>
#include "jm_found.h"
#include "jm_taxonomy.h"

//  Marks JM_CLAIM_UNSUPPORTED, with its reason and cue, every held mention
//  of an ambiguous skill that lacks evidence.  Offsets are plain-text bytes.
void jm_ambiguity_check (const jm_taxonomy_t *taxonomy, const char *text, size_t len,
                         jm_found_t *found, long count);

#endif
