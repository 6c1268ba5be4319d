/*  jm_score: scoring and its explanation.  See jm_score.h for the formula.  */
#include "jm_score.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined (__SSE2__)
#include <emmintrin.h>
#endif

//  The average of the best `count` of credits [0, n): the n - count lowest
//  are left out and the others added in order, never subtracted, so that
//  full credits average to exactly 1
static double
s_top_average (const double *credits, int n, int count)
{
    //  jm_job refuses a larger min at load, and n <= JM_JOB_MAX_MEMBERS = 32
    assert (count >= 1 && count <= n && n <= 32);
    uint32_t dropped = 0;
    for (int d = 0; d < n - count; d++) {
        int lowest = 0;
        while (dropped >> lowest & 1)
            lowest++;
        for (int j = lowest + 1; j < n; j++)
            if (!(dropped >> j & 1) && credits [j] < credits [lowest])
                lowest = j;
        dropped |= 1u << lowest;
    }
    double sum = 0;
    for (int j = 0; j < n; j++)
        sum += dropped >> j & 1 ? 0 : credits [j];
    return sum / count;
}

//  The candidate's own credit for a wanted skill it has: 1, scaled down by
//  level / min_level and years / min_years when it states less.
static inline double
s_factor (int min_level, double min_years, const jm_candidate_skill_t *entry)
{
    double factor = 1;
    int level = entry ? entry->level : 0;
    if (min_level && level && level < min_level)
        factor = (double) level / min_level;
    double years = entry ? entry->years : -1;
    if (min_years > 0 && years >= 0 && years < min_years && years / min_years < factor)
        factor = years / min_years;
    return factor;
}

static inline double
s_entry_factor (const jm_requirement_t *req, const jm_candidate_skill_t *entry)
{
    return s_factor (req->min_level, req->min_years, entry);
}

static inline double
s_own_credit (const jm_requirement_t *req, const jm_candidate_t *candidate, int skill)
{
    if (!req->min_level && !(req->min_years > 0))
        return 1;
    return s_entry_factor (req, jm_candidate_skill (candidate, skill));
}

//  Credit of one wanted skill.  via/below may be NULL (fast path).
static inline double
s_member_credit (const jm_job_fast_t *job, const jm_requirement_t *req, const jm_member_t *member,
                 const jm_candidate_t *candidate, int *via, bool *below)
{
    double best = 0;
    int skill = member->skill;
    //  the candidate's coded credits say at once whether any of its skills
    //  counts toward this one, and for how much at most
    int code = candidate->credit [skill];
    if (code == 0)
        return 0;
    if (jm_candidate_has (candidate, skill)) {
        double factor = s_own_credit (req, candidate, skill);
        best = factor;
        if (via) {
            *via = skill;
            *below = factor < 1;
        }
        if (factor >= 1)
            return 1;
    }
    bool scaled = req->min_level > 0 || req->min_years > 0;
    for (int t = 0; t < member->tier_count; t++) {
        const jm_tier_t *tier = &job->tiers [member->first_tier + t];
        if (tier->credit <= best)
            break;
        if (!scaled && tier->credit > job->levels [code])
            continue;           //  none of the candidate's skills is in this tier
        for (int k = 0; k < tier->term_count; k++) {
            const jm_term_t *term = &job->terms [tier->first_term + k];
            uint64_t hit = candidate->has [term->word] & term->mask;
            while (hit) {
                int have = term->word * 64 + __builtin_ctzll (hit);
                //  a minimum level or years holds for the related skill too
                double credit = scaled ? tier->credit * s_own_credit (req, candidate, have) : tier->credit;
                if (credit > best) {
                    best = credit;
                    if (via) {
                        *via = have;
                        *below = credit < tier->credit;
                    }
                }
                if (!scaled)
                    return best;
                hit &= hit - 1;
            }
        }
    }
    return best;
}

