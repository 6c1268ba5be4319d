/*  fuzz_evidence: résumé text read by jm_resume_read, checking what stage 6
    (jm_evidence) promises: levels 1-5, years 0-50, a since year 1970-2100,
    evidence on held mentions only, cues inside the text, and the same
    result when the same text is read again.                               */
#include "fuzz_common.h"
#include "jm_extract.h"
#include "jm_resume.h"

static jm_extractor_t *s_extractor;

//  Field by field: the padding after `corrected` is not part of a result
//  (a realloc'd array leaves it whatever the allocator had there).
static bool
s_found_equal (const jm_found_t *a, const jm_found_t *b)
{
    return a->skill == b->skill && a->start == b->start && a->end == b->end
        && a->cue_start == b->cue_start && a->cue_end == b->cue_end
        && a->claim == b->claim && a->reason == b->reason
        && a->corrected == b->corrected && a->level == b->level
        && memcmp (&a->years, &b->years, sizeof a->years) == 0 && a->since == b->since;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_extractor)
        s_extractor = jm_extractor_new (fuzz_taxonomy ());
    jm_error_t err;
    jm_error_clear (&err);
    jm_found_t *found = NULL;
    long count = jm_resume_read (s_extractor, (const char *) data, size, &found, &err);
    if (count < 0) {
        FUZZ_CHECK (!found && jm_error_is_set (&err), "a refusal says why and returns nothing");
        return 0;
    }
    for (long i = 0; i < count; i++) {
        const jm_found_t *item = &found [i];
        FUZZ_CHECK (item->level >= 0 && item->level <= 5, "a level is 0 to 5");
        FUZZ_CHECK (item->years < 0 || item->years <= 50, "years are at most 50");
        FUZZ_CHECK (!item->since || (item->since >= 1970 && item->since <= 2100), "since is a year");
        FUZZ_CHECK (item->claim == JM_CLAIM_HELD
                    || (!item->level && item->years < 0 && !item->since), "evidence on held mentions only");
        FUZZ_CHECK (item->cue_start <= item->cue_end && item->cue_end <= size, "a cue lies in the text");
    }
    jm_found_t *again = NULL;
    long count_again = jm_resume_read (s_extractor, (const char *) data, size, &again, &err);
    FUZZ_CHECK (count_again == count, "the same text reads the same");
    for (long i = 0; i < count; i++)
        FUZZ_CHECK (s_found_equal (&again [i], &found [i]), "the same text reads the same");
    free (again);
    free (found);
    return 0;
}
