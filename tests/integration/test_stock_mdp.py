#!/usr/bin/python3
"""Stock Majordomo peers through the real gateway (issue 14, item 2): the
client and worker of mdp_stock.py, written from RFC 7/MDP's text alone,
against jobmatch-gateway and jobmatch-matcher on free loopback ports.

    tests/integration/test_stock_mdp.py [NAME-FILTER...]

Covers match requests from REQ and DEALER clients, 8/MMI (200, 404, 501),
a custom echo service served by a stock worker, multi-frame bodies both
ways, a stock worker (2,500 ms heartbeats) staying registered, and a killed
stock worker noticed at once and its request dispatched again.  Prints "ok NAME" or
"FAIL NAME: why" per test and "N passed, N failed".
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import mdp_stock  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal  # noqa: E402
from mdp_stock import StockDealerClient, StockReqClient, StockWorkerThread  # noqa: E402

runner = harness.Runner(timeout=120)

MATCH = stack.MATCH.encode()


def stock_req(gateway, timeout=10.0):
    client = StockReqClient(gateway.clients, timeout=timeout, retries=1,
                            context=harness.context())
    harness.on_cleanup(client.close)
    return client


def stock_dealer(gateway):
    client = StockDealerClient(gateway.clients, context=harness.context())
    harness.on_cleanup(client.close)
    return client


def stock_worker(gateway, service, handler):
    worker = StockWorkerThread(gateway.workers, service, handler)

    def end():
        if worker.thread.is_alive():
            worker.stop()
    harness.on_cleanup(end)
    return worker


def echo(name):
    """A handler that answers the request's frames with name in front."""
    return lambda frames: [name] + frames


@runner.test
def stock_clients_get_match_results():
    st = stack.Stack(matchers=1)
    candidate = stack.sample_candidates()[0]
    request = stack.body(candidate)
    reply = stock_req(st.gateway, timeout=30.0).request(MATCH, [request])
    check(reply is not None, "no reply to a stock REQ client")
    check_equal(len(reply), 1, "reply body frames")
    decoded = json.loads(reply[0])
    check(decoded.get("ok") is True, "match reply not ok: %s" % reply[0][:300])
    check_equal(decoded["results"][0]["candidate"], candidate["id"], "candidate scored")

    dealer = stock_dealer(st.gateway)
    for index in range(3):
        dealer.send(MATCH, [stack.body(stack.make_candidate(index, "stock"))])
    seen = set()
    for _ in range(3):
        answer = dealer.recv(30.0)
        check(answer is not None, "a DEALER stock client got %d of 3 replies" % len(seen))
        service, body = answer
        check_equal(service, MATCH, "reply service")
        check_equal(len(body), 1, "reply body frames")
        results = json.loads(body[0])["results"]
        seen.add(results[0]["candidate"])
    check_equal(seen, {"stock-0", "stock-1", "stock-2"}, "candidates answered")

    # A two-frame body reaches the matcher whole, which refuses it clearly
    reply = stock_req(st.gateway, timeout=30.0).request(MATCH, [request, b"second frame"])
    check(reply is not None and len(reply) == 1, "reply to a two-frame body: %r" % reply)
    error = json.loads(reply[0])["error"]
    check_equal(error["code"], "invalid_request", "a two-frame match body")
    check("2 frames" in error["message"], "message %r" % error["message"])
    st.check_alive()


@runner.test
def mmi_answers_as_the_rfc_says():
    gateway = harness.start_gateway()
    stock_worker(gateway, b"echo", echo(b"w"))
    gateway.wait_workers("echo")
    client = stock_req(gateway)
    # The reply is [MDPC01, service, code]: the code is the only body frame
    check_equal(client.request(b"mmi.service", [b"echo"]), [b"200"], "mmi.service echo")
    check_equal(client.request(b"mmi.service", [b"nobody"]), [b"404"], "mmi.service nobody")
    check_equal(client.request(b"mmi.service", [b"a" * 300]), [b"404"], "mmi.service long name")
    check_equal(client.request(b"mmi.echo", [b"x"]), [b"501"], "mmi.echo")
    check_equal(client.request(b"mmi.", [b""]), [b"501"], "mmi.")
    dealer = stock_dealer(gateway)
    dealer.send(b"mmi.service", [b"echo"])
    check_equal(dealer.recv(5.0), (b"mmi.service", [b"200"]), "mmi.service from a DEALER")


