/*  jm_hosts: allowed Host names and same-origin checks.  See jm_hosts.h.

    Every name, whether from the list, a Host header or an origin, goes
    through s_parse_authority, so the three compare in one canonical form:
    lower case, no trailing dot, IPv6 addresses as inet_ntop writes them
    inside brackets, and the port apart (-1 when absent).               */
#include "jm_hosts.h"
#include "jm_buf.h"
#include "jm_alloc.h"

#include <stdio.h>

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_SIZE   256             //  a DNS name is at most 253 bytes

typedef struct {
    char name [NAME_MAX_SIZE];          //  canonical; "" for "*"
    int port;                           //  -1: any (list) or absent (header)
    bool domain;                        //  ".example.com": that name and below
    bool any;                           //  "*"
} s_host_t;

struct _jm_hosts_t {
    s_host_t *entries;
    size_t count;
    size_t capacity;
    char *text;                         //  for logs
};

//  Parses "name", "name:port", "[v6]", "[v6]:port" (the first size bytes of
//  text) into host.  Returns false when it is none of those.
static bool
s_parse_authority (const char *text, size_t size, s_host_t *host)
{
    memset (host, 0, sizeof *host);
    host->port = -1;
    const char *end = text + size;
    const char *name_end;
    if (size && text [0] == '[') {
        const char *close = memchr (text, ']', size);
        if (!close || (size_t) (close - text - 1) >= INET6_ADDRSTRLEN)
            return false;
        char address [INET6_ADDRSTRLEN];
        memcpy (address, text + 1, (size_t) (close - text - 1));
        address [close - text - 1] = 0;
        struct in6_addr binary;
        if (inet_pton (AF_INET6, address, &binary) != 1)
            return false;
        host->name [0] = '[';
        inet_ntop (AF_INET6, &binary, host->name + 1, sizeof host->name - 2);
        strcat (host->name, "]");
        name_end = close + 1;
        if (name_end != end && *name_end != ':')
            return false;
    }
    else {
        const char *colon = memchr (text, ':', size);
        name_end = colon? colon: end;
        size_t name_size = (size_t) (name_end - text);
        if (name_size && text [name_size - 1] == '.')
            name_size--;                //  "localhost." is localhost
        if (name_size == 0 || name_size >= sizeof host->name)
            return false;
        for (size_t index = 0; index < name_size; index++) {
            unsigned char c = (unsigned char) text [index];
            if (!(isalnum (c) || c == '-' || c == '.' || c == '_'))
                return false;
            host->name [index] = (char) tolower (c);
        }
    }
    if (name_end != end) {
        //  ":port", 1 to 5 digits, at most 65535
        const char *digits = name_end + 1;
        size_t count = (size_t) (end - digits);
        if (count == 0 || count > 5)
            return false;
        long port = 0;
        for (size_t index = 0; index < count; index++) {
            if (!isdigit ((unsigned char) digits [index]))
                return false;
            port = port * 10 + (digits [index] - '0');
        }
        if (port > 65535)
            return false;
        host->port = (int) port;
    }
    return true;
}

//  Parses one list entry: an authority, a bare IPv6 address, ".domain" or "*".
static bool
s_parse_entry (const char *text, size_t size, s_host_t *host)
{
    if (size == 1 && text [0] == '*') {
        memset (host, 0, sizeof *host);
        host->port = -1;
        host->any = true;
        return true;
    }
    bool domain = size > 1 && text [0] == '.';
    if (domain) {
        text++;
        size--;
    }
    //  a bare IPv6 address has colons and no brackets
    const char *colon = memchr (text, ':', size);
    if (!domain && colon && memchr (colon + 1, ':', size - (size_t) (colon - text) - 1)
    &&  text [0] != '[') {
        char bracketed [INET6_ADDRSTRLEN + 2];
        if (size >= INET6_ADDRSTRLEN)
            return false;
        snprintf (bracketed, sizeof bracketed, "[%.*s]", (int) size, text);
        return s_parse_authority (bracketed, strlen (bracketed), host);
    }
    if (!s_parse_authority (text, size, host))
        return false;
    if (domain && (host->name [0] == '[' || host->port != -1))
        return false;               //  ".[::1]" or ".example.com:80" mean nothing
    host->domain = domain;
    return true;
}