//  Credit of one requirement with a minimum level or years, walking the
//  relation tiers of every member; fills outcome when not NULL.
static double
s_scaled_requirement_credit (const jm_job_fast_t *job, const jm_requirement_t *req,
                      const jm_candidate_t *candidate, jm_outcome_t *outcome)
{
    if (!req->any_of) {
        int via = -1;
        bool below = false;
        double credit = s_member_credit (job, req, &req->members [0], candidate,
                                         outcome ? &via : NULL, &below);
        if (outcome) {
            outcome->credit = credit;
            outcome->skill = credit > 0 ? req->members [0].skill : -1;
            outcome->via = credit > 0 ? via : -1;
            outcome->members_met = credit >= 1;
            outcome->status = credit >= 1 ? JM_STATUS_MET : credit <= 0 ? JM_STATUS_MISSING
                            : below ? JM_STATUS_BELOW_LEVEL : JM_STATUS_PARTIAL;
        }
        return credit;
    }
    //  any-of: the average of the best min_count members
    double credits [JM_JOB_MAX_MEMBERS];
    int vias [JM_JOB_MAX_MEMBERS];
    bool belows [JM_JOB_MAX_MEMBERS];
    int best_member = 0, members_met = 0;
    for (int m = 0; m < req->member_count; m++) {
        vias [m] = -1;
        belows [m] = false;
        credits [m] = s_member_credit (job, req, &req->members [m], candidate,
                                       outcome ? &vias [m] : NULL, &belows [m]);
        members_met += credits [m] >= 1;
        if (credits [m] > credits [best_member])
            best_member = m;
    }
    double credit = req->min_count == 1 ? credits [best_member]
                  : s_top_average (credits, req->member_count, req->min_count);
    if (outcome) {
        outcome->credit = credit;
        outcome->members_met = members_met;
        outcome->skill = credit > 0 ? req->members [best_member].skill : -1;
        outcome->via = credit > 0 ? vias [best_member] : -1;
        outcome->status = credit >= 1 ? JM_STATUS_MET : credit <= 0 ? JM_STATUS_MISSING
                        : members_met == 0 && belows [best_member] ? JM_STATUS_BELOW_LEVEL
                        : JM_STATUS_PARTIAL;
    }
    return credit;
}

//  The average of the best min_count members' coded credits
static double
s_best_members_average (const jm_job_fast_t *job, const jm_requirement_t *req, const jm_candidate_t *candidate)
{
    double credits [JM_JOB_MAX_MEMBERS];
    for (int m = 0; m < req->member_count; m++)
        credits [m] = job->levels [candidate->credit [req->members [m].skill]];
    return s_top_average (credits, req->member_count, req->min_count);
}

//  Credit of one requirement; fills outcome.  Without a minimum level or
//  years each member's credit is its coded credit: find the best member
//  from the codes, then walk the relation tiers of that one only, to name
//  the candidate skill that earned it.
static inline double
s_requirement_credit (const jm_job_fast_t *job, const jm_requirement_t *req,
                      const jm_candidate_t *candidate, jm_outcome_t *outcome)
{
    if (req->min_level || req->min_years > 0)
        return s_scaled_requirement_credit (job, req, candidate, outcome);
    int best_member = 0, members_met = 0;
    unsigned best_code = 0;
    for (int m = 0; m < req->member_count; m++) {
        unsigned code = candidate->credit [req->members [m].skill];
        members_met += code >= job->full_code;
        if (code > best_code) {
            best_code = code;
            best_member = m;
        }
    }
    double credit = req->min_count > 1 ? s_best_members_average (job, req, candidate) : job->levels [best_code];
    int via = -1;
    bool below = false;
    if (credit > 0)
        s_member_credit (job, req, &req->members [best_member], candidate, &via, &below);
    outcome->credit = credit;
    outcome->members_met = members_met;
    outcome->skill = credit > 0 ? req->members [best_member].skill : -1;
    outcome->via = credit > 0 ? via : -1;
    outcome->status = credit >= 1 ? JM_STATUS_MET : credit <= 0 ? JM_STATUS_MISSING : JM_STATUS_PARTIAL;
    return credit;
}

