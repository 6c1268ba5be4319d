/*  fuzz_text: résumé text as it arrives, made plain by jm_text (HTML,
    entities, Markdown, folded characters, hyphenated line breaks), then
    read end to end by jm_resume_read.  Checks that a refusal says why; that
    the plain text is valid UTF-8 and no longer than the original; that every
    plain byte maps to a non-empty range inside the original, both ends
    non-decreasing; that cleaning twice gives the same text; and that every
    mention jm_resume_read returns lies inside the original.              */
#include "fuzz_common.h"
#include "jm_extract.h"
#include "jm_resume.h"
#include "jm_text.h"

static jm_extractor_t *s_extractor;

static void
s_check (const uint8_t *data, size_t size, const jm_taxonomy_t *taxonomy)
{
    jm_text_t plain;
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_text_clean ((const char *) data, size, taxonomy, &plain, &err)) {
        FUZZ_CHECK (jm_error_is_set (&err) && err.line >= 1 && err.column >= 1,
                    "a refusal names line and column");
        FUZZ_CHECK (!plain.owned && !plain.pieces, "a refusal keeps nothing");
        return;
    }
    FUZZ_CHECK (plain.len <= size, "plain text is no longer than the original");
    FUZZ_CHECK (plain.owned || (plain.text == (const char *) data && plain.len == size),
                "without a copy the plain text is the original");
    const uint8_t *text = (const uint8_t *) plain.text;
    for (size_t i = 0; i < plain.len; ) {
        size_t n = text [i] < 0x80 ? 1 : jm_text_utf8_length (text + i, plain.len - i);
        FUZZ_CHECK (n > 0, "plain text is valid UTF-8");
        i += n;
    }
    uint32_t last_start = 0, last_end = 0;
    for (size_t i = 0; i < plain.len; i++) {
        uint32_t start, end;
        jm_text_span (&plain, (uint32_t) i, (uint32_t) i + 1, &start, &end);
        FUZZ_CHECK (start < end && end <= size, "a plain byte maps to bytes of the original");
        FUZZ_CHECK (start >= last_start && end >= last_end, "the map is monotone");
        last_start = start;
        last_end = end;
    }
    jm_text_t again;
    FUZZ_CHECK (jm_text_clean ((const char *) data, size, taxonomy, &again, NULL) == 0
                && again.len == plain.len && memcmp (again.text, plain.text, plain.len) == 0,
                "cleaning is deterministic");
    jm_text_free (&again);
    jm_text_free (&plain);
    jm_text_free (&plain);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_extractor)
        s_extractor = jm_extractor_new (fuzz_taxonomy ());
    s_check (data, size, fuzz_taxonomy ());
    s_check (data, size, NULL);
    jm_found_t *found = NULL;
    jm_error_t err;
    jm_error_clear (&err);
    long count = jm_resume_read (s_extractor, (const char *) data, size, &found, &err);
    FUZZ_CHECK (count >= 0 || (jm_error_is_set (&err) && !found), "a refusal says why and returns nothing");
    for (long i = 0; i < count; i++) {
        FUZZ_CHECK (found [i].start < found [i].end && found [i].end <= size, "a mention lies in the text");
        FUZZ_CHECK (found [i].cue_start <= found [i].cue_end && found [i].cue_end <= size, "a cue lies in the text");
    }
    free (found);
    return 0;
}
