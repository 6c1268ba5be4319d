/*  registry: the job registry and the service jobmatch.jobs.  See registry.h
    and proto/services.md.                                                  */
#include "registry.h"
#include "body.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <string.h>

#define SEED_RETRY_MS   1000
#define RESYNC_MS       10000   //  reload at least this often, jobs:seq moved or not

//  Lua defining put_job (job, deleted, id, json, now, key, version), after
//  JM_LUA_VERSION_KEYS: stores json as version of the job and starts the
//  re-scoring of the candidates ranked so far (or, with none, shows
//  version's ranking at once).  The ranked version's JSON stays in the
//  field v:<ranked> while a newer version is current, so its results can
//  still be explained (jm_recompute); the flip deletes it.
//  put_undeclared (job, key, version) first says whether a version put_job
//  would touch has no keys (its keys are then not declared: nothing is
//  written and the caller is told the versions to declare).  Both touch
//  only the job's keys (one slot in a cluster); the registry's set, seq
//  and events are the caller's next step (s_registry_step).  Returns
//  {version, candidates to re-score, 1}.
#define S_LUA_PUT_JOB \
    "local function put_undeclared (job, key, version)\n" \
    "  local ranked, running = job_versions (job)\n" \
    "  if ranked > 0 and not (key (ranked, 1) and key (version, 8)) then return true end\n" \
    "  return running > 0 and running ~= ranked and not (key (running, 1) and key (version, 10))\n" \
    "end\n" \
    "local function put_job (job, deleted, id, json, now, key, version)\n" \
    "  redis.call ('HDEL', deleted, id)\n" \
    "  local ranked, running = job_versions (job)\n" \
    "  local previous = tonumber (redis.call ('HGET', job, 'version') or '0')\n" \
    "  if ranked > 0 and previous == ranked then\n" \
    "    local shown = redis.call ('HGET', job, 'json')\n" \
    "    if shown then redis.call ('HSET', job, 'v:' .. ranked, shown) end\n" \
    "  end\n" \
    "  redis.call ('HSET', job, 'json', json, 'version', version, 'updated', now)\n" \
    "  local source = ranked > 0 and key (ranked, 1)\n" \
    "  local union = false\n" \
    "  if running > 0 and running ~= ranked then\n" \
    "    union = key (version, 10)\n" \
    "    if source then\n" \
    "      redis.call ('ZUNIONSTORE', union, 2, source, key (running, 1))\n" \
    "    else\n" \
    "      redis.call ('ZUNIONSTORE', union, 1, key (running, 1))\n" \
    "    end\n" \
    "    source = union\n" \
    "    drop (key, running)\n" \
    "    redis.call ('DEL', key (running, 8), key (running, 9))\n" \
    "  end\n" \
    "  local total = 0\n" \
    "  if ranked > 0 then\n" \
    "    total = redis.call ('ZCARD', source)\n" \
    "    for i = 0, total - 1, 1000 do\n" \
    "      local ids = redis.call ('ZRANGE', source, i, i + 999)\n" \
    "      if #ids > 0 then redis.call ('RPUSH', key (version, 8), unpack (ids)) end\n" \
    "    end\n" \
    "  end\n" \
    "  if union then redis.call ('DEL', union) end\n" \
    "  if total == 0 then\n" \
    "    if ranked > 0 then drop (key, ranked) end\n" \
    "    redis.call ('HDEL', job, 'v:' .. ranked)\n" \
    "    redis.call ('HSET', job, 'ranked', version)\n" \
    "    redis.call ('HDEL', job, 'rescore_version', 'rescore_total', 'rescore_done', 'rescore_chunks')\n" \
    "  else\n" \
    "    redis.call ('HSET', job, 'rescore_version', version, 'rescore_total', total, 'rescore_done', 0)\n" \
    "  end\n" \
    "  return {version, total, 1}\n" \
    "end\n"

//  Put: KEYS job, deleted (jm_keys_job_deleted), then the keys of each
//  version declared (JM_KEYS_VERSION_KEYS each); ARGV id, json, now,
//  seeding ("1": only when the job was never put nor deleted), healing (a
//  version, "0": not healing), the versions declared ("3,4").  Versions go
//  on after a delete, so results cached for a deleted job's versions never
//  match the new one.  Healing puts back a job the registry lost (Redis
//  flushed, restarted empty or from an older save) at the version given,
//  when it lacks the job or holds it at a lower version, unless it was
//  deleted at that version or later: versions never go down and two
//  matchers healing at once put it once.  Returns {version, candidates to
//  re-score, 1}, {0, 0, exists} when seeding or healing skipped (exists:
//  1 when the job is there), or {-1, ranked, re-scoring version, new
//  version} when a version it would touch is not declared (nothing
//  written: call again declaring those).
static const char *s_put_lua =
    JM_LUA_VERSION_KEYS
    S_LUA_PUT_JOB
    "local job, deleted, id, heal = KEYS[1], KEYS[2], ARGV[1], tonumber (ARGV[5])\n"
    "local key = declare (3, ARGV[6])\n"
    "local current = tonumber (redis.call ('HGET', job, 'version') or '0')\n"
    "local gone = tonumber (redis.call ('HGET', deleted, id) or '0')\n"
    "local version = (current > 0 and current or gone) + 1\n"
    "if heal > 0 then\n"
    "  if current >= heal or gone >= heal then return {0, 0, current > 0 and 1 or 0} end\n"
    "  version = heal\n"
    "end\n"
    "if ARGV[4] == '1' and (current > 0 or gone > 0) then\n"
    "  return {0, 0, current > 0 and 1 or 0}\n"
    "end\n"
    "if put_undeclared (job, key, version) then\n"
    "  local ranked, running = job_versions (job)\n"
    "  return {-1, ranked, running, version}\n"
    "end\n"
    "return put_job (job, deleted, id, ARGV[2], ARGV[3], key, version)\n";

