/*  gateway_queue: the gateway's requests and services.  Request lists,
    dispatch tokens, answering and freeing a request, and per service its
    queue, its ring of workers with free slots and dispatch from the one to
    the other.  Part of the gateway broker; see gateway_internal.h.        */
#include "gateway_internal.h"
#include "jm_alloc.h"


//  --------------------------------------------------------------------------
//  Request lists and tokens

void
gw_list_append (request_list_t *list, request_t *request)
{
    request->prev = list->tail;
    request->next = NULL;
    if (list->tail)
        list->tail->next = request;
    else
        list->head = request;
    list->tail = request;
    list->size++;
}

void
gw_list_prepend (request_list_t *list, request_t *request)
{
    request->prev = NULL;
    request->next = list->head;
    if (list->head)
        list->head->prev = request;
    else
        list->tail = request;
    list->head = request;
    list->size++;
}

void
gw_list_remove (request_list_t *list, request_t *request)
{
    if (request->prev)
        request->prev->next = request->next;
    else
        list->head = request->next;
    if (request->next)
        request->next->prev = request->prev;
    else
        list->tail = request->prev;
    request->prev = request->next = NULL;
    assert (list->size > 0);
    list->size--;
}

//  Tokens are 64-bit counters; the table keys on a pointer to the request's
//  own token field.
size_t
gw_token_hash (const void *key)
{
    uint64_t token = *(const uint64_t *) key;
    return (size_t) (token ^ (token >> 32));
}

int
gw_token_compare (const void *key_1, const void *key_2)
{
    return *(const uint64_t *) key_1 != *(const uint64_t *) key_2;
}

//  The wire form of a token: epoch (4 bytes) then counter (8 bytes), big-endian.
static void
s_token_encode (broker_t *self, uint64_t token, byte data [JM_MDP_TOKEN_SIZE])
{
    for (int index = 0; index < 4; index++)
        data [index] = (byte) (self->epoch >> (24 - 8 * index));
    for (int index = 0; index < 8; index++)
        data [4 + index] = (byte) (token >> (56 - 8 * index));
}

//  Returns the counter of a token of this run, or 0 (never issued).
uint64_t
gw_token_decode (broker_t *self, zframe_t *frame)
{
    if (zframe_size (frame) != JM_MDP_TOKEN_SIZE)
        return 0;
    const byte *data = zframe_data (frame);
    uint32_t epoch = 0;
    uint64_t token = 0;
    for (int index = 0; index < 4; index++)
        epoch = (epoch << 8) | data [index];
    for (int index = 4; index < JM_MDP_TOKEN_SIZE; index++)
        token = (token << 8) | data [index];
    return epoch == self->epoch? token: 0;
}


//  --------------------------------------------------------------------------
//  Requests

void
gw_request_destroy (broker_t *self, request_t **request_p)
{
    request_t *request = *request_p;
    gw_limits_release (self, request);
    gw_request_free_frames (request);
    free (request);
    *request_p = NULL;
    assert (self->held > 0);
    self->held--;
}

//  Answers a request (not in any list) with an error and destroys it.
void
gw_request_fail (broker_t *self, request_t **request_p, const char *code, const char *message)
{
    request_t *request = *request_p;
    const char *name = request->service->name;
    gw_request_send_error (self, request, code, message);
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char client [HEX_MAX];
        char id [64];
        jm_log_debug ("request %s from %s for '%s' answered %s",
                      gw_request_label (request, id, sizeof id),
                      gw_frame_hex (request->client, client, sizeof client), name, code);
    }
    gw_request_destroy (self, request_p);
}

//  Takes the request at the head of a worker's in-flight list back from it:
//  off the list and the tokens table (a late reply then finds nothing),
//  its slot freed.  Returns the request, in no list.
request_t *
gw_request_take_back (broker_t *self, worker_t *worker)
{
    request_t *request = worker->in_flight.head;
    assert (request);
    gw_list_remove (&worker->in_flight, request);
    zhashx_delete (self->tokens, &request->token);
    request->worker = NULL;
    worker->busy--;
    worker->service->in_flight--;
    self->in_flight--;
    return request;
}

//  Either re-queues a request taken back (onto requeue, to go first) or,
//  when it has had max-attempts dispatches, answers it with code and a
//  message made by describe.  Returns true when it was answered.
bool
gw_request_retry_or_fail (broker_t *self, request_t *request, request_list_t *requeue,
                          const char *code, void (*describe) (broker_t *, request_t *,
                                                              char *, size_t))
{
    if (request->attempts >= self->settings.max_attempts) {
        char message [160];
        describe (self, request, message, sizeof message);
        gw_request_fail (self, &request, code, message);
        return true;
    }
    request->queued_ms = self->now_ms;
    gw_list_append (requeue, request);
    return false;
}

