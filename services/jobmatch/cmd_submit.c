/*  jobmatch submit: scores candidates through the gateway.

    Reads candidates like `jobmatch score` (one JSON object, an array, or
    JSON lines), sends them to the service jobmatch.match in requests of
    --batch candidates with --window requests in flight (batch_pipe: resends
    on timeouts and busy / no_workers / worker_lost / unavailable), and prints the results
    in input order as they arrive: the matcher's result JSON byte for byte,
    one per line (with "cached" and "stored"); with --explain a readable
    breakdown per result; with --ranked one ranking table per job at the
    end.  A candidate that does not parse never leaves the CLI; it and the
    candidates the matcher rejects get an error object in their place (and
    a line on stderr naming FILE:LINE:COLUMN), and the others are scored.

    The whole input is read into memory (like `score`); files of any size
    go through `jobmatch batch`, which streams.                            */
#include "cli.h"
#include "explain.h"
#include "remote.h"
#include "batch_json.h"
#include "batch_pipe.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define s_SERVICE           "jobmatch.match"
#define s_JOBS_MAX          32                  //  one request names them all (the matcher's limit)
#define s_BATCH_MAX         1000                //  candidates in one request (the matcher's limit)
#define s_BODY_BYTES        (4 * 1024 * 1024)   //  a request's candidates, at most (gateway: 8 MB)

static const jm_cli_option_t s_options [] = {
    { "explain", NULL, "a readable breakdown per candidate and job, not JSON" },
    { "ranked",  NULL, "one ranking table per job, best first, not JSON" },
    { "detail",  "LEVEL", "how much of each result: score, summary or full (default summary; --explain: full)" },
    { NULL }
};
enum { s_OPT_EXPLAIN, s_OPT_RANKED, s_OPT_DETAIL };

//  The settings, read as the services read theirs (jm_config).
static const jm_config_option_t s_settings [] = {
    JM_CLI_REMOTE_SETTINGS,
    JM_CLI_JOB_SETTING ("the job ids, each candidate against each"),
    { "batch", JM_CONFIG_INT, "100", 1, s_BATCH_MAX, "candidates per request" },
    { "window", JM_CONFIG_INT, "8", 1, 1000, "requests in flight" },
    { "retries", JM_CONFIG_INT, "3", 0, 1000, "resends of a request that timed out or was refused" },
    { NULL }
};

static const jm_cli_spec_t s_spec = {
    "submit", "[OPTIONS] [FILE|-]",
    "Scores candidates through the gateway (service jobmatch.match): the results are\n"
    "stored in Redis and ranked per job.  Reads FILE or stdin: one JSON object, an\n"
    "array, or JSON lines.  Prints one result JSON object per line, in input order,\n"
    "each with \"cached\" (true when served from Redis without scoring).",
    s_options,
    "A candidate that is not valid JSON, or that the matcher rejects, gets\n"
    "{\"candidate\": id, \"error\": {\"code\", \"message\", \"line\", \"column\", \"position\"}}\n"
    "in its place (once, whatever the number of jobs) and a line on stderr; the\n"
    "others are still scored (exit 1).  --ranked prints, per job, rank, candidate,\n"
    "name, score, band and required requirements met (\"5 of 7\").\n"
    "\n"
    "--detail says what each JSON line holds (proto/services.md): score (candidate,\n"
    "job, job_version, score, band), summary (also name, required met and the\n"
    "required requirements missing; the default) or full (the whole breakdown).\n"
    "\n"
    "Requests that time out or that the gateway answers busy / no_workers /\n"
    "worker_lost / unavailable are resent (--retries).  Exit status: 0 all\n"
    "scored, 1 some candidates had errors, 2 usage error or the gateway could\n"
    "not score them.\n",
    s_settings
};

//  One candidate of the input and, once answered, its outcome.
typedef struct {
    long position;              //  1-based index in the input
    int line, column;           //  where it starts (0: not known)
    char *text;                 //  its compact JSON; NULL when it did not parse
    size_t len;
    char *id;                   //  its id when it has one, for error objects
    jm_error_t error;           //  why it could not be scored
    char **results;             //  job_count result objects as JSON text
    size_t *lengths;
    bool pending;               //  sent and not answered yet
} s_item_t;

//  One request: items [from, to).
typedef struct {
    long from, to;
} s_part_t;

