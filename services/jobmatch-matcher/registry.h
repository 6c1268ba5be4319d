/*  registry: the job registry in Redis as one matcher sees it, and the
    service "jobmatch.jobs" (put, get, list, delete) that edits it.

    Jobs live in Redis (proto/services.md), so every matcher serves the same
    ones.  The registry keeps the matcher's engine in step with them: the
    first matcher to start puts the built-in profiles there (once each: a
    built-in job a user deleted stays deleted), then every matcher loads all
    registered jobs with their versions.  Each put, delete and end of a
    re-scoring raises <ns>:jobs:seq; a matcher reads it at most every
    poll_ms between batches (one GET) and reloads when it moved, and at
    least every 10 s anyway.

    Every change of a job hash runs as one Lua script touching only that
    job's keys (one slot in a Redis Cluster), so it is atomic; the
    registry-wide keys (the jobs set, jobs:seq, events) follow in a second,
    idempotent step (proto/redis-keys.md 3.3, *Two steps*).  A put
    raises the version, stores the job and starts the re-scoring of the
    candidates ranked so far (see rescore.h); a delete drops the job and its
    rankings; the guard, queued after each batch of results, hands results
    written against a version that is no longer current (a put landed while
    they were scored) to the re-scoring of the current one, so no candidate
    drops out of a ranking and no old score stays in one.

    Redis may lose the registry (flushed, restarted empty or from an older
    save).  A reload that finds a job this matcher holds missing, or at a
    lower version, without a delete recorded for it, puts back every such
    job at the version held, in one script that never lowers a version
    (proto/services.md, *Healing*); the jobs stay served meanwhile.

    Entries returned by the registry stay valid until the next call that may
    reload (jm_registry_tick, jm_registry_refresh, jm_registry_reload,
    jm_registry_serve).  Not
    thread-safe: it lives in the matcher's actor.                          */
#ifndef JM_MATCHER_REGISTRY_H
#define JM_MATCHER_REGISTRY_H

#include "jm_buf.h"
#include "jm_engine.h"
#include "jm_store.h"

#define JM_JOBS_SERVICE "jobmatch.jobs"

typedef struct _jm_registry_t jm_registry_t;

//  What the matcher knows of one registered job
typedef struct {
    const jm_job_t *job;            //  in the engine, with the registry's version
    const char *id;                 //  points to id_text
    char id_text [JM_JOB_ID_MAX + 1];   //  a copy: entries outlive jobs replaced on reload
    int version;
    char version_text [16];         //  for keys
    char hash [17];                 //  content hash, part of result fingerprints
    int ranked;                     //  version readers are shown
    int rescore_version;            //  a re-scoring to this version runs; 0 when none
    int64_t rescore_idle_until;     //  the re-scorer's: no claim before (monotonic ms)
} jm_registry_job_t;

//  Creates the registry of a matcher.  Borrows engine (whose jobs it
//  manages from now on: the built-in ones loaded from files are what it
//  seeds) and store (whose scripts it registers).  Does not talk to Redis:
//  call jm_registry_tick.
jm_registry_t *
    jm_registry_new (jm_engine_t *engine, jm_store_t *store, int poll_ms);

//  Frees the registry (not the engine nor the store); nulls the pointer.
void
    jm_registry_destroy (jm_registry_t **self_p);

//  True once the jobs were loaded from Redis at least once.  Until then the
//  matcher serves the built-in files as version 1.
bool
    jm_registry_loaded (jm_registry_t *self);

//  The job with this id (borrowed), or NULL.
const jm_registry_job_t *
    jm_registry_find (jm_registry_t *self, const char *id);

//  Registered jobs, sorted by id.
int
    jm_registry_count (jm_registry_t *self);
jm_registry_job_t *
    jm_registry_at (jm_registry_t *self, int index);

//  Periodic duties: seeds and loads when not done yet, and polls jobs:seq
//  when due (reloading when it moved, and putting back what the registry
//  lost).  Returns ms until it is next due.
int
    jm_registry_tick (jm_registry_t *self);

