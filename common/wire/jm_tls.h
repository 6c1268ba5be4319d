/*  jm_tls: a TLS client connection that a plain-socket library can use.

    hiredis 0.14 (Debian 12's) has no TLS, so the store reaches a rediss://
    Redis through this module: jm_tls_connect opens the TCP connection, does
    the GnuTLS handshake (the server's certificate must chain to the CA file,
    or to the system's CAs, and carry the expected name), then hands back
    one end of a socketpair.  A pump thread moves bytes between that
    socketpair and the TLS session, so hiredis (redisConnectFd) reads and
    writes plain RESP on its end and its own timeouts keep working.

    Either side closing ends the other: when the caller closes its end (as
    redisFree does) the pump says goodbye to the server and exits; when the
    server closes or TLS fails, the pump closes its end and the caller reads
    EOF.  jm_tls_destroy stops the pump and joins it; call it after closing
    the caller's end (or not: it works either way).

    The credentials (jm_tls_config_t) are loaded once and shared by every
    connection of one owner; they are read-only after jm_tls_config_new.   */
#ifndef JM_TLS_H
#define JM_TLS_H

#include "jm_error.h"

#include <stddef.h>

typedef struct _jm_tls_config_t jm_tls_config_t;
typedef struct _jm_tls_t jm_tls_t;

//  Loads the credentials: ca_file (PEM CA certificates the server's must
//  chain to; NULL or "" for the system's), cert_file and key_file (a PEM
//  client certificate and its key, for servers that ask for one; both or
//  neither), server_name (the name the server's certificate must carry;
//  NULL or "" for the host given to jm_tls_connect).  Returns NULL with err
//  set (invalid_request naming the file and what is wrong with it).
jm_tls_config_t *jm_tls_config_new (const char *ca_file, const char *cert_file,
                                    const char *key_file, const char *server_name,
                                    jm_error_t *err);

//  Frees the credentials and nulls the pointer; safe on NULL.  Every
//  connection made with them must be destroyed first.
void jm_tls_config_destroy (jm_tls_config_t **self_p);

//  Connects to host:port within timeout_ms (TCP connect and handshake
//  together), verifies the server, and starts the pump.  Returns the
//  connection, whose plain end (jm_tls_fd) the caller now owns and must
//  close; or NULL with why (why_size bytes) saying what failed, e.g. that
//  the certificate is not trusted.
jm_tls_t *jm_tls_connect (jm_tls_config_t *config, const char *host, int port,
                          int timeout_ms, char *why, size_t why_size);

//  The caller's end of the socketpair: a blocking stream socket carrying
//  the plain bytes.  Owned by the caller (close it, or give it to hiredis).
int jm_tls_fd (const jm_tls_t *self);

//  Copies into out (size bytes) why the TLS session ended when it failed
//  or the server closed it ("TLS: ..."), else "".
void jm_tls_failure (jm_tls_t *self, char *out, size_t size);

//  Stops the pump (closing the TLS connection), joins it, frees the
//  connection and nulls the pointer; safe on NULL.  Does not close the
//  caller's end.
void jm_tls_destroy (jm_tls_t **self_p);

#endif
