/*  Tests of the real data: data/taxonomy.json, data/jobs/,
    tests/data/normalize_cases.json and proto/examples/candidates.jsonl,
    through the engine.                                                     */
#include "jm_test.h"
#include "jm_engine.h"

static jm_engine_t *
s_engine (void)
{
    jm_error_t err;
    jm_error_clear (&err);
    jm_engine_t *engine = jm_engine_new (jm_test_data_dir (), &err);
    JM_CHECK_MSG (engine, "engine: %s", err.message);
    return engine;
}

JM_TEST (data_taxonomy_is_large_and_consistent)
{
    //  loading validates uniqueness of every folded and compact key, the
    //  categories, relations naming known skills and the absence of cycles
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    int size = jm_taxonomy_size (taxonomy);
    JM_CHECK_MSG (size >= 120, "%d skills", size);
    int seeds = 0;
    for (int i = 0; i < size; i++)
        seeds += jm_taxonomy_skill (taxonomy, i)->seed;
    JM_CHECK_MSG (seeds >= 60, "%d seed skills", seeds);
    //  forms beyond each skill's id and name are aliases
    int aliases = jm_taxonomy_form_count (taxonomy) - 2 * size;
    JM_CHECK_MSG (aliases >= 500, "%d aliases", aliases);
    //  the relations the issue names
    struct { const char *have, *want; jm_relation_t relation; } relations [] = {
        { "django", "python", JM_RELATION_IMPLIES }, { "express", "nodejs", JM_RELATION_IMPLIES },
        { "express", "javascript", JM_RELATION_IMPLIES }, { "laravel", "php", JM_RELATION_IMPLIES },
        { "ruby-on-rails", "ruby", JM_RELATION_IMPLIES }, { "mysql", "postgresql", JM_RELATION_SIBLING },
        { "sqlserver", "oracle", JM_RELATION_SIBLING }, { "memcached", "redis", JM_RELATION_SIBLING },
        { "nginx", "apache", JM_RELATION_SIBLING }, { "iis", "nginx", JM_RELATION_SIBLING },
        { "gitlab", "github", JM_RELATION_SIBLING },
    };
    for (size_t i = 0; i < sizeof relations / sizeof relations [0]; i++) {
        int have = jm_taxonomy_find (taxonomy, relations [i].have);
        int want = jm_taxonomy_find (taxonomy, relations [i].want);
        JM_CHECK_MSG (have >= 0 && want >= 0, "%s or %s missing", relations [i].have, relations [i].want);
        jm_relation_t relation;
        double credit = jm_taxonomy_credit (taxonomy, have, want, &relation);
        JM_CHECK_MSG (credit > 0 && credit < 1.0001 && relation == relations [i].relation,
                      "%s -> %s: credit %.2f via %s", relations [i].have, relations [i].want, credit,
                      jm_relation_name (relation));
    }
    jm_engine_destroy (&engine);
}

JM_TEST (data_every_alias_round_trips)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    int failures = 0;
    for (int i = 0; i < jm_taxonomy_form_count (taxonomy); i++) {
        const jm_form_t *form = jm_taxonomy_form (taxonomy, i);
        jm_lookup_t found = jm_normalize_lookup (taxonomy, form->text, strlen (form->text));
        if (found.skill != form->skill || found.match == JM_MATCH_TYPO || found.match == JM_MATCH_UNKNOWN) {
            if (failures++ < 20)
                JM_CHECK_MSG (false, "form \"%s\" of %s -> %s (%s)", form->text,
                              jm_taxonomy_skill (taxonomy, form->skill)->id,
                              found.skill >= 0 ? jm_taxonomy_skill (taxonomy, found.skill)->id : "unknown",
                              jm_match_name (found.match));
        }
    }
    JM_CHECK_INT (failures, 0);
    jm_engine_destroy (&engine);
}

JM_TEST (data_normalize_cases)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    char path [512];
    snprintf (path, sizeof path, "%s/../tests/data/normalize_cases.json", jm_test_data_dir ());
    json_error_t error;
    json_t *cases = json_load_file (path, 0, &error);
    JM_REQUIRE (json_is_array (cases));
    JM_CHECK (json_array_size (cases) >= 60);
    size_t index;
    json_t *item;
    json_array_foreach (cases, index, item) {
        const char *input = json_string_value (json_object_get (item, "input"));
        const char *want_id = json_string_value (json_object_get (item, "id"));
        const char *want_match = json_string_value (json_object_get (item, "match"));
        jm_lookup_t found = jm_normalize_lookup (taxonomy, input, strlen (input));
        const char *got_id = found.skill >= 0 ? jm_taxonomy_skill (taxonomy, found.skill)->id : NULL;
        bool same_id = (!got_id && !want_id) || (got_id && want_id && strcmp (got_id, want_id) == 0);
        JM_CHECK_MSG (same_id && strcmp (jm_match_name (found.match), want_match) == 0,
                      "\"%s\": got %s (%s), want %s (%s)", input, got_id ? got_id : "null",
                      jm_match_name (found.match), want_id ? want_id : "null", want_match);
    }
    json_decref (cases);
    jm_engine_destroy (&engine);
}

