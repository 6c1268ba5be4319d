/*  fuzz_lists: résumé text through jm_resume_read, which runs jm_lists
    (skill lists, typo correction inside them) and jm_ambiguity (evidence
    for ordinary-word skills).  Checks that every entry lies in the text, in
    order; that only list corrections are marked corrected and only skills
    with an evidence rule are marked unsupported for lack of evidence; and
    that jm_lists_kind answers for any span without reading outside it.   */
#include "fuzz_common.h"
#include "jm_extract.h"
#include "jm_lists.h"
#include "jm_resume.h"

static jm_extractor_t *s_extractor;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    jm_taxonomy_t *taxonomy = fuzz_taxonomy ();
    if (!s_extractor)
        s_extractor = jm_extractor_new (taxonomy);
    const char *text = (const char *) data;
    jm_error_t err;
    jm_error_clear (&err);
    jm_found_t *found = NULL;
    long count = jm_resume_read (s_extractor, text, size, &found, &err);
    if (count < 0) {
        FUZZ_CHECK (!found && jm_error_is_set (&err), "a refusal says why and returns nothing");
        return 0;
    }
    int skills = jm_taxonomy_size (taxonomy);
    for (long index = 0; index < count; index++) {
        const jm_found_t *item = &found [index];
        FUZZ_CHECK (item->skill >= 0 && item->skill < skills, "an entry names a skill");
        FUZZ_CHECK (item->start < item->end && item->end <= size, "an entry lies in the text");
        FUZZ_CHECK (!index || item->start >= found [index - 1].start, "entries come in text order");
        FUZZ_CHECK (item->cue_start <= item->cue_end && item->cue_end <= size, "a cue lies in the text");
        if (item->claim == JM_CLAIM_UNSUPPORTED && item->reason == JM_REASON_NO_EVIDENCE)
            FUZZ_CHECK (jm_taxonomy_evidence (taxonomy, item->skill), "only a skill with a rule lacks evidence");
    }
    free (found);
    //  list kinds of a few spans, any span at all
    for (size_t at = 0; at < size && at < 64; at += 7) {
        uint32_t end = (uint32_t) (at + 1 + data [at] % 16);
        (void) jm_lists_kind (text, size, (uint32_t) at, end);
    }
    return 0;
}
