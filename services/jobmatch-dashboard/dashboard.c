/*  dashboard: libmicrohttpd wiring, routing, authentication and responses.
    See dashboard.h.

    libmicrohttpd calls s_on_request several times for each request:

        first call      create the exchange, check the address's rate and
                        the Host, route it, check a write's origin and
                        Content-Type, the token and Content-Length; answer
                        at once when any fails
        body chunks     append to the exchange (past max-body: dropped,
                        answered 413 at the end)
        last call       run the route's handler; when it returns WAIT,
                        submit its gateway calls and suspend the connection
        after resume    run the handler again (next stage) until it answers

    s_on_completed frees the exchange when libmicrohttpd is done with the
    connection's request.  Paths are taken raw (the unescape callback does
    nothing) and decoded per segment in exchange.c, so an id may contain an
    escaped '/'.                                                           */
#include "dashboard.h"
#include "api.h"
#include "bridge.h"
#include "exchange.h"
#include "jm_engine.h"
#include "jm_hosts.h"
#include "jm_log.h"
#include "jm_probe.h"
#include "jm_ratelimit.h"
#include "jm_store.h"
#include "jm_taxonomy.h"
#include "metrics.h"
#include "reader.h"
#include "web.h"
#include "jm_alloc.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

//  Security headers on every response.  The page loads nothing but its own
//  files, runs no inline script, and is never framed.
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
            "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

struct _jm_dashboard_t {
    jm_app_t app;
    struct MHD_Daemon *daemon;
    jm_web_t *web;
    jm_taxonomy_t *taxonomy;
    char *token;                    //  NULL: no token asked
    size_t max_body;
    int port;
    jm_hosts_t *hosts;              //  Host names it answers (DNS rebinding)
    jm_ratelimit_t *rate_limit;     //  requests per address; NULL: off
    char *tls_cert;                 //  PEM; NULL: plain HTTP
    char *tls_key;
    const char *scheme;             //  "http" or "https", for Origin checks
    int drain_ms;                   //  at the stop, how long requests in flight may take
    int active;                     //  requests being served (atomic: every HTTP thread)
    bool draining;                  //  stopping: responses close their connection
};

//  --------------------------------------------------------------------------
//  Routes

#define AUTH    1                   //  needs the token, when one is set
#define STATIC  2                   //  a page file: matches only existing files
#define PAGE    4                   //  needs the token too, also taken from
                                    //  ?token= or the cookie that sets
#define COOKIE  "jm_token"

static int s_static (jm_exchange_t *self);

typedef struct {
    jm_method_t method;             //  GET routes answer HEAD too
    const char *pattern;            //  {name} matches one non-empty segment
    jm_handler_fn *handler;
    int flags;
} s_route_t;

static const s_route_t s_routes [] = {
    { JM_METHOD_GET,    "/api/v1/jobs",                                 jm_api_jobs_list, AUTH },
    { JM_METHOD_GET,    "/api/v1/jobs/{job}",                           jm_api_job_get, AUTH },
    { JM_METHOD_PUT,    "/api/v1/jobs/{job}",                           jm_api_job_put, AUTH },
    { JM_METHOD_DELETE, "/api/v1/jobs/{job}",                           jm_api_job_delete, AUTH },
    { JM_METHOD_GET,    "/api/v1/jobs/{job}/ranking",                   jm_api_ranking, AUTH },
    { JM_METHOD_GET,    "/api/v1/jobs/{job}/summary",                   jm_api_summary, AUTH },
    { JM_METHOD_GET,    "/api/v1/jobs/{job}/results/{candidate}",       jm_api_result, AUTH },
    { JM_METHOD_GET,    "/api/v1/candidates/{candidate}/results",       jm_api_candidate_results, AUTH },
    { JM_METHOD_POST,   "/api/v1/match",                                jm_api_match, AUTH },
    { JM_METHOD_POST,   "/api/v1/best",                                 jm_api_best, AUTH },
    { JM_METHOD_GET,    "/api/v1/taxonomy",                             jm_api_taxonomy, AUTH },
    { JM_METHOD_GET,    "/api/v1/system",                               jm_api_system, AUTH },
    { JM_METHOD_GET,    "/metrics",                                     jm_metrics_handler, AUTH },
    { JM_METHOD_GET,    "/healthz",                                     jm_health_handler, 0 },
    { JM_METHOD_GET,    "/livez",                                       jm_live_handler, 0 },
    { JM_METHOD_GET,    "/readyz",                                      jm_ready_handler, 0 },
    { JM_METHOD_GET,    "/",                                            s_static, PAGE },
    { JM_METHOD_GET,    "/{file}",                                      s_static, STATIC | PAGE },
};
#define ROUTES (sizeof s_routes / sizeof s_routes [0])

