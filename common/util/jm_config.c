/*  jm_config: settings from the command line, the environment, a config file
    and defaults, all driven by one table.  See jm_config.h.

    Each setting keeps its current value and the source it came from; a new
    value replaces it only when its source has at least the same precedence,
    so the sources can be read in any order.                                */
#include "jm_config.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef JM_VERSION
#   define JM_VERSION "unknown"
#endif

#define JM_CONFIG_NAME_MAX  64      //  longest setting name
#define JM_CONFIG_QUOTE_MAX 60      //  longest value echoed in an error

typedef struct {
    const jm_config_option_t *option;
    jm_config_source_t source;
    int64_t integer;
    double real;
    bool flag;
    char *string;                   //  owned; STRING settings only
} s_setting_t;

struct _jm_config_t {
    const char *program;
    const char *synopsis;
    s_setting_t *settings;
    size_t count;
    bool loaded;
};


//  --------------------------------------------------------------------------
//  Parsing one value.  Each parser returns 0, or -1 with a reason in why that
//  the caller prefixes with the place the value came from.

//  Copies text into out for an error message, shortened and with control
//  characters shown as '?', so a hostile value cannot garble a log line.
static const char *
s_quote (const char *text, char *out, size_t size)
{
    size_t length = 0;
    for (; text [length] && length + 4 < size && length < JM_CONFIG_QUOTE_MAX; length++)
        out [length] = isprint ((unsigned char) text [length])? text [length]: '?';
    if (text [length])
        out [length++] = '.', out [length++] = '.', out [length++] = '.';
    out [length] = 0;
    return out;
}

static int
s_parse_int (const char *text, int64_t *value, char *why, size_t why_size)
{
    char quoted [JM_CONFIG_QUOTE_MAX + 8];
    errno = 0;
    char *end = NULL;
    long long parsed = strtoll (text, &end, 10);
    if (end == text || *end || isspace ((unsigned char) *text)) {
        snprintf (why, why_size, "'%s' is not an integer", s_quote (text, quoted, sizeof quoted));
        return -1;
    }
    if (errno == ERANGE) {
        snprintf (why, why_size, "'%s' is out of range", s_quote (text, quoted, sizeof quoted));
        return -1;
    }
    *value = parsed;
    return 0;
}

static int
s_parse_double (const char *text, double *value, char *why, size_t why_size)
{
    char quoted [JM_CONFIG_QUOTE_MAX + 8];
    errno = 0;
    char *end = NULL;
    double parsed = strtod (text, &end);
    if (end == text || *end || isspace ((unsigned char) *text) || !isfinite (parsed)) {
        snprintf (why, why_size, "'%s' is not a number", s_quote (text, quoted, sizeof quoted));
        return -1;
    }
    *value = parsed;
    return 0;
}

static int
s_parse_bool (const char *text, bool *value, char *why, size_t why_size)
{
    static const char *truths [] = { "true", "yes", "on", "1" };
    static const char *lies [] = { "false", "no", "off", "0" };
    for (size_t index = 0; index < 4; index++) {
        if (strcasecmp (text, truths [index]) == 0) {
            *value = true;
            return 0;
        }
        if (strcasecmp (text, lies [index]) == 0) {
            *value = false;
            return 0;
        }
    }
    char quoted [JM_CONFIG_QUOTE_MAX + 8];
    snprintf (why, why_size, "'%s' is not a boolean (use true/false, yes/no, on/off, 1/0)",
              s_quote (text, quoted, sizeof quoted));
    return -1;
}

static bool
s_has_bounds (const jm_config_option_t *option)
{
    return option->min < option->max;
}

