/*  jm_store_calls: replies and batched calls of jm_store.

    A jm_store_calls_t collects commands in RESP in one buffer; jm_store_run
    sends them in pipelined round trips and copies every hiredis reply into
    a jm_reply_t, so no file outside the store sees a hiredis type.  A call
    of a Lua script (EVALSHA) that Redis did not know (NOSCRIPT) goes again
    once the scripts are loaded.  See jm_store.h and jm_store_internal.h.   */
#include "jm_store_internal.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



//  --------------------------------------------------------------------------
//  Replies and calls

static void
s_reply_clear (jm_reply_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        s_reply_clear (&self->items [i]);
    free (self->items);
    free (self->str);
    memset (self, 0, sizeof *self);
}

//  Copies a hiredis reply (and its elements) into out.
void
jm_store__reply_copy (jm_reply_t *out, const redisReply *in)
{
    memset (out, 0, sizeof *out);
    switch (in->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR:
            out->type = in->type == REDIS_REPLY_STATUS ? JM_REPLY_STATUS
                      : in->type == REDIS_REPLY_ERROR ? JM_REPLY_ERROR : JM_REPLY_STRING;
            out->str = jm_malloc (in->len + 1);
            memcpy (out->str, in->str, in->len);
            out->str [in->len] = '\0';
            out->len = in->len;
            break;
        case REDIS_REPLY_INTEGER:
            out->type = JM_REPLY_INTEGER;
            out->integer = in->integer;
            break;
        case REDIS_REPLY_ARRAY:
            out->type = JM_REPLY_ARRAY;
            out->count = in->elements;
            out->items = jm_calloc (in->elements ? in->elements : 1, sizeof (jm_reply_t));
            for (size_t i = 0; i < in->elements; i++)
                jm_store__reply_copy (&out->items [i], in->element [i]);
            break;
        default:
            out->type = JM_REPLY_NIL;
    }
}

const jm_reply_t *
jm_reply_item (const jm_reply_t *self, size_t index)
{
    if (!self || self->type != JM_REPLY_ARRAY || index >= self->count)
        return NULL;
    return &self->items [index];
}

const char *
jm_reply_str (const jm_reply_t *self)
{
    return self && (self->type == JM_REPLY_STRING || self->type == JM_REPLY_STATUS)
         ? self->str : NULL;
}

bool
jm_reply_int (const jm_reply_t *self, long long *value)
{
    if (!self)
        return false;
    if (self->type == JM_REPLY_INTEGER) {
        *value = self->integer;
        return true;
    }
    if (self->type != JM_REPLY_STRING || self->len == 0 || self->len > 20)
        return false;
    char *end;
    errno = 0;
    long long parsed = strtoll (self->str, &end, 10);
    if (errno || *end)
        return false;
    *value = parsed;
    return true;
}

bool
jm_reply_is_error (const jm_reply_t *self)
{
    return self && self->type == JM_REPLY_ERROR;
}

jm_store_calls_t *
jm_store_calls_new (void)
{
    jm_store_calls_t *self = jm_calloc (1, sizeof *self);
    return self;
}

void
jm_store__calls_clear_replies (jm_store_calls_t *self)
{
    for (size_t i = 0; i < self->reply_count; i++)
        s_reply_clear (&self->replies [i]);
    self->reply_count = 0;
    self->answered = false;
}

void
jm_store_calls_destroy (jm_store_calls_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_store_calls_t *self = *self_p;
    jm_store__calls_clear_replies (self);
    free (self->replies);
    free (self->calls);
    jm_store__bytes_free (&self->bytes);
    free (self);
    *self_p = NULL;
}

void
jm_store_calls_reset (jm_store_calls_t *self)
{
    assert (self);
    jm_store__calls_clear_replies (self);
    self->count = 0;
    self->bytes.len = 0;
    //  Give back the memory of a very large batch
    if (self->bytes.cap > (8u << 20))
        jm_store__bytes_free (&self->bytes);
}

