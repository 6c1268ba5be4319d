/*  Tests for what `jobmatch batch --verify` reads of an output
    (services/jobmatch/batch_output.c): jm_batch_output_results hands over
    each result record of the complete candidates, with its position, job,
    id, version and stored flag, and jm_batch_tally_add_not_stored merges
    positions into the tally's ascending list.  The module is the CLI's,
    linked from its service archive (Makefile).                            */
#include "jm_test.h"
#include "../../services/jobmatch/batch_output.h"

#include <string.h>
#include <unistd.h>

#include <stdarg.h>

//  The CLI's message printer (services/jobmatch/main.c), which this
//  binary does not link: the scanner names a cut record with it.
void
jm_cli_error (const char *format, ...)
{
    (void) format;
}

typedef struct {
    int count;
    char seen [16][64];
} s_refs_t;

static void
s_take (const jm_batch_result_ref_t *ref, void *arg)
{
    s_refs_t *refs = arg;
    if (refs->count < 16)
        snprintf (refs->seen [refs->count++], 64, "%ld %d %s %lld %s", ref->position, ref->job,
                  ref->candidate, ref->version, ref->stored ? "stored" : "not-stored");
}

static char *
s_write (const char *text)
{
    char *path = strdup ("/tmp/jm-test-batch-output-XXXXXX");
    int fd = mkstemp (path);
    JM_CHECK (fd >= 0 && write (fd, text, strlen (text)) == (ssize_t) strlen (text));
    close (fd);
    return path;
}

JM_TEST (batch_output_results_hands_over_each_result_record)
{
    const char *jobs [] = { "a", "b" };
    char *path = s_write (
        "{\"candidate\":\"c-1\",\"job\":\"a\",\"job_version\":3,\"score\":1,\"cached\":false,\"stored\":true}\n"
        "{\"candidate\":\"c-1\",\"job\":\"b\",\"job_version\":7,\"score\":2,\"cached\":true,\"stored\":true}\n"
        "{\"line\":2,\"candidate\":\"bad\",\"job\":\"a\",\"error\":{\"code\":\"invalid_request\",\"message\":\"x\"}}\n"
        "{\"line\":2,\"candidate\":\"bad\",\"job\":\"b\",\"error\":{\"code\":\"invalid_request\",\"message\":\"x\"}}\n"
        "{\"candidate\":\"c:3\",\"job\":\"a\",\"job_version\":3,\"score\":1,\"cached\":false,\"stored\":false}\n"
        "{\"candidate\":\"c:3\",\"job\":\"b\",\"job_version\":8,\"score\":1,\"cached\":false,\"stored\":true}\n"
        "{\"candidate\":\"c-4\",\"job\":\"a\",\"job_version\":3,\"score\":1,\"cached\":false,\"stored\":true}\n"
        "{\"candidate\":\"c-4\",\"job\":\"b\",\"job_ver");
    s_refs_t refs = { 0 };
    jm_error_t err;
    jm_error_clear (&err);
    JM_REQUIRE (jm_batch_output_results (path, JM_BATCH_OUT_JSONL, jobs, 2, s_take, &refs, &err) == 0);
    //  the error candidate and the incomplete last one are left out
    JM_REQUIRE (refs.count == 4);
    JM_CHECK (strcmp (refs.seen [0], "0 0 c-1 3 stored") == 0);
    JM_CHECK (strcmp (refs.seen [1], "0 1 c-1 7 stored") == 0);
    JM_CHECK (strcmp (refs.seen [2], "2 0 c:3 3 not-stored") == 0);
    JM_CHECK (strcmp (refs.seen [3], "2 1 c:3 8 stored") == 0);
    //  records of another job are refused, naming the line
    const char *other [] = { "a", "z" };
    refs.count = 0;
    JM_CHECK (jm_batch_output_results (path, JM_BATCH_OUT_JSONL, other, 2, s_take, &refs, &err) == -1);
    JM_CHECK (strstr (err.message, "line 2") != NULL);
    unlink (path);
    free (path);
}

JM_TEST (batch_output_results_reads_csv_without_versions)
{
    const char *jobs [] = { "a" };
    char *path = s_write (
        "id,name,job,score,band,required,missing,error,line,cached,stored\n"
        "c-1,Ann,a,81.5,good,5 of 7,,,1,false,true\n"
        "\"c,2\",Bob,a,,,,,invalid_request: x,2,,\n"
        "c-3,Cy,a,12,weak,0 of 7,,,3,true,false\n");
    s_refs_t refs = { 0 };
    jm_error_t err;
    jm_error_clear (&err);
    JM_REQUIRE (jm_batch_output_results (path, JM_BATCH_OUT_CSV, jobs, 1, s_take, &refs, &err) == 0);
    JM_REQUIRE (refs.count == 2);
    JM_CHECK (strcmp (refs.seen [0], "0 0 c-1 0 stored") == 0);
    JM_CHECK (strcmp (refs.seen [1], "2 0 c-3 0 not-stored") == 0);
    unlink (path);
    free (path);
}

JM_TEST (batch_tally_add_not_stored_merges_in_order_once)
{
    jm_batch_tally_t tally;
    memset (&tally, 0, sizeof tally);
    const long first [] = { 1, 5, 9 };
    jm_batch_tally_add_not_stored (&tally, first, 3);
    const long more [] = { 0, 5, 10, 11 };
    jm_batch_tally_add_not_stored (&tally, more, 4);
    const long want [] = { 0, 1, 5, 9, 10, 11 };
    JM_REQUIRE (tally.not_stored == 6);
    for (int i = 0; i < 6; i++)
        JM_CHECK (tally.not_stored_at [i] == want [i]);
    jm_batch_tally_add_not_stored (&tally, NULL, 0);
    JM_CHECK (tally.not_stored == 6);
    jm_batch_tally_t empty;
    memset (&empty, 0, sizeof empty);
    jm_batch_tally_add_not_stored (&empty, more, 4);
    JM_CHECK (empty.not_stored == 4 && empty.not_stored_at [3] == 11);
    jm_batch_tally_free (&tally);
    jm_batch_tally_free (&empty);
}