//  Delete: KEYS job, deleted, then the keys of each version declared; ARGV
//  id, the versions declared.  Touches only the job's keys (the registry's
//  set is the caller's next step).  Returns {1}, {0} when there is no such
//  job, or {-1, ranked, re-scoring version} when one of those is not
//  declared (nothing written: call again declaring them).
static const char *s_delete_lua =
    JM_LUA_VERSION_KEYS
    "local job, id = KEYS[1], ARGV[1]\n"
    "local key = declare (3, ARGV[2])\n"
    "if redis.call ('EXISTS', job) == 0 then return {0} end\n"
    "local ranked, running = job_versions (job)\n"
    "if (ranked > 0 and not key (ranked, 1)) or (running > 0 and not key (running, 1)) then\n"
    "  return {-1, ranked, running}\n"
    "end\n"
    "if ranked > 0 then drop (key, ranked) end\n"
    "if running > 0 then\n"
    "  drop (key, running)\n"
    "  redis.call ('DEL', key (running, 8), key (running, 9))\n"
    "end\n"
    "redis.call ('HSET', KEYS[2], id, redis.call ('HGET', job, 'version'))\n"
    "redis.call ('DEL', job)\n"
    "return {1}\n";

//  Guard: KEYS job, deleted; ARGV rank prefix, rescore prefix, version the
//  results were written for, candidate ids joined by newlines, job id.
//  When that version is no longer current, hands the candidates to the
//  re-scoring of the current version (starting one when none runs) and
//  drops the ranking they were written to unless readers or the
//  re-scoring use it.
static const char *s_guard_lua =
    JM_LUA_VERSION_KEYS
    JM_LUA_HAND_OVER
    "return hand_over (KEYS[1], KEYS[2], ARGV[5], prefixed (ARGV[1], ARGV[2]), tonumber (ARGV[3]), "
    "ARGV[4])\n";

//  A built-in job, kept until seeded
typedef struct {
    char *id;
    char *json;                 //  as stored: compact, skills by id, no version
} s_builtin_t;

//  A job's state in Redis, as read by a reload
typedef struct {
    const char *id;             //  borrowed from the SMEMBERS reply
    int version, ranked, rescore_version;
} s_state_t;

struct _jm_registry_t {
    jm_engine_t *engine;
    jm_store_t *store;
    const jm_keys_t *keys;
    const jm_store_script_t *put, *delete, *guard;
    jm_registry_job_t *jobs;
    int count;
    s_builtin_t *builtins;
    int builtin_count;
    char **builtin_ids;         //  kept after seeding, for healing
    int builtin_id_count;
    bool heal_refused;          //  the last heal failed (logged once until one works)
    bool seeded, loaded;
    long long seq;
    int poll_ms;
    int64_t next_poll;
    int64_t next_resync;        //  reload then even when jobs:seq did not move
    jm_store_calls_t *calls;
};

//  --------------------------------------------------------------------------
//  Keys of one job, built once per use

typedef struct {
    char job [JM_KEYS_MAX], jobs [JM_KEYS_MAX], seq [JM_KEYS_MAX], seeded [JM_KEYS_MAX];
    char deleted [JM_KEYS_MAX];
    char rank [JM_KEYS_MAX], rescore [JM_KEYS_MAX], events [JM_KEYS_MAX];
} s_keys_t;

//  Builds every key of job id.  Returns 0, or -1 with err set for a bad id.
static int
s_keys (const jm_keys_t *keys, const char *id, s_keys_t *out, jm_error_t *err)
{
    if (jm_keys_check_id ("job id", id, err))
        return -1;
    if (jm_keys_job (keys, id, out->job, sizeof out->job, err) < 0
    ||  jm_keys_jobs (keys, out->jobs, sizeof out->jobs, err) < 0
    ||  jm_keys_jobs_seq (keys, out->seq, sizeof out->seq, err) < 0
    ||  jm_keys_jobs_seeded (keys, out->seeded, sizeof out->seeded, err) < 0
    ||  jm_keys_job_deleted (keys, id, out->deleted, sizeof out->deleted, err) < 0
    ||  jm_keys_rank_prefix (keys, id, out->rank, sizeof out->rank, err) < 0
    ||  jm_keys_rescore_prefix (keys, id, out->rescore, sizeof out->rescore, err) < 0
    ||  jm_keys_events (keys, out->events, sizeof out->events, err) < 0)
        return -1;
    return 0;
}

//  The job as stored: compact JSON, keys sorted, no version.  Caller frees.
static char *
s_job_text (const jm_job_t *job)
{
    json_t *json = jm_job_to_json (job);
    json_object_del (json, "version");
    char *text = jm_alloc_check (json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS), "JSON text");
    json_decref (json);
    return text;
}

static void
s_entry_fill (jm_registry_job_t *entry, const jm_job_t *job, int version)
{
    memset (entry, 0, sizeof *entry);
    entry->job = job;
    snprintf (entry->id_text, sizeof entry->id_text, "%s", jm_job_id (job));
    entry->id = entry->id_text;
    entry->version = version;
    snprintf (entry->version_text, sizeof entry->version_text, "%d", version);
    char *text = s_job_text (job);
    uint64_t hash = 1469598103934665603ULL;
    for (const char *p = text; *p; p++) {
        hash ^= (unsigned char) *p;
        hash *= 1099511628211ULL;
    }
    snprintf (entry->hash, sizeof entry->hash, "%016llx", (unsigned long long) hash);
    free (text);
}

//  Rebuilds the entries from the engine's jobs, keeping re-scorer state.
static void
s_entries_rebuild (jm_registry_t *self, const s_state_t *states, size_t state_count)
{
    int count = jm_engine_job_count (self->engine);
    jm_registry_job_t *jobs = jm_calloc ((size_t) (count ? count : 1), sizeof *jobs);
    for (int i = 0; i < count; i++) {
        const jm_job_t *job = jm_engine_job_at (self->engine, i);
        s_entry_fill (&jobs [i], job, jm_job_version (job));
        for (size_t s = 0; s < state_count; s++)
            if (strcmp (states [s].id, jm_job_id (job)) == 0) {
                jobs [i].ranked = states [s].ranked;
                jobs [i].rescore_version = states [s].rescore_version;
            }
        const jm_registry_job_t *old = jm_registry_find (self, jm_job_id (job));
        if (old && old->rescore_version == jobs [i].rescore_version)
            jobs [i].rescore_idle_until = old->rescore_idle_until;
    }
    free (self->jobs);
    self->jobs = jobs;
    self->count = count;
}

