/*  jobmatch batch: scores a file of any size through the gateway, resumably.

    The run is one loop in one thread:

        read a chunk of candidates (batch_input)  ->  send it (batch_pipe)
        ...  up to --window chunks in flight  ...
        take a reply  ->  split its results into the chunk's records
        write the complete records at the head, in input order (batch_output)

    The chunks form a queue in input order; a chunk is written record by
    record as soon as every record before it is, so the queue is the
    reorder buffer and the window bounds it (memory stays flat: about
    window x batch x (candidate + results) bytes).  A request is one
    chunk's candidates against up to 32 jobs; a request the gateway
    refuses as too large or as invalid JSON is split in two until the
    candidate at fault is alone, which then gets an error record.

    Results pass through as text: the reply is split with the light JSON
    scanner of batch_json and each result is copied to the output byte for
    byte; only "job", "band", "cached" and "error" are looked at.

    Resume: the output is strictly in input order with a fixed number of
    records per candidate (batch_output.h), so counting its complete
    records says how many candidates are done; the input is read past
    them and the run goes on.  Then the candidates whose results were not
    stored are sent again and their records replaced (s_repair).  With
    --verify, the service is first asked which of the results the output
    says stored Redis still holds (batch_verify); those it lost join the
    candidates to repair, sent with "refresh".  Retried requests are matched by request id
    (batch_pipe.h), so a candidate is written once however many times it
    was scored.                                                             */
#include "cli.h"
#include "batch_input.h"
#include "batch_json.h"
#include "batch_output.h"
#include "batch_pipe.h"
#include "batch_verify.h"
#include "remote.h"
#include "jm_gateways.h"
#include "jm_mdp.h"
#include "jm_nice.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define JM_BATCH_SERVICE          "jobmatch.match"
#define JM_BATCH_JOBS_SERVICE     "jobmatch.jobs"
#define JM_BATCH_JOBS_MAX         1024
#define JM_BATCH_JOBS_PER_REQUEST 32        //  the matcher's limit
#define JM_BATCH_CANDIDATES_MAX   1000      //  per request, the matcher's limit
#define JM_BATCH_RESULTS_PER_REQUEST 500    //  default --batch x jobs
#define JM_BATCH_BODY_BYTES       (4 * 1024 * 1024)   //  a chunk's candidates, at most (gateway: 8 MB)
#define JM_BATCH_GRACE_MS         3000      //  after Ctrl-C, for replies in flight
#define JM_BATCH_ERRORS_SHOWN     20
#define JM_BATCH_PROBE_MS         5000      //  wait for the gateway's first answer
#define JM_BATCH_REPAIR_PASSES    5         //  of the candidates not stored, per --resume
#define JM_BATCH_EXIT_NOT_STORED  3         //  exit: all scored, some results not stored

static const jm_cli_option_t s_options [] = {
    { "all-jobs",   NULL,     "every registered job" },
    { "in",         "FILE",   "the candidates: JSON lines, a JSON array or CSV ('-': stdin)" },
    { "out",        "FILE",   "where the results go ('-': stdout, not resumable)" },
    { "format",     "FMT",    "the input's format: jsonl, json or csv (default: by extension)" },
    { "out-format", "FMT",    "the output's format: jsonl or csv (default: by extension)" },
    { "resume",     NULL,     "continue the run that wrote --out" },
    { "verify",     NULL,     "then ask the service which results it holds; re-submit those it lost" },
    { "force",      NULL,     "overwrite a non-empty --out" },
    { "summary",    "FILE",   "also write the summary there, as JSON" },
    { "detail",     "LEVEL",  "how much of each result: score, summary or full (default summary)" },
    { NULL }
};
enum { s_OPT_ALL_JOBS, s_OPT_IN, s_OPT_OUT, s_OPT_FORMAT, s_OPT_OUT_FORMAT,
       s_OPT_RESUME, s_OPT_VERIFY, s_OPT_FORCE, s_OPT_SUMMARY, s_OPT_DETAIL };

//  The settings, read as the services read theirs (jm_config).
static const jm_config_option_t s_settings [] = {
    JM_CLI_REMOTE_SETTINGS,
    JM_CLI_JOB_SETTING ("the job ids, each candidate against each (not with --all-jobs)"),
    { "window", JM_CONFIG_INT, "8", 1, 1000, "requests in flight" },
    { "batch", JM_CONFIG_INT, "500", 1, JM_BATCH_CANDIDATES_MAX,
      "candidates per request (when not given: 500 / number of jobs, at least 10)" },
    { "retries", JM_CONFIG_INT, "5", 0, 1000, "resends of a request that timed out or was refused" },
    { "nice", JM_CONFIG_INT, "10", 0, 19,
      "CPU priority as a nice value: Redis and the gateway first" },
    { NULL }
};

static const jm_cli_spec_t s_spec = {
    "batch", "[OPTIONS] --in FILE --out FILE",
    "Scores a file of candidates of any size through the gateway, many requests in\n"
    "flight, and writes one record per candidate and job in input order.  Interrupted\n"
    "runs (Ctrl-C, a crash, a lost gateway) continue with --resume.",
    s_options,
    "Input: JSON lines (one candidate per line), a JSON array, or CSV with a header\n"
    "naming id, name, skills (separated by ';') and optionally resume and\n"
    "years_experience, quoted per RFC 4180.  A bad line gets an error record with\n"
    "its line number and the run goes on.\n"
    "\n"
    "Output, JSON lines: the result objects, or {\"line\": N, \"candidate\": id|null,\n"
    "\"job\": id, \"error\": {\"code\", \"message\"}} for a bad candidate (once per job).\n"
    "CSV: id,name,job,score,band,required,missing,error,line,cached,stored.\n"
    "--detail says how much of each result the matcher sends (proto/services.md):\n"
    "score (candidate, job, job_version, score, band), summary (also name, required\n"
    "met and the required requirements missing; the default) or full (the whole\n"
    "breakdown).  CSV's missing column lists the required requirements missing,\n"
    "with --detail full every requirement missing; score leaves name, required and\n"
    "missing empty.  Give --resume the --detail of the run it continues.\n"
    "\n"
    "--all-jobs asks the job registry (service jobmatch.jobs) for the jobs; while no\n"
    "registry serves, it uses the jobs of the local data (--data).\n"
    "\n"
    "--resume reads the output, cuts a partial last record, counts the candidates\n"
    "complete and goes on from the next one: the output ends up with exactly one\n"
    "record per candidate and job, whatever stopped the earlier run.  Then it\n"
    "repairs: the candidates with a result the matcher could not store in Redis\n"
    "(\"stored\": false, Redis unavailable) are sent again, their new records\n"
    "written to OUT.repair and put in place of the old ones (OUT.tmp renamed over\n"
    "OUT, so OUT is always whole), up to 5 passes while some are still not stored.\n"
    "\n"
    "--verify (with --resume, or after a new run) then asks the matchers' results\n"
    "service (jobmatch.results, op \"stored\") which of the results the output says\n"
    "stored Redis still holds, with their ranking entry, 1,000 per request, many\n"
    "in flight.  Those it lost (Redis restarted empty, FLUSHALL) are re-submitted\n"
    "with \"refresh\": true (scored and stored again even if cached) and their\n"
    "records replaced as above: the output keeps one record per candidate and job,\n"
    "in input order.  Run it after Redis lost data.\n"
    "\n"
    "Requests that time out, or that the gateway answers busy / no_workers /\n"
    "worker_lost / unavailable (a gateway stopping), are resent with backoff\n"
    "(--retries); after the last retry the run stops (exit 2) with everything\n"
    "complete written, ready for --resume.\n"
    "\n"
    "Progress on stderr (a bar on a terminal, else a line every 5 s), then a\n"
    "summary (\"not_stored\": candidates with a result not stored).  Exit status:\n"
    "0 all scored and stored, 1 some candidates had errors, 2 the run could not\n"
    "finish, 3 all scored but some results not stored (run again with --resume),\n"
    "130 interrupted (Ctrl-C / SIGTERM).\n",
    s_settings
};

