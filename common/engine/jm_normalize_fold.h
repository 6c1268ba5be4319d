/*  jm_normalize_fold: the key form in which skill names are compared.

    Folding is the first step of jm_normalize and also how jm_taxonomy keys
    its alias tables, so it sits below both: the taxonomy folds its names
    here without calling into the normalizer that looks names up in it.   */
#ifndef JM_NORMALIZE_FOLD_H
#define JM_NORMALIZE_FOLD_H

#include <stddef.h>

#define JM_NORMALIZE_MAX 256    //  longest input looked at, in bytes

//  Folds text into dest (capacity cap, NUL-terminated): lowercase ASCII,
//  runs of whitespace, '-' and '_' become one space, trimmed; keeps letters,
//  digits, UTF-8 and the name characters . + # / &.  Returns the length.
size_t jm_normalize_fold (const char *text, size_t len, char *dest, size_t cap);

//  Compact form of a folded key: drops spaces, '.', '-' and '_'.  Returns length.
size_t jm_normalize_compact (const char *folded, size_t len, char *dest, size_t cap);

#endif
