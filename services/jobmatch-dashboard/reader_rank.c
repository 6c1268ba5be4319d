/*  reader_rank: a ranking page and its search, straight from Redis.  See
    reader.h (jm_reader_rank) and reader_private.h.

    A page is read by the shared read path (jm_results_read_page: the
    job's state, the page of the ranked version with a bounded retry when
    it flips, then the name, band and "k of n" of its entries), guessing
    the version from its last read so state and page share a round trip.  A search
    reads the filtered ranking of that one version in chunks the same way,
    keeping the entries whose id or name holds the text, up to
    search-scan-max.                                                       */
#include "reader.h"
#include "reader_private.h"
#include "jm_alloc.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#define SEARCH_CHUNK    1000            //  ranking entries a search reads at once

//  True when haystack holds needle (already lower case), ASCII letters folded.
static bool
s_contains_folded (const char *haystack, const char *needle)
{
    size_t needle_size = strlen (needle);
    size_t size = haystack ? strlen (haystack) : 0;
    if (needle_size == 0)
        return true;
    if (size < needle_size)
        return false;
    for (size_t start = 0; start + needle_size <= size; start++) {
        size_t index = 0;
        while (index < needle_size
           &&  tolower ((unsigned char) haystack [start + index]) == (unsigned char) needle [index])
            index++;
        if (index == needle_size)
            return true;
    }
    return false;
}

//  One entry as the reply shows it; rank as given.
static json_t *
s_entry_json (const jm_results_entry_t *entry, long long rank)
{
    json_t *item = json_pack ("{s:I, s:s, s:n, s:f, s:s, s:n}", "rank", (json_int_t) rank,
                              "candidate", entry->candidate, "name", "score", entry->score,
                              "band", entry->band, "required");
    if (entry->name)
        json_object_set_new (item, "name", json_string (entry->name));
    if (entry->required)
        json_object_set_new (item, "required", json_string (entry->required));
    return item;
}

//  A search: reads the filtered ranking of the version first read in
//  chunks, keeps the entries whose id or name holds q, and fills the page
//  asked for.  Ranks stay positions in the filtered ranking, so a found
//  candidate shows where it stands.
static int
s_search (jm_app_t *app, const jm_reader_rank_t *query, const jm_results_page_t *first,
          json_t *reply, jm_error_t *err)
{
    jm_results_reader_t reader = jm_reader_path (app);
    json_t *entries = json_object_get (reply, "entries");
    long long read = 0, found = 0;
    long long end = first->matching < query->scan_max ? first->matching : query->scan_max;
    jm_results_query_t chunk_query = { .job = query->job, .limit = SEARCH_CHUNK,
                                       .band = query->band, .min_score = query->min_score,
                                       .version = first->state.ranked };
    int rc = 0;
    while (rc == 0 && read < end && found < query->offset + query->limit) {
        jm_results_page_t chunk;
        chunk_query.offset = read;
        rc = jm_results_read_page (&reader, &chunk_query, &chunk, err);
        if (rc)
            break;
        for (size_t index = 0; index < chunk.count; index++) {
            const jm_results_entry_t *entry = &chunk.entries [index];
            if (!s_contains_folded (entry->candidate, query->q)
            &&  !s_contains_folded (entry->name, query->q))
                continue;
            if (found >= query->offset && found < query->offset + query->limit)
                json_array_append_new (entries, s_entry_json (entry, entry->rank));
            found++;
        }
        read += (long long) chunk.count;
        size_t size = chunk.count;
        jm_results_page_free (&chunk);
        if (size < SEARCH_CHUNK)
            break;
    }
    //  a search that stopped at the page's end counts what it saw so far
    bool complete = read >= first->matching;
    json_object_set_new (reply, "matching", json_integer (found));
    json_object_set_new (reply, "search", json_pack ("{s:s, s:I, s:b}", "q", query->q,
                                                     "scanned", (json_int_t) read, "complete", complete));
    return rc;
}

//  The version last seen shown for job, 0 when none: the guess that lets a
//  ranking page read the job's state and the page in one round trip.
static long long
s_ranked_guess (jm_app_t *app, const char *job)
{
    pthread_mutex_lock (&app->ranked_lock);
    long long guess = json_integer_value (json_object_get (app->ranked_seen, job));
    pthread_mutex_unlock (&app->ranked_lock);
    return guess;
}

static void
s_ranked_learn (jm_app_t *app, const char *job, long long ranked)
{
    pthread_mutex_lock (&app->ranked_lock);
    if (json_object_size (app->ranked_seen) >= 10000)
        json_object_clear (app->ranked_seen);       //  bounded: ids come from clients
    json_object_set_new (app->ranked_seen, job, json_integer (ranked));
    pthread_mutex_unlock (&app->ranked_lock);
}

json_t *
jm_reader_rank (jm_app_t *app, const jm_reader_rank_t *query, jm_error_t *err)
{
    jm_results_reader_t reader = jm_reader_path (app);
    //  a search reads its own chunks: the first read gives the version and counts
    jm_results_query_t page_query = { .job = query->job, .offset = query->q ? 0 : query->offset,
                                      .limit = query->q ? 1 : query->limit, .band = query->band,
                                      .min_score = query->min_score,
                                      .guess = s_ranked_guess (app, query->job) };
    jm_results_page_t page;
    if (jm_results_read_page (&reader, &page_query, &page, err))
        return NULL;
    if (page.state.ranked != page_query.guess)
        s_ranked_learn (app, query->job, page.state.ranked);
    json_t *reply = json_pack ("{s:s, s:I, s:I, s:I, s:I, s:I, s:[], s:o}",
                               "job", query->job, "version", (json_int_t) page.state.ranked,
                               "total", (json_int_t) page.total,
                               "matching", (json_int_t) page.matching,
                               "offset", (json_int_t) query->offset,
                               "limit", (json_int_t) query->limit,
                               "entries", "rescoring", jm_reader_progress (&page.state));
    int rc = 0;
    if (query->q)
        rc = s_search (app, query, &page, reply, err);
    else
        for (size_t index = 0; index < page.count; index++)
            json_array_append_new (json_object_get (reply, "entries"),
                                   s_entry_json (&page.entries [index], page.entries [index].rank));
    jm_results_page_free (&page);
    if (rc) {
        json_decref (reply);
        reply = NULL;
    }
    return reply;
}
