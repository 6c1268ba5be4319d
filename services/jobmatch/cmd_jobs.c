/*  jobmatch jobs: the job profiles.

    Against the job registry (service jobmatch.jobs, proto/services.md),
    through the gateway:

      jobs put FILE               create or replace a job; prints it with its
                                  new version
      jobs get ID [--full]        one job as pretty JSON
      jobs list                   every job: a table on a terminal, JSON lines
                                  otherwise (--table, --json force one)
      jobs delete ID              removes a job

    On the local data (data/jobs/), without a gateway:

      jobs list --offline [--json]    id, title, version, requirement count
      jobs show ID|FILE [--table]     one profile as the engine compiled it

    Remote commands print the service's errors as "jobmatch: CODE: message";
    exit status as remote.h says (1 refused, 2 no answer or usage).         */
#include "cli.h"
#include "remote.h"
#include "jm_alloc.h"

#include <stdlib.h>
#include <string.h>

#define JM_JOBS_SERVICE "jobmatch.jobs"

static const jm_cli_option_t s_list_options [] = {
    { "json",    NULL, "one JSON object per job (the default when stdout is not a terminal)" },
    { "table",   NULL, "a table (the default on a terminal)" },
    { "offline", NULL, "list the local data's profiles, not the registry's (a table unless --json)" },
    { NULL }
};
enum { s_LIST_JSON, s_LIST_TABLE, s_LIST_OFFLINE };

static const jm_cli_spec_t s_list_spec = {
    "jobs list", "[OPTIONS]",
    "Lists the registered jobs: id, title, version, number of requirements, candidates\n"
    "ranked, the version the ranking shows and the progress of a re-scoring.  With\n"
    "--offline, the local data's profiles: id, title, version and requirements.",
    s_list_options,
    JM_CLI_REMOTE_EXIT_HELP
    "With --offline: 0 done, 2 the local data cannot be read.\n",
    jm_cli_remote_settings
};

static const jm_cli_option_t s_show_options [] = {
    { "table",   NULL, "a readable table instead of JSON" },
    { "offline", NULL, "read the local data (always: 'jobs get' asks the registry)" },
    { NULL }
};
enum { s_SHOW_TABLE, s_SHOW_OFFLINE };

static const jm_cli_spec_t s_show_spec = {
    "jobs show", "[OPTIONS] ID|FILE",
    "Shows one job profile of the local data, a built-in id or a job file, as the\n"
    "engine compiled it: skills by id, default labels filled in, as pretty JSON.\n"
    "'jobmatch jobs get ID' shows a job of the registry.",
    s_show_options,
    "Exit status: 0 done, 2 unknown job, unreadable or invalid job file or data.\n"
};

static const jm_cli_spec_t s_put_spec = {
    "jobs put", "[OPTIONS] FILE|-",
    "Creates or replaces a job in the registry from a job file (JSON: id, title,\n"
    "description, requirements, notes; see data/README.md) and prints the stored job\n"
    "with its new version.  Every skill must be known to the taxonomy: unknown names\n"
    "are listed with the closest known skill.  A job that had a ranking is re-scored\n"
    "in the background; 'jobmatch jobs list' shows the progress.",
    NULL,
    "An invalid job (unknown skills, a bad weight, ...) is refused: exit 1.  A file\n"
    "that is not one JSON object is reported with its line and column: exit 2.\n"
    "\n" JM_CLI_REMOTE_EXIT_HELP,
    jm_cli_remote_settings
};

static const jm_cli_option_t s_get_options [] = {
    { "full", NULL, "the whole reply: the job, ranked_version and rescoring" },
    { NULL }
};
enum { s_GET_FULL };

static const jm_cli_spec_t s_get_spec = {
    "jobs get", "[OPTIONS] ID",
    "Prints a job of the registry as pretty JSON: skills by id, with its version.\n"
    "The output can be edited and given back to 'jobmatch jobs put'.",
    s_get_options,
    "An id that is not registered is not_found: exit 1.\n"
    "\n" JM_CLI_REMOTE_EXIT_HELP,
    jm_cli_remote_settings
};

static const jm_cli_spec_t s_delete_spec = {
    "jobs delete", "[OPTIONS] ID",
    "Removes a job from the registry, with its ranking and results.  A built-in job\n"
    "deleted stays deleted.",
    NULL,
    "An id that is not registered is not_found: exit 1.\n"
    "\n" JM_CLI_REMOTE_EXIT_HELP,
    jm_cli_remote_settings
};

