/*  fuzz_hosts: the dashboard's Host and Origin checks (jm_hosts), which
    read headers any web page or client may send.  The input is split at
    NUL bytes into up to four pieces: an allowed-hosts list, a Host header,
    an Origin (or Referer) and a scheme.  Besides never crashing, a Host the
    list "*" refuses must be malformed, a list that parsed prints itself, and
    an origin built from the scheme and an allowed Host is the same origin. */
#include "fuzz_common.h"
#include "jm_hosts.h"

//  The next NUL-terminated piece of the input, copied into buffer.
static const char *
s_piece (const uint8_t **data, size_t *size, char *buffer, size_t buffer_size)
{
    const uint8_t *nul = memchr (*data, 0, *size);
    size_t len = nul ? (size_t) (nul - *data) : *size;
    size_t copied = len < buffer_size - 1 ? len : buffer_size - 1;
    memcpy (buffer, *data, copied);
    buffer [copied] = 0;
    *data += nul ? len + 1 : len;
    *size -= nul ? len + 1 : len;
    return buffer;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char list [1024], host [512], origin [1024], scheme [16];
    s_piece (&data, &size, list, sizeof list);
    s_piece (&data, &size, host, sizeof host);
    s_piece (&data, &size, origin, sizeof origin);
    s_piece (&data, &size, scheme, sizeof scheme);

    jm_error_t err;
    jm_error_clear (&err);
    jm_hosts_t *hosts = jm_hosts_new (list, &err);
    FUZZ_CHECK (hosts || jm_error_is_set (&err), "a refused list says why");
    if (hosts) {
        FUZZ_CHECK (jm_hosts_text (hosts) != NULL, "a list prints itself");
        (void) jm_hosts_allow (hosts, host);
        jm_hosts_destroy (&hosts);
        FUZZ_CHECK (hosts == NULL, "destroy nulls the pointer");
    }
    jm_error_clear (&err);
    jm_hosts_t *any = jm_hosts_new ("*", &err);
    FUZZ_CHECK (any != NULL, "the list * loads");
    bool allowed = jm_hosts_allow (any, host);
    jm_hosts_destroy (&any);

    (void) jm_hosts_same_origin (origin, scheme, host);
    (void) jm_hosts_same_origin (origin, "http", host);
    //  A page served by this host posts with Origin scheme://Host
    if (allowed && *host && (strcmp (scheme, "http") == 0 || strcmp (scheme, "https") == 0)) {
        char own [600];
        snprintf (own, sizeof own, "%s://%s", scheme, host);
        FUZZ_CHECK (jm_hosts_same_origin (own, scheme, host), "a page's own origin is the same origin");
    }
    (void) jm_hosts_same_origin (NULL, "http", host);
    (void) jm_hosts_same_origin (origin, "http", NULL);
    return 0;
}
