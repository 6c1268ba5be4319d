/*  jm_sha1: SHA-1 (FIPS 180-1) of a byte string, as hex.  See jm_sha1.h.  */
#include "jm_sha1.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t
s_rol (uint32_t value, int bits)
{
    return (value << bits) | (value >> (32 - bits));
}

static void
s_sha1_block (uint32_t state [5], const unsigned char block [64])
{
    uint32_t w [80];
    for (int i = 0; i < 16; i++)
        w [i] = (uint32_t) block [4 * i] << 24 | (uint32_t) block [4 * i + 1] << 16
              | (uint32_t) block [4 * i + 2] << 8 | (uint32_t) block [4 * i + 3];
    for (int i = 16; i < 80; i++)
        w [i] = s_rol (w [i - 3] ^ w [i - 8] ^ w [i - 14] ^ w [i - 16], 1);
    uint32_t a = state [0], b = state [1], c = state [2], d = state [3], e = state [4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20)      { f = (b & c) | (~b & d);          k = 0x5A827999; }
        else if (i < 40) { f = b ^ c ^ d;                   k = 0x6ED9EBA1; }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
        else             { f = b ^ c ^ d;                   k = 0xCA62C1D6; }
        uint32_t temp = s_rol (a, 5) + f + e + k + w [i];
        e = d;
        d = c;
        c = s_rol (b, 30);
        b = a;
        a = temp;
    }
    state [0] += a;
    state [1] += b;
    state [2] += c;
    state [3] += d;
    state [4] += e;
}

void
jm_sha1_hex (const char *text, size_t len, char hex [41])
{
    uint32_t state [5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
    const unsigned char *bytes = (const unsigned char *) text;
    size_t done = 0;
    for (; len - done >= 64; done += 64)
        s_sha1_block (state, bytes + done);
    unsigned char tail [128] = { 0 };
    size_t rest = len - done;
    memcpy (tail, bytes + done, rest);
    tail [rest] = 0x80;
    size_t tail_len = rest + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t) len * 8;
    for (int i = 0; i < 8; i++)
        tail [tail_len - 1 - i] = (unsigned char) (bits >> (8 * i));
    s_sha1_block (state, tail);
    if (tail_len == 128)
        s_sha1_block (state, tail + 64);
    for (int i = 0; i < 5; i++)
        snprintf (hex + 8 * i, 9, "%08x", state [i]);
}
