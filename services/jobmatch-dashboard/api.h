/*  api: the handlers of /api/v1 (proto/openapi.yaml).

    Each turns an HTTP request into requests to the matchers' services
    (proto/services.md) through the gateway, and their replies into JSON
    responses; see exchange.h for how a handler waits for the gateway.
    Path parameters are the decoded segments of the route's '*'s.          */
#ifndef JM_API_H
#define JM_API_H

#include "exchange.h"

jm_handler_fn jm_api_jobs_list;          //  GET    /api/v1/jobs
jm_handler_fn jm_api_job_get;            //  GET    /api/v1/jobs/{job}
jm_handler_fn jm_api_job_put;            //  PUT    /api/v1/jobs/{job}
jm_handler_fn jm_api_job_delete;         //  DELETE /api/v1/jobs/{job}
jm_handler_fn jm_api_ranking;            //  GET    /api/v1/jobs/{job}/ranking
jm_handler_fn jm_api_summary;            //  GET    /api/v1/jobs/{job}/summary
jm_handler_fn jm_api_result;             //  GET    /api/v1/jobs/{job}/results/{candidate}
jm_handler_fn jm_api_candidate_results;  //  GET    /api/v1/candidates/{candidate}/results
jm_handler_fn jm_api_match;              //  POST   /api/v1/match
jm_handler_fn jm_api_best;               //  POST   /api/v1/best
jm_handler_fn jm_api_taxonomy;           //  GET    /api/v1/taxonomy
jm_handler_fn jm_api_system;             //  GET    /api/v1/system

//  Builds the unfiltered taxonomy document served by jm_api_taxonomy:
//  {"version", "skills": [{"id", "name", "category", "category_name",
//  "kind", "aliases": [...]}, ...]}.  Returns a new string (caller frees).
char *
    jm_api_taxonomy_json (const jm_taxonomy_t *taxonomy, size_t *len_p);

#endif
