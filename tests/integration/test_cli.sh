#!/usr/bin/env bash
# Integration tests of the offline CLI, build/bin/jobmatch, on the real data.
# Each check prints "ok NAME" or "FAIL NAME: why"; the last line is
# "N passed, N failed" and the exit status is nonzero when any failed.
# Usage: tests/integration/test_cli.sh   (JM_BIN, JM_ROOT, JM_DATA_DIR optional)
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${JM_ROOT:-$(cd "$here/../.." && pwd)}
BIN=${JM_BIN:-$ROOT/build/bin}
JM="$BIN/jobmatch"
DATA=${JM_DATA_DIR:-$ROOT/data}
export JOBMATCH_DATA_DIR="$DATA"
unset JOBMATCH_JOB          # the checks name their jobs
PY=/usr/bin/python3
EXAMPLES="$ROOT/proto/examples/candidates.jsonl"
RESUMES="$ROOT/proto/examples/resumes"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jm-test-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

passed=0; failed=0
ok ()   { echo "ok $1"; passed=$((passed + 1)); }
fail () { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# check NAME COMMAND...: ok when the command succeeds, else FAIL with its output
check () {
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "$(echo "$out" | head -5)"; fi
}
# jm ARGS...: runs the CLI with a time limit; stdout to $TMP/out, stderr to
# $TMP/err, exit status in $rc
jm () { timeout 120 "$JM" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
# jm_in FILE ARGS...: same, with FILE on stdin
jm_in () { local input=$1; shift; timeout 120 "$JM" "$@" <"$input" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
# pycheck NAME SCRIPT [ARGS...]: a Python check over $TMP/out; prints why on failure
pycheck () {
    local name=$1 script=$2; shift 2
    local out
    if out=$("$PY" -c "$script" "$TMP/out" "$@" 2>&1); then ok "$name"; else fail "$name" "$(echo "$out" | tail -3)"; fi
}

if [ ! -x "$JM" ]; then
    echo "FAIL setup: $JM is missing (run make)"; echo "0 passed, 1 failed"; exit 1
fi
if [ ! -f "$DATA/taxonomy.json" ] || [ ! -f "$EXAMPLES" ]; then
    echo "FAIL setup: no data in $DATA or no $EXAMPLES"; echo "0 passed, 1 failed"; exit 1
fi

# Three candidates from the examples, in every input shape.
head -3 "$EXAMPLES" > "$TMP/three.jsonl"
"$PY" - "$TMP" <<'EOF'
import json, sys
tmp = sys.argv[1]
cands = [json.loads(line) for line in open(tmp + "/three.jsonl")]
json.dump(cands, open(tmp + "/three-array.json", "w"), indent=2, ensure_ascii=False)
with open(tmp + "/three-pretty.json", "w") as f:          # objects one after another, pretty
    for c in cands:
        f.write(json.dumps(c, indent=4, ensure_ascii=False) + "\n")
with open(tmp + "/three-concat.json", "w") as f:          # objects with no separator at all
    f.write("".join(json.dumps(c) for c in cands))
json.dump(cands[0], open(tmp + "/one.json", "w"), indent=2)
EOF

# --- help, version, usage errors ------------------------------------------------
jm --help;                   [ $rc -eq 0 ] && grep -q '^Usage: jobmatch' "$TMP/out" && ok help_program || fail help_program "rc=$rc"
help_ok=1
for cmd in "score" "skills" "skills normalize" "skills extract" "skills list" "jobs" "jobs list" "jobs show" \
           "jobs put" "jobs get" "jobs delete" "results" "rank" "best" "status"; do
    jm $cmd --help
    { [ $rc -eq 0 ] && grep -q "^Usage: jobmatch $cmd" "$TMP/out"; } || { help_ok=0; fail help_commands "'$cmd --help' rc=$rc"; }
    case "$cmd" in      # the commands that ask the gateway document their exit status
        "jobs put"|"jobs get"|"jobs delete"|"jobs list"|results|rank|best)
            grep -q "^Exit status: 0 done; 1 the service refused" "$TMP/out" || { help_ok=0; fail help_commands "'$cmd --help' has no exit status"; } ;;
    esac
done
[ $help_ok -eq 1 ] && ok help_commands
jm --version;                [ $rc -eq 0 ] && grep -Eq '^jobmatch [0-9]' "$TMP/out" && ok version || fail version "rc=$rc $(cat "$TMP/out")"
jm frobnicate;               [ $rc -eq 2 ] && grep -q "unknown command" "$TMP/err" && ok unknown_command || fail unknown_command "rc=$rc"
jm score --frobnicate;       [ $rc -eq 2 ] && grep -q "unknown option '--frobnicate'" "$TMP/err" && grep -q -- "--help" "$TMP/err" \
                             && ok unknown_option || fail unknown_option "rc=$rc $(cat "$TMP/err")"
jm;                          [ $rc -eq 2 ] && ok no_command || fail no_command "rc=$rc"
jm skills frobnicate;        [ $rc -eq 2 ] && ok unknown_subcommand || fail unknown_subcommand "rc=$rc"
jm --data "$TMP/nowhere" jobs list --offline
                             [ $rc -eq 2 ] && grep -q nowhere "$TMP/err" && ok bad_data_dir || fail bad_data_dir "rc=$rc $(cat "$TMP/err")"
jm score --data "$DATA" "$TMP/one.json"
                             [ $rc -eq 0 ] && ok data_option_after_command || fail data_option_after_command "rc=$rc"

# --- settings: one table for the global and the remote ones --------------------
# a bad value, from the command line or the variable, is a usage error naming
# the option (and the variable) and the value
bad_ok=1
while IFS='|' read -r env args words; do
    eval "env $env \"\$JM\" $args" >"$TMP/out" 2>"$TMP/err"; rc=$?
    { [ $rc -eq 2 ] && grep -qF -- "$words" "$TMP/err" && grep -qF -- "--help' for more" "$TMP/err"; } \
        || { bad_ok=0; fail bad_settings_named "[$env $args] rc=$rc: $(head -2 "$TMP/err")"; }
done <<'CASES'
JOBMATCH_LOG_FORMAT=xml|skills list|JOBMATCH_LOG_FORMAT: 'xml' is not a log format (text, json) (the variable of --log-format)
|--log-format xml skills list|--log-format: 'xml' is not a log format
JOBMATCH_VERBOSE=maybe|skills list|JOBMATCH_VERBOSE: 'maybe' is not a boolean
|skills list --verbose=maybe|--verbose: 'maybe' is not a boolean
|score --data ""|--data: needs a folder
JOBMATCH_TIMEOUT_MS=soon|rank j|JOBMATCH_TIMEOUT_MS: 'soon' is not an integer (the variable of --timeout-ms)
|rank j --timeout-ms 0|--timeout-ms: '0' is below the minimum 1
|status --timeout-ms=3600001|--timeout-ms: '3600001' is above the maximum 3600000
|jobs get x --gateway ""|--gateway needs a value
JOBMATCH_WINDOW=0|submit|JOBMATCH_WINDOW: '0' is below the minimum 1 (the variable of --window)
|batch --in a --out b --batch x|--batch: 'x' is not an integer
|skills list --no-data|unknown option '--no-data'
CASES
[ $bad_ok -eq 1 ] && ok bad_settings_named
# the command line wins over the variable, and --no-verbose over --verbose
jm_env () { local env=$1; shift; env $env timeout 120 "$JM" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
jm_env "JOBMATCH_LOG_FORMAT=json" --log-format text --verbose --data "$DATA" skills list
                             [ $rc -eq 0 ] && grep -q "loaded taxonomy" "$TMP/err" && ! grep -q '^{' "$TMP/err" \
                             && ok setting_args_over_variable || fail setting_args_over_variable "rc=$rc $(head -2 "$TMP/err")"
# as in the services, a bad variable is refused even where the option overrides it
jm_env "JOBMATCH_TIMEOUT_MS=soon" rank j --timeout-ms 100
                             [ $rc -eq 2 ] && grep -q "JOBMATCH_TIMEOUT_MS: 'soon'" "$TMP/err" && ok setting_bad_variable_heard \
                             || fail setting_bad_variable_heard "rc=$rc $(head -2 "$TMP/err")"
jm_env "JOBMATCH_VERBOSE=yes" --no-verbose --data "$DATA" skills list
                             [ $rc -eq 0 ] && [ ! -s "$TMP/err" ] && ok setting_no_flag \
                             || fail setting_no_flag "rc=$rc $(head -2 "$TMP/err")"
jm_env "JOBMATCH_VERBOSE=yes" --data "$DATA" skills list
                             [ $rc -eq 0 ] && grep -q "loaded taxonomy" "$TMP/err" && ok setting_from_variable \
                             || fail setting_from_variable "rc=$rc $(head -2 "$TMP/err")"
# every command's --help lists the global settings with their variables
jm rank --help;              grep -q "^Global settings" "$TMP/out" && grep -q "env JOBMATCH_DATA_DIR" "$TMP/out" \
                             && grep -q "env JOBMATCH_TIMEOUT_MS" "$TMP/out" && ok help_lists_settings \
                             || fail help_lists_settings "$(head -5 "$TMP/out")"

# --- score: input shapes -------------------------------------------------------
jm score "$TMP/three.jsonl"; cp "$TMP/out" "$TMP/lines.out"; lines_rc=$rc
[ $lines_rc -eq 0 ] && [ "$(wc -l < "$TMP/lines.out")" -eq 3 ] && ok score_json_lines || fail score_json_lines "rc=$lines_rc"
same_ok=1
for shape in three-array.json three-pretty.json three-concat.json; do
    jm score "$TMP/$shape"
    { [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/lines.out"; } || { same_ok=0; fail score_shapes_same "$shape rc=$rc"; }
done
jm_in "$TMP/three.jsonl" score;    cmp -s "$TMP/out" "$TMP/lines.out" || { same_ok=0; fail score_shapes_same "stdin"; }
jm_in "$TMP/three.jsonl" score -;  cmp -s "$TMP/out" "$TMP/lines.out" || { same_ok=0; fail score_shapes_same "stdin as -"; }
jm score "$TMP/one.json"
{ [ $rc -eq 0 ] && [ "$(cat "$TMP/out")" = "$(head -1 "$TMP/lines.out")" ]; } || { same_ok=0; fail score_shapes_same "one object"; }
[ $same_ok -eq 1 ] && ok score_shapes_same
pycheck score_result_fields '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    for key in ("candidate", "job", "score", "band", "requirements", "missing", "unknown_skills"):
        assert key in r, "no %s in %s" % (key, line[:80])
    assert r["job"] == "backend-developer", r["job"]
    assert 0 <= r["score"] <= 100
' 

# order: the examples reversed come out reversed
tac "$EXAMPLES" > "$TMP/reversed.jsonl"
jm score "$TMP/reversed.jsonl"
pycheck score_order_preserved '
import json, sys
want = [json.loads(l)["id"] for l in open(sys.argv[2])]
got = [json.loads(l)["candidate"] for l in open(sys.argv[1])]
assert got == [str(w) for w in want], (got[:3], want[:3])
' "$TMP/reversed.jsonl"

# every example candidate scores, against every job
jm score "$EXAMPLES"
n=$(grep -c . "$EXAMPLES")
[ $rc -eq 0 ] && [ "$(wc -l < "$TMP/out")" -eq "$n" ] && ! grep -q '"error"' "$TMP/out" && ok score_all_examples \
    || fail score_all_examples "rc=$rc lines=$(wc -l < "$TMP/out") of $n; $(head -3 "$TMP/err")"
job_args=(); for f in "$DATA"/jobs/*.json; do job_args+=(--job "$(basename "$f" .json)"); done
jm score "${job_args[@]}" "$EXAMPLES"
[ $rc -eq 0 ] && [ "$(wc -l < "$TMP/out")" -eq $((n * ${#job_args[@]} / 2)) ] && ok score_examples_all_jobs \
    || fail score_examples_all_jobs "rc=$rc $(head -3 "$TMP/err")"

# several --job: each candidate against each job, in order
jobs=($(ls "$DATA"/jobs/*.json | head -2 | xargs -n1 basename | sed 's/\.json$//'))
jm score --job "${jobs[0]}" --job "${jobs[1]}" "$TMP/three.jsonl"
pycheck score_several_jobs '
import json, sys
got = [(r["candidate"], r["job"]) for r in map(json.loads, open(sys.argv[1]))]
ids = [str(json.loads(l)["id"]) for l in open(sys.argv[2])]
want = [(c, j) for c in ids for j in sys.argv[3:5]]
assert got == want, (got, want)
' "$TMP/three.jsonl" "${jobs[0]}" "${jobs[1]}"

cp "$TMP/out" "$TMP/two-jobs.out"
# --job is a list, the same table row as JOBMATCH_JOB: comma-separated or
# repeated, and the command line's replace the variable's
jm score --job "${jobs[0]},${jobs[1]}" "$TMP/three.jsonl"
cmp -s "$TMP/out" "$TMP/two-jobs.out" && ok score_job_comma_list || fail score_job_comma_list "rc=$rc $(head -2 "$TMP/err")"
JOBMATCH_JOB="${jobs[0]}, ${jobs[1]}" jm score "$TMP/three.jsonl"
cmp -s "$TMP/out" "$TMP/two-jobs.out" && ok score_jobs_from_variable || fail score_jobs_from_variable "rc=$rc $(head -2 "$TMP/err")"
JOBMATCH_JOB=no-such-job jm score --job "${jobs[0]}" --job="${jobs[1]}" "$TMP/three.jsonl"
cmp -s "$TMP/out" "$TMP/two-jobs.out" && ok score_job_option_over_variable \
    || fail score_job_option_over_variable "rc=$rc $(head -2 "$TMP/err")"
for bad in "a,,b" ",a" "a,"; do
    jm score --job "$bad" "$TMP/three.jsonl"
    [ $rc -eq 2 ] && grep -q -- "--job: '$bad' has an empty item" "$TMP/err" && [ ! -s "$TMP/out" ] \
        && ok "score_job_empty_item $bad" || fail "score_job_empty_item $bad" "rc=$rc $(cat "$TMP/err")"
done
JOBMATCH_JOB="${jobs[0]},," jm score "$TMP/three.jsonl"
[ $rc -eq 2 ] && grep -q "JOBMATCH_JOB: .* has an empty item .*(the variable of --job)" "$TMP/err" \
    && ok score_job_variable_empty_item || fail score_job_variable_empty_item "rc=$rc $(cat "$TMP/err")"
jm score --job "" "$TMP/three.jsonl"
[ $rc -eq 2 ] && grep -q -- "--job needs a value" "$TMP/err" && ok score_job_empty || fail score_job_empty "rc=$rc $(cat "$TMP/err")"
jm score --job "$(seq -s, 1 65)" "$TMP/three.jsonl"
[ $rc -eq 2 ] && grep -q -- "--job names more than 64" "$TMP/err" && ok score_job_too_many \
    || fail score_job_too_many "rc=$rc $(cat "$TMP/err")"
jm score --help
grep -q -- "--job LIST" "$TMP/out" && grep -q "comma-separated or repeated, env JOBMATCH_JOB)" "$TMP/out" \
    && ok score_help_job_setting || fail score_help_job_setting "$(grep -A1 -- --job "$TMP/out")"

# a job file gives the same result as the registered job
jm score --job "$DATA/jobs/backend-developer.json" "$TMP/three.jsonl"
cmp -s "$TMP/out" "$TMP/lines.out" && ok score_job_file || fail score_job_file "rc=$rc $(head -2 "$TMP/err")"

jm score --job no-such-job "$TMP/three.jsonl"
[ $rc -eq 2 ] && grep -q "no-such-job" "$TMP/err" && grep -q "backend-developer" "$TMP/err" && [ ! -s "$TMP/out" ] \
    && ok score_unknown_job || fail score_unknown_job "rc=$rc $(cat "$TMP/err")"
jm score --job "$TMP/missing-job.json" "$TMP/three.jsonl"
[ $rc -eq 2 ] && grep -q "missing-job.json" "$TMP/err" && ok score_missing_job_file || fail score_missing_job_file "rc=$rc"

# --- score --explain --------------------------------------------------------------
head -1 "$TMP/three.jsonl" > "$TMP/first.jsonl"
jm score "$TMP/first.jsonl"; cp "$TMP/out" "$TMP/first.out"
jm score --explain "$TMP/first.jsonl"
pycheck score_explain_rows '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
r = json.loads(open(sys.argv[2]).read())
assert "Candidate  " + r["candidate"] in text, "no candidate header"
assert "Score      " in text and r["band"] in text, "no score line"
assert "%d of %d required met" % (r["required_met"], r["required_total"]) in text
for header in ("STATUS", "REQUIREMENT", "IMPORTANCE", "WEIGHT", "CREDIT", "POINTS", "EARNED BY"):
    assert header in text, header
lines = text.splitlines()
for req in r["requirements"]:
    label = req["requirement"][:40]
    row = [l for l in lines if label in l]
    assert row, "no row for " + label
    status = req["status"].replace("_", " ")
    assert any(l.strip().startswith(status) for l in row), (status, row)
    if "via_name" in req and req["relation"] == "sibling":
        assert any("via %s (sibling)" % req["via_name"] in l for l in row), row
    if req.get("relation") == "everyday":
        assert any("implied by %s" % req["via_name"] in l for l in row), row
    if "evidence" in req:
        assert any("; evidence " in l for l in row), row
for key in ("Missing", "Breadth", "Ignored", "Corrections", "Unknown"):
    assert "\n  " + key in text, key
' "$TMP/first.out"
# evidence and ignored mentions in words: a capped claim, a framework implying HTTP
printf '%s\n' '{"id": "ev", "years_experience": 3, "skills": [{"name": "Python", "level": 5, "years": 20}, "Django"], "resume": "I have never used Java."}' > "$TMP/evidence.jsonl"
jm score --explain "$TMP/evidence.jsonl"
{ [ $rc -eq 0 ] && grep -q "level 5, 3 years (20 stated, capped at the career)" "$TMP/out" \
  && grep -q "implied by Django (everyday HTTP)" "$TMP/out" && grep -q "^  Ignored  *Java (negated)$" "$TMP/out"; } \
    && ok score_explain_evidence || fail score_explain_evidence "rc=$rc $(grep -E 'Python|HTTP|Ignored' "$TMP/out" | head -3)"
jm score --explain --job "${jobs[0]}" --job "${jobs[1]}" "$TMP/three.jsonl"
[ $rc -eq 0 ] && [ "$(grep -c '^Candidate  ' "$TMP/out")" -eq 6 ] && ok score_explain_several || fail score_explain_several "rc=$rc"

# --- score: bad input ---------------------------------------------------------------
{ sed -n 1p "$TMP/three.jsonl"; echo '{"id": "broken", "skills": [,]}'; sed -n 2,3p "$TMP/three.jsonl"; } > "$TMP/badline.jsonl"
jm score "$TMP/badline.jsonl"
[ $rc -eq 1 ] && grep -q 'badline.jsonl:2:' "$TMP/err" && ok score_bad_line_status || fail score_bad_line_status "rc=$rc $(cat "$TMP/err")"
pycheck score_bad_line_object '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 4, len(rows)
e = rows[1]["error"]
assert e["code"] == "invalid_json" and e["line"] == 2 and e["column"] > 0 and e["position"] == 2, e
assert [r.get("candidate") for r in (rows[0], rows[2], rows[3])] == [str(json.loads(l)["id"]) for l in open(sys.argv[2])]
' "$TMP/three.jsonl"

# a broken pretty-printed object costs one error; reading resumes at the next object
"$PY" - "$TMP" <<'EOF'
import sys
tmp = sys.argv[1]
text = open(tmp + "/three-pretty.json").read()
first = text.index("\n}\n") + 3
broken = text[:first].replace('"skills": [', '"skills": [,,', 1)
open(tmp + "/badpretty.json", "w").write(broken + text[first:])
EOF
jm score "$TMP/badpretty.json"
pycheck score_bad_pretty_resync '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, [list(r) for r in rows]
assert "error" in rows[0] and rows[0]["error"]["line"] > 1, rows[0]
assert "score" in rows[1] and "score" in rows[2]
'

printf '[{"id": "a", "skills": ["Python"]},\n {"id": "b", "skills": ["Java"]},,\n {"id": "c"}]\n' > "$TMP/badarray.json"
jm score "$TMP/badarray.json"
[ $rc -eq 2 ] && grep -Eq '^[^:]*badarray.json:2:[0-9]+: ' "$TMP/err" && [ ! -s "$TMP/out" ] && ok score_bad_array \
    || fail score_bad_array "rc=$rc err=$(cat "$TMP/err") out=$(head -c 200 "$TMP/out")"
printf '[{"id": "a"}] trailing\n' > "$TMP/trailing.json"
jm score "$TMP/trailing.json"
[ $rc -eq 2 ] && grep -q 'trailing.json:1:' "$TMP/err" && ok score_array_trailing || fail score_array_trailing "rc=$rc"

printf '{"id": "t1", "skills": 5}\n{"id": "t2", "skills": [{"name": "Python", "level": "high"}]}\n{"id": "t3", "skills": ["Python"], "years_experience": "ten"}\n' > "$TMP/types.jsonl"
jm score "$TMP/types.jsonl"
[ $rc -eq 1 ] && ok score_wrong_types_status || fail score_wrong_types_status "rc=$rc"
pycheck score_wrong_types_messages '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3
assert rows[0]["error"]["code"] == "invalid_request" and "skills" in rows[0]["error"]["message"], rows[0]
assert "skills[0].level" in rows[1]["error"]["message"], rows[1]
assert "years_experience" in rows[2]["error"]["message"], rows[2]
assert [r["error"]["position"] for r in rows] == [1, 2, 3]
assert [r["candidate"] for r in rows] == ["t1", "t2", "t3"]
'

printf '{"id": "empty", "skills": []}\n' > "$TMP/empty-skills.jsonl"
jm score "$TMP/empty-skills.jsonl"
pycheck score_empty_skills '
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["score"] < 10 and r["band"] == "weak", r["score"]
assert r["matched"] == [] and len(r["missing"]) == len(r["requirements"]), r["missing"]
'

"$PY" -c '
import json
print(json.dumps({"id": "many", "skills": ["skill-%d" % i for i in range(10000)]}))
print(json.dumps({"id": "after", "skills": ["Python"]}))
' > "$TMP/many.jsonl"
jm score "$TMP/many.jsonl"
[ $rc -eq 1 ] && ok score_too_many_skills_status || fail score_too_many_skills_status "rc=$rc"
pycheck score_too_many_skills '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[0]["error"]["code"] == "too_large" and "10000" in rows[0]["error"]["message"], rows[0]
assert rows[1]["candidate"] == "after" and "score" in rows[1]
'

"$PY" -c '
import json
words = "Built services in Python and PostgreSQL, deployed with Docker on Linux. "
text = (words * (1048576 // len(words) + 1))[:1048576]
print(json.dumps({"id": "long-resume", "skills": ["Git"], "resume": text}))
' > "$TMP/bigresume.jsonl"
jm score "$TMP/bigresume.jsonl"
pycheck score_1mb_resume '
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["candidate"] == "long-resume" and r["score"] > 0, r.get("error")
'

printf '{"id": "u1", "skills": ["Python"]}\n{"id": "u2", "skills": ["Ja\xffva"]}\n{"id": "u3", "skills": ["Java"]}\n' > "$TMP/utf8.jsonl"
jm score "$TMP/utf8.jsonl"
[ $rc -eq 1 ] && grep -q 'utf8.jsonl:2:' "$TMP/err" && ok score_invalid_utf8_status || fail score_invalid_utf8_status "rc=$rc $(cat "$TMP/err")"
pycheck score_invalid_utf8 '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
e = rows[1]["error"]
assert e["code"] == "invalid_json" and e["line"] == 2 and e["column"] == 28, e
assert "UTF-8" in e["message"] and "line 2" in e["message"], e["message"]
assert "score" in rows[0] and "score" in rows[2]
'

printf '' > "$TMP/empty.jsonl"
jm score "$TMP/empty.jsonl"
[ $rc -eq 0 ] && [ ! -s "$TMP/out" ] && ok score_empty_input || fail score_empty_input "rc=$rc"
jm score "$TMP/no-such-file.jsonl"
[ $rc -eq 2 ] && grep -q 'no-such-file.jsonl' "$TMP/err" && ok score_missing_input || fail score_missing_input "rc=$rc"

# identical input, byte-identical output
jm score "$EXAMPLES"; cp "$TMP/out" "$TMP/run1"
jm score "$EXAMPLES"
cmp -s "$TMP/out" "$TMP/run1" && ok score_deterministic || fail score_deterministic "two runs differ"
jm score --explain "$EXAMPLES"; cp "$TMP/out" "$TMP/run1"
jm score --explain "$EXAMPLES"
[ -s "$TMP/out" ] && cmp -s "$TMP/out" "$TMP/run1" && ok explain_deterministic || fail explain_deterministic "two runs differ"

# stderr never carries candidate free text
printf '{"id": "secret", "skills": ["Python"], "resume": "TOPSECRETTEXT \xff"}\n' > "$TMP/secret.jsonl"
jm score "$TMP/secret.jsonl"
[ $rc -eq 1 ] && ! grep -q TOPSECRET "$TMP/err" && ok score_no_free_text_on_stderr || fail score_no_free_text_on_stderr "$(cat "$TMP/err")"

# --- skills normalize -------------------------------------------------------------
jm skills normalize NodeJS Kubernets Figma k8s
[ $rc -eq 0 ] && ok normalize_status || fail normalize_status "rc=$rc"
pycheck normalize_cases '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["input"] for r in rows] == ["NodeJS", "Kubernets", "Figma", "k8s"]
node, kube, figma, k8s = rows
assert node["id"] == "nodejs" and node["match"] in ("alias", "exact"), node
assert kube["id"] == "kubernetes" and kube["match"] == "typo" and kube["distance"] >= 1, kube
assert figma["match"] == "unknown" and figma["id"] is None and figma["name"] is None and figma["category"] is None, figma
assert "suggestion" in figma
assert k8s["id"] == "kubernetes" and k8s["match"] == "alias", k8s
for r in (node, kube, k8s):
    assert r["name"] and r["category"] and r["kind"] in ("hard", "knowledge", "soft"), r
'
cp "$TMP/out" "$TMP/normalize.out"
printf 'NodeJS\nKubernets\r\n\nFigma\nk8s\n' > "$TMP/names.txt"
jm_in "$TMP/names.txt" skills normalize
[ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/normalize.out" && ok normalize_stdin || fail normalize_stdin "rc=$rc $(diff "$TMP/out" "$TMP/normalize.out" | head -4)"
printf 'Python\nJa\xffva\n' > "$TMP/badnames.txt"
jm_in "$TMP/badnames.txt" skills normalize
[ $rc -eq 1 ] && [ "$(wc -l < "$TMP/out")" -eq 2 ] && grep -q '"position":2' "$TMP/out" && ok normalize_invalid_utf8 \
    || fail normalize_invalid_utf8 "rc=$rc"

# --- skills extract ---------------------------------------------------------------
resume=$(ls "$RESUMES"/*.txt 2>/dev/null | head -1)
if [ -n "$resume" ]; then
    jm skills extract "$resume"
    pycheck extract_resume '
import json, os, sys
r = json.loads(open(sys.argv[1]).read())
raw = open(sys.argv[2], "rb").read()
assert r["bytes"] == len(raw), (r["bytes"], len(raw))
assert len(r["skills"]) > 5, len(r["skills"])
firsts = [s["spans"][0][0] for s in r["skills"]]
assert firsts == sorted(firsts), "not in order of first mention"
for s in r["skills"]:
    assert s["count"] == len(s["spans"]) and s["id"] and s["name"] and s["category"], s
    for start, end in s["spans"]:
        assert 0 <= start < end <= len(raw)
        raw[start:end].decode("utf-8")
expected = sys.argv[2][:-4] + ".expected.json"
if os.path.exists(expected):
    want = set(json.load(open(expected))["skills"])
    got = {s["id"] for s in r["skills"]}
    assert got == want, ("missing", sorted(want - got), "extra", sorted(got - want))
' "$resume"
    jm_in "$resume" skills extract -
    cmp -s "$TMP/out" <("$JM" skills extract "$resume") && ok extract_stdin || fail extract_stdin "differs from the file"
else
    fail extract_resume "no resume in $RESUMES"
fi
printf 'Python and Docker\nthen caf\xe9 Java\n' > "$TMP/latin1.txt"
jm skills extract "$TMP/latin1.txt"
[ $rc -eq 1 ] && grep -q 'latin1.txt:2:9' "$TMP/err" && [ ! -s "$TMP/out" ] && ok extract_invalid_utf8 \
    || fail extract_invalid_utf8 "rc=$rc $(cat "$TMP/err")"
# mentions that do not count: negated, with the cue's span (issue 15)
printf 'I have no experience with Python or Java. Skills: Django\n' > "$TMP/negated.txt"
jm skills extract "$TMP/negated.txt"
[ $rc -eq 0 ] && pycheck extract_negation '
import json, sys
r = json.loads(open(sys.argv[1]).read())
raw = open(sys.argv[2], "rb").read()
assert [s["id"] for s in r["skills"]] == ["django"], r["skills"]
ignored = {i["id"]: i for i in r["ignored"]}
assert sorted(ignored) == ["java", "python"], r["ignored"]
for id in ("python", "java"):
    i = ignored[id]
    assert i["status"] == "negated" and i["reason"] == "negation", i
    assert raw[i["span"][0]:i["span"][1]].decode().lower() == id, i
    assert raw[i["cue"][0]:i["cue"][1]] == b"no", i
' "$TMP/negated.txt" || fail extract_negation "rc=$rc $(cat "$TMP/err")"
printf 'I want to learn Kubernetes.\nThe platform team, who own Terraform, helped.\n\xe2\x9d\x8c PHP\n' > "$TMP/context.txt"
jm skills extract "$TMP/context.txt"
[ $rc -eq 0 ] && pycheck extract_intent_others '
import json, sys
r = json.loads(open(sys.argv[1]).read())
got = {i["id"]: (i["status"], i["reason"]) for i in r["ignored"]}
assert got == {"kubernetes": ("intended", "intent"), "terraform": ("others", "someone_else"),
               "php": ("negated", "negation")}, r["ignored"]
assert r["skills"] == [], r["skills"]
' || fail extract_intent_others "rc=$rc $(cat "$TMP/err")"
printf '' > "$TMP/empty.txt"
jm skills extract "$TMP/empty.txt"
[ $rc -eq 0 ] && grep -q '^{"skills":\[\],"ignored":\[\],"bytes":0}$' "$TMP/out" && ok extract_empty || fail extract_empty "rc=$rc $(cat "$TMP/out")"
# evidence of proficiency: years and level read from the words around a skill
printf '10 years of professional Java. Familiar with Docker.\n' > "$TMP/evidence.txt"
jm skills extract "$TMP/evidence.txt"
pycheck extract_evidence '
import json, sys
r = json.loads(open(sys.argv[1]).read())
skills = {s["id"]: s for s in r["skills"]}
assert skills["java"].get("years") == 10, skills["java"]
assert "level" not in skills["java"] or skills["java"]["level"] >= 3, skills["java"]
assert "years" not in skills["docker"], skills["docker"]
assert 1 <= skills["docker"].get("level", 0) <= 2, skills["docker"]
'
# ... and used when a résumé is scored: a job asking for Java at level 3 and 5 years
cat > "$TMP/evidence-job.json" <<'JOB'
{"id": "evidence-job", "requirements": [{"skill": "java", "weight": 1, "importance": "required", "min_level": 3, "min_years": 5}]}
JOB
printf '%s\n' '{"id": "ten", "resume": "10 years of professional Java."}' \
    '{"id": "familiar", "resume": "Familiar with Java."}' \
    '{"id": "two", "resume": "Java (2 yrs)"}' > "$TMP/evidence-candidates.jsonl"
jm score --job "$TMP/evidence-job.json" "$TMP/evidence-candidates.jsonl"
pycheck score_evidence '
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
score = {r["candidate"]: r["score"] for r in lines}
assert score["ten"] > score["two"] > 0, score
assert score["ten"] > score["familiar"] > 0, score
'

# --- skills list ----------------------------------------------------------------
jm skills list
table_rows=$(($(wc -l < "$TMP/out") - 1))
[ $rc -eq 0 ] && head -1 "$TMP/out" | grep -q '^ID  *NAME  *CATEGORY  *KIND  *SEED' && ok skills_list_table || fail skills_list_table "rc=$rc"
jm skills list --json
pycheck skills_list_json '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == int(sys.argv[2]), (len(rows), sys.argv[2])
assert all(isinstance(r["aliases"], list) and r["id"] and r["category"] for r in rows)
k = [r for r in rows if r["id"] == "kubernetes"]
assert k and "k8s" in k[0]["aliases"], k
' "$table_rows"
category=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["category"])' "$TMP/out")
jm skills list --json --category "$category"
pycheck skills_list_category '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows and all(r["category"] == sys.argv[2] for r in rows)
' "$category"
jm skills list --category no-such-category
[ $rc -eq 2 ] && grep -q "$category" "$TMP/err" && ok skills_list_unknown_category || fail skills_list_unknown_category "rc=$rc"

# --- jobs -------------------------------------------------------------------------
# 'jobs list' asks the registry through the gateway (issue 4); --offline reads
# the local data.  Nothing listens on this port: the error names the endpoint
# and points to --offline, and nothing is printed on stdout.
nowhere="tcp://127.0.0.1:$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
jm jobs list --gateway "$nowhere" --timeout-ms 300
[ $rc -eq 2 ] && [ ! -s "$TMP/out" ] && grep -q "no reply from the gateway at $nowhere within 300 ms" "$TMP/err" \
    && grep -q -- "--offline" "$TMP/err" && ok jobs_list_remote_by_default \
    || fail jobs_list_remote_by_default "rc=$rc $(cat "$TMP/err")"
jm jobs list --offline
pycheck jobs_list '
import glob, json, os, sys
lines = open(sys.argv[1]).read().splitlines()
ids = sorted(json.load(open(f))["id"] for f in glob.glob(os.path.join(sys.argv[2], "jobs", "*.json")))
assert len(ids) == 4, ids
assert lines[0].split()[:2] == ["ID", "TITLE"], lines[0]
assert [l.split()[0] for l in lines[1:]] == ids, lines
' "$DATA"
jm jobs list --json --offline
pycheck jobs_list_json '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 4 and all(r["requirements"] > 0 and r["version"] >= 1 and r["title"] for r in rows), rows
'
jm jobs show backend-developer
pycheck jobs_show '
import json, sys
job = json.loads(open(sys.argv[1]).read())
assert job["id"] == "backend-developer" and len(job["requirements"]) > 0
assert all("skill" in r or "any_of" in r for r in job["requirements"])
'
jm jobs show --offline "$DATA/jobs/backend-developer.json"; cp "$TMP/out" "$TMP/show-file"
jm jobs show backend-developer
cmp -s "$TMP/out" "$TMP/show-file" && ok jobs_show_file || fail jobs_show_file "file and id differ"
jm jobs show backend-developer --table
[ $rc -eq 0 ] && grep -q 'REQUIREMENT' "$TMP/out" && grep -q 'backend-developer' "$TMP/out" && ok jobs_show_table || fail jobs_show_table "rc=$rc"
jm jobs show no-such-job
[ $rc -eq 2 ] && grep -q 'backend-developer' "$TMP/err" && ok jobs_show_unknown || fail jobs_show_unknown "rc=$rc"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
