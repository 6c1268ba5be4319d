/*  api: the handlers of /api/v1.  See api.h and proto/openapi.yaml.

    Reads (jobs, a ranking, results, a summary) are answered from Redis by
    reader.c, at once.  Changes and scoring (job put and delete, match,
    best), and the gateway's own state (system: its built-in service
    jobmatch.system), go through the gateway: one round
    that builds the service request, waits for the reply and passes it on
    without its "ok".  Every handler checks its parameters first.         */
#include "api.h"
#include "metrics.h"
#include "reader.h"
#include "jm_log.h"
#include "jm_score.h"
#include "jm_taxonomy.h"
#include "jm_alloc.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JOBS_SERVICE        "jobmatch.jobs"
#define RESULTS_SERVICE     "jobmatch.results"
#define MATCH_SERVICE       "jobmatch.match"
#define SYSTEM_SERVICE      "jobmatch.system"
#define FAILURES_MAX        100         //  failed requests the gateway keeps

#define ID_MAX              128         //  bytes in a job or candidate id
#define RANK_LIMIT_MAX      1000
#define RANK_LIMIT_DEFAULT  20
#define SEARCH_MAX          128         //  bytes in a search text

//  --------------------------------------------------------------------------
//  Parameters

//  True when text is valid UTF-8 (no overlong forms, no surrogates).
static bool
s_valid_utf8 (const char *text)
{
    const unsigned char *byte = (const unsigned char *) text;
    while (*byte) {
        unsigned char c = *byte;
        int extra;
        unsigned int value;
        if (c < 0x80) {
            byte++;
            continue;
        }
        else
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            value = c & 0x1F;
        }
        else
        if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            value = c & 0x0F;
        }
        else
        if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            value = c & 0x07;
        }
        else
            return false;
        for (int index = 1; index <= extra; index++) {
            if ((byte [index] & 0xC0) != 0x80)
                return false;
            value = (value << 6) | (byte [index] & 0x3F);
        }
        if ((extra == 2 && (value < 0x800 || (value >= 0xD800 && value <= 0xDFFF)))
        ||  (extra == 3 && (value < 0x10000 || value > 0x10FFFF)))
            return false;
        byte += extra + 1;
    }
    return true;
}

//  Checks a job or candidate id from the path.  Returns it, or NULL after
//  setting a 400 response.
static const char *
s_path_id (jm_exchange_t *self, int index, const char *what)
{
    const char *id = jm_exchange_segment (self, index);
    assert (id);
    if (strlen (id) > ID_MAX || !s_valid_utf8 (id)) {
        jm_exchange_error (self, JM_ERR_INVALID_REQUEST,
                           "the %s id must be 1 to %d bytes of UTF-8", what, ID_MAX);
        return NULL;
    }
    return id;
}

//  Reads an integer query parameter within [min, max].  Returns 0 with
//  *value set (fallback when absent), or -1 after setting a 400 response.
static int
s_query_int (jm_exchange_t *self, const char *name, long fallback, long min, long max,
             long *value)
{
    const char *text = jm_exchange_query (self, name);
    *value = fallback;
    if (!text)
        return 0;
    char *end;
    errno = 0;
    long number = strtol (text, &end, 10);
    if (!*text || *end || errno || number < min || number > max) {
        jm_exchange_error (self, JM_ERR_INVALID_REQUEST,
                           "%s must be an integer from %ld to %ld", name, min, max);
        return -1;
    }
    *value = number;
    return 0;
}

//  --------------------------------------------------------------------------
//  Jobs, results, summaries: reads from Redis (reader.c); changes through
//  the gateway, one round each

//  Passes call 0's reply on (status 200) or its error.
static int
s_pass_on (jm_exchange_t *self)
{
    json_t *reply = jm_exchange_call_result (self, 0);
    return reply? jm_exchange_json (self, 200, reply): JM_EXCHANGE_DONE;
}

//  Starts a one-round request to service: {"op": op, "<name>": id}.
static int
s_ask (jm_exchange_t *self, const char *service, const char *op, const char *name, const char *id)
{
    jm_buf_t body;
    jm_buf_init (&body);
    jm_buf_puts (&body, "{\"op\":");
    jm_buf_json_str (&body, op);
    jm_buf_printf (&body, ",\"%s\":", name);
    jm_buf_json_str (&body, id);
    jm_buf_puts (&body, "}");
    jm_exchange_call (self, service, jm_buf_steal (&body, NULL), 0);
    return JM_EXCHANGE_WAIT;
}