static const char *
s_method_name (jm_method_t method)
{
    static const char *names [] = { "OTHER", "GET", "HEAD", "POST", "PUT", "DELETE" };
    return names [method];
}

//  True when the exchange's segments fit the pattern.
static bool
s_route_matches (const jm_dashboard_t *self, const s_route_t *route, jm_exchange_t *exchange)
{
    const char *cursor = route->pattern + 1;
    int index = 0;
    while (*cursor) {
        const char *slash = strchr (cursor, '/');
        size_t size = slash? (size_t) (slash - cursor): strlen (cursor);
        const char *segment = jm_exchange_segment (exchange, index++);
        if (!segment)
            return false;
        if (cursor [0] == '{') {
            if (!*segment)
                return false;
        }
        else
        if (strlen (segment) != size || memcmp (segment, cursor, size) != 0)
            return false;
        cursor += size + (slash? 1: 0);
    }
    if (index != exchange->segment_count)
        return false;
    if (route->flags & STATIC)
        return jm_web_find (self->web, jm_exchange_segment (exchange, 0)) != NULL;
    return true;
}

//  Constant-time comparison, so the time taken says nothing about the token.
static bool
s_token_equal (const char *given, const char *token)
{
    size_t given_size = strlen (given), size = strlen (token);
    unsigned char diff = given_size != size;
    for (size_t index = 0; index < size; index++)
        diff |= (unsigned char) token [index] ^ (unsigned char) (index < given_size? given [index]: 0);
    return diff == 0;
}

static bool
s_authorized (jm_dashboard_t *self, struct MHD_Connection *connection)
{
    if (!self->token)
        return true;
    const char *header = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_AUTHORIZATION);
    if (!header || strncasecmp (header, "Bearer ", 7) != 0)
        return false;
    header += 7;
    while (*header == ' ')
        header++;
    return s_token_equal (header, self->token);
}

//  True when a token may travel in a cookie: no byte a cookie value
//  cannot hold unquoted.
static bool
s_cookie_safe (const char *token)
{
    for (const char *c = token; *c; c++)
        if (!(isalnum ((unsigned char) *c) || strchr ("-._~+/=", *c)))
            return false;
    return true;
}

//  The page's files: the header, else the cookie, else ?token= (which then
//  sets the cookie, so the page's own files and reloads need no more).
//  The API takes the header only, so no other site can use the cookie.
static bool
s_page_authorized (jm_dashboard_t *self, jm_exchange_t *exchange)
{
    if (s_authorized (self, exchange->connection))
        return true;
    const char *cookie = MHD_lookup_connection_value (exchange->connection, MHD_COOKIE_KIND, COOKIE);
    if (cookie && s_token_equal (cookie, self->token))
        return true;
    const char *given = jm_exchange_query (exchange, "token");
    if (given && s_token_equal (given, self->token)) {
        exchange->set_cookie = s_cookie_safe (self->token);
        return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Guards: Host, request rate, and where writes come from

//  Sets an error response whose "header" names the request header at fault.
static void __attribute__ ((format (printf, 4, 5)))
s_header_error (jm_exchange_t *exchange, const char *code, const char *header, const char *format, ...)
{
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    json_t *error = json_pack ("{s:s, s:s, s:s}", "code", code, "message", message, "header", header);
    jm_exchange_error_object (exchange, error);
    json_decref (error);
}

//  A peer's header value as it may appear in an error message: at most 64
//  bytes ("..." when cut), control characters as '?'.
static void
s_header_shown (const char *value, char *shown, size_t size)
{
    snprintf (shown, size, "%.64s%s", value? value: "", value && strlen (value) > 64? "...": "");
    for (char *c = shown; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7f)
            *c = '?';
}

//  Refuses a request whose Host is not one of ours (421) or whose address
//  sent too many (429).  True when it set the response.
static bool
s_guard_refused (jm_dashboard_t *self, jm_exchange_t *exchange)
{
    struct MHD_Connection *connection = exchange->connection;
    if (self->rate_limit) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        int retry_after = 1;
        if (!jm_ratelimit_take (self->rate_limit, info? info->client_addr: NULL,
                                jm_exchange_now_us (), &retry_after)) {
            jm_exchange_error (exchange, "rate_limited", "too many requests from this address; "
                               "retry after %d s (--rate-limit, --rate-burst)", retry_after);
            exchange->retry_after = retry_after;
            return true;
        }
    }
    const char *host = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_HOST);
    if (!jm_hosts_allow (self->hosts, host)) {
        char shown [80];
        s_header_shown (host, shown, sizeof shown);
        if (host)
            s_header_error (exchange, "misdirected_request", MHD_HTTP_HEADER_HOST,
                            "the Host header '%s' is not a name of this dashboard (--allowed-hosts)",
                            shown);
        else
            s_header_error (exchange, "misdirected_request", MHD_HTTP_HEADER_HOST,
                            "the request has no Host header; this dashboard needs one");
        return true;
    }
    return false;
}

