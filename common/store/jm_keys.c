/*  jm_keys: Redis key names.  See jm_keys.h and proto/redis-keys.md.  */
#include "jm_keys.h"
#include "jm_score.h"
#include "jm_alloc.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _jm_keys_t {
    char name [JM_KEYS_NAMESPACE_MAX + 1];
    size_t name_len;
    bool cluster;                   //  keys carry hash tags (s_tag)
};

static bool
s_namespace_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '.' || c == '-' || c == ':';
}

jm_keys_t *
jm_keys_new (const char *key_namespace, jm_error_t *err)
{
    const char *name = key_namespace && *key_namespace
                     ? key_namespace : JM_KEYS_NAMESPACE_DEFAULT;
    size_t len = strlen (name);
    if (len > JM_KEYS_NAMESPACE_MAX) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST,
                      "key namespace is %zu bytes, at most %d allowed",
                      len, JM_KEYS_NAMESPACE_MAX);
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        if (!s_namespace_char (name [i])) {
            jm_error_set (err, JM_ERR_INVALID_REQUEST,
                          "key namespace \"%s\": byte %zu is not one of "
                          "A-Z a-z 0-9 _ . - :", name, i + 1);
            return NULL;
        }
    if (name [0] == ':' || name [len - 1] == ':') {
        jm_error_set (err, JM_ERR_INVALID_REQUEST,
                      "key namespace \"%s\" starts or ends with ':'", name);
        return NULL;
    }
    jm_keys_t *self = jm_calloc (1, sizeof *self);
    memcpy (self->name, name, len + 1);
    self->name_len = len;
    return self;
}

void
jm_keys_destroy (jm_keys_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

const char *
jm_keys_namespace (const jm_keys_t *self)
{
    assert (self);
    return self->name;
}

//  Length of the UTF-8 sequence starting at s [0] (at most `left` bytes),
//  or 0 when it is not well-formed (overlong forms and surrogates included).
static size_t
s_utf8_sequence (const unsigned char *s, size_t left)
{
    unsigned char c = s [0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t min, code;
    if ((c & 0xE0) == 0xC0)      { len = 2; min = 0x80;    code = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800;   code = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; code = c & 0x07; }
    else
        return 0;
    if (len > left)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        code = (code << 6) | (s [i] & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    return len;
}

int
jm_keys_check_id (const char *what, const char *id, jm_error_t *err)
{
    if (!what)
        what = "id";
    if (!id || !*id)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "%s is empty", what);
    size_t len = strlen (id);
    if (len > JM_KEYS_ID_MAX)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "%s is %zu bytes, at most %d allowed",
                             what, len, JM_KEYS_ID_MAX);
    const unsigned char *bytes = (const unsigned char *) id;
    for (size_t i = 0; i < len; ) {
        size_t step = s_utf8_sequence (bytes + i, len - i);
        if (step == 0)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "%s is not valid UTF-8 at byte %zu", what, i + 1);
        i += step;
    }
    return 0;
}

static bool
s_must_escape (unsigned char c)
{
    return c <= 0x20 || c == 0x7F || strchr (":%{}*?[]\\", c) != NULL;
}

//  Escapes id (already checked) into out at *used; false when out is full.
static bool
s_put_id (const char *id, char *out, size_t size, size_t *used)
{
    static const char hex [] = "0123456789ABCDEF";
    size_t at = *used;
    for (const unsigned char *p = (const unsigned char *) id; *p; p++) {
        if (s_must_escape (*p)) {
            if (at + 3 >= size)
                return false;
            out [at++] = '%';
            out [at++] = hex [*p >> 4];
            out [at++] = hex [*p & 15];
        }
        else {
            if (at + 1 >= size)
                return false;
            out [at++] = (char) *p;
        }
    }
    out [at] = '\0';
    *used = at;
    return true;
}

static bool
s_put_text (const char *text, size_t len, char *out, size_t size, size_t *used)
{
    if (*used + len >= size)
        return false;
    memcpy (out + *used, text, len);
    *used += len;
    out [*used] = '\0';
    return true;
}

