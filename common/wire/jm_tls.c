/*  jm_tls: a TLS client connection bridged to a plain socket.  See jm_tls.h.

    How it works.  The handshake runs in the caller's thread on a
    non-blocking socket, bounded by the caller's timeout.  Then one pump
    thread per connection polls three descriptors: its end of the socketpair
    (plain bytes from and to the caller), the TCP socket (TLS records), and a
    wake pipe that jm_tls_destroy writes to.  Each direction has one buffer
    of one TLS record's size, so the pump holds at most 32 KiB and a slow
    reader on either side holds back the other (no unbounded queue).      */
#include "jm_tls.h"
#include "jm_alloc.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>

//  GnuTLS is loaded on the first TLS configuration, not linked: a program
//  that never speaks TLS to Redis (most matchers) then pays nothing for it,
//  neither the libraries' pages nor GnuTLS's start-up (about 2.3 MB of
//  resident memory per process).  Every function used is listed here and
//  called through the table, under its own name.
#define JM_GNUTLS_SONAME "libgnutls.so.30"
#define JM_GNUTLS_FUNCTIONS(X) \
    X (gnutls_bye) \
    X (gnutls_certificate_allocate_credentials) \
    X (gnutls_certificate_free_credentials) \
    X (gnutls_certificate_set_x509_key_file) \
    X (gnutls_certificate_set_x509_system_trust) \
    X (gnutls_certificate_set_x509_trust_file) \
    X (gnutls_certificate_type_get) \
    X (gnutls_certificate_verification_status_print) \
    X (gnutls_credentials_set) \
    X (gnutls_deinit) \
    X (gnutls_error_is_fatal) \
    X (gnutls_handshake) \
    X (gnutls_init) \
    X (gnutls_record_get_direction) \
    X (gnutls_record_recv) \
    X (gnutls_record_send) \
    X (gnutls_server_name_set) \
    X (gnutls_session_get_verify_cert_status) \
    X (gnutls_session_set_verify_cert) \
    X (gnutls_set_default_priority) \
    X (gnutls_strerror) \
    X (gnutls_transport_set_int2)

static struct {
#define X(name) __typeof__ (name) *name;
    JM_GNUTLS_FUNCTIONS (X)
#undef X
    gnutls_free_function free;
    bool loaded;
} s_gnutls;
static pthread_mutex_t s_gnutls_lock = PTHREAD_MUTEX_INITIALIZER;

