/*  fuzz_dashboard_http: the dashboard's request target (path and query
    string) as a browser or an attacker sends it.  The input is the target
    of "GET <input> HTTP/1.1", parsed by libmicrohttpd exactly as the
    dashboard sets it up (no unescaping: dashboard.c's s_unescape_nothing)
    over a socket pair, then split and decoded by exchange.c as every
    handler sees it: jm_exchange_new (path segments, %-escapes) and
    jm_exchange_query (each parameter, the names api.c reads and every
    name the request carries), then GET /api/v1/taxonomy's handler, the
    one API handler that needs no Redis, reads q and limit.

    Checks: a decoded segment or value is no longer than what it was
    decoded from; the handler's response is JSON.                         */
// fuzz-sources: services/jobmatch-dashboard/exchange.c services/jobmatch-dashboard/bridge.c
// fuzz-sources: services/jobmatch-dashboard/api.c services/jobmatch-dashboard/reader.c
// fuzz-sources: services/jobmatch-dashboard/reader_rank.c services/jobmatch-dashboard/metrics.c
#include "fuzz_common.h"
#include "api.h"
#include "exchange.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <poll.h>
#include <sys/socket.h>

typedef struct {
    jm_app_t app;
    size_t target_len;
    bool answered;
} s_state_t;

//  As dashboard.c: exchange.c decodes each part itself.
static size_t
s_unescape_nothing (void *cls, struct MHD_Connection *connection, char *text)
{
    return strlen (text);
}

//  The handler filters the whole taxonomy document for each request: a small
//  taxonomy keeps the target fast
static const char s_taxonomy [] =
    "{\"version\":\"fuzz\",\"credits\":{\"implies\":0.8,\"sibling\":0.5,\"parent\":0.3},\"categori"
    "es\":[{\"id\":\"languages\",\"name\":\"Server-side languages\"},{\"id\":\"runtimes-framework"
    "s\",\"name\":\"Back-end runtimes and frameworks\"},{\"id\":\"sql-databases\",\"name\":\"SQL "
    "databases\"}],\"skills\":[{\"id\":\"java\",\"name\":\"Java\",\"category\":\"languages\",\"kind\":"
    "\"hard\",\"aliases\":[\"Core Java\",\"Java SE\",\"Java EE\",\"J2EE\",\"J2SE\",\"Jakarta EE\",\"Ja"
    "vaSE\",\"JavaEE\",\"JDK\",\"OpenJDK\"]},{\"id\":\"python\",\"name\":\"Python\",\"category\":\"lang"
    "uages\",\"kind\":\"hard\",\"aliases\":[\"Python3\",\"Python2\",\"CPython\",\"Python programmin"
    "g\"]},{\"id\":\"csharp\",\"name\":\"C#\",\"category\":\"languages\",\"kind\":\"hard\",\"aliases\":["
    "\"C Sharp\",\"Visual C#\"],\"implies\":[\"dotnet\"],\"implies_credit\":0.9},{\"id\":\"dotnet\""
    ",\"name\":\".NET\",\"category\":\"runtimes-frameworks\",\"kind\":\"hard\",\"aliases\":[\".NET C"
    "ore\",\"dotnet core\",\".NET Framework\",\"dot net\",\"Microsoft .NET\"]},{\"id\":\"postgres"
    "ql\",\"name\":\"PostgreSQL\",\"category\":\"sql-databases\",\"kind\":\"hard\",\"aliases\":[\"Pos"
    "tgres\",\"Postgre\",\"Postgre SQL\",\"pgSQL\",\"Postgres DB\"],\"implies\":[],\"implies_cred"
    "it\":1.0},{\"id\":\"mysql\",\"name\":\"MySQL\",\"category\":\"sql-databases\",\"kind\":\"hard\",\""
    "aliases\":[\"My SQL\",\"MySQL Server\",\"MySQL Workbench\"],\"implies\":[],\"implies_credi"
    "t\":1.0}],\"siblings\":[{\"skills\":[\"postgresql\",\"mysql\"],\"credit\":0.5}]}";

static enum MHD_Result
s_on_argument (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    jm_exchange_t *exchange = cls;
    const char *decoded = key ? jm_exchange_query (exchange, key) : NULL;
    //  a repeated name reads as its first value
    value = key ? MHD_lookup_connection_value (exchange->connection, MHD_GET_ARGUMENT_KIND, key) : NULL;
    FUZZ_CHECK (!decoded || !value || strlen (decoded) <= strlen (value) || strcmp (decoded, "\x01") == 0,
                "a decoded value is no longer than its text");
    return MHD_YES;
}

