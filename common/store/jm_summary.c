/*  jm_summary: a job version's summary, as both readers answer it.  See
    jm_summary.h.                                                           */
#include "jm_summary.h"
#include "jm_alloc.h"
#include "jm_keys.h"
#include "jm_log.h"
#include "jm_recompute.h"
#include "jm_record.h"
#include "jm_score.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
jm_summary_kept (const jm_reply_t *reply)
{
    return reply && reply->type == JM_REPLY_ARRAY && reply->count >= 2;
}

typedef struct {
    const char *label;          //  borrowed from the reply
    long long count;
} s_missing_t;

static int
s_compare_missing (const void *a, const void *b)
{
    const s_missing_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp (x->label, y->label);
}

//  Writes the members every summary answers: total, bands, histogram and
//  the JM_SUMMARY_MISSING most missed requirements (sorted here: most
//  missed first, ties by label).
static void
s_write_members (jm_buf_t *out, long long total, const long long bands [JM_BAND_COUNT],
                 const long long bins [JM_SCORE_BINS], s_missing_t *missing, size_t missing_count)
{
    if (missing_count)
        qsort (missing, missing_count, sizeof *missing, s_compare_missing);
    jm_buf_printf (out, "\"total\":%lld,\"bands\":{", total);
    for (int b = 0; b < JM_BAND_COUNT; b++)
        jm_buf_printf (out, "%s\"%s\":%lld", b ? "," : "", jm_bands [b].name, bands [b]);
    jm_buf_puts (out, "},\"histogram\":[");
    for (int bin = 0; bin < JM_SCORE_BINS; bin++)
        jm_buf_printf (out, "%s%lld", bin ? "," : "", bins [bin]);
    jm_buf_puts (out, "],\"missing\":[");
    for (size_t m = 0; m < missing_count && m < JM_SUMMARY_MISSING; m++) {
        jm_buf_puts (out, m ? ",{\"requirement\":" : "{\"requirement\":");
        jm_buf_json_str (out, missing [m].label);
        jm_buf_printf (out, ",\"count\":%lld}", missing [m].count);
    }
    jm_buf_puts (out, "]");
}

void
jm_summary_write_json (const jm_reply_t *reply, jm_buf_t *out)
{
    long long total = 0, bands [JM_BAND_COUNT] = { 0 }, bins [JM_SCORE_BINS] = { 0 };
    size_t pairs = reply && reply->type == JM_REPLY_ARRAY ? reply->count / 2 : 0;
    s_missing_t *missing = jm_malloc ((pairs ? pairs : 1) * sizeof *missing);
    size_t missing_count = 0;
    for (size_t i = 0; i < pairs; i++) {
        const char *field = jm_reply_str (jm_reply_item (reply, 2 * i));
        long long value = 0;
        if (!field || !jm_reply_int (jm_reply_item (reply, 2 * i + 1), &value))
            continue;
        if (strcmp (field, "total") == 0)
            total = value;
        else
        if (strncmp (field, "bin:", 4) == 0 && field [4] >= '0' && field [4] < '0' + JM_SCORE_BINS
        &&  !field [5])
            bins [field [4] - '0'] = value;
        else
        if (strncmp (field, "band:", 5) == 0) {
            int band = jm_band_lookup (field + 5);
            if (band >= 0)
                bands [band] = value;
        }
        else
        if (strncmp (field, "missing:", 8) == 0 && value > 0)
            missing [missing_count++] = (s_missing_t) { field + 8, value };
    }
    s_write_members (out, total, bands, bins, missing, missing_count);
    free (missing);
}


//  --------------------------------------------------------------------------
//  Reading a summary: both readers call this, so they answer the same

//  Where the recount's replies are: ZCARD, a ZCOUNT per band, a ZCOUNT per
//  histogram bin, the best candidates.
enum { s_BANDS_AT = 1, s_BINS_AT = s_BANDS_AT + JM_BAND_COUNT, s_BEST_AT = s_BINS_AT + JM_SCORE_BINS };

