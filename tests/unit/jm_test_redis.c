/*  jm_test_redis: a private redis-server for one test.  See jm_test_redis.h.  */
#include "jm_test_redis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

struct _jm_test_redis_t {
    char dir [256];
    char socket [300];
    char url [320];
    char tcp_url [64];
    int port;                       //  0 without TCP
    bool tls;                       //  the TCP port speaks TLS (certs in dir)
    char ca_file [300];
    char client_cert [300];
    char client_key [300];
    pid_t pid;                      //  0 when stopped
    redisContext *ctx;              //  the test's own connection
};

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
    &&  getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
        port = ntohs (addr.sin_port);
    close (fd);
    return port;
}

static void
s_sleep_ms (int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep (&ts, NULL);
}

static void
s_disconnect (jm_test_redis_t *self)
{
    if (self->ctx) {
        redisFree (self->ctx);
        self->ctx = NULL;
    }
}

//  Connects the test's own connection when needed; true when connected.
static bool
s_connect (jm_test_redis_t *self)
{
    if (self->ctx && !self->ctx->err)
        return true;
    s_disconnect (self);
    struct timeval timeout = { 2, 0 };
    self->ctx = redisConnectUnixWithTimeout (self->socket, timeout);
    if (!self->ctx || self->ctx->err) {
        s_disconnect (self);
        return false;
    }
    redisSetTimeout (self->ctx, timeout);
    return true;
}

static int
s_spawn (jm_test_redis_t *self)
{
    char port [16], log [300];
    snprintf (port, sizeof port, "%d", self->port);
    snprintf (log, sizeof log, "%s/redis.log", self->dir);
    const char *server = getenv ("JM_REDIS_SERVER");
    if (!server || !*server)
        server = "/usr/bin/redis-server";
    fflush (stdout);
    fflush (stderr);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        //  The server must not outlive a test that crashes or times out
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
            close (fd);
        }
        char cert [300], key [300];
        snprintf (cert, sizeof cert, "%s/server.crt", self->dir);
        snprintf (key, sizeof key, "%s/server.key", self->dir);
        //  with TLS the TCP port speaks TLS only; the unix socket stays plain
        if (self->tls)
            execl (server, server, "--port", "0", "--tls-port", port, "--bind", "127.0.0.1",
                   "--tls-cert-file", cert, "--tls-key-file", key,
                   "--tls-ca-cert-file", self->ca_file, "--tls-auth-clients", "optional",
                   "--unixsocket", self->socket, "--unixsocketperm", "700",
                   "--dir", self->dir, "--save", "", "--appendonly", "no",
                   "--daemonize", "no", "--loglevel", "warning", (char *) NULL);
        else
            execl (server, server, "--port", port, "--bind", "127.0.0.1",
                   "--unixsocket", self->socket, "--unixsocketperm", "700",
                   "--dir", self->dir, "--save", "", "--appendonly", "no",
                   "--daemonize", "no", "--loglevel", "warning", (char *) NULL);
        _exit (127);
    }
    self->pid = pid;
    //  Ready once it answers PING; give up after 10 s or if it exits
    for (int waited = 0; waited < 10000; waited += 10) {
        int status;
        if (waitpid (pid, &status, WNOHANG) == pid) {
            self->pid = 0;
            fprintf (stderr, "    redis-server exited early; see %s\n", log);
            return -1;
        }
        if (s_connect (self)) {
            redisReply *reply = redisCommand (self->ctx, "PING");
            bool ok = reply && reply->type == REDIS_REPLY_STATUS;
            if (reply)
                freeReplyObject (reply);
            if (ok)
                return 0;
            s_disconnect (self);
        }
        s_sleep_ms (10);
    }
    fprintf (stderr, "    redis-server did not answer within 10 s; see %s\n", log);
    return -1;
}

