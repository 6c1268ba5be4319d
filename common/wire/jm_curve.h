/*  jm_curve: ZeroMQ CURVE keys in czmq's conventions.

    Certificates are czmq zcert files: "NAME" holds the public key and
    "NAME_secret" both keys (zcert_save writes the pair; `jobmatch keys new
    NAME` calls it).  Two classes:

    jm_curve_t, one side's keys.  A client holds its own certificate (public
    and secret key) and the server's public key, and applies them to a
    socket before it connects; a server holds its own certificate and
    applies it, with a ZAP domain, to a socket before it binds (who may
    connect is then the ZAP handler's business: see jm_zap.h).

    jm_curve_store_t, a directory of allowed public certificates, as czmq's
    zcertstore reads one: every regular file whose name does not end in
    "_secret" and does not start with '.'.  It reloads itself when the
    directory changes (a file added, removed or renamed), at most once a
    second; unlike zcertstore it skips a key it already holds (a copied
    file) instead of aborting, and skips files that are not certificates.

    Also here: whether a list of endpoints binds only loopback addresses,
    for the gateway's refusal to serve a network without CURVE.            */
#ifndef JM_CURVE_H
#define JM_CURVE_H

#include "jm_error.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#define JM_CURVE_KEY_TEXT   40      //  characters of a Z85 key

//  --------------------------------------------------------------------------
//  jm_curve_t: one side's keys

typedef struct _jm_curve_t jm_curve_t;

//  Loads the certificate at cert_path ("NAME" or "NAME_secret": czmq reads
//  NAME_secret when it exists), which must hold a secret key, and, for a
//  client, the server's public certificate at server_path (NULL for a
//  server).  Returns NULL with err filled (invalid_data) when a file is
//  missing, is not a certificate, or the secret key is absent.
jm_curve_t *
    jm_curve_new (const char *cert_path, const char *server_path, jm_error_t *err);

//  Frees the keys; accepts NULL and nulls the caller's pointer.
void
    jm_curve_destroy (jm_curve_t **self_p);

//  What a client does with its two settings (--curve-server, --curve-cert;
//  NULL counts as empty): both empty, plaintext: returns 0 with *curve_p
//  NULL; both set: loads them into *curve_p (caller destroys); otherwise,
//  or when loading fails, returns -1 with err filled (invalid_data).
int
    jm_curve_client_from (const char *server_path, const char *cert_path,
                          jm_curve_t **curve_p, jm_error_t *err);

//  Our own public key, Z85 text; borrowed.
const char *
    jm_curve_public_txt (const jm_curve_t *self);

//  Makes sock a CURVE client of the server (before zsock_connect): own
//  keys and the server's public key.
void
    jm_curve_apply_client (const jm_curve_t *self, zsock_t *sock);

//  Makes sock a CURVE server (before zsock_bind) whose peers the ZAP
//  handler checks in domain.
void
    jm_curve_apply_server (const jm_curve_t *self, zsock_t *sock, const char *domain);

//  Returns NULL when every endpoint of a comma-separated list binds only a
//  loopback address (127.x.x.x, ::1, localhost, ipc://, inproc://); else the
//  first that does not (tcp://*:5570, tcp://0.0.0.0:..., an interface name,
//  another address), copied into buffer.
const char *
    jm_curve_public_endpoint (const char *endpoints, char *buffer, size_t size);


//  --------------------------------------------------------------------------
//  jm_curve_store_t: a directory of allowed public certificates

typedef struct _jm_curve_store_t jm_curve_store_t;

//  Loads the public certificates in directory.  Returns NULL with err
//  filled (invalid_data) when it is not a directory we can read.
jm_curve_store_t *
    jm_curve_store_new (const char *directory, jm_error_t *err);

//  Frees the store; accepts NULL and nulls the caller's pointer.
void
    jm_curve_store_destroy (jm_curve_store_t **self_p);

//  True when public_txt (Z85) is one of the store's keys.  Reloads the
//  directory first when it changed (checked at most once a second).
bool
    jm_curve_store_contains (jm_curve_store_t *self, const char *public_txt);

//  How many keys the store holds.
size_t
    jm_curve_store_size (jm_curve_store_t *self);

#endif
