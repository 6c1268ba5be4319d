/*  jm_store_results: results, profiles and rankings in jm_store.

    A batch lookup formats one HGET of each item's compact record
    (jm_record) into the store's scratch buffer, reused from batch to
    batch; a hit is a record with the fingerprint wanted.  A result write
    is the HSET of its record and its share of the ranking commands (ZADD,
    ZREM, the summary script), queued in the pending buffer or added to a
    jm_store_calls_t; the result JSON is not stored (readers recompute it,
    jm_results_read.h).  Keys come from jm_keys.  See jm_store.h and
    jm_store_internal.h.                                                    */
#include "jm_store_internal.h"
#include "jm_buf.h"
#include "jm_log.h"
#include "jm_alloc.h"
#include "jm_score.h"
#include "jm_record.h"

#include <czmq.h>

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Shortest decimal that reads back as the same double.
static int
s_format_double (char *out, size_t size, double value)
{
    //  The common case, a score of at most two decimals, without printf:
    //  when value is exactly n / 100 rounded (IEEE division rounds
    //  correctly, as strtod does), "n/100" in decimal reads back the same,
    //  and with trailing zeros trimmed it is what %.15g prints
    if (value >= 0 && value < 1e12 && !signbit (value) && size >= 24) {
        uint64_t scaled = (uint64_t) llround (value * 100);
        if ((double) scaled / 100 == value) {
            char *end = jm_buf_put_uint (out, scaled / 100);
            unsigned int cents = (unsigned int) (scaled % 100);
            if (cents) {
                *end++ = '.';
                *end++ = (char) ('0' + cents / 10);
                if (cents % 10)
                    *end++ = (char) ('0' + cents % 10);
            }
            *end = '\0';
            return (int) (end - out);
        }
    }
    if (isinf (value))
        return snprintf (out, size, "%s", value > 0 ? "+inf" : "-inf");
    int len = snprintf (out, size, "%.15g", value);
    if (strtod (out, NULL) != value)
        len = snprintf (out, size, "%.17g", value);
    return len;
}


//  --------------------------------------------------------------------------
//  Stored values

//  Every header line starts so; the fingerprint (no character in it needs
//  escaping: a version and hex digits) follows, then a quote
#define FP_PREFIX       "{\"fp\":\""
#define FP_PREFIX_LEN   (sizeof FP_PREFIX - 1)

const char *
jm_store_result_json (const char *value, size_t len, size_t *json_len)
{
    assert (value || len == 0);
    if (len < 2 || value [0] != '{')
        return NULL;
    const char *newline = memchr (value, '\n', len);
    if (!newline)
        return NULL;
    if (json_len)
        *json_len = len - (size_t) (newline + 1 - value);
    return newline + 1;
}

json_t *
jm_store_result_head (const char *value, size_t len)
{
    const char *json = jm_store_result_json (value, len, NULL);
    if (!json)
        return NULL;
    json_t *head = json_loadb (value, (size_t) (json - 1 - value), 0, NULL);
    if (head && !json_is_object (head)) {
        json_decref (head);
        head = NULL;
    }
    return head;
}

json_t *
jm_store_reply_result (const jm_reply_t *reply)
{
    if (!reply || reply->type != JM_REPLY_STRING)
        return NULL;
    size_t json_len;
    const char *json = jm_store_result_json (reply->str, reply->len, &json_len);
    return json ? json_loadb (json, json_len, 0, NULL) : NULL;
}

bool
jm_store_result_head_cut (size_t len)
{
    return len >= JM_STORE_RESULT_HEAD_READ;
}

size_t
jm_store_calls_add_result_head (jm_store_calls_t *self, const char *key)
{
    assert (self && key);
    char last [24];
    snprintf (last, sizeof last, "%d", JM_STORE_RESULT_HEAD_READ - 1);
    return jm_store_calls_addv (self, "GETRANGE", key, "0", last, NULL);
}


//  --------------------------------------------------------------------------
//  Lookups

