/*  Tests of the matcher's job registry (services/jobmatch-matcher/
    registry.c) against a private redis-server: seeding the built-in jobs
    once, loading them, jobmatch.jobs put / get / list / delete and the
    versions they give, errors, the fingerprint of a result, and putting
    back what Redis lost.  The engine is the real data's (data/).          */
#include "jm_test.h"
#include "jm_test_matcher.h"
#include "jm_engine.h"
#include "jm_score.h"
#include "jm_store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define s_JOB   "backend-developer"

//  One matcher's view: an engine of the real data, a store and a registry.
typedef jm_test_matcher_t s_matcher_t;

static bool
s_matcher_start (s_matcher_t *self, jm_test_redis_t *redis)
{
    return jm_test_matcher_start (self, redis, 0);
}

//  Starts two matchers on redis and loads their registries.
static bool
s_two_matchers_load (s_matcher_t *one, s_matcher_t *two, jm_test_redis_t *redis)
{
    if (!s_matcher_start (one, redis) || !s_matcher_start (two, redis))
        return false;
    jm_registry_tick (one->registry);
    jm_registry_tick (two->registry);
    return jm_registry_loaded (one->registry) && jm_registry_loaded (two->registry);
}

//  Serves one jobmatch.jobs request; returns the reply (caller releases).
static json_t *
s_serve (s_matcher_t *self, const char *body)
{
    jm_buf_t out;
    jm_buf_init (&out);
    jm_registry_serve (self->registry, body, strlen (body), &out);
    json_error_t error;
    json_t *reply = json_loadb (out.data ? out.data : "", out.len, 0, &error);
    JM_CHECK_MSG (json_is_object (reply), "reply is not a JSON object: %.*s", (int) out.len,
                  out.data ? out.data : "");
    jm_buf_free (&out);
    return reply;
}

//  The error code of a reply, or "" when it is ok.
static const char *
s_code (json_t *reply)
{
    const char *code = json_string_value (json_object_get (json_object_get (reply, "error"), "code"));
    return code ? code : "";
}

static const char *
s_message (json_t *reply)
{
    const char *message = json_string_value (json_object_get (json_object_get (reply, "error"), "message"));
    return message ? message : "";
}

//  The built-in job s_JOB as a put body, with title and version given.
static char *
s_put_body (const char *title)
{
    char path [512];
    snprintf (path, sizeof path, "%s/jobs/%s.json", jm_test_data_dir (), s_JOB);
    json_error_t error;
    json_t *job = json_load_file (path, 0, &error);
    if (!job)
        return NULL;
    json_object_set_new (job, "title", json_string (title));
    json_t *body = json_pack ("{s:s, s:o}", "op", "put", "job", job);
    char *text = json_dumps (body, JSON_COMPACT);
    json_decref (body);
    return text;
}

