/*  jm_sha1: SHA-1 (FIPS 180-1) of a byte string, as lower-case hex.

    The store names its Lua scripts by SHA-1, as Redis does, so EVALSHA can
    be queued before Redis has seen a script.  Not for security: SHA-1 is
    broken for that, and Redis only uses it as a cache key.  The digest is
    czmq's zdigest; this only writes it as the hex Redis shows.            */
#ifndef JM_SHA1_H
#define JM_SHA1_H

#include <stddef.h>

//  Writes the SHA-1 of text [len] as 40 lower-case hex digits and a NUL
//  into hex [41].
void jm_sha1_hex (const char *text, size_t len, char hex [41]);

#endif
