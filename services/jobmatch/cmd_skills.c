/*  jobmatch skills: the taxonomy from the command line.

      skills normalize NAME...   what the normalizer makes of names as written
      skills extract [FILE|-]    the skills a resume mentions, with byte spans
      skills list                the taxonomy's skills                      */
#include "cli.h"
#include "jm_resume.h"
#include "jm_alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const jm_cli_spec_t s_group_spec = {
    "skills", "COMMAND [ARGS...]",
    "Normalizes, extracts and lists skills with the local taxonomy.",
    NULL,
    "Commands:\n"
    "  normalize [NAME...]       map names as written to taxonomy skills; reads one\n"
    "                            name per line from stdin when no NAME is given\n"
    "  extract [FILE|-]          find the skills a resume mentions\n"
    "  list [--category C] [--json]\n"
    "                            the taxonomy's skills\n"
    "\n'jobmatch skills COMMAND --help' tells more.\n"
};


//  ---------------------------------------------------------------------------
//  skills normalize

static const jm_cli_spec_t s_normalize_spec = {
    "skills normalize", "[NAME...]",
    "Maps skill names as written (\"NodeJS\", \"k8s\", \"Kubernets\") to taxonomy skills.\n"
    "Without NAME, reads one name per line from stdin.  Prints one JSON object per\n"
    "name: input, id, name, category, kind, match (exact, alias, typo or unknown),\n"
    "distance for a typo, and suggestion / suggestion_name for an unknown name.",
    NULL, NULL
};

//  Appends one name's result line to out.  Returns 0, or 1 when the name
//  is not valid UTF-8 (an error object is written instead).
static int
s_normalize_one (const jm_taxonomy_t *taxonomy, const char *text, size_t len, long position,
                 jm_buf_t *out)
{
    long bad = jm_cli_utf8_invalid (text, len);
    if (bad >= 0 || memchr (text, 0, len)) {
        char message [128];
        if (bad >= 0)
            snprintf (message, sizeof message, "name %ld is not valid UTF-8 (byte 0x%02x at offset %ld)",
                      position, (unsigned char) text [bad], bad);
        else
            snprintf (message, sizeof message, "name %ld contains a NUL byte", position);
        jm_cli_error ("%s", message);
        jm_buf_puts (out, "{\"error\":");
        jm_error_write_json_open (JM_ERR_INVALID_REQUEST, message, out);
        jm_buf_printf (out, ",\"position\":%ld}}\n", position);
        return 1;
    }
    jm_lookup_t found = jm_normalize_lookup (taxonomy, text, len);
    jm_buf_puts (out, "{\"input\":");
    jm_buf_json_string (out, text, len);
    const jm_skill_t *skill = found.skill >= 0 ? jm_taxonomy_skill (taxonomy, found.skill) : NULL;
    jm_buf_puts (out, ",\"id\":");
    jm_buf_json_str (out, skill ? skill->id : NULL);
    jm_buf_puts (out, ",\"name\":");
    jm_buf_json_str (out, skill ? skill->name : NULL);
    jm_buf_puts (out, ",\"category\":");
    jm_buf_json_str (out, skill ? skill->category : NULL);
    jm_buf_puts (out, ",\"kind\":");
    jm_buf_json_str (out, skill ? jm_skill_kind_name (skill->kind) : NULL);
    jm_buf_printf (out, ",\"match\":\"%s\"", jm_match_name (found.match));
    if (found.match == JM_MATCH_TYPO)
        jm_buf_printf (out, ",\"distance\":%d", found.distance);
    if (!skill) {
        const jm_skill_t *suggestion = found.suggestion >= 0
                                     ? jm_taxonomy_skill (taxonomy, found.suggestion) : NULL;
        jm_buf_puts (out, ",\"suggestion\":");
        jm_buf_json_str (out, suggestion ? suggestion->id : NULL);
        if (suggestion) {
            jm_buf_puts (out, ",\"suggestion_name\":");
            jm_buf_json_str (out, suggestion->name);
        }
    }
    jm_buf_puts (out, "}\n");
    return 0;
}

