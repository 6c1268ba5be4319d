/*  reader: read-only views straight from Redis.  See reader.h.

    Here: the reader connections, jobs (the registry hash, or the built-in
    files before a registry exists), one result, a candidate's results and
    a job's summary.  The ranking page and its search are in reader_rank.c.
    Each view reads the job's registry hash (which version readers are
    shown, a re-scoring in progress) and then the keys of that version.   */
#include "reader.h"
#include "reader_private.h"
#include "jm_keys.h"
#include "jm_score.h"
#include "jm_log.h"
#include "jm_store.h"
#include "jm_alloc.h"
#include "jm_results_read.h"
#include "jm_recompute.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



//  --------------------------------------------------------------------------
//  Redis

//  Runs calls on a free reader connection (waiting for one when every
//  HTTP thread holds one), reconnecting first when it lost Redis.  Returns
//  0, or -1 with err set (io_error).
int
jm_reader_run (jm_app_t *app, jm_store_calls_t *calls, jm_error_t *err)
{
    pthread_mutex_lock (&app->store_lock);
    int index;
    while (true) {
        for (index = 0; index < app->reader_count && app->reader_busy [index]; index++)
            ;
        if (index < app->reader_count)
            break;
        pthread_cond_wait (&app->reader_free, &app->store_lock);
    }
    app->reader_busy [index] = true;
    pthread_mutex_unlock (&app->store_lock);

    jm_store_t *store = app->readers [index];
    if (!jm_store_connected (store))
        jm_store_tick (store);
    int rc = jm_store_run (store, calls);

    pthread_mutex_lock (&app->store_lock);
    app->reader_busy [index] = false;
    pthread_cond_signal (&app->reader_free);
    pthread_mutex_unlock (&app->store_lock);
    if (rc) {
        atomic_fetch_add (&app->read_failures, 1);
        return jm_error_set (err, JM_ERR_IO, "Redis (%s) is not available", jm_store_endpoint (store));
    }
    return 0;
}

const jm_keys_t *
jm_reader_keys (jm_app_t *app)
{
    return jm_store_keys (app->store);
}

//  An integer reply (or decimal string), else fallback.
long long
jm_reader_int (const jm_reply_t *reply, long long fallback)
{
    long long value;
    return reply && jm_reply_int (reply, &value)? value: fallback;
}

//  Parses a string reply as JSON; NULL when it is not one.
json_t *
jm_reader_json (const jm_reply_t *reply)
{
    if (!reply || reply->type != JM_REPLY_STRING)
        return NULL;
    return json_loadb (reply->str, reply->len, 0, NULL);
}

//  --------------------------------------------------------------------------
//  Jobs

json_t *
jm_reader_builtin_jobs (const char *data_dir)
{
    json_t *jobs = json_object ();
    char folder [PATH_MAX];
    snprintf (folder, sizeof folder, "%s/jobs", data_dir? data_dir: ".");
    DIR *dir = opendir (folder);
    if (!dir)
        return jobs;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len < 6 || strcmp (entry->d_name + len - 5, ".json") != 0)
            continue;
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", folder, entry->d_name);
        json_t *job = json_load_file (path, 0, NULL);
        const char *id = json_string_value (json_object_get (job, "id"));
        if (id)
            json_object_set (jobs, id, job);
        json_decref (job);
    }
    closedir (dir);
    return jobs;
}

void
jm_reader_job_free (jm_reader_job_t *self)
{
    json_decref (self->job);
    json_decref (self->rescoring);
    memset (self, 0, sizeof *self);
}

//  Adds the commands that read a job's hash (one HMGET) to calls.
//  Returns -1 with err set when the id is invalid.
int
jm_reader_job_ask (jm_app_t *app, jm_store_calls_t *calls, const char *job, jm_error_t *err)
{
    char key [JM_READER_KEY_MAX];
    if (jm_keys_job (jm_reader_keys (app), job, key, sizeof key, err) < 0)
        return -1;
    jm_store_calls_addv (calls, "HMGET", key, "json", "version", "ranked", "rescore_version",
                         "rescore_total", "rescore_done", NULL);
    return 0;
}

