/*  jm_job: requirement profiles.  See jm_job.h.  */
#include "jm_job_internal.h"
#include "jm_buf.h"
#include "jm_normalize.h"
#include "jm_proficiency.h"
#include "jm_alloc.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct _jm_job_t {
    const jm_taxonomy_t *taxonomy;      //  borrowed, outlives the job
    char *id;
    char *title;
    char *description;
    int version;
    double total_weight;
    int requirement_count;
    jm_requirement_t requirements [JM_JOB_MAX_REQUIREMENTS];
    jm_tier_t *tiers;
    int tier_count, tier_cap;
    jm_term_t *terms;
    int term_count, term_cap;
    json_t *notes;                      //  kept only to give the file back
    long retain_top;                    //  "retain": {"top": N}, or 0
    char *labels;                       //  every requirement's label, each ending in NUL
    size_t labels_len;
    double retain_min_score;            //  "retain": {"min_score": S}, or 0
    jm_job_fast_t fast;
    uint8_t *rows;
    jm_step_t *steps;
    uint16_t *wants;
    int32_t *points;
    int32_t *plain_points;
    double values [JM_CREDIT_STEPS + 1];        //  what each linear credit code is worth
};

static bool
s_valid_job_id (const char *id)
{
    size_t len = id ? strlen (id) : 0;
    if (len == 0 || len > JM_JOB_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) id [i];
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9')
        &&  c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

//  Adds the compiled tiers for one wanted skill: every other skill with a
//  relation credit toward it, grouped by credit, highest first (read from
//  the taxonomy's coded credits: a larger code is a larger credit).
static void
s_compile_member (jm_job_t *self, jm_member_t *member)
{
    const jm_taxonomy_t *taxonomy = self->taxonomy;
    int size = jm_taxonomy_size (taxonomy);
    int stride, level_count;
    const uint8_t *codes = jm_taxonomy_credit_code_rows (taxonomy, &stride);
    const double *levels = jm_taxonomy_credit_levels (taxonomy, &level_count);
    //  the skills earning each credit, by its code
    uint64_t words [JM_CREDIT_LEVELS][JM_SKILL_WORDS];
    memset (words, 0, sizeof (words [0]) * (size_t) level_count);
    for (int have = 0; have < size; have++) {
        int code = codes [(size_t) have * (size_t) stride + (size_t) member->skill];
        if (code && have != member->skill)
            words [code][have / 64] |= 1ULL << (have % 64);
    }
    member->first_tier = (uint16_t) self->tier_count;
    member->tier_count = 0;
    for (int code = level_count - 1; code > 0; code--) {
        bool any = false;
        for (int w = 0; w < JM_SKILL_WORDS; w++)
            any = any || words [code][w];
        if (!any)
            continue;
        if (self->tier_count == self->tier_cap) {
            self->tier_cap = self->tier_cap ? self->tier_cap * 2 : 64;
            self->tiers = jm_realloc (self->tiers, (size_t) self->tier_cap * sizeof (jm_tier_t));
        }
        jm_tier_t *tier = &self->tiers [self->tier_count++];
        member->tier_count++;
        tier->credit = (float) levels [code];
        tier->first_term = (uint16_t) self->term_count;
        tier->term_count = 0;
        for (int w = 0; w < JM_SKILL_WORDS; w++) {
            if (!words [code][w])
                continue;
            if (self->term_count == self->term_cap) {
                self->term_cap = self->term_cap ? self->term_cap * 2 : 128;
                self->terms = jm_realloc (self->terms, (size_t) self->term_cap * sizeof (jm_term_t));
            }
            self->terms [self->term_count++] = (jm_term_t) { (uint16_t) w, words [code][w] };
            tier->term_count++;
        }
    }
}

//  Resolves a skill reference (id, name or alias; no typos) or records it
//  in `unknown` for the error message.  Returns the index or -1.
static int
s_resolve_skill (const jm_taxonomy_t *taxonomy, json_t *value, jm_buf_t *unknown)
{
    const char *text = json_string_value (value);
    if (!text)
        return -1;
    int skill = jm_taxonomy_find (taxonomy, text);
    if (skill >= 0)
        return skill;
    jm_lookup_t found = jm_normalize_lookup (taxonomy, text, strlen (text));
    if (found.skill >= 0 && found.match != JM_MATCH_TYPO)
        return found.skill;
    if (unknown->len)
        jm_buf_puts (unknown, ", ");
    jm_buf_printf (unknown, "\"%.60s\"", text);
    int suggestion = found.skill >= 0 ? found.skill : found.suggestion;
    if (suggestion >= 0)
        jm_buf_printf (unknown, " (did you mean \"%s\"?)", jm_taxonomy_skill (taxonomy, suggestion)->name);
    return -1;
}

//  Adds {"input", "suggestion"} to list when value names no skill the way
//  s_resolve_skill reads it.
static void
s_list_unknown (const jm_taxonomy_t *taxonomy, json_t *value, json_t *list)
{
    const char *text = json_string_value (value);
    if (!text || jm_taxonomy_find (taxonomy, text) >= 0)
        return;
    jm_lookup_t found = jm_normalize_lookup (taxonomy, text, strlen (text));
    if (found.skill >= 0 && found.match != JM_MATCH_TYPO)
        return;
    int suggestion = found.skill >= 0 ? found.skill : found.suggestion;
    json_array_append_new (list, json_pack ("{s:s, s:o}", "input", text, "suggestion",
        suggestion >= 0 ? json_string (jm_taxonomy_skill (taxonomy, suggestion)->id) : json_null ()));
}

json_t *
jm_job_unknown_skills (json_t *object, const jm_taxonomy_t *taxonomy)
{
    assert (taxonomy);
    json_t *list = json_array ();
    size_t index;
    json_t *item;
    json_array_foreach (json_object_get (object, "requirements"), index, item) {
        s_list_unknown (taxonomy, json_object_get (item, "skill"), list);
        size_t member_index;
        json_t *member;
        json_array_foreach (json_object_get (item, "any_of"), member_index, member)
            s_list_unknown (taxonomy, member, list);
    }
    return list;
}

static int
s_parse_importance (const char *text, jm_importance_t *importance)
{
    if (!text || strcmp (text, "required") == 0)
        *importance = JM_IMPORTANCE_REQUIRED;
    else
    if (strcmp (text, "preferred") == 0)
        *importance = JM_IMPORTANCE_PREFERRED;
    else
    if (strcmp (text, "nice-to-have") == 0 || strcmp (text, "nice") == 0)
        *importance = JM_IMPORTANCE_NICE;
    else
        return -1;
    return 0;
}

static int
s_parse_requirement (jm_job_t *self, json_t *item, size_t index, jm_buf_t *unknown,
                     jm_error_t *err)
{
    jm_requirement_t *req = &self->requirements [self->requirement_count];
    memset (req, 0, sizeof *req);
    if (!json_is_object (item))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "requirements[%zu] must be an object", index);
    json_t *skill = json_object_get (item, "skill");
    json_t *any_of = json_object_get (item, "any_of");
    if ((skill != NULL) == (any_of != NULL))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "requirements[%zu] needs exactly one of \"skill\" or \"any_of\"", index);
    json_t *weight = json_object_get (item, "weight");
    req->weight = weight ? json_number_value (weight) : 1;
    if ((weight && !json_is_number (weight)) || !(req->weight > 0 && req->weight <= 100))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "requirements[%zu].weight must be a number above 0 and at most 100", index);
    json_t *importance = json_object_get (item, "importance");
    if ((importance && !json_is_string (importance))
    ||  s_parse_importance (json_string_value (importance), &req->importance))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "requirements[%zu].importance must be \"required\", \"preferred\" or \"nice-to-have\"", index);
    json_t *level = json_object_get (item, "min_level");
    if (level && (!json_is_integer (level) || json_integer_value (level) < 1 || json_integer_value (level) > 5))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "requirements[%zu].min_level must be an integer from 1 to 5", index);
    req->min_level = level ? (int) json_integer_value (level) : 0;
    json_t *years = json_object_get (item, "min_years");
    if (years && (!json_is_number (years) || json_number_value (years) < 0 || json_number_value (years) > 60))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "requirements[%zu].min_years must be a number from 0 to 60", index);
    req->min_years = years ? json_number_value (years) : 0;
    json_t *label = json_object_get (item, "label");
    if (label && (!json_is_string (label) || strlen (json_string_value (label)) > 200))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "requirements[%zu].label must be a string of at most 200 bytes", index);
    if (skill) {
        if (!json_is_string (skill))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "requirements[%zu].skill must be a string", index);
        req->member_count = 1;
        req->min_count = 1;
        req->members [0].skill = s_resolve_skill (self->taxonomy, skill, unknown);
    }
    else {
        size_t count = json_array_size (any_of);
        if (!json_is_array (any_of) || count < 1 || count > JM_JOB_MAX_MEMBERS)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "requirements[%zu].any_of must list 1 to %d skills", index, JM_JOB_MAX_MEMBERS);
        req->any_of = true;
        json_t *min = json_object_get (item, "min");
        req->min_count = min ? (int) json_integer_value (min) : 1;
        if ((min && !json_is_integer (min)) || req->min_count < 1 || (size_t) req->min_count > count)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "requirements[%zu].min must be an integer from 1 to %zu", index, count);
        size_t i;
        json_t *member;
        json_array_foreach (any_of, i, member) {
            if (!json_is_string (member))
                return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                     "requirements[%zu].any_of[%zu] must be a string", index, i);
            int resolved = s_resolve_skill (self->taxonomy, member, unknown);
            for (int k = 0; k < req->member_count && resolved >= 0; k++)
                if (req->members [k].skill == resolved)
                    return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                         "requirements[%zu].any_of names \"%s\" twice", index,
                                         json_string_value (member));
            req->members [req->member_count++].skill = resolved;
        }
    }
    if (label)
        req->label = jm_strdup (json_string_value (label));
    self->requirement_count++;
    return 0;
}

