/*  rescore: background re-scoring.  See rescore.h and proto/services.md.  */
#include "rescore.h"
#include "jm_recompute.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <string.h>

#define IDLE_RETRY_MS   250     //  nothing to claim: others hold the rest

//  Claim: KEYS job, the version's queue and claims; ARGV version, count,
//  claim ms.  Returns {0} when no re-scoring to that version runs, {2} when
//  nothing is left to claim, or {1, chunk id, taken over (0/1), candidate
//  ids...}.
static const char *s_claim_lua =
    "local job, queue, claims, v = KEYS[1], KEYS[2], KEYS[3], ARGV[1]\n"
    "if redis.call ('HGET', job, 'rescore_version') ~= v then return {0} end\n"
    "local t = redis.call ('TIME')\n"
    "local now = tonumber (t[1]) * 1000 + math.floor (tonumber (t[2]) / 1000)\n"
    "local deadline = now + tonumber (ARGV[3])\n"
    "local all = redis.call ('HGETALL', claims)\n"
    "for i = 1, #all, 2 do\n"
    "  local chunk = cjson.decode (all[i + 1])\n"
    "  if chunk.deadline < now then\n"
    "    chunk.deadline = deadline\n"
    "    redis.call ('HSET', claims, all[i], cjson.encode (chunk))\n"
    "    return {1, all[i], 1, unpack (chunk.ids)}\n"
    "  end\n"
    "end\n"
    "local ids = redis.call ('LPOP', queue, tonumber (ARGV[2]))\n"
    "if not ids then return {2} end\n"
    "local id = tostring (redis.call ('HINCRBY', job, 'rescore_chunks', 1))\n"
    "redis.call ('HSET', claims, id, cjson.encode ({deadline = deadline, ids = ids}))\n"
    "return {1, id, 0, unpack (ids)}\n";

//  Done: KEYS job, deleted (jm_keys_job_deleted), the version's claims and
//  queue, then the keys of the versions declared (JM_LUA_VERSION_KEYS: the
//  version itself, the job's current and ranked versions); ARGV version,
//  chunk id, candidates in it, job id, the candidate ids joined by
//  newlines, the versions declared.  Touches only the job's keys (one slot
//  in a cluster): the matcher raises jobs:seq and publishes the flip after.
//  Returns 0 when the chunk was already counted, 1 when counted, 2 when
//  that completed the re-scoring and flipped the ranking, hand_over's
//  count plus 10 when the job changed meanwhile (the candidates go to the
//  re-scoring of the new version, whose results then replace these), or
//  {-1, versions...} when one of those versions is not declared (nothing
//  written: call again declaring them).
static const char *s_done_lua =
    JM_LUA_VERSION_KEYS
    JM_LUA_HAND_OVER
    "local job, v = KEYS[1], ARGV[1]\n"
    "local vn, key = tonumber (v), declare (5, ARGV[6])\n"
    "local current = tonumber (redis.call ('HGET', job, 'version') or '0')\n"
    "local ranked = job_versions (job)\n"
    "if not key (vn, 1) or (current > 0 and not key (current, 1))\n"
    "   or (ranked > 0 and not key (ranked, 1)) then\n"
    "  return {-1, vn, current, ranked}\n"
    "end\n"
    "local counted = redis.call ('HDEL', KEYS[3], ARGV[2]) == 1\n"
    "if redis.call ('HGET', job, 'rescore_version') ~= v then\n"
    "  local queued = hand_over (job, KEYS[2], ARGV[4], key, vn, ARGV[5])\n"
    "  return queued > 0 and 10 + queued or 0\n"
    "end\n"
    "if not counted then return 0 end\n"
    "local done = redis.call ('HINCRBY', job, 'rescore_done', tonumber (ARGV[3]))\n"
    "local total = tonumber (redis.call ('HGET', job, 'rescore_total') or '0')\n"
    "if done < total or redis.call ('LLEN', KEYS[4]) > 0\n"
    "   or redis.call ('HLEN', KEYS[3]) > 0 then return 1 end\n"
    "if ranked > 0 and ranked ~= vn then\n"
    "  drop (key, ranked)\n"
    "  redis.call ('HDEL', job, 'v:' .. ranked)\n"
    "end\n"
    "redis.call ('HSET', job, 'ranked', v)\n"
    "redis.call ('HDEL', job, 'rescore_version', 'rescore_total', 'rescore_done', 'rescore_chunks')\n"
    "return 2\n";

