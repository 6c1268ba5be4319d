/*  fuzz_extract: résumé text, scanned by jm_extract for skill mentions as
    the matcher does for a candidate's "resume".  Checks that every mention
    lies inside the text, in order, and names a taxonomy skill, and that the
    buffer-reusing scan finds the same mentions.                           */
#include "fuzz_common.h"
#include "jm_extract.h"

static jm_extractor_t *s_extractor;
static jm_mention_t *s_buffer;
static size_t s_capacity;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_extractor)
        s_extractor = jm_extractor_new (fuzz_taxonomy ());
    jm_error_t err;
    jm_error_clear (&err);
    jm_mention_t *mentions = NULL;
    long count = jm_extractor_scan (s_extractor, (const char *) data, size, &mentions, &err);
    if (count < 0) {
        FUZZ_CHECK (!mentions && jm_error_is_set (&err), "a refusal says why and returns nothing");
        return 0;
    }
    int skills = jm_taxonomy_size (fuzz_taxonomy ());
    for (long index = 0; index < count; index++) {
        const jm_mention_t *mention = &mentions [index];
        FUZZ_CHECK (mention->skill >= 0 && mention->skill < skills, "a mention names a skill");
        FUZZ_CHECK (mention->start < mention->end && mention->end <= size, "a mention lies in the text");
        FUZZ_CHECK (!index || mention->start >= mentions [index - 1].start, "mentions come in text order");
    }
    jm_error_clear (&err);
    long again = jm_extractor_scan_into (s_extractor, (const char *) data, size, &s_buffer,
                                         &s_capacity, &err);
    FUZZ_CHECK (again == count && (!count || memcmp (s_buffer, mentions, (size_t) count * sizeof *mentions) == 0),
                "scan_into finds the same mentions");
    uint64_t set [JM_SKILL_WORDS];
    (void) jm_mentions_skill_set (mentions, count, set);
    jm_mention_summary_t summary [JM_MAX_SKILLS];
    (void) jm_mentions_summarize (mentions, count, summary);
    free (mentions);
    return 0;
}
