/*  jobmatch CLI: which results of a batch output the service holds.  See
    batch_verify.h.                                                         */
#include "batch_verify.h"
#include "jm_buf.h"

#include <czmq.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define JM_BATCH_VERIFY_WAIT_MS 200     //  one wait for replies, between signal checks
#define JM_BATCH_VERIFY_ATTEMPTS 10     //  of a request answered io_error (Redis not available)
#define JM_BATCH_VERIFY_BACKOFF_MS 250  //  before its second attempt, doubling up to 4 s

//  A result record to check: its candidate's position and id (an offset
//  into the collected ids), and the version it was scored at.
typedef struct {
    long position;
    long long version;
    size_t id;
} s_ref_t;

typedef struct {
    s_ref_t *refs;
    size_t count, cap;
} s_list_t;

typedef struct {
    s_list_t *lists;            //  one per job
    jm_buf_t ids;               //  the ids, each NUL-terminated
    long results;
} s_collect_t;

//  One request: refs [first, first + count) of job's list.
typedef struct {
    int job;
    size_t first, count;
    int attempts;               //  answered io_error so far
} s_tag_t;

static void
s_collect (const jm_batch_result_ref_t *ref, void *arg)
{
    s_collect_t *collect = arg;
    if (!ref->stored)
        return;                 //  already to repair
    s_list_t *list = &collect->lists [ref->job];
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 1024;
        list->refs = realloc (list->refs, list->cap * sizeof (s_ref_t));
        if (!list->refs)
            abort ();
    }
    list->refs [list->count++] = (s_ref_t) { ref->position, ref->version, collect->ids.len };
    jm_buf_append (&collect->ids, ref->candidate, strlen (ref->candidate) + 1);
    collect->results++;
}

//  Sends the request of tag (taken) for job, whose list is list.
static void
s_send (jm_batch_pipe_t *pipe, const char *job, const s_list_t *list, const jm_buf_t *ids, s_tag_t *tag)
{
    size_t first = tag->first;
    long long version = list->refs [first].version;
    jm_buf_t body;
    jm_buf_init (&body);
    jm_buf_puts (&body, "{\"op\":\"stored\",\"job\":");
    jm_buf_json_str (&body, job);
    if (version > 0)
        jm_buf_printf (&body, ",\"version\":%lld", version);
    jm_buf_puts (&body, ",\"candidates\":[");
    for (size_t at = first; at < first + tag->count; at++) {
        if (at > first)
            jm_buf_puts (&body, ",");
        jm_buf_json_str (&body, ids->data + list->refs [at].id);
    }
    jm_buf_puts (&body, "]}");
    size_t len;
    char *data = jm_buf_steal (&body, &len);
    jm_batch_pipe_send (pipe, JM_BATCH_VERIFY_SERVICE, data, len, tag);
}

//  A new request of job j's list from *next: the candidates of one version,
//  at most JM_BATCH_VERIFY_MAX.  Advances *next.
static s_tag_t *
s_next_tag (int j, const s_list_t *list, size_t *next)
{
    size_t first = *next, at = first;
    while (at < list->count && at - first < JM_BATCH_VERIFY_MAX
       &&  list->refs [at].version == list->refs [first].version)
        at++;
    s_tag_t *tag = malloc (sizeof *tag);
    if (!tag)
        abort ();
    *tag = (s_tag_t) { j, first, at - first, 0 };
    *next = at;
    return tag;
}

