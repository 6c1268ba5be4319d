/*  matcher: the jobmatch worker loop.  See matcher.h.

    One turn of the loop handles a batch:

        drain requests  ->  parse + normalize  ->  one Redis lookup round trip
        ->  write the replies, scoring the misses into place  ->  queue writes
        ->  one Redis flush  ->  replies

    so Redis costs two round trips per batch, and many single-candidate
    requests in flight share them.  The lookup's answers are read item by
    item as the replies are written (jm_store_lookup_next): each hit is
    copied into its reply, each miss scored straight into its reply, from
    where the store copies it into its write.  So a result exists once in
    the matcher, and a big reply is lent to libzmq, not copied
    (reply_buffer.h).  A request asking less than the whole breakdown
    ("detail", jm_detail.h) gets each hit cut from the stored JSON and
    each miss written at that detail, while the miss's full JSON, the one
    stored, waits aside until its write is queued.  Every FLUSH_EVERY
    results are queued as one write (jm_store_write_many: one ranking
    command per set for all of them) and
    sent ahead without waiting (jm_store_send) once the lookup's answers are
    all read: Redis stores them while the next ones are scored.  The
    replies are written as if stored; when another request is already
    waiting, they are held (s_finish_replies) until that batch is parsed,
    then flushed and sent; else flushed and sent at once.  So under
    load Redis stores one batch while the next is parsed.  Each new profile
    is stored with the batch's writes (for re-scoring), and a guard per job
    follows them (registry.h).  Each turn also serves jobmatch.jobs and
    jobmatch.results when they have input (never starved by a busy match
    service), polls the registry, and when nothing waits, re-scores one
    chunk of a changed job.  While Redis cannot take the writes, they wait
    in the store, and the matcher offers the gateway fewer slots as they
    grow, none at --redis-pending-max-mb (s_update_slots); of big requests
    it takes two at a time (one served, the next waiting).                 */
#include "matcher.h"
#include "body.h"
#include "registry.h"
#include "reply_buffer.h"
#include "rescore.h"
#include "results.h"
#include "stats.h"
#include "jm_buf.h"
#include "jm_detail.h"
#include "jm_engine.h"
#include "jm_gateways.h"
#include "jm_json.h"
#include "jm_log.h"
#include "jm_mdp.h"
#include "jm_probe.h"
#include "jm_profile_pack.h"
#include "jm_prom.h"
#include "jm_store.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <string.h>

#define MAX_BATCH_REQUESTS  1024
#define STATS_INTERVAL_MS   30000
#define STORE_TICK_MS       100
#define METRICS_MS          1000        //  how often /metrics and /readyz are published
#define SERVICE_SLOTS       16          //  jobmatch.jobs and jobmatch.results requests held
#define RESCORE_BUSY_MS     250         //  under load, still one re-scoring chunk this often
#define FLUSH_EVERY         64          //  result writes held before they are sent ahead
                                        //  (about 0.5 MB; two such at most are held)
#define HELD_BODIES_MAX     (1u << 20)  //  request bytes taken on at once, about (two at
                                        //  least: one served, the next one waiting)

typedef jm_registry_job_t s_job_info_t;

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
    bool refresh;               //  scored and stored even when cached ("refresh": true)
    bool cached;
    bool aside;                 //  new, full JSON in self->aside: the reply holds less
    size_t offset, len;         //  new: its full JSON in the reply buffer, where the
                                //  reply goes on after all but its closing brace
                                //  (or in self->aside)
} s_item_t;

typedef struct {
    jm_mdp_request_t *request;
    jm_error_t error;           //  the whole request failed
    bool single;                //  {"candidate": ...} rather than {"candidates": [...]}
    jm_detail_t detail;         //  how much of each result its reply carries
    int first_entry, entry_count;
    size_t reply_offset;        //  where its reply starts in the reply buffer
} s_request_t;

typedef struct {
    jm_mdp_request_t *request;
    size_t offset, size;        //  the reply in the batch's reply buffer
    int entry_count;
    bool error;
} s_held_reply_t;

//  The store writes of a batch while its replies are written
typedef struct {
    size_t queued;              //  results queued for the store
    size_t scored;              //  scored and not yet queued (self->write_*)
    int profile_entry;          //  the entry whose profile was queued last
} s_writes_t;

struct _jm_matcher_t {
    zactor_t *actor;
    jm_engine_t *engine;
    //  one connection per gateway and service: a request is replied to on
    //  the connection it came on (jm_mdp_request_worker)
    int gateway_count;
    jm_mdp_worker_t *workers [JM_GATEWAYS_MAX];         //  jobmatch.match
    jm_mdp_worker_t *jobs_workers [JM_GATEWAYS_MAX];    //  jobmatch.jobs
    jm_mdp_worker_t *results_workers [JM_GATEWAYS_MAX]; //  jobmatch.results
    int recv_turn;                      //  the gateway drained first next time
    jm_store_t *store;
    jm_registry_t *registry;
    jm_rescore_t *rescore;
    jm_results_t *results;
    jm_stats_t *stats;                  //  counters published to Redis
    int stats_ms;                       //  every stats_ms
    int batch_max;
    const char **guard_ids;     //  candidate ids of one job's writes in a batch
    size_t guard_cap;
    jm_buf_t profile;
    jm_json_doc_t *doc;         //  the request being parsed, reused
    jm_json_doc_t *cut_doc;     //  a cached result cut to the detail asked, reused
    jm_buf_t aside;             //  the full JSON of new results whose replies hold
                                //  less, until their write is queued (s_write_results)
    bool unknown_job_seen;      //  a request of this batch named a job not (yet) known
    //  the batch being handled, reused from turn to turn
    s_request_t *requests;
    s_entry_t *entries;
    size_t entry_count, entry_cap;
    s_item_t *items;
    size_t item_count, item_cap;
    jm_store_lookup_t *lookups;
    size_t lookup_cap;
    jm_buf_t reply;                     //  a jobmatch.jobs or jobmatch.results reply
    //  results scored and not yet queued: written FLUSH_EVERY at a time
    jm_store_result_t write_results [FLUSH_EVERY];
    size_t write_items [FLUSH_EVERY];           //  their items
    char write_required [FLUSH_EVERY][24];      //  "5 of 7"
    jm_buf_t write_missing [FLUSH_EVERY];       //  labels missed, for the kept summary
    jm_error_t write_errors [FLUSH_EVERY];
    //  the replies of the last batch, built as if its writes were stored,
    //  held until the flush says so; and a request received ahead
    s_held_reply_t *held;
    int held_count;
    reply_buffer_t *outs [2];           //  the replies of a batch (reply_buffer.h)
    int out;                            //  the last batch's, in outs
    bool held_writes;
    jm_mdp_request_t *next;
    //  backpressure: the slots announced, and those offered now (s_update_slots)
    int slots;
    int slots_now;
    size_t body_size;                   //  the mean request body of the last batch
    int64_t full_since;                 //  monotonic ms the slots went to 0, or 0
    //  counters for the periodic log
    uint64_t requests_done, results_done, cached_done, errors_done, rescored_done;
    uint64_t last_requests, last_results, last_cached, last_errors, last_rescored;
    //  --metrics-listen (NULL: off), and the latency of each service's requests
    jm_probe_t *probe;
    jm_prom_histogram_t latency_match, latency_jobs, latency_results;
};

