/*  matcher: the jobmatch worker loop.  See matcher.h.

    One turn of the loop handles a batch:

        drain requests  ->  parse + normalize  ->  one Redis lookup round trip
        ->  score the misses  ->  queue writes  ->  one Redis flush  ->  replies

    so Redis costs two round trips per batch whatever its size, and many
    single-candidate requests in flight share them.                         */
#include "matcher.h"
#include "jm_buf.h"
#include "jm_engine.h"
#include "jm_log.h"
#include "jm_mdp.h"
#include "jm_store.h"

#include <czmq.h>
#include <string.h>

#define MAX_BATCH_REQUESTS  1024
#define STATS_INTERVAL_MS   30000
#define STORE_TICK_MS       100

//  What the matcher knows of a job beyond the job itself: the strings that
//  go into fingerprints and rank keys
typedef struct {
    const jm_job_t *job;
    char version [16];
    char hash [17];             //  content hash, so an edited file is never served stale
} s_job_info_t;

//  One candidate position of a request
typedef struct {
    jm_candidate_t *candidate;  //  NULL when the candidate was bad
    jm_error_t error;
    char *id;                   //  the id when known, for error entries
    int first_item;             //  its items, one per job
} s_entry_t;

//  One (job, candidate) pair
typedef struct {
    const s_job_info_t *info;
    int entry;
    char fingerprint [64];
    bool cached;
    size_t offset, len;         //  result JSON in the batch arena
} s_item_t;

typedef struct {
    jm_mdp_request_t *request;
    jm_error_t error;           //  the whole request failed
    bool single;                //  {"candidate": ...} rather than {"candidates": [...]}
    int first_entry, entry_count;
} s_request_t;

struct _jm_matcher_t {
    zactor_t *actor;
    jm_engine_t *engine;
    jm_mdp_worker_t *worker;
    jm_store_t *store;
    int batch_max;
    s_job_info_t *jobs;         //  one per engine job, same order
    int job_count;
    //  the batch being handled, reused from turn to turn
    s_request_t *requests;
    s_entry_t *entries;
    size_t entry_count, entry_cap;
    s_item_t *items;
    size_t item_count, item_cap;
    jm_store_lookup_t *lookups;
    size_t lookup_cap;
    jm_buf_t arena;
    jm_buf_t reply;
    //  counters for the periodic log
    uint64_t requests_done, results_done, cached_done, errors_done;
    uint64_t last_requests, last_results, last_cached, last_errors;
};

static void
s_job_infos_build (jm_matcher_t *self)
{
    self->job_count = jm_engine_job_count (self->engine);
    self->jobs = calloc ((size_t) self->job_count, sizeof (s_job_info_t));
    assert (self->jobs);
    for (int i = 0; i < self->job_count; i++) {
        const jm_job_t *job = jm_engine_job_at (self->engine, i);
        s_job_info_t *info = &self->jobs [i];
        info->job = job;
        snprintf (info->version, sizeof info->version, "%d", jm_job_version (job));
        json_t *json = jm_job_to_json (job);
        char *text = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
        uint64_t hash = 1469598103934665603ULL;
        for (const char *p = text; *p; p++) {
            hash ^= (unsigned char) *p;
            hash *= 1099511628211ULL;
        }
        snprintf (info->hash, sizeof info->hash, "%016llx", (unsigned long long) hash);
        free (text);
        json_decref (json);
    }
}

static const s_job_info_t *
s_job_info (const jm_matcher_t *self, const char *id)
{
    const jm_job_t *job = jm_engine_job (self->engine, id);
    for (int i = 0; job && i < self->job_count; i++)
        if (self->jobs [i].job == job)
            return &self->jobs [i];
    return NULL;
}

static s_entry_t *
s_entry_add (jm_matcher_t *self)
{
    if (self->entry_count == self->entry_cap) {
        self->entry_cap = self->entry_cap ? self->entry_cap * 2 : 1024;
        self->entries = realloc (self->entries, self->entry_cap * sizeof (s_entry_t));
        assert (self->entries);
    }
    s_entry_t *entry = &self->entries [self->entry_count++];
    memset (entry, 0, sizeof *entry);
    return entry;
}

static s_item_t *
s_item_add (jm_matcher_t *self)
{
    if (self->item_count == self->item_cap) {
        self->item_cap = self->item_cap ? self->item_cap * 2 : 1024;
        self->items = realloc (self->items, self->item_cap * sizeof (s_item_t));
        assert (self->items);
    }
    s_item_t *item = &self->items [self->item_count++];
    memset (item, 0, sizeof *item);
    return item;
}

