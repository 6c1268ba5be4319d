/*  jobmatch CLI: the output file of `jobmatch batch`, and what it holds.

    The output is written strictly in input order, one record per input
    candidate per job (jobs in the order given), so that it can always be
    resumed by counting: N complete candidates are exactly the first
    N x jobs lines (after the header for CSV).  A bad candidate gets an
    error record for every job.  Records never contain a raw line break (the
    JSON is compact; CSV fields have line breaks turned into spaces).

      JSON lines: a result is the matcher's result object, byte for byte;
                  an error is {"line": N, "candidate": id|null, "job": id,
                  "error": {"code", "message", ...}}.
      CSV:        id,name,job,score,band,required,missing,error,line,cached,stored
                  (missing: the missing requirements joined with "; ";
                  error: "code: message"; an output of an older version,
                  without "stored", is resumed in its own columns).

    A result the matcher could not store ("stored": false: Redis was
    unavailable) counts as not stored, and the tally keeps the positions
    of such candidates, so that a repair (jm_batch_output_merge) can put
    their records scored again in place of the old ones.

    Opening with resume scans what is there: it cuts a partial last line
    and any records of a candidate not complete, checks that the records
    are for the same jobs, and counts them (the tally) so the summary
    covers the whole file.  Writes go straight to the file descriptor
    (write(2), no stdio buffer), so a killed process leaves at worst one
    partial line, which the next resume cuts.                             */
#ifndef JM_BATCH_OUTPUT_H
#define JM_BATCH_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jm_error.h"
#include "jm_score.h"

#define JM_BATCH_ERROR_LINES_MAX 1000  //  error line numbers kept for the summary

typedef enum { JM_BATCH_OUT_JSONL, JM_BATCH_OUT_CSV } jm_batch_out_format_t;

//  The bands of jm_bands (jm_band_t indexes), then "other" for a line without one.
enum { JM_BATCH_BAND_OTHER = JM_BAND_COUNT, JM_BATCH_BANDS };

//  What the output holds: candidates and results counted as written.
typedef struct {
    long candidates;            //  input candidates with all their records written
    long results;               //  result records
    long scored;                //  results scored afresh ("cached": false)
    long cached;                //  results served from the cache
    long errors;                //  candidates with error records
    long bands [JM_BATCH_BANDS];
    long error_lines [JM_BATCH_ERROR_LINES_MAX];   //  input lines of the first errors
    int error_line_count;
    long not_stored;            //  candidates with a result "stored": false
    long *not_stored_at;        //  their positions in the output, ascending (0: the
    size_t not_stored_cap;      //  first candidate); jm_batch_tally_free frees it
} jm_batch_tally_t;

//  Frees what a tally holds and zeroes it.
void jm_batch_tally_free (jm_batch_tally_t *tally);

//  One job's outcome for a candidate, as handed to jm_batch_output_record.
typedef struct {
    const char *text;           //  the reply's element: a result, or an error entry
    size_t len;                 //  {"position", "candidate", "error"}
    bool error;                 //  text is an error entry
    int band;                   //  a result's band (JM_BATCH_BAND_*)
    bool cached;                //  a result's "cached"
    bool not_stored;            //  a result's "stored" is false
} jm_batch_item_t;

typedef struct _jm_batch_output_t jm_batch_output_t;

//  Opens path ("-": stdout, never resumed) for jobs [0..job_count).
//  Without resume an existing non-empty file is refused unless force.
//  With resume, scans the file as above and fills *tally with what it
//  holds; *last_id_p gets a copy of the last complete candidate's id (or
//  NULL).  Returns NULL with err filled (io_error, or invalid_request when
//  the file holds something else).
jm_batch_output_t *jm_batch_output_new (const char *path, jm_batch_out_format_t format,
                                        const char *const *jobs, int job_count, bool resume,
                                        bool force, jm_batch_tally_t *tally, char **last_id_p,
                                        jm_error_t *err);

//  Writes what is buffered, syncs the file to disk when sync, closes it and
//  frees the writer.  Returns 0, or -1 with err filled.  Accepts NULL.
int jm_batch_output_destroy (jm_batch_output_t **self_p, bool sync, jm_error_t *err);

//  Writes the records of one candidate (its input line; items: one per
//  job) and counts them in tally.  For a candidate the CLI could not send
//  (bad input), items is NULL and local holds the error, id its id when
//  known.  Returns 0, or -1 with err filled when the file cannot be
//  written.
int jm_batch_output_record (jm_batch_output_t *self, long line, const jm_batch_item_t *items,
                            const char *id, const jm_error_t *local, jm_batch_tally_t *tally,
                            jm_error_t *err);


//  Writes a repaired output: the records of path (format and job_count as
//  written), with the records of the candidates at positions [0..count)
//  (ascending) taken instead from repair_path, which holds exactly those
//  candidates, in that order (a batch output of them alone).  Writes
//  path + ".tmp", syncs it and renames it over path, so path is at all
//  times either the old output or the new one.  Returns 0, or -1 with err
//  filled (path untouched then).
int jm_batch_output_merge (const char *path, const char *repair_path, jm_batch_out_format_t format,
                           int job_count, const long *positions, size_t count, jm_error_t *err);

//  One result record of an output, as jm_batch_output_results hands it over.
typedef struct {
    long position;              //  its candidate's position in the output (0: the first)
    int job;                    //  its job's index in jobs
    const char *candidate;      //  the candidate's id (borrowed for the call)
    long long version;          //  its "job_version"; 0 when the output does not say (CSV)
    bool stored;                //  not "stored": false
} jm_batch_result_ref_t;

typedef void (jm_batch_result_fn) (const jm_batch_result_ref_t *ref, void *arg);

//  Reads the output at path (format, written for jobs [0..job_count)) and
//  hands each result record of its complete candidates to fn, in order;
//  error records are left out.  Returns 0, or -1 with err filled (the file
//  cannot be read, or holds records of other jobs).
int jm_batch_output_results (const char *path, jm_batch_out_format_t format, const char *const *jobs,
                             int job_count, jm_batch_result_fn *fn, void *arg, jm_error_t *err);

//  Adds the positions [0..count) (ascending) to the tally's candidates not
//  stored, keeping that list ascending with each position once.
void jm_batch_tally_add_not_stored (jm_batch_tally_t *tally, const long *positions, size_t count);

//  The band index of a band value ("\"strong\"", raw JSON text).
int jm_batch_band_index (const char *value, size_t len);

//  The name of band index band: jm_band_name, or "other".
const char *jm_batch_band_name (int band);

#endif
