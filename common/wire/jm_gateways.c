/*  jm_gateways: several gateways, seen from a client or a matcher.  See
    jm_gateways.h.

    Each connection has a libzmq socket monitor (an inproc PAIR read in the
    owner's thread, no extra thread) and ZMTP heartbeats, so a gateway that
    dies is seen at once (the connection resets) and one that hangs within
    HEARTBEAT_TIMEOUT_MS (its I/O thread stops answering pings).           */
#include "jm_gateways.h"
#include "jm_alloc.h"
#include "jm_log.h"

#include <czmq.h>
#include <inttypes.h>
#include <string.h>

#define HEARTBEAT_IVL_MS        1000
#define HEARTBEAT_TIMEOUT_MS    3000
//  Up only once the handshake succeeded: a connection whose CURVE key is
//  refused connects, fails, and connects again every reconnect interval,
//  and must not count as up in between.
#define MONITOR_EVENTS  (ZMQ_EVENT_HANDSHAKE_SUCCEEDED \
                        | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED \
                        | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                        | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

//  Checks one endpoint of a list.  Returns 0, or -1 with err filled.
static int
s_check_endpoint (const char *endpoint, int index, jm_error_t *err)
{
    size_t len = strlen (endpoint);
    if (len == 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "gateway %d of the list is empty (endpoints are separated by commas)",
                             index + 1);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) endpoint [i] <= ' ' || endpoint [i] == 0x7f)
            return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                                 "gateway %d of the list, '%.64s', has a space or control "
                                 "character", index + 1, endpoint);
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0) {
        if (!strchr (endpoint, '/') [2])
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "gateway %d of the list, '%.64s', "
                                 "names no path", index + 1, endpoint);
        return 0;
    }
    const char *colon = strrchr (endpoint, ':');
    char *end = NULL;
    long port = colon ? strtol (colon + 1, &end, 10) : 0;
    if (strncmp (endpoint, "tcp://", 6) != 0 || colon == endpoint + 3 || colon == endpoint + 6
    ||  !end || *end || end == colon + 1 || port < 1 || port > 65535)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "gateway %d of the list, '%.64s', is not "
                             "tcp://HOST:PORT (port 1 to 65535), ipc://PATH or inproc://NAME",
                             index + 1, endpoint);
    return 0;
}

int
jm_gateways_split (const char *list, char **endpoints, jm_error_t *err)
{
    assert (list);
    assert (endpoints);
    int count = 0;
    const char *start = list;
    while (true) {
        const char *comma = strchr (start, ',');
        size_t len = comma ? (size_t) (comma - start) : strlen (start);
        while (len && (*start == ' ' || *start == '\t')) {
            start++;
            len--;
        }
        while (len && (start [len - 1] == ' ' || start [len - 1] == '\t'))
            len--;
        if (count == JM_GATEWAYS_MAX) {
            jm_gateways_split_free (endpoints, count);
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "more than %d gateways in the list",
                                 JM_GATEWAYS_MAX);
        }
        if (len > JM_GATEWAYS_ENDPOINT_MAX) {
            jm_gateways_split_free (endpoints, count);
            return jm_error_set (err, JM_ERR_INVALID_REQUEST, "gateway %d of the list is %zu bytes "
                                 "long, at most %d", count + 1, len, JM_GATEWAYS_ENDPOINT_MAX);
        }
        endpoints [count] = jm_strndup (start, len);
        if (s_check_endpoint (endpoints [count], count, err)) {
            jm_gateways_split_free (endpoints, count + 1);
            return -1;
        }
        for (int i = 0; i < count; i++)
            if (streq (endpoints [i], endpoints [count])) {
                jm_error_set (err, JM_ERR_INVALID_REQUEST, "gateway %d of the list, '%.64s', is "
                              "gateway %d already", count + 1, endpoints [count], i + 1);
                jm_gateways_split_free (endpoints, count + 1);
                return -1;
            }
        count++;
        if (!comma)
            break;
        start = comma + 1;
    }
    return count;
}

void
jm_gateways_split_free (char **endpoints, int count)
{
    for (int i = 0; i < count; i++) {
        free (endpoints [i]);
        endpoints [i] = NULL;
    }
}


//  --------------------------------------------------------------------------
//  jm_gateways_t

typedef enum { S_UNKNOWN, S_UP, S_DOWN } s_state_t;

typedef struct {
    char *endpoint;
    jm_mdp_client_t *client;
    zsock_t *monitor;           //  PAIR: the client socket's connection events
    s_state_t state;
    size_t in_flight;
} s_gateway_t;

