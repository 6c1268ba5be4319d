/*  jobmatch CLI: what the command files share.

    main.c holds the command table and only dispatches (cli.c holds what
    the commands share, args.c the settings and options); each command
    group lives in its own file (cmd_score.c, cmd_skills.c, cmd_jobs.c) and
    exports one handler, int jm_cli_cmd_<group> (jm_cli_t *, argc, argv),
    that parses its own options with jm_cli_getopt and returns the exit
    status.  Adding a command group is one new file plus one row in main.c.

    Exit status, for every command: 0 all good; 1 some input item was bad
    (the others were still processed); 2 usage, I/O or data errors.

    Shared helpers: the engine, job lookup and output (cli.c), the option
    parser and help printer (args.c), the candidate reader (input.c) and
    the text tables (table.c).  They never call a command: the calls go
    one way, main.c -> cmd_*.c -> helpers (tests/integration/test_layers.py). */
#ifndef JM_CLI_H
#define JM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include "jm_buf.h"
#include "jm_config.h"
#include "jm_detail.h"
#include "jm_engine.h"
#include "jm_error.h"

#define JM_CLI_PROGRAM  "jobmatch"

#define JM_CLI_OK       0       //  exit: all good
#define JM_CLI_BAD_ITEM 1       //  exit: some input item was bad
#define JM_CLI_FATAL    2       //  exit: usage, I/O or data error

//  ---------------------------------------------------------------------------
//  The run: global settings and the engine, loaded on first use so that
//  --help works without data.

typedef struct {
    jm_config_t *global;        //  the global settings (jm_cli_global_load)
    jm_config_t *settings;      //  the command's settings (jm_cli_getopt), or NULL
    const jm_config_option_t *settings_table;   //  the table settings was read from
    jm_engine_t *engine;        //  NULL until jm_cli_engine
} jm_cli_t;

//  Reads the global settings (--data, --verbose, --log-format, --curve-*)
//  from the environment into cli->global; the command line then overrides
//  them through jm_cli_getopt.  Returns 0, or JM_CLI_FATAL after printing an
//  error naming the variable, its option and the value.  main destroys
//  cli->global.
int jm_cli_global_load (jm_cli_t *cli);

//  The global settings' current values (cli.c; borrowed; NULL for --data and the
//  CURVE files when not set).
const char *jm_cli_data_dir (const jm_cli_t *cli);
bool jm_cli_verbose (const jm_cli_t *cli);
const char *jm_cli_curve_server (const jm_cli_t *cli);
const char *jm_cli_curve_cert (const jm_cli_t *cli);

//  Returns the engine, loading it on the first call; NULL after printing
//  the reason on stderr (the caller exits JM_CLI_FATAL).
jm_engine_t *jm_cli_engine (jm_cli_t *cli);

//  Resolves --job ARG: a registered job id, else a job file (a path with
//  '/', a name ending in .json, or an existing file).  Sets *owned_p to the
//  loaded file's job, which the caller destroys, or NULL for a registered
//  one.  Returns the job (borrowed or *owned_p), or NULL after printing the
//  reason (for an unknown id, the list of known jobs) on stderr.
jm_job_t *jm_cli_job (jm_cli_t *cli, const char *arg, jm_job_t **owned_p);

//  Prints "jobmatch: <message>" on stderr.
void jm_cli_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

//  Writes the buffer to stdout.  Returns 0, or -1 after printing why.
int jm_cli_write (const jm_buf_t *buf);

//  Flushes stdout.  Returns 0, or -1 after printing why (EPIPE, disk full).
int jm_cli_flush (void);

//  Command handlers, one per group.  argv [0] is the command name.
int jm_cli_cmd_score (jm_cli_t *cli, int argc, char **argv);
int jm_cli_cmd_skills (jm_cli_t *cli, int argc, char **argv);
int jm_cli_cmd_jobs (jm_cli_t *cli, int argc, char **argv);
int jm_cli_cmd_submit (jm_cli_t *cli, int argc, char **argv);    //  through the gateway
int jm_cli_cmd_batch (jm_cli_t *cli, int argc, char **argv);     //  files of any size, resumable
int jm_cli_cmd_results (jm_cli_t *cli, int argc, char **argv);   //  cmd_results.c
int jm_cli_cmd_rank (jm_cli_t *cli, int argc, char **argv);      //  cmd_results.c
int jm_cli_cmd_best (jm_cli_t *cli, int argc, char **argv);      //  cmd_results.c
int jm_cli_cmd_keys (jm_cli_t *cli, int argc, char **argv);      //  CURVE certificates
int jm_cli_cmd_status (jm_cli_t *cli, int argc, char **argv);    //  the gateway's workers and queues