static int
s_normalize (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option, status = JM_CLI_OK;
    const char **names = jm_calloc ((size_t) argc + 1, sizeof (char *));
    int name_count = 0;
    while ((option = jm_cli_getopt (cli, &s_normalize_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT) {
            free (names);
            return status;
        }
        names [name_count++] = value;
    }
    jm_engine_t *engine = jm_cli_engine (cli);
    if (!engine) {
        free (names);
        return JM_CLI_FATAL;
    }
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    jm_buf_t out;
    jm_buf_init (&out);
    int bad = 0;
    if (name_count) {
        for (int i = 0; i < name_count && status == JM_CLI_OK; i++) {
            jm_buf_reset (&out);
            bad += s_normalize_one (taxonomy, names [i], strlen (names [i]), i + 1, &out);
            if (jm_cli_write (&out))
                status = JM_CLI_FATAL;
        }
    }
    else {
        if (isatty (STDIN_FILENO))
            fprintf (stderr, "%s skills normalize: reading names from the terminal, one per line; "
                             "end with Ctrl-D\n", JM_CLI_PROGRAM);
        jm_cli_input_t input;
        if (jm_cli_input_read ("-", &input))
            status = JM_CLI_FATAL;
        else {
            long position = 0;
            size_t start = input.len >= 3 && memcmp (input.data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
            while (start < input.len && status == JM_CLI_OK) {
                const char *line = input.data + start;
                const char *newline = memchr (line, '\n', input.len - start);
                size_t len = newline ? (size_t) (newline - line) : input.len - start;
                start += len + 1;
                if (len && line [len - 1] == '\r')
                    len--;
                size_t blank = 0;
                while (blank < len && (line [blank] == ' ' || line [blank] == '\t'))
                    blank++;
                if (blank == len)
                    continue;           //  blank lines separate nothing
                jm_buf_reset (&out);
                bad += s_normalize_one (taxonomy, line, len, ++position, &out);
                if (jm_cli_write (&out))
                    status = JM_CLI_FATAL;
            }
            jm_cli_input_free (&input);
        }
    }
    jm_buf_free (&out);
    free (names);
    return status != JM_CLI_OK ? status : bad ? JM_CLI_BAD_ITEM : JM_CLI_OK;
}


//  ---------------------------------------------------------------------------
//  skills extract

static const jm_cli_spec_t s_extract_spec = {
    "skills extract", "[FILE|-]",
    "Finds the skills a resume mentions (UTF-8 text; HTML and Markdown are read too).\n"
    "Prints one JSON object:\n"
    "{\"skills\": [{\"id\", \"name\", \"category\", \"count\", \"spans\": [[start, end], ...],\n"
    "  \"level\", \"years\", \"since\" (when the text says), \"corrected\": true (a typo in a list)}],\n"
    " \"ignored\": [{\"id\", \"name\", \"span\": [start, end], \"status\", \"reason\", \"cue\": [start, end]}],\n"
    " \"bytes\": N}\n"
    "skills: those the candidate holds, in order of first mention; ignored: mentions\n"
    "that do not count (status negated, intended, others or ambiguous).  Spans are\n"
    "byte offsets [start, end) into the input.  Text that is not valid UTF-8 fails\n"
    "with its line and column (exit 1).",
    NULL, NULL
};

//  Appends one skill's held mentions: spans and the strongest evidence
static void
s_write_held (jm_buf_t *out, const jm_taxonomy_t *taxonomy, const jm_found_t *found, long count,
              int skill, bool comma)
{
    const jm_skill_t *entry = jm_taxonomy_skill (taxonomy, skill);
    int mentions = 0, level = 0, since = 0;
    double years = -1;
    bool corrected = false;
    for (long i = 0; i < count; i++)
        if (found [i].skill == skill && found [i].claim == JM_CLAIM_HELD) {
            mentions++;
            if (found [i].level > level)
                level = found [i].level;
            if (found [i].years > years)
                years = found [i].years;
            if (found [i].since && (!since || found [i].since < since))
                since = found [i].since;
            corrected |= found [i].corrected;
        }
    jm_buf_puts (out, comma ? ",{\"id\":" : "{\"id\":");
    jm_buf_json_str (out, entry->id);
    jm_buf_puts (out, ",\"name\":");
    jm_buf_json_str (out, entry->name);
    jm_buf_puts (out, ",\"category\":");
    jm_buf_json_str (out, entry->category);
    jm_buf_printf (out, ",\"count\":%d,\"spans\":[", mentions);
    bool first = true;
    for (long i = 0; i < count; i++)
        if (found [i].skill == skill && found [i].claim == JM_CLAIM_HELD) {
            jm_buf_printf (out, "%s[%u,%u]", first ? "" : ",",
                           (unsigned) found [i].start, (unsigned) found [i].end);
            first = false;
        }
    jm_buf_puts (out, "]");
    if (level)
        jm_buf_printf (out, ",\"level\":%d", level);
    if (years >= 0)
        jm_buf_printf (out, ",\"years\":%.17g", years);
    if (since)
        jm_buf_printf (out, ",\"since\":%d", since);
    if (corrected)
        jm_buf_puts (out, ",\"corrected\":true");
    jm_buf_puts (out, "}");
}

static int
s_extract (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value, *path = NULL;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_extract_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (path)
            return jm_cli_usage_error (&s_extract_spec, "one input at most (got '%s' and '%s')", path, value);
        path = value;
    }
    jm_engine_t *engine = jm_cli_engine (cli);
    if (!engine)
        return JM_CLI_FATAL;
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    if ((!path || strcmp (path, "-") == 0) && isatty (STDIN_FILENO))
        fprintf (stderr, "%s skills extract: reading text from the terminal; end with Ctrl-D\n",
                 JM_CLI_PROGRAM);
    jm_cli_input_t input;
    if (jm_cli_input_read (path, &input))
        return JM_CLI_FATAL;
    jm_error_t err;
    jm_error_clear (&err);
    jm_found_t *found = NULL;
    long count = jm_resume_read (jm_engine_extractor (engine), input.data, input.len, &found, &err);
    if (count < 0) {
        if (err.line > 0)
            fprintf (stderr, "%s:%d:%d: %s\n", input.name, err.line, err.column, err.message);
        else
            fprintf (stderr, "%s: %s\n", input.name, err.message);
        jm_cli_input_free (&input);
        return JM_CLI_BAD_ITEM;
    }
    //  held skills in order of first held mention
    uint8_t *written = jm_calloc (JM_MAX_SKILLS, 1);
    jm_buf_t out;
    jm_buf_init (&out);
    jm_buf_puts (&out, "{\"skills\":[");
    int skills = 0;
    for (long i = 0; i < count; i++)
        if (found [i].claim == JM_CLAIM_HELD && !written [found [i].skill]) {
            written [found [i].skill] = 1;
            s_write_held (&out, taxonomy, found, count, found [i].skill, skills++ > 0);
        }
    jm_buf_puts (&out, "],\"ignored\":[");
    bool first = true;
    for (long i = 0; i < count; i++) {
        if (found [i].claim == JM_CLAIM_HELD)
            continue;
        const jm_skill_t *entry = jm_taxonomy_skill (taxonomy, found [i].skill);
        jm_buf_puts (&out, first ? "{\"id\":" : ",{\"id\":");
        first = false;
        jm_buf_json_str (&out, entry->id);
        jm_buf_puts (&out, ",\"name\":");
        jm_buf_json_str (&out, entry->name);
        jm_buf_printf (&out, ",\"span\":[%u,%u],\"status\":\"%s\",\"reason\":\"%s\"",
                       (unsigned) found [i].start, (unsigned) found [i].end,
                       jm_claim_name (found [i].claim), jm_reason_name (found [i].reason));
        if (found [i].cue_end > found [i].cue_start)
            jm_buf_printf (&out, ",\"cue\":[%u,%u]", (unsigned) found [i].cue_start,
                           (unsigned) found [i].cue_end);
        jm_buf_puts (&out, "}");
    }
    jm_buf_printf (&out, "],\"bytes\":%zu}\n", input.len);
    status = jm_cli_write (&out) ? JM_CLI_FATAL : JM_CLI_OK;
    jm_buf_free (&out);
    free (written);
    free (found);
    jm_cli_input_free (&input);
    return status;
}


//  ---------------------------------------------------------------------------
//  skills list

static const jm_cli_option_t s_list_options [] = {
    { "category", "C", "only skills of this category (its id or name)" },
    { "json",     NULL, "one JSON object per skill, with aliases, instead of a table" },
    { NULL }
};
enum { s_OPT_CATEGORY, s_OPT_JSON };

static const jm_cli_spec_t s_list_spec = {
    "skills list", "[OPTIONS]",
    "Lists the taxonomy's skills: id, name, category, kind and whether the seed\n"
    "articles name it; with --json also the aliases and the ambiguous forms\n"
    "(matched in resumes only as written).",
    s_list_options, NULL
};

static void
s_list_forms (jm_buf_t *out, const jm_taxonomy_t *taxonomy, int skill, bool ambiguous)
{
    const jm_skill_t *entry = jm_taxonomy_skill (taxonomy, skill);
    bool first = true;
    jm_buf_puts (out, "[");
    for (int f = 0; f < jm_taxonomy_form_count (taxonomy); f++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, f);
        if (form->skill != skill || form->ambiguous != ambiguous)
            continue;
        if (!ambiguous && (strcmp (form->text, entry->id) == 0 || strcmp (form->text, entry->name) == 0))
            continue;
        if (!first)
            jm_buf_puts (out, ",");
        jm_buf_json_str (out, form->text);
        first = false;
    }
    jm_buf_puts (out, "]");
}

