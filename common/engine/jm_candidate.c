/*  jm_candidate: candidate profiles.  See jm_candidate.h.  */
#include "jm_candidate.h"
#include "jm_extract.h"
#include "jm_proficiency.h"
#include "jm_alloc.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Mixes bytes into a 64-bit hash, eight at a time (not cryptographic:
//  a cache key for content we produced ourselves)
static uint64_t
s_mix (uint64_t hash, const void *data, size_t len)
{
    const unsigned char *bytes = data;
    while (len >= 8) {
        uint64_t word;
        memcpy (&word, bytes, 8);
        hash = (hash ^ word) * 0x9E3779B97F4A7C15ULL;
        hash ^= hash >> 32;
        bytes += 8;
        len -= 8;
    }
    uint64_t tail = len;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t) bytes [i] << (8 * i + 8);
    hash = (hash ^ tail) * 0xC2B2AE3D27D4EB4FULL;
    return hash ^ (hash >> 29);
}

static uint64_t
s_mix_string (uint64_t hash, const char *text)
{
    if (!text)
        return s_mix (hash, "\xff", 1);
    return s_mix (hash, text, strlen (text) + 1);
}

static bool
s_valid_utf8_id (const char *id)
{
    size_t len = strlen (id);
    if (len == 0 || len > JM_CANDIDATE_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) id [i] < 0x20 || id [i] == 0x7f)
            return false;
    return true;
}

//  The candidate's strings (id, name, written skills) are copied into a
//  few blocks it owns rather than allocated one by one: a candidate is
//  built and freed for every request, and some twenty small mallocs and
//  frees each cost the matchers about a tenth of their time.
typedef struct _s_block_t {
    struct _s_block_t *next;
    size_t used;
    size_t size;
    char data [];
} s_block_t;

//  A typical candidate's strings fit in one block, and a block (header
//  included) stays under glibc's 1,024-byte "large" requests, which are
//  neither cached per thread nor spared a consolidation of the heap
#define BLOCK_SIZE  (1000 - sizeof (s_block_t))

//  A copy of text in the candidate's blocks.
static char *
s_keep (jm_candidate_t *self, const char *text)
{
    size_t len = strlen (text) + 1;
    s_block_t *block = self->strings;
    if (!block || block->size - block->used < len) {
        size_t size = len > BLOCK_SIZE ? len : BLOCK_SIZE;
        s_block_t *fresh = jm_malloc (sizeof (s_block_t) + size);
        fresh->used = 0;
        fresh->size = size;
        //  a string too big for a fresh block's rest goes in a block of its
        //  own, behind the current one, which stays first for the next
        if (block && len > BLOCK_SIZE) {
            fresh->next = block->next;
            block->next = fresh;
        }
        else {
            fresh->next = block;
            self->strings = fresh;
        }
        block = fresh;
    }
    char *copy = block->data + block->used;
    memcpy (copy, text, len);
    block->used += len;
    return copy;
}

//  Adds or merges one recognised skill.  A listed skill wins over one found
//  in the resume: the resume's level and years fill only what the listing
//  leaves unstated; two listings of one skill keep the higher level and years.
static void
s_add_skill (jm_candidate_t *self, int skill, int level, double years, int last_used,
             jm_match_t match, const char *input, bool from_resume)
{
    for (int i = 0; i < self->skill_count; i++) {
        jm_candidate_skill_t *entry = &self->skills [i];
        if (entry->skill != skill)
            continue;
        if (from_resume) {
            if (!entry->level)
                entry->level = level;
            if (entry->years < 0)
                entry->years = years;
            return;
        }
        if (entry->from_resume) {
            entry->from_resume = false;
            entry->match = match;
            entry->input = input ? s_keep (self, input) : NULL;
        }
        if (level > entry->level)
            entry->level = level;
        if (years > entry->years)
            entry->years = years;
        if (last_used > entry->last_used)
            entry->last_used = last_used;
        return;
    }
    if (self->skill_count == self->skill_cap) {
        self->skill_cap = self->skill_cap ? self->skill_cap * 2 : 16;
        self->skills = jm_realloc (self->skills, (size_t) self->skill_cap * sizeof *self->skills);
    }
    self->skills [self->skill_count++] = (jm_candidate_skill_t) {
        skill, level, years, last_used, match, from_resume, input ? s_keep (self, input) : NULL
    };
}

