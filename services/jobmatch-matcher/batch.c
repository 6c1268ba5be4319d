/*  batch: the jobmatch.match requests of one turn, parsed.  See batch.h. */
#include "batch.h"
#include "jm_alloc.h"

#include <czmq.h>
#include <string.h>

jm_batch_t *
jm_batch_new (jm_engine_t *engine, jm_registry_t *registry)
{
    jm_batch_t *self = jm_calloc (1, sizeof *self);
    self->engine = engine;
    self->registry = registry;
    self->requests = jm_calloc (JM_BATCH_MAX_REQUESTS, sizeof (jm_batch_request_t));
    self->doc = jm_json_doc_new ();
    return self;
}

void
jm_batch_destroy (jm_batch_t **self_p)
{
    assert (self_p);
    jm_batch_t *self = *self_p;
    if (!self)
        return;
    jm_batch_clear (self);
    jm_json_doc_destroy (&self->doc);
    free (self->requests);
    free (self->entries);
    free (self->items);
    free (self);
    *self_p = NULL;
}

static jm_batch_entry_t *
s_entry_add (jm_batch_t *self)
{
    if (self->entry_count == self->entry_cap) {
        self->entry_cap = self->entry_cap ? self->entry_cap * 2 : 1024;
        self->entries = jm_realloc (self->entries, self->entry_cap * sizeof (jm_batch_entry_t));
    }
    jm_batch_entry_t *entry = &self->entries [self->entry_count++];
    memset (entry, 0, sizeof *entry);
    return entry;
}

static jm_batch_item_t *
s_item_add (jm_batch_t *self)
{
    if (self->item_count == self->item_cap) {
        self->item_cap = self->item_cap ? self->item_cap * 2 : 1024;
        self->items = jm_realloc (self->items, self->item_cap * sizeof (jm_batch_item_t));
    }
    jm_batch_item_t *item = &self->items [self->item_count++];
    memset (item, 0, sizeof *item);
    return item;
}

//  Parses the "jobs" member into infos; defaults to the default job.
static int
s_parse_jobs (jm_batch_t *self, const jm_json_t *body, const jm_registry_job_t **infos, int *count,
              jm_error_t *err)
{
    const jm_json_t *jobs = jm_json_get (body, "jobs");
    *count = 0;
    if (!jobs || jm_json_is_null (jobs)) {
        infos [0] = jm_registry_find (self->registry, JM_DEFAULT_JOB);
        if (!infos [0])
            return jm_error_set (err, JM_ERR_UNKNOWN_JOB, "the default job '%s' is not loaded", JM_DEFAULT_JOB);
        *count = 1;
        return 0;
    }
    if (!jm_json_is_array (jobs) || jobs->count == 0 || jobs->count > JM_MATCH_MAX_JOBS)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "jobs must be an array of 1 to %d job ids", JM_MATCH_MAX_JOBS);
    const jm_json_t *value = jm_json_first (jobs);
    for (size_t index = 0; index < jobs->count; index++, value = jm_json_skip (value)) {
        if (!jm_json_is_string (value))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "jobs[%zu] must be a string", index);
        const jm_registry_job_t *info = jm_registry_find (self->registry, value->string);
        self->unknown_job_seen |= !info;
        if (!info)
            return jm_error_set (err, JM_ERR_UNKNOWN_JOB, "jobs[%zu]: unknown job '%.128s'", index,
                                 value->string);
        bool seen = false;
        for (int i = 0; i < *count; i++)
            seen = seen || infos [i] == info;
        if (!seen)
            infos [(*count)++] = info;
    }
    return 0;
}

static void
s_add_candidate (jm_batch_t *self, const jm_json_t *object, const jm_registry_job_t **infos,
                 int job_count, bool refresh)
{
    jm_batch_entry_t *entry = s_entry_add (self);
    size_t entry_index = self->entry_count - 1;
    jm_error_clear (&entry->error);
    const jm_json_t *id = jm_json_get (object, "id");
    if (jm_json_is_object (object) && !jm_json_is_string (id))
        //  as jobmatch.jobs and jobmatch.results: an id is a string, never a number
        jm_error_set (&entry->error, JM_ERR_INVALID_REQUEST,
                      "candidate id must be a string of 1 to %d bytes", JM_CANDIDATE_ID_MAX);
    else
        entry->candidate = jm_engine_candidate_value (self->engine, object, &entry->error);
    entry = &self->entries [entry_index];
    if (!entry->candidate) {
        if (jm_json_is_string (id))
            entry->id = jm_strndup (id->string, 128);
        return;
    }
    entry->first_item = (int) self->item_count;
    for (int j = 0; j < job_count; j++) {
        jm_batch_item_t *item = s_item_add (self);
        item->info = infos [j];
        item->entry = (int) entry_index;
        item->refresh = refresh;
        jm_registry_fingerprint (infos [j], entry->candidate, item->fingerprint);
    }
}

//  True when an object has a key twice: pairwise for a few keys, a hash
//  table for many (so a hostile object of 100,000 keys costs no more).
static bool
s_object_has_duplicate (const jm_json_t *object, const char **duplicate)
{
    const jm_json_t *key = jm_json_first (object);
    if (object->count <= 16) {
        for (uint32_t i = 0; i < object->count; i++, key = jm_json_skip (key + 1))
            for (const jm_json_t *other = jm_json_skip (key + 1); other < object + object->size;
                 other = jm_json_skip (other + 1))
                if (other->count == key->count && memcmp (other->string, key->string, key->count) == 0) {
                    *duplicate = key->string;
                    return true;
                }
        return false;
    }
    zhashx_t *seen = zhashx_new ();
    bool found = false;
    for (uint32_t i = 0; i < object->count && !found; i++, key = jm_json_skip (key + 1))
        if (zhashx_insert (seen, key->string, (void *) key) != 0) {
            *duplicate = key->string;
            found = true;
        }
    zhashx_destroy (&seen);
    return found;
}