//  True when content_type is application/json, with parameters or not.
static bool
s_is_json (const char *content_type)
{
    if (!content_type)
        return false;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    size_t size = strlen ("application/json");
    if (strncasecmp (content_type, "application/json", size) != 0)
        return false;
    const char *rest = content_type + size;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == 0 || *rest == ';';
}

//  A write (POST, PUT, DELETE) must come from this dashboard's own origin
//  when a browser says where it comes from (Origin, else Referer; and
//  Sec-Fetch-Site when sent), and carry JSON: a form or a "simple" fetch of
//  another site can then never write, with or without a token.  Sets 403
//  or 415 and returns true when refused.
static bool
s_write_refused (jm_dashboard_t *self, jm_exchange_t *exchange)
{
    struct MHD_Connection *connection = exchange->connection;
    const char *host = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_HOST);
    const char *origin = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Origin");
    const char *header = "Origin";
    if (!origin) {
        origin = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER);
        header = MHD_HTTP_HEADER_REFERER;
    }
    if (origin && !jm_hosts_same_origin (origin, self->scheme, host)) {
        char shown [80];
        s_header_shown (origin, shown, sizeof shown);
        s_header_error (exchange, "cross_origin", header,
                        "the %s header says another origin ('%s'): only this dashboard's own "
                        "page may write", header, shown);
        return true;
    }
    const char *site = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site && strcmp (site, "same-origin") != 0 && strcmp (site, "none") != 0) {
        s_header_error (exchange, "cross_origin", "Sec-Fetch-Site",
                        "a write from another site (Sec-Fetch-Site: %s) is refused", site);
        return true;
    }
    const char *type = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_TYPE);
    //  a DELETE carries no body: it may say no Content-Type
    if (!s_is_json (type) && (type || exchange->method != JM_METHOD_DELETE)) {
        s_header_error (exchange, "unsupported_media_type", MHD_HTTP_HEADER_CONTENT_TYPE,
                        "a write must send \"Content-Type: application/json\"");
        return true;
    }
    return false;
}

//  Finds the exchange's route and checks the token.  Sets the handler, or
//  an error response (404, 405, 403, 415, 401).
static void
s_route (jm_dashboard_t *self, jm_exchange_t *exchange)
{
    jm_method_t method = exchange->method == JM_METHOD_HEAD? JM_METHOD_GET: exchange->method;
    const s_route_t *found = NULL;
    char allow [64] = "";
    for (size_t index = 0; index < ROUTES && !found; index++) {
        const s_route_t *route = &s_routes [index];
        if (!s_route_matches (self, route, exchange))
            continue;
        if (route->method == method)
            found = route;
        else
        if (strlen (allow) + 16 < sizeof allow) {
            if (*allow)
                strcat (allow, ", ");
            strcat (allow, s_method_name (route->method));
            if (route->method == JM_METHOD_GET)
                strcat (allow, ", HEAD");
            exchange->route = route->pattern;
        }
    }
    if (found) {
        exchange->route = found->pattern;
        if (found->method != JM_METHOD_GET && s_write_refused (self, exchange))
            return;
        if ((found->flags & AUTH) && !s_authorized (self, exchange->connection)) {
            jm_exchange_error (exchange, "unauthorized",
                               "this dashboard needs \"Authorization: Bearer <token>\"");
            return;
        }
        if ((found->flags & PAGE) && self->token && !s_page_authorized (self, exchange)) {
            jm_exchange_error (exchange, "unauthorized",
                               "this dashboard needs its token: open it once as /?token=<token>");
            return;
        }
        exchange->handler = found->handler;
    }
    else
    if (*allow) {
        snprintf (exchange->allow, sizeof exchange->allow, "%s", allow);
        jm_exchange_error (exchange, "method_not_allowed", "%s is not allowed here; use %s",
                           s_method_name (exchange->method), allow);
    }
    else {
        exchange->route = "(unmatched)";
        jm_exchange_error (exchange, "not_found", "no such path");
    }
}