//  Parses text for the setting and checks its bounds; stores nothing.
//  A list's items are separated by commas; an empty item (",," or a comma
//  at either end) is a mistake.  An empty text is an empty list.
static int
s_parse_list (const char *text, char *why, size_t why_size)
{
    const char *item = text;
    while (*text) {
        const char *comma = strchr (item, ',');
        size_t length = comma ? (size_t) (comma - item) : strlen (item);
        size_t blank = strspn (item, " \t");
        if (blank >= length) {
            char quoted [JM_CONFIG_QUOTE_MAX + 8];
            snprintf (why, why_size, "'%s' has an empty item (items are separated by commas)",
                      s_quote (text, quoted, sizeof quoted));
            return -1;
        }
        if (!comma)
            break;
        item = comma + 1;
    }
    return 0;
}

static int
s_parse (const jm_config_option_t *option, const char *text, s_setting_t *out,
         char *why, size_t why_size)
{
    if (option->type == JM_CONFIG_STRING)
        return option->list ? s_parse_list (text, why, why_size) : 0;
    if (option->type == JM_CONFIG_BOOL)
        return s_parse_bool (text, &out->flag, why, why_size);

    double number;
    if (option->type == JM_CONFIG_INT) {
        if (s_parse_int (text, &out->integer, why, why_size))
            return -1;
        number = (double) out->integer;
    }
    else {
        if (s_parse_double (text, &out->real, why, why_size))
            return -1;
        number = out->real;
    }
    char quoted [JM_CONFIG_QUOTE_MAX + 8];
    if (s_has_bounds (option) && number < option->min) {
        snprintf (why, why_size, "'%s' is below the minimum %.15g",
                  s_quote (text, quoted, sizeof quoted), option->min);
        return -1;
    }
    if (s_has_bounds (option) && number > option->max) {
        snprintf (why, why_size, "'%s' is above the maximum %.15g",
                  s_quote (text, quoted, sizeof quoted), option->max);
        return -1;
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  Construction

jm_config_t *
jm_config_new (const char *program, const char *synopsis,
               const jm_config_option_t *options)
{
    assert (program);
    assert (options);
    jm_config_t *self = jm_calloc (1, sizeof *self);
    self->program = program;
    self->synopsis = synopsis;
    while (options [self->count].name)
        self->count++;
    self->settings = jm_calloc (self->count + 1, sizeof (s_setting_t));

    for (size_t index = 0; index < self->count; index++) {
        const jm_config_option_t *option = &options [index];
        s_setting_t *setting = &self->settings [index];
        assert (strlen (option->name) < JM_CONFIG_NAME_MAX);
        assert (!option->env || strlen (option->env) < JM_CONFIG_NAME_MAX);
        assert (strcmp (option->name, "config") && strcmp (option->name, "help")
             && strcmp (option->name, "version"));
        assert (option->default_value);
        assert (!option->list || option->type == JM_CONFIG_STRING);
        setting->option = option;
        setting->source = JM_CONFIG_FROM_DEFAULT;
        char why [256];
        int rc = s_parse (option, option->default_value, setting, why, sizeof why);
        assert (rc == 0);           //  a table whose defaults do not parse is a bug
        (void) rc;
        if (option->type == JM_CONFIG_STRING) {
            setting->string = jm_strdup (option->default_value);
        }
    }
    return self;
}

void
jm_config_destroy (jm_config_t **self_p)
{
    assert (self_p);
    jm_config_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++)
        free (self->settings [index].string);
    free (self->settings);
    free (self);
    *self_p = NULL;
}

static s_setting_t *
s_lookup (jm_config_t *self, const char *name)
{
    for (size_t index = 0; index < self->count; index++)
        if (strcmp (self->settings [index].option->name, name) == 0)
            return &self->settings [index];
    return NULL;
}

//  Parses and, when source has at least the precedence of the current value,
//  stores text as the setting's value.  where names the source in errors.
static int
s_apply (s_setting_t *setting, const char *text, jm_config_source_t source,
         const char *where, int line, jm_error_t *err)
{
    s_setting_t parsed = *setting;
    char why [256];
    if (s_parse (setting->option, text, &parsed, why, sizeof why))
        return jm_error_set_at (err, JM_ERR_INVALID_DATA, line, 0, "%s: %s", where, why);
    if (source < setting->source)
        return 0;
    if (setting->option->list && source == JM_CONFIG_FROM_ARGS && setting->source == source
    &&  *setting->string && *text) {
        //  --job A --job B: the command line's items, in order
        size_t length = strlen (setting->string);
        char *joined = jm_malloc (length + strlen (text) + 2);
        memcpy (joined, setting->string, length);
        joined [length] = ',';
        strcpy (joined + length + 1, text);
        free (setting->string);
        setting->string = joined;
    }
    else
    if (setting->option->type == JM_CONFIG_STRING) {
        char *copy = jm_strdup (text);
        free (setting->string);
        setting->string = copy;
    }
    else {
        setting->integer = parsed.integer;
        setting->real = parsed.real;
        setting->flag = parsed.flag;
    }
    setting->source = source;
    return 0;
}

int
jm_config_set (jm_config_t *self, const char *name, const char *value, jm_error_t *err)
{
    assert (self);
    assert (name);
    assert (value);
    s_setting_t *setting = s_lookup (self, name);
    if (!setting)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "unknown setting '%s'", name);
    char where [JM_CONFIG_NAME_MAX + 8];
    snprintf (where, sizeof where, "--%s", name);
    return s_apply (setting, value, JM_CONFIG_FROM_ARGS, where, 0, err);
}


