/*  jm_store_config: a store made from a program's settings.  See
    jm_store_new_from_config in jm_store.h.

    The password never needs the command line, where every local user can
    read it (ps): it comes from the URL, or from a file, or from the
    environment, in that order.  A copy read here is wiped once the store
    has its own.                                                          */
#include "jm_store.h"
#include "jm_config.h"
#include "jm_log.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define JM_STORE_PASSWORD_MAX   4096

//  Reads the first line of path into password (size bytes).  Returns 0,
//  or -1 with err set.
static int
s_read_password_file (const char *path, char *password, size_t size, jm_error_t *err)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "--redis-password-file %s: %s",
                             path, strerror (errno));
    struct stat info;
    if (fstat (fileno (file), &info) == 0 && (info.st_mode & 0077))
        jm_log_warning ("--redis-password-file %s can be read by other users (mode %04o): "
                        "chmod 600 it", path, (unsigned int) (info.st_mode & 07777));
    bool read = fgets (password, (int) size, file) != NULL;
    fclose (file);
    size_t len = read ? strcspn (password, "\r\n") : 0;
    if (read && len == size - 1 && password [len] == '\0') {
        explicit_bzero (password, size);
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "--redis-password-file %s: the "
                             "password is longer than %d bytes", path, JM_STORE_PASSWORD_MAX - 2);
    }
    if (read)
        password [len] = '\0';
    if (len == 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "--redis-password-file %s: the "
                             "first line is empty", path);
    return 0;
}

jm_store_t *
jm_store_new_from_config (jm_config_t *config, const jm_store_options_t *options,
                          jm_error_t *err)
{
    assert (config && options);
    const char *url = jm_config_string (config, "redis-url");
    if (!*url)
        url = jm_config_string (config, "redis");
    jm_store_options_t settings = *options;
    char password [JM_STORE_PASSWORD_MAX] = "";
    const char *password_file = jm_config_string (config, "redis-password-file");
    const char *from_env = getenv ("JOBMATCH_REDIS_PASSWORD");
    if (*password_file) {
        if (s_read_password_file (password_file, password, sizeof password, err))
            return NULL;
        settings.password = password;
    }
    else
    if (from_env && *from_env)
        settings.password = from_env;
    settings.tls_ca_file = jm_config_string (config, "redis-tls-ca");
    settings.tls_cert_file = jm_config_string (config, "redis-tls-cert");
    settings.tls_key_file = jm_config_string (config, "redis-tls-key");
    settings.tls_server_name = jm_config_string (config, "redis-tls-servername");
    jm_store_t *store = jm_store_new (url, &settings, err);
    explicit_bzero (password, sizeof password);
    return store;
}
