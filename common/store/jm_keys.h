/*  jm_keys: the one place that builds Redis key names.

    Every key starts with a namespace (default "jobmatch") and a colon, so
    several deployments can share one Redis.  The keys and what they hold are
    documented in proto/redis-keys.md:

        <ns>:result:<job>:<candidate>   HASH  one cached match result
        <ns>:rank:<job>:<version>       ZSET  candidate id -> score
        <ns>:rank:<job>:<version>:<band>  ZSET  the same, one band only
        <ns>:rank:<job>:<version>:summary  HASH  the ranking's counts, kept as written
        <ns>:rank:<job>:<version>:parts    HASH  candidate id -> its share of the summary
        <ns>:job:<job>                  HASH  job registry entry
        <ns>:jobs                       SET   registered job ids
        <ns>:jobs:seq                   STR   raised by every registry change
        <ns>:jobs:seeded                SET   built-in job ids put once
        <ns>:jobs:deleted               HASH  last version of each deleted job
                                        (per job in a cluster: jm_keys_job_deleted)
        <ns>:profile:<candidate>        STR   normalized profile
        <ns>:rescore:<job>:<version>    LIST  candidates still to re-score
        <ns>:rescore:<job>:<version>:claims  HASH  chunks being re-scored
        <ns>:events                     pub/sub channel
        <ns>:matcher:<matcher>          HASH  one matcher's counters
        <ns>:matchers                   ZSET  matcher id -> last update (ms)

    The registry's and re-scorer's scripts declare the keys of the job
    versions they touch (jm_keys_job_version).  The version guard, queued
    without waiting for its reply, learns the current version only inside
    Redis, so it gets key prefixes built here ("<ns>:rank:<job>:", in a
    cluster "<ns>:rank:{<job>}:", the job's tag closed) and appends a
    decimal version, and ":<band>" or ":claims"; versions and band names
    need no escaping, so the result is the key the builders below make.

    Ids (job, candidate, version, matcher) are 1..JM_KEYS_ID_MAX bytes of valid UTF-8.
    Inside a key they are percent-encoded (%XX, upper-case hex) wherever a
    byte could make a key ambiguous or awkward: ':' (our separator), '%'
    (the escape itself), space and every ASCII control byte, DEL, the glob
    characters '*', '?', '[', ']', '\' (so SCAN/KEYS patterns stay exact)
    and '{', '}' (Redis Cluster hash tags).  Every other byte, including
    UTF-8 beyond ASCII, is kept as is, so ordinary ids read the same in a key.

    Builders write into a caller's buffer (JM_KEYS_MAX bytes always suffice)
    and return the key's length, so hot loops build keys without malloc.   */
#ifndef JM_KEYS_H
#define JM_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"

#define JM_KEYS_NAMESPACE_DEFAULT  "jobmatch"
#define JM_KEYS_NAMESPACE_MAX      64      //  bytes in a namespace
#define JM_KEYS_ID_MAX             128     //  bytes in an id, before escaping
#define JM_KEYS_MAX                1024    //  room for any key built here, with its NUL

typedef struct _jm_keys_t jm_keys_t;

//  Creates a key builder for a namespace (NULL or "" for the default).  A
//  namespace is 1..JM_KEYS_NAMESPACE_MAX bytes of [A-Za-z0-9_.-] with inner
//  ':' allowed.  Returns NULL with err set (invalid_request) otherwise.
jm_keys_t *jm_keys_new (const char *key_namespace, jm_error_t *err);

//  Frees the builder and nulls the pointer; safe on NULL.
void jm_keys_destroy (jm_keys_t **self_p);

//  In a Redis Cluster (cluster true), every key of a job carries the job
//  id as hash tag (<ns>:rank:{<job>}:<version>, <ns>:job:{<job>}...) and
//  the registry-wide keys the tag {<ns>} (<ns>:{<ns>}:jobs); with one Redis
//  no key has a tag (proto/redis-keys.md, 1.1).  The store sets it when it
//  finds a cluster.
void jm_keys_set_cluster (jm_keys_t *self, bool cluster);

//  The namespace, without the trailing colon (borrowed).
const char *jm_keys_namespace (const jm_keys_t *self);

//  <ns>:result:<job>:<candidate>.  Each builder below writes a NUL-terminated
//  key into key[size] and returns its length, or -1 with err set
//  (invalid_request naming the id) when an id is invalid or the key does not
//  fit; key is then an empty string.
int jm_keys_result (const jm_keys_t *self, const char *job, const char *candidate,
                    char *key, size_t size, jm_error_t *err);

//  <ns>:res:<job>:<bucket>: a HASH of compact records (jm_record), one field
//  per candidate id, the candidate's bucket by jm_record_bucket.  As
//  jm_keys_result.
int jm_keys_result_bucket (const jm_keys_t *self, const char *job, uint32_t bucket,
                           char *key, size_t size, jm_error_t *err);

//  The keys of one version of a job that the registry's scripts touch and
//  declare, in this order: its ranking, the strong, good, partial and weak
//  sets, the kept summary and its parts, the re-scoring queue, its claims
//  and <ns>:rescore:<job>:<version>:union (a put's union of two rankings).
//  Returns 0, or -1 with err set (keys [0] then empty).
#define JM_KEYS_VERSION_KEYS    10
int jm_keys_job_version (const jm_keys_t *self, const char *job, const char *version,
                         char keys [JM_KEYS_VERSION_KEYS][JM_KEYS_MAX], jm_error_t *err);