//  --------------------------------------------------------------------------
//  The three sources

//  Writes the variable of a setting named name into buffer:
//  "heartbeat-ms" -> "JOBMATCH_HEARTBEAT_MS".  Returns buffer.
static char *
s_env_name (const char *name, char *buffer, size_t size)
{
    assert (buffer && size > 0);
    size_t length = (size_t) snprintf (buffer, size, "JOBMATCH_%s", name);
    if (length >= size)
        length = size - 1;
    for (size_t index = 0; index < length; index++)
        buffer [index] = buffer [index] == '-'?
                         '_': (char) toupper ((unsigned char) buffer [index]);
    return buffer;
}

char *
jm_config_option_env (const jm_config_option_t *option, char *buffer, size_t size)
{
    assert (option && buffer && size > 0);
    if (option->env) {
        snprintf (buffer, size, "%s", option->env);
        return buffer;
    }
    return s_env_name (option->name, buffer, size);
}

//  Reads each setting's variable; empty variables count as unset.
int
jm_config_load_env (jm_config_t *self, jm_error_t *err)
{
    assert (self);
    for (size_t index = 0; index < self->count; index++) {
        s_setting_t *setting = &self->settings [index];
        char variable [JM_CONFIG_NAME_MAX + 16];
        jm_config_option_env (setting->option, variable, sizeof variable);
        const char *value = getenv (variable);
        if (value && *value && s_apply (setting, value, JM_CONFIG_FROM_ENV, variable, 0, err))
            return -1;
    }
    return 0;
}

static char *
s_trim (char *text)
{
    while (isspace ((unsigned char) *text))
        text++;
    size_t length = strlen (text);
    while (length > 0 && isspace ((unsigned char) text [length - 1]))
        text [--length] = 0;
    return text;
}

//  Splits one config-file line into name and value.  Returns 1 for a
//  setting, 0 for a blank or comment line, -1 with why filled when the line
//  is not "name = value".
static int
s_split_line (char *line, char **name_p, char **value_p, char *why, size_t why_size)
{
    char *text = s_trim (line);
    if (*text == 0 || *text == '#')
        return 0;
    char *equals = strchr (text, '=');
    if (!equals) {
        snprintf (why, why_size, "expected 'name = value'");
        return -1;
    }
    *equals = 0;
    char *name = s_trim (text);
    char *value = s_trim (equals + 1);
    if (*value == '"') {
        char *close = strchr (value + 1, '"');
        if (!close) {
            snprintf (why, why_size, "%s: missing closing quote", name);
            return -1;
        }
        char *rest = s_trim (close + 1);
        if (*rest && *rest != '#') {
            snprintf (why, why_size, "%s: unexpected text after the closing quote", name);
            return -1;
        }
        *close = 0;
        value++;
    }
    else {
        char *hash = strchr (value, '#');
        if (hash) {
            *hash = 0;
            value = s_trim (value);
        }
    }
    *name_p = name;
    *value_p = value;
    return 1;
}