//  True when reply holds a compact record (jm_record) whose fingerprint is
//  the one item wants now.  An undecodable record is a miss (logged).
static bool
s_lookup_hit (const jm_store_t *self, const jm_store_lookup_t *item, const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR) {
        jm_log_debug ("redis %s: lookup of %s/%s failed: %s", self->endpoint,
                      item->job, item->candidate, reply->str);
        return false;
    }
    if (reply->type != REDIS_REPLY_STRING || !item->fingerprint)
        return false;               //  nil: never scored, or expired
    jm_record_t record;
    jm_error_t error;
    jm_error_clear (&error);
    if (jm_record_decode ((const uint8_t *) reply->str, reply->len, &record, &error)) {
        jm_log_warning ("redis %s: record of %.64s/%.64s: %s", self->endpoint,
                        item->job, item->candidate, error.message);
        return false;
    }
    char fingerprint [JM_RECORD_FP_MAX];
    jm_record_fingerprint (&record, fingerprint);
    return strcmp (fingerprint, item->fingerprint) == 0;
}

//  Makes every item a miss until its reply says otherwise, and counts them.
static void
s_lookups_clear (jm_store_t *self, jm_store_lookup_t *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        items [i].hit = false;
    self->stats.lookups += count;
}

//  Formats an HGET per item into the scratch buffer, and in slots the item
//  of each command.  Returns how many commands (an invalid id cannot be
//  cached: its item has none, a miss).
static size_t
s_format_hgets (jm_store_t *self, const jm_store_lookup_t *items, size_t count)
{
    if (count > self->slot_cap) {
        free (self->slots);
        self->slot_cap = count;
        self->slots = jm_malloc (self->slot_cap * sizeof (size_t));
    }
    self->scratch.len = 0;
    size_t commands = 0;
    for (size_t i = 0; i < count; i++) {
        char key [JM_KEYS_MAX];
        int key_len = jm_keys_result_bucket (self->keys, items [i].job,
                                             jm_record_bucket (items [i].candidate,
                                                               JM_RECORD_BUCKETS),
                                             key, sizeof key, NULL);
        if (key_len < 0 || jm_keys_check_id ("candidate id", items [i].candidate, NULL))
            continue;
        const char *argv [] = { "HGET", key, items [i].candidate };
        size_t argvlen [] = { 4, (size_t) key_len, strlen (items [i].candidate) };
        jm_store__bytes_command (&self->scratch, 3, argv, argvlen);
        self->slots [commands++] = i;
    }
    return commands;
}

//  --------------------------------------------------------------------------
//  Streamed lookups: each hit is read from the socket when the caller
//  reaches its item, so a batch's cached results are never all held at
//  once (the caller copies each where it goes).

//  Frees the hit read ahead, if any.
static void
s_stream_drop_reply (jm_store_t *self)
{
    if (self->stream_reply)
        freeReplyObject (self->stream_reply);
    self->stream_reply = NULL;
}

//  Reads replies until a hit of an item from `from` on, which it keeps
//  (its item in stream_hit), or to the end; misses and the items before
//  from (skipped by the caller) are dropped.  SIZE_MAX: reads to the end.
static void
s_stream_read (jm_store_t *self, size_t from)
{
    while (jm_store__up (self) && self->stream_read < self->stream_commands) {
        redisReply *reply;
        if (jm_store__read_reply (self, &reply, self->stream_refused,
                                  sizeof self->stream_refused))
            break;                  //  lost: s_lost made the rest misses
        size_t item = self->slots [self->stream_read++];
        if (item >= from && s_lookup_hit (self, &self->stream_items [item], reply)) {
            self->stream_reply = reply;
            self->stream_hit = item;
            break;
        }
        freeReplyObject (reply);
    }
    if (self->stream_read == self->stream_commands && self->stream_commands) {
        self->stream_commands = self->stream_read = 0;
        if (jm_store__up (self) && jm_store__refused (self, self->stream_refused) == 0)
            self->stats.round_trips++;
        self->stream_refused [0] = '\0';
    }
}

void
jm_store__stream_end (jm_store_t *self)
{
    s_stream_drop_reply (self);
    if (jm_store__stream_open (self))
        s_stream_read (self, SIZE_MAX);
    self->stream_items = NULL;
}

