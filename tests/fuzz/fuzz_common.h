/*  fuzz_common: what the libFuzzer targets in tests/fuzz/ share.

    A target is one file, tests/fuzz/fuzz_<name>.c, that defines
    LLVMFuzzerTestOneInput and may include this header.  The helpers here
    find the project's data (JM_DATA_DIR, else ./data: tests/fuzz/run runs
    from the repository's root) and hand a decoder that only reads files
    the input as a file, without touching the disk.                       */
#ifndef JM_FUZZ_COMMON_H
#define JM_FUZZ_COMMON_H

#include "jm_error.h"
#include "jm_taxonomy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

//  Stops the run with a message when a property the target checks is false:
//  libFuzzer reports it as a crash and saves the input.
#define FUZZ_CHECK(condition, what) do { \
    if (!(condition)) { \
        fprintf (stderr, "fuzz check failed at %s:%d: %s\n", __FILE__, __LINE__, what); \
        abort (); \
    } \
} while (0)

//  The folder holding taxonomy.json and jobs/.
static inline const char *
fuzz_data_dir (void)
{
    const char *dir = getenv ("JM_DATA_DIR");
    return dir && *dir ? dir : "data";
}

//  The project's taxonomy, loaded once; aborts when it cannot be read (the
//  target is run from the wrong folder).
static inline jm_taxonomy_t *
fuzz_taxonomy (void)
{
    static jm_taxonomy_t *taxonomy;
    if (!taxonomy) {
        char path [4096];
        snprintf (path, sizeof path, "%s/taxonomy.json", fuzz_data_dir ());
        jm_error_t err;
        jm_error_clear (&err);
        taxonomy = jm_taxonomy_load (path, &err);
        if (!taxonomy) {
            fprintf (stderr, "fuzz: %s: %s (run from the repository root or set JM_DATA_DIR)\n",
                     path, err.message);
            abort ();
        }
    }
    return taxonomy;
}

//  A file in memory holding exactly data [0..size), named by path
//  (/proc/self/fd/N), for decoders that open a path themselves.  The same
//  file is rewritten by each call.
static inline const char *
fuzz_file (const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path [64];
    if (fd < 0) {
        fd = memfd_create ("fuzz-input", 0);
        if (fd < 0) {
            perror ("fuzz: memfd_create");
            abort ();
        }
        snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate (fd, 0) || (size && pwrite (fd, data, size, 0) != (ssize_t) size)) {
        perror ("fuzz: writing the input file");
        abort ();
    }
    return path;
}

#endif
