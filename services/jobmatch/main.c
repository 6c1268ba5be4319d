/*  jobmatch: the command-line tool.

    Offline commands work on the local data (data/taxonomy.json and
    data/jobs/): score candidates, normalize and extract skills, list and
    show jobs.  This file holds the command table and only dispatches: what
    every command shares (the engine, job lookup, output) is in cli.c, each
    command group in cmd_<group>.c.  To add a group: write its handler, add
    one row to s_commands.                                                  */
#include "cli.h"

#include <string.h>
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
