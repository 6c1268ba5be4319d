/*  jm_results_read: the one read path of results and rankings.  See
    jm_results_read.h.                                                      */
#include "jm_results_read.h"
#include "jm_alloc.h"
#include "jm_log.h"
#include "jm_profile_pack.h"
#include "jm_recompute.h"
#include "jm_record.h"
#include "jm_score.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX     JM_KEYS_MAX

//  Adds the reads of job's state to calls: its hash, and whether a
//  registry exists (for built-in jobs).  Returns -1 with err set when the
//  id is invalid.
static int
s_state_ask (const jm_results_reader_t *reader, jm_store_calls_t *calls, const char *job,
             jm_error_t *err)
{
    char key [KEY_MAX], jobs [KEY_MAX], seeded [KEY_MAX];
    if (jm_keys_check_id ("job", job, err)
    ||  jm_keys_job (reader->keys, job, key, sizeof key, err) < 0)
        return -1;
    jm_keys_jobs (reader->keys, jobs, sizeof jobs, NULL);
    jm_keys_jobs_seeded (reader->keys, seeded, sizeof seeded, NULL);
    jm_store_calls_addv (calls, "HMGET", key, "version", "ranked", "rescore_version",
                         "rescore_done", "rescore_total", NULL);
    jm_store_calls_addv (calls, "EXISTS", jobs, seeded, NULL);
    return 0;
}

static long long
s_int (const jm_reply_t *reply, long long fallback)
{
    long long value;
    return jm_reply_int (reply, &value) ? value : fallback;
}

//  Fills state from the two replies of s_state_ask at index first.
//  Returns 0, or -1 with err set (unknown_job).
static int
s_state_take (const jm_results_reader_t *reader, jm_store_calls_t *calls, size_t first,
              const char *job, jm_results_state_t *state, jm_error_t *err)
{
    const jm_reply_t *hash = jm_store_calls_reply (calls, first);
    memset (state, 0, sizeof *state);
    state->version = s_int (jm_reply_item (hash, 0), 0);
    if (state->version > 0) {
        state->ranked = s_int (jm_reply_item (hash, 1), state->version);
        state->rescore_version = s_int (jm_reply_item (hash, 2), 0);
        state->rescore_done = s_int (jm_reply_item (hash, 3), 0);
        state->rescore_total = s_int (jm_reply_item (hash, 4), 0);
        if (state->rescore_done > state->rescore_total)
            state->rescore_done = state->rescore_total;
    }
    else
    if (reader->builtin && s_int (jm_store_calls_reply (calls, first + 1), 1) == 0
    &&  reader->builtin (reader->arg, job))
        state->version = state->ranked = 1;
    else
        return jm_error_set (err, JM_ERR_UNKNOWN_JOB, "no job \"%.128s\" in the registry", job);
    snprintf (state->ranked_text, sizeof state->ranked_text, "%lld", state->ranked);
    return 0;
}

int
jm_results_read_state (const jm_results_reader_t *reader, const char *job,
                       jm_results_state_t *state, jm_error_t *err)
{
    jm_store_calls_t *calls = jm_store_calls_new ();
    int rc = s_state_ask (reader, calls, job, err);
    if (rc == 0)
        rc = reader->run (reader->arg, calls, err);
    if (rc == 0)
        rc = s_state_take (reader, calls, 0, job, state, err);
    jm_store_calls_destroy (&calls);
    return rc;
}

//  --------------------------------------------------------------------------
//  Records and breakdowns: Redis keeps per pair only the compact record
//  (jm_record); a breakdown is recomputed from the candidate's stored
//  profile and the JSON of the job version the record names.

//  Adds the HGET of (job, candidate)'s record to calls (a PING, keeping the
//  positions, when an id is not valid).
static void
s_record_ask (const jm_results_reader_t *reader, jm_store_calls_t *calls, const char *job,
              const char *candidate)
{
    char key [KEY_MAX];
    if (jm_keys_check_id ("candidate", candidate, NULL)
    ||  jm_keys_result_bucket (reader->keys, job, jm_record_bucket (candidate, JM_RECORD_BUCKETS),
                               key, sizeof key, NULL) < 0)
        jm_store_calls_addv (calls, "PING", NULL);
    else
        jm_store_calls_addv (calls, "HGET", key, candidate, NULL);
}

