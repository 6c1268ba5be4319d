/*  Tests for jm_prom and jm_probe's address parsing: histogram buckets,
    label escaping, process_* present, listen addresses checked.          */
#include "jm_test.h"
#include "jm_probe.h"
#include "jm_prom.h"

#include <string.h>

JM_TEST (prom_histogram_cumulative_to_inf)
{
    jm_prom_histogram_t histogram;
    memset (&histogram, 0, sizeof histogram);
    jm_prom_histogram_observe (&histogram, 50);         //  first bucket (<= 100 us)
    jm_prom_histogram_observe (&histogram, 100);        //  on the bound: still the first
    jm_prom_histogram_observe (&histogram, 2000000);
    jm_prom_histogram_observe (&histogram, 99000000);   //  over every bound
    jm_prom_histogram_observe (&histogram, -5);         //  counts as 0
    jm_buf_t out;
    jm_buf_init (&out);
    jm_prom_histogram_render (&out, "x_seconds", "service", "a\"b", &histogram);
    JM_CHECK (strstr (out.data, "x_seconds_bucket{service=\"a\\\"b\",le=\"0.0001\"} 3\n"));
    JM_CHECK (strstr (out.data, "x_seconds_bucket{service=\"a\\\"b\",le=\"2.5\"} 4\n"));
    JM_CHECK (strstr (out.data, "x_seconds_bucket{service=\"a\\\"b\",le=\"+Inf\"} 5\n"));
    JM_CHECK (strstr (out.data, "x_seconds_count{service=\"a\\\"b\"} 5\n"));
    JM_CHECK (strstr (out.data, "x_seconds_sum{service=\"a\\\"b\"} 101.00015"));
    jm_buf_free (&out);
}

JM_TEST (prom_process_metrics_present)
{
    jm_buf_t out;
    jm_buf_init (&out);
    jm_prom_process (&out);
    const char *names [] = { "process_cpu_seconds_total ", "process_resident_memory_bytes ",
                             "process_start_time_seconds ", "process_open_fds ",
                             "process_max_fds ", "process_virtual_memory_bytes " };
    for (size_t index = 0; index < sizeof names / sizeof names [0]; index++)
        JM_CHECK (strstr (out.data, names [index]) != NULL);
    jm_buf_free (&out);
}

JM_TEST (probe_listen_addresses_checked)
{
    struct sockaddr_storage address;
    socklen_t size;
    bool loopback = false;
    JM_CHECK_INT (jm_probe_parse_listen ("--x", "127.0.0.1:9100", &address, &size, &loopback, NULL), 0);
    JM_CHECK (loopback);
    JM_CHECK_INT (jm_probe_parse_listen ("--x", "[::1]:0", &address, &size, &loopback, NULL), 0);
    JM_CHECK (loopback);
    JM_CHECK_INT (jm_probe_parse_listen ("--x", "*:9100", &address, &size, &loopback, NULL), 0);
    JM_CHECK (!loopback);
    const char *bad [] = { "9100", ":9100", "host:9100", "1.2.3.4:65536", "1.2.3.4:", "[::1:80",
                           "[]:80", "1.2.3.4:80x" };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        jm_error_t err = { 0 };
        JM_CHECK_INT (jm_probe_parse_listen ("--x", bad [index], &address, &size, &loopback, &err), -1);
        JM_CHECK (strstr (err.message, "--x") != NULL);
    }
}
