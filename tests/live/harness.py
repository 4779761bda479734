"""Real nginx + Nchan (or push-stream) for the live tests and the benches.

`Nginx` renders a template from deploy/nginx/ with deploy.nginx (the same code `make up` runs)
into a fresh temp prefix, on free loopback ports, runs nginx in the foreground (daemon off) and
stops it by the pid it started. Nothing here touches var/ or the ports `make up` uses.
"""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from deploy import nginx as deploy_nginx
from deploy.ports import free_port, wait_for_port

__all__ = [
    "Nginx",
    "SSEClient",
    "TEMPLATES",
    "TEMPLATES_BY_BACKEND",
    "free_port",
    "wait_for_port",
]

TEMPLATES = deploy_nginx.TEMPLATES
PROBE_PREFIX = '{"probe": '
TEMPLATES_BY_BACKEND = deploy_nginx.TEMPLATE_BY_BACKEND


class Nginx:
    """One nginx master with its workers, on its own prefix and ports."""

    def __init__(
        self,
        template: str = "nchan.conf",
        *,
        app_addr: str = "127.0.0.1:9",
        static_root: str | Path | None = None,
        media_root: str | Path | None = None,
        workers: int = 2,
        conn_per_ip: int = 64,
        binary: str = "nginx",
        values: dict[str, str] | None = None,
        transform: Callable[[str], str] | None = None,
    ) -> None:
        self.template = TEMPLATES / template
        self.binary = binary
        self.prefix = Path(tempfile.mkdtemp(prefix="askme-nginx-"))
        # Started as root, nginx runs its workers as nobody: they must reach their temp dirs.
        deploy_nginx.prepare_prefix(self.prefix)
        self.site_port = free_port()
        self.publish_port = free_port()
        static_root = Path(static_root or self.prefix / "static")
        media_root = Path(media_root or self.prefix / "uploads")
        # make up's values; the ports and paths below are the harness's own.
        env = {k: v for k, v in os.environ.items() if k not in ("LIVE_PUBLISH_URL", "PUBLISH_PORT")}
        self.values = deploy_nginx.defaults(env)
        self.values.update(
            VAR_DIR=str(self.prefix),
            NGINX_PREFIX=str(self.prefix),
            STATIC_ROOT=str(static_root),
            MEDIA_ROOT=str(media_root),
            USER_LINE=deploy_nginx.user_line(static_root, media_root),
            SITE_HOST="127.0.0.1",
            SITE_PORT=str(self.site_port),
            APP_ADDR=app_addr,
            PUBLISH_PORT=str(self.publish_port),
            WORKER_PROCESSES=str(workers),
            LIVE_CONN_PER_IP=str(conn_per_ip),
        )
        self.values.update(values or {})
        self.transform = transform
        self.process: subprocess.Popen | None = None

    @classmethod
    def for_backend(cls, backend: str, **kwargs) -> "Nginx":
        """The config of LIVE_BACKEND `backend` ("nchan" or "push_stream")."""
        return cls(TEMPLATES_BY_BACKEND[backend], **kwargs)

    # -- URLs -----------------------------------------------------------------------------
    @property
    def site_url(self) -> str:
        return f"http://127.0.0.1:{self.site_port}"

    @property
    def publish_url(self) -> str:
        return f"http://127.0.0.1:{self.publish_port}"

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    # -- lifecycle ------------------------------------------------------------------------
    def render(self) -> None:
        deploy_nginx.write_config(self.template, self.prefix, self.values, self.transform)

    def start(self, timeout: float = 10.0) -> "Nginx":
        self.render()
        deploy_nginx.check(self.prefix, self.binary)
        self.process = deploy_nginx.start(self.prefix, self.binary, foreground=True)
        try:
            wait_for_port(self.site_port, timeout)
            wait_for_port(self.publish_port, timeout)
            self._wait_ready(timeout)
        except (OSError, TimeoutError):
            self.stop()
            raise RuntimeError(f"nginx did not start:\n{self.error_log()[-2000:]}") from None
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Until every worker runs, Nchan holds its inter-worker messages back and retries
        after 1 s (ipc.c, memstore_ready()): a publish right after a start can take a second.
        Wait for the workers, then warm the IPC path up."""
        deadline = time.monotonic() + timeout
        want = (
            int(self.values["WORKER_PROCESSES"]) if self.values["WORKER_PROCESSES"].isdigit() else 1
        )
        while len(self.worker_pids()) < want:
            if time.monotonic() > deadline:
                raise TimeoutError("nginx workers did not start")
            time.sleep(0.01)
        if self.push_stream:
            return
        for n in range(1, 2 * want + 1):  # channels land on different owner workers
            request = urllib.request.Request(
                f"{self.publish_url}/pub/question-{999_999_000 + n}", data=b"{}", method="POST"
            )
            with contextlib.suppress(OSError):  # best effort: a crashing Nchan drops it
                urllib.request.urlopen(request, timeout=timeout).close()

    def stop(self, timeout: float = 10.0) -> None:
        """Fast shutdown (SIGTERM): workers drop every connection, like a crash or a restart."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- inspection -----------------------------------------------------------------------
    def error_log(self) -> str:
        path = self.prefix / "logs" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def crashes(self) -> list[str]:
        return [line for line in self.error_log().splitlines() if "exited on signal" in line]

    def worker_pids(self) -> list[int]:
        if not self.running:
            return []
        master = self.process.pid
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ..." — comm may hold spaces, so split after the ")".
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            # Workers only: the page cache's manager and loader are children of the master too.
            with contextlib.suppress(OSError):
                if b"worker process" in Path(f"/proc/{entry}/cmdline").read_bytes():
                    pids.append(int(entry))
        return sorted(pids)

    def workers_rss_kb(self) -> int:
        total = 0
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def channel_info(self, channel: str) -> dict:
        """Nchan's channel info (GET on the publisher): {"messages", "subscribers", ...}."""
        request = urllib.request.Request(
            self.publish_url + self.publish_path(channel), headers={"Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:  # no such channel yet
                return {"subscribers": 0, "messages": 0}
            raise

    @property
    def push_stream(self) -> bool:
        return self.template.name == "push-stream.conf"

    def publish_path(self, channel: str) -> str:
        return f"/pub?id={channel}" if self.push_stream else f"/pub/{channel}"

    def publish(self, channel: str, message: dict) -> int:
        request = urllib.request.Request(
            self.publish_url + self.publish_path(channel),
            data=json.dumps(message).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status

    def publish_many(self, channels: list[str], message: dict) -> int:
        """One POST of one message to several channels (/pub/a/b, /pub?id=a/b)."""
        return self.publish("/".join(channels), message)

    def subscribe(self, question_id: int, **kwargs) -> "SSEClient":
        """An EventSource-like reader on the public live URL of a question, already started."""
        return self.subscribe_path(f"/live/question-{question_id}", **kwargs)

    def subscribe_path(self, path: str, **kwargs) -> "SSEClient":
        """An EventSource-like reader on any subscribe path, already started."""
        return SSEClient("127.0.0.1", self.site_port, path, **kwargs).start()

    def sync(self, channel: str, readers: list["SSEClient"], timeout: float = 10.0) -> None:
        """Return once a publish reaches every reader.

        A subscriber has its 200 before Nchan has finished subscribing it across workers, and
        Nchan's channel info counts subscribers only roughly, so: publish probes until every
        reader has heard one. SSEClient keeps probes out of its events.
        """
        token = os.urandom(6).hex()
        for reader in readers:
            reader.wait_connected(timeout)
        deadline = time.monotonic() + timeout
        while not all(token in reader.probes for reader in readers):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{channel}: not every subscriber hears publishes")
            self.publish(channel, {"probe": token})
            time.sleep(0.05)


class SSEClient:
    """A small EventSource in a thread, for tests.

    Like a browser's native EventSource it reconnects by itself after the connection drops
    and, by default, sends the last event id it saw as Last-Event-ID: the worst case for
    Nchan 1.3.6 (stale ids after a restart). `headers` adds raw request headers.
    """

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        *,
        send_last_event_id: bool = True,
        headers: dict[str, str] | None = None,
        retry: float = 0.2,
    ) -> None:
        self.address = (host, port)
        self.path = path
        self.send_last_event_id = send_last_event_id
        self.headers = headers or {}
        self.retry = retry
        self.events: list[dict] = []
        self.probes: set[str] = set()
        self.statuses: list[int] = []
        self.connects = 0
        self.last_event_id = ""
        self.connected = threading.Event()
        self._closed = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "SSEClient":
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            if self._sock is not None:
                self._sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)

    def wait_connected(self, timeout: float = 5.0) -> None:
        if not self.connected.wait(timeout):
            raise TimeoutError(f"no EventSource connection to {self.path}")

    def wait_events(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.events

    def data(self) -> list[str]:
        return [event["data"] for event in self.events]

    def wait_for(self, text: str, timeout: float = 5.0) -> list[str]:
        """The events' data once one of them contains `text` (TimeoutError if none does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in data for data in self.data()):
                return self.data()
            time.sleep(0.01)
        raise TimeoutError(f"{self.path}: no event with {text!r} in {self.data()!r}")

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                self._stream_once()
            except OSError:
                pass
            self.connected.clear()
            if self._closed.wait(self.retry):
                return

    def _stream_once(self) -> None:
        headers = {"Accept": "text/event-stream", **self.headers}
        if self.send_last_event_id and self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        conn = http.client.HTTPConnection(*self.address, timeout=5)
        try:
            conn.request("GET", self.path, headers=headers)
            self._sock = sock = conn.sock
            response = conn.getresponse()  # reads chunked bodies (push-stream) transparently
            sock.settimeout(None)
            self.statuses.append(response.status)
            if response.status != 200:
                return
            self.connects += 1
            self.connected.set()
            event = {"id": None, "data": []}
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if event["data"]:
                        self._dispatch(event["id"], "\n".join(event["data"]))
                    event = {"id": None, "data": []}
                elif line.startswith(":"):
                    continue
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "data":
                        event["data"].append(value)
                    elif field == "id":
                        event["id"] = value
        except http.client.HTTPException:
            pass
        finally:
            conn.close()

    def _dispatch(self, event_id: str | None, data: str) -> None:
        if event_id is not None:
            self.last_event_id = event_id
        if data.startswith(PROBE_PREFIX):
            self.probes.add(json.loads(data)["probe"])
        else:
            self.events.append({"id": event_id, "data": data, "at": time.monotonic()})