//  True with record filled when reply holds a record; false when it holds
//  none, or one that does not decode (logged).
static bool
s_record_take (const jm_reply_t *reply, const char *job, const char *candidate,
               jm_record_t *record)
{
    if (!reply || reply->type != JM_REPLY_STRING)
        return false;
    jm_error_t error;
    jm_error_clear (&error);
    if (jm_record_decode ((const uint8_t *) reply->str, reply->len, record, &error) == 0)
        return true;
    jm_log_warning ("record of %.64s/%.64s: %s", job, candidate, error.message);
    return false;
}

//  Adds the reads of candidate's breakdowns against jobs [0..count) to
//  calls: per job its record and HMGET version json of its hash, then the
//  candidate's stored profile.  Returns how many commands.
static size_t
s_pairs_ask (const jm_results_reader_t *reader, jm_store_calls_t *calls, const char *candidate,
             const char * const *jobs, size_t count)
{
    char key [KEY_MAX];
    for (size_t i = 0; i < count; i++) {
        s_record_ask (reader, calls, jobs [i], candidate);
        if (jm_keys_job (reader->keys, jobs [i], key, sizeof key, NULL) < 0)
            jm_store_calls_addv (calls, "PING", NULL);
        else
            jm_store_calls_addv (calls, "HMGET", key, "version", "json", NULL);
    }
    if (jm_keys_profile (reader->keys, candidate, key, sizeof key, NULL) < 0)
        jm_store_calls_addv (calls, "PING", NULL);
    else
        jm_store_calls_addv (calls, "GET", key, NULL);
    return 2 * count + 1;
}

//  The job version a pair's breakdown is answered at: the record's when
//  its JSON is kept, else (re-scored) the current one.
typedef struct {
    jm_record_t record;
    bool found;
    const char *json;               //  borrowed from the replies; NULL: none
    size_t json_len;
    int version;
} s_pair_t;

