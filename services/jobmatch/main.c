/*  jobmatch: the command-line tool.

    Offline commands work on the local data (data/taxonomy.json and
    data/jobs/): score candidates, normalize and extract skills, list and
    show jobs.  This file holds the command table and
    what every command shares (the engine, job lookup, output); each command
    group lives in cmd_<group>.c.  To add a group: write its handler, add
    one row to s_commands.                                                  */
#include "cli.h"
#include "jm_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef JM_VERSION
#   define JM_VERSION "unknown"
#endif

//  The command groups; each handler parses the rest of the command line
//  (global settings may follow the command too) and returns the exit status.
//  A group's own --help lists its subcommands; s_spec below lists them all.
typedef struct {
    const char *name;
    int (*handler) (jm_cli_t *cli, int argc, char **argv);
} s_command_t;

static const s_command_t s_commands [] = {
    { "score",  jm_cli_cmd_score },
    { "skills", jm_cli_cmd_skills },
    { "jobs",   jm_cli_cmd_jobs },
    { "submit", jm_cli_cmd_submit },
    { "batch",  jm_cli_cmd_batch },
    { "results", jm_cli_cmd_results },
    { "rank",    jm_cli_cmd_rank },
    { "best",    jm_cli_cmd_best },
    { "keys",    jm_cli_cmd_keys },
    { "status",  jm_cli_cmd_status },
    { NULL }
};

static const jm_cli_option_t s_options [] = {
    { "version", NULL, "print the version and exit" },
    { NULL }
};

static const jm_cli_spec_t s_spec = {
    NULL, "[GLOBAL OPTIONS] COMMAND [ARGS...]",
    "Scores candidates against job profiles and explains the scores.",
    s_options,
    "Commands:\n"
    "  score                     score candidates against jobs: JSON lines, or\n"
    "                            readable tables with --explain\n"
    "  skills                    normalize skill names, extract the skills of a\n"
    "                            resume, list the taxonomy\n"
    "  jobs                      the job registry: put, get, list, delete (and the\n"
    "                            local profiles: list --offline, show)\n"
    "  submit                    score candidates through the gateway: JSON lines,\n"
    "                            --explain tables, or a --ranked table\n"
    "  batch                     score a file of any size through the gateway, in\n"
    "                            input order, resumable (--resume)\n"
    "  results                   a stored result, plain or explained\n"
    "  rank                      a page of a job's ranking\n"
    "  best                      the jobs that suit one candidate best\n"
    "  keys                      CURVE certificates: keys new NAME writes a pair\n"
    "  status                    the gateway's workers, queues and recent failures\n"
    "\n"
    "'jobmatch COMMAND --help' tells more.  Exit status: 0 all good, 1 some input\n"
    "item was bad (the rest was processed) or the service refused the request, 2\n"
    "usage, I/O or data error, or no answer from the gateway.\n"
};

