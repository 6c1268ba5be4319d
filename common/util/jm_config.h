/*  jm_config: one table of settings drives every way a service is configured.

    Each service describes its settings in a table of jm_config_option_t (name,
    type, default, bounds, one-line description), ending with a { NULL } row.
    From that table alone jm_config reads, in order of precedence:

        1. the command line    --name value, --name=value, --flag, --no-flag;
                               a list setting given again adds to its list
                               (--job A --job B is "A,B"), others keep the last
        2. the environment     JOBMATCH_<NAME>  (upper case, '-' becomes '_'),
                               or the row's env name when it has one
        3. a config file       --config FILE or JOBMATCH_CONFIG; "name = value"
                               lines, '#' starts a comment, values may be quoted
        4. the table default

    and generates --help from it.  --version prints the program and JM_VERSION.
    Every value is checked (type and bounds) whichever source it came from,
    even when a higher source overrides it: a bad value is a mistake worth
    hearing about.  Errors name the option and where the value came from
    ("--heartbeat-ms: '0' is below the minimum 10", "gateway.conf:3: ...").

    No program takes arguments that are not options: one is an error
    ("unexpected argument"), not ignored.

    Usage in a main:

        static const jm_config_option_t s_options [] = {
            { "heartbeat-ms", JM_CONFIG_INT, "1000", 10, 60000,
              "heartbeat interval between gateway and workers, in ms" },
            { "verbose", JM_CONFIG_BOOL, "false", 0, 0, "log every request" },
            { NULL }
        };
        int exit_code;
        jm_config_t *config = jm_config_from_main ("jobmatch-gateway",
            "Routes requests to workers.", s_options, argc, argv, &exit_code);
        if (!config)
            return exit_code;       //  0 after --help/--version, 2 on bad values

    Accessors assert that the name exists with that type: asking for a
    setting the table does not define is a programming error.             */
#ifndef JM_CONFIG_H
#define JM_CONFIG_H

#include "jm_error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    JM_CONFIG_INT,          //  64-bit signed decimal
    JM_CONFIG_STRING,       //  any text
    JM_CONFIG_BOOL,         //  true/false, yes/no, on/off, 1/0
    JM_CONFIG_DOUBLE        //  decimal or exponent notation
} jm_config_type_t;

//  One row of a settings table.  Bounds apply to INT and DOUBLE settings
//  when min < max; use 0, 0 for "no bounds" and for other types.
typedef struct {
    const char *name;               //  "heartbeat-ms": lower case, digits, '-'
    jm_config_type_t type;
    const char *default_value;      //  as text, parsed like any other source
    double min;
    double max;
    const char *description;        //  one line for --help
    const char *env;                //  the variable when not JOBMATCH_<NAME>; NULL mostly
    bool list;                      //  STRING only: items separated by commas, none
                                    //  empty; each --name on the command line adds one
} jm_config_option_t;

//  Where a setting's current value came from, lowest precedence first.
typedef enum {
    JM_CONFIG_FROM_DEFAULT = 0,
    JM_CONFIG_FROM_FILE,
    JM_CONFIG_FROM_ENV,
    JM_CONFIG_FROM_ARGS
} jm_config_source_t;

typedef struct _jm_config_t jm_config_t;

//  Returned by jm_config_load when it printed --help or --version.
#define JM_CONFIG_DONE 1

//  Creates a configuration holding the table's defaults.  program names the
//  program in --help, --version and errors; synopsis is the text printed
//  under the usage line (may be NULL).  The table and both strings are
//  borrowed and must outlive the configuration (static tables do).  Asserts
//  that the table is well formed, including that each default parses.
jm_config_t *
    jm_config_new (const char *program, const char *synopsis,
                   const jm_config_option_t *options);

//  Destroys the configuration and every string it holds; accepts NULL and
//  nulls the caller's pointer.
void
    jm_config_destroy (jm_config_t **self_p);

//  Reads the command line (argv [0] is skipped), the environment and the
//  config file, applying precedence.  Returns 0 when the program should run,
//  JM_CONFIG_DONE after printing --help or --version to stdout, or -1 with
//  err filled (code invalid_data for a bad option or value, io_error for an
//  unreadable config file).  Call once.
int
    jm_config_load (jm_config_t *self, int argc, char **argv, jm_error_t *err);

//  What most mains want: new + load.  Returns the configuration, or NULL with
//  *exit_code set to 0 (help or version was printed) or 2 (an error was
//  printed to stderr with a hint to try --help).
jm_config_t *
    jm_config_from_main (const char *program, const char *synopsis,
                         const jm_config_option_t *options, int argc, char **argv,
                         int *exit_code);

//  Sets one setting from text as if given on the command line (for tests and
//  for programs that compute a setting).  Returns 0, or -1 with err filled
//  when the name is unknown or the value is bad.
int
    jm_config_set (jm_config_t *self, const char *name, const char *value,
                   jm_error_t *err);

//  Typed getters; strings are borrowed and stay valid until the next set or
//  destroy.  Assert that the setting exists with that type.
int64_t
    jm_config_int (jm_config_t *self, const char *name);
const char *
    jm_config_string (jm_config_t *self, const char *name);
bool
    jm_config_bool (jm_config_t *self, const char *name);
double
    jm_config_double (jm_config_t *self, const char *name);

//  Where the setting's value came from.
jm_config_source_t
    jm_config_source (jm_config_t *self, const char *name);

//  Reads only the environment (no command line, no config file): for a
//  program, such as the CLI, that parses its own command line and applies it
//  with jm_config_set.  Returns 0, or -1 with err filled.
int
    jm_config_load_env (jm_config_t *self, jm_error_t *err);

//  Writes the generated --help text.
void
    jm_config_print_help (jm_config_t *self, FILE *file);

//  Writes the --help rows of the settings alone: name, description, default,
//  bounds and variable.
void
    jm_config_print_settings (jm_config_t *self, FILE *file);

//  Writes every setting as "name = value   # source" lines, a valid config
//  file; a URL's password is written as ***.
void
    jm_config_print (jm_config_t *self, FILE *file);

//  Writes the variable of a table row into buffer: its env field, else
//  JOBMATCH_<NAME> ("heartbeat-ms" -> "JOBMATCH_HEARTBEAT_MS").  Returns
//  buffer.
char *
    jm_config_option_env (const jm_config_option_t *option, char *buffer, size_t size);

#endif