jm_registry_t *
jm_registry_new (jm_engine_t *engine, jm_store_t *store, int poll_ms)
{
    assert (engine && store);
    jm_registry_t *self = jm_calloc (1, sizeof *self);
    self->engine = engine;
    self->store = store;
    self->keys = jm_store_keys (store);
    self->poll_ms = poll_ms > 0 ? poll_ms : 250;
    self->seq = -1;
    self->calls = jm_store_calls_new ();
    self->put = jm_store_script (store, "job put", s_put_lua);
    self->delete = jm_store_script (store, "job delete", s_delete_lua);
    self->guard = jm_store_script (store, "version guard", s_guard_lua);
    self->builtin_count = self->builtin_id_count = jm_engine_job_count (engine);
    self->builtins = jm_calloc ((size_t) self->builtin_count + 1, sizeof (s_builtin_t));
    self->builtin_ids = jm_calloc ((size_t) self->builtin_id_count + 1, sizeof (char *));
    for (int i = 0; i < self->builtin_count; i++) {
        const jm_job_t *job = jm_engine_job_at (engine, i);
        self->builtins [i].id = jm_strdup (jm_job_id (job));
        self->builtins [i].json = s_job_text (job);
        self->builtin_ids [i] = jm_strdup (jm_job_id (job));
    }
    s_entries_rebuild (self, NULL, 0);
    return self;
}

static void
s_builtins_free (jm_registry_t *self)
{
    for (int i = 0; i < self->builtin_count; i++) {
        free (self->builtins [i].id);
        free (self->builtins [i].json);
    }
    free (self->builtins);
    self->builtins = NULL;
    self->builtin_count = 0;
}

void
jm_registry_destroy (jm_registry_t **self_p)
{
    assert (self_p);
    jm_registry_t *self = *self_p;
    if (!self)
        return;
    s_builtins_free (self);
    for (int i = 0; i < self->builtin_id_count; i++)
        free (self->builtin_ids [i]);
    free (self->builtin_ids);
    free (self->jobs);
    jm_store_calls_destroy (&self->calls);
    free (self);
    *self_p = NULL;
}

bool
jm_registry_loaded (jm_registry_t *self)
{
    return self->loaded;
}

const jm_registry_job_t *
jm_registry_find (jm_registry_t *self, const char *id)
{
    int low = 0, high = self->count - 1;
    while (id && low <= high) {
        int middle = (low + high) / 2;
        int cmp = strcmp (self->jobs [middle].id, id);
        if (cmp == 0)
            return &self->jobs [middle];
        if (cmp < 0)
            low = middle + 1;
        else
            high = middle - 1;
    }
    return NULL;
}

int
jm_registry_count (jm_registry_t *self)
{
    return self->count;
}

jm_registry_job_t *
jm_registry_at (jm_registry_t *self, int index)
{
    return index >= 0 && index < self->count ? &self->jobs [index] : NULL;
}

//  --------------------------------------------------------------------------
//  The keys of the job versions a script touches, declared in its KEYS

#define S_ATTEMPTS      4       //  calls of a script whose job versions moved meanwhile
#define S_FIXED_MAX     5       //  keys before the versions'
#define S_ARGS_MAX      7       //  arguments before the versions' list

void
jm_registry_versions_add (jm_registry_versions_t *self, const jm_keys_t *keys, const char *id,
                          long long version)
{
    if (version <= 0 || version >= INT32_MAX || self->count == JM_REGISTRY_VERSIONS_MAX)
        return;
    for (int i = 0; i < self->count; i++)
        if (self->versions [i] == version)
            return;
    char text [16];
    snprintf (text, sizeof text, "%lld", version);
    if (jm_keys_job_version (keys, id, text, self->keys + self->count * JM_KEYS_VERSION_KEYS, NULL))
        return;
    size_t used = strlen (self->list);
    if (used)
        self->list [used++] = ',';
    memcpy (self->list + used, text, strlen (text) + 1);
    self->versions [self->count++] = (int) version;
}

size_t
jm_registry_add_declared (jm_store_calls_t *calls, const jm_store_script_t *script,
                          const jm_registry_versions_t *versions, const char **fixed,
                          int fixed_count, const char **args, int arg_count)
{
    assert (fixed_count <= S_FIXED_MAX && arg_count <= S_ARGS_MAX);
    const char *argv [S_FIXED_MAX + JM_REGISTRY_VERSIONS_MAX * JM_KEYS_VERSION_KEYS + S_ARGS_MAX + 1];
    int at = 0;
    for (int i = 0; i < fixed_count; i++)
        argv [at++] = fixed [i];
    for (int i = 0; i < versions->count * JM_KEYS_VERSION_KEYS; i++)
        argv [at++] = versions->keys [i];
    int key_count = at;
    for (int i = 0; i < arg_count; i++)
        argv [at++] = args [i];
    argv [at++] = versions->list;
    return jm_store_calls_add_script (calls, script, key_count, at, argv, NULL);
}

bool
jm_registry_redeclare (jm_registry_versions_t *self, const jm_keys_t *keys, const char *id,
                       const jm_reply_t *reply)
{
    long long first = 0;
    if (!jm_reply_int (jm_reply_item (reply, 0), &first) || first != -1)
        return false;
    memset (self, 0, sizeof *self);
    for (size_t i = 1; i < reply->count; i++) {
        long long version = 0;
        if (jm_reply_int (jm_reply_item (reply, i), &version))
            jm_registry_versions_add (self, keys, id, version);
    }
    return true;
}

const jm_reply_t *
jm_registry_run_declared (jm_store_t *store, jm_store_calls_t *calls,
                          const jm_store_script_t *script, const char *id,
                          jm_registry_versions_t *versions, const char **fixed, int fixed_count,
                          const char **args, int arg_count)
{
    for (int attempt = 0; attempt < S_ATTEMPTS; attempt++) {
        jm_store_calls_reset (calls);
        jm_registry_add_declared (calls, script, versions, fixed, fixed_count, args, arg_count);
        if (jm_store_run (store, calls))
            return NULL;
        const jm_reply_t *reply = jm_store_calls_reply (calls, 0);
        if (!jm_registry_redeclare (versions, jm_store_keys (store), id, reply))
            return reply;
    }
    jm_log_error ("job %s: its versions moved at each of %d attempts", id, S_ATTEMPTS);
    return NULL;
}

//  Runs script as jm_registry_run_declared, on the registry's store.
static const jm_reply_t *
s_run_declared (jm_registry_t *self, const jm_store_script_t *script, const char *id,
                jm_registry_versions_t *versions, const char **fixed, int fixed_count,
                const char **args, int arg_count)
{
    return jm_registry_run_declared (self->store, self->calls, script, id, versions,
                                     fixed, fixed_count, args, arg_count);
}

