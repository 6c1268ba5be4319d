/*  jm_taxonomy: loads and serves the skill taxonomy.  See jm_taxonomy.h.

    Loading validates everything a later lookup relies on: ids are unique
    and well formed, every category exists, no folded or compact key names
    two skills, relations name existing skills and the implication graph has
    no cycle.  The relation closure is computed once into a dense credit
    matrix (size x size) so scoring never walks a graph, and coded as one
    byte per cell (the index of the credit among the distinct credits, in
    ascending order) so a candidate's best credit toward every skill is a
    byte-wise max over its skills' rows.                                   */
#include "jm_taxonomy.h"
#include "jm_buf.h"
#include "jm_normalize_fold.h"
#include "jm_alloc.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void s_build_typo_index (jm_taxonomy_t *self);

//  Open-addressing hash table from key text to skill index
typedef struct {
    char *key;                  //  owned
    uint32_t len;
    int skill;
    bool exact;                 //  id or display name
} s_slot_t;

typedef struct {
    s_slot_t *slots;
    size_t mask;                //  capacity - 1, capacity a power of two
    size_t count;
} s_table_t;

struct _jm_taxonomy_t {
    char *version;
    int size;
    jm_skill_t skills [JM_MAX_SKILLS];
    char **strings;             //  every string we own, freed on destroy
    size_t string_count, string_cap;
    jm_form_t *forms;
    int form_count, form_cap;
    s_table_t folded;
    s_table_t compact;
    s_table_t ids;              //  each skill's id, exactly as written
    float *credit;              //  size x size, [have * size + want]
    uint8_t *relation;          //  jm_relation_t per pair
    double levels [JM_CREDIT_LEVELS];   //  distinct credits (floats), ascending, levels [0] = 0
    int level_count;
    uint8_t *codes;             //  size x code_stride, [have * code_stride + want]: index into levels
    int code_stride;            //  size rounded up to 32
    uint32_t *related_from;     //  size + 1: where each skill's nonzero codes start in
    uint16_t *related_want;     //  ... these (the skills it counts toward)
    uint8_t *related_code;      //  ... and these (the codes)
    double implies_credit, sibling_credit, parent_credit;
    jm_evidence_rule_t *evidence [JM_MAX_SKILLS];  //  NULL: the skill needs none
    uint64_t *deletes;          //  keys with 0 or 1 character deleted: the variant's hash
                                //  above S_KEY_BITS, its key's folded slot + 1 below (0: empty)
    size_t deletes_mask;
};

//  Hash of a key, eight bytes at a time (keys are short: names and aliases)
static uint64_t
s_hash (const char *key, size_t len)
{
    uint64_t hash = 0x9E3779B97F4A7C15ULL ^ len;
    while (len >= 8) {
        uint64_t word;
        memcpy (&word, key, 8);
        hash = (hash ^ word) * 0xFF51AFD7ED558CCDULL;
        hash ^= hash >> 32;
        key += 8;
        len -= 8;
    }
    //  the last 0 to 7 bytes, read as at most three loads
    uint64_t tail = 0;
    if (len & 4) {
        uint32_t four;
        memcpy (&four, key, 4);
        tail = four;
    }
    if (len & 2) {
        uint16_t two;
        memcpy (&two, key + (len & 4), 2);
        tail |= (uint64_t) two << (8 * (len & 4));
    }
    if (len & 1)
        tail |= (uint64_t) (unsigned char) key [len - 1] << (8 * (len - 1));
    hash = (hash ^ tail) * 0xC4CEB9FE1A85EC53ULL;
    return hash ^ (hash >> 29);
}

static s_slot_t *
s_table_find (const s_table_t *table, const char *key, size_t len)
{
    if (!table->slots)
        return NULL;
    size_t index = (size_t) s_hash (key, len) & table->mask;
    while (table->slots [index].key) {
        s_slot_t *slot = &table->slots [index];
        if (slot->len == len && memcmp (slot->key, key, len) == 0)
            return slot;
        index = (index + 1) & table->mask;
    }
    return NULL;
}

static void
s_table_grow (s_table_t *table)
{
    size_t capacity = table->slots ? (table->mask + 1) * 2 : 1024;
    s_slot_t *old = table->slots;
    size_t old_capacity = old ? table->mask + 1 : 0;
    table->slots = jm_calloc (capacity, sizeof (s_slot_t));
    table->mask = capacity - 1;
    for (size_t i = 0; i < old_capacity; i++)
        if (old [i].key) {
            size_t index = (size_t) s_hash (old [i].key, old [i].len) & table->mask;
            while (table->slots [index].key)
                index = (index + 1) & table->mask;
            table->slots [index] = old [i];
        }
    free (old);
}

//  Inserts key -> skill.  Returns the skill already holding the key when it
//  is another skill (a collision), else -1.
static int
s_table_insert (s_table_t *table, const char *key, size_t len, int skill, bool exact)
{
    s_slot_t *slot = s_table_find (table, key, len);
    if (slot) {
        if (slot->skill != skill)
            return slot->skill;
        slot->exact = slot->exact || exact;
        return -1;
    }
    if (!table->slots || (table->count + 1) * 2 > table->mask + 1)
        s_table_grow (table);
    size_t index = (size_t) s_hash (key, len) & table->mask;
    while (table->slots [index].key)
        index = (index + 1) & table->mask;
    char *copy = jm_malloc (len + 1);
    memcpy (copy, key, len);
    copy [len] = 0;
    table->slots [index] = (s_slot_t) { copy, (uint32_t) len, skill, exact };
    table->count++;
    return -1;
}