static int
s_load_file (jm_config_t *self, const char *path, jm_error_t *err)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return jm_error_set (err, JM_ERR_IO, "cannot read config file '%s': %s",
                             path, strerror (errno));
    char *line = NULL;
    size_t capacity = 0;
    int line_number = 0;
    int rc = 0;
    while (rc == 0 && getline (&line, &capacity, file) != -1) {
        line_number++;
        char *name, *value;
        char why [256];
        int kind = s_split_line (line, &name, &value, why, sizeof why);
        if (kind == 0)
            continue;
        if (kind < 0) {
            rc = jm_error_set_at (err, JM_ERR_INVALID_DATA, line_number, 0, "%s:%d: %s",
                                  path, line_number, why);
            break;
        }
        s_setting_t *setting = s_lookup (self, name);
        if (!setting) {
            char quoted [JM_CONFIG_QUOTE_MAX + 8];
            rc = jm_error_set_at (err, JM_ERR_INVALID_DATA, line_number, 0,
                                  "%s:%d: unknown setting '%s'", path, line_number,
                                  s_quote (name, quoted, sizeof quoted));
            break;
        }
        char where [1024];
        snprintf (where, sizeof where, "%s:%d: %s", path, line_number, name);
        rc = s_apply (setting, value, JM_CONFIG_FROM_FILE, where, line_number, err);
    }
    free (line);
    fclose (file);
    return rc;
}

//  Handles one "--name[=value]" argument at argv [*index], taking the next
//  argument as the value when needed.  Sets *config_path for --config.
static int
s_parse_option (jm_config_t *self, int argc, char **argv, int *index,
                const char **config_path, jm_error_t *err)
{
    const char *arg = argv [*index] + 2;
    const char *equals = strchr (arg, '=');
    char name [JM_CONFIG_NAME_MAX];
    size_t name_length = equals? (size_t) (equals - arg): strlen (arg);
    char quoted [JM_CONFIG_QUOTE_MAX + 8];
    if (name_length == 0 || name_length >= sizeof name)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "unknown option '%s'",
                             s_quote (argv [*index], quoted, sizeof quoted));
    memcpy (name, arg, name_length);
    name [name_length] = 0;
    const char *value = equals? equals + 1: NULL;

    s_setting_t *setting = s_lookup (self, name);
    bool negated = false;
    if (!setting && strncmp (name, "no-", 3) == 0 && !value) {
        setting = s_lookup (self, name + 3);
        negated = setting && setting->option->type == JM_CONFIG_BOOL;
        if (!negated)
            setting = NULL;
    }
    bool is_config = strcmp (name, "config") == 0;
    if (!setting && !is_config)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "unknown option '--%s'",
                             s_quote (name, quoted, sizeof quoted));
    if (!value && setting && setting->option->type == JM_CONFIG_BOOL)
        value = negated? "false": "true";
    if (!value) {
        if (*index + 1 >= argc)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "--%s needs a value", name);
        value = argv [++*index];
    }
    if (is_config) {
        *config_path = value;
        return 0;
    }
    char where [JM_CONFIG_NAME_MAX + 8];
    snprintf (where, sizeof where, "--%s", name);
    return s_apply (setting, value, JM_CONFIG_FROM_ARGS, where, 0, err);
}

static void
s_print_version (jm_config_t *self)
{
    printf ("%s %s\n", self->program, JM_VERSION);
}

