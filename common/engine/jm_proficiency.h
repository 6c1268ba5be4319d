/*  jm_proficiency: how much of a skill's credit the candidate's evidence
    supports, and how much breadth the career supports.

    Proficiency factor of one skill, from its level (1-5) and years:
      level:  1 -> 0.50, 2 -> 0.65, 3 -> 0.80 (competent), 4 -> 0.90, 5 -> 1.00
      years:  0 -> 0.50, 1 -> 0.60, 2 -> 0.70, 3 -> 0.80, 5 -> 0.90, 8+ -> 1.00
              (straight lines between; a skill's years are capped at the
              career, years_experience, when that is given)
      both stated: their average; one stated: that one;
      neither: unknown, the middle credit 0.75 — or, when the career length
      is known, what the career's years would earn, at most 0.80 (never more
      than a stated competent level).
    Breadth: a career supports about 15 + 4 per year of distinct skills (soft
    skills not counted; a career of unknown length counts as 2.5 years, or
    as the most years any skill states).  Listing more than that spreads
    the same depth thinner: every skill's credit is multiplied by
    supported / listed.

    The scorer reads credits as linear codes, 1/200 each (0 = none, 200 =
    full), and each skill's factor (proficiency x breadth) in 1/256, so that
    an evidence-weighted credit is the integer (code x factor) >> 8 and the
    best one toward a requirement is still a byte-wise max.             */
#ifndef JM_PROFICIENCY_H
#define JM_PROFICIENCY_H

#include "jm_candidate_record.h"

#define JM_CREDIT_STEPS     200     //  linear credit codes: code / 200
#define JM_FACTOR_ONE       256     //  factors in 1/256

#define JM_PROFICIENCY_UNKNOWN      0.75    //  no level, no years, no career
#define JM_PROFICIENCY_COMPETENT    0.80    //  level 3: the most an unstated level earns
#define JM_BREADTH_BASE             15      //  distinct skills any career supports
#define JM_BREADTH_PER_YEAR         4       //  and more per year of career
#define JM_BREADTH_UNKNOWN_YEARS    2.5     //  a career of unknown length
#define JM_BREADTH_WARN             0.5     //  a breadth factor below this is flagged

//  What a skill's proficiency factor was read from
typedef enum {
    JM_BASIS_UNKNOWN = 0,       //  nothing stated: the middle credit
    JM_BASIS_CAREER,            //  nothing stated for the skill: the career's years
    JM_BASIS_LEVEL,
    JM_BASIS_YEARS,
    JM_BASIS_LEVEL_YEARS
} jm_basis_t;

typedef struct {
    double factor;              //  0.5 .. 1
    jm_basis_t basis;
    int level;                  //  0 when not stated
    double years;               //  capped at the career; < 0 when not stated
    double years_stated;        //  as stated, < 0 when not stated
} jm_proficiency_t;

//  The proficiency factor of one of the candidate's skills (entry may be
//  NULL: unknown); fills *detail when not NULL.
double jm_proficiency_of (const jm_candidate_t *candidate, const jm_candidate_skill_t *entry,
                          jm_proficiency_t *detail);

//  The years a skill is taken to have: stated years capped at the career,
//  or < 0 when not stated.
double jm_proficiency_years (const jm_candidate_t *candidate, const jm_candidate_skill_t *entry);

//  Fills the candidate's factor, breadth, relation and credit fields from its
//  skills (called once the skills are sorted and ids filled).
void jm_proficiency_prepare (jm_candidate_t *candidate, const jm_taxonomy_t *taxonomy);

//  The linear code of a credit from 0 to 1 (nearest 1/200).
static inline unsigned
jm_credit_code (double credit)
{
    return (unsigned) (credit * JM_CREDIT_STEPS + 0.5);
}

//  A linear credit code scaled by a factor in 1/256, rounded down.
static inline unsigned
jm_credit_scale (unsigned code, unsigned factor)
{
    return code * factor >> 8;
}

//  Name of a basis: "unknown", "career", "level", "years", "level and years".
const char *jm_basis_name (jm_basis_t basis);

#endif