//  Answers with reply (stolen), or with err when reply is NULL.
static int
s_answer (jm_exchange_t *self, json_t *reply, const jm_error_t *err)
{
    return reply? jm_exchange_json (self, 200, reply): jm_exchange_error_from (self, err);
}

int
jm_api_jobs_list (jm_exchange_t *self)
{
    jm_error_t err;
    jm_error_clear (&err);
    return s_answer (self, jm_reader_jobs (self->app, &err), &err);
}

int
jm_api_job_get (jm_exchange_t *self)
{
    const char *job = s_path_id (self, 3, "job");
    if (!job)
        return JM_EXCHANGE_DONE;
    jm_error_t err;
    jm_error_clear (&err);
    return s_answer (self, jm_reader_job (self->app, job, &err), &err);
}

int
jm_api_job_delete (jm_exchange_t *self)
{
    if (self->stage == 0) {
        const char *job = s_path_id (self, 3, "job");
        return job? s_ask (self, JOBS_SERVICE, "delete", "id", job): JM_EXCHANGE_DONE;
    }
    return s_pass_on (self);
}

int
jm_api_job_put (jm_exchange_t *self)
{
    if (self->stage == 0) {
        const char *job = s_path_id (self, 3, "job");
        if (!job)
            return JM_EXCHANGE_DONE;
        json_t *value = jm_exchange_body_json (self);
        if (!value)
            return JM_EXCHANGE_DONE;
        if (!json_is_object (value)) {
            json_decref (value);
            return jm_exchange_error (self, JM_ERR_INVALID_REQUEST, "the body must be a job object");
        }
        json_t *id = json_object_get (value, "id");
        if (id && !(json_is_string (id) && strcmp (json_string_value (id), job) == 0)) {
            json_decref (value);
            return jm_exchange_error (self, JM_ERR_INVALID_REQUEST,
                                      "the body's \"id\" differs from the job id in the path");
        }
        json_object_set_new (value, "id", json_string (job));
        json_t *request = json_pack ("{s:s, s:o}", "op", "put", "job", value);
        char *body = jm_alloc_check (json_dumps (request, JSON_COMPACT), "JSON text");
        json_decref (request);
        jm_exchange_call (self, JOBS_SERVICE, body, 0);
        return JM_EXCHANGE_WAIT;
    }
    json_t *reply = jm_exchange_call_result (self, 0);
    if (!reply)
        return JM_EXCHANGE_DONE;
    //  a job's first version is a creation
    json_t *version = json_object_get (json_object_get (reply, "job"), "version");
    return jm_exchange_json (self, json_integer_value (version) == 1? 201: 200, reply);
}

int
jm_api_summary (jm_exchange_t *self)
{
    const char *job = s_path_id (self, 3, "job");
    if (!job)
        return JM_EXCHANGE_DONE;
    jm_error_t err;
    jm_error_clear (&err);
    return s_answer (self, jm_reader_summary (self->app, job, &err), &err);
}

int
jm_api_result (jm_exchange_t *self)
{
    const char *job = s_path_id (self, 3, "job");
    const char *candidate = job? s_path_id (self, 5, "candidate"): NULL;
    if (!candidate)
        return JM_EXCHANGE_DONE;
    jm_error_t err;
    jm_error_clear (&err);
    return s_answer (self, jm_reader_result (self->app, job, candidate, &err), &err);
}

int
jm_api_candidate_results (jm_exchange_t *self)
{
    const char *candidate = s_path_id (self, 3, "candidate");
    if (!candidate)
        return JM_EXCHANGE_DONE;
    jm_error_t err;
    jm_error_clear (&err);
    return s_answer (self, jm_reader_candidate (self->app, candidate, &err), &err);
}