int
jm_store_lookup_start (jm_store_t *self, jm_store_lookup_t *items, size_t count)
{
    assert (self);
    assert (items || count == 0);
    jm_store__stream_end (self);
    self->stream_end = jm_store__stream_end;
    s_lookups_clear (self, items, count);
    if (count == 0 || !jm_store__ensure (self))
        return count ? -1 : 0;
    size_t commands = s_format_hgets (self, items, count);
    if (commands == 0)
        return 0;
    self->stats.commands_sent += commands;
    if (jm_store__send (self, self->scratch.data, self->scratch.len))
        return -1;
    self->stream_items = items;
    self->stream_commands = commands;
    self->stream_read = 0;
    self->stream_refused [0] = '\0';
    return 0;
}

bool
jm_store_lookup_next (jm_store_t *self, size_t item)
{
    assert (self);
    jm_store_lookup_t *items = self->stream_items;
    if (!items)
        return false;               //  nothing sent: a miss
    if (self->stream_reply && self->stream_hit < item)
        s_stream_drop_reply (self);
    if (!self->stream_reply)
        s_stream_read (self, item);
    if (!self->stream_reply || self->stream_hit != item)
        return false;               //  a miss, read past already or to come
    items [item].hit = true;
    self->stats.hits++;
    return true;
}


//  --------------------------------------------------------------------------
//  Writes

static bool
s_valid_band (const char *band)
{
    return jm_band_lookup (band) >= 0;
}

//  Checks a result's version, fingerprint, json and band (its job and
//  candidate ids are checked as its key is built).  Returns 0, or -1 with
//  err set.
static int
s_check_result (const jm_store_result_t *result, jm_error_t *err)
{
    if (jm_keys_check_id ("job version", result->version, err))
        return -1;
    if (!isfinite (result->score))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "result of %s/%s has no finite score",
                             result->job, result->candidate);
    if (!result->fingerprint)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST,
                             "result of %s/%s has no fingerprint", result->job, result->candidate);
    if (result->band && !s_valid_band (result->band))
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "result of %s/%s: unknown band",
                             result->job, result->candidate);
    return 0;
}

//  Fills record from a result with a well-formed fingerprint (as the
//  matcher writes them; a result without band gets its score's band, one
//  without required counts 0 of 0).  Returns 0, or -1 when the fingerprint
//  or required is malformed (the result then has no record).
static int
s_result_record (const jm_store_result_t *result, jm_record_t *record)
{
    memset (record, 0, sizeof *record);
    int met = 0, total = 0, used = 0;
    if ((result->required
    &&  (sscanf (result->required, "%d of %d%n", &met, &total, &used) != 2
    ||   result->required [used] || met < 0 || met > total || total > 255))
    ||  jm_record_set_fingerprint (record, result->fingerprint, NULL))
        return -1;
    record->score = result->score;
    record->band = result->band ? (jm_band_t) jm_band_lookup (result->band)
                                : jm_score_band (result->score, met == total);
    record->required_met = met;
    record->required_total = total;
    record->at_ms = jm_store__wall_ms ();
    return 0;
}

//  Appends the commands storing a result's compact record (jm_record) to
//  out: HSET of its field in the job's bucket hash, then PEXPIRE of the
//  bucket to result_ttl_ms (a bucket lives while any of its records is
//  written).  Returns how many commands: none for a result without a
//  record (s_result_record).
static int
s_format_record (jm_store_t *self, jm_store__bytes_t *out, const jm_store_result_t *result)
{
    jm_record_t record;
    char key [JM_KEYS_MAX];
    int key_len = jm_keys_result_bucket (self->keys, result->job,
                                         jm_record_bucket (result->candidate, JM_RECORD_BUCKETS),
                                         key, sizeof key, NULL);
    if (key_len < 0 || s_result_record (result, &record))
        return 0;
    uint8_t bytes [JM_RECORD_MAX];
    size_t bytes_len = jm_record_encode (&record, bytes);
    const char *hset [] = { "HSET", key, result->candidate, (const char *) bytes };
    size_t hset_len [] = { 4, (size_t) key_len, strlen (result->candidate), bytes_len };
    jm_store__bytes_command (out, 4, hset, hset_len);
    if (self->options.result_ttl_ms <= 0)
        return 1;
    char ttl [24];
    const char *expire [] = { "PEXPIRE", key, ttl };
    size_t expire_len [] = { 7, (size_t) key_len,
        (size_t) (jm_buf_put_uint (ttl, (uint64_t) self->options.result_ttl_ms) - ttl) };
    jm_store__bytes_command (out, 3, expire, expire_len);
    return 2;
}

