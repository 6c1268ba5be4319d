/*  jm_score: scoring and its explanation.  See jm_score.h for the formula.  */
#include "jm_score.h"
#include "jm_job_internal.h"
#include "jm_proficiency.h"
#include "jm_alloc.h"

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

//  How far a skill meets a job's minimum level and years: 1, or less in
//  proportion when the candidate states less.  An unstated level counts as
//  competent (3); unstated years as enough; years are capped at the career.
static inline double
s_below (const jm_requirement_t *req, const jm_candidate_t *candidate, const jm_candidate_skill_t *entry)
{
    double factor = 1;
    if (req->min_level) {
        int level = entry && entry->level ? entry->level : JM_SCORE_UNSTATED_LEVEL;
        if (level < req->min_level)
            factor = (double) level / req->min_level;
    }
    if (req->min_years > 0) {
        double years = jm_proficiency_years (candidate, entry);
        if (years >= 0 && years < req->min_years && years / req->min_years < factor)
            factor = years / req->min_years;
    }
    return factor;
}

//  The members of a requirement with a minimum level or years: for each,
//  the best evidence-weighted credit any candidate skill gives (relation x
//  evidence factor x how far it meets the minimum), the best relation credit
//  (relation x minimum: how far the skill is shown at all), and when vias is
//  not NULL the skill that gave the credit.  Fast path and breakdown alike.
static void
s_scaled_members (const jm_job_fast_t *job, const jm_requirement_t *req, const uint16_t *members,
                  int member_count, const jm_candidate_t *candidate, double *credits, double *shown, int *vias)
{
    //  only members some candidate skill counts toward can earn anything
    uint16_t live [JM_JOB_MAX_MEMBERS];
    uint8_t live_member [JM_JOB_MAX_MEMBERS];
    int lives = 0;
    for (int m = 0; m < member_count; m++) {
        credits [m] = shown [m] = 0;
        if (vias)
            vias [m] = -1;
        if (candidate->relation [members [m]]) {
            live [lives] = members [m];
            live_member [lives++] = (uint8_t) m;
        }
    }
    if (!lives)
        return;
    const double *levels = job->levels;
    for (int i = 0; i < candidate->skill_count; i++) {
        if (candidate->ids [i] >= job->relation_rows)
            continue;           //  not of this job's taxonomy
        const uint8_t *codes = job->relation_codes + (size_t) candidate->ids [i] * (size_t) job->relation_stride;
        double below = -1;
        for (int l = 0; l < lives; l++) {
            unsigned code = job->linear [codes [live [l]]];
            if (!code)
                continue;
            if (below < 0)
                below = s_below (req, candidate, &candidate->skills [i]);
            double credit = levels [jm_credit_scale (code, candidate->factor [i])] * below;
            double show = levels [code] * below;
            int m = live_member [l];
            if (credit > credits [m] || (vias && vias [m] < 0 && credit == credits [m])) {
                credits [m] = credit;
                if (vias)
                    vias [m] = candidate->ids [i];
            }
            if (show > shown [m])
                shown [m] = show;
        }
    }
}

//  A requirement's credit and shown credit from its members': the best
//  member, or the average of the best min_count.  *best (may be NULL) gets
//  the member with the best credit, the first of equals.
static inline void
s_combine (const double *credits, const double *shown, int n, int min_count,
           double *credit, double *show, int *best)
{
    int top = 0;
    double top_shown = 0;
    for (int m = 0; m < n; m++) {
        if (credits [m] > credits [top])
            top = m;
        if (shown [m] > top_shown)
            top_shown = shown [m];
    }
    if (best)
        *best = top;
    if (min_count > 1) {
        *credit = s_top_average (credits, n, min_count);
        *show = s_top_average (shown, n, min_count);
    }
    else {
        *credit = credits [top];
        *show = top_shown;
    }
}

//  The score in tenths: 100 * (required points + optional points * gate)
//  / total points, gate being the job's for the required requirements
//  missing, rounded half away from zero.
static inline int
s_tenths (int64_t required, int64_t optional, int64_t total_points, double gate)
{
    double earned = (double) required + (double) optional * gate;
    double score = total_points > 0 ? 100.0 * earned / (double) total_points : 0;
    //  scores are never negative; credits of at most 1 keep them at most 100
    long long tenths = (long long) (score * 10 + 0.5);
    return tenths < 1000 ? (int) tenths : 1000;
}