static double
s_score_text (jm_engine_t *engine, const char *job_id, const char *text)
{
    json_t *object = json_loads (text, 0, NULL);
    jm_candidate_t *candidate = jm_engine_candidate (engine, object, NULL);
    json_decref (object);
    JM_CHECK_MSG (candidate, "candidate %s", text);
    if (!candidate)
        return -1;
    double score = jm_score_fast (jm_engine_job (engine, job_id), candidate);
    jm_candidate_destroy (&candidate);
    return score;
}

JM_TEST (data_orderings_a_recruiter_signs)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    JM_REQUIRE (jm_engine_job (engine, JM_DEFAULT_JOB));
    double full = s_score_text (engine, JM_DEFAULT_JOB,
        "{\"id\": \"full\", \"skills\": [\"Python\", \"Django\", \"PostgreSQL\", \"MySQL\", \"MongoDB\", \"Redis\","
        " \"REST APIs\", \"JSON\", \"Docker\", \"Kubernetes\", \"Git\", \"GitHub\", \"Linux\", \"Nginx\","
        " \"unit testing\", \"HTML\", \"CSS\", \"JavaScript\", \"data structures and algorithms\", \"communication\","
        " \"problem solving\", \"web security\", \"HTTP\", \"TCP/IP\", \"CI/CD\"]}");
    double database = s_score_text (engine, JM_DEFAULT_JOB,
        "{\"id\": \"dba\", \"skills\": [\"SQL\", \"PostgreSQL\", \"MySQL\", \"Oracle Database\", \"SQL Server\", \"MongoDB\","
        " \"database design\"]}");
    double frontend = s_score_text (engine, JM_DEFAULT_JOB,
        "{\"id\": \"fe\", \"skills\": [\"HTML\", \"CSS\", \"jQuery\", \"React\", \"Figma\"]}");
    double soft = s_score_text (engine, JM_DEFAULT_JOB,
        "{\"id\": \"soft\", \"skills\": [\"communication\", \"time management\", \"teamwork\", \"problem solving\"]}");
    JM_CHECK_MSG (full > database && database > frontend && frontend > soft,
                  "full %.1f > database %.1f > front-end %.1f > soft %.1f", full, database, frontend, soft);
    //  scorer 2.0.0: no level stated anywhere earns 0.75 of each credit, so a
    //  full list without evidence is good (70.8), not strong
    JM_CHECK_MSG (full >= 65, "a full back-end profile scores %.1f", full);
    JM_CHECK_MSG (soft < 15, "soft skills alone score %.1f", soft);
    //  a missing required skill visibly cuts the score
    double no_language = s_score_text (engine, JM_DEFAULT_JOB,
        "{\"id\": \"nolang\", \"skills\": [\"Django\", \"PostgreSQL\", \"MySQL\", \"MongoDB\", \"Redis\","
        " \"REST APIs\", \"JSON\", \"Docker\", \"Kubernetes\", \"Git\", \"GitHub\", \"Linux\", \"Nginx\"]}");
    JM_CHECK_MSG (no_language < full - 5, "without a language %.1f vs %.1f", no_language, full);
    jm_engine_destroy (&engine);
}

