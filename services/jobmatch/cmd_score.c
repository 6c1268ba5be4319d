/*  jobmatch score: scores candidates against jobs, offline.

    Reads candidates (one object, an array, or a stream of objects such as
    JSON lines) and prints one result per candidate and job, in input
    order: the engine's result JSON, one object per line (cut to --detail
    as the matchers cut theirs, jm_detail.h), or with --explain a table per
    result that shows where every point came from.  A candidate
    that cannot be read or is invalid gets an error object in its place and
    the others are still scored (exit 1).                                  */
#include "cli.h"
#include "explain.h"
#include "jm_proficiency.h"

#include <assert.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JM_SCORE_MAX_JOBS 64

static const jm_cli_option_t s_options [] = {
    { "explain", NULL,      "a readable breakdown per candidate and job, not JSON" },
    { "detail",  "LEVEL",   "how much of each result: score, summary or full (default full)" },
    { NULL }
};
enum { s_OPT_EXPLAIN, s_OPT_DETAIL };

static const jm_config_option_t s_settings [] = {
    JM_CLI_JOB_SETTING ("the jobs: ids or job files, each candidate against each"),
    { NULL }
};

static const jm_cli_spec_t s_spec = {
    "score", "[OPTIONS] [FILE|-]",
    "Scores candidates against jobs.  Reads FILE or stdin: one JSON object, an array,\n"
    "or objects one after another (JSON lines).  Prints one result JSON object per\n"
    "line, in input order; with several --job, each candidate against each job:\n"
    "the whole breakdown, or what --detail asks (as jobmatch.match replies,\n"
    "proto/services.md).",
    s_options,
    "A candidate: {\"id\": \"c1\", \"name\": \"...\", \"skills\": [\"Python\", {\"name\": \"SQL\",\n"
    "\"level\": 4, \"years\": 3}], \"resume\": \"free text\", \"years_experience\": 5}.\n"
    "A candidate that is not valid JSON or not a valid candidate gets\n"
    "{\"error\": {\"code\", \"message\", \"line\", \"column\", \"position\"}} in its place\n"
    "(position: its index in the input, from 1) and exit status 1; with --explain\n"
    "the error goes to stderr only.  stderr names FILE:LINE:COLUMN but never quotes\n"
    "the candidate's text.\n",
    s_settings
};

typedef struct {
    jm_cli_t *cli;
    const jm_engine_t *engine;
    const char *input_name;
    jm_job_t *jobs [JM_SCORE_MAX_JOBS];        //  borrowed from the engine or from owned
    jm_job_t *owned [JM_SCORE_MAX_JOBS];       //  jobs loaded from files
    int job_count;
    bool explain;
    jm_detail_t detail;
    long results;               //  results written, to separate explain blocks
    long bad;                   //  candidates that could not be scored
    jm_buf_t out;
} s_score_t;


//  ---------------------------------------------------------------------------
//  --explain

//  The breakdown of one candidate against one job: the result JSON at full
//  detail, rendered as every command renders it (explain.c).
static void
s_explain (s_score_t *self, const jm_job_t *job, const jm_candidate_t *candidate)
{
    jm_result_t result;
    jm_score_explain (job, candidate, &result);
    jm_buf_t text;
    jm_buf_init (&text);
    jm_result_write_json (&result, job, candidate, &text);
    json_t *parsed = json_loadb (text.data, text.len, 0, NULL);
    jm_buf_free (&text);
    assert (parsed);                //  jm_result_write_json writes valid JSON
    if (self->results++)
        jm_buf_puts (&self->out, "\n");
    jm_cli_explain (parsed, job, &self->out);
    json_decref (parsed);
}


//  ---------------------------------------------------------------------------
//  Candidates

//  The error object printed in place of a candidate's results.
static void
s_write_error (s_score_t *self, const jm_cli_item_t *item, const jm_error_t *err, int line, int column)
{
    jm_buf_t *out = &self->out;
    jm_buf_puts (out, "{");
    json_t *id = json_object_get (item->value, "id");
    if (json_is_string (id) && json_string_length (id) <= JM_CANDIDATE_ID_MAX) {
        jm_buf_puts (out, "\"candidate\":");
        jm_buf_json_string (out, json_string_value (id), json_string_length (id));
        jm_buf_puts (out, ",");
    }
    else
    if (json_is_integer (id))
        jm_buf_printf (out, "\"candidate\":\"%lld\",", (long long) json_integer_value (id));
    jm_buf_puts (out, "\"error\":");
    jm_buf_t message;
    jm_buf_init (&message);
    jm_cli_text_clean (&message, err->message, 0);     //  valid UTF-8, whatever jansson quoted
    jm_error_write_json_open (err->code, message.data ? message.data : "", out);
    jm_buf_free (&message);
    jm_buf_printf (out, ",\"line\":%d,\"column\":%d,\"position\":%ld}}\n", line, column, item->position);
}