JM_TEST (registry_seeds_once_and_loads)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    s_matcher_t one;
    JM_REQUIRE (s_matcher_start (&one, redis));
    int builtins = jm_engine_job_count (one.engine);
    JM_REQUIRE (builtins > 0);
    //  before Redis is read: the built-in files as version 1
    JM_CHECK (!jm_registry_loaded (one.registry));
    JM_CHECK_INT (jm_registry_count (one.registry), builtins);
    JM_REQUIRE (jm_registry_find (one.registry, s_JOB));
    JM_CHECK_INT (jm_registry_find (one.registry, s_JOB)->version, 1);

    JM_CHECK (jm_registry_tick (one.registry) > 0);
    JM_CHECK (jm_registry_loaded (one.registry));
    JM_CHECK_INT (jm_registry_count (one.registry), builtins);
    JM_CHECK_INT (jm_test_redis_integer (redis, "SCARD", "jobmatch:jobs", NULL), builtins);
    JM_CHECK_INT (jm_test_redis_integer (redis, "SCARD", "jobmatch:jobs:seeded", NULL), builtins);
    char *version = jm_test_redis_command (redis, "HGET", "jobmatch:job:" s_JOB, "version", NULL);
    JM_CHECK_STR (version, "1");
    free (version);
    //  sorted by id, each at version 1
    for (int i = 0; i < jm_registry_count (one.registry); i++) {
        const jm_registry_job_t *job = jm_registry_at (one.registry, i);
        JM_CHECK_INT (job->version, 1);
        JM_CHECK_STR (job->version_text, "1");
        JM_CHECK_INT (strlen (job->hash), 16);
        if (i)
            JM_CHECK (strcmp (jm_registry_at (one.registry, i - 1)->id, job->id) < 0);
    }
    JM_CHECK (jm_registry_at (one.registry, builtins) == NULL);
    JM_CHECK (jm_registry_find (one.registry, "no-such-job") == NULL);

    //  a second matcher finds them seeded: nothing put twice
    char *seq = jm_test_redis_command (redis, "GET", "jobmatch:jobs:seq", NULL);
    s_matcher_t two;
    JM_REQUIRE (s_matcher_start (&two, redis));
    jm_registry_tick (two.registry);
    JM_CHECK (jm_registry_loaded (two.registry));
    JM_CHECK_INT (jm_registry_count (two.registry), builtins);
    char *after = jm_test_redis_command (redis, "GET", "jobmatch:jobs:seq", NULL);
    JM_CHECK_STR (after, seq);
    free (seq);
    free (after);
    jm_test_matcher_stop (&two);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (registry_put_get_list_delete)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    s_matcher_t one, two;
    JM_REQUIRE (s_two_matchers_load (&one, &two, redis));
    char hash_v1 [17];
    snprintf (hash_v1, sizeof hash_v1, "%s", jm_registry_find (one.registry, s_JOB)->hash);

    //  put raises the version; the matcher that served it reloads at once
    char *body = s_put_body ("Backend Developer (edited)");
    JM_REQUIRE (body);
    json_t *reply = s_serve (&one, body);
    JM_CHECK (json_is_true (json_object_get (reply, "ok")));
    JM_CHECK_INT (json_integer_value (json_object_get (json_object_get (reply, "job"), "version")), 2);
    json_decref (reply);
    const jm_registry_job_t *job = jm_registry_find (one.registry, s_JOB);
    JM_REQUIRE (job);
    JM_CHECK_INT (job->version, 2);
    JM_CHECK_STR (jm_job_title (job->job), "Backend Developer (edited)");
    JM_CHECK (strcmp (job->hash, hash_v1) != 0);        //  the content changed
    //  the other sees it at its next refresh (jobs:seq moved)
    JM_CHECK_INT (jm_registry_find (two.registry, s_JOB)->version, 1);
    JM_CHECK (jm_registry_refresh (two.registry));
    JM_CHECK_INT (jm_registry_find (two.registry, s_JOB)->version, 2);
    JM_CHECK_STR (jm_registry_find (two.registry, s_JOB)->hash, job->hash);
    JM_CHECK (!jm_registry_refresh (two.registry));     //  nothing moved since

    //  the same content put again: a new version, the same hash
    reply = s_serve (&one, body);
    JM_CHECK_INT (json_integer_value (json_object_get (json_object_get (reply, "job"), "version")), 3);
    json_decref (reply);
    JM_CHECK_STR (jm_registry_find (one.registry, s_JOB)->hash, jm_registry_find (two.registry, s_JOB)->hash);

    reply = s_serve (&two, "{\"op\":\"get\",\"id\":\"" s_JOB "\"}");
    JM_CHECK (json_is_true (json_object_get (reply, "ok")));
    json_t *stored = json_object_get (reply, "job");
    JM_CHECK_INT (json_integer_value (json_object_get (stored, "version")), 3);
    JM_CHECK_STR (json_string_value (json_object_get (stored, "title")), "Backend Developer (edited)");
    json_decref (reply);

    reply = s_serve (&two, "{\"op\":\"list\"}");
    json_t *jobs = json_object_get (reply, "jobs");
    JM_CHECK_INT (json_array_size (jobs), jm_engine_job_count (one.engine));
    size_t index;
    json_t *entry;
    bool listed = false;
    json_array_foreach (jobs, index, entry)
        if (strcmp (json_string_value (json_object_get (entry, "id")), s_JOB) == 0) {
            listed = true;
            JM_CHECK_INT (json_integer_value (json_object_get (entry, "version")), 3);
            JM_CHECK (json_integer_value (json_object_get (entry, "requirements")) > 0);
        }
    JM_CHECK (listed);
    json_decref (reply);

    //  delete: gone from both, not_found after; a new matcher does not seed
    //  it again (a built-in job deleted stays deleted)
    reply = s_serve (&one, "{\"op\":\"delete\",\"id\":\"" s_JOB "\"}");
    JM_CHECK (json_is_true (json_object_get (reply, "deleted")));
    json_decref (reply);
    JM_CHECK (jm_registry_find (one.registry, s_JOB) == NULL);
    JM_CHECK (jm_registry_refresh (two.registry));
    JM_CHECK (jm_registry_find (two.registry, s_JOB) == NULL);
    reply = s_serve (&two, "{\"op\":\"get\",\"id\":\"" s_JOB "\"}");
    JM_CHECK_STR (s_code (reply), JM_ERR_NOT_FOUND);
    json_decref (reply);
    reply = s_serve (&two, "{\"op\":\"delete\",\"id\":\"" s_JOB "\"}");
    JM_CHECK_STR (s_code (reply), JM_ERR_NOT_FOUND);
    json_decref (reply);
    s_matcher_t three;
    JM_REQUIRE (s_matcher_start (&three, redis));
    jm_registry_tick (three.registry);
    JM_CHECK (jm_registry_loaded (three.registry));
    JM_CHECK (jm_registry_find (three.registry, s_JOB) == NULL);

    //  put again after the delete: versions never repeat
    reply = s_serve (&three, body);
    JM_CHECK_INT (json_integer_value (json_object_get (json_object_get (reply, "job"), "version")), 4);
    json_decref (reply);
    JM_CHECK_INT (jm_registry_find (three.registry, s_JOB)->version, 4);
    free (body);
    jm_test_matcher_stop (&three);
    jm_test_matcher_stop (&two);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (registry_refuses_bad_requests)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    s_matcher_t one;
    JM_REQUIRE (s_matcher_start (&one, redis));
    jm_registry_tick (one.registry);
    struct { const char *body, *code, *words; } cases [] = {
        { "{\"op\":\"put\",\"job\":{\"id\":7,\"title\":\"t\"}}", JM_ERR_INVALID_REQUEST, "job.id must be a string" },
        { "{\"op\":\"put\",\"job\":[]}", JM_ERR_INVALID_REQUEST, "job must be an object" },
        { "{\"op\":\"get\",\"id\":7}", JM_ERR_INVALID_REQUEST, "id" },
        { "{\"op\":\"get\"}", JM_ERR_INVALID_REQUEST, "id" },
        { "{\"op\":\"rename\"}", JM_ERR_INVALID_REQUEST, "put" },
        { "{\"id\":\"x\"}", JM_ERR_INVALID_REQUEST, "op" },
        { "{\"op\":\"get\",\"op\":\"list\"}", JM_ERR_INVALID_JSON, "duplicate" },
        { "{\"op\":", JM_ERR_INVALID_JSON, "" },
        { "{\"op\":\"put\",\"job\":{\"id\":\"j\",\"title\":\"t\",\"requirements\":"
          "[{\"skill\":\"no-such-skill-at-all\",\"weight\":1}]}}", JM_ERR_UNKNOWN_SKILL, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        json_t *reply = s_serve (&one, cases [i].body);
        JM_CHECK_MSG (json_is_false (json_object_get (reply, "ok")), "%s: not refused", cases [i].body);
        JM_CHECK_MSG (strcmp (s_code (reply), cases [i].code) == 0, "%s: code %s, want %s", cases [i].body,
                      s_code (reply), cases [i].code);
        JM_CHECK_MSG (strstr (s_message (reply), cases [i].words), "%s: message '%s' lacks '%s'",
                      cases [i].body, s_message (reply), cases [i].words);
        json_decref (reply);
    }
    //  an unknown skill's reply lists it
    json_t *reply = s_serve (&one, cases [8].body);
    JM_CHECK (json_array_size (json_object_get (reply, "unknown")) == 1
           || json_array_size (json_object_get (json_object_get (reply, "error"), "unknown")) == 1);
    json_decref (reply);
    //  nothing changed
    JM_CHECK_INT (jm_registry_find (one.registry, s_JOB)->version, 1);

    //  Redis down: io_error, and the jobs held stay served
    JM_REQUIRE (jm_test_redis_stop (redis) == 0);
    reply = s_serve (&one, "{\"op\":\"list\"}");
    JM_CHECK_STR (s_code (reply), JM_ERR_IO);
    json_decref (reply);
    JM_CHECK (!jm_registry_refresh (one.registry));
    JM_CHECK (jm_registry_find (one.registry, s_JOB));
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (registry_fingerprint)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    s_matcher_t one;
    JM_REQUIRE (s_matcher_start (&one, redis));
    jm_registry_tick (one.registry);
    jm_error_t err;
    jm_error_clear (&err);
    json_t *object = json_pack ("{s:s, s:[{s:s, s:i}]}", "id", "c1", "skills", "name", "Python", "level", 4);
    json_t *other_object = json_pack ("{s:s, s:[{s:s, s:i}]}", "id", "c1", "skills", "name", "Java", "level", 4);
    jm_candidate_t *candidate = jm_engine_candidate (one.engine, object, &err);
    jm_candidate_t *other = jm_engine_candidate (one.engine, other_object, &err);
    JM_REQUIRE (candidate && other);
    const jm_registry_job_t *job = jm_registry_find (one.registry, s_JOB);
    JM_REQUIRE (job);
    //  "<version>:<8 hex of the job>:<scorer version>:<16 hex of the profile>"
    char print [64], again [64], changed [64];
    jm_registry_fingerprint (job, candidate, print);
    char want [64];
    snprintf (want, sizeof want, "1:%.8s:%s:", job->hash, JM_SCORER_VERSION);
    JM_CHECK_MSG (strncmp (print, want, strlen (want)) == 0, "%s does not start with %s", print, want);
    JM_CHECK_INT (strlen (print), strlen (want) + 16);
    jm_registry_fingerprint (job, candidate, again);
    JM_CHECK_STR (again, print);
    jm_registry_fingerprint (job, other, changed);
    JM_CHECK (strcmp (changed, print) != 0);            //  another profile

    //  a new version of the job: another fingerprint for the same profile
    char *body = s_put_body ("Backend Developer 2");
    JM_REQUIRE (body);
    json_decref (s_serve (&one, body));
    free (body);
    job = jm_registry_find (one.registry, s_JOB);
    JM_REQUIRE (job && job->version == 2);
    jm_registry_fingerprint (job, candidate, changed);
    JM_CHECK (strncmp (changed, "2:", 2) == 0);
    JM_CHECK (strcmp (changed + 2, print + 2) != 0);    //  the job's hash moved too
    jm_candidate_destroy (&candidate);
    jm_candidate_destroy (&other);
    json_decref (object);
    json_decref (other_object);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

JM_TEST (registry_puts_back_what_redis_lost)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    s_matcher_t one;
    JM_REQUIRE (s_matcher_start (&one, redis));
    jm_registry_tick (one.registry);
    char *body = s_put_body ("Backend Developer (kept)");
    JM_REQUIRE (body);
    json_decref (s_serve (&one, body));
    free (body);
    JM_REQUIRE (jm_registry_find (one.registry, s_JOB)->version == 2);
    int held = jm_registry_count (one.registry);

    //  Redis restarted empty: the registry puts back every job it holds, at
    //  the versions held, and serves them meanwhile
    char *flushed = jm_test_redis_command (redis, "FLUSHALL", NULL);
    free (flushed);
    jm_registry_refresh (one.registry);
    JM_CHECK_INT (jm_registry_count (one.registry), held);
    JM_CHECK_INT (jm_registry_find (one.registry, s_JOB)->version, 2);
    char *version = jm_test_redis_command (redis, "HGET", "jobmatch:job:" s_JOB, "version", NULL);
    JM_CHECK_STR (version, "2");
    free (version);
    JM_CHECK_INT (jm_test_redis_integer (redis, "SCARD", "jobmatch:jobs", NULL), held);

    //  a job at a lower version in Redis (an older save) goes back up
    char *set = jm_test_redis_command (redis, "HSET", "jobmatch:job:" s_JOB, "version", "1", NULL);
    free (set);
    char *bump = jm_test_redis_command (redis, "INCR", "jobmatch:jobs:seq", NULL);
    free (bump);
    jm_registry_refresh (one.registry);
    version = jm_test_redis_command (redis, "HGET", "jobmatch:job:" s_JOB, "version", NULL);
    JM_CHECK_STR (version, "2");
    free (version);
    JM_CHECK_INT (jm_registry_find (one.registry, s_JOB)->version, 2);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}