//  Counts one label missed, into missing (grown as needed).
static void
s_count_label (s_missing_t **missing_p, size_t *count, size_t *cap, const char *label)
{
    s_missing_t *missing = *missing_p;
    size_t m = 0;
    while (m < *count && strcmp (missing [m].label, label) != 0)
        m++;
    if (m == *count) {
        if (*count == *cap) {
            *cap = *cap ? *cap * 2 : 32;
            *missing_p = missing = jm_realloc (missing, *cap * sizeof *missing);
        }
        missing [(*count)++] = (s_missing_t) { label, 0 };
    }
    missing [m].count++;
}

//  Where the recount's second round trip puts its replies: the job hash's
//  version and json, its v:<version>, then per candidate its record and
//  stored profile.
enum { s_JOB_AT = 0, s_OLDER_AT = 1, s_PAIRS_AT = 2 };

//  Counts the bands of the records in calls of version only (a record of
//  another version is not counted: never a mix) and, with a taxonomy, the
//  requirements their breakdowns miss, recomputed from the stored profiles
//  and the job's JSON at version (jm_recompute.h).  Returns how many
//  labels, in missing (labels borrowed from the job kept by recompute).
static size_t
s_count_missing (const jm_store_calls_t *calls, size_t count, const char *job_id, int version,
                 jm_recompute_t *recompute, s_missing_t **missing_p,
                 long long bands [JM_BAND_COUNT])
{
    s_missing_t *missing = NULL;
    size_t missing_count = 0, missing_cap = 0, labels_len = 0;
    const jm_job_t *job = NULL;
    const char *labels = NULL;
    const jm_reply_t *hash = jm_store_calls_reply (calls, s_JOB_AT);
    const jm_reply_t *json = jm_reply_item (hash, 1);
    long long current = 0;
    jm_reply_int (jm_reply_item (hash, 0), &current);
    if (current != version)
        json = jm_store_calls_reply (calls, s_OLDER_AT);
    jm_error_t error;
    jm_error_clear (&error);
    if (recompute && jm_reply_str (json)) {
        job = jm_recompute_job (recompute, json->str, json->len, version, &error);
        if (!job)
            jm_log_warning ("job %.64s: %s: missing requirements not recounted", job_id,
                            error.message);
    }
    if (job)
        labels = jm_job_labels (job, &labels_len);
    jm_buf_t missed;
    jm_buf_init (&missed);
    for (size_t i = 0; i < count; i++) {
        const jm_reply_t *bytes = jm_store_calls_reply (calls, s_PAIRS_AT + 2 * i);
        const jm_reply_t *profile = jm_store_calls_reply (calls, s_PAIRS_AT + 2 * i + 1);
        jm_record_t record;
        if (!bytes || bytes->type != JM_REPLY_STRING
        ||  jm_record_decode ((const uint8_t *) bytes->str, bytes->len, &record, NULL)
        ||  record.version != version)
            continue;
        bands [record.band]++;
        jm_candidate_t *candidate = job && jm_reply_str (profile)
            ? jm_recompute_candidate (recompute, profile->str, profile->len, NULL) : NULL;
        if (!candidate)
            continue;
        jm_result_t result;
        jm_score_explain (job, candidate, &result);
        jm_buf_reset (&missed);
        jm_result_write_missing (&result, &missed);
        for (size_t k = 0; k < missed.len; k++) {
            //  the index'th label of the NUL-separated list
            const char *label = labels;
            for (int skip = missed.data [k] - '0'; skip > 0 && label; skip--) {
                label = memchr (label, '\0', labels_len - (size_t) (label - labels));
                label = label && label + 1 < labels + labels_len ? label + 1 : NULL;
            }
            if (label)
                s_count_label (&missing, &missing_count, &missing_cap, label);
        }
        jm_candidate_destroy (&candidate);
    }
    jm_buf_free (&missed);
    *missing_p = missing;
    return missing_count;
}

