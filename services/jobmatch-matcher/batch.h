/*  batch: the jobmatch.match requests of one turn of the matcher, parsed.

    Each request body (proto/services.md) is read with jm_json into its
    candidates (entries, one per position, bad ones with their error) and
    the (job, candidate) pairs to serve (items, one per job named, each
    with its fingerprint: registry.h).  The matcher then looks the items up
    in Redis, scores the misses and writes the replies (matcher.c).  The
    arrays are kept from turn to turn; jm_batch_clear empties them.
    Bad input is an error in its request or entry, never an assert.       */
#ifndef JM_MATCHER_BATCH_H
#define JM_MATCHER_BATCH_H

#include "registry.h"
#include "jm_detail.h"
#include "jm_engine.h"
#include "jm_error.h"
#include "jm_json.h"
#include "jm_mdp.h"

#include <stdbool.h>
#include <stddef.h>

#define JM_MATCH_SERVICE         "jobmatch.match"
#define JM_MATCH_MAX_CANDIDATES  1000       //  candidates in one request
#define JM_MATCH_MAX_JOBS        32         //  jobs named in one request
#define JM_BATCH_MAX_REQUESTS    1024       //  requests in one batch

//  One candidate position of a request
typedef struct {
    jm_candidate_t *candidate;  //  NULL when the candidate was bad
    jm_error_t error;
    char *id;                   //  the id when known, for error entries
    int first_item;             //  its items, one per job
} jm_batch_entry_t;

//  One (job, candidate) pair
typedef struct {
    const jm_registry_job_t *info;
    int entry;
    char fingerprint [64];
    bool refresh;               //  scored and stored even when cached ("refresh": true)
    bool cached;                //  served from Redis (set as the reply is written)
    size_t offset, len;         //  new: its full JSON in the batch's text (replies.h)
} jm_batch_item_t;

//  One request
typedef struct {
    jm_mdp_request_t *request;  //  NULL once its reply has begun
    jm_error_t error;           //  the whole request failed
    bool single;                //  {"candidate": ...} rather than {"candidates": [...]}
    jm_detail_t detail;         //  how much of each result its reply carries
    int first_entry, entry_count;
} jm_batch_request_t;

typedef struct {
    jm_batch_request_t *requests;       //  JM_BATCH_MAX_REQUESTS of them
    int request_count;
    jm_batch_entry_t *entries;
    size_t entry_count, entry_cap;
    jm_batch_item_t *items;
    size_t item_count, item_cap;
    bool unknown_job_seen;      //  a request named a job not (yet) in the registry
    //  private
    jm_engine_t *engine;
    jm_registry_t *registry;
    jm_json_doc_t *doc;
} jm_batch_t;

//  An empty batch; borrows engine and registry.
jm_batch_t *
    jm_batch_new (jm_engine_t *engine, jm_registry_t *registry);

//  Frees the batch, its candidates and the requests it still holds; nulls
//  the pointer; safe on NULL.
void
    jm_batch_destroy (jm_batch_t **self_p);

//  Adds the request (taking it) and parses its body into entries and
//  items, or sets its error.  The batch must not be full
//  (JM_BATCH_MAX_REQUESTS).
void
    jm_batch_add (jm_batch_t *self, jm_mdp_request_t **request_p);

//  Parses every request again: after the registry reloaded (a request
//  named a job that another matcher had just put).
void
    jm_batch_reparse (jm_batch_t *self);

//  Frees the candidates, forgets the entries and items and lets go of the
//  requests (whose replies have begun).
void
    jm_batch_clear (jm_batch_t *self);

#endif