//  The score in tenths: 100 * earned / total points, cut for each required
//  requirement below half credit, rounded half away from zero.
static inline int
s_tenths (int64_t earned, int64_t total_points, int missing_required)
{
    double score = total_points > 0 ? 100.0 * (double) earned / (double) total_points : 0;
    for (int i = 0; i < missing_required; i++)
        score *= JM_SCORE_MISSING_FACTOR;
    //  scores are never negative; credits of at most 1 keep them at most 100
    long long tenths = (long long) (score * 10 + 0.5);
    return tenths < 1000 ? (int) tenths : 1000;
}

//  To one decimal
static double
s_finish_score (int64_t earned, int64_t total_points, int missing_required)
{
    return (double) s_tenths (earned, total_points, missing_required) / 10;
}

//  Credit of requirement r, which has a minimum level or years: each
//  candidate skill's relation credit (from the taxonomy's coded credits)
//  scaled by that skill's own level and years, then the max, per member
//  when the requirement needs several.
static double
s_scaled_credit (const jm_job_fast_t *job, int r, const jm_candidate_t *candidate)
{
    const jm_step_t *step = &job->steps [r];
    const jm_requirement_t *req = &job->requirements [r];
    const uint16_t *members = job->wants + step->first;
    //  only members some candidate skill counts toward can earn anything
    uint16_t live [JM_JOB_MAX_MEMBERS];
    uint8_t live_member [JM_JOB_MAX_MEMBERS];
    int lives = 0;
    unsigned bound = 0;         //  the best code of any candidate skill, unscaled
    for (int m = 0; m < step->member_count; m++) {
        unsigned code = candidate->credit [members [m]];
        if (code) {
            live [lives] = members [m];
            live_member [lives++] = (uint8_t) m;
            bound = code > bound ? code : bound;
        }
    }
    if (!lives)
        return 0;
    double best [JM_JOB_MAX_MEMBERS] = { 0 };
    for (int i = 0; i < candidate->skill_count; i++) {
        if (candidate->ids [i] >= job->relation_rows)
            continue;           //  not of this job's taxonomy
        const uint8_t *codes = job->relation_codes + (size_t) candidate->ids [i] * (size_t) job->relation_stride;
        if (step->min_count > 1) {
            double factor = s_entry_factor (req, &candidate->skills [i]);
            for (int l = 0; l < lives; l++) {
                double credit = job->levels [codes [live [l]]] * factor;
                if (credit > best [live_member [l]])
                    best [live_member [l]] = credit;
            }
            continue;
        }
        unsigned code = 0;
        for (int l = 0; l < lives; l++)
            code = codes [live [l]] > code ? codes [live [l]] : code;
        if (code) {
            double credit = job->levels [code] * s_entry_factor (req, &candidate->skills [i]);
            if (credit > best [0])
                best [0] = credit;
            if (best [0] >= job->levels [bound])
                break;          //  no skill can do better
        }
    }
    return step->min_count > 1 ? s_top_average (best, step->member_count, step->min_count) : best [0];
}

//  Credit of a step that is not a single skill, from the candidate's codes
static double
s_step_credit (const jm_job_fast_t *job, int r, const jm_step_t *step, const uint16_t *members,
               const double *levels, const jm_candidate_t *candidate)
{
    const uint8_t *codes = candidate->credit;
    if (step->kind == JM_STEP_BEST_MEMBER) {
        unsigned best = 0;
        for (int m = 0; m < step->member_count; m++) {
            unsigned code = codes [members [m]];
            best = code > best ? code : best;
        }
        return levels [best];
    }
    if (step->kind == JM_STEP_BEST_MEMBERS) {
        double credits [JM_JOB_MAX_MEMBERS];
        for (int m = 0; m < step->member_count; m++)
            credits [m] = levels [codes [members [m]]];
        return s_top_average (credits, step->member_count, step->min_count);
    }
    return s_scaled_credit (job, r, candidate);
}

