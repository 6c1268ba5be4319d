"""A stock Majordomo client and worker, written from the text of RFC 7/MDP
(rfc.zeromq.org/spec/7, "MDP/Client v0.1" and "MDP/Worker v0.1") and
nothing else: no request ids, no extension frames, none of jobmatch's
conventions.  test_stock_mdp.py runs them through the real gateway to show
that third-party Majordomo peers work unchanged.

  StockReqClient(broker)      a REQ client in the style of the Guide's
                              mdcliapi: one request at a time, retried on a
                              fresh socket after a timeout
  StockDealerClient(broker)   a DEALER client in the style of mdcliapi2:
                              send () and recv () apart, so several
                              requests can be outstanding
  StockWorker(broker, service)  a worker in the style of mdwrkapi:
                              heartbeats every 2,500 ms, liveness 3,
                              reconnects after 2,500 ms of silence x 3

Frames as the RFC gives them (the ROUTER's address frames aside):

  client request   [""], "MDPC01", service, body...    ("" written by DEALERs,
  client reply     [""], "MDPC01", service, body...     added by REQ sockets)
  READY            "", "MDPW01", 0x01, service
  REQUEST          "", "MDPW01", 0x02, client address, "", body...
  REPLY            "", "MDPW01", 0x03, client address, "", body...
  HEARTBEAT        "", "MDPW01", 0x04
  DISCONNECT       "", "MDPW01", 0x05
"""
import threading
import time

import zmq

MDPC01 = b"MDPC01"
MDPW01 = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"

HEARTBEAT_INTERVAL = 2.5        # seconds, as the Guide's workers use
HEARTBEAT_LIVENESS = 3
RECONNECT_DELAY = 2.5


class ProtocolError(Exception):
    """The broker sent something the RFC does not allow here."""


