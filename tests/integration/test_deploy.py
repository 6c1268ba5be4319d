#!/usr/bin/python3
"""The deployment files hold up: docker/compose.yaml (parsed with PyYAML, as
no Docker engine runs here) gives every long-running service a healthcheck,
binds published ports to loopback unless JOBMATCH_PUBLISH_ADDRESS says
otherwise and refuses to start without JOBMATCH_TOKEN; docker/Dockerfile has
a HEALTHCHECK whose tool is in the image; scripts/jobmatch-healthcheck, that
tool, tells a live gateway, matcher and dashboard from dead ones.

    tests/integration/test_deploy.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stack import DATA_DIR, Stack  # noqa: E402

runner = harness.Runner(timeout=120)
COMPOSE = os.path.join(harness.ROOT, "docker", "compose.yaml")
DOCKERFILE = os.path.join(harness.ROOT, "docker", "Dockerfile")
PROBE = os.path.join(harness.ROOT, "scripts", "jobmatch-healthcheck")
SERVICES = ("redis", "gateway", "matcher", "dashboard")


def compose():
    import yaml
    with open(COMPOSE) as file:
        return yaml.safe_load(file)


def interpolate(text, env):
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} for text;
    raises ValueError for a :? variable env lacks."""
    def one(match):
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        value = env.get(name, "")
        if op == ":?" and not value:
            raise ValueError("%s: %s" % (name, arg))
        return value if value or op != ":-" else arg
    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:-|:\?)([^}]*))?\}", one, text)


@runner.test
def compose_has_healthchecks():
    services = compose()["services"]
    for name in SERVICES:
        health = services[name].get("healthcheck")
        check(health and health.get("test"), "%s has no healthcheck" % name)
        test = health["test"]
        check(test[0] in ("CMD", "CMD-SHELL"), "%s healthcheck %r" % (name, test))
        if name != "redis":
            check_equal(test[1:], ["jobmatch-healthcheck", name], "%s healthcheck" % name)
        for key in ("interval", "timeout", "retries"):
            check(key in health, "%s healthcheck without %s" % (name, key))
    check(services["keys"].get("healthcheck", {}).get("disable") is True,
          "the one-shot keys service should not be probed")
    #  Who waits for whom: a healthy gateway needs no matcher, so no cycle
    check_equal(services["matcher"]["depends_on"]["gateway"]["condition"], "service_healthy",
                "matcher waits for")
    check_equal(services["dashboard"]["depends_on"]["gateway"]["condition"], "service_healthy",
                "dashboard waits for")


@runner.test
def compose_ports_on_loopback_and_token_required():
    services = compose()["services"]
    env = {"JOBMATCH_TOKEN": "secret"}
    published = 0
    for name, service in services.items():
        for port in service.get("ports", []):
            check(isinstance(port, str), "%s: port %r should be a string" % (name, port))
            published += 1
            check(interpolate(port, env).startswith("127.0.0.1:"),
                  "%s publishes %r beyond loopback by default" % (name, port))
            wide = interpolate(port, dict(env, JOBMATCH_PUBLISH_ADDRESS="0.0.0.0"))
            check(wide.startswith("0.0.0.0:"), "%s: JOBMATCH_PUBLISH_ADDRESS ignored: %r" % (name, wide))
    check_equal(published, 2, "published ports")
    token = services["dashboard"]["environment"]["JOBMATCH_TOKEN"]
    check_equal(interpolate(token, env), "secret", "the dashboard's token")
    try:
        interpolate(token, {})
        raise harness.TestFailure("compose starts without JOBMATCH_TOKEN")
    except ValueError as error:
        check("JOBMATCH_TOKEN" in str(error), str(error))


@runner.test
def dockerfile_healthcheck_uses_a_tool_in_the_image():
    with open(DOCKERFILE) as file:
        text = file.read()
    runtime = text[text.rindex("\nFROM "):]
    check(re.search(r"^HEALTHCHECK .*CMD \[\"jobmatch-healthcheck\"\]", runtime, re.M),
          "no HEALTHCHECK running jobmatch-healthcheck in the runtime stage")
    check(re.search(r"^COPY --from=build /src/scripts/jobmatch-healthcheck /usr/local/bin/", runtime, re.M),
          "the runtime stage does not copy jobmatch-healthcheck")
    with open(os.path.join(harness.ROOT, "docker", "Dockerfile.dockerignore")) as file:
        ignored = file.read().split()
    check("scripts" not in ignored, "scripts/ is left out of the build context")
    #  Its tools: bash, coreutils (timeout, head, tr), hostname and env are in
    #  debian:bookworm-slim; jobmatch is the image's own
    with open(PROBE) as file:
        check(file.readline().strip() == "#!/bin/bash", "jobmatch-healthcheck runs with bash")


