/*  jobmatch CLI: the --explain breakdown of a result, one renderer for
    `score`, `submit` and `results`.

    It reads the result JSON every program writes (jm_result_write_json,
    detail full), so a result scored here, one a matcher sends back and one
    read from the store print alike: a header (candidate, job, score, band,
    required met), a table of requirements (status, weight, credit, points,
    the skill that earned the credit and the evidence behind it), then the
    points, missing requirements, breadth, warnings, ignored mentions,
    corrections, unknown skills and versions.  Names come from candidates:
    every cell and line is cleaned (jm_cli_text_clean).                     */
#include "explain.h"

#include <string.h>

//  A skill's name where a taxonomy is at hand and knows the id, else the id.
static const char *
s_skill_name (const jm_taxonomy_t *taxonomy, const char *id)
{
    int index = taxonomy && id ? jm_taxonomy_find (taxonomy, id) : -1;
    return index >= 0 ? jm_taxonomy_skill (taxonomy, index)->name : id;
}

//  Appends text (NULL: nothing); cleaned when the cell or line is added.
static void
s_append (jm_buf_t *out, const char *text)
{
    if (text)
        jm_buf_puts (out, text);
}

//  The "earned by" cell of a requirement of a result.
static void
s_earned_by (jm_buf_t *cell, json_t *requirement, const jm_taxonomy_t *taxonomy)
{
    const char *status = jm_cli_str (requirement, "status");
    const char *skill = jm_cli_str (requirement, "skill");
    skill = s_skill_name (taxonomy, skill);
    const char *via = jm_cli_str (requirement, "via_name");
    if (!status || strcmp (status, "missing") == 0 || !skill) {
        jm_buf_puts (cell, "-");
        return;
    }
    const char *relation = jm_cli_str (requirement, "relation");
    if (via && relation && strcmp (relation, "everyday") == 0) {
        jm_buf_puts (cell, "implied by ");
        s_append (cell, via);
        jm_buf_puts (cell, " (everyday ");
        s_append (cell, skill);
        jm_buf_puts (cell, ")");
    }
    else
    if (via) {
        jm_buf_puts (cell, "via ");
        s_append (cell, via);
        if (relation && strcmp (relation, "sibling") == 0)
            jm_buf_puts (cell, " (sibling)");
        else
        if (relation) {
            jm_buf_puts (cell, " (");
            s_append (cell, relation);
            jm_buf_puts (cell, relation && strcmp (relation, "parent") == 0 ? " of " : " ");
            s_append (cell, skill);
            jm_buf_puts (cell, ")");
        }
    }
    else
        s_append (cell, skill);
    const char *written = jm_cli_str (requirement, "written");
    if (json_is_true (json_object_get (requirement, "from_resume")))
        jm_buf_puts (cell, ", in the resume");
    else
    if (written && strcmp (written, via ? via : skill) != 0) {
        jm_buf_puts (cell, ", wrote \"");
        s_append (cell, written);
        jm_buf_puts (cell, "\"");
    }
    json_t *level = json_object_get (requirement, "level");
    json_t *min_level = json_object_get (requirement, "min_level");
    if (json_is_integer (level) && json_is_integer (min_level))
        jm_buf_printf (cell, ", level %lld of %lld", (long long) json_integer_value (level),
                       (long long) json_integer_value (min_level));
    json_t *years = json_object_get (requirement, "years");
    json_t *min_years = json_object_get (requirement, "min_years");
    char have [32], want [32];
    if (json_is_number (years) && json_is_number (min_years))
        jm_buf_printf (cell, ", %s of %s years", jm_cli_number (have, sizeof have, json_number_value (years), 1),
                       jm_cli_number (want, sizeof want, json_number_value (min_years), 1));
    jm_cli_evidence (cell, json_object_get (requirement, "evidence"));
}

//  Appends the labels of an array of strings, comma-separated, or "none".
static void
s_label_list (jm_buf_t *out, json_t *labels)
{
    size_t index;
    json_t *label;
    jm_buf_t text;
    jm_buf_init (&text);
    json_array_foreach (labels, index, label) {
        if (index)
            jm_buf_puts (&text, ", ");
        s_append (&text, json_string_value (label));
    }
    jm_cli_text_clean (out, text.len ? text.data : "none", 0);
    jm_buf_free (&text);
}

