#!/usr/bin/python3
"""Raw 7/MDP traffic for tests/valgrind.sh: malformed client and worker
messages, built-in services, odd bodies for the matcher's services, a fake
worker that misbehaves and vanishes with requests in flight, clients that
leave before their replies, and requests left waiting for a service with no
worker (so the gateway holds them when it is stopped).

Usage: valgrind_mdp.py CLIENT-ENDPOINT WORKER-ENDPOINT"""
import json
import sys
import time

import zmq

MDPC, MDPW = b"MDPC01", b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"
clients_ep, workers_ep = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
answered = 0


def dealer(endpoint, identity=None):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if identity:
        sock.setsockopt(zmq.IDENTITY, identity)
    sock.connect(endpoint)
    return sock


def drain(sock, timeout=0.5):
    global answered
    got = []
    while sock.poll(int(timeout * 1000)):
        got.append(sock.recv_multipart())
        answered += 1
        timeout = 0.05
    return got


def request(sock, service, body, rid=b"r", timeout=30.0):
    """Sends [request-id, "", MDPC01, service, body] and returns the body of
    the reply [request-id, "", MDPC01, service, body]."""
    sock.send_multipart([rid, b"", MDPC, service, body])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sock.poll(200):
            frames = sock.recv_multipart()
            if len(frames) >= 5 and frames[0] == rid:
                return frames[-1]
    return None


client = dealer(clients_ep)
time.sleep(0.3)

# Malformed client messages
for frames in ([b"x"], [b""], [b"", MDPC], [b"", MDPC, b"svc"], [b"1", b"", b"MDPC02", b"s", b"{}"],
               [MDPC, b"s", b"{}"], [b"i" * 300, b"", MDPC, b"s", b"{}"],
               [b"e"] * 9 + [b"", MDPC, b"s", b"{}"], [b"1", b"", MDPC, b"", b"{}"],
               [b"1", b"", MDPC, b"s" * 300, b"{}"], [b"1", b"", MDPC, b"bad name", b"{}"],
               [b"1", b"", MDPC, b"bad\xff", b"{}"], [b"1", b"", MDPC, b"s"],
               [b"1", b"", MDPC, b"s", b"{}", b"extra", b"more"], [b"", b"", b"", b"", b""],
               [b"1", b"", MDPC, b"s"] + [b"x"] * 100,
               [b"", MDPC, b"jobmatch.match", b"stock", b"two frames"],
               [b"big", b"", MDPC, b"jobmatch.match", b"x" * 400000]):
    client.send_multipart(frames)
drain(client, 2.0)

# Built-in services
for service, body in ((b"mmi.service", b"jobmatch.match"), (b"mmi.service", b"nope"),
                      (b"mmi.service", b""), (b"mmi.other", b"x"), (b"jobmatch.stats", b""),
                      (b"jobmatch.stats", b"x" * 100)):
    request(client, service, body, b"b-" + service)

