/*  results: the service jobmatch.results.  See results.h.  */
#include "results.h"
#include "body.h"
#include "jm_log.h"
#include "jm_alloc.h"
#include "jm_summary.h"
#include "jm_score.h"

#include <czmq.h>
#include <math.h>
#include <string.h>

#define FLIP_RETRIES     JM_SUMMARY_FLIP_RETRIES     //  one retry policy for every read

struct _jm_results_t {
    jm_engine_t *engine;
    jm_store_t *store;
    jm_registry_t *registry;
    const jm_keys_t *keys;
    jm_store_calls_t *calls, *more;
    jm_json_doc_t *doc;         //  a stored result cut to the detail asked
};

jm_results_t *
jm_results_new (jm_engine_t *engine, jm_store_t *store, jm_registry_t *registry)
{
    jm_results_t *self = jm_calloc (1, sizeof *self);
    self->engine = engine;
    self->store = store;
    self->registry = registry;
    self->keys = jm_store_keys (store);
    self->calls = jm_store_calls_new ();
    self->more = jm_store_calls_new ();
    self->doc = jm_json_doc_new ();
    return self;
}

void
jm_results_destroy (jm_results_t **self_p)
{
    assert (self_p);
    jm_results_t *self = *self_p;
    if (!self)
        return;
    jm_store_calls_destroy (&self->calls);
    jm_store_calls_destroy (&self->more);
    jm_json_doc_destroy (&self->doc);
    free (self);
    *self_p = NULL;
}

static void
s_unavailable (jm_results_t *self, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_error_set (&err, JM_ERR_IO, "Redis is not available (%s); try again",
                  jm_store_endpoint (self->store));
    jm_body_error (out, &err);
}

static void
s_no_job (jm_buf_t *out, const char *job)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_error_set (&err, JM_ERR_NOT_FOUND, "no job \"%.128s\" in the registry", job);
    jm_body_error (out, &err);
}

//  Reads a job id member and builds its job key.  NULL with the error reply
//  in out when it is missing or invalid.
static const char *
s_job_arg (jm_results_t *self, json_t *body, char *job_key, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    const char *job = jm_body_string (body, "job", JM_KEYS_ID_MAX, &err);
    if (!job || jm_keys_check_id ("job", job, &err)
    ||  jm_keys_job (self->keys, job, job_key, JM_KEYS_MAX, &err) < 0) {
        jm_body_error (out, &err);
        return NULL;
    }
    return job;
}

static const char *
s_candidate_arg (json_t *body, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    const char *candidate = jm_body_string (body, "candidate", JM_KEYS_ID_MAX, &err);
    if (!candidate || jm_keys_check_id ("candidate", candidate, &err)) {
        jm_body_error (out, &err);
        return NULL;
    }
    return candidate;
}

//  Reads "detail" (jm_detail.h).  False with the error reply in out when it
//  is not one of the levels.
static bool
s_detail_arg (json_t *body, jm_detail_t *detail, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_body_detail (body, detail, &err) == 0)
        return true;
    jm_body_error (out, &err);
    return false;
}

//  --------------------------------------------------------------------------
//  result

static void
s_serve_result (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    char job_key [JM_KEYS_MAX];
    const char *job = s_job_arg (self, body, job_key, out);
    const char *candidate = job ? s_candidate_arg (body, out) : NULL;
    jm_detail_t detail;
    if (!candidate || !s_detail_arg (body, &detail, out))
        return;
    jm_error_t err;
    jm_error_clear (&err);
    char *json = NULL;
    size_t len = 0;
    int found = jm_store_read_result (self->store, job, candidate, &json, &len);
    if (found < 0)
        s_unavailable (self, out);
    else
    if (found == 0) {
        jm_error_set (&err, JM_ERR_NOT_FOUND, "no result for candidate \"%.128s\" and job \"%.128s\"",
                      candidate, job);
        jm_body_error (out, &err);
    }
    else {
        jm_buf_reset (out);
        jm_buf_puts (out, "{\"ok\":true,\"result\":");
        if (jm_detail_cut (self->doc, json, len, detail, out, &err) == 0)
            jm_buf_puts (out, "}");
        else {
            jm_log_warning ("result of candidate %.64s for job %.64s: %s", candidate, job,
                            err.message);
            jm_body_error (out, &err);
        }
    }
    free (json);
}

