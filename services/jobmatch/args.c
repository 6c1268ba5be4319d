/*  jobmatch CLI: option parsing and --help, driven by each command's table.

    The look follows jm_config (the services' settings): "--name VALUE" or
    "--name=VALUE", rows of 26 columns in --help, and errors that end with a
    hint to try --help.  jm_config itself reads one flat table and keeps the
    last of repeated options; a command line with subcommands and repeated
    options (--job A --job B) needs this small parser instead.  A command's
    valued settings (--window, --batch...) are a jm_config_option_t table,
    as the services' are: jm_config reads their variables, checks their
    bounds and writes their --help rows.                                   */
#include "cli.h"
#include "jm_log.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define JM_CLI_HELP_WIDTH 26

//  Options every command accepts, applied to the jm_cli_t.
static const jm_cli_option_t s_global_options [] = {
    { "data",    "DIR", "the data folder: taxonomy.json and jobs/ (env JOBMATCH_DATA_DIR)" },
    { "verbose", NULL,  "log what is loaded on stderr" },
    { "log-format", "FORMAT", "log records as text or json, one object a line (env JOBMATCH_LOG_FORMAT)" },
    { "curve-server", "FILE", "CURVE: the gateway's public certificate (env JOBMATCH_CURVE_SERVER)" },
    { "curve-cert", "FILE", "CURVE: our own secret certificate (env JOBMATCH_CURVE_CERT)" },
    { "help",    NULL,  "print this help and exit" },
    { NULL }
};
enum { s_GLOBAL_DATA, s_GLOBAL_VERBOSE, s_GLOBAL_LOG_FORMAT, s_GLOBAL_CURVE_SERVER, s_GLOBAL_CURVE_CERT, s_GLOBAL_HELP };

static void
s_print_row (FILE *file, const char *left, const char *right)
{
    int length = (int) strlen (left);
    if (length + 2 > JM_CLI_HELP_WIDTH)
        fprintf (file, "  %s\n  %*s%s\n", left, JM_CLI_HELP_WIDTH, "", right);
    else
        fprintf (file, "  %-*s%s\n", JM_CLI_HELP_WIDTH, left, right);
}

static void
s_print_options (FILE *file, const jm_cli_option_t *options)
{
    for (const jm_cli_option_t *option = options; option && option->name; option++) {
        char left [96];
        const char *short_form = strcmp (option->name, "version") == 0? "-V, "
                               : strcmp (option->name, "help") == 0? "-h, ": "";
        snprintf (left, sizeof left, "%s--%s%s%s", short_form, option->name,
                  option->metavar ? " " : "", option->metavar ? option->metavar : "");
        s_print_row (file, left, option->description);
    }
}

void
jm_cli_print_help (const jm_cli_spec_t *spec, FILE *file)
{
    fprintf (file, "Usage: %s%s%s %s\n", JM_CLI_PROGRAM, spec->command ? " " : "",
             spec->command ? spec->command : "", spec->usage);
    if (spec->summary)
        fprintf (file, "%s\n", spec->summary);
    if (spec->options && spec->options [0].name) {
        fprintf (file, "\nOptions:\n");
        s_print_options (file, spec->options);
    }
    if (spec->settings && spec->settings [0].name) {
        fprintf (file, "\nSettings (the command line, else the variable, else the default):\n");
        jm_config_t *settings = jm_config_new (JM_CLI_PROGRAM, NULL, spec->settings);
        jm_config_print_settings (settings, file);
        jm_config_destroy (&settings);
    }
    fprintf (file, "\nGlobal options:\n");
    s_print_options (file, s_global_options);
    if (spec->details)
        fprintf (file, "\n%s", spec->details);
}

int
jm_cli_usage_error (const jm_cli_spec_t *spec, const char *format, ...)
{
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    const char *command = spec->command ? spec->command : "";
    const char *space = spec->command ? " " : "";
    fprintf (stderr, "%s%s%s: %s\nTry '%s%s%s --help' for more information.\n",
             JM_CLI_PROGRAM, space, command, message, JM_CLI_PROGRAM, space, command);
    return JM_CLI_FATAL;
}