//  A line of a --ranked table.
typedef struct {
    char *candidate, *name, *band, *required;
    double score;
    bool cached;
} s_row_t;

typedef struct {
    s_row_t *rows;
    size_t count, cap;
    long version;
} s_ranking_t;

typedef struct {
    jm_cli_t *cli;
    const char *jobs [s_JOBS_MAX];
    int job_count;
    char *job_list;             //  the setting --job, which jobs point into
    bool explain, ranked;
    const char *detail;         //  asked of the matcher: what the output shows
    const char *gateway;        //  the settings (cli->settings)
    int timeout_ms, batch, window, retries;
    const char *input_name;
    s_item_t *items;
    long count, cap;
    long next;                  //  first item not sent
    long written;               //  items printed
    long bad;                   //  items with an error
    long blocks;                //  explain blocks printed, to separate them
    jm_batch_pipe_t *pipe;
    jm_error_t fatal;           //  why the run stopped
    s_ranking_t rankings [s_JOBS_MAX];
    jm_buf_t out;
} s_submit_t;


//  ---------------------------------------------------------------------------
//  Reading the input

static int
s_on_input (const jm_cli_item_t *in, void *arg)
{
    s_submit_t *self = arg;
    if (self->count == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        self->items = jm_realloc (self->items, (size_t) self->cap * sizeof (s_item_t));
    }
    s_item_t *item = &self->items [self->count++];
    memset (item, 0, sizeof *item);
    item->position = in->position;
    jm_error_clear (&item->error);
    if (!in->value) {
        //  jansson's message may quote the candidate: keep the short form
        char message [JM_ERROR_MESSAGE_MAX];
        jm_cli_short_message (in->err->message, message, sizeof message);
        //  the candidate is named by where it starts; jansson says where it broke
        item->line = in->line ? in->line : in->err->line;
        item->column = in->line ? in->column : in->err->column;
        if (in->err->line != item->line || in->err->column != item->column)
            jm_error_set_at (&item->error, JM_ERR_INVALID_JSON, item->line, item->column,
                             "%s at line %d, column %d", message, in->err->line, in->err->column);
        else
            jm_error_set_at (&item->error, JM_ERR_INVALID_JSON, item->line, item->column, "%s", message);
        return 0;
    }
    item->line = in->line;
    item->column = in->column;
    item->text = jm_alloc_check (json_dumps (in->value, JSON_COMPACT | JSON_REAL_PRECISION (15)),
                                 "JSON text");
    item->len = strlen (item->text);
    json_t *id = json_object_get (in->value, "id");
    if (json_is_string (id))
        item->id = jm_strdup (json_string_value (id));
    else
    if (json_is_integer (id) && asprintf (&item->id, "%lld", (long long) json_integer_value (id)) < 0)
        item->id = NULL;
    return 0;
}

static void
s_item_free (s_item_t *item)
{
    free (item->text);
    free (item->id);
    if (item->results)
        for (int j = 0; item->lengths [j] != (size_t) -1; j++)
            free (item->results [j]);
    free (item->results);
    free (item->lengths);
    item->text = item->id = NULL;
    item->results = NULL;
    item->lengths = NULL;
}


//  ---------------------------------------------------------------------------
//  Requests

//  Sends the candidates of items [from, to) that parsed, as one request.
static void
s_send (s_submit_t *self, long from, long to)
{
    jm_batch_request_t request;
    jm_batch_request_init (&request, self->jobs, self->job_count, false, self->detail);
    for (long i = from; i < to; i++) {
        s_item_t *item = &self->items [i];
        if (!item->text || jm_error_is_set (&item->error))
            continue;
        jm_batch_request_add (&request, item->text, item->len);
        item->pending = true;
    }
    s_part_t part = { from, to };
    jm_batch_request_send (&request, self->pipe, s_SERVICE, &part, sizeof part);
}

//  Sends the next requests while the window has room.
static void
s_send_more (s_submit_t *self)
{
    while (self->next < self->count && !jm_error_is_set (&self->fatal)
       &&  jm_batch_pipe_outstanding (self->pipe) < (size_t) self->window) {
        long from = self->next, to = from;
        int candidates = 0;
        size_t bytes = 0;
        while (to < self->count && candidates < self->batch && bytes < s_BODY_BYTES) {
            if (self->items [to].text) {
                candidates++;
                bytes += self->items [to].len;
            }
            to++;
        }
        s_send (self, from, to);
        self->next = to;
    }
}

