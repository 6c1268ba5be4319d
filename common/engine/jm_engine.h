/*  jm_engine: the skill engine as one object — the taxonomy, the resume
    extractor and the registered jobs — plus the call that turns one
    candidate JSON object into one result JSON object.

    The CLI and the matcher both hold one engine.  Loading reads
    DATA/taxonomy.json and every .json file in DATA/jobs (the built-in profiles).  */
#ifndef JM_ENGINE_H
#define JM_ENGINE_H

#include <jansson.h>
#include "jm_buf.h"
#include "jm_candidate.h"
#include "jm_error.h"
#include "jm_extract.h"
#include "jm_job.h"
#include "jm_score.h"
#include "jm_taxonomy.h"

#define JM_DEFAULT_JOB "backend-developer"

typedef struct _jm_engine_t jm_engine_t;

//  Finds the data directory (after an explicit --data, which callers check):
//  $JOBMATCH_DATA_DIR, then the installed share/jobmatch/data next to the
//  running binary (BIN/../share/jobmatch/data), then the compiled-in
//  JM_DATADIR (PREFIX/share/jobmatch/data), then the source tree's data/ when
//  the binary runs from build/bin.  Never the current directory.  Returns a
//  static string, or NULL when none exists.
const char *jm_data_dir_find (void);

//  Writes the running binary's folder + "/" + relative into path.  Returns 0,
//  or -1 when /proc/self/exe is unreadable or the path does not fit.
int jm_exe_relative (const char *relative, char *path, size_t size);

//  Loads the taxonomy and the jobs from data_dir (NULL: jm_data_dir_find).
//  Returns NULL with err set when a file is missing or invalid.
jm_engine_t *jm_engine_new (const char *data_dir, jm_error_t *err);

//  Frees the engine, its jobs and taxonomy; nulls the pointer; safe on NULL.
void jm_engine_destroy (jm_engine_t **self_p);

//  Borrowed parts.
const jm_taxonomy_t *jm_engine_taxonomy (const jm_engine_t *self);
const jm_extractor_t *jm_engine_extractor (const jm_engine_t *self);

//  Registered jobs: count, by position (sorted by id), by id (NULL if none).
int jm_engine_job_count (const jm_engine_t *self);
jm_job_t *jm_engine_job_at (const jm_engine_t *self, int index);
jm_job_t *jm_engine_job (const jm_engine_t *self, const char *id);

//  Registers a job, replacing any job with the same id; takes ownership.
void jm_engine_put_job (jm_engine_t *self, jm_job_t **job_p);

//  Removes a job; returns 0, or -1 when there is no such job.
int jm_engine_delete_job (jm_engine_t *self, const char *id);

//  Parses a candidate object (borrowed) with the engine's taxonomy and
//  extractor.  NULL with err set on bad input.
jm_candidate_t *jm_engine_candidate (const jm_engine_t *self, json_t *object, jm_error_t *err);

//  The same from a value read by jm_json (the services' fast path).
jm_candidate_t *jm_engine_candidate_value (const jm_engine_t *self, const jm_json_t *object,
                                           jm_error_t *err);

#endif