//  {"event": kind, "id": id[, "version": version]}, as published on
//  <ns>:events (version 0: none).  Caller frees.
static char *
s_event_text (const char *kind, const char *id, long long version)
{
    json_t *json = json_pack ("{s:s, s:s}", "event", kind, "id", id);
    if (version > 0)
        json_object_set_new (json, "version", json_integer (version));
    char *text = jm_alloc_check (json_dumps (json, JSON_COMPACT), "JSON text");
    json_decref (json);
    return text;
}

void
jm_registry_announce (jm_registry_t *self, const char *id, const char *kind, long long version)
{
    s_keys_t keys;
    if (s_keys (self->keys, id, &keys, NULL))
        return;
    const char *incr [] = { "INCR", keys.seq };
    jm_store_append (self->store, 2, incr, NULL);
    if (kind) {
        char *event = s_event_text (kind, id, version);
        const char *publish [] = { "PUBLISH", keys.events, event };
        jm_store_append (self->store, 3, publish, NULL);
        free (event);
    }
}

//  What the registry-wide step does with a job's id in <ns>:jobs
typedef enum { S_LIST_KEEP, S_LIST_ADD, S_LIST_REMOVE } s_list_t;

//  The registry-wide part of a change, sent after (or, for a put's
//  listing, also before) the job's own script: in a cluster the two live
//  in different slots, so they cannot be one script (proto/redis-keys.md,
//  3.3).  Adds id to <ns>:jobs or removes it, marks it seeded, and with a
//  version (the job's new version, 0: none, -1: deleted) raises jobs:seq
//  and publishes the event.  Each part is idempotent but the raise, and
//  one raise more only makes the matchers reload.  Returns 0, or -1 when
//  Redis did not take them.
static int
s_registry_step (jm_registry_t *self, const s_keys_t *keys, const char *id, s_list_t list,
                 bool seeded, long long version)
{
    jm_store_calls_reset (self->calls);
    if (list != S_LIST_KEEP)
        jm_store_calls_addv (self->calls, list == S_LIST_ADD ? "SADD" : "SREM", keys->jobs, id,
                             NULL);
    if (seeded)
        jm_store_calls_addv (self->calls, "SADD", keys->seeded, id, NULL);
    char *event = NULL;
    if (version != 0) {
        event = version > 0 ? s_event_text ("job", id, version) : s_event_text ("deleted", id, 0);
        jm_store_calls_addv (self->calls, "INCR", keys->seq, NULL);
        jm_store_calls_addv (self->calls, "PUBLISH", keys->events, event, NULL);
    }
    int rc = jm_store_calls_count (self->calls) ? jm_store_run (self->store, self->calls) : 0;
    free (event);
    return rc;
}

//  Declares the versions the registry last saw for job id (a first guess).
static void
s_versions_guess (jm_registry_t *self, const char *id, jm_registry_versions_t *versions, bool next)
{
    const jm_registry_job_t *entry = jm_registry_find (self, id);
    if (!entry)
        return;
    jm_registry_versions_add (versions, self->keys, id, entry->ranked);
    jm_registry_versions_add (versions, self->keys, id, entry->rescore_version);
    if (next)
        jm_registry_versions_add (versions, self->keys, id, entry->version + 1);
}

//  --------------------------------------------------------------------------
//  Seeding and loading

//  True when the SMEMBERS reply set holds id.
static bool
s_member (const jm_reply_t *set, const char *id)
{
    for (size_t i = 0; set && set->type == JM_REPLY_ARRAY && i < set->count; i++) {
        const char *member = jm_reply_str (jm_reply_item (set, i));
        if (member && strcmp (member, id) == 0)
            return true;
    }
    return false;
}

//  Puts every built-in job never seeded before: not in <ns>:jobs:seeded
//  (kept by healing when the deleted versions were lost with the rest),
//  then, in the put script, neither stored nor deleted.
static int
s_seed (jm_registry_t *self)
{
    char now [24], seeded_key [JM_KEYS_MAX];
    snprintf (now, sizeof now, "%lld", (long long) zclock_time ());
    jm_keys_jobs_seeded (self->keys, seeded_key, sizeof seeded_key, NULL);
    jm_store_calls_t *members = jm_store_calls_new ();
    jm_store_calls_addv (members, "SMEMBERS", seeded_key, NULL);
    if (jm_store_run (self->store, members)) {
        jm_store_calls_destroy (&members);
        return -1;
    }
    const jm_reply_t *already = jm_store_calls_reply (members, 0);
    jm_registry_versions_t *versions = jm_calloc (1, sizeof *versions);
    int seeded = 0, rc = 0;
    for (int i = 0; i < self->builtin_count && rc == 0; i++) {
        s_keys_t keys;
        if (s_member (already, self->builtins [i].id)
        ||  s_keys (self->keys, self->builtins [i].id, &keys, NULL))
            continue;
        const char *fixed [] = { keys.job, keys.deleted };
        const char *args [] = { self->builtins [i].id, self->builtins [i].json, now, "1", "0" };
        memset (versions, 0, sizeof *versions);
        const jm_reply_t *reply = s_run_declared (self, self->put, self->builtins [i].id,
                                                  versions, fixed, 2, args, 5);
        long long version = 0, exists = 0;
        if (!reply)
            rc = -1;
        else
        if (jm_reply_is_error (reply))
            jm_log_error ("seeding a built-in job: %s", reply->str);
        else {
            jm_reply_int (jm_reply_item (reply, 0), &version);
            jm_reply_int (jm_reply_item (reply, 2), &exists);
            if (s_registry_step (self, &keys, self->builtins [i].id,
                                 exists ? S_LIST_ADD : S_LIST_KEEP, true, version))
                rc = -1;
            else
            if (version > 0)
                seeded++;
        }
    }
    free (versions);
    jm_store_calls_destroy (&members);
    if (rc)
        return -1;
    if (seeded)
        jm_log_info ("put %d built-in jobs in the registry", seeded);
    self->seeded = true;
    s_builtins_free (self);
    return 0;
}

static int
s_reply_int (const jm_reply_t *reply)
{
    long long value = 0;
    return jm_reply_int (reply, &value) && value > 0 && value < INT32_MAX ? (int) value : 0;
}