static void
s_add_unknown (jm_candidate_t *self, const char *input, int suggestion)
{
    for (int i = 0; i < self->unknown_count; i++)
        if (strcmp (self->unknown [i].input, input) == 0)
            return;
    self->unknown = jm_realloc (self->unknown, (size_t) (self->unknown_count + 1) * sizeof *self->unknown);
    self->unknown [self->unknown_count++] = (jm_unknown_skill_t) { s_keep (self, input), suggestion };
}

static int
s_parse_skill (jm_candidate_t *self, const jm_json_t *item, size_t index,
               const jm_taxonomy_t *taxonomy, jm_error_t *err)
{
    const char *name = NULL;
    int level = 0, last_used = 0;
    double years = -1;
    if (jm_json_is_string (item))
        name = item->string;
    else
    if (jm_json_is_object (item)) {
        const jm_json_t *value = jm_json_get (item, "name");
        if (!jm_json_is_string (value))
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "skills[%zu].name must be a string", index);
        name = value->string;
        value = jm_json_get (item, "level");
        if (value && !jm_json_is_null (value)) {
            if (!jm_json_is_integer (value) || value->integer < 1 || value->integer > 5)
                return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                     "skills[%zu].level must be an integer from 1 to 5", index);
            level = (int) value->integer;
        }
        value = jm_json_get (item, "years");
        if (value && !jm_json_is_null (value)) {
            if (!jm_json_is_number (value) || jm_json_number (value) < 0 || jm_json_number (value) > 70)
                return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                     "skills[%zu].years must be a number from 0 to 70", index);
            years = jm_json_number (value);
        }
        value = jm_json_get (item, "last_used");
        if (value && !jm_json_is_null (value)) {
            if (!jm_json_is_integer (value) || value->integer < 1950 || value->integer > 2100)
                return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                     "skills[%zu].last_used must be a year (an integer from 1950 to 2100)", index);
            last_used = (int) value->integer;
        }
    }
    else
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "skills[%zu] must be a string or an object with a name", index);
    size_t len = strlen (name);
    if (len == 0 || len > JM_NORMALIZE_MAX)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "skills[%zu] must be 1 to %d bytes long", index, JM_NORMALIZE_MAX);
    jm_lookup_t found = jm_normalize_lookup (taxonomy, name, len);
    if (found.skill >= 0)
        s_add_skill (self, found.skill, level, years, last_used, found.match, name, false);
    else
        s_add_unknown (self, name, found.suggestion);
    return 0;
}

static int
s_compare_skills (const void *a, const void *b)
{
    const jm_candidate_skill_t *x = a, *y = b;
    return x->skill - y->skill;
}

