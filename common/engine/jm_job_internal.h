/*  jm_job_internal: the compiled form of a job, shared by jm_job (which
    builds it) and jm_score (which reads it).  Private to those two files:
    everything else goes through jm_job.h's accessors.                  */
#ifndef JM_JOB_INTERNAL_H
#define JM_JOB_INTERNAL_H

#include "jm_job.h"

//  How the score-only path reads a requirement from a candidate's coded
//  credits (jm_candidate_t.credit)
typedef enum {
    JM_STEP_SKILL = 0,                  //  one skill: its code is the credit
    JM_STEP_BEST_MEMBER,                //  any-of, min 1: the best code among the members
    JM_STEP_BEST_MEMBERS,               //  any-of, min above 1: the average of the best
    JM_STEP_SCALED                      //  a minimum level or years: per skill, scaled
} jm_step_kind_t;

//  One requirement as the score-only path reads it
typedef struct {
    double weight_units;                //  the weight in points (JM_JOB_POINTS per unit)
    uint16_t want;                      //  the wanted skill, the first member of an any-of
    uint16_t first;                     //  where its members start in the job's `wants`
    uint8_t member_count;
    uint8_t min_count;
    uint8_t missing_below;              //  required: codes below this are under half
                                        //  credit, so missing; 0 when not required
    uint8_t kind;                       //  jm_step_kind_t
} jm_step_t;

//  The compiled job: what the scorer reads instead of the requirements
typedef struct {
    int requirement_count;
    int stride;                                 //  bytes per row: columns rounded up to 16
    const jm_requirement_t *requirements;
    const jm_tier_t *tiers;
    const jm_term_t *terms;
    const uint8_t *rows;                        //  row_count x stride credit codes
    int row_count;
    uint16_t row_of [JM_MAX_SKILLS];
    uint16_t column [JM_JOB_MAX_REQUIREMENTS];  //  r, or the first of its members' columns
    bool per_member [JM_JOB_MAX_REQUIREMENTS];  //  one column per member
    bool scaled [JM_JOB_MAX_REQUIREMENTS];      //  min level or years: add the skill's own credit
    bool plain [JM_JOB_MAX_REQUIREMENTS];       //  neither: the column is the credit
    double weight_units [JM_JOB_MAX_REQUIREMENTS];  //  weights in points per unit of credit
    bool required [JM_JOB_MAX_REQUIREMENTS];
    int64_t total_points;                       //  what full credit everywhere earns
    const jm_step_t *steps;                     //  requirement_count, in order
    const uint16_t *wants;                      //  members of every step, one after another
    int want_count;
    const double *levels;                       //  credit of each linear code: code / 200
    int level_count;                            //  JM_CREDIT_STEPS + 1
    const int32_t *points;                      //  [r * level_count + code]: requirement r's
                                                //  points at credit code (jm_job_points),
                                                //  zero unless requirement r is plain
    const int32_t *plain_points;                //  the plain requirements' rows of points, one
                                                //  after another, required ones first,
    uint8_t plain_columns [JM_JOB_MAX_REQUIREMENTS];    //  and their columns
    int plain_required_count, plain_count;
    uint8_t others [JM_JOB_MAX_REQUIREMENTS];   //  the requirements that are not plain
    int other_count;
    uint64_t plain_required;                    //  bit r: requirement r is required and plain
    uint8_t half_code;                          //  relation codes below this are missing
    uint8_t full_code;                          //  codes from this give full credit
    const uint8_t *relation_codes;              //  the taxonomy's coded credit rows
    int relation_stride;
    int relation_rows;                          //  the taxonomy's size
    uint8_t linear [JM_CREDIT_LEVELS];          //  a taxonomy credit code as a linear code
    double gate;                                //  optional points' factor per required missing
    double gates [JM_JOB_MAX_REQUIREMENTS + 1];         //  gate to the power k
} jm_job_fast_t;

//  The compiled form (borrowed), for the scorer.
const jm_job_fast_t *jm_job_fast (const jm_job_t *self);

#endif