int
jm_config_load (jm_config_t *self, int argc, char **argv, jm_error_t *err)
{
    assert (self);
    assert (!self->loaded);
    self->loaded = true;

    //  --help and --version win over everything else on the line
    for (int index = 1; index < argc && strcmp (argv [index], "--"); index++) {
        if (strcmp (argv [index], "--help") == 0 || strcmp (argv [index], "-h") == 0) {
            jm_config_print_help (self, stdout);
            return JM_CONFIG_DONE;
        }
        if (strcmp (argv [index], "--version") == 0 || strcmp (argv [index], "-V") == 0) {
            s_print_version (self);
            return JM_CONFIG_DONE;
        }
    }
    const char *config_path = NULL;
    bool options_ended = false;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        char quoted [JM_CONFIG_QUOTE_MAX + 8];
        if (options_ended || arg [0] != '-' || strcmp (arg, "-") == 0)
            //  no program takes one: a stray word is a mistake, not ignored
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "unexpected argument '%s' (settings are --name VALUE)",
                                 s_quote (arg, quoted, sizeof quoted));
        else
        if (strcmp (arg, "--") == 0)
            options_ended = true;
        else
        if (strncmp (arg, "--", 2) == 0) {
            if (s_parse_option (self, argc, argv, &index, &config_path, err))
                return -1;
        }
        else
            return jm_error_set (err, JM_ERR_INVALID_DATA, "unknown option '%s'",
                                 s_quote (arg, quoted, sizeof quoted));
    }
    if (jm_config_load_env (self, err))
        return -1;
    if (!config_path && getenv ("JOBMATCH_CONFIG") && *getenv ("JOBMATCH_CONFIG"))
        config_path = getenv ("JOBMATCH_CONFIG");
    if (config_path && s_load_file (self, config_path, err))
        return -1;
    return 0;
}

jm_config_t *
jm_config_from_main (const char *program, const char *synopsis,
                     const jm_config_option_t *options, int argc, char **argv,
                     int *exit_code)
{
    assert (exit_code);
    jm_config_t *self = jm_config_new (program, synopsis, options);
    jm_error_t err;
    jm_error_clear (&err);
    int rc = jm_config_load (self, argc, argv, &err);
    if (rc == 0) {
        *exit_code = 0;
        return self;
    }
    if (rc == JM_CONFIG_DONE)
        *exit_code = 0;
    else {
        fprintf (stderr, "%s: %s\nTry '%s --help' for the list of options.\n",
                 program, err.message, program);
        *exit_code = 2;
    }
    jm_config_destroy (&self);
    return NULL;
}


//  --------------------------------------------------------------------------
//  Getters

static s_setting_t *
s_require (jm_config_t *self, const char *name, jm_config_type_t type)
{
    assert (self);
    assert (name);
    s_setting_t *setting = s_lookup (self, name);
    assert (setting);                       //  the table has no such setting
    assert (setting->option->type == type); //  asked with the wrong type
    return setting;
}

int64_t
jm_config_int (jm_config_t *self, const char *name)
{
    return s_require (self, name, JM_CONFIG_INT)->integer;
}

const char *
jm_config_string (jm_config_t *self, const char *name)
{
    return s_require (self, name, JM_CONFIG_STRING)->string;
}

bool
jm_config_bool (jm_config_t *self, const char *name)
{
    return s_require (self, name, JM_CONFIG_BOOL)->flag;
}

double
jm_config_double (jm_config_t *self, const char *name)
{
    return s_require (self, name, JM_CONFIG_DOUBLE)->real;
}

jm_config_source_t
jm_config_source (jm_config_t *self, const char *name)
{
    assert (self);
    s_setting_t *setting = s_lookup (self, name);
    assert (setting);
    return setting->source;
}

//  --------------------------------------------------------------------------
//  Help and dumps

static const char *
s_metavar (const jm_config_option_t *option)
{
    if (option->list)
        return " LIST";
    switch (option->type) {
        case JM_CONFIG_INT:    return " N";
        case JM_CONFIG_DOUBLE: return " X";
        case JM_CONFIG_STRING: return " TEXT";
        case JM_CONFIG_BOOL:   return "";
    }
    return "";
}