# Odd bodies for the matcher's services
bodies = {
    b"jobmatch.match": [b"", b"{", b"[]", b"null", b"{}", b'{"candidate": 5}',
                        b'{"candidate": {"id": "x\xff", "skills": ["Python"]}}',
                        b'{"candidate": {"id": "x", "skills": ["Py\xc3"]}}',
                        b'{"candidate": {"id": "x", "skills": [{"name": 5}]}}',
                        b'{"candidate": {"id": "x", "skills": [{"name": "Python", "level": 99, "years": -3, "last_used": "x"}]}}',
                        b'{"candidate": {"id": "x", "skills": ["Python"], "years_experience": 1e999}}',
                        b'{"candidate": {"id": "", "skills": ["Python"]}}',
                        b'{"candidate": {"id": "' + b"i" * 5000 + b'", "skills": ["Python"]}}',
                        b'{"candidates": [{"id": "a", "skills": ["Python"]}, {"id": "a", "skills": []}, 7, null]}',
                        b'{"candidate": {"id": "x", "skills": ["Python"]}, "jobs": ["nope", 5, ""]}',
                        b'{"candidate": {"id": "x", "skills": ["Python"]}, "jobs": []}',
                        b'{"candidate": {"id": "x", "skills": ["Python"], "resume": "Python, SQL, Docker, k8s and Redis for 5 years"}}',
                        b'{"candidate": {"id": "x\\u0000y", "skills": ["\\ud800"]}}',
                        b'{"candidate": {"id": "x", "skills": ["Python"]}} trailing',
                        b"[" * 5000 + b"]" * 5000, b'{"a": ' * 3000 + b"1" + b"}" * 3000,
                        b'{"candidate": {"id": "x", "skills": ["Python"], "id": "y"}}',
                        b'\xef\xbb\xbf{"candidate": {"id": "bom", "skills": ["Python"]}}'],
    b"jobmatch.jobs": [b"", b"{}", b'{"op": 5}', b'{"op": "nope"}', b'{"op": "get"}', b'{"op": "get", "id": 5}',
                       b'{"op": "get", "id": "../x"}', b'{"op": "get", "id": "' + b"j" * 300 + b'"}',
                       b'{"op": "delete", "id": "nope"}', b'{"op": "put"}', b'{"op": "put", "job": 5}',
                       b'{"op": "put", "job": {"id": "vg-x", "title": "t", "requirements": [{"skill": "Kubernets"}, {"skill": "Pythn", "weight": 2}]}}',
                       b'{"op": "put", "job": {"id": "vg-x", "title": "t", "requirements": [{"skill": "Python", "weight": -1}]}}',
                       b'{"op": "put", "job": {"id": "vg-y", "title": "t", "requirements": [{"skill": "Python"}, {"skill": "python"}]}}',
                       b'{"op": "put", "job": {"id": "vg-y", "title": "t\xff", "requirements": []}}',
                       b'{"op": "list", "extra": [1, 2, {"a": null}]}'],
    b"jobmatch.results": [b"", b"{}", b'{"op": "rank"}', b'{"op": "rank", "job": "nope"}',
                          b'{"op": "rank", "job": "backend-developer", "offset": -1}',
                          b'{"op": "rank", "job": "backend-developer", "limit": 100000}',
                          b'{"op": "rank", "job": "backend-developer", "band": "nope", "min_score": "x"}',
                          b'{"op": "rank", "job": "backend-developer", "offset": 99999999999999999999}',
                          b'{"op": "result", "job": "backend-developer"}', b'{"op": "result", "job": 1, "candidate": 2}',
                          b'{"op": "candidate", "candidate": "\xff"}', b'{"op": "summary", "job": "nope"}',
                          b'{"op": "summary", "job": "backend-developer"}',
                          b'{"op": "best", "candidate": {"id": "x", "skills": []}, "limit": 0}',
                          b'{"op": "best", "candidate": {"id": "x", "skills": ["Python"]}, "limit": 1000}',
                          b'{"op": "best", "candidate": 5}'],
}
n = 0
for service, list_ in bodies.items():
    for body in list_:
        n += 1
        client.send_multipart([b"o-%d" % n, b"", MDPC, service, body])
got = 0
deadline = time.monotonic() + 120
while got < n and time.monotonic() < deadline:
    if client.poll(500):
        client.recv_multipart()
        got += 1
print("   raw bodies: %d of %d answered" % (got, n))

# A fake worker that misbehaves
def fake_worker(identity, service=b"vg.fake", extra=(b"slots=2", b"heartbeat=1000")):
    w = dealer(workers_ep, identity)
    w.send_multipart([b"", MDPW, READY, service] + list(extra))
    return w