static int
s_list (jm_cli_t *cli, int argc, char **argv)
{
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value, *category = NULL;
    bool json = false;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_list_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        if (option == s_OPT_CATEGORY)
            category = value;
        else
        if (option == s_OPT_JSON)
            json = true;
        else
            return jm_cli_usage_error (&s_list_spec, "unexpected argument '%s'", value);
    }
    jm_engine_t *engine = jm_cli_engine (cli);
    if (!engine)
        return JM_CLI_FATAL;
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    static const char *headers [] = { "ID", "NAME", "CATEGORY", "KIND", "SEED", NULL };
    jm_cli_table_t *table = json ? NULL : jm_cli_table_new (headers);
    jm_buf_t out;
    jm_buf_init (&out);
    int shown = 0;
    for (int s = 0; s < jm_taxonomy_size (taxonomy); s++) {
        const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, s);
        if (category && strcmp (skill->category, category) != 0
        &&  strcasecmp (skill->category_name, category) != 0)
            continue;
        shown++;
        if (table) {
            const char *cells [] = { skill->id, skill->name, skill->category,
                                     jm_skill_kind_name (skill->kind), skill->seed ? "yes" : "" };
            jm_cli_table_add (table, cells);
            continue;
        }
        jm_buf_puts (&out, "{\"id\":");
        jm_buf_json_str (&out, skill->id);
        jm_buf_puts (&out, ",\"name\":");
        jm_buf_json_str (&out, skill->name);
        jm_buf_puts (&out, ",\"category\":");
        jm_buf_json_str (&out, skill->category);
        jm_buf_puts (&out, ",\"category_name\":");
        jm_buf_json_str (&out, skill->category_name);
        jm_buf_printf (&out, ",\"kind\":\"%s\",\"seed\":%s,\"aliases\":", jm_skill_kind_name (skill->kind),
                       skill->seed ? "true" : "false");
        s_list_forms (&out, taxonomy, s, false);
        jm_buf_puts (&out, ",\"ambiguous\":");
        s_list_forms (&out, taxonomy, s, true);
        jm_buf_puts (&out, "}\n");
    }
    if (category && !shown) {
        jm_buf_t known;
        jm_buf_init (&known);
        for (int s = 0; s < jm_taxonomy_size (taxonomy); s++) {
            const char *id = jm_taxonomy_skill (taxonomy, s)->category;
            bool seen = false;
            for (int t = 0; t < s && !seen; t++)
                seen = strcmp (jm_taxonomy_skill (taxonomy, t)->category, id) == 0;
            if (!seen)
                jm_buf_printf (&known, "%s%s", known.len ? ", " : "", id);
        }
        jm_buf_t name;
        jm_buf_init (&name);
        jm_cli_text_clean (&name, category, 60);
        jm_cli_error ("no skills in category '%s'; categories: %s", name.data ? name.data : "",
                      known.data ? known.data : "none");
        jm_buf_free (&name);
        jm_buf_free (&known);
        status = JM_CLI_FATAL;
    }
    else {
        if (table)
            jm_cli_table_render (table, 0, true, &out);
        if (jm_cli_write (&out))
            status = JM_CLI_FATAL;
    }
    jm_cli_table_destroy (&table);
    jm_buf_free (&out);
    return status;
}


//  ---------------------------------------------------------------------------

int
jm_cli_cmd_skills (jm_cli_t *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*handler) (jm_cli_t *cli, int argc, char **argv);
    } commands [] = {
        { "normalize", s_normalize },
        { "extract",   s_extract },
        { "list",      s_list },
    };
    jm_cli_args_t args = JM_CLI_ARGS (argc, argv);
    const char *value;
    int option, status = JM_CLI_OK;
    while ((option = jm_cli_getopt (cli, &s_group_spec, &args, &value, &status)) != JM_CLI_END) {
        if (option == JM_CLI_EXIT)
            return status;
        for (size_t i = 0; i < sizeof commands / sizeof commands [0]; i++)
            if (strcmp (commands [i].name, value) == 0)
                return commands [i].handler (cli, argc - args.index, argv + args.index);
        jm_buf_t name;
        jm_buf_init (&name);
        jm_cli_text_clean (&name, value, 60);
        status = jm_cli_usage_error (&s_group_spec, "unknown command '%s'", name.data ? name.data : "");
        jm_buf_free (&name);
        return status;
    }
    return jm_cli_usage_error (&s_group_spec, "a command is needed: normalize, extract or list");
}
