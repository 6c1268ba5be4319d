/*  jobmatch results, rank, best: reading what the matchers stored.

    Three commands against the service jobmatch.results (proto/services.md),
    through the gateway:

      results JOB CANDIDATE [--explain]   the stored result, as pretty JSON
                                          or as a readable breakdown
      results --all CANDIDATE             the candidate's results across jobs
      rank JOB [--limit N] [--offset N] [--min-score X] [--band B]
                                          a page of the job's ranking
      best CANDIDATE-FILE [--limit N]     the jobs that suit one profile best

    Lists print as a table when stdout is a terminal and as JSON lines (the
    service's objects, one a line) otherwise; --table and --json force one.
    Tables are for people: names come from candidates, so they are printed
    with control characters and bidirectional overrides replaced by '?'
    (jm_cli_text_clean).
    Errors and exit status: remote.h (1 refused, 2 no answer or usage).     */
#include "cli.h"
#include "remote.h"
#include "explain.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JM_RESULTS_SERVICE  "jobmatch.results"
#define JM_JOBS_SERVICE     "jobmatch.jobs"
#define JM_RANK_LIMIT_MAX   1000        //  the service's bound on one page
#define JM_BEST_LIMIT_MAX   100         //  the service's bound on one best reply
#define JM_BAR_WIDTH        10          //  cells of the score bar, 10 points each



//  ---------------------------------------------------------------------------
//  Small helpers

//  Appends text (NULL: nothing).  Cells and lines are cleaned when they
//  are added to a table or printed (jm_cli_text_clean): names come from
//  candidates and may hold controls or bidirectional overrides.
static void
s_append (jm_buf_t *out, const char *text)
{
    if (text)
        jm_buf_puts (out, text);
}

//  True when the terminal can show the block characters of the bar.
static bool
s_unicode_terminal (void)
{
    const char *names [] = { "LC_ALL", "LC_CTYPE", "LANG" };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++) {
        const char *value = getenv (names [i]);
        if (value && *value)
            return strcasestr (value, "utf-8") || strcasestr (value, "utf8");
    }
    return false;
}

//  Appends a score and its bar, JM_BAR_WIDTH cells of ten points each:
//  " 92.6 █████████▎ " with block characters, " 92.6 #########. " without.
static void
s_score_bar (jm_buf_t *out, double score, bool unicode)
{
    static const char *eighths [] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
    if (!(score >= 0))
        score = 0;
    if (score > 100)
        score = 100;
    jm_buf_printf (out, "%5.1f ", score);
    if (unicode) {
        int total = (int) lround (score * JM_BAR_WIDTH * 8 / 100);
        int cells = 0;
        for (; cells < total / 8; cells++)
            jm_buf_puts (out, "█");
        if (total % 8) {
            jm_buf_puts (out, eighths [total % 8]);
            cells++;
        }
        for (; cells < JM_BAR_WIDTH; cells++)
            jm_buf_puts (out, " ");
    }
    else {
        int filled = (int) lround (score * JM_BAR_WIDTH / 100);
        for (int cell = 0; cell < JM_BAR_WIDTH; cell++)
            jm_buf_puts (out, cell < filled ? "#" : ".");
    }
}

//  Parses a whole number in min..max.  Returns 0, or -1.
static int
s_parse_long (const char *text, long min, long max, long *value)
{
    char *end;
    errno = 0;
    *value = strtol (text, &end, 10);
    return !*text || *end || errno || *value < min || *value > max ? -1 : 0;
}

//  Sends request (taken) to service: jm_cli_remote_ask.
static json_t *
s_call (jm_cli_t *cli, const char *service, json_t *request,
        int *status)
{
    return jm_cli_remote_ask (cli, service, &request, status);
}

//  Writes out to stdout and frees it.  Returns the exit status.
static int
s_write (jm_buf_t *out)
{
    int status = jm_cli_write (out) ? JM_CLI_FATAL : JM_CLI_OK;
    jm_buf_free (out);
    return status;
}


//  ---------------------------------------------------------------------------
//  results

static const jm_cli_option_t s_results_options [] = {
    { "explain", NULL, "a readable breakdown instead of JSON" },
    { "all",     NULL, "every job's result for one CANDIDATE (give only the candidate)" },
    { "json",    NULL, "with --all: JSON lines (the default when stdout is not a terminal)" },
    { "table",   NULL, "with --all: a table (the default on a terminal)" },
    { NULL }
};
enum { s_RESULTS_EXPLAIN, s_RESULTS_ALL, s_RESULTS_JSON, s_RESULTS_TABLE };