//  Parses the "jobs" member into infos; defaults to the default job.
static int
s_parse_jobs (jm_matcher_t *self, json_t *body, const s_job_info_t **infos, int *count,
              jm_error_t *err)
{
    json_t *jobs = json_object_get (body, "jobs");
    *count = 0;
    if (!jobs || json_is_null (jobs)) {
        infos [0] = s_job_info (self, JM_DEFAULT_JOB);
        if (!infos [0])
            return jm_error_set (err, JM_ERR_UNKNOWN_JOB, "the default job '%s' is not loaded", JM_DEFAULT_JOB);
        *count = 1;
        return 0;
    }
    if (!json_is_array (jobs) || json_array_size (jobs) == 0 || json_array_size (jobs) > JM_MATCH_MAX_JOBS)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "jobs must be an array of 1 to %d job ids", JM_MATCH_MAX_JOBS);
    size_t index;
    json_t *value;
    json_array_foreach (jobs, index, value) {
        if (!json_is_string (value))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "jobs[%zu] must be a string", index);
        const s_job_info_t *info = s_job_info (self, json_string_value (value));
        if (!info)
            return jm_error_set (err, JM_ERR_UNKNOWN_JOB, "jobs[%zu]: unknown job '%.128s'", index,
                                 json_string_value (value));
        bool seen = false;
        for (int i = 0; i < *count; i++)
            seen = seen || infos [i] == info;
        if (!seen)
            infos [(*count)++] = info;
    }
    return 0;
}

static void
s_add_candidate (jm_matcher_t *self, json_t *object, const s_job_info_t **infos, int job_count)
{
    s_entry_t *entry = s_entry_add (self);
    size_t entry_index = self->entry_count - 1;
    jm_error_clear (&entry->error);
    entry->candidate = jm_engine_candidate (self->engine, object, &entry->error);
    entry = &self->entries [entry_index];
    if (!entry->candidate) {
        json_t *id = json_object_get (object, "id");
        if (json_is_string (id))
            entry->id = strndup (json_string_value (id), 128);
        return;
    }
    char hex [17];
    jm_candidate_fingerprint_hex (entry->candidate, hex);
    entry->first_item = (int) self->item_count;
    for (int j = 0; j < job_count; j++) {
        s_item_t *item = s_item_add (self);
        item->info = infos [j];
        item->entry = (int) entry_index;
        snprintf (item->fingerprint, sizeof item->fingerprint, "%s:%.8s:%s:%s",
                  infos [j]->version, infos [j]->hash, JM_SCORER_VERSION, hex);
    }
}

//  Parses one request body into entries and items, or records its error.
static void
s_parse_request (jm_matcher_t *self, s_request_t *request)
{
    jm_error_clear (&request->error);
    request->first_entry = (int) self->entry_count;
    json_error_t json_error;
    json_t *body = json_loadb ((const char *) jm_mdp_request_data (request->request),
                               jm_mdp_request_size (request->request), 0, &json_error);
    if (!body) {
        jm_error_set_at (&request->error, JM_ERR_INVALID_JSON, json_error.line, json_error.column,
                         "%s (line %d, column %d)", json_error.text, json_error.line, json_error.column);
        return;
    }
    json_t *one = json_object_get (body, "candidate");
    json_t *many = json_object_get (body, "candidates");
    const s_job_info_t *infos [JM_MATCH_MAX_JOBS];
    int job_count = 0;
    if (!json_is_object (body))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "the body must be a JSON object");
    else
    if ((one != NULL) == (many != NULL))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST,
                      "the body needs exactly one of \"candidate\" (an object) or \"candidates\" (an array)");
    else
    if (one && !json_is_object (one))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "candidate must be an object");
    else
    if (many && !json_is_array (many))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "candidates must be an array");
    else
    if (json_array_size (many) > JM_MATCH_MAX_CANDIDATES)
        jm_error_set (&request->error, JM_ERR_TOO_LARGE, "%zu candidates: at most %d in one request",
                      json_array_size (many), JM_MATCH_MAX_CANDIDATES);
    else
    if (s_parse_jobs (self, body, infos, &job_count, &request->error) == 0) {
        if (one) {
            request->single = true;
            s_add_candidate (self, one, infos, job_count);
            s_entry_t *entry = &self->entries [self->entry_count - 1];
            if (!entry->candidate) {
                //  a single bad candidate fails the request
                request->error = entry->error;
                free (entry->id);
                self->entry_count--;
            }
        }
        else {
            size_t index;
            json_t *object;
            json_array_foreach (many, index, object)
                s_add_candidate (self, object, infos, job_count);
        }
    }
    request->entry_count = (int) self->entry_count - request->first_entry;
    json_decref (body);
}

static void
s_write_error_object (jm_buf_t *out, const jm_error_t *error)
{
    jm_buf_puts (out, "{\"code\":");
    jm_buf_json_str (out, error->code);
    jm_buf_puts (out, ",\"message\":");
    jm_buf_json_str (out, error->message);
    if (error->line > 0)
        jm_buf_printf (out, ",\"line\":%d,\"column\":%d", error->line, error->column);
    jm_buf_puts (out, "}");
}