//  A candidate rejected by the matcher: its error entry (text) into err.
static void
s_entry_error (const char *text, size_t len, jm_error_t *err)
{
    json_t *entry = json_loadb (text, len, 0, NULL);
    json_t *error = json_object_get (entry, "error");
    const char *code = json_string_value (json_object_get (error, "code"));
    const char *message = json_string_value (json_object_get (error, "message"));
    jm_error_set (err, code ? code : JM_ERR_INTERNAL, "%s", message ? message : "rejected by the matcher");
    json_decref (entry);
}

static char *
s_copy (const char *text, size_t len)
{
    char *copy = jm_malloc (len + 1);
    memcpy (copy, text, len);
    copy [len] = 0;
    return copy;
}

//  Takes the results of a reply apart into its items: one error entry per
//  rejected candidate, else one result per job.  Returns 0, or -1 when the
//  reply does not match the request.
static int
s_take_results (s_submit_t *self, const s_part_t *part, const char *body, size_t len)
{
    jm_batch_json_iter_t iter;
    if (!jm_batch_reply_results (body, len, &iter))
        return -1;
    size_t size;
    for (long i = part->from; i < part->to; i++) {
        s_item_t *item = &self->items [i];
        if (!item->pending)
            continue;
        for (int j = 0; j < self->job_count; j++) {
            jm_batch_json_field_t fields [] = { JM_BATCH_FIELD ("error"), JM_BATCH_FIELD ("job") };
            if (!jm_batch_json_element (&iter))
                return -1;
            const char *text = jm_batch_json_fields (&iter, fields, 2, &size);
            if (!text)
                return -1;
            if (fields [0].value) {
                s_entry_error (text, size, &item->error);
                break;          //  one entry stands for every job
            }
            if (!fields [1].value || !jm_batch_json_is_str (fields [1].value, fields [1].len, self->jobs [j]))
                return -1;
            if (!item->results) {
                item->results = jm_calloc ((size_t) self->job_count, sizeof (char *));
                item->lengths = jm_malloc (((size_t) self->job_count + 1) * sizeof (size_t));
                for (int k = 0; k <= self->job_count; k++)
                    item->lengths [k] = (size_t) -1;
            }
            item->results [j] = s_copy (text, size);
            item->lengths [j] = size;
        }
        item->pending = false;
    }
    if (jm_batch_json_element (&iter))
        return -1;
    return iter.ok ? 0 : -1;
}

//  Handles what came back for one request.
static void
s_on_reply (s_submit_t *self, jm_batch_reply_t *reply)
{
    s_part_t *part = reply->tag;
    jm_error_t err;
    jm_error_clear (&err);
    if (reply->failed)
        jm_error_set (&self->fatal, reply->error.code, "%s (after %d attempts)", reply->error.message,
                      reply->attempts);
    else
    if (jm_batch_reply_ok (reply->body, reply->len, &err)) {
        if (s_take_results (self, part, reply->body, reply->len))
            jm_error_set (&self->fatal, JM_ERR_INTERNAL, "the reply to items %ld to %ld does not match the request",
                          self->items [part->from].position, self->items [part->to - 1].position);
    }
    else
    if (strcmp (err.code, JM_ERR_TOO_LARGE) == 0 || strcmp (err.code, JM_ERR_INVALID_JSON) == 0) {
        //  split the request until the candidate at fault is alone
        long valid = 0;
        for (long i = part->from; i < part->to; i++)
            valid += self->items [i].pending;
        if (valid <= 1) {
            for (long i = part->from; i < part->to; i++)
                if (self->items [i].pending) {
                    jm_error_set (&self->items [i].error, err.code, "%s", err.message);
                    self->items [i].pending = false;
                }
        }
        else {
            long mid = part->from, half = 0;
            while (half < valid / 2)
                half += self->items [mid++].pending;
            s_send (self, part->from, mid);
            s_send (self, mid, part->to);
        }
    }
    else
        jm_error_set (&self->fatal, err.code, "%s", err.message);
    jm_batch_reply_free (reply);
    free (part);
}


//  ---------------------------------------------------------------------------
//  --explain