static const jm_cli_spec_t s_results_spec = {
    "results", "[OPTIONS] JOB CANDIDATE | --all CANDIDATE",
    "Prints the stored result of a candidate for a job: the score, the band and why,\n"
    "requirement by requirement, as pretty JSON, or as a table with --explain.  With\n"
    "--all, the candidate's results for every registered job that has one.",
    s_results_options,
    "The result is the one scored against the job version it names (job_version);\n"
    "a candidate never scored for the job is not_found (exit 1).\n"
    "\n" JM_CLI_REMOTE_EXIT_HELP,
    jm_cli_remote_settings
};

//  The results of one candidate across jobs, as a table or JSON lines.
static int
s_results_all (jm_cli_t *cli, const char *candidate, bool table)
{
    int status;
    json_t *reply = s_call (cli, JM_RESULTS_SERVICE,
                            json_pack ("{s:s, s:s, s:s}", "op", "candidate", "candidate", candidate,
                                       "detail", table ? "summary" : "full"), &status);
    if (!reply)
        return status;
    json_t *results = json_object_get (reply, "results");
    jm_buf_t out;
    jm_buf_init (&out);
    static const char *headers [] = { "JOB", ">VERSION", "SCORE", "BAND", "REQUIRED", NULL };
    jm_cli_table_t *rows = table ? jm_cli_table_new (headers) : NULL;
    bool unicode = table && s_unicode_terminal ();
    jm_buf_t job, score;
    jm_buf_init (&job);
    jm_buf_init (&score);
    size_t index;
    json_t *result;
    json_array_foreach (results, index, result) {
        if (!rows) {
            jm_cli_json_append (&out, result, false);
            continue;
        }
        jm_buf_reset (&job);
        jm_buf_reset (&score);
        s_append (&job, jm_cli_str (result, "job"));
        s_score_bar (&score, jm_cli_num (result, "score"), unicode);
        char version [24];
        snprintf (version, sizeof version, "%lld", jm_cli_int (result, "job_version"));
        const char *cells [] = {
            job.data, version, score.data, jm_cli_str (result, "band"), jm_cli_str (result, "required")
        };
        jm_cli_table_add (rows, cells);
    }
    if (rows) {
        if (json_array_size (results))
            jm_cli_table_render (rows, 0, true, &out);
        else {
            jm_buf_puts (&out, "no results for ");
            jm_buf_reset (&job);
            s_append (&job, candidate);
            jm_cli_text_clean (&out, job.data, 60);
            jm_buf_puts (&out, "\n");
        }
    }
    jm_cli_table_destroy (&rows);
    jm_buf_free (&job);
    jm_buf_free (&score);
    json_decref (reply);
    return s_write (&out);
}

int
jm_cli_cmd_results (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value, *names [2] = { NULL, NULL };
    int count = 0;
    bool explain = false, all = false, json = false, table = false;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_results_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_RESULTS_EXPLAIN)
            explain = true;
        else
        if (option == s_RESULTS_ALL)
            all = true;
        else
        if (option == s_RESULTS_JSON)
            json = true;
        else
        if (option == s_RESULTS_TABLE)
            table = true;
        else
        if (count == 2)
            return jm_cli_usage_error (&s_results_spec, "too many arguments: a job and a candidate");
        else
            names [count++] = value;
    }
    if (json && table)
        return jm_cli_usage_error (&s_results_spec, "--json or --table, not both");
    if (all) {
        if (count != 1)
            return jm_cli_usage_error (&s_results_spec, "--all takes one candidate id");
        if (explain)
            return jm_cli_usage_error (&s_results_spec, "--explain shows one result: give a job and "
                                       "a candidate");
        return s_results_all (cli, names [0], jm_cli_want_table (table, json));
    }
    if (count != 2)
        return jm_cli_usage_error (&s_results_spec, "give a job id and a candidate id");
    if (json || table)
        return jm_cli_usage_error (&s_results_spec, "--json and --table go with --all; one result "
                                   "prints as JSON, or as a table with --explain");
    json_t *reply = s_call (cli, JM_RESULTS_SERVICE,
                            json_pack ("{s:s, s:s, s:s, s:s}", "op", "result", "job", names [0],
                                       "candidate", names [1], "detail", "full"), &status);
    if (!reply)
        return status;
    jm_buf_t out;
    jm_buf_init (&out);
    json_t *result = json_object_get (reply, "result");
    if (explain)
        jm_cli_explain (result, NULL, &out);
    else
        jm_cli_json_append (&out, result, true);
    json_decref (reply);
    return s_write (&out);
}


