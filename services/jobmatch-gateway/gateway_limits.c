/*  gateway_limits: what bounds the gateway's memory.

    - Caps on what is held (waiting or at a worker): queue-max requests and
      held-bytes-max body bytes in all, client-queue-max requests and
      client-bytes-max bytes per client (its routing id).  A request past a
      cap is answered busy, with a message naming the cap.  Per-client
      counts live in a hash keyed by the routing id, with an entry only
      while the client holds something.
    - Replies a client does not read: at most client-reply-max are queued
      to one client; past that (or when the client has gone) a reply is
      dropped and counted, and the loop never blocks.
    How long a worker may hold a request is gateway_worker.c's (its
    deadline, request-timeout-ms from the dispatch).
    Part of the gateway broker; see gateway_internal.h.                    */
#include "gateway_internal.h"
#include "jm_alloc.h"

#include <errno.h>

//  What one client holds
typedef struct {
    zframe_t *identity;         //  routing id; also the table's key
    size_t requests;
    size_t bytes;
} client_t;


//  --------------------------------------------------------------------------
//  The client table: keyed on a routing id frame, compared by content

static size_t
s_client_hash (const void *key)
{
    zframe_t *frame = (zframe_t *) key;
    const byte *data = zframe_data (frame);
    size_t size = zframe_size (frame);
    size_t hash = 14695981039346656037ULL;     //  FNV-1a
    for (size_t index = 0; index < size; index++)
        hash = (hash ^ data [index]) * 1099511628211ULL;
    return hash;
}

static int
s_client_compare (const void *key_1, const void *key_2)
{
    zframe_t *frame_1 = (zframe_t *) key_1, *frame_2 = (zframe_t *) key_2;
    size_t size = zframe_size (frame_1);
    if (size != zframe_size (frame_2))
        return size < zframe_size (frame_2)? -1: 1;
    return size? memcmp (zframe_data (frame_1), zframe_data (frame_2), size): 0;
}

static void
s_client_destroy (void **item_p)
{
    client_t *client = *item_p;
    if (client) {
        zframe_destroy (&client->identity);
        free (client);
        *item_p = NULL;
    }
}

zhashx_t *
gw_limits_client_table_new (void)
{
    zhashx_t *table = zhashx_new ();
    assert (table);
    zhashx_set_key_duplicator (table, NULL);
    zhashx_set_key_destructor (table, NULL);
    zhashx_set_key_hasher (table, s_client_hash);
    zhashx_set_key_comparator (table, s_client_compare);
    zhashx_set_destructor (table, s_client_destroy);
    return table;
}


//  --------------------------------------------------------------------------
//  Caps on what is held

void
gw_limits_clients_socket (broker_t *self, zsock_t *sock)
{
    zsock_set_router_mandatory (sock, 1);       //  a full or gone peer: an error, not silence
    zsock_set_sndtimeo (sock, 0);               //  never wait for a peer
}

bool
gw_limits_admit (broker_t *self, zframe_t *client_frame, size_t body_size, char *message,
                 size_t message_size)
{
    settings_t *settings = &self->settings;
    counters_t *counters = &self->counters;
    client_t *client = zhashx_lookup (self->client_table, client_frame);
    if (self->held >= settings->queue_max) {
        counters->busy_queue++;
        snprintf (message, message_size, "the gateway holds %zu requests, its limit "
                  "(queue-max); retry later", self->held);
    }
    else
    if (self->held_bytes + body_size > settings->held_bytes_max) {
        counters->busy_held_bytes++;
        snprintf (message, message_size, "the gateway holds %zu bytes of requests; %zu more "
                  "would pass its limit of %zu (held-bytes-max); retry later",
                  self->held_bytes, body_size, settings->held_bytes_max);
    }
    else
    if (client && client->requests >= settings->client_queue_max) {
        counters->busy_client_queue++;
        snprintf (message, message_size, "this client has %zu requests waiting or in flight, "
                  "its limit (client-queue-max); retry after some are answered",
                  client->requests);
    }
    else
    if ((client? client->bytes: 0) + body_size > settings->client_bytes_max) {
        counters->busy_client_bytes++;
        snprintf (message, message_size, "this client has %zu bytes of requests waiting or "
                  "in flight; %zu more would pass its limit of %zu (client-bytes-max); retry "
                  "after some are answered", client? client->bytes: 0, body_size,
                  settings->client_bytes_max);
    }
    else
        return true;
    return false;
}

void
gw_limits_hold (broker_t *self, request_t *request)
{
    client_t *client = zhashx_lookup (self->client_table, request->client);
    if (!client) {
        client = jm_calloc (1, sizeof *client);
        client->identity = zframe_dup (request->client);
        int rc = zhashx_insert (self->client_table, client->identity, client);
        assert (rc == 0);
        (void) rc;                  //  used only by the assert under -DNDEBUG
    }
    client->requests++;
    client->bytes += request->bytes;
    self->held_bytes += request->bytes;
    if (self->held_bytes > self->held_bytes_peak)
        self->held_bytes_peak = self->held_bytes;
}

void
gw_limits_release (broker_t *self, request_t *request)
{
    client_t *client = zhashx_lookup (self->client_table, request->client);
    assert (client && client->requests > 0 && client->bytes >= request->bytes);
    assert (self->held_bytes >= request->bytes);
    self->held_bytes -= request->bytes;
    client->bytes -= request->bytes;
    if (--client->requests == 0)
        zhashx_delete (self->client_table, client->identity);
}


//  --------------------------------------------------------------------------
//  Replies a client does not read

void
gw_limits_reply_dropped (broker_t *self, int error)
{
    //  EAGAIN: client-reply-max replies already wait for it; EHOSTUNREACH:
    //  it has disconnected
    if (error == EAGAIN)
        self->counters.replies_unread++;
    else
        self->counters.replies_gone++;
}