bad = dealer(workers_ep, b"bad-worker")
for frames in ([b"x"], [b"", MDPW], [b"", b"MDPW02", READY, b"s"], [b"", MDPW, b"\x09"],
               [b"", MDPW, READY], [b"", MDPW, READY, b"bad name"], [b"", MDPW, READY, b"mmi.x"],
               [b"", MDPW, READY, b"s", b"slots=0"], [b"", MDPW, READY, b"s", b"slots=abc"],
               [b"", MDPW, READY, b"s", b"slots=99999999999999999999"],
               [b"", MDPW, HEARTBEAT], [b"", MDPW, REPLY, b"t" * 8, b"", b"x"], [b"", MDPW, DISCONNECT],
               [b"", MDPW, READY, b"vg.fake", b"slots=1", b"other=1"],
               [b"", MDPW, READY, b"vg.fake2"],           # re-announces for another service
               [b"", MDPW, REPLY, b"short", b"", b"x"],   # a bad token from a known worker
               [b"", MDPW, b"\x01\x02"]):               # two-byte command: disconnected
    bad.send_multipart(frames)
    time.sleep(0.02)
drain(bad, 1.0)

w1 = fake_worker(b"fake-1")
w2 = fake_worker(b"fake-2", extra=(b"slots=3", b"x-ext=1", b"heartbeat=2500"))
time.sleep(0.5)
c2 = dealer(clients_ep)
for i in range(8):
    c2.send_multipart([b"f-%d" % i, b"", MDPC, b"vg.fake", b"body-%d" % i])
time.sleep(1.0)

def worker_requests(w):
    out = []
    while w.poll(300):
        frames = w.recv_multipart()
        if len(frames) >= 6 and frames[2] == REQUEST:
            out.append(frames)
    return out

r1, r2 = worker_requests(w1), worker_requests(w2)
# w1 answers one properly, one twice (a late reply), one with a wrong token
if r1:
    tok = r1[0][3]
    w1.send_multipart([b"", MDPW, REPLY, tok, b"", b"ok", b"second frame"])
    w1.send_multipart([b"", MDPW, REPLY, tok, b"", b"again"])
    w1.send_multipart([b"", MDPW, REPLY, b"\x00" * len(tok), b"", b"wrong"])
# w2 answers one with a malformed REPLY (it is disconnected, its requests re-queued)
if r2:
    w2.send_multipart([b"", MDPW, REPLY, r2[0][3], b"not-empty", b"x"])
time.sleep(0.5)
# w1 vanishes silently with requests in flight (expires after the liveness)
w1.close(linger=0)
# a third worker takes the re-queued requests and answers half, then says DISCONNECT
w3 = fake_worker(b"fake-3", extra=(b"slots=4", b"heartbeat=1000"))
time.sleep(1.0)
r3 = worker_requests(w3)
for frames in r3[: len(r3) // 2]:
    w3.send_multipart([b"", MDPW, REPLY, frames[3], b"", b"ok3"])
w3.send_multipart([b"", MDPW, HEARTBEAT])
w3.send_multipart([b"", MDPW, DISCONNECT])
time.sleep(0.3)
w3.close(linger=0)
w2.close(linger=0)
print("   fake workers: %d + %d + %d requests received" % (len(r1), len(r2), len(r3)))
drain(c2, 1.0)

# Clients that leave before their replies
for i in range(3):
    c = dealer(clients_ep)
    c.send_multipart([b"gone-%d" % i, b"", MDPC, b"jobmatch.match",
                      b'{"candidate": {"id": "gone", "skills": ["Python", "SQL"]}}'])
    c.send_multipart([b"gone-f%d" % i, b"", MDPC, b"vg.fake", b"x", b"second frame"])
    time.sleep(0.05)
    c.close(linger=0)

# Requests left waiting (no worker) and a worker left registered with
# requests in flight when the gateway is stopped
waiting = dealer(clients_ep)
for i in range(5):
    waiting.send_multipart([b"w-%d" % i, b"", MDPC, b"vg.nobody", b"x" * 100])
stay = fake_worker(b"fake-stay", service=b"vg.stay")
time.sleep(0.5)
for i in range(3):
    waiting.send_multipart([b"s-%d" % i, b"", MDPC, b"vg.stay", b"y" * 100, b"z" * 10])
time.sleep(0.5)
print("   raw MDP done; %d other replies seen" % answered)
# Keep the sockets open: the caller stops the gateway while this process
# waits, then kills it.
sys.stdout.flush()
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))