jm_hosts_t *
jm_hosts_new (const char *list, jm_error_t *err)
{
    assert (list);
    jm_hosts_t *self = jm_calloc (1, sizeof *self);
    self->text = jm_strdup ("");
    const char *cursor = list;
    while (*cursor) {
        const char *comma = strchr (cursor, ',');
        size_t size = comma? (size_t) (comma - cursor): strlen (cursor);
        char entry [NAME_MAX_SIZE + 16];
        while (size && isspace ((unsigned char) *cursor)) {
            cursor++;
            size--;
        }
        while (size && isspace ((unsigned char) cursor [size - 1]))
            size--;
        if (size >= sizeof entry) {
            jm_error_set (err, JM_ERR_INVALID_DATA, "'%.40s...' is too long for a host name", cursor);
            jm_hosts_destroy (&self);
            return NULL;
        }
        if (size) {
            memcpy (entry, cursor, size);
            entry [size] = 0;
            if (jm_hosts_add (self, entry, err)) {
                jm_hosts_destroy (&self);
                return NULL;
            }
        }
        cursor += size;
        while (*cursor && *cursor != ',')
            cursor++;                   //  the trailing spaces
        if (*cursor == ',')
            cursor++;
    }
    return self;
}

void
jm_hosts_destroy (jm_hosts_t **self_p)
{
    assert (self_p);
    jm_hosts_t *self = *self_p;
    if (!self)
        return;
    free (self->entries);
    free (self->text);
    free (self);
    *self_p = NULL;
}

int
jm_hosts_add (jm_hosts_t *self, const char *entry, jm_error_t *err)
{
    assert (self && entry);
    s_host_t host;
    if (!s_parse_entry (entry, strlen (entry), &host))
        return jm_error_set (err, JM_ERR_INVALID_DATA,
                             "'%s' is not a host name or an address (either with :port), "
                             ".domain or *", entry);
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 8;
        self->entries = jm_realloc (self->entries, self->capacity * sizeof *self->entries);
    }
    self->entries [self->count++] = host;
    jm_buf_t text;
    jm_buf_init (&text);
    jm_buf_printf (&text, "%s%s%s%s", self->text, *self->text? ", ": "",
                   host.any? "*": host.domain? ".": "", host.name);
    if (host.port >= 0)
        jm_buf_printf (&text, ":%d", host.port);
    free (self->text);
    self->text = jm_buf_steal (&text, NULL);
    return 0;
}

//  True when name is domain or a name under it ("a.example.com").
static bool
s_under_domain (const char *name, const char *domain)
{
    size_t size = strlen (name), domain_size = strlen (domain);
    if (size == domain_size)
        return strcmp (name, domain) == 0;
    return size > domain_size && name [size - domain_size - 1] == '.'
        && strcmp (name + size - domain_size, domain) == 0;
}

bool
jm_hosts_allow (const jm_hosts_t *self, const char *host)
{
    assert (self);
    s_host_t given;
    if (!host || !s_parse_authority (host, strlen (host), &given))
        return false;
    for (size_t index = 0; index < self->count; index++) {
        const s_host_t *entry = &self->entries [index];
        if (entry->any)
            return true;
        if (entry->port >= 0 && entry->port != given.port)
            continue;
        if (entry->domain? s_under_domain (given.name, entry->name)
                         : strcmp (entry->name, given.name) == 0)
            return true;
    }
    return false;
}

const char *
jm_hosts_text (const jm_hosts_t *self)
{
    assert (self);
    return self->text;
}

static int
s_default_port (const char *scheme)
{
    return strcasecmp (scheme, "https") == 0? 443: strcasecmp (scheme, "http") == 0? 80: -1;
}

bool
jm_hosts_same_origin (const char *origin, const char *scheme, const char *host)
{
    if (!origin || !scheme || !host)
        return false;
    const char *separator = strstr (origin, "://");
    size_t scheme_size = strlen (scheme);
    if (!separator || (size_t) (separator - origin) != scheme_size
    ||  strncasecmp (origin, scheme, scheme_size) != 0)
        return false;
    const char *authority = separator + 3;
    size_t size = strcspn (authority, "/?#");
    if (memchr (authority, '@', size))
        return false;
    s_host_t theirs, ours;
    if (!s_parse_authority (authority, size, &theirs) || !s_parse_authority (host, strlen (host), &ours))
        return false;
    int default_port = s_default_port (scheme);
    if (theirs.port < 0)
        theirs.port = default_port;
    if (ours.port < 0)
        ours.port = default_port;
    return theirs.port == ours.port && strcmp (theirs.name, ours.name) == 0;
}