//  ---------------------------------------------------------------------------
//  rank

static const jm_cli_option_t s_rank_options [] = {
    { "limit",     "N", "entries to show, 1..1000 (default 20)" },
    { "offset",    "N", "entries to skip first (default 0)" },
    { "min-score", "X", "only scores of X or more (0..100)" },
    { "band",      "B", "only one band: strong, good, partial or weak" },
    { "json",      NULL, "JSON lines (the default when stdout is not a terminal)" },
    { "table",     NULL, "a table (the default on a terminal)" },
    { NULL }
};
enum {
    s_RANK_LIMIT, s_RANK_OFFSET, s_RANK_MIN_SCORE, s_RANK_BAND,
    s_RANK_JSON, s_RANK_TABLE
};

static const jm_cli_spec_t s_rank_spec = {
    "rank", "[OPTIONS] JOB",
    "Prints a page of a job's ranking, best first: rank, candidate, name, score,\n"
    "band and required requirements met.  A table on a terminal, with a footer that\n"
    "says which entries are shown, of how many, and the job version they were scored\n"
    "against; JSON lines otherwise, one entry a line, and the same footer on stderr.",
    s_rank_options,
    "Ranks count within the filters (--min-score, --band): rank 1 is the best entry\n"
    "that passes them.  The footer reads \"showing 3-12 of 40 (52 in all), version\n"
    "2\": 40 pass the filters, 52 are ranked.\n"
    "\n"
    "The ranking is always one complete version of the job.  While a changed job is\n"
    "re-scored, the previous version's ranking is shown and the footer gives the\n"
    "progress; 'jobmatch jobs list' shows it too.\n"
    "\n"
    "A job that is not registered is not_found: exit 1.\n"
    "\n" JM_CLI_REMOTE_EXIT_HELP,
    jm_cli_remote_settings
};

//  The footer of a ranking page: which entries, of how many, which version,
//  and the progress of a re-scoring.
static void
s_rank_footer (json_t *reply, jm_buf_t *out)
{
    json_t *entries = json_object_get (reply, "entries");
    size_t count = json_array_size (entries);
    long long total = jm_cli_int (reply, "total");
    long long matching = jm_cli_int (reply, "matching");
    long long version = jm_cli_int (reply, "version");
    if (count)
        jm_buf_printf (out, "showing %lld-%lld of %lld (%lld in all), version %lld\n",
                       jm_cli_int (json_array_get (entries, 0), "rank"),
                       jm_cli_int (json_array_get (entries, count - 1), "rank"), matching, total, version);
    else
    if (matching > 0)
        jm_buf_printf (out, "showing none: offset %lld is past the %lld entries (%lld in all), "
                       "version %lld\n", jm_cli_int (reply, "offset"), matching, total, version);
    else
    if (total > 0)
        jm_buf_printf (out, "no entry passes the filters (%lld in all), version %lld\n", total, version);
    else
        jm_buf_printf (out, "no candidates ranked yet, version %lld\n", version);
    json_t *rescoring = json_object_get (reply, "rescoring");
    if (json_is_object (rescoring)) {
        jm_buf_puts (out, "re-scoring ");
        jm_cli_progress_append (out, rescoring, "");
        jm_buf_printf (out, "; the ranking shows version %lld until it is done\n", version);
    }
}

//  The table of a ranking page and its footer.
static void
s_rank_table (json_t *reply, jm_buf_t *out)
{
    static const char *headers [] = { ">RANK", "CANDIDATE", "NAME", "SCORE", "BAND", "REQUIRED", NULL };
    jm_cli_table_t *table = jm_cli_table_new (headers);
    jm_cli_table_limit (table, 1, 32);
    jm_cli_table_limit (table, 2, 32);
    bool unicode = s_unicode_terminal ();
    json_t *entries = json_object_get (reply, "entries");
    jm_buf_t candidate, name, score;
    jm_buf_init (&candidate);
    jm_buf_init (&name);
    jm_buf_init (&score);
    size_t index;
    json_t *entry;
    json_array_foreach (entries, index, entry) {
        jm_buf_reset (&candidate);
        jm_buf_reset (&name);
        jm_buf_reset (&score);
        s_append (&candidate, jm_cli_str (entry, "candidate"));
        s_append (&name, jm_cli_str (entry, "name"));
        s_score_bar (&score, jm_cli_num (entry, "score"), unicode);
        char rank_text [24];
        snprintf (rank_text, sizeof rank_text, "%lld", jm_cli_int (entry, "rank"));
        const char *cells [] = {
            rank_text, candidate.data, name.data, score.data, jm_cli_str (entry, "band"), jm_cli_str (entry, "required")
        };
        jm_cli_table_add (table, cells);
    }
    if (json_array_size (entries))
        jm_cli_table_render (table, 0, true, out);
    jm_cli_table_destroy (&table);
    jm_buf_free (&candidate);
    jm_buf_free (&name);
    jm_buf_free (&score);

    if (json_array_size (entries))
        jm_buf_puts (out, "\n");
    s_rank_footer (reply, out);
}

