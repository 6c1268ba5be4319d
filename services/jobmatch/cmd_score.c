/*  jobmatch score: scores candidates against jobs, offline.

    Reads candidates (one object, an array, or a stream of objects such as
    JSON lines) and prints one result per candidate and job, in input
    order: the engine's result JSON, one object per line (cut to --detail
    as the matchers cut theirs, jm_detail.h), or with --explain a table per
    result that shows where every point came from.  A candidate
    that cannot be read or is invalid gets an error object in its place and
    the others are still scored (exit 1).                                  */
#include "cli.h"
#include "jm_proficiency.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JM_SCORE_MAX_JOBS 64

static const jm_cli_option_t s_options [] = {
    { "job",     "ID|FILE", "a job id or job file; repeatable (default " JM_DEFAULT_JOB ")" },
    { "explain", NULL,      "a readable breakdown per candidate and job, not JSON" },
    { "detail",  "LEVEL",   "how much of each result: score, summary or full (default full)" },
    { NULL }
};
enum { s_OPT_JOB, s_OPT_EXPLAIN, s_OPT_DETAIL };

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
    "the candidate's text.\n"
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

static const char *
s_status_text (jm_status_t status)
{
    static const char *texts [] = { "met", "partial", "below level", "missing" };
    return texts [status];
}

//  The "earned by" cell: the candidate's skill, how it relates to the
//  wanted one, what they wrote, and the level or years when the job sets
//  a minimum.
//  How evidence set a skill's credit, in words: "level 5, 10 years: 1.00"
static void
s_evidence (jm_buf_t *cell, const jm_candidate_t *candidate, const jm_candidate_skill_t *entry)
{
    jm_proficiency_t detail;
    jm_proficiency_of (candidate, entry, &detail);
    char years [32], stated [32];
    jm_cli_number (years, sizeof years, detail.years, 1);
    jm_cli_number (stated, sizeof stated, detail.years_stated, 1);
    jm_buf_puts (cell, "; evidence ");
    switch (detail.basis) {
        case JM_BASIS_UNKNOWN:
            jm_buf_puts (cell, "level unstated");
            break;
        case JM_BASIS_CAREER:
            jm_buf_printf (cell, "level unstated, %s-year career",
                           jm_cli_number (years, sizeof years, candidate->career_years, 1));
            break;
        case JM_BASIS_LEVEL:
            jm_buf_printf (cell, "level %d", detail.level);
            break;
        case JM_BASIS_YEARS:
            jm_buf_printf (cell, "%s years", years);
            break;
        default:
            jm_buf_printf (cell, "level %d, %s years", detail.level, years);
    }
    if (detail.years_stated > detail.years && detail.years >= 0)
        jm_buf_printf (cell, " (%s stated, capped at the career)", stated);
    jm_buf_printf (cell, ": %.2f", detail.factor);
    if (candidate->breadth_factor < 1)
        jm_buf_printf (cell, " x %.2f breadth", candidate->breadth_factor);
}

static void
s_earned_by (jm_buf_t *cell, const jm_taxonomy_t *taxonomy, const jm_requirement_t *req,
             const jm_outcome_t *outcome, const jm_candidate_t *candidate)
{
    if (outcome->via < 0)
        return;
    const jm_skill_t *via = jm_taxonomy_skill (taxonomy, outcome->via);
    const jm_skill_t *wanted = jm_taxonomy_skill (taxonomy, outcome->skill);
    switch (outcome->relation) {
        case JM_RELATION_IMPLIES:
            jm_buf_printf (cell, "via %s (implies %s)", via->name, wanted->name);
            break;
        case JM_RELATION_PARENT:
            jm_buf_printf (cell, "via %s (parent of %s)", via->name, wanted->name);
            break;
        case JM_RELATION_SIBLING:
            jm_buf_printf (cell, "via %s (sibling)", via->name);
            break;
        case JM_RELATION_EVERYDAY:
            jm_buf_printf (cell, "implied by %s (everyday %s)", via->name, wanted->name);
            break;
        default:
            jm_buf_puts (cell, via->name);
    }
    const jm_candidate_skill_t *entry = jm_candidate_skill (candidate, outcome->via);
    if (!entry)
        return;
    if (entry->from_resume)
        jm_buf_puts (cell, ", in the resume");
    else
    if (entry->input && strcmp (entry->input, via->name) != 0) {
        jm_buf_puts (cell, ", wrote \"");
        jm_cli_text_clean (cell, entry->input, 40);
        jm_buf_puts (cell, "\"");
    }
    if (outcome->relation == JM_RELATION_SAME && req->min_level && entry->level)
        jm_buf_printf (cell, ", level %d of %d", entry->level, req->min_level);
    char have [32], want [32];
    if (outcome->relation == JM_RELATION_SAME && req->min_years > 0 && entry->years >= 0)
        jm_buf_printf (cell, ", %s of %s years",
                       jm_cli_number (have, sizeof have, jm_proficiency_years (candidate, entry), 1),
                       jm_cli_number (want, sizeof want, req->min_years, 1));
    s_evidence (cell, candidate, entry);
}

