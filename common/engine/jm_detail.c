/*  jm_detail: how much of a result a reply carries.  See jm_detail.h.

    Both ways to a level fill one s_head_t and write it with s_write_head,
    then the missing required requirements' labels, so a fresh result and
    a cut stored one cannot drift apart.  A cut reads the few hundred
    bytes it needs of a stored result where jm_result_write_json puts them
    (s_cut_laid_out), some 20 times faster than parsing all of it, which it
    does only for text laid out otherwise.                                 */
#include "jm_detail.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *s_names [] = { "score", "summary", "full" };

const char *
jm_detail_name (jm_detail_t detail)
{
    assert (detail >= JM_DETAIL_SCORE && detail <= JM_DETAIL_FULL);
    return s_names [detail];
}

int
jm_detail_parse (const char *type, const char *text, size_t len, jm_detail_t def,
                 jm_detail_t *detail, jm_error_t *err)
{
    if (!type) {
        *detail = def;
        return 0;
    }
    if (strcmp (type, "string") != 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "detail must be a string, one of " JM_DETAIL_NAMES ", not %s", type);
    for (int d = JM_DETAIL_SCORE; d <= JM_DETAIL_FULL; d++)
        if (len == strlen (s_names [d]) && memcmp (text, s_names [d], len) == 0) {
            *detail = (jm_detail_t) d;
            return 0;
        }
    //  quoted as JSON, cut short: never the caller's whole text
    jm_buf_t quoted;
    jm_buf_init (&quoted);
    jm_buf_json_string (&quoted, text, len < 32 ? len : 32);
    jm_error_set (err, JM_ERR_INVALID_REQUEST, "detail must be one of " JM_DETAIL_NAMES ", not %s%s",
                  quoted.data, len > 32 ? "..." : "");
    jm_buf_free (&quoted);
    return -1;
}

int
jm_detail_parse_json (const jm_json_t *value, jm_detail_t def, jm_detail_t *detail,
                      jm_error_t *err)
{
    static const char *types [] = { "null", "false", "true", "a number", "string", "an array",
                                    "an object" };
    if (!value || jm_json_is_null (value))
        return jm_detail_parse (NULL, NULL, 0, def, detail, err);
    if (jm_json_is_string (value))
        return jm_detail_parse ("string", value->string, value->count, def, detail, err);
    return jm_detail_parse (types [value->type], NULL, 0, def, detail, err);
}

//  What score and summary carry, whichever way they were read
typedef struct {
    const char *candidate;
    size_t candidate_len;
    const char *name;           //  NULL when the candidate has none
    size_t name_len;
    const char *job;
    size_t job_len;
    long long version;
    double score;
    const char *band;
    const char *required;       //  "5 of 7"
    size_t required_len;
    long long required_met, required_total, missing_required;
} s_head_t;

//  Writes the object up to the summary's list of missing requirements
//  (open, for the caller to fill and close), or the whole score object.
static void
s_write_head (const s_head_t *head, jm_detail_t detail, jm_buf_t *out)
{
    jm_buf_puts (out, "{\"candidate\":");
    jm_buf_json_string (out, head->candidate, head->candidate_len);
    if (detail == JM_DETAIL_SUMMARY && head->name) {
        jm_buf_puts (out, ",\"name\":");
        jm_buf_json_string (out, head->name, head->name_len);
    }
    jm_buf_puts (out, ",\"job\":");
    jm_buf_json_string (out, head->job, head->job_len);
    jm_buf_puts (out, ",\"job_version\":");
    jm_buf_int (out, head->version);
    jm_buf_puts (out, ",\"score\":");
    jm_buf_json_number (out, head->score, 1);
    jm_buf_puts (out, ",\"band\":");
    jm_buf_json_str (out, head->band);
    if (detail == JM_DETAIL_SCORE) {
        jm_buf_puts (out, "}");
        return;
    }
    jm_buf_puts (out, ",\"required\":");
    jm_buf_json_string (out, head->required, head->required_len);
    jm_buf_puts (out, ",\"required_met\":");
    jm_buf_int (out, head->required_met);
    jm_buf_puts (out, ",\"required_total\":");
    jm_buf_int (out, head->required_total);
    jm_buf_puts (out, ",\"missing_required\":");
    jm_buf_int (out, head->missing_required);
    jm_buf_puts (out, ",\"missing_required_skills\":[");
}

