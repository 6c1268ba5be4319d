/*  jobmatch keys: CURVE certificates for the gateway and its peers.

      keys new NAME [--dir DIR]   writes DIR/NAME (the public certificate)
                                  and DIR/NAME_secret (both keys, mode 0600)

    The files are czmq zcert certificates (zcert_save), the format the
    gateway's --curve-cert and certificate directories and every client's
    --curve-server / --curve-cert read.  An existing file is never
    overwritten: a key in use stays in use.                               */
#include "cli.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const jm_cli_spec_t s_group_spec = {
    "keys", "COMMAND [ARGS...]",
    "CURVE certificates (czmq zcert files) for the gateway, matchers and clients.",
    NULL,
    "Commands:\n"
    "  new NAME [--dir DIR]      write a new key pair: NAME and NAME_secret\n"
    "\n'jobmatch keys COMMAND --help' tells more.\n"
};

static const jm_cli_option_t s_new_options [] = {
    { "dir", "DIR", "the directory to write to (default: the current one)" },
    { NULL }
};
enum { s_NEW_DIR };

static const jm_cli_spec_t s_new_spec = {
    "keys new", "NAME [--dir DIR]",
    "Writes a new CURVE key pair as two czmq certificates: DIR/NAME, the public\n"
    "certificate (give it to the other side: the gateway's to clients and matchers\n"
    "for --curve-server, a client's or matcher's into the gateway's --curve-clients,\n"
    "--curve-workers or --curve-admins directory), and DIR/NAME_secret, both keys,\n"
    "readable by the owner only (for --curve-cert).  Refuses to overwrite either file.",
    s_new_options,
    "Example:\n"
    "  jobmatch keys new gateway --dir keys\n"
    "  jobmatch keys new board-1 --dir keys && mv keys/board-1 keys/clients/\n"
    "  jobmatch-gateway --curve-cert keys/gateway_secret --curve-clients keys/clients \\\n"
    "      --curve-workers keys/workers ...\n"
};

//  Creates path empty with mode, failing when it exists.  Returns 0, or -1
//  after printing why.
static int
s_create_new (const char *path, mode_t mode)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            jm_cli_error ("%s exists; not overwriting it (choose another NAME or remove it)", path);
        else
            jm_cli_error ("cannot create %s: %s", path, strerror (errno));
        return -1;
    }
    close (fd);
    return 0;
}

static int
s_new (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value, *name = NULL, *dir = ".";
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_new_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_NEW_DIR)
            dir = value;
        else
        if (name)
            return jm_cli_usage_error (&s_new_spec, "one NAME only");
        else
            name = value;
    }
    if (!name)
        return jm_cli_usage_error (&s_new_spec, "a NAME is needed");
    size_t length = strlen (name);
    if (length == 0 || length > 200 || name [0] == '.' || strchr (name, '/')
    ||  (length >= 7 && strcmp (name + length - 7, "_secret") == 0))
        return jm_cli_usage_error (&s_new_spec, "NAME must be a plain file name (no '/', not "
                                   "starting with '.', not ending in _secret), 1..200 bytes");
    struct stat info;
    if (!*dir || stat (dir, &info) != 0 || !S_ISDIR (info.st_mode))
        return jm_cli_usage_error (&s_new_spec, "--dir '%.200s' is not a directory", dir);

    char public_path [4096], secret_path [4096 + 8];
    snprintf (public_path, sizeof public_path, "%s/%s", dir, name);
    snprintf (secret_path, sizeof secret_path, "%s_secret", public_path);
    //  Claim both names first, so an existing key is never replaced and the
    //  secret file is private from its first byte
    if (s_create_new (secret_path, 0600))
        return JM_CLI_FATAL;
    if (s_create_new (public_path, 0644)) {
        unlink (secret_path);
        return JM_CLI_FATAL;
    }
    zsys_handler_set (NULL);
    zcert_t *cert = zcert_new ();
    if (!cert) {
        unlink (secret_path);
        unlink (public_path);
        jm_cli_error ("cannot make a key pair: libzmq has no CURVE support");
        return JM_CLI_FATAL;
    }
    char created [32];
    time_t now = time (NULL);
    strftime (created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime (&now));
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "created-by", "jobmatch keys new");
    zcert_set_meta (cert, "created", "%s", created);
    int rc = zcert_save (cert, public_path);
    if (rc == 0 && chmod (secret_path, 0600) != 0)
        rc = -1;
    if (rc != 0) {
        jm_cli_error ("cannot write %s and %s: %s", public_path, secret_path, strerror (errno));
        unlink (secret_path);
        unlink (public_path);
        zcert_destroy (&cert);
        return JM_CLI_FATAL;
    }
    printf ("wrote %s (public) and %s (secret, mode 0600)\npublic key: %s\n", public_path,
            secret_path, zcert_public_txt (cert));
    zcert_destroy (&cert);
    return JM_CLI_OK;
}

int
jm_cli_cmd_keys (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_group_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (strcmp (value, "new") == 0)
            return s_new (cli, argc - args.index, argv + args.index);
        jm_buf_t name;
        jm_buf_init (&name);
        jm_cli_text_clean (&name, value, 60);
        status = jm_cli_usage_error (&s_group_spec, "unknown command '%s'", name.data ? name.data : "");
        jm_buf_free (&name);
        return status;
    }
    return jm_cli_usage_error (&s_group_spec, "a command is needed: new");
}