//  The score in tenths from the job's steps (see jm_step_t) and the
//  candidate's coded credits: the best code among a requirement's members
//  is the best relation credit any candidate skill gives it, the same value
//  the breakdown finds by walking the relation tiers.  Reads the steps, the
//  members and the candidate; the job itself only for minimum levels.
static int
s_score_steps (const jm_step_t *steps, int step_count, const uint16_t *wants, const double *levels,
               int64_t total_points, const jm_job_fast_t *job, const jm_candidate_t *candidate)
{
    const uint8_t *codes = candidate->credit;
    int64_t earned = 0;
    int missing_required = 0;
    for (int r = 0; r < step_count; r++) {
        const jm_step_t *step = &steps [r];
        unsigned code = codes [step->want];
        if (step->kind == JM_STEP_SKILL) {
            earned += jm_job_points (step->weight_units, levels [code]);
            missing_required += code < step->missing_below;
            continue;
        }
        double credit = s_step_credit (job, r, step, wants + step->first, levels, candidate);
        earned += jm_job_points (step->weight_units, credit);
        missing_required += step->missing_below && credit < 0.5;
    }
    return s_tenths (earned, total_points, missing_required);
}

#if defined (__SSE2__)
//  best [0, 16 * vectors) = the byte-wise max of the rows of the candidate's
//  skills, kept in registers (vectors is a constant 1 to 4 at each call)
static inline __attribute__ ((always_inline)) void
s_best_codes_sse (const jm_job_fast_t *job, const jm_candidate_t *candidate, uint8_t *best, int vectors)
{
    __m128i b0 = _mm_setzero_si128 (), b1 = b0, b2 = b0, b3 = b0;
    size_t stride = (size_t) job->stride;
    for (int i = 0; i < candidate->skill_count; i++) {
        const uint8_t *row = job->rows + job->row_of [candidate->ids [i]] * stride;
        b0 = _mm_max_epu8 (b0, _mm_loadu_si128 ((const __m128i *) row));
        if (vectors > 1)
            b1 = _mm_max_epu8 (b1, _mm_loadu_si128 ((const __m128i *) (row + 16)));
        if (vectors > 2)
            b2 = _mm_max_epu8 (b2, _mm_loadu_si128 ((const __m128i *) (row + 32)));
        if (vectors > 3)
            b3 = _mm_max_epu8 (b3, _mm_loadu_si128 ((const __m128i *) (row + 48)));
    }
    _mm_store_si128 ((__m128i *) best, b0);
    if (vectors > 1)
        _mm_store_si128 ((__m128i *) (best + 16), b1);
    if (vectors > 2)
        _mm_store_si128 ((__m128i *) (best + 32), b2);
    if (vectors > 3)
        _mm_store_si128 ((__m128i *) (best + 48), b3);
}
#endif

//  best [0, stride) = the byte-wise max of the rows of the candidate's skills
static void
s_best_codes (const jm_job_fast_t *job, const jm_candidate_t *candidate, uint8_t *best)
{
#if defined (__SSE2__)
    switch (job->stride) {
        case 16: s_best_codes_sse (job, candidate, best, 1); return;
        case 32: s_best_codes_sse (job, candidate, best, 2); return;
        case 48: s_best_codes_sse (job, candidate, best, 3); return;
        case 64: s_best_codes_sse (job, candidate, best, 4); return;
        default: break;
    }
#endif
    memset (best, 0, (size_t) job->stride);
    for (int i = 0; i < candidate->skill_count; i++) {
        const uint8_t *row = job->rows + job->row_of [candidate->ids [i]] * (size_t) job->stride;
        for (int c = 0; c < job->stride; c++)
            best [c] = row [c] > best [c] ? row [c] : best [c];
    }
}

