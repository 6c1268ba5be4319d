/*  jobmatch CLI: the output file of `jobmatch batch`.  See batch_output.h. */
#include "batch_output.h"
#include "batch_json.h"
#include "cli.h"
#include "jm_alloc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JM_BATCH_OUT_FLUSH  (1024 * 1024)  //  write when this much is buffered
#define JM_BATCH_SCAN_BLOCK (4 * 1024 * 1024)

//  Write-behind on a regular file: the kernel is asked to start writing
//  every JM_BATCH_OUT_KICK bytes, and what lies more than JM_BATCH_OUT_KEEP
//  behind the end is waited for and dropped from the page cache.  A batch
//  of a million results writes ~5 GB: through the page cache alone every
//  page of that is fresh memory, which cost this CLI more CPU than all its
//  other work (and pushed other programs' files out of the cache).  This
//  way the output holds ~16 MB of cache and reuses it.
#define JM_BATCH_OUT_KICK   (4 * 1024 * 1024)
#define JM_BATCH_OUT_KEEP   (16 * 1024 * 1024)

static const char s_csv_header [] = "id,name,job,score,band,required,missing,error,line,cached,stored\n";
//  before "stored": an older output, resumed in its own columns
static const char s_csv_header_v1 [] = "id,name,job,score,band,required,missing,error,line,cached\n";
enum { s_CSV_ID, s_CSV_NAME, s_CSV_JOB, s_CSV_SCORE, s_CSV_BAND, s_CSV_REQUIRED, s_CSV_MISSING,
       s_CSV_ERROR, s_CSV_LINE, s_CSV_CACHED, s_CSV_STORED, s_CSV_FIELDS };


struct _jm_batch_output_t {
    int fd;
    char *path;
    jm_batch_out_format_t format;
    bool csv_v1;                //  CSV without the "stored" column
    char **jobs;
    int job_count;
    jm_buf_t buf;               //  records not yet written
    jm_buf_t text;              //  scratch: a decoded string
    bool write_behind;          //  a regular file: see JM_BATCH_OUT_KICK
    off_t written;              //  file offset after the last write
    off_t kicked;               //  writeback started up to here
    off_t dropped;              //  on disk and out of the cache up to here
};

const char *
jm_batch_band_name (int band)
{
    assert (band >= 0 && band < JM_BATCH_BANDS);
    return band < JM_BATCH_BAND_OTHER ? jm_band_name ((jm_band_t) band) : "other";
}

int
jm_batch_band_index (const char *value, size_t len)
{
    for (int band = 0; band < JM_BATCH_BAND_OTHER; band++)
        if (jm_batch_json_is_str (value, len, jm_batch_band_name (band)))
            return band;
    return JM_BATCH_BAND_OTHER;
}

void
jm_batch_tally_free (jm_batch_tally_t *tally)
{
    free (tally->not_stored_at);
    memset (tally, 0, sizeof *tally);
}

//  The candidate at position (in the output) has a result not stored.
static void
s_tally_not_stored (jm_batch_tally_t *tally, long position)
{
    if ((size_t) tally->not_stored == tally->not_stored_cap) {
        tally->not_stored_cap = tally->not_stored_cap ? tally->not_stored_cap * 2 : 256;
        tally->not_stored_at = jm_realloc (tally->not_stored_at, tally->not_stored_cap * sizeof (long));
    }
    tally->not_stored_at [tally->not_stored++] = position;
}

static void
s_tally_error (jm_batch_tally_t *tally, long line)
{
    tally->errors++;
    if (tally->error_line_count < JM_BATCH_ERROR_LINES_MAX)
        tally->error_lines [tally->error_line_count++] = line;
}


//  ---------------------------------------------------------------------------
//  Writing

static int
s_write_all (int fd, const char *data, size_t len, const char *path, jm_error_t *err)
{
    while (len) {
        ssize_t done = write (fd, data, len);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            return jm_error_set (err, JM_ERR_IO, "cannot write %s: %s", path, strerror (errno));
        }
        data += done;
        len -= (size_t) done;
    }
    return 0;
}

