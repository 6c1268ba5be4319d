/*  Unit tests for jm_curve (certificates, key stores, loopback endpoints)
    and jm_zap (the per-domain ZAP handler, with real CURVE connections on
    loopback).                                                             */
#include "jm_test.h"
#include "jm_curve.h"
#include "jm_zap.h"

#include <czmq.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>

//  A fresh temp directory (caller frees the string; removed by s_tmp_remove).
static char *
s_tmp_new (void)
{
    char *path = strdup ("/tmp/jm-test-curve-XXXXXX");
    if (!path || !mkdtemp (path))
        abort ();
    return path;
}

static int
s_remove_one (const char *path, const struct stat *info, int flag, struct FTW *walk)
{
    return remove (path);
}

//  Removes the directory and everything in it (dot files too, which zdir
//  leaves), then frees the string.
static void
s_tmp_remove (char **path_p)
{
    nftw (*path_p, s_remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free (*path_p);
    *path_p = NULL;
}

//  Writes a new pair as DIR/NAME and DIR/NAME_secret; returns its public key
//  (caller frees).
static char *
s_pair_new (const char *dir, const char *name)
{
    zcert_t *cert = zcert_new ();
    char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    if (!cert || zcert_save (cert, path) != 0)
        abort ();
    char *public_txt = strdup (zcert_public_txt (cert));
    zcert_destroy (&cert);
    return public_txt;
}

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    if (!file)
        abort ();
    fputs (text, file);
    fclose (file);
}

JM_TEST (curve_certificates_load)
{
    char *dir = s_tmp_new ();
    char *gateway_key = s_pair_new (dir, "gateway");
    char *client_key = s_pair_new (dir, "client");
    char path [512], server [512];
    snprintf (server, sizeof server, "%s/gateway", dir);

    //  NAME and NAME_secret both load the secret certificate (czmq's rule)
    jm_error_t err;
    jm_error_clear (&err);
    snprintf (path, sizeof path, "%s/client_secret", dir);
    jm_curve_t *curve = jm_curve_new (path, server, &err);
    JM_REQUIRE (curve);
    JM_CHECK_STR (jm_curve_public_txt (curve), client_key);
    jm_curve_destroy (&curve);
    JM_CHECK (curve == NULL);
    snprintf (path, sizeof path, "%s/gateway", dir);
    curve = jm_curve_new (path, NULL, &err);
    JM_REQUIRE (curve);
    JM_CHECK_STR (jm_curve_public_txt (curve), gateway_key);
    jm_curve_destroy (&curve);

    //  a public certificate alone has no secret key
    char copy [512];
    snprintf (copy, sizeof copy, "%s/public-only", dir);
    zcert_t *public_cert = zcert_load (server);
    JM_REQUIRE (public_cert);
    zcert_save_public (public_cert, copy);
    zcert_destroy (&public_cert);
    JM_CHECK (jm_curve_new (copy, NULL, &err) == NULL);
    JM_CHECK (strstr (err.message, "no secret key") && strstr (err.message, copy));
    JM_CHECK_STR (err.code, JM_ERR_INVALID_DATA);

    //  missing, not a certificate, a secret that is not the public key's
    jm_error_clear (&err);
    snprintf (path, sizeof path, "%s/missing", dir);
    JM_CHECK (jm_curve_new (path, NULL, &err) == NULL && strstr (err.message, "missing"));
    jm_error_clear (&err);
    snprintf (path, sizeof path, "%s/garbage", dir);
    s_write (path, "hello\n");
    JM_CHECK (jm_curve_new (path, NULL, &err) == NULL
              && strstr (err.message, "not a czmq certificate"));
    jm_error_clear (&err);
    snprintf (path, sizeof path, "%s/mixed_secret", dir);
    char text [512];
    zcert_t *one = zcert_new (), *two = zcert_new ();
    snprintf (text, sizeof text, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
              zcert_public_txt (one), zcert_secret_txt (two));
    zcert_destroy (&one);
    zcert_destroy (&two);
    s_write (path, text);
    JM_CHECK (jm_curve_new (path, NULL, &err) == NULL && strstr (err.message, "does not belong"));
    jm_error_clear (&err);
    snprintf (path, sizeof path, "%s/client_secret", dir);
    curve = jm_curve_new (path, copy, &err);     //  a server's public certificate suffices
    JM_CHECK (curve != NULL);
    jm_curve_destroy (&curve);

    //  a client's two settings: none, both, or a clear error
    jm_curve_t *client = (jm_curve_t *) 1;
    JM_CHECK_INT (jm_curve_client_from ("", NULL, &client, &err), 0);
    JM_CHECK (client == NULL);
    JM_CHECK_INT (jm_curve_client_from (server, "", &client, &err), -1);
    JM_CHECK (strstr (err.message, "--curve-cert") && client == NULL);
    jm_error_clear (&err);
    JM_CHECK_INT (jm_curve_client_from ("", path, &client, &err), -1);
    JM_CHECK (strstr (err.message, "--curve-server"));
    jm_error_clear (&err);
    JM_CHECK_INT (jm_curve_client_from (server, path, &client, &err), 0);
    JM_CHECK (client != NULL);
    jm_curve_destroy (&client);
    snprintf (text, sizeof text, "%s/nowhere", dir);
    JM_CHECK_INT (jm_curve_client_from (text, path, &client, &err), -1);
    JM_CHECK (client == NULL && strstr (err.message, "nowhere"));

    free (gateway_key);
    free (client_key);
    s_tmp_remove (&dir);
}

