/*  results: the service jobmatch.results.  See results.h.  */
#include "results.h"
#include "body.h"
#include "jm_log.h"
#include "jm_alloc.h"
#include "jm_results_read.h"
#include "jm_score.h"

#include <czmq.h>
#include <math.h>
#include <string.h>

struct _jm_results_t {
    jm_engine_t *engine;
    jm_store_t *store;
    jm_registry_t *registry;
    const jm_keys_t *keys;
    jm_store_calls_t *calls;
    jm_recompute_t *recompute;  //  breakdowns read back, the jobs parsed kept
    jm_results_reader_t reader; //  the read path shared with the dashboard
};

//  Runs calls for the read path.
static int
s_run (void *arg, jm_store_calls_t *calls, jm_error_t *err)
{
    jm_results_t *self = arg;
    if (jm_store_run (self->store, calls))
        return jm_error_set (err, JM_ERR_IO, "Redis is not available");
    return 0;
}

jm_results_t *
jm_results_new (jm_engine_t *engine, jm_store_t *store, jm_registry_t *registry)
{
    jm_results_t *self = jm_calloc (1, sizeof *self);
    self->engine = engine;
    self->store = store;
    self->registry = registry;
    self->keys = jm_store_keys (store);
    self->calls = jm_store_calls_new ();
    self->recompute = jm_recompute_new (jm_engine_taxonomy (engine));
    self->reader = (jm_results_reader_t) { self->keys, s_run, self, NULL,
                                           jm_engine_taxonomy (engine), self->recompute };
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
    jm_recompute_destroy (&self->recompute);
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

//  Answers err from the read path: Redis down says where; a job missing
//  from the registry is not_found in this service's vocabulary.
static void
s_read_error (jm_results_t *self, jm_error_t *err, jm_buf_t *out)
{
    if (streq (err->code, JM_ERR_IO))
        s_unavailable (self, out);
    else {
        if (streq (err->code, JM_ERR_UNKNOWN_JOB))
            snprintf (err->code, sizeof err->code, "%s", JM_ERR_NOT_FOUND);
        jm_body_error (out, err);
    }
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
    if (jm_results_read_result (&self->reader, job, candidate, detail, &json, &len, &err))
        s_read_error (self, &err, out);
    else {
        jm_buf_reset (out);
        jm_buf_puts (out, "{\"ok\":true,\"result\":");
        jm_buf_append (out, json, len);
        jm_buf_puts (out, "}");
    }
    free (json);
}

//  --------------------------------------------------------------------------
//  rank

static void
s_write_progress (jm_buf_t *out, const jm_results_state_t *state)
{
    if (state->rescore_version > 0)
        jm_buf_printf (out, ",\"rescoring\":{\"version\":%lld,\"done\":%lld,\"total\":%lld}",
                       state->rescore_version, state->rescore_done, state->rescore_total);
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

static void
s_serve_rank (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    char job_key [JM_KEYS_MAX];
    const char *job = s_job_arg (self, body, job_key, out);
    if (!job)
        return;
    jm_error_t err;
    jm_error_clear (&err);
    jm_results_query_t query = { .job = job };
    json_t *band_json = json_object_get (body, "band");
    if (band_json && !json_is_null (band_json)) {
        int known = jm_band_lookup (json_string_value (band_json));
        if (known >= 0)
            query.band = jm_bands [known].name;
        else
            jm_error_set (&err, JM_ERR_INVALID_REQUEST,
                          "band must be null or one of \"strong\", \"good\", \"partial\", \"weak\"");
    }
    if (jm_body_int (body, "offset", 0, 0, INT32_MAX, &query.offset, &err)
    ||  jm_body_int (body, "limit", 20, 1, JM_RESULTS_MAX_PAGE, &query.limit, &err)
    ||  s_body_number (body, "min_score", 0, 100, &query.min_score, &err)
    ||  jm_error_is_set (&err)) {
        jm_body_error (out, &err);
        return;
    }
    jm_results_page_t page;
    if (jm_results_read_page (&self->reader, &query, &page, &err)) {
        s_read_error (self, &err, out);
        return;
    }
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"job\":");
    jm_buf_json_str (out, job);
    jm_buf_printf (out, ",\"version\":%lld,\"total\":%lld,\"matching\":%lld,\"offset\":%lld,"
                   "\"limit\":%lld,\"entries\":[", page.state.ranked, page.total, page.matching,
                   query.offset, query.limit);
    for (size_t i = 0; i < page.count; i++) {
        const jm_results_entry_t *entry = &page.entries [i];
        jm_buf_printf (out, "%s{\"rank\":%lld,\"candidate\":", i ? "," : "", entry->rank);
        jm_buf_json_str (out, entry->candidate);
        jm_buf_puts (out, ",\"name\":");
        jm_buf_json_str (out, entry->name);
        jm_buf_puts (out, ",\"score\":");
        jm_buf_json_number (out, entry->score, 1);
        jm_buf_puts (out, ",\"band\":");
        jm_buf_json_str (out, entry->band);
        jm_buf_puts (out, ",\"required\":");
        jm_buf_json_str (out, entry->required);
        jm_buf_puts (out, "}");
    }
    jm_buf_puts (out, "]");
    s_write_progress (out, &page.state);
    jm_buf_puts (out, "}");
    jm_results_page_free (&page);
}

//  --------------------------------------------------------------------------
//  candidate

typedef struct {
    const char *candidate;
    jm_detail_t detail;
    jm_buf_t *out;
    bool first;
} s_found_t;

//  Appends one found result (at the detail asked).
static void
s_found (void *arg, size_t index, const char *json, size_t len)
{
    s_found_t *found = arg;
    if (!found->first)
        jm_buf_puts (found->out, ",");
    jm_buf_append (found->out, json, len);
    found->first = false;
}

static void
s_serve_candidate (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    s_found_t found = { s_candidate_arg (body, out), JM_DETAIL_DEFAULT, out, true };
    if (!found.candidate || !s_detail_arg (body, &found.detail, out))
        return;
    jm_error_t err;
    jm_error_clear (&err);
    jm_registry_refresh (self->registry);     //  a job put a moment ago elsewhere
    int count = jm_registry_count (self->registry);
    const char **jobs = jm_calloc ((size_t) count + 1, sizeof (char *));
    for (int i = 0; i < count; i++)
        jobs [i] = jm_registry_at (self->registry, i)->id;
    jm_buf_t results;
    jm_buf_init (&results);
    found.out = &results;
    if (jm_results_read_candidate (&self->reader, found.candidate, jobs, (size_t) count,
                                   found.detail, s_found, &found, &err))
        s_read_error (self, &err, out);
    else {
        jm_buf_reset (out);
        jm_buf_puts (out, "{\"ok\":true,\"candidate\":");
        jm_buf_json_str (out, found.candidate);
        jm_buf_puts (out, ",\"results\":[");
        jm_buf_append (out, results.data, results.len);
        jm_buf_puts (out, "]}");
    }
    jm_buf_free (&results);
    free (jobs);
}

//  --------------------------------------------------------------------------
//  best

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
    jm_results_best_t *best = jm_calloc ((size_t) count + 1, sizeof *best);
    for (int i = 0; i < count; i++) {
        best [i].id = jm_registry_at (self->registry, i)->id;
        best [i].job = jm_registry_at (self->registry, i)->job;
    }
    jm_results_best (best, (size_t) count, candidate);
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"results\":[");
    for (int i = 0; i < count && i < limit; i++) {
        if (i)
            jm_buf_puts (out, ",");
        jm_result_t result;
        jm_score_explain (best [i].job, candidate, &result);
        jm_detail_write (&result, best [i].job, candidate, detail, out);
    }
    jm_buf_puts (out, "]}");
    free (best);
    jm_candidate_destroy (&candidate);
}

