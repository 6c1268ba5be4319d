/*  jm_found: one skill mention in a résumé, as jm_resume's stages pass it on.

    jm_extract finds the mentions; jm_lists, jm_context, jm_ambiguity and
    jm_evidence each decide part of every one (the claim, why, the level and
    years).  The types live here, below those stages, so that jm_resume, which
    runs them in order, is the only module that calls into them.        */
#ifndef JM_FOUND_H
#define JM_FOUND_H

#include <stdbool.h>
#include <stdint.h>

//  Whether the candidate holds a mentioned skill.  Only held mentions count.
typedef enum {
    JM_CLAIM_HELD = 0,
    JM_CLAIM_NEGATED,           //  "no experience with X", "❌ X", "keine Erfahrung mit X"
    JM_CLAIM_INTENDED,          //  "want to learn X", "Goals: learn X"
    JM_CLAIM_OTHERS,            //  someone else's: "the backend team, who own X"
    JM_CLAIM_UNSUPPORTED,       //  an ordinary word without evidence it is the skill
    JM_CLAIM_COUNT
} jm_claim_t;

//  Why a mention is not held (the rule that decided), for explanations.
typedef enum {
    JM_REASON_NONE = 0,
    JM_REASON_NEGATION,         //  a negation cue in scope
    JM_REASON_INTENT,           //  an intent cue in scope
    JM_REASON_OTHERS,           //  someone else is the subject
    JM_REASON_NO_EVIDENCE,      //  ordinary word, nothing technical near it
    JM_REASON_YEAR_AFTER,       //  "Spring 2019"
    JM_REASON_HYPHEN_JOINED,    //  "Go-live", "Objective-C"
    JM_REASON_EMPLOYER,         //  "at Oracle"
    JM_REASON_LONGER_NAME,      //  part of a longer product name: "SQL Server Express"
    JM_REASON_ORDINARY_WORD,    //  the word in its English sense: "React quickly"
    JM_REASON_COUNT
} jm_reason_t;

//  One skill mention in a résumé
typedef struct {
    int skill;                  //  taxonomy skill index
    uint32_t start;             //  the mention: text [start, end), original bytes
    uint32_t end;
    uint32_t cue_start;         //  the words that decided claim or evidence,
    uint32_t cue_end;           //  original bytes; cue_end == cue_start: none
    jm_claim_t claim;
    jm_reason_t reason;         //  JM_REASON_NONE when held
    bool corrected;             //  a list entry recognised through a typo
    int level;                  //  1-5 read from the text, 0 when not stated
    double years;               //  years read from the text, < 0 when not stated
    int since;                  //  "X since 2016": the year, 0 when not stated
} jm_found_t;

#endif
