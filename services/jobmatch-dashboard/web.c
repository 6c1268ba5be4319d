/*  web: the page's files, served from memory.  See web.h.               */
#include "web.h"
#include "jm_alloc.h"
#include "jm_engine.h"

#include <assert.h>
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  The installed web root, PREFIX/share/jobmatch/web (the Makefile sets it)
#ifndef JM_WEBDIR
#define JM_WEBDIR "/usr/local/share/jobmatch/web"
#endif

#define FILES_MAX       64
#define FILE_SIZE_MAX   (4 * 1024 * 1024)

struct _jm_web_t {
    char *root;
    jm_web_file_t files [FILES_MAX];
    size_t count;
};

static bool
s_has_index (const char *folder)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/index.html", folder);
    return access (path, R_OK) == 0;
}

const char *
jm_web_root_find (void)
{
    static char found [PATH_MAX];
    if (jm_exe_relative ("../share/jobmatch/web", found, sizeof found) == 0 && s_has_index (found))
        return found;
    if (s_has_index (JM_WEBDIR))
        return JM_WEBDIR;
    char makefile [PATH_MAX];
    if (jm_exe_relative ("../../services/jobmatch-dashboard/web", found, sizeof found) == 0 && s_has_index (found)
    &&  jm_exe_relative ("../../Makefile", makefile, sizeof makefile) == 0 && access (makefile, R_OK) == 0)
        return found;
    return NULL;
}

static const char *
s_content_type (const char *name)
{
    static const char *types [][2] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".ico", "image/x-icon" },
        { ".json", "application/json" },
        { ".txt", "text/plain; charset=utf-8" }
    };
    const char *dot = strrchr (name, '.');
    for (size_t index = 0; dot && index < sizeof types / sizeof types [0]; index++)
        if (strcmp (dot, types [index][0]) == 0)
            return types [index][1];
    return NULL;
}

jm_web_t *
jm_web_new (const char *root, jm_error_t *err)
{
    assert (root);
    DIR *dir = opendir (root);
    if (!dir) {
        jm_error_set (err, JM_ERR_IO, "cannot open the web root %s: %m", root);
        return NULL;
    }
    jm_web_t *self = jm_calloc (1, sizeof *self);
    self->root = jm_strdup (root);
    struct dirent *entry;
    while ((entry = readdir (dir)) && self->count < FILES_MAX) {
        const char *type = s_content_type (entry->d_name);
        if (!type || entry->d_name [0] == '.')
            continue;
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", root, entry->d_name);
        FILE *file = fopen (path, "rb");
        struct stat info;
        if (!file || fstat (fileno (file), &info) || !S_ISREG (info.st_mode)
        ||  info.st_size > FILE_SIZE_MAX) {
            if (file)
                fclose (file);
            continue;
        }
        char *data = jm_malloc ((size_t) info.st_size + 1);
        size_t size = fread (data, 1, (size_t) info.st_size, file);
        fclose (file);
        data [size] = 0;
        //  a content hash as the ETag, so a changed file is fetched again
        uint64_t hash = 1469598103934665603ULL;
        for (size_t index = 0; index < size; index++) {
            hash ^= (unsigned char) data [index];
            hash *= 1099511628211ULL;
        }
        char etag [24];
        snprintf (etag, sizeof etag, "\"%016llx\"", (unsigned long long) hash);
        self->files [self->count++] = (jm_web_file_t) {
            jm_strdup (entry->d_name), type, data, size, jm_strdup (etag)
        };
    }
    closedir (dir);
    if (!jm_web_find (self, "index.html")) {
        jm_error_set (err, JM_ERR_IO, "the web root %s has no index.html", root);
        jm_web_destroy (&self);
    }
    return self;
}

void
jm_web_destroy (jm_web_t **self_p)
{
    assert (self_p);
    jm_web_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++) {
        free ((char *) self->files [index].name);
        free ((char *) self->files [index].data);
        free ((char *) self->files [index].etag);
    }
    free (self->root);
    free (self);
    *self_p = NULL;
}

const jm_web_file_t *
jm_web_find (const jm_web_t *self, const char *name)
{
    assert (self && name);
    for (size_t index = 0; index < self->count; index++)
        if (strcmp (self->files [index].name, name) == 0)
            return &self->files [index];
    return NULL;
}

const char *
jm_web_root (const jm_web_t *self)
{
    assert (self);
    return self->root;
}
