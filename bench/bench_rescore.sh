#!/usr/bin/env bash
# bench_rescore.sh: how fast a changed job's candidates are re-scored.
#
# Starts a private stack on free loopback ports (redis-server with its own
# dir, jobmatch-gateway, two jobmatch-matcher), registers a job, scores
# COUNT candidates (default 100,000) against it through jobmatch.match,
# then edits the job ROUNDS times (default 3).  Each edit starts a
# background re-scoring of every candidate through both matchers (see
# proto/services.md); a round lasts from the put's reply until the job's
# ranked version flips to the new one.  Prints each round, the median rate,
# and the matchers' peak memory; stops everything it started, also on
# Ctrl-C or failure.
#
# Usage: bench/bench_rescore.sh [COUNT] [ROUNDS]
#   (BENCH_REQUEST_SIZE: candidates per jobmatch.match request while scoring, 100)
# Set BENCH_KEEP=1 to keep the logs.  Exit status: 0 when every round
# completed, 1 otherwise.
set -u
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin
COUNT=${1:-100000}
ROUNDS=${2:-3}
for program in jobmatch-gateway jobmatch-matcher; do
    [ -x "$BIN/$program" ] || { echo "bench_rescore.sh: $BIN/$program is not built (run make)"; exit 1; }
done
command -v redis-server >/dev/null || { echo "bench_rescore.sh: redis-server is not installed"; exit 1; }

. bench/lib.sh
bench_init bench_rescore.sh jm-bench-rescore

start_stack jobmatch.jobs 200

echo "rescore: $COUNT candidates, 2 matchers, redis-server on port $REDIS_PORT; $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$CLIENT_PORT" "$REDIS_PORT" "$COUNT" "$ROUNDS" "${matcher_pids[@]}" <<'EOF' || fail "the benchmark failed"
import json, os, random, statistics, sys, time
import redis, zmq

client_port, redis_port, count, rounds = (int(value) for value in sys.argv[1:5])
request_size = int(os.environ.get("BENCH_REQUEST_SIZE", "100"))
matchers = sys.argv[5:]
socket = zmq.Context().socket(zmq.DEALER)
socket.connect("tcp://127.0.0.1:%d" % client_port)
sequence = [0]

def send(service, body):
    sequence[0] += 1
    # [request-id, "", MDPC01, service, body]; the reply comes back the same way
    socket.send_multipart([b"b%d" % sequence[0], b"", b"MDPC01", service.encode(),
                           json.dumps(body).encode()])

def recv():
    frames = socket.recv_multipart()
    return json.loads(frames[4])

def call(service, body):
    send(service, body)
    reply = recv()
    if not reply.get("ok"):
        raise SystemExit("%s failed: %s" % (service, json.dumps(reply)[:300]))
    return reply

with open("data/taxonomy.json") as taxonomy:
    names = [skill["name"] for skill in json.load(taxonomy)["skills"]]
rng = random.Random(7)

def candidate(serial):
    skills = [{"name": name, "level": rng.randint(1, 5), "years": rng.randint(0, 12)}
              for name in rng.sample(names, rng.randint(12, 20))]
    return {"id": "bench-%d" % serial, "name": "Candidate %d" % serial, "skills": skills}

def job(version):
    pool = ["Python", "Go", "Java", "PostgreSQL", "Docker", "Kubernetes", "Redis", "Linux",
            "Git", "REST API", "Django", "Spring Boot", "AWS", "MySQL"]
    skills = random.Random(version).sample(pool, 8)
    return {"id": "bench-job", "title": "Benchmark job %d" % version, "requirements": [
        {"skill": skill, "weight": 1 + (index % 4), "importance": "required" if index < 3 else "preferred"}
        for index, skill in enumerate(skills)]}

call("jobmatch.jobs", {"op": "put", "job": job(1)})
started = time.monotonic()
window, outstanding, sent = 8, 0, 0
while sent < count or outstanding:
    while sent < count and outstanding < window:
        batch = [candidate(serial) for serial in range(sent, min(count, sent + request_size))]
        send("jobmatch.match", {"candidates": batch, "jobs": ["bench-job"]})
        sent += len(batch)
        outstanding += 1
    reply = recv()
    if not reply.get("ok"):
        raise SystemExit("match failed: %s" % json.dumps(reply)[:300])
    outstanding -= 1
print("  scored %d candidates in %.1f s (setup)" % (count, time.monotonic() - started))
store = redis.Redis(port=redis_port, decode_responses=True)

def memory(field):
    sizes = []
    for pid in matchers:
        with open("/proc/%s/status" % pid) as status:
            sizes += [int(line.split()[1]) / 1024 for line in status if line.startswith(field + ":")]
    return " and ".join("%.1f MB" % size for size in sizes)
print("  matchers' peak RSS while scoring: %s" % memory("VmHWM"))
with open("/proc/%s/clear_refs" % matchers[0], "w") as clear:
    clear.write("5")            # resets the peak, to see the re-scoring's own
rates = []
for round_number in range(rounds):
    version = round_number + 2
    put = call("jobmatch.jobs", {"op": "put", "job": job(version)})
    started = time.monotonic()
    total = (put.get("rescoring") or {}).get("total", 0)
    while store.hget("jobmatch:job:bench-job", "ranked") != str(version):
        time.sleep(0.01)
        if time.monotonic() - started > 600:
            raise SystemExit("round %d did not complete in 10 minutes" % version)
    elapsed = time.monotonic() - started
    ranked = store.zcard("jobmatch:rank:bench-job:%d" % version)
    if ranked != count or total != count:
        raise SystemExit("round %d: %d to re-score, %d ranked, want %d" % (version, total, ranked, count))
    rates.append(count / elapsed)
    print("  round %d: %d candidates re-scored in %.2f s: %.0f/s" % (version, count, elapsed, rates[-1]))
print("  re-scoring rate (median of %d): %.0f candidates/s" % (rounds, statistics.median(rates)))
print("  matchers' RSS after re-scoring: %s; peak of the first since the scoring: %s "
      "(target < 32 MB)" % (memory("VmRSS"), memory("VmHWM").split(" and ")[0]))
EOF
exit 0