static const s_job_info_t *
s_job_info (const jm_matcher_t *self, const char *id)
{
    return jm_registry_find (self->registry, id);
}

static s_entry_t *
s_entry_add (jm_matcher_t *self)
{
    if (self->entry_count == self->entry_cap) {
        self->entry_cap = self->entry_cap ? self->entry_cap * 2 : 1024;
        self->entries = jm_realloc (self->entries, self->entry_cap * sizeof (s_entry_t));
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
        self->items = jm_realloc (self->items, self->item_cap * sizeof (s_item_t));
    }
    s_item_t *item = &self->items [self->item_count++];
    memset (item, 0, sizeof *item);
    return item;
}

//  Parses the "jobs" member into infos; defaults to the default job.
static int
s_parse_jobs (jm_matcher_t *self, const jm_json_t *body, const s_job_info_t **infos, int *count,
              jm_error_t *err)
{
    const jm_json_t *jobs = jm_json_get (body, "jobs");
    *count = 0;
    if (!jobs || jm_json_is_null (jobs)) {
        infos [0] = s_job_info (self, JM_DEFAULT_JOB);
        if (!infos [0])
            return jm_error_set (err, JM_ERR_UNKNOWN_JOB, "the default job '%s' is not loaded", JM_DEFAULT_JOB);
        *count = 1;
        return 0;
    }
    if (!jm_json_is_array (jobs) || jobs->count == 0 || jobs->count > JM_MATCH_MAX_JOBS)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "jobs must be an array of 1 to %d job ids", JM_MATCH_MAX_JOBS);
    const jm_json_t *value = jm_json_first (jobs);
    for (size_t index = 0; index < jobs->count; index++, value = jm_json_skip (value)) {
        if (!jm_json_is_string (value))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "jobs[%zu] must be a string", index);
        const s_job_info_t *info = s_job_info (self, value->string);
        self->unknown_job_seen |= !info;
        if (!info)
            return jm_error_set (err, JM_ERR_UNKNOWN_JOB, "jobs[%zu]: unknown job '%.128s'", index,
                                 value->string);
        bool seen = false;
        for (int i = 0; i < *count; i++)
            seen = seen || infos [i] == info;
        if (!seen)
            infos [(*count)++] = info;
    }
    return 0;
}

static void
s_add_candidate (jm_matcher_t *self, const jm_json_t *object, const s_job_info_t **infos,
                 int job_count, bool refresh)
{
    s_entry_t *entry = s_entry_add (self);
    size_t entry_index = self->entry_count - 1;
    jm_error_clear (&entry->error);
    const jm_json_t *id = jm_json_get (object, "id");
    if (jm_json_is_object (object) && !jm_json_is_string (id))
        //  as jobmatch.jobs and jobmatch.results: an id is a string, never a number
        jm_error_set (&entry->error, JM_ERR_INVALID_REQUEST,
                      "candidate id must be a string of 1 to %d bytes", JM_CANDIDATE_ID_MAX);
    else
        entry->candidate = jm_engine_candidate_value (self->engine, object, &entry->error);
    entry = &self->entries [entry_index];
    if (!entry->candidate) {
        if (jm_json_is_string (id))
            entry->id = jm_strndup (id->string, 128);
        return;
    }
    entry->first_item = (int) self->item_count;
    for (int j = 0; j < job_count; j++) {
        s_item_t *item = s_item_add (self);
        item->info = infos [j];
        item->entry = (int) entry_index;
        item->refresh = refresh;
        jm_registry_fingerprint (infos [j], entry->candidate, item->fingerprint);
    }
}

//  True when an object has a key twice: pairwise for a few keys, a hash
//  table for many (so a hostile object of 100,000 keys costs no more).
static bool
s_object_has_duplicate (const jm_json_t *object, const char **duplicate)
{
    const jm_json_t *key = jm_json_first (object);
    if (object->count <= 16) {
        for (uint32_t i = 0; i < object->count; i++, key = jm_json_skip (key + 1))
            for (const jm_json_t *other = jm_json_skip (key + 1); other < object + object->size;
                 other = jm_json_skip (other + 1))
                if (other->count == key->count && memcmp (other->string, key->string, key->count) == 0) {
                    *duplicate = key->string;
                    return true;
                }
        return false;
    }
    zhashx_t *seen = zhashx_new ();
    bool found = false;
    for (uint32_t i = 0; i < object->count && !found; i++, key = jm_json_skip (key + 1))
        if (zhashx_insert (seen, key->string, (void *) key) != 0) {
            *duplicate = key->string;
            found = true;
        }
    zhashx_destroy (&seen);
    return found;
}

//  Refuses a body with a key twice in any object, as jansson does for
//  jobmatch.jobs and jobmatch.results (JSON_REJECT_DUPLICATES): the error
//  names the key and the candidate it is in.  Returns 0, or -1 with err set.
static int
s_check_duplicate_keys (const jm_json_t *body, const jm_json_t *one, const jm_json_t *many,
                        jm_error_t *err)
{
    for (const jm_json_t *value = body; jm_json_is_object (body) && value < body + body->size;
         value++) {
        const char *duplicate = NULL;
        if (!jm_json_is_object (value) || !s_object_has_duplicate (value, &duplicate))
            continue;
        char where [48] = "the body";
        if (one && value >= one && value < one + one->size)
            snprintf (where, sizeof where, "candidate");
        else
        if (jm_json_is_array (many) && value > many && value < many + many->size) {
            const jm_json_t *member = jm_json_first (many);
            size_t index = 0;
            while (value >= jm_json_skip (member)) {
                member = jm_json_skip (member);
                index++;
            }
            snprintf (where, sizeof where, "candidates[%zu]", index);
        }
        return jm_error_set (err, JM_ERR_INVALID_JSON, "duplicate object key \"%.64s\" in %s",
                             duplicate, where);
    }
    return 0;
}