//  --------------------------------------------------------------------------
//  Static files

//  The page's files; dashboard.c answers them itself from memory
static int
s_static (jm_exchange_t *self)
{
    jm_dashboard_t *dashboard = self->app->owner;
    const char *name = self->segment_count? jm_exchange_segment (self, 0): "index.html";
    const jm_web_file_t *file = jm_web_find (dashboard->web, name);
    if (!file)
        return jm_exchange_error (self, "not_found", "no such file");
    self->file = file;
    self->status = 200;
    return JM_EXCHANGE_DONE;
}

//  --------------------------------------------------------------------------
//  Responses

static void
s_common_headers (struct MHD_Response *response)
{
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (response, "X-Frame-Options", "DENY");
}

//  Queues the exchange's response and counts it.
static enum MHD_Result
s_respond (jm_dashboard_t *self, jm_exchange_t *exchange)
{
    assert (exchange->status);
    struct MHD_Response *response;
    int status = exchange->status;
    const jm_web_file_t *file = exchange->file;
    if (file) {
        const char *match = MHD_lookup_connection_value (exchange->connection, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_IF_NONE_MATCH);
        bool fresh = match && strcmp (match, file->etag) == 0;
        status = fresh? MHD_HTTP_NOT_MODIFIED: MHD_HTTP_OK;
        response = MHD_create_response_from_buffer (fresh? 0: file->size, (void *) file->data,
                                                    MHD_RESPMEM_PERSISTENT);
        jm_alloc_check (response, "HTTP response");
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, file->content_type);
        MHD_add_response_header (response, MHD_HTTP_HEADER_ETAG, file->etag);
        MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header (response, "Content-Security-Policy", CSP);
    }
    else {
        size_t size;
        char *data = jm_buf_steal (&exchange->out, &size);
        response = data
                 ? MHD_create_response_from_buffer_with_free_callback (size, data, free)
                 : MHD_create_response_from_buffer (0, (void *) "", MHD_RESPMEM_PERSISTENT);
        jm_alloc_check (response, "HTTP response");
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                 exchange->content_type? exchange->content_type: "application/json");
        MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header (response, "Content-Security-Policy", "default-src 'none'");
    }
    s_common_headers (response);
    if (exchange->retry_after) {
        char seconds [16];
        snprintf (seconds, sizeof seconds, "%d", exchange->retry_after);
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
    }
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header (response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                 "Bearer realm=\"jobmatch\"");
    if (exchange->set_cookie) {
        char cookie [600];
        snprintf (cookie, sizeof cookie, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", self->token,
                  self->tls_cert? "; Secure": "");
        MHD_add_response_header (response, MHD_HTTP_HEADER_SET_COOKIE, cookie);
    }
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, exchange->allow);
    if (__atomic_load_n (&self->draining, __ATOMIC_RELAXED))
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result result = MHD_queue_response (exchange->connection, (unsigned) status, response);
    MHD_destroy_response (response);
    int64_t latency = jm_exchange_now_us () - exchange->started_us;
    jm_metrics_record (self->app.metrics, exchange->route? exchange->route: "(unmatched)",
                       s_method_name (exchange->method), status, exchange->error_code, latency);
    jm_log_debug ("%s %s -> %d%s%s in %.3f ms", s_method_name (exchange->method),
                  exchange->route? exchange->route: "?", status, *exchange->error_code? " ": "",
                  exchange->error_code, latency / 1000.0);
    return result;
}

//  --------------------------------------------------------------------------
//  libmicrohttpd callbacks