struct _jm_rescore_t {
    jm_engine_t *engine;
    jm_store_t *store;
    jm_registry_t *registry;
    const jm_keys_t *keys;
    const jm_store_script_t *claim, *done;
    int chunk, claim_ms;
    int next_job;               //  round robin over jobs being re-scored
    jm_store_calls_t *calls;
    jm_buf_t arena;
    jm_buf_t missing;               //  the labels a result misses, for the kept summary
    jm_recompute_t *recompute;      //  reads the stored profiles
    uint64_t rescored, expired;
};

jm_rescore_t *
jm_rescore_new (jm_engine_t *engine, jm_store_t *store, jm_registry_t *registry,
                int chunk, int claim_ms)
{
    assert (engine && store && registry && chunk > 0 && claim_ms > 0);
    jm_rescore_t *self = jm_calloc (1, sizeof *self);
    self->engine = engine;
    self->store = store;
    self->registry = registry;
    self->keys = jm_store_keys (store);
    self->chunk = chunk;
    self->claim_ms = claim_ms;
    self->claim = jm_store_script (store, "rescore claim", s_claim_lua);
    self->done = jm_store_script (store, "rescore done", s_done_lua);
    self->calls = jm_store_calls_new ();
    jm_buf_init (&self->arena);
    jm_buf_init (&self->missing);
    self->recompute = jm_recompute_new (jm_engine_taxonomy (engine));
    return self;
}

void
jm_rescore_destroy (jm_rescore_t **self_p)
{
    assert (self_p);
    jm_rescore_t *self = *self_p;
    if (!self)
        return;
    jm_store_calls_destroy (&self->calls);
    jm_buf_free (&self->arena);
    jm_buf_free (&self->missing);
    jm_recompute_destroy (&self->recompute);
    free (self);
    *self_p = NULL;
}

//  The next job whose re-scoring may be worked on now, or NULL.
static jm_registry_job_t *
s_next_job (jm_rescore_t *self)
{
    int count = jm_registry_count (self->registry);
    int64_t now = zclock_mono ();
    for (int i = 0; i < count; i++) {
        int index = (self->next_job + i) % count;
        jm_registry_job_t *job = jm_registry_at (self->registry, index);
        if (job->rescore_version > 0 && job->rescore_version == job->version
        &&  job->rescore_idle_until <= now) {
            self->next_job = index + 1;
            return job;
        }
    }
    return NULL;
}

bool
jm_rescore_due (jm_rescore_t *self)
{
    return jm_registry_loaded (self->registry) && s_next_job (self) != NULL;
}

//  Where a scored result's strings sit in the arena (which moves as it
//  grows: pointers are taken once the chunk is scored).
typedef struct {
    size_t candidate, name, fingerprint, missing, missing_len;
    bool has_name;
    char required [24];             //  "5 of 7"
    double score;
    jm_band_t band;
} s_scored_t;

//  Appends a string and its NUL to the arena; returns its offset.
static size_t
s_arena_put (jm_buf_t *arena, const char *text, size_t len)
{
    size_t offset = arena->len;
    jm_buf_append (arena, text, len);
    jm_buf_append (arena, "", 1);
    return offset;
}

