/*  Tests for jm_ratelimit: burst then refill at the rate, Retry-After,
    addresses counted apart (IPv6 by /64, mapped IPv4 as IPv4), a full
    table that forgets quiet addresses first, and threads sharing it.   */
#include "jm_test.h"
#include "jm_ratelimit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>

static struct sockaddr_in
s_v4 (const char *text)
{
    struct sockaddr_in address = { .sin_family = AF_INET };
    inet_pton (AF_INET, text, &address.sin_addr);
    return address;
}

static struct sockaddr_in6
s_v6 (const char *text)
{
    struct sockaddr_in6 address = { .sin6_family = AF_INET6 };
    inet_pton (AF_INET6, text, &address.sin6_addr);
    return address;
}

#define SA(x) ((const struct sockaddr *) &(x))

JM_TEST (ratelimit_burst_then_rate)
{
    jm_ratelimit_t *limit = jm_ratelimit_new (10, 5, 64);
    struct sockaddr_in one = s_v4 ("127.0.0.2"), two = s_v4 ("127.0.0.1");
    int64_t now = 1000000;
    for (int index = 0; index < 5; index++)
        JM_CHECK_MSG (jm_ratelimit_take (limit, SA (one), now, NULL), "burst request %d", index);
    int retry = 0;
    JM_CHECK (!jm_ratelimit_take (limit, SA (one), now, &retry));
    JM_CHECK_INT (retry, 1);
    //  another address has its own bucket
    JM_CHECK (jm_ratelimit_take (limit, SA (two), now, NULL));
    //  a tenth of a second brings one token back (10 a second), not two
    now += 100000;
    JM_CHECK (jm_ratelimit_take (limit, SA (one), now, NULL));
    JM_CHECK (!jm_ratelimit_take (limit, SA (one), now, NULL));
    //  a long pause refills to the burst, no further
    now += 60 * 1000000LL;
    int taken = 0;
    while (jm_ratelimit_take (limit, SA (one), now, NULL) && taken < 100)
        taken++;
    JM_CHECK_INT (taken, 5);
    jm_ratelimit_destroy (&limit);
    JM_CHECK (limit == NULL);
}

JM_TEST (ratelimit_retry_after_follows_the_rate)
{
    jm_ratelimit_t *limit = jm_ratelimit_new (0.25, 1, 8);     //  one every 4 s
    struct sockaddr_in one = s_v4 ("10.1.2.3");
    JM_CHECK (jm_ratelimit_take (limit, SA (one), 0, NULL));
    int retry = 0;
    JM_CHECK (!jm_ratelimit_take (limit, SA (one), 0, &retry));
    JM_CHECK_INT (retry, 4);
    JM_CHECK (!jm_ratelimit_take (limit, SA (one), 3000000, &retry));
    JM_CHECK_INT (retry, 1);
    JM_CHECK (jm_ratelimit_take (limit, SA (one), 4000000, NULL));
    jm_ratelimit_destroy (&limit);
}

JM_TEST (ratelimit_ipv6_by_network)
{
    jm_ratelimit_t *limit = jm_ratelimit_new (1, 2, 64);
    struct sockaddr_in6 a = s_v6 ("2001:db8:1:2::1"), b = s_v6 ("2001:db8:1:2:ffff::9"),
                        other = s_v6 ("2001:db8:1:3::1"), mapped = s_v6 ("::ffff:192.0.2.7");
    struct sockaddr_in plain = s_v4 ("192.0.2.7");
    JM_CHECK (jm_ratelimit_take (limit, SA (a), 0, NULL));
    JM_CHECK (jm_ratelimit_take (limit, SA (b), 0, NULL));
    JM_CHECK (!jm_ratelimit_take (limit, SA (a), 0, NULL));     //  the same /64
    JM_CHECK (jm_ratelimit_take (limit, SA (other), 0, NULL));
    JM_CHECK (jm_ratelimit_take (limit, SA (mapped), 0, NULL));
    JM_CHECK (jm_ratelimit_take (limit, SA (plain), 0, NULL));
    JM_CHECK (!jm_ratelimit_take (limit, SA (plain), 0, NULL));  //  the same IPv4 address
    //  other families and NULL are not limited
    struct sockaddr unix_address = { .sa_family = AF_UNIX };
    for (int index = 0; index < 10; index++)
        JM_CHECK (jm_ratelimit_take (limit, &unix_address, 0, NULL) && jm_ratelimit_take (limit, NULL, 0, NULL));
    jm_ratelimit_destroy (&limit);
}

JM_TEST (ratelimit_full_table_stays_bounded)
{
    //  8 slots, thousands of addresses: each new one finds a slot, and a
    //  busy address keeps its empty bucket while quiet ones come and go
    jm_ratelimit_t *limit = jm_ratelimit_new (1, 3, 8);
    struct sockaddr_in busy = s_v4 ("203.0.113.1");
    for (int index = 0; index < 3; index++)
        JM_CHECK (jm_ratelimit_take (limit, SA (busy), 0, NULL));
    JM_CHECK (!jm_ratelimit_take (limit, SA (busy), 0, NULL));
    for (int index = 0; index < 5000; index++) {
        struct sockaddr_in other = { .sin_family = AF_INET };
        other.sin_addr.s_addr = htonl (0x0a000000u + (uint32_t) index);
        JM_CHECK (jm_ratelimit_take (limit, SA (other), 1000 + index, NULL));
        if (index % 500 == 0)
            JM_CHECK_MSG (!jm_ratelimit_take (limit, SA (busy), 1000 + index, NULL),
                          "the busy address is still limited after %d others", index);
    }
    jm_ratelimit_destroy (&limit);
}

static jm_ratelimit_t *s_shared;
static int s_allowed [4];

static void *
s_taker (void *arg)
{
    int index = (int) (intptr_t) arg;
    struct sockaddr_in one = s_v4 ("198.51.100.1");
    for (int round = 0; round < 1000; round++)
        s_allowed [index] += jm_ratelimit_take (s_shared, SA (one), 0, NULL);
    return NULL;
}

JM_TEST (ratelimit_threads_share_one_bucket)
{
    s_shared = jm_ratelimit_new (1, 100, 16);
    pthread_t threads [4];
    for (int index = 0; index < 4; index++)
        pthread_create (&threads [index], NULL, s_taker, (void *) (intptr_t) index);
    for (int index = 0; index < 4; index++)
        pthread_join (threads [index], NULL);
    JM_CHECK_INT (s_allowed [0] + s_allowed [1] + s_allowed [2] + s_allowed [3], 100);
    jm_ratelimit_destroy (&s_shared);
}
