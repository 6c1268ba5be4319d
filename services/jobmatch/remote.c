/*  jobmatch CLI: one request to a service through the gateway (remote.h).

    A thin layer over jm_gateways_t (one client connection per gateway,
    failing over when one is lost): the request is serialized with
    jansson, sent with a request id of the client's own, and the reply is
    parsed and checked for "ok".  Everything the user sees about a failure
    is written here, so every command words it the same way.               */
#include "remote.h"
#include "jm_gateways.h"
#include "jm_log.h"
#include "jm_mdp.h"
#include "jm_alloc.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _jm_cli_remote_t {
    jm_gateways_t *gateways;
    int timeout_ms;
};

const jm_config_option_t jm_cli_remote_settings [] = {
    JM_CLI_REMOTE_SETTINGS,
    { NULL }
};

int
jm_cli_curve (const jm_cli_t *cli, jm_curve_t **curve_p)
{
    assert (cli);
    const char *server = jm_cli_curve_server (cli);
    const char *cert = jm_cli_curve_cert (cli);
    jm_error_t err;
    jm_error_clear (&err);
    if (jm_curve_client_from (server, cert, curve_p, &err)) {
        jm_cli_error ("%s", err.message);
        return JM_CLI_FATAL;
    }
    return 0;
}

jm_cli_remote_t *
jm_cli_remote_new (const jm_cli_t *cli)
{
    assert (cli && cli->settings);      //  the spec has the remote settings
    jm_log_init (JM_CLI_PROGRAM, jm_cli_verbose (cli) ? JM_LOG_DEBUG : JM_LOG_WARNING);
    //  before czmq's first socket, so that it never installs its handlers
    zsys_handler_set (NULL);
    jm_curve_t *curve;
    if (jm_cli_curve (cli, &curve))
        return NULL;
    jm_error_t err;
    jm_error_clear (&err);
    jm_gateways_t *gateways = jm_gateways_new (jm_config_string (cli->settings, "gateway"), curve, &err);
    jm_curve_destroy (&curve);
    if (!gateways) {
        jm_buf_t text;
        jm_buf_init (&text);
        jm_cli_text_clean (&text, err.message, 300);
        jm_cli_error ("%s (give one like %s)", text.data, JM_CLI_GATEWAY_DEFAULT);
        jm_buf_free (&text);
        return NULL;
    }
    jm_cli_remote_t *self = jm_calloc (1, sizeof *self);
    self->gateways = gateways;
    self->timeout_ms = (int) jm_config_int (cli->settings, "timeout-ms");
    return self;
}

void
jm_cli_remote_destroy (jm_cli_remote_t **self_p)
{
    assert (self_p);
    jm_cli_remote_t *self = *self_p;
    if (!self)
        return;
    jm_gateways_destroy (&self->gateways);
    free (self);
    *self_p = NULL;
}

