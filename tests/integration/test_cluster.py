#!/usr/bin/python3
"""Integration tests for Redis Cluster (issue 16, item 5): a real cluster of
3 masters and 3 replicas (`redis-cli --cluster create`, private ports, own
data dirs, cluster-node-timeout 1 s, the ACL users of docker/redis-users.acl),
a gateway and 2 matchers given a seed list.  A batch runs while slots are
resharded and a master fails over to its replica: nothing is lost (every
candidate's result readable through jobmatch.results), the ranking holds
every candidate, and the kept summary equals the batch's own.

    tests/integration/test_cluster.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import harness  # noqa: E402
import stack  # noqa: E402
from dashstack import Dashboard  # noqa: E402
from harness import check, check_equal  # noqa: E402

runner = harness.Runner(timeout=300)
JOBS, RESULTS = "jobmatch.jobs", "jobmatch.results"
JOB = "backend-developer"
BANDS = ("strong", "good", "partial", "weak")


def _free_cluster_port():
    """A port p with p and p + 10000 (the cluster bus) both free."""
    for _ in range(200):
        port = random.randint(20000, 30000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise harness.TestFailure("no free port pair for a cluster node")


class Cluster:
    """redis-server nodes in cluster mode, joined by redis-cli --cluster
    create with one replica per master.  Looks like harness.Redis to
    stack.Stack: url_for(program) is a seed list of the masters."""

    def __init__(self, masters=3, replicas=1, certs=None):
        import redis as redis_module
        import secrets
        self._module = redis_module
        self.certs = certs              # test_redis_auth.Certificates: TLS only
        self.passwords = {"jobmatch-matcher": secrets.token_hex(12),
                          "jobmatch-dashboard": secrets.token_hex(12)}
        self.admin_password = secrets.token_hex(12)
        self.nodes = []                 # (port, process)
        for n in range(masters * (1 + replicas)):
            port = _free_cluster_port()
            data = tempfile.mkdtemp(prefix="cluster-%d-" % port, dir=harness.tmpdir())
            acl = os.path.join(data, "users.acl")
            with open(acl, "w") as acl_file:
                acl_file.write(harness.acl_text(self.passwords, self.admin_password))
            argv = ["redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", data,
                    "--save", "", "--appendonly", "no", "--aclfile", acl,
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0",
                    "--repl-diskless-sync-delay", "0",
                    "--masteruser", harness.ACL_ADMIN, "--masterauth", self.admin_password]
            if certs:
                # TLS only: clients, the cluster bus and replication
                argv[1:3] = ["--port", "0", "--tls-port", port]
                argv += ["--tls-cluster", "yes", "--tls-replication", "yes",
                         "--tls-cert-file", certs.server[0], "--tls-key-file", certs.server[1],
                         "--tls-ca-cert-file", certs.ca[0], "--tls-auth-clients", "no"]
            self.nodes.append((port, harness.spawn("redis-%d" % (n + 1), argv)))
        for port, _ in self.nodes:
            harness.wait_for(lambda p=port: self._answers(p), 10.0, 0.02, "node %d" % port)
        self.cli("--cluster", "create", *["127.0.0.1:%d" % port for port, _ in self.nodes],
                 "--cluster-replicas", str(replicas), "--cluster-yes")
        harness.wait_for(self.healthy, 30.0, 0.1, "the cluster to be ok on every node")
        harness.wait_for(self.replicas_synced, 30.0, 0.1, "every replica to sync with its master")
        self.process = self.nodes[0][1]     # for Stack.processes()
        self.seeds = ",".join("127.0.0.1:%d" % port for port in self.master_ports())

    def _answers(self, port):
        try:
            return self.node(port).ping()
        except self._module.exceptions.ConnectionError:
            return False

    def node(self, port):
        tls = dict(ssl=True, ssl_ca_certs=self.certs.ca[0]) if self.certs else {}
        return self._module.Redis(host="127.0.0.1", port=port, decode_responses=True,
                                  username=harness.ACL_ADMIN, password=self.admin_password,
                                  socket_timeout=5, **tls)

    def cli(self, *args, timeout=60):
        argv = ["redis-cli", "--user", harness.ACL_ADMIN, "--pass", self.admin_password,
                "--no-auth-warning"] + (["--tls", "--cacert", self.certs.ca[0]] if self.certs
                                        else []) + [str(arg) for arg in args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        check(done.returncode == 0, "redis-cli %s failed: %s %s" % (
            " ".join(argv[6:9]), done.stdout[-400:], done.stderr[-400:]))
        return done.stdout

    def alive_ports(self):
        return [port for port, process in self.nodes if process.alive()]

    def healthy(self):
        """Every live node says cluster_state:ok and all agree on the masters."""
        try:
            for port in self.alive_ports():
                if self.node(port).execute_command("CLUSTER INFO").get("cluster_state") != "ok":
                    return False
            return True
        except self._module.exceptions.RedisError:
            return False

    def replicas_synced(self):
        """Every replica's link to its master is up (its first sync done)."""
        try:
            for port in self.alive_ports():
                info = self.node(port).info("replication")
                if info.get("role") == "slave" and info.get("master_link_status") != "up":
                    return False
            return True
        except self._module.exceptions.RedisError:
            return False

    def caught_up(self, master_port, replica_port):
        """The replica has every write its master has (replication offsets)."""
        master = self.node(master_port).info("replication")["master_repl_offset"]
        return self.node(replica_port).info("replication").get("slave_repl_offset", -1) >= master

    def master_ports(self):
        """The masters that serve slots, by port."""
        port = self.alive_ports()[0]
        slots = self.node(port).execute_command("CLUSTER SLOTS")
        return sorted({entry[2][1] for entry in slots})

    def node_id(self, port):
        return self.node(port).execute_command("CLUSTER MYID")

    def replica_of(self, master_port):
        """A live replica of the master at master_port (ROLE), or None."""
        for port in self.alive_ports():
            role = self.node(port).execute_command("ROLE")
            if role[0] == "slave" and int(role[2]) == master_port:
                return port
        return None

    def keyslot(self, key):
        return self.node(self.alive_ports()[0]).execute_command("CLUSTER KEYSLOT", key)

    def master_of_slot(self, slot):
        """The port of the master serving slot (CLUSTER SLOTS)."""
        for entry in self.node(self.alive_ports()[0]).execute_command("CLUSTER SLOTS"):
            if entry[0] <= slot <= entry[1]:
                return entry[2][1]
        return None

    def migrate_slot(self, slot, source, target, batch=1000):
        """Moves one slot between masters as redis-cli --cluster reshard
        does (IMPORTING and MIGRATING, MIGRATE of batch keys at a time, then
        SETSLOT NODE on every master): clients meet ASK and TRYAGAIN
        meanwhile.  Returns how many keys moved."""
        src, dst = self.node(source), self.node(target)
        target_id = self.node_id(target)
        dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", self.node_id(source))
        src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", target_id)
        moved = 0
        while True:
            keys = src.execute_command("CLUSTER GETKEYSINSLOT", slot, batch)
            if not keys:
                break
            src.execute_command("MIGRATE", "127.0.0.1", target, "", 0, 10000, "AUTH2",
                                harness.ACL_ADMIN, self.admin_password, "KEYS", *keys)
            moved += len(keys)
        for port in [target, source] + [p for p in self.master_ports() if p not in (source, target)]:
            self.node(port).execute_command("CLUSTER SETSLOT", slot, "NODE", target_id)
        return moved

    def url_for(self, program):
        user = "jobmatch-" + program
        return "%s://%s:%s@%s" % ("rediss" if self.certs else "redis", user,
                                  self.passwords[user], self.seeds)

    def client(self):
        """A redis-py cluster client (decoded strings), as the admin user."""
        from redis.cluster import RedisCluster
        return RedisCluster(host="127.0.0.1", port=self.master_ports()[0], decode_responses=True,
                            username=harness.ACL_ADMIN, password=self.admin_password)

    def acl_denials(self):
        denials = []
        for port in self.alive_ports():
            denials += [(entry.get("username"), entry.get("reason"), entry.get("object"))
                        for entry in self.node(port).acl_log()]
        return denials

    allow_denials = False