//  Fills the bitset and per-skill arrays, and hashes the normalized content.
static void
s_finish (jm_candidate_t *self, const jm_taxonomy_t *taxonomy)
{
    //  insertion sort: lists are short and often nearly in order
    for (int i = 1; i < self->skill_count; i++)
        for (int j = i; j > 0 && s_compare_skills (&self->skills [j - 1], &self->skills [j]) > 0; j--) {
            jm_candidate_skill_t swap = self->skills [j];
            self->skills [j] = self->skills [j - 1];
            self->skills [j - 1] = swap;
        }
    //  ids, then the skills' factors, the ids by factor and the groups of
    //  equal factors, in one block
    self->ids = jm_malloc (sizeof (uint16_t) * 5 * (size_t) (self->skill_count + 1));
    self->factor = self->ids + self->skill_count + 1;
    self->by_factor = self->factor + self->skill_count + 1;
    self->group_end = self->by_factor + self->skill_count + 1;
    self->group_factor = self->group_end + self->skill_count + 1;
    uint64_t hash = 1469598103934665603ULL;
    hash = s_mix_string (hash, self->id);
    hash = s_mix_string (hash, self->name);
    hash = s_mix (hash, &self->years_experience, sizeof self->years_experience);
    for (int i = 0; i < self->skill_count; i++) {
        jm_candidate_skill_t *entry = &self->skills [i];
        self->has [entry->skill / 64] |= 1ULL << (entry->skill % 64);
        self->ids [i] = (uint16_t) entry->skill;
        hash = s_mix_string (hash, jm_taxonomy_skill (taxonomy, entry->skill)->id);
        int fields [3] = { entry->level, entry->last_used, entry->from_resume };
        hash = s_mix (hash, fields, sizeof fields);
        hash = s_mix (hash, &entry->years, sizeof entry->years);
        hash = s_mix_string (hash, entry->input);
    }
    for (int i = 0; i < self->unknown_count; i++)
        hash = s_mix_string (hash, self->unknown [i].input);
    //  the mentions that do not count show in explanations
    hash = s_mix (hash, &self->ignored_count, sizeof self->ignored_count);
    for (int i = 0; i < self->ignored_count; i++) {
        const jm_ignored_skill_t *entry = &self->ignored [i];
        hash = s_mix_string (hash, jm_taxonomy_skill (taxonomy, entry->skill)->id);
        int fields [2] = { (int) entry->claim, (int) entry->reason };
        hash = s_mix (hash, fields, sizeof fields);
    }
    hash = s_mix_string (hash, jm_taxonomy_version (taxonomy));
    self->fingerprint = hash;
    jm_proficiency_prepare (self, taxonomy);
}

static void
s_add_ignored (jm_candidate_t *self, int skill, jm_claim_t claim, jm_reason_t reason)
{
    jm_ignored_skill_t *grown = jm_realloc (self->ignored, (size_t) (self->ignored_count + 1) * sizeof *grown);
    self->ignored = grown;
    self->ignored [self->ignored_count++] = (jm_ignored_skill_t) { skill, claim, reason };
}

//  Adds the skills the resume shows the candidate holds, with the level and
//  years its text gives, and records the skills it mentions only in ways
//  that do not count.
static int
s_read_resume (jm_candidate_t *self, const jm_extractor_t *extractor, const char *text, size_t len,
               jm_error_t *err)
{
    jm_found_t *found = NULL;
    long count = jm_resume_read (extractor, text, len, &found, err);
    if (count < 0) {
        jm_error_prefix (err, "candidate '%.64s': resume: ", self->id);
        return -1;
    }
    //  each held skill once, in order of first mention, with the best
    //  evidence of all its mentions: the highest level, the most years
    int level [JM_MAX_SKILLS] = { 0 };
    double years [JM_MAX_SKILLS];
    bool added [JM_MAX_SKILLS] = { false };
    for (int s = 0; s < JM_MAX_SKILLS; s++)
        years [s] = -1;
    for (long i = 0; i < count; i++)
        if (found [i].claim == JM_CLAIM_HELD) {
            assert (found [i].skill >= 0 && found [i].skill < JM_MAX_SKILLS);
            if (found [i].level > level [found [i].skill])
                level [found [i].skill] = found [i].level;
            if (found [i].years > years [found [i].skill])
                years [found [i].skill] = found [i].years;
        }
    for (long i = 0; i < count; i++)
        if (found [i].claim == JM_CLAIM_HELD && !added [found [i].skill]) {
            added [found [i].skill] = true;
            s_add_skill (self, found [i].skill, level [found [i].skill], years [found [i].skill], 0,
                         found [i].corrected ? JM_MATCH_TYPO : JM_MATCH_EXACT, NULL, true);
        }
    for (long i = 0; i < count; i++) {
        if (found [i].claim == JM_CLAIM_HELD)
            continue;
        bool seen = false;
        for (int k = 0; k < self->skill_count && !seen; k++)
            seen = self->skills [k].skill == found [i].skill;
        for (int k = 0; k < self->ignored_count && !seen; k++)
            seen = self->ignored [k].skill == found [i].skill;
        if (!seen)
            s_add_ignored (self, found [i].skill, found [i].claim, found [i].reason);
    }
    free (found);
    return 0;
}

