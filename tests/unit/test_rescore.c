/*  Tests of the matcher's background re-scoring (services/jobmatch-matcher/
    rescore.c) against a private redis-server: chunks claimed and counted,
    the ranking flipped to the new version once every candidate is done,
    a dead matcher's claim taken over and a live one left alone, the job
    changed again meanwhile, missing and hostile stored data, and Redis
    going away.  The engine is the real data's (data/).                   */
#include "jm_test.h"
#include "jm_test_matcher.h"
#include "jm_engine.h"
#include "jm_profile_pack.h"
#include "jm_score.h"
#include "jm_store.h"

#include <czmq.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define s_JOB   "backend-developer"

//  The skills candidates are made of, a few of them each.
static const char *s_skills [] = { "python", "django", "sql", "postgresql", "rest-api", "docker",
                                   "java", "spring", "go", "linux", "git", "redis" };
#define s_SKILLS    (sizeof s_skills / sizeof s_skills [0])

typedef jm_test_matcher_t s_matcher_t;

//  Starts a matcher with a re-scorer taking chunks of chunk candidates and
//  loads its registry.
static bool
s_matcher_start (s_matcher_t *self, jm_test_redis_t *redis, int chunk)
{
    if (!jm_test_matcher_start (self, redis, chunk))
        return false;
    jm_registry_tick (self->registry);
    return jm_registry_loaded (self->registry);
}

//  Candidate serial as JSON: id <prefix>-<serial>, three to six skills.
static json_t *
s_candidate_json (const char *prefix, int serial)
{
    json_t *skills = json_array ();
    int count = 3 + serial % 4;
    for (int i = 0; i < count; i++)
        json_array_append_new (skills, json_string (s_skills [(size_t) (serial * 5 + i * 7) % s_SKILLS]));
    char id [64];
    snprintf (id, sizeof id, "%s-%d", prefix, serial);
    return json_pack ("{s:s, s:o}", "id", id, "skills", skills);
}

//  The candidate of s_candidate_json, parsed by the engine (caller destroys).
static jm_candidate_t *
s_candidate (s_matcher_t *self, const char *prefix, int serial)
{
    json_t *json = s_candidate_json (prefix, serial);
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = jm_engine_candidate (self->engine, json, &err);
    JM_CHECK_MSG (candidate, "candidate %s-%d: %s", prefix, serial, err.message);
    json_decref (json);
    return candidate;
}

//  The key of job s_JOB's version: which of jm_keys_job_version's keys
//  (0: the ranking, 7: the re-scoring queue).
static void
s_version_key (s_matcher_t *self, int version, int which, char *key)
{
    char text [16], keys [JM_KEYS_VERSION_KEYS][JM_KEYS_MAX];
    snprintf (text, sizeof text, "%d", version);
    JM_CHECK (jm_keys_job_version (jm_store_keys (self->store), s_JOB, text, keys, NULL) == 0);
    snprintf (key, JM_KEYS_MAX, "%s", keys [which]);
}

//  Ranks count candidates at version 1 as the matcher would leave them:
//  each one's packed profile stored, its id in the version's ranking.
static void
s_rank_at_v1 (s_matcher_t *self, jm_test_redis_t *redis, const char *prefix, int count)
{
    char rank [JM_KEYS_MAX];
    s_version_key (self, 1, 0, rank);
    jm_buf_t packed;
    jm_buf_init (&packed);
    for (int i = 0; i < count; i++) {
        jm_candidate_t *candidate = s_candidate (self, prefix, i);
        if (!candidate)
            continue;
        jm_buf_reset (&packed);
        jm_profile_pack (candidate, jm_engine_taxonomy (self->engine), &packed);
        JM_CHECK (jm_store_write_profile (self->store, candidate->id, packed.data, packed.len,
                                          NULL) == 0);
        JM_CHECK_INT (jm_test_redis_integer (redis, "ZADD", rank, "50", candidate->id, NULL), 1);
        jm_candidate_destroy (&candidate);
    }
    jm_buf_free (&packed);
    JM_CHECK (jm_store_flush (self->store) >= 0);
    JM_CHECK_INT (jm_store_pending (self->store), 0);
}

