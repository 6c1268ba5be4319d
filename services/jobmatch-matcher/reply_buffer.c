/*  reply_buffer: a batch's replies, lent to libzmq.  See reply_buffer.h.

    The reference count is the matcher's hold (one, until destroy) plus
    one per reply lent; the matcher's thread and libzmq's I/O thread
    change it with atomic operations only.                                 */
#include "reply_buffer.h"
#include "jm_alloc.h"

#include <assert.h>
#include <stdlib.h>

struct _reply_buffer_t {
    jm_buf_t buf;
    int refs;                   //  atomic
};

reply_buffer_t *
reply_buffer_new (void)
{
    reply_buffer_t *self = jm_calloc (1, sizeof *self);
    jm_buf_init (&self->buf);
    self->refs = 1;
    return self;
}

static void
s_unref (reply_buffer_t *self)
{
    if (__atomic_sub_fetch (&self->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        jm_buf_free (&self->buf);
        free (self);
    }
}

void
reply_buffer_destroy (reply_buffer_t **self_p)
{
    assert (self_p);
    if (*self_p)
        s_unref (*self_p);
    *self_p = NULL;
}

bool
reply_buffer_lent (const reply_buffer_t *self)
{
    assert (self);
    return __atomic_load_n (&self->refs, __ATOMIC_ACQUIRE) > 1;
}

jm_buf_t *
reply_buffer_buf (reply_buffer_t *self)
{
    assert (self);
    return &self->buf;
}

//  libzmq's hand-back, from its I/O thread (or from the sending call when
//  the reply was dropped).
static void
s_release (void *data, void *hint)
{
    s_unref (hint);
}

int
reply_buffer_send (reply_buffer_t *self, jm_mdp_worker_t *worker,
                   jm_mdp_request_t **request_p, size_t offset, size_t size)
{
    assert (self && offset + size <= self->buf.len);
    __atomic_add_fetch (&self->refs, 1, __ATOMIC_ACQ_REL);
    return jm_mdp_worker_reply_lent (worker, request_p, self->buf.data + offset, size,
                                     s_release, self);
}