static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
              const char *version, const char *upload_data, size_t *upload_data_size,
              void **con_cls)
{
    jm_dashboard_t *self = cls;
    jm_exchange_t *exchange = *con_cls;
    if (!exchange) {
        exchange = jm_exchange_new (&self->app, connection, method, url, self->max_body);
        if (!exchange) {
            exchange = jm_exchange_new (&self->app, connection, method, "/", self->max_body);
            exchange->route = "(unmatched)";
            jm_exchange_error (exchange, JM_ERR_INVALID_REQUEST, "the path has a bad %%-escape or a NUL byte");
        }
        *con_cls = exchange;
        __atomic_add_fetch (&self->active, 1, __ATOMIC_RELAXED);
        if (!exchange->status && s_guard_refused (self, exchange))
            exchange->route = "(refused)";
        if (!exchange->status)
            s_route (self, exchange);
        const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!exchange->status && length && strtoull (length, NULL, 10) > self->max_body)
            jm_exchange_error (exchange, JM_ERR_TOO_LARGE, "the request body is over %zu bytes",
                               self->max_body);
        //  answered before the body: libmicrohttpd drops the body and closes
        return exchange->status? s_respond (self, exchange): MHD_YES;
    }
    if (*upload_data_size) {
        jm_exchange_take_body (exchange, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (exchange->status)
        return MHD_YES;                 //  already answered
    if (exchange->suspended) {
        exchange->suspended = false;
        exchange->stage++;
    }
    if (exchange->handler (exchange) == JM_EXCHANGE_WAIT) {
        jm_exchange_submit (exchange);
        return MHD_YES;
    }
    return s_respond (self, exchange);
}

static void
s_on_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
                enum MHD_RequestTerminationCode code)
{
    jm_dashboard_t *self = cls;
    jm_exchange_t *exchange = *con_cls;
    if (exchange)
        __atomic_sub_fetch (&self->active, 1, __ATOMIC_RELAXED);
    jm_exchange_destroy (&exchange);
    *con_cls = NULL;
}

//  Leaves the path and query escaped: exchange.c decodes each part itself.
static size_t
s_unescape_nothing (void *cls, struct MHD_Connection *connection, char *text)
{
    return strlen (text);
}

//  The last libmicrohttpd message of this thread: why a start failed
static __thread char s_mhd_last_log [256];

static void
s_on_mhd_log (void *cls, const char *format, va_list args)
{
    char text [512];
    vsnprintf (text, sizeof text, format, args);
    size_t len = strlen (text);
    while (len && text [len - 1] == '\n')
        text [--len] = 0;
    snprintf (s_mhd_last_log, sizeof s_mhd_last_log, "%s", text);
    jm_log_warning ("http: %s", text);
}

//  --------------------------------------------------------------------------
//  Start and stop

#define PEM_MAX     (1024 * 1024)

//  Reads a PEM file for --tls-cert or --tls-key (what names it).  Returns
//  the text (caller frees), or NULL with err filled.
static char *
s_read_pem (const char *path, const char *what, const char *kind, jm_error_t *err)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        jm_error_set (err, JM_ERR_IO, "%s: cannot read %s: %s", what, path, strerror (errno));
        return NULL;
    }
    char *text = jm_malloc (PEM_MAX + 1);
    size_t size = fread (text, 1, PEM_MAX + 1, file);
    bool failed = ferror (file);
    fclose (file);
    text [size <= PEM_MAX? size: PEM_MAX] = 0;
    if (failed || size > PEM_MAX || !strstr (text, "-----BEGIN ") || !strstr (text, kind)) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "%s: %s is %s", what, path,
                      failed? "unreadable": size > PEM_MAX? "over 1 MiB, not a PEM file"
                      : strcmp (kind, "KEY-----") == 0? "not a PEM private key"
                      : "not a PEM certificate");
        free (text);
        return NULL;
    }
    return text;
}

//  Checks with GnuTLS (libmicrohttpd's TLS) that the certificate and key
//  load and belong together, since libmicrohttpd only says it failed.
//  Returns 0, or -1 with err filled.
static int
s_check_tls_pair (const char *cert, const char *key, const char *cert_path, const char *key_path,
                  jm_error_t *err)
{
    gnutls_certificate_credentials_t credentials;
    if (gnutls_certificate_allocate_credentials (&credentials) != GNUTLS_E_SUCCESS)
        return jm_error_set (err, JM_ERR_IO, "--tls-cert: GnuTLS cannot start");
    gnutls_datum_t cert_data = { (unsigned char *) cert, (unsigned int) strlen (cert) };
    gnutls_datum_t key_data = { (unsigned char *) key, (unsigned int) strlen (key) };
    int rc = gnutls_certificate_set_x509_key_mem2 (credentials, &cert_data, &key_data,
                                                   GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials (credentials);
    if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "--tls-cert %s and --tls-key %s do not match: "
                             "the key is not the certificate's", cert_path, key_path);
    if (rc < 0)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "--tls-cert %s, --tls-key %s: %s",
                             cert_path, key_path, gnutls_strerror (rc));
    return 0;
}