//  Answers found (index, full breakdown) for each of jobs [0..count) with
//  a record, from the replies of s_pairs_ask at first in calls (run): the
//  record's version from the job hash's json or v:<version> (one more round
//  trip for those), a version no longer kept re-scored at the current one,
//  never a mix.  A pair that cannot be answered (no stored profile, a job
//  that does not parse) is left out, the reason in problem.  Returns how
//  many were answered, or -1 with err set when Redis failed.
static long
s_pairs_answer (const jm_results_reader_t *reader, jm_store_calls_t *calls, size_t first,
                const char *candidate, const char * const *jobs, size_t count,
                jm_detail_t detail, jm_results_found_fn *found, void *arg, jm_error_t *problem,
                jm_error_t *err)
{
    assert (reader->taxonomy);
    s_pair_t *pairs = jm_calloc (count + 1, sizeof *pairs);
    jm_store_calls_t *older = jm_store_calls_new ();
    size_t *older_of = jm_calloc (count + 1, sizeof (size_t));
    for (size_t i = 0; i < count; i++) {
        s_pair_t *pair = &pairs [i];
        pair->found = s_record_take (jm_store_calls_reply (calls, first + 2 * i), jobs [i], candidate,
                                     &pair->record);
        const jm_reply_t *hash = jm_store_calls_reply (calls, first + 2 * i + 1);
        long long current = s_int (jm_reply_item (hash, 0), 0);
        const jm_reply_t *json = jm_reply_item (hash, 1);
        if (!pair->found)
            continue;
        if (current == pair->record.version && jm_reply_str (json)) {
            pair->json = json->str;
            pair->json_len = json->len;
            pair->version = (int) current;
            continue;
        }
        char key [KEY_MAX], field [JM_RECOMPUTE_FIELD_MAX];
        jm_keys_job (reader->keys, jobs [i], key, sizeof key, NULL);
        jm_recompute_version_field (pair->record.version, field);
        older_of [jm_store_calls_count (older)] = i;
        jm_store_calls_addv (older, "HGET", key, field, NULL);
        if (jm_reply_str (json) && current >= 1 && current <= INT32_MAX) {
            pair->json = json->str;     //  until the older version is read
            pair->json_len = json->len;
            pair->version = (int) current;
        }
    }
    long answered = 0;
    size_t olders = jm_store_calls_count (older);
    if (olders && reader->run (reader->arg, older, err))
        answered = -1;
    for (size_t o = 0; answered == 0 && o < olders; o++) {
        const jm_reply_t *json = jm_store_calls_reply (older, o);
        s_pair_t *pair = &pairs [older_of [o]];
        if (jm_reply_str (json)) {
            pair->json = json->str;
            pair->json_len = json->len;
            pair->version = pair->record.version;
        }
        else
        if (pair->json)
            jm_log_info ("job %.64s version %d is no longer kept: candidate %.64s re-scored at "
                         "version %d", jobs [older_of [o]], pair->record.version, candidate,
                         pair->version);
    }
    const jm_reply_t *profile = jm_store_calls_reply (calls, first + 2 * count);
    jm_recompute_t *recompute = reader->recompute ? reader->recompute
                                                  : jm_recompute_new (reader->taxonomy);
    jm_candidate_t *scored = NULL;
    char profile_hex [17] = "";
    jm_buf_t out;
    jm_buf_init (&out);
    for (size_t i = 0; answered >= 0 && i < count; i++) {
        s_pair_t *pair = &pairs [i];
        if (!pair->found)
            continue;
        jm_error_t error;
        jm_error_clear (&error);
        if (!scored) {
            if (!jm_reply_str (profile)) {
                jm_error_set (problem, JM_ERR_NOT_FOUND, "the stored profile of candidate "
                              "\"%.128s\" has expired", candidate);
                break;
            }
            scored = jm_recompute_candidate (recompute, profile->str, profile->len, &error);
            if (scored && strcmp (scored->id, candidate) != 0) {
                jm_error_set (&error, JM_ERR_INVALID_DATA, "the stored profile of \"%.64s\" "
                              "holds another candidate, \"%.64s\"", candidate, scored->id);
                jm_candidate_destroy (&scored);
            }
            if (!scored) {
                jm_log_warning ("candidate %.64s: %s", candidate, error.message);
                jm_error_set (problem, error.code, "%s", error.message);
                break;
            }
            jm_candidate_fingerprint_hex (scored, profile_hex);
        }
        const jm_job_t *job = pair->json
                            ? jm_recompute_job (recompute, pair->json, pair->json_len, pair->version,
                                                &error)
                            : NULL;
        if (!job) {
            if (!pair->json)
                jm_error_set (&error, JM_ERR_INVALID_DATA, "job \"%.64s\" keeps no version to "
                              "answer from", jobs [i]);
            jm_log_warning ("result of %.64s/%.64s: %s", jobs [i], candidate, error.message);
            jm_error_set (problem, error.code, "%s", error.message);
            continue;
        }
        char fingerprint [JM_RECORD_FP_MAX];
        size_t fingerprint_len = jm_record_fingerprint (&pair->record, fingerprint);
        if (fingerprint_len < 16 || strcmp (fingerprint + fingerprint_len - 16, profile_hex) != 0)
            jm_log_info ("result of %.64s/%.64s: the candidate's profile changed since: answered "
                         "from the stored one", jobs [i], candidate);
        jm_result_t result;
        jm_score_explain (job, scored, &result);
        jm_buf_reset (&out);
        jm_detail_write (&result, job, scored, detail, &out);
        found (arg, i, out.data, out.len);
        answered++;
    }
    jm_buf_free (&out);
    jm_candidate_destroy (&scored);
    if (recompute != reader->recompute)
        jm_recompute_destroy (&recompute);
    jm_store_calls_destroy (&older);
    free (older_of);
    free (pairs);
    return answered;
}

