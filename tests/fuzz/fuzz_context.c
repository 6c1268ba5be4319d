/*  fuzz_context: résumé text read by jm_resume_read, then the context stage
    (jm_context) alone over any bytes.  Checks that every mention that does
    not count says why, with a cue inside the text; that the result is the
    same twice; and that jm_context_classify, given made-up mentions over
    arbitrary bytes (invalid UTF-8, cut characters), stays inside them.   */
#include "fuzz_common.h"
#include "jm_context.h"
#include "jm_extract.h"
#include "jm_resume.h"

static jm_extractor_t *s_extractor;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_extractor)
        s_extractor = jm_extractor_new (fuzz_taxonomy ());
    const char *text = (const char *) data;
    jm_found_t *found = NULL, *again = NULL;
    long count = jm_resume_read (s_extractor, text, size, &found, NULL);
    long count_again = jm_resume_read (s_extractor, text, size, &again, NULL);
    FUZZ_CHECK (count == count_again, "the same count twice");
    for (long i = 0; i < count; i++) {
        const jm_found_t *item = &found [i];
        FUZZ_CHECK (item->start < item->end && item->end <= size, "a mention lies in the text");
        FUZZ_CHECK (item->cue_start <= item->cue_end && item->cue_end <= size, "a cue lies in the text");
        if (item->claim == JM_CLAIM_NEGATED || item->claim == JM_CLAIM_INTENDED || item->claim == JM_CLAIM_OTHERS)
            FUZZ_CHECK (item->cue_end > item->cue_start && item->reason != JM_REASON_NONE,
                        "a mention that does not count has a cue and a reason");
        const jm_found_t *twin = &again [i];     //  field by field: padding is not part of it
        FUZZ_CHECK (item->skill == twin->skill && item->start == twin->start && item->end == twin->end
                    && item->cue_start == twin->cue_start && item->cue_end == twin->cue_end
                    && item->claim == twin->claim && item->reason == twin->reason
                    && item->corrected == twin->corrected && item->level == twin->level
                    && item->years == twin->years && item->since == twin->since,
                    "the same result twice");
    }
    free (found);
    free (again);
    //  made-up mentions every 7 bytes over the raw bytes
    jm_found_t made [64];
    long made_count = 0;
    for (size_t at = 0; at + 3 <= size && made_count < 64; at += 7)
        made [made_count++] = (jm_found_t) { .skill = 0, .start = (uint32_t) at, .end = (uint32_t) (at + 3),
                                             .claim = JM_CLAIM_HELD, .years = -1 };
    jm_context_classify (text, size, made, made_count);
    for (long i = 0; i < made_count; i++)
        FUZZ_CHECK (made [i].cue_start <= made [i].cue_end && made [i].cue_end <= size,
                    "a cue lies in the bytes");
    return 0;
}