//  Builds the steps (see jm_step_t) and the codes that bound half and full
//  credit, once the columns are laid out.
static void
s_compile_steps (jm_job_t *self)
{
    jm_job_fast_t *fast = &self->fast;
    size_t members = 0;
    for (int r = 0; r < self->requirement_count; r++)
        members += (size_t) self->requirements [r].member_count;
    self->steps = jm_calloc ((size_t) (unsigned) self->requirement_count, sizeof (jm_step_t));
    self->wants = jm_calloc (members, sizeof (uint16_t));
    for (int r = 0; r < self->requirement_count; r++) {
        const jm_requirement_t *req = &self->requirements [r];
        jm_step_t *step = &self->steps [r];
        step->weight_units = fast->weight_units [r];
        step->member_count = (uint8_t) req->member_count;
        step->min_count = (uint8_t) req->min_count;
        step->kind = fast->scaled [r] ? JM_STEP_SCALED : req->min_count > 1 ? JM_STEP_BEST_MEMBERS
                   : req->member_count > 1 ? JM_STEP_BEST_MEMBER : JM_STEP_SKILL;
        step->want = (uint16_t) req->members [0].skill;
        step->first = (uint16_t) fast->want_count;
        for (int m = 0; m < req->member_count; m++)
            self->wants [fast->want_count++] = (uint16_t) req->members [m].skill;
    }
    fast->steps = self->steps;
    fast->wants = self->wants;
    int level_count = JM_CREDIT_STEPS + 1;
    for (int code = 0; code < level_count; code++)
        self->values [code] = (double) code / JM_CREDIT_STEPS;
    fast->levels = self->values;
    fast->level_count = level_count;
    //  the taxonomy's credit codes as linear codes
    int taxonomy_levels;
    const double *levels = jm_taxonomy_credit_levels (self->taxonomy, &taxonomy_levels);
    for (int code = 0; code < taxonomy_levels; code++)
        fast->linear [code] = (uint8_t) jm_credit_code (levels [code]);
    //  a missing required requirement costs more than everything optional
    //  can give back (see jm_job.h)
    double smallest_required = 0, optional_weight = 0;
    for (int r = 0; r < self->requirement_count; r++) {
        double weight = self->requirements [r].weight;
        if (!fast->required [r])
            optional_weight += weight;
        else
        if (smallest_required == 0 || weight < smallest_required)
            smallest_required = weight;
    }
    fast->gate = optional_weight > 0 ? JM_JOB_GATE_SHARE * smallest_required / optional_weight : 0;
    if (fast->gate > JM_JOB_GATE_MAX)
        fast->gate = JM_JOB_GATE_MAX;
    fast->gates [0] = 1;
    for (int k = 1; k <= JM_JOB_MAX_REQUIREMENTS; k++)
        fast->gates [k] = fast->gates [k - 1] * fast->gate;
    //  each requirement's points at each credit code, so that the score adds integers
    self->points = jm_malloc (sizeof (int32_t) * (size_t) (self->requirement_count * level_count + 1));
    for (int r = 0; r < self->requirement_count; r++) {
        for (int code = 0; code < level_count; code++)
            self->points [r * level_count + code] = fast->plain [r]
                ? (int32_t) jm_job_points (fast->weight_units [r], fast->levels [code]) : 0;
        if (!fast->plain [r])
            fast->others [fast->other_count++] = (uint8_t) r;
    }
    fast->points = self->points;
    self->plain_points = jm_malloc (sizeof (int32_t) * (size_t) (self->requirement_count * level_count + 1));
    for (int pass = 0; pass < 2; pass++) {
        for (int r = 0; r < self->requirement_count; r++)
            if (fast->plain [r] && fast->required [r] == (pass == 0)) {
                memcpy (self->plain_points + fast->plain_count * level_count, self->points + r * level_count,
                        sizeof (int32_t) * (size_t) level_count);
                fast->plain_columns [fast->plain_count++] = (uint8_t) r;
            }
        if (pass == 0)
            fast->plain_required_count = fast->plain_count;
    }
    fast->plain_points = self->plain_points;
    while (fast->half_code < level_count && fast->levels [fast->half_code] < 0.5)
        fast->half_code++;
    fast->full_code = fast->half_code;
    while (fast->full_code < level_count && fast->levels [fast->full_code] < 1)
        fast->full_code++;
    for (int r = 0; r < self->requirement_count; r++) {
        if (fast->plain [r] && fast->required [r])
            fast->plain_required |= 1ULL << r;
        self->steps [r].missing_below = fast->required [r] ? fast->half_code : 0;
    }
}