//  A string member of object, or NULL.
static const char *
s_string (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

//  Prints the error of a reply ({"ok": false, "error": {...}}) on stderr as
//  the header says and fills err (may be NULL).
static void
s_print_error (json_t *reply, jm_error_t *err)
{
    json_t *error = json_object_get (reply, "error");
    const char *code = s_string (error, "code");
    const char *message = s_string (error, "message");
    if (!code || !*code)
        code = JM_ERR_INTERNAL;
    if (!message)
        message = json_is_object (error) ? "" : "the reply says ok is false but carries no error";
    jm_error_set (err, code, "%s", message);

    //  the peer's text is not trusted to be printable
    jm_buf_t text;
    jm_buf_init (&text);
    jm_cli_text_clean (&text, code, 40);
    jm_buf_puts (&text, ": ");
    jm_cli_text_clean (&text, message, 1000);

    //  unknown_skill: each unknown name and the taxonomy's suggestion.  The
    //  spec puts the list in the error; accept it next to the error too.
    json_t *unknown = json_object_get (error, "unknown");
    if (!json_is_array (unknown))
        unknown = json_object_get (reply, "unknown");
    size_t index;
    json_t *entry;
    json_array_foreach (unknown, index, entry) {
        const char *input = json_is_string (entry) ? json_string_value (entry) : s_string (entry, "input");
        const char *suggestion = s_string (entry, "suggestion");
        jm_buf_puts (&text, "\n  '");
        jm_cli_text_clean (&text, input ? input : "?", 80);
        jm_buf_puts (&text, "': ");
        if (suggestion && *suggestion) {
            jm_buf_puts (&text, "did you mean '");
            jm_cli_text_clean (&text, suggestion, 80);
            jm_buf_puts (&text, "'?");
        }
        else
            jm_buf_puts (&text, "no close match in the taxonomy");
    }
    fflush (stdout);
    fprintf (stderr, "%s: %s\n", JM_CLI_PROGRAM, text.data);
    jm_buf_free (&text);
}

json_t *
jm_cli_remote_request (jm_cli_remote_t *self, const char *service, json_t *request, jm_error_t *err)
{
    assert (self);
    assert (service);
    assert (request);
    char *body = jm_alloc_check (json_dumps (request, JSON_COMPACT | JSON_REAL_PRECISION (15)),
                                 "JSON text");
    jm_error_t mdp_err;
    jm_error_clear (&mdp_err);
    int64_t started = zclock_mono ();
    char *text = jm_gateways_request (self->gateways, service, body, self->timeout_ms, &mdp_err);
    jm_log_debug ("%s: %zu bytes sent, %s after %lld ms", service, strlen (body),
                  text ? "replied" : "no reply", (long long) (zclock_mono () - started));
    free (body);
    if (!text) {
        jm_error_set (err, JM_ERR_IO, "no reply from the gateway at %s within %d ms",
                      jm_gateways_text (self->gateways), self->timeout_ms);
        return NULL;
    }
    json_error_t json_err;
    json_t *reply = json_loads (text, 0, &json_err);
    free (text);
    if (!json_is_object (reply)) {
        json_decref (reply);
        jm_error_set (err, JM_ERR_INTERNAL, "the reply from '%s' is not a JSON object", service);
        return NULL;
    }
    return reply;
}

//  Sends request (borrowed) to service and waits for the reply.  Returns it
//  when its "ok" is true (caller releases), or NULL after printing the
//  error, with err (may be NULL) holding its code (io_error: no reply).
static json_t *
s_call (jm_cli_remote_t *self, const char *service, json_t *request, jm_error_t *err)
{
    jm_error_t local;
    jm_error_clear (&local);
    json_t *reply = jm_cli_remote_request (self, service, request, &local);
    if (!reply) {
        jm_error_set (err, local.code, "%s", local.message);
        jm_buf_t text;
        jm_buf_init (&text);
        jm_cli_text_clean (&text, local.message, 1000);
        if (strcmp (local.code, JM_ERR_IO) == 0)
            jm_cli_error ("%s (is it running? --gateway or JOBMATCH_GATEWAY name it)", text.data);
        else
            jm_cli_error ("%s: %s", local.code, text.data);
        jm_buf_free (&text);
        return NULL;
    }
    if (!json_is_true (json_object_get (reply, "ok"))) {
        s_print_error (reply, err);
        json_decref (reply);
        return NULL;
    }
    return reply;
}

//  The exit status for a failed request: JM_CLI_REFUSED when the service
//  refused it, JM_CLI_FATAL when it could not be answered.
static int
s_exit_status (const jm_error_t *err)
{
    assert (err);
    static const char *unanswered [] = {
        JM_ERR_IO, JM_ERR_NO_WORKERS, JM_ERR_BUSY, JM_ERR_WORKER_LOST, JM_ERR_TIMEOUT,
        JM_ERR_INTERNAL, JM_ERR_UNAVAILABLE, NULL
    };
    for (int i = 0; unanswered [i]; i++)
        if (strcmp (err->code, unanswered [i]) == 0)
            return JM_CLI_FATAL;
    return JM_CLI_REFUSED;
}

json_t *
jm_cli_remote_ask (jm_cli_t *cli, const char *service, json_t **request_p, int *status)
{
    assert (request_p && *request_p);
    assert (status);
    json_t *reply = NULL;
    jm_cli_remote_t *remote = jm_cli_remote_new (cli);
    *status = JM_CLI_FATAL;
    if (remote) {
        jm_error_t err;
        jm_error_clear (&err);
        reply = s_call (remote, service, *request_p, &err);
        if (!reply)
            *status = s_exit_status (&err);
    }
    jm_cli_remote_destroy (&remote);
    json_decref (*request_p);
    *request_p = NULL;
    return reply;
}

void
jm_cli_json_append (jm_buf_t *out, json_t *value, bool pretty)
{
    size_t flags = JSON_REAL_PRECISION (15) | JSON_ENCODE_ANY | (pretty ? JSON_INDENT (2) : JSON_COMPACT);
    char *text = jm_alloc_check (json_dumps (value, flags), "JSON text");
    jm_buf_puts (out, text);
    jm_buf_puts (out, "\n");
    free (text);
}

void
jm_cli_progress_append (jm_buf_t *out, json_t *rescoring, const char *dash)
{
    if (!json_is_object (rescoring)) {
        jm_buf_puts (out, dash);
        return;
    }
    json_int_t version = json_integer_value (json_object_get (rescoring, "version"));
    double done = json_number_value (json_object_get (rescoring, "done"));
    double total = json_number_value (json_object_get (rescoring, "total"));
    //  rounded down, so that 100% means done
    int percent = total > 0 ? (int) (100 * done / total) : 100;
    jm_buf_printf (out, "v%lld: %.0f of %.0f (%d%%)", (long long) version, done, total,
                   percent > 100 ? 100 : percent);
}

bool
jm_cli_want_table (bool table, bool json)
{
    if (table || json)
        return table;
    return isatty (STDOUT_FILENO);
}

json_t *
jm_cli_object_read (const char *path, const char *what)
{
    jm_cli_input_t input;
    if (jm_cli_input_read (path, &input))
        return NULL;
    json_error_t json_err;
    json_t *value = json_loadb (input.data, input.len, JSON_REJECT_DUPLICATES, &json_err);
    if (!value) {
        char message [JSON_ERROR_TEXT_LENGTH];
        jm_cli_short_message (json_err.text, message, sizeof message);
        fflush (stdout);
        fprintf (stderr, "%s:%d:%d: %s: %s\n", input.name, json_err.line, json_err.column,
                 JM_ERR_INVALID_JSON, message);
    }
    else
    if (!json_is_object (value)) {
        static const char *kinds [] = {
            "an object", "an array", "a string", "a number", "a number", "true", "false", "null"
        };
        fflush (stdout);
        fprintf (stderr, "%s: %s: expected one %s as a JSON object, not %s\n", input.name,
                 JM_ERR_INVALID_JSON, what, kinds [json_typeof (value)]);
        json_decref (value);
        value = NULL;
    }
    jm_cli_input_free (&input);
    return value;
}