jm_candidate_t *
jm_candidate_new_from_value (const jm_json_t *object, const jm_taxonomy_t *taxonomy,
                             const jm_extractor_t *extractor, jm_error_t *err)
{
    assert (taxonomy);
    if (!jm_json_is_object (object)) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "a candidate must be a JSON object");
        return NULL;
    }
    const jm_json_t *id = jm_json_get (object, "id");
    char number [32];
    const char *id_text = jm_json_string (id);
    if (jm_json_is_integer (id)) {
        snprintf (number, sizeof number, "%lld", (long long) id->integer);
        id_text = number;
    }
    if (!id_text || !s_valid_utf8_id (id_text)) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST,
                      "candidate id is required: a string of 1 to %d bytes without control characters, or an integer",
                      JM_CANDIDATE_ID_MAX);
        return NULL;
    }
    const jm_json_t *name = jm_json_get (object, "name");
    const jm_json_t *skills = jm_json_get (object, "skills");
    const jm_json_t *resume = jm_json_get (object, "resume");
    const jm_json_t *years = jm_json_get (object, "years_experience");
    if (name && !jm_json_is_null (name) && (!jm_json_is_string (name) || name->count > 256)) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "candidate '%s': name must be a string of at most 256 bytes", id_text);
        return NULL;
    }
    if (skills && !jm_json_is_null (skills) && !jm_json_is_array (skills)) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "candidate '%s': skills must be an array", id_text);
        return NULL;
    }
    size_t skill_count = jm_json_count (skills);
    if (skill_count > JM_CANDIDATE_MAX_SKILLS) {
        jm_error_set (err, JM_ERR_TOO_LARGE, "candidate '%s': %zu skills, at most %d are accepted",
                      id_text, skill_count, JM_CANDIDATE_MAX_SKILLS);
        return NULL;
    }
    if (resume && !jm_json_is_null (resume) && !jm_json_is_string (resume)) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "candidate '%s': resume must be a string", id_text);
        return NULL;
    }
    size_t resume_len = jm_json_is_string (resume) ? resume->count : 0;
    if (resume_len > JM_CANDIDATE_MAX_RESUME) {
        jm_error_set (err, JM_ERR_TOO_LARGE, "candidate '%s': resume is %zu bytes, at most %d are accepted",
                      id_text, resume_len, JM_CANDIDATE_MAX_RESUME);
        return NULL;
    }
    if (years && !jm_json_is_null (years)
    &&  (!jm_json_is_number (years) || jm_json_number (years) < 0 || jm_json_number (years) > 70)) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "candidate '%s': years_experience must be a number from 0 to 70",
                      id_text);
        return NULL;
    }
    jm_candidate_t *self = jm_calloc (1, sizeof *self);
    //  exactly the listed skills (a résumé's grow it): small enough for
    //  glibc's per-thread cache in the common case, as BLOCK_SIZE
    self->skill_cap = skill_count ? (int) skill_count : 4;
    self->skills = jm_malloc ((size_t) self->skill_cap * sizeof *self->skills);
    self->id = s_keep (self, id_text);
    self->name = jm_json_is_string (name) ? s_keep (self, name->string) : NULL;
    self->years_experience = jm_json_is_number (years) ? jm_json_number (years) : -1;
    const jm_json_t *item = jm_json_first (skills);
    for (size_t index = 0; index < skill_count; index++, item = jm_json_skip (item))
        if (s_parse_skill (self, item, index, taxonomy, err)) {
            //  name the candidate in the message, keeping the field path
            jm_error_prefix (err, "candidate '%.64s': ", self->id);
            jm_candidate_destroy (&self);
            return NULL;
        }
    if (extractor && resume_len > 0
    &&  s_read_resume (self, extractor, resume->string, resume_len, err)) {
        jm_candidate_destroy (&self);
        return NULL;
    }
    s_finish (self, taxonomy);
    return self;
}