//  --------------------------------------------------------------------------
//  summary

//  Answers the summary kept with the ranking (jm_results_read_summary, as
//  the dashboard does).
static void
s_serve_summary (jm_results_t *self, json_t *body, jm_buf_t *out)
{
    char job_key [JM_KEYS_MAX];
    const char *job = s_job_arg (self, body, job_key, out);
    if (!job)
        return;
    jm_results_state_t state;
    jm_buf_t members;
    jm_buf_init (&members);
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_results_read_summary (&self->reader, job, &state, &members, &err))
        s_read_error (self, &err, out);
    else {
        jm_buf_reset (out);
        jm_buf_puts (out, "{\"ok\":true,\"job\":");
        jm_buf_json_str (out, job);
        jm_buf_puts (out, ",");
        jm_buf_append (out, members.data, members.len);
        s_write_progress (out, &state);
        jm_buf_puts (out, "}");
    }
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
//  a record of the version asked (default the ranked one) or a later one,
//  and an entry in the ranking of that version.  Two round trips whatever
//  the count: the job's state, then one HGET per record and one ZMSCORE
//  (jm_results_read_held).
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
    const char *ids [JM_RESULTS_MAX_STORED];
    int count = s_candidate_ids (body, ids, out);
    if (count < 0)
        return;
    jm_results_state_t state;
    bool held [JM_RESULTS_MAX_STORED];
    if (jm_results_read_state (&self->reader, job, &state, &err)
    ||  jm_results_read_held (&self->reader, job, version ? version : state.ranked, ids,
                              (size_t) count, held, &err)) {
        s_read_error (self, &err, out);
        return;
    }
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"job\":");
    jm_buf_json_str (out, job);
    jm_buf_printf (out, ",\"version\":%lld,\"checked\":%d,\"missing\":[",
                   version ? version : state.ranked, count);
    int missing = 0;
    for (int i = 0; i < count; i++)
        if (!held [i])
            jm_buf_printf (out, missing++ ? ",%d" : "%d", i);
    jm_buf_puts (out, "]}");
}

typedef void (s_serve_fn) (jm_results_t *self, json_t *body, jm_buf_t *out);

void
jm_results_serve (jm_results_t *self, const void *data, size_t size, jm_buf_t *out)
{
    static const char * const ops [] = { "result", "rank", "candidate", "best", "summary", "stored",
                                         NULL };
    static s_serve_fn * const serve [] = { s_serve_result, s_serve_rank, s_serve_candidate,
                                           s_serve_best, s_serve_summary, s_serve_stored };
    jm_error_t err;
    jm_error_clear (&err);
    json_t *body = jm_body_parse (data, size, &err);
    const char *op = body ? jm_body_op (body, JM_RESULTS_SERVICE, ops, &err) : NULL;
    if (!op)
        jm_body_error (out, &err);
    for (size_t i = 0; op && ops [i]; i++)
        if (streq (op, ops [i]))
            serve [i] (self, body, out);
    json_decref (body);
}