//  --------------------------------------------------------------------------
//  rank

//  The job's ranked version and re-scoring progress, one round trip.
typedef struct {
    long long ranked, rescore_version, done, total;
    char ranked_text [24];      //  ranked, as the key builders take it
} s_state_t;

//  Reads the state of job; false when the job is not registered or Redis
//  is down, after answering so in out.
static bool
s_read_state (jm_results_t *self, const char *job, const char *job_key, s_state_t *state,
              jm_buf_t *out)
{
    jm_store_calls_reset (self->calls);
    jm_store_calls_addv (self->calls, "HMGET", job_key, "version", "ranked", "rescore_version",
                         "rescore_done", "rescore_total", NULL);
    if (jm_store_run (self->store, self->calls)) {
        s_unavailable (self, out);
        return false;
    }
    const jm_reply_t *reply = jm_store_calls_reply (self->calls, 0);
    long long version = 0;
    if (!jm_reply_int (jm_reply_item (reply, 0), &version)) {
        s_no_job (out, job);
        return false;
    }
    memset (state, 0, sizeof *state);
    jm_reply_int (jm_reply_item (reply, 1), &state->ranked);
    jm_reply_int (jm_reply_item (reply, 2), &state->rescore_version);
    jm_reply_int (jm_reply_item (reply, 3), &state->done);
    jm_reply_int (jm_reply_item (reply, 4), &state->total);
    snprintf (state->ranked_text, sizeof state->ranked_text, "%lld", state->ranked);
    return true;
}

static void
s_write_progress (jm_buf_t *out, const s_state_t *state)
{
    if (state->rescore_version > 0)
        jm_buf_printf (out, ",\"rescoring\":{\"version\":%lld,\"done\":%lld,\"total\":%lld}",
                       state->rescore_version,
                       state->done < state->total ? state->done : state->total, state->total);
    else
        jm_buf_puts (out, ",\"rescoring\":null");
}

//  Reads an optional number member in [min, max]; NAN when absent or null.
static int
s_body_number (json_t *body, const char *name, double min, double max, double *value,
               jm_error_t *err)
{
    json_t *member = json_object_get (body, name);
    *value = NAN;
    if (!member || json_is_null (member))
        return 0;
    if (!json_is_number (member) || json_number_value (member) < min
    ||  json_number_value (member) > max)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "%s must be a number from %g to %g",
                             name, min, max);
    *value = json_number_value (member);
    return 0;
}

//  Parses the header lines read for the entries of a ranking page (every
//  third reply of self->more) into heads [], reading in one more round trip
//  the whole values of those cut short (a long name).  A missing result
//  leaves NULL.  Returns 0, or -1 when Redis is not available.
static int
s_read_heads (jm_results_t *self, const char *job, const jm_reply_t *page, size_t entries,
              json_t **heads)
{
    jm_store_calls_t *whole = jm_store_calls_new ();
    size_t *whole_of = jm_calloc (entries + 1, sizeof (size_t));
    for (size_t i = 0; i < entries; i++) {
        const jm_reply_t *reply = jm_store_calls_reply (self->more, i * (1 + JM_BAND_SETS));
        if (!jm_reply_str (reply))
            continue;
        heads [i] = jm_store_result_head (reply->str, reply->len);
        char key [JM_KEYS_MAX];
        if (!heads [i] && jm_store_result_head_cut (reply->len)
        &&  jm_keys_result (self->keys, job, jm_reply_str (jm_reply_item (page, 2 * i)),
                            key, sizeof key, NULL) >= 0) {
            whole_of [jm_store_calls_count (whole)] = i;
            jm_store_calls_addv (whole, "GET", key, NULL);
        }
    }
    size_t wholes = jm_store_calls_count (whole);
    int rc = wholes ? jm_store_run (self->store, whole) : 0;
    for (size_t w = 0; rc == 0 && w < wholes; w++) {
        const jm_reply_t *reply = jm_store_calls_reply (whole, w);
        if (jm_reply_str (reply))
            heads [whole_of [w]] = jm_store_result_head (reply->str, reply->len);
    }
    if (rc)
        for (size_t i = 0; i < entries; i++)
            json_decref (heads [i]);
    free (whole_of);
    jm_store_calls_destroy (&whole);
    return rc;
}