//  Appends the commands storing a result to out: its compact record
//  (s_format_record); readers recompute the breakdown from the stored
//  profile and the job version (jm_results_read.h), so the result JSON is
//  not stored.  Returns how many commands, or -1 with err set when the
//  result is invalid (nothing appended).
static int
s_format_set (jm_store_t *self, jm_store__bytes_t *out, const jm_store_result_t *result,
               jm_error_t *err)
{
    assert (self && result);
    char key [JM_KEYS_MAX];
    if (jm_keys_result_bucket (self->keys, result->job, 0, key, sizeof key, err) < 0
    ||  jm_keys_check_id ("candidate id", result->candidate, err)
    ||  s_check_result (result, err))
        return -1;
    int commands = s_format_record (self, out, result);
    if (commands == 0)
        return jm_error_set (err, JM_ERR_INVALID_REQUEST, "result of %.64s/%.64s: malformed "
                             "fingerprint or required", result->job, result->candidate);
    return commands;
}

//  Appends the ranking commands of count checked results of one job
//  version (index [] picks them from results; compacted) to out: one ZADD to the
//  ranking for all, and for each band set (strong, good) one ZADD of its
//  members and one ZREM of the others with a band (a candidate scored again
//  may have changed band: in one band set at most; partial and weak are
//  score ranges of the ranking).  Returns how many commands.
//  Keeps in index [] only the last result of each candidate, in order (a
//  candidate written twice in one batch ends in the band of its last
//  result, as when written one after the other).  Returns the new count.
static size_t
s_last_of_each_candidate (const jm_store_result_t *results, size_t *index, size_t count)
{
    if (count < 2)
        return count;
    zhashx_t *seen = zhashx_new ();             //  candidate ids, not copied
    zhashx_set_key_duplicator (seen, NULL);
    zhashx_set_key_destructor (seen, NULL);
    size_t kept = count;
    for (size_t i = count; i-- > 0; )
        if (zhashx_insert (seen, results [index [i]].candidate, (void *) results) == 0)
            index [--kept] = index [i];         //  the last one of its candidate
    zhashx_destroy (&seen);
    memmove (index, index + kept, (count - kept) * sizeof (size_t));
    return count - kept;
}

