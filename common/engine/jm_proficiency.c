/*  jm_proficiency: evidence and breadth factors.  See jm_proficiency.h.  */
#include "jm_proficiency.h"

#include <assert.h>
#include <string.h>

//  The factor of a stated level 1-5
static double
s_level_factor (int level)
{
    static const double factors [] = { JM_PROFICIENCY_UNKNOWN, 0.50, 0.65, JM_PROFICIENCY_COMPETENT, 0.90, 1.00 };
    return factors [level >= 0 && level <= 5 ? level : 0];
}

//  The factor of stated years: straight lines between the points
static double
s_years_factor (double years)
{
    static const double points [][2] = {
        { 0, 0.50 }, { 1, 0.60 }, { 2, 0.70 }, { 3, 0.80 }, { 5, 0.90 }, { 8, 1.00 }
    };
    int count = (int) (sizeof points / sizeof points [0]);
    if (!(years > 0))
        return points [0][1];
    for (int i = 1; i < count; i++)
        if (years < points [i][0])
            return points [i - 1][1] + (points [i][1] - points [i - 1][1])
                 * (years - points [i - 1][0]) / (points [i][0] - points [i - 1][0]);
    return points [count - 1][1];
}

double
jm_proficiency_years (const jm_candidate_t *candidate, const jm_candidate_skill_t *entry)
{
    if (!entry || !(entry->years >= 0))
        return -1;
    if (candidate->years_experience >= 0 && entry->years > candidate->years_experience)
        return candidate->years_experience;
    return entry->years;
}

double
jm_proficiency_of (const jm_candidate_t *candidate, const jm_candidate_skill_t *entry,
                   jm_proficiency_t *detail)
{
    jm_proficiency_t local;
    jm_proficiency_t *out = detail ? detail : &local;
    out->level = entry && entry->level >= 1 && entry->level <= 5 ? entry->level : 0;
    out->years_stated = entry && entry->years >= 0 ? entry->years : -1;
    out->years = jm_proficiency_years (candidate, entry);
    if (out->level && out->years >= 0) {
        out->basis = JM_BASIS_LEVEL_YEARS;
        out->factor = (s_level_factor (out->level) + s_years_factor (out->years)) / 2;
    }
    else
    if (out->level) {
        out->basis = JM_BASIS_LEVEL;
        out->factor = s_level_factor (out->level);
    }
    else
    if (out->years >= 0) {
        out->basis = JM_BASIS_YEARS;
        out->factor = s_years_factor (out->years);
    }
    else
    if (candidate->career_years >= 0) {
        //  the career says something; an unstated level never beats competent
        out->basis = JM_BASIS_CAREER;
        out->factor = s_years_factor (candidate->career_years);
        if (out->factor > JM_PROFICIENCY_COMPETENT)
            out->factor = JM_PROFICIENCY_COMPETENT;
    }
    else {
        out->basis = JM_BASIS_UNKNOWN;
        out->factor = JM_PROFICIENCY_UNKNOWN;
    }
    return out->factor;
}

void
jm_proficiency_prepare (jm_candidate_t *self, const jm_taxonomy_t *taxonomy)
{
    //  the career: as given, else the most years any skill states
    double career = self->years_experience;
    if (!(career >= 0)) {
        career = -1;
        for (int i = 0; i < self->skill_count; i++)
            if (self->skills [i].years > career)
                career = self->skills [i].years;
    }
    self->career_years = career;
    //  breadth: distinct skills (soft ones not counted) against what the
    //  career supports
    int listed = 0;
    for (int i = 0; i < self->skill_count; i++) {
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, self->skills [i].skill);
        listed += skill && skill->kind != JM_KIND_SOFT;
    }
    double supported = JM_BREADTH_BASE + JM_BREADTH_PER_YEAR * (career >= 0 ? career : JM_BREADTH_UNKNOWN_YEARS);
    self->breadth_skills = listed;
    self->breadth_supported = supported;
    self->breadth_factor = listed > supported ? supported / listed : 1;
    //  each skill's factor, then its evidence-weighted credits
    int level_count;
    const double *levels = jm_taxonomy_credit_levels (taxonomy, &level_count);
    uint8_t linear [JM_CREDIT_LEVELS];
    for (int code = 0; code < level_count; code++)
        linear [code] = (uint8_t) jm_credit_code (levels [code]);
    memset (self->relation, 0, sizeof self->relation);
    memset (self->credit, 0, sizeof self->credit);
    for (int i = 0; i < self->skill_count; i++) {
        double factor = jm_proficiency_of (self, &self->skills [i], NULL) * self->breadth_factor;
        unsigned scaled = (unsigned) (factor * JM_FACTOR_ONE + 0.5);
        self->factor [i] = (uint16_t) (scaled < JM_FACTOR_ONE ? scaled : JM_FACTOR_ONE);
        const uint16_t *wants;
        const uint8_t *codes;
        int count = jm_taxonomy_related (taxonomy, self->ids [i], &wants, &codes);
        for (int k = 0; k < count; k++) {
            unsigned code = linear [codes [k]];
            unsigned credit = jm_credit_scale (code, self->factor [i]);
            if (code > self->relation [wants [k]])
                self->relation [wants [k]] = (uint8_t) code;
            if (credit > self->credit [wants [k]])
                self->credit [wants [k]] = (uint8_t) credit;
        }
    }
    //  the skills by factor, equal ones together (a counting sort, largest
    //  first), so that scoring scales each group of rows once
    uint16_t counts [JM_FACTOR_ONE + 2] = { 0 };
    for (int i = 0; i < self->skill_count; i++)
        counts [JM_FACTOR_ONE - self->factor [i] + 1]++;
    for (int f = 1; f < JM_FACTOR_ONE + 2; f++)
        counts [f] += counts [f - 1];
    for (int i = 0; i < self->skill_count; i++)
        self->by_factor [counts [JM_FACTOR_ONE - self->factor [i]]++] = self->ids [i];
    //  counts [f] now ends the run of factor 256 - f
    self->group_count = 0;
    for (int f = 0, start = 0; f <= JM_FACTOR_ONE; f++)
        if (counts [f] > start) {
            self->group_end [self->group_count] = counts [f];
            self->group_factor [self->group_count++] = (uint16_t) (JM_FACTOR_ONE - f);
            start = counts [f];
        }
}

const char *
jm_basis_name (jm_basis_t basis)
{
    static const char *names [] = { "unknown", "career", "level", "years", "level and years" };
    return basis <= JM_BASIS_LEVEL_YEARS ? names [basis] : "unknown";
}