class StockReqClient:
    """MDP/Client over a REQ socket.  request() returns the reply body as a
    list of frames, or None when every attempt timed out."""

    def __init__(self, broker, timeout=2.5, retries=3, context=None):
        self.broker = broker
        self.timeout = timeout
        self.retries = retries
        self.context = context or zmq.Context.instance()
        self.socket = None
        self._connect()

    def _connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = self.context.socket(zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(self.broker)

    def request(self, service, body):
        """Sends body (a list of frames) to service; returns the reply body."""
        for _ in range(self.retries):
            # Frame 0 (empty) is added by the REQ socket
            self.socket.send_multipart([MDPC01, service] + list(body))
            if self.socket.poll(int(self.timeout * 1000)):
                frames = self.socket.recv_multipart()
                if len(frames) < 3:
                    raise ProtocolError("reply of %d frames" % len(frames))
                if frames[0] != MDPC01:
                    raise ProtocolError("reply header %r" % frames[0])
                if frames[1] != service:
                    raise ProtocolError("reply for service %r, not %r" % (frames[1], service))
                return frames[2:]
            self._connect()         # a REQ socket cannot send again without its reply
        return None

    def close(self):
        self.socket.close(linger=0)


class StockDealerClient:
    """MDP/Client over a DEALER socket: send() and recv() are apart, so
    several requests may be outstanding.  Replies carry only the service
    name, so a caller with several requests to one service tells them apart
    by their bodies."""

    def __init__(self, broker, context=None):
        self.context = context or zmq.Context.instance()
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(broker)

    def send(self, service, body):
        self.socket.send_multipart([b"", MDPC01, service] + list(body))

    def recv(self, timeout=2.5):
        """The next reply as (service, body frames), or None after timeout."""
        if not self.socket.poll(int(timeout * 1000)):
            return None
        frames = self.socket.recv_multipart()
        if len(frames) < 4 or frames[0] != b"":
            raise ProtocolError("reply of %d frames, or no empty frame 0: %r"
                                % (len(frames), frames[:2]))
        if frames[1] != MDPC01:
            raise ProtocolError("reply header %r" % frames[1])
        return frames[2], frames[3:]

    def close(self):
        self.socket.close(linger=0)


class StockWorker:
    """MDP/Worker over a DEALER socket, one request at a time.  Call recv()
    in a loop: it sends the reply to the previous request (when given),
    then waits for the next REQUEST, heartbeating and reconnecting as the
    RFC says.  Use it from one thread only."""

    def __init__(self, broker, service, heartbeat=HEARTBEAT_INTERVAL,
                 liveness=HEARTBEAT_LIVENESS, reconnect=RECONNECT_DELAY, context=None):
        self.broker = broker
        self.service = service
        self.heartbeat = heartbeat
        self.liveness_max = liveness
        self.reconnect = reconnect
        self.context = context or zmq.Context.instance()
        self.socket = None
        self.reply_to = None
        self.connections = 0            # READYs sent: 1 unless the broker was lost
        self.disconnects_received = 0
        self._connect()

    def _send(self, command, option=None, body=()):
        frames = [b"", MDPW01, command]
        if option is not None:
            frames.append(option)
        self.socket.send_multipart(frames + list(body))

    def _connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(self.broker)
        self._send(READY, self.service)
        self.connections += 1
        now = time.monotonic()
        self.heartbeat_at = now + self.heartbeat
        self.expires_at = now + self.heartbeat * self.liveness_max

    def recv(self, reply=None, timeout=None):
        """Sends reply (a list of frames) to the last request, if any, and
        returns the next request's body frames; None after timeout seconds
        (None: wait for ever)."""
        if reply is not None:
            if self.reply_to is None:
                raise ProtocolError("a reply without a request")
            self._send(REPLY, self.reply_to, [b""] + list(reply))
            self.reply_to = None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = min(self.heartbeat_at, self.expires_at) - time.monotonic()
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
            if self.socket.poll(max(0, int(wait * 1000))):
                frames = self.socket.recv_multipart()
                # any message from the broker is a sign of life
                self.expires_at = time.monotonic() + self.heartbeat * self.liveness_max
                if len(frames) < 3 or frames[0] != b"" or frames[1] != MDPW01:
                    raise ProtocolError("not an MDP/Worker message: %r" % frames[:3])
                command = frames[2]
                if command == REQUEST:
                    # client address, empty, body...
                    if len(frames) < 6 or frames[4] != b"":
                        raise ProtocolError("malformed REQUEST: %r" % frames[:5])
                    self.reply_to = frames[3]
                    return frames[5:]
                if command == DISCONNECT:
                    self.disconnects_received += 1
                    self._connect()
                elif command != HEARTBEAT:
                    raise ProtocolError("unexpected command %r" % command)
            elif time.monotonic() >= self.expires_at:
                # liveness heartbeats of silence: the broker is gone
                time.sleep(self.reconnect)
                self._connect()
            if time.monotonic() >= self.heartbeat_at:
                self._send(HEARTBEAT)
                self.heartbeat_at = time.monotonic() + self.heartbeat
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def close(self, disconnect=True):
        """Closes the connection, saying DISCONNECT first unless told not to
        (a worker that dies says nothing)."""
        if self.socket is not None and not self.socket.closed:
            if disconnect:
                self._send(DISCONNECT)
                self.socket.close(linger=200)
            else:
                self.socket.close(linger=0)


class StockWorkerThread:
    """A StockWorker serving handler(body frames) -> reply frames in a
    thread.  When handler returns None the request is never answered and
    the worker stops taking requests (it keeps heartbeating), as a worker
    stuck in its work would.  kill() stops it without a DISCONNECT, as a
    crash would; stop() says DISCONNECT.  Counts .received and .replied."""

    def __init__(self, broker, service, handler):
        self.broker, self.service, self.handler = broker, service, handler
        self.received = 0
        self.replied = 0
        self.requests = []              # body frames of each request received
        self.worker = None
        self.error = None
        self._stop = threading.Event()
        self._disconnect = True
        self._started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self._started.wait(5)

    def _run(self):
        try:
            self.worker = StockWorker(self.broker, self.service)
            self._started.set()
            reply = None
            stuck = False
            while not self._stop.is_set():
                request = self.worker.recv(None if stuck else reply, timeout=0.05)
                reply = None
                if request is None:
                    continue
                self.received += 1
                self.requests.append(request)
                reply = self.handler(request)
                if reply is None:
                    stuck = True        # holds the request; heartbeats go on
                else:
                    self.replied += 1
            self.worker.close(disconnect=self._disconnect)
        except Exception as error:      # reported by stop() and kill()
            self.error = error
            self._started.set()

    def _end(self, disconnect):
        self._disconnect = disconnect
        self._stop.set()
        self.thread.join(10)
        if self.error is not None:
            raise self.error

    def stop(self):
        self._end(True)

    def kill(self):
        self._end(False)