jm_candidate_t *
jm_candidate_new_from_json (json_t *object, const jm_taxonomy_t *taxonomy,
                            const jm_extractor_t *extractor, jm_error_t *err)
{
    assert (taxonomy);
    if (!json_is_object (object)) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "a candidate must be a JSON object");
        return NULL;
    }
    //  one reading of the fields, jm_json's
    jm_json_doc_t *doc = jm_json_doc_new ();
    const jm_json_t *value = jm_json_doc_import (doc, object);
    jm_candidate_t *self = NULL;
    if (value)
        self = jm_candidate_new_from_value (value, taxonomy, extractor, err);
    else
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "the candidate is nested too deep");
    jm_json_doc_destroy (&doc);
    return self;
}

void
jm_candidate_destroy (jm_candidate_t **self_p)
{
    assert (self_p);
    jm_candidate_t *self = *self_p;
    if (!self)
        return;
    free (self->skills);
    free (self->ids);
    free (self->unknown);
    free (self->ignored);
    while (self->strings) {
        s_block_t *block = self->strings;
        self->strings = block->next;
        free (block);
    }
    free (self);
    *self_p = NULL;
}

const jm_candidate_skill_t *
jm_candidate_skill (const jm_candidate_t *self, int skill)
{
    if (skill < 0 || skill >= JM_MAX_SKILLS || !jm_candidate_has (self, skill))
        return NULL;
    int low = 0, high = self->skill_count - 1;
    while (low <= high) {
        int middle = (low + high) / 2;
        if (self->skills [middle].skill == skill)
            return &self->skills [middle];
        if (self->skills [middle].skill < skill)
            low = middle + 1;
        else
            high = middle - 1;
    }
    return NULL;
}

void
jm_candidate_fingerprint_hex (const jm_candidate_t *self, char dest [17])
{
    static const char hex [] = "0123456789abcdef";
    uint64_t value = self->fingerprint;
    for (int digit = 15; digit >= 0; digit--, value >>= 4)
        dest [digit] = hex [value & 15];
    dest [16] = '\0';
}

//  A double as the shortest decimal that reads back the same
static void
s_write_double (jm_buf_t *out, double value)
{
    jm_buf_double (out, value);
}

void
jm_candidate_write_profile (const jm_candidate_t *self, const jm_taxonomy_t *taxonomy,
                            jm_buf_t *out)
{
    jm_buf_puts (out, "{\"id\":");
    jm_buf_json_str (out, self->id);
    if (self->name) {
        jm_buf_puts (out, ",\"name\":");
        jm_buf_json_str (out, self->name);
    }
    if (self->years_experience >= 0) {
        jm_buf_puts (out, ",\"years_experience\":");
        s_write_double (out, self->years_experience);
    }
    jm_buf_puts (out, ",\"skills\":[");
    for (int i = 0; i < self->skill_count; i++) {
        const jm_candidate_skill_t *entry = &self->skills [i];
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, entry->skill);
        jm_buf_puts (out, i ? ",{\"id\":" : "{\"id\":");
        jm_buf_append (out, skill->id_json, skill->id_json_len);
        if (entry->input) {
            jm_buf_puts (out, ",\"name\":");
            jm_buf_json_str (out, entry->input);
        }
        if (entry->level) {
            jm_buf_puts (out, ",\"level\":");
            jm_buf_int (out, entry->level);
        }
        if (entry->years >= 0) {
            jm_buf_puts (out, ",\"years\":");
            s_write_double (out, entry->years);
        }
        if (entry->last_used) {
            jm_buf_puts (out, ",\"last_used\":");
            jm_buf_int (out, entry->last_used);
        }
        if (entry->from_resume)
            jm_buf_puts (out, ",\"from_resume\":true");
        if (entry->from_resume && entry->match == JM_MATCH_TYPO)
            jm_buf_puts (out, ",\"corrected\":true");
        jm_buf_puts (out, "}");
    }
    jm_buf_puts (out, "],\"unknown\":[");
    for (int i = 0; i < self->unknown_count; i++) {
        if (i)
            jm_buf_puts (out, ",");
        jm_buf_json_str (out, self->unknown [i].input);
    }
    jm_buf_puts (out, "]");
    if (self->ignored_count) {
        jm_buf_puts (out, ",\"ignored\":[");
        for (int i = 0; i < self->ignored_count; i++) {
            const jm_ignored_skill_t *entry = &self->ignored [i];
            const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, entry->skill);
            jm_buf_puts (out, i ? ",{\"id\":" : "{\"id\":");
            jm_buf_append (out, skill->id_json, skill->id_json_len);
            jm_buf_puts (out, ",\"status\":");
            jm_buf_json_str (out, jm_claim_name (entry->claim));
            jm_buf_puts (out, ",\"reason\":");
            jm_buf_json_str (out, jm_reason_name (entry->reason));
            jm_buf_puts (out, "}");
        }
        jm_buf_puts (out, "]");
    }
    jm_buf_puts (out, "}");
}