//  The key of job s_JOB's version in store's namespace: which of
//  jm_keys_job_version's keys (0: the ranking, 7: the re-scoring queue).
static void
s_version_key (s_matcher_t *self, const char *version, int which, char *key)
{
    char keys [JM_KEYS_VERSION_KEYS][JM_KEYS_MAX];
    JM_REQUIRE (jm_keys_job_version (jm_store_keys (self->store), s_JOB, version, keys, NULL) == 0);
    snprintf (key, JM_KEYS_MAX, "%s", keys [which]);
}

JM_TEST (registry_scripts_declare_versions_moved_meanwhile)
{
    jm_test_redis_t *redis = jm_test_redis_start (false);
    JM_REQUIRE (redis);
    s_matcher_t one, two;
    JM_REQUIRE (s_two_matchers_load (&one, &two, redis));
    char rank1 [JM_KEYS_MAX], rank2 [JM_KEYS_MAX], queue2 [JM_KEYS_MAX], queue3 [JM_KEYS_MAX];
    s_version_key (&one, "1", 0, rank1);
    s_version_key (&one, "2", 0, rank2);
    s_version_key (&one, "2", 7, queue2);
    s_version_key (&one, "3", 7, queue3);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZADD", rank1, "50", "c-1", NULL), 1);

    //  one puts version 2: c-1 queued for re-scoring, version 1 still shown
    char *body = s_put_body ("Backend Developer (edited)");
    JM_REQUIRE (body);
    json_t *reply = s_serve (&one, body);
    JM_CHECK_INT (json_integer_value (json_object_get (json_object_get (reply, "rescoring"), "total")), 1);
    json_decref (reply);
    JM_CHECK_INT (jm_test_redis_integer (redis, "LLEN", queue2, NULL), 1);
    JM_CHECK_INT (jm_test_redis_integer (redis, "ZADD", rank2, "70", "c-2", NULL), 1);

    //  two, not refreshed, still sees version 1 with no re-scoring: its put
    //  declares versions 1 and 2, the script names 3 too and runs again
    reply = s_serve (&two, body);
    JM_CHECK (json_is_true (json_object_get (reply, "ok")));
    JM_CHECK_INT (json_integer_value (json_object_get (json_object_get (reply, "job"), "version")), 3);
    JM_CHECK_INT (json_integer_value (json_object_get (json_object_get (reply, "rescoring"), "total")), 2);
    json_decref (reply);
    JM_CHECK_INT (jm_test_redis_integer (redis, "LLEN", queue3, NULL), 2);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", queue2, rank2, NULL), 0);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", rank1, NULL), 1);

    //  one, not refreshed, deletes: ranked 1 and re-scoring 3 both dropped
    reply = s_serve (&one, "{\"op\":\"delete\",\"id\":\"" s_JOB "\"}");
    JM_CHECK (json_is_true (json_object_get (reply, "deleted")));
    json_decref (reply);
    JM_CHECK_INT (jm_test_redis_integer (redis, "EXISTS", rank1, queue3, NULL), 0);
    free (body);
    jm_test_matcher_stop (&two);
    jm_test_matcher_stop (&one);
    jm_test_redis_destroy (&redis);
}