//  Reads jobs:seq now (one round trip) and reloads when it moved, for a
//  request naming a job this matcher does not know yet.  Returns true when
//  it reloaded (every entry handed out before is then invalid).
bool
    jm_registry_refresh (jm_registry_t *self);

//  Reloads now (after a ranking flipped, for example).
void
    jm_registry_reload (jm_registry_t *self);

//  Queues the guard for a batch of results written against job's version
//  (count candidate ids, borrowed), after the writes in the store's
//  pending buffer.  See the header comment.
void
    jm_registry_guard (jm_registry_t *self, const jm_registry_job_t *job,
                       const char **candidates, size_t count);

//  The fingerprint of a result: "<version>:<job hash>:<scorer>:<profile hash>",
//  into out [64].
void
    jm_registry_fingerprint (const jm_registry_job_t *job, const jm_candidate_t *candidate,
                             char *out);

//  Serves one request of jobmatch.jobs: body in, reply body in out.
void
    jm_registry_serve (jm_registry_t *self, const void *body, size_t size, jm_buf_t *out);

//  The keys of the job versions a script touches, declared in its KEYS
//  after its other keys (JM_KEYS_VERSION_KEYS each, jm_keys_job_version),
//  and their list ("3,4") passed last in ARGV (JM_LUA_VERSION_KEYS).
#define JM_REGISTRY_VERSIONS_MAX    3
typedef struct {
    char keys [JM_REGISTRY_VERSIONS_MAX * JM_KEYS_VERSION_KEYS][JM_KEYS_MAX];
    char list [JM_REGISTRY_VERSIONS_MAX * 16];
    int versions [JM_REGISTRY_VERSIONS_MAX];
    int count;
} jm_registry_versions_t;

//  Declares version of job id: nothing for 0, a version declared already
//  or when full (the script then names what it misses).
void jm_registry_versions_add (jm_registry_versions_t *self, const jm_keys_t *keys,
                               const char *id, long long version);

//  Adds script to calls with KEYS fixed, then the versions' keys, and ARGV
//  args, then the versions' list.  Returns the call's index.
size_t jm_registry_add_declared (jm_store_calls_t *calls, const jm_store_script_t *script,
                                 const jm_registry_versions_t *versions, const char **fixed,
                                 int fixed_count, const char **args, int arg_count);

//  A script that finds a version it would touch not declared writes
//  nothing and replies {-1, versions...}.  For such a reply, declares those
//  versions instead and returns true; else false.
bool jm_registry_redeclare (jm_registry_versions_t *self, const jm_keys_t *keys, const char *id,
                            const jm_reply_t *reply);

//  Runs script (jm_registry_add_declared) on calls, again with the versions
//  it names while it names some, 4 times at most.  Returns its reply (in
//  calls), or NULL when Redis is not available or the versions kept
//  moving (logged).
const jm_reply_t *jm_registry_run_declared (jm_store_t *store, jm_store_calls_t *calls,
                                            const jm_store_script_t *script, const char *id,
                                            jm_registry_versions_t *versions, const char **fixed,
                                            int fixed_count, const char **args, int arg_count);

//  Queues the raise of jobs:seq after a change of job id made by a job's
//  own script (which cannot touch the registry-wide keys in a cluster),
//  and with kind the event {"event": kind, "id": id, "version": version}
//  on <ns>:events.
void jm_registry_announce (jm_registry_t *self, const char *id, const char *kind,
                           long long version);

//  Appends ids joined by newlines to out, as hand_over takes them (below).
void jm_registry_pack_ids (jm_buf_t *out, const char **ids, size_t count);

