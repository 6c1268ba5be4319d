/*  Tests for jm_alloc: a failing allocation aborts the process with one
    line naming the size and the call site, in every build.  Each failure
    runs in a forked child whose stderr the test reads.                    */
#include "jm_test.h"
#include "jm_alloc.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (s_failing_fn) (void);

//  Runs fn in a child; checks it died of SIGABRT with want in its stderr.
static void
s_check_aborts (s_failing_fn *fn, const char *want)
{
    int pipe_fds [2];
    JM_REQUIRE (pipe (pipe_fds) == 0);
    fflush (NULL);
    pid_t pid = fork ();
    JM_REQUIRE (pid >= 0);
    if (pid == 0) {
        dup2 (pipe_fds [1], STDERR_FILENO);
        close (pipe_fds [0]);
        close (pipe_fds [1]);
        fn ();
        _exit (0);              //  reached only if the helper returned
    }
    close (pipe_fds [1]);
    char text [1024];
    size_t len = 0;
    ssize_t got;
    while (len < sizeof text - 1
       && (got = read (pipe_fds [0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t) got;
    text [len] = '\0';
    close (pipe_fds [0]);
    int status = 0;
    JM_REQUIRE (waitpid (pid, &status, 0) == pid);
    JM_CHECK_MSG (WIFSIGNALED (status) && WTERMSIG (status) == SIGABRT,
                  "child status %d, want SIGABRT", status);
    JM_CHECK_MSG (strstr (text, want) != NULL, "stderr \"%s\" lacks \"%s\"", text, want);
    JM_CHECK_MSG (strstr (text, "test_alloc.c:") != NULL, "stderr \"%s\" lacks the call site", text);
}

static void s_malloc_huge (void) { free (jm_malloc (SIZE_MAX)); }
static void s_realloc_huge (void) { free (jm_realloc (NULL, SIZE_MAX)); }
static void s_calloc_overflow (void) { free (jm_calloc (SIZE_MAX / 2, 3)); }
static void s_library_null (void) { jm_alloc_check (NULL, "JSON object"); }

JM_TEST (alloc_failure_aborts_with_message)
{
    char want [64];
    snprintf (want, sizeof want, "jobmatch: out of memory: %zu bytes at ", (size_t) SIZE_MAX);
    s_check_aborts (s_malloc_huge, want);
    s_check_aborts (s_realloc_huge, want);
    s_check_aborts (s_calloc_overflow, "jobmatch: out of memory: ");
    s_check_aborts (s_calloc_overflow, "(overflow)");
    s_check_aborts (s_library_null, "jobmatch: out of memory: JSON object at ");
}

JM_TEST (alloc_success_and_edges)
{
    char *zero = jm_malloc (0);             //  never NULL, even for 0 bytes
    JM_CHECK (zero != NULL);
    zero = jm_realloc (zero, 0);            //  keeps a block, does not free
    JM_CHECK (zero != NULL);
    free (zero);
    int *zeroed = jm_calloc (4, sizeof (int));
    JM_CHECK (zeroed [0] == 0 && zeroed [3] == 0);
    free (zeroed);
    char *copy = jm_strdup ("skill");
    JM_CHECK_STR (copy, "skill");
    free (copy);
    copy = jm_strndup ("skills", 5);
    JM_CHECK_STR (copy, "skill");
    free (copy);
    copy = jm_strndup ("ab", 10);
    JM_CHECK_STR (copy, "ab");
    free (copy);
    int value = 7;
    JM_CHECK (jm_alloc_check (&value, "int") == &value);
}