@runner.test
def stock_worker_serves_a_custom_service():
    gateway = harness.start_gateway()
    worker = stock_worker(gateway, b"echo", echo(b"stock"))
    gateway.wait_workers("echo")
    check_equal(stock_req(gateway).request(b"echo", [b"hello"]), [b"stock", b"hello"],
                "REQ client through a stock worker")
    dealer = stock_dealer(gateway)
    for index in range(5):
        dealer.send(b"echo", [b"d%d" % index])
    bodies = sorted(dealer.recv(5.0)[1][1] for _ in range(5))
    check_equal(bodies, [b"d%d" % index for index in range(5)], "DEALER replies")
    # Our own clients (request id in the envelope) reach it too
    ours = harness.MdpClient(gateway.clients)
    ours.send("echo", "ours-1", b"mine")
    frames = ours.recv_raw(5.0)
    check_equal(frames, [b"ours-1", b"", b"MDPC01", b"echo", b"stock", b"mine"],
                "reply to our client, id in the envelope")
    check_equal(worker.received, 7, "requests the stock worker received")
    check(worker.error is None, "worker error: %r" % worker.error)


@runner.test
def multi_frame_bodies_arrive_whole():
    gateway = harness.start_gateway()
    worker = stock_worker(gateway, b"echo", lambda frames: list(reversed(frames)))
    gateway.wait_workers("echo")
    body = [b"one", b"", b"three" * 1000, b"\x00\xff"]
    check_equal(stock_req(gateway).request(b"echo", body), list(reversed(body)),
                "a four-frame body, reversed by the worker")
    check_equal(worker.requests[-1], body, "the body the worker received")
    dealer = stock_dealer(gateway)
    many = [b"%d" % index for index in range(64)]
    dealer.send(b"echo", many)
    check_equal(dealer.recv(5.0), (b"echo", list(reversed(many))), "a 64-frame body")
    # More than 64 frames: a clear error, nothing truncated, nothing forwarded
    received = worker.received
    dealer.send(b"echo", many + [b"64"])
    service, reply = dealer.recv(5.0)
    check_equal(len(reply), 1, "error reply frames")
    error = json.loads(reply[0])["error"]
    check_equal(error["code"], "invalid_request", "a 65-frame body")
    check("65 frames" in error["message"], "message %r" % error["message"])
    check_equal(worker.received, received, "the 65-frame request reached the worker")


@runner.test
def stock_worker_stays_registered():
    gateway = harness.start_gateway()           # heartbeat 1000 ms x liveness 3
    worker = stock_worker(gateway, b"steady", echo(b"w"))
    gateway.wait_workers("steady")
    client = stock_req(gateway)
    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < 16.0:
        check_equal(client.request(b"mmi.service", [b"steady"]), [b"200"],
                    "mmi.service after %.1f s" % (time.monotonic() - started))
        check_equal(client.request(b"steady", [b"r%d" % rounds]), [b"w", b"r%d" % rounds],
                    "request after %.1f s" % (time.monotonic() - started))
        rounds += 1
        time.sleep(1.0)
    stats = gateway.stats()
    check_equal(stats["workers_expired"], 0, "workers expired")
    check_equal(stats["workers_joined"], 1, "workers joined")
    check_equal(worker.worker.connections, 1, "READYs the stock worker sent")
    check_equal(worker.worker.disconnects_received, 0, "DISCONNECTs the stock worker got")
    check("expired" not in gateway.process.log(), "the gateway logged an expiry")


@runner.test
def killed_stock_worker_is_noticed_and_its_request_dispatched_again():
    gateway = harness.start_gateway()
    doomed = stock_worker(gateway, b"job", lambda frames: None)     # holds what it gets
    gateway.wait_workers("job")
    client = stock_dealer(gateway)
    client.send(b"job", [b"work", b"item"])
    harness.wait_for(lambda: doomed.received == 1, 5.0, 0.02, "the doomed worker's request")
    doomed.kill()                               # no DISCONNECT: gone as a crash would be
    killed_at = time.monotonic()
    survivor = stock_worker(gateway, b"job", echo(b"survivor"))
    answer = client.recv(20.0)
    noticed = time.monotonic() - killed_at
    check(answer is not None, "no reply after the worker holding the request died")
    check_equal(answer, (b"job", [b"survivor", b"work", b"item"]), "reply from the survivor")
    check_equal(survivor.received, 1, "requests the survivor got")
    stats = gateway.stats()
    check_equal(stats["workers_expired"], 1, "workers expired")
    check_equal(stats["redispatches"], 1, "requests dispatched again")
    # Its closed connection is noticed at once (issue 17): no waiting for
    # a stock worker's 2,500 ms x liveness 3 of missed heartbeats
    check_equal(stats["workers_disconnected"], 1, "workers noticed by their closed connection")
    check(noticed < 2.0, "the dead worker's request waited %.1f s" % noticed)
    print("    a killed stock worker's request was answered %.1f s later" % noticed)


if __name__ == "__main__":
    runner.main()