//  The kept summary of a job version, <ns>:rank:<job>:<version>:summary,
//  counts every candidate written to its ranking once, from its share in
//  :parts (candidate id -> its bin digit, its band's initial, then one byte
//  per requirement it misses: '0' + the requirement's index): a candidate
//  written again with the same share changes nothing (a write replayed
//  after a reconnect), with another share moves from its old bin, band and
//  requirements to the new (the changes of the whole group added up first:
//  one HINCRBY per field).  Then trims the ranking and its band sets to the
//  job's retention: the top N, or the scores from S on (the summary keeps
//  counting the candidates trimmed).  KEYS summary, parts, ranking, strong
//  set, good set; ARGV top (0: none), min score ("" none), the job's
//  labels (each followed by a NUL), then candidate, share, candidate,
//  share...  Returns how many shares changed.  Hash fields: total,
//  bin:0..bin:9, band:<band>, missing:<label> (deleted at 0).
static const char *s_summary_lua =
    "local summary, parts = KEYS[1], KEYS[2]\n"
    "local heads, missed = {}, {}\n"
    "local function count (share, by)\n"
    "  local head = string.sub (share, 1, 2)\n"
    "  heads [head] = (heads [head] or 0) + by\n"
    "  for i = 3, #share do\n"
    "    local r = string.byte (share, i) - 47\n"
    "    missed [r] = (missed [r] or 0) + by\n"
    "  end\n"
    "end\n"
    "local changed, added = 0, 0\n"
    "for first = 4, #ARGV, 2000 do\n"
    "  local last = math.min (first + 1999, #ARGV)\n"
    "  local ids, set = {}, {}\n"
    "  for i = first, last, 2 do ids [#ids + 1] = ARGV[i] end\n"
    "  local old = redis.call ('HMGET', parts, unpack (ids))\n"
    "  for k = 1, #ids do\n"
    "    local share = ARGV[first + 2 * k - 1]\n"
    "    if old [k] ~= share then\n"
    "      if old [k] then count (old [k], -1) else added = added + 1 end\n"
    "      count (share, 1)\n"
    "      set [#set + 1] = ids [k]\n"
    "      set [#set + 1] = share\n"
    "    end\n"
    "  end\n"
    "  if #set > 0 then redis.call ('HSET', parts, unpack (set)) end\n"
    "  changed = changed + #set / 2\n"
    "end\n"
    "local bands = { s = 'strong', g = 'good', p = 'partial', w = 'weak' }\n"
    "local delta = {}\n"
    "if added > 0 then delta ['total'] = added end\n"
    "for head, by in pairs (heads) do\n"
    "  local bin = 'bin:' .. string.sub (head, 1, 1)\n"
    "  local band = 'band:' .. (bands [string.sub (head, 2, 2)] or 'weak')\n"
    "  delta [bin] = (delta [bin] or 0) + by\n"
    "  delta [band] = (delta [band] or 0) + by\n"
    "end\n"
    "for field, by in pairs (delta) do\n"
    "  if by ~= 0 then redis.call ('HINCRBY', summary, field, by) end\n"
    "end\n"
    "if next (missed) then\n"
    "  local labels = {}\n"
    "  for label in string.gmatch (ARGV[3], '([^%z]*)%z') do labels [#labels + 1] = label end\n"
    "  for r, by in pairs (missed) do\n"
    "    local field = 'missing:' .. (labels [r] or ('#' .. r))\n"
    "    if by ~= 0 and redis.call ('HINCRBY', summary, field, by) <= 0 then\n"
    "      redis.call ('HDEL', summary, field)\n"
    "    end\n"
    "  end\n"
    "end\n"
"local gone = {}\n"
    "local top = tonumber (ARGV[1])\n"
    "if top > 0 then\n"
    "  local n = redis.call ('ZCARD', KEYS[3])\n"
    "  if n > top then gone = redis.call ('ZRANGE', KEYS[3], 0, n - top - 1) end\n"
    "elseif ARGV[2] ~= '' then\n"
    "  gone = redis.call ('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[2])\n"
    "end\n"
    "for i = 1, #gone, 1000 do\n"
    "  local last = math.min (i + 999, #gone)\n"
    "  for k = 3, 5 do redis.call ('ZREM', KEYS[k], unpack (gone, i, last)) end\n"
    "end\n"
    "return changed\n";