static void
s_print_help_row (FILE *file, const char *left, int width, const char *right)
{
    int length = (int) strlen (left);
    if (length + 2 > width)
        fprintf (file, "  %s\n  %*s%s\n", left, width, "", right);
    else
        fprintf (file, "  %-*s%s\n", width, left, right);
}

void
jm_config_print_settings (jm_config_t *self, FILE *file)
{
    assert (self);
    assert (file);
    const int width = 26;
    for (size_t index = 0; index < self->count; index++) {
        const jm_config_option_t *option = self->settings [index].option;
        char left [JM_CONFIG_NAME_MAX * 2 + 16];
        if (option->type == JM_CONFIG_BOOL)
            snprintf (left, sizeof left, "--%s, --no-%s", option->name, option->name);
        else
            snprintf (left, sizeof left, "--%s%s", option->name, s_metavar (option));
        s_print_help_row (file, left, width, option->description? option->description: "");

        char details [512];
        char variable [JM_CONFIG_NAME_MAX + 16];
        int length = snprintf (details, sizeof details, "(default %s%s%s",
                               option->type == JM_CONFIG_STRING? "\"": "",
                               option->default_value,
                               option->type == JM_CONFIG_STRING? "\"": "");
        if (s_has_bounds (option) && length > 0 && (size_t) length < sizeof details)
            length += snprintf (details + length, sizeof details - (size_t) length,
                                ", %.15g..%.15g", option->min, option->max);
        if (option->list && length > 0 && (size_t) length < sizeof details)
            length += snprintf (details + length, sizeof details - (size_t) length,
                                ", comma-separated or repeated");
        if (length > 0 && (size_t) length < sizeof details)
            snprintf (details + length, sizeof details - (size_t) length, ", env %s)",
                      jm_config_option_env (option, variable, sizeof variable));
        s_print_help_row (file, "", width, details);
    }
}

void
jm_config_print_help (jm_config_t *self, FILE *file)
{
    assert (self);
    assert (file);
    const int width = 26;
    fprintf (file, "Usage: %s [OPTIONS]\n", self->program);
    if (self->synopsis)
        fprintf (file, "%s\n", self->synopsis);
    fprintf (file, "\nOptions:\n");
    jm_config_print_settings (self, file);
    s_print_help_row (file, "--config FILE", width,
                      "read \"name = value\" lines from FILE (env JOBMATCH_CONFIG)");
    s_print_help_row (file, "-h, --help", width, "print this help and exit");
    s_print_help_row (file, "-V, --version", width, "print the version and exit");
    fprintf (file, "\nA setting comes from the command line, else its JOBMATCH_* variable,\n"
                   "else the config file, else its default.\n");
}

void
jm_config_print (jm_config_t *self, FILE *file)
{
    assert (self);
    assert (file);
    static const char *sources [] = { "default", "file", "environment", "command line" };
    for (size_t index = 0; index < self->count; index++) {
        s_setting_t *setting = &self->settings [index];
        const char *name = setting->option->name;
        switch (setting->option->type) {
            case JM_CONFIG_INT:
                fprintf (file, "%s = %lld", name, (long long) setting->integer);
                break;
            case JM_CONFIG_DOUBLE:
                fprintf (file, "%s = %.17g", name, setting->real);
                break;
            case JM_CONFIG_BOOL:
                fprintf (file, "%s = %s", name, setting->flag? "true": "false");
                break;
            case JM_CONFIG_STRING: {
                //  "***" may be longer than the password it replaces
                size_t size = strlen (setting->string) + 4;
                char *shown = jm_malloc (size);
                fprintf (file, "%s = \"%s\"", name,
                         jm_log_redact_url (setting->string, shown, size));
                free (shown);
                break;
            }
        }
        fprintf (file, "   # %s\n", sources [setting->source]);
    }
}
