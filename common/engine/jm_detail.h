/*  jm_detail: how much of a result a reply carries, as the caller asks.

    A request to jobmatch.match or jobmatch.results may say "detail":
      score    candidate, job, job_version, score, band
      summary  candidate, name, job, job_version, score, band, required
               ("5 of 7"), required_met, required_total, missing_required
               (a count) and missing_required_skills (the labels of those
               required requirements: shown below half, missing or only
               through a distant relation), the default
      full     the whole breakdown, jm_result_write_json's, byte for byte
    Both ways to a level give the same bytes: jm_detail_write from a fresh
    score, jm_detail_cut from the full JSON a store holds, so a cached
    result reads exactly as a new one (never a mix of the two).           */
#ifndef JM_DETAIL_H
#define JM_DETAIL_H

#include "jm_buf.h"
#include "jm_error.h"
#include "jm_json.h"
#include "jm_score.h"

typedef enum {
    JM_DETAIL_SCORE = 0,
    JM_DETAIL_SUMMARY,
    JM_DETAIL_FULL
} jm_detail_t;

#define JM_DETAIL_DEFAULT   JM_DETAIL_SUMMARY
#define JM_DETAIL_NAMES     "\"score\", \"summary\" or \"full\""

//  "score", "summary" or "full".
const char *jm_detail_name (jm_detail_t detail);

//  Reads a request's "detail" member: type is its JSON type's name
//  ("string", "number", ...) or NULL when it is absent or null (then
//  *detail is def); text its string's bytes.  Returns 0, or -1 with err
//  set (invalid_request naming the field, the allowed values and what was
//  given instead).
int jm_detail_parse (const char *type, const char *text, size_t len, jm_detail_t def,
                     jm_detail_t *detail, jm_error_t *err);

//  Same for a member of a document parsed with jm_json (NULL when absent).
int jm_detail_parse_json (const jm_json_t *value, jm_detail_t def, jm_detail_t *detail,
                          jm_error_t *err);

//  Appends the result at the level asked as one JSON object (no newline):
//  at full exactly jm_result_write_json.
void jm_detail_write (const jm_result_t *result, const jm_job_t *job,
                      const jm_candidate_t *candidate, jm_detail_t detail, jm_buf_t *out);

//  Appends the full result JSON text json (len bytes, as jm_result_write_json
//  wrote it) cut to the level asked: the same bytes jm_detail_write gives.
//  doc is a document to parse into (reused; NULL at full).  Returns 0, or
//  -1 with err set (invalid_data) when json is not such a result; then out
//  is as it was.
int jm_detail_cut (jm_json_doc_t *doc, const char *json, size_t len, jm_detail_t detail,
                   jm_buf_t *out, jm_error_t *err);

#endif