//  Appends the EVALSHA of the summary script for count results of one job
//  version (index [] picks them) to out.
static void
s_format_summary (jm_store_t *self, jm_store__bytes_t *out, const jm_store_result_t *results,
                  const size_t *index, size_t count)
{
    if (!self->summary_script)
        self->summary_script = jm_store_script (self, "summary", s_summary_lua);
    const jm_store_result_t *first = &results [index [0]];
    char keys [5][JM_KEYS_MAX], top [24], min_score [40] = "";
    jm_keys_summary (self->keys, first->job, first->version, keys [0], JM_KEYS_MAX, NULL);
    jm_keys_summary_parts (self->keys, first->job, first->version, keys [1], JM_KEYS_MAX, NULL);
    jm_keys_rank (self->keys, first->job, first->version, keys [2], JM_KEYS_MAX, NULL);
    jm_keys_rank_band (self->keys, first->job, first->version, jm_bands [JM_BAND_STRONG].name,
                       keys [3], JM_KEYS_MAX, NULL);
    jm_keys_rank_band (self->keys, first->job, first->version, jm_bands [JM_BAND_GOOD].name,
                       keys [4], JM_KEYS_MAX, NULL);
    snprintf (top, sizeof top, "%ld", first->retain_top > 0 ? first->retain_top : 0);
    if (first->retain_top <= 0 && first->retain_min_score > 0)
        s_format_double (min_score, sizeof min_score, first->retain_min_score);
    size_t argc = 8 + 2 * count;
    const char **argv = jm_malloc (argc * sizeof (char *));
    size_t *lens = jm_malloc (argc * sizeof (size_t));
    jm_buf_t shares;
    jm_buf_init (&shares);
    size_t *offsets = jm_malloc (count * sizeof (size_t));
    for (size_t i = 0; i < count; i++) {
        const jm_store_result_t *result = &results [index [i]];
        const char *band = result->band ? result->band
                         : jm_band_name (jm_score_band (result->score, false));
        offsets [i] = shares.len;
        char head [2] = { (char) ('0' + jm_score_bin (result->score)), band [0] };
        jm_buf_append (&shares, head, 2);
        if (result->missing && result->labels)
            jm_buf_append (&shares, result->missing, result->missing_len);
    }
    //  the labels of the group's job version, from any result that has them
    const char *labels = "";
    size_t labels_len = 0;
    for (size_t i = 0; i < count && !labels_len; i++)
        if (results [index [i]].labels) {
            labels = results [index [i]].labels;
            labels_len = results [index [i]].labels_len;
        }
    for (int k = 0; k < 5; k++) {
        argv [k] = keys [k];
        lens [k] = strlen (keys [k]);
    }
    argv [5] = top; lens [5] = strlen (top);
    argv [6] = min_score; lens [6] = strlen (min_score);
    argv [7] = labels; lens [7] = labels_len;
    for (size_t i = 0; i < count; i++) {
        argv [8 + 2 * i] = results [index [i]].candidate;
        lens [8 + 2 * i] = strlen (results [index [i]].candidate);
        argv [9 + 2 * i] = shares.data + offsets [i];
        lens [9 + 2 * i] = (i + 1 < count ? offsets [i + 1] : shares.len) - offsets [i];
    }
    jm_store__bytes_script (out, self->summary_script, 5, (int) argc, argv, lens);
    jm_buf_free (&shares);
    free (offsets);
    free (argv);
    free (lens);
}

static int
s_format_ranks (jm_store_t *self, jm_store__bytes_t *out, const jm_store_result_t *results,
                size_t *index, size_t count)
{
    count = s_last_of_each_candidate (results, index, count);
    const jm_store_result_t *first = &results [index [0]];
    size_t argc_max = 2 + 2 * count;
    const char **argv = jm_malloc (argc_max * sizeof (char *));
    size_t *lens = jm_malloc (argc_max * sizeof (size_t));
    char (*scores) [40] = jm_malloc (count * sizeof *scores);
    size_t *score_lens = jm_malloc (count * sizeof (size_t));
    char key [JM_KEYS_MAX];
    int key_len = jm_keys_rank (self->keys, first->job, first->version, key, sizeof key, NULL);
    int argc = 0;
    argv [argc] = "ZADD"; lens [argc++] = 4;
    argv [argc] = key; lens [argc++] = (size_t) key_len;
    for (size_t i = 0; i < count; i++) {
        const jm_store_result_t *result = &results [index [i]];
        score_lens [i] = (size_t) s_format_double (scores [i], sizeof scores [i], result->score);
        argv [argc] = scores [i];
        lens [argc++] = score_lens [i];
        argv [argc] = result->candidate;
        lens [argc++] = strlen (result->candidate);
    }
    jm_store__bytes_command (out, argc, argv, lens);
    int commands = 2;               //  the summary's and the ZADD
    for (int b = 0; b < JM_BAND_SETS; b++) {
        key_len = jm_keys_rank_band (self->keys, first->job, first->version, jm_bands [b].name,
                                     key, sizeof key, NULL);
        for (int adding = 1; adding >= 0; adding--) {
            int band_argc = 2;
            for (size_t i = 0; i < count; i++) {
                const jm_store_result_t *result = &results [index [i]];
                if (!result->band || (strcmp (result->band, jm_bands [b].name) == 0) != adding)
                    continue;
                if (adding) {
                    argv [band_argc] = scores [i];
                    lens [band_argc++] = score_lens [i];
                }
                argv [band_argc] = result->candidate;
                lens [band_argc++] = strlen (result->candidate);
            }
            if (band_argc == 2)
                continue;
            argv [0] = adding ? "ZADD" : "ZREM";
            lens [0] = 4;
            argv [1] = key;
            lens [1] = (size_t) key_len;
            jm_store__bytes_command (out, band_argc, argv, lens);
            commands++;
        }
    }
    free (argv);
    free (lens);
    free (scores);
    free (score_lens);
    //  last: it trims what the commands above added
    s_format_summary (self, out, results, index, count);
    return commands;
}

