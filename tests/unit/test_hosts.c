/*  Tests for jm_hosts: the allowed-hosts list (names, ports, IPv6, domains,
    "*"), malformed Host headers, and same-origin checks of Origin and
    Referer values.                                                        */
#include "jm_test.h"
#include "jm_hosts.h"

JM_TEST (hosts_default_loopback_names)
{
    jm_error_t err = { 0 };
    jm_hosts_t *hosts = jm_hosts_new ("localhost, 127.0.0.1,[::1]", &err);
    JM_REQUIRE (hosts);
    JM_CHECK_STR (jm_hosts_text (hosts), "localhost, 127.0.0.1, [::1]");
    const char *allowed [] = { "localhost", "localhost:8080", "LocalHost:1", "localhost.",
                               "localhost.:8080", "127.0.0.1", "127.0.0.1:65535", "[::1]",
                               "[::1]:8080", "[0:0:0:0:0:0:0:1]:80" };
    for (size_t index = 0; index < sizeof allowed / sizeof allowed [0]; index++)
        JM_CHECK_MSG (jm_hosts_allow (hosts, allowed [index]), "'%s' allowed", allowed [index]);
    const char *refused [] = { "evil.test", "evil.test:8080", "localhost.evil.test", "127.0.0.2",
                               "127.0.0.1.evil.test", "", ":8080", "localhost:", "localhost:65536",
                               "localhost:123456", "localhost:80a", "local host", "localhost/x",
                               "user@localhost", "[::1", "[::2]", "::1", "[::1]x", "[zz]",
                               "localhost:80:80", "localhost\r\nX: y", ".." };
    for (size_t index = 0; index < sizeof refused / sizeof refused [0]; index++)
        JM_CHECK_MSG (!jm_hosts_allow (hosts, refused [index]), "'%s' refused", refused [index]);
    JM_CHECK (!jm_hosts_allow (hosts, NULL));
    jm_hosts_destroy (&hosts);
    JM_CHECK (hosts == NULL);
    jm_hosts_destroy (&hosts);
}

JM_TEST (hosts_ports_domains_and_any)
{
    jm_hosts_t *hosts = jm_hosts_new ("dash.example.com:8443, .corp.example, ::1, 10.0.0.5", NULL);
    JM_REQUIRE (hosts);
    JM_CHECK (jm_hosts_allow (hosts, "dash.example.com:8443"));
    JM_CHECK (!jm_hosts_allow (hosts, "dash.example.com"));
    JM_CHECK (!jm_hosts_allow (hosts, "dash.example.com:8080"));
    JM_CHECK (jm_hosts_allow (hosts, "corp.example"));
    JM_CHECK (jm_hosts_allow (hosts, "a.b.corp.example:99"));
    JM_CHECK (!jm_hosts_allow (hosts, "evilcorp.example"));
    JM_CHECK (!jm_hosts_allow (hosts, "corp.example.evil"));
    JM_CHECK (jm_hosts_allow (hosts, "[::1]:1"));
    JM_CHECK (jm_hosts_allow (hosts, "10.0.0.5:8080"));
    JM_CHECK (!jm_hosts_allow (hosts, "localhost"));
    JM_CHECK_STR (jm_hosts_text (hosts), "dash.example.com:8443, .corp.example, [::1], 10.0.0.5");
    JM_CHECK_INT (jm_hosts_add (hosts, "localhost", NULL), 0);
    JM_CHECK (jm_hosts_allow (hosts, "localhost"));
    jm_hosts_destroy (&hosts);

    hosts = jm_hosts_new ("*", NULL);
    JM_REQUIRE (hosts);
    JM_CHECK (jm_hosts_allow (hosts, "anything.test:1"));
    JM_CHECK (!jm_hosts_allow (hosts, "not a host"));
    jm_hosts_destroy (&hosts);

    hosts = jm_hosts_new ("", NULL);
    JM_REQUIRE (hosts);
    JM_CHECK (!jm_hosts_allow (hosts, "localhost"));
    jm_hosts_destroy (&hosts);
}

JM_TEST (hosts_malformed_entries)
{
    const char *bad [] = { "local host", "a:b", "[::1", ".[::1]", ".example.com:80", "x:99999",
                           "http://localhost", "a/b", "localhost,,,@" };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        jm_error_t err = { 0 };
        jm_hosts_t *hosts = jm_hosts_new (bad [index], &err);
        JM_CHECK_MSG (!hosts, "'%s' refused", bad [index]);
        JM_CHECK_STR (err.code, "invalid_data");
        JM_CHECK_MSG (strstr (err.message, "is not a host name"), "message: %s", err.message);
        jm_hosts_destroy (&hosts);
    }
    //  empty entries and spaces are fine
    jm_hosts_t *hosts = jm_hosts_new (" , localhost ,, ", NULL);
    JM_REQUIRE (hosts);
    JM_CHECK (jm_hosts_allow (hosts, "localhost"));
    jm_hosts_destroy (&hosts);
}

JM_TEST (hosts_same_origin)
{
    JM_CHECK (jm_hosts_same_origin ("http://127.0.0.1:8080", "http", "127.0.0.1:8080"));
    JM_CHECK (jm_hosts_same_origin ("HTTP://LOCALHOST:8080", "http", "localhost:8080"));
    JM_CHECK (jm_hosts_same_origin ("http://127.0.0.1:8080/page?x=1#y", "http", "127.0.0.1:8080"));
    JM_CHECK (jm_hosts_same_origin ("http://localhost", "http", "localhost:80"));
    JM_CHECK (jm_hosts_same_origin ("https://localhost:443", "https", "localhost"));
    JM_CHECK (jm_hosts_same_origin ("http://[::1]:8080", "http", "[0::1]:8080"));
    //  another port, scheme or name is another origin
    JM_CHECK (!jm_hosts_same_origin ("http://127.0.0.1:9000", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("https://127.0.0.1:8080", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("http://localhost:8080", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("http://localhost", "https", "localhost"));
    JM_CHECK (!jm_hosts_same_origin ("http://evil.test:8080", "http", "127.0.0.1:8080"));
    //  malformed or opaque
    JM_CHECK (!jm_hosts_same_origin ("null", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("http://", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("http://user@127.0.0.1:8080", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("http:/127.0.0.1:8080", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("file:///etc/passwd", "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("http://127.0.0.1:8080", "http", "bad host"));
    JM_CHECK (!jm_hosts_same_origin (NULL, "http", "127.0.0.1:8080"));
    JM_CHECK (!jm_hosts_same_origin ("http://127.0.0.1:8080", "http", NULL));
}