//  Lua defining the keys of job versions.  A version's keys, in this
//  order: its ranking, the strong, good, partial and weak sets, the kept
//  summary and its parts, the re-scoring queue, its claims and the union
//  a put builds there (JM_KEYS_VERSION_KEYS).  declare (first, list) returns a
//  function key (v, i) over the keys declared in KEYS from first on, ten per
//  version in list ("3,4"), and nil for a version not declared.  drop (key,
//  v) deletes a version's ranking, band sets and kept summary; prefixed
//  (rp, qp) is a key function over keys built from a job's rank and rescore
//  prefixes instead (the version guard's, which cannot declare them);
//  job_versions (job) reads the job's ranked and re-scoring versions.
#define JM_LUA_VERSION_KEYS \
    "local function declare (first, list)\n" \
    "  local declared = {}\n" \
    "  for v in string.gmatch (list, '%d+') do\n" \
    "    declared [tonumber (v)] = first\n" \
    "    first = first + 10\n" \
    "  end\n" \
    "  return function (v, i)\n" \
    "    local at = declared [v]\n" \
    "    return at and KEYS [at + i - 1]\n" \
    "  end\n" \
    "end\n" \
    "local suffixes = {'', ':strong', ':good', ':partial', ':weak', ':summary', ':parts',\n" \
    "                  '', ':claims', ':union'}\n" \
    "local function prefixed (rp, qp)\n" \
    "  return function (v, i) return (i <= 7 and rp or qp) .. v .. suffixes [i] end\n" \
    "end\n" \
    "local function job_versions (job)\n" \
    "  return tonumber (redis.call ('HGET', job, 'ranked') or '0'),\n" \
    "         tonumber (redis.call ('HGET', job, 'rescore_version') or '0')\n" \
    "end\n" \
    "local function drop (key, v)\n" \
    "  redis.call ('DEL', key (v, 1), key (v, 2), key (v, 3), key (v, 4), key (v, 5),\n" \
    "              key (v, 6), key (v, 7))\n" \
    "end\n"

//  Lua defining hand_over (job, deleted, id, key, v, packed), after
//  JM_LUA_VERSION_KEYS (key: a key function over the job's versions;
//  deleted: the hash of deleted versions, jm_keys_job_deleted; id: the raw
//  job id): results of version v were just written for the candidates in
//  packed, their ids joined by newlines (ids hold no control characters;
//  one argument instead of one per id spares Redis making a Lua string of
//  each on every call, when almost every call finds v current); when v is
//  no longer the job's version, drops rank:<v> unless readers or a
//  re-scoring use it, and queues those candidates on the re-scoring of the
//  current version (starting one when none runs).  A job gone without a
//  deleted version (Redis flushed or restarted empty, or in a cluster the
//  job's master lost it) drops nothing: the matchers put it back (see
//  jm_registry_tick) and the rankings written meanwhile stay.  Touches
//  only the job's keys (one slot in a cluster): jobs:seq is not raised
//  here; the matchers' periodic reload finds a re-scoring started.
//  Returns 0 when v is current, -1 when the job is gone or no candidate is
//  given, else how many were queued.  Used by the guard and by the
//  re-scorer.
#define JM_LUA_HAND_OVER \
    "local function hand_over (job, deleted, job_id, key, v, packed)\n" \
    "  local current = tonumber (redis.call ('HGET', job, 'version') or '0')\n" \
    "  if current == v then return 0 end\n" \
    "  if current == 0 and not redis.call ('HGET', deleted, job_id) then return -1 end\n" \
    "  local ranked = tonumber (redis.call ('HGET', job, 'ranked') or '0')\n" \
    "  local running = tonumber (redis.call ('HGET', job, 'rescore_version') or '0')\n" \
    "  if v ~= ranked and v ~= running then drop (key, v) end\n" \
    "  local ids = {}\n" \
    "  for id in string.gmatch (packed or '', '[^\\n]+') do ids [#ids + 1] = id end\n" \
    "  if current == 0 or #ids == 0 then return -1 end\n" \
    "  for i = 1, #ids, 1000 do\n" \
    "    redis.call ('RPUSH', key (current, 8), unpack (ids, i, math.min (i + 999, #ids)))\n" \
    "  end\n" \
    "  local n = #ids\n" \
    "  if running == current then\n" \
    "    redis.call ('HINCRBY', job, 'rescore_total', n)\n" \
    "  else\n" \
    "    redis.call ('HSET', job, 'rescore_version', current, 'rescore_total', n, 'rescore_done', 0)\n" \
    "  end\n" \
    "  return n\n" \
    "end\n"

#endif