//  Every example candidate against every job: the fast path agrees with the
//  explained one, the JSON parses, and the examples span the bands.
JM_TEST (data_examples_score_consistently)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    char path [512];
    snprintf (path, sizeof path, "%s/../proto/examples/candidates.jsonl", jm_test_data_dir ());
    FILE *file = fopen (path, "r");
    JM_REQUIRE (file);
    char *line = NULL;
    size_t cap = 0;
    int count = 0, bands [4] = { 0 };
    while (getline (&line, &cap, file) > 0) {
        if (line [0] != '{')
            continue;
        json_error_t error;
        json_t *object = json_loads (line, 0, &error);
        JM_CHECK_MSG (object, "example line %d: %s", count + 1, error.text);
        jm_error_t err;
        jm_error_clear (&err);
        jm_candidate_t *candidate = object ? jm_engine_candidate (engine, object, &err) : NULL;
        json_decref (object);
        JM_CHECK_MSG (candidate, "example %d: %s", count + 1, err.message);
        if (!candidate)
            continue;
        count++;
        for (int j = 0; j < jm_engine_job_count (engine); j++) {
            const jm_job_t *job = jm_engine_job_at (engine, j);
            jm_result_t result;
            jm_score_explain (job, candidate, &result);
            JM_CHECK_MSG (jm_score_fast (job, candidate) == result.score, "%s / %s", candidate->id, jm_job_id (job));
            if (strcmp (jm_job_id (job), JM_DEFAULT_JOB) == 0)
                bands [result.band]++;
            jm_buf_t out;
            jm_buf_init (&out);
            jm_result_write_json (&result, job, candidate, &out);
            json_t *parsed = json_loads (out.data, 0, NULL);
            JM_CHECK_MSG (parsed, "result JSON of %s does not parse", candidate->id);
            json_decref (parsed);
            jm_buf_free (&out);
        }
        jm_candidate_destroy (&candidate);
    }
    free (line);
    fclose (file);
    JM_CHECK_MSG (count >= 20, "%d examples", count);
    //  scorer 2.0.0: the examples state few levels, and an unstated level earns
    //  0.75, so the best of them is good rather than strong
    JM_CHECK_MSG (bands [JM_BAND_STRONG] + bands [JM_BAND_GOOD] > 0 && bands [JM_BAND_WEAK] > 0
                  && bands [JM_BAND_PARTIAL] > 0,
                  "bands: %d strong, %d good, %d partial, %d weak", bands [0], bands [1], bands [2], bands [3]);
    jm_engine_destroy (&engine);
}

//  Random profiles with levels and years: fast and explained scores agree
JM_TEST (data_fast_path_matches_explained)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    uint32_t seed = 12345;
    for (int n = 0; n < 2000; n++) {
        json_t *skills = json_array ();
        int count = (int) ((seed = seed * 1103515245 + 12345) >> 16) % 25;
        for (int i = 0; i < count; i++) {
            seed = seed * 1103515245 + 12345;
            const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, (int) ((seed >> 8) % (uint32_t) jm_taxonomy_size (taxonomy)));
            json_array_append_new (skills, json_pack ("{s:s, s:i, s:f}", "name", skill->name,
                                   "level", 1 + (int) ((seed >> 4) % 5), "years", (double) ((seed >> 12) % 8)));
        }
        json_t *object = json_pack ("{s:s, s:o}", "id", "random", "skills", skills);
        jm_candidate_t *candidate = jm_engine_candidate (engine, object, NULL);
        json_decref (object);
        JM_REQUIRE (candidate);
        for (int j = 0; j < jm_engine_job_count (engine); j++) {
            const jm_job_t *job = jm_engine_job_at (engine, j);
            jm_result_t result;
            jm_score_explain (job, candidate, &result);
            double fast = jm_score_fast (job, candidate);
            JM_CHECK_MSG (fast == result.score, "profile %d, job %s: fast %.3f, explained %.3f", n,
                          jm_job_id (job), fast, result.score);
        }
        jm_candidate_destroy (&candidate);
    }
    jm_engine_destroy (&engine);
}

//  A random job over the real taxonomy: single skills and any-of groups
//  (some needing several members), weights, importances, minimum levels
//  and years
static jm_job_t *
s_random_job (const jm_taxonomy_t *taxonomy, uint32_t *seed, int number)
{
    static const char *importance [] = { "required", "preferred", "nice-to-have" };
    int size = jm_taxonomy_size (taxonomy);
    json_t *requirements = json_array ();
    int count = 1 + (int) ((*seed = *seed * 1103515245 + 12345) >> 16) % 30;
    for (int r = 0; r < count; r++) {
        *seed = *seed * 1103515245 + 12345;
        uint32_t bits = *seed >> 4;
        json_t *item;
        if (bits % 3 == 0) {
            json_t *members = json_array ();
            int members_count = 1 + (int) (bits >> 3) % 8;
            int first = (int) ((bits >> 7) % (uint32_t) (size - members_count));
            for (int m = 0; m < members_count; m++)
                json_array_append_new (members, json_string (jm_taxonomy_skill (taxonomy, first + m)->id));
            item = json_pack ("{s:o}", "any_of", members);
            if ((bits >> 12) % 2)
                json_object_set_new (item, "min", json_integer (1 + (int) (bits >> 14) % members_count));
        }
        else
            item = json_pack ("{s:s}", "skill", jm_taxonomy_skill (taxonomy, (int) ((bits >> 3) % (uint32_t) size))->id);
        *seed = *seed * 1103515245 + 12345;
        bits = *seed >> 4;
        json_object_set_new (item, "weight", json_real ((1 + (int) (bits % 40)) / 4.0));
        json_object_set_new (item, "importance", json_string (importance [(bits >> 6) % 3]));
        if ((bits >> 9) % 6 == 0)
            json_object_set_new (item, "min_level", json_integer (1 + (int) (bits >> 12) % 5));
        if ((bits >> 15) % 6 == 0)
            json_object_set_new (item, "min_years", json_real ((double) ((bits >> 18) % 10) / 2));
        json_array_append_new (requirements, item);
    }
    char id [32];
    snprintf (id, sizeof id, "random-%d", number);
    json_t *object = json_pack ("{s:s, s:o}", "id", id, "requirements", requirements);
    jm_job_t *job = jm_job_new_from_json (object, taxonomy, NULL);
    json_decref (object);
    return job;
}