void
jm_detail_write (const jm_result_t *result, const jm_job_t *job,
                 const jm_candidate_t *candidate, jm_detail_t detail, jm_buf_t *out)
{
    if (detail == JM_DETAIL_FULL) {
        jm_result_write_json (result, job, candidate, out);
        return;
    }
    char required [24];
    snprintf (required, sizeof required, "%d of %d", result->required_met, result->required_total);
    const char *job_id = jm_job_id (job);
    s_head_t head = {
        .candidate = candidate->id, .candidate_len = strlen (candidate->id),
        .name = candidate->name, .name_len = candidate->name ? strlen (candidate->name) : 0,
        .job = job_id, .job_len = strlen (job_id), .version = jm_job_version (job),
        .score = result->score, .band = jm_band_name (result->band),
        .required = required, .required_len = strlen (required),
        .required_met = result->required_met, .required_total = result->required_total,
        .missing_required = result->missing_required
    };
    s_write_head (&head, detail, out);
    if (detail == JM_DETAIL_SCORE)
        return;
    bool first = true;
    for (int r = 0; r < result->requirement_count; r++)
        if (result->outcomes [r].penalised) {
            const jm_requirement_t *req = jm_job_requirement (job, r);
            if (!first)
                jm_buf_puts (out, ",");
            jm_buf_append (out, req->label_json, req->label_json_len);
            first = false;
        }
    jm_buf_puts (out, "]}");
}

//  A string member's text and length, or false when it is not a string.
static bool
s_string (const jm_json_t *object, const char *key, const char **text, size_t *len)
{
    const jm_json_t *value = jm_json_get (object, key);
    if (!jm_json_is_string (value))
        return false;
    *text = value->string;
    *len = value->count;
    return true;
}

//  An integer member, or false when it is not one.
static bool
s_integer (const jm_json_t *object, const char *key, long long *value)
{
    const jm_json_t *member = jm_json_get (object, key);
    if (!jm_json_is_integer (member))
        return false;
    *value = (long long) member->integer;
    return true;
}

//  Reads the members score and summary need from a parsed result.  False
//  when one is missing or of another type.
static bool
s_head_read (const jm_json_t *result, s_head_t *head)
{
    memset (head, 0, sizeof *head);
    size_t band_len;
    const jm_json_t *score = jm_json_get (result, "score");
    if (!jm_json_is_object (result)
    ||  !s_string (result, "candidate", &head->candidate, &head->candidate_len)
    ||  !s_string (result, "job", &head->job, &head->job_len)
    ||  !s_integer (result, "job_version", &head->version)
    ||  !jm_json_is_number (score)
    ||  !s_string (result, "band", &head->band, &band_len)
    ||  !s_string (result, "required", &head->required, &head->required_len)
    ||  !s_integer (result, "required_met", &head->required_met)
    ||  !s_integer (result, "required_total", &head->required_total)
    ||  !s_integer (result, "missing_required", &head->missing_required))
        return false;
    if (jm_json_get (result, "name") && !s_string (result, "name", &head->name, &head->name_len))
        return false;
    head->score = jm_json_number (score);
    return true;
}

//  How jm_result_write_json lays a result out: the head is every member
//  before "optional_factor"; each requirement opens with {"requirement":
//  LABEL and says ,"penalised":true before the next one opens; the list
//  ends where "matched" begins.  None of these can be inside a string,
//  where every quote is escaped.
#define s_HEAD_END          ",\"optional_factor\":"
#define s_REQUIREMENT       "{\"requirement\":"
#define s_REQUIRED          ",\"importance\":\"required\""
#define s_PENALISED         ",\"penalised\":true"
#define s_REQUIREMENTS_END  "],\"matched\":["

//  The first needle in [text, end), or NULL.  memchr for its first byte
//  then a compare: the needles start with bytes that are rare in a result
//  ('{', ']') or are looked for in a few hundred bytes, where this is
//  some 20 times faster than glibc's memmem.
static const char *
s_find (const char *text, const char *end, const char *needle)
{
    size_t needle_len = strlen (needle);
    while (text && (size_t) (end - text) >= needle_len) {
        text = memchr (text, needle [0], (size_t) (end - text) - needle_len + 1);
        if (text && memcmp (text, needle, needle_len) == 0)
            return text;
        if (text)
            text++;
    }
    return NULL;
}

//  The end of the string literal at text (past its closing quote), or NULL
//  when none ends before end.
static const char *
s_literal_end (const char *text, const char *end)
{
    if (text >= end || *text != '"')
        return NULL;
    for (const char *at = text + 1; at < end; at++)
        if (*at == '\\')
            at++;
        else
        if (*at == '"')
            return at + 1;
    return NULL;
}