//  A result as a readable breakdown, from its JSON (explain.c).
static void
s_explain (s_submit_t *self, const char *text, size_t len)
{
    json_t *result = json_loadb (text, len, 0, NULL);
    if (!result)
        return;
    if (self->blocks++)
        jm_buf_puts (&self->out, "\n");
    jm_cli_explain (result, NULL, &self->out);
    json_decref (result);
}


//  ---------------------------------------------------------------------------
//  Output, in input order

//  A string member's decoded value, copied; NULL when absent.
static char *
s_field_str (const jm_batch_json_field_t *field)
{
    if (!field->value)
        return NULL;
    jm_buf_t buf;
    jm_buf_init (&buf);
    jm_batch_json_unescape (field->value, field->len, &buf);
    size_t len;
    char *text = jm_buf_steal (&buf, &len);
    return text ? text : jm_strdup ("");
}

//  Keeps what the ranking table of job j shows of a result.
static void
s_rank_add (s_submit_t *self, int j, const char *text, size_t len)
{
    jm_batch_json_field_t fields [] = {
        JM_BATCH_FIELD ("candidate"), JM_BATCH_FIELD ("name"), JM_BATCH_FIELD ("band"),
        JM_BATCH_FIELD ("required"), JM_BATCH_FIELD ("score"), JM_BATCH_FIELD ("cached"),
        JM_BATCH_FIELD ("job_version")
    };
    jm_batch_json_iter_t iter;
    jm_batch_json_iter_init (&iter, text, len);
    size_t size;
    if (!jm_batch_json_fields (&iter, fields, 7, &size))
        return;
    s_ranking_t *ranking = &self->rankings [j];
    if (ranking->count == ranking->cap) {
        ranking->cap = ranking->cap ? ranking->cap * 2 : 64;
        ranking->rows = jm_realloc (ranking->rows, ranking->cap * sizeof (s_row_t));
    }
    s_row_t *row = &ranking->rows [ranking->count++];
    row->candidate = s_field_str (&fields [0]);
    row->name = s_field_str (&fields [1]);
    row->band = s_field_str (&fields [2]);
    row->required = s_field_str (&fields [3]);
    row->score = fields [4].value ? strtod (fields [4].value, NULL) : 0;
    row->cached = fields [5].value && fields [5].value [0] == 't';
    if (fields [6].value)
        ranking->version = strtol (fields [6].value, NULL, 10);
}

//  The error object printed in place of a candidate, and its line on stderr.
static void
s_write_error (s_submit_t *self, const s_item_t *item)
{
    jm_buf_t message;
    jm_buf_init (&message);
    jm_cli_text_clean (&message, item->error.message, 0);
    const char *text = message.data ? message.data : "";
    if (item->line)
        fprintf (stderr, "%s:%d:%d: item %ld: %s: %s\n", self->input_name, item->line, item->column,
                 item->position, item->error.code, text);
    else
        fprintf (stderr, "%s: item %ld: %s: %s\n", self->input_name, item->position, item->error.code, text);
    if (!self->explain && !self->ranked) {
        jm_buf_t *out = &self->out;
        jm_buf_puts (out, "{\"candidate\":");
        if (item->id)
            jm_buf_json_str (out, item->id);
        else
            jm_buf_puts (out, "null");
        jm_buf_puts (out, ",\"error\":");
        jm_error_write_json_open (item->error.code, text, out);
        jm_buf_printf (out, ",\"line\":%d,\"column\":%d,\"position\":%ld}}\n", item->line, item->column,
                       item->position);
    }
    jm_buf_free (&message);
}

//  Prints the items answered at the head of the input.  Returns 0, or -1
//  when stdout cannot be written.
static int
s_write_ready (s_submit_t *self)
{
    jm_buf_reset (&self->out);
    while (self->written < self->next && !self->items [self->written].pending) {
        s_item_t *item = &self->items [self->written++];
        if (jm_error_is_set (&item->error) || !item->results) {
            if (!jm_error_is_set (&item->error))
                continue;       //  never sent: the run stopped
            s_write_error (self, item);
            self->bad++;
        }
        else
        for (int j = 0; j < self->job_count; j++) {
            if (self->ranked)
                s_rank_add (self, j, item->results [j], item->lengths [j]);
            else
            if (self->explain)
                s_explain (self, item->results [j], item->lengths [j]);
            else {
                jm_buf_append (&self->out, item->results [j], item->lengths [j]);
                jm_buf_puts (&self->out, "\n");
            }
        }
        s_item_free (item);
    }
    return jm_cli_write (&self->out);
}

