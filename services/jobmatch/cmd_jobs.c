/*  jobmatch jobs: the job profiles.

      jobs list [--json]          id, title, version and requirement count
      jobs show ID|FILE [--table] one profile as JSON, or as a table

    For now these read the local data; when the CLI gains its gateway client
    they will ask the gateway, and --offline (accepted already, so scripts
    keep working) will select the local data.                              */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const jm_cli_option_t s_list_options [] = {
    { "json",    NULL, "one JSON object per job instead of a table" },
    { "offline", NULL, "read the local data (the only source for now)" },
    { NULL }
};
enum { s_LIST_JSON, s_LIST_OFFLINE };

static const jm_cli_spec_t s_list_spec = {
    "jobs list", "[OPTIONS]",
    "Lists the job profiles: id, title, version and number of requirements.",
    s_list_options, NULL
};

static const jm_cli_option_t s_show_options [] = {
    { "table",   NULL, "a readable table instead of JSON" },
    { "offline", NULL, "read the local data (the only source for now)" },
    { NULL }
};
enum { s_SHOW_TABLE, s_SHOW_OFFLINE };

static const jm_cli_spec_t s_show_spec = {
    "jobs show", "[OPTIONS] ID|FILE",
    "Shows one job profile, a registered id or a job file, as the engine compiled\n"
    "it: skills by id, default labels filled in, as pretty JSON.",
    s_show_options, NULL
};

static const jm_cli_spec_t s_group_spec = {
    "jobs", "COMMAND [ARGS...]",
    "Lists and shows the job profiles.",
    NULL,
    "Commands:\n"
    "  list [--json]             the job profiles\n"
    "  show ID|FILE [--table]    one job profile as JSON or as a table\n"
    "\n'jobmatch jobs COMMAND --help' tells more.\n"
};

static int
s_list (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    bool json = false;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_list_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_LIST_JSON)
            json = true;
        else
        if (option != s_LIST_OFFLINE)
            return jm_cli_usage_error (&s_list_spec, "unexpected argument '%s'", value);
    }
    jm_engine_t *engine = jm_cli_engine (cli);
    if (!engine)
        return JM_CLI_FATAL;
    static const char *headers [] = { "ID", "TITLE", ">VERSION", ">REQUIREMENTS", NULL };
    jm_cli_table_t *table = json ? NULL : jm_cli_table_new (headers);
    jm_buf_t out;
    jm_buf_init (&out);
    for (int i = 0; i < jm_engine_job_count (engine); i++) {
        const jm_job_t *job = jm_engine_job_at (engine, i);
        if (table) {
            jm_cli_table_addf (table, "%s\t%s\t%d\t%d", jm_job_id (job), jm_job_title (job),
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
    if (table)
        jm_cli_table_render (table, 0, true, &out);
    status = jm_cli_write (&out) ? JM_CLI_FATAL : JM_CLI_OK;
    jm_cli_table_destroy (&table);
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
        char *text = json_dumps (json, JSON_INDENT (2));
        if (!text)
            abort ();
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

int
jm_cli_cmd_jobs (jm_cli_t *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*handler) (jm_cli_t *cli, int argc, char **argv);
    } commands [] = {
        { "list", s_list },
        { "show", s_show },
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
    return jm_cli_usage_error (&s_group_spec, "a command is needed: list or show");
}
