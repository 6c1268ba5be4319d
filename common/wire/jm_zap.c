/*  jm_zap: a ZAP handler that allows CURVE keys per domain.  See jm_zap.h
    and RFC 27/ZAP.  A request is [version "1.0", request-id, domain,
    address, routing-id, mechanism, credentials...] (the REP socket strips
    the envelope); the reply is [version, request-id, status-code,
    status-text, user-id, metadata].                                       */
#include "jm_zap.h"
#include "jm_curve.h"
#include "jm_log.h"
#include "jm_alloc.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#define ZAP_VERSION         "1.0"
#define ZAP_FRAMES          7       //  frames of a CURVE request
#define DENIALS_PER_SECOND  5       //  denials logged per second; the rest counted
#define RECENT_KEYS         16      //  keys whose denial was logged lately
#define RECENT_MS           10000   //  a key's denials are logged once per this
#define DOMAIN_MAX          64      //  bytes of a domain name we keep
#define ROLE_MAX            32      //  bytes of a role name

typedef struct _rule_t rule_t;
struct _rule_t {
    char role [ROLE_MAX];
    jm_curve_store_t *store;
    rule_t *next;
};

typedef struct _domain_t domain_t;
struct _domain_t {
    char name [DOMAIN_MAX];
    rule_t *rules;              //  tried in order
    uint64_t denied;
    domain_t *next;
};

struct _jm_zap_t {
    zsock_t *sock;              //  REP, bound at JM_ZAP_ENDPOINT
    domain_t *domains;
    uint64_t denied_other;      //  requests naming a domain without rules
    int64_t log_second;
    int log_count;
    uint64_t log_suppressed;
    struct {                    //  ring of the last keys logged, so a peer
        char key [JM_CURVE_KEY_TEXT + 1];   //  that retries does not hide others
        int64_t at;
    } recent [RECENT_KEYS];
    size_t recent_next;
};

jm_zap_t *
jm_zap_new (jm_error_t *err)
{
    jm_zap_t *self = jm_calloc (1, sizeof *self);
    self->sock = zsock_new (ZMQ_REP);
    assert (self->sock);
    zsock_set_linger (self->sock, 0);
    if (zsock_bind (self->sock, JM_ZAP_ENDPOINT) != 0) {
        jm_error_set (err, JM_ERR_IO, "cannot start the ZAP handler (%s): %s; is another one "
                      "running in this process?", JM_ZAP_ENDPOINT, zmq_strerror (zmq_errno ()));
        jm_zap_destroy (&self);
        return NULL;
    }
    return self;
}

void
jm_zap_destroy (jm_zap_t **self_p)
{
    assert (self_p);
    jm_zap_t *self = *self_p;
    if (!self)
        return;
    //  Unbind first: closing alone frees the endpoint later, on libzmq's
    //  reaper thread, so a new handler binding at once could be refused
    if (self->sock)
        zsock_unbind (self->sock, "%s", JM_ZAP_ENDPOINT);
    zsock_destroy (&self->sock);
    while (self->domains) {
        domain_t *domain = self->domains;
        self->domains = domain->next;
        while (domain->rules) {
            rule_t *rule = domain->rules;
            domain->rules = rule->next;
            jm_curve_store_destroy (&rule->store);
            free (rule);
        }
        free (domain);
    }
    free (self);
    *self_p = NULL;
}

static domain_t *
s_domain_lookup (jm_zap_t *self, const char *name)
{
    for (domain_t *domain = self->domains; domain; domain = domain->next)
        if (streq (domain->name, name))
            return domain;
    return NULL;
}

int
jm_zap_allow (jm_zap_t *self, const char *domain_name, const char *role, const char *directory,
              jm_error_t *err)
{
    assert (self);
    assert (domain_name && *domain_name && strlen (domain_name) < DOMAIN_MAX);
    assert (role && *role && strlen (role) < ROLE_MAX && !strchr (role, ':'));
    assert (directory);
    jm_curve_store_t *store = jm_curve_store_new (directory, err);
    if (!store)
        return -1;
    domain_t *domain = s_domain_lookup (self, domain_name);
    if (!domain) {
        domain = jm_calloc (1, sizeof *domain);
        snprintf (domain->name, sizeof domain->name, "%s", domain_name);
        domain->next = self->domains;
        self->domains = domain;
    }
    rule_t *rule = jm_calloc (1, sizeof *rule);
    snprintf (rule->role, sizeof rule->role, "%s", role);
    rule->store = store;
    rule_t **tail = &domain->rules;
    while (*tail)
        tail = &(*tail)->next;
    *tail = rule;
    jm_log_info ("ZAP: domain '%s' allows %zu %s keys from '%s'", domain_name,
                 jm_curve_store_size (store), role, directory);
    return 0;
}

zsock_t *
jm_zap_sock (jm_zap_t *self)
{
    assert (self);
    return self->sock;
}

