/*  matching: the jobmatch.match service.  See matching.h.

    The lookup's answers are read item by item as the replies are written
    (jm_store_lookup_next): a hit (the stored record's fingerprint is the
    one wanted) is scored again into the batch's text but not written, each
    miss scored there, from where the store copies its full JSON into its
    write and the reply takes it (or the less that "detail" asks, written
    after it: jm_detail.h).  Every FLUSH_EVERY results are queued as one
    write (jm_store_write_many) and sent ahead (jm_store_send): Redis
    stores them while the next ones are scored.  The replies are held
    (replies.h) until the flush says whether the writes are stored: when
    another request is already waiting, until its batch is parsed, so
    under load Redis stores one batch while the next is parsed; else at
    once.  Each new profile is stored with the batch's writes (for
    re-scoring), and a guard per job follows them (registry.h).           */
#include "matching.h"
#include "jm_profile_pack.h"
#include "batch.h"
#include "replies.h"
#include "jm_alloc.h"
#include "jm_detail.h"
#include "jm_log.h"
#include "jm_store.h"

#include <czmq.h>
#include <string.h>

#define FLUSH_EVERY         64          //  result writes held before they are sent ahead
                                        //  (about 0.5 MB; two such at most are held)

//  The store writes of a batch while its replies are written
typedef struct {
    size_t queued;              //  results queued for the store
    size_t scored;              //  scored and not yet queued (self->write_*)
    int profile_entry;          //  the entry whose profile was queued last
} s_writes_t;

struct _jm_matching_t {
    jm_engine_t *engine;
    jm_store_t *store;
    jm_registry_t *registry;
    jm_mdp_worker_t **workers;          //  one per gateway
    int worker_count;
    int recv_turn;                      //  the gateway drained first next time
    int batch_max;
    jm_stats_counts_t *counts;
    //  the batch being handled, its lookups and its replies
    jm_batch_t *batch;
    jm_store_lookup_t *lookups;
    size_t lookup_cap;
    jm_replies_t *replies;              //  held until the flush says "stored"
    bool held_writes;                   //  the replies held have writes to confirm
    jm_mdp_request_t *next;             //  a request received ahead of its batch
    size_t body_size;                   //  the mean request body of the last batch
    const char **guard_ids;             //  candidate ids of one job's writes in a batch
    size_t guard_cap;
    jm_buf_t profile;
    //  results scored and not yet queued: written FLUSH_EVERY at a time
    jm_store_result_t write_results [FLUSH_EVERY];
    size_t write_items [FLUSH_EVERY];           //  their items
    char write_required [FLUSH_EVERY][24];      //  "5 of 7"
    jm_buf_t write_missing [FLUSH_EVERY];       //  labels missed, for the kept summary
    jm_error_t write_errors [FLUSH_EVERY];
};

jm_matching_t *
jm_matching_new (jm_engine_t *engine, jm_store_t *store, jm_registry_t *registry,
              jm_mdp_worker_t **workers, int worker_count, int batch_max,
              jm_stats_counts_t *counts)
{
    assert (engine && store && registry && workers && worker_count > 0 && counts);
    jm_matching_t *self = jm_calloc (1, sizeof *self);
    self->engine = engine;
    self->store = store;
    self->registry = registry;
    self->workers = workers;
    self->worker_count = worker_count;
    self->batch_max = batch_max;
    self->counts = counts;
    self->batch = jm_batch_new (engine, registry);
    self->replies = jm_replies_new ();
    jm_buf_init (&self->profile);
    for (int w = 0; w < FLUSH_EVERY; w++)
        jm_buf_init (&self->write_missing [w]);
    return self;
}

void
jm_matching_destroy (jm_matching_t **self_p)
{
    assert (self_p);
    jm_matching_t *self = *self_p;
    if (!self)
        return;
    jm_matching_finish (self);
    jm_mdp_request_destroy (&self->next);
    jm_batch_destroy (&self->batch);
    jm_replies_destroy (&self->replies);
    free (self->lookups);
    free (self->guard_ids);
    jm_buf_free (&self->profile);
    for (int w = 0; w < FLUSH_EVERY; w++)
        jm_buf_free (&self->write_missing [w]);
    free (self);
    *self_p = NULL;
}

bool
jm_matching_ahead (const jm_matching_t *self)
{
    assert (self);
    return self->next != NULL;
}

size_t
jm_matching_body_size (const jm_matching_t *self)
{
    assert (self);
    return self->body_size;
}