JM_TEST (curve_public_endpoints)
{
    char buffer [256];
    static const char *loopback [] = {
        "tcp://127.0.0.1:5570", "tcp://127.1.2.3:1", "tcp://[::1]:5570", "tcp://localhost:5570",
        "tcp://lo:5570", "ipc:///tmp/x", "inproc://x", "@tcp://127.0.0.1:1",
        "tcp://127.0.0.1:1,tcp://[::1]:2", NULL
    };
    for (const char **endpoint = loopback; *endpoint; endpoint++)
        JM_CHECK_MSG (jm_curve_public_endpoint (*endpoint, buffer, sizeof buffer) == NULL,
                      "%s counted as open", *endpoint);
    static const char *open [][2] = {
        { "tcp://*:5570", "tcp://*:5570" },
        { "tcp://0.0.0.0:5570", "tcp://0.0.0.0:5570" },
        { "tcp://[::]:5570", "tcp://[::]:5570" },
        { "tcp://eth0:5570", "tcp://eth0:5570" },
        { "tcp://10.0.0.5:5570", "tcp://10.0.0.5:5570" },
        { "tcp://127.0.0.1:1,tcp://*:2", "tcp://*:2" },
        { "ws://127.0.0.1:1", "ws://127.0.0.1:1" },
        { "tcp://128.0.0.1:1", "tcp://128.0.0.1:1" },
    };
    for (size_t index = 0; index < sizeof open / sizeof open [0]; index++) {
        const char *found = jm_curve_public_endpoint (open [index][0], buffer, sizeof buffer);
        JM_CHECK_MSG (found && streq (found, open [index][1]), "%s: got %s", open [index][0],
                      found? found: "(loopback)");
    }
}

