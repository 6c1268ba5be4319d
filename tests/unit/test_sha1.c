/*  Tests for jm_sha1: the FIPS 180-1 vectors, and lengths either side of
    the padding boundaries (one tail block or two).                        */
#include "jm_test.h"
#include "jm_sha1.h"

static void
s_check_sha1 (const char *text, size_t len, const char *want)
{
    char hex [41];
    memset (hex, 'x', sizeof hex);
    jm_sha1_hex (text, len, hex);
    JM_CHECK_INT (hex [40], '\0');
    JM_CHECK_STR (hex, want);
}

JM_TEST (sha1_fips_vectors)
{
    s_check_sha1 ("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    s_check_sha1 ("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    s_check_sha1 (text, strlen (text), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

JM_TEST (sha1_million_a)
{
    size_t len = 1000000;
    char *text = malloc (len);
    JM_REQUIRE (text);
    memset (text, 'a', len);
    s_check_sha1 (text, len, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free (text);
}

JM_TEST (sha1_padding_boundaries)
{
    //  55 bytes is the most that pads into one block; 56..63 need two
    static const struct { size_t len; const char *want; } cases [] = {
        { 55,  "c1c8bbdc22796e28c0e15163d20899b65621d65a" },
        { 56,  "c2db330f6083854c99d4b5bfb6e8f29f201be699" },
        { 63,  "03f09f5b158a7a8cdad920bddc29b81c18a551f5" },
        { 64,  "0098ba824b5c16427bd7a1122a5a442a25ec644d" },
        { 119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56" }
    };
    char text [128];
    memset (text, 'a', sizeof text);
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        s_check_sha1 (text, cases [i].len, cases [i].want);
}