//  Parses a stored job at version; NULL (logged) when it does not parse.
static jm_job_t *
s_job_parse (jm_registry_t *self, const char *id, const char *text, int version)
{
    json_error_t json_error;
    json_t *json = text ? json_loads (text, 0, &json_error) : NULL;
    jm_error_t err;
    jm_error_clear (&err);
    jm_job_t *job = json ? jm_job_new_from_json (json, jm_engine_taxonomy (self->engine), &err) : NULL;
    json_decref (json);
    if (job && strcmp (jm_job_id (job), id) != 0)
        jm_job_destroy (&job);
    if (!job) {
        jm_log_warning ("job %s version %d in Redis cannot be used, skipped: %s", id, version,
                        text ? err.message : "no json");
        return NULL;
    }
    jm_job_set_version (job, version);
    return job;
}

//  Puts back the jobs of the engine named in ids (count of them) that the
//  registry lost, at their versions, one put script each (healing: see
//  s_put_lua), then marks the built-in jobs seeded (a built-in job deleted
//  before stays deleted).  Returns how many were put back, or -1 when
//  Redis is not available or refuses.
static int
s_heal (jm_registry_t *self, const char **ids, size_t count)
{
    char now [24];
    snprintf (now, sizeof now, "%lld", (long long) zclock_time ());
    jm_registry_versions_t *versions = jm_calloc (1, sizeof *versions);
    int healed = 0;
    const jm_reply_t *reply = NULL;
    for (size_t i = 0; i < count && healed >= 0; i++) {
        const jm_job_t *job = jm_engine_job (self->engine, ids [i]);
        s_keys_t keys;
        if (!job || s_keys (self->keys, ids [i], &keys, NULL))
            continue;
        char *text = s_job_text (job);
        char version [16];
        snprintf (version, sizeof version, "%d", jm_job_version (job));
        const char *fixed [] = { keys.job, keys.deleted };
        const char *args [] = { ids [i], text, now, "0", version };
        memset (versions, 0, sizeof *versions);
        s_versions_guess (self, ids [i], versions, false);
        jm_registry_versions_add (versions, self->keys, ids [i], jm_job_version (job));
        reply = s_run_declared (self, self->put, ids [i], versions, fixed, 2, args, 5);
        free (text);
        long long put = 0, exists = 0;
        if (!reply || jm_reply_is_error (reply) || !jm_reply_int (jm_reply_item (reply, 0), &put))
            healed = -1;
        else
        if (!jm_reply_int (jm_reply_item (reply, 2), &exists)
        ||  s_registry_step (self, &keys, ids [i], exists ? S_LIST_ADD : S_LIST_KEEP, false, put)) {
            reply = NULL;
            healed = -1;
        }
        else
        if (put > 0) {
            jm_log_warning ("job %s was gone from the registry (Redis lost it): put back "
                            "at version %d", ids [i], jm_job_version (job));
            healed++;
        }
        else
        if (exists) {
            //  its put stopped between the job's script and the registry's step
            jm_log_warning ("job %s was missing from the registry's list: listed again", ids [i]);
            healed++;
        }
    }
    free (versions);
    if (healed >= 0 && self->builtin_id_count) {
        char seeded [JM_KEYS_MAX];
        jm_keys_jobs_seeded (self->keys, seeded, sizeof seeded, NULL);
        const char **argv = jm_calloc ((size_t) self->builtin_id_count + 2, sizeof (char *));
        argv [0] = "SADD";
        argv [1] = seeded;
        for (int i = 0; i < self->builtin_id_count; i++)
            argv [i + 2] = self->builtin_ids [i];
        jm_store_calls_reset (self->calls);
        jm_store_calls_add (self->calls, self->builtin_id_count + 2, argv, NULL);
        free (argv);
        reply = NULL;
        if (jm_store_run (self->store, self->calls) == 0)
            reply = jm_store_calls_reply (self->calls, 0);
        if (!reply || jm_reply_is_error (reply))
            healed = -1;
    }
    if (healed < 0) {
        //  Redis refusing writes (OOM, read-only) would refuse every poll
        if (reply && !self->heal_refused)
            jm_log_error ("registry heal: %s; trying again at every poll",
                          reply->str ? reply->str : "bad reply");
        self->heal_refused = reply != NULL;
    }
    else
        self->heal_refused = false;
    return healed;
}

//  The jobs of the engine the registry lost: once loaded, a job held here
//  that the registry lacks or holds at a lower version (versions only rise,
//  and a delete records the version it deleted: s_put_lua tells the two
//  apart).  Returns how many ids it wrote into lost (room for every job).
static size_t
s_lost (jm_registry_t *self, const s_state_t *states, size_t state_count, const char **lost)
{
    size_t count = 0;
    for (int i = 0; i < jm_engine_job_count (self->engine); i++) {
        const jm_job_t *job = jm_engine_job_at (self->engine, i);
        int registered = 0;
        for (size_t s = 0; s < state_count; s++)
            if (states [s].id && strcmp (states [s].id, jm_job_id (job)) == 0)
                registered = states [s].version;
        if (registered < jm_job_version (job))
            lost [count++] = jm_job_id (job);
    }
    return count;
}

