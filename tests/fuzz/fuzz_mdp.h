/*  fuzz_mdp: turns a fuzz input into a ZeroMQ message for the Majordomo
    decoder targets (fuzz_mdp_*.c).

    Input: one byte N, the frame count, then N frames, each a length byte L
    and L bytes; L = 255 is followed by two bytes of big-endian length.  A
    frame cut short by the end of the input keeps what there is, and the
    frames after it are empty, so a short input can still make a message
    of up to 255 frames (N = 0 makes 1000, for the frame-count limits).
    Also checks what every decoder promises: a frame it returns belongs to
    the message.                                                          */
#ifndef JM_FUZZ_MDP_H
#define JM_FUZZ_MDP_H

#include "jm_mdp_decode.h"

#include <stdint.h>
#include <stdlib.h>

static inline zmsg_t *
fuzz_mdp_message (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    if (size == 0)
        return msg;
    size_t count = data [0]? data [0]: 1000;
    size_t at = 1;
    for (size_t frame = 0; frame < count; frame++) {
        size_t length = at < size? data [at++]: 0;
        if (length == 255) {
            length = 0;
            for (int byte_index = 0; byte_index < 2 && at < size; byte_index++)
                length = (length << 8) | data [at++];
        }
        if (length > size - at)
            length = size - at;
        zmsg_addmem (msg, data + at, length);
        at += length;
    }
    return msg;
}

static volatile uint8_t fuzz_mdp_sink;

//  Aborts unless frame is NULL or one of msg's frames.  Reads the frame's
//  bytes, so the sanitizers see a stale pointer.
static inline void
fuzz_mdp_check_frame (zmsg_t *msg, zframe_t *frame)
{
    if (!frame)
        return;
    for (size_t index = 0; index < zframe_size (frame); index++)
        fuzz_mdp_sink += zframe_data (frame) [index];
    size_t count = zmsg_size (msg);
    zframe_t *walk = zmsg_first (msg);
    for (size_t index = 0; index < count; index++) {
        if (walk == frame)
            return;
        walk = zmsg_next (msg);
    }
    abort ();
}

#endif