//  Credit and shown credit of a step that is not a single plain skill, from
//  the candidate's codes
static void
s_step_credit (const jm_job_fast_t *job, int r, const jm_step_t *step, const uint16_t *members,
               const double *levels, const jm_candidate_t *candidate, double *credit, double *show)
{
    const uint8_t *codes = candidate->credit, *relation = candidate->relation;
    if (step->kind == JM_STEP_BEST_MEMBER) {
        unsigned best = 0, shown = 0;
        for (int m = 0; m < step->member_count; m++) {
            best = codes [members [m]] > best ? codes [members [m]] : best;
            shown = relation [members [m]] > shown ? relation [members [m]] : shown;
        }
        *credit = levels [best];
        *show = levels [shown];
        return;
    }
    double credits [JM_JOB_MAX_MEMBERS], shown [JM_JOB_MAX_MEMBERS];
    if (step->kind == JM_STEP_BEST_MEMBERS)
        for (int m = 0; m < step->member_count; m++) {
            credits [m] = levels [codes [members [m]]];
            shown [m] = levels [relation [members [m]]];
        }
    else
        s_scaled_members (job, &job->requirements [r], members, step->member_count, candidate,
                          credits, shown, NULL);
    s_combine (credits, shown, step->member_count, step->min_count, credit, show, NULL);
}

//  The score in tenths from the job's steps (see jm_step_t) and the
//  candidate's coded credits: the best code among a requirement's members
//  is the best evidence-weighted credit any candidate skill gives it, the
//  same value the breakdown finds.  Reads the steps, the members and the
//  candidate; the job itself only for minimum levels and the gate.
static int
s_score_steps (const jm_step_t *steps, int step_count, const uint16_t *wants, const double *levels,
               int64_t total_points, const jm_job_fast_t *job, const jm_candidate_t *candidate)
{
    const uint8_t *codes = candidate->credit, *relation = candidate->relation;
    int64_t earned [2] = { 0, 0 };      //  optional, required
    int missing_required = 0;
    for (int r = 0; r < step_count; r++) {
        const jm_step_t *step = &steps [r];
        bool required = step->missing_below > 0;
        if (step->kind == JM_STEP_SKILL) {
            earned [required] += jm_job_points (step->weight_units, levels [codes [step->want]]);
            missing_required += relation [step->want] < step->missing_below;
            continue;
        }
        if (step->kind == JM_STEP_BEST_MEMBER) {
            const uint16_t *members = wants + step->first;
            unsigned best = 0, shown = 0;
            for (int m = 0; m < step->member_count; m++) {
                best = codes [members [m]] > best ? codes [members [m]] : best;
                shown = relation [members [m]] > shown ? relation [members [m]] : shown;
            }
            earned [required] += jm_job_points (step->weight_units, levels [best]);
            missing_required += shown < step->missing_below;
            continue;
        }
        double credit, show;
        s_step_credit (job, r, step, wants + step->first, levels, candidate, &credit, &show);
        earned [required] += jm_job_points (step->weight_units, credit);
        missing_required += required && show < 0.5;
    }
    return s_tenths (earned [1], earned [0], total_points, job->gates [missing_required]);
}

#if defined (__SSE2__)
//  A vector of codes times a factor in 1/256, rounded down
static inline __m128i
s_scale_sse (__m128i codes, __m128i factor)
{
    const __m128i zero = _mm_setzero_si128 ();
    __m128i lo = _mm_srli_epi16 (_mm_mullo_epi16 (_mm_unpacklo_epi8 (codes, zero), factor), 8);
    __m128i hi = _mm_srli_epi16 (_mm_mullo_epi16 (_mm_unpackhi_epi8 (codes, zero), factor), 8);
    return _mm_packus_epi16 (lo, hi);
}