//  --------------------------------------------------------------------------
//  One result

//  Keeps the one breakdown read.
static void
s_found_one (void *arg, size_t index, const char *json, size_t len)
{
    jm_buf_t *out = arg;
    jm_buf_append (out, json, len);
}

int
jm_results_read_result (const jm_results_reader_t *reader, const char *job,
                        const char *candidate, jm_detail_t detail, char **json_p, size_t *len_p,
                        jm_error_t *err)
{
    *json_p = NULL;
    if (jm_keys_check_id ("candidate", candidate, err))
        return -1;
    jm_store_calls_t *calls = jm_store_calls_new ();
    int rc = s_state_ask (reader, calls, job, err);
    if (rc == 0) {
        s_pairs_ask (reader, calls, candidate, &job, 1);
        rc = reader->run (reader->arg, calls, err);
    }
    jm_results_state_t state;
    if (rc == 0)
        rc = s_state_take (reader, calls, 0, job, &state, err);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_error_t problem;
    jm_error_clear (&problem);
    long answered = rc ? -1 : s_pairs_answer (reader, calls, 2, candidate, &job, 1, detail,
                                              s_found_one, &out, &problem, err);
    if (rc == 0 && answered < 0)
        rc = -1;
    else
    if (rc == 0 && answered == 0) {
        if (jm_error_is_set (&problem))
            rc = jm_error_set (err, problem.code, "%s", problem.message);
        else
            rc = jm_error_set (err, JM_ERR_NOT_FOUND,
                               "no result for candidate \"%.128s\" and job \"%.128s\"", candidate, job);
    }
    if (rc == 0) {
        *len_p = out.len;
        *json_p = jm_strndup (out.data, out.len);
    }
    jm_buf_free (&out);
    jm_store_calls_destroy (&calls);
    return rc;
}

//  --------------------------------------------------------------------------
//  Ranking pages

//  Adds the page's reads of version (text) to calls: the range, ZCOUNT
//  (matching), ZCARD (total).
static void
s_page_ask (const jm_results_reader_t *reader, jm_store_calls_t *calls,
            const jm_results_query_t *query, const char *version)
{
    jm_keys_range_t range;
    char all [KEY_MAX], offset [24], limit [24], last [24];
    jm_keys_rank (reader->keys, query->job, version, all, sizeof all, NULL);
    jm_keys_rank_range (reader->keys, query->job, version, query->band, query->min_score, &range,
                        NULL);
    snprintf (offset, sizeof offset, "%lld", query->offset);
    snprintf (limit, sizeof limit, "%lld", query->limit);
    snprintf (last, sizeof last, "%lld", query->offset + query->limit - 1);
    //  a whole set by rank: a deep page costs O(log N), not O(offset); the
    //  same order as by score (equal scores by id, descending)
    if (range.whole)
        jm_store_calls_addv (calls, "ZREVRANGE", range.key, offset, last, "WITHSCORES", NULL);
    else
        jm_store_calls_addv (calls, "ZREVRANGEBYSCORE", range.key, range.max, range.min,
                             "WITHSCORES", "LIMIT", offset, limit, NULL);
    jm_store_calls_addv (calls, "ZCOUNT", range.key, range.min, range.max, NULL);
    jm_store_calls_addv (calls, "ZCARD", all, NULL);
}

//  The band of a score outside the band sets: partial or weak by the score
//  (as documented: an entry in neither set is neither strong nor good).
static const char *
s_band_without_set (double score)
{
    for (int band = JM_BAND_SETS; band < JM_BAND_COUNT - 1; band++)
        if (score >= jm_bands [band].min)
            return jm_bands [band].name;
    return jm_bands [JM_BAND_COUNT - 1].name;
}