void
jm_cli_error (const char *format, ...)
{
    char message [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    fprintf (stderr, "%s: %s\n", JM_CLI_PROGRAM, message);
}

int
jm_cli_write (const jm_buf_t *buf)
{
    if (buf->len && fwrite (buf->data, 1, buf->len, stdout) != buf->len) {
        jm_cli_error ("cannot write the output: %s", strerror (errno));
        return -1;
    }
    return 0;
}

int
jm_cli_flush (void)
{
    if (fflush (stdout) != 0 || ferror (stdout)) {
        jm_cli_error ("cannot write the output: %s", strerror (errno));
        return -1;
    }
    return 0;
}

jm_engine_t *
jm_cli_engine (jm_cli_t *cli)
{
    if (cli->engine)
        return cli->engine;
    jm_log_init (JM_CLI_PROGRAM, jm_cli_verbose (cli) ? JM_LOG_DEBUG : JM_LOG_WARNING);
    jm_error_t err;
    jm_error_clear (&err);
    const char *data_dir = jm_cli_data_dir (cli) ? jm_cli_data_dir (cli) : jm_data_dir_find ();
    cli->engine = jm_engine_new (data_dir, &err);
    if (!cli->engine) {
        jm_cli_error ("%s", err.message);
        return NULL;
    }
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (cli->engine);
    jm_log_debug ("loaded taxonomy %s (%d skills) and %d jobs from %s", jm_taxonomy_version (taxonomy),
                 jm_taxonomy_size (taxonomy), jm_engine_job_count (cli->engine), data_dir);
    return cli->engine;
}

//  True when arg names a job file rather than a job id.
static bool
s_is_job_file (const char *arg)
{
    size_t len = strlen (arg);
    struct stat info;
    return strchr (arg, '/') || (len > 5 && strcmp (arg + len - 5, ".json") == 0)
        || (stat (arg, &info) == 0 && S_ISREG (info.st_mode));
}

jm_job_t *
jm_cli_job (jm_cli_t *cli, const char *arg, jm_job_t **owned_p)
{
    *owned_p = NULL;
    jm_engine_t *engine = jm_cli_engine (cli);
    if (!engine)
        return NULL;
    jm_job_t *job = jm_engine_job (engine, arg);
    if (job)
        return job;
    if (s_is_job_file (arg)) {
        if (access (arg, R_OK) != 0) {
            jm_cli_error ("%s: %s", arg, strerror (errno));
            return NULL;
        }
        jm_error_t err;
        jm_error_clear (&err);
        *owned_p = jm_job_load (arg, jm_engine_taxonomy (engine), &err);
        if (!*owned_p) {
            //  jm_job_load names the file; the others name only the job
            if (strncmp (err.message, arg, strlen (arg)) == 0)
                jm_cli_error ("%s", err.message);
            else
                jm_cli_error ("%s: %s", arg, err.message);
        }
        return *owned_p;
    }
    jm_buf_t known;
    jm_buf_init (&known);
    for (int i = 0; i < jm_engine_job_count (engine); i++)
        jm_buf_printf (&known, "%s%s", i ? ", " : "", jm_job_id (jm_engine_job_at (engine, i)));
    jm_buf_t name;
    jm_buf_init (&name);
    jm_cli_text_clean (&name, arg, 60);
    jm_cli_error ("%s: unknown job '%s'; known jobs: %s (or give a job file)", JM_ERR_UNKNOWN_JOB,
                  name.data ? name.data : "", known.len ? known.data : "none");
    jm_buf_free (&name);
    jm_buf_free (&known);
    return NULL;
}

//  Reads the global settings and the command, and runs it.  Returns the
//  exit status.
static int
s_run (jm_cli_t *cli, int argc, char **argv)
{
    if (jm_cli_global_load (cli))
        return JM_CLI_FATAL;
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value = NULL;
    int option, status = JM_CLI_OK;
    const s_command_t *command = NULL;
    while (!command && (option = jm_cli_getopt (cli, &s_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == 0) {
            printf ("%s %s\n", JM_CLI_PROGRAM, JM_VERSION);
            return JM_CLI_OK;
        }
        for (const s_command_t *row = s_commands; row->name && !command; row++)
            if (strcmp (row->name, value) == 0)
                command = row;
        if (!command) {
            jm_buf_t name;
            jm_buf_init (&name);
            jm_cli_text_clean (&name, value, 60);
            status = jm_cli_usage_error (&s_spec, "unknown command '%s'", name.data ? name.data : "");
            jm_buf_free (&name);
            return status;
        }
    }
    if (!command) {
        jm_cli_print_help (&s_spec, stderr);
        return JM_CLI_FATAL;
    }
    return command->handler (cli, argc - args.index, argv + args.index);
}

int
main (int argc, char **argv)
{
    jm_cli_t cli = { NULL, NULL, NULL, NULL };
    if (!isatty (fileno (stdout)))
        setvbuf (stdout, NULL, _IOFBF, 1 << 16);
    int status = s_run (&cli, argc, argv);
    if (jm_cli_flush () && status == JM_CLI_OK)
        status = JM_CLI_FATAL;
    jm_engine_destroy (&cli.engine);
    jm_config_destroy (&cli.settings);
    jm_config_destroy (&cli.global);
    return status;
}