void
jm_cli_explain (json_t *result, const jm_job_t *job, jm_buf_t *out)
{
    const char *title = job ? jm_job_title (job) : NULL;
    const jm_taxonomy_t *taxonomy = job ? jm_job_taxonomy (job) : NULL;
    char number [32];
    jm_buf_t text;
    jm_buf_init (&text);
    jm_buf_puts (out, "Candidate  ");
    s_append (&text, jm_cli_str (result, "candidate"));
    jm_cli_text_clean (out, text.data, 0);
    const char *name = jm_cli_str (result, "name");
    if (name) {
        jm_buf_reset (&text);
        s_append (&text, name);
        jm_buf_puts (out, " (");
        jm_cli_text_clean (out, text.data, 60);
        jm_buf_puts (out, ")");
    }
    jm_buf_reset (&text);
    s_append (&text, jm_cli_str (result, "job"));
    jm_buf_puts (out, "\nJob        ");
    jm_cli_text_clean (out, text.data, 0);
    jm_buf_printf (out, " v%lld", jm_cli_int (result, "job_version"));
    if (title) {
        jm_buf_puts (out, ": ");
        jm_cli_text_clean (out, title, 0);
    }
    //  "required" is "met/total" in every detail; required_met and _total
    //  where a caller spelled them out
    long long met = jm_cli_int (result, "required_met"), total = jm_cli_int (result, "required_total");
    const char *required = jm_cli_str (result, "required");
    if (required && !json_object_get (result, "required_met"))
        sscanf (required, "%lld/%lld", &met, &total);
    jm_buf_printf (out, "\nScore      %s (%s), %lld of %lld required met%s\n\n",
                   jm_cli_number (number, sizeof number, jm_cli_num (result, "score"), 1),
                   jm_cli_str (result, "band") ? jm_cli_str (result, "band") : "?", met, total,
                   json_is_true (json_object_get (result, "cached")) ? ", from the cache" : "");

    static const char *headers [] = {
        "STATUS", "REQUIREMENT", "IMPORTANCE", ">WEIGHT", ">CREDIT", ">POINTS", "EARNED BY", NULL
    };
    jm_cli_table_t *table = jm_cli_table_new (headers);
    jm_cli_table_limit (table, 1, 48);
    double points_total = 0;
    int missing_required = 0;   //  required requirements penalised: each costs a factor
    jm_buf_t label, earned;
    jm_buf_init (&label);
    jm_buf_init (&earned);
    size_t index;
    json_t *requirement;
    json_array_foreach (json_object_get (result, "requirements"), index, requirement) {
        jm_buf_reset (&label);
        jm_buf_reset (&earned);
        s_append (&label, jm_cli_str (requirement, "requirement"));
        json_t *min_level = json_object_get (requirement, "min_level");
        if (json_is_integer (min_level))
            jm_buf_printf (&label, ", level %lld+", (long long) json_integer_value (min_level));
        json_t *min_years = json_object_get (requirement, "min_years");
        if (json_is_number (min_years))
            jm_buf_printf (&label, ", %s+ years",
                           jm_cli_number (number, sizeof number, json_number_value (min_years), 1));
        s_earned_by (&earned, requirement, taxonomy);
        const char *status = jm_cli_str (requirement, "status");
        const char *importance = jm_cli_str (requirement, "importance");
        double credit = jm_cli_num (requirement, "credit");
        double points = jm_cli_num (requirement, "points");
        char status_text [32], weight [32], credit_text [32], points_text [32];
        snprintf (status_text, sizeof status_text, "%s", status ? status : "?");
        for (char *c = status_text; *c; c++)
            if (*c == '_')
                *c = ' ';
        snprintf (credit_text, sizeof credit_text, "%.2f", credit);
        snprintf (points_text, sizeof points_text, "%.1f", points);
        const char *cells [] = {
            status_text, label.data, importance ? importance : "?",
            jm_cli_number (weight, sizeof weight, jm_cli_num (requirement, "weight"), 3),
            credit_text, points_text, earned.data
        };
        jm_cli_table_add (table, cells);
        points_total += points;
        missing_required += json_is_true (json_object_get (requirement, "penalised"));
    }
    jm_cli_table_render (table, 2, true, out);
    jm_cli_table_destroy (&table);
    jm_buf_free (&label);
    jm_buf_free (&earned);

    //  the score is the points; optional points count less per required missing
    jm_buf_printf (out, "\n  Points       %.1f", points_total);
    if (missing_required)
        jm_buf_printf (out, " (%d required missing: optional points count x %.3f, so that no extras"
                       " make up for a missing must-have)", missing_required, jm_cli_num (result, "optional_factor"));
    jm_buf_puts (out, "\n  Missing      ");
    s_label_list (out, json_object_get (result, "missing"));
    json_t *breadth = json_object_get (result, "breadth");
    if (json_is_object (breadth)) {
        jm_buf_printf (out, "\n  Breadth      %lld skills listed, the career supports about %.0f",
                       jm_cli_int (breadth, "skills"), jm_cli_num (breadth, "supported"));
        if (jm_cli_num (breadth, "factor") < 1)
            jm_buf_printf (out, ": every credit x %.3f", jm_cli_num (breadth, "factor"));
    }
    json_t *warning;
    json_array_foreach (json_object_get (result, "warnings"), index, warning) {
        jm_buf_reset (&text);
        s_append (&text, json_string_value (warning));
        jm_buf_puts (out, "\n  Warning      ");
        jm_cli_text_clean (out, text.data ? text.data : "", 0);
    }
    json_t *ignored = json_object_get (result, "ignored");
    if (json_is_array (ignored)) {
        jm_buf_puts (out, "\n  Ignored      ");
        json_t *item;
        json_array_foreach (ignored, index, item) {
            jm_buf_reset (&text);
            s_append (&text, jm_cli_str (item, "name") ? jm_cli_str (item, "name") : jm_cli_str (item, "id"));
            jm_buf_puts (&text, " (");
            jm_buf_puts (&text, jm_reason_words (jm_cli_str (item, "reason")));
            jm_buf_puts (&text, ")");
            jm_buf_puts (out, index ? ", " : "");
            jm_cli_text_clean (out, text.data, 60);
        }
        if (json_array_size (ignored) == 0)
            jm_buf_puts (out, "none");
    }
    jm_buf_puts (out, "\n  Corrections  ");
    json_t *entry;
    json_t *corrections = json_object_get (result, "corrections");
    json_array_foreach (corrections, index, entry) {
        jm_buf_reset (&text);
        s_append (&text, jm_cli_str (entry, "input"));
        jm_buf_puts (out, index ? ", \"" : "\"");
        jm_cli_text_clean (out, text.data, 40);
        jm_buf_reset (&text);
        s_append (&text, s_skill_name (taxonomy, jm_cli_str (entry, "skill")));
        jm_buf_puts (out, "\" -> ");
        jm_cli_text_clean (out, text.data, 40);
    }
    if (json_array_size (corrections) == 0)
        jm_buf_puts (out, "none");
    jm_buf_puts (out, "\n  Unknown      ");
    json_t *unknown = json_object_get (result, "unknown_skills");
    json_array_foreach (unknown, index, entry) {
        jm_buf_reset (&text);
        s_append (&text, json_is_string (entry) ? json_string_value (entry) : jm_cli_str (entry, "input"));
        jm_buf_puts (out, index ? ", \"" : "\"");
        jm_cli_text_clean (out, text.data, 40);
        jm_buf_puts (out, "\"");
        const char *suggestion = s_skill_name (taxonomy, jm_cli_str (entry, "suggestion"));
        if (suggestion) {
            jm_buf_reset (&text);
            s_append (&text, suggestion);
            jm_buf_puts (out, " (closest: ");
            jm_cli_text_clean (out, text.data, 40);
            jm_buf_puts (out, ")");
        }
    }
    if (json_array_size (unknown) == 0)
        jm_buf_puts (out, "none");
    json_t *versions = json_object_get (result, "versions");
    if (json_is_object (versions)) {
        jm_buf_puts (out, "\n  Versions     taxonomy ");
        jm_cli_text_clean (out, jm_cli_str (versions, "taxonomy") ? jm_cli_str (versions, "taxonomy") : "?", 20);
        jm_buf_puts (out, ", scorer ");
        jm_cli_text_clean (out, jm_cli_str (versions, "scorer") ? jm_cli_str (versions, "scorer") : "?", 20);
    }
    jm_buf_puts (out, "\n");
    jm_buf_free (&text);
}