//  Builds the credit rows: for each skill, its best relation credit toward
//  each column.
static int
s_compile_fast (jm_job_t *self, jm_error_t *err)
{
    jm_job_fast_t *fast = &self->fast;
    int size = jm_taxonomy_size (self->taxonomy);
    fast->requirement_count = self->requirement_count;
    fast->requirements = self->requirements;
    fast->tiers = self->tiers;
    fast->terms = self->terms;
    //  requirement r owns column r; one needing several members also owns
    //  one column per member after those
    int columns = 0, row_columns = self->requirement_count;
    for (int r = 0; r < self->requirement_count; r++) {
        const jm_requirement_t *req = &self->requirements [r];
        fast->weight_units [r] = req->weight * JM_JOB_POINTS;
        fast->total_points += jm_job_points (fast->weight_units [r], 1);
        fast->required [r] = req->importance == JM_IMPORTANCE_REQUIRED;
        fast->per_member [r] = req->min_count > 1;
        fast->scaled [r] = req->min_level > 0 || req->min_years > 0;
        fast->plain [r] = !fast->per_member [r] && !fast->scaled [r];
        fast->column [r] = (uint16_t) (fast->per_member [r] ? row_columns : r);
        if (fast->per_member [r])
            row_columns += req->member_count;
        columns += fast->per_member [r] ? req->member_count : 1;
    }
    if (columns > JM_JOB_MAX_COLUMNS)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "job '%s': any-of groups with a min above 1 name too many skills (%d, at most %d)",
                             self->id, columns, JM_JOB_MAX_COLUMNS);
    fast->stride = (row_columns + 15) & ~15;
    s_compile_steps (self);
    fast->relation_codes = jm_taxonomy_credit_code_rows (self->taxonomy, &fast->relation_stride);
    fast->relation_rows = size;
    uint8_t row [JM_JOB_MAX_ROW];
    //  row 0: no credit at all
    self->rows = jm_calloc (16, (size_t) fast->stride);
    fast->row_count = 1;
    for (int have = 0; have < size; have++) {
        bool any = false;
        memset (row, 0, sizeof row);
        const uint8_t *codes = fast->relation_codes + (size_t) have * (size_t) fast->relation_stride;
        for (int r = 0; r < self->requirement_count; r++) {
            const jm_requirement_t *req = &self->requirements [r];
            for (int m = 0; m < req->member_count; m++) {
                uint8_t code = fast->linear [codes [req->members [m].skill]];
                int column = fast->column [r] + (fast->per_member [r] ? m : 0);
                if (code > row [column])
                    row [column] = code;
                any = any || code > 0;
            }
        }
        if (!any)
            continue;
        if ((fast->row_count & 15) == 0) {
            self->rows = jm_realloc (self->rows, (size_t) (fast->row_count + 16) * (size_t) fast->stride);
        }
        memcpy (self->rows + (size_t) fast->row_count * (size_t) fast->stride, row, (size_t) fast->stride);
        fast->row_of [have] = (uint16_t) fast->row_count++;
    }
    fast->rows = self->rows;
    return 0;
}