//  Recounts the summary of one version from its ranking and the stored
//  results of its best JM_SUMMARY_SAMPLE candidates (a ranking written
//  before summaries were kept with it).  Appends the members.
static int
s_recount (const jm_keys_t *keys, const jm_taxonomy_t *taxonomy, const char *job,
           const char *version_text, long long version, jm_summary_run_fn *run, void *arg,
           jm_buf_t *out, jm_error_t *err)
{
    char all [JM_KEYS_MAX], last [16];
    jm_keys_rank (keys, job, version_text, all, sizeof all, NULL);
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_t *results = jm_store_calls_new ();
    jm_store_calls_addv (calls, "ZCARD", all, NULL);
    for (int b = 0; b < JM_BAND_COUNT; b++) {
        jm_keys_range_t range;
        jm_keys_rank_range (keys, job, version_text, jm_bands [b].name, NAN, &range, NULL);
        jm_store_calls_addv (calls, "ZCOUNT", range.key, range.min, range.max, NULL);
    }
    for (int bin = 0; bin < JM_SCORE_BINS; bin++) {
        char low [16], high [16];
        snprintf (low, sizeof low, bin ? "%d" : "-inf", bin * JM_SCORE_BIN_WIDTH);
        snprintf (high, sizeof high, bin < JM_SCORE_BINS - 1 ? "(%d" : "+inf",
                  (bin + 1) * JM_SCORE_BIN_WIDTH);
        jm_store_calls_addv (calls, "ZCOUNT", all, low, high, NULL);
    }
    snprintf (last, sizeof last, "%d", JM_SUMMARY_SAMPLE - 1);
    jm_store_calls_addv (calls, "ZREVRANGE", all, "0", last, NULL);
    int rc = run (arg, calls, err);
    const jm_reply_t *ids = rc ? NULL : jm_store_calls_reply (calls, s_BEST_AT);
    size_t id_count = ids && ids->type == JM_REPLY_ARRAY ? ids->count : 0;
    char job_key [JM_KEYS_MAX], field [JM_RECOMPUTE_FIELD_MAX];
    jm_keys_job (keys, job, job_key, sizeof job_key, NULL);
    jm_recompute_version_field (version >= 1 && version <= INT32_MAX ? (int) version : 1, field);
    jm_store_calls_addv (results, "HMGET", job_key, "version", "json", NULL);
    jm_store_calls_addv (results, "HGET", job_key, field, NULL);
    for (size_t i = 0; i < id_count; i++) {
        char key [JM_KEYS_MAX], profile [JM_KEYS_MAX];
        const char *candidate = jm_reply_str (jm_reply_item (ids, i));
        if (!candidate || jm_keys_check_id ("candidate", candidate, NULL)
        ||  jm_keys_result_bucket (keys, job, jm_record_bucket (candidate, JM_RECORD_BUCKETS),
                                   key, sizeof key, NULL) < 0
        ||  jm_keys_profile (keys, candidate, profile, sizeof profile, NULL) < 0) {
            jm_store_calls_addv (results, "PING", NULL);   //  keeps the positions
            jm_store_calls_addv (results, "PING", NULL);
        }
        else {
            jm_store_calls_addv (results, "HGET", key, candidate, NULL);
            jm_store_calls_addv (results, "GET", profile, NULL);
        }
    }
    if (rc == 0 && id_count)
        rc = run (arg, results, err);
    if (rc == 0) {
        jm_recompute_t *recompute = taxonomy ? jm_recompute_new (taxonomy) : NULL;
        s_missing_t *missing = NULL;
        long long seen [JM_BAND_COUNT] = { 0 }, total = 0, banded = 0;
        size_t missing_count = id_count
            ? s_count_missing (results, id_count, job, (int) version, recompute, &missing, seen) : 0;
        jm_reply_int (jm_store_calls_reply (calls, 0), &total);
        long long bands [JM_BAND_COUNT];
        for (int b = 0; b < JM_BAND_COUNT; b++) {
            bands [b] = 0;
            jm_reply_int (jm_store_calls_reply (calls, s_BANDS_AT + (size_t) b), &bands [b]);
            banded += bands [b];
        }
        //  a ranking written before band sets existed: the bands of the
        //  results read, exact when they are the whole ranking
        if (banded == 0 && total > 0 && total <= JM_SUMMARY_SAMPLE)
            memcpy (bands, seen, sizeof bands);
        long long bins [JM_SCORE_BINS];
        for (int bin = 0; bin < JM_SCORE_BINS; bin++) {
            bins [bin] = 0;
            jm_reply_int (jm_store_calls_reply (calls, s_BINS_AT + (size_t) bin), &bins [bin]);
        }
        s_write_members (out, total, bands, bins, missing, missing_count);
        jm_buf_puts (out, ",\"recounted\":true");
        free (missing);
        jm_recompute_destroy (&recompute);
    }
    jm_store_calls_destroy (&results);
    jm_store_calls_destroy (&calls);
    return rc;
}