//  Reads a varint (LEB128, jm_profile_pack) at *at in data; false when cut
//  short or over max.
static bool
s_varint (const uint8_t *data, size_t len, size_t *at, uint64_t max, uint64_t *value)
{
    *value = 0;
    for (int shift = 0; *at < len && shift < 63; shift += 7) {
        uint8_t byte = data [(*at)++];
        *value |= (uint64_t) (byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return *value <= max;
    }
    return false;
}

//  The candidate's name in a stored profile (packed: the id, the flags, the
//  name when flag 1; or the JSON of older matchers), new, or NULL when it
//  has none or does not read.
static char *
s_profile_name (const char *profile, size_t len)
{
    if (len && profile [0] == '{') {
        json_t *object = json_loadb (profile, len, 0, NULL);
        const char *name = json_string_value (json_object_get (object, "name"));
        char *copy = name ? jm_strdup (name) : NULL;
        json_decref (object);
        return copy;
    }
    const uint8_t *data = (const uint8_t *) profile;
    size_t at = 1;
    uint64_t id_len, name_len;
    if (!jm_profile_is_packed (profile, len)
    ||  !s_varint (data, len, &at, len, &id_len) || id_len > len - at)
        return NULL;
    at += id_len;
    if (at >= len || !(data [at++] & 1)
    ||  !s_varint (data, len, &at, len, &name_len) || name_len > len - at)
        return NULL;
    return jm_strndup (profile + at, name_len);
}

//  Reads each entry's band in version (its band sets), "required" from its
//  record (while the record is of version) and name from the candidate's
//  stored profile, in one round trip.  Returns 0, or -1 with err set.
static int
s_entries_fill (const jm_results_reader_t *reader, const char *job, const char *version,
                jm_results_entry_t *entries, size_t count, jm_error_t *err)
{
    if (count == 0)
        return 0;
    const size_t stride = 2 + JM_BAND_SETS;
    char band_keys [JM_BAND_SETS][KEY_MAX];
    for (int b = 0; b < JM_BAND_SETS; b++)
        jm_keys_rank_band (reader->keys, job, version, jm_bands [b].name, band_keys [b], KEY_MAX,
                           NULL);
    jm_store_calls_t *calls = jm_store_calls_new ();
    for (size_t i = 0; i < count; i++) {
        char key [KEY_MAX];
        const char *candidate = entries [i].candidate;
        s_record_ask (reader, calls, job, candidate);
        if (jm_keys_profile (reader->keys, candidate, key, sizeof key, NULL) < 0) {
            jm_store_calls_addv (calls, "PING", NULL);
            candidate = "-";
        }
        else
            jm_store_calls_addv (calls, "GET", key, NULL);
        for (int b = 0; b < JM_BAND_SETS; b++)
            jm_store_calls_addv (calls, "ZSCORE", band_keys [b], candidate, NULL);
    }
    int rc = reader->run (reader->arg, calls, err);
    long long ranked = strtoll (version, NULL, 10);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        jm_results_entry_t *entry = &entries [i];
        entry->band = s_band_without_set (entry->score);
        for (int b = 0; b < JM_BAND_SETS; b++)
            if (jm_reply_str (jm_store_calls_reply (calls, i * stride + 2 + (size_t) b)))
                entry->band = jm_bands [b].name;
        jm_record_t record;
        if (s_record_take (jm_store_calls_reply (calls, i * stride), job, entry->candidate, &record)
        &&  record.version == ranked) {
            char required [24];
            snprintf (required, sizeof required, "%d of %d", record.required_met,
                      record.required_total);
            entry->required = jm_strdup (required);
        }
        const jm_reply_t *profile = jm_store_calls_reply (calls, i * stride + 1);
        if (profile && profile->type == JM_REPLY_STRING)
            entry->name = s_profile_name (profile->str, profile->len);
    }
    jm_store_calls_destroy (&calls);
    return rc;
}