//  Reads "retain" (absent, or an object of exactly one of "top": an integer
//  1..JM_JOB_RETAIN_TOP_MAX, "min_score": a number above 0, at most 100).
//  Returns 0, or -1 with err set naming the field.
static int
s_parse_retain (jm_job_t *self, const char *id, json_t *retain, jm_error_t *err)
{
    if (!retain)
        return 0;
    json_t *top = json_object_get (retain, "top");
    json_t *min_score = json_object_get (retain, "min_score");
    if (!json_is_object (retain) || json_object_size (retain) != 1 || (!top && !min_score))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "job '%s': retain must be {\"top\": N} or {\"min_score\": S}", id);
    if (top && (!json_is_integer (top) || json_integer_value (top) < 1
                || json_integer_value (top) > JM_JOB_RETAIN_TOP_MAX))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "job '%s': retain.top must be an integer from 1 to %d", id,
                             JM_JOB_RETAIN_TOP_MAX);
    if (min_score && (!json_is_number (min_score) || !(json_number_value (min_score) > 0)
                      || json_number_value (min_score) > 100))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "job '%s': retain.min_score must be a number above 0, at most 100", id);
    self->retain_top = top ? (long) json_integer_value (top) : 0;
    self->retain_min_score = min_score ? json_number_value (min_score) : 0;
    return 0;
}

