/*  jm_ratelimit: token buckets by client address.  See jm_ratelimit.h.

    The table is open addressing over a power-of-two number of slots; an
    address is looked for in PROBE consecutive slots from its hash.  Tokens
    are refilled lazily, when the address next asks.                     */
#include "jm_ratelimit.h"
#include "jm_alloc.h"

#include <assert.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PROBE   8                       //  slots an address may sit in

typedef struct {
    uint8_t key [17];                   //  family byte, then the address (or /64)
    bool used;
    double tokens;
    int64_t updated_us;                 //  when tokens was right
} s_bucket_t;

struct _jm_ratelimit_t {
    pthread_mutex_t lock;
    double rate;                        //  tokens a second
    double burst;
    s_bucket_t *buckets;
    size_t mask;                        //  slots - 1
};

jm_ratelimit_t *
jm_ratelimit_new (double rate, double burst, size_t slots)
{
    assert (rate > 0 && burst >= 1 && slots > 0);
    jm_ratelimit_t *self = jm_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    self->rate = rate;
    self->burst = burst;
    size_t size = PROBE;
    while (size < slots)
        size *= 2;
    self->buckets = jm_calloc (size, sizeof *self->buckets);
    self->mask = size - 1;
    return self;
}

void
jm_ratelimit_destroy (jm_ratelimit_t **self_p)
{
    assert (self_p);
    jm_ratelimit_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy (&self->lock);
    free (self->buckets);
    free (self);
    *self_p = NULL;
}

//  The bucket key of an address; false for families not limited.
static bool
s_key (const struct sockaddr *address, uint8_t key [17])
{
    memset (key, 0, 17);
    if (!address)
        return false;
    if (address->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *) address;
        key [0] = 4;
        memcpy (key + 1, &v4->sin_addr, 4);
        return true;
    }
    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *) address;
        if (IN6_IS_ADDR_V4MAPPED (&v6->sin6_addr)) {
            key [0] = 4;
            memcpy (key + 1, v6->sin6_addr.s6_addr + 12, 4);
        }
        else {
            key [0] = 6;
            memcpy (key + 1, v6->sin6_addr.s6_addr, 8);     //  the /64
        }
        return true;
    }
    return false;
}

//  FNV-1a over the key
static size_t
s_hash (const uint8_t key [17])
{
    uint64_t hash = 14695981039346656037ULL;
    for (int index = 0; index < 17; index++) {
        hash ^= key [index];
        hash *= 1099511628211ULL;
    }
    return (size_t) hash;
}

//  Brings a bucket's tokens up to now
static void
s_refill (jm_ratelimit_t *self, s_bucket_t *bucket, int64_t now_us)
{
    if (now_us > bucket->updated_us) {
        bucket->tokens += (double) (now_us - bucket->updated_us) / 1e6 * self->rate;
        if (bucket->tokens > self->burst)
            bucket->tokens = self->burst;
        bucket->updated_us = now_us;
    }
}

bool
jm_ratelimit_take (jm_ratelimit_t *self, const struct sockaddr *address, int64_t now_us,
                   int *retry_after_s)
{
    assert (self);
    uint8_t key [17];
    if (!s_key (address, key))
        return true;
    size_t start = s_hash (key);
    pthread_mutex_lock (&self->lock);
    s_bucket_t *bucket = NULL, *free_slot = NULL, *fullest = NULL;
    for (size_t step = 0; step < PROBE && !bucket; step++) {
        s_bucket_t *slot = &self->buckets [(start + step) & self->mask];
        if (slot->used && memcmp (slot->key, key, sizeof key) == 0)
            bucket = slot;
        else
        if (!slot->used) {
            if (!free_slot)
                free_slot = slot;
        }
        else {
            s_refill (self, slot, now_us);
            if (!free_slot && slot->tokens >= self->burst)
                free_slot = slot;           //  quiet long enough: forgets nothing
            if (!fullest || slot->tokens > fullest->tokens)
                fullest = slot;
        }
    }
    if (!bucket) {
        bucket = free_slot? free_slot: fullest;
        memcpy (bucket->key, key, sizeof key);
        bucket->used = true;
        bucket->tokens = self->burst;
        bucket->updated_us = now_us;
    }
    s_refill (self, bucket, now_us);
    bool allowed = bucket->tokens >= 1.0;
    if (allowed)
        bucket->tokens -= 1.0;
    else
    if (retry_after_s) {
        double seconds = ceil ((1.0 - bucket->tokens) / self->rate);
        *retry_after_s = seconds < 1? 1: seconds > 3600? 3600: (int) seconds;
    }
    pthread_mutex_unlock (&self->lock);
    return allowed;
}