static const jm_cli_spec_t s_group_spec = {
    "jobs", "COMMAND [ARGS...]",
    "The job registry (through the gateway) and the local job profiles.",
    NULL,
    "Commands:\n"
    "  put FILE                  create or replace a job; prints its new version\n"
    "  get ID [--full]           one job as pretty JSON\n"
    "  list [--json|--table]     the registered jobs, their rankings and re-scoring\n"
    "  delete ID                 remove a job\n"
    "  list --offline [--json]   the local data's job profiles\n"
    "  show ID|FILE [--table]    one local job profile as JSON or as a table\n"
    "\n"
    "put, get, list and delete ask the gateway: --gateway EP, else JOBMATCH_GATEWAY,\n"
    "else " JM_CLI_GATEWAY_DEFAULT ".  'jobmatch jobs COMMAND --help' tells more,\n"
    "exit status included.\n"
};

//  Sends request (taken) to the registry: jm_cli_remote_ask.
static json_t *
s_call (jm_cli_t *cli, json_t *request, int *status)
{
    return jm_cli_remote_ask (cli, JM_JOBS_SERVICE, &request, status);
}

//  Writes out to stdout and frees it.  Returns the exit status.
static int
s_write (jm_buf_t *out)
{
    int status = jm_cli_write (out) ? JM_CLI_FATAL : JM_CLI_OK;
    jm_buf_free (out);
    return status;
}

//  A member of object as an integer, 0 when absent.
static long long
s_int (json_t *object, const char *key)
{
    return (long long) json_integer_value (json_object_get (object, key));
}

//  The registry's jobs, as a table or JSON lines.
static int
s_list_remote (jm_cli_t *cli, bool table)
{
    int status;
    json_t *reply = s_call (cli, json_pack ("{s:s}", "op", "list"), &status);
    if (!reply) {
        if (status == JM_CLI_FATAL)
            jm_cli_error ("'jobmatch jobs list --offline' lists the local data's profiles");
        return status;
    }
    json_t *jobs = json_object_get (reply, "jobs");
    static const char *headers [] = {
        "ID", "TITLE", ">VERSION", ">REQUIREMENTS", ">CANDIDATES", ">RANKED", "RESCORING", NULL
    };
    jm_cli_table_t *rows = table ? jm_cli_table_new (headers) : NULL;
    if (rows) {
        jm_cli_table_limit (rows, 0, 40);
        jm_cli_table_limit (rows, 1, 50);
    }
    jm_buf_t out, progress;
    jm_buf_init (&out);
    jm_buf_init (&progress);
    size_t index;
    json_t *job;
    json_array_foreach (jobs, index, job) {
        if (!rows) {
            jm_cli_json_append (&out, job, false);
            continue;
        }
        jm_buf_reset (&progress);
        jm_cli_progress_append (&progress, json_object_get (job, "rescoring"), "-");
        char version [24], requirements [24], candidates [24], ranked [24];
        snprintf (version, sizeof version, "%lld", s_int (job, "version"));
        snprintf (requirements, sizeof requirements, "%lld", s_int (job, "requirements"));
        snprintf (candidates, sizeof candidates, "%lld", s_int (job, "candidates"));
        snprintf (ranked, sizeof ranked, "%lld", s_int (job, "ranked_version"));
        const char *cells [] = {
            json_string_value (json_object_get (job, "id")), json_string_value (json_object_get (job, "title")),
            version, requirements, candidates, ranked, progress.data
        };
        jm_cli_table_add (rows, cells);
    }
    if (rows) {
        if (json_array_size (jobs))
            jm_cli_table_render (rows, 0, true, &out);
        else
            jm_buf_puts (&out, "no jobs registered\n");
    }
    jm_cli_table_destroy (&rows);
    jm_buf_free (&progress);
    json_decref (reply);
    return s_write (&out);
}

static int
s_list (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    bool json = false, table = false, offline = false;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_list_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_LIST_JSON)
            json = true;
        else
        if (option == s_LIST_TABLE)
            table = true;
        else
        if (option == s_LIST_OFFLINE)
            offline = true;
        else
            return jm_cli_usage_error (&s_list_spec, "unexpected argument '%s'", value);
    }
    if (json && table)
        return jm_cli_usage_error (&s_list_spec, "--json or --table, not both");
    if (!offline)
        return s_list_remote (cli, jm_cli_want_table (table, json));
    jm_engine_t *engine = jm_cli_engine (cli);
    if (!engine)
        return JM_CLI_FATAL;
    static const char *headers [] = { "ID", "TITLE", ">VERSION", ">REQUIREMENTS", NULL };
    jm_cli_table_t *rows = json ? NULL : jm_cli_table_new (headers);
    jm_buf_t out;
    jm_buf_init (&out);
    for (int i = 0; i < jm_engine_job_count (engine); i++) {
        const jm_job_t *job = jm_engine_job_at (engine, i);
        if (rows) {
            jm_cli_table_addf (rows, "%s\t%s\t%d\t%d", jm_job_id (job), jm_job_title (job),
                               jm_job_version (job), jm_job_requirement_count (job));
            continue;
        }
        jm_buf_puts (&out, "{\"id\":");
        jm_buf_json_str (&out, jm_job_id (job));
        jm_buf_puts (&out, ",\"title\":");
        jm_buf_json_str (&out, jm_job_title (job));
        jm_buf_printf (&out, ",\"version\":%d,\"requirements\":%d}\n", jm_job_version (job),
                       jm_job_requirement_count (job));
    }
    if (rows)
        jm_cli_table_render (rows, 0, true, &out);
    status = jm_cli_write (&out) ? JM_CLI_FATAL : JM_CLI_OK;
    jm_cli_table_destroy (&rows);
    jm_buf_free (&out);
    return status;
}

