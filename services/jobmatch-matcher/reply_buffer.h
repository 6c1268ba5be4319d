/*  reply_buffer: big replies, lent to libzmq.

    The matcher puts the big replies of a batch together in one buffer
    (replies.c) and sends them without a copy: libzmq sends each from the
    buffer and hands it back from its I/O thread once sent.  So a
    500-candidate reply (some 3.4 MB) is not copied once more to be sent.
    A reference count says who holds the buffer: the matcher, and each
    reply on its way; the last to let go frees it.  Kept from batch to
    batch, its pages are faulted in once, not for every reply.             */
#ifndef REPLY_BUFFER_H
#define REPLY_BUFFER_H

#include "jm_buf.h"
#include "jm_mdp.h"

#include <stdbool.h>
#include <stddef.h>

#define REPLY_BUFFER_LEND  (256u << 10)     //  smaller replies go as copies
#define REPLY_BUFFER_KEEP  (8u << 20)       //  a larger buffer is let go after its batch

typedef struct _reply_buffer_t reply_buffer_t;

//  A new, empty buffer, held by the caller.
reply_buffer_t *reply_buffer_new (void);

//  Lets go of the caller's hold and nulls the pointer: the buffer is freed
//  now, or by libzmq's hand-back of the last reply it still sends from it.
//  Safe on NULL.
void reply_buffer_destroy (reply_buffer_t **self_p);

//  True while libzmq still sends a reply from the buffer: then it must not
//  be written.
bool reply_buffer_lent (const reply_buffer_t *self);

//  The bytes, to write the replies into while the buffer is not lent.
jm_buf_t *reply_buffer_buf (reply_buffer_t *self);

//  Sends size bytes at offset as the reply to the request, lent (taking
//  the request, as jm_mdp_worker_reply).  Returns 0, or -1 when the reply
//  was dropped.
int reply_buffer_send (reply_buffer_t *self, jm_mdp_worker_t *worker,
                       jm_mdp_request_t **request_p, size_t offset, size_t size);

#endif
