/*  fuzz_config: what jm_config reads, from a settings table like the
    services' (one setting of each type, with and without bounds).  The
    first byte picks the source: odd, the rest is a config file ("name =
    value" lines, read through --config as the services do); even, the
    rest is a command line, its arguments separated by NUL bytes.  A
    configuration that loads is printed as a config file, which must load
    again with the same values.                                            */
#include "fuzz_common.h"
#include "jm_config.h"
#include "jm_log.h"

#include <fcntl.h>
#include <math.h>

static const jm_config_option_t s_options [] = {
    { "heartbeat-ms", JM_CONFIG_INT, "1000", 10, 60000, "an int with bounds" },
    { "count", JM_CONFIG_INT, "0", 0, 0, "an int without bounds" },
    { "name", JM_CONFIG_STRING, "jobmatch", 0, 0, "a string" },
    { "redis-url", JM_CONFIG_STRING, "redis://127.0.0.1:6379/0", 0, 0, "a url" },
    { "verbose", JM_CONFIG_BOOL, "false", 0, 0, "a flag" },
    { "ratio", JM_CONFIG_DOUBLE, "0.5", 0, 1, "a double with bounds" },
    { "scale", JM_CONFIG_DOUBLE, "1", 0, 0, "a double without bounds" },
    { NULL, 0, NULL, 0, 0, NULL }
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    //  --help and --version print to stdout
    int null = open ("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2 (null, STDOUT_FILENO);
    unsetenv ("JOBMATCH_CONFIG");
    return 0;
}

//  Checks that the configuration printed as a file loads to the same values.
//  The file format cannot hold a string with a quote or a line break (there
//  are no escapes), and a URL's password is printed as ***: those are only
//  printed.
static void
s_check_print (jm_config_t *config)
{
    for (const jm_config_option_t *option = s_options; option->name; option++) {
        if (option->type != JM_CONFIG_STRING)
            continue;
        const char *value = jm_config_string (config, option->name);
        size_t size = strlen (value) + 4;
        char *shown = malloc (size);
        bool redacted = strcmp (jm_log_redact_url (value, shown, size), value) != 0;
        free (shown);
        if (strpbrk (value, "\"\r\n") || redacted)
            return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *file = open_memstream (&text, &len);
    jm_config_print (config, file);
    fclose (file);
    char *argv [] = { "fuzz", "--config", (char *) fuzz_file ((const uint8_t *) text, len), NULL };
    jm_config_t *again = jm_config_new ("fuzz", NULL, s_options);
    jm_error_t err;
    jm_error_clear (&err);
    FUZZ_CHECK (jm_config_load (again, 3, argv, &err) == 0, "the printed configuration loads");
    for (const jm_config_option_t *option = s_options; option->name; option++) {
        const char *name = option->name;
        bool same = true;
        switch (option->type) {
            case JM_CONFIG_INT:
                same = jm_config_int (config, name) == jm_config_int (again, name);
                break;
            case JM_CONFIG_BOOL:
                same = jm_config_bool (config, name) == jm_config_bool (again, name);
                break;
            case JM_CONFIG_STRING:
                same = strcmp (jm_config_string (config, name), jm_config_string (again, name)) == 0;
                break;
            case JM_CONFIG_DOUBLE:
                same = jm_config_double (config, name) == jm_config_double (again, name)
                    || (isnan (jm_config_double (config, name)) && isnan (jm_config_double (again, name)));
                break;
        }
        FUZZ_CHECK (same, "a printed setting loads back to its value");
    }
    jm_config_destroy (&again);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    jm_config_t *config = jm_config_new ("fuzz", "Fuzzes jm_config.", s_options);
    jm_error_t err;
    jm_error_clear (&err);
    int rc;
    if (data [0] & 1) {
        char *argv [] = { "fuzz", "--config", (char *) fuzz_file (data + 1, size - 1), NULL };
        rc = jm_config_load (config, 3, argv, &err);
    }
    else {
        //  arguments: the NUL-separated pieces of the rest, at most 64
        char *copy = malloc (size);
        memcpy (copy, data + 1, size - 1);
        copy [size - 1] = 0;
        char *argv [66] = { "fuzz" };
        int argc = 1;
        bool other_file = false;
        for (char *arg = copy; arg < copy + size - 1 && argc < 65; arg += strlen (arg) + 1) {
            argv [argc++] = arg;
            //  --config naming a real file (/dev/zero, /dev/stdin) tests the machine
            other_file |= strstr (arg, "config") != NULL;
        }
        argv [argc] = NULL;
        rc = other_file ? -2 : jm_config_load (config, argc, argv, &err);
        free (copy);
    }
    FUZZ_CHECK (rc != -1 || jm_error_is_set (&err), "a refusal must say why");
    if (rc == 0) {
        FILE *null = fopen ("/dev/null", "w");
        jm_config_print (config, null);
        fclose (null);
        s_check_print (config);
    }
    jm_config_destroy (&config);
    return 0;
}