static int
s_row_compare (const void *a, const void *b)
{
    const s_row_t *left = a, *right = b;
    if (left->score != right->score)
        return left->score < right->score ? 1 : -1;
    return strcmp (left->candidate ? left->candidate : "", right->candidate ? right->candidate : "");
}

//  The --ranked tables, one per job.
static int
s_write_rankings (s_submit_t *self)
{
    jm_buf_t *out = &self->out;
    jm_buf_reset (out);
    for (int j = 0; j < self->job_count; j++) {
        s_ranking_t *ranking = &self->rankings [j];
        qsort (ranking->rows, ranking->count, sizeof (s_row_t), s_row_compare);
        long counts [JM_BAND_COUNT] = { 0 }, cached = 0;
        for (size_t r = 0; r < ranking->count; r++) {
            int band = jm_band_lookup (ranking->rows [r].band);
            if (band >= 0)
                counts [band]++;
            cached += ranking->rows [r].cached;
        }
        if (j)
            jm_buf_puts (out, "\n");
        jm_buf_puts (out, "Job ");
        jm_cli_text_clean (out, self->jobs [j], 60);
        jm_buf_printf (out, " v%ld: %zu candidates ranked (", ranking->version, ranking->count);
        for (int b = 0; b < JM_BAND_COUNT; b++)
            jm_buf_printf (out, "%s%s %ld", b ? ", " : "", jm_bands [b].name, counts [b]);
        jm_buf_printf (out, "; %ld from the cache)\n\n", cached);
        static const char *headers [] = {
            ">RANK", "CANDIDATE", "NAME", ">SCORE", "BAND", "REQUIRED", NULL
        };
        jm_cli_table_t *table = jm_cli_table_new (headers);
        jm_cli_table_limit (table, 1, 32);
        jm_cli_table_limit (table, 2, 32);
        for (size_t r = 0; r < ranking->count; r++) {
            s_row_t *row = &ranking->rows [r];
            char rank [24], score [24], required [48];
            snprintf (rank, sizeof rank, "%zu", r + 1);
            snprintf (score, sizeof score, "%.1f", row->score);
            snprintf (required, sizeof required, "%s met", row->required ? row->required : "?");
            const char *cells [] = { rank, row->candidate, row->name, score, row->band, required };
            jm_cli_table_add (table, cells);
        }
        jm_cli_table_render (table, 2, true, out);
        jm_cli_table_destroy (&table);
    }
    return jm_cli_write (out);
}


//  ---------------------------------------------------------------------------
//  Setup