//  ---------------------------------------------------------------------------
//  Options (args.c).  A command describes its options in a table ending
//  with a { NULL } row; the same table drives parsing and --help.  Valued
//  settings (--gateway, --batch...) are rows of a jm_config table, as the
//  services' are; the global settings (--data, --verbose, --log-format,
//  --curve-server, --curve-cert) and --help are accepted by every command.

typedef struct {
    const char *name;           //  "job" for --job
    const char *metavar;        //  "ID|FILE"; NULL for a flag
    const char *description;    //  one line for --help
} jm_cli_option_t;

typedef struct {
    const char *command;        //  "score", "skills normalize"; NULL for the program
    const char *usage;          //  what follows the command: "[OPTIONS] [FILE|-]"
    const char *summary;        //  a paragraph under the usage line
    const jm_cli_option_t *options;     //  may be NULL
    const char *details;        //  text after the options (commands, examples), or NULL
    const jm_config_option_t *settings; //  valued options read as the services read
                                        //  theirs (jm_config): --name, else the
                                        //  variable, else the default; may be NULL
} jm_cli_spec_t;

#define JM_CLI_ARG   (-1)       //  jm_cli_getopt: a positional argument in *value
#define JM_CLI_END   (-2)       //  no more arguments
#define JM_CLI_EXIT  (-3)       //  help printed or usage error: return *status

//  The arguments being read: argv [1..argc), argv [0] names the command.
typedef struct {
    int argc;
    char **argv;
    int index;                  //  last argument read
    bool ended;                 //  "--" seen: the rest is positional
} jm_cli_args_t;

#define JM_CLI_ARGS(argc, argv) { (argc), (argv), 0, false }

//  Reads the next argument.  Returns the option's row in spec->options (its
//  value in *value, NULL for a flag), JM_CLI_ARG with the argument in
//  *value, JM_CLI_END, or JM_CLI_EXIT with *status set to 0 after --help or
//  2 after a usage error (already printed).  Settings (spec->settings, into
//  cli->settings, read from the environment on the first call) and global
//  settings (into cli->global) are applied and skipped.  After "--"
//  everything is positional; "-" always is.
int jm_cli_getopt (jm_cli_t *cli, const jm_cli_spec_t *spec, jm_cli_args_t *args,
                   const char **value, int *status);


//  Prints the help of a command built from its spec.
void jm_cli_print_help (const jm_cli_spec_t *spec, FILE *file);