//  Finds --name (name without the dashes, name_len bytes) in a table.
static int
s_find (const jm_cli_option_t *options, const char *name, size_t name_len)
{
    for (int i = 0; options && options [i].name; i++)
        if (strlen (options [i].name) == name_len && memcmp (options [i].name, name, name_len) == 0)
            return i;
    return -1;
}

//  Finds --name in a settings table.
static const jm_config_option_t *
s_find_setting (const jm_config_option_t *settings, const char *name, size_t name_len)
{
    for (int i = 0; settings && settings [i].name; i++)
        if (strlen (settings [i].name) == name_len && memcmp (settings [i].name, name, name_len) == 0)
            return &settings [i];
    return NULL;
}

int
jm_cli_settings_load (jm_cli_t *cli, const jm_cli_spec_t *spec)
{
    assert (spec->settings);
    jm_config_destroy (&cli->settings);
    cli->settings = jm_config_new (JM_CLI_PROGRAM, NULL, spec->settings);
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_config_load_env (cli->settings, &err) == 0)
        return 0;
    //  "JOBMATCH_BATCH: 'zero' is not an integer": name the option too
    for (const jm_config_option_t *setting = spec->settings; setting->name; setting++) {
        char variable [80];
        jm_config_option_env (setting, variable, sizeof variable);
        size_t length = strlen (variable);
        if (strncmp (err.message, variable, length) == 0 && err.message [length] == ':')
            return jm_cli_usage_error (spec, "%s (the variable of --%s)", err.message, setting->name);
    }
    return jm_cli_usage_error (spec, "%s", err.message);
}

//  Applies --name VALUE of a setting to cli->settings.  Returns 0, or
//  JM_CLI_FATAL after a usage error.
static int
s_apply_setting (jm_cli_t *cli, const jm_cli_spec_t *spec, const jm_config_option_t *setting,
                 const char *value)
{
    assert (cli->settings);     //  jm_cli_settings_load first
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_config_set (cli->settings, setting->name, value, &err))
        return jm_cli_usage_error (spec, "%s", err.message);
    return 0;
}

//  Copies an argument for an error message: short, control characters as '?'.
static const char *
s_quote (const char *text, char *out, size_t size)
{
    size_t i = 0;
    for (; text [i] && i + 4 < size && i < 60; i++)
        out [i] = (unsigned char) text [i] < 0x20 || text [i] == 0x7f ? '?' : text [i];
    if (text [i])
        out [i++] = '.', out [i++] = '.', out [i++] = '.';
    out [i] = 0;
    return out;
}