static void
s_serve_rank (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    char job_key [JM_KEYS_MAX];
    const char *job = s_job_arg (self, body, job_key, out);
    if (!job)
        return;
    jm_error_t err;
    jm_error_clear (&err);
    long long offset, limit;
    double min_score;
    const char *band = NULL;
    json_t *band_json = json_object_get (body, "band");
    if (band_json && !json_is_null (band_json)) {
        int known = jm_band_lookup (json_string_value (band_json));
        if (known >= 0)
            band = jm_bands [known].name;
        else
            jm_error_set (&err, JM_ERR_INVALID_REQUEST,
                          "band must be null or one of \"strong\", \"good\", \"partial\", \"weak\"");
    }
    if (jm_body_int (body, "offset", 0, 0, INT32_MAX, &offset, &err)
    ||  jm_body_int (body, "limit", 20, 1, JM_RESULTS_MAX_PAGE, &limit, &err)
    ||  s_body_number (body, "min_score", 0, 100, &min_score, &err)
    ||  jm_error_is_set (&err)) {
        jm_body_error (out, &err);
        return;
    }
    s_state_t state;
    const jm_reply_t *page = NULL;
    long long matching = 0, total = 0;
    for (int attempt = 0; ; attempt++) {
        if (!s_read_state (self, job, job_key, &state, out))
            return;
        char all [JM_KEYS_MAX], offset_text [24], limit_text [24];
        jm_keys_range_t range;
        jm_keys_rank (self->keys, job, state.ranked_text, all, sizeof all, NULL);
        jm_keys_rank_range (self->keys, job, state.ranked_text, band, min_score, &range, NULL);
        snprintf (offset_text, sizeof offset_text, "%lld", offset);
        snprintf (limit_text, sizeof limit_text, "%lld", limit);
        jm_store_calls_reset (self->calls);
        jm_store_calls_addv (self->calls, "ZREVRANGEBYSCORE", range.key, range.max, range.min,
                             "WITHSCORES", "LIMIT", offset_text, limit_text, NULL);
        jm_store_calls_addv (self->calls, "ZCOUNT", range.key, range.min, range.max, NULL);
        jm_store_calls_addv (self->calls, "ZCARD", all, NULL);
        jm_store_calls_addv (self->calls, "HGET", job_key, "ranked", NULL);
        if (jm_store_run (self->store, self->calls)) {
            s_unavailable (self, out);
            return;
        }
        long long ranked_after = 0;
        jm_reply_int (jm_store_calls_reply (self->calls, 3), &ranked_after);
        if (ranked_after == state.ranked || attempt == FLIP_RETRIES)
            break;
    }
    page = jm_store_calls_reply (self->calls, 0);
    jm_reply_int (jm_store_calls_reply (self->calls, 1), &matching);
    jm_reply_int (jm_store_calls_reply (self->calls, 2), &total);
    size_t entries = page && page->type == JM_REPLY_ARRAY ? page->count / 2 : 0;
    //  one more round trip: names and required counts, and each entry's band
    //  in this version (the stored result may already be of a newer version):
    //  strong or good when in that set, else partial or weak by its score
    jm_store_calls_reset (self->more);
    char band_keys [JM_BAND_SETS][JM_KEYS_MAX];
    for (int b = 0; b < JM_BAND_SETS; b++)
        jm_keys_rank_band (self->keys, job, state.ranked_text, jm_bands [b].name, band_keys [b],
                           JM_KEYS_MAX, NULL);
    for (size_t i = 0; i < entries; i++) {
        const char *candidate = jm_reply_str (jm_reply_item (page, 2 * i));
        char key [JM_KEYS_MAX];
        if (!candidate || jm_keys_result (self->keys, job, candidate, key, sizeof key, NULL) < 0) {
            strcpy (key, "-");
            candidate = "-";
        }
        jm_store_calls_add_result_head (self->more, key);
        for (int b = 0; b < JM_BAND_SETS; b++)
            jm_store_calls_addv (self->more, "ZSCORE", band_keys [b], candidate, NULL);
    }
    if (entries && jm_store_run (self->store, self->more)) {
        s_unavailable (self, out);
        return;
    }
    json_t **heads = jm_calloc (entries + 1, sizeof (json_t *));
    if (s_read_heads (self, job, page, entries, heads)) {
        free (heads);
        s_unavailable (self, out);
        return;
    }
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"job\":");
    jm_buf_json_str (out, job);
    jm_buf_printf (out, ",\"version\":%lld,\"total\":%lld,\"matching\":%lld,\"offset\":%lld,"
                   "\"limit\":%lld,\"entries\":[", state.ranked, total, matching, offset, limit);
    for (size_t i = 0; i < entries; i++) {
        json_t *head = heads [i];
        double score = 0;
        const char *score_text = jm_reply_str (jm_reply_item (page, 2 * i + 1));
        if (score_text)
            score = strtod (score_text, NULL);
        jm_buf_printf (out, "%s{\"rank\":%lld,\"candidate\":", i ? "," : "", offset + (long long) i + 1);
        jm_buf_json_str (out, jm_reply_str (jm_reply_item (page, 2 * i)));
        jm_buf_puts (out, ",\"name\":");
        jm_buf_json_str (out, json_string_value (json_object_get (head, "name")));
        jm_buf_puts (out, ",\"score\":");
        jm_buf_json_number (out, score, 1);
        const char *entry_band = jm_band_name (jm_score_band (score, false));
        for (int b = 0; b < JM_BAND_SETS; b++)
            if (jm_reply_str (jm_store_calls_reply (self->more, i * (1 + JM_BAND_SETS) + 1 + (size_t) b)))
                entry_band = jm_bands [b].name;
        jm_buf_puts (out, ",\"band\":");
        jm_buf_json_str (out, entry_band);
        const char *version = json_string_value (json_object_get (head, "version"));
        jm_buf_puts (out, ",\"required\":");
        jm_buf_json_str (out, version && streq (version, state.ranked_text)
                              ? json_string_value (json_object_get (head, "required")) : NULL);
        jm_buf_puts (out, "}");
        json_decref (head);
    }
    free (heads);
    jm_buf_puts (out, "]");
    s_write_progress (out, &state);
    jm_buf_puts (out, "}");
}