//  Loads every registered job whose version changed (three round trips at
//  most).  With may_heal, first puts back the jobs the registry lost (see
//  s_lost) and returns 1: load again.  Else returns 0, or -1 when Redis is
//  not available.
static int
s_load_pass (jm_registry_t *self, bool may_heal)
{
    char jobs_key [JM_KEYS_MAX], seq_key [JM_KEYS_MAX];
    jm_keys_jobs (self->keys, jobs_key, sizeof jobs_key, NULL);
    jm_keys_jobs_seq (self->keys, seq_key, sizeof seq_key, NULL);
    jm_store_calls_t *members = jm_store_calls_new ();
    jm_store_calls_addv (members, "GET", seq_key, NULL);
    jm_store_calls_addv (members, "SMEMBERS", jobs_key, NULL);
    int rc = -1;
    s_state_t *states = NULL;
    if (jm_store_run (self->store, members))
        goto done;
    long long seq = 0;
    jm_reply_int (jm_store_calls_reply (members, 0), &seq);
    const jm_reply_t *ids = jm_store_calls_reply (members, 1);
    size_t count = ids && ids->type == JM_REPLY_ARRAY ? ids->count : 0;
    states = jm_calloc (count + 1, sizeof *states);
    //  round trip 2: the versions
    jm_store_calls_reset (self->calls);
    for (size_t i = 0; i < count; i++) {
        char key [JM_KEYS_MAX];
        states [i].id = jm_reply_str (jm_reply_item (ids, i));
        if (!states [i].id || jm_keys_job (self->keys, states [i].id, key, sizeof key, NULL) < 0)
            strcpy (key, "-");
        jm_store_calls_addv (self->calls, "HMGET", key, "version", "ranked", "rescore_version", NULL);
    }
    if (count && jm_store_run (self->store, self->calls))
        goto done;
    for (size_t i = 0; i < count; i++) {
        const jm_reply_t *reply = jm_store_calls_reply (self->calls, i);
        states [i].version = s_reply_int (jm_reply_item (reply, 0));
        states [i].ranked = s_reply_int (jm_reply_item (reply, 1));
        states [i].rescore_version = s_reply_int (jm_reply_item (reply, 2));
    }
    if (may_heal && self->loaded) {
        const char **lost = jm_calloc ((size_t) jm_engine_job_count (self->engine) + 1,
                                    sizeof (char *));
        size_t lost_count = s_lost (self, states, count, lost);
        int healed = lost_count ? s_heal (self, lost, lost_count) : 0;
        free (lost);
        if (healed != 0) {
            rc = healed < 0 ? -1 : 1;
            goto done;
        }
    }
    //  round trip 3: the jobs whose version this matcher does not have
    jm_store_calls_reset (self->calls);
    size_t *changed = jm_calloc (count + 1, sizeof (size_t));
    size_t changed_count = 0;
    for (size_t i = 0; i < count; i++) {
        if (!states [i].id || states [i].version == 0)
            continue;
        const jm_job_t *known = jm_engine_job (self->engine, states [i].id);
        if (self->loaded && known && jm_job_version (known) == states [i].version)
            continue;
        char key [JM_KEYS_MAX];
        jm_keys_job (self->keys, states [i].id, key, sizeof key, NULL);
        jm_store_calls_addv (self->calls, "HGET", key, "json", NULL);
        changed [changed_count++] = i;
    }
    if (changed_count && jm_store_run (self->store, self->calls)) {
        free (changed);
        goto done;
    }
    for (size_t c = 0; c < changed_count; c++) {
        s_state_t *state = &states [changed [c]];
        const char *text = jm_reply_str (jm_store_calls_reply (self->calls, c));
        jm_job_t *job = s_job_parse (self, state->id, text, state->version);
        if (job) {
            jm_log_debug ("job %s now at version %d", state->id, state->version);
            jm_engine_put_job (self->engine, &job);
        }
    }
    free (changed);
    //  jobs deleted meanwhile
    for (int i = jm_engine_job_count (self->engine) - 1; i >= 0; i--) {
        const char *id = jm_job_id (jm_engine_job_at (self->engine, i));
        bool registered = false;
        for (size_t s = 0; s < count && !registered; s++)
            registered = states [s].id && states [s].version > 0 && strcmp (states [s].id, id) == 0;
        if (!registered) {
            jm_log_debug ("job %s no longer registered", id);
            jm_engine_delete_job (self->engine, id);
        }
    }
    s_entries_rebuild (self, states, count);
    if (!self->loaded)
        jm_log_info ("loaded %d jobs from the registry", self->count);
    self->loaded = true;
    self->seq = seq;
    self->next_resync = zclock_mono () + RESYNC_MS;
    rc = 0;
done:
    free (states);
    jm_store_calls_destroy (&members);
    return rc;
}

//  Loads every registered job whose version changed, putting back first
//  what the registry lost.  Returns 0, or -1 when Redis is not available.
static int
s_load (jm_registry_t *self)
{
    int rc = s_load_pass (self, true);
    return rc == 1 ? s_load_pass (self, false) : rc;
}

void
jm_registry_reload (jm_registry_t *self)
{
    if (self->seeded)
        s_load (self);
}

int
jm_registry_tick (jm_registry_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->next_poll)
        return (int) (self->next_poll - now);
    self->next_poll = now + self->poll_ms;
    if (!self->seeded || !self->loaded) {
        if ((!self->seeded && s_seed (self)) || s_load (self))
            self->next_poll = now + SEED_RETRY_MS;
        return (int) (self->next_poll - now);
    }
    jm_registry_refresh (self);
    return self->poll_ms;
}

bool
jm_registry_refresh (jm_registry_t *self)
{
    if (!self->seeded || !self->loaded)
        return false;
    char seq_key [JM_KEYS_MAX];
    jm_keys_jobs_seq (self->keys, seq_key, sizeof seq_key, NULL);
    jm_store_calls_reset (self->calls);
    jm_store_calls_addv (self->calls, "GET", seq_key, NULL);
    if (jm_store_run (self->store, self->calls))
        return false;
    long long seq = 0;
    jm_reply_int (jm_store_calls_reply (self->calls, 0), &seq);
    //  a change whose raise of jobs:seq was lost (a matcher stopped between
    //  a job's script and the registry's step) is found within RESYNC_MS
    int64_t now = zclock_mono ();
    if (seq == self->seq && now < self->next_resync)
        return false;
    return s_load (self) == 0;
}

void
jm_registry_guard (jm_registry_t *self, const jm_registry_job_t *job,
                   const char **candidates, size_t count)
{
    s_keys_t keys;
    if (count == 0 || !self->loaded || s_keys (self->keys, job->id, &keys, NULL))
        return;
    jm_buf_t packed;
    jm_buf_init (&packed);
    jm_registry_pack_ids (&packed, candidates, count);
    const char *argv [] = { keys.job, keys.deleted, keys.rank, keys.rescore, job->version_text,
                            packed.data, job->id };
    jm_store_append_script (self->store, self->guard, 2, 7, argv, NULL);
    jm_buf_free (&packed);
}

void
jm_registry_fingerprint (const jm_registry_job_t *job, const jm_candidate_t *candidate,
                         char *out)
{
    //  "<version>:<8 hex of the job>:<scorer version>:<16 hex>", once per
    //  candidate and job, so without printf
    size_t version_len = strlen (job->version_text);
    size_t scorer_len = strlen (JM_SCORER_VERSION);
    assert (version_len + 8 + scorer_len + 16 + 4 <= 64);
    char *at = out;
    memcpy (at, job->version_text, version_len);
    at += version_len;
    *at++ = ':';
    memcpy (at, job->hash, 8);
    at += 8;
    *at++ = ':';
    memcpy (at, JM_SCORER_VERSION, scorer_len);
    at += scorer_len;
    *at++ = ':';
    jm_candidate_fingerprint_hex (candidate, at);
}