//  Starts writeback of what was written since the last kick, then waits
//  for and drops what lies more than JM_BATCH_OUT_KEEP behind.  Only a
//  hint to the kernel: when it fails, writing goes on without it.
static void
s_write_behind (jm_batch_output_t *self)
{
    if (self->written - self->kicked < JM_BATCH_OUT_KICK)
        return;
    if (sync_file_range (self->fd, self->kicked, self->written - self->kicked, SYNC_FILE_RANGE_WRITE)) {
        self->write_behind = false;
        return;
    }
    self->kicked = self->written;
    off_t drop_to = (self->kicked - JM_BATCH_OUT_KEEP) & ~(off_t) 4095;   //  whole pages
    if (drop_to <= self->dropped)
        return;
    unsigned int wait = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    if (sync_file_range (self->fd, self->dropped, drop_to - self->dropped, wait) == 0)
        posix_fadvise (self->fd, self->dropped, drop_to - self->dropped, POSIX_FADV_DONTNEED);
    self->dropped = drop_to;
}

//  Writes the buffered records to the file.  Returns 0, or -1 with err.
static int
s_flush (jm_batch_output_t *self, jm_error_t *err)
{
    if (self->buf.len == 0)
        return 0;
    int rc = s_write_all (self->fd, self->buf.data, self->buf.len, self->path, err);
    self->written += (off_t) self->buf.len;
    jm_buf_reset (&self->buf);
    if (rc == 0 && self->write_behind)
        s_write_behind (self);
    return rc;
}