//  <ns>:rank:<job>:<version>.
int jm_keys_rank (const jm_keys_t *self, const char *job, const char *version,
                  char *key, size_t size, jm_error_t *err);

//  <ns>:rank:<job>:<version>:<band>, band being a lower-case word
//  ("strong", "good", "partial", "weak").
int jm_keys_rank_band (const jm_keys_t *self, const char *job, const char *version,
                       const char *band, char *key, size_t size, jm_error_t *err);

//  <ns>:rank:<job>:<version>:summary (the summary kept with the ranking).
int jm_keys_summary (const jm_keys_t *self, const char *job, const char *version,
                     char *key, size_t size, jm_error_t *err);

//  <ns>:rank:<job>:<version>:parts (each candidate's share of the summary).
int jm_keys_summary_parts (const jm_keys_t *self, const char *job, const char *version,
                           char *key, size_t size, jm_error_t *err);

//  True for the bands that have a set of their own: strong and good.
//  partial and weak are score ranges of the ranking (jm_keys_rank_range).
bool jm_keys_band_has_set (const char *band);

//  Where to read one band of a ranking, from a minimum score on: a sorted
//  set and the score bounds for ZCOUNT key min max and ZREVRANGEBYSCORE
//  key max min.
typedef struct {
    char key [JM_KEYS_MAX];
    char min [40];              //  "-inf" or a score
    char max [8];               //  "+inf", or an exclusive bound such as "(60"
    bool whole;                 //  no bound: the whole set (ZCARD, ZREVRANGE by rank)
} jm_keys_range_t;

//  Fills range for band (NULL: the whole ranking) of job's ranking at
//  version, from min_score on (NAN: no minimum).  strong and good read their
//  own sets; partial reads the ranking from 40 to below 60 and weak below
//  40 (JM_BAND_*_MIN), as a result below 60 is written to no band set.
//  Returns 0, or -1 with err set when an id or the band is invalid.
int jm_keys_rank_range (const jm_keys_t *self, const char *job, const char *version,
                        const char *band, double min_score, jm_keys_range_t *range,
                        jm_error_t *err);

//  <ns>:rank:<job>: (the prefix of every ranking of the job, for scripts).
int jm_keys_rank_prefix (const jm_keys_t *self, const char *job,
                         char *key, size_t size, jm_error_t *err);

//  <ns>:rescore:<job>:<version>: the candidates still to re-score.
int jm_keys_rescore_queue (const jm_keys_t *self, const char *job, const char *version,
                           char *key, size_t size, jm_error_t *err);

//  <ns>:rescore:<job>:<version>:claims.
int jm_keys_rescore_claims (const jm_keys_t *self, const char *job, const char *version,
                            char *key, size_t size, jm_error_t *err);

//  <ns>:rescore:<job>: (prefix, for scripts).
int jm_keys_rescore_prefix (const jm_keys_t *self, const char *job,
                            char *key, size_t size, jm_error_t *err);

//  <ns>:job:<job>.
int jm_keys_job (const jm_keys_t *self, const char *job,
                 char *key, size_t size, jm_error_t *err);

//  <ns>:profile:<candidate>.
int jm_keys_profile (const jm_keys_t *self, const char *candidate,
                     char *key, size_t size, jm_error_t *err);

//  <ns>:jobs.
int jm_keys_jobs (const jm_keys_t *self, char *key, size_t size, jm_error_t *err);

//  <ns>:jobs:seq.
int jm_keys_jobs_seq (const jm_keys_t *self, char *key, size_t size, jm_error_t *err);

//  <ns>:jobs:seeded.
int jm_keys_jobs_seeded (const jm_keys_t *self, char *key, size_t size, jm_error_t *err);

//  The HASH that holds job's last version when it was deleted (field: the
//  raw job id): <ns>:jobs:deleted, shared by every job, with one Redis;
//  <ns>:jobs:deleted:{<job>}, in the job's slot, in a cluster.
int jm_keys_job_deleted (const jm_keys_t *self, const char *job,
                         char *key, size_t size, jm_error_t *err);

//  <ns>:events (a pub/sub channel name, built the same way).
int jm_keys_events (const jm_keys_t *self, char *key, size_t size, jm_error_t *err);

//  <ns>:matcher:<matcher> (a matcher's published counters).
int jm_keys_matcher (const jm_keys_t *self, const char *matcher,
                     char *key, size_t size, jm_error_t *err);

//  <ns>:matchers (ids of the matchers publishing counters).
int jm_keys_matchers (const jm_keys_t *self, char *key, size_t size, jm_error_t *err);

//  Returns 0 when id is a valid id (1..JM_KEYS_ID_MAX bytes of UTF-8 without
//  NUL), else -1 with err set (invalid_request: "<what> ...", e.g. "job id is
//  empty").  what names the id in the message; NULL means "id".
int jm_keys_check_id (const char *what, const char *id, jm_error_t *err);

//  Escapes a valid id into out[size] (3 * JM_KEYS_ID_MAX + 1 always
//  suffices).  Returns the escaped length, or -1 when the id is invalid or
//  does not fit.
int jm_keys_escape_id (const char *id, char *out, size_t size);

//  Reverses jm_keys_escape_id on text[len] (e.g. a key segment from SCAN)
//  into out[size], NUL-terminated.  Returns the id's length, or -1 on a bad
//  escape or when it does not fit.
int jm_keys_unescape_id (const char *text, size_t len, char *out, size_t size);

#endif