//  Reads one reply: the positions of its missing candidates are appended
//  to missing (*count of them).  Returns 0, 1 when Redis was not available
//  to the matcher (io_error: to try again), or -1 with err filled.
static int
s_take (const jm_batch_reply_t *reply, const char *const *jobs, const s_list_t *lists, long **missing,
        size_t *count, size_t *cap, jm_error_t *err)
{
    const s_tag_t *tag = reply->tag;
    const s_list_t *list = &lists [tag->job];
    long from = list->refs [tag->first].position + 1, to = list->refs [tag->first + tag->count - 1].position + 1;
    if (reply->failed)
        return jm_error_set (err, reply->error.code, "%s (job '%s', candidates %ld to %ld of the output; "
                             "after %d attempts)", reply->error.message, jobs [tag->job], from, to,
                             reply->attempts);
    json_error_t parse;
    json_t *body = json_loadb (reply->body, reply->len, 0, &parse);
    json_t *error = json_object_get (body, "error");
    json_t *list_json = json_object_get (body, "missing");
    int rc = 0;
    const char *code = json_string_value (json_object_get (error, "code"));
    if (code && strcmp (code, JM_ERR_IO) == 0 && tag->attempts + 1 < JM_BATCH_VERIFY_ATTEMPTS)
        rc = 1;
    else
    if (json_is_object (error))
        rc = jm_error_set (err, code ? code : JM_ERR_INTERNAL,
                           "%s answered: %s (job '%s', candidates %ld to %ld of the output)",
                           JM_BATCH_VERIFY_SERVICE,
                           json_string_value (json_object_get (error, "message")) ?: "an error",
                           jobs [tag->job], from, to);
    else
    if (!json_is_true (json_object_get (body, "ok")) || !json_is_array (list_json)
    ||  json_integer_value (json_object_get (body, "checked")) != (json_int_t) tag->count)
        rc = jm_error_set (err, JM_ERR_INTERNAL, "%s's reply does not match the request (job '%s', "
                           "candidates %ld to %ld of the output)", JM_BATCH_VERIFY_SERVICE,
                           jobs [tag->job], from, to);
    size_t index;
    json_t *item;
    json_array_foreach (rc ? NULL : list_json, index, item) {
        json_int_t at = json_integer_value (item);
        if (!json_is_integer (item) || at < 0 || (size_t) at >= tag->count) {
            rc = jm_error_set (err, JM_ERR_INTERNAL, "%s's reply names candidate %lld of a request "
                               "of %zu (job '%s')", JM_BATCH_VERIFY_SERVICE, (long long) at,
                               tag->count, jobs [tag->job]);
            break;
        }
        if (*count == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *missing = realloc (*missing, *cap * sizeof (long));
            if (!*missing)
                abort ();
        }
        (*missing) [(*count)++] = list->refs [tag->first + (size_t) at].position;
    }
    json_decref (body);
    return rc;
}

static int
s_compare_long (const void *a, const void *b)
{
    long x = *(const long *) a, y = *(const long *) b;
    return x < y ? -1 : x > y;
}

int
jm_batch_verify (jm_batch_pipe_t *pipe, const char *path, jm_batch_out_format_t format,
                 const char *const *jobs, int job_count, int window, jm_batch_tally_t *tally,
                 const volatile sig_atomic_t *signals, jm_batch_verify_stats_t *stats,
                 jm_error_t *err)
{
    memset (stats, 0, sizeof *stats);
    s_collect_t collect;
    memset (&collect, 0, sizeof collect);
    collect.lists = calloc ((size_t) job_count, sizeof (s_list_t));
    if (!collect.lists)
        abort ();
    jm_buf_init (&collect.ids);
    int rc = jm_batch_output_results (path, format, jobs, job_count, s_collect, &collect, err);
    stats->results = collect.results;
    long *missing = NULL;
    size_t missing_count = 0, missing_cap = 0, outstanding = 0, next = 0;
    int j = 0;
    while (rc == 0) {
        while (j < job_count && next == collect.lists [j].count) {
            j++;
            next = 0;
        }
        while (j < job_count && outstanding < (size_t) window) {
            s_send (pipe, jobs [j], &collect.lists [j], &collect.ids, s_next_tag (j, &collect.lists [j], &next));
            outstanding++;
            stats->requests++;
            while (j < job_count && next == collect.lists [j].count) {
                j++;
                next = 0;
            }
        }
        if (outstanding == 0)
            break;
        if (*signals) {
            rc = jm_error_set (err, JM_ERR_IO, "interrupted while verifying %s", path);
            break;
        }
        jm_batch_reply_t reply;
        if (jm_batch_pipe_next (pipe, JM_BATCH_VERIFY_WAIT_MS, &reply) != 1)
            continue;
        outstanding--;
        s_tag_t *tag = reply.tag;
        rc = s_take (&reply, jobs, collect.lists, &missing, &missing_count, &missing_cap, err);
        jm_batch_reply_free (&reply);
        if (rc == 1) {
            //  the matcher is reconnecting to Redis: the same request, later
            int delay = JM_BATCH_VERIFY_BACKOFF_MS << (tag->attempts < 4 ? tag->attempts : 4);
            for (int64_t until = zclock_mono () + delay; zclock_mono () < until && !*signals; )
                zclock_sleep (50);
            tag->attempts++;
            s_send (pipe, jobs [tag->job], &collect.lists [tag->job], &collect.ids, tag);
            outstanding++;
            rc = 0;
            continue;
        }
        free (tag);
    }
    if (rc == 0) {
        stats->missing = (long) missing_count;
        if (missing_count)
            qsort (missing, missing_count, sizeof (long), s_compare_long);
        long before = tally->not_stored;
        jm_batch_tally_add_not_stored (tally, missing, missing_count);
        stats->candidates = tally->not_stored - before;
    }
    free (missing);
    for (int k = 0; k < job_count; k++)
        free (collect.lists [k].refs);
    free (collect.lists);
    jm_buf_free (&collect.ids);
    return rc;
}