//  Fills self from the HMGET reply of jm_reader_job_ask.  legacy: the registry does
//  not exist yet, so the built-in files count.  Returns 0, or -1 when there
//  is no such job.
int
jm_reader_job_take (jm_app_t *app, jm_reader_job_t *self, const char *job, const jm_reply_t *reply, bool legacy)
{
    memset (self, 0, sizeof *self);
    json_t *stored = jm_reader_json (jm_reply_item (reply, 0));
    if (json_is_object (stored)) {
        self->job = stored;
        self->version = (int) jm_reader_int (jm_reply_item (reply, 1), 1);
        self->ranked = (int) jm_reader_int (jm_reply_item (reply, 2), self->version);
        long long rescore = jm_reader_int (jm_reply_item (reply, 3), 0);
        self->rescoring = rescore
            ? json_pack ("{s:I, s:I, s:I}", "version", (json_int_t) rescore,
                         "done", (json_int_t) jm_reader_int (jm_reply_item (reply, 5), 0),
                         "total", (json_int_t) jm_reader_int (jm_reply_item (reply, 4), 0))
            : json_null ();
    }
    else {
        json_decref (stored);
        json_t *builtin = legacy? json_object_get (app->builtin_jobs, job): NULL;
        if (!builtin)
            return -1;
        self->job = json_deep_copy (builtin);
        self->version = self->ranked = 1;
        self->rescoring = json_null ();
    }
    json_object_set_new (self->job, "id", json_string (job));
    json_object_set_new (self->job, "version", json_integer (self->version));
    snprintf (self->ranked_text, sizeof self->ranked_text, "%d", self->ranked);
    return 0;
}

//  Adds EXISTS <ns>:jobs <ns>:jobs:seeded: 0 means no registry yet.
void
jm_reader_registry_ask (jm_app_t *app, jm_store_calls_t *calls)
{
    char jobs [JM_READER_KEY_MAX], seeded [JM_READER_KEY_MAX];
    jm_keys_jobs (jm_reader_keys (app), jobs, sizeof jobs, NULL);
    jm_keys_jobs_seeded (jm_reader_keys (app), seeded, sizeof seeded, NULL);
    jm_store_calls_addv (calls, "EXISTS", jobs, seeded, NULL);
}

//  Reads one job.  Returns 0, or -1 with err set (unknown_job, io_error,
//  invalid_request).
int
jm_reader_job_load (jm_app_t *app, const char *job, jm_reader_job_t *self, jm_error_t *err)
{
    jm_store_calls_t *calls = jm_store_calls_new ();
    int rc = -1;
    if (jm_reader_job_ask (app, calls, job, err) == 0) {
        jm_reader_registry_ask (app, calls);
        if (jm_reader_run (app, calls, err) == 0) {
            bool legacy = jm_reader_int (jm_store_calls_reply (calls, 1), 1) == 0;
            rc = jm_reader_job_take (app, self, job, jm_store_calls_reply (calls, 0), legacy);
            if (rc)
                jm_error_set (err, JM_ERR_UNKNOWN_JOB, "no job '%s'", job);
        }
    }
    jm_store_calls_destroy (&calls);
    return rc;
}

int
jm_reader_rank_range (jm_app_t *app, const char *job, const jm_reader_job_t *state,
                      const char *band, double min_score, jm_keys_range_t *range, jm_error_t *err)
{
    return jm_keys_rank_range (jm_reader_keys (app), job, state->ranked_text, band, min_score,
                               range, err);
}

//  The ids of every job, sorted, in a new array.  Returns NULL with err set.
static json_t *
s_job_ids (jm_app_t *app, bool *legacy_p, jm_error_t *err)
{
    char key [JM_READER_KEY_MAX];
    jm_keys_jobs (jm_reader_keys (app), key, sizeof key, NULL);
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_addv (calls, "SMEMBERS", key, NULL);
    jm_reader_registry_ask (app, calls);
    json_t *ids = NULL;
    if (jm_reader_run (app, calls, err) == 0) {
        ids = json_array ();
        bool legacy = jm_reader_int (jm_store_calls_reply (calls, 1), 1) == 0;
        if (legacy) {
            const char *id;
            json_t *value;
            json_object_foreach (app->builtin_jobs, id, value)
                json_array_append_new (ids, json_string (id));
        }
        else {
            const jm_reply_t *members = jm_store_calls_reply (calls, 0);
            for (size_t index = 0; members && index < members->count; index++)
                if (members->items [index].type == JM_REPLY_STRING)
                    json_array_append_new (ids, json_stringn (members->items [index].str,
                                                              members->items [index].len));
        }
        if (legacy_p)
            *legacy_p = legacy;
    }
    jm_store_calls_destroy (&calls);
    if (!ids)
        return NULL;
    //  sort by id (byte order)
    size_t count = json_array_size (ids);
    for (size_t done = 1; done < count; done++)
        for (size_t index = done; index > 0; index--) {
            const char *left = json_string_value (json_array_get (ids, index - 1));
            const char *right = json_string_value (json_array_get (ids, index));
            if (!left || !right || strcmp (left, right) <= 0)
                break;
            json_t *swap = json_incref (json_array_get (ids, index - 1));
            json_array_set (ids, index - 1, json_array_get (ids, index));
            json_array_set_new (ids, index, swap);
        }
    return ids;
}