static void
s_table_free (s_table_t *table)
{
    if (table->slots)
        for (size_t i = 0; i <= table->mask; i++)
            free (table->slots [i].key);
    free (table->slots);
    memset (table, 0, sizeof *table);
}

static const char *
s_own (jm_taxonomy_t *self, const char *text)
{
    if (self->string_count == self->string_cap) {
        self->string_cap = self->string_cap ? self->string_cap * 2 : 256;
        self->strings = jm_realloc (self->strings, self->string_cap * sizeof (char *));
    }
    char *copy = jm_strdup (text);
    self->strings [self->string_count++] = copy;
    return copy;
}

static bool
s_valid_id (const char *id)
{
    size_t len = strlen (id);
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(islower ((unsigned char) id [i]) || isdigit ((unsigned char) id [i]) || id [i] == '-'))
            return false;
    return true;
}

//  Adds one surface form: to the form list, and its folded and compact keys
//  to the lookup tables.  Returns -1 with err set on a collision.
static int
s_add_form (jm_taxonomy_t *self, const char *text, int skill, bool ambiguous, bool exact,
            jm_error_t *err)
{
    char folded [JM_NORMALIZE_MAX + 1], compact [JM_NORMALIZE_MAX + 1];
    size_t text_len = strlen (text);
    if (text_len == 0 || text_len > JM_NORMALIZE_MAX)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': form \"%.40s\" is empty or too long",
                             self->skills [skill].id, text);
    size_t len = jm_normalize_fold (text, text_len, folded, sizeof folded);
    if (len == 0)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': form \"%s\" folds to nothing",
                             self->skills [skill].id, text);
    int other = s_table_insert (&self->folded, folded, len, skill, exact);
    if (other >= 0)
        return jm_error_set (err, JM_ERR_INVALID_DATA,
                             "skill '%s': form \"%s\" (key \"%s\") already names skill '%s'",
                             self->skills [skill].id, text, folded, self->skills [other].id);
    size_t clen = jm_normalize_compact (folded, len, compact, sizeof compact);
    if (clen > 0) {
        other = s_table_insert (&self->compact, compact, clen, skill, exact);
        if (other >= 0)
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "skill '%s': form \"%s\" (compact key \"%s\") already names skill '%s'",
                                 self->skills [skill].id, text, compact, self->skills [other].id);
    }
    if (self->form_count == self->form_cap) {
        self->form_cap = self->form_cap ? self->form_cap * 2 : 1024;
        self->forms = jm_realloc (self->forms, (size_t) self->form_cap * sizeof (jm_form_t));
    }
    self->forms [self->form_count++] = (jm_form_t) { s_own (self, text), skill, ambiguous };
    return 0;
}

static int
s_add_forms (jm_taxonomy_t *self, json_t *list, int skill, bool ambiguous, const char *field,
             jm_error_t *err)
{
    if (!list)
        return 0;
    if (!json_is_array (list))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': %s must be an array of strings",
                             self->skills [skill].id, field);
    size_t index;
    json_t *item;
    json_array_foreach (list, index, item) {
        if (!json_is_string (item))
            return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': %s[%zu] must be a string",
                                 self->skills [skill].id, field, index);
        if (s_add_form (self, json_string_value (item), skill, ambiguous, false, err))
            return -1;
    }
    return 0;
}

static double
s_number (json_t *object, const char *key, double fallback)
{
    json_t *value = json_object_get (object, key);
    return json_is_number (value) ? json_number_value (value) : fallback;
}

static void
s_set_relation (jm_taxonomy_t *self, int have, int want, double credit, jm_relation_t relation)
{
    size_t cell = (size_t) have * (size_t) self->size + (size_t) want;
    if (credit > self->credit [cell]) {
        self->credit [cell] = (float) credit;
        self->relation [cell] = (uint8_t) relation;
    }
}

//  Builds the implication closure: best product of credits over every path
//  from a child to each ancestor.  Detects cycles by bounding path length.
static int
s_build_closure (jm_taxonomy_t *self, json_t *skills, jm_error_t *err)
{
    int size = self->size;
    //  direct[have][want] = credit of one implication edge
    float *direct = jm_calloc ((size_t) size * (size_t) size, sizeof (float));
    for (int have = 0; have < size; have++) {
        json_t *skill = json_array_get (skills, (size_t) have);
        json_t *implies = json_object_get (skill, "implies");
        if (!implies)
            continue;
        if (!json_is_array (implies)) {
            free (direct);
            return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': implies must be an array of ids",
                                 self->skills [have].id);
        }
        double credit = s_number (skill, "implies_credit", self->implies_credit);
        if (credit <= 0 || credit > 1) {
            free (direct);
            return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': implies_credit must be in (0, 1]",
                                 self->skills [have].id);
        }
        size_t index;
        json_t *item;
        json_array_foreach (implies, index, item) {
            int want = json_is_string (item) ? jm_taxonomy_find (self, json_string_value (item)) : -1;
            if (want < 0 || want == have) {
                free (direct);
                return jm_error_set (err, JM_ERR_INVALID_DATA,
                                     "skill '%s': implies[%zu] is not another known skill id",
                                     self->skills [have].id, index);
            }
            direct [(size_t) have * (size_t) size + (size_t) want] = (float) credit;
        }
    }
    //  Relax paths of growing length; a change after `size` rounds is a cycle
    float *best = jm_malloc ((size_t) size * (size_t) size * sizeof (float));
    memcpy (best, direct, (size_t) size * (size_t) size * sizeof (float));
    bool changed = true;
    int rounds = 0;
    while (changed && rounds <= size) {
        changed = false;
        rounds++;
        for (int a = 0; a < size; a++)
            for (int b = 0; b < size; b++) {
                float ab = best [(size_t) a * (size_t) size + (size_t) b];
                if (ab <= 0)
                    continue;
                for (int c = 0; c < size; c++) {
                    float bc = direct [(size_t) b * (size_t) size + (size_t) c];
                    if (bc <= 0)
                        continue;
                    float *ac = &best [(size_t) a * (size_t) size + (size_t) c];
                    if (a == c) {
                        free (direct);
                        free (best);
                        return jm_error_set (err, JM_ERR_INVALID_DATA,
                                             "implies relations form a cycle through '%s' and '%s'",
                                             self->skills [a].id, self->skills [b].id);
                    }
                    if (ab * bc > *ac + 1e-6f) {
                        *ac = ab * bc;
                        changed = true;
                    }
                }
            }
    }
    for (int have = 0; have < size; have++)
        for (int want = 0; want < size; want++) {
            float credit = best [(size_t) have * (size_t) size + (size_t) want];
            if (credit > 0) {
                s_set_relation (self, have, want, credit, JM_RELATION_IMPLIES);
                //  the reverse: the candidate has the parent of what is wanted
                s_set_relation (self, want, have, self->parent_credit, JM_RELATION_PARENT);
            }
        }
    free (direct);
    free (best);
    return 0;
}

