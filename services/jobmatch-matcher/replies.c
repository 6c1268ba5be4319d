/*  replies: a batch's jobmatch.match replies.  See replies.h.

    A reply is a list of parts, each a span of the batch's text: an error
    entry, or a whole error reply, sent as written; or a result less its
    closing brace, which the reply closes with how the result was served.
    Put together when released, a reply is {"ok":true,"results":[ then its
    parts separated by commas, then ]}; an error reply is its one part.   */
#include "replies.h"
#include "reply_buffer.h"
#include "jm_alloc.h"
#include "jm_log.h"

#include <czmq.h>
#include <string.h>

//  How a part ends: as written, or as a result closed with how it was served
typedef enum { PART_TEXT, PART_NEW, PART_CACHED } s_part_kind_t;

//  The closing of a part, by kind, then by "stored" (false, true)
static const char *s_closings [][2] = {
    [PART_TEXT]   = { "", "" },
    [PART_NEW]    = { ",\"cached\":false,\"stored\":false}", ",\"cached\":false,\"stored\":true}" },
    [PART_CACHED] = { ",\"cached\":true,\"stored\":true}", ",\"cached\":true,\"stored\":true}" }
};
static const char s_head [] = "{\"ok\":true,\"results\":[";
static const char s_tail [] = "]}";

typedef struct {
    size_t offset, len;         //  in the text (a result: less its closing brace)
    s_part_kind_t kind;
} s_part_t;

typedef struct {
    jm_mdp_request_t *request;
    size_t first_part, part_count;
    bool failed;                //  an error reply: its one part, as written
    size_t size;                //  put together (set at release)
    size_t lent_at;             //  where it is put together in the lent buffer
} s_reply_t;

struct _jm_replies_t {
    jm_buf_t text;
    s_part_t *parts;
    size_t part_count, part_cap;
    s_reply_t *replies;
    int reply_count, reply_cap;
    bool open;                  //  the last reply is begun, not ended
    reply_buffer_t *buffers [2];    //  big replies, lent to libzmq (reply_buffer.h)
};

jm_replies_t *
jm_replies_new (void)
{
    jm_replies_t *self = jm_calloc (1, sizeof *self);
    jm_buf_init (&self->text);
    return self;
}

void
jm_replies_destroy (jm_replies_t **self_p)
{
    assert (self_p);
    jm_replies_t *self = *self_p;
    if (!self)
        return;
    for (int r = 0; r < self->reply_count; r++)
        jm_mdp_request_destroy (&self->replies [r].request);
    reply_buffer_destroy (&self->buffers [0]);
    reply_buffer_destroy (&self->buffers [1]);
    jm_buf_free (&self->text);
    free (self->parts);
    free (self->replies);
    free (self);
    *self_p = NULL;
}

jm_buf_t *
jm_replies_text (jm_replies_t *self)
{
    assert (self);
    return &self->text;
}

void
jm_replies_begin (jm_replies_t *self, jm_mdp_request_t **request_p)
{
    assert (self && !self->open && request_p && *request_p);
    if (self->reply_count == self->reply_cap) {
        self->reply_cap = self->reply_cap ? self->reply_cap * 2 : 64;
        self->replies = jm_realloc (self->replies, self->reply_cap * sizeof (s_reply_t));
    }
    self->replies [self->reply_count++] = (s_reply_t) {
        .request = *request_p, .first_part = self->part_count
    };
    *request_p = NULL;
    self->open = true;
}

//  Adds a part to the reply begun.
static void
s_part_add (jm_replies_t *self, size_t offset, size_t len, s_part_kind_t kind)
{
    assert (self->open && !self->replies [self->reply_count - 1].failed);
    if (self->part_count == self->part_cap) {
        self->part_cap = self->part_cap ? self->part_cap * 2 : 1024;
        self->parts = jm_realloc (self->parts, self->part_cap * sizeof (s_part_t));
    }
    self->parts [self->part_count++] = (s_part_t) { offset, len, kind };
    self->replies [self->reply_count - 1].part_count++;
}

void
jm_replies_fail (jm_replies_t *self, const jm_error_t *error)
{
    assert (self && self->open && self->replies [self->reply_count - 1].part_count == 0);
    size_t offset = self->text.len;
    jm_buf_puts (&self->text, "{\"ok\":false,\"error\":");
    jm_error_write_json (error, &self->text);
    jm_buf_puts (&self->text, "}");
    s_part_add (self, offset, self->text.len - offset, PART_TEXT);
    self->replies [self->reply_count - 1].failed = true;
}

void
jm_replies_add_error (jm_replies_t *self, int position, const char *id, const jm_error_t *error)
{
    assert (self);
    size_t offset = self->text.len;
    jm_buf_printf (&self->text, "{\"position\":%d,\"candidate\":", position);
    jm_buf_json_str (&self->text, id);
    jm_buf_puts (&self->text, ",\"error\":");
    jm_error_write_json (error, &self->text);
    jm_buf_puts (&self->text, "}");
    s_part_add (self, offset, self->text.len - offset, PART_TEXT);
}