int
jm_cli_cmd_rank (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value, *job = NULL, *band = NULL;
    long limit = 20, offset = 0;
    double min_score = -1;
    bool json = false, table = false;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_rank_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_RANK_LIMIT) {
            if (s_parse_long (value, 1, JM_RANK_LIMIT_MAX, &limit))
                return jm_cli_usage_error (&s_rank_spec, "--limit must be a number from 1 to %d",
                                           JM_RANK_LIMIT_MAX);
        }
        else
        if (option == s_RANK_OFFSET) {
            if (s_parse_long (value, 0, 1000000000L, &offset))
                return jm_cli_usage_error (&s_rank_spec, "--offset must be a number from 0");
        }
        else
        if (option == s_RANK_MIN_SCORE) {
            char *end;
            errno = 0;
            min_score = strtod (value, &end);
            if (!*value || *end || errno || !(min_score >= 0 && min_score <= 100))
                return jm_cli_usage_error (&s_rank_spec, "--min-score must be a score from 0 to 100");
        }
        else
        if (option == s_RANK_BAND) {
            int known = jm_band_lookup (value);
            band = known >= 0 ? jm_bands [known].name : NULL;
            if (!band)
                return jm_cli_usage_error (&s_rank_spec, "--band must be strong, good, partial or weak");
        }
        else
        if (option == s_RANK_JSON)
            json = true;
        else
        if (option == s_RANK_TABLE)
            table = true;
        else
        if (job)
            return jm_cli_usage_error (&s_rank_spec, "one job at a time");
        else
            job = value;
    }
    if (!job || !*job)
        return jm_cli_usage_error (&s_rank_spec, "which job? give its id");
    if (json && table)
        return jm_cli_usage_error (&s_rank_spec, "--json or --table, not both");
    json_t *request = json_pack ("{s:s, s:s, s:I, s:I, s:o}", "op", "rank", "job", job,
                                 "offset", (json_int_t) offset, "limit", (json_int_t) limit,
                                 "band", band ? json_string (band) : json_null ());
    if (min_score >= 0)
        json_object_set_new (request, "min_score", json_real (min_score));
    json_t *reply = s_call (cli, JM_RESULTS_SERVICE, request, &status);
    if (!reply)
        return status;
    jm_buf_t out;
    jm_buf_init (&out);
    if (jm_cli_want_table (table, json))
        s_rank_table (reply, &out);
    else {
        size_t index;
        json_t *entry;
        json_array_foreach (json_object_get (reply, "entries"), index, entry)
            jm_cli_json_append (&out, entry, false);
        //  the totals go to stderr, so that stdout holds entries only
        jm_buf_t footer;
        jm_buf_init (&footer);
        s_rank_footer (reply, &footer);
        fflush (stdout);
        fputs (footer.data, stderr);
        jm_buf_free (&footer);
    }
    json_decref (reply);
    return s_write (&out);
}


//  ---------------------------------------------------------------------------
//  best

static const jm_cli_option_t s_best_options [] = {
    { "limit", "N", "jobs to show, 1..100 (default 10)" },
    { "json",  NULL, "JSON lines (the default when stdout is not a terminal)" },
    { "table", NULL, "a table (the default on a terminal)" },
    { NULL }
};
enum { s_BEST_LIMIT, s_BEST_JSON, s_BEST_TABLE };

static const jm_cli_spec_t s_best_spec = {
    "best", "[OPTIONS] CANDIDATE-FILE|-",
    "Scores one candidate (a JSON object, as for 'jobmatch score') against every\n"
    "registered job and prints the jobs that suit it best, best first: a table on a\n"
    "terminal, the results as JSON lines otherwise.  Nothing is stored.",
    s_best_options,
    "A candidate the service cannot read (a field of the wrong type, no skills) is\n"
    "refused: exit 1.  A file that is not one JSON object is reported with its line\n"
    "and column: exit 2.\n"
    "\n" JM_CLI_REMOTE_EXIT_HELP,
    jm_cli_remote_settings
};

