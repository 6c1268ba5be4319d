/*  jm_sha1: SHA-1 through czmq's zdigest.  See jm_sha1.h.  */
#include "jm_sha1.h"

#include <assert.h>
#include <czmq.h>

void
jm_sha1_hex (const char *text, size_t len, char hex [41])
{
    assert ((text || len == 0) && hex);
    zdigest_t *digest = zdigest_new ();
    assert (digest);
    zdigest_update (digest, (const byte *) text, len);
    assert (zdigest_size (digest) == 20);
    //  zdigest_string writes upper case; Redis and the tests use lower
    const byte *data = zdigest_data (digest);
    for (size_t i = 0; i < 20; i++)
        snprintf (hex + 2 * i, 3, "%02x", data [i]);
    zdigest_destroy (&digest);
}
