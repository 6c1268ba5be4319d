/*  jobmatch CLI: option parsing and --help, driven by each command's tables.

    The look follows jm_config (the services' settings): "--name VALUE" or
    "--name=VALUE", rows of 26 columns in --help, and errors that end with a
    hint to try --help.  jm_config itself reads one flat table and keeps the
    last of repeated options; a command line with subcommands and repeated
    options (--job A --job B) needs this small parser instead.  Every valued
    setting is a row of a jm_config_option_t table, as the services' are: a
    command's own (--gateway, --timeout-ms, --batch...) and the global ones
    every command takes (--data, --verbose, --log-format, --curve-*).
    jm_config reads their variables, checks their types and bounds, and
    writes their --help rows; the README's configuration table is checked
    against those rows (tests/integration/test_readme_settings.py).        */
#include "cli.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define JM_CLI_HELP_WIDTH 26

//  The global settings: every command accepts them, read as the services
//  read theirs (jm_config: the command line, else the variable, else the
//  default).  The services have settings of the same names and variables.
static const jm_config_option_t s_global_settings [] = {
    { "data", JM_CONFIG_STRING, "", 0, 0,
      "the data folder: taxonomy.json and jobs/ (empty: the installed data, else the source tree's)",
      "JOBMATCH_DATA_DIR" },
    { "verbose", JM_CONFIG_BOOL, "false", 0, 0, "log what is loaded and each request on stderr" },
    { "log-format", JM_CONFIG_STRING, "text", 0, 0,
      "log records as text lines or as one JSON object a line (text, json)" },
    { "curve-server", JM_CONFIG_STRING, "", 0, 0,
      "CURVE: the gateway's public certificate (with --curve-cert; empty: plaintext)" },
    { "curve-cert", JM_CONFIG_STRING, "", 0, 0, "CURVE: our own secret certificate" },
    { NULL }
};

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
    fprintf (file, "\nGlobal settings (the command line, else the variable, else the default):\n");
    jm_config_t *global = jm_config_new (JM_CLI_PROGRAM, NULL, s_global_settings);
    jm_config_print_settings (global, file);
    jm_config_destroy (&global);
    s_print_row (file, "-h, --help", "print this help and exit");
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

//  Finds --name (or --no-name of a boolean, *negated set) in a settings
//  table.
static const jm_config_option_t *
s_find_setting (const jm_config_option_t *settings, const char *name, size_t name_len,
                bool *negated)
{
    *negated = false;
    for (int i = 0; settings && settings [i].name; i++)
        if (strlen (settings [i].name) == name_len && memcmp (settings [i].name, name, name_len) == 0)
            return &settings [i];
    if (name_len > 3 && memcmp (name, "no-", 3) == 0)
        for (int i = 0; settings && settings [i].name; i++)
            if (settings [i].type == JM_CONFIG_BOOL && strlen (settings [i].name) == name_len - 3
            &&  memcmp (settings [i].name, name + 3, name_len - 3) == 0) {
                *negated = true;
                return &settings [i];
            }
    return NULL;
}

//  Checks what the table's types cannot say: --log-format is text or json
//  (and applies it), --data on the command line is not empty.  Returns
//  NULL, or the name of the setting at fault with why filled.
static const char *
s_global_check (jm_cli_t *cli, char *why, size_t size)
{
    const char *format = jm_config_string (cli->global, "log-format");
    jm_log_format_t parsed;
    if (jm_log_format_parse (format, &parsed)) {
        char quoted [72];
        snprintf (why, size, "'%s' is not a log format (text, json)", s_quote (format, quoted, sizeof quoted));
        return "log-format";
    }
    jm_log_set_format (parsed);
    if (jm_config_source (cli->global, "data") == JM_CONFIG_FROM_ARGS && !*jm_config_string (cli->global, "data")) {
        snprintf (why, size, "needs a folder");
        return "data";
    }
    return NULL;
}

//  Reads table's variables into *config_p (replacing what it held).
//  Returns 0, or JM_CLI_FATAL after printing the error with the option the
//  variable stands for: "JOBMATCH_BATCH: 'zero' is not an integer (the
//  variable of --batch)".
static int
s_settings_load (jm_config_t **config_p, const jm_config_option_t *table, const jm_cli_spec_t *spec)
{
    jm_config_destroy (config_p);
    *config_p = jm_config_new (JM_CLI_PROGRAM, NULL, table);
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_config_load_env (*config_p, &err) == 0)
        return 0;
    for (const jm_config_option_t *setting = table; setting->name; setting++) {
        char variable [80];
        jm_config_option_env (setting, variable, sizeof variable);
        size_t length = strlen (variable);
        if (strncmp (err.message, variable, length) == 0 && err.message [length] == ':')
            return jm_cli_usage_error (spec, "%s (the variable of --%s)", err.message, setting->name);
    }
    return jm_cli_usage_error (spec, "%s", err.message);
}

