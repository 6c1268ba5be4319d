/*  Tests for jm_config: sources, precedence, bounds, errors, help.
    Each test runs in its own process, so setenv does not leak.  */
#include "jm_test.h"
#include "jm_config.h"

#include <unistd.h>

static const jm_config_option_t s_options [] = {
    { "heartbeat-ms", JM_CONFIG_INT, "1000", 10, 60000, "heartbeat interval in ms" },
    { "clients", JM_CONFIG_STRING, "tcp://*:5570", 0, 0, "endpoint clients connect to" },
    { "verbose", JM_CONFIG_BOOL, "false", 0, 0, "log every request" },
    { "ratio", JM_CONFIG_DOUBLE, "0.5", 0, 1, "a fraction" },
    { "offset", JM_CONFIG_INT, "-3", 0, 0, "unbounded integer" },
    { NULL }
};

//  Loads argv (NULL-terminated) into a fresh configuration; returns load's rc.
static int
s_load (jm_config_t **config_p, jm_error_t *err, const char **args)
{
    char *argv [32] = { "prog" };
    int argc = 1;
    while (args && args [argc - 1] && argc < 31) {
        argv [argc] = (char *) args [argc - 1];
        argc++;
    }
    *config_p = jm_config_new ("prog", "A test program.", s_options);
    jm_error_clear (err);
    return jm_config_load (*config_p, argc, argv, err);
}

//  Writes text to a fresh temporary file and returns its path (static buffer).
static const char *
s_temp_file (const char *text)
{
    static char path [64];
    snprintf (path, sizeof path, "/tmp/jm-config-test-XXXXXX");
    int fd = mkstemp (path);
    if (fd < 0)
        return NULL;
    ssize_t written = write (fd, text, strlen (text));
    close (fd);
    return written == (ssize_t) strlen (text)? path: NULL;
}

JM_TEST (config_defaults)
{
    jm_config_t *config;
    jm_error_t err;
    JM_REQUIRE (s_load (&config, &err, NULL) == 0);
    JM_CHECK_INT (jm_config_int (config, "heartbeat-ms"), 1000);
    JM_CHECK_STR (jm_config_string (config, "clients"), "tcp://*:5570");
    JM_CHECK (!jm_config_bool (config, "verbose"));
    JM_CHECK_NEAR (jm_config_double (config, "ratio"), 0.5, 1e-9);
    JM_CHECK_INT (jm_config_int (config, "offset"), -3);
    JM_CHECK_INT (jm_config_source (config, "clients"), JM_CONFIG_FROM_DEFAULT);
    jm_config_destroy (&config);
    JM_CHECK (config == NULL);
    jm_config_destroy (&config);
}

JM_TEST (config_command_line_forms)
{
    jm_config_t *config;
    jm_error_t err;
    const char *args [] = { "--heartbeat-ms", "250", "--clients=tcp://127.0.0.1:9",
                            "--verbose", "--ratio=0.25", "--offset", "-7", NULL };
    JM_REQUIRE (s_load (&config, &err, args) == 0);
    JM_CHECK_INT (jm_config_int (config, "heartbeat-ms"), 250);
    JM_CHECK_STR (jm_config_string (config, "clients"), "tcp://127.0.0.1:9");
    JM_CHECK (jm_config_bool (config, "verbose"));
    JM_CHECK_NEAR (jm_config_double (config, "ratio"), 0.25, 1e-9);
    JM_CHECK_INT (jm_config_int (config, "offset"), -7);
    JM_CHECK_INT (jm_config_source (config, "heartbeat-ms"), JM_CONFIG_FROM_ARGS);
    jm_config_destroy (&config);
}

