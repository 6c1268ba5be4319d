/*  jm_log: stderr logging.  See jm_log.h.  */
#include "jm_log.h"
#include "jm_text_utf8.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_program [64] = "jobmatch";
static jm_log_level_t s_level = JM_LOG_INFO;
static jm_log_format_t s_format = JM_LOG_TEXT;

void
jm_log_init (const char *program, jm_log_level_t level)
{
    snprintf (s_program, sizeof s_program, "%s", program ? program : "jobmatch");
    s_level = level;
}

bool
jm_log_enabled (jm_log_level_t level)
{
    return level <= s_level;
}

void
jm_log_set_format (jm_log_format_t format)
{
    s_format = format;
}

int
jm_log_format_parse (const char *name, jm_log_format_t *format)
{
    assert (format);
    if (name && strcmp (name, "text") == 0)
        *format = JM_LOG_TEXT;
    else
    if (name && strcmp (name, "json") == 0)
        *format = JM_LOG_JSON;
    else
        return -1;
    return 0;
}

size_t
jm_log_json_string (const char *text, char *out, size_t size)
{
    assert (out && size >= 3);
    if (!text)
        text = "";
    const uint8_t *p = (const uint8_t *) text;
    size_t len = strlen (text);
    size_t pos = 0;
    out [pos++] = '"';
    //  Room for the closing quote and the NUL stays reserved
    for (size_t i = 0; i < len;) {
        static const char escaped [] = "\"\\\b\f\n\r\t";
        static const char letters [] = "\"\\bfnrt";
        char piece [8];
        size_t piece_len;
        size_t used = 1;
        uint8_t c = p [i];
        const char *simple = strchr (escaped, c);
        if (simple) {
            piece [0] = '\\';
            piece [1] = letters [simple - escaped];
            piece_len = 2;
        }
        else
        if (c < 0x20 || c == 0x7F)
            piece_len = (size_t) snprintf (piece, sizeof piece, "\\u%04x", c);
        else
        if (c < 0x80) {
            piece [0] = (char) c;
            piece_len = 1;
        }
        else
        if ((used = jm_text_utf8_length (p + i, len - i)) > 0) {
            memcpy (piece, p + i, used);
            piece_len = used;
        }
        else {
            memcpy (piece, "\\ufffd", 6);
            piece_len = 6;
            used = 1;
        }
        if (pos + piece_len + 2 > size)
            break;
        memcpy (out + pos, piece, piece_len);
        pos += piece_len;
        i += used;
    }
    out [pos++] = '"';
    out [pos] = '\0';
    return pos;
}

void
jm_log (jm_log_level_t level, const char *format, ...)
{
    if (level > s_level)
        return;
    static const char tags [] = "EWID";
    static const char *names [] = { "error", "warning", "info", "debug" };
    struct timeval now;
    gettimeofday (&now, NULL);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    char time_text [32];
    snprintf (time_text, sizeof time_text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
              tm.tm_min, tm.tm_sec, (int) (now.tv_usec / 1000));
    char message [2048];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    //  One write per record keeps lines whole when several processes share stderr
    if (s_format == JM_LOG_JSON) {
        //  Every byte of the message may become a six-byte escape
        char program [sizeof s_program * 6 + 3];
        char quoted [sizeof message * 6 + 3];
        jm_log_json_string (s_program, program, sizeof program);
        jm_log_json_string (message, quoted, sizeof quoted);
        fprintf (stderr, "{\"time\":\"%s\",\"program\":%s,\"pid\":%d,\"level\":\"%s\",\"message\":%s}\n",
                 time_text, program, (int) getpid (), names [level], quoted);
    }
    else
        fprintf (stderr, "%s %s[%d] %c %s\n", time_text, s_program, (int) getpid (),
                 tags [level], message);
}

char *
jm_log_redact_url (const char *url, char *out, size_t size)
{
    assert (out && size > 0);
    if (!url)
        url = "";
    //  A password may hold an unescaped '@': the user information ends at
    //  the last one
    const char *scheme_end = strstr (url, "://");
    const char *rest = scheme_end ? scheme_end + 3 : url;
    const char *at = strrchr (rest, '@');
    const char *colon = at ? memchr (rest, ':', (size_t) (at - rest)) : NULL;
    if (colon)
        snprintf (out, size, "%.*s***%s", (int) (colon + 1 - url), url, at);
    else
        snprintf (out, size, "%s", url);
    return out;
}