//  One stored skill: {"id", "name"?, "level"?, "years"?, "last_used"?, "from_resume"?}
static int
s_profile_skill (jm_candidate_t *self, const jm_json_t *item, size_t index,
                 const jm_taxonomy_t *taxonomy, jm_error_t *err)
{
    const char *id = jm_json_string (jm_json_get (item, "id"));
    const jm_json_t *name = jm_json_get (item, "name");
    const jm_json_t *level = jm_json_get (item, "level");
    const jm_json_t *years = jm_json_get (item, "years");
    const jm_json_t *last_used = jm_json_get (item, "last_used");
    const jm_json_t *from_resume = jm_json_get (item, "from_resume");
    const jm_json_t *corrected = jm_json_get (item, "corrected");
    if (!jm_json_is_object (item) || !id)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "profile '%.64s': skills[%zu] needs an id",
                             self->id, index);
    const char *field = NULL;
    if (name && (!jm_json_is_string (name) || name->count == 0 || name->count > JM_NORMALIZE_MAX))
        field = "name";
    else
    if (level && (!jm_json_is_integer (level) || level->integer < 0 || level->integer > 5))
        field = "level";
    else
    if (years && (!jm_json_is_number (years) || jm_json_number (years) < 0))
        field = "years";
    else
    if (last_used && (!jm_json_is_integer (last_used)
                      || last_used->integer < INT_MIN || last_used->integer > INT_MAX))
        field = "last_used";
    else
    if (from_resume && !jm_json_is (from_resume, JM_JSON_TRUE) && !jm_json_is (from_resume, JM_JSON_FALSE))
        field = "from_resume";
    else
    if (corrected && !jm_json_is (corrected, JM_JSON_TRUE) && !jm_json_is (corrected, JM_JSON_FALSE))
        field = "corrected";
    if (field)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "profile '%.64s': skills[%zu].%s is malformed",
                             self->id, index, field);
    const char *input = jm_json_string (name);
    bool resume = jm_json_is (from_resume, JM_JSON_TRUE);
    int skill = jm_taxonomy_find (taxonomy, id);
    if (skill < 0) {
        //  the taxonomy changed since: keep what was written, as unknown
        const char *text = input ? input : id;
        jm_lookup_t found = jm_normalize_lookup (taxonomy, text, strlen (text));
        s_add_unknown (self, text, found.skill >= 0 ? found.skill : found.suggestion);
        return 0;
    }
    //  How the name was recognised (a typo correction shows in results):
    //  again from what was listed, as stored for a résumé's mention
    jm_match_t match = resume && jm_json_is (corrected, JM_JSON_TRUE) ? JM_MATCH_TYPO : JM_MATCH_EXACT;
    if (input && !resume) {
        jm_lookup_t found = jm_normalize_lookup (taxonomy, input, name->count);
        if (found.skill == skill)
            match = found.match;
    }
    s_add_skill (self, skill, level ? (int) level->integer : 0,
                 years ? jm_json_number (years) : -1,
                 last_used ? (int) last_used->integer : 0,
                 match, resume ? NULL : input, resume);
    return 0;
}