//  Puts the requests of requeue at the front of their service's queue, in
//  their order, so they go before anything that arrived after them.
//  Returns how many.
size_t
gw_service_requeue_first (broker_t *self, service_t *service, request_list_t *requeue)
{
    size_t requeued = requeue->size;
    while (requeue->tail) {
        request_t *request = requeue->tail;
        gw_list_remove (requeue, request);
        gw_list_prepend (&service->queue, request);
    }
    self->queued += requeued;
    self->counters.redispatches += requeued;
    service->redispatched += requeued;
    return requeued;
}


//  --------------------------------------------------------------------------
//  Services

service_t *
gw_service_require (broker_t *self, const char *name)
{
    service_t *service = zhashx_lookup (self->services, name);
    if (!service) {
        service = jm_calloc (1, sizeof *service);
        service->name = jm_strdup (name);
        service->no_workers_since = self->now_ms;
        zhashx_insert (self->services, name, service);
    }
    return service;
}

void
gw_ready_append (service_t *service, worker_t *worker)
{
    assert (!worker->ready);
    worker->ready = true;
    worker->ready_prev = service->ready_tail;
    worker->ready_next = NULL;
    if (service->ready_tail)
        service->ready_tail->ready_next = worker;
    else
        service->ready_head = worker;
    service->ready_tail = worker;
}

void
gw_ready_remove (service_t *service, worker_t *worker)
{
    if (!worker->ready)
        return;
    if (worker->ready_prev)
        worker->ready_prev->ready_next = worker->ready_next;
    else
        service->ready_head = worker->ready_next;
    if (worker->ready_next)
        worker->ready_next->ready_prev = worker->ready_prev;
    else
        service->ready_tail = worker->ready_prev;
    worker->ready_prev = worker->ready_next = NULL;
    worker->ready = false;
}

//  Sends one waiting request to a worker with a free slot, under a new token.
static void
s_request_dispatch (broker_t *self, request_t *request, worker_t *worker)
{
    service_t *service = request->service;
    request->token = ++self->next_token;
    request->attempts++;
    self->counters.dispatches++;
    request->dispatched_us = gw_now_us ();
    service->dispatched++;
    request->worker = worker;
    request->dispatched_ms = self->now_ms;
    int rc = zhashx_insert (self->tokens, &request->token, request);
    assert (rc == 0);
    (void) rc;                  //  used only by the assert under -DNDEBUG
    gw_list_append (&worker->in_flight, request);
    worker->busy++;
    service->in_flight++;
    self->queued--;
    self->in_flight++;

    byte token [JM_MDP_TOKEN_SIZE];
    s_token_encode (self, request->token, token);
    gw_request_send (self, request, worker, token, sizeof token);
    if (jm_log_enabled (JM_LOG_DEBUG)) {
        char id [64];
        jm_log_debug ("request %s for '%s' dispatched to %s (attempt %d)",
                      gw_request_label (request, id, sizeof id), service->name,
                      worker->key, request->attempts);
    }
}

//  Hands waiting requests to workers with free slots, taking turns.
void
gw_service_dispatch (broker_t *self, service_t *service)
{
    while (service->queue.head && service->ready_head) {
        worker_t *worker = service->ready_head;
        request_t *request = service->queue.head;
        //  A request taken back from a worker that held it too long goes
        //  to another worker when one has a free slot
        if (request->avoid_worker == worker->serial && worker->ready_next)
            worker = worker->ready_next;
        gw_list_remove (&service->queue, request);
        s_request_dispatch (self, request, worker);
        gw_ready_remove (service, worker);
        if (worker->busy < worker->slots)
            gw_ready_append (service, worker);
    }
}

//  Answers no_workers to the requests that have waited long enough for a
//  service without workers.  The queue is in waiting order, so this stops
//  at the first request still within its wait.
void
gw_service_expire_waiting (broker_t *self, service_t *service)
{
    if (service->worker_count > 0)
        return;
    int64_t wait = self->settings.no_worker_wait_ms;
    while (service->queue.head) {
        request_t *request = service->queue.head;
        int64_t since = request->queued_ms > service->no_workers_since?
                        request->queued_ms: service->no_workers_since;
        if (since + wait > self->now_ms)
            break;
        gw_list_remove (&service->queue, request);
        self->queued--;
        char message [128];
        snprintf (message, sizeof message, "no worker for service '%.64s' within %d ms",
                  service->name, self->settings.no_worker_wait_ms);
        gw_request_fail (self, &request, JM_ERR_NO_WORKERS, message);
    }
}

void
gw_service_destroy (service_t **service_p)
{
    service_t *service = *service_p;
    free (service->name);
    free (service);
    *service_p = NULL;
}
