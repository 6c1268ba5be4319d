/*  reply_buffer: memory lent to libzmq for a matcher's big replies.

    A reply to 500 candidates is a 2.5 MB frame.  Allocated fresh for each
    batch, it is mapped and faulted in page by page every time (main.c
    fixes glibc's mmap threshold at 512 KB so that such blocks leave the
    heap), about a tenth of a matcher's work under batch load.  One buffer
    kept from batch to batch avoids that: the matcher writes a reply into
    it when libzmq is not still sending the last one from it, libzmq sends
    it without a copy and hands it back from its I/O thread once sent.    */
#ifndef REPLY_BUFFER_H
#define REPLY_BUFFER_H

#include "jm_mdp.h"

#include <stdbool.h>
#include <stddef.h>

#define REPLY_BUFFER_MIN   (256u << 10)     //  smaller replies are plain frames
#define REPLY_BUFFER_MAX   (4u << 20)       //  larger ones too: not kept resident

typedef struct _reply_buffer_t reply_buffer_t;

//  A new buffer, empty until the first take.
reply_buffer_t *reply_buffer_new (void);

//  Destroys the buffer and nulls the pointer; when libzmq still holds it,
//  the hand-back frees it later.  Safe on NULL.
void reply_buffer_destroy (reply_buffer_t **self_p);

//  Room for a reply of size bytes, or NULL when the size is outside
//  [REPLY_BUFFER_MIN, REPLY_BUFFER_MAX], when libzmq still holds the
//  buffer or when it is taken already.  Then send it, or give it back.
char *reply_buffer_take (reply_buffer_t *self, size_t size);

//  The room taken (what reply_buffer_take returned).
const char *reply_buffer_data (const reply_buffer_t *self);

//  Gives back the room taken without sending it.
void reply_buffer_give_back (reply_buffer_t *self);

//  Sends size bytes of the buffer as the reply to the request (taking both,
//  as jm_mdp_worker_reply).  Returns 0, or -1 when the reply was dropped.
int reply_buffer_send (reply_buffer_t *self, jm_mdp_worker_t *worker,
                       jm_mdp_request_t **request_p, size_t size);

#endif