//  Parses one request body into entries and items, or records its error.
static void
s_parse_request (jm_matcher_t *self, s_request_t *request)
{
    jm_error_clear (&request->error);
    request->first_entry = (int) self->entry_count;
    const jm_json_t *body = jm_json_doc_parse (self->doc,
                                               (const char *) jm_mdp_request_data (request->request),
                                               jm_mdp_request_size (request->request), &request->error);
    if (!body)
        return;
    const jm_json_t *one = jm_json_get (body, "candidate");
    const jm_json_t *many = jm_json_get (body, "candidates");
    const jm_json_t *refresh = jm_json_get (body, "refresh");
    if (s_check_duplicate_keys (body, one, many, &request->error))
        return;
    const s_job_info_t *infos [JM_MATCH_MAX_JOBS];
    int job_count = 0;
    if (!jm_json_is_object (body))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "the body must be a JSON object");
    else
    if ((one != NULL) == (many != NULL))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST,
                      "the body needs exactly one of \"candidate\" (an object) or \"candidates\" (an array)");
    else
    if (one && !jm_json_is_object (one))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "candidate must be an object");
    else
    if (many && !jm_json_is_array (many))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "candidates must be an array");
    else
    if (refresh && !jm_json_is (refresh, JM_JSON_TRUE) && !jm_json_is (refresh, JM_JSON_FALSE))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "refresh must be true or false");
    else
    if (jm_detail_parse_json (jm_json_get (body, "detail"), JM_DETAIL_DEFAULT, &request->detail,
                              &request->error))
        ;   //  the error says which values detail takes
    else
    if (jm_json_count (many) > JM_MATCH_MAX_CANDIDATES)
        jm_error_set (&request->error, JM_ERR_TOO_LARGE, "%zu candidates: at most %d in one request",
                      jm_json_count (many), JM_MATCH_MAX_CANDIDATES);
    else
    if (s_parse_jobs (self, body, infos, &job_count, &request->error) == 0) {
        if (one) {
            request->single = true;
            s_add_candidate (self, one, infos, job_count, jm_json_is (refresh, JM_JSON_TRUE));
            s_entry_t *entry = &self->entries [self->entry_count - 1];
            if (!entry->candidate) {
                //  a single bad candidate fails the request
                request->error = entry->error;
                free (entry->id);
                self->entry_count--;
            }
        }
        else {
            const jm_json_t *object = jm_json_first (many);
            for (size_t index = 0; index < many->count; index++, object = jm_json_skip (object))
                s_add_candidate (self, object, infos, job_count,
                                 jm_json_is (refresh, JM_JSON_TRUE));
        }
    }
    request->entry_count = (int) self->entry_count - request->first_entry;
}

//  How a result was served, closing its object: appended to each stored
//  result (less its '}') in a reply
enum { SERVED_UNSTORED, SERVED_STORED, SERVED_CACHED };
static const char *s_served [] = {
    ",\"cached\":false,\"stored\":false}", ",\"cached\":false,\"stored\":true}",
    ",\"cached\":true,\"stored\":true}"
};

static void s_score_item (jm_matcher_t *self, size_t i, jm_detail_t detail, jm_buf_t *out,
                          s_writes_t *writes);

//  Copies a cached result into the reply, cut to the detail asked (the
//  store holds the full JSON), less its closing brace.  False when the
//  stored text is no result (then out is as it was: it is scored again).
static bool
s_copy_cached (jm_matcher_t *self, const jm_store_lookup_t *lookup, jm_detail_t detail,
               jm_buf_t *out)
{
    if (detail == JM_DETAIL_FULL) {
        jm_buf_append (out, lookup->json, lookup->json_len - 1);
        return true;
    }
    jm_error_t error;
    jm_error_clear (&error);
    if (jm_detail_cut (self->cut_doc, lookup->json, lookup->json_len, detail, out, &error)) {
        jm_log_warning ("cached result of candidate %.64s for job %s: %s; scored again",
                        lookup->candidate, lookup->job, error.message);
        return false;
    }
    out->len--;                         //  its closing brace: how it was served follows
    return true;
}

//  Writes the reply of one request into out, as if its new results were
//  stored (s_finish_replies says otherwise when they were not): its error,
//  or its results, each new one scored into place and queued for the store
//  from there, each cached one copied from the lookup.  So a result's JSON
//  exists once in the matcher, and a large reply is sent from where it is.
static void
s_write_reply (jm_matcher_t *self, s_request_t *request, jm_buf_t *out, s_writes_t *writes)
{
    request->reply_offset = out->len;
    if (jm_error_is_set (&request->error)) {
        jm_buf_puts (out, "{\"ok\":false,\"error\":");
        jm_error_write_json (&request->error, out);
        jm_buf_puts (out, "}");
        self->errors_done++;
        return;
    }
    jm_buf_puts (out, "{\"ok\":true,\"results\":[");
    bool first = true;
    for (int e = 0; e < request->entry_count; e++) {
        s_entry_t *entry = &self->entries [request->first_entry + e];
        if (!entry->candidate) {
            jm_buf_printf (out, "%s{\"position\":%d,\"candidate\":", first ? "" : ",", e);
            jm_buf_json_str (out, entry->id);
            jm_buf_puts (out, ",\"error\":");
            jm_error_write_json (&entry->error, out);
            jm_buf_puts (out, "}");
            first = false;
            self->errors_done++;
            continue;
        }
        for (size_t i = (size_t) entry->first_item;
             i < self->item_count && self->items [i].entry == request->first_entry + e; i++) {
            if (!first)
                jm_buf_append (out, ",", 1);
            first = false;
            self->results_done++;
            //  a hit is read from Redis only now, and copied into place
            const jm_store_lookup_t *lookup = &self->lookups [i];
            //  ("refresh": scored and stored again whatever the cache holds)
            self->items [i].cached = jm_store_lookup_next (self->store, i)
                                  && !self->items [i].refresh
                                  && lookup->json_len > 1
                                  && lookup->json [lookup->json_len - 1] == '}';
            //  the stored result, less its closing brace, plus how it was served
            if (self->items [i].cached
            &&  !s_copy_cached (self, lookup, request->detail, out))
                self->items [i].cached = false;
            if (!self->items [i].cached) {
                s_score_item (self, i, request->detail, out, writes);
                continue;
            }
            jm_buf_puts (out, s_served [SERVED_CACHED]);
            self->cached_done++;
        }
    }
    jm_buf_append (out, "]}", 2);
}

//  Holds the reply written last (s_finish_replies sends it).
static void
s_reply_hold (jm_matcher_t *self, s_request_t *request, size_t end)
{
    s_held_reply_t *held = &self->held [self->held_count++];
    held->request = request->request;
    request->request = NULL;
    held->offset = request->reply_offset;
    held->size = end - request->reply_offset;
    held->entry_count = request->entry_count;
    held->error = jm_error_is_set (&request->error);
}