JM_TEST (curve_store_reads_and_reloads_a_directory)
{
    char *dir = s_tmp_new ();
    char *first = s_pair_new (dir, "first");
    char *second = s_pair_new (dir, "second");
    char path [512], copy [512];
    //  not certificates, hidden, and a copy of a key: skipped, never fatal
    snprintf (path, sizeof path, "%s/README", dir);
    s_write (path, "keys of the job boards\n");
    snprintf (path, sizeof path, "%s/.hidden", dir);
    s_write (path, "x\n");
    snprintf (path, sizeof path, "%s/first", dir);
    snprintf (copy, sizeof copy, "%s/first-copy", dir);
    zcert_t *cert = zcert_load (path);
    zcert_save_public (cert, copy);
    zcert_destroy (&cert);

    jm_error_t err;
    jm_error_clear (&err);
    jm_curve_store_t *store = jm_curve_store_new (dir, &err);
    JM_REQUIRE (store);
    JM_CHECK_INT (jm_curve_store_size (store), 2);
    JM_CHECK (jm_curve_store_contains (store, first));
    JM_CHECK (jm_curve_store_contains (store, second));
    JM_CHECK (!jm_curve_store_contains (store, "0000000000000000000000000000000000000000"));

    //  a key added later is seen after the recheck interval; a removed one goes
    zclock_sleep (1100);
    char *third = s_pair_new (dir, "third");
    JM_CHECK (jm_curve_store_contains (store, third));
    snprintf (path, sizeof path, "%s/second", dir);
    unlink (path);
    zclock_sleep (1100);
    JM_CHECK (!jm_curve_store_contains (store, second));
    JM_CHECK (jm_curve_store_contains (store, first));
    jm_curve_store_destroy (&store);
    JM_CHECK (store == NULL);

    snprintf (path, sizeof path, "%s/missing", dir);
    JM_CHECK (jm_curve_store_new (path, &err) == NULL && strstr (err.message, "missing"));
    jm_error_clear (&err);
    snprintf (path, sizeof path, "%s/README", dir);
    JM_CHECK (jm_curve_store_new (path, &err) == NULL && strstr (err.message, "not a directory"));
    free (first);
    free (second);
    free (third);
    s_tmp_remove (&dir);
}

//  Serves the ZAP handler and reads the server socket for up to timeout_ms;
//  returns the first message received there (caller destroys) or NULL.
static zmsg_t *
s_serve (jm_zap_t *zap, zsock_t *server, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        zmq_pollitem_t items [] = {
            { zsock_resolve (jm_zap_sock (zap)), 0, ZMQ_POLLIN, 0 },
            { zsock_resolve (server), 0, ZMQ_POLLIN, 0 }
        };
        zmq_poll (items, 2, 20);
        if (items [0].revents & ZMQ_POLLIN)
            jm_zap_handle (zap);
        if (items [1].revents & ZMQ_POLLIN)
            return zmsg_recv (server);
    }
    return NULL;
}

//  A DEALER connected to endpoint as a CURVE client with the pair DIR/NAME.
static zsock_t *
s_client_new (const char *dir, const char *name, const char *endpoint)
{
    char cert [512], server [512];
    snprintf (cert, sizeof cert, "%s/%s_secret", dir, name);
    snprintf (server, sizeof server, "%s/gateway", dir);
    jm_curve_t *curve = jm_curve_new (cert, server, NULL);
    if (!curve)
        abort ();
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    jm_curve_apply_client (curve, sock);
    jm_curve_destroy (&curve);
    zsock_connect (sock, "%s", endpoint);
    return sock;
}

