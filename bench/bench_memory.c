/*  bench_memory: writes the Redis commands that store N candidate-job
    pairs of one job, in RESP on stdout, for `redis-cli --pipe`; driven by
    bench/bench_memory.py, which measures what each structure costs.

    Usage: bench_memory STRUCTURE N [BUCKETS]
           bench_memory store N REDIS-URL
      store     every pair through the matcher's real write path into the
                Redis at REDIS-URL: jm_store_write_many in groups of 64
                (records, ranking, band sets, the kept summary and its
                :parts, as the matcher writes them), nothing on stdout
      records   each pair's compact record (jm_record_encode) as a field of
                its bucket HASH, <ns>:res:<job>:<bucket> (jm_keys_result_bucket,
                jm_record_bucket; BUCKETS, a power of two, default 16384)
      ranking   the ranking ZSET <ns>:rank:<job>:<version>, as written today
      bands     the strong and good band sets, as written today
      parts     the kept summary's :parts HASH (one share per candidate)
      shards    a candidate ranking layout (not used by the services): one
                listpack-sized ZSET per score (one decimal) and one of 64
                sub-shards by candidate hash, every member scored 0
    Pairs are generated with a fixed seed: ids "cand-0000001" (12 bytes),
    scores of one decimal around 45 (spread 15), 3 to 5 required
    requirements, bands from jm_score_band, so runs are comparable.        */
#include "bench_util.h"
#include "jm_keys.h"
#include "jm_record.h"
#include "jm_score.h"
#include "jm_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB         "bench-job"
#define VERSION     "1"
#define SUB_SHARDS  64          //  per score: ~2,700 members at the peak of 1M, 42 a shard

typedef struct {
    char id [32];
    double score;
    int met, total;
    jm_band_t band;
} s_pair_t;

static uint64_t s_seed = 0x9E3779B97F4A7C15ULL;

static void
s_pair (long serial, s_pair_t *pair)
{
    snprintf (pair->id, sizeof pair->id, "cand-%07ld", serial);
    //  a sum of four uniforms: roughly normal, mean 45, spread 15
    double sum = 0;
    for (int i = 0; i < 4; i++)
        sum += bench_random (&s_seed) / 4294967296.0;
    double score = 45 + (sum - 2) * 26;
    score = score < 0 ? 0 : score > 100 ? 100 : score;
    pair->score = (double) (long) (score * 10 + 0.5) / 10;
    pair->total = 3 + (int) (bench_random (&s_seed) % 3);
    pair->met = pair->score >= 55 ? pair->total
              : (int) (bench_random (&s_seed) % (unsigned) (pair->total + 1));
    pair->band = jm_score_band (pair->score, pair->met == pair->total);
}

static void
s_command (int argc, const char **argv, const size_t *lens)
{
    printf ("*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        printf ("$%zu\r\n", lens [i]);
        fwrite (argv [i], 1, lens [i], stdout);
        fputs ("\r\n", stdout);
    }
}

static void
s_command3 (const char *verb, const char *key, const char *a, size_t a_len, const char *b)
{
    const char *argv [] = { verb, key, a, b };
    size_t lens [] = { strlen (verb), strlen (key), a_len, strlen (b) };
    s_command (4, argv, lens);
}

#define GROUP       64          //  results a write group holds, as the matcher's

