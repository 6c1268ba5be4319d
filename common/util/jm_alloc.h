/*  jm_alloc: memory allocation that never returns NULL.

    Out of memory is not an error our code can answer: every helper here
    prints one line, "jobmatch: out of memory: N bytes at FILE:LINE", on
    stderr and calls abort (); a supervised service restarts.  This holds in
    every build, with or without NDEBUG, so no caller checks the result.
    Allocations from libraries that return NULL when out of memory (jansson,
    hiredis) go through jm_alloc_check.                                    */
#ifndef JM_ALLOC_H
#define JM_ALLOC_H

#include <stddef.h>

//  Returns size bytes (at least one), uninitialised; aborts if out of memory.
void *jm_malloc_at (size_t size, const char *file, int line);

//  Returns count * size zeroed bytes (at least one); aborts if out of memory
//  or if the product overflows.
void *jm_calloc_at (size_t count, size_t size, const char *file, int line);

//  Resizes ptr (NULL allowed) to size bytes (0 keeps one byte, never frees);
//  returns the new block; aborts if out of memory, leaving ptr untouched.
void *jm_realloc_at (void *ptr, size_t size, const char *file, int line);

//  Returns a fresh copy of text, which must not be NULL; aborts if out of memory.
char *jm_strdup_at (const char *text, const char *file, int line);

//  Returns a fresh copy of at most len bytes of text, NUL-terminated; aborts
//  if out of memory.
char *jm_strndup_at (const char *text, size_t len, const char *file, int line);

//  Returns ptr, the result of a library call that returns NULL only when out
//  of memory; if ptr is NULL, aborts with a line naming what was allocated.
void *jm_alloc_check_at (void *ptr, const char *what, const char *file, int line);

#define jm_malloc(size)          jm_malloc_at ((size), __FILE__, __LINE__)
#define jm_calloc(count, size)   jm_calloc_at ((count), (size), __FILE__, __LINE__)
#define jm_realloc(ptr, size)    jm_realloc_at ((ptr), (size), __FILE__, __LINE__)
#define jm_strdup(text)          jm_strdup_at ((text), __FILE__, __LINE__)
#define jm_strndup(text, len)    jm_strndup_at ((text), (len), __FILE__, __LINE__)
#define jm_alloc_check(ptr, what) jm_alloc_check_at ((ptr), (what), __FILE__, __LINE__)

#endif