json_t *
jm_reader_jobs (jm_app_t *app, jm_error_t *err)
{
    bool legacy = false;
    json_t *ids = s_job_ids (app, &legacy, err);
    if (!ids)
        return NULL;
    size_t count = json_array_size (ids);
    json_t *list = json_array ();
    jm_store_calls_t *calls = jm_store_calls_new ();
    for (size_t index = 0; index < count; index++)
        if (jm_reader_job_ask (app, calls, json_string_value (json_array_get (ids, index)), NULL))
            jm_store_calls_addv (calls, "PING", NULL);      //  keeps indexes aligned
    jm_reader_job_t *jobs = jm_calloc (count + 1, sizeof (jm_reader_job_t));
    bool *known = jm_calloc (count + 1, sizeof (bool));
    if (count && jm_reader_run (app, calls, err)) {
        json_decref (list);
        list = NULL;
        goto done;
    }
    //  then every shown ranking's size
    jm_store_calls_t *sizes = jm_store_calls_new ();
    for (size_t index = 0; index < count; index++) {
        const char *id = json_string_value (json_array_get (ids, index));
        known [index] = jm_reader_job_take (app, &jobs [index], id, jm_store_calls_reply (calls, index), legacy) == 0;
        jm_keys_range_t ranking;
        if (known [index] && jm_reader_rank_range (app, id, &jobs [index], NULL, NAN, &ranking, NULL) == 0)
            jm_store_calls_addv (sizes, "ZCARD", ranking.key, NULL);
        else
            jm_store_calls_addv (sizes, "PING", NULL);
    }
    if (count && jm_reader_run (app, sizes, err)) {
        json_decref (list);
        list = NULL;
    }
    for (size_t index = 0; list && index < count; index++) {
        if (!known [index])
            continue;           //  deleted between the two reads
        jm_reader_job_t *job = &jobs [index];
        json_t *title = json_object_get (job->job, "title");
        json_array_append_new (list, json_pack ("{s:O, s:O, s:i, s:I, s:I, s:i, s:O}",
            "id", json_array_get (ids, index), "title", title? title: json_null (),
            "version", job->version,
            "requirements", (json_int_t) json_array_size (json_object_get (job->job, "requirements")),
            "candidates", (json_int_t) jm_reader_int (jm_store_calls_reply (sizes, index), 0),
            "ranked_version", job->ranked, "rescoring", job->rescoring));
    }
    jm_store_calls_destroy (&sizes);
done:
    for (size_t index = 0; index < count; index++)
        jm_reader_job_free (&jobs [index]);
    free (jobs);
    free (known);
    jm_store_calls_destroy (&calls);
    json_decref (ids);
    return list? json_pack ("{s:o}", "jobs", list): NULL;
}

json_t *
jm_reader_job (jm_app_t *app, const char *job, jm_error_t *err)
{
    jm_reader_job_t state;
    if (jm_reader_job_load (app, job, &state, err))
        return NULL;
    json_t *reply = json_pack ("{s:O, s:i, s:O}", "job", state.job, "ranked_version", state.ranked,
                               "rescoring", state.rescoring);
    jm_reader_job_free (&state);
    return reply;
}

//  --------------------------------------------------------------------------
//  Results

//  True when job is a built-in job (the time before a registry exists).
static bool
s_builtin (void *arg, const char *job)
{
    jm_app_t *app = arg;
    return json_object_get (app->builtin_jobs, job) != NULL;
}

//  Runs calls for the read path on a reader connection.
static int
s_run (void *arg, jm_store_calls_t *calls, jm_error_t *err)
{
    return jm_reader_run (arg, calls, err);
}

//  Each request thread keeps its own recompute object (they are not
//  thread-safe), so a thread explaining results of one job parses the job
//  once, as the matcher does; freed when the thread ends.
static pthread_key_t s_recompute_key;
static pthread_once_t s_recompute_once = PTHREAD_ONCE_INIT;

typedef struct {
    const jm_taxonomy_t *taxonomy;
    jm_recompute_t *recompute;
} s_thread_recompute_t;

static void
s_thread_recompute_free (void *arg)
{
    s_thread_recompute_t *kept = arg;
    jm_recompute_destroy (&kept->recompute);
    free (kept);
}

static void
s_recompute_key_make (void)
{
    int rc = pthread_key_create (&s_recompute_key, s_thread_recompute_free);
    assert (rc == 0);
    (void) rc;
}