static int
s_load_siblings (jm_taxonomy_t *self, json_t *groups, jm_error_t *err)
{
    if (!groups)
        return 0;
    if (!json_is_array (groups))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "siblings must be an array of groups");
    size_t index;
    json_t *group;
    json_array_foreach (groups, index, group) {
        json_t *members = json_object_get (group, "skills");
        double credit = s_number (group, "credit", self->sibling_credit);
        if (!json_is_array (members) || json_array_size (members) < 2)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "siblings[%zu]: skills must list two or more ids", index);
        if (credit <= 0 || credit > 1)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "siblings[%zu]: credit must be in (0, 1]", index);
        int ids [JM_MAX_SKILLS];
        size_t count = 0, i;
        json_t *member;
        json_array_foreach (members, i, member) {
            int skill = json_is_string (member) ? jm_taxonomy_find (self, json_string_value (member)) : -1;
            if (skill < 0)
                return jm_error_set (err, JM_ERR_INVALID_DATA, "siblings[%zu].skills[%zu] is not a known skill id",
                                     index, i);
            if (count < JM_MAX_SKILLS)
                ids [count++] = skill;
        }
        for (size_t a = 0; a < count; a++)
            for (size_t b = 0; b < count; b++)
                if (ids [a] != ids [b])
                    s_set_relation (self, ids [a], ids [b], credit, JM_RELATION_SIBLING);
    }
    return 0;
}

//  The everyday table: skills so much a part of some work that whoever does
//  it almost surely has them, unwritten (a web framework -> HTTP, CI -> Git).
//  Each entry gives `credit` toward `skill` from every skill in `from`,
//  unless a relation already gives more.  Not transitive: `from` lists
//  every skill that counts.
static int
s_load_everyday (jm_taxonomy_t *self, json_t *entries, jm_error_t *err)
{
    if (!entries)
        return 0;
    if (!json_is_array (entries))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "everyday must be an array of entries");
    size_t index;
    json_t *entry;
    json_array_foreach (entries, index, entry) {
        json_t *skill = json_object_get (entry, "skill");
        json_t *from = json_object_get (entry, "from");
        json_t *credit = json_object_get (entry, "credit");
        int want = json_is_string (skill) ? jm_taxonomy_find (self, json_string_value (skill)) : -1;
        if (want < 0)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "everyday[%zu].skill is not a known skill id", index);
        if (!json_is_number (credit) || json_number_value (credit) <= 0 || json_number_value (credit) >= 1)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "everyday[%zu].credit must be in (0, 1)", index);
        if (!json_is_array (from) || json_array_size (from) == 0)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "everyday[%zu].from must list skill ids", index);
        size_t i;
        json_t *member;
        json_array_foreach (from, i, member) {
            int have = json_is_string (member) ? jm_taxonomy_find (self, json_string_value (member)) : -1;
            if (have < 0 || have == want)
                return jm_error_set (err, JM_ERR_INVALID_DATA,
                                     "everyday[%zu].from[%zu] is not another known skill id", index, i);
            s_set_relation (self, have, want, json_number_value (credit), JM_RELATION_EVERYDAY);
        }
    }
    return 0;
}

//  Codes the credit matrix: the distinct credits in ascending order, and
//  each cell as its credit's index among them.
static int
s_build_codes (jm_taxonomy_t *self, jm_error_t *err)
{
    size_t cells = (size_t) self->size * (size_t) self->size;
    self->levels [0] = 0;
    self->level_count = 1;
    for (size_t cell = 0; cell < cells; cell++) {
        float credit = self->credit [cell];
        int at = self->level_count;
        while (at > 0 && self->levels [at - 1] > credit)
            at--;
        if (at > 0 && self->levels [at - 1] == credit)
            continue;
        if (self->level_count == JM_CREDIT_LEVELS)
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "taxonomy: relations give more than %d distinct credits", JM_CREDIT_LEVELS - 1);
        memmove (self->levels + at + 1, self->levels + at, sizeof (double) * (size_t) (self->level_count - at));
        self->levels [at] = credit;
        self->level_count++;
    }
    self->code_stride = (self->size + 31) & ~31;
    self->codes = jm_calloc ((size_t) self->size * (size_t) self->code_stride, 1);
    for (int have = 0; have < self->size; have++)
        for (int want = 0; want < self->size; want++) {
            float credit = self->credit [(size_t) have * (size_t) self->size + (size_t) want];
            int code = 0;
            while (self->levels [code] != credit)
                code++;
            self->codes [(size_t) have * (size_t) self->code_stride + (size_t) want] = (uint8_t) code;
        }
    //  the same rows without their zeros, for building candidates' codes
    size_t related = 0;
    for (size_t cell = 0; cell < (size_t) self->size * (size_t) self->size; cell++)
        related += self->credit [cell] > 0;
    self->related_from = jm_malloc (sizeof (uint32_t) * (size_t) (self->size + 1));
    self->related_want = jm_malloc (sizeof (uint16_t) * (related ? related : 1));
    self->related_code = jm_malloc (related ? related : 1);
    related = 0;
    for (int have = 0; have < self->size; have++) {
        self->related_from [have] = (uint32_t) related;
        const uint8_t *row = self->codes + (size_t) have * (size_t) self->code_stride;
        for (int want = 0; want < self->size; want++)
            if (row [want]) {
                self->related_want [related] = (uint16_t) want;
                self->related_code [related++] = row [want];
            }
    }
    self->related_from [self->size] = (uint32_t) related;
    return 0;
}