//  Registers the bytes from start to the end of the buffer as one command.
size_t
jm_store__calls_commit (jm_store_calls_t *self, size_t start, bool script)
{
    jm_store__calls_clear_replies (self);
    if (self->count == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        self->calls = jm_realloc (self->calls, self->cap * sizeof (jm_store__call_t));
    }
    self->calls [self->count] = (jm_store__call_t) { start, self->bytes.len - start, script };
    return self->count++;
}

//  Fills lens [argc] with strlen of each argument when argvlen is NULL.
static const size_t *
s_lengths (int argc, const char **argv, const size_t *argvlen, size_t *local, size_t local_count,
           size_t **allocated)
{
    *allocated = NULL;
    if (argvlen)
        return argvlen;
    size_t *lens = local;
    if ((size_t) argc > local_count) {
        lens = *allocated = jm_malloc ((size_t) argc * sizeof (size_t));
    }
    for (int i = 0; i < argc; i++)
        lens [i] = strlen (argv [i]);
    return lens;
}

size_t
jm_store_calls_add (jm_store_calls_t *self, int argc, const char **argv, const size_t *argvlen)
{
    assert (self && argc >= 1 && argv);
    size_t local [16], *allocated;
    const size_t *lens = s_lengths (argc, argv, argvlen, local, 16, &allocated);
    size_t start = self->bytes.len;
    jm_store__bytes_command (&self->bytes, argc, argv, lens);
    free (allocated);
    return jm_store__calls_commit (self, start, false);
}

size_t
jm_store_calls_addv (jm_store_calls_t *self, const char *arg, ...)
{
    const char *argv [32];
    int argc = 0;
    va_list args;
    va_start (args, arg);
    for (const char *next = arg; next; next = va_arg (args, const char *)) {
        assert (argc < 32);
        argv [argc++] = next;
    }
    va_end (args);
    return jm_store_calls_add (self, argc, argv, NULL);
}

//  Appends EVALSHA <sha> <numkeys> argv... to bytes.
void
jm_store__bytes_script (jm_store__bytes_t *bytes, const jm_store_script_t *script, int numkeys,
                int argc, const char **argv, const size_t *argvlen)
{
    assert (script && numkeys >= 0 && numkeys <= argc);
    size_t local [32], *allocated;
    const size_t *lens = s_lengths (argc, argv, argvlen, local, 32, &allocated);
    const char **all = jm_malloc ((size_t) (argc + 3) * sizeof (char *));
    size_t *all_len = jm_malloc ((size_t) (argc + 3) * sizeof (size_t));
    char numkeys_text [16];
    all [0] = "EVALSHA";
    all_len [0] = 7;
    all [1] = script->sha;
    all_len [1] = 40;
    all_len [2] = (size_t) snprintf (numkeys_text, sizeof numkeys_text, "%d", numkeys);
    all [2] = numkeys_text;
    for (int i = 0; i < argc; i++) {
        all [i + 3] = argv [i];
        all_len [i + 3] = lens [i];
    }
    jm_store__bytes_command (bytes, argc + 3, all, all_len);
    free (all);
    free (all_len);
    free (allocated);
}

size_t
jm_store_calls_add_script (jm_store_calls_t *self, const jm_store_script_t *script,
                           int numkeys, int argc, const char **argv, const size_t *argvlen)
{
    assert (self);
    size_t start = self->bytes.len;
    jm_store__bytes_script (&self->bytes, script, numkeys, argc, argv, argvlen);
    return jm_store__calls_commit (self, start, true);
}

size_t
jm_store_calls_count (const jm_store_calls_t *self)
{
    assert (self);
    return self->count;
}

const jm_reply_t *
jm_store_calls_reply (const jm_store_calls_t *self, size_t index)
{
    assert (self);
    return self->answered && index < self->count ? &self->replies [index] : NULL;
}

void
jm_store__calls_prepare (jm_store_calls_t *self)
{
    jm_store__calls_clear_replies (self);
    if (self->count > self->reply_cap) {
        free (self->replies);
        self->reply_cap = self->count;
        self->replies = jm_calloc (self->reply_cap, sizeof (jm_reply_t));
    }
    memset (self->replies, 0, self->count * sizeof (jm_reply_t));
    self->reply_count = self->count;
}

