/*  jm_probe: /metrics, /livez and /readyz for the gateway and the matchers.
    See jm_probe.h.                                                       */
#include "jm_probe.h"
#include "jm_alloc.h"
#include "jm_buf.h"
#include "jm_log.h"
#include "jm_prom.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NAME_MAX_LENGTH     128
#define REASON_MAX          256

struct _jm_probe_t {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    char *text;                         //  the service's last metrics text
    int64_t published_ms;               //  when (monotonic), 0: never
    char not_ready [REASON_MAX];        //  "" when ready
    char name [NAME_MAX_LENGTH];
    char service [32];
};

int
jm_probe_parse_listen (const char *option, const char *text, struct sockaddr_storage *address,
                       socklen_t *size, bool *loopback, jm_error_t *err)
{
    assert (option && text && address && size && loopback);
    char host [128];
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text || (size_t) (colon - text) >= sizeof host)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "%s: '%s' is not host:port", option, text);
    memcpy (host, text, (size_t) (colon - text));
    host [colon - text] = 0;
    char *end;
    long port = strtol (colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "%s: bad port in '%s'", option, text);
    memset (address, 0, sizeof *address);
    if (host [0] == '[') {
        size_t len = strlen (host);
        if (len < 3 || host [len - 1] != ']')
            return jm_error_set (err, JM_ERR_INVALID_DATA, "%s: bad IPv6 address in '%s'", option, text);
        host [len - 1] = 0;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) address;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons ((uint16_t) port);
        if (inet_pton (AF_INET6, host + 1, &v6->sin6_addr) != 1)
            return jm_error_set (err, JM_ERR_INVALID_DATA, "%s: bad IPv6 address in '%s'", option, text);
        *size = sizeof *v6;
        *loopback = IN6_IS_ADDR_LOOPBACK (&v6->sin6_addr);
        return 0;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *) address;
    v4->sin_family = AF_INET;
    v4->sin_port = htons ((uint16_t) port);
    if (strcmp (host, "*") == 0 || strcmp (host, "0.0.0.0") == 0)
        v4->sin_addr.s_addr = htonl (INADDR_ANY);
    else
    if (strcmp (host, "localhost") == 0)
        v4->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    else
    if (inet_pton (AF_INET, host, &v4->sin_addr) != 1)
        return jm_error_set (err, JM_ERR_INVALID_DATA,
                             "%s: '%s' is not an IPv4 address, [IPv6], localhost or *", option, host);
    *size = sizeof *v4;
    *loopback = (ntohl (v4->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

//  The default --name: "<hostname>-<service>"
static void
s_default_name (const char *service, char *name, size_t size)
{
    char host [64] = "";
    if (gethostname (host, sizeof host - 1) != 0 || !*host)
        snprintf (host, sizeof host, "localhost");
    snprintf (name, size, "%s-%s", host, service);
}

//  Appends the text with name="..." as the first label of every sample.
static void
s_add_name (jm_buf_t *out, const char *text, const char *name)
{
    const char *line = text;
    while (*line) {
        const char *end = strchr (line, '\n');
        size_t length = end? (size_t) (end - line): strlen (line);
        if (*line != '#' && length > 0) {
            size_t name_end = strcspn (line, "{ ");
            if (name_end > length)
                name_end = length;
            jm_buf_append (out, line, name_end);
            jm_buf_puts (out, "{name=\"");
            jm_prom_label (out, name);
            jm_buf_puts (out, "\"");
            const char *rest = line + name_end;
            size_t rest_length = length - name_end;
            if (rest_length && *rest == '{') {
                rest++;
                rest_length--;
                if (rest_length && *rest != '}')
                    jm_buf_puts (out, ",");
            }
            else
                jm_buf_puts (out, "}");
            jm_buf_append (out, rest, rest_length);
        }
        else
            jm_buf_append (out, line, length);
        jm_buf_puts (out, "\n");
        line += length + (end? 1: 0);
    }
}

static enum MHD_Result
s_respond (struct MHD_Connection *connection, unsigned int status, const char *type,
           const char *body, size_t size)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (size, (void *) body,
                                                                     MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result result = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return result;
}

static enum MHD_Result
s_respond_text (struct MHD_Connection *connection, unsigned int status, const char *text)
{
    return s_respond (connection, status, "text/plain; charset=utf-8", text, strlen (text));
}

static enum MHD_Result
s_on_metrics (jm_probe_t *self, struct MHD_Connection *connection)
{
    jm_buf_t own;
    jm_buf_init (&own);
    jm_prom_process (&own);
    jm_prom_help (&own, "jobmatch_build_info", "gauge", "1, labelled with the service and version");
    jm_buf_printf (&own, "jobmatch_build_info{service=\"%s\",version=\"%s\"} 1\n",
                   self->service, JM_VERSION);
    jm_prom_help (&own, "jobmatch_ready", "gauge", "1 when /readyz answers 200");
    pthread_mutex_lock (&self->lock);
    jm_buf_printf (&own, "jobmatch_ready %d\n", *self->not_ready? 0: 1);
    jm_buf_t out;
    jm_buf_init (&out);
    if (self->text)
        s_add_name (&out, self->text, self->name);
    pthread_mutex_unlock (&self->lock);
    s_add_name (&out, own.data? own.data: "", self->name);
    enum MHD_Result result = s_respond (connection, MHD_HTTP_OK,
                                        "text/plain; version=0.0.4; charset=utf-8",
                                        out.data? out.data: "", out.len);
    jm_buf_free (&own);
    jm_buf_free (&out);
    return result;
}

static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
              const char *version, const char *upload_data, size_t *upload_data_size,
              void **con_cls)
{
    jm_probe_t *self = cls;
    if (*upload_data_size) {
        *upload_data_size = 0;          //  a body is ignored: the answer is 405 anyway
        return MHD_YES;
    }
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0 && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_respond_text (connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                               "method not allowed: GET or HEAD only\n");
    if (strcmp (url, "/metrics") == 0)
        return s_on_metrics (self, connection);
    char text [REASON_MAX + 64];
    if (strcmp (url, "/livez") == 0) {
        pthread_mutex_lock (&self->lock);
        int64_t silent_ms = zclock_mono () - self->published_ms;
        bool published = self->published_ms > 0;
        pthread_mutex_unlock (&self->lock);
        if (published && silent_ms <= JM_PROBE_STALL_MS)
            return s_respond_text (connection, MHD_HTTP_OK, "live\n");
        snprintf (text, sizeof text, "stalled: the %s loop has not run for %lld ms\n",
                  self->service, published? (long long) silent_ms: -1LL);
        return s_respond_text (connection, MHD_HTTP_SERVICE_UNAVAILABLE, text);
    }
    if (strcmp (url, "/readyz") == 0) {
        pthread_mutex_lock (&self->lock);
        if (*self->not_ready)
            snprintf (text, sizeof text, "not ready: %s\n", self->not_ready);
        else
            snprintf (text, sizeof text, "ready\n");
        bool ready = !*self->not_ready;
        pthread_mutex_unlock (&self->lock);
        return s_respond_text (connection, ready? MHD_HTTP_OK: MHD_HTTP_SERVICE_UNAVAILABLE, text);
    }
    return s_respond_text (connection, MHD_HTTP_NOT_FOUND,
                           "not found: /metrics, /livez and /readyz only\n");
}

static void
s_on_mhd_log (void *cls, const char *format, va_list args)
{
    char text [512];
    vsnprintf (text, sizeof text, format, args);
    size_t len = strlen (text);
    while (len && text [len - 1] == '\n')
        text [--len] = 0;
    jm_log_debug ("metrics http: %s", text);
}

jm_probe_t *
jm_probe_new (const char *listen, const char *name, const char *service, jm_error_t *err)
{
    assert (listen && name && service);
    struct sockaddr_storage address;
    socklen_t size;
    bool loopback;
    if (jm_probe_parse_listen ("--metrics-listen", listen, &address, &size, &loopback, err))
        return NULL;
    if (strlen (name) >= NAME_MAX_LENGTH) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "--name: %zu bytes, at most %d", strlen (name),
                      NAME_MAX_LENGTH - 1);
        return NULL;
    }
    jm_probe_t *self = jm_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    if (*name)
        snprintf (self->name, sizeof self->name, "%s", name);
    else
        s_default_name (service, self->name, sizeof self->name);
    snprintf (self->service, sizeof self->service, "%s", service);
    snprintf (self->not_ready, sizeof self->not_ready, "starting");
    self->daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG
        | (address.ss_family == AF_INET6? MHD_USE_IPv6: 0),
        0, NULL, NULL, s_on_request, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) JM_PROBE_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 10,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 16384,
        MHD_OPTION_END);
    if (!self->daemon) {
        jm_error_set (err, JM_ERR_IO, "--metrics-listen: cannot listen on %s", listen);
        jm_probe_destroy (&self);
        return NULL;
    }
    jm_log_info ("metrics on http://%s/metrics as %s%s", listen, self->name,
                 loopback? "": " (not loopback: any host that reaches it may read them)");
    return self;
}

void
jm_probe_destroy (jm_probe_t **self_p)
{
    assert (self_p);
    jm_probe_t *self = *self_p;
    if (!self)
        return;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    pthread_mutex_destroy (&self->lock);
    free (self->text);
    free (self);
    *self_p = NULL;
}

void
jm_probe_publish (jm_probe_t *self, const char *text)
{
    assert (self && text);
    char *copy = jm_strdup (text);
    pthread_mutex_lock (&self->lock);
    char *old = self->text;
    self->text = copy;
    self->published_ms = zclock_mono ();
    pthread_mutex_unlock (&self->lock);
    free (old);
}

void
jm_probe_set_ready (jm_probe_t *self, const char *not_ready)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    snprintf (self->not_ready, sizeof self->not_ready, "%s", not_ready? not_ready: "");
    pthread_mutex_unlock (&self->lock);
}
