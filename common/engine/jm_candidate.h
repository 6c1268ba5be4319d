/*  jm_candidate: a candidate profile, validated and normalized.

    Built from the JSON a job board sends: id, optional name, skills as
    plain strings or objects {name, level 1-5, years, last_used}, an optional
    free-text resume and optional total years of experience.  Every skill is
    mapped through the normalizer; skills found in the resume are merged in
    (a listed skill's level wins); what the taxonomy does not know is kept
    with a suggestion.  The result is a bitset plus per-skill level and
    years, ready for the scorer, and a fingerprint of everything that can
    change a result or its explanation (the ignored skills included), used
    as the cache key.  The record itself, jm_candidate_t, is in
    jm_candidate_record.h.                                                  */
#ifndef JM_CANDIDATE_H
#define JM_CANDIDATE_H

#include <jansson.h>
#include <stdint.h>
#include "jm_buf.h"
#include "jm_candidate_record.h"
#include "jm_error.h"
#include "jm_json.h"
#include "jm_normalize.h"
#include "jm_resume.h"
#include "jm_taxonomy.h"

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

//  The candidate's entry for a skill (borrowed), or NULL.
const jm_candidate_skill_t *jm_candidate_skill (const jm_candidate_t *self, int skill);

//  The fingerprint as 16 lowercase hex digits into dest (17 bytes).
void jm_candidate_fingerprint_hex (const jm_candidate_t *self, char dest [17]);

//  Appends the normalized profile as compact JSON text to out (what
//  jm_profile_pack packs, and the format older matchers stored): id, name,
//  years, skills by id with the name as written, level, years and
//  last_used, the unknown skills as written, and (when there are any) the
//  skills the résumé mentions only in ways that do not count:
//      {"id":..,"name":..,"years_experience":..,
//       "skills":[{"id":..,"name":..,"level":..,"years":..,"last_used":..,"from_resume":true,
//                  "corrected":true}],
//       "unknown":[..],"ignored":[{"id":..,"status":..,"reason":..}]}
//  ("ignored" only when there are any; "corrected" for a skill found only
//  in the résumé through a typo correction, which results list).
//  Numbers are written so that they read back as the same double.
void jm_candidate_write_profile (const jm_candidate_t *self, const jm_taxonomy_t *taxonomy,
                                 jm_buf_t *out);

//  Builds a candidate from a stored profile (jm_candidate_write_profile,
//  parsed with jm_json; borrowed).  With the same taxonomy it
//  has the same skills, levels, years, last use, unknown skills, how each
//  name was recognised (typo corrections), ignored skills and so the same
//  fingerprint as the candidate the profile was made from.  A skill id the
//  taxonomy no longer knows becomes an unknown skill, as written (an ignored
//  one is dropped).  Returns NULL with err set (invalid_data naming the
//  field, "ignored[2].status") when the profile is malformed.
jm_candidate_t *jm_candidate_new_from_profile (const jm_json_t *profile, const jm_taxonomy_t *taxonomy,
                                               jm_error_t *err);

#endif