//  ---------------------------------------------------------------------------
//  Chunks: consecutive candidates in flight together

typedef struct {
    long line;                  //  input line
    size_t offset, len;         //  its JSON in chunk->text; len 0: not sent (error)
    jm_error_t error;           //  a local error (bad input, or refused alone)
    char *id;                   //  its id for error records (local errors only)
    int pending;                //  job groups not yet answered
} s_record_t;

typedef struct _s_chunk_t s_chunk_t;
struct _s_chunk_t {
    s_chunk_t *next;
    s_record_t *records;
    int count;
    jm_batch_item_t *items;     //  count x job_count
    jm_buf_t text;              //  the candidates' JSON
    zmsg_t **replies;           //  reply messages the items point into
    int body_count, body_cap;
    int written;                //  records written
};

//  One request: records [from, to) of a chunk against job group `group`.
typedef struct {
    s_chunk_t *chunk;
    int from, to;
    int group;
} s_part_t;

typedef struct {
    jm_cli_t *cli;
    //  settings
    const char *gateway;
    const char *jobs [JM_BATCH_JOBS_MAX];
    char *owned_jobs [JM_BATCH_JOBS_MAX];
    char *job_list;             //  the setting --job, which jobs point into
    int job_count;
    int window, batch, timeout_ms, retries, nice;
    int group_count;            //  groups of up to 32 jobs: a request each per chunk
    //  the run
    jm_batch_input_t *input;
    jm_batch_output_t *output;
    jm_batch_pipe_t *pipe;
    s_chunk_t *head, *tail;
    int chunks;
    bool input_done;
    bool stopping;
    jm_error_t fatal;           //  why the run stops early
    jm_batch_tally_t tally;
    long resumed;               //  candidates in the output before this run
    long sent_candidates;
    long read_candidates;       //  read from the input in this run
    uint64_t offset_start;      //  input offset after the skip
    int64_t started_ms;
    int64_t progress_ms;        //  last progress shown
    bool tty;
    bool progress_shown;
    //  a repair pass reads only the candidates at these input positions
    const long *only;
    size_t only_count, only_next;
    long position;              //  input candidates read or skipped in the pass
    long repaired;              //  candidates stored by repair passes
    int repair_passes;
    bool refresh;               //  requests ask the matcher to store even cached results
    const char *detail;         //  how much of each result requests ask for
    bool verified;              //  --verify ran: verify holds what it found
    jm_batch_verify_stats_t verify;
} s_batch_t;

static volatile sig_atomic_t s_signals;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_signals++;
}

static void
s_chunk_destroy (s_chunk_t **chunk_p)
{
    s_chunk_t *chunk = *chunk_p;
    if (!chunk)
        return;
    for (int r = 0; r < chunk->count; r++)
        free (chunk->records [r].id);
    for (int b = 0; b < chunk->body_count; b++)
        zmsg_destroy (&chunk->replies [b]);
    free (chunk->replies);
    free (chunk->records);
    free (chunk->items);
    jm_buf_free (&chunk->text);
    free (chunk);
    *chunk_p = NULL;
}