def call(s, service, body, timeout=20.0):
    return json.loads(s.rpc.request(service, json.dumps(body).encode(), timeout=timeout))


def ok(reply, what="reply"):
    check(reply.get("ok") is True, "%s is not ok: %s" % (what, json.dumps(reply)[:400]))
    return reply


def start(cluster, matchers=2):
    s = stack.Stack(matchers=matchers, redis=cluster)
    for service in (JOBS, RESULTS):
        s.gateway.wait_workers(service, matchers, timeout=20.0)
    s.rpc = s.client()
    harness.wait_for(lambda: len(call(s, JOBS, {"op": "list"}).get("jobs", [])) >= 1, 20.0,
                     0.05, "the built-in jobs to be seeded")
    return s


@runner.test
def batch_survives_resharding_and_failover():
    cluster = Cluster()
    harness.watch_acl(cluster)
    s = start(cluster)
    total = 40000
    in_path = stack.write_candidates(os.path.join(harness.tmpdir(), "c.jsonl"), total, "cl")
    out_path = os.path.join(harness.tmpdir(), "c.out.jsonl")
    summary_path = os.path.join(harness.tmpdir(), "c.summary.json")
    batch = stack.start_batch(s.gateway.clients, "--in", in_path, "--out", out_path,
                              "--job", JOB, "--summary", summary_path)
    harness.wait_for(lambda: stack.count_lines(out_path) > total // 10, 60.0, 0.05,
                     "the batch to be under way")

    # the master holding the job's keys (one slot: its hash tag) fails over
    # to its replica (CLUSTER FAILOVER: no write lost)
    slot = cluster.keyslot("jobmatch:rank:{%s}:1" % JOB)
    victim = cluster.master_of_slot(slot)
    replica = cluster.replica_of(victim)
    check(replica is not None, "master %d has a replica" % victim)
    cluster.node(replica).execute_command("CLUSTER FAILOVER")
    harness.wait_for(lambda: replica in cluster.master_ports() and cluster.healthy(), 30.0, 0.1,
                     "the replica of %d to take over" % victim)
    check(batch.poll() is None, "the failover overlapped the batch")

    # resharding under load: the job's slot moves to another master while
    # the batch writes into it (ASK and TRYAGAIN meanwhile), then 500 other
    # slots move with redis-cli in the background
    target = [port for port in cluster.master_ports() if port != replica][0]
    other = [port for port in cluster.master_ports() if port not in (replica, target)][0]
    written_at_start = stack.count_lines(out_path)
    moved = cluster.migrate_slot(slot, replica, target)
    check(batch.poll() is None, "the job's slot moved while the batch ran")
    check_equal(cluster.master_of_slot(slot), target, "the master of the job's slot")
    reshard = subprocess.Popen(
        ["redis-cli", "--user", harness.ACL_ADMIN, "--pass", cluster.admin_password,
         "--no-auth-warning", "--cluster", "reshard", "127.0.0.1:%d" % other,
         "--cluster-from", cluster.node_id(other), "--cluster-to", cluster.node_id(target),
         "--cluster-slots", "500", "--cluster-yes", "--cluster-replace"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    harness.on_cleanup(lambda: reshard.poll() is None and reshard.kill())

    rc = batch.wait(timeout=180)
    # while the job's slot is half moved, its transactions get TRYAGAIN:
    # those writes wait in the matchers' pending buffers (nothing is lost)
    # and the replies meanwhile say "stored": false, which --resume stores
    resumed = rc == 3
    if resumed:
        done = stack.run_batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--job",
                               JOB, "--summary", summary_path, "--resume")
        rc = done.returncode
    check_equal(rc, 0, "batch exit status (stderr: %s)" % (
        done.stderr if resumed else stack.stderr_of(batch))[-400:])
    output, _ = reshard.communicate(timeout=180)
    check_equal(reshard.returncode, 0, "redis-cli --cluster reshard: %s" % output[-400:])
    check(written_at_start < total, "the resharding began before the batch ended")
    check(cluster.healthy(), "the cluster is ok after resharding")
    records = stack.read_jsonl(out_path)
    ids = ["cl-%d" % n for n in range(total)]
    check_equal([r.get("candidate") for r in records], ids, "every candidate once, in order")
    with open(summary_path) as data:
        summary = json.load(data)
    check_equal(summary["candidates"], total, "summary candidates")

    # nothing lost: every candidate's result readable, through the matchers
    missing = []
    for candidate in ids[::97] + ids[-50:]:
        reply = call(s, RESULTS, {"op": "result", "job": JOB, "candidate": candidate,
                                  "detail": "score"})
        if not reply.get("ok"):
            missing.append((candidate, reply.get("error", {}).get("code")))
    check(not missing, "%d results not readable, first %r" % (len(missing), missing[:3]))
    jobs_state = ok(call(s, JOBS, {"op": "get", "id": JOB}))
    version = str(jobs_state["ranked_version"])
    lost = []
    for first in range(0, total, 1000):
        stored = ok(call(s, RESULTS, {"op": "stored", "job": JOB, "version": int(version),
                                      "candidates": ids[first:first + 1000]}), "stored")
        check_equal(stored["checked"], len(ids[first:first + 1000]), "candidates checked")
        lost += [ids[first + i] for i in stored["missing"]]
    check(not lost, "%d candidates without a stored result, first %r" % (len(lost), lost[:3]))

    # rankings complete, summary exact
    kept = ok(call(s, RESULTS, {"op": "summary", "job": JOB}), "summary")
    check_equal(kept["total"], total, "the kept summary counts every candidate")
    bands = {band: sum(1 for r in records if r.get("band") == band) for band in BANDS}
    check_equal(kept["bands"], bands, "the kept summary's bands equal the batch's records")
    check_equal({b: summary["bands"][b] for b in BANDS}, bands, "the batch summary's bands")
    page = ok(call(s, RESULTS, {"op": "rank", "job": JOB, "offset": 0, "limit": 5}), "rank")
    check_equal(page["total"], total, "ranking size")
    admin = cluster.client()
    check_equal(admin.zcard("jobmatch:rank:{%s}:%s" % (JOB, version)), total,
                "ZCARD of the ranking")
    # the dashboard reads the same cluster: summary and a ranking page
    dashboard = Dashboard(s)
    answer = dashboard.get("/api/v1/jobs/%s/summary" % JOB)
    check_equal(answer.status, 200, "dashboard summary status")
    board = answer.json()
    check_equal((board["total"], board["bands"]), (total, bands), "the dashboard's summary")
    answer = dashboard.get("/api/v1/jobs/%s/ranking?limit=50" % JOB)
    check_equal(answer.status, 200, "dashboard ranking status")
    page = answer.json()
    check_equal((page["total"], len(page["entries"])), (total, 50), "the dashboard's ranking page")
    logs = "".join(matcher.log() for matcher in s.matchers)
    check("slot map read again" in logs, "the matchers followed the slots that moved")
    s.check_alive()
    print("    cluster: %d candidates; the job's master failed over %d -> %d, then its slot "
          "%d (%d keys) moved to %d from output line %d on, and 500 slots from %d; %s" % (
              total, victim, replica, slot, moved, target, written_at_start, other,
              "needed --resume" if resumed else "stored in one run"))


@runner.test
def each_job_lives_in_its_own_slot():
    """Every key of a job carries the job as hash tag: its hash, ranking,
    band sets, summary and records are in one slot, held by one master,
    and the jobs spread over the masters; the registry-wide keys share
    {jobmatch}.  Put, delete and put again go on from the deleted version."""
    cluster = Cluster(replicas=0)
    harness.watch_acl(cluster)
    s = start(cluster, matchers=1)
    jobs = ["spread-%d" % n for n in range(8)]
    for job in jobs:
        ok(call(s, JOBS, {"op": "put", "job": {
            "id": job, "title": job, "requirements": [
                {"skill": "Python", "weight": 3, "importance": "required"},
                {"skill": "Docker", "weight": 2, "importance": "preferred"}]}}), "put " + job)
    candidates = [stack.make_candidate(n, "sp") for n in range(40)]
    reply = s.match({"candidates": candidates, "jobs": jobs, "detail": "score"}, client=s.rpc,
                    timeout=60.0)
    check(reply.get("ok") is not False, "match: %s" % json.dumps(reply)[:300])
    masters = {}
    for job in jobs:
        rank = "jobmatch:rank:{%s}:1" % job
        slot = cluster.keyslot(rank)
        node = cluster.node(cluster.master_of_slot(slot))
        # read on the node itself (no redirect): the job's keys are all there
        check_equal(node.zcard(rank), 40, "ranking of %s on its master" % job)
        check_equal(node.hget("jobmatch:job:{%s}" % job, "version"), "1", "job hash of " + job)
        check_equal(int(node.hget("jobmatch:rank:{%s}:1:summary" % job, "total")), 40,
                    "summary of " + job)
        for key in ("jobmatch:job:{%s}" % job, "jobmatch:rank:{%s}:1:parts" % job,
                    "jobmatch:res:{%s}:0" % job, "jobmatch:rescore:{%s}:2" % job):
            check_equal(cluster.keyslot(key), slot, "slot of " + key)
        masters.setdefault(cluster.master_of_slot(slot), []).append(job)
    check(len(masters) >= 2, "the jobs' rankings spread over the masters: %r" % masters)
    registry = cluster.keyslot("jobmatch:{jobmatch}:jobs")
    node = cluster.node(cluster.master_of_slot(registry))
    check(set(jobs) <= node.smembers("jobmatch:{jobmatch}:jobs"), "every job listed")
    check(int(node.get("jobmatch:{jobmatch}:jobs:seq")) >= len(jobs), "jobs:seq raised")
    # delete and put again: the deleted version is kept in the job's slot
    ok(call(s, JOBS, {"op": "delete", "id": jobs[0]}), "delete")
    check(jobs[0] not in node.smembers("jobmatch:{jobmatch}:jobs"), "the deleted job unlisted")
    check_equal(cluster.client().hget("jobmatch:jobs:deleted:{%s}" % jobs[0], jobs[0]), "1",
                "the deleted version, in the job's slot")
    again = ok(call(s, JOBS, {"op": "put", "job": {
        "id": jobs[0], "title": "again", "requirements": [
            {"skill": "Go", "weight": 3, "importance": "required"}]}}), "put again")
    check_equal(again["job"]["version"], 2, "the version after a delete")
    listed = [job["id"] for job in ok(call(s, JOBS, {"op": "list"}))["jobs"]]
    check(set(jobs) <= set(listed), "every job listed after the put again")
    s.check_alive()
    print("    %d jobs on %d masters: %s" % (len(jobs), len(masters), ", ".join(
        "%d: %d" % (port, len(held)) for port, held in sorted(masters.items()))))


@runner.test
def single_address_of_a_cluster_node_finds_the_cluster():
    cluster = Cluster()
    harness.watch_acl(cluster)
    one = cluster.url_for("matcher").split(",")[0]
    cluster.seeds = one.split("@")[1]
    s = start(cluster, matchers=1)
    reply = call(s, "jobmatch.match", {"candidates": [stack.make_candidate(1, "one")],
                                       "jobs": [JOB], "detail": "score"})
    check(reply.get("ok") is not False, "match: %s" % json.dumps(reply)[:300])
    ok(call(s, RESULTS, {"op": "result", "job": JOB, "candidate": "one-1", "detail": "score"}))
    check(s.matchers[0].wait_log("a cluster node: using the cluster", timeout=5.0) is not False,
          "the matcher says it found a cluster")
    s.check_alive()


@runner.test
def a_killed_master_is_replaced_and_batches_go_on():
    """SIGKILL of a master between two batches: its replica takes over
    (cluster-node-timeout 1 s), the matchers find the new map from another
    seed, and the second batch is stored and ranked in full."""
    cluster = Cluster()
    harness.watch_acl(cluster)
    s = start(cluster)
    first = stack.write_candidates(os.path.join(harness.tmpdir(), "a.jsonl"), 3000, "ka")
    done = stack.run_batch(s.gateway.clients, "--in", first, "--out",
                           os.path.join(harness.tmpdir(), "a.out"), "--job", JOB)
    check_equal(done.returncode, 0, "first batch (%s)" % done.stderr[-300:])
    victim = cluster.master_ports()[0]
    replica = cluster.replica_of(victim)
    check(replica is not None, "master %d has a replica" % victim)
    # async replication: only what the replica has survives a SIGKILL
    harness.wait_for(lambda: cluster.caught_up(victim, replica), 10.0, 0.01,
                     "the replica to have every write of its master")
    [process for port, process in cluster.nodes if port == victim][0].kill()
    harness.wait_for(lambda: replica in cluster.master_ports() and cluster.healthy(), 30.0, 0.1,
                     "the replica of the killed master to take over")
    second = stack.write_candidates(os.path.join(harness.tmpdir(), "b.jsonl"), 3000, "kb")
    out = os.path.join(harness.tmpdir(), "b.out")
    done = stack.run_batch(s.gateway.clients, "--in", second, "--out", out, "--job", JOB)
    resumed = done.returncode == 3  # answered while a matcher was reconnecting: resumed
    if resumed:
        done = stack.run_batch(s.gateway.clients, "--in", second, "--out", out, "--job", JOB,
                               "--resume")
    check_equal(done.returncode, 0, "second batch (%s)" % done.stderr[-300:])
    logs = "".join(matcher.log() for matcher in s.matchers)
    check("gone from the registry" not in logs, "the registry survived the kill")
    ids = ["kb-%d" % n for n in range(3000)]
    version = ok(call(s, JOBS, {"op": "get", "id": JOB}))["ranked_version"]
    for at in range(0, len(ids), 1000):
        stored = ok(call(s, RESULTS, {"op": "stored", "job": JOB, "version": version,
                                      "candidates": ids[at:at + 1000]}), "stored")
        check_equal(stored["missing"], [], "second batch's candidates without a result")
        stored = ok(call(s, RESULTS, {"op": "stored", "job": JOB, "version": version,
                                      "candidates": ["ka-%d" % n for n in range(at, at + 1000)]}))
        check_equal(stored["missing"], [], "first batch's candidates lost with the master")
    s.check_alive()
    print("    killed master %d, replica %d took over; second batch %s" % (
        victim, replica, "needed --resume" if resumed else "stored in one run"))


@runner.test
def job_change_rescores_across_the_cluster():
    """A new job, 600 candidates, then a change of the job: the re-scoring
    (Lua scripts in the job's slot, MGET of profiles over many slots)
    moves the ranking to version 2 with every candidate."""
    cluster = Cluster()
    harness.watch_acl(cluster)
    s = start(cluster)
    def job(skills):
        return {"id": "cl-job", "title": "Cluster job", "requirements": [
            {"skill": skill, "weight": 3, "importance": "preferred"} for skill in skills]}
    ok(call(s, JOBS, {"op": "put", "job": job(("Go", "Docker", "Linux"))}), "put")
    candidates = [stack.make_candidate(n, "rs") for n in range(600)]
    for first in range(0, len(candidates), 200):
        reply = s.match({"candidates": candidates[first:first + 200], "jobs": ["cl-job"],
                         "detail": "score"}, client=s.rpc, timeout=60.0)
        check(reply.get("ok") is not False, "match: %s" % json.dumps(reply)[:300])
    check_equal(ok(call(s, RESULTS, {"op": "summary", "job": "cl-job"}))["total"], 600,
                "version 1's summary")
    ok(call(s, JOBS, {"op": "put", "job": job(("Python", "PostgreSQL", "Redis"))}), "change")

    def flipped():
        state = ok(call(s, JOBS, {"op": "get", "id": "cl-job"}))
        return state["ranked_version"] == 2 and state["rescoring"] is None
    harness.wait_for(flipped, 60.0, 0.1, "re-scoring to version 2")
    kept = ok(call(s, RESULTS, {"op": "summary", "job": "cl-job"}), "summary")
    check_equal((kept["version"], kept["total"]), (2, 600), "version 2's summary")
    page = ok(call(s, RESULTS, {"op": "rank", "job": "cl-job", "offset": 0, "limit": 5}), "rank")
    check_equal(page["total"], 600, "version 2's ranking")
    s.check_alive()


@runner.test
def tls_to_every_node_of_a_cluster():
    """rediss:// with a seed list: the matcher reaches every master over
    TLS (tls-port only, the cluster bus over TLS too), verified against
    the CA given, and its writes land on the masters of their slots."""
    from test_redis_auth import Certificates, Node, check_works
    certs = Certificates()
    cluster = Cluster(replicas=0, certs=certs)
    harness.watch_acl(cluster)
    node = Node()
    matcher = node.matcher(cluster.url_for("matcher"), "--redis-tls-ca", certs.ca[0])
    check_works(node, 1, "matcher on a TLS cluster")
    check(matcher.wait_log("cluster 127.0.0.1", timeout=5.0) is not False,
          "the matcher names the cluster")
    candidate = node.match(2)["candidate"]
    bucket = stack.record_bucket_key(JOB, candidate).rsplit(":", 1)[1]
    key = "jobmatch:res:{%s}:%s" % (JOB, bucket)
    on = cluster.node(cluster.master_of_slot(cluster.keyslot(key)))
    check_equal(on.exists(key), 1, "the result's record on the master of its slot")
    # a wrong CA is refused with a clear error, as with one Redis
    refused = node.matcher(cluster.url_for("matcher"), "--redis-tls-ca", certs.other_ca[0],
                           wait=False)
    check(refused.wait_log("the certificate of 127.0.0.1 is not accepted", timeout=10.0)
          is not False, "the matcher with another CA says the certificate is not accepted")
    check(matcher.alive(), "the matcher on the cluster runs")


if __name__ == "__main__":
    runner.main()
