/*  jm_taxonomy: the skill taxonomy, loaded from data/taxonomy.json.

    Holds every canonical skill (id, display name, category, kind, whether
    the seed articles name it), every surface form people write for it, the
    alias tables the normalizer looks up in constant time, and the closure of
    the relations (child implies parent, siblings) as a credit matrix: how
    much having skill A counts toward a requirement for skill B.

    Skills are numbered 0..size-1 in file order; a skill set is a bitset of
    JM_SKILL_WORDS words.  A taxonomy is immutable once loaded and may be
    shared between threads.                                                 */
#ifndef JM_TAXONOMY_H
#define JM_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"

#define JM_MAX_SKILLS   512
#define JM_SKILL_WORDS  (JM_MAX_SKILLS / 64)
#define JM_CREDIT_LEVELS 256    //  distinct relation credits, 0 included

typedef struct _jm_taxonomy_t jm_taxonomy_t;

typedef enum {
    JM_KIND_HARD = 0,           //  a tool or technology
    JM_KIND_KNOWLEDGE = 1,      //  a concept or practice
    JM_KIND_SOFT = 2            //  a soft skill
} jm_skill_kind_t;

//  How a candidate's skill relates to a required one
typedef enum {
    JM_RELATION_NONE = 0,
    JM_RELATION_SAME,           //  the very skill
    JM_RELATION_IMPLIES,        //  the candidate's skill implies the required one (Django -> Python)
    JM_RELATION_PARENT,         //  the candidate has the parent of the required one (Python for Django)
    JM_RELATION_SIBLING,        //  a sibling (MySQL for PostgreSQL)
    JM_RELATION_EVERYDAY        //  an everyday skill the candidate's work implies (Django -> HTTP),
                                //  from the taxonomy's "everyday" table
} jm_relation_t;

typedef struct {
    const char *id;             //  stable id, e.g. "nodejs"
    const char *name;           //  display name, e.g. "Node.js"
    const char *id_json;        //  both as JSON strings, quoted and escaped,
    const char *name_json;      //  for results, which write them often
    size_t id_json_len, name_json_len;
    const char *category;       //  category id
    const char *category_name;  //  category display name
    jm_skill_kind_t kind;
    bool seed;                  //  named by the seed articles
} jm_skill_t;

//  One surface form of a skill as written in the data (id, name, alias or
//  ambiguous form).  Ambiguous forms match free text only in this exact case.
typedef struct {
    const char *text;
    int skill;
    bool ambiguous;
} jm_form_t;

//  One phrase of an evidence rule: the words around a form of the skill, as
//  written in the data and lowercased for matching.  "SQL Server Express":
//  before = {"server", "sql"} (nearest first), after = {}.
#define JM_EVIDENCE_WORDS 6     //  words around the form in one phrase, at most
typedef struct {
    const char *text;           //  as written in the data
    const char *form;           //  the form it holds, exact case
    const char *before [JM_EVIDENCE_WORDS];     //  lowercase, nearest first
    const char *after [JM_EVIDENCE_WORDS];      //  lowercase, nearest first
    int before_count, after_count;
} jm_evidence_phrase_t;

//  The evidence an ordinary-word skill needs ("evidence" in the data; see
//  data/README.md and jm_ambiguity.h).  Lists may be empty (count 0).
typedef struct {
    const char *rule;           //  the rule in one line, for people
    const char **forms;         //  words that need evidence, exact case
    int form_count;
    const char **neighbours;    //  lowercase words that are evidence near it
    int neighbour_count;
    uint64_t neighbour_lengths; //  bit n: a neighbour has n bytes (63: 63 or more)
    jm_evidence_phrase_t *near; //  phrases that are evidence ("written in Go")
    int near_count;
    jm_evidence_phrase_t *names;    //  longer names that hold it ("SQL Server Express")
    int name_count;
    jm_evidence_phrase_t *phrases;  //  the word in its English sense ("React quickly")
    int phrase_count;
    bool employer;              //  also a company's name: "at Oracle" is an employer
} jm_evidence_rule_t;

//  Loads a taxonomy file.  Returns NULL with err set (io_error, invalid_json
//  with line and column, invalid_data naming the skill and field) on failure.
jm_taxonomy_t *jm_taxonomy_load (const char *path, jm_error_t *err);

