/*  reader_rank: a ranking page and its search, straight from Redis.  See
    reader.h (jm_reader_rank) and reader_private.h.

    A page reads the job's hash and the ranking together, guessing the
    version shown from its last read (read again when it moved), then the
    name, band and "k of n" of its entries: two round trips.  A search reads
    the filtered ranking in chunks with the names of each chunk, keeping the
    entries whose id or name holds the text, up to search-scan-max.       */
#include "reader.h"
#include "reader_private.h"
#include "jm_keys.h"
#include "jm_store.h"
#include "jm_alloc.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_CHUNK    1000            //  ranking entries a search reads at once

//  True when haystack holds needle (already lower case), ASCII letters folded.
static bool
s_contains_folded (const char *haystack, size_t size, const char *needle)
{
    size_t needle_size = strlen (needle);
    if (needle_size == 0)
        return true;
    if (!haystack || size < needle_size)
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

//  One entry of a page, before its details are read
typedef struct {
    const jm_reply_t *member;       //  borrowed from the range reply
    double score;
    long rank;
} s_entry_t;

//  Reads name, band and "k of n" of each entry (the header lines of their
//  results, then the whole result for those cut short or written without a
//  band) and appends the entries to out.  Returns 0 or -1 with err set.
static int
s_entries_fill (jm_app_t *app, const char *job, s_entry_t *entries, size_t count, json_t *out,
                jm_error_t *err)
{
    if (count == 0)
        return 0;
    jm_store_calls_t *calls = jm_store_calls_new ();
    for (size_t index = 0; index < count; index++) {
        char key [JM_READER_KEY_MAX];
        if (jm_keys_result (jm_reader_keys (app), job, entries [index].member->str, key, sizeof key, NULL) < 0)
            jm_store_calls_addv (calls, "PING", NULL);
        else
            jm_store_calls_add_result_head (calls, key);
    }
    int rc = jm_reader_run (app, calls, err);
    json_t **items = jm_calloc (count, sizeof (json_t *));
    jm_store_calls_t *whole = jm_store_calls_new ();
    size_t *whole_of = jm_calloc (count, sizeof (size_t));
    for (size_t index = 0; rc == 0 && index < count; index++) {
        const jm_reply_t *stored = jm_store_calls_reply (calls, index);
        bool found = stored && stored->type == JM_REPLY_STRING && stored->len > 0;
        json_t *head = found ? jm_store_result_head (stored->str, stored->len) : NULL;
        items [index] = json_pack ("{s:I, s:s%, s:n, s:f, s:n, s:n}",
                                   "rank", (json_int_t) entries [index].rank,
                                   "candidate", entries [index].member->str, entries [index].member->len,
                                   "name", "score", entries [index].score, "band", "required");
        if (json_is_string (json_object_get (head, "band"))) {
            const char *fields [] = { "name", "band", "required" };
            for (size_t field = 0; field < 3; field++) {
                json_t *value = json_object_get (head, fields [field]);
                if (json_is_string (value))
                    json_object_set (items [index], fields [field], value);
            }
        }
        else
        if (found) {
            char key [JM_READER_KEY_MAX];
            jm_keys_result (jm_reader_keys (app), job, entries [index].member->str, key, sizeof key, NULL);
            whole_of [jm_store_calls_count (whole)] = index;
            jm_store_calls_addv (whole, "GET", key, NULL);
        }
        json_decref (head);
    }
    size_t wholes = jm_store_calls_count (whole);
    if (rc == 0 && wholes)
        rc = jm_reader_run (app, whole, err);
    for (size_t position = 0; rc == 0 && position < wholes; position++) {
        json_t *result = jm_store_reply_result (jm_store_calls_reply (whole, position));
        json_t *item = items [whole_of [position]];
        const char *fields [] = { "name", "band", "required" };
        for (size_t field = 0; field < 3; field++) {
            json_t *value = json_object_get (result, fields [field]);
            if (json_is_string (value))
                json_object_set (item, fields [field], value);
        }
        json_decref (result);
    }
    for (size_t index = 0; index < count; index++) {
        if (rc == 0 && items [index])
            json_array_append (out, items [index]);
        json_decref (items [index]);
    }
    free (items);
    free (whole_of);
    jm_store_calls_destroy (&whole);
    jm_store_calls_destroy (&calls);
    return rc;
}

//  A search: reads the filtered ranking in chunks, keeps the entries whose
//  id or name holds q, and fills the page asked for.  Ranks stay positions
//  in the filtered ranking, so a found candidate shows where it stands.
static int
s_search (jm_app_t *app, const jm_reader_rank_t *query, const jm_keys_range_t *range,
          long matching, json_t *reply, jm_error_t *err)
{
    json_t *entries = json_object_get (reply, "entries");
    long read = 0, found = 0;
    long end = matching < query->scan_max? matching: query->scan_max;
    int rc = 0;
    while (rc == 0 && read < end && found < query->offset + query->limit) {
        char offset [32], count [32];
        snprintf (offset, sizeof offset, "%ld", read);
        snprintf (count, sizeof count, "%d", SEARCH_CHUNK);
        jm_store_calls_t *chunk = jm_store_calls_new ();
        jm_store_calls_addv (chunk, "ZREVRANGEBYSCORE", range->key, range->max, range->min,
                             "WITHSCORES", "LIMIT", offset, count, NULL);
        rc = jm_reader_run (app, chunk, err);
        const jm_reply_t *members = jm_store_calls_reply (chunk, 0);
        size_t size = members? members->count / 2: 0;
        //  names of the whole chunk from the header lines of their results,
        //  in one round trip, then the whole results of those whose header
        //  was cut short or has no band (written without the fields)
        jm_store_calls_t *heads = jm_store_calls_new ();
        for (size_t index = 0; rc == 0 && index < size; index++) {
            char result_key [JM_READER_KEY_MAX];
            if (jm_keys_result (jm_reader_keys (app), query->job, members->items [2 * index].str,
                                result_key, sizeof result_key, NULL) < 0)
                jm_store_calls_addv (heads, "PING", NULL);
            else
                jm_store_calls_add_result_head (heads, result_key);
        }
        if (rc == 0 && size)
            rc = jm_reader_run (app, heads, err);
        json_t **names = jm_calloc (size + 1, sizeof (json_t *));
        jm_store_calls_t *wholes = jm_store_calls_new ();
        for (size_t index = 0; rc == 0 && index < size; index++) {
            const jm_reply_t *stored = jm_store_calls_reply (heads, index);
            bool stored_found = stored && stored->type == JM_REPLY_STRING && stored->len > 0;
            json_t *head = stored_found ? jm_store_result_head (stored->str, stored->len) : NULL;
            char result_key [JM_READER_KEY_MAX];
            if (json_is_string (json_object_get (head, "band"))) {
                names [index] = json_incref (json_object_get (head, "name"));
                jm_store_calls_addv (wholes, "PING", NULL);
            }
            else
            if (stored_found && jm_keys_result (jm_reader_keys (app), query->job, members->items [2 * index].str,
                                         result_key, sizeof result_key, NULL) >= 0)
                jm_store_calls_addv (wholes, "GET", result_key, NULL);
            else
                jm_store_calls_addv (wholes, "PING", NULL);
            json_decref (head);
        }
        if (rc == 0 && size)
            rc = jm_reader_run (app, wholes, err);
        for (size_t index = 0; rc == 0 && index < size; index++) {
            if (names [index])
                continue;
            json_t *result = jm_store_reply_result (jm_store_calls_reply (wholes, index));
            names [index] = json_incref (json_object_get (result, "name"));
            json_decref (result);
        }
        s_entry_t *page = jm_calloc (size + 1, sizeof (s_entry_t));
        size_t page_size = 0;
        for (size_t index = 0; rc == 0 && index < size; index++) {
            const jm_reply_t *member = &members->items [2 * index];
            const char *name = json_string_value (names [index]);
            bool hit = s_contains_folded (member->str, member->len, query->q)
                    || (name && s_contains_folded (name, json_string_length (names [index]), query->q));
            if (!hit)
                continue;
            if (found >= query->offset && found < query->offset + query->limit) {
                page [page_size].member = member;
                page [page_size].score = strtod (members->items [2 * index + 1].str, NULL);
                page [page_size].rank = read + (long) index + 1;
                page_size++;
            }
            found++;
        }
        if (rc == 0)
            rc = s_entries_fill (app, query->job, page, page_size, entries, err);
        read += (long) size;
        free (page);
        for (size_t index = 0; index < size; index++)
            json_decref (names [index]);
        free (names);
        jm_store_calls_destroy (&wholes);
        jm_store_calls_destroy (&heads);
        jm_store_calls_destroy (&chunk);
        if (size < SEARCH_CHUNK)
            break;
    }
    //  a search that stopped at the page's end counts what it saw so far
    bool complete = read >= matching;
    json_object_set_new (reply, "matching", json_integer (found));
    json_object_set_new (reply, "search", json_pack ("{s:s, s:I, s:b}", "q", query->q,
                                                     "scanned", (json_int_t) read, "complete", complete));
    return rc;
}

//  The version last seen shown for job, 0 when none: a guess that lets a
//  ranking page read the job hash and the ranking in one round trip.
static int
s_ranked_guess (jm_app_t *app, const char *job)
{
    pthread_mutex_lock (&app->ranked_lock);
    int guess = (int) json_integer_value (json_object_get (app->ranked_seen, job));
    pthread_mutex_unlock (&app->ranked_lock);
    return guess;
}

static void
s_ranked_learn (jm_app_t *app, const char *job, int ranked)
{
    pthread_mutex_lock (&app->ranked_lock);
    if (json_object_size (app->ranked_seen) >= 10000)
        json_object_clear (app->ranked_seen);       //  bounded: ids come from clients
    json_object_set_new (app->ranked_seen, job, json_integer (ranked));
    pthread_mutex_unlock (&app->ranked_lock);
}

//  Adds ZCOUNT (matching), ZCARD (total) and, unless searching, the page's
//  range for the ranking of version to calls.  Returns -1 with err set
//  when the job id is invalid.
static int
s_page_ask (jm_app_t *app, jm_store_calls_t *calls, const jm_reader_rank_t *query, int version,
            jm_error_t *err)
{
    jm_reader_job_t shown = { .ranked = version };
    snprintf (shown.ranked_text, sizeof shown.ranked_text, "%d", version);
    jm_keys_range_t range, all;
    if (jm_reader_rank_range (app, query->job, &shown, query->band, query->min_score, &range, err)
    ||  jm_reader_rank_range (app, query->job, &shown, NULL, NAN, &all, err))
        return -1;
    char offset [32], limit [32], last [32];
    snprintf (offset, sizeof offset, "%ld", query->offset);
    snprintf (limit, sizeof limit, "%ld", query->limit);
    snprintf (last, sizeof last, "%ld", query->offset + query->limit - 1);
    jm_store_calls_addv (calls, "ZCOUNT", range.key, range.min, range.max, NULL);
    jm_store_calls_addv (calls, "ZCARD", all.key, NULL);
    //  a whole set by rank: a deep page costs O(log N), not O(offset)
    if (!query->q && range.whole)
        jm_store_calls_addv (calls, "ZREVRANGE", range.key, offset, last, "WITHSCORES", NULL);
    else
    if (!query->q)
        jm_store_calls_addv (calls, "ZREVRANGEBYSCORE", range.key, range.max, range.min,
                             "WITHSCORES", "LIMIT", offset, limit, NULL);
    return 0;
}

//  Reads a ranking page.  The job hash says which version is shown; with
//  the version seen last time as a guess, the page's reads go in the same
//  round trip, and are sent again only when the guess was wrong.
json_t *
jm_reader_rank (jm_app_t *app, const jm_reader_rank_t *query, jm_error_t *err)
{
    jm_store_calls_t *calls = jm_store_calls_new ();
    jm_store_calls_t *again = NULL;
    json_t *reply = NULL;
    jm_reader_job_t job = { NULL };
    int guess = s_ranked_guess (app, query->job);
    if (jm_reader_job_ask (app, calls, query->job, err))
        goto done;
    jm_reader_registry_ask (app, calls);
    if ((guess && s_page_ask (app, calls, query, guess, err)) || jm_reader_run (app, calls, err))
        goto done;
    bool legacy = jm_reader_int (jm_store_calls_reply (calls, 1), 1) == 0;
    if (jm_reader_job_take (app, &job, query->job, jm_store_calls_reply (calls, 0), legacy)) {
        jm_error_set (err, JM_ERR_UNKNOWN_JOB, "no job '%s'", query->job);
        goto done;
    }
    jm_store_calls_t *page = calls;
    size_t base = 2;
    if (job.ranked != guess) {
        s_ranked_learn (app, query->job, job.ranked);
        again = jm_store_calls_new ();
        if (s_page_ask (app, again, query, job.ranked, err) || jm_reader_run (app, again, err))
            goto done;
        page = again;
        base = 0;
    }
    long matching = (long) jm_reader_int (jm_store_calls_reply (page, base), 0);
    reply = json_pack ("{s:s, s:i, s:I, s:I, s:I, s:I, s:[], s:O}",
                       "job", query->job, "version", job.ranked,
                       "total", (json_int_t) jm_reader_int (jm_store_calls_reply (page, base + 1), 0),
                       "matching", (json_int_t) matching,
                       "offset", (json_int_t) query->offset, "limit", (json_int_t) query->limit,
                       "entries", "rescoring", job.rescoring);
    int rc;
    if (query->q) {
        jm_keys_range_t range;
        jm_reader_rank_range (app, query->job, &job, query->band, query->min_score, &range, NULL);
        rc = s_search (app, query, &range, matching, reply, err);
    }
    else {
        const jm_reply_t *members = jm_store_calls_reply (page, base + 2);
        size_t size = members? members->count / 2: 0;
        s_entry_t *entries = jm_calloc (size + 1, sizeof (s_entry_t));
        for (size_t index = 0; index < size; index++) {
            entries [index].member = &members->items [2 * index];
            entries [index].score = strtod (members->items [2 * index + 1].str, NULL);
            entries [index].rank = query->offset + (long) index + 1;
        }
        rc = s_entries_fill (app, query->job, entries, size, json_object_get (reply, "entries"), err);
        free (entries);
    }
    if (rc) {
        json_decref (reply);
        reply = NULL;
    }
done:
    jm_store_calls_destroy (&again);
    jm_store_calls_destroy (&calls);
    jm_reader_job_free (&job);
    return reply;
}