int
jm_results_read_page (const jm_results_reader_t *reader, const jm_results_query_t *query,
                      jm_results_page_t *page, jm_error_t *err)
{
    assert (query->offset >= 0 && query->limit > 0);
    memset (page, 0, sizeof *page);
    jm_store_calls_t *calls = jm_store_calls_new ();
    int rc = 0;
    size_t base = 0;                //  index of the page's first reply
    char key [KEY_MAX];
    //  the state, then the page of the version it names with that version
    //  read again: a flip in between reads the page again.  With a guess,
    //  all three in one round trip first, kept when all name the guess.
    for (int attempt = 0; rc == 0; attempt++) {
        jm_store_calls_reset (calls);
        if (attempt == 0 && query->guess > 0 && query->version == 0) {
            char guess [24];
            snprintf (guess, sizeof guess, "%lld", query->guess);
            rc = s_state_ask (reader, calls, query->job, err);
            if (rc)
                break;
            s_page_ask (reader, calls, query, guess);
            jm_keys_job (reader->keys, query->job, key, sizeof key, NULL);
            jm_store_calls_addv (calls, "HGET", key, "ranked", NULL);
            rc = reader->run (reader->arg, calls, err);
            if (rc == 0)
                rc = s_state_take (reader, calls, 0, query->job, &page->state, err);
            if (rc == 0 && page->state.ranked == query->guess
            &&  s_int (jm_store_calls_reply (calls, 5), page->state.ranked) == query->guess) {
                base = 2;
                break;
            }
            continue;
        }
        rc = jm_results_read_state (reader, query->job, &page->state, err);
        if (rc)
            break;
        if (query->version > 0) {
            page->state.ranked = query->version;
            snprintf (page->state.ranked_text, sizeof page->state.ranked_text, "%lld",
                      query->version);
        }
        s_page_ask (reader, calls, query, page->state.ranked_text);
        jm_keys_job (reader->keys, query->job, key, sizeof key, NULL);
        jm_store_calls_addv (calls, "HGET", key, "ranked", NULL);
        rc = reader->run (reader->arg, calls, err);
        if (rc)
            break;
        long long ranked_after = s_int (jm_store_calls_reply (calls, 3), page->state.ranked);
        if (query->version > 0 || ranked_after == page->state.ranked
        ||  attempt == JM_SUMMARY_FLIP_RETRIES)
            break;
    }
    if (rc == 0) {
        const jm_reply_t *range = jm_store_calls_reply (calls, base);
        page->matching = s_int (jm_store_calls_reply (calls, base + 1), 0);
        page->total = s_int (jm_store_calls_reply (calls, base + 2), 0);
        size_t count = range && range->type == JM_REPLY_ARRAY ? range->count / 2 : 0;
        page->entries = jm_calloc (count + 1, sizeof (jm_results_entry_t));
        for (size_t i = 0; i < count; i++) {
            const jm_reply_t *member = jm_reply_item (range, 2 * i);
            const char *score = jm_reply_str (jm_reply_item (range, 2 * i + 1));
            if (!jm_reply_str (member))
                continue;
            jm_results_entry_t *entry = &page->entries [page->count++];
            entry->rank = query->offset + (long long) i + 1;
            entry->candidate = jm_strndup (member->str, member->len);
            entry->score = score ? strtod (score, NULL) : 0;
        }
        rc = s_entries_fill (reader, query->job, page->state.ranked_text, page->entries,
                             page->count, err);
    }
    jm_store_calls_destroy (&calls);
    if (rc)
        jm_results_page_free (page);
    return rc;
}

void
jm_results_page_free (jm_results_page_t *page)
{
    for (size_t i = 0; page->entries && i < page->count; i++) {
        free (page->entries [i].candidate);
        free (page->entries [i].name);
        free (page->entries [i].required);
    }
    free (page->entries);
    memset (page, 0, sizeof *page);
}

//  --------------------------------------------------------------------------
//  A candidate's results

