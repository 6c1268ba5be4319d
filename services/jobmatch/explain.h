/*  jobmatch CLI: the --explain breakdown of a result.  See explain.c.     */
#ifndef JM_CLI_EXPLAIN_H
#define JM_CLI_EXPLAIN_H

#include "cli.h"

//  Appends the readable breakdown of result (a result object as
//  jm_result_write_json writes it, detail full; borrowed) to out, ending
//  with a newline.  job (NULL allowed): the job scored, for its title and
//  its taxonomy's skill names (else skills show as ids).
void jm_cli_explain (json_t *result, const jm_job_t *job, jm_buf_t *out);

#endif