//  Forwards the body, checked to be a JSON object, to service: as it is
//  when op is NULL, else with "op" set to op.
static int
s_forward (jm_exchange_t *self, const char *service, const char *op)
{
    if (self->stage == 0) {
        json_t *value = jm_exchange_body_json (self);
        if (!value)
            return JM_EXCHANGE_DONE;
        if (!json_is_object (value)) {
            json_decref (value);
            return jm_exchange_error (self, JM_ERR_INVALID_REQUEST, "the body must be a JSON object");
        }
        char *body;
        if (op) {
            json_object_set_new (value, "op", json_string (op));
            body = jm_alloc_check (json_dumps (value, JSON_COMPACT), "JSON text");
        }
        else {
            body = jm_malloc (self->body.len + 1);
            memcpy (body, self->body.data, self->body.len);
            body [self->body.len] = 0;
        }
        json_decref (value);
        jm_exchange_call (self, service, body, 0);
        return JM_EXCHANGE_WAIT;
    }
    return s_pass_on (self);
}

int
jm_api_match (jm_exchange_t *self)
{
    if (self->stage == 0)
        return s_forward (self, MATCH_SERVICE, NULL);
    json_t *reply = jm_exchange_call_result (self, 0);
    if (!reply)
        return JM_EXCHANGE_DONE;
    //  the cache's hit ratio, as the matchers report it per result
    uint64_t cached = 0, scored = 0;
    size_t index;
    json_t *result;
    json_array_foreach (json_object_get (reply, "results"), index, result) {
        json_t *flag = json_object_get (result, "cached");
        if (json_is_boolean (flag))
            json_is_true (flag)? cached++: scored++;
    }
    jm_metrics_count_results (self->app->metrics, cached, scored);
    return jm_exchange_json (self, 200, reply);
}

int
jm_api_best (jm_exchange_t *self)
{
    return s_forward (self, RESULTS_SERVICE, "best");
}

//  The gateway's workers, queues and last failed requests: its document,
//  with ?failures=N (0..100, default all it keeps) of the failures.
int
jm_api_system (jm_exchange_t *self)
{
    if (self->stage == 0) {
        long failures;
        if (s_query_int (self, "failures", FAILURES_MAX, 0, FAILURES_MAX, &failures))
            return JM_EXCHANGE_DONE;
        jm_buf_t body;
        jm_buf_init (&body);
        jm_buf_printf (&body, "{\"failures\":%ld}", failures);
        jm_exchange_call (self, SYSTEM_SERVICE, jm_buf_steal (&body, NULL), 0);
        return JM_EXCHANGE_WAIT;
    }
    return s_pass_on (self);
}

//  --------------------------------------------------------------------------
//  The ranking

int
jm_api_ranking (jm_exchange_t *self)
{
    const char *job = s_path_id (self, 3, "job");
    if (!job)
        return JM_EXCHANGE_DONE;
    long offset, limit;
    if (s_query_int (self, "offset", 0, 0, 100000000, &offset)
    ||  s_query_int (self, "limit", RANK_LIMIT_DEFAULT, 1, RANK_LIMIT_MAX, &limit))
        return JM_EXCHANGE_DONE;
    double min_score = NAN;
    const char *text = jm_exchange_query (self, "min_score");
    if (text && *text) {
        char *end;
        min_score = strtod (text, &end);
        if (*end || !(min_score >= 0 && min_score <= 100))
            return jm_exchange_error (self, JM_ERR_INVALID_REQUEST,
                                      "min_score must be a number from 0 to 100");
    }
    const char *band = jm_exchange_query (self, "band");
    const char *known = NULL;
    if (band && *band) {
        int index = jm_band_lookup (band);
        if (index >= 0)
            known = jm_bands [index].name;
        else
            return jm_exchange_error (self, JM_ERR_INVALID_REQUEST,
                                      "band must be one of strong, good, partial, weak");
    }
    const char *q = jm_exchange_query (self, "q");
    if (q && (strlen (q) > SEARCH_MAX || !s_valid_utf8 (q)))
        return jm_exchange_error (self, JM_ERR_INVALID_REQUEST, "q must be at most %d bytes of UTF-8",
                                  SEARCH_MAX);
    char folded [SEARCH_MAX + 1] = "";
    snprintf (folded, sizeof folded, "%s", q? q: "");
    for (char *c = folded; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
    jm_reader_rank_t query = { .job = job, .offset = offset, .limit = limit,
                               .min_score = min_score, .band = known,
                               .q = *folded? folded: NULL, .scan_max = self->app->search_scan_max };
    jm_error_t err;
    jm_error_clear (&err);
    return s_answer (self, jm_reader_rank (self->app, &query, &err), &err);
}

//  --------------------------------------------------------------------------
//  The taxonomy

//  True when haystack holds needle (already lower case), ASCII letters folded.
static bool
s_contains_folded (const char *haystack, const char *needle)
{
    if (!haystack)
        return false;
    size_t size = strlen (needle);
    for (const char *start = haystack; *start; start++) {
        size_t index = 0;
        while (index < size && start [index]
           &&  tolower ((unsigned char) start [index]) == (unsigned char) needle [index])
            index++;
        if (index == size)
            return true;
    }
    return size == 0;
}

char *
jm_api_taxonomy_json (const jm_taxonomy_t *taxonomy, size_t *len_p)
{
    int size = jm_taxonomy_size (taxonomy);
    json_t **aliases = jm_calloc ((size_t) size, sizeof (json_t *));
    for (int skill = 0; skill < size; skill++)
        aliases [skill] = json_array ();
    //  every surface form other than the id and the name, once
    for (int index = 0; index < jm_taxonomy_form_count (taxonomy); index++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, index);
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, form->skill);
        if (strcmp (form->text, skill->id) == 0 || strcmp (form->text, skill->name) == 0)
            continue;
        bool seen = false;
        size_t position;
        json_t *value;
        json_array_foreach (aliases [form->skill], position, value)
            seen = seen || strcmp (json_string_value (value), form->text) == 0;
        if (!seen)
            json_array_append_new (aliases [form->skill], json_string (form->text));
    }
    json_t *skills = json_array ();
    for (int index = 0; index < size; index++) {
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, index);
        json_array_append_new (skills, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:o}",
            "id", skill->id, "name", skill->name, "category", skill->category,
            "category_name", skill->category_name, "kind", jm_skill_kind_name (skill->kind),
            "aliases", aliases [index]));
    }
    free (aliases);
    json_t *document = json_pack ("{s:s, s:i, s:o}", "version", jm_taxonomy_version (taxonomy),
                                  "count", size, "skills", skills);
    char *text = jm_alloc_check (json_dumps (document, JSON_COMPACT), "JSON text");
    json_decref (document);
    if (len_p)
        *len_p = strlen (text);
    return text;
}

