#!/usr/bin/env bash
# The evaluation set (tests/eval/) as a test, for `make test`: one line per
# threshold of tests/eval/thresholds.json ("ok eval_precision", "FAIL
# eval_spearman_backend-developer: 0.837 < 0.9 ..."), so a fall is visible by
# name, each with the tune and holdout figures beside the combined one.  Before
# that, a few checks of the runner itself against a stand-in jobmatch whose
# answers are known (a perfect engine, a reversed one, bad data).
# The last line is "N passed, N failed"; the exit status is nonzero when any failed.
# Usage: tests/integration/test_eval.sh   (JM_BIN, JM_ROOT, JM_DATA_DIR optional)
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${JM_ROOT:-$(cd "$here/../.." && pwd)}
BIN=${JM_BIN:-$ROOT/build/bin}
DATA=${JM_DATA_DIR:-$ROOT/data}
RUN="$ROOT/tests/eval/run"
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jm-test-eval.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

passed=0; failed=0
ok ()   { echo "ok $1"; passed=$((passed + 1)); }
fail () { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# run ARGS...: the runner with a time limit; stdout to $TMP/out, stderr to $TMP/err, status in $rc
run () { timeout 600 "$RUN" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }

if [ ! -x "$RUN" ] || [ ! -x "$BIN/jobmatch" ]; then
    echo "FAIL setup: $RUN or $BIN/jobmatch is missing (run make)"; echo "0 passed, 1 failed"; exit 1
fi

# ---- the runner itself, against a stand-in engine: "skills extract FILE" reports the
# words of FILE as skill ids; "score" gives each candidate 100 minus its "probe" field.
mkdir -p "$TMP/fake" "$TMP/res" "$TMP/rank" "$TMP/bad"
cat > "$TMP/fake/jobmatch" <<'EOF'
#!/usr/bin/env python3
import json, sys
args = [a for a in sys.argv[1:]]
if args[:1] == ["--data"]:
    args = args[2:]
if args[:2] == ["skills", "extract"]:
    words = open(args[2]).read().split()
    print(json.dumps({"skills": [{"id": w} for w in words], "ignored": [], "bytes": 0}))
elif args[:1] == ["score"]:
    for line in sys.stdin:
        c = json.loads(line)
        print(json.dumps({"candidate": c["id"], "score": 100 - c["probe"]}))
else:
    sys.exit(2)
EOF
chmod +x "$TMP/fake/jobmatch"
"$PY" - "$TMP" <<'EOF'
import json, sys
tmp = sys.argv[1]
open(tmp + "/res/a.txt", "w").write("python django\n")
json.dump({"file": "a.txt", "language": "en", "source": "prose", "split": "tune", "held": ["python", "django"],
           "traps": [{"id": "java", "kind": "negation", "text": "no Java"}]}, open(tmp + "/res/a.json", "w"))
open(tmp + "/res/b.txt", "w").write("sql\n")
json.dump({"file": "b.txt", "language": "de", "source": "pdf", "split": "holdout", "held": ["sql"], "traps": []},
          open(tmp + "/res/b.json", "w"))
ranks = [1, 2, 2, 4, 5, 6]          # a tie at 2
def profiles(probe):
    return [{"id": "p%d" % i, "rank": r, "split": "holdout" if i % 3 == 0 else "tune",
             "candidate": {"id": "p%d" % i, "skills": ["Python"], "probe": probe(r)}}
            for i, r in enumerate(ranks, 1)]
json.dump({"job": "backend-developer", "profiles": profiles(lambda r: r)}, open(tmp + "/rank/good.json", "w"))
json.dump({"job": "backend-developer", "profiles": profiles(lambda r: -r)}, open(tmp + "/bad/rev.json", "w"))
EOF
export JM_DATA_DIR="$DATA"
JM_BIN="$TMP/fake" run --resumes "$TMP/res" --rankings "$TMP/rank" --json
if [ $rc -eq 0 ] && "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
g = r["resumes"]["splits"]["all"]
assert (g["precision"], g["recall"], g["trap_rate"]) == (1.0, 1.0, 0.0), g
s = r["rankings"]["backend-developer"]["splits"]
assert abs(s["all"]["spearman"] - 1) < 1e-9 and abs(s["tune"]["spearman"] - 1) < 1e-9, s
assert r["pass"] is True
' "$TMP/out" 2>"$TMP/py"; then ok runner_perfect_engine
else fail runner_perfect_engine "rc=$rc $(tail -2 "$TMP/py") $(head -3 "$TMP/err")"; fi

JM_BIN="$TMP/fake" run --resumes "$TMP/res" --rankings "$TMP/bad" --json
if [ $rc -eq 1 ] && "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
rho = r["rankings"]["backend-developer"]["splits"]["all"]["spearman"]
assert abs(rho + 1) < 1e-9, rho
assert [v["name"] for v in r["verdicts"] if not v["pass"]] == ["spearman backend-developer"], r["verdicts"]
' "$TMP/out" 2>"$TMP/py"; then ok runner_reversed_engine
else fail runner_reversed_engine "rc=$rc $(tail -2 "$TMP/py") $(head -3 "$TMP/err")"; fi

printf '{"job": "backend-developer",\n  "profiles": [,]}\n' > "$TMP/bad/rev.json"
JM_BIN="$TMP/fake" run --resumes "$TMP/res" --rankings "$TMP/bad"
if [ $rc -eq 2 ] && grep -q "rev.json:2:16: bad JSON" "$TMP/err"; then ok runner_bad_json
else fail runner_bad_json "rc=$rc $(head -2 "$TMP/err")"; fi

run --split sideways
if [ $rc -eq 2 ] && grep -q "split" "$TMP/err"; then ok runner_usage
else fail runner_usage "rc=$rc $(head -2 "$TMP/err")"; fi

# ---- the set itself, with the real engine: one line per threshold
JM_BIN="$BIN" run --json
if [ $rc -eq 2 ]; then
    fail eval_data "$(head -3 "$TMP/err")"
else
    "$PY" - "$TMP/out" > "$TMP/lines" <<'EOF' || echo "FAIL eval_report: the runner printed no valid report" >> "$TMP/lines"
import json, sys
r = json.load(open(sys.argv[1]))
def f(v):
    return "n/a" if v is None else "%.3f" % v
for v in r["verdicts"]:
    m = v["metric"]
    if m == "spearman":
        job = v["name"].split(" ", 1)[1]
        sp = r["rankings"][job]["splits"]
        side = "tune %s, holdout %s" % (f(sp["tune"]["spearman"]), f(sp["holdout"]["spearman"]))
    else:
        sp = r["resumes"]["splits"]
        side = "tune %s, holdout %s" % (f(sp["tune"][m]), f(sp["holdout"][m]))
    name = "eval_" + v["name"].replace(" ", "_")
    if v["pass"]:
        print("ok %s" % name)
    else:
        bad = "<" if v["op"] == ">=" else ">"
        print("FAIL %s: %s %s %g (%s)" % (name, f(v["value"]), bad, v["threshold"], side))
EOF
    while IFS= read -r line; do
        case "$line" in
            "ok "*)   ok "${line#ok }" ;;
            "FAIL "*) rest=${line#FAIL }; fail "${rest%%: *}" "${rest#*: }" ;;
        esac
    done < "$TMP/lines"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