//  Scores the claimed candidates (ids are replies first .. count-1 of claim)
//  and adds their writes to calls as one group (jm_store_calls_add_results:
//  one ranking ZADD and one summary script call for the chunk).  Returns
//  how many were scored.
static int
s_score_chunk (jm_rescore_t *self, const jm_registry_job_t *job, const jm_reply_t *claim,
               size_t first, const jm_reply_t *profiles)
{
    jm_buf_reset (&self->arena);
    size_t count = claim->count > first ? claim->count - first : 0;
    s_scored_t *scored = jm_calloc (count + 1, sizeof *scored);
    size_t kept = 0;
    for (size_t i = first; i < claim->count; i++) {
        const char *id = jm_reply_str (jm_reply_item (claim, i));
        const jm_reply_t *profile = jm_reply_item (profiles, i - first);
        if (!id || !jm_reply_str (profile)) {
            self->expired++;
            continue;
        }
        jm_error_t err;
        jm_error_clear (&err);
        jm_candidate_t *candidate = jm_recompute_candidate (self->recompute, profile->str,
                                                            profile->len, &err);
        if (!candidate || strcmp (candidate->id, id) != 0) {
            jm_log_warning ("stored profile of a candidate for job %s is unusable, skipped: %s",
                            job->id, err.message [0] ? err.message : "it holds another candidate's id");
            jm_candidate_destroy (&candidate);
            self->expired++;
            continue;
        }
        jm_result_t result;
        jm_score_explain (job->job, candidate, &result);
        s_scored_t *item = &scored [kept];
        char fingerprint [64];
        jm_registry_fingerprint (job, candidate, fingerprint);
        item->fingerprint = s_arena_put (&self->arena, fingerprint, strlen (fingerprint));
        item->candidate = s_arena_put (&self->arena, candidate->id, strlen (candidate->id));
        item->has_name = candidate->name != NULL;
        if (candidate->name)
            item->name = s_arena_put (&self->arena, candidate->name, strlen (candidate->name));
        jm_buf_reset (&self->missing);
        jm_result_write_missing (&result, &self->missing);
        item->missing_len = self->missing.len;
        item->missing = s_arena_put (&self->arena, self->missing.data ? self->missing.data : "",
                                     self->missing.len);
        snprintf (item->required, sizeof item->required, "%d of %d",
                  result.required_met, result.required_total);
        item->score = result.score;
        item->band = result.band;
        kept++;
        jm_candidate_destroy (&candidate);
    }
    size_t labels_len;
    const char *labels = jm_job_labels (job->job, &labels_len);
    jm_store_result_t *writes = jm_calloc (kept + 1, sizeof *writes);
    jm_error_t *errors = jm_calloc (kept + 1, sizeof *errors);
    const char *arena = self->arena.data;
    for (size_t i = 0; i < kept; i++)
        writes [i] = (jm_store_result_t) {
            .job = job->id,
            .version = job->version_text,
            .candidate = arena + scored [i].candidate,
            .score = scored [i].score,
            .fingerprint = arena + scored [i].fingerprint,
            .band = jm_band_name (scored [i].band),
            .name = scored [i].has_name ? arena + scored [i].name : NULL,
            .required = scored [i].required,
            .missing = arena + scored [i].missing,
            .missing_len = scored [i].missing_len,
            .labels = labels,
            .labels_len = labels_len,
            .retain_top = jm_job_retain_top (job->job),
            .retain_min_score = jm_job_retain_min_score (job->job)
        };
    int written = jm_store_calls_add_results (self->store, self->calls, writes, kept, errors);
    for (size_t i = 0; i < kept; i++)
        if (errors [i].code [0])
            jm_log_warning ("re-scored result for job %s not written: %s", job->id,
                            errors [i].message);
    free (errors);
    free (writes);
    free (scored);
    return written;
}