//  Puts job s_JOB keeping its first `keep` requirements (all: -1), so that
//  the scores change; returns the version the put gave, or 0.
static int
s_put (s_matcher_t *self, int keep)
{
    char path [512];
    snprintf (path, sizeof path, "%s/jobs/%s.json", jm_test_data_dir (), s_JOB);
    json_error_t error;
    json_t *job = json_load_file (path, 0, &error);
    JM_CHECK_MSG (job, "%s: %s", path, error.text);
    if (!job)
        return 0;
    json_t *requirements = json_object_get (job, "requirements");
    while (keep >= 0 && json_array_size (requirements) > (size_t) keep)
        json_array_remove (requirements, json_array_size (requirements) - 1);
    json_t *body = json_pack ("{s:s, s:o}", "op", "put", "job", job);
    char *text = json_dumps (body, JSON_COMPACT);
    json_decref (body);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_registry_serve (self->registry, text, strlen (text), &out);
    free (text);
    json_t *reply = json_loadb (out.data ? out.data : "", out.len, 0, &error);
    JM_CHECK_MSG (json_is_true (json_object_get (reply, "ok")), "put: %.*s", (int) out.len,
                  out.data ? out.data : "");
    int version = (int) json_integer_value (json_object_get (json_object_get (reply, "job"),
                                                             "version"));
    json_decref (reply);
    jm_buf_free (&out);
    return version;
}

//  Reads candidate's stored record for s_JOB into record; false when there is none.
static bool
s_stored (s_matcher_t *self, jm_test_redis_t *redis, const char *candidate, jm_record_t *record)
{
    return jm_test_redis_record (redis, jm_store_keys (self->store), s_JOB, candidate, record) == 0;
}

//  Checks that candidate's stored result is its score against the job the
//  registry holds now, at that version, with that fingerprint.
static void
s_check_rescored (s_matcher_t *self, jm_test_redis_t *redis, const char *prefix, int serial)
{
    const jm_registry_job_t *job = jm_registry_find (self->registry, s_JOB);
    jm_candidate_t *candidate = s_candidate (self, prefix, serial);
    JM_REQUIRE (job && candidate);
    jm_record_t record;
    JM_CHECK_MSG (s_stored (self, redis, candidate->id, &record), "no stored result for %s",
                  candidate->id);
    jm_result_t result;
    jm_score_explain (job->job, candidate, &result);
    char fingerprint [64], stored [64];
    jm_registry_fingerprint (job, candidate, fingerprint);
    jm_record_fingerprint (&record, stored);
    JM_CHECK_INT (record.version, job->version);
    JM_CHECK_NEAR (record.score, result.score, 1e-9);
    JM_CHECK_STR (stored, fingerprint);
    jm_candidate_destroy (&candidate);
}

//  The job hash's field, as text (caller frees).
static char *
s_job_field (jm_test_redis_t *redis, const char *field)
{
    return jm_test_redis_command (redis, "HGET", "jobmatch:job:" s_JOB, field, NULL);
}

//  Checks that the re-scoring of version is over: ranked at it, the old
//  ranking, the queue, the claims and the progress fields gone.
static void
s_check_flipped (s_matcher_t *self, jm_test_redis_t *redis, int version, int old, long long ranked)
{
    char rank [JM_KEYS_MAX], old_rank [JM_KEYS_MAX], queue [JM_KEYS_MAX], claims [JM_KEYS_MAX + 8];
    s_version_key (self, version, 0, rank);
    s_version_key (self, old, 0, old_rank);
    s_version_key (self, version, 7, queue);
    snprintf (claims, sizeof claims, "%s:claims", queue);
    char *field = s_job_field (redis, "ranked");
    char want [16];
    snprintf (want, sizeof want, "%d", version);
    JM_CHECK_STR (field, want);
    free (field);
    field = s_job_field (redis, "rescore_version");
    JM_CHECK_STR (field, "(nil)");
    free (field);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", rank, NULL), ranked);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", old_rank, queue, claims, NULL), 0);
}

//  Starts a redis-server and a matcher whose re-scorer takes chunk
//  candidates at once, ranks count candidates named prefix-N at version 1
//  and puts version 2 keeping the job's first `keep` requirements: a
//  re-scoring of version 2 to do.  Returns the server, or NULL.
static jm_test_redis_t *
s_rescoring_start (s_matcher_t *self, int chunk, const char *prefix, int count, int keep)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    if (!redis)
        return NULL;
    if (!s_matcher_start (self, redis, chunk)) {
        jm_test_matcher_stop (self);
        jm_test_redis_destroy (&redis);
        return NULL;
    }
    s_rank_at_v1 (self, redis, prefix, count);
    JM_CHECK_INT (s_put (self, keep), 2);
    return redis;
}

