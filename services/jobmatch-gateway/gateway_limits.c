/*  gateway_limits: what bounds the gateway's memory and its waits.

    - Caps on what is held (waiting or at a worker): queue-max requests and
      held-bytes-max body bytes in all, client-queue-max requests and
      client-bytes-max bytes per client (its routing id).  A request past a
      cap is answered busy, with a message naming the cap.  Per-client
      counts live in a hash keyed by the routing id, with an entry only
      while the client holds something.
    - The deadline of a request held by a worker (request-timeout-ms from
      its dispatch): the tick takes it back, freeing the worker's slot and
      retiring its token (a reply that comes later is a late reply), and
      puts it at the front of its queue for another worker, or answers
      timeout after max-attempts dispatches.  A worker whose requests time
      out worker-timeouts-max times in a row, with no reply in time between
      them, holds requests without serving them: it is disconnected (its
      other requests go back to the queue).  A stock worker then reconnects
      and starts afresh; one that times out again is disconnected again.
    - Replies a client does not read: at most client-reply-max are queued
      to one client; past that (or when the client has gone) a reply is
      dropped and counted, and the loop never blocks.
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


//  --------------------------------------------------------------------------
//  Deadlines of requests held by workers

//  Why a request is answered timeout.
static void
s_describe_timeout (broker_t *self, request_t *request, char *message, size_t size)
{
    snprintf (message, size, "no reply after %d dispatch%s, each given %d ms (%.1f s since "
              "the gateway received it)", request->attempts, request->attempts == 1? "": "es",
              self->settings.request_timeout_ms,
              (double) (gw_now_us () - request->received_us) / 1e6);
}

bool
gw_limits_worker_overdue (broker_t *self, worker_t *worker)
{
    service_t *service = worker->service;
    int64_t timeout = self->settings.request_timeout_ms;
    //  The in-flight list is in dispatch order: only its head can be the
    //  first overdue
    request_t *head = worker->in_flight.head;
    if (!head || head->dispatched_ms + timeout > self->now_ms)
        return false;

    size_t failed = 0;
    request_list_t requeue = { NULL, NULL, 0 };
    while (worker->in_flight.head
       &&  worker->in_flight.head->dispatched_ms + timeout <= self->now_ms) {
        request_t *request = gw_request_take_back (self, worker);
        request->avoid_worker = worker->serial;
        worker->timeouts_in_row++;
        self->counters.timeouts++;
        if (gw_request_retry_or_fail (self, request, &requeue, JM_ERR_TIMEOUT,
                                      s_describe_timeout))
            failed++;
    }
    //  They go first, in the order they were dispatched
    size_t requeued = gw_service_requeue_first (self, service, &requeue);
    int limit = self->settings.worker_timeouts_max;
    bool disconnect = limit > 0 && worker->timeouts_in_row >= limit;
    gw_warn (self, "worker %s of service '%s' held requests past %d ms: %zu re-queued, "
             "%zu answered timeout; %d in a row%s", worker->key, service->name,
             self->settings.request_timeout_ms, requeued, failed, worker->timeouts_in_row,
             disconnect? ", disconnecting it": "");
    if (disconnect)
        gw_ready_remove (service, worker);
    else
    if (!worker->ready && worker->busy < worker->slots)
        gw_ready_append (service, worker);
    gw_service_dispatch (self, service);
    return disconnect;
}
