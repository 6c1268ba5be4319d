/*  jm_ambiguity: skills whose names are ordinary words (Go, Spring, Swift,
    React, Express, Rust, R, C, Oracle ...) count only with evidence: a skill
    list, a technical neighbour, the usual casing in prose; not with a year
    after it ("Spring 2019"), hyphen-joined ("Go-live", "Objective-C"), as an
    employer ("at Oracle") or inside a longer product name ("SQL Server
    Express").  The rules are data: one per skill in data/taxonomy.json.    */
#ifndef JM_AMBIGUITY_H
#define JM_AMBIGUITY_H

#include <stddef.h>
#include "jm_resume.h"
#include "jm_taxonomy.h"

//  Marks JM_CLAIM_UNSUPPORTED, with its reason and cue, every held mention
//  of an ambiguous skill that lacks evidence.  Offsets are plain-text bytes.
void jm_ambiguity_check (const jm_taxonomy_t *taxonomy, const char *text, size_t len,
                         jm_found_t *found, long count);

#endif