def probe(program, **env):
    """Runs the healthcheck; its exit status and stderr."""
    full = dict(os.environ, PATH=os.environ["JM_BIN"] + ":" + os.environ.get("PATH", ""),
                JOBMATCH_PROBE_TIMEOUT_MS="1500")
    for name in ("JOBMATCH_CURVE_SERVER", "JOBMATCH_CURVE_CERT", "JOBMATCH_LISTEN"):
        full.pop(name, None)
    full.update({key: str(value) for key, value in env.items()})
    done = subprocess.run([PROBE, program], capture_output=True, timeout=30, env=full)
    return done.returncode, done.stderr.decode(errors="replace")


@runner.test
def healthcheck_tells_live_from_dead():
    stack = Stack(matchers=1)
    gateway = {"JOBMATCH_PROBE_GATEWAY": stack.gateway.clients}
    matcher = stack.matchers[0]
    check_equal(probe("gateway", **gateway), (0, ""), "gateway probe")
    check_equal(probe("matcher", JOBMATCH_PROBE_PID=matcher.pid, **gateway), (0, ""), "matcher probe")
    status, said = probe("matcher", JOBMATCH_PROBE_PID=1, **gateway)
    check(status == 1 and "not registered" in said, "an unknown matcher: %d %s" % (status, said))

    port = harness.free_port()
    listen = "127.0.0.1:%d" % port
    dashboard = harness.spawn("dashboard", [
        harness.binary("jobmatch-dashboard"), "--listen", listen, "--gateway", stack.gateway.clients,
        "--redis", stack.redis.url_for("dashboard") + "/0", "--data", DATA_DIR, "--token", "t0ken"])
    harness.wait_for(lambda: probe("dashboard", JOBMATCH_LISTEN=listen)[0] == 0, 10.0, 0.1,
                     "the dashboard's probe to pass")
    dashboard.stop()
    status, said = probe("dashboard", JOBMATCH_LISTEN=listen)
    check(status == 1 and "livez" in said, "a stopped dashboard: %d %s" % (status, said))

    matcher.stop()
    harness.wait_for(lambda: probe("matcher", JOBMATCH_PROBE_PID=matcher.pid, **gateway)[0] == 1, 10.0,
                     0.1, "a stopped matcher's probe to fail")
    check_equal(probe("gateway", **gateway)[0], 0, "a gateway without matchers is alive")
    stack.gateway.stop()
    status, said = probe("gateway", **gateway)
    check(status == 1 and "does not answer" in said, "a stopped gateway: %d %s" % (status, said))
    status, said = probe("nothing")
    check_equal(status, 1, "an unknown program")


@runner.test
def healthcheck_with_curve_keys():
    #  As in compose: the gateway's own key in JOBMATCH_CURVE_CERT is not
    #  the probe's; the probe uses a client key of its own
    from test_curve import CurveGateway, Keys, start_matcher
    keys = Keys()
    _, probe_secret = keys.new("probe", "clients")
    _, worker_secret = keys.new("matcher", "workers")
    gateway = CurveGateway(keys)
    curve = {"JOBMATCH_PROBE_GATEWAY": gateway.clients, "JOBMATCH_PROBE_CURVE_SERVER": keys.path("gateway"),
             "JOBMATCH_PROBE_CURVE_CERT": probe_secret,
             "JOBMATCH_CURVE_CERT": keys.path("gateway_secret"), "JOBMATCH_CURVE_SERVER": keys.path("gateway")}
    check_equal(probe("gateway", **curve), (0, ""), "gateway probe with CURVE")
    plain = dict(curve)
    del plain["JOBMATCH_PROBE_CURVE_SERVER"], plain["JOBMATCH_PROBE_CURVE_CERT"]
    check_equal(probe("gateway", **plain)[0], 1, "a plaintext probe of a CURVE gateway")
    redis = harness.start_redis()
    matcher = start_matcher(gateway, redis, worker_secret)
    harness.wait_for(lambda: probe("matcher", JOBMATCH_PROBE_PID=matcher.pid, **curve)[0] == 0, 30.0, 0.2,
                     "the matcher's probe with CURVE to pass")


if __name__ == "__main__":
    runner.main()