//  The same reply saying that the new results were not stored: each
//  ,"cached":false,"stored":true} that s_write_reply wrote (JSON text
//  cannot hold it inside a string, where quotes are escaped) says false.
static zframe_t *
s_reply_unstored (const char *data, size_t size)
{
    const char *stored = s_served [SERVED_STORED], *unstored = s_served [SERVED_UNSTORED];
    size_t stored_len = strlen (stored), unstored_len = strlen (unstored);
    const char *end = data + size;
    jm_buf_t out;
    jm_buf_init (&out);
    const char *at;
    while ((at = memmem (data, (size_t) (end - data), stored, stored_len))) {
        jm_buf_append (&out, data, (size_t) (at - data));
        jm_buf_append (&out, unstored, unstored_len);
        data = at + stored_len;
    }
    jm_buf_append (&out, data, (size_t) (end - data));
    zframe_t *unstored_frame = zframe_new (out.data, out.len);
    jm_buf_free (&out);
    return unstored_frame;
}

//  Sends the held replies once the flush has said whether their batch's
//  writes are stored (they are built as if they were).
static void
s_finish_replies (jm_matcher_t *self)
{
    if (self->held_count == 0)
        return;
    bool stored = !self->held_writes
               || (jm_store_flush (self->store) >= 0 && jm_store_pending (self->store) == 0);
    reply_buffer_t *buffer = self->outs [self->out];
    const char *data = reply_buffer_buf (buffer)->data;
    for (int r = 0; r < self->held_count; r++) {
        s_held_reply_t *held = &self->held [r];
        jm_log_debug ("request: %d candidates, %zu bytes reply%s%s", held->entry_count,
                      held->size, held->error ? ", error" : "",
                      stored ? "" : ", not stored");
        if (stored && held->size >= REPLY_BUFFER_LEND)
            reply_buffer_send (buffer, jm_mdp_request_worker (held->request), &held->request,
                               held->offset, held->size);
        else {
            zframe_t *frame = stored ? zframe_new (data + held->offset, held->size)
                                     : s_reply_unstored (data + held->offset, held->size);
            jm_mdp_worker_reply (jm_mdp_request_worker (held->request), &held->request, &frame);
        }
        self->requests_done++;
    }
    self->held_count = 0;
    self->held_writes = false;
    if (reply_buffer_buf (buffer)->cap > REPLY_BUFFER_KEEP)
        reply_buffer_destroy (&self->outs [self->out]);     //  freed once sent
}

//  The buffer for a batch's replies, empty: the first of the two kept that
//  libzmq no longer sends from.  The second is made only when the first is
//  still being sent as the next batch is written; when both are, a new one
//  takes the second's place (the old one is freed once sent).
static jm_buf_t *
s_replies_begin (jm_matcher_t *self)
{
    int index = 0;
    while (index < 2 && self->outs [index] && reply_buffer_lent (self->outs [index]))
        index++;
    if (index == 2)
        reply_buffer_destroy (&self->outs [--index]);
    if (!self->outs [index])
        self->outs [index] = reply_buffer_new ();
    self->out = index;
    jm_buf_t *out = reply_buffer_buf (self->outs [index]);
    jm_buf_reset (out);
    return out;
}

//  Queues, per job scored in this batch, the guard that hands results
//  written against a version that is no longer current to the re-scoring
//  of the current one (registry.h).
static void
s_queue_guards (jm_matcher_t *self)
{
    if (self->item_count > self->guard_cap) {
        self->guard_cap = self->item_count;
        self->guard_ids = jm_realloc (self->guard_ids, self->guard_cap * sizeof (char *));
    }
    int count = jm_registry_count (self->registry);
    for (int j = 0; j < count; j++) {
        const s_job_info_t *info = jm_registry_at (self->registry, j);
        size_t ids = 0;
        for (size_t i = 0; i < self->item_count; i++)
            if (self->items [i].info == info && !self->items [i].cached)
                self->guard_ids [ids++] = self->entries [self->items [i].entry].candidate->id;
        if (ids)
            jm_registry_guard (self->registry, info, self->guard_ids, ids);
    }
}

//  Serves every request waiting on one of the two small services.
static void
s_handle_service (jm_matcher_t *self, jm_mdp_worker_t *worker, bool jobs)
{
    jm_mdp_request_t *request;
    while ((request = jm_mdp_worker_recv (worker))) {
        int64_t started_us = zclock_usecs ();
        if (jobs)
            jm_registry_serve (self->registry, jm_mdp_request_data (request),
                               jm_mdp_request_size (request), &self->reply);
        else
            jm_results_serve (self->results, jm_mdp_request_data (request),
                              jm_mdp_request_size (request), &self->reply);
        zframe_t *frame = zframe_new (self->reply.data, self->reply.len);
        jm_mdp_worker_reply (worker, &request, &frame);
        self->requests_done++;
        if (self->probe)
            jm_prom_histogram_observe (jobs? &self->latency_jobs: &self->latency_results,
                                       zclock_usecs () - started_us);
    }
}

//  Frees the candidates of the batch and forgets its entries and items.
static void
s_free_entries (jm_matcher_t *self)
{
    for (size_t e = 0; e < self->entry_count; e++) {
        jm_candidate_destroy (&self->entries [e].candidate);
        free (self->entries [e].id);
    }
    self->entry_count = 0;
    self->item_count = 0;
}

//  "5 of 7" into out (24 bytes), without printf: once per result.
static void
s_format_required (char *out, int met, int total)
{
    out = jm_buf_put_uint (out, (uint64_t) met);
    memcpy (out, " of ", 4);
    out = jm_buf_put_uint (out + 4, (uint64_t) total);
    *out = '\0';
}

//  Queues the first count results scored since the last call as one write
//  (their json read from the reply buffer now: it may have moved since).
//  Returns how many were queued; the others are logged.
static size_t
s_write_results (jm_matcher_t *self, size_t count)
{
    const char *data = reply_buffer_buf (self->outs [self->out])->data;
    for (size_t w = 0; w < count; w++) {
        const s_item_t *item = &self->items [self->write_items [w]];
        self->write_results [w].json = (item->aside ? self->aside.data : data) + item->offset;
    }
    int queued = jm_store_write_many (self->store, self->write_results, count, self->write_errors);
    jm_buf_reset (&self->aside);        //  the store has copied them
    for (size_t w = 0; w < count; w++)
        if (self->write_errors [w].code [0])
            jm_log_warning ("result of candidate %.64s for job %s not stored: %s",
                            self->write_results [w].candidate, self->write_results [w].job,
                            self->write_errors [w].message);
    return queued > 0 ? (size_t) queued : 0;
}