JM_TEST (config_bool_forms)
{
    jm_config_t *config;
    jm_error_t err;
    const char *on [] = { "--verbose=yes", NULL };
    JM_REQUIRE (s_load (&config, &err, on) == 0);
    JM_CHECK (jm_config_bool (config, "verbose"));
    jm_config_destroy (&config);

    const char *off [] = { "--verbose", "--no-verbose", NULL };
    JM_REQUIRE (s_load (&config, &err, off) == 0);
    JM_CHECK (!jm_config_bool (config, "verbose"));
    jm_config_destroy (&config);

    //  --no- only negates booleans
    const char *bad [] = { "--no-clients", NULL };
    JM_CHECK_INT (s_load (&config, &err, bad), -1);
    JM_CHECK (strstr (err.message, "unknown option '--no-clients'") != NULL);
    jm_config_destroy (&config);

    setenv ("JOBMATCH_VERBOSE", "on", 1);
    JM_REQUIRE (s_load (&config, &err, NULL) == 0);
    JM_CHECK (jm_config_bool (config, "verbose"));
    jm_config_destroy (&config);
}

JM_TEST (config_refuses_arguments_that_are_not_options)
{
    //  no program takes one: a stray word is an error, never ignored
    jm_config_t *config;
    jm_error_t err;
    const char *word [] = { "--verbose", "a.json", NULL };
    JM_CHECK_INT (s_load (&config, &err, word), -1);
    JM_CHECK_STR (err.code, JM_ERR_INVALID_DATA);
    JM_CHECK_STR (err.message, "unexpected argument 'a.json' (settings are --name VALUE)");
    jm_config_destroy (&config);
    const char *dash [] = { "-", NULL };
    JM_CHECK_INT (s_load (&config, &err, dash), -1);
    jm_config_destroy (&config);
    const char *ended [] = { "--", "--verbose", NULL };
    JM_CHECK_INT (s_load (&config, &err, ended), -1);
    JM_CHECK (strstr (err.message, "'--verbose'") != NULL);
    jm_config_destroy (&config);
    const char *nothing [] = { "--", NULL };
    JM_CHECK_INT (s_load (&config, &err, nothing), 0);
    jm_config_destroy (&config);
}

JM_TEST (config_precedence)
{
    const char *path = s_temp_file ("# a comment\n"
                                    "\n"
                                    "heartbeat-ms = 300   # trailing comment\n"
                                    "clients = \"tcp://file:1 # not a comment\"\n"
                                    "ratio=0.75\n"
                                    "offset = 11\n");
    JM_REQUIRE (path);
    setenv ("JOBMATCH_HEARTBEAT_MS", "200", 1);
    setenv ("JOBMATCH_RATIO", "0.125", 1);
    setenv ("JOBMATCH_CLIENTS", "", 1);     //  empty counts as unset

    jm_config_t *config;
    jm_error_t err;
    const char *args [] = { "--config", path, "--heartbeat-ms", "100", NULL };
    int rc = s_load (&config, &err, args);
    JM_CHECK_MSG (rc == 0, "load failed: %s", err.message);
    JM_CHECK_INT (jm_config_int (config, "heartbeat-ms"), 100);           //  args > env > file
    JM_CHECK_INT (jm_config_source (config, "heartbeat-ms"), JM_CONFIG_FROM_ARGS);
    JM_CHECK_NEAR (jm_config_double (config, "ratio"), 0.125, 1e-9);      //  env > file
    JM_CHECK_INT (jm_config_source (config, "ratio"), JM_CONFIG_FROM_ENV);
    JM_CHECK_STR (jm_config_string (config, "clients"), "tcp://file:1 # not a comment");
    JM_CHECK_INT (jm_config_int (config, "offset"), 11);                  //  file > default
    JM_CHECK_INT (jm_config_source (config, "offset"), JM_CONFIG_FROM_FILE);
    JM_CHECK (!jm_config_bool (config, "verbose"));
    jm_config_destroy (&config);

    //  The file can also come from JOBMATCH_CONFIG
    unsetenv ("JOBMATCH_HEARTBEAT_MS");
    setenv ("JOBMATCH_CONFIG", path, 1);
    JM_REQUIRE (s_load (&config, &err, NULL) == 0);
    JM_CHECK_INT (jm_config_int (config, "heartbeat-ms"), 300);
    jm_config_destroy (&config);
    unlink (path);
}