//  best [0, 16 * vectors) = the byte-wise max of the rows of the candidate's
//  skills, each scaled by the skill's factor; shown the same unscaled.  The
//  skills come in order of factor: the rows of a group of equal factors are
//  maxed first and scaled once.  Kept in registers (vectors is a constant 1
//  to 4 at each call).
static inline __attribute__ ((always_inline)) void
s_best_codes_sse (const jm_job_fast_t *job, const jm_candidate_t *candidate, uint8_t *best,
                  uint8_t *shown, int vectors)
{
    const __m128i zero = _mm_setzero_si128 ();
    __m128i b0 = zero, b1 = zero, b2 = zero, b3 = zero;
    __m128i r0 = zero, r1 = zero, r2 = zero, r3 = zero;
    size_t stride = (size_t) job->stride;
    const uint16_t *ids = candidate->by_factor;
#define S_FLUSH(current)                                                        \
    do {                                                                        \
        const __m128i factor = _mm_set1_epi16 ((short) (current));              \
        r0 = _mm_max_epu8 (r0, a0);                                             \
        b0 = _mm_max_epu8 (b0, s_scale_sse (a0, factor));                       \
        if (vectors > 1) {                                                      \
            r1 = _mm_max_epu8 (r1, a1);                                         \
            b1 = _mm_max_epu8 (b1, s_scale_sse (a1, factor));                   \
        }                                                                       \
        if (vectors > 2) {                                                      \
            r2 = _mm_max_epu8 (r2, a2);                                         \
            b2 = _mm_max_epu8 (b2, s_scale_sse (a2, factor));                   \
        }                                                                       \
        if (vectors > 3) {                                                      \
            r3 = _mm_max_epu8 (r3, a3);                                         \
            b3 = _mm_max_epu8 (b3, s_scale_sse (a3, factor));                   \
        }                                                                       \
    } while (0)
    const uint8_t *rows = job->rows;
    const uint16_t *row_of = job->row_of;
    const int groups = candidate->group_count;
    for (int g = 0, k = 0; g < groups; g++) {
        __m128i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int end = candidate->group_end [g]; k < end; k++) {
            const uint8_t *row = rows + row_of [ids [k]] * stride;
            a0 = _mm_max_epu8 (a0, _mm_loadu_si128 ((const __m128i *) row));
            if (vectors > 1)
                a1 = _mm_max_epu8 (a1, _mm_loadu_si128 ((const __m128i *) (row + 16)));
            if (vectors > 2)
                a2 = _mm_max_epu8 (a2, _mm_loadu_si128 ((const __m128i *) (row + 32)));
            if (vectors > 3)
                a3 = _mm_max_epu8 (a3, _mm_loadu_si128 ((const __m128i *) (row + 48)));
        }
        S_FLUSH (candidate->group_factor [g]);
    }
#undef S_FLUSH
    _mm_store_si128 ((__m128i *) best, b0);
    _mm_store_si128 ((__m128i *) shown, r0);
    if (vectors > 1) {
        _mm_store_si128 ((__m128i *) (best + 16), b1);
        _mm_store_si128 ((__m128i *) (shown + 16), r1);
    }
    if (vectors > 2) {
        _mm_store_si128 ((__m128i *) (best + 32), b2);
        _mm_store_si128 ((__m128i *) (shown + 32), r2);
    }
    if (vectors > 3) {
        _mm_store_si128 ((__m128i *) (best + 48), b3);
        _mm_store_si128 ((__m128i *) (shown + 48), r3);
    }
}
#endif