static bool
s_streq (const char *a, const char *b)
{
    return a && b && strcmp (a, b) == 0;
}

static jm_skill_kind_t
s_kind (const char *text, bool *ok)
{
    *ok = true;
    if (s_streq (text, "hard"))
        return JM_KIND_HARD;
    if (s_streq (text, "knowledge"))
        return JM_KIND_KNOWLEDGE;
    if (s_streq (text, "soft"))
        return JM_KIND_SOFT;
    *ok = false;
    return JM_KIND_HARD;
}

static const char *
s_string (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

//  ---------------------------------------------------------------------
//  Evidence rules ("evidence" on a skill): see data/README.md

#define S_EVIDENCE_ITEMS 64     //  entries per list, at most
#define S_EVIDENCE_TEXT 64      //  bytes per entry, at most

static void
s_evidence_free (jm_evidence_rule_t **rule_p)
{
    jm_evidence_rule_t *rule = *rule_p;
    if (!rule)
        return;
    free (rule->forms);
    free (rule->neighbours);
    free (rule->near);
    free (rule->names);
    free (rule->phrases);
    free (rule);
    *rule_p = NULL;
}

//  Lowercase copy of text [0, len), owned by the taxonomy
static const char *
s_own_lower (jm_taxonomy_t *self, const char *text, size_t len)
{
    char buffer [S_EVIDENCE_TEXT + 1];
    assert (len <= S_EVIDENCE_TEXT);
    for (size_t i = 0; i < len; i++)
        buffer [i] = (char) tolower ((unsigned char) text [i]);
    buffer [len] = 0;
    return s_own (self, buffer);
}

//  A word of a phrase or neighbour: letters, digits and . + # / ' & and
//  non-ASCII bytes, so that it compares with a word of text
static bool
s_evidence_word (const char *word, size_t len)
{
    if (len == 0 || len > S_EVIDENCE_TEXT)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) word [i];
        if (!(isalnum (c) || c >= 0x80 || strchr (".+#/'&", c)))
            return false;
    }
    return true;
}

//  Parses a phrase holding one of the rule's forms as a whole word.
//  Returns 0, or a negative code indexing s_phrase_problem.
static int
s_evidence_phrase (jm_taxonomy_t *self, const jm_evidence_rule_t *rule, const char *text,
                   jm_evidence_phrase_t *phrase)
{
    memset (phrase, 0, sizeof *phrase);
    phrase->text = s_own (self, text);
    const char *words [2 * JM_EVIDENCE_WORDS + 1];
    size_t lens [2 * JM_EVIDENCE_WORDS + 1];
    int count = 0, form_at = -1;
    const char *scan = text;
    while (*scan) {
        while (*scan == ' ')
            scan++;
        if (!*scan)
            break;
        const char *start = scan;
        while (*scan && *scan != ' ')
            scan++;
        if (count == 2 * JM_EVIDENCE_WORDS + 1)
            return -2;
        words [count] = start;
        lens [count] = (size_t) (scan - start);
        if (!s_evidence_word (start, lens [count]))
            return -3;
        if (form_at < 0)
            for (int f = 0; f < rule->form_count; f++)
                if (strlen (rule->forms [f]) == lens [count]
                &&  memcmp (rule->forms [f], start, lens [count]) == 0) {
                    form_at = count;
                    phrase->form = rule->forms [f];
                }
        count++;
    }
    if (form_at < 0)
        return -4;
    if (form_at > JM_EVIDENCE_WORDS || count - form_at - 1 > JM_EVIDENCE_WORDS)
        return -2;
    if (count < 2)
        return -5;
    for (int w = form_at - 1; w >= 0; w--)
        phrase->before [phrase->before_count++] = s_own_lower (self, words [w], lens [w]);
    for (int w = form_at + 1; w < count; w++)
        phrase->after [phrase->after_count++] = s_own_lower (self, words [w], lens [w]);
    return 0;
}

//  Reads one array field of strings (absent: none).  Returns the count,
//  or -1 with err set.
static int
s_evidence_strings (jm_taxonomy_t *self, int skill, json_t *evidence, const char *field,
                    const char **out, jm_error_t *err)
{
    json_t *list = json_object_get (evidence, field);
    if (!list)
        return 0;
    if (!json_is_array (list))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': evidence.%s must be an array of strings",
                             self->skills [skill].id, field);
    if (json_array_size (list) > S_EVIDENCE_ITEMS)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': evidence.%s has %zu entries, at most %d",
                             self->skills [skill].id, field, json_array_size (list), S_EVIDENCE_ITEMS);
    size_t index;
    json_t *item;
    json_array_foreach (list, index, item) {
        const char *text = json_string_value (item);
        if (!text || !*text || strlen (text) > S_EVIDENCE_TEXT)
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "skill '%s': evidence.%s[%zu] must be a string of 1-%d bytes",
                                 self->skills [skill].id, field, index, S_EVIDENCE_TEXT);
        out [index] = text;
    }
    return (int) json_array_size (list);
}