//  Answers a cached result (its stored record's fingerprint is the one
//  wanted now: the same profile, job version and scorer) by scoring item i
//  again into the batch's text at the detail asked, byte for byte what was
//  stored, and adds it to the reply; nothing is written.
static void
s_answer_cached (jm_matching_t *self, size_t i, jm_detail_t detail)
{
    jm_batch_item_t *item = &self->batch->items [i];
    const jm_candidate_t *candidate = self->batch->entries [item->entry].candidate;
    jm_result_t scored;
    jm_score_explain (item->info->job, candidate, &scored);
    jm_buf_t *text = jm_replies_text (self->replies);
    size_t offset = text->len;
    if (detail == JM_DETAIL_FULL)
        jm_result_write_json (&scored, item->info->job, candidate, text);
    else
        jm_detail_write (&scored, item->info->job, candidate, detail, text);
    jm_replies_add_result (self->replies, offset, true);
}

//  Queues the first count results scored since the last call as one write
//  (their json read from the batch's text now: it may have moved since).
//  Returns how many were queued; the others are logged.
static size_t
s_write_results (jm_matching_t *self, size_t count)
{
    const char *text = jm_replies_text (self->replies)->data;
    for (size_t w = 0; w < count; w++)
        self->write_results [w].json = text + self->batch->items [self->write_items [w]].offset;
    int queued = jm_store_write_many (self->store, self->write_results, count, self->write_errors);
    for (size_t w = 0; w < count; w++)
        if (self->write_errors [w].code [0])
            jm_log_warning ("result of candidate %.64s for job %s not stored: %s",
                            self->write_results [w].candidate, self->write_results [w].job,
                            self->write_errors [w].message);
    return queued > 0 ? (size_t) queued : 0;
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

//  Scores item i into the batch's text and adds it to the reply, at the
//  detail asked, and queues its write (the full JSON, written first),
//  every FLUSH_EVERY results one write sent ahead, and its candidate's
//  profile once.
static void
s_score_item (jm_matching_t *self, size_t i, jm_detail_t detail, s_writes_t *writes)
{
    jm_batch_item_t *item = &self->batch->items [i];
    const jm_candidate_t *candidate = self->batch->entries [item->entry].candidate;
    jm_result_t scored;
    jm_score_explain (item->info->job, candidate, &scored);
    jm_buf_t *text = jm_replies_text (self->replies);
    item->offset = text->len;
    jm_result_write_json (&scored, item->info->job, candidate, text);
    item->len = text->len - item->offset;
    size_t reply_offset = item->offset;
    if (detail != JM_DETAIL_FULL) {
        reply_offset = text->len;
        jm_detail_write (&scored, item->info->job, candidate, detail, text);
    }
    jm_replies_add_result (self->replies, reply_offset, false);
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
        .json_len = item->len,          //  json: from the batch's text once written
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

//  Writes the reply of one request (replies.h): its error, or its results,
//  each cached one copied from the lookup, each new one scored and queued
//  for the store.
static void
s_write_reply (jm_matching_t *self, jm_batch_request_t *request, s_writes_t *writes)
{
    jm_batch_t *batch = self->batch;
    jm_replies_begin (self->replies, &request->request);
    if (jm_error_is_set (&request->error)) {
        jm_replies_fail (self->replies, &request->error);
        self->counts->errors++;
    }
    for (int e = 0; e < request->entry_count && !jm_error_is_set (&request->error); e++) {
        int entry_index = request->first_entry + e;
        jm_batch_entry_t *entry = &batch->entries [entry_index];
        if (!entry->candidate) {
            jm_replies_add_error (self->replies, e, entry->id, &entry->error);
            self->counts->errors++;
            continue;
        }
        for (size_t i = (size_t) entry->first_item;
             i < batch->item_count && batch->items [i].entry == entry_index; i++) {
            jm_batch_item_t *item = &batch->items [i];
            self->counts->results++;
            //  a hit is read from Redis only now ("refresh": scored and
            //  stored again whatever the cache holds)
            item->cached = jm_store_lookup_next (self->store, i) && !item->refresh;
            if (item->cached) {
                s_answer_cached (self, i, request->detail);
                self->counts->cached++;
            }
            else
                s_score_item (self, i, request->detail, writes);
        }
    }
    jm_replies_end (self->replies);
}

//  Queues, per job scored in this batch, the guard that hands results
//  written against a version that is no longer current to the re-scoring
//  of the current one (registry.h).
static void
s_queue_guards (jm_matching_t *self)
{
    const jm_batch_t *batch = self->batch;
    if (batch->item_count > self->guard_cap) {
        self->guard_cap = batch->item_count;
        self->guard_ids = jm_realloc (self->guard_ids, self->guard_cap * sizeof (char *));
    }
    int count = jm_registry_count (self->registry);
    for (int j = 0; j < count; j++) {
        const jm_registry_job_t *info = jm_registry_at (self->registry, j);
        size_t ids = 0;
        for (size_t i = 0; i < batch->item_count; i++)
            if (batch->items [i].info == info && !batch->items [i].cached)
                self->guard_ids [ids++] = batch->entries [batch->items [i].entry].candidate->id;
        if (ids)
            jm_registry_guard (self->registry, info, self->guard_ids, ids);
    }
}

//  The next jobmatch.match request waiting on any gateway's connection, or
//  NULL.  The gateways take turns being drained first, so a busy one does
//  not keep another's requests waiting.
static jm_mdp_request_t *
s_recv_match (jm_matching_t *self)
{
    for (int step = 0; step < self->worker_count; step++) {
        int g = (self->recv_turn + step) % self->worker_count;
        jm_mdp_request_t *request = jm_mdp_worker_recv (self->workers [g]);
        if (request) {
            self->recv_turn = (g + 1) % self->worker_count;
            return request;
        }
    }
    return NULL;
}

void
jm_matching_finish (jm_matching_t *self)
{
    assert (self);
    int held = jm_replies_held (self->replies);
    if (held == 0)
        return;
    bool stored = !self->held_writes
               || (jm_store_flush (self->store) >= 0 && jm_store_pending (self->store) == 0);
    jm_replies_release (self->replies, stored);
    self->counts->requests += (uint64_t) held;
    self->held_writes = false;
}

void
jm_matching_serve (jm_matching_t *self)
{
    assert (self);
    int64_t started_us = zclock_usecs ();
    jm_batch_t *batch = self->batch;
    while (batch->request_count < JM_BATCH_MAX_REQUESTS
       &&  batch->item_count < (size_t) self->batch_max) {
        jm_mdp_request_t *request = self->next ? self->next : s_recv_match (self);
        self->next = NULL;
        if (!request)
            break;
        jm_batch_add (batch, &request);
    }
    int request_count = batch->request_count;
    if (request_count == 0) {
        jm_matching_finish (self);
        return;
    }
    size_t body_bytes = 0;
    for (int r = 0; r < request_count; r++)
        body_bytes += jm_mdp_request_size (batch->requests [r].request);
    self->body_size = body_bytes / (size_t) request_count;
    if (batch->unknown_job_seen && jm_registry_refresh (self->registry))
        jm_batch_reparse (batch);       //  a job put through another matcher a moment ago
    //  Redis stored the last batch while this one was parsed: its replies go now
    jm_matching_finish (self);
    //  what is already in Redis for these exact profiles and job versions:
    //  sent now, read item by item as the replies are written
    if (batch->item_count > self->lookup_cap) {
        self->lookup_cap = batch->item_count;
        self->lookups = jm_realloc (self->lookups, self->lookup_cap * sizeof (jm_store_lookup_t));
    }
    for (size_t i = 0; i < batch->item_count; i++) {
        jm_batch_item_t *item = &batch->items [i];
        self->lookups [i] = (jm_store_lookup_t) {
            .job = item->info->id,
            .candidate = batch->entries [item->entry].candidate->id,
            .fingerprint = item->fingerprint
        };
    }
    jm_store_lookup_start (self->store, self->lookups, batch->item_count);
    //  the replies, each new result scored, its write queued
    s_writes_t writes = { .profile_entry = -1 };
    for (int r = 0; r < request_count; r++)
        s_write_reply (self, &batch->requests [r], &writes);
    if (writes.scored)
        writes.queued += s_write_results (self, writes.scored);
    s_queue_guards (self);
    if (writes.queued)
        jm_store_send (self->store);
    self->held_writes = writes.queued > 0;
    jm_batch_clear (batch);
    //  a request waiting already: parsing it overlaps Redis storing this
    //  batch; else flush and reply now
    self->next = s_recv_match (self);
    if (!self->next)
        jm_matching_finish (self);
    //  each request of a batch waited for the whole batch
    int64_t took_us = zclock_usecs () - started_us;
    for (int r = 0; r < request_count; r++)
        jm_prom_histogram_observe (&self->counts->latency_match, took_us);
}