//  Scores item i into its place in the reply (out) at the detail asked,
//  and queues its write (the full JSON, from the reply or set aside),
//  every FLUSH_EVERY results one write sent ahead, and its candidate's
//  profile once.
static void
s_score_item (jm_matcher_t *self, size_t i, jm_detail_t detail, jm_buf_t *out,
              s_writes_t *writes)
{
    s_item_t *item = &self->items [i];
    const jm_candidate_t *candidate = self->entries [item->entry].candidate;
    jm_result_t scored;
    jm_score_explain (item->info->job, candidate, &scored);
    item->aside = detail != JM_DETAIL_FULL;
    jm_buf_t *full = item->aside ? &self->aside : out;
    item->offset = full->len;
    jm_result_write_json (&scored, item->info->job, candidate, full);
    item->len = full->len - item->offset;
    assert (item->len > 1 && full->data [full->len - 1] == '}');
    if (item->aside)
        jm_detail_write (&scored, item->info->job, candidate, detail, out);
    out->len--;                         //  the reply closes it with how it was served
    jm_buf_puts (out, s_served [SERVED_STORED]);
    size_t w = writes->scored++;
    s_format_required (self->write_required [w], scored.required_met, scored.required_total);
    jm_buf_reset (&self->write_missing [w]);
    jm_result_write_missing (&scored, &self->write_missing [w]);
    size_t labels_len;
    const char *labels = jm_job_labels (item->info->job, &labels_len);
    self->write_items [w] = i;
    self->write_results [w] = (jm_store_result_t) {
        .job = item->info->id,
        .version = item->info->version_text,
        .candidate = candidate->id,
        .score = scored.score,
        .fingerprint = item->fingerprint,
        .json_len = item->len - 1,      //  json: from the reply buffer once written
        .json_tail = "}",
        .band = jm_band_name (scored.band),
        .name = candidate->name,
        .required = self->write_required [w],
        .missing = self->write_missing [w].data,
        .missing_len = self->write_missing [w].len,
        .labels = labels,
        .labels_len = labels_len,
        .retain_top = jm_job_retain_top (item->info->job),
        .retain_min_score = jm_job_retain_min_score (item->info->job)
    };
    if (writes->scored == FLUSH_EVERY) {
        writes->queued += s_write_results (self, writes->scored);
        writes->scored = 0;
        jm_store_send (self->store);    //  the last flush says if all landed
    }
    if (writes->profile_entry != item->entry) {
        //  kept for re-scoring when a job changes
        writes->profile_entry = item->entry;
        jm_buf_reset (&self->profile);
        jm_profile_pack (candidate, jm_engine_taxonomy (self->engine), &self->profile);
        jm_store_write_profile (self->store, candidate->id, self->profile.data,
                                self->profile.len, NULL);
    }
}

//  The next jobmatch.match request waiting on any gateway's connection, or
//  NULL.  The gateways take turns being drained first, so a busy one does
//  not keep another's requests waiting.
static jm_mdp_request_t *
s_recv_match (jm_matcher_t *self)
{
    for (int step = 0; step < self->gateway_count; step++) {
        int g = (self->recv_turn + step) % self->gateway_count;
        jm_mdp_request_t *request = jm_mdp_worker_recv (self->workers [g]);
        if (request) {
            self->recv_turn = (g + 1) % self->gateway_count;
            return request;
        }
    }
    return NULL;
}

//  Handles every request waiting, as one batch.
static void
s_handle_requests (jm_matcher_t *self)
{
    int64_t started_us = self->probe? zclock_usecs (): 0;
    int request_count = 0;
    self->entry_count = 0;
    self->item_count = 0;
    while (request_count < MAX_BATCH_REQUESTS && self->item_count < (size_t) self->batch_max) {
        jm_mdp_request_t *request = self->next ? self->next : s_recv_match (self);
        self->next = NULL;
        if (!request)
            break;
        s_request_t *slot = &self->requests [request_count++];
        memset (slot, 0, sizeof *slot);
        slot->request = request;
        s_parse_request (self, slot);
    }
    if (request_count == 0) {
        s_finish_replies (self);
        return;
    }
    size_t body_bytes = 0;
    for (int r = 0; r < request_count; r++)
        body_bytes += jm_mdp_request_size (self->requests [r].request);
    self->body_size = body_bytes / (size_t) request_count;
    if (self->unknown_job_seen && jm_registry_refresh (self->registry)) {
        //  a job put through another matcher a moment ago: parse again with it
        s_free_entries (self);
        for (int r = 0; r < request_count; r++)
            s_parse_request (self, &self->requests [r]);
    }
    self->unknown_job_seen = false;
    //  Redis stored the last batch while this one was parsed: its replies
    //  go now, from the buffer this batch's replies may be written into
    s_finish_replies (self);
    //  what is already in Redis for these exact profiles and job versions:
    //  sent now, read item by item as the replies are written
    if (self->item_count > self->lookup_cap) {
        self->lookup_cap = self->item_count;
        self->lookups = jm_realloc (self->lookups, self->lookup_cap * sizeof (jm_store_lookup_t));
    }
    for (size_t i = 0; i < self->item_count; i++) {
        s_item_t *item = &self->items [i];
        self->lookups [i] = (jm_store_lookup_t) {
            .job = item->info->id,
            .candidate = self->entries [item->entry].candidate->id,
            .fingerprint = item->fingerprint
        };
    }
    jm_store_lookup_start (self->store, self->lookups, self->item_count);
    //  the replies, each new result scored into place, its write queued
    jm_buf_t *out = s_replies_begin (self);
    s_writes_t writes = { .profile_entry = -1 };
    for (int r = 0; r < request_count; r++) {
        s_write_reply (self, &self->requests [r], out, &writes);
        s_reply_hold (self, &self->requests [r], out->len);
    }
    if (writes.scored)
        writes.queued += s_write_results (self, writes.scored);
    s_queue_guards (self);
    if (writes.queued)
        jm_store_send (self->store);
    self->held_writes = writes.queued > 0;
    s_free_entries (self);
    jm_json_doc_trim (self->doc);
    //  a request waiting already: parsing it overlaps Redis storing this
    //  batch; else flush and reply now
    self->next = s_recv_match (self);
    if (!self->next)
        s_finish_replies (self);
    //  each request of a batch waited for the whole batch
    if (self->probe) {
        int64_t took_us = zclock_usecs () - started_us;
        for (int r = 0; r < request_count; r++)
            jm_prom_histogram_observe (&self->latency_match, took_us);
    }
}