//  Frees a key, wiping it first
static void
s_free_secret (char **text_p)
{
    if (*text_p) {
        explicit_bzero (*text_p, strlen (*text_p));
        free (*text_p);
        *text_p = NULL;
    }
}

//  The host part of a --listen address ("[v6]" kept), or "" for a
//  wildcard address: the name a browser reaching it sends in Host.
static void
s_listen_host (const char *listen, char *host, size_t size)
{
    const char *colon = strrchr (listen, ':');
    size_t length = colon? (size_t) (colon - listen): 0;
    snprintf (host, size, "%.*s", (int) length, listen);
    if (strcmp (host, "*") == 0 || strcmp (host, "0.0.0.0") == 0 || strcmp (host, "[::]") == 0
    ||  strcmp (host, "[0:0:0:0:0:0:0:0]") == 0)
        *host = 0;
}

//  Raises the open-file limit to fit connections (plus Redis, ZeroMQ and
//  files); returns the connections that fit when the hard limit is lower.
static unsigned int
s_fit_connections (unsigned int connections)
{
    const rlim_t spare = 256;
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY
    ||  limit.rlim_cur >= connections + spare)
        return connections;
    rlim_t wanted = connections + spare;
    if (limit.rlim_max != RLIM_INFINITY && wanted > limit.rlim_max)
        wanted = limit.rlim_max;
    limit.rlim_cur = wanted;
    if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        getrlimit (RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur >= connections + spare)
        return connections;
    unsigned int fit = limit.rlim_cur > 2 * spare? (unsigned int) (limit.rlim_cur - spare): 64;
    jm_log_warning ("--max-connections %u does not fit the open-file limit %llu: serving at most "
                    "%u connections", connections, (unsigned long long) limit.rlim_cur, fit);
    return fit;
}

