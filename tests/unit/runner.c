/*  The unit-test runner: runs every registered test (or those whose name
    contains an argument) each in a forked process with a timeout, prints one
    line per test and ends with "N passed, N failed".                       */
#include "jm_test.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 4096

typedef struct {
    const char *name;
    const char *file;
    jm_test_fn *fn;
} test_t;

static test_t s_tests [MAX_TESTS];
static int s_test_count;
int jm_test_failures;

void
jm_test_register (const char *name, const char *file, jm_test_fn *fn)
{
    if (s_test_count < MAX_TESTS)
        s_tests [s_test_count++] = (test_t) { name, file, fn };
}

void
jm_test_fail (const char *file, int line, const char *format, ...)
{
    va_list args;
    fprintf (stderr, "    %s:%d: ", file, line);
    va_start (args, format);
    vfprintf (stderr, format, args);
    va_end (args);
    fputc ('\n', stderr);
    jm_test_failures++;
}

const char *
jm_test_data_dir (void)
{
    const char *dir = getenv ("JM_DATA_DIR");
    return dir && *dir ? dir : "data";
}

static int
s_compare_tests (const void *a, const void *b)
{
    const test_t *x = a, *y = b;
    int cmp = strcmp (x->file, y->file);
    return cmp ? cmp : strcmp (x->name, y->name);
}

static bool
s_selected (const char *name, int argc, char **argv)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strstr (name, argv [i]))
            return true;
    return false;
}

int
main (int argc, char **argv)
{
    int timeout = getenv ("JM_TEST_TIMEOUT") ? atoi (getenv ("JM_TEST_TIMEOUT")) : 120;
    int passed = 0, failed = 0;
    qsort (s_tests, (size_t) s_test_count, sizeof s_tests [0], s_compare_tests);
    for (int i = 0; i < s_test_count; i++) {
        test_t *test = &s_tests [i];
        if (!s_selected (test->name, argc, argv))
            continue;
        fflush (stdout);
        fflush (stderr);
        pid_t pid = fork ();
        if (pid == 0) {
            alarm ((unsigned) timeout);
            test->fn ();
            //  exit, not _exit: LeakSanitizer checks at exit under make check
            exit (jm_test_failures ? 1 : 0);
        }
        int status = 0;
        waitpid (pid, &status, 0);
        bool ok = WIFEXITED (status) && WEXITSTATUS (status) == 0;
        if (ok)
            passed++;
        else
            failed++;
        if (WIFSIGNALED (status))
            printf ("FAIL %s (%s): killed by signal %d%s\n", test->name, test->file,
                    WTERMSIG (status), WTERMSIG (status) == SIGALRM ? " (timeout)" : "");
        else
            printf ("%s %s\n", ok ? "ok  " : "FAIL", test->name);
    }
    printf ("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