//  Shares slots among the gateways: each one this matcher hears gets an
//  equal part (rounded up, so at least one while slots > 0), and one that
//  went silent gets the part it will have when it comes back.  So two
//  gateways do not both fill the matcher, and when one dies the other
//  gets all the slots within a few heartbeats.
static void
s_share_slots (jm_matcher_t *self, int slots)
{
    int live = 0;
    for (int g = 0; g < self->gateway_count; g++)
        live += jm_mdp_worker_connected (self->workers [g]);
    int share = live > 1 ? (slots + live - 1) / live : slots;
    for (int g = 0; g < self->gateway_count; g++) {
        int part = jm_mdp_worker_connected (self->workers [g]) || live == 0
                 ? share : (slots + live) / (live + 1);
        if (part != jm_mdp_worker_slots_now (self->workers [g]))
            jm_mdp_worker_set_slots (self->workers [g], part);
    }
}

//  Backpressure.  Every write waits in the store until Redis confirms it,
//  however long Redis is away; what bounds it is that the matcher takes
//  less work as the pending writes grow: all its slots below half of
//  --redis-pending-max-mb, then fewer in proportion, none at all of it.
//  The gateway hears the number at once (jm_mdp_worker_set_slots) and
//  queues the rest, or answers busy past its queue.  Requests already sent
//  are still served (their writes may take the buffer past the bound by
//  what they hold).  When the backlog drains, the slots come back.
//  Big requests take fewer slots too: the matcher serves one batch at a
//  time, so of 500-candidate requests (half a MB each) it holds two, the
//  one served and the next, rather than as many as the gateway has: those
//  wait in the gateway's queue, not in the matcher's memory.
static void
s_update_slots (jm_matcher_t *self)
{
    double fill = jm_store_pending_fill (self->store);
    int slots = self->slots;
    if (fill >= 1.0)
        slots = 0;
    else
    if (fill > 0.5) {
        slots = (int) (self->slots * (1.0 - fill) * 2.0);
        slots = slots < 1 ? 1 : slots;
    }
    //  a power of two, so that bodies of about the same size keep the number
    size_t fit = 2;
    while (fit < (size_t) self->slots && fit * 2 * self->body_size <= HELD_BODIES_MAX)
        fit *= 2;
    if ((size_t) slots > fit)
        slots = (int) fit;
    s_share_slots (self, slots);
    if (slots == self->slots_now)
        return;
    jm_store_stats_t stats;
    jm_store_stats (self->store, &stats);
    if (slots == 0) {
        self->full_since = zclock_mono ();
        jm_log_warning ("%zu writes (%zu bytes) wait for redis, the bound: taking no "
                        "requests until they drain", stats.pending_writes, stats.pending_bytes);
    }
    else
    if (self->slots_now == 0)
        jm_log_info ("writes draining (%zu bytes left): taking requests again after %.1f s",
                     stats.pending_bytes, (double) (zclock_mono () - self->full_since) / 1000.0);
    else
        jm_log_debug ("%zu bytes of writes pending, requests of %zu bytes: %d of %d slots",
                      stats.pending_bytes, self->body_size, slots, self->slots);
    self->slots_now = slots;
}

static void
s_rescored (jm_matcher_t *self, int count)
{
    self->rescored_done += (uint64_t) count;
}

static void
s_log_stats (jm_matcher_t *self)
{
    if (self->requests_done == self->last_requests && self->rescored_done == self->last_rescored)
        return;
    jm_log_info ("last %d s: %llu requests, %llu results (%llu cached), %llu errors, %llu re-scored; "
                 "redis %s, %zu writes pending",
                 STATS_INTERVAL_MS / 1000,
                 (unsigned long long) (self->requests_done - self->last_requests),
                 (unsigned long long) (self->results_done - self->last_results),
                 (unsigned long long) (self->cached_done - self->last_cached),
                 (unsigned long long) (self->errors_done - self->last_errors),
                 (unsigned long long) (self->rescored_done - self->last_rescored),
                 jm_store_connected (self->store) ? "up" : "down", jm_store_pending (self->store));
    self->last_requests = self->requests_done;
    self->last_results = self->results_done;
    self->last_cached = self->cached_done;
    self->last_errors = self->errors_done;
    self->last_rescored = self->rescored_done;
}

//  Queues a snapshot of the counters for the dashboard (stats.h).
static void
s_publish_stats (jm_matcher_t *self)
{
    jm_stats_counts_t counts = {
        .requests = self->requests_done, .results = self->results_done,
        .cached = self->cached_done, .errors = self->errors_done, .rescored = self->rescored_done
    };
    jm_stats_publish (self->stats, &counts);
}

//  Why the matcher would not serve a request now, or NULL when it would:
//  Redis reachable and at least one gateway heard from.
static const char *
s_not_ready (jm_matcher_t *self)
{
    if (!jm_store_connected (self->store))
        return "Redis unreachable";
    for (int g = 0; g < self->gateway_count; g++)
        if (jm_mdp_worker_heard (self->workers [g]))
            return NULL;
    return "not registered with any gateway";
}

