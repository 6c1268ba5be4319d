/*  jm_candidate_record: the candidate as the scorer reads it.

    jm_candidate builds this record (from JSON, a résumé or a stored
    profile) and jm_proficiency fills its derived fields (factor, breadth,
    credit codes); the scorer and the explanations read it.  The record
    lives here, below both, so jm_candidate can call jm_proficiency without
    jm_proficiency including the module that calls it.                  */
#ifndef JM_CANDIDATE_RECORD_H
#define JM_CANDIDATE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "jm_found.h"
#include "jm_normalize.h"

#define JM_CANDIDATE_MAX_SKILLS   1000          //  listed skills per candidate
#define JM_CANDIDATE_MAX_RESUME   (2 << 20)     //  resume bytes
#define JM_CANDIDATE_ID_MAX       128

//  One recognised skill of the candidate
typedef struct {
    int skill;                  //  taxonomy index
    int level;                  //  1-5, 0 when not stated
    double years;               //  < 0 when not stated
    int last_used;              //  a year, 0 when not stated
    jm_match_t match;           //  how the written name was recognised
    bool from_resume;           //  found only in the resume text
    char *input;                //  as written (owned), NULL when from the resume
} jm_candidate_skill_t;

//  A skill the resume mentions only in ways that do not count (negated,
//  wanted, someone else's, an ordinary word without evidence)
typedef struct {
    int skill;                  //  taxonomy index
    jm_claim_t claim;
    jm_reason_t reason;
} jm_ignored_skill_t;

//  A written skill the taxonomy does not know
typedef struct {
    char *input;                //  owned
    int suggestion;             //  closest skill, or -1
} jm_unknown_skill_t;

typedef struct {
    char *id;
    char *name;                 //  NULL when not given
    double years_experience;    //  < 0 when not given
    int skill_count;
    jm_candidate_skill_t *skills;       //  ordered by taxonomy index, one per skill
    int unknown_count;
    jm_unknown_skill_t *unknown;
    int ignored_count;
    jm_ignored_skill_t *ignored;        //  in order of first mention
    uint16_t *ids;                      //  skill indices, compact, for the scorer
    uint64_t has [JM_SKILL_WORDS];      //  bitset of skills
    uint8_t credit [JM_MAX_SKILLS];     //  per taxonomy skill, the best evidence-weighted credit
                                        //  the skills give toward it, linear (jm_proficiency.h)
    uint8_t relation [JM_MAX_SKILLS];   //  the same before weighting: the best relation credit
    uint16_t *factor;                   //  per skill (as ids): proficiency x breadth, in 1/256
    uint16_t *by_factor;                //  skill ids (as ids) ordered by factor, largest first:
    uint16_t *group_end;                //  groups of equal factor end at these positions
    uint16_t *group_factor;             //  ... and have these factors
    int group_count;
    double career_years;                //  years_experience, else the most years a skill states, or -1
    int breadth_skills;                 //  distinct skills listed, soft ones not counted
    double breadth_supported;           //  how many the career supports
    double breadth_factor;              //  supported / listed when more are listed, else 1
    uint64_t fingerprint;               //  hash of the normalized content
    int skill_cap;
    void *strings;                      //  blocks holding id, name and inputs (private)
} jm_candidate_t;

//  True when the candidate has the skill.
static inline bool
jm_candidate_has (const jm_candidate_t *self, int skill)
{
    return (self->has [skill / 64] >> (skill % 64)) & 1;
}

#endif
