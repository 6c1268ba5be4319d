/*  jm_results_read: the one read path of results and rankings.  See
    jm_results_read.h.                                                      */
#include "jm_results_read.h"
#include "jm_alloc.h"
#include "jm_score.h"

#include <assert.h>
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
//  One result

int
jm_results_read_result (const jm_results_reader_t *reader, const char *job,
                        const char *candidate, char **json_p, size_t *len_p, jm_error_t *err)
{
    *json_p = NULL;
    char key [KEY_MAX];
    if (jm_keys_check_id ("candidate", candidate, err))
        return -1;
    jm_store_calls_t *calls = jm_store_calls_new ();
    int rc = s_state_ask (reader, calls, job, err);
    if (rc == 0)
        rc = jm_keys_result (reader->keys, job, candidate, key, sizeof key, err) < 0 ? -1 : 0;
    if (rc == 0) {
        jm_store_calls_addv (calls, "GET", key, NULL);
        rc = reader->run (reader->arg, calls, err);
    }
    jm_results_state_t state;
    if (rc == 0)
        rc = s_state_take (reader, calls, 0, job, &state, err);
    if (rc == 0) {
        const jm_reply_t *reply = jm_store_calls_reply (calls, 2);
        size_t len = 0;
        const char *json = jm_reply_str (reply) ? jm_store_result_json (reply->str, reply->len, &len)
                                                : NULL;
        if (json) {
            *json_p = jm_strndup (json, len);
            *len_p = len;
        }
        else
            rc = jm_error_set (err, JM_ERR_NOT_FOUND,
                               "no result for candidate \"%.128s\" and job \"%.128s\"", candidate, job);
    }
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

static char *
s_json_strdup (json_t *value)
{
    return json_is_string (value) ? jm_strdup (json_string_value (value)) : NULL;
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

//  Reads each entry's name and required (the header lines of their
//  results, then the whole values of those cut short) and band in version
//  (its band sets).  Returns 0, or -1 with err set.
static int
s_entries_fill (const jm_results_reader_t *reader, const char *job, const char *version,
                jm_results_entry_t *entries, size_t count, jm_error_t *err)
{
    if (count == 0)
        return 0;
    const size_t stride = 1 + JM_BAND_SETS;
    char band_keys [JM_BAND_SETS][KEY_MAX];
    for (int b = 0; b < JM_BAND_SETS; b++)
        jm_keys_rank_band (reader->keys, job, version, jm_bands [b].name, band_keys [b], KEY_MAX,
                           NULL);
    jm_store_calls_t *calls = jm_store_calls_new ();
    for (size_t i = 0; i < count; i++) {
        char key [KEY_MAX];
        const char *candidate = entries [i].candidate;
        if (jm_keys_result (reader->keys, job, candidate, key, sizeof key, NULL) < 0) {
            strcpy (key, "-");
            candidate = "-";
        }
        jm_store_calls_add_result_head (calls, key);
        for (int b = 0; b < JM_BAND_SETS; b++)
            jm_store_calls_addv (calls, "ZSCORE", band_keys [b], candidate, NULL);
    }
    int rc = reader->run (reader->arg, calls, err);
    json_t **heads = jm_calloc (count, sizeof (json_t *));
    jm_store_calls_t *whole = jm_store_calls_new ();
    size_t *whole_of = jm_calloc (count, sizeof (size_t));
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const jm_reply_t *reply = jm_store_calls_reply (calls, i * stride);
        entries [i].band = s_band_without_set (entries [i].score);
        for (int b = 0; b < JM_BAND_SETS; b++)
            if (jm_reply_str (jm_store_calls_reply (calls, i * stride + 1 + (size_t) b)))
                entries [i].band = jm_bands [b].name;
        if (!jm_reply_str (reply))
            continue;
        heads [i] = jm_store_result_head (reply->str, reply->len);
        char key [KEY_MAX];
        if (!heads [i] && jm_store_result_head_cut (reply->len)
        &&  jm_keys_result (reader->keys, job, entries [i].candidate, key, sizeof key, NULL) >= 0) {
            whole_of [jm_store_calls_count (whole)] = i;
            jm_store_calls_addv (whole, "GET", key, NULL);
        }
    }
    size_t wholes = jm_store_calls_count (whole);
    if (rc == 0 && wholes)
        rc = reader->run (reader->arg, whole, err);
    for (size_t w = 0; rc == 0 && w < wholes; w++) {
        const jm_reply_t *reply = jm_store_calls_reply (whole, w);
        if (jm_reply_str (reply))
            heads [whole_of [w]] = jm_store_result_head (reply->str, reply->len);
    }
    for (size_t i = 0; i < count; i++) {
        if (rc == 0 && heads [i]) {
            entries [i].name = s_json_strdup (json_object_get (heads [i], "name"));
            const char *of = json_string_value (json_object_get (heads [i], "version"));
            json_t *version_json = json_object_get (heads [i], "version");
            char written [24] = "";
            if (of)
                snprintf (written, sizeof written, "%s", of);
            else
            if (json_is_integer (version_json))
                snprintf (written, sizeof written, "%lld", (long long) json_integer_value (version_json));
            if (strcmp (written, version) == 0)
                entries [i].required = s_json_strdup (json_object_get (heads [i], "required"));
        }
        json_decref (heads [i]);
    }
    free (heads);
    free (whole_of);
    jm_store_calls_destroy (&whole);
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
                           const char * const *jobs, size_t count,
                           jm_results_found_fn *found, void *arg, jm_error_t *err)
{
    if (jm_keys_check_id ("candidate", candidate, err))
        return -1;
    jm_store_calls_t *calls = jm_store_calls_new ();
    for (size_t i = 0; i < count; i++) {
        char key [KEY_MAX];
        if (jm_keys_result (reader->keys, jobs [i], candidate, key, sizeof key, NULL) < 0)
            jm_store_calls_addv (calls, "PING", NULL);      //  keeps indexes aligned
        else
            jm_store_calls_addv (calls, "GET", key, NULL);
    }
    int rc = count ? reader->run (reader->arg, calls, err) : 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const jm_reply_t *reply = jm_store_calls_reply (calls, i);
        size_t len = 0;
        const char *json = reply && reply->type == JM_REPLY_STRING
                         ? jm_store_result_json (reply->str, reply->len, &len) : NULL;
        if (json)
            found (arg, i, json, len);
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
    if (jm_summary_read (reader->keys, job, &read, reader->run, reader->arg, out, err))
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

static int
s_compare_best (const void *a, const void *b)
{
    const jm_results_best_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp (x->id, y->id);
}

void
jm_results_best (jm_results_best_t *jobs, size_t count, const jm_candidate_t *candidate)
{
    for (size_t i = 0; i < count; i++)
        jobs [i].score = jm_score_fast (jobs [i].job, candidate);
    if (count)
        qsort (jobs, count, sizeof *jobs, s_compare_best);
}