JM_TEST (zap_allows_keys_per_domain)
{
    char *dir = s_tmp_new ();
    char sub [512];
    const char *subs [] = { "clients", "admins", "workers", "others" };
    for (size_t index = 0; index < 4; index++) {
        snprintf (sub, sizeof sub, "%s/%s", dir, subs [index]);
        mkdir (sub, 0700);
    }
    free (s_pair_new (dir, "gateway"));
    snprintf (sub, sizeof sub, "%s/clients", dir);
    char *client_key = s_pair_new (sub, "board");
    snprintf (sub, sizeof sub, "%s/admins", dir);
    char *admin_key = s_pair_new (sub, "ops");
    snprintf (sub, sizeof sub, "%s/workers", dir);
    free (s_pair_new (sub, "matcher"));
    snprintf (sub, sizeof sub, "%s/others", dir);
    free (s_pair_new (sub, "stranger"));

    jm_error_t err;
    jm_error_clear (&err);
    jm_zap_t *zap = jm_zap_new (&err);
    JM_REQUIRE (zap);
    JM_CHECK (jm_zap_new (&err) == NULL && streq (err.code, JM_ERR_IO));  //  one per process
    jm_error_clear (&err);
    snprintf (sub, sizeof sub, "%s/admins", dir);
    JM_CHECK_INT (jm_zap_allow (zap, "clients", "admin", sub, &err), 0);
    snprintf (sub, sizeof sub, "%s/clients", dir);
    JM_CHECK_INT (jm_zap_allow (zap, "clients", "client", sub, &err), 0);
    snprintf (sub, sizeof sub, "%s/workers", dir);
    JM_CHECK_INT (jm_zap_allow (zap, "workers", "worker", sub, &err), 0);
    snprintf (sub, sizeof sub, "%s/nowhere", dir);
    JM_CHECK_INT (jm_zap_allow (zap, "workers", "worker", sub, &err), -1);

    char path [512];
    snprintf (path, sizeof path, "%s/gateway_secret", dir);
    jm_curve_t *gateway = jm_curve_new (path, NULL, &err);
    JM_REQUIRE (gateway);
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (server, 0);
    jm_curve_apply_server (gateway, server, "clients");
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    JM_REQUIRE (port > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);

    //  allowed keys: the message carries "ROLE:KEY"
    const char *names [] = { "clients/board", "admins/ops" };
    const char *roles [] = { "client", "admin" };
    const char *keys [] = { client_key, admin_key };
    for (size_t index = 0; index < 2; index++) {
        zsock_t *client = s_client_new (dir, names [index], endpoint);
        zstr_send (client, "hello");
        zmsg_t *msg = s_serve (zap, server, 5000);
        JM_REQUIRE (msg && zmsg_size (msg) == 2);
        zframe_t *body = zmsg_last (msg);
        JM_CHECK (zframe_streq (body, "hello"));
        char want [128], role [32];
        snprintf (want, sizeof want, "%s:%s", roles [index], keys [index]);
        JM_CHECK_STR (zframe_meta (body, "User-Id"), want);
        JM_CHECK_STR (jm_zap_role (zframe_meta (body, "User-Id"), role, sizeof role), roles [index]);
        zmsg_destroy (&msg);
        zsock_destroy (&client);
    }

    //  a worker's key and an unknown key on the clients socket: nothing arrives
    const char *refused [] = { "workers/matcher", "others/stranger" };
    for (size_t index = 0; index < 2; index++) {
        zsock_t *client = s_client_new (dir, refused [index], endpoint);
        zstr_send (client, "let me in");
        zmsg_t *msg = s_serve (zap, server, 500);
        JM_CHECK_MSG (msg == NULL, "%s got through", refused [index]);
        zmsg_destroy (&msg);
        zsock_destroy (&client);
    }
    JM_CHECK_INT (jm_zap_denied (zap, "clients"), 2);
    JM_CHECK_INT (jm_zap_denied (zap, "workers"), 0);
    JM_CHECK_INT (jm_zap_denied (zap, "nobody"), 0);

    //  a plaintext client never reaches the handler, nor the server
    zsock_t *plain = zsock_new_dealer (endpoint);
    zsock_set_linger (plain, 0);
    zstr_send (plain, "plain");
    zmsg_t *msg = s_serve (zap, server, 500);
    JM_CHECK (msg == NULL);
    zmsg_destroy (&msg);
    zsock_destroy (&plain);

    char role [8];
    JM_CHECK_STR (jm_zap_role (NULL, role, sizeof role), "");
    JM_CHECK_STR (jm_zap_role ("nocolon", role, sizeof role), "");
    JM_CHECK_STR (jm_zap_role ("a-very-long-role:KEY", role, sizeof role), "");

    zsock_destroy (&server);
    jm_curve_destroy (&gateway);
    jm_zap_destroy (&zap);
    JM_CHECK (zap == NULL);
    //  once destroyed, a new handler can bind
    zap = jm_zap_new (&err);
    JM_CHECK (zap != NULL);
    jm_zap_destroy (&zap);
    free (client_key);
    free (admin_key);
    s_tmp_remove (&dir);
}