//  Makes a CA, a server certificate for 127.0.0.1 and a client certificate
//  in the server's dir with openssl.  Returns 0 or -1.
static int
s_make_certificates (jm_test_redis_t *self)
{
    char command [2048];
    snprintf (command, sizeof command,
        "cd '%s' && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext"
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2"
        "    -subj '/CN=jm test CA' 2>/dev/null"
        " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr"
        "    -subj '/CN=localhost' 2>/dev/null"
        " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        "    -out server.crt -days 2 -extfile server.ext 2>/dev/null"
        " && openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr"
        "    -subj '/CN=jm test client' 2>/dev/null"
        " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        "    -out client.crt -days 2 2>/dev/null", self->dir);
    if (system (command) != 0) {
        fprintf (stderr, "    openssl could not make the test certificates in %s\n", self->dir);
        return -1;
    }
    snprintf (self->ca_file, sizeof self->ca_file, "%s/ca.crt", self->dir);
    snprintf (self->client_cert, sizeof self->client_cert, "%s/client.crt", self->dir);
    snprintf (self->client_key, sizeof self->client_key, "%s/client.key", self->dir);
    return 0;
}

static jm_test_redis_t *s_start (bool tcp, bool tls);

jm_test_redis_t *
jm_test_redis_start (bool tcp)
{
    return s_start (tcp, false);
}

jm_test_redis_t *
jm_test_redis_start_tls (void)
{
    return s_start (true, true);
}

const char *
jm_test_redis_tls_file (const jm_test_redis_t *self, const char *which)
{
    if (!self->tls)
        return NULL;
    return strcmp (which, "ca") == 0 ? self->ca_file
         : strcmp (which, "cert") == 0 ? self->client_cert
         : strcmp (which, "key") == 0 ? self->client_key : NULL;
}

static jm_test_redis_t *
s_start (bool tcp, bool tls)
{
    jm_test_redis_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    const char *tmp = getenv ("TMPDIR");
    snprintf (self->dir, sizeof self->dir, "%s/jm-redis-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (self->dir)) {
        fprintf (stderr, "    mkdtemp %s: %s\n", self->dir, strerror (errno));
        free (self);
        return NULL;
    }
    snprintf (self->socket, sizeof self->socket, "%s/redis.sock", self->dir);
    snprintf (self->url, sizeof self->url, "unix://%s", self->socket);
    if (tcp) {
        self->port = s_free_port ();
        snprintf (self->tcp_url, sizeof self->tcp_url, "%s://127.0.0.1:%d",
                  tls ? "rediss" : "redis", self->port);
    }
    self->tls = tls;
    if ((tls && s_make_certificates (self)) || s_spawn (self)) {
        jm_test_redis_destroy (&self);
        return NULL;
    }
    return self;
}

static int
s_remove (const char *path, const struct stat *info, int flag, struct FTW *ftw)
{
    return remove (path);
}

void
jm_test_redis_destroy (jm_test_redis_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jm_test_redis_t *self = *self_p;
    jm_test_redis_stop (self);
    nftw (self->dir, s_remove, 8, FTW_DEPTH | FTW_PHYS);
    free (self);
    *self_p = NULL;
}

const char *
jm_test_redis_url (const jm_test_redis_t *self)
{
    return self->url;
}

const char *
jm_test_redis_tcp_url (const jm_test_redis_t *self)
{
    return self->port > 0 ? self->tcp_url : NULL;
}

int
jm_test_redis_stop (jm_test_redis_t *self)
{
    s_disconnect (self);
    if (!self->pid)
        return -1;
    kill (self->pid, SIGTERM);
    int status;
    //  SIGKILL if it has not gone in 5 s
    for (int waited = 0; waitpid (self->pid, &status, WNOHANG) == 0; waited += 5) {
        if (waited == 5000)
            kill (self->pid, SIGKILL);
        s_sleep_ms (5);
    }
    self->pid = 0;
    return 0;
}

int
jm_test_redis_restart (jm_test_redis_t *self)
{
    if (self->pid)
        jm_test_redis_stop (self);
    return s_spawn (self);
}

static void
s_render (redisReply *reply, FILE *out)
{
    switch (reply->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            fwrite (reply->str, 1, reply->len, out);
            break;
        case REDIS_REPLY_ERROR:
            fprintf (out, "ERR:%s", reply->str);
            break;
        case REDIS_REPLY_INTEGER:
            fprintf (out, "%lld", reply->integer);
            break;
        case REDIS_REPLY_NIL:
            fputs ("(nil)", out);
            break;
        case REDIS_REPLY_ARRAY:
            for (size_t i = 0; i < reply->elements; i++) {
                if (i)
                    fputc ('\n', out);
                s_render (reply->element [i], out);
            }
            break;
    }
}

static char *
s_vcommand (jm_test_redis_t *self, const char *arg, va_list args)
{
    const char *argv [64];
    int argc = 0;
    for (; arg && argc < 64; arg = va_arg (args, const char *))
        argv [argc++] = arg;
    if (!s_connect (self))
        return NULL;
    redisReply *reply = redisCommandArgv (self->ctx, argc, argv, NULL);
    if (!reply) {
        s_disconnect (self);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    s_render (reply, out);
    fclose (out);
    freeReplyObject (reply);
    return text;
}

char *
jm_test_redis_command (jm_test_redis_t *self, const char *arg, ...)
{
    va_list args;
    va_start (args, arg);
    char *text = s_vcommand (self, arg, args);
    va_end (args);
    return text;
}

long long
jm_test_redis_integer (jm_test_redis_t *self, const char *arg, ...)
{
    va_list args;
    va_start (args, arg);
    char *text = s_vcommand (self, arg, args);
    va_end (args);
    char *end = NULL;
    long long value = text ? strtoll (text, &end, 10) : -1;
    if (!text || end == text)
        value = -1;
    free (text);
    return value;
}

long long
jm_test_redis_calls (jm_test_redis_t *self, const char *command)
{
    char *info = jm_test_redis_command (self, "INFO", "commandstats", NULL);
    if (!info)
        return -1;
    char pattern [64];
    snprintf (pattern, sizeof pattern, "cmdstat_%s:calls=", command);
    char *at = strstr (info, pattern);
    long long calls = at ? strtoll (at + strlen (pattern), NULL, 10) : 0;
    free (info);
    return calls;
}

jm_store_options_t
jm_test_store_options (void)
{
    jm_store_options_t options;
    jm_store_options_default (&options);
    options.connect_timeout_ms = 500;
    options.command_timeout_ms = 500;
    options.backoff_min_ms = 10;
    options.backoff_max_ms = 50;
    return options;
}

int
jm_test_redis_record (jm_test_redis_t *self, const jm_keys_t *keys, const char *job,
                      const char *candidate, jm_record_t *record)
{
    jm_keys_t *own = keys ? NULL : jm_keys_new (NULL, NULL);
    char key [JM_KEYS_MAX];
    int rc = jm_keys_result_bucket (keys ? keys : own, job,
                                    jm_record_bucket (candidate, JM_RECORD_BUCKETS),
                                    key, sizeof key, NULL);
    jm_keys_destroy (&own);
    if (rc < 0)
        return -1;
    char *hex = jm_test_redis_command (self, "EVAL",
        "local v = redis.call ('HGET', KEYS[1], ARGV[1]) "
        "if not v then return '' end "
        "return (string.gsub (v, '.', function (c) return string.format ('%02x', string.byte (c)) end))",
        "1", key, candidate, NULL);
    size_t len = hex ? strlen (hex) / 2 : 0;
    uint8_t bytes [JM_RECORD_MAX];
    for (size_t i = 0; i < len && i < sizeof bytes; i++) {
        unsigned int byte;
        sscanf (hex + 2 * i, "%2x", &byte);
        bytes [i] = (uint8_t) byte;
    }
    free (hex);
    return len && len <= sizeof bytes ? jm_record_decode (bytes, len, record, NULL) : -1;
}