//  The job as a table: a header, then one row per requirement.
static void
s_show_table (const jm_job_t *job, jm_buf_t *out)
{
    const jm_taxonomy_t *taxonomy = jm_job_taxonomy (job);
    double total = jm_job_total_weight (job);
    char number [32];
    jm_buf_printf (out, "Job           %s v%d\nTitle         ", jm_job_id (job), jm_job_version (job));
    jm_cli_text_clean (out, jm_job_title (job), 0);
    json_t *json = jm_job_to_json (job);
    const char *description = json_string_value (json_object_get (json, "description"));
    if (description) {
        jm_buf_puts (out, "\nDescription   ");
        jm_cli_text_clean (out, description, 100);
    }
    json_decref (json);
    jm_buf_t weight;
    jm_buf_init (&weight);
    jm_buf_json_number (&weight, total, 3);
    jm_buf_printf (out, "\nTotal weight  %s\n\n", weight.data);
    jm_buf_free (&weight);

    static const char *headers [] = {
        ">#", "REQUIREMENT", "SKILLS", "IMPORTANCE", ">WEIGHT", ">SHARE", ">MIN LEVEL", ">MIN YEARS", NULL
    };
    jm_cli_table_t *table = jm_cli_table_new (headers);
    jm_cli_table_limit (table, 1, 40);
    jm_cli_table_limit (table, 2, 60);
    jm_buf_t skills;
    jm_buf_init (&skills);
    for (int r = 0; r < jm_job_requirement_count (job); r++) {
        const jm_requirement_t *req = jm_job_requirement (job, r);
        jm_buf_reset (&skills);
        if (req->any_of)
            jm_buf_printf (&skills, "%d of ", req->min_count);
        for (int m = 0; m < req->member_count; m++)
            jm_buf_printf (&skills, "%s%s", m ? ", " : "", jm_taxonomy_skill (taxonomy, req->members [m].skill)->id);
        jm_buf_t w;
        jm_buf_init (&w);
        jm_buf_json_number (&w, req->weight, 3);
        char share [32], level [16] = "-", years [32] = "-";
        snprintf (share, sizeof share, "%.1f%%", total > 0 ? 100 * req->weight / total : 0);
        if (req->min_level)
            snprintf (level, sizeof level, "%d", req->min_level);
        if (req->min_years > 0)
            snprintf (years, sizeof years, "%g", req->min_years);
        snprintf (number, sizeof number, "%d", r + 1);
        const char *cells [] = { number, req->label, skills.data, jm_importance_name (req->importance),
                                 w.data, share, level, years };
        jm_cli_table_add (table, cells);
        jm_buf_free (&w);
    }
    jm_cli_table_render (table, 2, true, out);
    jm_cli_table_destroy (&table);
    jm_buf_free (&skills);
}

static int
s_show (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value, *name = NULL;
    bool table = false;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_show_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_SHOW_TABLE)
            table = true;
        else
        if (option == s_SHOW_OFFLINE)
            continue;
        else
        if (name)
            return jm_cli_usage_error (&s_show_spec, "one job at most (got '%s' and '%s')", name, value);
        else
            name = value;
    }
    if (!name)
        return jm_cli_usage_error (&s_show_spec, "which job? give an id or a job file");
    jm_job_t *owned = NULL;
    jm_job_t *job = jm_cli_job (cli, name, &owned);
    if (!job)
        return JM_CLI_FATAL;
    jm_buf_t out;
    jm_buf_init (&out);
    if (table)
        s_show_table (job, &out);
    else {
        json_t *json = jm_job_to_json (job);
        char *text = jm_alloc_check (json_dumps (json, JSON_INDENT (2)), "JSON text");
        jm_buf_puts (&out, text);
        jm_buf_puts (&out, "\n");
        free (text);
        json_decref (json);
    }
    status = jm_cli_write (&out) ? JM_CLI_FATAL : JM_CLI_OK;
    jm_buf_free (&out);
    jm_job_destroy (&owned);
    return status;
}