static void
s_on_call_reply (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    jm_store_calls_t *calls = arg;
    jm_store__reply_copy (&calls->replies [index], reply);
}

//  After a round trip: sends again, one by one, the scripts Redis did not
//  know (its script cache was flushed), once they are loaded.
int
jm_store__calls_retry_noscript (jm_store_t *self, jm_store_calls_t *calls)
{
    for (size_t i = 0; i < calls->count; i++) {
        jm_reply_t *reply = &calls->replies [i];
        if (!calls->calls [i].script || reply->type != JM_REPLY_ERROR
        ||  strncmp (reply->str, "NOSCRIPT", 8) != 0)
            continue;
        self->scripts_dirty = true;
        if (jm_store__scripts_ready (self))
            return -1;
        s_reply_clear (reply);
        jm_store_calls_t one = { .replies = reply };
        if (jm_store__round_trip (self, calls->bytes.data + calls->calls [i].offset,
                                  calls->calls [i].len, 1, s_on_call_reply, &one))
            return -1;
    }
    return 0;
}

//  Logs the first error reply of a run, if any: once a minute while the
//  same error comes back, so a reader polling a broken key does not flood
//  the log.  Returns true when there was one.
static bool
s_first_error (jm_store_t *self, const jm_store_calls_t *calls)
{
    for (size_t i = 0; i < calls->count; i++) {
        const jm_reply_t *reply = &calls->replies [i];
        if (reply->type != JM_REPLY_ERROR)
            continue;
        char command [120];
        jm_store__describe_command (calls->bytes.data + calls->calls [i].offset,
                                    calls->calls [i].len, 0, command, sizeof command);
        char text [240];
        snprintf (text, sizeof text, "%s: %.200s", command, reply->str ? reply->str : "");
        int64_t now = jm_store__mono_ms ();
        if (strcmp (text, self->run_error) != 0 || now - self->run_error_ms >= 60000) {
            jm_log_warning ("redis %s: %s (treated as Redis unavailable)", self->endpoint, text);
            snprintf (self->run_error, sizeof self->run_error, "%s", text);
            self->run_error_ms = now;
        }
        return true;
    }
    return false;
}

int
jm_store_run (jm_store_t *self, jm_store_calls_t *calls)
{
    assert (self && calls);
    jm_store__calls_clear_replies (calls);
    if (calls->count == 0) {
        calls->answered = true;
        return 0;
    }
    if (!jm_store__ensure (self) || jm_store__scripts_ready (self))
        return -1;
    jm_store__calls_prepare (calls);
    //  Long runs go in pieces, which bounds what hiredis and Redis buffer
    size_t first = 0;
    while (first < calls->count) {
        size_t last = first, bytes = 0;
        while (last < calls->count && (last == first
           || (last - first < JM_STORE_PIPELINE_COMMANDS
            && bytes + calls->calls [last].len <= JM_STORE_PIPELINE_BYTES)))
            bytes += calls->calls [last++].len;
        jm_store_calls_t piece = { .replies = calls->replies + first };
        if (jm_store__round_trip (self, calls->bytes.data + calls->calls [first].offset, bytes,
                                  last - first, s_on_call_reply, &piece)) {
            jm_store__calls_clear_replies (calls);
            return -1;
        }
        first = last;
    }
    if (jm_store__calls_retry_noscript (self, calls)) {
        jm_store__calls_clear_replies (calls);
        return -1;
    }
    calls->answered = true;
    return s_first_error (self, calls) ? -1 : 0;
}

int
jm_store_append_script (jm_store_t *self, const jm_store_script_t *script,
                        int numkeys, int argc, const char **argv, const size_t *argvlen)
{
    assert (self);
    size_t start = jm_store__pending_begin (self);
    jm_store__bytes_script (&self->pend, script, numkeys, argc, argv, argvlen);
    return jm_store__pending_commit (self, start, 1);
}