//  Random jobs x random profiles: the score-only path, the breakdown, the
//  job index and the one-off ranking all give the same scores, and the
//  rankings are ordered best first with ties in job order
JM_TEST (data_random_jobs_fast_explain_and_rank_agree)
{
    jm_engine_t *engine = s_engine ();
    JM_REQUIRE (engine);
    const jm_taxonomy_t *taxonomy = jm_engine_taxonomy (engine);
    int size = jm_taxonomy_size (taxonomy);
    uint32_t seed = 271828;
    enum { JOBS = 120 };
    jm_job_t *jobs [JOBS];
    int job_count = 0;
    for (int attempt = 0; job_count < JOBS && attempt < 10 * JOBS; attempt++) {
        jm_job_t *job = s_random_job (taxonomy, &seed, attempt);
        if (job)                //  any-of groups may name a skill twice: skipped
            jobs [job_count++] = job;
    }
    JM_REQUIRE (job_count == JOBS);
    jm_job_index_t *index = jm_job_index_new ((const jm_job_t * const *) jobs, JOBS);
    JM_CHECK_INT (jm_job_index_size (index), JOBS);
    jm_ranked_t ranked [JOBS], again [JOBS];
    int disagreements = 0, nonzero = 0;
    for (int n = 0; n < 400; n++) {
        json_t *skills = json_array ();
        int count = (int) ((seed = seed * 1103515245 + 12345) >> 16) % 30;
        for (int i = 0; i < count; i++) {
            seed = seed * 1103515245 + 12345;
            const jm_skill_t *skill = jm_taxonomy_skill (taxonomy, (int) ((seed >> 8) % (uint32_t) size));
            json_t *item = json_pack ("{s:s}", "name", skill->name);
            if ((seed >> 4) % 3)
                json_object_set_new (item, "level", json_integer (1 + (int) ((seed >> 6) % 5)));
            if ((seed >> 10) % 3)
                json_object_set_new (item, "years", json_real ((double) ((seed >> 12) % 16) / 4));
            json_array_append_new (skills, item);
        }
        json_t *object = json_pack ("{s:s, s:o}", "id", "random", "skills", skills);
        if (n % 3)              //  a career, which caps the skills' years
            json_object_set_new (object, "years_experience", json_real ((double) (n % 13) / 2));
        jm_candidate_t *candidate = jm_engine_candidate (engine, object, NULL);
        json_decref (object);
        JM_REQUIRE (candidate);
        double fast [JOBS];
        for (int j = 0; j < JOBS; j++) {
            jm_result_t result;
            jm_score_explain (jobs [j], candidate, &result);
            fast [j] = jm_score_fast (jobs [j], candidate);
            nonzero += fast [j] > 0;
            if (fast [j] != result.score && disagreements++ < 5)
                JM_CHECK_MSG (false, "profile %d, job %d: fast %.3f, explained %.3f", n, j, fast [j], result.score);
        }
        jm_job_index_rank (index, candidate, ranked);
        jm_score_rank ((const jm_job_t * const *) jobs, JOBS, candidate, again);
        for (int k = 0; k < JOBS; k++) {
            JM_CHECK (ranked [k].score == fast [ranked [k].job]);
            JM_CHECK (ranked [k].job == again [k].job && ranked [k].score == again [k].score);
            if (k > 0)
                JM_CHECK (ranked [k].score < ranked [k - 1].score
                          || (ranked [k].score == ranked [k - 1].score && ranked [k].job > ranked [k - 1].job));
        }
        jm_candidate_destroy (&candidate);
    }
    JM_CHECK_INT (disagreements, 0);
    JM_CHECK_MSG (nonzero > 1000, "only %d non-zero scores: the test would prove little", nonzero);
    jm_job_index_destroy (&index);
    for (int j = 0; j < JOBS; j++)
        jm_job_destroy (&jobs [j]);
    jm_engine_destroy (&engine);
}