static const char *
s_get_string (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

jm_job_t *
jm_job_new_from_json (json_t *object, const jm_taxonomy_t *taxonomy, jm_error_t *err)
{
    assert (taxonomy);
    if (!json_is_object (object)) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "a job must be a JSON object");
        return NULL;
    }
    jm_job_t *self = jm_calloc (1, sizeof *self);
    self->taxonomy = taxonomy;
    jm_buf_t unknown;
    jm_buf_init (&unknown);
    int rc = -1;
    const char *id = s_get_string (object, "id");
    const char *title = s_get_string (object, "title");
    json_t *version = json_object_get (object, "version");
    json_t *requirements = json_object_get (object, "requirements");
    if (!s_valid_job_id (id))
        jm_error_set (err, JM_ERR_INVALID_REQUEST,
                      "job id must be 1-%d characters of letters, digits, '-', '_' and '.'", JM_JOB_ID_MAX);
    else
    if (json_object_get (object, "title") && (!title || strlen (title) > 200))
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "job '%s': title must be a string of at most 200 bytes", id);
    else
    if (version && (!json_is_integer (version) || json_integer_value (version) < 1
                    || json_integer_value (version) > 1000000000))
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "job '%s': version must be a positive integer", id);
    else
    if (!json_is_array (requirements) || json_array_size (requirements) == 0
    ||  json_array_size (requirements) > JM_JOB_MAX_REQUIREMENTS)
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "job '%s': requirements must be an array of 1 to %d entries",
                      id, JM_JOB_MAX_REQUIREMENTS);
    else {
        self->id = jm_strdup (id);
        self->title = jm_strdup (title ? title : id);
        const char *description = s_get_string (object, "description");
        self->description = description ? jm_strdup (description) : NULL;
        self->version = version ? (int) json_integer_value (version) : 1;
        json_t *notes = json_object_get (object, "notes");
        self->notes = notes ? json_incref (notes) : NULL;
        size_t index;
        json_t *item;
        rc = s_parse_retain (self, id, json_object_get (object, "retain"), err);
        json_array_foreach (requirements, index, item)
            if (rc == 0 && s_parse_requirement (self, item, index, &unknown, err)) {
                rc = -1;
                break;
            }
        if (rc == 0 && unknown.len)
            rc = jm_error_set (err, JM_ERR_UNKNOWN_SKILL, "job '%s': unknown skills: %s", id, unknown.data);
    }
    if (rc == 0)
        for (int r = 0; r < self->requirement_count; r++) {
            jm_requirement_t *req = &self->requirements [r];
            self->total_weight += req->weight;
            for (int m = 0; m < req->member_count; m++)
                s_compile_member (self, &req->members [m]);
            //  the label a reader sees: the skill's name, or "1 of: A, B, C"
            if (!req->label) {
                jm_buf_t label;
                jm_buf_init (&label);
                if (req->any_of)
                    jm_buf_printf (&label, "%d of: ", req->min_count);
                for (int m = 0; m < req->member_count; m++)
                    jm_buf_printf (&label, "%s%s", m ? ", " : "",
                                   jm_taxonomy_skill (taxonomy, req->members [m].skill)->name);
                req->label = jm_buf_steal (&label, NULL);
            }
            //  results write the label often: escaped once here
            jm_buf_t quoted;
            jm_buf_init (&quoted);
            jm_buf_json_str (&quoted, req->label);
            req->label_json = jm_buf_steal (&quoted, &req->label_json_len);
            //  and each requirement of a result opens with the same fields
            jm_buf_t head;
            jm_buf_init (&head);
            jm_buf_puts (&head, "{\"requirement\":");
            jm_buf_append (&head, req->label_json, req->label_json_len);
            jm_buf_puts (&head, ",\"importance\":\"");
            jm_buf_puts (&head, jm_importance_name (req->importance));
            jm_buf_puts (&head, "\",\"weight\":");
            jm_buf_json_number (&head, req->weight, 3);
            jm_buf_puts (&head, ",\"status\":\"");
            req->head_json = jm_buf_steal (&head, &req->head_json_len);
        }
    if (rc == 0) {
        jm_buf_t labels;
        jm_buf_init (&labels);
        for (int r = 0; r < self->requirement_count; r++)
            jm_buf_append (&labels, self->requirements [r].label,
                           strlen (self->requirements [r].label) + 1);
        self->labels = jm_buf_steal (&labels, &self->labels_len);
        rc = s_compile_fast (self, err);
    }
    jm_buf_free (&unknown);
    if (rc)
        jm_job_destroy (&self);
    return self;
}