int
jm_cli_cmd_submit (jm_cli_t *cli, int argc, char **argv)
{
    s_submit_t self;
    memset (&self, 0, sizeof self);
    self.cli = cli;
    jm_error_clear (&self.fatal);
    jm_buf_init (&self.out);
    int status = JM_CLI_OK;
    jm_detail_t detail;
    const char *path = NULL;
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option;
    while (status == JM_CLI_OK && (option = jm_cli_getopt (cli, &s_spec, &args, &value, &status)) != JM_CLI_END) {
        switch (option) {
            case JM_CLI_EXIT:
                return status;
            case JM_CLI_ARG:
                if (path)
                    status = jm_cli_usage_error (&s_spec, "one input at most (got '%s' and '%s')", path, value);
                path = value;
                break;
            case s_OPT_EXPLAIN:
                self.explain = true;
                break;
            case s_OPT_RANKED:
                self.ranked = true;
                break;
            case s_OPT_DETAIL:
                status = jm_cli_detail_option (&s_spec, value, &detail);
                if (status == JM_CLI_OK)
                    self.detail = jm_detail_name (detail);
                break;
        }
    }
    if (status == JM_CLI_OK) {
        self.gateway = jm_config_string (cli->settings, "gateway");
        self.timeout_ms = (int) jm_config_int (cli->settings, "timeout-ms");
        self.batch = (int) jm_config_int (cli->settings, "batch");
        self.window = (int) jm_config_int (cli->settings, "window");
        self.retries = (int) jm_config_int (cli->settings, "retries");
        self.job_list = jm_cli_list (cli, &s_spec, "job", self.jobs, s_JOBS_MAX, &self.job_count);
        if (!self.job_list)
            status = JM_CLI_FATAL;
    }
    if (status == JM_CLI_OK && self.explain && self.ranked)
        status = jm_cli_usage_error (&s_spec, "--explain and --ranked do not go together");
    //  ask for what is shown: the breakdown for --explain, the required
    //  requirements met for --ranked
    if (status == JM_CLI_OK && self.detail && (self.explain || self.ranked))
        status = jm_cli_usage_error (&s_spec, "--detail is for the JSON output, not --%s",
                                     self.explain ? "explain" : "ranked");
    if (!self.detail)
        self.detail = self.explain ? "full" : "summary";
    if (status == JM_CLI_OK)
        status = jm_cli_jobs_distinct (&s_spec, self.jobs, self.job_count);

    jm_cli_input_t input = { NULL };
    if (status == JM_CLI_OK) {
        if ((!path || strcmp (path, "-") == 0) && isatty (STDIN_FILENO))
            fprintf (stderr, "%s submit: reading candidates from the terminal; end with Ctrl-D\n", JM_CLI_PROGRAM);
        if (jm_cli_input_read (path, &input))
            status = JM_CLI_FATAL;
    }
    if (status == JM_CLI_OK) {
        self.input_name = input.name;
        int rc = jm_cli_input_each (&input, s_on_input, &self);
        if (rc == JM_CLI_FATAL || rc == -1)
            status = JM_CLI_FATAL;
        jm_cli_input_free (&input);
    }
    if (status == JM_CLI_OK) {
        //  Ctrl-C keeps its default action: czmq would turn it into a timeout
        zsys_handler_set (NULL);
        jm_error_t err;
        jm_error_clear (&err);
        jm_curve_t *curve = NULL;
        if (jm_cli_curve (cli, &curve))
            status = JM_CLI_FATAL;
        else {
            self.pipe = jm_batch_pipe_new (self.gateway, curve, self.timeout_ms, self.retries, &err);
            //  a wrong endpoint is told at once, not after every retry of a request
            if (!self.pipe || (self.count && jm_batch_pipe_probe (self.gateway, curve, s_SERVICE,
                                                                  self.timeout_ms < 5000 ? self.timeout_ms
                                                                                                : 5000, &err) < 0)) {
                jm_cli_error ("%s: %s", err.code, err.message);
                status = JM_CLI_FATAL;
            }
        }
        jm_curve_destroy (&curve);
    }
    if (status == JM_CLI_OK) {
        s_send_more (&self);
        while (status == JM_CLI_OK && self.written < self.count && !jm_error_is_set (&self.fatal)) {
            jm_batch_reply_t reply;
            if (jm_batch_pipe_next (self.pipe, 200, &reply) == 1)
                s_on_reply (&self, &reply);
            s_send_more (&self);
            if (s_write_ready (&self))
                status = JM_CLI_FATAL;
        }
        if (status == JM_CLI_OK && jm_error_is_set (&self.fatal)) {
            jm_buf_t message;
            jm_buf_init (&message);
            jm_cli_text_clean (&message, self.fatal.message, 0);
            bool named = message.data && strstr (message.data, self.gateway);
            jm_cli_error ("%s: %s%s%s%s", self.fatal.code, message.data ? message.data : "",
                          named ? "" : " (gateway ", named ? "" : self.gateway, named ? "" : ")");
            jm_buf_free (&message);
            status = JM_CLI_FATAL;
        }
        if (status == JM_CLI_OK && self.ranked && s_write_rankings (&self))
            status = JM_CLI_FATAL;
        if (status == JM_CLI_OK && self.bad)
            status = JM_CLI_BAD_ITEM;
    }
    void *part;
    while (self.pipe && (part = jm_batch_pipe_drop (self.pipe)))
        free (part);
    jm_batch_pipe_destroy (&self.pipe);
    for (long i = 0; i < self.count; i++)
        s_item_free (&self.items [i]);
    free (self.items);
    for (int j = 0; j < s_JOBS_MAX; j++) {
        for (size_t r = 0; r < self.rankings [j].count; r++) {
            s_row_t *row = &self.rankings [j].rows [r];
            free (row->candidate);
            free (row->name);
            free (row->band);
            free (row->required);
        }
        free (self.rankings [j].rows);
    }
    free (self.job_list);
    jm_buf_free (&self.out);
    return status;
}
