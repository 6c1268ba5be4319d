/*  jm_summary: a job version's kept summary, as readers answer it.

    The matcher keeps each job version's summary up to date in the same
    writes as its results (jm_store_results.c), in the hash
    <ns>:rank:<job>:<version>:summary (proto/redis-keys.md): total,
    bin:0..bin:9, band:<band>, missing:<label>.  Both readers (the matcher's
    jobmatch.results and the dashboard) read it with one HGETALL and turn
    the reply into JSON here.                                              */
#ifndef JM_SUMMARY_H
#define JM_SUMMARY_H

#include <stdbool.h>
#include "jm_buf.h"
#include "jm_store.h"

#define JM_SUMMARY_MISSING  20      //  requirements listed as most missing

//  True when reply (of HGETALL summary) holds a kept summary: a non-empty
//  field/value array.
bool jm_summary_kept (const jm_reply_t *reply);

//  Appends the summary in reply as JSON members, without braces:
//  "total":n,"bands":{...},"histogram":[10 counts],"missing":[{"requirement":
//  label,"count":n}...] (the JM_SUMMARY_MISSING most missed, ties by label).
//  Fields it does not know are ignored; bad numbers count as 0.
void jm_summary_write_json (const jm_reply_t *reply, jm_buf_t *out);

#endif
