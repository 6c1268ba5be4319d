/*  replies: the jobmatch.match replies of a batch, held until the matcher
    knows whether the batch's writes are stored.

    Each new result in a reply says whether Redis has confirmed its writes
    ("stored", proto/services.md).  The matcher knows that only once it has
    flushed the batch's writes, after the replies are written (under load,
    while it parses the next batch).  So a reply is kept as parts and put
    together when it goes, with the "stored" decided then: each result is
    written once, into the batch's text (jm_replies_text), from where the
    store copies its JSON into its write too, and the reply takes it from
    there, closed with "cached" and "stored".  No text is rewritten.

    The matcher begins a reply for each request, adds its results and error
    entries (or fails it as a whole) and ends it; ended replies are held
    until jm_replies_release sends them all and empties the text for the
    next batch.  A big reply (REPLY_BUFFER_LEND or more) is put together in
    a buffer lent to libzmq (reply_buffer.h), so it is not copied again to
    be sent; a small one straight into its frame.  A reply goes back on
    the connection its request came on (jm_mdp_request_worker).           */
#ifndef JM_MATCHER_REPLIES_H
#define JM_MATCHER_REPLIES_H

#include "jm_buf.h"
#include "jm_error.h"
#include "jm_mdp.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct _jm_replies_t jm_replies_t;

//  A new, empty set of replies.
jm_replies_t *
    jm_replies_new (void);

//  Frees the replies; requests still held are destroyed unanswered (the
//  gateway gives them to another matcher).  Accepts NULL and nulls the
//  caller's pointer.
void
    jm_replies_destroy (jm_replies_t **self_p);

//  The batch's text (borrowed): the matcher writes each result's JSON here
//  before adding it, and may write here what must live as long as the
//  replies (a result's full JSON when its reply holds less).  It may move
//  as it grows; jm_replies_release empties it.
jm_buf_t *
    jm_replies_text (jm_replies_t *self);

//  Begins the reply to the request, taking it.  The reply before must be
//  ended.
void
    jm_replies_begin (jm_replies_t *self, jm_mdp_request_t **request_p);

//  Makes the reply begun the error reply {"ok": false, "error": {...}}:
//  nothing more is added to it.
void
    jm_replies_fail (jm_replies_t *self, const jm_error_t *error);

//  Adds the error entry of the candidate at position: {"position": N,
//  "candidate": id or null, "error": {...}}.
void
    jm_replies_add_error (jm_replies_t *self, int position, const char *id,
                          const jm_error_t *error);

//  Adds a result: the JSON object the text holds from offset to its end.
//  A cached one (taken from Redis) closes with "cached": true, "stored":
//  true; a new one with "cached": false and "stored" as released.
void
    jm_replies_add_result (jm_replies_t *self, size_t offset, bool cached);

//  Ends the reply begun; it is held until jm_replies_release.
void
    jm_replies_end (jm_replies_t *self);

//  How many replies are held.
int
    jm_replies_held (const jm_replies_t *self);

//  Sends every reply held, each new result saying "stored": stored, and
//  empties the text.  A reply whose connection has since been replaced is
//  dropped (the gateway has re-dispatched its request).
void
    jm_replies_release (jm_replies_t *self, bool stored);

#endif
