/*  jm_summary: a job version's kept summary, as readers answer it.  See
    jm_summary.h.                                                           */
#include "jm_summary.h"
#include "jm_alloc.h"
#include "jm_score.h"

#include <stdlib.h>
#include <string.h>

bool
jm_summary_kept (const jm_reply_t *reply)
{
    return reply && reply->type == JM_REPLY_ARRAY && reply->count >= 2;
}

typedef struct {
    const char *label;          //  borrowed from the reply
    long long count;
} s_missing_t;

static int
s_compare_missing (const void *a, const void *b)
{
    const s_missing_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp (x->label, y->label);
}

void
jm_summary_write_json (const jm_reply_t *reply, jm_buf_t *out)
{
    long long total = 0, bands [JM_BAND_COUNT] = { 0 }, bins [JM_SCORE_BINS] = { 0 };
    size_t pairs = reply && reply->type == JM_REPLY_ARRAY ? reply->count / 2 : 0;
    s_missing_t *missing = jm_malloc ((pairs ? pairs : 1) * sizeof *missing);
    size_t missing_count = 0;
    for (size_t i = 0; i < pairs; i++) {
        const char *field = jm_reply_str (jm_reply_item (reply, 2 * i));
        long long value = 0;
        if (!field || !jm_reply_int (jm_reply_item (reply, 2 * i + 1), &value))
            continue;
        if (strcmp (field, "total") == 0)
            total = value;
        else
        if (strncmp (field, "bin:", 4) == 0 && field [4] >= '0' && field [4] < '0' + JM_SCORE_BINS
        &&  !field [5])
            bins [field [4] - '0'] = value;
        else
        if (strncmp (field, "band:", 5) == 0) {
            int band = jm_band_lookup (field + 5);
            if (band >= 0)
                bands [band] = value;
        }
        else
        if (strncmp (field, "missing:", 8) == 0 && value > 0)
            missing [missing_count++] = (s_missing_t) { field + 8, value };
    }
    qsort (missing, missing_count, sizeof *missing, s_compare_missing);
    jm_buf_printf (out, "\"total\":%lld,\"bands\":{", total);
    for (int b = 0; b < JM_BAND_COUNT; b++)
        jm_buf_printf (out, "%s\"%s\":%lld", b ? "," : "", jm_bands [b].name, bands [b]);
    jm_buf_puts (out, "},\"histogram\":[");
    for (int bin = 0; bin < JM_SCORE_BINS; bin++)
        jm_buf_printf (out, "%s%lld", bin ? "," : "", bins [bin]);
    jm_buf_puts (out, "],\"missing\":[");
    for (size_t m = 0; m < missing_count && m < JM_SUMMARY_MISSING; m++) {
        jm_buf_puts (out, m ? ",{\"requirement\":" : "{\"requirement\":");
        jm_buf_json_str (out, missing [m].label);
        jm_buf_printf (out, ",\"count\":%lld}", missing [m].count);
    }
    jm_buf_puts (out, "]");
    free (missing);
}