int
jm_summary_read (const jm_keys_t *keys, const jm_taxonomy_t *taxonomy, const char *job,
                 jm_summary_state_t *state, jm_summary_run_fn *run, void *arg, jm_buf_t *out,
                 jm_error_t *err)
{
    assert (keys && job && state && run && out);
    char job_key [JM_KEYS_MAX], version_text [24];
    if (jm_keys_job (keys, job, job_key, sizeof job_key, err) < 0)
        return -1;
    jm_store_calls_t *calls = jm_store_calls_new ();
    int rc = 0;
    for (int attempt = 0; ; attempt++) {
        char summary [JM_KEYS_MAX], all [JM_KEYS_MAX];
        snprintf (version_text, sizeof version_text, "%lld", state->ranked);
        jm_keys_summary (keys, job, version_text, summary, sizeof summary, NULL);
        jm_keys_rank (keys, job, version_text, all, sizeof all, NULL);
        jm_store_calls_reset (calls);
        jm_store_calls_addv (calls, "HGETALL", summary, NULL);
        jm_store_calls_addv (calls, "EXISTS", all, NULL);
        jm_store_calls_addv (calls, "HMGET", job_key, "ranked", "rescore_version", "rescore_done",
                             "rescore_total", NULL);
        if ((rc = run (arg, calls, err)) != 0)
            break;
        //  the job hash as it is now: no "ranked" (a job before the
        //  registry) keeps the version the caller read
        const jm_reply_t *now = jm_store_calls_reply (calls, 2);
        long long ranked = state->ranked;
        jm_reply_int (jm_reply_item (now, 0), &ranked);
        long long *progress [] = { &state->rescore_version, &state->rescore_done,
                                   &state->rescore_total };
        for (size_t i = 0; i < 3; i++) {
            *progress [i] = 0;
            jm_reply_int (jm_reply_item (now, i + 1), progress [i]);
        }
        if (ranked == state->ranked || attempt == JM_SUMMARY_FLIP_RETRIES)
            break;
        state->ranked = ranked;         //  flipped meanwhile: read the new version
    }
    if (rc == 0) {
        const jm_reply_t *kept = jm_store_calls_reply (calls, 0);
        long long ranking = 0;
        jm_reply_int (jm_store_calls_reply (calls, 1), &ranking);
        jm_buf_printf (out, "\"version\":%lld,", state->ranked);
        if (!jm_summary_kept (kept) && ranking) {
            jm_log_info ("job %s version %lld has no kept summary: recounted", job, state->ranked);
            rc = s_recount (keys, taxonomy, job, version_text, state->ranked, run, arg, out, err);
        }
        else
            jm_summary_write_json (kept, out);
    }
    jm_store_calls_destroy (&calls);
    return rc;
}
