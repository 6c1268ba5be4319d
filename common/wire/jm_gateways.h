/*  jm_gateways: several gateways, seen from a client or a matcher.

    Every program that talks to the gateway takes a list of them,
    endpoints separated by commas ("tcp://10.0.0.1:5570,tcp://10.0.0.2:5570",
    at most JM_GATEWAYS_MAX).  jm_gateways_split checks such a list, entry
    by entry, for the matcher, which opens a worker connection to each.

    jm_gateways_t is the client side: one jm_mdp_client_t per gateway, each
    with a socket monitor that says when its connection comes up and when
    it goes down (disconnected, refused, or silent past the ZMTP heartbeat
    timeout).  jm_gateways_pick spreads requests over the gateways that are
    up, the one with the fewest requests in flight first (the caller says
    when a request is sent and when it is done); jm_gateways_lost reports
    the gateways lost since the last call, so the caller can send their
    unanswered requests again to another one.  The batch pipe
    (services/jobmatch/batch_pipe.c), the CLI's one-shot requests
    (jm_gateways_request) and the dashboard's bridge are built on it.

    Like every ZeroMQ object it stays in the thread that created it.      */
#ifndef JM_GATEWAYS_H
#define JM_GATEWAYS_H

#include "jm_curve.h"
#include "jm_error.h"
#include "jm_mdp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JM_GATEWAYS_MAX         8       //  endpoints in one list
#define JM_GATEWAYS_ENDPOINT_MAX 255    //  bytes in one endpoint

//  Splits list (endpoints separated by commas, spaces around each ignored)
//  into endpoints [0..count-1], fresh strings the caller frees with
//  jm_gateways_split_free.  Each must be tcp://HOST:PORT, ipc://PATH or
//  inproc://NAME, and appear once.  Returns count (1..JM_GATEWAYS_MAX), or -1 with err
//  filled (invalid_request) naming the entry and what is wrong with it.
int
    jm_gateways_split (const char *list, char **endpoints, jm_error_t *err);

//  Frees what jm_gateways_split returned.
void
    jm_gateways_split_free (char **endpoints, int count);

typedef struct _jm_gateways_t jm_gateways_t;

//  Opens a client connection to every gateway in list (CURVE when curve is
//  not NULL; borrowed).  Connecting does not wait for them.  Returns NULL
//  with err filled when the list is invalid.
jm_gateways_t *
    jm_gateways_new (const char *list, const jm_curve_t *curve, jm_error_t *err);

//  Closes every connection (requests in flight are abandoned) and frees the
//  object.  Accepts NULL and nulls the caller's pointer.
void
    jm_gateways_destroy (jm_gateways_t **self_p);

//  How many gateways; the endpoint of one (borrowed); the whole list as
//  given, for messages (borrowed).
int
    jm_gateways_count (const jm_gateways_t *self);
const char *
    jm_gateways_endpoint (const jm_gateways_t *self, int index);
const char *
    jm_gateways_text (const jm_gateways_t *self);

//  The client connection to gateway index (borrowed).
jm_mdp_client_t *
    jm_gateways_client (jm_gateways_t *self, int index);

//  Fills items [0..2*count-1] for zmq_poll: the count client sockets
//  (replies; item i is gateway i), then the count monitors (connection
//  events: call jm_gateways_lost when any has input).  Returns 2*count.
int
    jm_gateways_poll_items (jm_gateways_t *self, zmq_pollitem_t *items);

//  Reads the connection events waiting.  Returns a bit mask of the gateways
//  whose connection went down (or could not be made) since the last call:
//  bit i for gateway i, 0 when none.
unsigned
    jm_gateways_lost (jm_gateways_t *self);

//  True while the connection to gateway index is up (handshake done, not
//  lost since), as its monitor last said: call jm_gateways_lost first.
bool
    jm_gateways_up (const jm_gateways_t *self, int index);

//  Waits up to timeout_ms for at least one connection to be up.  Returns
//  true when one is.
bool
    jm_gateways_wait_up (jm_gateways_t *self, int timeout_ms);

//  The gateway for the next request: of those up, the one with the fewest
//  requests in flight (ties go round robin); when none is up, the next one
//  in turn.  avoid (-1: none) is taken only when it is the only choice.
int
    jm_gateways_pick (jm_gateways_t *self, int avoid);

//  Counts a request sent to gateway index, and one done with (answered,
//  given up or sent elsewhere), for jm_gateways_pick.
void
    jm_gateways_sent (jm_gateways_t *self, int index);
void
    jm_gateways_done (jm_gateways_t *self, int index);

//  One request, blocking: sends body to service on a gateway that is up
//  and waits up to timeout_ms in all for the reply; when that gateway's
//  connection goes down first, sends it again to another.  Returns the reply
//  body (caller frees), or NULL with err filled (io_error) when none came
//  in time.
char *
    jm_gateways_request (jm_gateways_t *self, const char *service, const char *body,
                         int timeout_ms, jm_error_t *err);

#endif