struct _jm_gateways_t {
    s_gateway_t gateways [JM_GATEWAYS_MAX];
    int count;
    char *text;
    int turn;                   //  round robin among equals
    uint64_t sequence;          //  jm_gateways_request's request ids
};

jm_gateways_t *
jm_gateways_new (const char *list, const jm_curve_t *curve, jm_error_t *err)
{
    char *endpoints [JM_GATEWAYS_MAX];
    int count = jm_gateways_split (list, endpoints, err);
    if (count < 0)
        return NULL;
    jm_gateways_t *self = jm_calloc (1, sizeof *self);
    self->text = jm_strdup (list);
    self->count = count;
    for (int i = 0; i < count; i++)
        self->gateways [i].endpoint = endpoints [i];
    for (int i = 0; i < count; i++) {
        s_gateway_t *gateway = &self->gateways [i];
        gateway->client = jm_mdp_client_new_curve (NULL, curve, err);
        zsock_t *sock = jm_mdp_client_sock (gateway->client);
        zsock_set_heartbeat_ivl (sock, HEARTBEAT_IVL_MS);
        zsock_set_heartbeat_timeout (sock, HEARTBEAT_TIMEOUT_MS);
        //  a name never used before in this process: an inproc name lingers
        //  a moment after its monitor stops
        static uint64_t monitors = 0;
        char address [64];
        snprintf (address, sizeof address, "inproc://jm-gateways-%" PRIu64,
                  __atomic_add_fetch (&monitors, 1, __ATOMIC_RELAXED));
        if (zmq_socket_monitor (zsock_resolve (sock), address, MONITOR_EVENTS) == 0)
            gateway->monitor = zsock_new_pair (address);    //  '>' by default for PAIR
        if (!gateway->monitor)
            //  then its state stays unknown: requests go round robin, and
            //  one lost is resent after its timeout rather than at once
            jm_log_warning ("gateway %s: no connection monitor (%s)", gateway->endpoint,
                            zmq_strerror (zmq_errno ()));
        if (jm_mdp_client_connect (gateway->client, gateway->endpoint, err)) {
            jm_gateways_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
jm_gateways_destroy (jm_gateways_t **self_p)
{
    assert (self_p);
    jm_gateways_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->count; i++) {
        s_gateway_t *gateway = &self->gateways [i];
        if (gateway->client && gateway->monitor)
            zmq_socket_monitor (zsock_resolve (jm_mdp_client_sock (gateway->client)), NULL, 0);
        zsock_destroy (&gateway->monitor);
        jm_mdp_client_destroy (&gateway->client);
        free (gateway->endpoint);
    }
    free (self->text);
    free (self);
    *self_p = NULL;
}

int
jm_gateways_count (const jm_gateways_t *self)
{
    assert (self);
    return self->count;
}

const char *
jm_gateways_endpoint (const jm_gateways_t *self, int index)
{
    assert (self);
    assert (index >= 0 && index < self->count);
    return self->gateways [index].endpoint;
}

const char *
jm_gateways_text (const jm_gateways_t *self)
{
    assert (self);
    return self->text;
}

jm_mdp_client_t *
jm_gateways_client (jm_gateways_t *self, int index)
{
    assert (self);
    assert (index >= 0 && index < self->count);
    return self->gateways [index].client;
}

int
jm_gateways_poll_items (jm_gateways_t *self, zmq_pollitem_t *items)
{
    assert (self);
    for (int i = 0; i < self->count; i++) {
        items [i] = (zmq_pollitem_t) {
            zsock_resolve (jm_mdp_client_sock (self->gateways [i].client)), 0, ZMQ_POLLIN, 0
        };
        items [self->count + i] = (zmq_pollitem_t) {
            self->gateways [i].monitor ? zsock_resolve (self->gateways [i].monitor) : NULL,
            -1, 0, 0
        };
        if (self->gateways [i].monitor)
            items [self->count + i].events = ZMQ_POLLIN;
    }
    return 2 * self->count;
}

unsigned
jm_gateways_lost (jm_gateways_t *self)
{
    assert (self);
    unsigned lost = 0;
    for (int i = 0; i < self->count; i++) {
        s_gateway_t *gateway = &self->gateways [i];
        zmsg_t *msg;
        while (gateway->monitor && (msg = jm_mdp_recv_nowait (gateway->monitor))) {
            zframe_t *frame = zmsg_first (msg);
            uint16_t event = 0;
            if (frame && zframe_size (frame) >= 2)
                memcpy (&event, zframe_data (frame), 2);
            zmsg_destroy (&msg);
            if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
                if (gateway->state != S_UP)
                    jm_log_debug ("gateway %s: connected", gateway->endpoint);
                gateway->state = S_UP;
            }
            else
            if (gateway->state != S_DOWN) {
                if (gateway->state == S_UP)
                    jm_log_info ("gateway %s: connection lost", gateway->endpoint);
                else
                    jm_log_debug ("gateway %s: cannot connect (event 0x%x)", gateway->endpoint,
                                  (unsigned) event);
                gateway->state = S_DOWN;
                lost |= 1u << i;
            }
        }
    }
    return lost;
}

bool
jm_gateways_up (const jm_gateways_t *self, int index)
{
    assert (self);
    assert (index >= 0 && index < self->count);
    return self->gateways [index].state == S_UP;
}

//  True when any connection is up.
static bool
s_any_up (const jm_gateways_t *self)
{
    for (int i = 0; i < self->count; i++)
        if (self->gateways [i].state == S_UP)
            return true;
    return false;
}

bool
jm_gateways_wait_up (jm_gateways_t *self, int timeout_ms)
{
    assert (self);
    int64_t deadline = zclock_mono () + timeout_ms;
    jm_gateways_lost (self);
    while (!s_any_up (self)) {
        int64_t wait = deadline - zclock_mono ();
        if (wait <= 0)
            return false;
        zmq_pollitem_t items [2 * JM_GATEWAYS_MAX];
        jm_gateways_poll_items (self, items);
        if (zmq_poll (items + self->count, self->count, (long) wait) < 0)
            return false;
        jm_gateways_lost (self);
    }
    return true;
}

int
jm_gateways_pick (jm_gateways_t *self, int avoid)
{
    assert (self);
    int best = -1;
    for (int step = 0; step < self->count; step++) {
        int i = (self->turn + step) % self->count;
        const s_gateway_t *gateway = &self->gateways [i];
        if (gateway->state != S_UP || i == avoid)
            continue;
        if (best < 0 || gateway->in_flight < self->gateways [best].in_flight)
            best = i;
    }
    if (best < 0) {
        //  none up (yet): the next in turn, which queues it until connected
        best = self->turn % self->count;
        if (best == avoid && self->count > 1)
            best = (best + 1) % self->count;
    }
    self->turn = (best + 1) % self->count;
    return best;
}

void
jm_gateways_sent (jm_gateways_t *self, int index)
{
    assert (self);
    assert (index >= 0 && index < self->count);
    self->gateways [index].in_flight++;
}

void
jm_gateways_done (jm_gateways_t *self, int index)
{
    assert (self);
    assert (index >= 0 && index < self->count);
    if (self->gateways [index].in_flight)
        self->gateways [index].in_flight--;
}

char *
jm_gateways_request (jm_gateways_t *self, const char *service, const char *body,
                     int timeout_ms, jm_error_t *err)
{
    assert (self);
    assert (service);
    assert (body);
    char request_id [32];
    snprintf (request_id, sizeof request_id, "rq-%" PRIu64, ++self->sequence);
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : zclock_mono () + timeout_ms;
    //  a moment for the connections to come up, so the first try goes to a live one
    jm_gateways_wait_up (self, timeout_ms < 0 || timeout_ms > 1000 ? 1000 : timeout_ms);
    int gateway = -1;
    while (true) {
        unsigned lost = jm_gateways_lost (self);
        if (gateway < 0 || (lost & (1u << gateway))) {
            int previous = gateway;
            gateway = jm_gateways_pick (self, previous);
            if (previous >= 0)
                jm_log_info ("%s: gateway %s lost; asking %s", service,
                             self->gateways [previous].endpoint, self->gateways [gateway].endpoint);
            if (jm_mdp_client_send (self->gateways [gateway].client, service, request_id,
                                    body, strlen (body)))
                jm_log_debug ("%s: cannot send to %s now", service, self->gateways [gateway].endpoint);
        }
        //  the reply may come from any gateway asked so far
        for (int i = 0; i < self->count; i++) {
            char *reply = jm_mdp_client_recv_id (self->gateways [i].client, request_id, 0);
            if (reply)
                return reply;
        }
        int64_t wait = deadline - zclock_mono ();
        if (wait <= 0)
            break;
        zmq_pollitem_t items [2 * JM_GATEWAYS_MAX];
        int count = jm_gateways_poll_items (self, items);
        if (zmq_poll (items, count, wait > INT32_MAX ? -1 : (long) wait) < 0)
            break;                  //  interrupted
    }
    jm_error_set (err, JM_ERR_IO, "no reply from service '%s' within %d ms", service, timeout_ms);
    return NULL;
}
