/*  jobmatch CLI: one request to a service through the gateway, and its
    reply or a clear error.

    The commands that ask the matchers a question and print the answer
    (jobs put/get/list/delete, results, rank, best) all do the same thing:
    open a client connection to each gateway of --gateway (a list separated
    by commas), send one JSON request to one that is up, wait up to
    --timeout-ms for its reply (sending it again to another gateway when
    that one's connection goes down first), and either use the reply or tell the user
    what went wrong.  This module is that, once:

        ... the command's spec has jm_cli_remote_settings (or the rows
            JM_CLI_REMOTE_SETTINGS in its own settings table) ...
        int status;
        json_t *reply = jm_cli_remote_ask (cli, "jobmatch.jobs", &request, &status);
        if (!reply)
            return status;      //  the reason is printed

    Errors go to stderr as "jobmatch: CODE: message" (an unknown_skill error
    also lists each unknown name with the taxonomy's suggestion) or, when
    nothing comes back, "jobmatch: no reply from the gateway at EP within N
    ms".  Text from the peer is printed with control characters replaced.

    Exit status (JM_CLI_REMOTE_EXIT_HELP says it in --help): 1 when the
    service refused the request (not_found, unknown_skill, invalid_request:
    asking again will not help), 2 when it could not be answered (no reply,
    no_workers, busy, worker_lost, timeout, internal: it may work later) and for
    usage errors, so a script can tell "no such result" from "ask later".

    Ctrl-C keeps its default action (the program ends): czmq would
    otherwise catch it and turn a wait into a misleading timeout.           */
#ifndef JM_CLI_REMOTE_H
#define JM_CLI_REMOTE_H

#include "cli.h"
#include "jm_curve.h"

#define JM_CLI_GATEWAY_DEFAULT  "tcp://127.0.0.1:5570"
#define JM_CLI_TIMEOUT_DEFAULT  "10000"     //  ms to wait for one reply
#define JM_CLI_TIMEOUT_MAX      3600000

#define JM_CLI_REFUSED          1           //  exit: the service refused the request

//  The exit status paragraph of every remote command's --help.
#define JM_CLI_REMOTE_EXIT_HELP \
    "Exit status: 0 done; 1 the service refused the request (not_found,\n" \
    "unknown_skill, invalid_request, ...); 2 no answer (no reply within\n" \
    "--timeout-ms, no_workers, busy, worker_lost, internal: try again later), a\n" \
    "usage error, or a local file that cannot be read.\n"

//  The two settings every remote command reads (from cli->settings): put
//  them in the command's settings table, or use jm_cli_remote_settings when
//  it has no other.  One row each, so that --gateway and --timeout-ms (and
//  JOBMATCH_GATEWAY, JOBMATCH_TIMEOUT_MS) mean the same in every command.
//  --gateway is a list: --gateway A --gateway B, or A,B.
#define JM_CLI_REMOTE_SETTINGS \
    { "gateway", JM_CONFIG_STRING, JM_CLI_GATEWAY_DEFAULT, 0, 0, \
      "the gateways: requests spread over them, a lost one's go to another", NULL, true }, \
    { "timeout-ms", JM_CONFIG_INT, JM_CLI_TIMEOUT_DEFAULT, 1, JM_CLI_TIMEOUT_MAX, \
      "wait this long for each reply (then resend, or give up)" }

//  JM_CLI_REMOTE_SETTINGS alone, for a spec's settings.
extern const jm_config_option_t jm_cli_remote_settings [];

//  Loads the CURVE keys of the global settings --curve-server and
//  --curve-cert (JOBMATCH_CURVE_SERVER, JOBMATCH_CURVE_CERT).
//  Returns 0 with *curve_p NULL when neither is set (plaintext) or with the
//  keys, which the caller destroys; or JM_CLI_FATAL after printing why.
int jm_cli_curve (const jm_cli_t *cli, jm_curve_t **curve_p);

typedef struct _jm_cli_remote_t jm_cli_remote_t;

//  Opens a client connection to each gateway of the setting --gateway
//  (connecting does not wait for it), to wait --timeout-ms for each reply;
//  --verbose logs each request.  The command's spec has the remote
//  settings and jm_cli_getopt has read them.  Returns NULL after printing
//  the reason (a bad endpoint, unreadable CURVE keys).
jm_cli_remote_t *jm_cli_remote_new (const jm_cli_t *cli);

//  Closes the connection and frees the object.  Accepts NULL and nulls the
//  caller's pointer.
void jm_cli_remote_destroy (jm_cli_remote_t **self_p);

//  The same without a word on stderr and without checking "ok": returns
//  the reply object (caller releases), or NULL with err (may be NULL)
//  filled when no reply came (io_error) or it was not a JSON object.
json_t *jm_cli_remote_request (jm_cli_remote_t *self, const char *service, json_t *request,
                               jm_error_t *err);

//  One request, start to end: opens a connection (jm_cli_remote_new), sends
//  *request_p to service, closes.  Takes the request (nulls *request_p).
//  Returns the reply whose "ok" is true (caller releases), or NULL after
//  printing why, with *status set to the exit status to return.
json_t *jm_cli_remote_ask (jm_cli_t *cli, const char *service, json_t **request_p, int *status);

//  ---------------------------------------------------------------------------
//  What the remote commands share.

//  Reads path ("-": stdin) as one JSON object, what it holds named by what
//  ("job", "candidate") in errors.  Returns it (caller releases), or NULL
//  after printing "FILE:LINE:COLUMN: message" or why the file is unreadable.
json_t *jm_cli_object_read (const char *path, const char *what);

//  Appends value as JSON and a newline to out: one line, or indented by two
//  when pretty.  Reals print with 15 significant digits, so a score the
//  service sent as 91.7 prints as 91.7 (jansson's default, 17, would print
//  91.700000000000003).
void jm_cli_json_append (jm_buf_t *out, json_t *value, bool pretty);

//  Appends the progress of a re-scoring, {"version": V, "done": D, "total":
//  T}, as "v3: 400 of 1000 (40%)"; appends dash when it is null or absent.
void jm_cli_progress_append (jm_buf_t *out, json_t *rescoring, const char *dash);

//  True when results should print as a table: forced by --table (table) or
//  --json (json), else when stdout is a terminal.
bool jm_cli_want_table (bool table, bool json);

#endif