//  Same, from JSON text in memory.
jm_taxonomy_t *jm_taxonomy_new_from_text (const char *text, size_t len, jm_error_t *err);

//  Frees the taxonomy and nulls the pointer; safe on NULL.
void jm_taxonomy_destroy (jm_taxonomy_t **self_p);

//  The data version string, e.g. "1.0.0".
const char *jm_taxonomy_version (const jm_taxonomy_t *self);

//  Number of skills.
int jm_taxonomy_size (const jm_taxonomy_t *self);

//  Skill by index (borrowed, lives as long as the taxonomy); NULL if out of range.
const jm_skill_t *jm_taxonomy_skill (const jm_taxonomy_t *self, int index);

//  Index of the skill with this exact id, or -1.
int jm_taxonomy_find (const jm_taxonomy_t *self, const char *id);

//  Number of surface forms, and form i (borrowed).
int jm_taxonomy_form_count (const jm_taxonomy_t *self);
const jm_form_t *jm_taxonomy_form (const jm_taxonomy_t *self, int index);

//  The evidence rule of a skill, or NULL when its mentions need none.
const jm_evidence_rule_t *jm_taxonomy_evidence (const jm_taxonomy_t *self, int skill);

//  Credit (0..1) that having skill `have` gives toward a requirement for
//  `want`, and through which relation (may be NULL).  1 for the same skill.
double jm_taxonomy_credit (const jm_taxonomy_t *self, int have, int want,
                           jm_relation_t *relation);

//  The distinct credits the relations give (float values), ascending, [0]
//  being 0 (at most JM_CREDIT_LEVELS); *count (may be NULL) gets how many.  A credit's code
//  is its index, so the larger code is the larger credit.
const double *jm_taxonomy_credit_levels (const jm_taxonomy_t *self, int *count);

//  The coded credit matrix: row `have` (stride bytes apart) holds the code
//  of the credit `have` gives toward each skill.  Borrowed.
const uint8_t *jm_taxonomy_credit_code_rows (const jm_taxonomy_t *self, int *stride);

//  The skills `have` counts toward (its nonzero coded credits, the skill
//  itself included): *wants and *codes (borrowed) get that many entries.
int jm_taxonomy_related (const jm_taxonomy_t *self, int have, const uint16_t **wants, const uint8_t **codes);

//  Looks up a folded key (see jm_normalize_fold) in the alias table: returns
//  the skill index or -1; *exact (may be NULL) is set when the key is the
//  skill's id or name rather than an alias.
int jm_taxonomy_lookup_key (const jm_taxonomy_t *self, const char *key, size_t len,
                            bool *exact);

//  Same for a compact key (jm_normalize_compact).
int jm_taxonomy_lookup_compact (const jm_taxonomy_t *self, const char *key, size_t len);

//  Calls fn for every distinct folded key with its skill, for typo search.
typedef void (jm_taxonomy_key_fn) (const char *key, size_t len, int skill, void *arg);
void jm_taxonomy_each_key (const jm_taxonomy_t *self, jm_taxonomy_key_fn *fn, void *arg);

//  False when no key of 5+ characters is within one edit (insert, delete,
//  substitute, swap of neighbours) of the folded key (see jm_normalize_fold),
//  so a caller can skip the typo search; true means "maybe".  n + 1 hash
//  probes: an index of every key with each one character deleted.
bool jm_taxonomy_typo_possible (const jm_taxonomy_t *self, const char *key, size_t len);

//  Calls fn for every folded key of 5+ characters that may be within one
//  edit of key (a few candidates, some farther: the caller measures), found
//  through the deletion index, each at least once.  False, calling nothing,
//  when key is too long for the index (48 characters).
bool jm_taxonomy_each_near (const jm_taxonomy_t *self, const char *key, size_t len,
                            jm_taxonomy_key_fn *fn, void *arg);

//  Name of a relation: "same", "implies", "parent", "sibling", "everyday" or "none".
const char *jm_relation_name (jm_relation_t relation);

//  Name of a kind: "hard", "knowledge", "soft".
const char *jm_skill_kind_name (jm_skill_kind_t kind);

#endif
