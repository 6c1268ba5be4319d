/*  gateway_auth: who may talk to the gateway, and what they may do.

    Without CURVE the gateway binds loopback addresses only, unless the
    operator says --insecure (as Redis's protected mode does): anyone who
    reaches an open port could send requests, or register as a matcher and
    receive candidates' profiles.

    With CURVE (--curve-cert, the gateway's secret certificate) both sockets
    are CURVE servers and a ZAP handler (common/wire/jm_zap.h) decides who
    connects, per socket: the clients socket (ZAP domain "clients") takes
    the keys in --curve-clients and --curve-admins, the workers socket
    ("workers") those in --curve-workers, so a worker key cannot send
    requests and a client key cannot register as a worker.  Refused peers
    receive nothing and are counted ("denied" in jobmatch.stats).

    With --curve-admins, registry writes (jobmatch.jobs put and delete) are
    kept for admin keys: the role comes with every message, from the ZAP
    handler's User-Id ("admin:KEY"); others are answered forbidden.
    Part of the gateway broker; see gateway_internal.h.                    */
#include "gateway_internal.h"
#include "jm_curve.h"
#include "jm_zap.h"

#include <jansson.h>

#define DOMAIN_CLIENTS  "clients"
#define DOMAIN_WORKERS  "workers"
#define JOBS_SERVICE    "jobmatch.jobs"     //  the registry, served by the matchers

static bool
s_set (const char *setting)
{
    return setting && *setting;
}

//  Refuses to serve a non-loopback endpoint in plaintext unless --insecure.
static int
s_check_plaintext (broker_t *self, char *error, size_t error_size)
{
    settings_t *settings = &self->settings;
    if (s_set (settings->curve_clients) || s_set (settings->curve_workers)
    ||  s_set (settings->curve_admins)) {
        snprintf (error, error_size, "--curve-clients, --curve-workers and --curve-admins need "
                  "--curve-cert (the gateway's secret certificate)");
        return -1;
    }
    char endpoint [256];
    const char *open = jm_curve_public_endpoint (settings->clients, endpoint, sizeof endpoint);
    if (!open)
        open = jm_curve_public_endpoint (settings->workers, endpoint, sizeof endpoint);
    if (!open)
        return 0;
    if (!settings->insecure) {
        snprintf (error, error_size, "refusing to bind %s without CURVE: anyone who reaches it "
                  "could send requests or serve as a matcher.  Give --curve-cert, "
                  "--curve-clients and --curve-workers (see 'jobmatch keys new'), bind a "
                  "loopback address such as tcp://127.0.0.1:5570, or pass --insecure", open);
        return -1;
    }
    jm_log_warning ("--insecure: %s is open, without CURVE, to anyone who can reach it", open);
    return 0;
}

//  Loads the keys and starts the ZAP handler.  Returns 0, or -1 with error
//  filled.
static int
s_start_curve (broker_t *self, char *error, size_t error_size)
{
    settings_t *settings = &self->settings;
    if (!s_set (settings->curve_clients) || !s_set (settings->curve_workers)) {
        snprintf (error, error_size, "--curve-cert needs --curve-clients and --curve-workers "
                  "(directories of the public certificates allowed on each socket)");
        return -1;
    }
    jm_error_t err;
    jm_error_clear (&err);
    self->curve = jm_curve_new (settings->curve_cert, NULL, &err);
    if (self->curve)
        self->zap = jm_zap_new (&err);
    if (self->zap && s_set (settings->curve_admins))
        jm_zap_allow (self->zap, DOMAIN_CLIENTS, "admin", settings->curve_admins, &err);
    if (self->zap && !jm_error_is_set (&err))
        jm_zap_allow (self->zap, DOMAIN_CLIENTS, "client", settings->curve_clients, &err);
    if (self->zap && !jm_error_is_set (&err))
        jm_zap_allow (self->zap, DOMAIN_WORKERS, "worker", settings->curve_workers, &err);
    if (jm_error_is_set (&err)) {
        snprintf (error, error_size, "%s", err.message);
        return -1;
    }
    self->admin_writes = s_set (settings->curve_admins);
    jm_log_info ("CURVE on: gateway key %s%s", jm_curve_public_txt (self->curve),
                 self->admin_writes? "; registry writes for admin keys only": "");
    return 0;
}

int
gw_auth_start (broker_t *self, char *error, size_t error_size)
{
    settings_t *settings = &self->settings;
    int rc = s_set (settings->curve_cert)? s_start_curve (self, error, error_size)
                                         : s_check_plaintext (self, error, error_size);
    settings->curve_cert = settings->curve_clients = NULL;
    settings->curve_workers = settings->curve_admins = NULL;
    return rc;
}

void
gw_auth_apply (broker_t *self, zsock_t *sock, bool clients)
{
    if (self->curve)
        jm_curve_apply_server (self->curve, sock, clients? DOMAIN_CLIENTS: DOMAIN_WORKERS);
}

int
gw_auth_handle_zap (zloop_t *loop, zsock_t *sock, void *arg)
{
    broker_t *self = arg;
    jm_zap_handle (self->zap);
    return 0;
}

void
gw_auth_stop (broker_t *self)
{
    jm_zap_destroy (&self->zap);
    jm_curve_destroy (&self->curve);
}

//  True when a jobs request is a read any client may make: one body frame,
//  a JSON object without duplicate keys whose "op" is "get" or "list".
//  Anything else from a non-admin key is refused, so no body the matcher
//  might read differently (a second "op", a second frame) slips through.
static bool
s_is_registry_read (const jm_mdp_client_msg_t *request)
{
    if (request->body_size != 1)
        return false;
    zframe_t *body = request->body [0];
    json_t *root = json_loadb ((const char *) zframe_data (body), zframe_size (body),
                              JSON_REJECT_DUPLICATES, NULL);
    const char *op = json_string_value (json_object_get (root, "op"));
    bool read = op && (streq (op, "get") || streq (op, "list"));
    json_decref (root);
    return read;
}

bool
gw_auth_request_allowed (broker_t *self, jm_mdp_client_msg_t *request)
{
    if (!self->admin_writes || !zframe_streq (request->service, JOBS_SERVICE))
        return true;
    const char *user_id = request->body_size > 0
                        ? zframe_meta (request->body [0], "User-Id"): NULL;
    char role [32];
    if (streq (jm_zap_role (user_id, role, sizeof role), "admin") || s_is_registry_read (request))
        return true;
    gw_client_send_error (self, request->identity, request->envelope, request->envelope_size,
                          JOBS_SERVICE, strlen (JOBS_SERVICE), JM_ERR_FORBIDDEN,
                          "job registry writes (put, delete) need an admin key "
                          "(--curve-admins); this client's key may only get and list");
    gw_warn (self, "refused a registry write from %s: not an admin key", user_id? user_id: "?");
    return false;
}

json_t *
gw_auth_stats_json (broker_t *self)
{
    json_t *denied = json_object ();
    json_object_set_new (denied, DOMAIN_CLIENTS, json_integer (self->zap?
        (json_int_t) jm_zap_denied (self->zap, DOMAIN_CLIENTS): 0));
    json_object_set_new (denied, DOMAIN_WORKERS, json_integer (self->zap?
        (json_int_t) jm_zap_denied (self->zap, DOMAIN_WORKERS): 0));
    return denied;
}
