/*  jm_alloc: memory allocation that never returns NULL; see jm_alloc.h.

    The message is formatted into a stack buffer and written with one
    write (2), so reporting needs no more memory.                          */
#include "jm_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  Writes "jobmatch: out of memory: <what> at FILE:LINE" and aborts.
static void
s_out_of_memory (const char *what, const char *file, int line)
{
    char message [512];
    int len = snprintf (message, sizeof message,
                        "jobmatch: out of memory: %s at %s:%d\n", what, file, line);
    if (len < 0)
        len = 0;
    if ((size_t) len >= sizeof message)
        len = (int) sizeof message - 1;
    ssize_t written = write (STDERR_FILENO, message, (size_t) len);
    (void) written;
    abort ();
}

static void
s_out_of_bytes (size_t size, const char *file, int line)
{
    char what [64];
    snprintf (what, sizeof what, "%zu bytes", size);
    s_out_of_memory (what, file, line);
}

void *
jm_malloc_at (size_t size, const char *file, int line)
{
    void *ptr = malloc (size ? size : 1);
    if (!ptr)
        s_out_of_bytes (size, file, line);
    return ptr;
}

void *
jm_calloc_at (size_t count, size_t size, const char *file, int line)
{
    size_t total;
    if (__builtin_mul_overflow (count, size, &total)) {
        char what [96];
        snprintf (what, sizeof what, "%zu x %zu bytes (overflow)", count, size);
        s_out_of_memory (what, file, line);
    }
    void *ptr = calloc (total ? count : 1, total ? size : 1);
    if (!ptr)
        s_out_of_bytes (total, file, line);
    return ptr;
}

void *
jm_realloc_at (void *ptr, size_t size, const char *file, int line)
{
    void *resized = realloc (ptr, size ? size : 1);
    if (!resized)
        s_out_of_bytes (size, file, line);
    return resized;
}

char *
jm_strdup_at (const char *text, const char *file, int line)
{
    size_t len = strlen (text);
    char *copy = jm_malloc_at (len + 1, file, line);
    memcpy (copy, text, len + 1);
    return copy;
}

char *
jm_strndup_at (const char *text, size_t len, const char *file, int line)
{
    size_t copied = strnlen (text, len);
    char *copy = jm_malloc_at (copied + 1, file, line);
    memcpy (copy, text, copied);
    copy [copied] = '\0';
    return copy;
}

void *
jm_alloc_check_at (void *ptr, const char *what, const char *file, int line)
{
    if (!ptr)
        s_out_of_memory (what, file, line);
    return ptr;
}