jm_dashboard_t *
jm_dashboard_new (jm_config_t *config, jm_error_t *err)
{
    assert (config);
    jm_dashboard_t *self = jm_calloc (1, sizeof *self);
    pthread_mutex_init (&self->app.store_lock, NULL);
    pthread_cond_init (&self->app.reader_free, NULL);
    pthread_mutex_init (&self->app.ranked_lock, NULL);
    self->app.ranked_seen = json_object ();
    self->app.owner = self;
    self->app.started_us = jm_exchange_now_us ();
    self->app.timeout_ms = (int) jm_config_int (config, "timeout-ms");
    self->app.health_timeout_ms = (int) jm_config_int (config, "health-timeout-ms");
    self->app.min_matchers = (int) jm_config_int (config, "min-matchers");
    self->app.search_scan_max = (int) jm_config_int (config, "search-scan-max");
    self->max_body = (size_t) jm_config_int (config, "max-body");
    self->drain_ms = (int) jm_config_int (config, "drain-ms");
    const char *token = jm_config_string (config, "token");
    self->token = *token? jm_strdup (token): NULL;
    self->scheme = "http";

    struct sockaddr_storage address;
    socklen_t address_size;
    bool loopback = false;
    const char *listen = jm_config_string (config, "listen");
    if (jm_probe_parse_listen ("--listen", listen, &address, &address_size, &loopback, err))
        goto failed;

    //  who may reach it: Host names, and how often an address may ask
    self->hosts = jm_hosts_new (jm_config_string (config, "allowed-hosts"), err);
    char listen_host [128];
    s_listen_host (listen, listen_host, sizeof listen_host);
    if (!self->hosts || (*listen_host && jm_hosts_add (self->hosts, listen_host, err))) {
        jm_error_prefix (err, "--allowed-hosts: ");
        goto failed;
    }
    double rate = jm_config_double (config, "rate-limit");
    if (rate > 0)
        self->rate_limit = jm_ratelimit_new (rate, (double) jm_config_int (config, "rate-burst"), 4096);

    //  HTTPS: both files, readable, PEM; GnuTLS checks that they match
    const char *tls_cert = jm_config_string (config, "tls-cert");
    const char *tls_key = jm_config_string (config, "tls-key");
    if (*tls_cert || *tls_key) {
        if (!*tls_cert || !*tls_key) {
            jm_error_set (err, JM_ERR_INVALID_DATA, "--tls-cert and --tls-key go together: %s is missing",
                          *tls_cert? "--tls-key": "--tls-cert");
            goto failed;
        }
        if (MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES) {
            jm_error_set (err, JM_ERR_IO, "--tls-cert: this libmicrohttpd was built without TLS");
            goto failed;
        }
        self->tls_cert = s_read_pem (tls_cert, "--tls-cert", "CERTIFICATE-----", err);
        if (!self->tls_cert)
            goto failed;
        self->tls_key = s_read_pem (tls_key, "--tls-key", "KEY-----", err);
        if (!self->tls_key || s_check_tls_pair (self->tls_cert, self->tls_key, tls_cert, tls_key, err))
            goto failed;
        self->scheme = "https";
    }

    //  the taxonomy, for autocomplete
    const char *data = jm_config_string (config, "data");
    if (!*data)
        data = jm_data_dir_find ();
    if (!data) {
        jm_error_set (err, JM_ERR_IO, "no data directory: set --data or JOBMATCH_DATA_DIR to the "
                                      "folder holding taxonomy.json");
        goto failed;
    }
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/taxonomy.json", data);
    self->taxonomy = jm_taxonomy_load (path, err);
    if (!self->taxonomy) {
        jm_error_prefix (err, "%s: ", path);
        goto failed;
    }
    self->app.taxonomy = self->taxonomy;
    self->app.taxonomy_json = jm_api_taxonomy_json (self->taxonomy, &self->app.taxonomy_json_len);
    self->app.builtin_jobs = jm_reader_builtin_jobs (data);

    //  the page's files
    const char *web_root = jm_config_string (config, "web-root");
    if (!*web_root)
        web_root = jm_web_root_find ();
    if (!web_root) {
        jm_error_set (err, JM_ERR_IO, "no web root: set --web-root to the folder holding index.html");
        goto failed;
    }
    self->web = jm_web_new (web_root, err);
    if (!self->web)
        goto failed;

    //  Redis: the reads of reader.c, /healthz and /metrics
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.key_namespace = jm_config_string (config, "namespace");
    options.connect_timeout_ms = 500;
    options.command_timeout_ms = 500;
    self->app.store = jm_store_new_from_config (config, &options, err);
    if (!self->app.store)
        goto failed;
    int readers = (int) jm_config_int (config, "threads");
    if (readers > JM_APP_READERS_MAX)
        readers = JM_APP_READERS_MAX;
    for (int index = 0; index < readers; index++) {
        self->app.readers [index] = jm_store_new_from_config (config, &options, err);
        if (!self->app.readers [index])
            goto failed;
        self->app.reader_count++;
    }

    //  the gateway
    self->app.gateway = jm_strdup (jm_config_string (config, "gateway"));
    jm_curve_t *curve = NULL;
    if (jm_curve_client_from (jm_config_string (config, "curve-server"),
                              jm_config_string (config, "curve-cert"), &curve, err))
        goto failed;
    self->app.bridge = jm_bridge_new (self->app.gateway, curve, err);
    jm_curve_destroy (&curve);
    if (!self->app.bridge)
        goto failed;
    self->app.metrics = jm_metrics_new ();

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME
                       | MHD_USE_ERROR_LOG;
    if (address.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (self->tls_cert)
        flags |= MHD_USE_TLS;
    //  bounds against floods of idle or slow connections: per address, in
    //  all, and an idle timeout (a request waiting for the gateway is
    //  suspended, and never times out that way)
    unsigned int threads = (unsigned int) jm_config_int (config, "threads");
    unsigned int connections = s_fit_connections ((unsigned int) jm_config_int (config, "max-connections"));
    if (connections < threads)
        connections = threads;
    struct MHD_OptionItem tls_options [] = {
        { MHD_OPTION_HTTPS_MEM_CERT, 0, self->tls_cert },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, self->tls_key },
        { MHD_OPTION_END, 0, NULL }
    };
    s_mhd_last_log [0] = 0;
    self->daemon = MHD_start_daemon (flags, 0, NULL, NULL, s_on_request, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, self,
        MHD_OPTION_UNESCAPE_CALLBACK, s_unescape_nothing, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) jm_config_int (config, "connection-timeout-s"),
        MHD_OPTION_CONNECTION_LIMIT, connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) jm_config_int (config, "max-connections-per-ip"),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int) 1024,
        MHD_OPTION_ARRAY, self->tls_cert? tls_options: tls_options + 2,
        MHD_OPTION_END);
    if (!self->daemon && self->tls_cert && strstr (s_mhd_last_log, "TLS"))
        jm_error_set (err, JM_ERR_INVALID_DATA, "--tls-cert %s, --tls-key %s: %s", tls_cert, tls_key,
                      s_mhd_last_log);
    if (!self->daemon) {
        jm_error_set (err, JM_ERR_IO, "cannot listen on %s (taken, or not an address of this host)%s%s",
                      listen, *s_mhd_last_log? ": ": "", s_mhd_last_log);
        goto failed;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info? info->port: 0;
    jm_log_info ("serving %s://%s (port %d) with %d threads; gateway %s; redis %s; web %s; "
                 "taxonomy %s; token %s", self->scheme, listen, self->port, (int) jm_config_int (config, "threads"),
                 self->app.gateway, jm_store_endpoint (self->app.store), jm_web_root (self->web),
                 jm_taxonomy_version (self->taxonomy), self->token? "required": "off");
    if (!loopback && !self->token)
        jm_log_warning ("listening beyond loopback without --token: anyone who reaches %s can "
                        "read and change jobs", listen);
    if (!loopback && !self->tls_cert)
        jm_log_warning ("listening beyond loopback without --tls-cert: the token and candidates' "
                        "data cross the network in clear");
    jm_log_info ("allowed hosts: %s; at most %u connections, %d per address, idle timeout %d s; "
                 "rate limit %s", jm_hosts_text (self->hosts), connections,
                 (int) jm_config_int (config, "max-connections-per-ip"),
                 (int) jm_config_int (config, "connection-timeout-s"), self->rate_limit? "on": "off");
    return self;

failed:
    jm_dashboard_destroy (&self);
    return NULL;
}