//  Reads the arguments of put, get and delete: one positional argument
//  (what names it, for the usage error) and, when flag is not NULL, the
//  flag in the spec's first option row.
//  Returns JM_CLI_OK, or the status to exit with after --help or a usage
//  error.
static int
s_one_arg (jm_cli_t *cli, const jm_cli_spec_t *spec, int argc, char **argv, const char *what,
           const char **arg, bool *flag)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option, status = JM_CLI_OK;
    *arg = NULL;
    while ((option = jm_cli_getopt (cli, spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status == JM_CLI_OK ? -1 : status;
        if (option >= 0 && flag)
            *flag = true;
        else
        if (*arg)
            return jm_cli_usage_error (spec, "one %s only (got a second: '%s')", what, value);
        else
            *arg = value;
    }
    if (!*arg || !**arg)
        return jm_cli_usage_error (spec, "which %s? give one", what);
    return JM_CLI_OK;
}

static int
s_put (jm_cli_t *cli, int argc, char **argv)
{
    const char *path;
    int status = s_one_arg (cli, &s_put_spec, argc, argv, "job file", &path, NULL);
    if (status)
        return status < 0 ? JM_CLI_OK : status;
    json_t *job = jm_cli_object_read (path, "job");
    if (!job)
        return JM_CLI_FATAL;
    json_t *reply = s_call (cli, json_pack ("{s:s, s:o}", "op", "put", "job", job), &status);
    if (!reply)
        return status;
    jm_buf_t out;
    jm_buf_init (&out);
    jm_cli_json_append (&out, json_object_get (reply, "job"), true);
    json_t *rescoring = json_object_get (reply, "rescoring");
    if (json_is_object (rescoring)) {
        //  on stderr: stdout stays the job, ready to be put again
        fflush (stdout);
        fprintf (stderr, "%s: re-scoring %lld ranked candidates against version %lld in the "
                 "background; rankings show the previous version until it is done "
                 "('jobmatch jobs list' shows the progress)\n", JM_CLI_PROGRAM,
                 s_int (rescoring, "total"), s_int (rescoring, "version"));
    }
    json_decref (reply);
    return s_write (&out);
}

static int
s_get (jm_cli_t *cli, int argc, char **argv)
{
    const char *id;
    bool full = false;
    int status = s_one_arg (cli, &s_get_spec, argc, argv, "job id", &id, &full);
    if (status)
        return status < 0 ? JM_CLI_OK : status;
    json_t *reply = s_call (cli, json_pack ("{s:s, s:s}", "op", "get", "id", id), &status);
    if (!reply)
        return status;
    jm_buf_t out;
    jm_buf_init (&out);
    if (full)
        json_object_del (reply, "ok");
    jm_cli_json_append (&out, full ? reply : json_object_get (reply, "job"), true);
    json_decref (reply);
    return s_write (&out);
}

static int
s_delete (jm_cli_t *cli, int argc, char **argv)
{
    const char *id;
    int status = s_one_arg (cli, &s_delete_spec, argc, argv, "job id", &id, NULL);
    if (status)
        return status < 0 ? JM_CLI_OK : status;
    json_t *reply = s_call (cli, json_pack ("{s:s, s:s}", "op", "delete", "id", id), &status);
    if (!reply)
        return status;
    jm_buf_t out;
    jm_buf_init (&out);
    jm_buf_puts (&out, "deleted job ");
    jm_cli_text_clean (&out, id, 0);
    jm_buf_puts (&out, "\n");
    json_decref (reply);
    return s_write (&out);
}

int
jm_cli_cmd_jobs (jm_cli_t *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*handler) (jm_cli_t *cli, int argc, char **argv);
    } commands [] = {
        { "put",    s_put },
        { "get",    s_get },
        { "list",   s_list },
        { "delete", s_delete },
        { "show",   s_show },
    };
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_group_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        for (size_t i = 0; i < sizeof commands / sizeof commands [0]; i++)
            if (strcmp (commands [i].name, value) == 0)
                return commands [i].handler (cli, argc - args.index, argv + args.index);
        jm_buf_t name;
        jm_buf_init (&name);
        jm_cli_text_clean (&name, value, 60);
        status = jm_cli_usage_error (&s_group_spec, "unknown command '%s'", name.data ? name.data : "");
        jm_buf_free (&name);
        return status;
    }
    return jm_cli_usage_error (&s_group_spec, "a command is needed: put, get, list, delete or show");
}