void
jm_replies_add_result (jm_replies_t *self, size_t offset, bool cached)
{
    assert (self);
    const jm_buf_t *text = &self->text;
    //  an object, its closing brace last (the matcher checks what Redis held)
    assert (offset + 1 < text->len && text->data [text->len - 1] == '}');
    s_part_add (self, offset, text->len - 1 - offset, cached ? PART_CACHED : PART_NEW);
}

void
jm_replies_end (jm_replies_t *self)
{
    assert (self && self->open);
    self->open = false;
}

int
jm_replies_held (const jm_replies_t *self)
{
    assert (self);
    return self->reply_count;
}

//  The size of a reply put together.
static size_t
s_reply_size (const jm_replies_t *self, const s_reply_t *reply, bool stored)
{
    size_t size = 0;
    if (!reply->failed)
        size = strlen (s_head) + strlen (s_tail) + (reply->part_count ? reply->part_count - 1 : 0);
    for (size_t p = reply->first_part; p < reply->first_part + reply->part_count; p++)
        size += self->parts [p].len + strlen (s_closings [self->parts [p].kind][stored]);
    return size;
}

//  Copies text to out, without its NUL; returns the end.
static char *
s_put (char *out, const char *text)
{
    size_t len = strlen (text);
    memcpy (out, text, len);
    return out + len;
}

//  Puts a reply together at out (s_reply_size bytes).
static void
s_reply_write (const jm_replies_t *self, const s_reply_t *reply, bool stored, char *out)
{
    char *start = out;
    if (!reply->failed)
        out = s_put (out, s_head);
    for (size_t p = reply->first_part; p < reply->first_part + reply->part_count; p++) {
        const s_part_t *part = &self->parts [p];
        if (p > reply->first_part)
            *out++ = ',';
        memcpy (out, self->text.data + part->offset, part->len);
        out = s_put (out + part->len, s_closings [part->kind][stored]);
    }
    if (!reply->failed)
        out = s_put (out, s_tail);
    assert ((size_t) (out - start) == reply->size);
}

//  The buffer for a batch's big replies, empty: the first of the two kept
//  that libzmq no longer sends from.  The second is made only when the
//  first is still being sent as the next batch goes; when both are, a new
//  one takes the second's place (the old one is freed once sent).
static reply_buffer_t *
s_lent_buffer (jm_replies_t *self)
{
    int index = 0;
    while (index < 2 && self->buffers [index] && reply_buffer_lent (self->buffers [index]))
        index++;
    if (index == 2)
        reply_buffer_destroy (&self->buffers [--index]);
    if (!self->buffers [index])
        self->buffers [index] = reply_buffer_new ();
    jm_buf_reset (reply_buffer_buf (self->buffers [index]));
    return self->buffers [index];
}

void
jm_replies_release (jm_replies_t *self, bool stored)
{
    assert (self && !self->open);
    //  the big replies are put together first, in one buffer sized for
    //  them all, which then does not move or change while lent
    size_t lent_size = 0;
    for (int r = 0; r < self->reply_count; r++) {
        s_reply_t *reply = &self->replies [r];
        reply->size = s_reply_size (self, reply, stored);
        if (reply->size >= REPLY_BUFFER_LEND)
            lent_size += reply->size;
    }
    reply_buffer_t *buffer = lent_size ? s_lent_buffer (self) : NULL;
    if (buffer) {
        jm_buf_t *lent = reply_buffer_buf (buffer);
        jm_buf_reserve (lent, lent_size);
        for (int r = 0; r < self->reply_count; r++) {
            s_reply_t *reply = &self->replies [r];
            if (reply->size < REPLY_BUFFER_LEND)
                continue;
            reply->lent_at = lent->len;
            s_reply_write (self, reply, stored, lent->data + lent->len);
            lent->len += reply->size;
        }
        lent->data [lent->len] = '\0';
    }
    for (int r = 0; r < self->reply_count; r++) {
        s_reply_t *reply = &self->replies [r];
        jm_log_debug ("request: %zu results, %zu bytes reply%s%s",
                      reply->failed ? 0 : reply->part_count, reply->size,
                      reply->failed ? ", error" : "", stored ? "" : ", not stored");
        jm_mdp_worker_t *worker = jm_mdp_request_worker (reply->request);
        if (reply->size >= REPLY_BUFFER_LEND)
            reply_buffer_send (buffer, worker, &reply->request, reply->lent_at, reply->size);
        else {
            zframe_t *frame = zframe_new (NULL, reply->size);
            s_reply_write (self, reply, stored, (char *) zframe_data (frame));
            jm_mdp_worker_reply (worker, &reply->request, &frame);
        }
    }
    if (buffer && reply_buffer_buf (buffer)->cap > REPLY_BUFFER_KEEP)
        reply_buffer_destroy (&self->buffers [buffer == self->buffers [0] ? 0 : 1]);
    self->reply_count = 0;
    self->part_count = 0;
    if (self->text.cap > REPLY_BUFFER_KEEP) {
        jm_buf_free (&self->text);      //  an outsized batch's memory goes back
        jm_buf_init (&self->text);
    }
    else
        jm_buf_reset (&self->text);
}