static void
s_fail (s_batch_t *self, const char *code, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

//  Records why the run stops (the first reason wins) and stops sending.
static void
s_fail (s_batch_t *self, const char *code, const char *format, ...)
{
    if (!jm_error_is_set (&self->fatal)) {
        char message [JM_ERROR_MESSAGE_MAX];
        va_list args;
        va_start (args, format);
        vsnprintf (message, sizeof message, format, args);
        va_end (args);
        jm_error_set (&self->fatal, code, "%s", message);
    }
    self->stopping = true;
}

//  Sends records [from, to) of chunk against job group `group`, the
//  records with an error left out.  Sends nothing when none is left.
static void
s_send_part (s_batch_t *self, s_chunk_t *chunk, int from, int to, int group)
{
    int job_from = group * JM_BATCH_JOBS_PER_REQUEST;
    int job_to = job_from + JM_BATCH_JOBS_PER_REQUEST;
    if (job_to > self->job_count)
        job_to = self->job_count;
    jm_batch_request_t request;
    jm_batch_request_init (&request, self->jobs + job_from, job_to - job_from, self->refresh,
                           self->detail);
    for (int r = from; r < to; r++) {
        s_record_t *record = &chunk->records [r];
        if (record->len)
            jm_batch_request_add (&request, chunk->text.data + record->offset, record->len);
    }
    s_part_t part = { chunk, from, to, group };
    self->sent_candidates += jm_batch_request_send (&request, self->pipe, JM_BATCH_SERVICE, &part, sizeof part);
}

//  The next candidate to send: the input's next, or in a repair pass the
//  next at a position to repair (the ones between are skipped).  Returns
//  as jm_batch_input_next.
static int
s_input_next (s_batch_t *self, jm_batch_record_t *record, jm_error_t *err)
{
    if (!self->only)
        return jm_batch_input_next (self->input, record, err);
    if (self->only_next == self->only_count)
        return 0;
    long target = self->only [self->only_next];
    if (target > self->position) {
        long skipped = jm_batch_input_skip (self->input, target - self->position, err);
        if (skipped < 0)
            return -1;
        self->position += skipped;
    }
    int rc = self->position == target ? jm_batch_input_next (self->input, record, err) : 0;
    if (rc == 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "%s ends before candidate %ld of the "
                             "output: is it the same input?", jm_batch_input_name (self->input),
                             target + 1);
    if (rc > 0) {
        self->position++;
        self->only_next++;
    }
    return rc;
}

//  Reads the next chunk of candidates and sends it.
static void
s_read_chunk (s_batch_t *self)
{
    s_chunk_t *chunk = jm_calloc (1, sizeof *chunk);
    chunk->records = jm_calloc ((size_t) self->batch, sizeof (s_record_t));
    chunk->items = jm_calloc ((size_t) self->batch * (size_t) self->job_count, sizeof (jm_batch_item_t));
    jm_buf_init (&chunk->text);
    jm_error_t err;
    jm_error_clear (&err);
    while (chunk->count < self->batch && chunk->text.len < JM_BATCH_BODY_BYTES) {
        jm_batch_record_t in;
        int rc = s_input_next (self, &in, &err);
        if (rc < 0) {
            s_fail (self, err.code, "%s", err.message);
            break;
        }
        if (rc == 0) {
            self->input_done = true;
            break;
        }
        s_record_t *record = &chunk->records [chunk->count++];
        self->read_candidates++;
        record->line = in.line;
        if (in.text) {
            record->offset = chunk->text.len;
            record->len = in.len;
            jm_buf_append (&chunk->text, in.text, in.len);
            record->pending = self->group_count;
            jm_error_clear (&record->error);
        }
        else {
            record->error = in.error;
            if (in.id)
                record->id = jm_strdup (in.id);
        }
    }
    if (chunk->count == 0) {
        s_chunk_destroy (&chunk);
        return;
    }
    if (self->tail)
        self->tail->next = chunk;
    else
        self->head = chunk;
    self->tail = chunk;
    self->chunks++;
    for (int g = 0; g < self->group_count; g++)
        s_send_part (self, chunk, 0, chunk->count, g);
}

//  A request failed for its lone candidate: an error record for it.
static void
s_record_refused (s_batch_t *self, s_record_t *record, const jm_error_t *err)
{
    if (!jm_error_is_set (&record->error))
        record->error = *err;
    record->pending--;
}

//  Splits a refused request in two, or gives its lone candidate the error.
static void
s_split_part (s_batch_t *self, const s_part_t *part, const jm_error_t *err)
{
    s_chunk_t *chunk = part->chunk;
    int valid = 0;
    for (int r = part->from; r < part->to; r++)
        valid += chunk->records [r].len > 0;
    if (valid <= 1) {
        for (int r = part->from; r < part->to; r++)
            if (chunk->records [r].len > 0)
                s_record_refused (self, &chunk->records [r], err);
        return;
    }
    int half = 0, mid = part->from;
    while (half < valid / 2)
        half += chunk->records [mid++].len > 0;
    s_send_part (self, chunk, part->from, mid, part->group);
    s_send_part (self, chunk, mid, part->to, part->group);
}

//  Takes the results of a reply apart into the items of its records.
//  Returns 0, or -1 when the results do not match the request.
static int
s_take_results (s_batch_t *self, const s_part_t *part, char *body, size_t len)
{
    s_chunk_t *chunk = part->chunk;
    int job_from = part->group * JM_BATCH_JOBS_PER_REQUEST;
    int job_to = job_from + JM_BATCH_JOBS_PER_REQUEST;
    if (job_to > self->job_count)
        job_to = self->job_count;
    jm_batch_json_iter_t iter;
    if (!jm_batch_reply_results (body, len, &iter))
        return -1;
    size_t size;
    for (int r = part->from; r < part->to; r++) {
        s_record_t *record = &chunk->records [r];
        if (!record->len)
            continue;
        jm_batch_item_t *items = &chunk->items [(size_t) r * (size_t) self->job_count];
        for (int j = job_from; j < job_to; j++) {
            jm_batch_json_field_t fields [] = {
                JM_BATCH_FIELD ("error"), JM_BATCH_FIELD ("job"), JM_BATCH_FIELD ("band"), JM_BATCH_FIELD ("cached"),
                JM_BATCH_FIELD ("stored")
            };
            if (!jm_batch_json_element (&iter))
                return -1;
            const char *text = jm_batch_json_fields (&iter, fields, 5, &size);
            if (!text)
                return -1;
            if (fields [0].value) {
                //  a bad candidate: one entry stands for all the jobs
                for (int k = job_from; k < job_to; k++)
                    items [k] = (jm_batch_item_t) { text, size, true, 0, false, false };
                break;
            }
            if (!fields [1].value || !jm_batch_json_is_str (fields [1].value, fields [1].len, self->jobs [j]))
                return -1;
            items [j] = (jm_batch_item_t) {
                text, size, false,
                fields [2].value ? jm_batch_band_index (fields [2].value, fields [2].len) : JM_BATCH_BAND_OTHER,
                fields [3].value && fields [3].value [0] == 't',
                fields [4].value && fields [4].value [0] == 'f'
            };
        }
        record->pending--;
    }
    if (jm_batch_json_element (&iter))
        return -1;              //  more results than candidates x jobs
    return iter.ok ? 0 : -1;
}

static void
s_on_reply (s_batch_t *self, jm_batch_reply_t *reply)
{
    s_part_t *part = reply->tag;
    s_chunk_t *chunk = part->chunk;
    if (reply->failed) {
        s_fail (self, reply->error.code, "%s (after %d attempts)", reply->error.message, reply->attempts);
        free (part);
        return;
    }
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_batch_reply_ok (reply->body, reply->len, &err)) {
        //  the items point into the body: the chunk keeps it
        if (chunk->body_count == chunk->body_cap) {
            chunk->body_cap = chunk->body_cap ? chunk->body_cap * 2 : 4;
            chunk->replies = jm_realloc (chunk->replies, (size_t) chunk->body_cap * sizeof (zmsg_t *));
        }
        chunk->replies [chunk->body_count++] = reply->msg;
        reply->msg = NULL;
        if (s_take_results (self, part, reply->body, reply->len))
            s_fail (self, JM_ERR_INTERNAL, "the gateway's reply does not match the request (lines %ld to %ld)",
                    chunk->records [part->from].line, chunk->records [part->to - 1].line);
    }
    else {
        jm_batch_reply_free (reply);
        if (strcmp (err.code, JM_ERR_TOO_LARGE) == 0 || strcmp (err.code, JM_ERR_INVALID_JSON) == 0)
            s_split_part (self, part, &err);
        else
            s_fail (self, err.code, "%s: %s", err.code, err.message);
    }
    free (part);
}