static const char *s_phrase_problem [] = {
    "", "", "has too many words (at most 6 either side of the form)",
    "holds a character that is not part of a word", "does not hold one of the forms as a word",
    "needs a word beside the form"
};

//  Parses the phrases of one field into *phrases_p.  Returns 0 or -1.
static int
s_evidence_phrases (jm_taxonomy_t *self, int skill, const jm_evidence_rule_t *rule,
                    const char **texts, int count, const char *field,
                    jm_evidence_phrase_t **phrases_p, jm_error_t *err)
{
    *phrases_p = count ? jm_calloc ((size_t) count, sizeof (jm_evidence_phrase_t)) : NULL;
    for (int i = 0; i < count; i++) {
        int rc = s_evidence_phrase (self, rule, texts [i], &(*phrases_p) [i]);
        if (rc)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': evidence.%s[%d] \"%s\" %s",
                                 self->skills [skill].id, field, i, texts [i], s_phrase_problem [-rc]);
    }
    return 0;
}

static int
s_load_evidence (jm_taxonomy_t *self, int skill, json_t *object, jm_error_t *err)
{
    json_t *evidence = json_object_get (object, "evidence");
    const char *id = self->skills [skill].id;
    if (!evidence)
        return 0;
    if (!json_is_object (evidence))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': evidence must be an object", id);
    const char *key;
    json_t *value;
    json_object_foreach (evidence, key, value)
        if (!s_streq (key, "rule") && !s_streq (key, "forms") && !s_streq (key, "neighbours")
        &&  !s_streq (key, "names") && !s_streq (key, "phrases") && !s_streq (key, "employer"))
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "skill '%s': evidence.%s is not a field (rule, forms, neighbours, "
                                 "names, phrases, employer)", id, key);
    const char *rule_text = s_string (evidence, "rule");
    if (!rule_text || !*rule_text || strlen (rule_text) > 200 || strchr (rule_text, '\n'))
        return jm_error_set (err, JM_ERR_INVALID_DATA,
                             "skill '%s': evidence.rule must be one line of 1-200 bytes", id);
    json_t *employer = json_object_get (evidence, "employer");
    if (employer && !json_is_boolean (employer))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': evidence.employer must be true or false", id);

    jm_evidence_rule_t *rule = jm_calloc (1, sizeof *rule);
    self->evidence [skill] = rule;      //  freed with the taxonomy on failure
    rule->rule = s_own (self, rule_text);
    rule->employer = json_is_true (employer);
    const char *texts [S_EVIDENCE_ITEMS];
    //  forms: given, or the skill's ambiguous forms
    int count = s_evidence_strings (self, skill, evidence, "forms", texts, err);
    if (count < 0)
        return -1;
    const char *field = "forms";
    if (!json_object_get (evidence, "forms")) {
        json_t *ambiguous = json_object_get (object, "ambiguous");
        size_t index;
        json_t *item;
        field = "ambiguous";
        json_array_foreach (ambiguous, index, item)
            if (json_is_string (item) && count < S_EVIDENCE_ITEMS)
                texts [count++] = json_string_value (item);
    }
    if (count == 0)
        return jm_error_set (err, JM_ERR_INVALID_DATA,
                             "skill '%s': evidence needs forms (or ambiguous forms) to apply to", id);
    rule->forms = jm_calloc ((size_t) count, sizeof (char *));
    for (int i = 0; i < count; i++) {
        char folded [JM_NORMALIZE_MAX + 1];
        size_t len = jm_normalize_fold (texts [i], strlen (texts [i]), folded, sizeof folded);
        if (!s_evidence_word (texts [i], strlen (texts [i]))
        ||  jm_taxonomy_lookup_key (self, folded, len, NULL) != skill)
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "skill '%s': evidence %s[%d] \"%s\" is not a one-word form of this skill",
                                 id, field, i, texts [i]);
        rule->forms [rule->form_count++] = s_own (self, texts [i]);
    }
    //  neighbours: single words, or phrases around a form
    count = s_evidence_strings (self, skill, evidence, "neighbours", texts, err);
    if (count < 0)
        return -1;
    const char *near [S_EVIDENCE_ITEMS];
    int near_count = 0;
    rule->neighbours = count ? jm_calloc ((size_t) count, sizeof (char *)) : NULL;
    for (int i = 0; i < count; i++) {
        if (strchr (texts [i], ' '))
            near [near_count++] = texts [i];
        else
        if (s_evidence_word (texts [i], strlen (texts [i]))) {
            rule->neighbours [rule->neighbour_count++] = s_own_lower (self, texts [i], strlen (texts [i]));
            size_t size = strlen (texts [i]);
            rule->neighbour_lengths |= 1ull << (size < 63 ? size : 63);
        }
        else
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "skill '%s': evidence.neighbours[%d] \"%s\" is not a word or a phrase",
                                 id, i, texts [i]);
    }
    if (s_evidence_phrases (self, skill, rule, near, near_count, "neighbours", &rule->near, err))
        return -1;
    rule->near_count = near_count;
    count = s_evidence_strings (self, skill, evidence, "names", texts, err);
    if (count < 0 || s_evidence_phrases (self, skill, rule, texts, count, "names", &rule->names, err))
        return -1;
    rule->name_count = count;
    count = s_evidence_strings (self, skill, evidence, "phrases", texts, err);
    if (count < 0 || s_evidence_phrases (self, skill, rule, texts, count, "phrases", &rule->phrases, err))
        return -1;
    rule->phrase_count = count;
    return 0;
}

