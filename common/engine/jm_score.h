/*  jm_score: how well a candidate meets a job, and why.

    1. Each requirement's relation credit, 0 to 1: having the skill 1; a
       related skill the taxonomy's credit (a child such as Django for
       Python 0.8, a sibling such as MySQL for PostgreSQL 0.5, the parent
       0.3, an everyday skill the work implies, such as HTTP from a web
       framework, 0.7 — "implied by"); an any-of group its best member, or
       the average of its best `min`.  Where the job sets a minimum level or
       years and the candidate states less, the credit shrinks in proportion
       ("below level"; an unstated level counts as 3, competent).
    2. Evidence weighs every skill's credit (jm_proficiency.h): the
       proficiency factor from its stated level and years (level 5 or 8+
       years 1.0, competent 0.8, unstated 0.75 or what the career's years
       earn up to 0.8, level 1 0.5), years capped at the career; times the
       breadth factor when more skills are listed than the career supports
       (15 + 4 per year: supported / listed).  A requirement earns the best
       weighted credit any of the candidate's skills gives it.
    3. score = 100 * (required points + optional points * gate^k) / total
       weight, points being weight * credit, k the required requirements
       missing (relation credit below half, evidence aside), gate = 0.4 *
       the smallest required weight / the optional weight, at most 0.5
       (jm_job_gate): whatever the optional requirements give, missing one
       required requirement scores below meeting only the required ones.
    Bands: strong >= 80 with every required requirement fully shown; good
    >= 60; partial >= 40; weak below.  Scores are rounded to one decimal.

    Every candidate carries, per taxonomy skill, the best weighted credit
    its skills give toward it as a linear code (jm_candidate_t.credit, and
    .relation unweighted).  jm_score_fast computes only the score: a
    byte-wise max over the job's credit rows of the candidate's ~15 skills,
    each row scaled by the skill's factor, then one lookup per requirement.
    jm_score_explain also fills the per-requirement breakdown, naming the
    skill that earned a credit.  Both add the same products in the same
    order, so their scores are identical to the last bit.                  */
#ifndef JM_SCORE_H
#define JM_SCORE_H

#include "jm_buf.h"
#include "jm_candidate.h"
#include "jm_job.h"

#define JM_SCORER_VERSION       "2.0.0"
#define JM_SCORE_UNSTATED_LEVEL 3       //  what an unstated level counts as against a minimum level

typedef enum {
    JM_STATUS_MET = 0,
    JM_STATUS_PARTIAL,          //  through a related skill, or some of an any-of group
    JM_STATUS_BELOW_LEVEL,      //  the skill itself, below the minimum level or years
    JM_STATUS_MISSING
} jm_status_t;

typedef enum {
    JM_BAND_STRONG = 0,
    JM_BAND_GOOD,
    JM_BAND_PARTIAL,
    JM_BAND_WEAK
} jm_band_t;

//  One requirement's outcome
typedef struct {
    double credit;              //  0..1
    jm_status_t status;
    int skill;                  //  the wanted skill that was (best) met, -1 when missing
    int via;                    //  the candidate's skill that earned it, -1 when missing
    jm_relation_t relation;     //  how `via` relates to `skill`
    int members_met;            //  any-of: members fully shown
    double contribution;        //  points of the 100 this requirement earned
    double shown;               //  relation credit (x minimum level/years), evidence aside
    double factor;              //  via's evidence factor (proficiency x breadth), 0 without via
    bool penalised;             //  required and shown below half: optional points count less
} jm_outcome_t;

typedef struct {
    double score;               //  0..100, one decimal
    jm_band_t band;
    int required_met;           //  required requirements fully met
    int required_total;
    int requirement_count;
    int missing_required;       //  required requirements missing (penalised)
    double gate;                //  what optional points counted for: the job's gate to that power
    jm_outcome_t outcomes [JM_JOB_MAX_REQUIREMENTS];
} jm_result_t;

//  Score only: the fast path.
double jm_score_fast (const jm_job_t *job, const jm_candidate_t *candidate);

