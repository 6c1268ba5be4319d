/*  fuzz_taxonomy: a taxonomy file (data/taxonomy.json), read by
    jm_taxonomy_new_from_text as every service reads it at start.  A
    taxonomy that loads is then used the way services use one: an
    extractor is built over it, a few names are looked up and the credit
    tables are read, so that whatever validation lets through is safe.    */
#include "fuzz_common.h"
#include "jm_extract.h"
#include "jm_normalize.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_taxonomy_t *taxonomy = jm_taxonomy_new_from_text ((const char *) data, size, &err);
    if (!taxonomy) {
        FUZZ_CHECK (jm_error_is_set (&err), "a refusal must say why");
        return 0;
    }
    int skills = jm_taxonomy_size (taxonomy);
    for (int index = 0; index < skills; index++) {
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, index);
        FUZZ_CHECK (jm_taxonomy_find (taxonomy, skill->id) == index, "every id finds its own skill");
        jm_lookup_t lookup = jm_normalize_lookup (taxonomy, skill->id, strlen (skill->id));
        (void) lookup;
        for (int other = 0; other < skills && other < 16; other++)
            (void) jm_taxonomy_credit (taxonomy, index, other, NULL);
    }
    static const char *names [] = { "Python", "postgres", "k8s", "Pyhton", "C++", "node.js", "" };
    for (size_t index = 0; index < sizeof names / sizeof names [0]; index++)
        (void) jm_normalize_lookup (taxonomy, names [index], strlen (names [index]));
    jm_extractor_t *extractor = jm_extractor_new (taxonomy);
    static const char text [] = "Ten years of Python and PostgreSQL on Kubernetes; some C++, Node.js.";
    jm_mention_t *mentions = NULL;
    long count = jm_extractor_scan (extractor, text, sizeof text - 1, &mentions, &err);
    FUZZ_CHECK (count >= 0, "a valid text scans");
    free (mentions);
    jm_extractor_destroy (&extractor);
    jm_taxonomy_destroy (&taxonomy);
    return 0;
}