//  Builds and sends the reply of one request.
static void
s_reply (jm_matcher_t *self, s_request_t *request, bool stored)
{
    jm_buf_t *out = &self->reply;
    jm_buf_reset (out);
    if (jm_error_is_set (&request->error)) {
        jm_buf_puts (out, "{\"ok\":false,\"error\":");
        s_write_error_object (out, &request->error);
        jm_buf_puts (out, "}");
        self->errors_done++;
    }
    else {
        jm_buf_puts (out, "{\"ok\":true,\"results\":[");
        bool first = true;
        for (int e = 0; e < request->entry_count; e++) {
            s_entry_t *entry = &self->entries [request->first_entry + e];
            if (!entry->candidate) {
                jm_buf_printf (out, "%s{\"position\":%d,\"candidate\":", first ? "" : ",", e);
                jm_buf_json_str (out, entry->id);
                jm_buf_puts (out, ",\"error\":");
                s_write_error_object (out, &entry->error);
                jm_buf_puts (out, "}");
                first = false;
                self->errors_done++;
                continue;
            }
            for (size_t i = (size_t) entry->first_item;
                 i < self->item_count && self->items [i].entry == request->first_entry + e; i++) {
                s_item_t *item = &self->items [i];
                if (!first)
                    jm_buf_puts (out, ",");
                //  the stored result, less its closing brace, plus how it was served
                jm_buf_append (out, self->arena.data + item->offset, item->len - 1);
                jm_buf_printf (out, ",\"cached\":%s,\"stored\":%s}", item->cached ? "true" : "false",
                               item->cached || stored ? "true" : "false");
                first = false;
                self->results_done++;
                self->cached_done += item->cached;
            }
        }
        jm_buf_puts (out, "]}");
    }
    jm_log_debug ("request: %d candidates, %zu bytes reply%s%s", request->entry_count, out->len,
                  jm_error_is_set (&request->error) ? ", error " : "", request->error.code);
    zframe_t *frame = zframe_new (out->data, out->len);
    jm_mdp_worker_reply (self->worker, &request->request, &frame);
    self->requests_done++;
}

//  Handles every request waiting, as one batch.
static void
s_handle_requests (jm_matcher_t *self)
{
    int request_count = 0;
    self->entry_count = 0;
    self->item_count = 0;
    jm_buf_reset (&self->arena);
    while (request_count < MAX_BATCH_REQUESTS && self->item_count < (size_t) self->batch_max) {
        jm_mdp_request_t *request = jm_mdp_worker_recv (self->worker);
        if (!request)
            break;
        s_request_t *slot = &self->requests [request_count++];
        memset (slot, 0, sizeof *slot);
        slot->request = request;
        s_parse_request (self, slot);
    }
    if (request_count == 0)
        return;
    //  one round trip: what is already in Redis for these exact profiles and job versions
    if (self->item_count > self->lookup_cap) {
        self->lookup_cap = self->item_count;
        self->lookups = realloc (self->lookups, self->lookup_cap * sizeof (jm_store_lookup_t));
        assert (self->lookups);
    }
    for (size_t i = 0; i < self->item_count; i++) {
        s_item_t *item = &self->items [i];
        self->lookups [i] = (jm_store_lookup_t) {
            .job = jm_job_id (item->info->job),
            .candidate = self->entries [item->entry].candidate->id,
            .fingerprint = item->fingerprint
        };
    }
    if (self->item_count)
        jm_store_lookup (self->store, self->lookups, self->item_count);
    //  score the misses and queue their writes
    size_t writes = 0;
    for (size_t i = 0; i < self->item_count; i++) {
        s_item_t *item = &self->items [i];
        const jm_candidate_t *candidate = self->entries [item->entry].candidate;
        item->offset = self->arena.len;
        if (self->lookups [i].hit) {
            item->cached = true;
            jm_buf_append (&self->arena, self->lookups [i].json, self->lookups [i].json_len);
            item->len = self->arena.len - item->offset;
            continue;
        }
        double score = jm_engine_score (self->engine, item->info->job, candidate, &self->arena);
        item->len = self->arena.len - item->offset;
        jm_store_result_t result = {
            .job = jm_job_id (item->info->job),
            .version = item->info->version,
            .candidate = candidate->id,
            .score = score,
            .fingerprint = item->fingerprint,
            .json = self->arena.data + item->offset,
            .json_len = item->len
        };
        jm_error_t err;
        jm_error_clear (&err);
        if (jm_store_write (self->store, &result, &err) == 0)
            writes++;
        else
            jm_log_warning ("result of candidate %.64s for job %s not stored: %s", candidate->id,
                            jm_job_id (item->info->job), err.message);
    }
    //  one round trip: every write of the batch
    bool stored = writes == 0 || (jm_store_flush (self->store) >= 0 && jm_store_pending (self->store) == 0);
    for (int r = 0; r < request_count; r++)
        s_reply (self, &self->requests [r], stored);
    for (size_t e = 0; e < self->entry_count; e++) {
        jm_candidate_destroy (&self->entries [e].candidate);
        free (self->entries [e].id);
    }
}