//  Logs a denial, once per key every RECENT_MS and at most
//  DENIALS_PER_SECOND a second.
static void
s_log_denial (jm_zap_t *self, const char *domain, const char *address, const char *key,
              const char *why)
{
    int64_t now = zclock_mono ();
    for (size_t index = 0; index < RECENT_KEYS; index++)
        if (streq (self->recent [index].key, key) && now - self->recent [index].at < RECENT_MS) {
            self->log_suppressed++;
            return;
        }
    int64_t second = now / 1000;
    if (second != self->log_second) {
        if (self->log_suppressed)
            jm_log_warning ("ZAP: %" PRIu64 " more denials were not logged", self->log_suppressed);
        self->log_second = second;
        self->log_count = 0;
        self->log_suppressed = 0;
    }
    if (self->log_count++ >= DENIALS_PER_SECOND) {
        self->log_suppressed++;
        return;
    }
    snprintf (self->recent [self->recent_next].key, sizeof self->recent [0].key, "%s", key);
    self->recent [self->recent_next].at = now;
    self->recent_next = (self->recent_next + 1) % RECENT_KEYS;
    jm_log_warning ("ZAP: refused %s on '%s' from %s: %s", key, domain, address, why);
}

//  Copies a frame into buffer as text (NUL-terminated, cut to fit).
static const char *
s_frame_text (zframe_t *frame, char *buffer, size_t size)
{
    size_t length = zframe_size (frame);
    if (length >= size)
        length = size - 1;
    memcpy (buffer, zframe_data (frame), length);
    buffer [length] = 0;
    for (size_t index = 0; index < length; index++)
        if ((unsigned char) buffer [index] < 0x20 || (unsigned char) buffer [index] >= 0x7f)
            buffer [index] = '?';
    return buffer;
}

//  Decides one request.  Fills user_id on success and returns true; else
//  fills why and returns false.  Counts either way.
static bool
s_decide (jm_zap_t *self, zframe_t **frames, size_t count, char *user_id, size_t user_id_size,
          char *why, size_t why_size)
{
    char domain_name [DOMAIN_MAX + 8], mechanism [16], address [64], key [JM_CURVE_KEY_TEXT + 1];
    s_frame_text (frames [2], domain_name, sizeof domain_name);
    s_frame_text (frames [3], address, sizeof address);
    s_frame_text (frames [5], mechanism, sizeof mechanism);
    snprintf (key, sizeof key, "(no key)");
    domain_t *domain = s_domain_lookup (self, domain_name);
    bool allowed = false;
    if (!streq (mechanism, "CURVE") || count != ZAP_FRAMES || zframe_size (frames [6]) != 32)
        snprintf (why, why_size, "mechanism %s is not allowed: CURVE only", mechanism);
    else {
        zmq_z85_encode (key, zframe_data (frames [6]), 32);
        rule_t *rule = domain? domain->rules: NULL;
        while (rule && !jm_curve_store_contains (rule->store, key))
            rule = rule->next;
        if (rule) {
            snprintf (user_id, user_id_size, "%s:%s", rule->role, key);
            allowed = true;
        }
        else
            snprintf (why, why_size, "key not allowed in domain '%s'", domain_name);
    }
    if (allowed)
        jm_log_debug ("ZAP: allowed %s on '%s' from %s", user_id, domain_name, address);
    else {
        if (domain)
            domain->denied++;
        else
            self->denied_other++;
        s_log_denial (self, domain_name, address, key, why);
    }
    return allowed;
}

void
jm_zap_handle (jm_zap_t *self)
{
    assert (self);
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (self->sock))) {
        //  Walk the frames by count: never trust zmsg_next past the end
        zframe_t *frames [ZAP_FRAMES] = { NULL };
        size_t count = zmsg_size (msg);
        zframe_t *frame = zmsg_first (msg);
        for (size_t index = 0; index < count && index < ZAP_FRAMES; index++) {
            frames [index] = frame;
            frame = zmsg_next (msg);
        }
        char user_id [ROLE_MAX + JM_CURVE_KEY_TEXT + 2] = "";
        char why [160] = "";
        bool allowed = false;
        if (count < 6 || !zframe_streq (frames [0], ZAP_VERSION))
            jm_log_warning ("ZAP: malformed request (%zu frames) from libzmq; refused", count);
        else
            allowed = s_decide (self, frames, count, user_id, sizeof user_id, why, sizeof why);
        //  The reply echoes the request id; a REP socket must answer every request
        zmsg_t *reply = zmsg_new ();
        zmsg_addstr (reply, ZAP_VERSION);
        if (count >= 2)
            zmsg_addmem (reply, zframe_data (frames [1]), zframe_size (frames [1]));
        else
            zmsg_addstr (reply, "");
        zmsg_addstr (reply, allowed? "200": "400");
        zmsg_addstr (reply, allowed? "OK": why);
        zmsg_addstr (reply, user_id);
        zmsg_addmem (reply, "", 0);
        if (zmsg_send (&reply, self->sock))
            zmsg_destroy (&reply);
        zmsg_destroy (&msg);
    }
}

uint64_t
jm_zap_denied (jm_zap_t *self, const char *domain_name)
{
    assert (self);
    domain_t *domain = s_domain_lookup (self, domain_name);
    return domain? domain->denied: 0;
}

const char *
jm_zap_role (const char *user_id, char *buffer, size_t size)
{
    assert (buffer && size > 0);
    buffer [0] = 0;
    const char *colon = user_id? strchr (user_id, ':'): NULL;
    if (colon && (size_t) (colon - user_id) < size) {
        memcpy (buffer, user_id, (size_t) (colon - user_id));
        buffer [colon - user_id] = 0;
    }
    return buffer;
}
