/*  jm_log: stderr logging.  See jm_log.h.  */
#include "jm_log.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_program [64] = "jobmatch";
static jm_log_level_t s_level = JM_LOG_INFO;

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
jm_log (jm_log_level_t level, const char *format, ...)
{
    if (level > s_level)
        return;
    static const char tags [] = "EWID";
    struct timeval now;
    gettimeofday (&now, NULL);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    char line [2048];
    int len = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s[%d] %c ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                        tm.tm_min, tm.tm_sec, (int) (now.tv_usec / 1000), s_program,
                        (int) getpid (), tags [level]);
    va_list args;
    va_start (args, format);
    if (len > 0 && (size_t) len < sizeof line)
        vsnprintf (line + len, sizeof line - (size_t) len, format, args);
    va_end (args);
    //  One write per record keeps lines whole when several processes share stderr
    fprintf (stderr, "%s\n", line);
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
