/*  jm_text_utf8: the one UTF-8 validity rule (RFC 3629), inline.

    jm_text cleans résumés with it, jm_extract scans by it and jm_log keeps
    log lines printable with it; it sits in util so the logger need not
    include the engine.                                                  */
#ifndef JM_TEXT_UTF8_H
#define JM_TEXT_UTF8_H

#include <stddef.h>
#include <stdint.h>

//  Length of the UTF-8 sequence at p (2 to 4; p [0] >= 0x80), or 0 when it is
//  not valid RFC 3629 UTF-8 (stray continuation, overlong, surrogate, past
//  U+10FFFF, truncated).  Inline: jm_extract's scan calls it per character.
static inline size_t
jm_text_utf8_length (const uint8_t *p, size_t avail)
{
    uint8_t c = p [0];
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return avail >= 2 && (p [1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (avail < 3 || (p [1] & 0xC0) != 0x80 || (p [2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p [1] < 0xA0) || (c == 0xED && p [1] > 0x9F))
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || (p [1] & 0xC0) != 0x80 || (p [2] & 0xC0) != 0x80 || (p [3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p [1] < 0x90) || (c == 0xF4 && p [1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

#endif