int
jm_api_taxonomy (jm_exchange_t *self)
{
    const char *q = jm_exchange_query (self, "q");
    long limit;
    if (s_query_int (self, "limit", 10000, 1, 10000, &limit))
        return JM_EXCHANGE_DONE;
    if ((!q || !*q) && limit >= jm_taxonomy_size (self->app->taxonomy))
        return jm_exchange_raw (self, 200, "application/json", self->app->taxonomy_json,
                                self->app->taxonomy_json_len);
    if (q && (strlen (q) > SEARCH_MAX || !s_valid_utf8 (q)))
        return jm_exchange_error (self, JM_ERR_INVALID_REQUEST, "q must be at most %d bytes of UTF-8",
                                  SEARCH_MAX);
    char needle [SEARCH_MAX + 1];
    snprintf (needle, sizeof needle, "%s", q? q: "");
    for (char *c = needle; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
    //  filter the prebuilt document: skills whose id, name or an alias holds q,
    //  those whose name starts with it first
    //  the document was built by us: it fails to load only when out of memory
    json_t *document = jm_alloc_check (json_loadb (self->app->taxonomy_json,
                                                   self->app->taxonomy_json_len, 0, NULL),
                                       "taxonomy JSON");
    json_t *skills = json_object_get (document, "skills");
    json_t *first = json_array (), *rest = json_array ();
    size_t index;
    json_t *skill;
    json_array_foreach (skills, index, skill) {
        const char *name = json_string_value (json_object_get (skill, "name"));
        bool prefix = strncasecmp (name, needle, strlen (needle)) == 0;
        bool hit = prefix || s_contains_folded (name, needle)
                || s_contains_folded (json_string_value (json_object_get (skill, "id")), needle);
        size_t position;
        json_t *alias;
        json_array_foreach (json_object_get (skill, "aliases"), position, alias)
            hit = hit || s_contains_folded (json_string_value (alias), needle);
        if (hit)
            json_array_append (prefix? first: rest, skill);
    }
    json_array_extend (first, rest);
    json_decref (rest);
    while ((long) json_array_size (first) > limit)
        json_array_remove (first, json_array_size (first) - 1);
    json_object_set_new (document, "count", json_integer ((json_int_t) json_array_size (first)));
    json_object_set_new (document, "skills", first);
    return jm_exchange_json (self, 200, document);
}
