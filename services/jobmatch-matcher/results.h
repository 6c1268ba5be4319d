/*  results: the service "jobmatch.results" (proto/services.md): one result,
    a job's ranking page with filters, a candidate's results across jobs,
    the best jobs for a profile, a job's summary, and which of a list of
    candidates Redis holds (a result and a ranking entry: the batch's
    --verify asks).

    Rankings are read at the version the job hash names as ranked, so a
    page never mixes versions; every read takes a fixed number of pipelined
    round trips, whatever the page size.                                   */
#ifndef JM_MATCHER_RESULTS_H
#define JM_MATCHER_RESULTS_H

#include "registry.h"

#define JM_RESULTS_SERVICE  "jobmatch.results"
#define JM_RESULTS_MAX_PAGE 1000        //  most entries in one rank page
#define JM_RESULTS_MAX_BEST 100         //  most jobs in one best reply
#define JM_RESULTS_MAX_STORED 1000      //  most candidates in one stored request

typedef struct _jm_results_t jm_results_t;

//  Creates the service; borrows engine, store and registry.
jm_results_t *
    jm_results_new (jm_engine_t *engine, jm_store_t *store, jm_registry_t *registry);

//  Frees it; nulls the pointer; safe on NULL.
void
    jm_results_destroy (jm_results_t **self_p);

//  Serves one request: body in, reply body in out.
void
    jm_results_serve (jm_results_t *self, const void *body, size_t size, jm_buf_t *out);

#endif