//  A CSV field: quoted when it holds a comma, a quote or edge blanks; line
//  breaks become spaces so that one line is one record.
static void
s_csv_field (jm_buf_t *out, const char *text, size_t len, bool last)
{
    bool quote = len && (text [0] == ' ' || text [len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = text [i] == ',' || text [i] == '"' || text [i] == '\n' || text [i] == '\r';
    if (quote)
        jm_buf_append (out, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text [i];
        if (c != '"' && c != '\n' && c != '\r')
            continue;
        jm_buf_append (out, text + run, i - run);
        jm_buf_append (out, c == '"' ? "\"\"" : " ", c == '"' ? 2 : 1);
        run = i + 1;
    }
    jm_buf_append (out, text + run, len - run);
    if (quote)
        jm_buf_append (out, "\"", 1);
    jm_buf_append (out, last ? "\n" : ",", 1);
}

//  A JSON value as a CSV field: strings decoded, null empty, others as is.
static void
s_csv_json_field (jm_batch_output_t *self, const char *value, size_t len, bool last)
{
    jm_buf_reset (&self->text);
    if (value && !(len == 4 && memcmp (value, "null", 4) == 0))
        jm_batch_json_unescape (value, len, &self->text);
    s_csv_field (&self->buf, self->text.data ? self->text.data : "", self->text.len, last);
}

static void
s_csv_result (jm_batch_output_t *self, long line, const jm_batch_item_t *item)
{
    jm_batch_json_field_t fields [] = {
        JM_BATCH_FIELD ("candidate"), JM_BATCH_FIELD ("name"), JM_BATCH_FIELD ("job"),
        JM_BATCH_FIELD ("score"), JM_BATCH_FIELD ("band"), JM_BATCH_FIELD ("required"),
        JM_BATCH_FIELD ("missing"), JM_BATCH_FIELD ("cached"),
        JM_BATCH_FIELD ("missing_required_skills")
    };
    jm_batch_json_iter_t iter;
    jm_batch_json_iter_init (&iter, item->text, item->len);
    size_t size;
    jm_batch_json_fields (&iter, fields, 9, &size);
    if (!fields [6].value)
        fields [6] = fields [8];        //  a summary result: the required ones missing
    for (int f = 0; f < 6; f++)
        s_csv_json_field (self, fields [f].value, fields [f].len, false);
    //  missing: the labels joined with "; "
    jm_buf_t missing;
    jm_buf_init (&missing);
    if (fields [6].value && fields [6].value [0] == '[') {
        jm_batch_json_iter_t list;
        jm_batch_json_iter_init (&list, fields [6].value, fields [6].len);
        while (jm_batch_json_element (&list)) {
            const char *label = jm_batch_json_skip (&list, &size);
            if (missing.len)
                jm_buf_puts (&missing, "; ");
            jm_batch_json_unescape (label, size, &missing);
        }
    }
    s_csv_field (&self->buf, missing.data ? missing.data : "", missing.len, false);
    jm_buf_free (&missing);
    s_csv_field (&self->buf, "", 0, false);
    jm_buf_printf (&self->buf, "%ld,%s", line, item->cached ? "true" : "false");
    if (!self->csv_v1)
        jm_buf_puts (&self->buf, item->not_stored ? ",false" : ",true");
    jm_buf_puts (&self->buf, "\n");
}

//  An error record for job j: from the matcher's error entry (entry, len)
//  or from a local error (id, local).
static void
s_error_record (jm_batch_output_t *self, long line, int j, const char *entry, size_t entry_len,
                const char *id, const jm_error_t *local)
{
    jm_batch_json_field_t fields [] = { JM_BATCH_FIELD ("candidate"), JM_BATCH_FIELD ("error") };
    jm_batch_json_field_t error_fields [] = { JM_BATCH_FIELD ("code"), JM_BATCH_FIELD ("message") };
    if (entry) {
        jm_batch_json_iter_t iter;
        size_t size;
        jm_batch_json_iter_init (&iter, entry, entry_len);
        jm_batch_json_fields (&iter, fields, 2, &size);
        if (fields [1].value) {
            jm_batch_json_iter_init (&iter, fields [1].value, fields [1].len);
            jm_batch_json_fields (&iter, error_fields, 2, &size);
        }
    }
    jm_buf_t *out = &self->buf;
    if (self->format == JM_BATCH_OUT_JSONL) {
        jm_buf_printf (out, "{\"line\":%ld,\"candidate\":", line);
        if (entry && fields [0].value)
            jm_buf_append (out, fields [0].value, fields [0].len);
        else
            jm_buf_json_str (out, id);
        jm_buf_puts (out, ",\"job\":");
        jm_buf_json_str (out, self->jobs [j]);
        jm_buf_puts (out, ",\"error\":");
        if (entry && fields [1].value)
            jm_buf_append (out, fields [1].value, fields [1].len);
        else
        if (entry)
        {
            jm_error_write_json_open (JM_ERR_INTERNAL, "an error entry without an error", out);
            jm_buf_puts (out, "}");
        }
        else
            jm_error_write_json (local, out);
        jm_buf_puts (out, "}\n");
        return;
    }
    if (entry)
        s_csv_json_field (self, fields [0].value, fields [0].len, false);
    else
        s_csv_field (out, id ? id : "", id ? strlen (id) : 0, false);
    s_csv_field (out, "", 0, false);
    s_csv_field (out, self->jobs [j], strlen (self->jobs [j]), false);
    jm_buf_puts (out, ",,,,");
    jm_buf_t text;
    jm_buf_init (&text);
    if (entry) {
        jm_batch_json_unescape (error_fields [0].value ? error_fields [0].value : "\"internal\"",
                                error_fields [0].value ? error_fields [0].len : 10, &text);
        jm_buf_puts (&text, ": ");
        if (error_fields [1].value)
            jm_batch_json_unescape (error_fields [1].value, error_fields [1].len, &text);
    }
    else
        jm_buf_printf (&text, "%s: %s", local->code, local->message);
    s_csv_field (out, text.data, text.len, false);
    jm_buf_free (&text);
    jm_buf_printf (out, self->csv_v1 ? "%ld,\n" : "%ld,,\n", line);
}

int
jm_batch_output_record (jm_batch_output_t *self, long line, const jm_batch_item_t *items,
                        const char *id, const jm_error_t *local, jm_batch_tally_t *tally,
                        jm_error_t *err)
{
    bool error = !items, not_stored = false;
    for (int j = 0; j < self->job_count && !error; j++)
        error = items [j].error;
    for (int j = 0; j < self->job_count; j++) {
        if (!items)
            s_error_record (self, line, j, NULL, 0, id, local);
        else
        if (items [j].error)
            s_error_record (self, line, j, items [j].text, items [j].len, NULL, NULL);
        else
        if (self->format == JM_BATCH_OUT_JSONL) {
            jm_buf_append (&self->buf, items [j].text, items [j].len);
            jm_buf_append (&self->buf, "\n", 1);
        }
        else
            s_csv_result (self, line, &items [j]);
        if (!error) {
            tally->results++;
            tally->bands [items [j].band]++;
            if (items [j].cached)
                tally->cached++;
            else
                tally->scored++;
            not_stored |= items [j].not_stored;
        }
    }
    if (error)
        s_tally_error (tally, line);
    if (not_stored)
        s_tally_not_stored (tally, tally->candidates);
    tally->candidates++;
    if (self->buf.len >= JM_BATCH_OUT_FLUSH)
        return s_flush (self, err);
    return 0;
}


//  ---------------------------------------------------------------------------
//  Resuming: what is already there

//  What one candidate's records say, while they are read.
typedef struct {
    int lines;                  //  records read of this candidate
    bool error;
    bool not_stored;            //  a result says "stored": false
    long error_line;
    long results, scored, cached;
    long bands [JM_BATCH_BANDS];
    jm_buf_t id;                //  its id, decoded
    bool has_id;
} s_group_t;

typedef struct {
    jm_batch_output_t *self;
    jm_batch_tally_t *tally;
    s_group_t group;
    jm_buf_t last_id;
    bool last_has_id;
    long line;                  //  output line number, for messages
    uint64_t valid;             //  offset after the last complete candidate
    bool damaged;               //  stop reading: the rest is cut
    jm_error_t *err;
    //  jm_batch_output_results: each result record handed to fn
    jm_batch_result_fn *fn;
    void *arg;
    long long *versions;        //  the candidate's records: job_version (0: not said)
    bool *results;              //  a result, not an error
    bool *stored;               //  not "stored": false
} s_scan_t;

//  Splits one CSV line of our own writing into fields (decoded into text,
//  offsets in starts/ends).  Returns the field count.
static int
s_csv_split_line (const char *line, size_t len, jm_buf_t *text, size_t *starts, size_t *ends, int max)
{
    int count = 0;
    size_t i = 0;
    jm_buf_reset (text);
    while (count < max) {
        starts [count] = text->len;
        if (i < len && line [i] == '"') {
            i++;
            while (i < len) {
                if (line [i] == '"') {
                    if (i + 1 < len && line [i + 1] == '"') {
                        jm_buf_append (text, "\"", 1);
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                jm_buf_append (text, line + i, 1);
                i++;
            }
        }
        while (i < len && line [i] != ',')
            jm_buf_append (text, line + i++, 1);
        ends [count++] = text->len;
        if (i >= len)
            break;
        i++;
    }
    jm_buf_append (text, "", 1);        //  a NUL, so text->data is never NULL
    return count;
}

//  Reads one complete output line (without its newline) into the group.
//  Returns 0, or -1 when the line is not a record of ours (damaged), or
//  -2 with err filled when it is for another job.
static int
s_scan_line (s_scan_t *scan, const char *line, size_t len)
{
    jm_batch_output_t *self = scan->self;
    s_group_t *group = &scan->group;
    const char *job = self->jobs [group->lines];
    bool error, cached = false, not_stored = false, job_ok;
    int band = JM_BATCH_BAND_OTHER;
    long input_line = 0;
    jm_buf_t id;
    jm_buf_init (&id);
    bool has_id = false;
    if (self->format == JM_BATCH_OUT_JSONL) {
        jm_batch_json_field_t fields [] = {
            JM_BATCH_FIELD ("candidate"), JM_BATCH_FIELD ("job"), JM_BATCH_FIELD ("band"),
            JM_BATCH_FIELD ("cached"), JM_BATCH_FIELD ("error"), JM_BATCH_FIELD ("line"),
            JM_BATCH_FIELD ("stored"), JM_BATCH_FIELD ("job_version")
        };
        jm_batch_json_iter_t iter;
        size_t size;
        jm_batch_json_iter_init (&iter, line, len);
        if (!jm_batch_json_fields (&iter, fields, 8, &size) || size != len || !fields [1].value) {
            jm_buf_free (&id);
            return -1;
        }
        job_ok = jm_batch_json_is_str (fields [1].value, fields [1].len, job);
        error = fields [4].value != NULL;
        if (fields [2].value)
            band = jm_batch_band_index (fields [2].value, fields [2].len);
        cached = fields [3].value && fields [3].value [0] == 't';
        not_stored = fields [6].value && fields [6].value [0] == 'f';
        if (fields [5].value)
            input_line = strtol (fields [5].value, NULL, 10);
        if (fields [7].value && scan->versions)
            scan->versions [group->lines] = strtoll (fields [7].value, NULL, 10);
        if (fields [0].value && fields [0].value [0] == '"') {
            jm_batch_json_unescape (fields [0].value, fields [0].len, &id);
            has_id = true;
        }
    }
    else {
        size_t starts [s_CSV_FIELDS + 1], ends [s_CSV_FIELDS + 1];
        jm_buf_t text;
        jm_buf_init (&text);
        int count = s_csv_split_line (line, len, &text, starts, ends, s_CSV_FIELDS + 1);
        if (count != s_CSV_FIELDS - self->csv_v1) {
            jm_buf_free (&text);
            jm_buf_free (&id);
            return -1;
        }
        const char *data = text.data;
        job_ok = ends [s_CSV_JOB] - starts [s_CSV_JOB] == strlen (job)
              && memcmp (data + starts [s_CSV_JOB], job, strlen (job)) == 0;
        error = ends [s_CSV_ERROR] > starts [s_CSV_ERROR];
        for (int b = 0; b < JM_BATCH_BAND_OTHER; b++)
            if (ends [s_CSV_BAND] - starts [s_CSV_BAND] == strlen (jm_batch_band_name (b))
            &&  memcmp (data + starts [s_CSV_BAND], jm_batch_band_name (b), strlen (jm_batch_band_name (b))) == 0)
                band = b;
        cached = ends [s_CSV_CACHED] - starts [s_CSV_CACHED] == 4 && memcmp (data + starts [s_CSV_CACHED], "true", 4) == 0;
        not_stored = !self->csv_v1 && ends [s_CSV_STORED] - starts [s_CSV_STORED] == 5
                  && memcmp (data + starts [s_CSV_STORED], "false", 5) == 0;
        input_line = strtol (data + starts [s_CSV_LINE], NULL, 10);
        if (ends [s_CSV_ID] > starts [s_CSV_ID]) {
            jm_buf_append (&id, data + starts [s_CSV_ID], ends [s_CSV_ID] - starts [s_CSV_ID]);
            has_id = true;
        }
        jm_buf_free (&text);
    }
    if (!job_ok) {
        jm_buf_free (&id);
        jm_error_set (scan->err, JM_ERR_INVALID_REQUEST,
                      "%s line %ld: a record for another job than '%s': the output was written "
                      "with other --job options (or is not a batch output); give the same jobs "
                      "or another --out", self->path, scan->line, job);
        return -2;
    }
    if (group->lines == 0) {
        jm_buf_reset (&group->id);
        group->has_id = has_id;
        if (has_id)
            jm_buf_append (&group->id, id.data, id.len);
    }
    jm_buf_free (&id);
    if (scan->fn) {
        scan->results [group->lines] = !error;
        scan->stored [group->lines] = !not_stored;
    }
    group->lines++;
    if (error) {
        if (!group->error)
            group->error_line = input_line;
        group->error = true;
    }
    else {
        group->results++;
        group->not_stored |= not_stored;
        group->bands [band]++;
        if (cached)
            group->cached++;
        else
            group->scored++;
    }
    return 0;
}

//  A candidate's records are all there: count them.
static void
s_scan_commit (s_scan_t *scan, uint64_t offset)
{
    s_group_t *group = &scan->group;
    jm_batch_tally_t *tally = scan->tally;
    if (group->error)
        s_tally_error (tally, group->error_line);
    else {
        tally->results += group->results;
        tally->scored += group->scored;
        tally->cached += group->cached;
        for (int b = 0; b < JM_BATCH_BANDS; b++)
            tally->bands [b] += group->bands [b];
        if (group->not_stored)
            s_tally_not_stored (tally, tally->candidates);
    }
    for (int j = 0; scan->fn && group->has_id && j < scan->self->job_count; j++) {
        jm_batch_result_ref_t ref = {
            tally->candidates, j, group->id.data, scan->versions [j], scan->stored [j]
        };
        if (scan->results [j])
            scan->fn (&ref, scan->arg);
    }
    if (scan->versions)
        memset (scan->versions, 0, (size_t) scan->self->job_count * sizeof (long long));
    tally->candidates++;
    jm_buf_reset (&scan->last_id);
    scan->last_has_id = group->has_id;
    if (group->has_id)
        jm_buf_append (&scan->last_id, group->id.data, group->id.len);
    scan->valid = offset;
    jm_buf_t keep = group->id;
    memset (group, 0, sizeof *group);
    group->id = keep;
}

//  Reads the whole file, line by line.  Returns 0 or -1 (err filled).
static int
s_scan (s_scan_t *scan, int fd)
{
    jm_batch_output_t *self = scan->self;
    char *block = jm_malloc (JM_BATCH_SCAN_BLOCK);
    jm_buf_t partial;           //  a line that crosses blocks
    jm_buf_init (&partial);
    uint64_t offset = 0;        //  file offset of block [0]
    bool header = self->format == JM_BATCH_OUT_CSV;
    int rc = 0;
    while (!scan->damaged && rc == 0) {
        ssize_t got = read (fd, block, JM_BATCH_SCAN_BLOCK);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            rc = jm_error_set (scan->err, JM_ERR_IO, "cannot read %s: %s", self->path, strerror (errno));
            break;
        }
        if (got == 0)
            break;
        size_t at = 0;
        while (at < (size_t) got && !scan->damaged) {
            const char *newline = memchr (block + at, '\n', (size_t) got - at);
            if (!newline) {
                jm_buf_append (&partial, block + at, (size_t) got - at);
                break;
            }
            size_t len = (size_t) (newline - (block + at));
            const char *line = block + at;
            if (partial.len) {
                jm_buf_append (&partial, line, len);
                line = partial.data;
                len = partial.len;
            }
            scan->line++;
            uint64_t after = offset + (size_t) (newline - block) + 1;
            if (header) {
                self->csv_v1 = len + 1 == strlen (s_csv_header_v1)
                             && memcmp (line, s_csv_header_v1, len) == 0;
                if (!self->csv_v1
                &&  (len + 1 != strlen (s_csv_header) || memcmp (line, s_csv_header, len) != 0)) {
                    rc = jm_error_set (scan->err, JM_ERR_INVALID_REQUEST,
                                       "%s: line 1 is not the CSV header of a batch output", self->path);
                    break;
                }
                header = false;
                scan->valid = after;
            }
            else {
                int line_rc = s_scan_line (scan, line, len);
                if (line_rc == -2) {
                    rc = -1;
                    break;
                }
                if (line_rc == -1) {
                    jm_cli_error ("%s line %ld: not a complete record; resuming from the last complete "
                                  "candidate before it", self->path, scan->line);
                    scan->damaged = true;
                    break;
                }
                if (scan->group.lines == self->job_count)
                    s_scan_commit (scan, after);
            }
            jm_buf_reset (&partial);
            at = (size_t) (newline - block) + 1;
        }
        offset += (uint64_t) got;
    }
    jm_buf_free (&partial);
    free (block);
    return rc;
}


//  ---------------------------------------------------------------------------
//  Opening and closing

jm_batch_output_t *
jm_batch_output_new (const char *path, jm_batch_out_format_t format, const char *const *jobs,
                     int job_count, bool resume, bool force, jm_batch_tally_t *tally,
                     char **last_id_p, jm_error_t *err)
{
    *last_id_p = NULL;
    bool use_stdout = strcmp (path, "-") == 0;
    int fd;
    uint64_t valid = 0;
    s_scan_t scan;
    memset (&scan, 0, sizeof scan);
    jm_batch_output_t *self = jm_calloc (1, sizeof *self);
    self->path = jm_strdup (use_stdout ? "<stdout>" : path);
    self->format = format;
    self->job_count = job_count;
    self->jobs = jm_calloc ((size_t) job_count, sizeof (char *));
    for (int j = 0; j < job_count; j++)
        self->jobs [j] = jm_strdup (jobs [j]);
    jm_buf_init (&self->buf);
    jm_buf_init (&self->text);
    self->fd = -1;
    if (use_stdout) {
        self->fd = STDOUT_FILENO;
        if (format == JM_BATCH_OUT_CSV)
            jm_buf_puts (&self->buf, s_csv_header);
        return self;
    }
    if (!resume) {
        struct stat info;
        if (!force && stat (path, &info) == 0 && S_ISREG (info.st_mode) && info.st_size > 0) {
            jm_error_set (err, JM_ERR_IO, "%s exists: give --resume to continue that run, or --force "
                          "to start it again", path);
            jm_batch_output_destroy (&self, false, NULL);
            return NULL;
        }
        fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    else
        fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        jm_error_set (err, JM_ERR_IO, "cannot open %s: %s", path, strerror (errno));
        jm_batch_output_destroy (&self, false, NULL);
        return NULL;
    }
    self->fd = fd;
    if (resume) {
        scan.self = self;
        scan.tally = tally;
        scan.err = err;
        jm_buf_init (&scan.group.id);
        jm_buf_init (&scan.last_id);
        int rc = s_scan (&scan, fd);
        valid = scan.valid;
        if (rc == 0 && scan.last_has_id && scan.last_id.data)
            *last_id_p = jm_strdup (scan.last_id.data);
        jm_buf_free (&scan.group.id);
        jm_buf_free (&scan.last_id);
        if (rc) {
            jm_batch_output_destroy (&self, false, NULL);
            return NULL;
        }
        struct stat info;
        if (fstat (fd, &info) == 0 && (uint64_t) info.st_size > valid && ftruncate (fd, (off_t) valid)) {
            jm_error_set (err, JM_ERR_IO, "cannot cut %s to its complete records: %s", path, strerror (errno));
            jm_batch_output_destroy (&self, false, NULL);
            return NULL;
        }
        if (lseek (fd, (off_t) valid, SEEK_SET) < 0) {
            jm_error_set (err, JM_ERR_IO, "cannot seek %s: %s", path, strerror (errno));
            jm_batch_output_destroy (&self, false, NULL);
            return NULL;
        }
    }
    struct stat info;
    self->write_behind = fstat (fd, &info) == 0 && S_ISREG (info.st_mode);
    self->written = self->kicked = self->dropped = (off_t) valid;
    if (format == JM_BATCH_OUT_CSV && valid == 0)
        jm_buf_puts (&self->buf, s_csv_header);
    return self;
}

int
jm_batch_output_destroy (jm_batch_output_t **self_p, bool sync, jm_error_t *err)
{
    jm_batch_output_t *self = *self_p;
    if (!self)
        return 0;
    int rc = 0;
    if (self->fd >= 0) {
        rc = s_flush (self, err);
        if (sync && self->fd != STDOUT_FILENO && fsync (self->fd) && rc == 0)
            rc = jm_error_set (err, JM_ERR_IO, "cannot sync %s: %s", self->path, strerror (errno));
        if (self->fd != STDOUT_FILENO && close (self->fd) && rc == 0)
            rc = jm_error_set (err, JM_ERR_IO, "cannot close %s: %s", self->path, strerror (errno));
    }
    for (int j = 0; j < self->job_count; j++)
        free (self->jobs [j]);
    free (self->jobs);
    free (self->path);
    jm_buf_free (&self->buf);
    jm_buf_free (&self->text);
    free (self);
    *self_p = NULL;
    return rc;
}

int
jm_batch_output_results (const char *path, jm_batch_out_format_t format, const char *const *jobs,
                         int job_count, jm_batch_result_fn *fn, void *arg, jm_error_t *err)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jm_error_set (err, JM_ERR_IO, "cannot open %s: %s", path, strerror (errno));
    jm_batch_output_t reader = { .fd = fd, .path = (char *) path, .format = format,
                                 .jobs = (char **) jobs, .job_count = job_count };
    jm_batch_tally_t tally;
    memset (&tally, 0, sizeof tally);
    s_scan_t scan = { .self = &reader, .tally = &tally, .err = err, .fn = fn, .arg = arg };
    scan.versions = jm_calloc ((size_t) job_count, sizeof (long long));
    scan.results = jm_calloc ((size_t) job_count, sizeof (bool));
    scan.stored = jm_calloc ((size_t) job_count, sizeof (bool));
    jm_buf_init (&scan.group.id);
    jm_buf_init (&scan.last_id);
    int rc = s_scan (&scan, fd);
    jm_buf_free (&scan.group.id);
    jm_buf_free (&scan.last_id);
    jm_batch_tally_free (&tally);
    free (scan.versions);
    free (scan.results);
    free (scan.stored);
    close (fd);
    return rc;
}

void
jm_batch_tally_add_not_stored (jm_batch_tally_t *tally, const long *positions, size_t count)
{
    if (count == 0)
        return;
    size_t total = (size_t) tally->not_stored + count;
    long *merged = jm_malloc (total * sizeof (long));
    size_t a = 0, b = 0, n = 0;
    while (a < (size_t) tally->not_stored || b < count) {
        long next = b == count || (a < (size_t) tally->not_stored && tally->not_stored_at [a] <= positions [b])
                  ? tally->not_stored_at [a++] : positions [b++];
        if (n == 0 || merged [n - 1] != next)
            merged [n++] = next;
    }
    free (tally->not_stored_at);
    tally->not_stored_at = merged;
    tally->not_stored_cap = total;
    tally->not_stored = (long) n;
}

//  ---------------------------------------------------------------------------
//  Repair: records scored again in place of the old ones

//  Reads one whole line (with its newline) into *line_p.  Returns its
//  length, 0 at the end, or -1 for a line cut short (no newline).
static ssize_t
s_read_line (FILE *file, char **line_p, size_t *cap_p)
{
    ssize_t len = getline (line_p, cap_p, file);
    if (len <= 0)
        return 0;
    return (*line_p) [len - 1] == '\n' ? len : -1;
}

int
jm_batch_output_merge (const char *path, const char *repair_path, jm_batch_out_format_t format,
                       int job_count, const long *positions, size_t count, jm_error_t *err)
{
    char *tmp = NULL;
    if (asprintf (&tmp, "%s.tmp", path) < 0)
        jm_alloc_check (NULL, "temporary file name");
    FILE *old = fopen (path, "r");
    FILE *repair = old ? fopen (repair_path, "r") : NULL;
    int fd = repair ? open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    FILE *out = fd >= 0 ? fdopen (fd, "w") : NULL;
    int rc = 0;
    if (!out) {
        rc = jm_error_set (err, JM_ERR_IO, "cannot open %s: %s", !old ? path : !repair ? repair_path : tmp,
                           strerror (errno));
        if (fd >= 0)
            close (fd);
    }
    char *line = NULL, *fresh = NULL;
    size_t line_cap = 0, fresh_cap = 0;
    ssize_t len;
    if (rc == 0 && format == JM_BATCH_OUT_CSV) {
        //  the old header (its columns are the records'); the repair's is skipped
        len = s_read_line (old, &line, &line_cap);
        if (len <= 0 || s_read_line (repair, &fresh, &fresh_cap) <= 0)
            rc = jm_error_set (err, JM_ERR_IO, "%s or %s has no CSV header", path, repair_path);
        else
            fwrite (line, 1, (size_t) len, out);
    }
    long position = 0;
    size_t next = 0;
    int in_group = 0;
    while (rc == 0 && (len = s_read_line (old, &line, &line_cap)) != 0) {
        bool replace = next < count && positions [next] == position;
        ssize_t fresh_len = replace ? s_read_line (repair, &fresh, &fresh_cap) : 0;
        if (len < 0 || (replace && fresh_len <= 0)) {
            rc = jm_error_set (err, JM_ERR_IO, "%s ends in the middle of a record", len < 0 ? path : repair_path);
            break;
        }
        if (replace)
            fwrite (fresh, 1, (size_t) fresh_len, out);
        else
            fwrite (line, 1, (size_t) len, out);
        if (++in_group == job_count) {
            in_group = 0;
            position++;
            next += replace;
        }
    }
    if (rc == 0 && (next != count || in_group || s_read_line (repair, &fresh, &fresh_cap) != 0))
        rc = jm_error_set (err, JM_ERR_IO, "%s does not hold the %zu candidates to repair in %s "
                           "(%zu found)", repair_path, count, path, next);
    if (out) {
        if (rc == 0 && (fflush (out) || fsync (fileno (out))))
            rc = jm_error_set (err, JM_ERR_IO, "cannot write %s: %s", tmp, strerror (errno));
        if (fclose (out) && rc == 0)
            rc = jm_error_set (err, JM_ERR_IO, "cannot write %s: %s", tmp, strerror (errno));
        if (rc == 0 && rename (tmp, path))
            rc = jm_error_set (err, JM_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror (errno));
        if (rc)
            unlink (tmp);
    }
    if (old)
        fclose (old);
    if (repair)
        fclose (repair);
    free (line);
    free (fresh);
    free (tmp);
    return rc;
}