static int
s_load_skills (jm_taxonomy_t *self, json_t *root, jm_error_t *err)
{
    json_t *categories = json_object_get (root, "categories");
    json_t *skills = json_object_get (root, "skills");
    if (!json_is_array (categories))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "categories must be an array");
    if (!json_is_array (skills) || json_array_size (skills) == 0)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "skills must be a non-empty array");
    if (json_array_size (skills) > JM_MAX_SKILLS)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "%zu skills: at most %d fit",
                             json_array_size (skills), JM_MAX_SKILLS);
    size_t index;
    json_t *skill;
    json_array_foreach (skills, index, skill) {
        jm_skill_t *entry = &self->skills [index];
        const char *id = s_string (skill, "id");
        const char *name = s_string (skill, "name");
        const char *category = s_string (skill, "category");
        if (!id || !s_valid_id (id))
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "skills[%zu]: id must be 1-64 characters of a-z, 0-9 and '-'", index);
        if (jm_taxonomy_find (self, id) >= 0)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "skills[%zu]: duplicate id '%s'", index, id);
        if (!name || !*name)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': name is missing", id);
        //  find the category
        const char *category_name = NULL;
        size_t c;
        json_t *cat;
        json_array_foreach (categories, c, cat)
            if (s_streq (s_string (cat, "id"), category))
                category_name = s_string (cat, "name");
        if (!category_name)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "skill '%s': category '%s' is not defined",
                                 id, category ? category : "(missing)");
        bool kind_ok;
        entry->kind = s_kind (s_string (skill, "kind"), &kind_ok);
        if (!kind_ok)
            return jm_error_set (err, JM_ERR_INVALID_DATA,
                                 "skill '%s': kind must be hard, knowledge or soft", id);
        entry->id = s_own (self, id);
        s_table_insert (&self->ids, id, strlen (id), (int) index, true);
        entry->name = s_own (self, name);
        jm_buf_t quoted;
        jm_buf_init (&quoted);
        jm_buf_json_str (&quoted, id);
        entry->id_json = s_own (self, quoted.data);
        entry->id_json_len = quoted.len;
        jm_buf_reset (&quoted);
        jm_buf_json_str (&quoted, name);
        entry->name_json = s_own (self, quoted.data);
        entry->name_json_len = quoted.len;
        jm_buf_free (&quoted);
        entry->category = s_own (self, category);
        entry->category_name = s_own (self, category_name);
        entry->seed = json_is_true (json_object_get (skill, "seed"));
        self->size = (int) index + 1;
        if (s_add_form (self, id, (int) index, false, true, err)
        ||  s_add_form (self, name, (int) index, false, true, err)
        ||  s_add_forms (self, json_object_get (skill, "aliases"), (int) index, false, "aliases", err)
        ||  s_add_forms (self, json_object_get (skill, "ambiguous"), (int) index, true, "ambiguous", err)
        ||  s_load_evidence (self, (int) index, skill, err))
            return -1;
    }
    return 0;
}

jm_taxonomy_t *
jm_taxonomy_new_from_text (const char *text, size_t len, jm_error_t *err)
{
    json_error_t json_error;
    json_t *root = json_loadb (text, len, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        jm_error_set_at (err, JM_ERR_INVALID_JSON, json_error.line, json_error.column,
                         "taxonomy: %s at line %d, column %d", json_error.text,
                         json_error.line, json_error.column);
        return NULL;
    }
    jm_taxonomy_t *self = jm_calloc (1, sizeof *self);
    json_t *credits = json_object_get (root, "credits");
    self->implies_credit = s_number (credits, "implies", 0.8);
    self->sibling_credit = s_number (credits, "sibling", 0.5);
    self->parent_credit = s_number (credits, "parent", 0.3);
    const char *version = s_string (root, "version");
    self->version = jm_strdup (version ? version : "0");
    int rc = -1;
    if (!json_is_object (root))
        jm_error_set (err, JM_ERR_INVALID_DATA, "taxonomy: the top level must be an object");
    else
    if (!version)
        jm_error_set (err, JM_ERR_INVALID_DATA, "taxonomy: version is missing");
    else
    if (self->implies_credit <= 0 || self->implies_credit > 1 || self->sibling_credit <= 0
    ||  self->sibling_credit > 1 || self->parent_credit < 0 || self->parent_credit > 1)
        jm_error_set (err, JM_ERR_INVALID_DATA, "taxonomy: credits must be between 0 and 1");
    else
    if (s_load_skills (self, root, err) == 0) {
        size_t cells = (size_t) self->size * (size_t) self->size;
        self->credit = jm_calloc (cells, sizeof (float));
        self->relation = jm_calloc (cells, 1);
        if (s_build_closure (self, json_object_get (root, "skills"), err) == 0
        &&  s_load_siblings (self, json_object_get (root, "siblings"), err) == 0
        &&  s_load_everyday (self, json_object_get (root, "everyday"), err) == 0) {
            for (int skill = 0; skill < self->size; skill++) {
                size_t cell = (size_t) skill * (size_t) self->size + (size_t) skill;
                self->credit [cell] = 1;
                self->relation [cell] = JM_RELATION_SAME;
            }
            rc = s_build_codes (self, err);
            if (rc == 0)
                s_build_typo_index (self);
        }
    }
    json_decref (root);
    if (rc)
        jm_taxonomy_destroy (&self);
    return self;
}