static void
s_log_stats (jm_matcher_t *self)
{
    if (self->requests_done == self->last_requests)
        return;
    jm_log_info ("last %d s: %llu requests, %llu results (%llu cached), %llu errors; redis %s, %zu writes pending",
                 STATS_INTERVAL_MS / 1000,
                 (unsigned long long) (self->requests_done - self->last_requests),
                 (unsigned long long) (self->results_done - self->last_results),
                 (unsigned long long) (self->cached_done - self->last_cached),
                 (unsigned long long) (self->errors_done - self->last_errors),
                 jm_store_connected (self->store) ? "up" : "down", jm_store_pending (self->store));
    self->last_requests = self->requests_done;
    self->last_results = self->results_done;
    self->last_cached = self->cached_done;
    self->last_errors = self->errors_done;
}

static void
s_matcher_actor (zsock_t *pipe, void *args)
{
    jm_matcher_t *self = args;
    zpoller_t *poller = zpoller_new (pipe, jm_mdp_worker_sock (self->worker), NULL);
    assert (poller);
    zsock_signal (pipe, 0);
    int64_t next_store_tick = zclock_mono () + STORE_TICK_MS;
    int64_t next_stats = zclock_mono () + STATS_INTERVAL_MS;
    while (true) {
        int timeout = jm_mdp_worker_tick (self->worker);
        int64_t until_store = next_store_tick - zclock_mono ();
        if (until_store < timeout)
            timeout = until_store > 0 ? (int) until_store : 0;
        void *which = zpoller_wait (poller, timeout);
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool terminate = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (terminate)
                break;
        }
        else
        if (which)
            s_handle_requests (self);
        else
        if (zpoller_terminated (poller))
            break;
        int64_t now = zclock_mono ();
        if (now >= next_store_tick) {
            jm_store_tick (self->store);
            next_store_tick = now + STORE_TICK_MS;
        }
        if (now >= next_stats) {
            s_log_stats (self);
            next_stats = now + STATS_INTERVAL_MS;
        }
    }
    zpoller_destroy (&poller);
}

jm_matcher_t *
jm_matcher_new (jm_config_t *config, jm_error_t *err)
{
    jm_matcher_t *self = calloc (1, sizeof *self);
    assert (self);
    const char *data = jm_config_string (config, "data");
    self->engine = jm_engine_new (*data ? data : NULL, err);
    if (!self->engine) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    s_job_infos_build (self);
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.key_namespace = jm_config_string (config, "namespace");
    options.result_ttl_ms = jm_config_int (config, "result-ttl-s") * 1000;
    const char *redis = jm_config_string (config, "redis-url");
    if (!*redis)
        redis = jm_config_string (config, "redis");
    self->store = jm_store_new (redis, &options, err);
    if (!self->store) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    int slots = (int) jm_config_int (config, "slots");
    const char *gateway = jm_config_string (config, "gateway");
    self->worker = jm_mdp_worker_new (gateway, JM_MATCH_SERVICE, slots, err);
    if (!self->worker) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    jm_mdp_worker_set_heartbeat (self->worker, (int) jm_config_int (config, "heartbeat-ms"),
                                 (int) jm_config_int (config, "liveness"));
    self->batch_max = (int) jm_config_int (config, "batch-max");
    self->requests = calloc (MAX_BATCH_REQUESTS, sizeof (s_request_t));
    assert (self->requests);
    jm_buf_init (&self->arena);
    jm_buf_init (&self->reply);
    jm_log_info ("serving %s for %s with %d slots; redis %s; taxonomy %s, %d jobs",
                 JM_MATCH_SERVICE, gateway, slots, jm_store_endpoint (self->store),
                 jm_taxonomy_version (jm_engine_taxonomy (self->engine)), self->job_count);
    self->actor = zactor_new (s_matcher_actor, self);
    assert (self->actor);
    return self;
}

void
jm_matcher_destroy (jm_matcher_t **self_p)
{
    assert (self_p);
    jm_matcher_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    if (self->store) {
        s_log_stats (self);
        jm_store_flush (self->store);
    }
    jm_mdp_worker_destroy (&self->worker);
    jm_store_destroy (&self->store);
    jm_engine_destroy (&self->engine);
    free (self->jobs);
    free (self->requests);
    free (self->entries);
    free (self->items);
    free (self->lookups);
    jm_buf_free (&self->arena);
    jm_buf_free (&self->reply);
    free (self);
    *self_p = NULL;
}