//  best [0, stride) = the byte-wise max of the rows of the candidate's
//  skills, each scaled by the skill's factor; shown the same unscaled
static void
s_best_codes (const jm_job_fast_t *job, const jm_candidate_t *candidate, uint8_t *best, uint8_t *shown)
{
#if defined (__SSE2__)
    switch (job->stride) {
        case 16: s_best_codes_sse (job, candidate, best, shown, 1); return;
        case 32: s_best_codes_sse (job, candidate, best, shown, 2); return;
        case 48: s_best_codes_sse (job, candidate, best, shown, 3); return;
        case 64: s_best_codes_sse (job, candidate, best, shown, 4); return;
        default: break;
    }
#endif
    memset (best, 0, (size_t) job->stride);
    memset (shown, 0, (size_t) job->stride);
    for (int i = 0; i < candidate->skill_count; i++) {
        const uint8_t *row = job->rows + job->row_of [candidate->ids [i]] * (size_t) job->stride;
        unsigned factor = candidate->factor [i];
        for (int c = 0; c < job->stride; c++) {
            unsigned credit = jm_credit_scale (row [c], factor);
            best [c] = (uint8_t) (credit > best [c] ? credit : best [c]);
            shown [c] = row [c] > shown [c] ? row [c] : shown [c];
        }
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

//  The number of required plain requirements whose best relation code is
//  below half credit: a byte-wise compare of the first 64 columns
static inline int
s_plain_missing (const jm_job_fast_t *job, const uint8_t *shown)
{
    uint64_t below = 0;
#if defined (__SSE2__)
    __m128i limit = _mm_set1_epi8 ((char) (job->half_code - 1));
    int vectors = job->stride < 64 ? job->stride / 16 : 4;
    for (int v = 0; v < vectors; v++) {
        __m128i codes = _mm_load_si128 ((const __m128i *) (shown + 16 * v));
        __m128i low = _mm_cmpeq_epi8 (_mm_min_epu8 (codes, limit), codes);
        below |= (uint64_t) (uint16_t) _mm_movemask_epi8 (low) << (16 * v);
    }
#else
    for (int r = 0; r < job->requirement_count; r++)
        below |= (uint64_t) (shown [r] < job->half_code) << r;
#endif
    return s_popcount (below & job->plain_required);
}

//  The score of one job from its credit rows: the best code toward each
//  column is a byte-wise max over the rows of the candidate's skills, each
//  scaled by its factor, then requirement r reads column r (or its members'
//  columns).
double
jm_score_fast (const jm_job_t *job_in, const jm_candidate_t *candidate)
{
    const jm_job_fast_t *job = jm_job_fast (job_in);
    uint8_t best [JM_JOB_MAX_ROW] __attribute__ ((aligned (16)));
    uint8_t shown [JM_JOB_MAX_ROW] __attribute__ ((aligned (16)));
    s_best_codes (job, candidate, best, shown);
    const double *levels = job->levels;
    int missing_required = s_plain_missing (job, shown);
    //  plain requirements read their points from their column's code,
    //  required ones first
    const int32_t *points = job->plain_points;
    const uint8_t *columns = job->plain_columns;
    const int level_count = job->level_count;
    const int plain_required = job->plain_required_count, plain = job->plain_count;
    int64_t required = 0, optional = 0;
    int k = 0;
    for (; k < plain_required; k++, points += level_count)
        required += points [best [columns [k]]];
    for (; k < plain; k++, points += level_count)
        optional += points [best [columns [k]]];
    for (int i = 0; i < job->other_count; i++) {
        int r = job->others [i];
        const jm_step_t *step = &job->steps [r];
        double credit, show;
        if (job->scaled [r])
            s_step_credit (job, r, step, job->wants + step->first, levels, candidate, &credit, &show);
        else {
            //  an any-of needing several members: the average of the best
            double credits [JM_JOB_MAX_MEMBERS], shown_members [JM_JOB_MAX_MEMBERS];
            for (int m = 0; m < step->member_count; m++)
                credits [m] = levels [best [job->column [r] + m]];
            credit = s_top_average (credits, step->member_count, step->min_count);
            show = 1;           //  only a required one can be missing
            if (job->required [r]) {
                for (int m = 0; m < step->member_count; m++)
                    shown_members [m] = levels [shown [job->column [r] + m]];
                show = s_top_average (shown_members, step->member_count, step->min_count);
            }
        }
        int64_t earned = jm_job_points (job->weight_units [r], credit);
        if (job->required [r])
            required += earned;
        else
            optional += earned;
        missing_required += job->required [r] & (show < 0.5);
    }
    return (double) s_tenths (required, optional, job->total_points, job->gates [missing_required]) / 10;
}

//  The candidate skill that gives the best evidence-weighted credit toward
//  a column of the job's rows (of equals, the one more closely related,
//  then the first)
static int
s_find_via (const jm_job_fast_t *job, const jm_candidate_t *candidate, int column)
{
    int via = -1;
    unsigned best = 0, best_code = 0;
    for (int i = 0; i < candidate->skill_count; i++) {
        unsigned code = job->rows [job->row_of [candidate->ids [i]] * (size_t) job->stride + (size_t) column];
        if (!code)
            continue;
        unsigned credit = jm_credit_scale (code, candidate->factor [i]);
        if (via < 0 || credit > best || (credit == best && code > best_code)) {
            via = i;
            best = credit;
            best_code = code;
        }
    }
    return via;
}

//  who [c] = the index of the candidate skill that gives the best weighted
//  credit toward column c (the first of equals; meaningless where none
//  does), for every column at once
static void
s_columns_vias (const jm_job_fast_t *job, const jm_candidate_t *candidate, uint8_t *who)
{
    uint8_t best [JM_JOB_MAX_ROW];
    memset (best, 0, (size_t) job->stride);
    memset (who, 0, (size_t) job->stride);
#if defined (__SSE2__)
    const __m128i zero = _mm_setzero_si128 ();
    int vectors = job->stride / 16;
    for (int i = 0; i < candidate->skill_count; i++) {
        const uint8_t *row = job->rows + job->row_of [candidate->ids [i]] * (size_t) job->stride;
        const __m128i factor = _mm_set1_epi16 ((short) candidate->factor [i]);
        const __m128i index = _mm_set1_epi8 ((char) i);
        for (int v = 0; v < vectors; v++) {
            __m128i x = _mm_loadu_si128 ((const __m128i *) (row + 16 * v));
            __m128i lo = _mm_srli_epi16 (_mm_mullo_epi16 (_mm_unpacklo_epi8 (x, zero), factor), 8);
            __m128i hi = _mm_srli_epi16 (_mm_mullo_epi16 (_mm_unpackhi_epi8 (x, zero), factor), 8);
            __m128i scaled = _mm_packus_epi16 (lo, hi);
            __m128i b = _mm_loadu_si128 ((const __m128i *) (best + 16 * v));
            __m128i w = _mm_loadu_si128 ((const __m128i *) (who + 16 * v));
            //  scaled > b, unsigned: max differs from b
            __m128i greater = _mm_andnot_si128 (_mm_cmpeq_epi8 (_mm_max_epu8 (scaled, b), b),
                                                _mm_set1_epi8 ((char) 0xFF));
            w = _mm_or_si128 (_mm_andnot_si128 (greater, w), _mm_and_si128 (greater, index));
            _mm_storeu_si128 ((__m128i *) (best + 16 * v), _mm_max_epu8 (scaled, b));
            _mm_storeu_si128 ((__m128i *) (who + 16 * v), w);
        }
    }
#else
    for (int i = 0; i < candidate->skill_count; i++) {
        const uint8_t *row = job->rows + job->row_of [candidate->ids [i]] * (size_t) job->stride;
        for (int c = 0; c < job->stride; c++) {
            unsigned credit = jm_credit_scale (row [c], candidate->factor [i]);
            if (credit > best [c]) {
                best [c] = (uint8_t) credit;
                who [c] = (uint8_t) i;
            }
        }
    }
#endif
}

void
jm_score_explain (const jm_job_t *job_in, const jm_candidate_t *candidate, jm_result_t *result)
{
    //  which skill earned each column, when the candidate's skills can be
    //  told apart in a byte
    uint8_t who [JM_JOB_MAX_ROW];
    bool by_column = candidate->skill_count <= 255;
    if (by_column)
        s_columns_vias (jm_job_fast (job_in), candidate, who);
    const jm_job_fast_t *job = jm_job_fast (job_in);
    const jm_taxonomy_t *taxonomy = jm_job_taxonomy (job_in);
    const double *levels = job->levels;
    int64_t earned [2] = { 0, 0 };      //  optional, required
    double total_weight = jm_job_total_weight (job_in);
    int missing_required = 0;
    result->requirement_count = job->requirement_count;
    result->required_met = 0;
    result->required_total = 0;
    for (int r = 0; r < result->requirement_count; r++) {
        const jm_requirement_t *req = &job->requirements [r];
        const jm_step_t *step = &job->steps [r];
        const uint16_t *members = job->wants + step->first;
        jm_outcome_t *outcome = &result->outcomes [r];
        double credits [JM_JOB_MAX_MEMBERS], shown [JM_JOB_MAX_MEMBERS];
        int vias [JM_JOB_MAX_MEMBERS];
        double credit, show;
        int best = 0;
        outcome->members_met = 0;
        if (!job->scaled [r] && req->min_count == 1) {
            //  the best member from the codes; the skill that earned it below
            unsigned best_code = 0, best_shown = 0;
            int best_shown_member = 0;
            for (int m = 0; m < req->member_count; m++) {
                unsigned code = candidate->credit [members [m]], shown_code = candidate->relation [members [m]];
                outcome->members_met += shown_code >= job->full_code;
                if (code > best_code) {
                    best_code = code;
                    best = m;
                }
                if (shown_code > best_shown) {
                    best_shown = shown_code;
                    best_shown_member = m;
                }
            }
            credit = levels [best_code];
            show = levels [best_shown];
            if (!best_code)
                best = best_shown_member;
            vias [best] = -2;
        }
        else {
            if (job->scaled [r])
                s_scaled_members (job, req, members, req->member_count, candidate, credits, shown, vias);
            else
                for (int m = 0; m < req->member_count; m++) {
                    credits [m] = levels [candidate->credit [members [m]]];
                    shown [m] = levels [candidate->relation [members [m]]];
                    vias [m] = -2;          //  found below, for the best member only
                }
            s_combine (credits, shown, req->member_count, req->min_count, &credit, &show, &best);
            if (credit <= 0)
                for (int m = 0; m < req->member_count; m++)
                    if (shown [m] > shown [best])
                        best = m;
            for (int m = 0; m < req->member_count; m++)
                outcome->members_met += shown [m] >= 1;
        }
        outcome->credit = credit;
        outcome->shown = show;
        outcome->skill = -1;
        outcome->via = -1;
        outcome->relation = JM_RELATION_NONE;
        outcome->factor = 0;
        int via_index = -1;         //  into the candidate's skills, when known
        if (credit > 0 || show > 0) {
            outcome->skill = members [best];
            if (vias [best] == -2) {
                //  the skill that earned the requirement's column, then
                //  the member it earned most toward
                int column = job->per_member [r] ? job->column [r] + best : r;
                via_index = by_column && credit > 0 ? who [column] : s_find_via (job, candidate, column);
                outcome->via = via_index >= 0 ? candidate->ids [via_index] : -1;
                if (!job->per_member [r] && req->member_count > 1 && outcome->via >= 0) {
                    const uint8_t *codes = job->relation_codes + (size_t) outcome->via * (size_t) job->relation_stride;
                    int top = 0;
                    for (int m = 1; m < req->member_count; m++)
                        if (codes [members [m]] > codes [members [top]])
                            top = m;
                    outcome->skill = members [top];
                }
            }
            else
                outcome->via = vias [best] >= 0 ? vias [best] : -1;
        }
        bool below = false;
        if (outcome->via >= 0) {
            jm_taxonomy_credit (taxonomy, outcome->via, outcome->skill, &outcome->relation);
            const jm_candidate_skill_t *entry = via_index >= 0 ? &candidate->skills [via_index]
                                              : jm_candidate_skill (candidate, outcome->via);
            if (entry) {
                outcome->factor = (double) candidate->factor [entry - candidate->skills] / JM_FACTOR_ONE;
                below = job->scaled [r] && s_below (req, candidate, entry) < 1;
            }
        }
        outcome->status = show >= 1 ? JM_STATUS_MET
                        : credit <= 0 && show <= 0 ? JM_STATUS_MISSING
                        : below ? JM_STATUS_BELOW_LEVEL : JM_STATUS_PARTIAL;
        earned [job->required [r]] += jm_job_points (job->weight_units [r], credit);
        outcome->contribution = total_weight > 0 ? 100.0 * req->weight * credit / total_weight : 0;
        outcome->penalised = false;
        if (req->importance == JM_IMPORTANCE_REQUIRED) {
            result->required_total++;
            result->required_met += show >= 1;
            outcome->penalised = show < 0.5;
            missing_required += outcome->penalised;
        }
    }
    result->missing_required = missing_required;
    result->gate = job->gates [missing_required];
    //  optional points count at the gate
    for (int r = 0; r < result->requirement_count; r++)
        if (!job->required [r])
            result->outcomes [r].contribution *= result->gate;
    result->score = (double) s_tenths (earned [1], earned [0], job->total_points, result->gate) / 10;
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
    uint16_t *heap = jm_malloc (sizeof (uint16_t) * (size_t) (unsigned) count);
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
    jm_job_index_t *self = jm_calloc (1, sizeof *self);
    self->count = count;
    size_t steps = 0, wants = 0;
    for (int j = 0; j < count; j++) {
        steps += (size_t) jm_job_fast (jobs [j])->requirement_count;
        wants += (size_t) jm_job_fast (jobs [j])->want_count;
    }
    self->jobs = jm_malloc (sizeof (s_indexed_t) * (size_t) (unsigned) (count > 0 ? count : 1));
    self->steps = jm_malloc (sizeof (jm_step_t) * (steps ? steps : 1));
    self->wants = jm_malloc (sizeof (uint16_t) * (wants ? wants : 1));
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

const jm_band_info_t jm_bands [JM_BAND_COUNT] = {
    [JM_BAND_STRONG]  = { "strong",  JM_BAND_STRONG_MIN,  0,                   true },
    [JM_BAND_GOOD]    = { "good",    JM_BAND_GOOD_MIN,    JM_BAND_STRONG_MIN,  false },
    [JM_BAND_PARTIAL] = { "partial", JM_BAND_PARTIAL_MIN, JM_BAND_GOOD_MIN,    false },
    [JM_BAND_WEAK]    = { "weak",    0,                   JM_BAND_PARTIAL_MIN, false }
};

jm_band_t
jm_score_band (double score, bool all_required_met)
{
    for (int band = 0; band < JM_BAND_COUNT - 1; band++)
        if (score >= jm_bands [band].min && (all_required_met || !jm_bands [band].all_required))
            return (jm_band_t) band;
    return JM_BAND_WEAK;
}

int
jm_band_lookup (const char *name)
{
    for (int band = 0; name && band < JM_BAND_COUNT; band++)
        if (strcmp (name, jm_bands [band].name) == 0)
            return band;
    return -1;
}

int
jm_score_bin (double score)
{
    if (!(score >= JM_SCORE_BIN_WIDTH))
        return 0;
    if (score >= (JM_SCORE_BINS - 1) * JM_SCORE_BIN_WIDTH)
        return JM_SCORE_BINS - 1;
    int bin = (int) (score / JM_SCORE_BIN_WIDTH);
    if (bin * JM_SCORE_BIN_WIDTH > score)
        bin--;
    else
    if ((bin + 1) * JM_SCORE_BIN_WIDTH <= score)
        bin++;
    return bin;
}

const char *
jm_band_name (jm_band_t band)
{
    return jm_bands [band].name;
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
jm_result_write_missing (const jm_result_t *result, jm_buf_t *out)
{
    for (int r = 0; r < result->requirement_count; r++)
        if (result->outcomes [r].status == JM_STATUS_MISSING) {
            char code = (char) ('0' + r);
            jm_buf_append (out, &code, 1);
        }
}

//  How evidence set the credit's factor: level and years read, their basis
//  and the factor, and the breadth factor when it applied
static void
s_write_evidence (jm_buf_t *out, const jm_candidate_t *candidate, const jm_candidate_skill_t *entry,
                  const jm_outcome_t *outcome)
{
    if (!entry)
        return;
    jm_proficiency_t detail;
    jm_proficiency_of (candidate, entry, &detail);
    jm_buf_puts (out, ",\"evidence\":{\"basis\":\"");
    jm_buf_puts (out, jm_basis_name (detail.basis));
    jm_buf_puts (out, "\"");
    if (detail.level) {
        jm_buf_puts (out, ",\"level\":");
        jm_buf_int (out, detail.level);
    }
    if (detail.years >= 0) {
        jm_buf_puts (out, ",\"years\":");
        jm_buf_json_number (out, detail.years, 1);
        if (detail.years_stated > detail.years) {
            jm_buf_puts (out, ",\"years_stated\":");
            jm_buf_json_number (out, detail.years_stated, 1);
        }
    }
    if (detail.basis == JM_BASIS_CAREER) {
        jm_buf_puts (out, ",\"career_years\":");
        jm_buf_json_number (out, candidate->career_years, 1);
    }
    jm_buf_puts (out, ",\"proficiency\":");
    jm_buf_json_number (out, detail.factor, 3);
    if (candidate->breadth_factor < 1) {
        jm_buf_puts (out, ",\"breadth\":");
        jm_buf_json_number (out, candidate->breadth_factor, 3);
    }
    jm_buf_puts (out, ",\"factor\":");
    jm_buf_json_number (out, outcome->factor, 3);
    jm_buf_puts (out, "}");
}

//  "breadth": skills listed against what the career supports, and a warning
//  when that spreads every credit thin
static void
s_write_breadth (jm_buf_t *out, const jm_candidate_t *candidate)
{
    jm_buf_puts (out, ",\"breadth\":{\"skills\":");
    jm_buf_int (out, candidate->breadth_skills);
    jm_buf_puts (out, ",\"supported\":");
    jm_buf_json_number (out, candidate->breadth_supported, 1);
    if (candidate->career_years >= 0) {
        jm_buf_puts (out, ",\"career_years\":");
        jm_buf_json_number (out, candidate->career_years, 1);
    }
    jm_buf_puts (out, ",\"factor\":");
    jm_buf_json_number (out, candidate->breadth_factor, 3);
    jm_buf_puts (out, "},\"warnings\":[");
    if (candidate->breadth_factor < JM_BREADTH_WARN) {
        jm_buf_printf (out, "\"keyword list: %d skills listed where the career supports about %.0f;"
                       " every skill's credit is multiplied by %.3f\"", candidate->breadth_skills,
                       candidate->breadth_supported, candidate->breadth_factor);
    }
    jm_buf_puts (out, "]");
}

//  "ignored": skills the résumé mentions only in ways that do not count
static void
s_write_ignored (jm_buf_t *out, const jm_taxonomy_t *taxonomy, const jm_candidate_t *candidate)
{
    jm_buf_puts (out, ",\"ignored\":[");
    bool first = true;
    for (int i = 0; i < candidate->ignored_count; i++) {
        const jm_ignored_skill_t *ignored = &candidate->ignored [i];
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, ignored->skill);
        if (!skill)
            continue;
        jm_buf_puts (out, first ? "{\"id\":" : ",{\"id\":");
        first = false;
        jm_buf_append (out, skill->id_json, skill->id_json_len);
        jm_buf_puts (out, ",\"name\":");
        jm_buf_append (out, skill->name_json, skill->name_json_len);
        jm_buf_puts (out, ",\"status\":\"");
        jm_buf_puts (out, jm_claim_name (ignored->claim));
        jm_buf_puts (out, "\",\"reason\":\"");
        jm_buf_puts (out, jm_reason_name (ignored->reason));
        jm_buf_puts (out, "\"}");
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
    jm_buf_puts (out, ",\"missing_required\":");
    jm_buf_int (out, result->missing_required);
    jm_buf_puts (out, ",\"optional_factor\":");
    jm_buf_json_number (out, result->gate, 4);
    jm_buf_puts (out, ",\"optional_factor_each\":");
    jm_buf_json_number (out, jm_job_gate (job), 4);
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
        jm_buf_puts (out, ",\"closeness\":");
        jm_buf_json_number (out, outcome->shown, 3);
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
                jm_buf_json_number (out, jm_proficiency_years (candidate, entry), 1);
            }
            if (outcome->relation == JM_RELATION_EVERYDAY) {
                const jm_skill_t *via = jm_taxonomy_skill (taxonomy, outcome->via);
                jm_buf_puts (out, ",\"implied_by\":");
                jm_buf_append (out, via->id_json, via->id_json_len);
            }
            s_write_evidence (out, candidate, entry, outcome);
        }
        if (outcome->penalised)
            jm_buf_puts (out, ",\"penalised\":true");
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
    jm_buf_puts (out, "]");
    s_write_breadth (out, candidate);
    s_write_ignored (out, taxonomy, candidate);
    jm_buf_puts (out, ",\"unknown_skills\":[");
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