jm_taxonomy_t *
jm_taxonomy_load (const char *path, jm_error_t *err)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        jm_error_set (err, JM_ERR_IO, "cannot open taxonomy %s: %m", path);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    while (true) {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            text = jm_realloc (text, cap);
        }
        size_t got = fread (text + len, 1, cap - len, file);
        len += got;
        if (got == 0)
            break;
    }
    fclose (file);
    jm_taxonomy_t *self = jm_taxonomy_new_from_text (text, len, err);
    free (text);
    return self;
}

void
jm_taxonomy_destroy (jm_taxonomy_t **self_p)
{
    assert (self_p);
    jm_taxonomy_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->string_count; i++)
        free (self->strings [i]);
    free (self->strings);
    free (self->forms);
    free (self->deletes);
    for (int skill = 0; skill < JM_MAX_SKILLS; skill++)
        s_evidence_free (&self->evidence [skill]);
    s_table_free (&self->folded);
    s_table_free (&self->compact);
    s_table_free (&self->ids);
    free (self->credit);
    free (self->relation);
    free (self->codes);
    free (self->related_from);
    free (self->related_want);
    free (self->related_code);
    free (self->version);
    free (self);
    *self_p = NULL;
}

const char *
jm_taxonomy_version (const jm_taxonomy_t *self)
{
    return self->version;
}

int
jm_taxonomy_size (const jm_taxonomy_t *self)
{
    return self->size;
}

const jm_skill_t *
jm_taxonomy_skill (const jm_taxonomy_t *self, int index)
{
    return index >= 0 && index < self->size ? &self->skills [index] : NULL;
}

int
jm_taxonomy_find (const jm_taxonomy_t *self, const char *id)
{
    if (!id)
        return -1;
    //  an id's folded key may be another skill's form ("c++" folds like
    //  "c"), so ids have their own table, filled as skills are loaded
    const s_slot_t *slot = s_table_find (&self->ids, id, strlen (id));
    return slot ? slot->skill : -1;
}

const jm_evidence_rule_t *
jm_taxonomy_evidence (const jm_taxonomy_t *self, int skill)
{
    return skill >= 0 && skill < self->size ? self->evidence [skill] : NULL;
}

int
jm_taxonomy_form_count (const jm_taxonomy_t *self)
{
    return self->form_count;
}

const jm_form_t *
jm_taxonomy_form (const jm_taxonomy_t *self, int index)
{
    return index >= 0 && index < self->form_count ? &self->forms [index] : NULL;
}

double
jm_taxonomy_credit (const jm_taxonomy_t *self, int have, int want, jm_relation_t *relation)
{
    if (have < 0 || want < 0 || have >= self->size || want >= self->size) {
        if (relation)
            *relation = JM_RELATION_NONE;
        return 0;
    }
    size_t cell = (size_t) have * (size_t) self->size + (size_t) want;
    if (relation)
        *relation = (jm_relation_t) self->relation [cell];
    return self->credit [cell];
}

const double *
jm_taxonomy_credit_levels (const jm_taxonomy_t *self, int *count)
{
    if (count)
        *count = self->level_count;
    return self->levels;
}

const uint8_t *
jm_taxonomy_credit_code_rows (const jm_taxonomy_t *self, int *stride)
{
    *stride = self->code_stride;
    return self->codes;
}

int
jm_taxonomy_related (const jm_taxonomy_t *self, int have, const uint16_t **wants, const uint8_t **codes)
{
    if (have < 0 || have >= self->size) {
        *wants = NULL;
        *codes = NULL;
        return 0;
    }
    uint32_t from = self->related_from [have];
    *wants = self->related_want + from;
    *codes = self->related_code + from;
    return (int) (self->related_from [have + 1] - from);
}

int
jm_taxonomy_lookup_key (const jm_taxonomy_t *self, const char *key, size_t len, bool *exact)
{
    s_slot_t *slot = s_table_find (&self->folded, key, len);
    if (exact)
        *exact = slot && slot->exact;
    return slot ? slot->skill : -1;
}

int
jm_taxonomy_lookup_compact (const jm_taxonomy_t *self, const char *key, size_t len)
{
    s_slot_t *slot = s_table_find (&self->compact, key, len);
    return slot ? slot->skill : -1;
}

void
jm_taxonomy_each_key (const jm_taxonomy_t *self, jm_taxonomy_key_fn *fn, void *arg)
{
    if (self->folded.slots)
        for (size_t i = 0; i <= self->folded.mask; i++)
            if (self->folded.slots [i].key)
                fn (self->folded.slots [i].key, self->folded.slots [i].len,
                    self->folded.slots [i].skill, arg);
}

//  ---------------------------------------------------------------------
//  Typo index: every folded key of 5+ characters, as it is and with each
//  one character deleted, hashed.  Two strings within one edit (insert,
//  delete, substitute, swap two neighbours) share a string that each
//  reaches by at most one deletion, so a key none of whose variants is in
//  the index has no typo target within one edit.  Variants are hashed in
//  O(1) each from prefix hashes, so a probe costs n + 1 table lookups.

#define S_TYPO_CHARS 48         //  longer keys are not indexed, and always "maybe"
#define S_HASH_BASE 0x100000001B3ULL

typedef struct {
    uint64_t prefix [JM_NORMALIZE_MAX + 1];     //  polynomial hash of key [0, i)
    uint64_t power [JM_NORMALIZE_MAX + 1];      //  S_HASH_BASE ^ i
    size_t offsets [S_TYPO_CHARS + 1];          //  character starts, [chars] = len
    int chars;
    size_t len;
} s_variants_t;

