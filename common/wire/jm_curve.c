/*  jm_curve: ZeroMQ CURVE keys in czmq's conventions.  See jm_curve.h.   */
#include "jm_curve.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define STORE_RECHECK_MS    1000    //  how often a store looks at its directory

//  What czmq's zcert holds as the secret of a public-only certificate
static const char s_no_secret [] = "0000000000000000000000000000000000000000";


//  --------------------------------------------------------------------------
//  jm_curve_t

struct _jm_curve_t {
    zcert_t *cert;                          //  our keys, secret included
    char server_txt [JM_CURVE_KEY_TEXT + 1];    //  the server's public key, "" for a server
};

//  Loads a certificate file with czmq.  Returns it, or NULL with err filled.
static zcert_t *
s_cert_load (const char *path, const char *what, jm_error_t *err)
{
    struct stat info;
    if (stat (path, &info) != 0) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "%s '%s': %s", what, path, strerror (errno));
        return NULL;
    }
    if (!S_ISREG (info.st_mode)) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "%s '%s' is not a file", what, path);
        return NULL;
    }
    zcert_t *cert = zcert_load (path);
    if (!cert)
        jm_error_set (err, JM_ERR_INVALID_DATA,
                      "%s '%s' is not a czmq certificate (no 40-character curve public-key)",
                      what, path);
    return cert;
}

jm_curve_t *
jm_curve_new (const char *cert_path, const char *server_path, jm_error_t *err)
{
    assert (cert_path);
    zcert_t *cert = s_cert_load (cert_path, "certificate", err);
    if (!cert)
        return NULL;
    const char *secret = zcert_secret_txt (cert);
    char derived [JM_CURVE_KEY_TEXT + 1] = "";
    if (streq (secret, s_no_secret)) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "certificate '%s' has no secret key: give the "
                      "secret certificate (NAME_secret, written by 'jobmatch keys new NAME')",
                      cert_path);
        zcert_destroy (&cert);
        return NULL;
    }
    if (zmq_curve_public (derived, secret) != 0 || !streq (derived, zcert_public_txt (cert))) {
        jm_error_set (err, JM_ERR_INVALID_DATA, "certificate '%s': its secret key does not "
                      "belong to its public key", cert_path);
        zcert_destroy (&cert);
        return NULL;
    }
    jm_curve_t *self = jm_calloc (1, sizeof *self);
    self->cert = cert;
    if (server_path) {
        zcert_t *server = s_cert_load (server_path, "server certificate", err);
        if (!server) {
            jm_curve_destroy (&self);
            return NULL;
        }
        snprintf (self->server_txt, sizeof self->server_txt, "%s", zcert_public_txt (server));
        zcert_destroy (&server);
    }
    return self;
}

void
jm_curve_destroy (jm_curve_t **self_p)
{
    assert (self_p);
    jm_curve_t *self = *self_p;
    if (!self)
        return;
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

int
jm_curve_client_from (const char *server_path, const char *cert_path, jm_curve_t **curve_p,
                      jm_error_t *err)
{
    assert (curve_p);
    *curve_p = NULL;
    bool server = server_path && *server_path;
    bool cert = cert_path && *cert_path;
    if (!server && !cert)
        return 0;
    if (!server)
        return jm_error_set (err, JM_ERR_INVALID_DATA,
                             "--curve-cert needs --curve-server (the gateway's public certificate)");
    if (!cert)
        return jm_error_set (err, JM_ERR_INVALID_DATA,
                             "--curve-server needs --curve-cert (our own secret certificate)");
    *curve_p = jm_curve_new (cert_path, server_path, err);
    return *curve_p? 0: -1;
}

const char *
jm_curve_public_txt (const jm_curve_t *self)
{
    assert (self);
    return zcert_public_txt (self->cert);
}

void
jm_curve_apply_client (const jm_curve_t *self, zsock_t *sock)
{
    assert (self);
    assert (sock);
    assert (*self->server_txt);         //  made for a server
    zcert_apply (self->cert, sock);
    zsock_set_curve_serverkey (sock, self->server_txt);
}

void
jm_curve_apply_server (const jm_curve_t *self, zsock_t *sock, const char *domain)
{
    assert (self);
    assert (sock);
    assert (domain);
    zcert_apply (self->cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, domain);
}

//  True when host (as in tcp://HOST:PORT, brackets removed) names only the
//  loopback interface.
static bool
s_host_is_loopback (const char *host)
{
    return strncmp (host, "127.", 4) == 0 || streq (host, "::1") || streq (host, "localhost")
        || streq (host, "lo");
}

const char *
jm_curve_public_endpoint (const char *endpoints, char *buffer, size_t size)
{
    assert (endpoints);
    assert (buffer && size > 0);
    const char *start = endpoints;
    while (*start) {
        const char *end = strchr (start, ',');
        size_t length = end? (size_t) (end - start): strlen (start);
        char endpoint [512];
        snprintf (endpoint, sizeof endpoint, "%.*s", (int) length, start);
        //  czmq's zsock_attach takes '@' and '>' prefixes
        const char *text = endpoint;
        if (*text == '@' || *text == '>')
            text++;
        bool local = strncmp (text, "ipc://", 6) == 0 || strncmp (text, "inproc://", 9) == 0;
        if (!local && strncmp (text, "tcp://", 6) == 0) {
            char host [256];
            const char *from = text + 6;
            const char *colon = strrchr (from, ':');
            size_t host_length = colon? (size_t) (colon - from): strlen (from);
            if (host_length >= 2 && from [0] == '[' && from [host_length - 1] == ']') {
                from++;
                host_length -= 2;
            }
            snprintf (host, sizeof host, "%.*s", (int) host_length, from);
            local = s_host_is_loopback (host);
        }
        if (length > 0 && !local) {
            snprintf (buffer, size, "%s", endpoint);
            return buffer;
        }
        start = end? end + 1: start + length;
    }
    return NULL;
}


//  --------------------------------------------------------------------------
//  jm_curve_store_t

struct _jm_curve_store_t {
    char *directory;
    zhashx_t *keys;             //  Z85 public key -> file name it came from
    struct timespec modified;   //  the directory's mtime when last loaded
    int64_t checked_at;         //  when the directory was last looked at
};

//  Reads the public key of a czmq certificate file (ZPL: the "curve"
//  section's public-key) into key, checked as Z85.  Returns 0, or -1 when
//  the file is not a certificate.  Read here rather than with zcert_load:
//  czmq leaks on every file it cannot parse, and a directory is reread
//  whenever it changes.
static int
s_public_key_read (const char *path, char *key, size_t key_size)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [1024];
    bool in_curve = false;
    int rc = -1;
    for (int count = 0; rc && count < 1000 && fgets (line, sizeof line, file); count++) {
        if (line [0] != ' ' && line [0] != '\t') {
            size_t length = strcspn (line, " \t\r\n#");
            in_curve = length == 5 && strncmp (line, "curve", 5) == 0;
            continue;
        }
        char *text = line + strspn (line, " \t");
        if (!in_curve || strncmp (text, "public-key", 10) != 0)
            continue;
        text += 10 + strspn (text + 10, " \t");
        if (*text++ != '=')
            continue;
        text += strspn (text, " \t");
        bool quoted = *text == '"';
        text += quoted;
        size_t length = strcspn (text, quoted? "\"": " \t\r\n#");
        byte decoded [32];
        if (length == JM_CURVE_KEY_TEXT && length < key_size) {
            memcpy (key, text, length);
            key [length] = 0;
            if (zmq_z85_decode (decoded, key))
                rc = 0;
        }
    }
    fclose (file);
    return rc;
}

