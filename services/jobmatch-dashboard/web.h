/*  web: the page's files (index.html, app.js, app.css), read once at start
    from the web root and served from memory.

    The web root is --web-root (or JOBMATCH_WEB_ROOT) when set, else the
    first folder holding index.html among: the installed share/jobmatch/web
    next to the running binary (bin/../share/jobmatch/web), the compiled-in
    JM_WEBDIR (PREFIX/share/jobmatch/web), and the source tree's
    services/jobmatch-dashboard/web when the binary runs from build/bin.
    Never the current directory.                                           */
#ifndef JM_WEB_H
#define JM_WEB_H

#include "jm_error.h"

#include <stddef.h>

typedef struct _jm_web_t jm_web_t;

//  One file, owned by the jm_web_t
typedef struct {
    const char *name;               //  "app.js"
    const char *content_type;
    const char *data;
    size_t size;
    const char *etag;               //  quoted, for If-None-Match
} jm_web_file_t;

//  Finds the web root when root is NULL or empty (see above).  Returns a
//  static string, or NULL when there is none.
const char *
    jm_web_root_find (void);

//  Reads every regular file of root with a known type (html, js, css, svg,
//  png, ico, json, txt), at most 64 files of 4 MiB each.  Returns NULL with
//  err filled (io_error) when root cannot be read or has no index.html.
jm_web_t *
    jm_web_new (const char *root, jm_error_t *err);

//  Frees the files; accepts NULL and nulls the caller's pointer.
void
    jm_web_destroy (jm_web_t **self_p);

//  The file named name (no slashes), or NULL.
const jm_web_file_t *
    jm_web_find (const jm_web_t *self, const char *name);

//  The folder the files came from.
const char *
    jm_web_root (const jm_web_t *self);

#endif
