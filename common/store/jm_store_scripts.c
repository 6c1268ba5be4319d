/*  jm_store_scripts: the store's table of Lua scripts.

    A script is named by its SHA-1 (jm_sha1), so EVALSHA can be queued
    before Redis has seen it.  This file only keeps the table: registering,
    handing it to a cluster client, freeing it.  Loading the scripts into
    Redis (SCRIPT LOAD, after each connection and after NOSCRIPT) is the
    connection's work, in jm_store.c.  See jm_store_internal.h.            */
#include "jm_store_internal.h"
#include "jm_sha1.h"
#include "jm_alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

const jm_store_script_t *
jm_store_script (jm_store_t *self, const char *name, const char *text)
{
    assert (self && name && text);
    jm_store_script_t *script = jm_calloc (1, sizeof *script);
    script->name = jm_strdup (name);
    script->text = jm_strdup (text);
    jm_sha1_hex (text, strlen (text), script->sha);
    self->scripts = jm_realloc (self->scripts, (self->script_count + 1) * sizeof (jm_store_script_t *));
    self->scripts [self->script_count++] = script;
    self->scripts_dirty = true;
    if (self->cluster)
        jm_cluster_script (self->cluster, text);
    return script;
}

void
jm_store__scripts_to_cluster (jm_store_t *self)
{
    for (size_t i = 0; i < self->script_count; i++)
        jm_cluster_script (self->cluster, self->scripts [i]->text);
}

void
jm_store__scripts_free (jm_store_t *self)
{
    for (size_t i = 0; i < self->script_count; i++) {
        free (self->scripts [i]->name);
        free (self->scripts [i]->text);
        free (self->scripts [i]);
    }
    free (self->scripts);
    self->scripts = NULL;
    self->script_count = 0;
}