//  Publishes /metrics and /readyz to the probe (--metrics-listen).
static void
s_publish_metrics (jm_matcher_t *self)
{
    jm_store_stats_t store;
    jm_store_stats (self->store, &store);
    const struct { const char *name, *type, *help; unsigned long long value; } values [] = {
        { "jobmatch_matcher_requests_total", "counter",
          "requests answered, its three services together", self->requests_done },
        { "jobmatch_matcher_results_total", "counter", "results in its jobmatch.match replies",
          self->results_done },
        { "jobmatch_matcher_cached_total", "counter", "of those, results taken from the Redis cache",
          self->cached_done },
        { "jobmatch_matcher_errors_total", "counter", "error replies and error entries it sent",
          self->errors_done },
        { "jobmatch_matcher_rescored_total", "counter",
          "candidates re-scored in the background after a job changed", self->rescored_done },
        { "jobmatch_matcher_redis_up", "gauge", "1 while connected to Redis",
          jm_store_connected (self->store) },
        { "jobmatch_matcher_redis_pending", "gauge", "writes waiting for Redis to confirm them",
          store.pending_writes },
        { "jobmatch_matcher_redis_confirmed_total", "counter", "writes Redis confirmed",
          store.confirmed },
        { "jobmatch_matcher_redis_errors_total", "counter", "error replies from Redis",
          store.errors },
        { "jobmatch_matcher_redis_reconnects_total", "counter",
          "connections to Redis after losing it", store.reconnects },
        { "jobmatch_matcher_gateways", "gauge", "gateways configured (--gateway)",
          (unsigned long long) self->gateway_count },
        { "jobmatch_matcher_slots", "gauge", "request slots offered now (0: the pending buffer "
          "is full)", (unsigned long long) self->slots_now },
    };
    jm_buf_t out;
    jm_buf_init (&out);
    for (size_t index = 0; index < sizeof values / sizeof values [0]; index++) {
        jm_prom_help (&out, values [index].name, values [index].type, values [index].help);
        jm_buf_printf (&out, "%s %llu\n", values [index].name, values [index].value);
    }
    int connected = 0;
    for (int g = 0; g < self->gateway_count; g++)
        connected += jm_mdp_worker_heard (self->workers [g]);
    jm_prom_help (&out, "jobmatch_matcher_gateways_connected", "gauge",
                  "gateways that have this matcher registered (heard since it connected)");
    jm_buf_printf (&out, "jobmatch_matcher_gateways_connected %d\n", connected);
    jm_prom_help (&out, "jobmatch_matcher_redis_pending_fill", "gauge",
                  "pending writes against their bound (1: full, the matcher stops taking work)");
    jm_buf_printf (&out, "jobmatch_matcher_redis_pending_fill %.4f\n",
                   jm_store_pending_fill (self->store));
    jm_prom_help (&out, "jobmatch_request_duration_seconds", "histogram",
                  "time the matcher took for a request (a jobmatch.match request: its whole "
                  "batch), by service");
    jm_prom_histogram_render (&out, "jobmatch_request_duration_seconds", "service",
                              JM_MATCH_SERVICE, &self->latency_match);
    jm_prom_histogram_render (&out, "jobmatch_request_duration_seconds", "service",
                              JM_JOBS_SERVICE, &self->latency_jobs);
    jm_prom_histogram_render (&out, "jobmatch_request_duration_seconds", "service",
                              JM_RESULTS_SERVICE, &self->latency_results);
    jm_probe_publish (self->probe, out.data);
    jm_buf_free (&out);
    jm_probe_set_ready (self->probe, s_not_ready (self));
}

static int
s_min_timeout (int timeout, int64_t until)
{
    if (until < 0)
        until = 0;
    return until < timeout ? (int) until : timeout;
}

static void
s_matcher_actor (zsock_t *pipe, void *args)
{
    jm_matcher_t *self = args;
    //  Every socket with input is served on each turn: the match service
    //  under a steady load must not starve the jobs and results services
    //  (their gateway heartbeats would go unread and they would reconnect)
    //  items: the pipe, then per gateway its match, jobs and results connections
    int gateways = self->gateway_count;
    zmq_pollitem_t items [1 + 3 * JM_GATEWAYS_MAX];
    items [0] = (zmq_pollitem_t) { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 };
    for (int g = 0; g < gateways; g++) {
        items [1 + g] = (zmq_pollitem_t) {
            zsock_resolve (jm_mdp_worker_sock (self->workers [g])), 0, ZMQ_POLLIN, 0 };
        items [1 + gateways + g] = (zmq_pollitem_t) {
            zsock_resolve (jm_mdp_worker_sock (self->jobs_workers [g])), 0, ZMQ_POLLIN, 0 };
        items [1 + 2 * gateways + g] = (zmq_pollitem_t) {
            zsock_resolve (jm_mdp_worker_sock (self->results_workers [g])), 0, ZMQ_POLLIN, 0 };
    }
    zsock_signal (pipe, 0);
    int64_t next_store_tick = zclock_mono () + STORE_TICK_MS;
    int64_t next_stats = zclock_mono () + STATS_INTERVAL_MS;
    int64_t next_registry = zclock_mono ();
    int64_t next_busy_rescore = zclock_mono () + RESCORE_BUSY_MS;
    s_publish_stats (self);
    int64_t next_publish = zclock_mono () + self->stats_ms;
    int64_t next_metrics = zclock_mono ();
    while (true) {
        int timeout = STORE_TICK_MS;
        for (int g = 0; g < gateways; g++) {
            timeout = s_min_timeout (timeout, jm_mdp_worker_tick (self->workers [g]));
            timeout = s_min_timeout (timeout, jm_mdp_worker_tick (self->jobs_workers [g]));
            timeout = s_min_timeout (timeout, jm_mdp_worker_tick (self->results_workers [g]));
        }
        timeout = s_min_timeout (timeout, next_store_tick - zclock_mono ());
        timeout = s_min_timeout (timeout, next_registry - zclock_mono ());
        bool rescore = jm_rescore_due (self->rescore);
        int ready = zmq_poll (items, 1 + 3 * gateways, rescore || self->next ? 0 : timeout);
        if (ready < 0 && zmq_errno () != EINTR)
            break;                          //  the context is terminating
        if (ready > 0) {
            if (items [0].revents & ZMQ_POLLIN) {
                char *command = zstr_recv (pipe);
                bool terminate = !command || streq (command, "$TERM");
                zstr_free (&command);
                if (terminate)
                    break;
            }
            bool match = false;
            for (int g = 0; g < gateways; g++)
                match |= (items [1 + g].revents & ZMQ_POLLIN) != 0;
            if (match)
                s_handle_requests (self);
            for (int g = 0; g < gateways; g++) {
                if (items [1 + gateways + g].revents & ZMQ_POLLIN)
                    s_handle_service (self, self->jobs_workers [g], true);
                if (items [1 + 2 * gateways + g].revents & ZMQ_POLLIN)
                    s_handle_service (self, self->results_workers [g], false);
            }
        }
        bool ahead = self->next != NULL;
        if (ahead)
            s_handle_requests (self);       //  the request received ahead waits no longer
        int64_t now = zclock_mono ();
        if (rescore && ((ready <= 0 && !ahead) || now >= next_busy_rescore)) {
            //  nothing waiting, or busy for a while: a chunk of background
            //  re-scoring, so a loaded cluster still finishes it
            s_rescored (self, jm_rescore_step (self->rescore));
            now = zclock_mono ();
            next_busy_rescore = now + RESCORE_BUSY_MS;
        }
        if (now >= next_registry)
            next_registry = now + jm_registry_tick (self->registry);
        if (now >= next_store_tick) {
            //  a backlog drains in steps (jm_store_flush), the loop
            //  turning in between: again at once while it moves
            int confirmed = jm_store_flush (self->store);
            next_store_tick = now + (confirmed > 0 && jm_store_pending (self->store)
                                     ? 1 : STORE_TICK_MS);
        }
        s_update_slots (self);
        if (now >= next_stats) {
            s_log_stats (self);
            next_stats = now + STATS_INTERVAL_MS;
        }
        if (now >= next_publish) {
            s_publish_stats (self);
            next_publish = now + self->stats_ms;
        }
        if (self->probe && now >= next_metrics) {
            s_publish_metrics (self);
            next_metrics = now + METRICS_MS;
        }
    }
    s_finish_replies (self);
    jm_mdp_request_destroy (&self->next);   //  the gateway gives it to another matcher
}

