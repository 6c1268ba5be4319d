/*  jobmatch CLI: what every command shares (cli.h): the engine, loaded on
    first use, job lookup by id or file, the global settings' values
    (args.c reads them), errors and output.  main.c
    dispatches to the commands, which call these; nothing here calls a
    command.                                                                */
#include "cli.h"
#include "jm_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  A global setting of text, NULL when empty (cli->global, args.c).
static const char *
s_string_or_null (const jm_cli_t *cli, const char *name)
{
    const char *value = cli->global ? jm_config_string (cli->global, name) : "";
    return *value ? value : NULL;
}

const char *
jm_cli_data_dir (const jm_cli_t *cli)
{
    return s_string_or_null (cli, "data");
}

bool
jm_cli_verbose (const jm_cli_t *cli)
{
    return cli->global && jm_config_bool (cli->global, "verbose");
}

const char *
jm_cli_curve_server (const jm_cli_t *cli)
{
    return s_string_or_null (cli, "curve-server");
}

const char *
jm_cli_curve_cert (const jm_cli_t *cli)
{
    return s_string_or_null (cli, "curve-cert");
}

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
