/*  fuzz_normalize: skill names as candidates write them, through
    jm_normalize (fold, compact, lookup with typo correction, and the edit
    distance), against the project's taxonomy.  The input is split at its
    first NUL byte into two names: the first is looked up, and the distance
    between the two is checked against its definition's basic laws.       */
#include "fuzz_common.h"
#include "jm_normalize.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const jm_taxonomy_t *taxonomy = fuzz_taxonomy ();
    const char *text = (const char *) data;
    const char *nul = memchr (text, 0, size);
    size_t alen = nul ? (size_t) (nul - text) : size;
    const char *b = nul ? nul + 1 : "";
    size_t blen = nul ? size - alen - 1 : 0;

    char folded [256], compact [256];
    size_t fold_len = jm_normalize_fold (text, alen, folded, sizeof folded);
    FUZZ_CHECK (fold_len < sizeof folded && strlen (folded) == fold_len, "fold fits and says its length");
    size_t compact_len = jm_normalize_compact (folded, fold_len, compact, sizeof compact);
    FUZZ_CHECK (compact_len <= fold_len && strlen (compact) == compact_len, "compact only drops bytes");
    char tiny [4];
    (void) jm_normalize_fold (text, alen, tiny, sizeof tiny);
    (void) jm_normalize_compact (folded, fold_len, tiny, sizeof tiny);

    jm_lookup_t lookup = jm_normalize_lookup (taxonomy, text, alen);
    FUZZ_CHECK (lookup.skill >= -1 && lookup.skill < jm_taxonomy_size (taxonomy), "a lookup names a skill or none");
    (void) jm_match_name (lookup.match);

    //  distance: within the limit it is symmetric and zero only for equals
    if (alen <= 64 && blen <= 64) {
        int limit = 8;
        int ab = jm_normalize_distance (text, alen, b, blen, limit);
        int ba = jm_normalize_distance (b, blen, text, alen, limit);
        FUZZ_CHECK (ab >= 0 && ab <= limit + 1 && ab == ba, "the distance is bounded and symmetric");
        FUZZ_CHECK ((ab == 0) == (alen == blen && memcmp (text, b, alen) == 0), "distance 0 means equal");
    }
    return 0;
}