//  The re-scoring queue of version 2 and its claims hash.
static void
s_queue_keys (s_matcher_t *self, char *queue, char *claims)
{
    s_version_key (self, 2, 7, queue);
    snprintf (claims, JM_KEYS_MAX + 8, "%s:claims", queue);
}

JM_TEST (rescore_chunks_then_flips_the_ranking)
{
    s_matcher_t one;
    jm_test_redis_t *redis = s_rescoring_start (&one, 3, "c", 7, 2);
    JM_REQUIRE (redis);
    char queue [JM_KEYS_MAX], claims [JM_KEYS_MAX + 8], rank2 [JM_KEYS_MAX];
    s_queue_keys (&one, queue, claims);
    s_version_key (&one, 2, 0, rank2);
    JM_CHECK_INT (jm_test_redis_integer (redis, "LLEN", queue, NULL), 7);

    //  chunks of 3: each counted once, its claim gone, version 1 still shown
    JM_CHECK (jm_rescore_due (one.rescore));
    JM_CHECK_INT (jm_rescore_step (one.rescore), 3);
    JM_CHECK_INT (jm_test_redis_integer (redis, "LLEN", queue, NULL), 4);
    JM_CHECK_INT (jm_test_redis_integer (redis, "HLEN", claims, NULL), 0);
    char *done = s_job_field (redis, "rescore_done");
    JM_CHECK_STR (done, "3");
    free (done);
    char *ranked = s_job_field (redis, "ranked");
    JM_CHECK_STR (ranked, "1");
    free (ranked);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZCARD", rank2, NULL), 3);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 3);
    //  the last chunk completes it: the ranking flips to version 2
    JM_CHECK_INT (jm_rescore_step (one.rescore), 1);
    s_check_flipped (&one, redis, 2, 1, 7);
    JM_CHECK (!jm_rescore_due (one.rescore));
    JM_CHECK_INT (jm_rescore_step (one.rescore), 0);
    const jm_registry_job_t *job = jm_registry_find (one.registry, s_JOB);
    JM_REQUIRE (job);
    JM_CHECK_INT (job->ranked, 2);
    JM_CHECK_INT (job->rescore_version, 0);
    //  every stored result is the candidate's score against version 2
    for (int i = 0; i < 7; i++)
        s_check_rescored (&one, redis, "c", i);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (rescore_takes_over_an_expired_claim_only)
{
    s_matcher_t one;
    jm_test_redis_t *redis = s_rescoring_start (&one, 10, "t", 6, 3);
    JM_REQUIRE (redis);
    char queue [JM_KEYS_MAX], claims [JM_KEYS_MAX + 8];
    s_queue_keys (&one, queue, claims);
    //  what two matchers left: one alive (its deadline far ahead), one dead
    //  (its deadline passed), each holding two candidates of the queue
    char *alive = jm_test_redis_command (redis, "LPOP", queue, "2", NULL);
    char *dead = jm_test_redis_command (redis, "LPOP", queue, "2", NULL);
    JM_REQUIRE (alive && dead && strchr (alive, '\n') && strchr (dead, '\n'));
    char claim [256];
    *strchr (alive, '\n') = '\0';
    snprintf (claim, sizeof claim, "{\"deadline\":%lld,\"ids\":[\"%s\",\"%s\"]}",
              (long long) zclock_time () + 3600000, alive, alive + strlen (alive) + 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "HSET", claims, "alive-1", claim, NULL), 1);
    *strchr (dead, '\n') = '\0';
    snprintf (claim, sizeof claim, "{\"deadline\":%lld,\"ids\":[\"%s\",\"%s\"]}",
              (long long) zclock_time () - 1000, dead, dead + strlen (dead) + 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "HSET", claims, "dead-1", claim, NULL), 1);
    //  the dead one's chunk first, then the queue's rest, never the live one's
    JM_CHECK_INT (jm_rescore_step (one.rescore), 2);
    JM_CHECK_INT (jm_test_redis_integer (redis, "HEXISTS", claims, "dead-1", NULL), 0);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 2);
    JM_CHECK_INT (jm_test_redis_integer (redis, "LLEN", queue, NULL), 0);
    JM_CHECK_INT (jm_test_redis_integer (redis, "HLEN", claims, NULL), 1);
    //  only the live claim is left: nothing to take, and a pause before asking again
    JM_CHECK_INT (jm_rescore_step (one.rescore), 0);
    JM_CHECK (!jm_rescore_due (one.rescore));
    char *ranked = s_job_field (redis, "ranked");
    JM_CHECK_STR (ranked, "1");
    free (ranked);
    //  it dies too: once its deadline passes, its chunk is taken over
    snprintf (claim, sizeof claim, "{\"deadline\":%lld,\"ids\":[\"%s\",\"%s\"]}",
              (long long) zclock_time () - 1000, alive, alive + strlen (alive) + 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "HSET", claims, "alive-1", claim, NULL), 0);
    zclock_sleep (300);
    JM_CHECK (jm_rescore_due (one.rescore));
    JM_CHECK_INT (jm_rescore_step (one.rescore), 2);
    s_check_flipped (&one, redis, 2, 1, 6);
    for (int i = 0; i < 6; i++)
        s_check_rescored (&one, redis, "t", i);
    free (alive);
    free (dead);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (rescore_hands_over_when_the_job_changes_again)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    s_matcher_t one, two;
    JM_REQUIRE (s_matcher_start (&one, redis, 4));
    JM_REQUIRE (s_matcher_start (&two, redis, 4));
    s_rank_at_v1 (&one, redis, "h", 10);
    JM_CHECK (!jm_rescore_due (one.rescore));        //  no re-scoring yet
    JM_CHECK_INT (jm_rescore_step (one.rescore), 0);
    JM_REQUIRE (s_put (&one, 2) == 2);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 4);
    //  two puts version 3 while version 2 is re-scored; one has not heard
    JM_CHECK (jm_registry_refresh (two.registry));
    JM_REQUIRE (s_put (&two, 4) == 3);
    JM_CHECK_INT (jm_registry_find (one.registry, s_JOB)->version, 2);
    char queue3 [JM_KEYS_MAX], rank2 [JM_KEYS_MAX];
    s_version_key (&one, 3, 7, queue3);
    s_version_key (&one, 2, 0, rank2);
    JM_CHECK_INT (jm_test_redis_integer (redis, "LLEN", queue3, NULL), 10);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", rank2, NULL), 0);
    //  one's claim for version 2 is refused: it takes nothing and reloads
    JM_CHECK_INT (jm_rescore_step (one.rescore), 0);
    const jm_registry_job_t *job = jm_registry_find (one.registry, s_JOB);
    JM_REQUIRE (job);
    JM_CHECK_INT (job->version, 3);
    JM_CHECK_INT (job->rescore_version, 3);
    //  both work on version 3 until every candidate is done, once
    int scored = 0, steps = 0;
    while (steps++ < 20 && (jm_rescore_due (one.rescore) || jm_rescore_due (two.rescore))) {
        scored += jm_rescore_step (one.rescore);
        scored += jm_rescore_step (two.rescore);
    }
    JM_CHECK_INT (scored, 10);
    jm_registry_refresh (one.registry);
    s_check_flipped (&one, redis, 3, 1, 10);
    for (int i = 0; i < 10; i++)
        s_check_rescored (&one, redis, "h", i);
    jm_test_matcher_stop (&two);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (rescore_survives_missing_and_hostile_data)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    s_matcher_t one;
    JM_REQUIRE (s_matcher_start (&one, redis, 50));
    s_rank_at_v1 (&one, redis, "x", 4);
    char rank1 [JM_KEYS_MAX], profile [JM_KEYS_MAX];
    s_version_key (&one, 1, 0, rank1);
    //  ranked, but: no profile; bytes that are no profile; a packed profile
    //  cut short; another candidate's profile; an id no key can hold; an
    //  older matcher's JSON profile (usable)
    const char *hostile [] = { "gone", "garbage", "cut", "other", "bad id\r\n", "old-json" };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile [0]; i++)
        JM_CHECK_INT (jm_test_redis_integer (redis, "ZADD", rank1, "10", hostile [i], NULL), 1);
    jm_keys_profile (jm_store_keys (one.store), "garbage", profile, sizeof profile, NULL);
    free (jm_test_redis_command (redis, "SET", profile, "\xf1\xff\xff\xff\x00\x01", NULL));
    char source [JM_KEYS_MAX];
    jm_keys_profile (jm_store_keys (one.store), "x-0", source, sizeof source, NULL);
    char *packed = jm_test_redis_command (redis, "GETRANGE", source, "0", "5", NULL);
    jm_keys_profile (jm_store_keys (one.store), "cut", profile, sizeof profile, NULL);
    free (jm_test_redis_command (redis, "SET", profile, packed, NULL));
    free (packed);
    jm_keys_profile (jm_store_keys (one.store), "other", profile, sizeof profile, NULL);
    free (jm_test_redis_command (redis, "COPY", source, profile, NULL));
    jm_keys_profile (jm_store_keys (one.store), "old-json", profile, sizeof profile, NULL);
    free (jm_test_redis_command (redis, "SET", profile,
                                 "{\"id\":\"old-json\",\"skills\":[{\"id\":\"python\",\"name\":"
                                 "\"Python\",\"level\":4,\"years\":6},{\"id\":\"django\",\"name\":"
                                 "\"Django\",\"level\":3,\"years\":2.5}],\"unknown\":[]}", NULL));
    JM_REQUIRE (s_put (&one, 2) == 2);
    //  the usable ones are scored, the rest drop out, and the re-scoring completes
    JM_CHECK_INT (jm_rescore_step (one.rescore), 5);
    s_check_flipped (&one, redis, 2, 1, 5);
    for (int i = 0; i < 4; i++)
        s_check_rescored (&one, redis, "x", i);
    //  the JSON profile scores as the candidate it was made from
    jm_record_t record;
    JM_CHECK (s_stored (&one, redis, "old-json", &record));
    JM_CHECK_INT (record.version, 2);
    json_t *old = json_loads ("{\"id\":\"old-json\",\"skills\":[{\"name\":\"Python\",\"level\":4,"
                              "\"years\":6},{\"name\":\"Django\",\"level\":3,\"years\":2.5}]}", 0, NULL);
    jm_candidate_t *candidate = jm_engine_candidate (one.engine, old, NULL);
    const jm_registry_job_t *job = jm_registry_find (one.registry, s_JOB);
    JM_REQUIRE (candidate && job);
    jm_result_t result;
    jm_score_explain (job->job, candidate, &result);
    JM_CHECK (result.score > 0);
    JM_CHECK_NEAR (record.score, result.score, 1e-9);
    jm_candidate_destroy (&candidate);
    json_decref (old);
    JM_CHECK (!s_stored (&one, redis, "other", &record));
    JM_CHECK (!s_stored (&one, redis, "garbage", &record));
    //  nothing stays queued: the flip's announcement goes with the next flush
    JM_CHECK (jm_store_flush (one.store) >= 0);
    JM_CHECK_INT (jm_store_pending (one.store), 0);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (rescore_refuses_a_broken_claim_without_harm)
{
    s_matcher_t one;
    jm_test_redis_t *redis = s_rescoring_start (&one, 50, "b", 3, 2);
    JM_REQUIRE (redis);
    char queue [JM_KEYS_MAX], claims [JM_KEYS_MAX + 8];
    s_queue_keys (&one, queue, claims);
    //  a claim that is not JSON: the claim script fails, nothing is taken
    JM_CHECK_INT (jm_test_redis_integer (redis, "HSET", claims, "junk", "{not json", NULL), 1);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 0);
    JM_CHECK (!jm_rescore_due (one.rescore));
    JM_CHECK_INT (jm_test_redis_integer (redis, "LLEN", queue, NULL), 3);
    //  repaired, the re-scoring goes on
    JM_CHECK_INT (jm_test_redis_integer (redis, "HDEL", claims, "junk", NULL), 1);
    zclock_sleep (300);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 3);
    s_check_flipped (&one, redis, 2, 1, 3);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (rescore_waits_while_redis_is_away)
{
    s_matcher_t one;
    jm_test_redis_t *redis = s_rescoring_start (&one, 2, "d", 7, 2);
    JM_REQUIRE (redis);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 2);
    //  the connection is lost: nothing scored, no claim asked again at once
    char *killed = jm_test_redis_command (redis, "CLIENT", "KILL", "TYPE", "normal", NULL);
    JM_CHECK_STR (killed, "1");
    free (killed);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 0);
    JM_CHECK (!jm_store_connected (one.store));
    JM_CHECK (!jm_rescore_due (one.rescore));
    //  back: it goes on where it was
    zclock_sleep (300);
    JM_CHECK (jm_rescore_due (one.rescore));
    JM_CHECK_INT (jm_rescore_step (one.rescore), 2);
    JM_CHECK (jm_store_connected (one.store));
    JM_CHECK_INT (jm_rescore_step (one.rescore), 2);
    //  Redis down: no crash, nothing scored, the last chunk waits
    JM_REQUIRE (jm_test_redis_stop (redis) == 0);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 0);
    zclock_sleep (300);
    JM_CHECK_INT (jm_rescore_step (one.rescore), 0);
    char *ranked = jm_test_redis_command (redis, "PING", NULL);
    JM_CHECK (ranked == NULL);
    free (ranked);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}