//  Refuses a body with a key twice in any object, as jansson does for
//  jobmatch.jobs and jobmatch.results (JSON_REJECT_DUPLICATES): the error
//  names the key and the candidate it is in.  Returns 0, or -1 with err set.
static int
s_check_duplicate_keys (const jm_json_t *body, const jm_json_t *one, const jm_json_t *many,
                        jm_error_t *err)
{
    for (const jm_json_t *value = body; jm_json_is_object (body) && value < body + body->size;
         value++) {
        const char *duplicate = NULL;
        if (!jm_json_is_object (value) || !s_object_has_duplicate (value, &duplicate))
            continue;
        char where [48] = "the body";
        if (one && value >= one && value < one + one->size)
            snprintf (where, sizeof where, "candidate");
        else
        if (jm_json_is_array (many) && value > many && value < many + many->size) {
            const jm_json_t *member = jm_json_first (many);
            size_t index = 0;
            while (value >= jm_json_skip (member)) {
                member = jm_json_skip (member);
                index++;
            }
            snprintf (where, sizeof where, "candidates[%zu]", index);
        }
        return jm_error_set (err, JM_ERR_INVALID_JSON, "duplicate object key \"%.64s\" in %s",
                             duplicate, where);
    }
    return 0;
}

//  Parses one request body into entries and items, or records its error.
static void
s_parse_request (jm_batch_t *self, jm_batch_request_t *request)
{
    jm_error_clear (&request->error);
    request->first_entry = (int) self->entry_count;
    const jm_json_t *body = jm_json_doc_parse (self->doc,
                                               (const char *) jm_mdp_request_data (request->request),
                                               jm_mdp_request_size (request->request), &request->error);
    if (!body)
        return;
    const jm_json_t *one = jm_json_get (body, "candidate");
    const jm_json_t *many = jm_json_get (body, "candidates");
    const jm_json_t *refresh = jm_json_get (body, "refresh");
    if (s_check_duplicate_keys (body, one, many, &request->error))
        return;
    const jm_registry_job_t *infos [JM_MATCH_MAX_JOBS];
    int job_count = 0;
    if (!jm_json_is_object (body))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "the body must be a JSON object");
    else
    if ((one != NULL) == (many != NULL))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST,
                      "the body needs exactly one of \"candidate\" (an object) or \"candidates\" (an array)");
    else
    if (one && !jm_json_is_object (one))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "candidate must be an object");
    else
    if (many && !jm_json_is_array (many))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "candidates must be an array");
    else
    if (refresh && !jm_json_is (refresh, JM_JSON_TRUE) && !jm_json_is (refresh, JM_JSON_FALSE))
        jm_error_set (&request->error, JM_ERR_INVALID_REQUEST, "refresh must be true or false");
    else
    if (jm_detail_parse_json (jm_json_get (body, "detail"), JM_DETAIL_DEFAULT, &request->detail,
                              &request->error))
        ;   //  the error says which values detail takes
    else
    if (jm_json_count (many) > JM_MATCH_MAX_CANDIDATES)
        jm_error_set (&request->error, JM_ERR_TOO_LARGE, "%zu candidates: at most %d in one request",
                      jm_json_count (many), JM_MATCH_MAX_CANDIDATES);
    else
    if (s_parse_jobs (self, body, infos, &job_count, &request->error) == 0) {
        if (one) {
            request->single = true;
            s_add_candidate (self, one, infos, job_count, jm_json_is (refresh, JM_JSON_TRUE));
            jm_batch_entry_t *entry = &self->entries [self->entry_count - 1];
            if (!entry->candidate) {
                //  a single bad candidate fails the request
                request->error = entry->error;
                free (entry->id);
                self->entry_count--;
            }
        }
        else {
            const jm_json_t *object = jm_json_first (many);
            for (size_t index = 0; index < many->count; index++, object = jm_json_skip (object))
                s_add_candidate (self, object, infos, job_count,
                                 jm_json_is (refresh, JM_JSON_TRUE));
        }
    }
    request->entry_count = (int) self->entry_count - request->first_entry;
}

void
jm_batch_add (jm_batch_t *self, jm_mdp_request_t **request_p)
{
    assert (self && request_p && *request_p && self->request_count < JM_BATCH_MAX_REQUESTS);
    jm_batch_request_t *request = &self->requests [self->request_count++];
    memset (request, 0, sizeof *request);
    request->request = *request_p;
    *request_p = NULL;
    s_parse_request (self, request);
}

//  Frees the candidates and forgets the entries and items.
static void
s_free_entries (jm_batch_t *self)
{
    for (size_t e = 0; e < self->entry_count; e++) {
        jm_candidate_destroy (&self->entries [e].candidate);
        free (self->entries [e].id);
    }
    self->entry_count = 0;
    self->item_count = 0;
}

void
jm_batch_reparse (jm_batch_t *self)
{
    assert (self);
    s_free_entries (self);
    for (int r = 0; r < self->request_count; r++)
        s_parse_request (self, &self->requests [r]);
}

void
jm_batch_clear (jm_batch_t *self)
{
    assert (self);
    s_free_entries (self);
    for (int r = 0; r < self->request_count; r++)
        jm_mdp_request_destroy (&self->requests [r].request);
    self->request_count = 0;
    self->unknown_job_seen = false;
    jm_json_doc_trim (self->doc);
}
