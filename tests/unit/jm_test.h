/*  jm_test: a small unit-test harness.

    JM_TEST (name) { ... } defines a test that registers itself at load time.
    The runner (tests/unit/runner.c) runs each test in its own process with a
    timeout, so a crash or a hang fails that test only.  JM_CHECK records a
    failure and goes on; JM_REQUIRE records it and ends the test.          */
#ifndef JM_TEST_H
#define JM_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

typedef void (jm_test_fn) (void);

//  Registers a test; called by JM_TEST before main runs.
void jm_test_register (const char *name, const char *file, jm_test_fn *fn);

//  Records a failed check with its place and message.
void jm_test_fail (const char *file, int line, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Path of the repository's data directory (JM_DATA_DIR or "data").
const char *jm_test_data_dir (void);

extern int jm_test_failures;

#define JM_TEST(name) \
    static void name (void); \
    __attribute__ ((constructor)) static void name##_register (void) \
    { jm_test_register (#name, __FILE__, name); } \
    static void name (void)

#define JM_CHECK(cond) do { if (!(cond)) \
    jm_test_fail (__FILE__, __LINE__, "check failed: %s", #cond); } while (0)

#define JM_CHECK_MSG(cond, ...) do { if (!(cond)) \
    jm_test_fail (__FILE__, __LINE__, __VA_ARGS__); } while (0)

#define JM_REQUIRE(cond) do { if (!(cond)) { \
    jm_test_fail (__FILE__, __LINE__, "required: %s", #cond); return; } } while (0)

#define JM_CHECK_STR(got, want) do { const char *g_ = (got), *w_ = (want); \
    if (!g_ || !w_ || strcmp (g_, w_) != 0) \
        jm_test_fail (__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", #got, \
                      g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } while (0)

#define JM_CHECK_INT(got, want) do { long long g_ = (long long) (got), w_ = (long long) (want); \
    if (g_ != w_) jm_test_fail (__FILE__, __LINE__, "%s: got %lld, want %lld", #got, g_, w_); \
    } while (0)

#define JM_CHECK_NEAR(got, want, eps) do { double g_ = (got), w_ = (want); \
    if (!(g_ - w_ <= (eps) && w_ - g_ <= (eps))) \
        jm_test_fail (__FILE__, __LINE__, "%s: got %.4f, want %.4f", #got, g_, w_); \
    } while (0)

#endif