//  Appends the labels of the penalised requirements between from and stop
//  as JSON strings separated by commas.  False when the text is not laid
//  out as expected (out then holds part of them: the caller cuts it).
static bool
s_write_missing_laid_out (jm_json_doc_t *doc, const char *from, const char *stop, jm_buf_t *out)
{
    jm_buf_t labels;
    jm_buf_init (&labels);
    jm_buf_puts (&labels, "[");
    size_t count = 0;
    bool ok = true;
    const char *at = s_find (from, stop, s_REQUIREMENT);
    while (at && ok) {
        const char *label = at + strlen (s_REQUIREMENT);
        const char *next = s_find (label, stop, s_REQUIREMENT);
        const char *until = next ? next : stop;
        const char *label_end = s_literal_end (label, until);
        ok = label_end != NULL;
        //  only a required requirement is penalised
        bool required = ok && (size_t) (until - label_end) >= strlen (s_REQUIRED)
                     && memcmp (label_end, s_REQUIRED, strlen (s_REQUIRED)) == 0;
        if (required && s_find (label_end, until, s_PENALISED)) {
            if (count++)
                jm_buf_puts (&labels, ",");
            jm_buf_append (&labels, label, (size_t) (label_end - label));
        }
        at = next;
    }
    jm_buf_puts (&labels, "]");
    //  parsed, so that what is copied is valid JSON whatever Redis held
    const jm_json_t *list = ok ? jm_json_doc_parse (doc, labels.data, labels.len, NULL) : NULL;
    ok = jm_json_is_array (list) && list->count == count;
    const jm_json_t *value = ok ? jm_json_first (list) : NULL;
    for (size_t index = 0; ok && index < count; index++, value = jm_json_skip (value)) {
        ok = jm_json_is_string (value);
        if (ok && index)
            jm_buf_puts (out, ",");
        if (ok)
            jm_buf_json_string (out, value->string, value->count);
    }
    jm_buf_free (&labels);
    return ok;
}

//  The fast cut, of text laid out as jm_result_write_json writes it: the
//  head parsed alone (a few hundred bytes of the 5 to 7 KB), the labels
//  found by their places.  Returns 0, or -1 with out as it was for text
//  laid out otherwise.
static int
s_cut_laid_out (jm_json_doc_t *doc, const char *json, size_t len, jm_detail_t detail,
                jm_buf_t *out)
{
    const char *end = json + len;
    const char *head_end = s_find (json, end, s_HEAD_END);
    const char *stop = head_end ? s_find (head_end, end, s_REQUIREMENTS_END) : NULL;
    if (!stop)
        return -1;
    jm_buf_t text;
    jm_buf_init (&text);
    jm_buf_append (&text, json, (size_t) (head_end - json));
    jm_buf_puts (&text, "}");
    const jm_json_t *result = jm_json_doc_parse (doc, text.data, text.len, NULL);
    s_head_t head;
    size_t mark = out->len;
    bool ok = result && s_head_read (result, &head);
    if (ok)
        s_write_head (&head, detail, out);
    jm_buf_free (&text);
    if (ok && detail == JM_DETAIL_SUMMARY) {
        ok = head.missing_required == 0 || s_write_missing_laid_out (doc, head_end, stop, out);
        jm_buf_puts (out, "]}");
    }
    if (!ok)
        out->len = mark;
    return ok ? 0 : -1;
}

int
jm_detail_cut (jm_json_doc_t *doc, const char *json, size_t len, jm_detail_t detail,
               jm_buf_t *out, jm_error_t *err)
{
    if (detail == JM_DETAIL_FULL) {
        jm_buf_append (out, json, len);
        return 0;
    }
    assert (doc);
    if (s_cut_laid_out (doc, json, len, detail, out) == 0)
        return 0;
    //  any other layout: the whole text parsed
    jm_error_t parse_error;
    jm_error_clear (&parse_error);
    const jm_json_t *result = jm_json_doc_parse (doc, json, len, &parse_error);
    const jm_json_t *requirements = jm_json_get (result, "requirements");
    s_head_t head;
    if (!result || !s_head_read (result, &head) || !jm_json_is_array (requirements))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "a stored result is not a result's JSON%s%s",
                             parse_error.code [0] ? ": " : "", parse_error.message);
    s_write_head (&head, detail, out);
    if (detail == JM_DETAIL_SCORE)
        return 0;
    bool first = true;
    const jm_json_t *requirement = jm_json_first (requirements);
    for (uint32_t r = 0; r < requirements->count; r++, requirement = jm_json_skip (requirement)) {
        const char *label;
        size_t label_len;
        if (!jm_json_is (jm_json_get (requirement, "penalised"), JM_JSON_TRUE)
        ||  !s_string (requirement, "requirement", &label, &label_len))
            continue;
        if (!first)
            jm_buf_puts (out, ",");
        jm_buf_json_string (out, label, label_len);
        first = false;
    }
    jm_buf_puts (out, "]}");
    return 0;
}