//  Writes count pairs through jm_store_write_many into the Redis at url.
//  Returns 0, or 1 when Redis failed.
static int
s_store (long count, const char *url)
{
    jm_store_options_t options;
    jm_store_options_default (&options);
    jm_store_t *store = jm_store_new (url, &options, NULL);
    if (!store || !jm_store_connected (store)) {
        fprintf (stderr, "bench_memory: no Redis at %s\n", url);
        jm_store_destroy (&store);
        return 1;
    }
    static const char labels [] = "Go\0Docker\0Linux\0PostgreSQL\0Redis\0Kubernetes\0";
    s_pair_t pairs [GROUP];
    char fingerprints [GROUP][64], required [GROUP][16], missing [GROUP][8];
    jm_store_result_t results [GROUP];
    jm_error_t errors [GROUP];
    for (long first = 1; first <= count; first += GROUP) {
        size_t n = 0;
        for (long serial = first; serial <= count && n < GROUP; serial++, n++) {
            s_pair_t *pair = &pairs [n];
            s_pair (serial, pair);
            snprintf (fingerprints [n], sizeof fingerprints [n], "1:1a2b3c4d:%s:%016lx",
                      JM_SCORER_VERSION, (unsigned long) serial);
            snprintf (required [n], sizeof required [n], "%d of %d", pair->met, pair->total);
            size_t missed = 0;
            for (int r = pair->met; r < pair->total; r++)
                missing [n][missed++] = (char) ('0' + r);
            results [n] = (jm_store_result_t) {
                .job = JOB, .version = VERSION, .candidate = pair->id, .score = pair->score,
                .fingerprint = fingerprints [n], .band = jm_band_name (pair->band),
                .required = required [n], .missing = missing [n], .missing_len = missed,
                .labels = labels, .labels_len = sizeof labels - 1
            };
        }
        if (jm_store_write_many (store, results, n, errors) != (int) n
        ||  jm_store_flush (store) < 0) {
            fprintf (stderr, "bench_memory: writing pairs from %ld failed: %s\n", first,
                     errors [0].message);
            jm_store_destroy (&store);
            return 1;
        }
    }
    jm_store_destroy (&store);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: bench_memory records|ranking|bands|parts|shards N [BUCKETS]\n"
                         "       bench_memory store N REDIS-URL\n");
        return 2;
    }
    const char *structure = argv [1];
    long count = atol (argv [2]);
    if (strcmp (structure, "store") == 0)
        return count >= 1 && argc > 3 ? s_store (count, argv [3]) : 2;
    uint32_t buckets = argc > 3 ? (uint32_t) atol (argv [3]) : 16384;
    if (count < 1 || buckets < 1 || (buckets & (buckets - 1))) {
        fprintf (stderr, "bench_memory: N >= 1, BUCKETS a power of two\n");
        return 2;
    }
    jm_keys_t *keys = jm_keys_new ("jobmatch", NULL);
    char rank [JM_KEYS_MAX], strong [JM_KEYS_MAX], good [JM_KEYS_MAX], parts [JM_KEYS_MAX];
    jm_keys_rank (keys, JOB, VERSION, rank, sizeof rank, NULL);
    jm_keys_rank_band (keys, JOB, VERSION, "strong", strong, sizeof strong, NULL);
    jm_keys_rank_band (keys, JOB, VERSION, "good", good, sizeof good, NULL);
    jm_keys_summary_parts (keys, JOB, VERSION, parts, sizeof parts, NULL);
    for (long serial = 1; serial <= count; serial++) {
        s_pair_t pair;
        s_pair (serial, &pair);
        char score [32], key [JM_KEYS_MAX];
        snprintf (score, sizeof score, "%.1f", pair.score);
        if (strcmp (structure, "records") == 0) {
            jm_record_t record = {
                .score = pair.score, .band = pair.band,
                .required_met = pair.met, .required_total = pair.total,
                .at_ms = 1765000000000 + serial
            };
            jm_record_set_fingerprint (&record, "1:1a2b3c4d:" JM_SCORER_VERSION ":9f2c00aabbccddee", NULL);
            record.profile_hash [0] = (uint8_t) serial;     //  profiles differ
            uint8_t bytes [JM_RECORD_MAX];
            size_t len = jm_record_encode (&record, bytes);
            jm_keys_result_bucket (keys, JOB, jm_record_bucket (pair.id, buckets), key, sizeof key, NULL);
            const char *args [] = { "HSET", key, pair.id, (const char *) bytes };
            size_t lens [] = { 4, strlen (key), strlen (pair.id), len };
            s_command (4, args, lens);
        }
        else
        if (strcmp (structure, "ranking") == 0)
            s_command3 ("ZADD", rank, score, strlen (score), pair.id);
        else
        if (strcmp (structure, "bands") == 0) {
            if (pair.band == JM_BAND_STRONG || pair.band == JM_BAND_GOOD)
                s_command3 ("ZADD", pair.band == JM_BAND_STRONG ? strong : good,
                            score, strlen (score), pair.id);
        }
        else
        if (strcmp (structure, "parts") == 0) {
            char share [8] = { (char) ('0' + jm_score_bin (pair.score)),
                               jm_band_name (pair.band) [0] };
            size_t share_len = 2;
            for (int missing = pair.met; missing < pair.total; missing++)
                share [share_len++] = (char) ('0' + missing);
            const char *args [] = { "HSET", parts, pair.id, share };
            size_t lens [] = { 4, strlen (parts), strlen (pair.id), share_len };
            s_command (4, args, lens);
        }
        else
        if (strcmp (structure, "shards") == 0) {
            snprintf (key, sizeof key, "%s:s%d:%u", rank, (int) (pair.score * 10 + 0.5),
                      jm_record_bucket (pair.id, SUB_SHARDS));
            s_command3 ("ZADD", key, "0", 1, pair.id);
        }
        else {
            fprintf (stderr, "bench_memory: unknown structure %s\n", structure);
            return 2;
        }
    }
    jm_keys_destroy (&keys);
    return 0;
}