jm_job_t *
jm_job_load (const char *path, const jm_taxonomy_t *taxonomy, jm_error_t *err)
{
    json_error_t json_error;
    json_t *root = json_load_file (path, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        if (json_error.line > 0)
            jm_error_set_at (err, JM_ERR_INVALID_JSON, json_error.line, json_error.column,
                             "%s: %s (line %d, column %d)", path, json_error.text,
                             json_error.line, json_error.column);
        else
            jm_error_set (err, JM_ERR_IO, "%s: %s", path, json_error.text);
        return NULL;
    }
    jm_job_t *self = jm_job_new_from_json (root, taxonomy, err);
    json_decref (root);
    return self;
}

void
jm_job_destroy (jm_job_t **self_p)
{
    assert (self_p);
    jm_job_t *self = *self_p;
    if (!self)
        return;
    for (int r = 0; r < JM_JOB_MAX_REQUIREMENTS; r++) {
        free (self->requirements [r].label);
        free (self->requirements [r].label_json);
        free (self->requirements [r].head_json);
    }
    free (self->id);
    free (self->title);
    free (self->description);
    free (self->labels);
    free (self->tiers);
    free (self->terms);
    free (self->rows);
    free (self->steps);
    free (self->wants);
    free (self->points);
    free (self->plain_points);
    json_decref (self->notes);
    free (self);
    *self_p = NULL;
}