//  Loads GnuTLS once.  Returns 0, or -1 with err filled (io_error).
static int
s_gnutls_load (jm_error_t *err)
{
    pthread_mutex_lock (&s_gnutls_lock);
    const char *missing = NULL;
    if (!s_gnutls.loaded) {
        //  The library stays loaded for the process's life, as if linked
        void *library = dlopen (JM_GNUTLS_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!library)
            missing = JM_GNUTLS_SONAME;
#define X(name) \
        if (!missing && !(s_gnutls.name = (__typeof__ (name) *) dlsym (library, #name))) \
            missing = #name;
        JM_GNUTLS_FUNCTIONS (X)
#undef X
        gnutls_free_function *free_p = missing? NULL: dlsym (library, "gnutls_free");
        if (!missing && !free_p)
            missing = "gnutls_free";
        if (!missing) {
            s_gnutls.free = *free_p;
            s_gnutls.loaded = true;
        }
    }
    pthread_mutex_unlock (&s_gnutls_lock);
    if (missing) {
        jm_error_set (err, JM_ERR_IO, "TLS needs GnuTLS (" JM_GNUTLS_SONAME "): cannot load "
                      "%s; install the libgnutls30 package", missing);
        return -1;
    }
    return 0;
}

//  From here on every GnuTLS call goes through the table
#define gnutls_bye (s_gnutls.gnutls_bye)
#define gnutls_certificate_allocate_credentials (s_gnutls.gnutls_certificate_allocate_credentials)
#define gnutls_certificate_free_credentials (s_gnutls.gnutls_certificate_free_credentials)
#define gnutls_certificate_set_x509_key_file (s_gnutls.gnutls_certificate_set_x509_key_file)
#define gnutls_certificate_set_x509_system_trust (s_gnutls.gnutls_certificate_set_x509_system_trust)
#define gnutls_certificate_set_x509_trust_file (s_gnutls.gnutls_certificate_set_x509_trust_file)
#define gnutls_certificate_type_get (s_gnutls.gnutls_certificate_type_get)
#define gnutls_certificate_verification_status_print (s_gnutls.gnutls_certificate_verification_status_print)
#define gnutls_credentials_set (s_gnutls.gnutls_credentials_set)
#define gnutls_deinit (s_gnutls.gnutls_deinit)
#define gnutls_error_is_fatal (s_gnutls.gnutls_error_is_fatal)
#define gnutls_handshake (s_gnutls.gnutls_handshake)
#define gnutls_init (s_gnutls.gnutls_init)
#define gnutls_record_get_direction (s_gnutls.gnutls_record_get_direction)
#define gnutls_record_recv (s_gnutls.gnutls_record_recv)
#define gnutls_record_send (s_gnutls.gnutls_record_send)
#define gnutls_server_name_set (s_gnutls.gnutls_server_name_set)
#define gnutls_session_get_verify_cert_status (s_gnutls.gnutls_session_get_verify_cert_status)
#define gnutls_session_set_verify_cert (s_gnutls.gnutls_session_set_verify_cert)
#define gnutls_set_default_priority (s_gnutls.gnutls_set_default_priority)
#define gnutls_strerror (s_gnutls.gnutls_strerror)
#define gnutls_transport_set_int2 (s_gnutls.gnutls_transport_set_int2)
#undef gnutls_free
#define gnutls_free(a) (s_gnutls.free ((void *) (a)), (a) = NULL)

#define JM_TLS_BUFFER   16384       //  one TLS record's plaintext

struct _jm_tls_config_t {
    gnutls_certificate_credentials_t credentials;
    char *server_name;              //  NULL: the host connected to
};

struct _jm_tls_t {
    gnutls_session_t session;
    int tcp;                        //  the TLS connection
    int pump_fd;                    //  the pump's end of the socketpair
    int user_fd;                    //  the caller's end (the caller closes it)
    int wake [2];                   //  jm_tls_destroy -> pump: stop
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;           //  guards failure
    char failure [200];             //  why the pump ended, when TLS failed
};


//  --------------------------------------------------------------------------
//  Credentials

jm_tls_config_t *
jm_tls_config_new (const char *ca_file, const char *cert_file, const char *key_file,
                   const char *server_name, jm_error_t *err)
{
    bool has_cert = cert_file && *cert_file, has_key = key_file && *key_file;
    if (has_cert != has_key) {
        jm_error_set (err, JM_ERR_INVALID_REQUEST, "a TLS client certificate needs its key and "
                      "a key its certificate: give both (--redis-tls-cert and --redis-tls-key)");
        return NULL;
    }
    if (s_gnutls_load (err))
        return NULL;
    jm_tls_config_t *self = jm_calloc (1, sizeof *self);
    int rc = gnutls_certificate_allocate_credentials (&self->credentials);
    assert (rc == GNUTLS_E_SUCCESS);
    if (ca_file && *ca_file) {
        rc = gnutls_certificate_set_x509_trust_file (self->credentials, ca_file,
                                                     GNUTLS_X509_FMT_PEM);
        if (rc <= 0) {
            jm_error_set (err, JM_ERR_INVALID_REQUEST, "TLS CA file %s: %s", ca_file,
                          rc == 0 ? "holds no PEM certificate" : gnutls_strerror (rc));
            jm_tls_config_destroy (&self);
            return NULL;
        }
    }
    else {
        rc = gnutls_certificate_set_x509_system_trust (self->credentials);
        if (rc <= 0) {
            jm_error_set (err, JM_ERR_INVALID_REQUEST, "no system CA certificates (%s): give "
                          "the CA file that signed Redis's certificate (--redis-tls-ca)",
                          rc == 0 ? "none found" : gnutls_strerror (rc));
            jm_tls_config_destroy (&self);
            return NULL;
        }
    }
    if (has_cert) {
        rc = gnutls_certificate_set_x509_key_file (self->credentials, cert_file, key_file,
                                                   GNUTLS_X509_FMT_PEM);
        if (rc < 0) {
            jm_error_set (err, JM_ERR_INVALID_REQUEST, "TLS client certificate %s with key %s: %s",
                          cert_file, key_file, gnutls_strerror (rc));
            jm_tls_config_destroy (&self);
            return NULL;
        }
    }
    if (server_name && *server_name) {
        self->server_name = jm_strdup (server_name);
    }
    return self;
}

void
jm_tls_config_destroy (jm_tls_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_tls_config_t *self = *self_p;
    if (self->credentials)
        gnutls_certificate_free_credentials (self->credentials);
    free (self->server_name);
    free (self);
    *self_p = NULL;
}


//  --------------------------------------------------------------------------
//  Connecting

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Waits until fd is ready for events or the deadline passes.  Returns
//  1 when ready, 0 on timeout, -1 on error.
static int
s_wait (int fd, short events, int64_t deadline)
{
    while (true) {
        int64_t left = deadline - s_now_ms ();
        if (left <= 0)
            return 0;
        struct pollfd item = { fd, events, 0 };
        int rc = poll (&item, 1, (int) left);
        if (rc < 0 && errno == EINTR)
            continue;
        return rc < 0 ? -1 : rc > 0 ? 1 : 0;
    }
}

//  A non-blocking TCP connection to host:port, or -1 with why set.
static int
s_tcp_connect (const char *host, int port, int64_t deadline, int timeout_ms,
               char *why, size_t why_size)
{
    char service [16];
    snprintf (service, sizeof service, "%d", port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *list = NULL;
    int rc = getaddrinfo (host, service, &hints, &list);
    if (rc) {
        snprintf (why, why_size, "cannot resolve %s: %s", host, gai_strerror (rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *address = list; address && fd < 0; address = address->ai_next) {
        fd = socket (address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf (why, why_size, "socket: %s", strerror (errno));
            continue;
        }
        int error = 0;
        if (connect (fd, address->ai_addr, address->ai_addrlen) < 0) {
            error = errno;
            if (error == EINPROGRESS) {
                int ready = s_wait (fd, POLLOUT, deadline);
                socklen_t len = sizeof error;
                if (ready == 0)
                    error = ETIMEDOUT;
                else
                if (ready < 0 || getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                    error = errno;
            }
        }
        if (error) {
            if (error == ETIMEDOUT)
                snprintf (why, why_size, "no connection within %d ms", timeout_ms);
            else
                snprintf (why, why_size, "%s", strerror (error));
            close (fd);
            fd = -1;
        }
    }
    freeaddrinfo (list);
    if (fd >= 0) {
        int on = 1;
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        setsockopt (fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    }
    return fd;
}

static bool
s_is_ip_address (const char *name)
{
    unsigned char address [sizeof (struct in6_addr)];
    return inet_pton (AF_INET, name, address) == 1 || inet_pton (AF_INET6, name, address) == 1;
}

//  Runs the handshake until done, failed or past the deadline.  Returns 0,
//  or -1 with why set.
static int
s_handshake (jm_tls_t *self, const char *name, int64_t deadline, int timeout_ms,
             char *why, size_t why_size)
{
    while (true) {
        int rc = gnutls_handshake (self->session);
        if (rc == GNUTLS_E_SUCCESS)
            return 0;
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            short events = gnutls_record_get_direction (self->session) ? POLLOUT : POLLIN;
            int ready = s_wait (self->tcp, events, deadline);
            if (ready > 0)
                continue;
            snprintf (why, why_size, ready == 0 ? "no TLS handshake within %d ms"
                                                : "TLS handshake: poll failed", timeout_ms);
            return -1;
        }
        if (!gnutls_error_is_fatal (rc))
            continue;
        if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
            unsigned int status = gnutls_session_get_verify_cert_status (self->session);
            gnutls_datum_t text = { NULL, 0 };
            if (gnutls_certificate_verification_status_print (
                    status, gnutls_certificate_type_get (self->session), &text, 0) == 0) {
                size_t len = strlen ((char *) text.data);
                while (len > 0 && text.data [len - 1] == ' ')
                    len--;
                snprintf (why, why_size, "TLS: the certificate of %s is not accepted: %.*s",
                          name, (int) len, text.data);
                gnutls_free (text.data);
            }
            else
                snprintf (why, why_size, "TLS: the certificate of %s is not accepted", name);
        }
        else
            snprintf (why, why_size, "TLS handshake failed: %s", gnutls_strerror (rc));
        return -1;
    }
}

static void *s_pump (void *arg);

jm_tls_t *
jm_tls_connect (jm_tls_config_t *config, const char *host, int port, int timeout_ms,
                char *why, size_t why_size)
{
    assert (config && host && why);
    int64_t deadline = s_now_ms () + timeout_ms;
    jm_tls_t *self = jm_calloc (1, sizeof *self);
    self->pump_fd = self->user_fd = self->wake [0] = self->wake [1] = -1;
    pthread_mutex_init (&self->lock, NULL);
    self->tcp = s_tcp_connect (host, port, deadline, timeout_ms, why, why_size);
    if (self->tcp < 0) {
        jm_tls_destroy (&self);
        return NULL;
    }
    const char *name = config->server_name ? config->server_name : host;
    int rc = gnutls_init (&self->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
    assert (rc == GNUTLS_E_SUCCESS);
    rc = gnutls_set_default_priority (self->session);
    assert (rc == GNUTLS_E_SUCCESS);
    rc = gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE, config->credentials);
    assert (rc == GNUTLS_E_SUCCESS);
    if (!s_is_ip_address (name))
        gnutls_server_name_set (self->session, GNUTLS_NAME_DNS, name, strlen (name));
    gnutls_session_set_verify_cert (self->session, name, 0);
    gnutls_transport_set_int (self->session, self->tcp);
    if (s_handshake (self, name, deadline, timeout_ms, why, why_size)) {
        jm_tls_destroy (&self);
        return NULL;
    }
    int pair [2];
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0
    ||  pipe2 (self->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf (why, why_size, "TLS bridge: %s", strerror (errno));
        jm_tls_destroy (&self);
        return NULL;
    }
    self->user_fd = pair [0];
    self->pump_fd = pair [1];
    fcntl (self->pump_fd, F_SETFL, fcntl (self->pump_fd, F_GETFL) | O_NONBLOCK);

    //  The pump takes no signals: they belong to the program's own threads
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_SETMASK, &all, &old);
    rc = pthread_create (&self->thread, NULL, s_pump, self);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (rc) {
        snprintf (why, why_size, "TLS bridge: cannot start a thread: %s", strerror (rc));
        close (self->user_fd);
        jm_tls_destroy (&self);
        return NULL;
    }
    self->thread_started = true;
    return self;
}

int
jm_tls_fd (const jm_tls_t *self)
{
    assert (self);
    return self->user_fd;
}

void
jm_tls_failure (jm_tls_t *self, char *out, size_t size)
{
    assert (self && out && size > 0);
    pthread_mutex_lock (&self->lock);
    snprintf (out, size, "%s", self->failure);
    pthread_mutex_unlock (&self->lock);
}

void
jm_tls_destroy (jm_tls_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_tls_t *self = *self_p;
    if (self->thread_started) {
        char stop = 1;
        ssize_t wrote = write (self->wake [1], &stop, 1);
        (void) wrote;               //  a full pipe already says stop
        pthread_join (self->thread, NULL);
    }
    if (self->session)
        gnutls_deinit (self->session);
    pthread_mutex_destroy (&self->lock);
    int fds [] = { self->tcp, self->pump_fd, self->wake [0], self->wake [1] };
    for (size_t i = 0; i < sizeof fds / sizeof fds [0]; i++)
        if (fds [i] >= 0)
            close (fds [i]);
    free (self);
    *self_p = NULL;
}


//  --------------------------------------------------------------------------
//  The pump

//  One direction's bytes in flight: [offset, len) still to deliver.
typedef struct {
    char data [JM_TLS_BUFFER];
    size_t offset;
    size_t len;
} s_buffer_t;

static bool
s_buffer_empty (const s_buffer_t *buffer)
{
    return buffer->offset == buffer->len;
}

static void
s_buffer_consumed (s_buffer_t *buffer, size_t bytes)
{
    buffer->offset += bytes;
    if (buffer->offset == buffer->len)
        buffer->offset = buffer->len = 0;
}

//  Moves what it can in both directions without blocking.  Returns 1 when
//  it moved something, 0 when it would block, -1 when either side is done
//  (closed, or failed).
//  Records why the TLS session ended, for jm_tls_failure.
static void
s_failed (jm_tls_t *self, ssize_t code)
{
    pthread_mutex_lock (&self->lock);
    if (code == 0)
        snprintf (self->failure, sizeof self->failure, "TLS: the server closed the connection");
    else
        snprintf (self->failure, sizeof self->failure, "TLS: %s", gnutls_strerror ((int) code));
    pthread_mutex_unlock (&self->lock);
}

static int
s_pump_step (jm_tls_t *self, s_buffer_t *up, s_buffer_t *down, bool *recv_wants_write)
{
    int moved = 0;
    //  caller -> up
    if (s_buffer_empty (up)) {
        ssize_t bytes = read (self->pump_fd, up->data, sizeof up->data);
        if (bytes > 0) {
            up->offset = 0;
            up->len = (size_t) bytes;
            moved = 1;
        }
        else
        if (bytes == 0 || (errno != EAGAIN && errno != EINTR))
            return -1;
    }
    //  up -> server
    if (!s_buffer_empty (up)) {
        ssize_t bytes = gnutls_record_send (self->session, up->data + up->offset,
                                            up->len - up->offset);
        if (bytes > 0) {
            s_buffer_consumed (up, (size_t) bytes);
            moved = 1;
        }
        else
        if (bytes != GNUTLS_E_AGAIN && bytes != GNUTLS_E_INTERRUPTED) {
            s_failed (self, bytes);
            return -1;
        }
    }
    //  server -> down
    if (s_buffer_empty (down)) {
        ssize_t bytes = gnutls_record_recv (self->session, down->data, sizeof down->data);
        *recv_wants_write = false;
        if (bytes > 0) {
            down->offset = 0;
            down->len = (size_t) bytes;
            moved = 1;
        }
        else
        if (bytes == GNUTLS_E_AGAIN || bytes == GNUTLS_E_INTERRUPTED)
            *recv_wants_write = gnutls_record_get_direction (self->session) == 1;
        else
        if (bytes == 0 || gnutls_error_is_fatal ((int) bytes)) {
            s_failed (self, bytes);
            return -1;
        }
        else
            moved = 1;              //  an alert or the like that does not end the session
    }
    //  down -> caller
    if (!s_buffer_empty (down)) {
        ssize_t bytes = send (self->pump_fd, down->data + down->offset,
                              down->len - down->offset, MSG_NOSIGNAL);
        if (bytes > 0) {
            s_buffer_consumed (down, (size_t) bytes);
            moved = 1;
        }
        else
        if (errno != EAGAIN && errno != EINTR)
            return -1;
    }
    return moved;
}

static void *
s_pump (void *arg)
{
    jm_tls_t *self = arg;
    s_buffer_t *up = jm_calloc (1, sizeof *up);        //  caller -> server
    s_buffer_t *down = jm_calloc (1, sizeof *down);    //  server -> caller
    bool recv_wants_write = false, hangup = false;
    while (true) {
        int rc;
        bool moved = false;
        while ((rc = s_pump_step (self, up, down, &recv_wants_write)) > 0)
            moved = true;
        if (rc < 0 || (hangup && !moved))
            break;                  //  a side closed, failed, or hung up with nothing left
        short tls_events = 0;
        if (!s_buffer_empty (up))
            tls_events |= POLLOUT;
        if (s_buffer_empty (down))
            tls_events |= recv_wants_write ? POLLOUT : POLLIN;
        struct pollfd items [3] = {
            { self->pump_fd, (short) ((s_buffer_empty (up) ? POLLIN : 0)
                                    | (s_buffer_empty (down) ? 0 : POLLOUT)), 0 },
            { self->tcp, tls_events, 0 },
            { self->wake [0], POLLIN, 0 }
        };
        if (poll (items, 3, -1) < 0 && errno != EINTR)
            break;
        if (items [2].revents)
            break;                  //  jm_tls_destroy
        hangup = (items [0].revents | items [1].revents) & (POLLHUP | POLLERR);
    }
    //  Tell the server we are done (without waiting), and the caller: it
    //  reads end of file from now on
    gnutls_bye (self->session, GNUTLS_SHUT_WR);
    shutdown (self->pump_fd, SHUT_RDWR);
    shutdown (self->tcp, SHUT_RDWR);
    free (up);
    free (down);
    return NULL;
}