int
jm_cli_global_load (jm_cli_t *cli)
{
    static const jm_cli_spec_t program = { NULL, "", NULL, NULL, NULL, NULL };
    if (s_settings_load (&cli->global, s_global_settings, &program))
        return JM_CLI_FATAL;
    char why [160];
    const char *name = s_global_check (cli, why, sizeof why);
    if (name) {
        bool negated;
        char variable [80];
        jm_config_option_env (s_find_setting (s_global_settings, name, strlen (name), &negated),
                              variable, sizeof variable);
        return jm_cli_usage_error (&program, "%s: %s (the variable of --%s)", variable, why, name);
    }
    return 0;
}

//  Applies --name VALUE (or --no-name) of a setting to config (cli->settings
//  or cli->global).  Returns 0, or JM_CLI_FATAL after a usage error.
static int
s_apply_setting (jm_cli_t *cli, const jm_cli_spec_t *spec, jm_config_t *config,
                 const jm_config_option_t *setting, const char *value)
{
    //  "--gateway ''": a setting with a default has no empty value
    if (setting->type == JM_CONFIG_STRING && !*value && *setting->default_value)
        return jm_cli_usage_error (spec, "--%s needs a value (default %s)", setting->name,
                                   setting->default_value);
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_config_set (config, setting->name, value, &err))
        return jm_cli_usage_error (spec, "%s", err.message);
    char why [160];
    const char *name = config == cli->global ? s_global_check (cli, why, sizeof why) : NULL;
    if (name)
        return jm_cli_usage_error (spec, "--%s: %s", name, why);
    return 0;
}

int
jm_cli_getopt (jm_cli_t *cli, const jm_cli_spec_t *spec, jm_cli_args_t *args,
               const char **value, int *status)
{
    *value = NULL;
    *status = JM_CLI_OK;
    if (spec->settings && cli->settings_table != spec->settings) {
        cli->settings_table = spec->settings;
        if ((*status = s_settings_load (&cli->settings, spec->settings, spec)))
            return JM_CLI_EXIT;
    }
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
        if (name_len == 4 && memcmp (name, "help", 4) == 0 && !equals) {
            jm_cli_print_help (spec, stdout);
            return JM_CLI_EXIT;
        }
        int row = s_find (spec->options, name, name_len);
        if (row >= 0) {
            const jm_cli_option_t *option = &spec->options [row];
            if (option->metavar) {
                if (equals)
                    *value = equals + 1;
                else
                if (args->index + 1 < args->argc)
                    *value = args->argv [++args->index];
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
            return row;
        }
        //  a setting of the command, else a global one
        bool negated;
        jm_config_t *config = cli->settings;
        const jm_config_option_t *setting = s_find_setting (spec->settings, name, name_len, &negated);
        if (!setting) {
            config = cli->global;
            setting = s_find_setting (s_global_settings, name, name_len, &negated);
        }
        if (!setting || !config) {
            *status = jm_cli_usage_error (spec, "unknown option '%s'", s_quote (arg, quoted, sizeof quoted));
            return JM_CLI_EXIT;
        }
        const char *setting_value = equals ? equals + 1
                                  : setting->type == JM_CONFIG_BOOL ? (negated ? "false" : "true")
                                  : args->index + 1 < args->argc ? args->argv [++args->index] : NULL;
        if (negated && equals) {
            *status = jm_cli_usage_error (spec, "--no-%s takes no value", setting->name);
            return JM_CLI_EXIT;
        }
        if (!setting_value) {
            *status = jm_cli_usage_error (spec, "--%s needs a value", setting->name);
            return JM_CLI_EXIT;
        }
        if ((*status = s_apply_setting (cli, spec, config, setting, setting_value)))
            return JM_CLI_EXIT;
    }
    return JM_CLI_END;
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

char *
jm_cli_list (jm_cli_t *cli, const jm_cli_spec_t *spec, const char *name, const char **items, int max,
             int *count)
{
    assert (cli->settings);
    *count = 0;
    //  jm_config checked the list: no empty item
    char *copy = jm_strdup (jm_config_string (cli->settings, name));
    for (char *save = NULL, *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        item += strspn (item, " \t");
        size_t length = strlen (item);
        while (length && (item [length - 1] == ' ' || item [length - 1] == '\t'))
            item [--length] = 0;
        if (*count == max) {
            char variable [80] = "";
            for (const jm_config_option_t *setting = spec->settings; setting && setting->name; setting++)
                if (strcmp (setting->name, name) == 0)
                    jm_config_option_env (setting, variable, sizeof variable);
            bool from_env = jm_config_source (cli->settings, name) == JM_CONFIG_FROM_ENV;
            jm_cli_usage_error (spec, "%s%s names more than %d items", from_env ? variable : "--",
                                from_env ? "" : name, max);
            free (copy);
            return NULL;
        }
        items [(*count)++] = item;
    }
    return copy;
}
