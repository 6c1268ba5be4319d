/*  jobmatch CLI: which results of a batch output the service holds.  See
    batch_verify.h.

    The requests are built while the output is read: each job has one
    request being filled, sent when it holds JM_BATCH_VERIFY_MAX candidates
    or the next record is of another version; while window requests are in
    flight, reading waits for a reply.  So memory stays flat whatever the
    size of the output: window requests, and the positions found missing. */
#include "batch_verify.h"
#include "jm_buf.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define JM_BATCH_VERIFY_WAIT_MS 200     //  one wait for replies, between signal checks
#define JM_BATCH_VERIFY_ATTEMPTS 10     //  of a request answered io_error (Redis not available)
#define JM_BATCH_VERIFY_BACKOFF_MS 250  //  before its second attempt, doubling up to 4 s

//  A request sent: its job, its candidates' positions in the output and a
//  copy of its body (for a resend), in one allocation.
typedef struct {
    int job;
    size_t count;
    int attempts;               //  answered io_error so far
    size_t len;
    long *positions;            //  count, after the struct
    char *body;                 //  len bytes, after the positions
} s_sent_t;

//  The request of one job being filled.
typedef struct {
    jm_buf_t body;
    long positions [JM_BATCH_VERIFY_MAX];
    size_t count;
    long long version;
} s_open_t;

typedef struct {
    jm_batch_pipe_t *pipe;
    const char *const *jobs;
    int window;
    const volatile sig_atomic_t *signals;
    s_open_t *open;             //  one per job
    size_t outstanding;
    long *missing;              //  positions of results missing, as found
    size_t missing_count, missing_cap;
    jm_batch_verify_stats_t *stats;
    jm_error_t *err;
    int rc;                     //  -1 once err is set: nothing more is sent
} s_verify_t;

static void
s_send (s_verify_t *self, s_sent_t *sent)
{
    char *body = jm_malloc (sent->len);
    memcpy (body, sent->body, sent->len);
    jm_batch_pipe_send (self->pipe, JM_BATCH_VERIFY_SERVICE, body, sent->len, sent);
}

//  Reads one reply.  Returns 0, 1 when Redis was not available to the
//  matcher (io_error: to try again), or -1 with err filled.
static int
s_take (s_verify_t *self, const jm_batch_reply_t *reply)
{
    const s_sent_t *sent = reply->tag;
    const char *job = self->jobs [sent->job];
    long from = sent->positions [0] + 1, to = sent->positions [sent->count - 1] + 1;
    if (reply->failed)
        return jm_error_set (self->err, reply->error.code, "%s (job '%s', candidates %ld to %ld of the "
                             "output; after %d attempts)", reply->error.message, job, from, to,
                             reply->attempts);
    json_error_t parse;
    json_t *body = json_loadb (reply->body, reply->len, 0, &parse);
    json_t *error = json_object_get (body, "error");
    json_t *list = json_object_get (body, "missing");
    const char *code = json_string_value (json_object_get (error, "code"));
    const char *message = json_string_value (json_object_get (error, "message"));
    int rc = 0;
    if (code && strcmp (code, JM_ERR_IO) == 0 && sent->attempts + 1 < JM_BATCH_VERIFY_ATTEMPTS)
        rc = 1;
    else
    if (json_is_object (error))
        rc = jm_error_set (self->err, code ? code : JM_ERR_INTERNAL, "%s answered: %s (job '%s', "
                           "candidates %ld to %ld of the output)", JM_BATCH_VERIFY_SERVICE,
                           message ? message : "an error", job, from, to);
    else
    if (!json_is_true (json_object_get (body, "ok")) || !json_is_array (list)
    ||  json_integer_value (json_object_get (body, "checked")) != (json_int_t) sent->count)
        rc = jm_error_set (self->err, JM_ERR_INTERNAL, "%s's reply does not match the request (job "
                           "'%s', candidates %ld to %ld of the output)", JM_BATCH_VERIFY_SERVICE,
                           job, from, to);
    size_t index;
    json_t *item;
    json_array_foreach (rc ? NULL : list, index, item) {
        json_int_t at = json_integer_value (item);
        if (!json_is_integer (item) || at < 0 || (size_t) at >= sent->count) {
            rc = jm_error_set (self->err, JM_ERR_INTERNAL, "%s's reply names candidate %lld of a "
                               "request of %zu (job '%s')", JM_BATCH_VERIFY_SERVICE, (long long) at,
                               sent->count, job);
            break;
        }
        if (self->missing_count == self->missing_cap) {
            self->missing_cap = self->missing_cap ? self->missing_cap * 2 : 1024;
            self->missing = jm_realloc (self->missing, self->missing_cap * sizeof (long));
        }
        self->missing [self->missing_count++] = sent->positions [at];
    }
    json_decref (body);
    return rc;
}