const char *jm_job_id (const jm_job_t *self) { return self->id; }
const char *jm_job_title (const jm_job_t *self) { return self->title; }
int jm_job_version (const jm_job_t *self) { return self->version; }
long jm_job_retain_top (const jm_job_t *self) { return self->retain_top; }

const char *
jm_job_labels (const jm_job_t *self, size_t *len)
{
    *len = self->labels_len;
    return self->labels;
}
double jm_job_retain_min_score (const jm_job_t *self) { return self->retain_min_score; }
int jm_job_requirement_count (const jm_job_t *self) { return self->requirement_count; }
double jm_job_total_weight (const jm_job_t *self) { return self->total_weight; }
const jm_taxonomy_t *jm_job_taxonomy (const jm_job_t *self) { return self->taxonomy; }
void jm_job_set_version (jm_job_t *self, int version) { self->version = version; }

const jm_requirement_t *
jm_job_requirement (const jm_job_t *self, int index)
{
    return index >= 0 && index < self->requirement_count ? &self->requirements [index] : NULL;
}

double
jm_job_gate (const jm_job_t *self)
{
    return self->fast.gate;
}

const jm_job_fast_t *
jm_job_fast (const jm_job_t *self)
{
    return &self->fast;
}

const char *
jm_importance_name (jm_importance_t importance)
{
    return importance == JM_IMPORTANCE_PREFERRED ? "preferred"
         : importance == JM_IMPORTANCE_NICE ? "nice-to-have" : "required";
}

json_t *
jm_job_to_json (const jm_job_t *self)
{
    json_t *requirements = json_array ();
    for (int r = 0; r < self->requirement_count; r++) {
        const jm_requirement_t *req = &self->requirements [r];
        json_t *item = json_object ();
        if (req->any_of) {
            json_t *members = json_array ();
            for (int m = 0; m < req->member_count; m++)
                json_array_append_new (members, json_string (
                    jm_taxonomy_skill (self->taxonomy, req->members [m].skill)->id));
            json_object_set_new (item, "any_of", members);
            json_object_set_new (item, "min", json_integer (req->min_count));
        }
        else
            json_object_set_new (item, "skill", json_string (
                jm_taxonomy_skill (self->taxonomy, req->members [0].skill)->id));
        json_object_set_new (item, "label", json_string (req->label));
        json_object_set_new (item, "weight", json_real (req->weight));
        json_object_set_new (item, "importance", json_string (jm_importance_name (req->importance)));
        if (req->min_level)
            json_object_set_new (item, "min_level", json_integer (req->min_level));
        if (req->min_years > 0)
            json_object_set_new (item, "min_years", json_real (req->min_years));
        json_array_append_new (requirements, item);
    }
    json_t *job = json_pack ("{s:s, s:s, s:i, s:o}", "id", self->id, "title", self->title,
                             "version", self->version, "requirements", requirements);
    if (self->description)
        json_object_set_new (job, "description", json_string (self->description));
    if (self->notes)
        json_object_set (job, "notes", self->notes);
    if (self->retain_top)
        json_object_set_new (job, "retain", json_pack ("{s:I}", "top", (json_int_t) self->retain_top));
    else
    if (self->retain_min_score > 0)
        json_object_set_new (job, "retain", json_pack ("{s:f}", "min_score", self->retain_min_score));
    return job;
}