//  One stored ignored skill: {"id", "status", "reason"}.  A skill the
//  taxonomy no longer knows is dropped, as the mention would be.
static int
s_profile_ignored (jm_candidate_t *self, const jm_json_t *item, size_t index,
                   const jm_taxonomy_t *taxonomy, jm_error_t *err)
{
    const char *id = jm_json_string (jm_json_get (item, "id"));
    const char *status = jm_json_string (jm_json_get (item, "status"));
    const char *reason = jm_json_string (jm_json_get (item, "reason"));
    int claim = status ? jm_claim_parse (status) : -1;
    int why = reason ? jm_reason_parse (reason) : -1;
    const char *field = !jm_json_is_object (item) || !id ? "id"
                      : claim <= JM_CLAIM_HELD ? "status"
                      : why <= JM_REASON_NONE ? "reason" : NULL;
    if (field)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "profile '%.64s': ignored[%zu].%s is malformed",
                             self->id, index, field);
    int skill = jm_taxonomy_find (taxonomy, id);
    if (skill < 0)
        return 0;
    for (int i = 0; i < self->ignored_count; i++)
        if (self->ignored [i].skill == skill)
            return 0;
    s_add_ignored (self, skill, (jm_claim_t) claim, (jm_reason_t) why);
    return 0;
}

jm_candidate_t *
jm_candidate_new_from_profile (const jm_json_t *profile, const jm_taxonomy_t *taxonomy, jm_error_t *err)
{
    assert (taxonomy);
    const char *id = jm_json_string (jm_json_get (profile, "id"));
    if (!jm_json_is_object (profile) || !id || !s_valid_utf8_id (id)) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "a profile needs a valid candidate id");
        return NULL;
    }
    const jm_json_t *name = jm_json_get (profile, "name");
    const jm_json_t *years = jm_json_get (profile, "years_experience");
    const jm_json_t *skills = jm_json_get (profile, "skills");
    const jm_json_t *unknown = jm_json_get (profile, "unknown");
    const jm_json_t *ignored = jm_json_get (profile, "ignored");
    const char *field = name && !jm_json_is_string (name) ? "name"
                      : years && !jm_json_is_number (years) ? "years_experience"
                      : (skills && !jm_json_is_array (skills)) || jm_json_count (skills) > JM_MAX_SKILLS
                        ? "skills"
                      : unknown && !jm_json_is_array (unknown) ? "unknown"
                      : (ignored && !jm_json_is_array (ignored)) || jm_json_count (ignored) > JM_MAX_SKILLS
                        ? "ignored" : NULL;
    if (field) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "profile '%.64s': %s is malformed", id, field);
        return NULL;
    }
    jm_candidate_t *self = jm_calloc (1, sizeof *self);
    self->id = s_keep (self, id);
    self->name = name ? s_keep (self, jm_json_string (name)) : NULL;
    self->years_experience = years ? jm_json_number (years) : -1;
    size_t index = 0;
    for (const jm_json_t *item = jm_json_first (skills); index < jm_json_count (skills);
         item = jm_json_skip (item), index++)
        if (s_profile_skill (self, item, index, taxonomy, err)) {
            jm_candidate_destroy (&self);
            return NULL;
        }
    index = 0;
    for (const jm_json_t *item = jm_json_first (unknown); index < jm_json_count (unknown);
         item = jm_json_skip (item), index++) {
        const char *text = jm_json_string (item);
        if (!text || !*text || item->count > JM_NORMALIZE_MAX) {
            jm_error_set (err, JM_ERR_INVALID_DATA, "profile '%.64s': unknown[%zu] is malformed",
                          id, index);
            jm_candidate_destroy (&self);
            return NULL;
        }
        jm_lookup_t found = jm_normalize_lookup (taxonomy, text, item->count);
        s_add_unknown (self, text, found.suggestion);
    }
    index = 0;
    for (const jm_json_t *item = jm_json_first (ignored); index < jm_json_count (ignored);
         item = jm_json_skip (item), index++)
        if (s_profile_ignored (self, item, index, taxonomy, err)) {
            jm_candidate_destroy (&self);
            return NULL;
        }
    s_finish (self, taxonomy);
    return self;
}
