/*  bench/libcsv/compare.c: splits one CSV file into records with libcsv
    (Debian libcsv-dev) and with the CLI's own reader (jm_batch_input_skip:
    records split and fields decoded, not converted), 5 rounds A B A B.
    The reason batch_input.c keeps its own reader.  Not built by make (it
    needs libcsv-dev); after `make`, from the repository root:

      O=build/obj/services/jobmatch
      cc -O2 -D_GNU_SOURCE -Icommon/util -Icommon/wire -Icommon/engine -Iservices/jobmatch bench/libcsv/compare.c \
         $O/batch_input.o $O/batch_json.o $O/table.o build/libjobmatch.a -lcsv -lczmq \
         -lzmq -lhiredis -ljansson -lm -lpthread -Wl,--unresolved-symbols=ignore-all \
         -o /tmp/csv-compare && /tmp/csv-compare /tmp/candidates.csv

    It writes /tmp/candidates.csv first when missing: 200,000 candidates,
    29 MB, a quoted skills list and a quoted resume with "" in each.     */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "batch_input.h"

static long s_fields, s_records;
static void s_field (void *data, size_t len, void *arg) { s_fields++; }
static void s_record (int c, void *arg) { s_records++; }

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
s_libcsv (const char *path)
{
    double start = s_now ();
    struct csv_parser parser;
    csv_init (&parser, CSV_STRICT | CSV_APPEND_NULL);
    FILE *file = fopen (path, "rb");
    static char buf [1 << 16];
    size_t got;
    s_fields = s_records = 0;
    while ((got = fread (buf, 1, sizeof buf, file)) > 0)
        if (csv_parse (&parser, buf, got, s_field, s_record, NULL) != got) {
            fprintf (stderr, "libcsv: %s\n", csv_strerror (csv_error (&parser)));
            exit (1);
        }
    csv_fini (&parser, s_field, s_record, NULL);
    csv_free (&parser);
    fclose (file);
    return s_now () - start;
}

static double
s_ours (const char *path, long *records)
{
    double start = s_now ();
    jm_error_t err;
    jm_error_clear (&err);
    jm_batch_input_t *input = jm_batch_input_new (path, JM_BATCH_FORMAT_CSV, &err);
    *records = jm_batch_input_skip (input, 1L << 40, &err);
    jm_batch_input_destroy (&input);
    return s_now () - start;
}

static void
s_write_sample (const char *path)
{
    static const char *skills [] = { "python", "c", "go", "rust", "sql", "postgresql", "redis",
                                     "kubernetes", "docker", "aws", "linux", "react", "java", "kafka" };
    FILE *file = fopen (path, "wx");
    if (!file)
        return;                 //  there already
    fprintf (file, "id,name,skills,years_experience,resume\n");
    for (int i = 0; i < 200000; i++) {
        fprintf (file, "cand-%d,Name %d,\"", i, i);
        for (int s = 0; s < 8; s++)
            fprintf (file, "%s%s", s ? ", " : "", skills [(i * 7 + s * 3) % 14]);
        fprintf (file, "\",%d,\"Worked on \"\"big\"\" systems, wrote %d services; led a team of %d.\"\n",
                 i % 20, i % 50, i % 9);
    }
    fclose (file);
}

int
main (int argc, char **argv)
{
    const char *path = argc > 1 ? argv [1] : "/tmp/candidates.csv";
    s_write_sample (path);
    long ours_records = 0;
    for (int round = 0; round < 5; round++) {
        double a = s_libcsv (path);
        double b = s_ours (path, &ours_records);
        printf ("round %d: libcsv %.1f ms (%ld records), ours %.1f ms (%ld candidates)\n",
                round + 1, a * 1000, s_records, b * 1000, ours_records);
    }
    return 0;
}