jm_matcher_t *
jm_matcher_new (jm_config_t *config, jm_error_t *err)
{
    jm_matcher_t *self = jm_calloc (1, sizeof *self);
    const char *data = jm_config_string (config, "data");
    self->engine = jm_engine_new (*data ? data : NULL, err);
    if (!self->engine) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.key_namespace = jm_config_string (config, "namespace");
    options.result_ttl_ms = jm_config_int (config, "result-ttl-s") * 1000;
    options.profile_ttl_ms = jm_config_int (config, "profile-ttl-s") * 1000;
    options.pending_max_bytes = (size_t) jm_config_int (config, "redis-pending-max-mb") << 20;
    options.pending_max_commands = options.pending_max_bytes / 32;     //  bytes bind first
    self->store = jm_store_new_from_config (config, &options, err);
    if (!self->store) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    int slots = (int) jm_config_int (config, "slots");
    self->slots = slots;
    const char *gateway = jm_config_string (config, "gateway");
    char *endpoints [JM_GATEWAYS_MAX];
    int gateways = jm_gateways_split (gateway, endpoints, err);
    if (gateways < 0) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    self->registry = jm_registry_new (self->engine, self->store, (int) jm_config_int (config, "poll-ms"));
    self->rescore = jm_rescore_new (self->engine, self->store, self->registry,
                                    (int) jm_config_int (config, "rescore-chunk"),
                                    (int) jm_config_int (config, "rescore-claim-ms"));
    self->results = jm_results_new (self->engine, self->store, self->registry);
    self->stats_ms = (int) jm_config_int (config, "stats-ms");
    self->stats = jm_stats_new (self->store, self->stats_ms, jm_config_string (config, "name"), err);
    if (!self->stats) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    const char *listen = jm_config_string (config, "metrics-listen");
    if (*listen) {
        self->probe = jm_probe_new (listen, jm_stats_name (self->stats), "matcher", err);
        if (!self->probe) {
            jm_matcher_destroy (&self);
            return NULL;
        }
    }
    jm_curve_t *curve = NULL;
    int rc = jm_curve_client_from (jm_config_string (config, "curve-server"),
                                   jm_config_string (config, "curve-cert"), &curve, err);
    for (int g = 0; g < gateways && rc == 0; g++) {
        self->workers [g] = jm_mdp_worker_new_curve (endpoints [g], JM_MATCH_SERVICE, slots,
                                                     curve, err);
        self->jobs_workers [g] = jm_mdp_worker_new_curve (endpoints [g], JM_JOBS_SERVICE,
                                                          SERVICE_SLOTS, curve, err);
        self->results_workers [g] = jm_mdp_worker_new_curve (endpoints [g], JM_RESULTS_SERVICE,
                                                             SERVICE_SLOTS, curve, err);
        self->gateway_count = g + 1;
        rc = self->workers [g] && self->jobs_workers [g] && self->results_workers [g] ? 0 : -1;
    }
    jm_gateways_split_free (endpoints, gateways);
    if (curve)
        jm_log_info ("CURVE on: matcher key %s", jm_curve_public_txt (curve));
    jm_curve_destroy (&curve);
    if (rc) {
        jm_matcher_destroy (&self);
        return NULL;
    }
    int heartbeat = (int) jm_config_int (config, "heartbeat-ms");
    int liveness = (int) jm_config_int (config, "liveness");
    for (int g = 0; g < gateways; g++) {
        jm_mdp_worker_set_heartbeat (self->workers [g], heartbeat, liveness);
        jm_mdp_worker_set_heartbeat (self->jobs_workers [g], heartbeat, liveness);
        jm_mdp_worker_set_heartbeat (self->results_workers [g], heartbeat, liveness);
        //  the gateway's jobmatch.system shows who each worker is: "host:pid"
        jm_mdp_worker_set_name (self->workers [g], jm_stats_id (self->stats));
        jm_mdp_worker_set_name (self->jobs_workers [g], jm_stats_id (self->stats));
        jm_mdp_worker_set_name (self->results_workers [g], jm_stats_id (self->stats));
    }
    self->batch_max = (int) jm_config_int (config, "batch-max");
    self->slots_now = slots;
    s_share_slots (self, slots);
    self->requests = jm_calloc (MAX_BATCH_REQUESTS, sizeof (s_request_t));
    self->held = jm_calloc (MAX_BATCH_REQUESTS, sizeof (s_held_reply_t));
    jm_buf_init (&self->reply);
    jm_buf_init (&self->profile);
    self->doc = jm_json_doc_new ();
    self->cut_doc = jm_json_doc_new ();
    jm_buf_init (&self->aside);
    for (int w = 0; w < FLUSH_EVERY; w++)
        jm_buf_init (&self->write_missing [w]);
    jm_log_info ("serving %s (%d slots), %s and %s for %s as %s; redis %s; taxonomy %s, "
                 "%d built-in jobs", JM_MATCH_SERVICE, slots, JM_JOBS_SERVICE, JM_RESULTS_SERVICE,
                 gateway, jm_stats_id (self->stats), jm_store_endpoint (self->store),
                 jm_taxonomy_version (jm_engine_taxonomy (self->engine)),
                 jm_engine_job_count (self->engine));
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
    jm_probe_destroy (&self->probe);
    if (self->store) {
        s_log_stats (self);
        if (self->stats)
            jm_stats_withdraw (self->stats);
        jm_store_flush (self->store);
    }
    for (int g = 0; g < self->gateway_count; g++) {
        jm_mdp_worker_destroy (&self->workers [g]);
        jm_mdp_worker_destroy (&self->jobs_workers [g]);
        jm_mdp_worker_destroy (&self->results_workers [g]);
    }
    jm_results_destroy (&self->results);
    jm_stats_destroy (&self->stats);
    jm_rescore_destroy (&self->rescore);
    jm_registry_destroy (&self->registry);
    jm_store_destroy (&self->store);
    jm_engine_destroy (&self->engine);
    free (self->guard_ids);
    jm_buf_free (&self->profile);
    jm_json_doc_destroy (&self->doc);
    jm_json_doc_destroy (&self->cut_doc);
    jm_buf_free (&self->aside);
    for (int w = 0; w < FLUSH_EVERY; w++)
        jm_buf_free (&self->write_missing [w]);
    free (self->requests);
    free (self->held);
    reply_buffer_destroy (&self->outs [0]);
    reply_buffer_destroy (&self->outs [1]);
    free (self->entries);
    free (self->items);
    free (self->lookups);
    jm_buf_free (&self->reply);
    free (self);
    *self_p = NULL;
}
