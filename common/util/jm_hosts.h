/*  jm_hosts: which Host names an HTTP server answers, and whether a
    request's Origin (or Referer) is the server's own origin.

    A browser sends the name it was pointed at in Host.  A page that rebinds
    its own DNS name to 127.0.0.1 (DNS rebinding) reaches a loopback server
    as same-origin, but its Host still says the attacker's name: refusing
    every Host that is not one of the server's own names stops it.  A page
    of another origin that posts to the server (a cross-site form, a fetch
    in no-cors mode) carries that other origin in Origin, or in Referer:
    comparing it with the server's scheme and Host stops it.

    An allowed-hosts list is names separated by commas:

        localhost           the name, on any port
        127.0.0.1:8080      the name on that port only
        [::1]  or  ::1      an IPv6 address (compared in canonical form)
        .example.com        example.com and every name under it
        *                   every name (the check is off)

    Names compare case-insensitively, a trailing dot ignored.              */
#ifndef JM_HOSTS_H
#define JM_HOSTS_H

#include "jm_error.h"

#include <stdbool.h>

typedef struct _jm_hosts_t jm_hosts_t;

//  Creates the list from text (see above; spaces around names are
//  ignored).  Returns NULL with err filled (invalid_data) when an entry is
//  not a name, an address or a name with a port; an empty list allows
//  nothing until jm_hosts_add.
jm_hosts_t *
    jm_hosts_new (const char *list, jm_error_t *err);

//  Frees the list.  Accepts NULL and nulls the caller's pointer.
void
    jm_hosts_destroy (jm_hosts_t **self_p);

//  Adds one entry (same forms as the list).  Returns 0, or -1 with err
//  filled when it is malformed.
int
    jm_hosts_add (jm_hosts_t *self, const char *entry, jm_error_t *err);

//  True when a Host header value ("name", "name:port", "[v6]:port") names
//  an allowed host.  NULL, empty or malformed values are never allowed.
bool
    jm_hosts_allow (const jm_hosts_t *self, const char *host);

//  The list as text, for logs ("localhost, 127.0.0.1, [::1]").  Owned by
//  the list.
const char *
    jm_hosts_text (const jm_hosts_t *self);

//  True when origin, an Origin header or a Referer URL, is the origin
//  scheme://host, host being the request's Host header: same scheme, name
//  and port (a missing port is the scheme's default).  "null", a malformed
//  URL, one with user info, or a NULL argument is never the same origin.
bool
    jm_hosts_same_origin (const char *origin, const char *scheme, const char *host);

#endif