JM_TEST (config_bad_values_name_the_option)
{
    struct { const char *args [4]; const char *message; } cases [] = {
        { { "--heartbeat-ms", "abc" }, "--heartbeat-ms: 'abc' is not an integer" },
        { { "--heartbeat-ms=5" }, "--heartbeat-ms: '5' is below the minimum 10" },
        { { "--heartbeat-ms", "60001" }, "--heartbeat-ms: '60001' is above the maximum 60000" },
        { { "--heartbeat-ms", "99999999999999999999" }, "is out of range" },
        { { "--heartbeat-ms", " 5" }, "is not an integer" },
        { { "--ratio", "1.5" }, "--ratio: '1.5' is above the maximum 1" },
        { { "--ratio", "nan" }, "--ratio: 'nan' is not a number" },
        { { "--verbose=maybe" }, "--verbose: 'maybe' is not a boolean" },
        { { "--heartbeat-ms" }, "--heartbeat-ms needs a value" },
        { { "--colour", "red" }, "unknown option '--colour'" },
        { { "-x" }, "unknown option '-x'" },
        { { "--=3" }, "unknown option '--=3'" },
        { { "--config", "/nonexistent/jm.conf" }, "cannot read config file '/nonexistent/jm.conf'" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        jm_config_t *config;
        jm_error_t err;
        int rc = s_load (&config, &err, cases [index].args);
        JM_CHECK_MSG (rc == -1, "case %zu: rc %d", index, rc);
        JM_CHECK_MSG (strstr (err.message, cases [index].message),
                      "case %zu: message \"%s\" lacks \"%s\"", index, err.message,
                      cases [index].message);
        jm_config_destroy (&config);
    }
}

JM_TEST (config_env_errors_name_the_variable)
{
    setenv ("JOBMATCH_HEARTBEAT_MS", "fast", 1);
    jm_config_t *config;
    jm_error_t err;
    //  A bad value is an error even when the command line overrides it
    const char *args [] = { "--heartbeat-ms", "100", NULL };
    JM_CHECK_INT (s_load (&config, &err, args), -1);
    JM_CHECK_STR (err.message, "JOBMATCH_HEARTBEAT_MS: 'fast' is not an integer");
    JM_CHECK_STR (err.code, JM_ERR_INVALID_DATA);
    jm_config_destroy (&config);
}

JM_TEST (config_file_errors_give_the_line)
{
    struct { const char *text; int line; const char *message; } cases [] = {
        { "heartbeat-ms = 100\nnonsense\n", 2, ":2: expected 'name = value'" },
        { "\n\ncolour = red\n", 3, ":3: unknown setting 'colour'" },
        { "heartbeat-ms = 1\n", 1, ":1: heartbeat-ms: '1' is below the minimum 10" },
        { "clients = \"open\n", 1, ":1: clients: missing closing quote" },
        { "clients = \"a\" b\n", 1, "unexpected text after the closing quote" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        const char *path = s_temp_file (cases [index].text);
        JM_REQUIRE (path);
        char path_copy [64];
        snprintf (path_copy, sizeof path_copy, "%s", path);
        const char *args [] = { "--config", path_copy, NULL };
        jm_config_t *config;
        jm_error_t err;
        JM_CHECK_INT (s_load (&config, &err, args), -1);
        JM_CHECK_INT (err.line, cases [index].line);
        JM_CHECK_MSG (strstr (err.message, cases [index].message) && strstr (err.message, path_copy),
                      "case %zu: message \"%s\"", index, err.message);
        jm_config_destroy (&config);
        unlink (path_copy);
    }
}

JM_TEST (config_hostile_values_are_quoted_safely)
{
    jm_config_t *config;
    jm_error_t err;
    char long_value [300];
    memset (long_value, '9', sizeof long_value - 1);
    long_value [sizeof long_value - 1] = 0;
    long_value [3] = '\n';
    const char *args [] = { "--heartbeat-ms", long_value, NULL };
    JM_CHECK_INT (s_load (&config, &err, args), -1);
    JM_CHECK (strchr (err.message, '\n') == NULL);
    JM_CHECK (strstr (err.message, "999?99") != NULL);
    JM_CHECK (strlen (err.message) < 120);
    jm_config_destroy (&config);
}

JM_TEST (config_set)
{
    jm_config_t *config = jm_config_new ("prog", NULL, s_options);
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK_INT (jm_config_set (config, "clients", "inproc://x", &err), 0);
    JM_CHECK_STR (jm_config_string (config, "clients"), "inproc://x");
    JM_CHECK_INT (jm_config_set (config, "ratio", "2", &err), -1);
    JM_CHECK_STR (err.message, "--ratio: '2' is above the maximum 1");
    jm_error_clear (&err);
    JM_CHECK_INT (jm_config_set (config, "nope", "1", &err), -1);
    JM_CHECK_STR (err.message, "unknown setting 'nope'");
    jm_config_destroy (&config);
}

JM_TEST (config_help_and_version)
{
    jm_config_t *config = jm_config_new ("prog", "A test program.", s_options);
    char *text = NULL;
    size_t size = 0;
    FILE *file = open_memstream (&text, &size);
    JM_REQUIRE (file);
    jm_config_print_help (config, file);
    fclose (file);
    JM_CHECK (strstr (text, "Usage: prog [OPTIONS]") != NULL);
    JM_CHECK (strstr (text, "A test program.") != NULL);
    JM_CHECK (strstr (text, "--heartbeat-ms N") != NULL);
    JM_CHECK (strstr (text, "heartbeat interval in ms") != NULL);
    JM_CHECK (strstr (text, "(default 1000, 10..60000, env JOBMATCH_HEARTBEAT_MS)") != NULL);
    JM_CHECK (strstr (text, "(default \"tcp://*:5570\", env JOBMATCH_CLIENTS)") != NULL);
    JM_CHECK (strstr (text, "--verbose, --no-verbose") != NULL);
    JM_CHECK (strstr (text, "--config FILE") != NULL);
    free (text);
    jm_config_destroy (&config);

    //  --help wins even over a bad value; load reports it was handled
    jm_error_t err;
    const char *args [] = { "--heartbeat-ms", "abc", "--help", NULL };
    fflush (stdout);
    int saved = dup (1);
    FILE *sink = freopen ("/dev/null", "w", stdout);
    JM_CHECK_INT (s_load (&config, &err, args), JM_CONFIG_DONE);
    jm_config_destroy (&config);
    const char *version [] = { "--version", NULL };
    JM_CHECK_INT (s_load (&config, &err, version), JM_CONFIG_DONE);
    jm_config_destroy (&config);
    const char *short_version [] = { "--heartbeat-ms", "abc", "-V", NULL };
    JM_CHECK_INT (s_load (&config, &err, short_version), JM_CONFIG_DONE);
    jm_config_destroy (&config);
    fflush (stdout);
    dup2 (saved, 1);
    close (saved);
    (void) sink;
}

JM_TEST (config_from_main_exit_codes)
{
    int exit_code = -1;
    char *bad [] = { "prog", "--heartbeat-ms", "0", NULL };
    fflush (stderr);
    int saved = dup (2);
    FILE *sink = freopen ("/dev/null", "w", stderr);
    jm_config_t *config = jm_config_from_main ("prog", NULL, s_options, 3, bad, &exit_code);
    fflush (stderr);
    dup2 (saved, 2);
    close (saved);
    (void) sink;
    JM_CHECK (config == NULL);
    JM_CHECK_INT (exit_code, 2);

    char *good [] = { "prog", "--heartbeat-ms", "20", NULL };
    config = jm_config_from_main ("prog", NULL, s_options, 3, good, &exit_code);
    JM_REQUIRE (config);
    JM_CHECK_INT (exit_code, 0);
    JM_CHECK_INT (jm_config_int (config, "heartbeat-ms"), 20);
    jm_config_destroy (&config);
}

JM_TEST (config_print_round_trips)
{
    jm_config_t *config;
    jm_error_t err;
    const char *args [] = { "--clients", "tcp://a:1", "--ratio", "0.3", "--verbose", NULL };
    JM_REQUIRE (s_load (&config, &err, args) == 0);
    char *text = NULL;
    size_t size = 0;
    FILE *file = open_memstream (&text, &size);
    JM_REQUIRE (file);
    jm_config_print (config, file);
    fclose (file);
    JM_CHECK (strstr (text, "clients = \"tcp://a:1\"   # command line") != NULL);
    JM_CHECK (strstr (text, "heartbeat-ms = 1000   # default") != NULL);
    jm_config_destroy (&config);
    free (text);

    //  A URL's password never shows
    const char *secret [] = { "--clients", "redis://user:s3cret@host:1/0", NULL };
    JM_REQUIRE (s_load (&config, &err, secret) == 0);
    file = open_memstream (&text, &size);
    JM_REQUIRE (file);
    jm_config_print (config, file);
    fclose (file);
    JM_CHECK (strstr (text, "clients = \"redis://user:***@host:1/0\"") != NULL);
    JM_CHECK (strstr (text, "s3cret") == NULL);
    jm_config_destroy (&config);
    free (text);

    const char *plain [] = { "--clients", "tcp://a:1", "--ratio", "0.3", "--verbose", NULL };
    JM_REQUIRE (s_load (&config, &err, plain) == 0);
    file = open_memstream (&text, &size);
    JM_REQUIRE (file);
    jm_config_print (config, file);
    fclose (file);
    jm_config_destroy (&config);

    //  What print writes, load reads back
    const char *path = s_temp_file (text);
    free (text);
    JM_REQUIRE (path);
    char path_copy [64];
    snprintf (path_copy, sizeof path_copy, "%s", path);
    const char *reload [] = { "--config", path_copy, NULL };
    JM_REQUIRE (s_load (&config, &err, reload) == 0);
    JM_CHECK_STR (jm_config_string (config, "clients"), "tcp://a:1");
    JM_CHECK_NEAR (jm_config_double (config, "ratio"), 0.3, 1e-12);
    JM_CHECK (jm_config_bool (config, "verbose"));
    jm_config_destroy (&config);
    unlink (path_copy);
}

JM_TEST (config_env_name)
{
    char buffer [64];
    jm_config_option_t heartbeat = { "heartbeat-ms", JM_CONFIG_INT, "1", 0, 0, "" };
    jm_config_option_t queue = { "queue-max", JM_CONFIG_INT, "1", 0, 0, "" };
    JM_CHECK_STR (jm_config_option_env (&heartbeat, buffer, sizeof buffer), "JOBMATCH_HEARTBEAT_MS");
    JM_CHECK_STR (jm_config_option_env (&queue, buffer, 12), "JOBMATCH_QU");
}

JM_TEST (config_row_names_its_variable)
{
    //  a row with env reads that variable, not JOBMATCH_<NAME>, and --help says so
    static const jm_config_option_t options [] = {
        { "data", JM_CONFIG_STRING, "", 0, 0, "the data folder", "JOBMATCH_DATA_DIR" },
        { "window", JM_CONFIG_INT, "8", 1, 1000, "requests in flight" },
        { NULL }
    };
    setenv ("JOBMATCH_DATA", "wrong", 1);
    setenv ("JOBMATCH_DATA_DIR", "/srv/data", 1);
    setenv ("JOBMATCH_CONFIG", "/nonexistent/jobmatch.conf", 1);   //  load_env reads no file
    jm_config_t *config = jm_config_new ("prog", NULL, options);
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK_INT (jm_config_load_env (config, &err), 0);
    JM_CHECK_STR (jm_config_string (config, "data"), "/srv/data");
    JM_CHECK (jm_config_source (config, "data") == JM_CONFIG_FROM_ENV);
    char buffer [64];
    JM_CHECK_STR (jm_config_option_env (&options [0], buffer, sizeof buffer), "JOBMATCH_DATA_DIR");
    JM_CHECK_STR (jm_config_option_env (&options [1], buffer, sizeof buffer), "JOBMATCH_WINDOW");
    char *text = NULL;
    size_t size = 0;
    FILE *file = open_memstream (&text, &size);
    jm_config_print_settings (config, file);
    fclose (file);
    JM_CHECK (strstr (text, "env JOBMATCH_DATA_DIR)") != NULL);
    JM_CHECK (strstr (text, "(default 8, 1..1000, env JOBMATCH_WINDOW)") != NULL);
    JM_CHECK (strstr (text, "--config") == NULL);
    free (text);
    //  a bad value names the variable
    setenv ("JOBMATCH_WINDOW", "0", 1);
    JM_CHECK_INT (jm_config_load_env (config, &err), -1);
    JM_CHECK (strstr (err.message, "JOBMATCH_WINDOW") != NULL);
    jm_config_destroy (&config);
}

JM_TEST (config_list_adds_each_command_line_value)
{
    //  --job A --job B is "A,B"; the command line replaces the variable's
    //  list, then adds to it; an empty item is refused wherever it comes from
    static const jm_config_option_t options [] = {
        { "job", JM_CONFIG_STRING, "backend", 0, 0, "the jobs", NULL, true },
        { "name", JM_CONFIG_STRING, "x", 0, 0, "not a list" },
        { NULL }
    };
    setenv ("JOBMATCH_JOB", "e1,e2", 1);
    jm_config_t *config = jm_config_new ("prog", NULL, options);
    jm_error_t err;
    jm_error_clear (&err);
    JM_CHECK_INT (jm_config_load_env (config, &err), 0);
    JM_CHECK_STR (jm_config_string (config, "job"), "e1,e2");
    JM_CHECK_INT (jm_config_set (config, "job", "a", &err), 0);
    JM_CHECK_STR (jm_config_string (config, "job"), "a");
    JM_CHECK_INT (jm_config_set (config, "job", "b,c", &err), 0);
    JM_CHECK_STR (jm_config_string (config, "job"), "a,b,c");
    JM_CHECK_INT (jm_config_set (config, "name", "y", &err), 0);
    JM_CHECK_INT (jm_config_set (config, "name", "z", &err), 0);
    JM_CHECK_STR (jm_config_string (config, "name"), "z");
    const char *bad [] = { "a,,b", ",a", "a,", " ", "a, ,b" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        jm_error_clear (&err);
        JM_CHECK_INT (jm_config_set (config, "job", bad [i], &err), -1);
        JM_CHECK (strstr (err.message, "--job: ") == err.message);
        JM_CHECK (strstr (err.message, "empty item") != NULL);
    }
    JM_CHECK_STR (jm_config_string (config, "job"), "a,b,c");
    char *text = NULL;
    size_t size = 0;
    FILE *file = open_memstream (&text, &size);
    jm_config_print_settings (config, file);
    fclose (file);
    JM_CHECK (strstr (text, "--job LIST") != NULL);
    JM_CHECK (strstr (text, "(default \"backend\", comma-separated or repeated, env JOBMATCH_JOB)") != NULL);
    free (text);
    jm_config_destroy (&config);
    //  the same from the variable, and through jm_config_load's command line
    setenv ("JOBMATCH_JOB", "a,", 1);
    config = jm_config_new ("prog", NULL, options);
    jm_error_clear (&err);
    JM_CHECK_INT (jm_config_load_env (config, &err), -1);
    JM_CHECK (strstr (err.message, "JOBMATCH_JOB: ") == err.message);
    jm_config_destroy (&config);
    unsetenv ("JOBMATCH_JOB");
    config = jm_config_new ("prog", NULL, options);
    char *argv [] = { "prog", "--job", "x", "--job=y", NULL };
    jm_error_clear (&err);
    JM_CHECK_INT (jm_config_load (config, 4, argv, &err), 0);
    JM_CHECK_STR (jm_config_string (config, "job"), "x,y");
    jm_config_destroy (&config);
}
