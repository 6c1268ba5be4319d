/*  jm_candidate: a candidate profile, validated and normalized.

    Built from the JSON a job board sends: id, optional name, skills as
    plain strings or objects {name, level 1-5, years, last_used}, an optional
    free-text resume and optional total years of experience.  Every skill is
    mapped through the normalizer; skills found in the resume are merged in
    (a listed skill's level wins); what the taxonomy does not know is kept
    with a suggestion.  The result is a bitset plus per-skill level and
    years, ready for the scorer, and a fingerprint of everything that can
    change a result or its explanation (the ignored skills included), used
    as the cache key.                                                       */
#ifndef JM_CANDIDATE_H
#define JM_CANDIDATE_H

#include <jansson.h>
#include <stdint.h>
#include "jm_buf.h"
#include "jm_error.h"
#include "jm_json.h"
#include "jm_normalize.h"
#include "jm_resume.h"
#include "jm_taxonomy.h"

#define JM_CANDIDATE_MAX_SKILLS   1000          //  listed skills per candidate
#define JM_CANDIDATE_MAX_RESUME   (2 << 20)     //  resume bytes
#define JM_CANDIDATE_ID_MAX       128

typedef struct _jm_extractor_t jm_extractor_t;

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

//  Builds a candidate from a parsed JSON object (borrowed, see jm_json.h).  extractor may be NULL
//  (the resume is then ignored).  Returns NULL with err set: invalid_request
//  naming the field ("skills[3].level must be an integer from 1 to 5"),
//  too_large for more than JM_CANDIDATE_MAX_SKILLS skills or an oversized resume.
jm_candidate_t *jm_candidate_new_from_value (const jm_json_t *object, const jm_taxonomy_t *taxonomy,
                                             const jm_extractor_t *extractor, jm_error_t *err);

//  The same from a jansson object (borrowed), for callers that hold one.
jm_candidate_t *jm_candidate_new_from_json (json_t *object, const jm_taxonomy_t *taxonomy,
                                            const jm_extractor_t *extractor, jm_error_t *err);

//  Frees the candidate and nulls the pointer; safe on NULL.
void jm_candidate_destroy (jm_candidate_t **self_p);

//  True when the candidate has the skill.
static inline bool
jm_candidate_has (const jm_candidate_t *self, int skill)
{
    return (self->has [skill / 64] >> (skill % 64)) & 1;
}

//  The candidate's entry for a skill (borrowed), or NULL.
const jm_candidate_skill_t *jm_candidate_skill (const jm_candidate_t *self, int skill);

//  The fingerprint as 16 lowercase hex digits into dest (17 bytes).
void jm_candidate_fingerprint_hex (const jm_candidate_t *self, char dest [17]);

//  The normalized profile as JSON (new reference): id, name, years, skills
//  by id with the name as written, level, years and last_used, the
//  unknown skills as written, and (when there are any) the skills the
//  resume mentions only in ways that do not count:
//  "ignored":[{"id":..,"status":"negated","reason":"negation"}].
json_t *jm_candidate_to_json (const jm_candidate_t *self, const jm_taxonomy_t *taxonomy);

//  Appends the same profile as compact JSON text to out, without building
//  a tree (the matcher stores one per scored candidate):
//      {"id":..,"name":..,"years_experience":..,
//       "skills":[{"id":..,"name":..,"level":..,"years":..,"last_used":..,"from_resume":true}],
//       "unknown":[..],"ignored":[{"id":..,"status":..,"reason":..}]}
//  ("ignored" only when there are any).
//  Numbers are written so that they read back as the same double.
void jm_candidate_write_profile (const jm_candidate_t *self, const jm_taxonomy_t *taxonomy,
                                 jm_buf_t *out);

//  Builds a candidate from a stored profile (jm_candidate_to_json or
//  jm_candidate_write_profile, parsed with jm_json; borrowed).  With the same taxonomy it
//  has the same skills, levels, years, last use, unknown skills, how each
//  name was recognised (typo corrections), ignored skills and so the same
//  fingerprint as the candidate the profile was made from.  A skill id the
//  taxonomy no longer knows becomes an unknown skill, as written (an ignored
//  one is dropped).  Returns NULL with err set (invalid_data naming the
//  field, "ignored[2].status") when the profile is malformed.
jm_candidate_t *jm_candidate_new_from_profile (const jm_json_t *profile, const jm_taxonomy_t *taxonomy,
                                               jm_error_t *err);

#endif
