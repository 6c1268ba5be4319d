/*  jm_job: a job's requirement profile, validated against the taxonomy and
    compiled for fast scoring.

    A requirement is one skill or an any-of group ("at least 1 of Java,
    Python, PHP ..."), with a weight, an importance and optional minimum
    level and years.  Compiling turns each required skill into "tiers": for
    every credit the taxonomy's relations can give (0.8 for a child, 0.5 for
    a sibling ...), the bitset of candidate skills that earn it.  Scoring a
    candidate is then a few AND operations per requirement.                 */
#ifndef JM_JOB_H
#define JM_JOB_H

#include <jansson.h>
#include <stdint.h>
#include "jm_error.h"
#include "jm_taxonomy.h"

#define JM_JOB_MAX_REQUIREMENTS  64
#define JM_JOB_MAX_MEMBERS       32     //  skills in one any-of group
#define JM_JOB_ID_MAX            128

typedef enum {
    JM_IMPORTANCE_REQUIRED = 0,
    JM_IMPORTANCE_PREFERRED,
    JM_IMPORTANCE_NICE
} jm_importance_t;

//  One word of a skill bitset that earns a credit
typedef struct {
    uint16_t word;
    uint64_t mask;
} jm_term_t;

//  All candidate skills earning the same credit toward one wanted skill
typedef struct {
    float credit;
    uint16_t first_term, term_count;    //  into the job's term pool
} jm_tier_t;

typedef struct {
    int skill;                          //  the wanted skill
    uint16_t first_tier, tier_count;    //  into the job's tier pool, credit descending
} jm_member_t;

typedef struct {
    char *label;                        //  display text, e.g. "a server-side language"
    jm_importance_t importance;
    double weight;
    int min_count;                      //  any-of: how many members must be met
    int min_level;                      //  0 = none
    double min_years;                   //  0 = none
    bool any_of;
    int member_count;
    jm_member_t members [JM_JOB_MAX_MEMBERS];
} jm_requirement_t;

//  The compiled form the scorer reads directly.  Each requirement owns one
//  column of credits, or one column per member for an any-of that needs
//  several members.  There is one row per candidate skill that earns any
//  credit at all (row_of [skill] - 1; 0 = none), holding that skill's best
//  relation credit toward each column, so scoring is a max over the
//  candidate's ~15 rows.  Where a minimum level or years applies, the
//  scorer scales each row's credit by that skill's own level and years
//  before taking the max.
#define JM_JOB_MAX_COLUMNS 256

typedef struct {
    int requirement_count;
    int stride;                                 //  floats per row: columns rounded up to 4
    const jm_requirement_t *requirements;
    const jm_tier_t *tiers;
    const jm_term_t *terms;
    const float *rows;                          //  row_count x stride
    int row_count;
    uint16_t row_of [JM_MAX_SKILLS];
    uint16_t column [JM_JOB_MAX_REQUIREMENTS];  //  first column of each requirement
    bool per_member [JM_JOB_MAX_REQUIREMENTS];  //  one column per member
    bool scaled [JM_JOB_MAX_REQUIREMENTS];      //  min level or years: add the skill's own credit
    bool plain [JM_JOB_MAX_REQUIREMENTS];       //  neither: the column is the credit
    double weights [JM_JOB_MAX_REQUIREMENTS];
    bool required [JM_JOB_MAX_REQUIREMENTS];
    double total_weight;
} jm_job_fast_t;

typedef struct _jm_job_t jm_job_t;

//  Builds a job from a parsed JSON object (borrowed).  Skills may be named by
//  id or by any form the normalizer knows exactly or as an alias; unknown
//  names fail with unknown_skill listing all of them with suggestions.
jm_job_t *jm_job_new_from_json (json_t *object, const jm_taxonomy_t *taxonomy, jm_error_t *err);

//  Loads a job file (JSON).  Errors name the file, line and column.
jm_job_t *jm_job_load (const char *path, const jm_taxonomy_t *taxonomy, jm_error_t *err);

//  Frees the job and nulls the pointer; safe on NULL.
void jm_job_destroy (jm_job_t **self_p);

//  Accessors; strings are borrowed.
const char *jm_job_id (const jm_job_t *self);
const char *jm_job_title (const jm_job_t *self);
int jm_job_version (const jm_job_t *self);
int jm_job_requirement_count (const jm_job_t *self);
const jm_requirement_t *jm_job_requirement (const jm_job_t *self, int index);
double jm_job_total_weight (const jm_job_t *self);
const jm_taxonomy_t *jm_job_taxonomy (const jm_job_t *self);

//  Sets the version (the registry raises it on every put).
void jm_job_set_version (jm_job_t *self, int version);

//  The compiled form (borrowed), for the scorer.
const jm_job_fast_t *jm_job_fast (const jm_job_t *self);

//  Tiers and terms of the compiled form (borrowed), for the scorer.
const jm_tier_t *jm_job_tier (const jm_job_t *self, int index);
const jm_term_t *jm_job_term (const jm_job_t *self, int index);

//  The job as a JSON object (new reference), skills by id.
json_t *jm_job_to_json (const jm_job_t *self);

//  Name of an importance: "required", "preferred", "nice-to-have".
const char *jm_importance_name (jm_importance_t importance);

#endif