static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
              const char *version, const char *upload_data, size_t *upload_data_size,
              void **con_cls)
{
    s_state_t *state = cls;
    if (!*con_cls) {
        jm_exchange_t *exchange = jm_exchange_new (&state->app, connection, method, url, 1024);
        if (!exchange) {
            *con_cls = &state->app;         //  a marker: the path could not be decoded
            return MHD_YES;
        }
        for (int index = 0; index < exchange->segment_count; index++) {
            const char *segment = jm_exchange_segment (exchange, index);
            FUZZ_CHECK (segment && strlen (segment) <= strlen (url), "a segment is part of the path");
        }
        FUZZ_CHECK (!jm_exchange_segment (exchange, exchange->segment_count), "no segment past the count");
        static const char *names [] = { "offset", "limit", "min_score", "band", "q", "token", "" };
        for (size_t index = 0; index < sizeof names / sizeof names [0]; index++)
            (void) jm_exchange_query (exchange, names [index]);
        MHD_get_connection_values (connection, MHD_GET_ARGUMENT_KIND, s_on_argument, exchange);
        jm_api_taxonomy (exchange);
        FUZZ_CHECK (exchange->status, "the handler answers");
        json_t *response = json_loadb (exchange->out.data, exchange->out.len, 0, NULL);
        FUZZ_CHECK (json_is_object (response), "the handler's response is a JSON object");
        json_decref (response);
        *con_cls = exchange;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *response = MHD_create_response_from_buffer (2, (void *) "{}",
                                                                     MHD_RESPMEM_PERSISTENT);
    unsigned int status = *con_cls == &state->app ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_OK;
    enum MHD_Result result = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    state->answered = true;
    return result;
}

static void
s_on_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
                enum MHD_RequestTerminationCode code)
{
    s_state_t *state = cls;
    if (*con_cls && *con_cls != &state->app) {
        jm_exchange_t *exchange = *con_cls;
        jm_exchange_destroy (&exchange);
    }
    *con_cls = NULL;
}

static void
s_on_mhd_log (void *cls, const char *format, va_list args)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    static jm_taxonomy_t *taxonomy;
    static char *taxonomy_json;
    static size_t taxonomy_json_len;
    if (!taxonomy) {
        taxonomy = jm_taxonomy_new_from_text (s_taxonomy, sizeof s_taxonomy - 1, NULL);
        FUZZ_CHECK (taxonomy, "the small taxonomy loads");
        taxonomy_json = jm_api_taxonomy_json (taxonomy, &taxonomy_json_len);
    }
    s_state_t state;
    memset (&state, 0, sizeof state);
    state.app.taxonomy = taxonomy;
    state.app.taxonomy_json = taxonomy_json;
    state.app.taxonomy_json_len = taxonomy_json_len;
    state.target_len = size;
    struct MHD_Daemon *daemon = MHD_start_daemon (MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
        s_on_request, &state,
        MHD_OPTION_EXTERNAL_LOGGER, s_on_mhd_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, &state,
        MHD_OPTION_UNESCAPE_CALLBACK, s_unescape_nothing, NULL,
        MHD_OPTION_END);
    FUZZ_CHECK (daemon, "libmicrohttpd starts");
    int pair [2];
    FUZZ_CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0, "a socket pair");
    struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons (40000) };
    peer.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (MHD_add_connection (daemon, pair [0], (struct sockaddr *) &peer, sizeof peer) != MHD_YES) {
        close (pair [0]);
        close (pair [1]);
        MHD_stop_daemon (daemon);
        return 0;
    }
    //  the request, then end of input so that nothing waits for more
    char *request = malloc (size + 64);
    size_t len = 0;
    memcpy (request, "GET ", 4);
    len += 4;
    memcpy (request + len, data, size);
    len += size;
    static const char rest [] = " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    memcpy (request + len, rest, sizeof rest - 1);
    len += sizeof rest - 1;
    FUZZ_CHECK (write (pair [1], request, len) == (ssize_t) len, "the request is written");
    free (request);
    shutdown (pair [1], SHUT_WR);
    char reply [4096];
    for (int round = 0; round < 50; round++) {
        MHD_run (daemon);
        struct pollfd ready = { pair [1], POLLIN, 0 };
        if (poll (&ready, 1, round < 10 ? 0 : 1) > 0 && read (pair [1], reply, sizeof reply) <= 0)
            break;                          //  the daemon closed the connection
    }
    close (pair [1]);
    for (int round = 0; round < 3; round++)
        MHD_run (daemon);
    MHD_stop_daemon (daemon);
    return 0;
}