//  --------------------------------------------------------------------------
//  The service

static void
s_unavailable (jm_registry_t *self, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_error_set (&err, JM_ERR_IO, "Redis is not available (%s); try again",
                  jm_store_endpoint (self->store));
    jm_body_error (out, &err);
}

//  Appends "rescoring": null | {"version", "done", "total"} from HMGET replies.
static void
s_write_progress (jm_buf_t *out, const jm_reply_t *version, const jm_reply_t *done,
                  const jm_reply_t *total)
{
    long long v = 0, d = 0, t = 0;
    if (!jm_reply_int (version, &v) || v <= 0) {
        jm_buf_puts (out, ",\"rescoring\":null");
        return;
    }
    jm_reply_int (done, &d);
    jm_reply_int (total, &t);
    jm_buf_printf (out, ",\"rescoring\":{\"version\":%lld,\"done\":%lld,\"total\":%lld}", v,
                   d < t ? d : t, t);
}

//  Appends the stored job text with "version" added.
static void
s_write_job (jm_buf_t *out, const char *text, long long version)
{
    size_t len = strlen (text);
    if (len < 2 || text [len - 1] != '}') {
        jm_buf_puts (out, "null");
        return;
    }
    jm_buf_append (out, text, len - 1);
    jm_buf_printf (out, "%s\"version\":%lld}", len > 2 ? "," : "", version);
}

static void
s_serve_put (jm_registry_t *self, json_t *body, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    json_t *object = json_object_get (body, "job");
    if (!json_is_object (object)) {
        jm_error_set (&err, JM_ERR_INVALID_REQUEST, "job must be an object (the job profile)");
        jm_body_error (out, &err);
        return;
    }
    json_t *id = json_object_get (object, "id");
    s_keys_t keys;
    if (!json_is_string (id)) {
        jm_error_set (&err, JM_ERR_INVALID_REQUEST, "job.id must be a string");
        jm_body_error (out, &err);
        return;
    }
    if (s_keys (self->keys, json_string_value (id), &keys, &err)) {
        jm_error_prefix (&err, "job.id: ");
        jm_body_error (out, &err);
        return;
    }
    //  the version is the registry's: ignore any in the request
    json_t *copy = json_copy (object);
    json_object_del (copy, "version");
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (self->engine);
    jm_job_t *job = jm_job_new_from_json (copy, taxonomy, &err);
    if (!job) {
        jm_buf_reset (out);
        jm_buf_puts (out, "{\"ok\":false,\"error\":");
        jm_error_write_json (&err, out);
        if (streq (err.code, JM_ERR_UNKNOWN_SKILL)) {
            json_t *unknown = jm_job_unknown_skills (copy, taxonomy);
            out->len--;                 //  reopen the error object
            jm_buf_puts (out, ",\"unknown\":");
            jm_body_json (out, unknown);
            jm_buf_puts (out, "}");
            json_decref (unknown);
        }
        jm_buf_puts (out, "}");
        json_decref (copy);
        return;
    }
    json_decref (copy);
    char *text = s_job_text (job);
    jm_job_destroy (&job);
    char now [24];
    snprintf (now, sizeof now, "%lld", (long long) zclock_time ());
    const char *fixed [] = { keys.job, keys.deleted };
    const char *args [] = { json_string_value (id), text, now, "0", "0" };
    //  listed first: a matcher stopped after the job's script leaves a job
    //  every matcher finds; one stopped before, an id without a job, which
    //  readers skip (proto/redis-keys.md, 3.3)
    const jm_reply_t *reply = NULL;
    jm_registry_versions_t *versions = jm_calloc (1, sizeof *versions);
    s_versions_guess (self, json_string_value (id), versions, true);
    if (s_registry_step (self, &keys, json_string_value (id), S_LIST_ADD, false, 0) == 0)
        reply = s_run_declared (self, self->put, json_string_value (id), versions, fixed, 2,
                                args, 5);
    free (versions);
    long long version = 0, total = 0;
    jm_reply_int (jm_reply_item (reply, 1), &total);
    if (!reply || !jm_reply_int (jm_reply_item (reply, 0), &version) || version <= 0
    ||  s_registry_step (self, &keys, json_string_value (id), S_LIST_KEEP, false, version)) {
        if (reply && version <= 0)
            jm_log_error ("job put script: %s", reply->str ? reply->str : "bad reply");
        s_unavailable (self, out);
        free (text);
        return;
    }
    jm_log_info ("job %s put as version %lld; %lld candidates to re-score", json_string_value (id),
                 version, total);
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"job\":");
    s_write_job (out, text, version);
    if (total > 0)
        jm_buf_printf (out, ",\"rescoring\":{\"version\":%lld,\"done\":0,\"total\":%lld}}",
                       version, total);
    else
        jm_buf_puts (out, ",\"rescoring\":null}");
    free (text);
    s_load (self);
}

static void
s_serve_get (jm_registry_t *self, json_t *body, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    const char *id = jm_body_string (body, "id", JM_KEYS_ID_MAX, &err);
    s_keys_t keys;
    if (!id || s_keys (self->keys, id, &keys, &err)) {
        jm_body_error (out, &err);
        return;
    }
    jm_store_calls_reset (self->calls);
    jm_store_calls_addv (self->calls, "HMGET", keys.job, "json", "version", "ranked",
                         "rescore_version", "rescore_done", "rescore_total", NULL);
    if (jm_store_run (self->store, self->calls)) {
        s_unavailable (self, out);
        return;
    }
    const jm_reply_t *reply = jm_store_calls_reply (self->calls, 0);
    const char *text = jm_reply_str (jm_reply_item (reply, 0));
    if (!text) {
        jm_error_set (&err, JM_ERR_NOT_FOUND, "no job \"%.128s\" in the registry", id);
        jm_body_error (out, &err);
        return;
    }
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"job\":");
    s_write_job (out, text, s_reply_int (jm_reply_item (reply, 1)));
    jm_buf_printf (out, ",\"ranked_version\":%d", s_reply_int (jm_reply_item (reply, 2)));
    s_write_progress (out, jm_reply_item (reply, 3), jm_reply_item (reply, 4), jm_reply_item (reply, 5));
    jm_buf_puts (out, "}");
}

