/*  jm_score: scoring and its explanation.  See jm_score.h for the formula.  */
#include "jm_score.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined (__SSE__)
#include <xmmintrin.h>
#endif

//  The average of the best `count` of credits [0, n), picked in a fixed order.
static double
s_top_average (const double *credits, int n, int count)
{
    double sorted [JM_JOB_MAX_MEMBERS];
    memcpy (sorted, credits, sizeof (double) * (size_t) n);
    double sum = 0;
    for (int i = 0; i < count; i++) {
        int top = i;
        for (int j = i + 1; j < n; j++)
            if (sorted [j] > sorted [top])
                top = j;
        double swap = sorted [i];
        sorted [i] = sorted [top];
        sorted [top] = swap;
        sum += sorted [i];
    }
    return sum / count;
}

//  The candidate's own credit for a wanted skill it has: 1, scaled down by
//  level / min_level and years / min_years when it states less.
static inline double
s_entry_factor (const jm_requirement_t *req, const jm_candidate_skill_t *entry)
{
    double factor = 1;
    int level = entry ? entry->level : 0;
    if (req->min_level && level && level < req->min_level)
        factor = (double) level / req->min_level;
    double years = entry ? entry->years : -1;
    if (req->min_years > 0 && years >= 0 && years < req->min_years && years / req->min_years < factor)
        factor = years / req->min_years;
    return factor;
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

//  Credit of one requirement; fills outcome when not NULL.
static inline double
s_requirement_credit (const jm_job_fast_t *job, const jm_requirement_t *req,
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

static double
s_finish_score (double earned, double total_weight, int missing_required)
{
    double score = total_weight > 0 ? 100.0 * earned / total_weight : 0;
    for (int i = 0; i < missing_required; i++)
        score *= JM_SCORE_MISSING_FACTOR;
    //  to one decimal, half away from zero (scores are never negative)
    return (double) (long long) (score * 10 + 0.5) / 10;
}

//  The score from the best relation credit toward each column (see
//  jm_job_fast_t): plain requirements read their column, the rest are
//  computed from the candidate.
static double
s_score_from_best (const jm_job_fast_t *job, const float *best, const jm_candidate_t *candidate)
{
    double earned = 0;
    int missing_required = 0;
    for (int r = 0; r < job->requirement_count; r++) {
        double credit;
        if (job->plain [r])
            credit = best [job->column [r]];
        else
        if (job->scaled [r]) {
            //  each skill's credit scaled by its own level and years, then the max
            const jm_requirement_t *req = &job->requirements [r];
            int columns = job->per_member [r] ? req->member_count : 1;
            double members [JM_JOB_MAX_MEMBERS] = { 0 };
            for (int i = 0; i < candidate->skill_count; i++) {
                int row = job->row_of [candidate->ids [i]];
                if (!row)
                    continue;
                const float *credits = job->rows + (size_t) (row - 1) * (size_t) job->stride + job->column [r];
                double factor = s_entry_factor (req, &candidate->skills [i]);
                for (int c = 0; c < columns; c++)
                    if (credits [c] * factor > members [c])
                        members [c] = credits [c] * factor;
            }
            credit = job->per_member [r] ? s_top_average (members, req->member_count, req->min_count)
                                         : members [0];
        }
        else {
            //  an any-of needing several members: the average of the best
            const jm_requirement_t *req = &job->requirements [r];
            double members [JM_JOB_MAX_MEMBERS];
            for (int m = 0; m < req->member_count; m++)
                members [m] = best [job->column [r] + m];
            credit = s_top_average (members, req->member_count, req->min_count);
        }
        earned += job->weights [r] * credit;
        missing_required += job->required [r] && credit < 0.5;
    }
    return s_finish_score (earned, job->total_weight, missing_required);
}

//  best [0, stride) = max (best, credits), four floats at a time
static inline void
s_max_into (float *best, const float *credits, int stride)
{
#if defined (__SSE__)
    for (int c = 0; c < stride; c += 4)
        _mm_storeu_ps (best + c, _mm_max_ps (_mm_loadu_ps (best + c), _mm_loadu_ps (credits + c)));
#else
    for (int c = 0; c < stride; c++)
        if (credits [c] > best [c])
            best [c] = credits [c];
#endif
}

double
jm_score_fast (const jm_job_t *job_in, const jm_candidate_t *candidate)
{
    const jm_job_fast_t *job = jm_job_fast (job_in);
    //  the best relation credit toward each column: a max over the rows of
    //  the candidate's skills
    float best [JM_JOB_MAX_COLUMNS] __attribute__ ((aligned (16)));
    memset (best, 0, sizeof (float) * (size_t) job->stride);
    for (int i = 0; i < candidate->skill_count; i++) {
        int row = job->row_of [candidate->ids [i]];
        if (row)
            s_max_into (best, job->rows + (size_t) (row - 1) * (size_t) job->stride, job->stride);
    }
    return s_score_from_best (job, best, candidate);
}

void
jm_score_explain (const jm_job_t *job_in, const jm_candidate_t *candidate, jm_result_t *result)
{
    const jm_job_fast_t *job = jm_job_fast (job_in);
    double earned = 0, total_weight = job->total_weight;
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
        earned += job->weights [r] * credit;
        outcome->contribution = total_weight > 0 ? 100.0 * req->weight * credit / total_weight : 0;
        if (req->importance == JM_IMPORTANCE_REQUIRED) {
            result->required_total++;
            result->required_met += credit >= 1;
            missing_required += credit < 0.5;
        }
    }
    result->score = s_finish_score (earned, total_weight, missing_required);
    result->band = jm_score_band (result->score, result->required_met == result->required_total);
}

//  One job's row for one skill, in an index posting list
typedef struct {
    uint32_t best;              //  where the job's columns start in the scratch
    uint32_t row;               //  where the row starts in the skill's pool
    uint16_t stride;
} s_posting_t;

struct _jm_job_index_t {
    int count;
    const jm_job_fast_t **jobs;
    uint32_t *best_at;          //  per job: its columns in the scratch
    uint32_t scratch_size;      //  floats
    int posting_count [JM_MAX_SKILLS];
    s_posting_t *postings [JM_MAX_SKILLS];
    float *pools [JM_MAX_SKILLS];
};

jm_job_index_t *
jm_job_index_new (const jm_job_t * const *jobs, int count)
{
    jm_job_index_t *self = calloc (1, sizeof *self);
    assert (self);
    self->count = count;
    self->jobs = malloc (sizeof (jm_job_fast_t *) * (size_t) (count ? count : 1));
    self->best_at = malloc (sizeof (uint32_t) * (size_t) (count ? count : 1));
    assert (self->jobs && self->best_at);
    size_t pool_floats [JM_MAX_SKILLS] = { 0 };
    for (int j = 0; j < count; j++) {
        const jm_job_fast_t *job = jm_job_fast (jobs [j]);
        self->jobs [j] = job;
        self->best_at [j] = self->scratch_size;
        self->scratch_size += (uint32_t) job->stride;
        for (int skill = 0; skill < JM_MAX_SKILLS; skill++)
            if (job->row_of [skill]) {
                self->posting_count [skill]++;
                pool_floats [skill] += (size_t) job->stride;
            }
    }
    for (int skill = 0; skill < JM_MAX_SKILLS; skill++) {
        if (!self->posting_count [skill])
            continue;
        self->postings [skill] = malloc (sizeof (s_posting_t) * (size_t) self->posting_count [skill]);
        self->pools [skill] = malloc (sizeof (float) * pool_floats [skill]);
        assert (self->postings [skill] && self->pools [skill]);
        self->posting_count [skill] = 0;
        pool_floats [skill] = 0;
    }
    //  copy each job's row for a skill next to the other jobs' rows for it,
    //  so ranking streams through memory
    for (int j = 0; j < count; j++) {
        const jm_job_fast_t *job = self->jobs [j];
        for (int skill = 0; skill < JM_MAX_SKILLS; skill++) {
            int row = job->row_of [skill];
            if (!row)
                continue;
            float *into = self->pools [skill] + pool_floats [skill];
            memcpy (into, job->rows + (size_t) (row - 1) * (size_t) job->stride,
                    sizeof (float) * (size_t) job->stride);
            self->postings [skill][self->posting_count [skill]++] = (s_posting_t) {
                self->best_at [j], (uint32_t) pool_floats [skill], (uint16_t) job->stride
            };
            pool_floats [skill] += (size_t) job->stride;
        }
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
    for (int skill = 0; skill < JM_MAX_SKILLS; skill++) {
        free (self->postings [skill]);
        free (self->pools [skill]);
    }
    free (self->jobs);
    free (self->best_at);
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
    float *best = calloc (self->scratch_size + 4, sizeof (float));
    double *scores = malloc (sizeof (double) * (size_t) (self->count ? self->count : 1));
    assert (best && scores);
    for (int i = 0; i < candidate->skill_count; i++) {
        int skill = candidate->ids [i];
        const s_posting_t *posting = self->postings [skill];
        const float *pool = self->pools [skill];
        for (int p = 0; p < self->posting_count [skill]; p++)
            s_max_into (best + posting [p].best, pool + posting [p].row, posting [p].stride);
    }
    //  scores have one decimal, so a counting sort over 0..1000 ranks them
    //  in linear time, ties in job order
    uint32_t counts [1002] = { 0 };
    for (int j = 0; j < self->count; j++) {
        scores [j] = s_score_from_best (self->jobs [j], best + self->best_at [j], candidate);
        counts [1000 - (int) (scores [j] * 10 + 0.5) + 1]++;
    }
    for (int bucket = 1; bucket < 1002; bucket++)
        counts [bucket] += counts [bucket - 1];
    for (int j = 0; j < self->count; j++) {
        uint32_t position = counts [1000 - (int) (scores [j] * 10 + 0.5)]++;
        ranked [position] = (jm_ranked_t) { scores [j], j };
    }
    free (scores);
    free (best);
}

void
jm_score_rank (const jm_job_t * const *jobs, int count, const jm_candidate_t *candidate,
               jm_ranked_t *ranked)
{
    jm_job_index_t *index = jm_job_index_new (jobs, count);
    jm_job_index_rank (index, candidate, ranked);
    jm_job_index_destroy (&index);
}

jm_band_t
jm_score_band (double score, bool all_required_met)
{
    if (score >= 80 && all_required_met)
        return JM_BAND_STRONG;
    if (score >= 60)
        return JM_BAND_GOOD;
    if (score >= 40)
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
        jm_buf_json_str (out, jm_job_requirement (job, r)->label);
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
        jm_buf_puts (out, r ? ",{\"requirement\":" : "{\"requirement\":");
        jm_buf_json_str (out, req->label);
        jm_buf_puts (out, ",\"importance\":\"");
        jm_buf_puts (out, jm_importance_name (req->importance));
        jm_buf_puts (out, "\",\"weight\":");
        jm_buf_json_number (out, req->weight, 3);
        jm_buf_puts (out, ",\"status\":\"");
        jm_buf_puts (out, jm_status_name (outcome->status));
        jm_buf_puts (out, "\",\"credit\":");
        jm_buf_json_number (out, outcome->credit, 3);
        jm_buf_puts (out, ",\"points\":");
        jm_buf_json_number (out, outcome->contribution, 2);
        //  the wanted skill met, or for a single skill the one missing
        int skill = outcome->skill >= 0 ? outcome->skill : req->any_of ? -1 : req->members [0].skill;
        if (skill >= 0) {
            jm_buf_puts (out, ",\"skill\":");
            jm_buf_json_str (out, jm_taxonomy_skill (taxonomy, skill)->id);
        }
        if (outcome->via >= 0) {
            //  through another skill: say which and how
            if (outcome->relation != JM_RELATION_SAME) {
                const jm_skill_t *via = jm_taxonomy_skill (taxonomy, outcome->via);
                jm_buf_puts (out, ",\"via\":");
                jm_buf_json_str (out, via->id);
                jm_buf_puts (out, ",\"via_name\":");
                jm_buf_json_str (out, via->name);
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
        jm_buf_puts (out, ",\"skill\":");
        jm_buf_json_str (out, jm_taxonomy_skill (taxonomy, entry->skill)->id);
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
            jm_buf_json_str (out, skill->id);
            jm_buf_puts (out, ",\"suggestion_name\":");
            jm_buf_json_str (out, skill->name);
        }
        else
            jm_buf_puts (out, ",\"suggestion\":null");
        jm_buf_puts (out, "}");
    }
    jm_buf_puts (out, "],\"versions\":{\"taxonomy\":");
    jm_buf_json_str (out, jm_taxonomy_version (taxonomy));
    jm_buf_puts (out, ",\"scorer\":\"" JM_SCORER_VERSION "\"}}");
}