int
jm_keys_escape_id (const char *id, char *out, size_t size)
{
    assert (out && size > 0);
    out [0] = '\0';
    size_t used = 0;
    if (jm_keys_check_id (NULL, id, NULL) || !s_put_id (id, out, size, &used)) {
        out [0] = '\0';
        return -1;
    }
    return (int) used;
}

static int
s_hex_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int
jm_keys_unescape_id (const char *text, size_t len, char *out, size_t size)
{
    assert (text && out && size > 0);
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text [i];
        if (c == '%') {
            int high = i + 2 < len ? s_hex_value (text [i + 1]) : -1;
            int low = i + 2 < len ? s_hex_value (text [i + 2]) : -1;
            if (high < 0 || low < 0 || (high == 0 && low == 0))
                goto bad;
            c = (char) (high * 16 + low);
            i += 2;
        }
        if (at + 1 >= size)
            goto bad;
        out [at++] = c;
    }
    out [at] = '\0';
    return (int) at;
bad:
    out [0] = '\0';
    return -1;
}

void
jm_keys_set_cluster (jm_keys_t *self, bool cluster)
{
    assert (self);
    self->cluster = cluster;
}

//  The hash tag rule for Redis Cluster, the one place it is applied
//  (proto/redis-keys.md, 1.1).  Every key of one job (its hash, rankings,
//  band sets, kept summary, re-scoring queue and claims, results, compact
//  records, deleted version) carries the job's id as its tag, so that a
//  job's write group and each job script touch one slot, and the jobs are
//  spread over the masters.  The registry-wide keys share the tag {<ns>}.
//  Profiles and matcher counters are not tagged: one command each.
typedef enum { S_UNTAGGED, S_TAG_NAMESPACE, S_TAG_JOB } s_tag_t;

static s_tag_t
s_tag (const jm_keys_t *self, const char *kind)
{
    static const char *per_job [] = {
        "result", "res", "rank", "rescore", "job", "jobs:deleted", NULL
    };
    static const char *registry [] = { "jobs", "jobs:seq", "jobs:seeded", NULL };
    if (!self->cluster)
        return S_UNTAGGED;
    for (int i = 0; per_job [i]; i++)
        if (strcmp (kind, per_job [i]) == 0)
            return S_TAG_JOB;
    for (int i = 0; registry [i]; i++)
        if (strcmp (kind, registry [i]) == 0)
            return S_TAG_NAMESPACE;
    return S_UNTAGGED;
}

//  Builds <ns>:<kind>[:<first>[:<second>]] where first and second are ids.
//  In a cluster, a registry-wide kind is <ns>:{<ns>}:<kind>, and a job's
//  key carries its (escaped) job id, the first id, as tag:
//  <ns>:<kind>:{<job>}[:<second>].
static int
s_build (const jm_keys_t *self, const char *kind,
         const char *first_what, const char *first,
         const char *second_what, const char *second,
         char *key, size_t size, jm_error_t *err)
{
    assert (self && kind && key && size > 0);
    key [0] = '\0';
    if ((first_what && jm_keys_check_id (first_what, first, err))
    ||  (second_what && jm_keys_check_id (second_what, second, err)))
        return -1;
    s_tag_t tag = s_tag (self, kind);
    assert (tag != S_TAG_JOB || first_what);
    size_t used = 0;
    bool fits = s_put_text (self->name, self->name_len, key, size, &used)
             && s_put_text (":", 1, key, size, &used);
    if (fits && tag == S_TAG_NAMESPACE)
        fits = s_put_text ("{", 1, key, size, &used)
            && s_put_text (self->name, self->name_len, key, size, &used)
            && s_put_text ("}:", 2, key, size, &used);
    fits = fits && s_put_text (kind, strlen (kind), key, size, &used);
    if (fits && first_what)
        fits = s_put_text (tag == S_TAG_JOB ? ":{" : ":", tag == S_TAG_JOB ? 2 : 1,
                           key, size, &used)
            && s_put_id (first, key, size, &used)
            && (tag != S_TAG_JOB || s_put_text ("}", 1, key, size, &used));
    if (fits && second_what)
        fits = s_put_text (":", 1, key, size, &used) && s_put_id (second, key, size, &used);
    if (!fits) {
        key [0] = '\0';
        return jm_error_set (err, JM_ERR_INTERNAL,
                             "%s key does not fit in %zu bytes", kind, size);
    }
    return (int) used;
}