int
jm_cli_getopt (jm_cli_t *cli, const jm_cli_spec_t *spec, jm_cli_args_t *args,
               const char **value, int *status)
{
    *value = NULL;
    *status = JM_CLI_OK;
    while (++args->index < args->argc) {
        const char *arg = args->argv [args->index];
        if (args->ended || arg [0] != '-' || strcmp (arg, "-") == 0) {
            *value = arg;
            return JM_CLI_ARG;
        }
        if (strcmp (arg, "--") == 0) {
            args->ended = true;
            continue;
        }
        char quoted [72];
        if (arg [1] != '-') {
            if (strcmp (arg, "-h") == 0) {
                jm_cli_print_help (spec, stdout);
                return JM_CLI_EXIT;
            }
            //  -V: --version wherever the command has one
            int version = strcmp (arg, "-V") == 0? s_find (spec->options, "version", 7): -1;
            if (version >= 0)
                return version;
            *status = jm_cli_usage_error (spec, "unknown option '%s'", s_quote (arg, quoted, sizeof quoted));
            return JM_CLI_EXIT;
        }
        const char *name = arg + 2;
        const char *equals = strchr (name, '=');
        size_t name_len = equals ? (size_t) (equals - name) : strlen (name);
        const jm_cli_option_t *table = spec->options;
        int row = s_find (table, name, name_len);
        const jm_config_option_t *setting = row < 0? s_find_setting (spec->settings, name, name_len): NULL;
        if (setting) {
            const char *setting_value = equals ? equals + 1
                                      : setting->type == JM_CONFIG_BOOL ? "true"
                                      : args->index + 1 < args->argc ? args->argv [++args->index] : NULL;
            if (!setting_value) {
                *status = jm_cli_usage_error (spec, "--%s needs a value", setting->name);
                return JM_CLI_EXIT;
            }
            if ((*status = s_apply_setting (cli, spec, setting, setting_value)))
                return JM_CLI_EXIT;
            continue;
        }
        if (row < 0) {
            table = s_global_options;
            row = s_find (table, name, name_len);
        }
        if (row < 0) {
            *status = jm_cli_usage_error (spec, "unknown option '%s'", s_quote (arg, quoted, sizeof quoted));
            return JM_CLI_EXIT;
        }
        const jm_cli_option_t *option = &table [row];
        const char *option_value = NULL;
        if (option->metavar) {
            if (equals)
                option_value = equals + 1;
            else
            if (args->index + 1 < args->argc)
                option_value = args->argv [++args->index];
            else {
                *status = jm_cli_usage_error (spec, "--%s needs a value (%s)", option->name, option->metavar);
                return JM_CLI_EXIT;
            }
        }
        else
        if (equals) {
            *status = jm_cli_usage_error (spec, "--%s takes no value", option->name);
            return JM_CLI_EXIT;
        }
        if (table == spec->options) {
            *value = option_value;
            return row;
        }
        switch (row) {
            case s_GLOBAL_DATA:
                if (!*option_value) {
                    *status = jm_cli_usage_error (spec, "--data needs a folder");
                    return JM_CLI_EXIT;
                }
                cli->data_dir = option_value;
                break;
            case s_GLOBAL_VERBOSE:
                cli->verbose = true;
                break;
            case s_GLOBAL_LOG_FORMAT:
                if (jm_cli_log_format (option_value)) {
                    *status = jm_cli_usage_error (spec, "--log-format: expected text or json");
                    return JM_CLI_EXIT;
                }
                break;
            case s_GLOBAL_CURVE_SERVER:
                cli->curve_server = option_value;
                break;
            case s_GLOBAL_CURVE_CERT:
                cli->curve_cert = option_value;
                break;
            case s_GLOBAL_HELP:
                jm_cli_print_help (spec, stdout);
                return JM_CLI_EXIT;
        }
    }
    return JM_CLI_END;
}

int
jm_cli_log_format (const char *name)
{
    jm_log_format_t format;
    if (jm_log_format_parse (name, &format))
        return -1;
    jm_log_set_format (format);
    return 0;
}

int
jm_cli_int_option (const jm_cli_spec_t *spec, const char *name, const char *value, int low, int high,
                   int *out)
{
    char *end = NULL;
    errno = 0;
    long number = strtol (value, &end, 10);
    if (errno || !end || *end || end == value || number < low || number > high)
        return jm_cli_usage_error (spec, "--%s must be a whole number from %d to %d (got '%.40s')", name,
                                   low, high, value);
    *out = (int) number;
    return 0;
}

int
jm_cli_detail_option (const jm_cli_spec_t *spec, const char *value, jm_detail_t *out)
{
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_detail_parse ("string", value, strlen (value), JM_DETAIL_DEFAULT, out, &err))
        return jm_cli_usage_error (spec, "--%s", err.message);
    return 0;
}

int
jm_cli_jobs_distinct (const jm_cli_spec_t *spec, const char *const *jobs, int count)
{
    for (int j = 0; j < count; j++)
        for (int k = 0; k < j; k++)
            if (strcmp (jobs [j], jobs [k]) == 0)
                return jm_cli_usage_error (spec, "job '%s' is given twice", jobs [j]);
    return 0;
}