//  Prepares key for variant hashing; false when too long to index
static bool
s_variants_init (s_variants_t *self, const char *key, size_t len)
{
    if (len > JM_NORMALIZE_MAX)
        return false;
    self->len = len;
    self->chars = 0;
    self->prefix [0] = 0;
    self->power [0] = 1;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char) key [i] & 0xC0) != 0x80) {
            if (self->chars == S_TYPO_CHARS)
                return false;
            self->offsets [self->chars++] = i;
        }
        self->prefix [i + 1] = self->prefix [i] * S_HASH_BASE + (unsigned char) key [i];
        self->power [i + 1] = self->power [i] * S_HASH_BASE;
    }
    self->offsets [self->chars] = len;
    return true;
}

//  Hash of the key without character `skip` (skip == chars: the whole key)
static uint64_t
s_variant_hash (const s_variants_t *self, int skip)
{
    size_t from = self->offsets [skip], to = self->offsets [skip < self->chars ? skip + 1 : skip];
    size_t tail = self->len - to;
    uint64_t hash = self->prefix [from] * self->power [tail]
                  + (self->prefix [self->len] - self->prefix [to] * self->power [tail]);
    hash += (uint64_t) (self->len - (to - from)) * 0x9E3779B97F4A7C15ULL;
    hash ^= hash >> 29;
    hash *= 0xBF58476D1CE4E5B9ULL;
    hash ^= hash >> 32;
    return hash;
}

//  Index entries: the variant's hash above S_KEY_BITS (the rest of it
//  tells variants apart), the folded slot of its key + 1 below
#define S_KEY_BITS 24
#define S_KEY_MASK ((1ULL << S_KEY_BITS) - 1)

static size_t
s_delete_index (const jm_taxonomy_t *self, uint64_t hash)
{
    return (size_t) (hash >> S_KEY_BITS) & self->deletes_mask;
}

static void
s_build_typo_index (jm_taxonomy_t *self)
{
    if (!self->folded.slots || self->folded.mask >= S_KEY_MASK)
        return;                 //  no index: every key is "maybe" (jm_taxonomy_typo_possible)
    size_t variants = 0;
    for (size_t i = 0; i <= self->folded.mask; i++)
        if (self->folded.slots [i].key)
            variants += 1 + (self->folded.slots [i].len < S_TYPO_CHARS ? self->folded.slots [i].len : S_TYPO_CHARS);
    size_t capacity = 1024;
    while (capacity < variants * 2)
        capacity *= 2;
    self->deletes = jm_calloc (capacity, sizeof (uint64_t));
    self->deletes_mask = capacity - 1;
    s_variants_t *work = jm_malloc (sizeof *work);
    for (size_t i = 0; i <= self->folded.mask; i++) {
        const s_slot_t *slot = &self->folded.slots [i];
        if (!slot->key || !s_variants_init (work, slot->key, slot->len) || work->chars < 5)
            continue;
        //  one entry per variant and key: keys that share a variant all stay
        for (int skip = 0; skip <= work->chars; skip++) {
            uint64_t hash = s_variant_hash (work, skip);
            uint64_t entry = (hash & ~S_KEY_MASK) | (i + 1);
            size_t index = s_delete_index (self, hash);
            while (self->deletes [index] && self->deletes [index] != entry)
                index = (index + 1) & self->deletes_mask;
            self->deletes [index] = entry;
        }
    }
    free (work);
}

bool
jm_taxonomy_typo_possible (const jm_taxonomy_t *self, const char *key, size_t len)
{
    s_variants_t work;
    if (!self->deletes || !s_variants_init (&work, key, len))
        return true;            //  not indexed: say maybe
    if (work.chars < 4)
        return false;           //  one edit from a 5+ character key needs 4+ characters
    for (int skip = 0; skip <= work.chars; skip++) {
        uint64_t hash = s_variant_hash (&work, skip);
        for (size_t index = s_delete_index (self, hash); self->deletes [index];
             index = (index + 1) & self->deletes_mask)
            if ((self->deletes [index] & ~S_KEY_MASK) == (hash & ~S_KEY_MASK))
                return true;
    }
    return false;
}

bool
jm_taxonomy_each_near (const jm_taxonomy_t *self, const char *key, size_t len,
                       jm_taxonomy_key_fn *fn, void *arg)
{
    s_variants_t work;
    //  a key of S_TYPO_CHARS may be one edit from a longer one, not indexed
    if (!self->deletes || !s_variants_init (&work, key, len) || work.chars >= S_TYPO_CHARS)
        return false;
    if (work.chars < 4)
        return true;            //  one edit from a 5+ character key needs 4+ characters
    for (int skip = 0; skip <= work.chars; skip++) {
        uint64_t hash = s_variant_hash (&work, skip);
        for (size_t index = s_delete_index (self, hash); self->deletes [index];
             index = (index + 1) & self->deletes_mask)
            if ((self->deletes [index] & ~S_KEY_MASK) == (hash & ~S_KEY_MASK)) {
                const s_slot_t *slot = &self->folded.slots [(self->deletes [index] & S_KEY_MASK) - 1];
                fn (slot->key, slot->len, slot->skill, arg);
            }
    }
    return true;
}

const char *
jm_relation_name (jm_relation_t relation)
{
    switch (relation) {
        case JM_RELATION_SAME:    return "same";
        case JM_RELATION_IMPLIES: return "implies";
        case JM_RELATION_PARENT:  return "parent";
        case JM_RELATION_SIBLING: return "sibling";
        case JM_RELATION_EVERYDAY: return "everyday";
        default:                  return "none";
    }
}

const char *
jm_skill_kind_name (jm_skill_kind_t kind)
{
    return kind == JM_KIND_SOFT ? "soft" : kind == JM_KIND_KNOWLEDGE ? "knowledge" : "hard";
}
