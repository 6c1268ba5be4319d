/*  jm_test_redis: a private redis-server for one test.

    jm_test_redis_start makes a fresh directory (mkdtemp under $TMPDIR or
    /tmp), starts /usr/bin/redis-server (or $JM_REDIS_SERVER) there with no
    persistence, listening on DIR/redis.sock (and on a free loopback TCP
    port when asked), and waits until it answers PING.  The server dies with
    the test process (PR_SET_PDEATHSIG), so a test that crashes or times out
    leaves no server behind.  jm_test_redis_destroy stops it and removes the
    directory.  Tests run each in their own process, so start the server
    inside the test.

    jm_test_redis_command talks to the server over its own connection, so a
    test can check what the code under test wrote; replies come back as text
    and no hiredis type leaks into the tests.                              */
#ifndef JM_TEST_REDIS_H
#define JM_TEST_REDIS_H

#include "jm_store.h"
#include "jm_record.h"

#include <stdbool.h>

typedef struct _jm_test_redis_t jm_test_redis_t;

//  Starts a server; with tcp, also on 127.0.0.1 at a free port.  Returns
//  NULL (after printing why) when redis-server cannot be started.
jm_test_redis_t *jm_test_redis_start (bool tcp);

//  Starts a server whose TCP port speaks TLS only (tls-port; certificates
//  made with openssl in its directory; client certificates optional); the
//  unix socket, and the test's own connection, stay plain.  Returns NULL
//  (after printing why) when it cannot be started.
jm_test_redis_t *jm_test_redis_start_tls (void);

//  A TLS server's files (borrowed): which is "ca" (the CA certificate that
//  signed the server's), "cert" or "key" (a client certificate and key it
//  accepts).  NULL without TLS.
const char *jm_test_redis_tls_file (const jm_test_redis_t *self, const char *which);

//  Stops the server if running, removes its directory, nulls the pointer.
void jm_test_redis_destroy (jm_test_redis_t **self_p);

//  "unix:///tmp/jm-redis-XXXXXX/redis.sock" (borrowed).
const char *jm_test_redis_url (const jm_test_redis_t *self);

//  "redis://127.0.0.1:PORT" ("rediss://" with TLS), or NULL when not
//  started with tcp (borrowed).
const char *jm_test_redis_tcp_url (const jm_test_redis_t *self);

//  Stops the server (SIGTERM, wait), e.g. to simulate an outage; the
//  directory stays.  Returns 0, or -1 when it was not running.
int jm_test_redis_stop (jm_test_redis_t *self);

//  Starts the server again on the same socket and port; waits until it
//  answers.  Returns 0 or -1.
int jm_test_redis_restart (jm_test_redis_t *self);

//  Runs one command (arguments are NUL-terminated strings, NULL-terminated
//  list) on the test's own connection.  Returns a new string (caller frees):
//  a string or status as is, an integer in decimal, nil as "(nil)", an error
//  as "ERR:<text>", an array as its elements joined by '\n'.  NULL when the
//  server cannot be reached.
char *jm_test_redis_command (jm_test_redis_t *self, const char *arg, ...)
    __attribute__ ((sentinel));

//  Same, returning the reply as an integer (strings are parsed); -1 on
//  failure.  E.g. jm_test_redis_integer (redis, "PTTL", key, NULL).
long long jm_test_redis_integer (jm_test_redis_t *self, const char *arg, ...)
    __attribute__ ((sentinel));

//  Store options for tests: the defaults with short timeouts and backoff,
//  so that outages pass quickly.
jm_store_options_t jm_test_store_options (void);

//  Reads (job, candidate)'s compact record from its bucket hash (keys: the
//  store's, or NULL for namespace jobmatch without a cluster; binary, so
//  read as hex through a script).  Returns 0 with record set, or -1 when
//  there is none or it does not decode.
int jm_test_redis_record (jm_test_redis_t *self, const jm_keys_t *keys, const char *job,
                          const char *candidate, jm_record_t *record);

//  Calls of one command so far per INFO commandstats (e.g. "hmget"), or -1.
long long jm_test_redis_calls (jm_test_redis_t *self, const char *command);

#endif