static int
s_on_item (const jm_cli_item_t *item, void *arg)
{
    s_score_t *self = arg;
    jm_buf_reset (&self->out);
    char message [JM_ERROR_MESSAGE_MAX];
    if (!item->value) {
        //  a value that does not parse: its place is where jansson stopped
        jm_cli_short_message (item->err->message, message, sizeof message);
        fprintf (stderr, "%s:%d:%d: %s\n", self->input_name, item->err->line, item->err->column, message);
        if (!self->explain)
            s_write_error (self, item, item->err, item->err->line, item->err->column);
        self->bad++;
        return jm_cli_write (&self->out);
    }
    jm_error_t err;
    jm_error_clear (&err);
    jm_candidate_t *candidate = jm_engine_candidate (self->engine, item->value, &err);
    if (!candidate) {
        jm_buf_t clean;
        jm_buf_init (&clean);
        jm_cli_text_clean (&clean, err.message, 0);
        fprintf (stderr, "%s:%d:%d: item %ld: %s: %s\n", self->input_name, item->line, item->column,
                 item->position, err.code, clean.data ? clean.data : "");
        jm_buf_free (&clean);
        if (!self->explain)
            s_write_error (self, item, &err, item->line, item->column);
        self->bad++;
        return jm_cli_write (&self->out);
    }
    for (int j = 0; j < self->job_count; j++) {
        if (self->explain)
            s_explain (self, self->jobs [j], candidate);
        else {
            jm_result_t result;
            jm_score_explain (self->jobs [j], candidate, &result);
            jm_detail_write (&result, self->jobs [j], candidate, self->detail, &self->out);
            jm_buf_puts (&self->out, "\n");
        }
    }
    jm_candidate_destroy (&candidate);
    return jm_cli_write (&self->out);
}

int
jm_cli_cmd_score (jm_cli_t *cli, int argc, char **argv)
{
    s_score_t self = { .cli = cli, .detail = JM_DETAIL_FULL };
    bool detail = false;
    jm_buf_init (&self.out);
    const char *job_args [JM_SCORE_MAX_JOBS];
    char *job_list = NULL;
    const char *path = NULL;
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_OPT_EXPLAIN)
            self.explain = true;
        else
        if (option == s_OPT_DETAIL) {
            if (jm_cli_detail_option (&s_spec, value, &self.detail))
                return JM_CLI_FATAL;
            detail = true;
        }
        else
        if (path)
            return jm_cli_usage_error (&s_spec, "one input at most (got '%s' and '%s')", path, value);
        else
            path = value;
    }
    if (detail && self.explain)
        return jm_cli_usage_error (&s_spec, "--detail is for the JSON output, not --explain");
    job_list = jm_cli_list (cli, &s_spec, "job", job_args, JM_SCORE_MAX_JOBS, &self.job_count);
    if (!job_list)
        return JM_CLI_FATAL;
    self.engine = jm_cli_engine (cli);
    if (!self.engine) {
        free (job_list);
        return JM_CLI_FATAL;
    }
    for (int j = 0; j < self.job_count; j++) {
        self.jobs [j] = jm_cli_job (cli, job_args [j], &self.owned [j]);
        if (!self.jobs [j])
            status = JM_CLI_FATAL;
    }
    jm_cli_input_t input = { NULL };
    if (status == JM_CLI_OK) {
        if ((!path || strcmp (path, "-") == 0) && isatty (STDIN_FILENO))
            fprintf (stderr, "%s score: reading candidates from the terminal; end with Ctrl-D\n",
                     JM_CLI_PROGRAM);
        if (jm_cli_input_read (path, &input))
            status = JM_CLI_FATAL;
    }
    if (status == JM_CLI_OK) {
        self.input_name = input.name;
        int rc = jm_cli_input_each (&input, s_on_item, &self);
        status = rc == JM_CLI_FATAL || rc == -1 ? JM_CLI_FATAL
               : self.bad ? JM_CLI_BAD_ITEM : JM_CLI_OK;
    }
    jm_cli_input_free (&input);
    for (int j = 0; j < self.job_count; j++)
        jm_job_destroy (&self.owned [j]);
    free (job_list);
    jm_buf_free (&self.out);
    return status;
}