//  The titles of the registered jobs, id -> title, or NULL when the
//  registry does not answer (the table then goes without them).
static json_t *
s_job_titles (jm_cli_t *cli)
{
    jm_cli_remote_t *remote = jm_cli_remote_new (cli);
    json_t *request = json_pack ("{s:s}", "op", "list");
    json_t *reply = remote ? jm_cli_remote_request (remote, JM_JOBS_SERVICE, request, NULL) : NULL;
    jm_cli_remote_destroy (&remote);
    json_decref (request);
    json_t *titles = NULL;
    if (reply && json_is_true (json_object_get (reply, "ok"))) {
        titles = json_object ();
        size_t index;
        json_t *job;
        json_array_foreach (json_object_get (reply, "jobs"), index, job)
            if (jm_cli_str (job, "id") && jm_cli_str (job, "title"))
                json_object_set (titles, jm_cli_str (job, "id"), json_object_get (job, "title"));
    }
    json_decref (reply);
    return titles;
}

int
jm_cli_cmd_best (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value, *path = NULL;
    long limit = 10;
    bool json = false, table = false;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_best_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_BEST_LIMIT) {
            if (s_parse_long (value, 1, JM_BEST_LIMIT_MAX, &limit))
                return jm_cli_usage_error (&s_best_spec, "--limit must be a number from 1 to %d",
                                           JM_BEST_LIMIT_MAX);
        }
        else
        if (option == s_BEST_JSON)
            json = true;
        else
        if (option == s_BEST_TABLE)
            table = true;
        else
        if (path)
            return jm_cli_usage_error (&s_best_spec, "one candidate file at a time");
        else
            path = value;
    }
    if (!path)
        return jm_cli_usage_error (&s_best_spec, "which candidate? give a file with one JSON object, or -");
    if (json && table)
        return jm_cli_usage_error (&s_best_spec, "--json or --table, not both");
    json_t *candidate = jm_cli_object_read (path, "candidate");
    if (!candidate)
        return JM_CLI_FATAL;
    json_t *reply = s_call (cli, JM_RESULTS_SERVICE,
                            json_pack ("{s:s, s:o, s:I, s:s}", "op", "best", "candidate", candidate,
                                       "limit", (json_int_t) limit, "detail",
                                       jm_cli_want_table (table, json) ? "summary" : "full"),
                            &status);
    if (!reply)
        return status;
    json_t *results = json_object_get (reply, "results");
    jm_buf_t out;
    jm_buf_init (&out);
    size_t index;
    json_t *result;
    if (!jm_cli_want_table (table, json)) {
        json_array_foreach (results, index, result)
            jm_cli_json_append (&out, result, false);
        json_decref (reply);
        return s_write (&out);
    }
    json_t *titles = json_array_size (results) ? s_job_titles (cli) : NULL;
    static const char *headers [] = { ">RANK", "JOB", "TITLE", "SCORE", "BAND", "REQUIRED", NULL };
    jm_cli_table_t *rows = jm_cli_table_new (headers);
    jm_cli_table_limit (rows, 1, 32);
    jm_cli_table_limit (rows, 2, 40);
    bool unicode = s_unicode_terminal ();
    jm_buf_t job, title, score;
    jm_buf_init (&job);
    jm_buf_init (&title);
    jm_buf_init (&score);
    json_array_foreach (results, index, result) {
        jm_buf_reset (&job);
        jm_buf_reset (&title);
        jm_buf_reset (&score);
        const char *id = jm_cli_str (result, "job");
        s_append (&job, id);
        const char *job_title = jm_cli_str (result, "title");
        if (!job_title && titles && id)
            job_title = json_string_value (json_object_get (titles, id));
        s_append (&title, job_title ? job_title : "");
        s_score_bar (&score, jm_cli_num (result, "score"), unicode);
        char rank [24];
        snprintf (rank, sizeof rank, "%zu", index + 1);
        const char *cells [] = { rank, job.data, title.data, score.data, jm_cli_str (result, "band"),
                                 jm_cli_str (result, "required") };
        jm_cli_table_add (rows, cells);
    }
    if (json_array_size (results))
        jm_cli_table_render (rows, 0, true, &out);
    else
        jm_buf_puts (&out, "no jobs registered\n");
    jm_cli_table_destroy (&rows);
    jm_buf_free (&job);
    jm_buf_free (&title);
    jm_buf_free (&score);
    json_decref (titles);
    json_decref (reply);
    return s_write (&out);
}