//  Waits for one reply and takes it; a request answered io_error is sent
//  again after a backoff.  Sets self->rc on an error or a signal.
static void
s_wait_one (s_verify_t *self)
{
    if (*self->signals) {
        self->rc = jm_error_set (self->err, JM_ERR_IO, "interrupted");
        return;
    }
    jm_batch_reply_t reply;
    if (jm_batch_pipe_next (self->pipe, JM_BATCH_VERIFY_WAIT_MS, &reply) != 1)
        return;
    s_sent_t *sent = reply.tag;
    int rc = s_take (self, &reply);
    jm_batch_reply_free (&reply);
    if (rc == 1) {
        //  the matcher is reconnecting to Redis: the same request, later
        int delay = JM_BATCH_VERIFY_BACKOFF_MS << (sent->attempts < 4 ? sent->attempts : 4);
        for (int64_t until = zclock_mono () + delay; zclock_mono () < until && !*self->signals; )
            zclock_sleep (50);
        sent->attempts++;
        s_send (self, sent);
        return;
    }
    free (sent);
    self->outstanding--;
    if (rc)
        self->rc = -1;
}

//  Sends job j's open request, if it holds any candidate, then waits while
//  window requests are in flight.
static void
s_flush (s_verify_t *self, int j)
{
    s_open_t *open = &self->open [j];
    if (open->count == 0 || self->rc)
        return;
    jm_buf_puts (&open->body, "]}");
    s_sent_t *sent = jm_malloc (sizeof *sent + open->count * sizeof (long) + open->body.len);
    *sent = (s_sent_t) { j, open->count, 0, open->body.len, NULL, NULL };
    sent->positions = (long *) (sent + 1);
    sent->body = (char *) (sent->positions + open->count);
    memcpy (sent->positions, open->positions, open->count * sizeof (long));
    memcpy (sent->body, open->body.data, open->body.len);
    jm_buf_reset (&open->body);
    open->count = 0;
    s_send (self, sent);
    self->outstanding++;
    self->stats->requests++;
    while (self->rc == 0 && self->outstanding >= (size_t) self->window)
        s_wait_one (self);
}

//  One result record of the output: added to its job's open request.
static void
s_on_result (const jm_batch_result_ref_t *ref, void *arg)
{
    s_verify_t *self = arg;
    if (!ref->stored || self->rc)
        return;                 //  not stored: the repair re-submits it anyway
    s_open_t *open = &self->open [ref->job];
    if (open->count && open->version != ref->version)
        s_flush (self, ref->job);
    if (open->count == 0) {
        jm_buf_reset (&open->body);
        jm_buf_puts (&open->body, "{\"op\":\"stored\",\"job\":");
        jm_buf_json_str (&open->body, self->jobs [ref->job]);
        if (ref->version > 0)
            jm_buf_printf (&open->body, ",\"version\":%lld", ref->version);
        jm_buf_puts (&open->body, ",\"candidates\":[");
        open->version = ref->version;
    }
    else
        jm_buf_puts (&open->body, ",");
    jm_buf_json_str (&open->body, ref->candidate);
    open->positions [open->count++] = ref->position;
    self->stats->results++;
    if (open->count == JM_BATCH_VERIFY_MAX)
        s_flush (self, ref->job);
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
    s_verify_t self;
    memset (&self, 0, sizeof self);
    self.pipe = pipe;
    self.jobs = jobs;
    self.window = window;
    self.signals = signals;
    self.stats = stats;
    self.err = err;
    self.open = jm_calloc ((size_t) job_count, sizeof (s_open_t));
    for (int j = 0; j < job_count; j++)
        jm_buf_init (&self.open [j].body);
    if (jm_batch_output_results (path, format, jobs, job_count, s_on_result, &self, err))
        self.rc = -1;
    for (int j = 0; j < job_count; j++)
        s_flush (&self, j);
    while (self.rc == 0 && self.outstanding)
        s_wait_one (&self);
    if (self.rc == 0) {
        stats->missing = (long) self.missing_count;
        if (self.missing_count)
            qsort (self.missing, self.missing_count, sizeof (long), s_compare_long);
        long before = tally->not_stored;
        jm_batch_tally_add_not_stored (tally, self.missing, self.missing_count);
        stats->candidates = tally->not_stored - before;
    }
    for (int j = 0; j < job_count; j++)
        jm_buf_free (&self.open [j].body);
    free (self.open);
    free (self.missing);
    return self.rc;
}
