/*  Tests for the gateway's queue structures (services/jobmatch-gateway/
    gateway_queue.c, linked from the gateway's service archive): request
    lists keep order and size through append, prepend and remove from any
    place; a service's ready ring takes each worker once, in turn, and
    lets any of them leave; the tokens table finds a request by its token. */
#include "jm_test.h"
#include "../../services/jobmatch-gateway/gateway_internal.h"

#include <string.h>

//  Checks list holds requests in order, both ways, and its size.
static void
s_check_list (const request_list_t *list, request_t **want, size_t count)
{
    JM_CHECK_INT ((int) list->size, (int) count);
    request_t *at = list->head;
    for (size_t i = 0; i < count; i++, at = at->next)
        JM_CHECK (at == want [i]);
    JM_CHECK (at == NULL);
    at = list->tail;
    for (size_t i = count; i > 0; i--, at = at->prev)
        JM_CHECK (at == want [i - 1]);
    JM_CHECK (at == NULL);
}

JM_TEST (gateway_queue_list_keeps_order)
{
    request_t requests [4];
    memset (requests, 0, sizeof requests);
    request_t *a = &requests [0], *b = &requests [1], *c = &requests [2], *d = &requests [3];
    request_list_t list = { NULL, NULL, 0 };
    s_check_list (&list, NULL, 0);
    gw_list_append (&list, b);
    gw_list_append (&list, c);
    gw_list_prepend (&list, a);         //  a re-dispatched request goes first
    gw_list_append (&list, d);
    s_check_list (&list, (request_t *[]) { a, b, c, d }, 4);
    gw_list_remove (&list, c);          //  the middle
    s_check_list (&list, (request_t *[]) { a, b, d }, 3);
    JM_CHECK (c->prev == NULL && c->next == NULL);
    gw_list_remove (&list, a);          //  the head
    gw_list_remove (&list, d);          //  the tail
    s_check_list (&list, (request_t *[]) { b }, 1);
    gw_list_remove (&list, b);
    s_check_list (&list, NULL, 0);
    gw_list_prepend (&list, d);         //  into an empty list
    s_check_list (&list, (request_t *[]) { d }, 1);
}

JM_TEST (gateway_queue_ready_ring)
{
    service_t service;
    memset (&service, 0, sizeof service);
    worker_t workers [3];
    memset (workers, 0, sizeof workers);
    worker_t *a = &workers [0], *b = &workers [1], *c = &workers [2];
    gw_ready_append (&service, a);
    gw_ready_append (&service, b);
    gw_ready_append (&service, c);
    JM_CHECK (service.ready_head == a && service.ready_tail == c);
    JM_CHECK (a->ready && b->ready && c->ready);
    gw_ready_remove (&service, b);
    JM_CHECK (!b->ready && a->ready_next == c && c->ready_prev == a);
    gw_ready_remove (&service, b);      //  not in the ring: nothing happens
    JM_CHECK (service.ready_head == a && service.ready_tail == c);
    //  taking turns: the head leaves and comes back at the tail
    gw_ready_remove (&service, a);
    gw_ready_append (&service, a);
    JM_CHECK (service.ready_head == c && service.ready_tail == a);
    gw_ready_remove (&service, a);
    gw_ready_remove (&service, c);
    JM_CHECK (service.ready_head == NULL && service.ready_tail == NULL);
}

JM_TEST (gateway_queue_tokens_table)
{
    //  the broker's table of requests in flight, keyed on &request->token
    zhashx_t *tokens = zhashx_new ();
    zhashx_set_key_hasher (tokens, gw_token_hash);
    zhashx_set_key_comparator (tokens, gw_token_compare);
    zhashx_set_key_duplicator (tokens, NULL);
    zhashx_set_key_destructor (tokens, NULL);
    request_t requests [100];
    memset (requests, 0, sizeof requests);
    for (int i = 0; i < 100; i++) {
        //  tokens that differ only in their high half hash apart too
        requests [i].token = ((uint64_t) i << 32) | (uint64_t) (i % 7 + 1);
        JM_CHECK_INT (zhashx_insert (tokens, &requests [i].token, &requests [i]), 0);
    }
    JM_CHECK_INT ((int) zhashx_size (tokens), 100);
    for (int i = 0; i < 100; i++) {
        uint64_t token = ((uint64_t) i << 32) | (uint64_t) (i % 7 + 1);
        JM_CHECK (zhashx_lookup (tokens, &token) == &requests [i]);
    }
    uint64_t never = 12345;
    JM_CHECK (zhashx_lookup (tokens, &never) == NULL);
    zhashx_destroy (&tokens);
}