static void
s_explain (s_score_t *self, const jm_job_t *job, const jm_candidate_t *candidate)
{
    const jm_taxonomy_t *taxonomy = jm_job_taxonomy (job);
    jm_result_t result;
    jm_score_explain (job, candidate, &result);
    jm_buf_t *out = &self->out;
    char number [32];
    if (self->results++)
        jm_buf_puts (out, "\n");
    jm_buf_puts (out, "Candidate  ");
    jm_cli_text_clean (out, candidate->id, 0);
    if (candidate->name) {
        jm_buf_puts (out, " (");
        jm_cli_text_clean (out, candidate->name, 60);
        jm_buf_puts (out, ")");
    }
    jm_buf_printf (out, "\nJob        %s v%d: ", jm_job_id (job), jm_job_version (job));
    jm_cli_text_clean (out, jm_job_title (job), 0);
    jm_buf_printf (out, "\nScore      %s (%s), %d of %d required met\n\n",
                   jm_cli_number (number, sizeof number, result.score, 1), jm_band_name (result.band),
                   result.required_met, result.required_total);

    static const char *headers [] = {
        "STATUS", "REQUIREMENT", "IMPORTANCE", ">WEIGHT", ">CREDIT", ">POINTS", "EARNED BY", NULL
    };
    jm_cli_table_t *table = jm_cli_table_new (headers);
    jm_cli_table_limit (table, 1, 48);
    double points_total = 0;
    jm_buf_t label, earned, missing;
    jm_buf_init (&label);
    jm_buf_init (&earned);
    jm_buf_init (&missing);
    for (int r = 0; r < result.requirement_count; r++) {
        const jm_requirement_t *req = jm_job_requirement (job, r);
        const jm_outcome_t *outcome = &result.outcomes [r];
        jm_buf_reset (&label);
        jm_buf_reset (&earned);
        jm_buf_puts (&label, req->label);
        if (req->min_level)
            jm_buf_printf (&label, ", level %d+", req->min_level);
        if (req->min_years > 0)
            jm_buf_printf (&label, ", %s+ years", jm_cli_number (number, sizeof number, req->min_years, 1));
        s_earned_by (&earned, taxonomy, req, outcome, candidate);
        char weight [32], credit [32], points [32];
        snprintf (credit, sizeof credit, "%.2f", outcome->credit);
        snprintf (points, sizeof points, "%.1f", outcome->contribution);
        const char *cells [] = {
            s_status_text (outcome->status), label.data, jm_importance_name (req->importance),
            jm_cli_number (weight, sizeof weight, req->weight, 3), credit, points,
            earned.len ? earned.data : "-"
        };
        jm_cli_table_add (table, cells);
        points_total += outcome->contribution;
        if (outcome->status == JM_STATUS_MISSING)
            jm_buf_printf (&missing, "%s%s", missing.len ? ", " : "", req->label);
    }
    jm_cli_table_render (table, 2, true, out);
    jm_cli_table_destroy (&table);

    //  the score is the points; optional points count less per required missing
    jm_buf_printf (out, "\n  Points       %.1f", points_total);
    if (result.missing_required)
        jm_buf_printf (out, " (%d required missing: optional points count x %.3f, so that no extras"
                       " make up for a missing must-have)", result.missing_required, result.gate);
    jm_buf_puts (out, "\n  Missing      ");
    jm_cli_text_clean (out, missing.len ? missing.data : "none", 0);
    jm_buf_printf (out, "\n  Breadth      %d skills listed, the career supports about %.0f",
                   candidate->breadth_skills, candidate->breadth_supported);
    if (candidate->breadth_factor < 1)
        jm_buf_printf (out, ": every credit x %.3f%s", candidate->breadth_factor,
                       candidate->breadth_factor < JM_BREADTH_WARN ? " (flagged: a keyword list)" : "");
    jm_buf_puts (out, "\n  Ignored      ");
    for (int i = 0; i < candidate->ignored_count; i++) {
        const jm_ignored_skill_t *ignored = &candidate->ignored [i];
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, ignored->skill);
        if (skill)
            jm_buf_printf (out, "%s%s (%s)", i ? ", " : "", skill->name,
                           jm_reason_words (jm_reason_name (ignored->reason)));
    }
    if (!candidate->ignored_count)
        jm_buf_puts (out, "none");
    jm_buf_puts (out, "\n  Corrections  ");
    int corrections = 0;
    for (int i = 0; i < candidate->skill_count; i++) {
        const jm_candidate_skill_t *entry = &candidate->skills [i];
        if (entry->match != JM_MATCH_TYPO || !entry->input)
            continue;
        jm_buf_puts (out, corrections++ ? ", \"" : "\"");
        jm_cli_text_clean (out, entry->input, 40);
        jm_buf_printf (out, "\" -> %s", jm_taxonomy_skill (taxonomy, entry->skill)->name);
    }
    if (!corrections)
        jm_buf_puts (out, "none");
    jm_buf_puts (out, "\n  Unknown      ");
    for (int i = 0; i < candidate->unknown_count; i++) {
        const jm_unknown_skill_t *unknown = &candidate->unknown [i];
        jm_buf_puts (out, i ? ", \"" : "\"");
        jm_cli_text_clean (out, unknown->input, 40);
        jm_buf_puts (out, "\"");
        if (unknown->suggestion >= 0)
            jm_buf_printf (out, " (did you mean %s?)", jm_taxonomy_skill (taxonomy, unknown->suggestion)->name);
    }
    if (!candidate->unknown_count)
        jm_buf_puts (out, "none");
    jm_buf_puts (out, "\n");
    jm_buf_free (&label);
    jm_buf_free (&earned);
    jm_buf_free (&missing);
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
    const char *path = NULL;
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_OPT_JOB) {
            if (self.job_count == JM_SCORE_MAX_JOBS)
                return jm_cli_usage_error (&s_spec, "at most %d --job options", JM_SCORE_MAX_JOBS);
            job_args [self.job_count++] = value;
        }
        else
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
    if (self.job_count == 0)
        job_args [self.job_count++] = JM_DEFAULT_JOB;
    self.engine = jm_cli_engine (cli);
    if (!self.engine)
        return JM_CLI_FATAL;
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
    jm_buf_free (&self.out);
    return status;
}