//  Score with the full breakdown into *result.
void jm_score_explain (const jm_job_t *job, const jm_candidate_t *candidate, jm_result_t *result);

//  One job in a ranking of jobs for a candidate
typedef struct {
    double score;
    int job;                    //  index into the jobs given
} jm_ranked_t;

//  Scores candidate against count jobs and fills ranked [0, count) best
//  first; equal scores keep the jobs' order.  No allocation up to 4,096
//  jobs.  To rank many candidates against the same jobs, keep an index.
void jm_score_rank (const jm_job_t * const *jobs, int count, const jm_candidate_t *candidate,
                    jm_ranked_t *ranked);

//  An index over many jobs for ranking them for one candidate: every job's
//  requirements as compact steps side by side in one array, each read
//  against the candidate's coded credits, so a ranking streams through
//  memory instead of visiting each job.  Borrows the jobs, which must
//  outlive it; immutable once built, so threads may share it.
typedef struct _jm_job_index_t jm_job_index_t;

//  Builds the index over jobs [0, count).
jm_job_index_t *jm_job_index_new (const jm_job_t * const *jobs, int count);

//  Frees the index and nulls the pointer; safe on NULL.
void jm_job_index_destroy (jm_job_index_t **self_p);

//  Number of jobs indexed.
int jm_job_index_size (const jm_job_index_t *self);

//  Like jm_score_rank over the indexed jobs: ranked needs room for all of them.
void jm_job_index_rank (const jm_job_index_t *self, const jm_candidate_t *candidate, jm_ranked_t *ranked);

//  The bands' lowest scores.  strong also needs every required requirement
//  fully met; partial and weak are pure score ranges, which is why Redis
//  keeps sets for strong and good only (jm_keys_rank_range).
#define JM_BAND_STRONG_MIN   80
#define JM_BAND_GOOD_MIN     60
#define JM_BAND_PARTIAL_MIN  40
#define JM_BAND_COUNT        4          //  strong, good, partial, weak
#define JM_BAND_SETS         2          //  the first bands, strong and good, have Redis sets

//  The score histogram: JM_SCORE_BINS bins of JM_SCORE_BIN_WIDTH points,
//  [0,10) ... [90,100], the last one closed.
#define JM_SCORE_BINS        10
#define JM_SCORE_BIN_WIDTH   10

//  One band: the one table every program and the dashboard's page read
//  (GET .../summary answers it as band_table).
typedef struct {
    const char *name;           //  "strong", "good", "partial", "weak"
    double min;                 //  lowest score (weak's 0)
    double below;               //  the next band's lowest score; 0 for the first
    bool all_required;          //  also needs every required requirement fully met
} jm_band_info_t;

//  The bands, best first, indexed by jm_band_t.
extern const jm_band_info_t jm_bands [JM_BAND_COUNT];

//  The band of a score given whether every required requirement is met.
jm_band_t jm_score_band (double score, bool all_required_met);

//  The band named name, or -1 when name is NULL or no band's name.
int jm_band_lookup (const char *name);

//  The histogram bin of a score, 0 .. JM_SCORE_BINS - 1: below 10 (or not a
//  number) 0, from 90 on 9, else the tens.
int jm_score_bin (double score);

//  Names: "strong"/"good"/"partial"/"weak"; "met"/"partial"/"below_level"/"missing".
const char *jm_band_name (jm_band_t band);
const char *jm_status_name (jm_status_t status);

//  Appends the result as one JSON object (no newline) to out: candidate,
//  job, score, band, required, optional factor, per-requirement breakdown (with the
//  evidence behind each credit), matched / partial / missing skill lists,
//  breadth, warnings, résumé mentions ignored, unknown skills with
//  suggestions, versions.
void jm_result_write_json (const jm_result_t *result, const jm_job_t *job,
                           const jm_candidate_t *candidate, jm_buf_t *out);

//  Appends one byte per requirement the result misses to out: '0' plus
//  its index (JM_JOB_MAX_REQUIREMENTS keeps it below DEL), what
//  jm_store_result_t.missing holds.
void jm_result_write_missing (const jm_result_t *result, jm_buf_t *out);

#endif
