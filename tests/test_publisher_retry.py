"""The publisher keeps its connection to the comet server alive; when the server drops it just as
a request goes out (its keepalive timeout, a restart), the request is sent once more on a new
connection: neither an event nor a presence count is lost. A real socket server here, which
answers the first request of each connection and drops the connection at the second."""

import json
import socket
import threading

import pytest

from live import publisher


@pytest.fixture
def flaky_comet(settings):
    """A comet-server stand-in on a free port: (its port, the requests it answered)."""
    server = socket.create_server(("127.0.0.1", 0))
    answered = []

    def serve(conn: socket.socket) -> None:
        with conn:
            for n in range(2):
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(body) < length:
                    body += conn.recv(65536)
                if n == 1:
                    return  # the keepalive race: dropped without an answer
                answered.append(head.split(b" ")[0].decode())
                reply = json.dumps({"subscribers": 2}).encode()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Connection: keep-alive\r\nContent-Length: %d\r\n\r\n%s" % (len(reply), reply)
                )

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    port = server.getsockname()[1]
    settings.LIVE_BACKEND = "nchan"
    settings.LIVE_PUBLISH_URL = f"http://127.0.0.1:{port}"
    publisher._session.close()
    yield answered
    server.close()
    publisher._session.close()


def test_a_dropped_kept_alive_connection_loses_no_event_and_no_count(flaky_comet):
    assert publisher.publish_to(["question-1"], {"type": "vote"}) is True
    assert publisher.publish_to(["question-1"], {"type": "vote"}) is True  # dropped, sent again
    assert publisher.subscriber_count("question-1") == 2
    assert publisher.subscriber_count("question-1") == 2
    assert flaky_comet == ["POST", "POST", "GET", "GET"]