//  Set bits of a word, without the call the compiler makes when the target
//  may lack a popcnt instruction
static inline int
s_popcount (uint64_t word)
{
    word = word - ((word >> 1) & 0x5555555555555555ULL);
    word = (word & 0x3333333333333333ULL) + ((word >> 2) & 0x3333333333333333ULL);
    word = (word + (word >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int) ((word * 0x0101010101010101ULL) >> 56);
}

//  The number of required plain requirements whose best code is below
//  half credit: a byte-wise compare of the first 64 columns
static inline int
s_plain_missing (const jm_job_fast_t *job, const uint8_t *best)
{
    uint64_t below = 0;
#if defined (__SSE2__)
    __m128i limit = _mm_set1_epi8 ((char) (job->half_code - 1));
    int vectors = job->stride < 64 ? job->stride / 16 : 4;
    for (int v = 0; v < vectors; v++) {
        __m128i codes = _mm_load_si128 ((const __m128i *) (best + 16 * v));
        __m128i low = _mm_cmpeq_epi8 (_mm_min_epu8 (codes, limit), codes);
        below |= (uint64_t) (uint16_t) _mm_movemask_epi8 (low) << (16 * v);
    }
#else
    for (int r = 0; r < job->requirement_count; r++)
        below |= (uint64_t) (best [r] < job->half_code) << r;
#endif
    return s_popcount (below & job->plain_required);
}

//  The score of one job from its credit rows: the best code toward each
//  column is a byte-wise max over the rows of the candidate's skills, then
//  requirement r reads column r (or its members' columns).
double
jm_score_fast (const jm_job_t *job_in, const jm_candidate_t *candidate)
{
    const jm_job_fast_t *job = jm_job_fast (job_in);
    uint8_t best [JM_JOB_MAX_ROW] __attribute__ ((aligned (16)));
    s_best_codes (job, candidate, best);
    const double *levels = job->levels;
    int missing_required = s_plain_missing (job, best);
    //  plain requirements read their points from their column's code; the
    //  others' rows of points are zero, so one pass with no branch adds them all
    const int32_t *points = job->points;
    const int level_count = job->level_count, requirement_count = job->requirement_count;
    int64_t earned = 0;
#pragma GCC unroll 4
    for (int r = 0; r < requirement_count; r++, points += level_count)
        earned += points [best [r]];
    for (int i = 0; i < job->other_count; i++) {
        int r = job->others [i];
        double credit;
        if (job->scaled [r])
            credit = s_scaled_credit (job, r, candidate);
        else {
            //  an any-of needing several members: the average of the best
            const jm_step_t *step = &job->steps [r];
            double members [JM_JOB_MAX_MEMBERS];
            for (int m = 0; m < step->member_count; m++)
                members [m] = levels [best [job->column [r] + m]];
            credit = s_top_average (members, step->member_count, step->min_count);
        }
        earned += jm_job_points (job->weight_units [r], credit);
        missing_required += job->required [r] & (credit < 0.5);
    }
    return (double) s_tenths (earned, job->total_points, missing_required) / 10;
}

void
jm_score_explain (const jm_job_t *job_in, const jm_candidate_t *candidate, jm_result_t *result)
{
    const jm_job_fast_t *job = jm_job_fast (job_in);
    int64_t earned = 0;
    double total_weight = jm_job_total_weight (job_in);
    int missing_required = 0;
    result->requirement_count = job->requirement_count;
    result->required_met = 0;
    result->required_total = 0;
    for (int r = 0; r < result->requirement_count; r++) {
        const jm_requirement_t *req = &job->requirements [r];
        jm_outcome_t *outcome = &result->outcomes [r];
        double credit = s_requirement_credit (job, req, candidate, outcome);
        outcome->relation = JM_RELATION_NONE;
        if (outcome->via >= 0)
            jm_taxonomy_credit (jm_job_taxonomy (job_in), outcome->via, outcome->skill, &outcome->relation);
        earned += jm_job_points (job->weight_units [r], credit);
        outcome->contribution = total_weight > 0 ? 100.0 * req->weight * credit / total_weight : 0;
        if (req->importance == JM_IMPORTANCE_REQUIRED) {
            result->required_total++;
            result->required_met += credit >= 1;
            missing_required += credit < 0.5;
        }
    }
    result->score = s_finish_score (earned, job->total_points, missing_required);
    result->band = jm_score_band (result->score, result->required_met == result->required_total);
}

//  Ranks count jobs by their scores in tenths, best first, equal scores in
//  the jobs' order: a counting sort over the 1,001 possible scores.
static void
s_rank_tenths (uint16_t *tenths, int count, jm_ranked_t *ranked)
{
    uint32_t starts [1002] = { 0 };
    for (int j = 0; j < count; j++)
        starts [1000 - tenths [j] + 1]++;
    for (int bucket = 1; bucket < 1002; bucket++)
        starts [bucket] += starts [bucket - 1];
    for (int j = 0; j < count; j++) {
        uint32_t position = starts [1000 - tenths [j]]++;
        ranked [position] = (jm_ranked_t) { (double) tenths [j] / 10, j };
    }
}

//  Scratch for the scores of count jobs: the caller's buffer when it is
//  big enough, else the heap.
#define S_STACK_JOBS 4096

static uint16_t *
s_tenths_heap (int count)
{
    uint16_t *heap = malloc (sizeof (uint16_t) * (size_t) (unsigned) count);
    assert (heap);
    return heap;
}

//  One indexed job: where its steps and members start in the index's
//  arenas, and what scoring reads besides
typedef struct {
    uint32_t first_step;
    uint32_t first_want;
    int step_count;
    int64_t total_points;
    const double *levels;        //  the taxonomy's credit levels
    const jm_job_fast_t *job;   //  for requirements with a minimum level or years
} s_indexed_t;

struct _jm_job_index_t {
    int count;
    s_indexed_t *jobs;
    jm_step_t *steps;           //  every job's steps, one after another
    uint16_t *wants;            //  every job's any-of members, one after another
};

jm_job_index_t *
jm_job_index_new (const jm_job_t * const *jobs, int count)
{
    jm_job_index_t *self = calloc (1, sizeof *self);
    assert (self);
    self->count = count;
    size_t steps = 0, wants = 0;
    for (int j = 0; j < count; j++) {
        steps += (size_t) jm_job_fast (jobs [j])->requirement_count;
        wants += (size_t) jm_job_fast (jobs [j])->want_count;
    }
    self->jobs = malloc (sizeof (s_indexed_t) * (size_t) (unsigned) (count > 0 ? count : 1));
    self->steps = malloc (sizeof (jm_step_t) * (steps ? steps : 1));
    self->wants = malloc (sizeof (uint16_t) * (wants ? wants : 1));
    assert (self->jobs && self->steps && self->wants);
    //  copy the steps next to each other so that ranking streams through memory
    steps = wants = 0;
    for (int j = 0; j < count; j++) {
        const jm_job_fast_t *job = jm_job_fast (jobs [j]);
        self->jobs [j] = (s_indexed_t) {
            (uint32_t) steps, (uint32_t) wants, job->requirement_count, job->total_points, job->levels, job
        };
        memcpy (self->steps + steps, job->steps, sizeof (jm_step_t) * (size_t) job->requirement_count);
        memcpy (self->wants + wants, job->wants, sizeof (uint16_t) * (size_t) job->want_count);
        steps += (size_t) job->requirement_count;
        wants += (size_t) job->want_count;
    }
    return self;
}

void
jm_job_index_destroy (jm_job_index_t **self_p)
{
    assert (self_p);
    jm_job_index_t *self = *self_p;
    if (!self)
        return;
    free (self->jobs);
    free (self->steps);
    free (self->wants);
    free (self);
    *self_p = NULL;
}

int
jm_job_index_size (const jm_job_index_t *self)
{
    return self->count;
}

void
jm_job_index_rank (const jm_job_index_t *self, const jm_candidate_t *candidate, jm_ranked_t *ranked)
{
    uint16_t stack [S_STACK_JOBS];
    uint16_t *tenths = self->count <= S_STACK_JOBS ? stack : s_tenths_heap (self->count);
    for (int j = 0; j < self->count; j++) {
        const s_indexed_t *job = &self->jobs [j];
        tenths [j] = (uint16_t) s_score_steps (self->steps + job->first_step, job->step_count,
                                               self->wants + job->first_want, job->levels,
                                               job->total_points, job->job, candidate);
    }
    s_rank_tenths (tenths, self->count, ranked);
    if (tenths != stack)
        free (tenths);
}

void
jm_score_rank (const jm_job_t * const *jobs, int count, const jm_candidate_t *candidate,
               jm_ranked_t *ranked)
{
    uint16_t stack [S_STACK_JOBS];
    uint16_t *tenths = count <= S_STACK_JOBS ? stack : s_tenths_heap (count);
    for (int j = 0; j < count; j++) {
        const jm_job_fast_t *job = jm_job_fast (jobs [j]);
        tenths [j] = (uint16_t) s_score_steps (job->steps, job->requirement_count, job->wants, job->levels,
                                               job->total_points, job, candidate);
    }
    s_rank_tenths (tenths, count, ranked);
    if (tenths != stack)
        free (tenths);
}

jm_band_t
jm_score_band (double score, bool all_required_met)
{
    if (score >= JM_BAND_STRONG_MIN && all_required_met)
        return JM_BAND_STRONG;
    if (score >= JM_BAND_GOOD_MIN)
        return JM_BAND_GOOD;
    if (score >= JM_BAND_PARTIAL_MIN)
        return JM_BAND_PARTIAL;
    return JM_BAND_WEAK;
}

const char *
jm_band_name (jm_band_t band)
{
    static const char *names [] = { "strong", "good", "partial", "weak" };
    return names [band];
}

const char *
jm_status_name (jm_status_t status)
{
    static const char *names [] = { "met", "partial", "below_level", "missing" };
    return names [status];
}

static void
s_write_skill_list (jm_buf_t *out, const char *key, const jm_result_t *result,
                    const jm_job_t *job, jm_status_t status)
{
    jm_buf_puts (out, ",\"");
    jm_buf_puts (out, key);
    jm_buf_puts (out, "\":[");
    bool first = true;
    for (int r = 0; r < result->requirement_count; r++) {
        jm_status_t this_status = result->outcomes [r].status;
        if (this_status == JM_STATUS_BELOW_LEVEL)
            this_status = JM_STATUS_PARTIAL;
        if (this_status != status)
            continue;
        if (!first)
            jm_buf_puts (out, ",");
        const jm_requirement_t *req = jm_job_requirement (job, r);
        jm_buf_append (out, req->label_json, req->label_json_len);
        first = false;
    }
    jm_buf_puts (out, "]");
}

void
jm_result_write_json (const jm_result_t *result, const jm_job_t *job,
                      const jm_candidate_t *candidate, jm_buf_t *out)
{
    const jm_taxonomy_t *taxonomy = jm_job_taxonomy (job);
    jm_buf_puts (out, "{\"candidate\":");
    jm_buf_json_str (out, candidate->id);
    if (candidate->name) {
        jm_buf_puts (out, ",\"name\":");
        jm_buf_json_str (out, candidate->name);
    }
    jm_buf_puts (out, ",\"job\":");
    jm_buf_json_str (out, jm_job_id (job));
    jm_buf_puts (out, ",\"job_version\":");
    jm_buf_int (out, jm_job_version (job));
    jm_buf_puts (out, ",\"score\":");
    jm_buf_json_number (out, result->score, 1);
    jm_buf_puts (out, ",\"band\":\"");
    jm_buf_puts (out, jm_band_name (result->band));
    jm_buf_puts (out, "\",\"required\":\"");
    jm_buf_int (out, result->required_met);
    jm_buf_puts (out, " of ");
    jm_buf_int (out, result->required_total);
    jm_buf_puts (out, "\",\"required_met\":");
    jm_buf_int (out, result->required_met);
    jm_buf_puts (out, ",\"required_total\":");
    jm_buf_int (out, result->required_total);
    jm_buf_puts (out, ",\"requirements\":[");
    for (int r = 0; r < result->requirement_count; r++) {
        const jm_requirement_t *req = jm_job_requirement (job, r);
        const jm_outcome_t *outcome = &result->outcomes [r];
        if (r)
            jm_buf_puts (out, ",");
        jm_buf_append (out, req->head_json, req->head_json_len);
        jm_buf_puts (out, jm_status_name (outcome->status));
        jm_buf_puts (out, "\",\"credit\":");
        jm_buf_json_number (out, outcome->credit, 3);
        jm_buf_puts (out, ",\"points\":");
        jm_buf_json_number (out, outcome->contribution, 2);
        //  the wanted skill met, or for a single skill the one missing
        int skill = outcome->skill >= 0 ? outcome->skill : req->any_of ? -1 : req->members [0].skill;
        if (skill >= 0) {
            const jm_skill_t *wanted = jm_taxonomy_skill (taxonomy, skill);
            jm_buf_puts (out, ",\"skill\":");
            jm_buf_append (out, wanted->id_json, wanted->id_json_len);
        }
        if (outcome->via >= 0) {
            //  through another skill: say which and how
            if (outcome->relation != JM_RELATION_SAME) {
                const jm_skill_t *via = jm_taxonomy_skill (taxonomy, outcome->via);
                jm_buf_puts (out, ",\"via\":");
                jm_buf_append (out, via->id_json, via->id_json_len);
                jm_buf_puts (out, ",\"via_name\":");
                jm_buf_append (out, via->name_json, via->name_json_len);
                jm_buf_puts (out, ",\"relation\":\"");
                jm_buf_puts (out, jm_relation_name (outcome->relation));
                jm_buf_puts (out, "\"");
            }
            const jm_candidate_skill_t *entry = jm_candidate_skill (candidate, outcome->via);
            if (entry && entry->input) {
                jm_buf_puts (out, ",\"written\":");
                jm_buf_json_str (out, entry->input);
            }
            if (entry && entry->from_resume)
                jm_buf_puts (out, ",\"from_resume\":true");
            if (entry && entry->level) {
                jm_buf_puts (out, ",\"level\":");
                jm_buf_int (out, entry->level);
            }
            if (entry && entry->years >= 0) {
                jm_buf_puts (out, ",\"years\":");
                jm_buf_json_number (out, entry->years, 1);
            }
        }
        if (req->any_of) {
            if (req->min_count > 1) {
                jm_buf_puts (out, ",\"min\":");
                jm_buf_int (out, req->min_count);
            }
            jm_buf_puts (out, ",\"members_met\":");
            jm_buf_int (out, outcome->members_met);
        }
        if (req->min_level) {
            jm_buf_puts (out, ",\"min_level\":");
            jm_buf_int (out, req->min_level);
        }
        if (req->min_years > 0) {
            jm_buf_puts (out, ",\"min_years\":");
            jm_buf_json_number (out, req->min_years, 1);
        }
        jm_buf_puts (out, "}");
    }
    jm_buf_puts (out, "]");
    s_write_skill_list (out, "matched", result, job, JM_STATUS_MET);
    s_write_skill_list (out, "partial", result, job, JM_STATUS_PARTIAL);
    s_write_skill_list (out, "missing", result, job, JM_STATUS_MISSING);
    jm_buf_puts (out, ",\"corrections\":[");
    bool first = true;
    for (int i = 0; i < candidate->skill_count; i++) {
        const jm_candidate_skill_t *entry = &candidate->skills [i];
        if (entry->match != JM_MATCH_TYPO)
            continue;
        jm_buf_puts (out, first ? "{\"input\":" : ",{\"input\":");
        jm_buf_json_str (out, entry->input);
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, entry->skill);
        jm_buf_puts (out, ",\"skill\":");
        jm_buf_append (out, skill->id_json, skill->id_json_len);
        jm_buf_puts (out, "}");
        first = false;
    }
    jm_buf_puts (out, "],\"unknown_skills\":[");
    for (int i = 0; i < candidate->unknown_count; i++) {
        const jm_unknown_skill_t *unknown = &candidate->unknown [i];
        jm_buf_puts (out, i ? ",{\"input\":" : "{\"input\":");
        jm_buf_json_str (out, unknown->input);
        if (unknown->suggestion >= 0) {
            const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, unknown->suggestion);
            jm_buf_puts (out, ",\"suggestion\":");
            jm_buf_append (out, skill->id_json, skill->id_json_len);
            jm_buf_puts (out, ",\"suggestion_name\":");
            jm_buf_append (out, skill->name_json, skill->name_json_len);
        }
        else
            jm_buf_puts (out, ",\"suggestion\":null");
        jm_buf_puts (out, "}");
    }
    jm_buf_puts (out, "],\"versions\":{\"taxonomy\":");
    jm_buf_json_str (out, jm_taxonomy_version (taxonomy));
    jm_buf_puts (out, ",\"scorer\":\"" JM_SCORER_VERSION "\"}}");
}