//  Writes the complete records at the head of the queue, in order.
static void
s_write_ready (s_batch_t *self)
{
    jm_error_t err;
    jm_error_clear (&err);
    while (self->head) {
        s_chunk_t *chunk = self->head;
        while (chunk->written < chunk->count) {
            s_record_t *record = &chunk->records [chunk->written];
            if (record->pending > 0)
                break;
            bool local = jm_error_is_set (&record->error);
            const jm_batch_item_t *items = local ? NULL
                                         : &chunk->items [(size_t) chunk->written * (size_t) self->job_count];
            if (jm_batch_output_record (self->output, record->line, items, record->id, &record->error,
                                        &self->tally, &err)) {
                s_fail (self, err.code, "%s", err.message);
                return;
            }
            chunk->written++;
        }
        if (chunk->written < chunk->count)
            break;
        self->head = chunk->next;
        if (!self->head)
            self->tail = NULL;
        self->chunks--;
        s_chunk_destroy (&chunk);
    }
}


//  ---------------------------------------------------------------------------
//  Progress and summary

static void
s_duration (char *dest, size_t size, double seconds)
{
    long total = (long) (seconds + 0.5);
    if (total >= 3600)
        snprintf (dest, size, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
    else
        snprintf (dest, size, "%ld:%02ld", total / 60, total % 60);
}

static void
s_progress (s_batch_t *self, bool last)
{
    int64_t now = zclock_mono ();
    int every = self->tty ? 200 : 5000;
    if (!last && now - self->progress_ms < every)
        return;
    self->progress_ms = now;
    double elapsed = (double) (now - self->started_ms) / 1000.0;
    long done = self->tally.candidates - self->resumed;
    double rate = elapsed > 0 ? done / elapsed : 0;
    //  the input is read ahead of what is written: estimate the candidates
    //  in the whole file from those read so far and their share of its bytes
    uint64_t size = jm_batch_input_size (self->input);
    uint64_t offset = jm_batch_input_offset (self->input);
    double fraction = -1, expected = 0;
    if (size && offset && self->read_candidates + self->resumed > 0) {
        expected = (double) (self->read_candidates + self->resumed) * (double) size / (double) offset;
        fraction = self->tally.candidates / expected;
        if (fraction > 1)
            fraction = 1;
    }
    char eta [32] = "?";
    if (fraction >= 0 && rate > 0 && elapsed > 1)
        s_duration (eta, sizeof eta, (expected - (double) self->tally.candidates) / rate);
    if (self->tty) {
        if (last) {
            if (self->progress_shown)
                fprintf (stderr, "\r\033[K");
            return;
        }
        char bar [32];
        int width = 24, filled = fraction >= 0 ? (int) (fraction * width) : 0;
        for (int i = 0; i < width; i++)
            bar [i] = i < filled ? '#' : fraction >= 0 ? '.' : ' ';
        bar [width] = 0;
        if (fraction >= 0)
            fprintf (stderr, "\r\033[K[%s] %3.0f%%  %ld candidates  %.0f/s  ETA %s", bar, fraction * 100,
                     self->tally.candidates, rate, eta);
        else
            fprintf (stderr, "\r\033[K%ld candidates  %.0f/s", self->tally.candidates, rate);
        self->progress_shown = true;
    }
    else
    if (!last) {
        if (fraction >= 0)
            fprintf (stderr, "%s batch: %ld candidates (%.0f%% of the input), %.0f/s, ETA %s\n",
                     JM_CLI_PROGRAM, self->tally.candidates, fraction * 100, rate, eta);
        else
            fprintf (stderr, "%s batch: %ld candidates, %.0f/s\n", JM_CLI_PROGRAM, self->tally.candidates, rate);
    }
    fflush (stderr);
}

static void
s_summary (s_batch_t *self, const char *path, const char *in_path, const char *out_path,
           bool interrupted)
{
    double elapsed = (double) (zclock_mono () - self->started_ms) / 1000.0;
    long done = self->tally.candidates - self->resumed;
    double rate = elapsed > 0 ? done / elapsed : 0;
    const jm_batch_tally_t *tally = &self->tally;
    jm_batch_pipe_stats_t stats = self->pipe ? jm_batch_pipe_stats (self->pipe) : (jm_batch_pipe_stats_t) { 0 };
    bool complete = self->input_done && !self->head && !interrupted && !jm_error_is_set (&self->fatal)
                 && tally->not_stored == 0;

    fprintf (stderr, "%s batch: %ld candidates in %.1f s (%.0f/s)%s: %ld results (%ld scored, %ld cached), "
             "%ld with errors\n", JM_CLI_PROGRAM, done, elapsed, rate,
             self->resumed ? " after resuming" : "", tally->results, tally->scored, tally->cached,
             tally->errors);
    if (self->resumed)
        fprintf (stderr, "  resumed after %ld candidates already in %s; totals cover the whole output: "
                 "%ld candidates\n", self->resumed, out_path, tally->candidates);
    fprintf (stderr, "  bands:");
    for (int b = 0; b < JM_BATCH_BANDS; b++)
        if (b < JM_BATCH_BAND_OTHER || tally->bands [b])
            fprintf (stderr, "%s %s %ld", b ? "," : "", jm_batch_band_name (b), tally->bands [b]);
    fprintf (stderr, "\n");
    if (tally->errors) {
        fprintf (stderr, "  errors at input lines:");
        for (int i = 0; i < tally->error_line_count && i < JM_BATCH_ERRORS_SHOWN; i++)
            fprintf (stderr, "%s %ld", i ? "," : "", tally->error_lines [i]);
        if (tally->errors > JM_BATCH_ERRORS_SHOWN)
            fprintf (stderr, " ... (%ld in all; each has an error record in the output)", tally->errors);
        fprintf (stderr, "\n");
    }
    if (self->verified)
        fprintf (stderr, "  verified: %ld results the output says stored, %ld of them missing from Redis "
                 "(%ld candidates re-submitted)\n", self->verify.results, self->verify.missing,
                 self->verify.candidates);
    if (self->repair_passes)
        fprintf (stderr, "  repaired: %ld candidates whose results were not stored are now (%d pass%s)\n",
                 self->repaired, self->repair_passes, self->repair_passes == 1 ? "" : "es");
    if (tally->not_stored)
        fprintf (stderr, "  not stored: %ld candidates have results the matcher could not store in Redis "
                 "(\"stored\": false); they may be missing from the rankings. Once Redis is back, the "
                 "same command with --resume re-submits exactly those\n", tally->not_stored);
    if (stats.resent || stats.duplicates)
        fprintf (stderr, "  requests: %llu sent, %llu resent (%llu timed out, %llu refused, %llu "
                 "failed over from a lost gateway), %llu late duplicates dropped\n",
                 (unsigned long long) stats.sent, (unsigned long long) stats.resent,
                 (unsigned long long) stats.timeouts, (unsigned long long) stats.refused,
                 (unsigned long long) stats.failovers, (unsigned long long) stats.duplicates);
    bool hopeless = jm_error_is_set (&self->fatal) && (strcmp (self->fatal.code, JM_ERR_UNKNOWN_JOB) == 0
                                                      || strcmp (self->fatal.code, JM_ERR_INVALID_REQUEST) == 0);
    if (!complete && tally->not_stored && self->input_done && !interrupted
    &&  !jm_error_is_set (&self->fatal))
        ;                               //  said above
    else
    if (!complete && hopeless)
        fprintf (stderr, "  the run stopped at the error above; the output holds the %ld candidates before it\n",
                 tally->candidates);
    else
    if (!complete)
        fprintf (stderr, "  the run stopped before the end of the input: the same command with --resume "
                 "continues it\n");
    if (!path)
        return;
    jm_buf_t json;
    jm_buf_init (&json);
    jm_buf_puts (&json, "{\"input\":");
    jm_buf_json_str (&json, in_path);
    jm_buf_puts (&json, ",\"output\":");
    jm_buf_json_str (&json, out_path);
    jm_buf_puts (&json, ",\"jobs\":[");
    for (int j = 0; j < self->job_count; j++) {
        if (j)
            jm_buf_puts (&json, ",");
        jm_buf_json_str (&json, self->jobs [j]);
    }
    jm_buf_printf (&json, "],\"complete\":%s,\"interrupted\":%s,\"candidates\":%ld,\"resumed_from\":%ld,"
                   "\"results\":%ld,\"scored\":%ld,\"cached\":%ld,\"errors\":%ld,\"not_stored\":%ld,"
                   "\"repaired\":%ld,",
                   complete ? "true" : "false", interrupted ? "true" : "false", tally->candidates,
                   self->resumed, tally->results, tally->scored, tally->cached, tally->errors,
                   tally->not_stored, self->repaired);
    if (self->verified)
        jm_buf_printf (&json, "\"verified\":{\"results\":%ld,\"missing\":%ld,\"candidates\":%ld},",
                       self->verify.results, self->verify.missing, self->verify.candidates);
    jm_buf_puts (&json, "\"bands\":{");
    for (int b = 0; b < JM_BATCH_BANDS; b++)
        jm_buf_printf (&json, "%s\"%s\":%ld", b ? "," : "", jm_batch_band_name (b), tally->bands [b]);
    jm_buf_puts (&json, "},\"error_lines\":[");
    for (int i = 0; i < tally->error_line_count; i++)
        jm_buf_printf (&json, "%s%ld", i ? "," : "", tally->error_lines [i]);
    jm_buf_printf (&json, "],\"error_lines_truncated\":%s,\"this_run\":{\"candidates\":%ld,"
                   "\"elapsed_s\":%.3f,\"rate\":%.1f,\"requests\":%llu,\"resent\":%llu,\"timeouts\":%llu,"
                   "\"refused\":%llu,\"failovers\":%llu,\"duplicates\":%llu}",
                   tally->errors > tally->error_line_count ? "true" : "false", done, elapsed, rate,
                   (unsigned long long) stats.sent, (unsigned long long) stats.resent,
                   (unsigned long long) stats.timeouts, (unsigned long long) stats.refused,
                   (unsigned long long) stats.failovers, (unsigned long long) stats.duplicates);
    if (jm_error_is_set (&self->fatal)) {
        jm_buf_puts (&json, ",\"error\":");
        jm_error_write_json_open (self->fatal.code, self->fatal.message, &json);
        jm_buf_puts (&json, "}");
    }
    jm_buf_puts (&json, "}\n");
    FILE *file = fopen (path, "w");
    if (!file || fwrite (json.data, 1, json.len, file) != json.len || fclose (file) != 0)
        jm_cli_error ("cannot write the summary to %s: %s", path, strerror (errno));
    jm_buf_free (&json);
}


//  ---------------------------------------------------------------------------
//  The run

//  Reads, sends and writes until the input is done, the run fails or a
//  signal stops it (*interrupted set).
static void
s_run (s_batch_t *self, bool *interrupted)
{
    int64_t stop_at = 0;
    while (true) {
        if (s_signals && !*interrupted) {
            *interrupted = true;
            self->stopping = true;
        }
        if (self->stopping && !stop_at)
            stop_at = zclock_mono () + (self->timeout_ms < JM_BATCH_GRACE_MS ? self->timeout_ms : JM_BATCH_GRACE_MS);
        //  write first: a chunk written frees its place in the window
        s_write_ready (self);
        while (!self->stopping && !self->input_done && self->chunks < self->window)
            s_read_chunk (self);
        if (!self->head && (self->input_done || self->stopping))
            break;
        if (self->stopping && (jm_batch_pipe_outstanding (self->pipe) == 0 || zclock_mono () >= stop_at
                              || s_signals > 1))
            break;
        jm_batch_reply_t reply;
        if (jm_batch_pipe_next (self->pipe, self->stopping ? 50 : 200, &reply) == 1) {
            s_on_reply (self, &reply);
            //  take whatever else is there before writing
            while (jm_batch_pipe_next (self->pipe, 0, &reply) == 1)
                s_on_reply (self, &reply);
        }
        s_progress (self, false);
    }
    s_write_ready (self);
    s_progress (self, true);
    //  requests still out are dropped with the connection; their tags
    //  are freed here
    while (self->head) {
        s_chunk_t *chunk = self->head;
        self->head = chunk->next;
        s_chunk_destroy (&chunk);
    }
    self->tail = NULL;
}

//  Verify (--verify): asks the service which results of the output it
//  holds and adds the candidates with one it lost to those the repair
//  re-submits, with "refresh" so that each is stored again with its
//  ranking entries even where a part of it is still cached.
static void
s_verify (s_batch_t *self, const char *out_path, jm_batch_out_format_t out_format, bool *interrupted)
{
    jm_error_t err;
    jm_error_clear (&err);
    int64_t started = zclock_mono ();
    self->verified = true;
    if (jm_batch_verify (self->pipe, out_path, out_format, self->jobs, self->job_count, self->window,
                         &self->tally, &s_signals, &self->verify, &err)) {
        if (s_signals)
            *interrupted = true;
        else
            s_fail (self, err.code, "cannot verify %s: %s", out_path, err.message);
        return;
    }
    fprintf (stderr, "%s batch: verified %ld results in %.1f s (%ld requests): %ld missing from Redis, "
             "%ld candidates to re-submit\n", JM_CLI_PROGRAM, self->verify.results,
             (double) (zclock_mono () - started) / 1000.0, self->verify.requests, self->verify.missing,
             self->verify.candidates);
    self->refresh = self->verify.missing > 0;
}

//  Repair (--resume, --verify): the candidates whose results the matcher
//  could not store, or Redis lost (s_verify), are read again from the
//  input, at their positions, and sent again into a side file, OUT.repair;
//  their records there then replace the old ones (jm_batch_output_merge:
//  OUT.tmp renamed over OUT), so OUT keeps one record per candidate and
//  job.  A result now in Redis comes back cached (unless refresh), one
//  scored again is stored as it goes.  While some are still not
//  stored (Redis away again, or its backlog draining) the pass is repeated
//  after a pause, JM_BATCH_REPAIR_PASSES times at most; an interrupted or
//  failed pass leaves OUT as it was, for the next --resume.
static void
s_repair (s_batch_t *self, const char *in_path, jm_batch_format_t in_format, const char *out_path,
          jm_batch_out_format_t out_format, bool *interrupted)
{
    if (strcmp (in_path, "-") == 0) {
        fprintf (stderr, "%s batch: %ld candidates not stored; the input is stdin, which cannot be "
                 "read again to repair them\n", JM_CLI_PROGRAM, self->tally.not_stored);
        return;
    }
    char *repair_path = NULL;
    if (asprintf (&repair_path, "%s.repair", out_path) < 0)
        jm_alloc_check (NULL, "repair file name");
    long resumed = self->resumed;
    jm_error_t err;
    for (int pass = 0; pass < JM_BATCH_REPAIR_PASSES && self->tally.not_stored > 0; pass++) {
        for (int64_t until = zclock_mono () + pass * 1000; zclock_mono () < until && !s_signals; )
            zclock_sleep (50);
        if (s_signals) {
            *interrupted = true;
            break;
        }
        //  the positions to repair, taken from the tally of the output
        jm_batch_tally_t whole = self->tally;
        long *positions = whole.not_stored_at;
        size_t count = (size_t) whole.not_stored;
        fprintf (stderr, "%s batch: re-submitting the %zu candidates whose results were not stored%s\n",
                 JM_CLI_PROGRAM, count, pass ? " (again)" : "");
        jm_error_clear (&err);
        jm_batch_input_destroy (&self->input);
        self->input = jm_batch_input_new (in_path, in_format, &err);
        char *last_id = NULL;
        memset (&self->tally, 0, sizeof self->tally);
        if (self->input)
            self->output = jm_batch_output_new (repair_path, out_format, self->jobs, self->job_count,
                                                false, true, &self->tally, &last_id, &err);
        free (last_id);
        if (!self->input || !self->output) {
            s_fail (self, err.code, "%s", err.message);
            jm_batch_tally_free (&self->tally);
            self->tally = whole;
            break;
        }
        self->only = positions;
        self->only_count = count;
        self->only_next = 0;
        self->position = 0;
        self->input_done = self->stopping = false;
        self->resumed = 0;
        self->repair_passes++;
        s_run (self, interrupted);
        self->only = NULL;
        self->resumed = resumed;
        long still = self->tally.not_stored;
        bool done = self->input_done && !*interrupted && !jm_error_is_set (&self->fatal)
                 && self->tally.candidates == (long) count;
        jm_batch_tally_free (&self->tally);
        jm_error_clear (&err);
        if (jm_batch_output_destroy (&self->output, true, &err) && done) {
            s_fail (self, err.code, "%s", err.message);
            done = false;
        }
        if (done && jm_batch_output_merge (out_path, repair_path, out_format, self->job_count,
                                           positions, count, &err)) {
            s_fail (self, err.code, "%s", err.message);
            done = false;
        }
        unlink (repair_path);
        if (!done) {
            self->tally = whole;            //  the output is as it was
            break;
        }
        //  what the output holds now, counted again from the file
        jm_batch_tally_free (&whole);
        jm_batch_output_t *check = jm_batch_output_new (out_path, out_format, self->jobs, self->job_count,
                                                        true, false, &self->tally, &last_id, &err);
        free (last_id);
        if (!check || jm_batch_output_destroy (&check, false, &err)) {
            s_fail (self, err.code, "%s", err.message);
            break;
        }
        self->repaired += (long) count - still;
        fprintf (stderr, "%s batch: %ld of them stored now, %ld still not stored\n", JM_CLI_PROGRAM,
                 (long) count - still, self->tally.not_stored);
    }
    free (repair_path);
}

//  ---------------------------------------------------------------------------
//  Setup

//  --all-jobs: the job registry's list, or the local jobs while there is no
//  registry.  Returns 0, or JM_CLI_FATAL after printing why.
static int
s_all_jobs (s_batch_t *self)
{
    jm_curve_t *curve;
    if (jm_cli_curve (self->cli, &curve))
        return JM_CLI_FATAL;
    jm_error_t err;
    jm_error_clear (&err);
    jm_gateways_t *gateways = jm_gateways_new (self->gateway, curve, &err);
    jm_curve_destroy (&curve);
    if (!gateways) {
        jm_cli_error ("%s", err.message);
        return JM_CLI_FATAL;
    }
    //  mmi.service answers at once; asking the registry itself would wait for
    //  the gateway's no_workers answer when there is none
    char *known = jm_gateways_request (gateways, "mmi.service", JM_BATCH_JOBS_SERVICE, self->timeout_ms, &err);
    char *reply = NULL;
    if (known && strcmp (known, "200") == 0)
        reply = jm_gateways_request (gateways, JM_BATCH_JOBS_SERVICE, "{\"op\":\"list\"}", self->timeout_ms, &err);
    jm_gateways_destroy (&gateways);
    if (!known) {
        jm_cli_error ("no reply from the gateway at %s within %d ms", self->gateway, self->timeout_ms);
        return JM_CLI_FATAL;
    }
    int rc = 0;
    json_t *body = reply ? json_loads (reply, 0, NULL) : NULL;
    json_t *ok = json_object_get (body, "ok");
    json_t *jobs = json_object_get (body, "jobs");
    const char *code = json_string_value (json_object_get (json_object_get (body, "error"), "code"));
    if (json_is_true (ok) && json_is_array (jobs)) {
        size_t index;
        json_t *job;
        json_array_foreach (jobs, index, job) {
            const char *id = json_string_value (json_is_object (job) ? json_object_get (job, "id") : job);
            if (!id || !*id)
                continue;
            if (self->job_count == JM_BATCH_JOBS_MAX) {
                jm_cli_error ("the registry lists more than %d jobs", JM_BATCH_JOBS_MAX);
                rc = JM_CLI_FATAL;
                break;
            }
            self->owned_jobs [self->job_count] = jm_strdup (id);
            self->jobs [self->job_count] = self->owned_jobs [self->job_count];
            self->job_count++;
        }
        if (self->job_count == 0 && rc == 0) {
            jm_cli_error ("the job registry lists no jobs");
            rc = JM_CLI_FATAL;
        }
    }
    else
    if (!reply || (code && strcmp (code, JM_ERR_NO_WORKERS) == 0)) {
        //  no registry yet: the jobs of the local data
        jm_engine_t *engine = jm_cli_engine (self->cli);
        if (!engine)
            rc = JM_CLI_FATAL;
        for (int i = 0; engine && i < jm_engine_job_count (engine) && i < JM_BATCH_JOBS_MAX; i++)
            self->jobs [self->job_count++] = jm_job_id (jm_engine_job_at (engine, i));
        if (engine && jm_cli_verbose (self->cli))
            fprintf (stderr, "%s batch: no job registry (%s) at the gateway: using the %d local jobs\n",
                     JM_CLI_PROGRAM, JM_BATCH_JOBS_SERVICE, self->job_count);
    }
    else {
        jm_cli_error ("the job registry's answer: %s", code ? code : "not a job list");
        rc = JM_CLI_FATAL;
    }
    json_decref (body);
    free (known);
    free (reply);
    return rc;
}

//  Continues after the candidates already in the output: skips them in the
//  input and checks that the last one is the same candidate.  Returns 0 or
//  JM_CLI_FATAL after printing why.
static int
s_skip_done (s_batch_t *self, const char *last_id)
{
    jm_error_t err;
    jm_error_clear (&err);
    long done = self->tally.candidates;
    if (done == 0)
        return 0;
    long skipped = done > 1 ? jm_batch_input_skip (self->input, done - 1, &err) : 0;
    jm_batch_record_t record;
    int rc = skipped == done - 1 ? jm_batch_input_next (self->input, &record, &err) : 0;
    if (skipped < 0 || rc < 0) {
        jm_cli_error ("%s", err.message);
        return JM_CLI_FATAL;
    }
    if (skipped < done - 1 || rc == 0) {
        jm_cli_error ("the output holds %ld candidates but %s has only %ld: is it the same input?", done,
                      jm_batch_input_name (self->input), skipped + (rc > 0));
        return JM_CLI_FATAL;
    }
    //  its id: from the record's JSON, or the id of a bad one
    jm_buf_t id;
    jm_buf_init (&id);
    bool known = false;
    if (record.text) {
        jm_batch_json_field_t fields [] = { JM_BATCH_FIELD ("id") };
        jm_batch_json_iter_t iter;
        size_t size;
        jm_batch_json_iter_init (&iter, record.text, record.len);
        if (jm_batch_json_fields (&iter, fields, 1, &size) && fields [0].value
        &&  (fields [0].value [0] == '"' || fields [0].value [0] == '-'
             || (fields [0].value [0] >= '0' && fields [0].value [0] <= '9'))) {
            jm_batch_json_unescape (fields [0].value, fields [0].len, &id);
            known = true;
        }
    }
    else
    if (record.id) {
        jm_buf_puts (&id, record.id);
        known = true;
    }
    int status = 0;
    if (last_id && known && strcmp (last_id, id.data ? id.data : "") != 0) {
        jm_buf_t shown;
        jm_buf_init (&shown);
        jm_cli_text_clean (&shown, id.data ? id.data : "", 40);
        jm_buf_puts (&shown, "' in the input, '");
        jm_cli_text_clean (&shown, last_id, 40);
        jm_cli_error ("cannot resume: candidate %ld (line %ld) is '%s' in the output: is it the same input?",
                      done, record.line, shown.data);
        jm_buf_free (&shown);
        status = JM_CLI_FATAL;
    }
    jm_buf_free (&id);
    return status;
}

static jm_batch_out_format_t
s_out_format_default (const char *path)
{
    size_t len = strlen (path);
    return len > 4 && strcasecmp (path + len - 4, ".csv") == 0 ? JM_BATCH_OUT_CSV : JM_BATCH_OUT_JSONL;
}

int
jm_cli_cmd_batch (jm_cli_t *cli, int argc, char **argv)
{
    s_batch_t self;
    memset (&self, 0, sizeof self);
    jm_detail_t detail;
    self.cli = cli;
    jm_error_clear (&self.fatal);
    const char *in_path = NULL, *out_path = NULL, *summary_path = NULL;
    jm_batch_format_t in_format = JM_BATCH_FORMAT_AUTO;
    int out_format = -1;
    bool all_jobs = false, resume = false, force = false, verify = false;
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_spec, &args, &value, &status)) != JM_CLI_END) {
        switch (option) {
            case JM_CLI_EXIT:
                return status;
            case JM_CLI_ARG:
                return jm_cli_usage_error (&s_spec, "unexpected argument '%s' (the input is --in FILE)", value);
            case s_OPT_ALL_JOBS:
                all_jobs = true;
                break;
            case s_OPT_IN:
                in_path = value;
                break;
            case s_OPT_OUT:
                out_path = value;
                break;
            case s_OPT_FORMAT:
                if (jm_batch_format_parse (value, &in_format))
                    return jm_cli_usage_error (&s_spec, "--format must be jsonl, json or csv");
                break;
            case s_OPT_OUT_FORMAT:
                if (strcmp (value, "jsonl") == 0)
                    out_format = JM_BATCH_OUT_JSONL;
                else
                if (strcmp (value, "csv") == 0)
                    out_format = JM_BATCH_OUT_CSV;
                else
                    return jm_cli_usage_error (&s_spec, "--out-format must be jsonl or csv");
                break;
            case s_OPT_RESUME:
                resume = true;
                break;
            case s_OPT_VERIFY:
                verify = true;
                break;
            case s_OPT_FORCE:
                force = true;
                break;
            case s_OPT_SUMMARY:
                summary_path = value;
                break;
            case s_OPT_DETAIL:
                if (jm_cli_detail_option (&s_spec, value, &detail))
                    return JM_CLI_FATAL;
                self.detail = jm_detail_name (detail);
                break;
        }
    }
    jm_config_t *settings = cli->settings;
    self.gateway = jm_config_string (settings, "gateway");
    self.window = (int) jm_config_int (settings, "window");
    self.timeout_ms = (int) jm_config_int (settings, "timeout-ms");
    self.retries = (int) jm_config_int (settings, "retries");
    self.nice = (int) jm_config_int (settings, "nice");
    if (jm_config_source (settings, "batch") != JM_CONFIG_FROM_DEFAULT)
        self.batch = (int) jm_config_int (settings, "batch");
    if (!self.detail)
        self.detail = "summary";
    if (!in_path || !out_path)
        return jm_cli_usage_error (&s_spec, "--in FILE and --out FILE are needed");
    //  --all-jobs wins over JOBMATCH_JOB, as the command line does
    if (all_jobs && jm_config_source (settings, "job") == JM_CONFIG_FROM_ARGS)
        return jm_cli_usage_error (&s_spec, "--job and --all-jobs do not go together");
    if (resume && force)
        return jm_cli_usage_error (&s_spec, "--resume and --force do not go together");
    if (resume && strcmp (out_path, "-") == 0)
        return jm_cli_usage_error (&s_spec, "--resume needs an output file, not stdout");
    if (verify && strcmp (out_path, "-") == 0)
        return jm_cli_usage_error (&s_spec, "--verify needs an output file, not stdout");
    if (out_format < 0)
        out_format = (int) s_out_format_default (out_path);
    if (!all_jobs) {
        self.job_list = jm_cli_list (cli, &s_spec, "job", self.jobs, JM_BATCH_JOBS_MAX, &self.job_count);
        if (!self.job_list)
            return JM_CLI_FATAL;
        if (jm_cli_jobs_distinct (&s_spec, self.jobs, self.job_count)) {
            free (self.job_list);
            return JM_CLI_FATAL;
        }
    }

    //  Requests and replies are a few MB each: keep them on the heap, where
    //  freed blocks are reused, instead of mmap, which zeroes fresh pages for
    //  every message (a third of the run's CPU time otherwise)
    mallopt (M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt (M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    //  before ZeroMQ's I/O thread starts, which inherits it (jm_nice.h)
    if (jm_nice_at_least (self.nice))
        jm_cli_error ("cannot lower the CPU priority to nice %d (%s); going on", self.nice, strerror (errno));
    //  the connection first: czmq's setup must not take SIGINT from us
    zsys_handler_set (NULL);
    jm_error_t err;
    jm_error_clear (&err);
    jm_curve_t *curve;
    if (jm_cli_curve (cli, &curve)) {
        free (self.job_list);
        return JM_CLI_FATAL;
    }
    self.pipe = jm_batch_pipe_new (self.gateway, curve, self.timeout_ms, self.retries, &err);
    if (!self.pipe) {
        jm_curve_destroy (&curve);
        jm_cli_error ("%s", err.message);
        free (self.job_list);
        return JM_CLI_FATAL;
    }
    //  a wrong endpoint is told at once, not after every retry of a request
    int probe = jm_batch_pipe_probe (self.gateway, curve, JM_BATCH_SERVICE,
                                     self.timeout_ms < JM_BATCH_PROBE_MS ? self.timeout_ms : JM_BATCH_PROBE_MS, &err);
    jm_curve_destroy (&curve);
    if (probe < 0) {
        jm_cli_error ("%s: %s", err.code, err.message);
        status = JM_CLI_FATAL;
    }
    else
    if (probe == 0)
        fprintf (stderr, "%s batch: no matcher serves %s at %s yet; waiting for one\n", JM_CLI_PROGRAM,
                 JM_BATCH_SERVICE, self.gateway);
    if (status == JM_CLI_OK && all_jobs && s_all_jobs (&self))
        status = JM_CLI_FATAL;
    if (status == JM_CLI_OK && all_jobs)
        status = jm_cli_jobs_distinct (&s_spec, self.jobs, self.job_count);
    if (status == JM_CLI_OK) {
        if (!self.batch) {
            self.batch = JM_BATCH_RESULTS_PER_REQUEST / (self.job_count < JM_BATCH_JOBS_PER_REQUEST
                                                         ? self.job_count : JM_BATCH_JOBS_PER_REQUEST);
            if (self.batch < 10)
                self.batch = 10;
        }
        self.group_count = (self.job_count + JM_BATCH_JOBS_PER_REQUEST - 1) / JM_BATCH_JOBS_PER_REQUEST;
        self.input = jm_batch_input_new (in_path, in_format, &err);
        if (!self.input) {
            jm_cli_error ("%s", err.message);
            status = JM_CLI_FATAL;
        }
    }
    char *last_id = NULL;
    if (status == JM_CLI_OK) {
        self.output = jm_batch_output_new (out_path, (jm_batch_out_format_t) out_format, self.jobs,
                                           self.job_count, resume, force, &self.tally, &last_id, &err);
        if (!self.output) {
            jm_cli_error ("%s", err.message);
            status = JM_CLI_FATAL;
        }
    }
    if (status == JM_CLI_OK) {
        self.resumed = self.tally.candidates;
        status = s_skip_done (&self, last_id);
        self.offset_start = jm_batch_input_offset (self.input);
    }
    free (last_id);
    bool interrupted = false;
    if (status == JM_CLI_OK) {
        //  Ctrl-C and SIGTERM stop the run cleanly; a second one stops it at once
        struct sigaction action;
        memset (&action, 0, sizeof action);
        action.sa_handler = s_on_signal;
        sigemptyset (&action.sa_mask);
        sigaction (SIGINT, &action, NULL);
        sigaction (SIGTERM, &action, NULL);
        signal (SIGPIPE, SIG_IGN);
        self.tty = isatty (STDERR_FILENO);
        self.started_ms = self.progress_ms = zclock_mono ();
        s_run (&self, &interrupted);
        bool whole = self.input_done && !interrupted && !jm_error_is_set (&self.fatal);
        if (whole && (verify || (resume && self.tally.not_stored))) {
            jm_error_clear (&err);
            if (jm_batch_output_destroy (&self.output, true, &err))
                s_fail (&self, err.code, "%s", err.message);
            else
            if (verify)
                s_verify (&self, out_path, (jm_batch_out_format_t) out_format, &interrupted);
            if (self.tally.not_stored && !interrupted && !jm_error_is_set (&self.fatal))
                s_repair (&self, in_path, in_format, out_path, (jm_batch_out_format_t) out_format,
                          &interrupted);
        }
    }
    jm_error_clear (&err);
    if (self.output && jm_batch_output_destroy (&self.output, true, &err)) {
        jm_cli_error ("%s", err.message);
        if (!jm_error_is_set (&self.fatal))
            self.fatal = err;
    }
    if (status == JM_CLI_OK) {
        if (jm_error_is_set (&self.fatal))
            jm_cli_error ("%s", self.fatal.message);
        if (interrupted)
            jm_cli_error ("interrupted: %ld candidates written, in order; --resume continues", self.tally.candidates);
        s_summary (&self, summary_path, in_path, out_path, interrupted);
        status = interrupted ? 130 : jm_error_is_set (&self.fatal) ? JM_CLI_FATAL
               : self.tally.not_stored ? JM_BATCH_EXIT_NOT_STORED
               : self.tally.errors ? JM_CLI_BAD_ITEM : JM_CLI_OK;
    }
    jm_batch_tally_free (&self.tally);
    //  the parts of requests never answered are ours to free
    void *part;
    while (self.pipe && (part = jm_batch_pipe_drop (self.pipe)))
        free (part);
    jm_batch_pipe_destroy (&self.pipe);
    jm_batch_input_destroy (&self.input);
    for (int j = 0; j < JM_BATCH_JOBS_MAX; j++)
        free (self.owned_jobs [j]);
    free (self.job_list);
    return status;
}