//  --------------------------------------------------------------------------
//  candidate

static void
s_serve_candidate (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    const char *candidate = s_candidate_arg (body, out);
    jm_detail_t detail;
    if (!candidate || !s_detail_arg (body, &detail, out))
        return;
    jm_error_t err;
    jm_error_clear (&err);
    jm_registry_refresh (self->registry);     //  a job put a moment ago elsewhere
    jm_store_calls_reset (self->calls);
    int count = jm_registry_count (self->registry);
    for (int i = 0; i < count; i++) {
        char key [JM_KEYS_MAX];
        if (jm_keys_result (self->keys, jm_registry_at (self->registry, i)->id, candidate, key,
                            sizeof key, NULL) < 0)
            strcpy (key, "-");
        jm_store_calls_addv (self->calls, "GET", key, NULL);
    }
    if (count && jm_store_run (self->store, self->calls)) {
        s_unavailable (self, out);
        return;
    }
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"candidate\":");
    jm_buf_json_str (out, candidate);
    jm_buf_puts (out, ",\"results\":[");
    bool first = true;
    for (int i = 0; i < count; i++) {
        const jm_reply_t *reply = jm_store_calls_reply (self->calls, (size_t) i);
        size_t json_len;
        const char *json = jm_reply_str (reply)
                         ? jm_store_result_json (reply->str, reply->len, &json_len) : NULL;
        if (!json)
            continue;
        size_t mark = out->len;
        if (!first)
            jm_buf_puts (out, ",");
        if (jm_detail_cut (self->doc, json, json_len, detail, out, &err)) {
            jm_log_warning ("result of candidate %.64s for job %.64s left out: %s", candidate,
                            jm_registry_at (self->registry, i)->id, err.message);
            out->len = mark;
            continue;
        }
        first = false;
    }
    jm_buf_puts (out, "]}");
}

//  --------------------------------------------------------------------------
//  best

