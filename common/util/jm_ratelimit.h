/*  jm_ratelimit: request rate limits per client address (token buckets).

    Each address has a bucket of burst tokens that refills at rate tokens a
    second; a request takes one token, and finds none when the address has
    sent more than burst requests beyond its rate.  IPv4 addresses count one
    by one; IPv6 addresses by their /64 network, since one host may hold a
    whole /64 (an IPv4-mapped IPv6 address counts as its IPv4 address).

    Buckets live in a fixed table of slots (memory stays bounded whatever
    the number of addresses): an address without a bucket takes a slot whose
    bucket is full again (its address quiet long enough to have lost
    nothing), else the fullest bucket of its probe window, which then starts
    full: an address that is being limited keeps its empty bucket longest.  Thread-safe: one mutex, held for a few comparisons.     */
#ifndef JM_RATELIMIT_H
#define JM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct _jm_ratelimit_t jm_ratelimit_t;

//  Creates the limiter: rate tokens a second (> 0), burst tokens at most
//  (>= 1), slots addresses tracked at once (rounded up to a power of two).
jm_ratelimit_t *
    jm_ratelimit_new (double rate, double burst, size_t slots);

//  Frees the limiter.  Accepts NULL and nulls the caller's pointer.
void
    jm_ratelimit_destroy (jm_ratelimit_t **self_p);

//  Takes one token for address at now_us (a monotonic clock, microseconds).
//  Returns true when the request may go on; false when the bucket is empty,
//  with *retry_after_s (may be NULL) set to the whole seconds until a token
//  is back (at least 1).  Addresses of other families (unix sockets) and
//  NULL are never limited.
bool
    jm_ratelimit_take (jm_ratelimit_t *self, const struct sockaddr *address, int64_t now_us,
                       int *retry_after_s);

#endif
