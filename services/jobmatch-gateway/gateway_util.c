/*  gateway_util: the small helpers every part of the broker uses: the
    clock, rate-limited warnings about bad input, printable frames.  The
    lowest of the broker's files: it calls none of the others.  Part of
    the gateway broker; see gateway_internal.h.                            */
#include "gateway_internal.h"

#include <stdarg.h>

#define WARNINGS_PER_SECOND 10      //  malformed-input warnings logged per second

int64_t
gw_now_us (void)
{
    return zclock_usecs ();
}

//  Logs a warning about bad input, at most WARNINGS_PER_SECOND a second so
//  a misbehaving peer cannot flood the log; the rest are counted.
void
gw_warn (broker_t *self, const char *format, ...)
{
    int64_t second = self->now_ms / 1000;
    if (second != self->warn_second) {
        self->warn_second = second;
        self->warn_count = 0;
    }
    if (self->warn_count++ >= WARNINGS_PER_SECOND) {
        self->warnings_suppressed++;
        return;
    }
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    jm_log_warning ("%s", text);
}

const char *
gw_frame_hex (zframe_t *frame, char *buffer, size_t size)
{
    return jm_mdp_hex (zframe_data (frame), zframe_size (frame), buffer, size);
}
