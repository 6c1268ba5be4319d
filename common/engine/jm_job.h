/*  jm_job: a job's requirement profile, validated against the taxonomy and
    compiled for fast scoring.

    A requirement is one skill or an any-of group ("at least 1 of Java,
    Python, PHP ..."), with a weight, an importance and optional minimum
    level and years.  Compiling turns each required skill into "tiers": for
    every credit the taxonomy's relations can give (0.8 for a child, 0.5 for
    a sibling ...), the bitset of candidate skills that earn it (the
    breakdown walks them to name the skill that earned a credit); into rows
    of coded credits per candidate skill (the score-only path); and into
    steps, one per requirement (ranking many jobs).  That compiled form,
    which only jm_job and jm_score read, is in jm_job_internal.h.           */
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
    char *label_json;                   //  the same as a JSON string, quoted and escaped
    size_t label_json_len;
    char *head_json;                    //  how a result's entry for it opens: {"requirement":
    size_t head_json_len;               //  label,"importance":"...","weight":w,"status":"
    jm_importance_t importance;
    double weight;
    int min_count;                      //  any-of: how many members must be met
    int min_level;                      //  0 = none
    double min_years;                   //  0 = none
    bool any_of;
    int member_count;
    jm_member_t members [JM_JOB_MAX_MEMBERS];
} jm_requirement_t;

//  The compiled form the scorer reads directly.  Requirement r owns column
//  r of credits, and an any-of that needs several members one more column
//  per member after the requirements' (column [r]).  There is one row per
//  candidate skill that earns any credit at all (row_of [skill]; row 0 is
//  all zeros, for the skills that earn nothing), holding that skill's best
//  relation credit toward each column as a linear code (1/200, see
//  jm_proficiency.h), so scoring is a byte-wise max over the candidate's
//  ~15 rows, each scaled by the skill's evidence factor.  Where a minimum
//  level or years applies, the scorer also scales each skill's credit by
//  its own level and years before taking the max (from the taxonomy's
//  coded credits, relation_codes, read through linear).
#define JM_JOB_MAX_COLUMNS 256                  //  one per requirement, or per member of an any-of with a min above 1
#define JM_JOB_MAX_ROW (JM_JOB_MAX_COLUMNS + JM_JOB_MAX_REQUIREMENTS)

//  A candidate missing a required requirement (less than half its relation
//  credit) gets the optional requirements' points only in part: times gate
//  per required requirement missing, gate = 0.4 x (the smallest required
//  weight / the optional weight), at most 0.5.  So with everything optional
//  met, missing one required requirement still scores below meeting only
//  the required ones (see jm_score.h).
#define JM_JOB_GATE_SHARE   0.4
#define JM_JOB_GATE_MAX     0.5

//  Scores add whole points: a requirement earns weight x credit in
//  millionths of a weight unit, rounded, so that the sum is exact and every
//  path (breakdown, score only, ranking) adds the same integers in any order.
#define JM_JOB_POINTS 1e6

#define JM_JOB_RETAIN_TOP_MAX   100000000   //  "retain": {"top": N} at most

//  The points a requirement of weight_units (weight x JM_JOB_POINTS) earns at
//  a credit from 0 to 1
static inline int64_t
jm_job_points (double weight_units, double credit)
{
    return (int64_t) (weight_units * credit + 0.5);
}

typedef struct _jm_job_t jm_job_t;

//  Builds a job from a parsed JSON object (borrowed).  Skills may be named by
//  id or by any form the normalizer knows exactly or as an alias; unknown
//  names fail with unknown_skill listing all of them with suggestions.
jm_job_t *jm_job_new_from_json (json_t *object, const jm_taxonomy_t *taxonomy, jm_error_t *err);

//  The skill names in a job object (borrowed) that jm_job_new_from_json
//  would reject as unknown, in the order they appear in requirements[*].skill
//  and requirements[*].any_of[*], as a JSON array (new reference) of
//  {"input": name as written, "suggestion": closest skill id or null}.
//  Empty when every name is known or the object has no such lists.
json_t *jm_job_unknown_skills (json_t *object, const jm_taxonomy_t *taxonomy);

//  Loads a job file (JSON).  Errors name the file, line and column.
jm_job_t *jm_job_load (const char *path, const jm_taxonomy_t *taxonomy, jm_error_t *err);

//  Frees the job and nulls the pointer; safe on NULL.
void jm_job_destroy (jm_job_t **self_p);

//  Accessors; strings are borrowed.
const char *jm_job_id (const jm_job_t *self);
const char *jm_job_title (const jm_job_t *self);
int jm_job_version (const jm_job_t *self);
//  The job's retention ("retain"): keep the top N of its ranking (0: no
//  such bound), or the candidates scoring at least S (0: none).
long jm_job_retain_top (const jm_job_t *self);
//  Every requirement's label in order, each followed by a NUL byte (*len
//  bytes in all; borrowed): what a kept summary names missing requirements by.
const char *jm_job_labels (const jm_job_t *self, size_t *len);
double jm_job_retain_min_score (const jm_job_t *self);
int jm_job_requirement_count (const jm_job_t *self);
const jm_requirement_t *jm_job_requirement (const jm_job_t *self, int index);
double jm_job_total_weight (const jm_job_t *self);
const jm_taxonomy_t *jm_job_taxonomy (const jm_job_t *self);

//  The factor each missing required requirement multiplies the optional
//  requirements' points by.
double jm_job_gate (const jm_job_t *self);

//  Sets the version (the registry raises it on every put).
void jm_job_set_version (jm_job_t *self, int version);

//  The job as a JSON object (new reference), skills by id.
json_t *jm_job_to_json (const jm_job_t *self);

//  Name of an importance: "required", "preferred", "nice-to-have".
const char *jm_importance_name (jm_importance_t importance);

#endif