//  Prints "jobmatch CMD: message" and the --help hint on stderr; returns 2.
int jm_cli_usage_error (const jm_cli_spec_t *spec, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Parses value, given for --name or its environment variable, as a whole
//  number in [low, high] into *out.  Returns 0, or JM_CLI_FATAL after
//  printing a usage error for spec.
int jm_cli_int_option (const jm_cli_spec_t *spec, const char *name, const char *value, int low, int high,
                       int *out);

//  Reads value, given for --detail, as a reply detail ("score", "summary"
//  or "full") into *out.  Returns 0, or JM_CLI_FATAL after printing a
//  usage error for spec.
int jm_cli_detail_option (const jm_cli_spec_t *spec, const char *value, jm_detail_t *out);

//  Splits the list setting name of the command (cli->settings, read by
//  jm_cli_getopt) into at most max items: the command line's values in
//  order (--job A --job B,C), else the variable's, else the default; spaces
//  around an item are trimmed.  Returns a copy the items point into (the
//  caller frees it), or NULL after a usage error for spec naming --name or
//  the variable, when there are more than max.
char *jm_cli_list (jm_cli_t *cli, const jm_cli_spec_t *spec, const char *name, const char **items, int max,
                   int *count);

//  The setting --job (JOBMATCH_JOB) of the commands that score: a list of
//  jobs, JM_DEFAULT_JOB when none is given; read with jm_cli_list.
#define JM_CLI_JOB_SETTING(description) \
    { "job", JM_CONFIG_STRING, JM_DEFAULT_JOB, 0, 0, description, NULL, true }

//  Checks that no job id is given twice among jobs [0, count).  Returns 0,
//  or JM_CLI_FATAL after printing a usage error for spec naming the first.
int jm_cli_jobs_distinct (const jm_cli_spec_t *spec, const char *const *jobs, int count);

//  ---------------------------------------------------------------------------
//  Input (input.c).  Reads a whole file or stdin into memory.

typedef struct {
    char *data;                 //  NUL-terminated, owned
    size_t len;
    const char *name;           //  the path, or "<stdin>" (borrowed)
} jm_cli_input_t;

//  Reads path ("-" or NULL: stdin) into *input.  Returns 0, or -1 after
//  printing the reason on stderr.  Free with jm_cli_input_free.
int jm_cli_input_read (const char *path, jm_cli_input_t *input);
void jm_cli_input_free (jm_cli_input_t *input);

//  One JSON value of a candidate input, handed to a callback in input order.
//  On a parse error value is NULL and err holds invalid_json with the line
//  and column; line and column are where the value starts (0 for the
//  elements of an array, whose positions jansson does not report).
typedef struct {
    json_t *value;              //  borrowed for the call; NULL on a parse error
    long position;              //  1-based index of the value in the input
    int line, column;           //  where the value starts, 0 when not known
    const jm_error_t *err;      //  the parse error when value is NULL
} jm_cli_item_t;

typedef int (jm_cli_item_fn) (const jm_cli_item_t *item, void *arg);

//  Walks the candidates of an input: a JSON array when the first non-blank
//  character is '[', else a stream of JSON values (JSON lines, or objects
//  one after another, pretty or not).  A value of a stream that fails to
//  parse is reported to fn with err, then reading resumes at the next line
//  that starts a new value.  fn returns 0 to go on, -1 to stop.  Returns
//  0; -1 when fn stopped; JM_CLI_FATAL after printing
//  "FILE:LINE:COLUMN: message" when the array does not parse.
int jm_cli_input_each (const jm_cli_input_t *input, jm_cli_item_fn *fn, void *arg);

//  Copies a parse error message without jansson's " near '...'" part, which
//  may quote the candidate's text: the short form is for stderr.
void jm_cli_short_message (const char *text, char *dest, size_t size);

//  ---------------------------------------------------------------------------
//  Text (table.c).

//  Writes value with at most decimals decimals, trailing zeros trimmed
//  ("91.7", "3"), into dest (size bytes).  Returns dest.
const char *jm_cli_number (char *dest, size_t size, double value, int decimals);

//  Appends how evidence set a credit, from a result requirement's "evidence"
//  object: "; evidence level 5, 10 years: 1.00"; nothing without one.
void jm_cli_evidence (jm_buf_t *cell, json_t *evidence);

//  A member of a JSON object as a string (NULL when absent or not one), an
//  integer or a number (0 when absent).
static inline const char *
jm_cli_str (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

static inline long long
jm_cli_int (json_t *object, const char *key)
{
    return (long long) json_integer_value (json_object_get (object, key));
}

static inline double
jm_cli_num (json_t *object, const char *key)
{
    return json_number_value (json_object_get (object, key));
}

//  Offset of the first invalid UTF-8 byte in text, or -1 when it is valid.
long jm_cli_utf8_invalid (const char *text, size_t len);

//  A text table: columns with headers, rows of cells, columns padded to the
//  widest cell.  Cells are copied; control characters show as '?' and a
//  cell longer than the column's limit is cut with "...".
typedef struct _jm_cli_table_t jm_cli_table_t;

//  Creates a table; headers is a NULL-terminated list.  A header starting
//  with '>' is right-aligned (the '>' is not shown).
jm_cli_table_t *jm_cli_table_new (const char *const *headers);
void jm_cli_table_destroy (jm_cli_table_t **self_p);

//  Limits a column to width display columns (0: no limit).
void jm_cli_table_limit (jm_cli_table_t *self, int column, int width);

//  Adds a row; cells are NUL-terminated strings, one per column (NULL: empty).
void jm_cli_table_add (jm_cli_table_t *self, const char *const *cells);

//  Same with printf-style cells separated by '\t' in one format.
void jm_cli_table_addf (jm_cli_table_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Renders the table into out, each line indented by indent spaces, with
//  the header row unless it is hidden.
void jm_cli_table_render (const jm_cli_table_t *self, int indent, bool header, jm_buf_t *out);

//  Appends text to out with control characters (C0, C1, DEL) and
//  bidirectional controls replaced by '?' and cut to
//  at most width display columns with "..." (0: no limit).
void jm_cli_text_clean (jm_buf_t *out, const char *text, int width);

#endif