typedef struct {
    double score;
    const jm_registry_job_t *job;
} s_best_t;

static int
s_compare_best (const void *a, const void *b)
{
    const s_best_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp (x->job->id, y->job->id);
}

static void
s_serve_best (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    json_t *object = json_object_get (body, "candidate");
    long long limit;
    if (!json_is_object (object)) {
        jm_error_set (&err, JM_ERR_INVALID_REQUEST, "candidate must be an object (a candidate profile)");
        jm_body_error (out, &err);
        return;
    }
    if (!json_is_string (json_object_get (object, "id"))) {
        //  as jobmatch.match: an id is a string, never a number
        jm_error_set (&err, JM_ERR_INVALID_REQUEST, "candidate id must be a string of 1 to %d bytes",
                      JM_CANDIDATE_ID_MAX);
        jm_body_error (out, &err);
        return;
    }
    jm_detail_t detail;
    if (jm_body_int (body, "limit", 10, 1, JM_RESULTS_MAX_BEST, &limit, &err)
    ||  jm_body_detail (body, &detail, &err)) {
        jm_body_error (out, &err);
        return;
    }
    jm_candidate_t *candidate = jm_engine_candidate (self->engine, object, &err);
    if (!candidate) {
        jm_error_prefix (&err, "candidate: ");
        jm_body_error (out, &err);
        return;
    }
    jm_registry_refresh (self->registry);
    int count = jm_registry_count (self->registry);
    s_best_t *best = jm_calloc ((size_t) count + 1, sizeof *best);
    for (int i = 0; i < count; i++) {
        best [i].job = jm_registry_at (self->registry, i);
        best [i].score = jm_score_fast (best [i].job->job, candidate);
    }
    qsort (best, (size_t) count, sizeof *best, s_compare_best);
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"results\":[");
    for (int i = 0; i < count && i < limit; i++) {
        if (i)
            jm_buf_puts (out, ",");
        jm_result_t result;
        jm_score_explain (best [i].job->job, candidate, &result);
        jm_detail_write (&result, best [i].job->job, candidate, detail, out);
    }
    jm_buf_puts (out, "]}");
    free (best);
    jm_candidate_destroy (&candidate);
}

//  --------------------------------------------------------------------------
//  summary

//  Runs calls for jm_summary_read.
static int
s_run (void *arg, jm_store_calls_t *calls, jm_error_t *err)
{
    jm_results_t *self = arg;
    if (jm_store_run (self->store, calls))
        return jm_error_set (err, JM_ERR_IO, "Redis is not available");
    return 0;
}

//  Answers the summary kept with the ranking, or a recount when the
//  ranking has none (written by an older matcher): jm_summary_read, as the
//  dashboard does.
static void
s_serve_summary (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    char job_key [JM_KEYS_MAX];
    const char *job = s_job_arg (self, body, job_key, out);
    if (!job)
        return;
    s_state_t state;
    if (!s_read_state (self, job, job_key, &state, out))
        return;
    jm_summary_state_t read = { state.ranked, state.rescore_version, state.done, state.total };
    jm_buf_t members;
    jm_buf_init (&members);
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_summary_read (self->keys, job, &read, s_run, self, &members, &err)) {
        jm_buf_free (&members);
        s_unavailable (self, out);
        return;
    }
    state.ranked = read.ranked;
    state.rescore_version = read.rescore_version;
    state.done = read.rescore_done;
    state.total = read.rescore_total;
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"job\":");
    jm_buf_json_str (out, job);
    jm_buf_puts (out, ",");
    jm_buf_append (out, members.data, members.len);
    s_write_progress (out, &state);
    jm_buf_puts (out, "}");
    jm_buf_free (&members);
}

//  --------------------------------------------------------------------------
//  stored