//  Waits until no request is being served, or drain-ms has passed.
static void
s_drain (jm_dashboard_t *self)
{
    __atomic_store_n (&self->draining, true, __ATOMIC_RELAXED);
    int active = __atomic_load_n (&self->active, __ATOMIC_RELAXED);
    if (active == 0)
        return;
    jm_log_info ("stopping: waiting up to %d ms for %d requests in flight", self->drain_ms, active);
    struct timespec now, tick = { 0, 10 * 1000 * 1000 };
    clock_gettime (CLOCK_MONOTONIC, &now);
    int64_t deadline = (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000 + self->drain_ms;
    while ((active = __atomic_load_n (&self->active, __ATOMIC_RELAXED)) > 0) {
        clock_gettime (CLOCK_MONOTONIC, &now);
        if ((int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000 >= deadline)
            break;
        nanosleep (&tick, NULL);
    }
    if (active)
        jm_log_warning ("stopping: %d requests still in flight after %d ms are ended", active,
                        self->drain_ms);
    else
        jm_log_info ("stopping: every request in flight finished");
}

void
jm_dashboard_destroy (jm_dashboard_t **self_p)
{
    assert (self_p);
    jm_dashboard_t *self = *self_p;
    if (!self)
        return;
    //  stop taking connections, let the requests in flight finish (for up
    //  to drain-ms), answer those still waiting for the gateway (the bridge
    //  fails its calls, which resumes them), then close everything
    MHD_socket listener = self->daemon? MHD_quiesce_daemon (self->daemon): MHD_INVALID_SOCKET;
    if (self->daemon)
        s_drain (self);
    if (self->app.bridge)
        jm_bridge_stop (self->app.bridge);
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close (listener);
    jm_bridge_destroy (&self->app.bridge);
    jm_metrics_destroy (&self->app.metrics);
    jm_store_destroy (&self->app.store);
    for (int index = 0; index < self->app.reader_count; index++)
        jm_store_destroy (&self->app.readers [index]);
    pthread_cond_destroy (&self->app.reader_free);
    pthread_mutex_destroy (&self->app.ranked_lock);
    json_decref (self->app.ranked_seen);
    pthread_mutex_destroy (&self->app.store_lock);
    jm_web_destroy (&self->web);
    jm_taxonomy_destroy (&self->taxonomy);
    free (self->app.taxonomy_json);
    json_decref (self->app.builtin_jobs);
    free ((char *) self->app.gateway);
    free (self->token);
    jm_hosts_destroy (&self->hosts);
    jm_ratelimit_destroy (&self->rate_limit);
    s_free_secret (&self->tls_key);
    free (self->tls_cert);
    free (self);
    *self_p = NULL;
}