int
jm_keys_result (const jm_keys_t *self, const char *job, const char *candidate,
                char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "result", "job id", job, "candidate id", candidate,
                    key, size, err);
}

int
jm_keys_result_bucket (const jm_keys_t *self, const char *job, uint32_t bucket,
                       char *key, size_t size, jm_error_t *err)
{
    char digits [16];
    snprintf (digits, sizeof digits, "%u", (unsigned) bucket);
    return s_build (self, "res", "job id", job, "bucket", digits, key, size, err);
}

int
jm_keys_rank (const jm_keys_t *self, const char *job, const char *version,
              char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "rank", "job id", job, "job version", version,
                    key, size, err);
}

//  Appends ":" and text (a-z only, 1..16 bytes) to the key of length len.
static int
s_suffix (int len, const char *what, const char *text, char *key, size_t size, jm_error_t *err)
{
    if (len < 0)
        return -1;
    size_t text_len = text ? strlen (text) : 0;
    bool valid = text_len >= 1 && text_len <= 16;
    for (size_t i = 0; valid && i < text_len; i++)
        valid = text [i] >= 'a' && text [i] <= 'z';
    if (!valid) {
        key [0] = '\0';
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "%s must be 1 to 16 lower-case letters", what);
    }
    size_t used = (size_t) len;
    if (!s_put_text (":", 1, key, size, &used) || !s_put_text (text, text_len, key, size, &used)) {
        key [0] = '\0';
        return jm_error_set (err, JM_ERR_INTERNAL, "%s key does not fit in %zu bytes", what, size);
    }
    return (int) used;
}

//  Appends ":" to the key of length len.
static int
s_colon (int len, char *key, size_t size, jm_error_t *err)
{
    if (len < 0)
        return -1;
    size_t used = (size_t) len;
    if (!s_put_text (":", 1, key, size, &used)) {
        key [0] = '\0';
        return jm_error_set (err, JM_ERR_INTERNAL, "key prefix does not fit in %zu bytes", size);
    }
    return (int) used;
}

int
jm_keys_rank_band (const jm_keys_t *self, const char *job, const char *version,
                   const char *band, char *key, size_t size, jm_error_t *err)
{
    int len = s_build (self, "rank", "job id", job, "job version", version, key, size, err);
    return s_suffix (len, "band", band, key, size, err);
}

int
jm_keys_summary (const jm_keys_t *self, const char *job, const char *version,
                 char *key, size_t size, jm_error_t *err)
{
    int len = s_build (self, "rank", "job id", job, "job version", version, key, size, err);
    return s_suffix (len, "summary", "summary", key, size, err);
}

int
jm_keys_summary_parts (const jm_keys_t *self, const char *job, const char *version,
                       char *key, size_t size, jm_error_t *err)
{
    int len = s_build (self, "rank", "job id", job, "job version", version, key, size, err);
    return s_suffix (len, "parts", "parts", key, size, err);
}

bool
jm_keys_band_has_set (const char *band)
{
    int known = jm_band_lookup (band);
    return known >= 0 && known < JM_BAND_SETS;
}

int
jm_keys_rank_range (const jm_keys_t *self, const char *job, const char *version,
                    const char *band, double min_score, jm_keys_range_t *range,
                    jm_error_t *err)
{
    assert (range);
    int known = jm_band_lookup (band);
    if (band && known < 0) {
        range->key [0] = '\0';
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "band must be one of strong, good, partial, weak");
    }
    int len = jm_keys_band_has_set (band)
            ? jm_keys_rank_band (self, job, version, band, range->key, sizeof range->key, err)
            : jm_keys_rank (self, job, version, range->key, sizeof range->key, err);
    if (len < 0)
        return -1;
    //  a band without a set of its own is a score range of the ranking
    bool range_only = known >= JM_BAND_SETS;
    double low = range_only && jm_bands [known].min > 0 ? jm_bands [known].min : -INFINITY;
    int high = range_only ? (int) jm_bands [known].below : 0;     //  0: none
    if (!isnan (min_score) && min_score > low)
        low = min_score;
    if (isinf (low))
        snprintf (range->min, sizeof range->min, "-inf");
    else
        snprintf (range->min, sizeof range->min, "%.17g", low);
    if (high)
        snprintf (range->max, sizeof range->max, "(%d", high);
    else
        snprintf (range->max, sizeof range->max, "+inf");
    range->whole = isinf (low) && !high;
    return 0;
}