int
jm_rescore_step (jm_rescore_t *self)
{
    jm_registry_job_t *job = s_next_job (self);
    if (!job)
        return 0;
    char job_key [JM_KEYS_MAX], deleted [JM_KEYS_MAX],
         queue [JM_KEYS_MAX], claims [JM_KEYS_MAX], count [16], claim_ms [16];
    if (jm_keys_job (self->keys, job->id, job_key, sizeof job_key, NULL) < 0
    ||  jm_keys_job_deleted (self->keys, job->id, deleted, sizeof deleted, NULL) < 0
    ||  jm_keys_rescore_queue (self->keys, job->id, job->version_text, queue, sizeof queue, NULL) < 0
    ||  jm_keys_rescore_claims (self->keys, job->id, job->version_text, claims, sizeof claims,
                                NULL) < 0)
        return 0;
    snprintf (count, sizeof count, "%d", self->chunk);
    snprintf (claim_ms, sizeof claim_ms, "%d", self->claim_ms);
    //  round trip 1: claim a chunk
    const char *claim_argv [] = { job_key, queue, claims, job->version_text, count, claim_ms };
    jm_store_calls_t *claim_calls = jm_store_calls_new ();
    jm_store_calls_add_script (claim_calls, self->claim, 3, 6, claim_argv, NULL);
    int scored = 0;
    bool reload = false;
    if (jm_store_run (self->store, claim_calls)) {
        job->rescore_idle_until = zclock_mono () + IDLE_RETRY_MS;
        goto done;
    }
    const jm_reply_t *claim = jm_store_calls_reply (claim_calls, 0);
    long long state = -1;
    if (jm_reply_is_error (claim) || !jm_reply_int (jm_reply_item (claim, 0), &state)) {
        jm_log_error ("rescore claim for job %s: %s", job->id, claim->str ? claim->str : "bad reply");
        job->rescore_idle_until = zclock_mono () + IDLE_RETRY_MS;
        goto done;
    }
    if (state != 1) {
        //  0: the re-scoring is over or superseded; 2: others hold the rest
        job->rescore_idle_until = zclock_mono () + IDLE_RETRY_MS;
        reload = state == 0;
        goto done;
    }
    const char *chunk = jm_reply_str (jm_reply_item (claim, 1));
    long long taken_over = 0;
    jm_reply_int (jm_reply_item (claim, 2), &taken_over);
    size_t ids = claim->count > 3 ? claim->count - 3 : 0;
    if (taken_over)
        jm_log_info ("job %s version %d: took over chunk %s (%zu candidates) from a matcher that "
                     "did not finish it", job->id, job->version, chunk, ids);
    //  round trip 2: the stored profiles
    jm_store_calls_reset (self->calls);
    const char **argv = jm_calloc (ids + 1, sizeof (char *));
    char (*keys) [JM_KEYS_MAX] = jm_calloc (ids + 1, JM_KEYS_MAX);
    argv [0] = "MGET";
    for (size_t i = 0; i < ids; i++) {
        const char *id = jm_reply_str (jm_reply_item (claim, i + 3));
        if (!id || jm_keys_profile (self->keys, id, keys [i], JM_KEYS_MAX, NULL) < 0)
            strcpy (keys [i], "-");
        argv [i + 1] = keys [i];
    }
    if (ids)
        jm_store_calls_add (self->calls, (int) ids + 1, argv, NULL);
    free (argv);
    free (keys);
    if (ids && jm_store_run (self->store, self->calls))
        goto done;          //  the claim expires and is taken over
    jm_store_calls_t *writes = jm_store_calls_new ();
    jm_store_calls_t *profiles = self->calls;
    self->calls = writes;
    uint64_t expired = self->expired;
    if (ids)
        scored = s_score_chunk (self, job, claim, 3, jm_store_calls_reply (profiles, 0));
    self->calls = profiles;
    //  round trip 3: results, rankings and the count, in this order
    char done_count [24];
    snprintf (done_count, sizeof done_count, "%zu", ids);
    const char **claimed = jm_calloc (ids + 1, sizeof (char *));
    for (size_t i = 0; i < ids; i++) {
        claimed [i] = jm_reply_str (jm_reply_item (claim, i + 3));
        if (!claimed [i])
            claimed [i] = "";
    }
    jm_buf_t packed;
    jm_buf_init (&packed);
    jm_registry_pack_ids (&packed, claimed, ids);
    free (claimed);
    const char *done_keys [] = { job_key, deleted, claims, queue };
    const char *done_args [] = { job->version_text, chunk, done_count, job->id, packed.data };
    jm_registry_versions_t *versions = jm_calloc (1, sizeof *versions);
    jm_registry_versions_add (versions, self->keys, job->id, job->version);
    jm_registry_versions_add (versions, self->keys, job->id, job->ranked);
    size_t done_index = jm_registry_add_declared (writes, self->done, versions, done_keys, 4,
                                                  done_args, 5);
    const jm_reply_t *reply = jm_store_run (self->store, writes) == 0
                            ? jm_store_calls_reply (writes, done_index) : NULL;
    if (reply && jm_registry_redeclare (versions, self->keys, job->id, reply))
        //  the job moved since the registry read it: again, declaring its versions now
        reply = jm_registry_run_declared (self->store, writes, self->done, job->id, versions,
                                          done_keys, 4, done_args, 5);
    jm_buf_free (&packed);
    free (versions);
    if (reply) {
        long long outcome = 0;
        if (jm_reply_is_error (reply))
            jm_log_error ("rescore done for job %s: %s", job->id, reply->str);
        else
        if (jm_reply_int (reply, &outcome) && outcome == 2) {
            jm_log_info ("job %s: ranking now at version %d (re-scoring complete)", job->id,
                         job->version);
            jm_registry_announce (self->registry, job->id, "ranked", job->version);
            reload = true;
        }
        else
        if (outcome >= 10)
            jm_registry_announce (self->registry, job->id, NULL, 0);
        if (self->expired > expired)
            jm_log_info ("job %s version %d: %llu candidates without a stored profile dropped out",
                         job->id, job->version, (unsigned long long) (self->expired - expired));
        self->rescored += (uint64_t) scored;
    }
    jm_store_calls_destroy (&writes);
done:
    jm_store_calls_destroy (&claim_calls);
    if (reload)
        jm_registry_reload (self->registry);
    return scored;
}
