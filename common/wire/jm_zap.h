/*  jm_zap: a ZAP handler (RFC 27/ZAP) that allows CURVE keys per domain.

    libzmq asks the ZAP handler of its context, bound at
    inproc://zeromq.zap.01, about every peer that connects to a socket with
    security on; the socket's ZAP domain (zsock_set_zap_domain) names which
    rules apply.  czmq's zauth keeps one certificate store for every domain,
    so a key allowed on one socket would be allowed on all; this handler
    keeps rules per domain instead:

        jm_zap_t *zap = jm_zap_new (&err);
        jm_zap_allow (zap, "clients", "admin",  admins_dir, &err);
        jm_zap_allow (zap, "clients", "client", clients_dir, &err);
        jm_zap_allow (zap, "workers", "worker", workers_dir, &err);
        zloop_reader (loop, jm_zap_sock (zap), handler calling jm_zap_handle, ..);

    A CURVE peer whose key is in one of its domain's directories (first rule
    that matches wins) is answered 200 with the User-Id "ROLE:KEY" (KEY in
    Z85), which every message from that connection then carries:
    zframe_meta (frame, "User-Id").  Any other peer (unknown key, another
    domain's key, another mechanism, an unknown domain) is answered 400 and
    counted per domain; denials are logged with the key and address, once
    per key every 10 s and at most 5 a second (a peer that retries cannot
    flood the log or hide another's key).  One handler per ZeroMQ context (czmq's one per
    process); it lives in the thread that polls it.                       */
#ifndef JM_ZAP_H
#define JM_ZAP_H

#include "jm_error.h"

#include <czmq.h>
#include <stdint.h>

#define JM_ZAP_ENDPOINT     "inproc://zeromq.zap.01"

typedef struct _jm_zap_t jm_zap_t;

//  Binds the handler.  Returns NULL with err filled (io_error) when another
//  one is bound in this process.
jm_zap_t *
    jm_zap_new (jm_error_t *err);

//  Unbinds the handler and frees it; accepts NULL and nulls the caller's
//  pointer.  Connections handshaking afterwards fail.
void
    jm_zap_destroy (jm_zap_t **self_p);

//  Allows the keys of the certificates in directory on sockets of domain,
//  with the given role (a short word: "client", "admin", "worker").  Rules
//  are tried in the order they were added.  Returns 0, or -1 with err
//  filled (invalid_data) when directory cannot be read.
int
    jm_zap_allow (jm_zap_t *self, const char *domain, const char *role,
                  const char *directory, jm_error_t *err);

//  The socket to poll (ZMQ_POLLIN); borrowed.
zsock_t *
    jm_zap_sock (jm_zap_t *self);

//  Answers every request waiting; never blocks.
void
    jm_zap_handle (jm_zap_t *self);

//  Peers refused on sockets of domain so far (0 for a domain without rules).
uint64_t
    jm_zap_denied (jm_zap_t *self, const char *domain);

//  The role in a User-Id this handler gave ("admin:KEY" -> "admin"), copied
//  into buffer; "" when user_id is NULL or has no role.  Returns buffer.
const char *
    jm_zap_role (const char *user_id, char *buffer, size_t size);

#endif