int
jm_keys_rank_prefix (const jm_keys_t *self, const char *job,
                     char *key, size_t size, jm_error_t *err)
{
    return s_colon (s_build (self, "rank", "job id", job, NULL, NULL, key, size, err),
                    key, size, err);
}

int
jm_keys_rescore_queue (const jm_keys_t *self, const char *job, const char *version,
                       char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "rescore", "job id", job, "job version", version, key, size, err);
}

int
jm_keys_rescore_claims (const jm_keys_t *self, const char *job, const char *version,
                        char *key, size_t size, jm_error_t *err)
{
    int len = s_build (self, "rescore", "job id", job, "job version", version, key, size, err);
    return s_suffix (len, "claims", "claims", key, size, err);
}

int
jm_keys_rescore_prefix (const jm_keys_t *self, const char *job,
                        char *key, size_t size, jm_error_t *err)
{
    return s_colon (s_build (self, "rescore", "job id", job, NULL, NULL, key, size, err),
                    key, size, err);
}

int
jm_keys_jobs_seq (const jm_keys_t *self, char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "jobs:seq", NULL, NULL, NULL, NULL, key, size, err);
}

int
jm_keys_jobs_seeded (const jm_keys_t *self, char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "jobs:seeded", NULL, NULL, NULL, NULL, key, size, err);
}

int
jm_keys_job_deleted (const jm_keys_t *self, const char *job,
                     char *key, size_t size, jm_error_t *err)
{
    assert (self && key && size > 0);
    if (jm_keys_check_id ("job id", job, err)) {
        key [0] = '\0';
        return -1;
    }
    return s_build (self, "jobs:deleted", self->cluster ? "job id" : NULL, job, NULL, NULL,
                    key, size, err);
}

int
jm_keys_job (const jm_keys_t *self, const char *job,
             char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "job", "job id", job, NULL, NULL, key, size, err);
}

int
jm_keys_profile (const jm_keys_t *self, const char *candidate,
                 char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "profile", "candidate id", candidate, NULL, NULL,
                    key, size, err);
}

int
jm_keys_jobs (const jm_keys_t *self, char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "jobs", NULL, NULL, NULL, NULL, key, size, err);
}

int
jm_keys_events (const jm_keys_t *self, char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "events", NULL, NULL, NULL, NULL, key, size, err);
}

int
jm_keys_matcher (const jm_keys_t *self, const char *matcher,
                 char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "matcher", "matcher id", matcher, NULL, NULL, key, size, err);
}

int
jm_keys_matchers (const jm_keys_t *self, char *key, size_t size, jm_error_t *err)
{
    return s_build (self, "matchers", NULL, NULL, NULL, NULL, key, size, err);
}

int
jm_keys_job_version (const jm_keys_t *self, const char *job, const char *version,
                     char keys [JM_KEYS_VERSION_KEYS][JM_KEYS_MAX], jm_error_t *err)
{
    static const char *bands [] = { "strong", "good", "partial", "weak" };
    if (jm_keys_rank (self, job, version, keys [0], JM_KEYS_MAX, err) < 0)
        return -1;
    for (int b = 0; b < 4; b++)
        if (jm_keys_rank_band (self, job, version, bands [b], keys [1 + b], JM_KEYS_MAX, err) < 0)
            return -1;
    int len;
    if (jm_keys_summary (self, job, version, keys [5], JM_KEYS_MAX, err) < 0
    ||  jm_keys_summary_parts (self, job, version, keys [6], JM_KEYS_MAX, err) < 0
    ||  jm_keys_rescore_queue (self, job, version, keys [7], JM_KEYS_MAX, err) < 0
    ||  jm_keys_rescore_claims (self, job, version, keys [8], JM_KEYS_MAX, err) < 0
    ||  (len = jm_keys_rescore_queue (self, job, version, keys [9], JM_KEYS_MAX, err)) < 0)
        return -1;
    return s_suffix (len, "union", "union", keys [9], JM_KEYS_MAX, err) < 0 ? -1 : 0;
}
