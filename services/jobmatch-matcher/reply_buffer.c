/*  reply_buffer: memory lent to libzmq for big replies.  See reply_buffer.h.

    The state says who holds the buffer: the matcher (free), libzmq
    (lent), or libzmq after the matcher was destroyed (orphaned: the
    hand-back frees it).  The matcher's thread and libzmq's I/O thread
    change it with atomic operations only.                                 */
#include "reply_buffer.h"

#include <assert.h>
#include <stdlib.h>

enum { S_FREE, S_LENT, S_ORPHANED };

struct _reply_buffer_t {
    char *data;
    size_t cap;
    int state;                  //  S_FREE, S_LENT or S_ORPHANED, atomic
    bool taken;                 //  free, but a reply is being written into it
};

reply_buffer_t *
reply_buffer_new (void)
{
    reply_buffer_t *self = calloc (1, sizeof *self);
    assert (self);
    return self;
}

static void
s_free (reply_buffer_t *self)
{
    free (self->data);
    free (self);
}

//  libzmq's hand-back, from its I/O thread (or from the sending call when
//  the reply was dropped).
static void
s_release (void *data, void *hint)
{
    reply_buffer_t *self = hint;
    if (__atomic_exchange_n (&self->state, S_FREE, __ATOMIC_ACQ_REL) == S_ORPHANED)
        s_free (self);
}

void
reply_buffer_destroy (reply_buffer_t **self_p)
{
    assert (self_p);
    reply_buffer_t *self = *self_p;
    if (!self)
        return;
    int lent = S_LENT;
    if (!__atomic_compare_exchange_n (&self->state, &lent, S_ORPHANED, false,
                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        s_free (self);          //  free: ours to free
    *self_p = NULL;
}

char *
reply_buffer_take (reply_buffer_t *self, size_t size)
{
    assert (self);
    if (size < REPLY_BUFFER_MIN || size > REPLY_BUFFER_MAX || self->taken
    ||  __atomic_load_n (&self->state, __ATOMIC_ACQUIRE) != S_FREE)
        return NULL;
    if (size > self->cap) {
        free (self->data);
        self->data = malloc (size);
        assert (self->data);
        self->cap = size;
    }
    self->taken = true;
    return self->data;
}

const char *
reply_buffer_data (const reply_buffer_t *self)
{
    assert (self && self->taken);
    return self->data;
}

void
reply_buffer_give_back (reply_buffer_t *self)
{
    assert (self && self->taken);
    self->taken = false;
}

int
reply_buffer_send (reply_buffer_t *self, jm_mdp_worker_t *worker,
                   jm_mdp_request_t **request_p, size_t size)
{
    assert (self && self->taken && size <= self->cap);
    self->taken = false;
    __atomic_store_n (&self->state, S_LENT, __ATOMIC_RELEASE);
    return jm_mdp_worker_reply_lent (worker, request_p, self->data, size, s_release, self);
}