//  (Re)reads the directory.  Returns 0, or -1 when it cannot be read.
static int
s_store_load (jm_curve_store_t *self, jm_error_t *err)
{
    zhashx_purge (self->keys);
    struct stat info;
    if (stat (self->directory, &info) != 0)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "certificate directory '%s': %s",
                             self->directory, strerror (errno));
    if (!S_ISDIR (info.st_mode))
        return jm_error_set (err, JM_ERR_INVALID_DATA, "certificate directory '%s' is not a "
                             "directory", self->directory);
    DIR *dir = opendir (self->directory);
    if (!dir)
        return jm_error_set (err, JM_ERR_INVALID_DATA, "cannot read '%s': %s", self->directory,
                             strerror (errno));
    self->modified = info.st_mtim;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        const char *name = entry->d_name;
        size_t length = strlen (name);
        if (name [0] == '.' || (length >= 7 && streq (name + length - 7, "_secret")))
            continue;
        char path [4096];
        snprintf (path, sizeof path, "%s/%s", self->directory, name);
        struct stat file_info;
        if (stat (path, &file_info) != 0 || !S_ISREG (file_info.st_mode))
            continue;
        char key [JM_CURVE_KEY_TEXT + 1];
        if (s_public_key_read (path, key, sizeof key)) {
            jm_log_warning ("certificates in '%s': '%s' is not a certificate; skipped",
                            self->directory, name);
            continue;
        }
        if (zhashx_insert (self->keys, key, (void *) name) != 0)
            jm_log_warning ("certificates in '%s': '%s' repeats the key of '%s'; skipped",
                            self->directory, name, (char *) zhashx_lookup (self->keys, key));
    }
    closedir (dir);
    return 0;
}

static void
s_name_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static void *
s_name_duplicate (const void *item)
{
    char *copy = jm_strdup (item);
    return copy;
}

jm_curve_store_t *
jm_curve_store_new (const char *directory, jm_error_t *err)
{
    assert (directory);
    jm_curve_store_t *self = jm_calloc (1, sizeof *self);
    self->directory = jm_strdup (directory);
    self->keys = zhashx_new ();
    assert (self->keys);
    zhashx_set_duplicator (self->keys, s_name_duplicate);
    zhashx_set_destructor (self->keys, s_name_destroy);
    if (s_store_load (self, err)) {
        jm_curve_store_destroy (&self);
        return NULL;
    }
    self->checked_at = zclock_mono ();
    return self;
}

void
jm_curve_store_destroy (jm_curve_store_t **self_p)
{
    assert (self_p);
    jm_curve_store_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->keys);
    free (self->directory);
    free (self);
    *self_p = NULL;
}

bool
jm_curve_store_contains (jm_curve_store_t *self, const char *public_txt)
{
    assert (self);
    assert (public_txt);
    int64_t now = zclock_mono ();
    if (now - self->checked_at >= STORE_RECHECK_MS) {
        self->checked_at = now;
        struct stat info;
        if (stat (self->directory, &info) != 0
        ||  info.st_mtim.tv_sec != self->modified.tv_sec
        ||  info.st_mtim.tv_nsec != self->modified.tv_nsec) {
            jm_error_t err;
            jm_error_clear (&err);
            if (s_store_load (self, &err) == 0)
                jm_log_info ("certificates in '%s' changed: %zu keys now", self->directory,
                             zhashx_size (self->keys));
            else
                jm_log_warning ("%s: allowing no key until it is back", err.message);
        }
    }
    return zhashx_lookup (self->keys, public_txt) != NULL;
}

size_t
jm_curve_store_size (jm_curve_store_t *self)
{
    assert (self);
    return zhashx_size (self->keys);
}
