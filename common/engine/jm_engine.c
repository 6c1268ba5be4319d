/*  jm_engine: taxonomy + extractor + jobs.  See jm_engine.h.  */
#include "jm_engine.h"
#include "jm_alloc.h"

#include <assert.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  The installed data folder, PREFIX/share/jobmatch/data (the Makefile sets it)
#ifndef JM_DATADIR
#define JM_DATADIR "/usr/local/share/jobmatch/data"
#endif

struct _jm_engine_t {
    jm_taxonomy_t *taxonomy;
    jm_extractor_t *extractor;
    jm_job_t **jobs;            //  sorted by id
    int job_count, job_cap;
};

static bool
s_has_taxonomy (const char *dir)
{
    char path [PATH_MAX];
    struct stat info;
    snprintf (path, sizeof path, "%s/taxonomy.json", dir);
    return stat (path, &info) == 0 && S_ISREG (info.st_mode);
}

int
jm_exe_relative (const char *relative, char *path, size_t size)
{
    char exe [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return -1;
    exe [len] = 0;
    char *slash = strrchr (exe, '/');
    if (!slash)
        return -1;
    *slash = 0;
    int written = snprintf (path, size, "%s/%s", exe, relative);
    return written > 0 && (size_t) written < size? 0: -1;
}

const char *
jm_data_dir_find (void)
{
    static char found [PATH_MAX];
    const char *env = getenv ("JOBMATCH_DATA_DIR");
    if (env && *env) {
        snprintf (found, sizeof found, "%s", env);
        return found;
    }
    if (jm_exe_relative ("../share/jobmatch/data", found, sizeof found) == 0 && s_has_taxonomy (found))
        return found;
    if (s_has_taxonomy (JM_DATADIR))
        return JM_DATADIR;
    //  a build in the source tree: build/bin/../../data, next to the Makefile
    char makefile [PATH_MAX];
    struct stat info;
    if (jm_exe_relative ("../../data", found, sizeof found) == 0 && s_has_taxonomy (found)
    &&  jm_exe_relative ("../../Makefile", makefile, sizeof makefile) == 0 && stat (makefile, &info) == 0)
        return found;
    return NULL;
}

static int
s_compare_names (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

static int
s_load_jobs (jm_engine_t *self, const char *data_dir, jm_error_t *err)
{
    char dir_path [PATH_MAX];
    snprintf (dir_path, sizeof dir_path, "%s/jobs", data_dir);
    DIR *dir = opendir (dir_path);
    if (!dir)
        return jm_error_set (err, JM_ERR_IO, "cannot open the jobs directory %s: %m", dir_path);
    char *names [1024];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)) && count < 1024) {
        size_t len = strlen (entry->d_name);
        if (len > 5 && strcmp (entry->d_name + len - 5, ".json") == 0 && entry->d_name [0] != '.')
            names [count++] = jm_strdup (entry->d_name);
    }
    closedir (dir);
    qsort (names, (size_t) count, sizeof names [0], s_compare_names);
    int rc = 0;
    for (int i = 0; i < count; i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", dir_path, names [i]);
        jm_job_t *job = rc ? NULL : jm_job_load (path, self->taxonomy, err);
        if (job)
            jm_engine_put_job (self, &job);
        else
        if (!rc) {
            jm_error_prefix (err, "%s: ", path);
            rc = -1;
        }
        free (names [i]);
    }
    return rc;
}

jm_engine_t *
jm_engine_new (const char *data_dir, jm_error_t *err)
{
    if (!data_dir)
        data_dir = jm_data_dir_find ();
    if (!data_dir) {
        jm_error_set (err, JM_ERR_IO, "no data directory: set JOBMATCH_DATA_DIR or --data to the folder "
                                      "holding taxonomy.json and jobs/");
        return NULL;
    }
    jm_engine_t *self = jm_calloc (1, sizeof *self);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/taxonomy.json", data_dir);
    self->taxonomy = jm_taxonomy_load (path, err);
    if (!self->taxonomy) {
        jm_error_prefix (err, "%s: ", path);
        jm_engine_destroy (&self);
        return NULL;
    }
    self->extractor = jm_extractor_new (self->taxonomy);
    if (s_load_jobs (self, data_dir, err))
        jm_engine_destroy (&self);
    return self;
}

void
jm_engine_destroy (jm_engine_t **self_p)
{
    assert (self_p);
    jm_engine_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->job_count; i++)
        jm_job_destroy (&self->jobs [i]);
    free (self->jobs);
    jm_extractor_destroy (&self->extractor);
    jm_taxonomy_destroy (&self->taxonomy);
    free (self);
    *self_p = NULL;
}

const jm_taxonomy_t *jm_engine_taxonomy (const jm_engine_t *self) { return self->taxonomy; }
const jm_extractor_t *jm_engine_extractor (const jm_engine_t *self) { return self->extractor; }
int jm_engine_job_count (const jm_engine_t *self) { return self->job_count; }

jm_job_t *
jm_engine_job_at (const jm_engine_t *self, int index)
{
    return index >= 0 && index < self->job_count ? self->jobs [index] : NULL;
}

//  Position of id in the sorted job list, or where it would go (as -1 - position).
static int
s_find_job (const jm_engine_t *self, const char *id)
{
    int low = 0, high = self->job_count - 1;
    while (low <= high) {
        int middle = (low + high) / 2;
        int cmp = strcmp (jm_job_id (self->jobs [middle]), id);
        if (cmp == 0)
            return middle;
        if (cmp < 0)
            low = middle + 1;
        else
            high = middle - 1;
    }
    return -1 - low;
}

jm_job_t *
jm_engine_job (const jm_engine_t *self, const char *id)
{
    int index = id ? s_find_job (self, id) : -1;
    return index >= 0 ? self->jobs [index] : NULL;
}

void
jm_engine_put_job (jm_engine_t *self, jm_job_t **job_p)
{
    assert (job_p && *job_p);
    int index = s_find_job (self, jm_job_id (*job_p));
    if (index >= 0) {
        jm_job_destroy (&self->jobs [index]);
        self->jobs [index] = *job_p;
    }
    else {
        index = -1 - index;
        if (self->job_count == self->job_cap) {
            self->job_cap = self->job_cap ? self->job_cap * 2 : 16;
            self->jobs = jm_realloc (self->jobs, (size_t) self->job_cap * sizeof (jm_job_t *));
        }
        memmove (self->jobs + index + 1, self->jobs + index,
                 (size_t) (self->job_count - index) * sizeof (jm_job_t *));
        self->jobs [index] = *job_p;
        self->job_count++;
    }
    *job_p = NULL;
}

int
jm_engine_delete_job (jm_engine_t *self, const char *id)
{
    int index = s_find_job (self, id);
    if (index < 0)
        return -1;
    jm_job_destroy (&self->jobs [index]);
    memmove (self->jobs + index, self->jobs + index + 1,
             (size_t) (self->job_count - index - 1) * sizeof (jm_job_t *));
    self->job_count--;
    return 0;
}

jm_candidate_t *
jm_engine_candidate (const jm_engine_t *self, json_t *object, jm_error_t *err)
{
    return jm_candidate_new_from_json (object, self->taxonomy, self->extractor, err);
}

jm_candidate_t *
jm_engine_candidate_value (const jm_engine_t *self, const jm_json_t *object, jm_error_t *err)
{
    return jm_candidate_new_from_value (object, self->taxonomy, self->extractor, err);
}