//  Reads the "candidates" member: an array of 1..JM_RESULTS_MAX_STORED
//  valid candidate ids, borrowed into ids.  Returns the count, or -1 with
//  the error reply in out.
static int
s_candidate_ids (json_t *body, const char **ids, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    json_t *list = json_object_get (body, "candidates");
    size_t count = json_array_size (list);
    if (!json_is_array (list) || count == 0 || count > JM_RESULTS_MAX_STORED)
        jm_error_set (&err, JM_ERR_INVALID_REQUEST,
                      "candidates must be an array of 1 to %d candidate ids", JM_RESULTS_MAX_STORED);
    for (size_t i = 0; i < count && !jm_error_is_set (&err); i++) {
        ids [i] = json_string_value (json_array_get (list, i));
        if (!ids [i])
            jm_error_set (&err, JM_ERR_INVALID_REQUEST, "candidates[%zu] must be a string", i);
        else
        if (jm_keys_check_id ("candidate", ids [i], &err))
            jm_error_prefix (&err, "candidates[%zu]: ", i);
    }
    if (jm_error_is_set (&err)) {
        jm_body_error (out, &err);
        return -1;
    }
    return (int) count;
}

//  Which of up to JM_RESULTS_MAX_STORED candidates Redis holds for a job:
//  a result, and an entry in the ranking of the version asked (default the
//  ranked one).  Two round trips whatever the count: the job's state, then
//  one EXISTS per result and one ZMSCORE for all.
static void
s_serve_stored (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    char job_key [JM_KEYS_MAX];
    const char *job = s_job_arg (self, body, job_key, out);
    if (!job)
        return;
    jm_error_t err;
    jm_error_clear (&err);
    long long version;
    if (jm_body_int (body, "version", 0, 1, INT64_MAX, &version, &err)) {
        jm_body_error (out, &err);
        return;
    }
    const char *ids [JM_RESULTS_MAX_STORED + 2];
    int count = s_candidate_ids (body, ids + 2, out);
    if (count < 0)
        return;
    s_state_t state;
    if (!s_read_state (self, job, job_key, &state, out))
        return;
    if (version == 0)
        version = state.ranked;
    char version_text [24], rank_key [JM_KEYS_MAX];
    snprintf (version_text, sizeof version_text, "%lld", version);
    jm_keys_rank (self->keys, job, version_text, rank_key, sizeof rank_key, NULL);
    jm_store_calls_reset (self->calls);
    for (int i = 0; i < count; i++) {
        char key [JM_KEYS_MAX];
        jm_keys_result (self->keys, job, ids [2 + i], key, sizeof key, NULL);
        jm_store_calls_addv (self->calls, "EXISTS", key, NULL);
    }
    ids [0] = "ZMSCORE";
    ids [1] = rank_key;
    jm_store_calls_add (self->calls, count + 2, ids, NULL);
    if (jm_store_run (self->store, self->calls)) {
        s_unavailable (self, out);
        return;
    }
    const jm_reply_t *scores = jm_store_calls_reply (self->calls, (size_t) count);
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"job\":");
    jm_buf_json_str (out, job);
    jm_buf_printf (out, ",\"version\":%lld,\"checked\":%d,\"missing\":[", version, count);
    int missing = 0;
    for (int i = 0; i < count; i++) {
        long long exists = 0;
        jm_reply_int (jm_store_calls_reply (self->calls, (size_t) i), &exists);
        if (exists && jm_reply_str (jm_reply_item (scores, (size_t) i)))
            continue;
        jm_buf_printf (out, missing++ ? ",%d" : "%d", i);
    }
    jm_buf_puts (out, "]}");
}

void
jm_results_serve (jm_results_t *self, const void *data, size_t size, jm_buf_t *out)
{
    static const char * const ops [] = { "result", "rank", "candidate", "best", "summary", "stored",
                                         NULL };
    jm_error_t err;
    jm_error_clear (&err);
    json_t *body = jm_body_parse (data, size, &err);
    const char *op = body ? jm_body_op (body, JM_RESULTS_SERVICE, ops, &err) : NULL;
    if (!op)
        jm_body_error (out, &err);
    else
    if (streq (op, "result"))
        s_serve_result (self, body, out);
    else
    if (streq (op, "rank"))
        s_serve_rank (self, body, out);
    else
    if (streq (op, "candidate"))
        s_serve_candidate (self, body, out);
    else
    if (streq (op, "best"))
        s_serve_best (self, body, out);
    else
    if (streq (op, "stored"))
        s_serve_stored (self, body, out);
    else
        s_serve_summary (self, body, out);
    json_decref (body);
}