//  Appends to out each valid result's SET, then the ranking commands, one
//  group per job version (s_format_ranks).  errors [i] is cleared, or set
//  when result i is invalid (left out).  Returns how many commands; queued
//  says how many results.
static int
s_format_results (jm_store_t *self, jm_store__bytes_t *out, const jm_store_result_t *results,
                  size_t count, jm_error_t *errors, int *queued)
{
    size_t *index = jm_malloc (count * sizeof (size_t));
    bool *done = jm_calloc (count, sizeof (bool));     //  ranked, or left out
    int commands = 0;
    *queued = 0;
    for (size_t i = 0; i < count; i++) {
        jm_error_clear (&errors [i]);
        int stored = s_format_set (self, out, &results [i], &errors [i]);
        done [i] = stored < 0;
        if (!done [i]) {
            commands += stored;     //  its HSET and PEXPIRE
            (*queued)++;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (done [i])
            continue;
        size_t group = 0;
        for (size_t j = i; j < count; j++)
            if (!done [j] && strcmp (results [j].job, results [i].job) == 0
                          && strcmp (results [j].version, results [i].version) == 0) {
                done [j] = true;
                index [group++] = j;
            }
        commands += s_format_ranks (self, out, results, index, group);
    }
    free (index);
    free (done);
    return commands;
}

int
jm_store_write_many (jm_store_t *self, const jm_store_result_t *results, size_t count,
                     jm_error_t *errors)
{
    assert (self && (results || count == 0) && (errors || count == 0));
    if (count == 0)
        return 0;
    size_t start = jm_store__pending_begin (self);
    //  One transaction: a matcher that dies while sending leaves no result
    //  without its ranking entries (a later cache hit would not add them)
    const char *multi [] = { "MULTI" }, *exec [] = { "EXEC" };
    size_t multi_len [] = { 5 }, exec_len [] = { 4 };
    jm_store__bytes_command (&self->pend, 1, multi, multi_len);
    int queued;
    int commands = 1 + s_format_results (self, &self->pend, results, count, errors, &queued);
    if (!queued) {
        self->pend.len = start;         //  nothing to write: drop the MULTI
        return 0;
    }
    jm_store__bytes_command (&self->pend, 1, exec, exec_len);
    commands++;
    jm_store__pending_commit (self, start, (uint32_t) commands);
    return queued;
}

//  Registers the commands formatted into calls from start on, each for its
//  own reply (EVALSHA ones retried on NOSCRIPT).
static void
s_calls_register (jm_store_calls_t *calls, size_t start, int commands)
{
    const char *p = calls->bytes.data + start, *end = calls->bytes.data + calls->bytes.len;
    (void) end;                 //  used only by the assert under -DNDEBUG
    for (int c = 0; c < commands; c++) {
        size_t offset = (size_t) (p - calls->bytes.data);
        long argc = strtol (p + 1, NULL, 10);
        p = strchr (p, '\n') + 1;
        for (long arg = 0; arg < argc; arg++) {
            size_t arg_len = (size_t) strtoul (p + 1, NULL, 10);
            p = strchr (p, '\n') + 1 + arg_len + 2;
        }
        assert (p <= end);
        size_t saved = calls->bytes.len;
        calls->bytes.len = (size_t) (p - calls->bytes.data);
        const char *name = strchr (calls->bytes.data + offset, '\n') + 1;
        jm_store__calls_commit (calls, offset, strncmp (name, "$7\r\nEVALSHA\r\n", 14) == 0);
        calls->bytes.len = saved;
    }
}

int
jm_store_calls_add_results (jm_store_t *self, jm_store_calls_t *calls,
                            const jm_store_result_t *results, size_t count, jm_error_t *errors)
{
    assert (self && calls && (results || count == 0) && (errors || count == 0));
    if (count == 0)
        return 0;
    size_t start = calls->bytes.len;
    int queued;
    int commands = s_format_results (self, &calls->bytes, results, count, errors, &queued);
    s_calls_register (calls, start, commands);
    return queued;
}

int
jm_store_write_profile (jm_store_t *self, const char *candidate, const char *json,
                        size_t json_len, jm_error_t *err)
{
    assert (self && json);
    char key [JM_KEYS_MAX], ttl [24];
    int key_len = jm_keys_profile (self->keys, candidate, key, sizeof key, err);
    if (key_len < 0)
        return -1;
    if (!json_len)
        json_len = strlen (json);
    const char *argv [] = { "SET", key, json, "PX", ttl };
    size_t argvlen [] = { 3, (size_t) key_len, json_len, 2, 0 };
    argvlen [4] = (size_t) snprintf (ttl, sizeof ttl, "%lld", (long long) self->options.profile_ttl_ms);
    size_t start = jm_store__pending_begin (self);
    jm_store__bytes_command (&self->pend, self->options.profile_ttl_ms > 0 ? 5 : 3, argv, argvlen);
    return jm_store__pending_commit (self, start, 1);
}

//  --------------------------------------------------------------------------
//  Reads

//  What a read of one stored result found.
typedef struct {
    jm_store__bytes_t json;         //  the result JSON; data NULL when none
    bool failed;                    //  Redis answered with an error
} s_result_read_t;

static void
s_on_result_reply (jm_store_t *self, size_t index, redisReply *reply, void *arg)
{
    s_result_read_t *read = arg;
    size_t json_len;
    const char *json = reply->type == REDIS_REPLY_STRING
                     ? jm_store_result_json (reply->str, reply->len, &json_len) : NULL;
    if (json)
        jm_store__bytes_append (&read->json, json, json_len);  //  allocates even when empty
    else
    if (reply->type == REDIS_REPLY_STRING)
        jm_log_warning ("redis %s: a stored result without its header line", self->endpoint);
    else
    if (reply->type == REDIS_REPLY_ERROR) {
        jm_log_warning ("redis %s: read failed: %s", self->endpoint, reply->str);
        //  a key of another type (a result stored as a hash by an older
        //  version) holds no stored result; any other error is no answer
        read->failed = strncmp (reply->str, "WRONGTYPE", 9) != 0;
    }
}

int
jm_store_read_result (jm_store_t *self, const char *job, const char *candidate,
                      char **json_p, size_t *len_p)
{
    assert (self && json_p);
    *json_p = NULL;
    if (len_p)
        *len_p = 0;
    char key [JM_KEYS_MAX];
    int key_len = jm_keys_result (self->keys, job, candidate, key, sizeof key, NULL);
    if (key_len < 0 || !jm_store__ensure (self))
        return -1;
    jm_store__bytes_t command = { 0 };
    s_result_read_t read = { { 0 }, false };
    const char *argv [] = { "GET", key };
    size_t argvlen [] = { 3, (size_t) key_len };
    jm_store__bytes_command (&command, 2, argv, argvlen);
    int rc = jm_store__round_trip (self, command.data, command.len, 1, s_on_result_reply, &read);
    jm_store__bytes_free (&command);
    if (rc || read.failed || !read.json.data) {
        jm_store__bytes_free (&read.json);
        return rc || read.failed ? -1 : 0;  //  an error is no answer, not "none"
    }
    *json_p = read.json.data;
    if (len_p)
        *len_p = read.json.len;
    return 1;
}

