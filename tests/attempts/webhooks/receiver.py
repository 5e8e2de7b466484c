"""A real HTTP receiver on 127.0.0.1 for the delivery tests: it records every request and
answers as told (status, delay, redirect), and counts the requests it holds at once."""

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    url: str = ""
    status: int = 204
    delay: float = 0.0
    location: str = ""
    received: list = field(default_factory=list)  # (headers as a dict, body as str)
    arrived: list = field(default_factory=list)  # time.monotonic() of each request
    in_flight: int = 0
    most_in_flight: int = 0  # the most requests it was answering at once
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextlib.contextmanager
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"])).decode()
            with state.lock:
                state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                state.arrived.append(time.monotonic())
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
            time.sleep(state.delay)
            with state.lock:
                state.in_flight -= 1
            self.send_response(state.status)
            if state.location:
                self.send_header("location", state.location)
            answer = b"" if state.status == 204 else b"ok"  # a 204 has no body
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