int
jm_results_read_candidate (const jm_results_reader_t *reader, const char *candidate,
                           const char * const *jobs, size_t count, jm_detail_t detail,
                           jm_results_found_fn *found, void *arg, jm_error_t *err)
{
    if (jm_keys_check_id ("candidate", candidate, err))
        return -1;
    if (count == 0)
        return 0;
    jm_store_calls_t *calls = jm_store_calls_new ();
    s_pairs_ask (reader, calls, candidate, jobs, count);
    int rc = reader->run (reader->arg, calls, err);
    jm_error_t problem;
    jm_error_clear (&problem);
    if (rc == 0 && s_pairs_answer (reader, calls, 0, candidate, jobs, count, detail, found, arg,
                                   &problem, err) < 0)
        rc = -1;
    jm_store_calls_destroy (&calls);
    return rc;
}

//  --------------------------------------------------------------------------
//  Held results

int
jm_results_read_held (const jm_results_reader_t *reader, const char *job, long long version,
                      const char * const *candidates, size_t count, bool *held, jm_error_t *err)
{
    char version_text [24], rank_key [KEY_MAX];
    snprintf (version_text, sizeof version_text, "%lld", version);
    if (jm_keys_rank (reader->keys, job, version_text, rank_key, sizeof rank_key, err) < 0)
        return -1;
    jm_store_calls_t *calls = jm_store_calls_new ();
    for (size_t i = 0; i < count; i++)
        s_record_ask (reader, calls, job, candidates [i]);
    const char **argv = jm_calloc (count + 2, sizeof (char *));
    argv [0] = "ZMSCORE";
    argv [1] = rank_key;
    memcpy (argv + 2, candidates, count * sizeof (char *));
    jm_store_calls_add (calls, (int) count + 2, argv, NULL);
    free (argv);
    int rc = count ? reader->run (reader->arg, calls, err) : 0;
    const jm_reply_t *scores = jm_store_calls_reply (calls, count);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        jm_record_t record;
        held [i] = s_record_take (jm_store_calls_reply (calls, i), job, candidates [i], &record)
                && record.version >= version
                && jm_reply_str (jm_reply_item (scores, i)) != NULL;
    }
    jm_store_calls_destroy (&calls);
    return rc;
}

//  --------------------------------------------------------------------------
//  Summary

int
jm_results_read_summary (const jm_results_reader_t *reader, const char *job,
                         jm_results_state_t *state, jm_buf_t *out, jm_error_t *err)
{
    if (jm_results_read_state (reader, job, state, err))
        return -1;
    jm_summary_state_t read = { state->ranked, state->rescore_version, state->rescore_done,
                                state->rescore_total };
    if (jm_summary_read (reader->keys, reader->taxonomy, job, &read, reader->run, reader->arg, out, err))
        return -1;
    state->ranked = read.ranked;
    snprintf (state->ranked_text, sizeof state->ranked_text, "%lld", state->ranked);
    state->rescore_version = read.rescore_version;
    state->rescore_done = read.rescore_done;
    state->rescore_total = read.rescore_total;
    return 0;
}

//  --------------------------------------------------------------------------
//  Best jobs

//  Job ids in ascending byte order
static int
s_compare_id (const void *a, const void *b)
{
    return strcmp (((const jm_results_best_t *) a)->id, ((const jm_results_best_t *) b)->id);
}

void
jm_results_best (jm_results_best_t *jobs, size_t count, const jm_candidate_t *candidate)
{
    if (count == 0)
        return;
    assert (count <= INT_MAX);
    //  by id first: the ranking keeps the given order among equal scores
    qsort (jobs, count, sizeof *jobs, s_compare_id);
    const jm_job_t **list = jm_malloc (count * sizeof *list);
    jm_ranked_t *ranked = jm_malloc (count * sizeof *ranked);
    jm_results_best_t *by_id = jm_malloc (count * sizeof *by_id);
    for (size_t i = 0; i < count; i++)
        list [i] = jobs [i].job;
    memcpy (by_id, jobs, count * sizeof *by_id);
    jm_score_rank (list, (int) count, candidate, ranked);
    for (size_t i = 0; i < count; i++) {
        jobs [i] = by_id [ranked [i].job];
        jobs [i].score = ranked [i].score;
    }
    free (by_id);
    free (ranked);
    free (list);
}
