/*  jm_resume: the résumé reading stages in order.  See jm_resume.h.  */
#include "jm_resume.h"

#include <stdlib.h>
#include <string.h>
#include "jm_ambiguity.h"
#include "jm_context.h"
#include "jm_evidence.h"
#include "jm_extract.h"
#include "jm_lists.h"
#include "jm_text.h"
#include "jm_alloc.h"

static const char *s_claim_names [JM_CLAIM_COUNT] = {
    "held", "negated", "intended", "others", "ambiguous"
};

//  The reasons in a recruiter's words, for explanations
static const char *s_reason_words [JM_REASON_COUNT] = {
    "held", "negated", "wants to learn it", "someone else's", "an ordinary word, nothing technical near it",
    "an ordinary word: a year or term after it", "an ordinary word: joined to another by a hyphen",
    "an employer's name", "part of a longer name", "an ordinary word in an everyday phrase"
};

static const char *s_reason_names [JM_REASON_COUNT] = {
    "none", "negation", "intent", "someone_else", "no_evidence",
    "year_after", "hyphen_joined", "employer", "longer_name",
    "ordinary_word"
};

long
jm_resume_read (const jm_extractor_t *extractor, const char *text, size_t len,
                jm_found_t **found_p, jm_error_t *err)
{
    *found_p = NULL;
    const jm_taxonomy_t *taxonomy = jm_extractor_taxonomy (extractor);
    jm_text_t plain;
    if (jm_text_clean (text, len, taxonomy, &plain, err))
        return -1;
    jm_mention_t *mentions = NULL;
    long count = jm_extractor_scan (extractor, plain.text, plain.len, &mentions, err);
    if (count < 0) {
        jm_text_free (&plain);
        return -1;
    }
    size_t capacity = count > 0 ? (size_t) count : 0;
    //  every entry is written below: no need to clear them first
    jm_found_t *found = capacity ? jm_malloc (capacity * sizeof *found) : NULL;
    for (long i = 0; i < count; i++)
        found [i] = (jm_found_t) {
            .skill = mentions [i].skill, .start = mentions [i].start, .end = mentions [i].end,
            .cue_start = 0, .cue_end = 0, .claim = JM_CLAIM_HELD, .reason = JM_REASON_NONE,
            .level = 0, .years = -1, .since = 0
        };
    free (mentions);
    count = jm_lists_correct (taxonomy, plain.text, plain.len, &found, count, &capacity);
    //  context first: "I want to learn Rust" is a wish, whatever the word
    jm_context_classify (plain.text, plain.len, found, count);
    jm_ambiguity_check (taxonomy, plain.text, plain.len, found, count);
    jm_evidence_read (plain.text, plain.len, found, count);
    //  spans back to the original bytes
    for (long i = 0; i < count; i++) {
        jm_found_t *item = &found [i];
        jm_text_span (&plain, item->start, item->end, &item->start, &item->end);
        if (item->cue_end > item->cue_start)
            jm_text_span (&plain, item->cue_start, item->cue_end, &item->cue_start, &item->cue_end);
        else
            item->cue_start = item->cue_end = 0;
    }
    jm_text_free (&plain);
    *found_p = found;
    return count;
}

const char *
jm_claim_name (jm_claim_t claim)
{
    return claim >= 0 && claim < JM_CLAIM_COUNT ? s_claim_names [claim] : "unknown";
}

const char *
jm_reason_name (jm_reason_t reason)
{
    return reason >= 0 && reason < JM_REASON_COUNT ? s_reason_names [reason] : "unknown";
}

const char *
jm_reason_words (const char *name)
{
    int reason = name ? jm_reason_parse (name) : -1;
    return reason >= 0 ? s_reason_words [reason] : "not counted";
}

int
jm_claim_parse (const char *name)
{
    for (int i = 0; i < JM_CLAIM_COUNT; i++)
        if (strcmp (name, s_claim_names [i]) == 0)
            return i;
    return -1;
}

int
jm_reason_parse (const char *name)
{
    for (int i = 0; i < JM_REASON_COUNT; i++)
        if (strcmp (name, s_reason_names [i]) == 0)
            return i;
    return -1;
}