static int
s_compare_str (const void *a, const void *b)
{
    return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
s_serve_list (jm_registry_t *self, jm_buf_t *out)
{
    char jobs_key [JM_KEYS_MAX];
    jm_keys_jobs (self->keys, jobs_key, sizeof jobs_key, NULL);
    jm_store_calls_t *members = jm_store_calls_new ();
    jm_store_calls_t *ranks = jm_store_calls_new ();
    jm_store_calls_addv (members, "SMEMBERS", jobs_key, NULL);
    const char **ids = NULL;
    if (jm_store_run (self->store, members)) {
        s_unavailable (self, out);
        goto done;
    }
    const jm_reply_t *set = jm_store_calls_reply (members, 0);
    size_t count = set && set->type == JM_REPLY_ARRAY ? set->count : 0;
    ids = jm_calloc (count + 1, sizeof (char *));
    size_t valid = 0;
    for (size_t i = 0; i < count; i++)
        if (jm_reply_str (jm_reply_item (set, i)))
            ids [valid++] = jm_reply_str (jm_reply_item (set, i));
    qsort (ids, valid, sizeof (char *), s_compare_str);
    jm_store_calls_reset (self->calls);
    for (size_t i = 0; i < valid; i++) {
        char key [JM_KEYS_MAX];
        if (jm_keys_job (self->keys, ids [i], key, sizeof key, NULL) < 0)
            strcpy (key, "-");
        jm_store_calls_addv (self->calls, "HMGET", key, "json", "version", "ranked",
                             "rescore_version", "rescore_done", "rescore_total", NULL);
    }
    if (valid && jm_store_run (self->store, self->calls)) {
        s_unavailable (self, out);
        goto done;
    }
    for (size_t i = 0; i < valid; i++) {
        const jm_reply_t *reply = jm_store_calls_reply (self->calls, i);
        char key [JM_KEYS_MAX], version [16];
        snprintf (version, sizeof version, "%d", s_reply_int (jm_reply_item (reply, 2)));
        if (jm_keys_rank (self->keys, ids [i], version, key, sizeof key, NULL) < 0)
            strcpy (key, "-");
        jm_store_calls_addv (ranks, "ZCARD", key, NULL);
    }
    if (valid && jm_store_run (self->store, ranks)) {
        s_unavailable (self, out);
        goto done;
    }
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"jobs\":[");
    bool first = true;
    for (size_t i = 0; i < valid; i++) {
        const jm_reply_t *reply = jm_store_calls_reply (self->calls, i);
        const char *text = jm_reply_str (jm_reply_item (reply, 0));
        json_t *job = text ? json_loads (text, 0, NULL) : NULL;
        if (!job)
            continue;                   //  deleted between the round trips
        jm_buf_puts (out, first ? "{\"id\":" : ",{\"id\":");
        first = false;
        jm_buf_json_str (out, ids [i]);
        jm_buf_puts (out, ",\"title\":");
        jm_body_json (out, json_object_get (job, "title"));
        long long candidates = 0;
        jm_reply_int (jm_store_calls_reply (ranks, i), &candidates);
        jm_buf_printf (out, ",\"version\":%d,\"requirements\":%zu,\"candidates\":%lld,\"ranked_version\":%d",
                       s_reply_int (jm_reply_item (reply, 1)),
                       json_array_size (json_object_get (job, "requirements")), candidates,
                       s_reply_int (jm_reply_item (reply, 2)));
        s_write_progress (out, jm_reply_item (reply, 3), jm_reply_item (reply, 4), jm_reply_item (reply, 5));
        jm_buf_puts (out, "}");
        json_decref (job);
    }
    jm_buf_puts (out, "]}");
done:
    free (ids);
    jm_store_calls_destroy (&members);
    jm_store_calls_destroy (&ranks);
}

static void
s_serve_delete (jm_registry_t *self, json_t *body, jm_buf_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    const char *id = jm_body_string (body, "id", JM_KEYS_ID_MAX, &err);
    s_keys_t keys;
    if (!id || s_keys (self->keys, id, &keys, &err)) {
        jm_body_error (out, &err);
        return;
    }
    const char *fixed [] = { keys.job, keys.deleted };
    const char *args [] = { id };
    jm_registry_versions_t *versions = jm_calloc (1, sizeof *versions);
    s_versions_guess (self, id, versions, false);
    const jm_reply_t *reply = s_run_declared (self, self->delete, id, versions, fixed, 2, args, 1);
    free (versions);
    long long deleted = -1;
    if (!reply || !jm_reply_int (jm_reply_item (reply, 0), &deleted)
    ||  (deleted == 1 && s_registry_step (self, &keys, id, S_LIST_REMOVE, false, -1))) {
        s_unavailable (self, out);
        return;
    }
    if (deleted == 0) {
        jm_error_set (&err, JM_ERR_NOT_FOUND, "no job \"%.128s\" in the registry", id);
        jm_body_error (out, &err);
        return;
    }
    jm_log_info ("job %s deleted", id);
    jm_buf_reset (out);
    jm_buf_puts (out, "{\"ok\":true,\"id\":");
    jm_buf_json_str (out, id);
    jm_buf_puts (out, ",\"deleted\":true}");
    s_load (self);
}

void
jm_registry_serve (jm_registry_t *self, const void *data, size_t size, jm_buf_t *out)
{
    static const char * const ops [] = { "put", "get", "list", "delete", NULL };
    jm_error_t err;
    jm_error_clear (&err);
    json_t *body = jm_body_parse (data, size, &err);
    const char *op = body ? jm_body_op (body, JM_JOBS_SERVICE, ops, &err) : NULL;
    if (!op)
        jm_body_error (out, &err);
    else
    if (streq (op, "put"))
        s_serve_put (self, body, out);
    else
    if (streq (op, "get"))
        s_serve_get (self, body, out);
    else
    if (streq (op, "list"))
        s_serve_list (self, out);
    else
        s_serve_delete (self, body, out);
    json_decref (body);
}

void
jm_registry_pack_ids (jm_buf_t *out, const char **ids, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (i)
            jm_buf_append (out, "\n", 1);
        jm_buf_puts (out, ids [i]);
    }
    jm_buf_append (out, "", 0);                 //  NUL-terminated, "" for none
}