//  This thread's recompute object over taxonomy.
static jm_recompute_t *
s_thread_recompute (const jm_taxonomy_t *taxonomy)
{
    pthread_once (&s_recompute_once, s_recompute_key_make);
    s_thread_recompute_t *kept = pthread_getspecific (s_recompute_key);
    if (!kept) {
        kept = jm_calloc (1, sizeof *kept);
        pthread_setspecific (s_recompute_key, kept);
    }
    if (kept->taxonomy != taxonomy) {
        jm_recompute_destroy (&kept->recompute);
        kept->recompute = jm_recompute_new (taxonomy);
        kept->taxonomy = taxonomy;
    }
    return kept->recompute;
}

jm_results_reader_t
jm_reader_path (jm_app_t *app)
{
    return (jm_results_reader_t) { jm_reader_keys (app), s_run, app, s_builtin, app->taxonomy,
                                   s_thread_recompute (app->taxonomy) };
}

json_t *
jm_reader_result (jm_app_t *app, const char *job, const char *candidate, jm_error_t *err)
{
    jm_results_reader_t reader = jm_reader_path (app);
    char *json = NULL;
    size_t len = 0;
    if (jm_results_read_result (&reader, job, candidate, JM_DETAIL_FULL, &json, &len, err))
        return NULL;
    json_t *result = json_loadb (json, len, 0, NULL);
    free (json);
    if (json_is_object (result))
        return json_pack ("{s:o}", "result", result);
    json_decref (result);
    jm_error_set (err, JM_ERR_NOT_FOUND, "no result for candidate '%s' and job '%s'", candidate, job);
    return NULL;
}

//  Appends one found result to the array arg.
static void
s_found (void *arg, size_t index, const char *json, size_t len)
{
    json_t *result = json_loadb (json, len, 0, NULL);
    if (json_is_object (result))
        json_array_append (arg, result);
    json_decref (result);
}

json_t *
jm_reader_candidate (jm_app_t *app, const char *candidate, jm_error_t *err)
{
    if (jm_keys_check_id ("candidate", candidate, err))
        return NULL;
    json_t *ids = s_job_ids (app, NULL, err);
    if (!ids)
        return NULL;
    size_t count = json_array_size (ids);
    const char **jobs = jm_calloc (count + 1, sizeof (char *));
    for (size_t index = 0; index < count; index++)
        jobs [index] = json_string_value (json_array_get (ids, index));
    jm_results_reader_t reader = jm_reader_path (app);
    json_t *results = json_array ();
    json_t *reply = NULL;
    if (jm_results_read_candidate (&reader, candidate, jobs, count, JM_DETAIL_FULL, s_found,
                                   results, err) == 0)
        reply = json_pack ("{s:s, s:O}", "candidate", candidate, "results", results);
    json_decref (results);
    free (jobs);
    json_decref (ids);
    return reply;
}

//  --------------------------------------------------------------------------
//  Summary

//  A job's re-scoring progress as the replies show it: null or
//  {"version", "done", "total"}.
json_t *
jm_reader_progress (const jm_results_state_t *state)
{
    return state->rescore_version
        ? json_pack ("{s:I, s:I, s:I}", "version", (json_int_t) state->rescore_version,
                     "done", (json_int_t) state->rescore_done,
                     "total", (json_int_t) state->rescore_total)
        : json_null ();
}

//  The bands as the page draws them: jm_bands, best first, with the
//  histogram's bin width.
static json_t *
s_band_table (void)
{
    json_t *bands = json_array ();
    for (int band = 0; band < JM_BAND_COUNT; band++)
        json_array_append_new (bands, json_pack ("{s:s, s:f, s:b}", "name", jm_bands [band].name,
                                                 "min", jm_bands [band].min,
                                                 "all_required", jm_bands [band].all_required));
    return json_pack ("{s:o, s:i}", "bands", bands, "bin_width", JM_SCORE_BIN_WIDTH);
}

json_t *
jm_reader_summary (jm_app_t *app, const char *job, jm_error_t *err)
{
    jm_results_reader_t reader = jm_reader_path (app);
    jm_results_state_t state;
    jm_buf_t text;
    jm_buf_init (&text);
    jm_buf_puts (&text, "{");
    json_t *reply = NULL;
    if (jm_results_read_summary (&reader, job, &state, &text, err) == 0) {
        jm_buf_puts (&text, "}");
        reply = json_loadb (text.data, text.len, 0, NULL);
        assert (reply);                 //  jm_summary_read writes valid JSON
        json_object_set_new (reply, "job", json_string (job));
        json_object_set_new (reply, "rescoring", jm_reader_progress (&state));
        json_object_set_new (reply, "band_table", s_band_table ());
    }
    jm_buf_free (&text);
    return reply;
}
