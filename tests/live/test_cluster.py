"""Two nodes on one machine (`bin/cluster.sh up`, what `make cluster` runs) on free ports.

Everything is real: two gunicorns and two nginx + Nchan nodes sharing Redis (nostore mode), one
PostgreSQL, one memcached, a balancer. Readers are EventSource clients (tests/live/harness.py);
writers log in and post through the public ports like a browser.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from deploy.ports import free_port, listening

from .harness import SSEClient

ROOT = Path(settings.BASE_DIR)
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="redis-server is not installed (bin/system-deps.sh test installs it, as root)",
    ),
]


def three_free_ports(taken: set[int]) -> int:
    """A port p with p, p+1 and p+2 free and apart from those already handed out (node 1's app
    port p+1 must not be node 2's site port)."""
    while True:
        port = free_port()
        run = {port, port + 1, port + 2}
        if not run & taken and not any(listening(p) for p in run):
            taken |= run
            return port


class Cluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="askme-cluster-"))
        os.chmod(self.dir, 0o755)
        taken: set[int] = set()
        self.ports = {
            "NODE1_PORT": three_free_ports(taken),  # site, app (+1), publisher (+2)
            "NODE2_PORT": three_free_ports(taken),
            "BALANCER_PORT": three_free_ports(taken),
            "CLUSTER_PGPORT": three_free_ports(taken),
            "CLUSTER_MEMCACHED_PORT": three_free_ports(taken),
            "REDIS_PORT": three_free_ports(taken),
        }
        fake_crontab = self.dir / "crontab"
        fake_crontab.write_text("#!/bin/sh\ncat >/dev/null 2>&1 || true\n")
        fake_crontab.chmod(0o755)
        keep = {"PATH", "HOME", "LANG", "LC_ALL", "USER", "LOGNAME"}
        self.env = {k: v for k, v in os.environ.items() if k in keep}
        self.env.update({k: str(v) for k, v in self.ports.items()})
        self.env.update(
            CLUSTER_DIR=str(self.dir),
            DEMO_RATIO="3",
            CRONTAB=str(fake_crontab),  # the machine's crontab is never touched
            CRON_START="0",
            GUNICORN_WORKERS="2",
            NGINX_WORKERS="2",
        )

    def run(self, action: str) -> str:
        result = subprocess.run(
            [ROOT / "bin" / "cluster.sh", action],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert result.returncode == 0, result.stdout + result.stderr + self.app_logs()
        return result.stdout

    def app_logs(self, lines: int = 40) -> str:
        """The end of each node's gunicorn log: why a node did not answer (the directory is
        gone once the fixture cleans up)."""
        tails = []
        for log in sorted(self.dir.glob("node*/log/gunicorn.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"\n--- {log.relative_to(self.dir)} ---\n" + "\n".join(text))
        return "".join(tails)

    def url(self, node: int | str) -> str:
        port = self.ports["BALANCER_PORT"] if node == "lb" else self.ports[f"NODE{node}_PORT"]
        return f"http://127.0.0.1:{port}"

    def nginx_prefix(self, node: int) -> Path:
        return self.dir / f"node{node}" / "nginx"

    def nginx_pid(self, node: int) -> int:
        return int((self.nginx_prefix(node) / "nginx.pid").read_text())

    def crashes(self) -> list[str]:
        lines = []
        for log in self.dir.glob("*/nginx/logs/error.log"):
            lines += [line for line in log.read_text().splitlines() if "exited on signal" in line]
        return lines

    def error_log(self, node: int) -> str:
        return (self.nginx_prefix(node) / "logs" / "error.log").read_text()

    def redis(self, action: str) -> None:
        env = {**self.env, "VAR_DIR": str(self.dir)}
        subprocess.run(
            [ROOT / "bin" / "redis.sh", action, str(self.ports["REDIS_PORT"])],
            env=env,
            check=True,
            capture_output=True,
            timeout=30,
        )

    def node_nginx(self, node: int, action: str) -> None:
        env = {
            **self.env,
            "VAR_DIR": str(self.dir / f"node{node}"),
            "NCHAN_REDIS_URL": f"redis://127.0.0.1:{self.ports['REDIS_PORT']}",
            "SITE_PORT": str(self.ports[f"NODE{node}_PORT"]),
            "APP_BIND": f"127.0.0.1:{self.ports[f'NODE{node}_PORT'] + 1}",
            "LIVE_PUBLISH_URL": f"http://127.0.0.1:{self.ports[f'NODE{node}_PORT'] + 2}",
            "TRUSTED_BALANCER": "127.0.0.1",
        }
        subprocess.run(
            [ROOT / ".venv" / "bin" / "python", "-m", "deploy.nginx", action, "--backend", "nchan",
             "--prefix", str(self.nginx_prefix(node))],
            env=env, cwd=ROOT, check=True, capture_output=True, timeout=30,
        )  # fmt: skip


class Member:
    """A logged-in browser: a session, its CSRF token, posting through one public port."""

    def __init__(self, base: str, username: str = "user1") -> None:
        self.base = base
        self.http = requests.Session()
        self.http.get(f"{base}/login/", timeout=10)
        response = self.http.post(
            f"{base}/login/",
            data={"username": username, "password": "password", "csrfmiddlewaretoken": self.csrf},
            headers={"Referer": f"{base}/login/"},
            timeout=10,
        )
        assert response.status_code == 200 and "/login/" not in response.url, response.url

    @property
    def csrf(self) -> str:
        return self.http.cookies["csrftoken"]

    def answer(self, question_id: int, text: str, base: str | None = None) -> int:
        base = base or self.base
        response = self.http.post(
            f"{base}/question/{question_id}/",
            data={"text": text, "csrfmiddlewaretoken": self.csrf},
            headers={"Referer": f"{base}/question/{question_id}/"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.status_code
        return int(re.search(r"#answer-(\d+)$", response.headers["Location"]).group(1))

    def vote(self, answer_id: int, value: int, base: str | None = None) -> dict:
        base = base or self.base
        response = self.http.post(
            f"{base}/answer/{answer_id}/vote/",
            data={"value": value},
            headers={"X-CSRFToken": self.csrf, "Referer": f"{base}/"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster()
    try:
        cluster.run("up")
        yield cluster
    finally:
        subprocess.run(
            [ROOT / "bin" / "cluster.sh", "down"], env=cluster.env, capture_output=True, timeout=120
        )
        shutil.rmtree(cluster.dir, ignore_errors=True)
    assert cluster.crashes() == []


def question_of_someone_else(cluster: Cluster) -> int:
    """A question user1 did not ask (the demo data's), read from the site itself."""
    html = requests.get(f"{cluster.url(1)}/user/user0/", timeout=10).text
    return int(re.search(r'href="/question/(\d+)/"', html).group(1))


def reader(cluster: Cluster, node: int, question_id: int) -> SSEClient:
    port = cluster.ports[f"NODE{node}_PORT"]
    client = SSEClient("127.0.0.1", port, f"/live/question-{question_id}").start()
    client.wait_connected(10)
    time.sleep(0.3)  # subscribed across the node's workers and to Redis
    return client


def messages(client: SSEClient, kind: str) -> list[dict]:
    import json

    return [m for m in (json.loads(d) for d in client.data()) if m.get("type") == kind]


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_an_answer_posted_through_node_1_reaches_a_reader_on_node_2(cluster):
    question = question_of_someone_else(cluster)
    on_node2 = reader(cluster, 2, question)
    on_node1 = reader(cluster, 1, question)
    try:
        answer = Member(cluster.url(1)).answer(question, "Posted through node one.")
        wait_for(lambda: messages(on_node2, "answer") and messages(on_node1, "answer"))
        time.sleep(0.5)
        for client in (on_node2, on_node1):
            received = messages(client, "answer")
            assert [m["answer"] for m in received] == [answer]  # exactly once
            assert "Posted through node one." in received[0]["html"]
    finally:
        on_node2.close()
        on_node1.close()


def test_a_vote_through_node_2_reaches_a_reader_on_node_1(cluster):
    question = question_of_someone_else(cluster)
    answer = Member(cluster.url(1), "user2").answer(question, "Vote for me.")
    on_node1 = reader(cluster, 1, question)
    try:
        rating = Member(cluster.url(2))
        result = rating.vote(answer, 1)
        wait_for(lambda: messages(on_node1, "vote"))
        vote = messages(on_node1, "vote")[0]
        assert (vote["id"], vote["rating"]) == (answer, result["rating"])
    finally:
        on_node1.close()


def test_the_balancer_alternates_nodes_and_sessions_work_on_both(cluster):
    lb = cluster.url("lb")
    member = Member(lb)  # logged in through whichever node answered
    nodes = []
    for _ in range(4):
        response = member.http.get(f"{lb}/profile/edit/", allow_redirects=False, timeout=10)
        assert response.status_code == 200  # the session is known on every node
        nodes.append(response.headers["X-AskMe-Node"])
    assert len(set(nodes)) == 2 and nodes[0] != nodes[1], nodes


def test_a_logout_through_node_1_ends_the_session_on_node_2(cluster):
    """Each worker keeps what it read of a session until the site generation moves (accounts
    .sessions): the logout's delete moves it in the shared memcached, so node 2's workers, which
    kept the session, refuse its cookie at once."""
    member = Member(cluster.url(1))
    copied = requests.Session()  # the same cookie, kept elsewhere (another tab, a thief)
    copied.cookies.update(member.http.cookies)
    for _ in range(6):  # every worker of node 2 reads the session and keeps it
        response = copied.get(f"{cluster.url(2)}/profile/edit/", allow_redirects=False, timeout=10)
        assert response.status_code == 200
    logout = member.http.post(
        f"{cluster.url(1)}/logout/",
        data={"csrfmiddlewaretoken": member.csrf},
        headers={"Referer": f"{cluster.url(1)}/"},
        allow_redirects=False,
        timeout=10,
    )
    assert logout.status_code == 302
    for _ in range(6):
        response = copied.get(f"{cluster.url(2)}/profile/edit/", allow_redirects=False, timeout=10)
        assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_redis_stopped_for_10_s_posting_works_and_live_comes_back(cluster):
    question = question_of_someone_else(cluster)
    on_node2 = reader(cluster, 2, question)
    member = Member(cluster.url(1))
    try:
        cluster.redis("stop")
        started = time.monotonic()
        during = member.answer(question, "While Redis was away.")  # still 302: saved
        assert time.monotonic() - started < 5
        time.sleep(10)
        assert not any(m["answer"] == during for m in messages(on_node2, "answer"))
        cluster.redis("start")
        # Nchan reconnects by itself, and the job worker publishes the answer whose publish
        # failed again (back-off 1, 2, 4, 8, 16 … s): the reader, whose stream stayed open,
        # gets it without reloading.
        wait_for(lambda: any(m["answer"] == during for m in messages(on_node2, "answer")), 90)
        after = member.answer(question, "After Redis came back.")
        wait_for(lambda: any(m["answer"] == after for m in messages(on_node2, "answer")), 30)
        time.sleep(1)
        received = [m["answer"] for m in messages(on_node2, "answer")]
        assert received.count(after) == 1
        # A page that reconnects finds it through the catch-up endpoint too.
        caught_up = requests.get(
            f"{cluster.url(2)}/question/{question}/live/?after={during - 1}", timeout=10
        ).json()
        assert during in [m["answer"] for m in caught_up["messages"]]
    finally:
        on_node2.close()
    assert cluster.crashes() == []


def test_a_stopped_node_leaves_the_other_serving(cluster):
    lb = cluster.url("lb")
    os.kill(cluster.nginx_pid(1), signal.SIGTERM)
    try:
        time.sleep(1)
        for _ in range(6):
            response = requests.get(f"{lb}/", timeout=10)
            assert response.status_code == 200
            assert response.headers["X-AskMe-Node"].endswith(f":{cluster.ports['NODE2_PORT']}")
    finally:
        cluster.node_nginx(1, "up")
    assert requests.get(cluster.url(1), timeout=10).status_code == 200


def test_a_node_started_while_redis_is_down_does_not_crash(cluster):
    question = question_of_someone_else(cluster)
    cluster.redis("stop")
    cluster.node_nginx(1, "down")
    cluster.node_nginx(1, "up")  # Redis is down: Nchan keeps trying, workers must not abort
    time.sleep(3)
    assert cluster.crashes() == [], cluster.error_log(1)[-2000:]
    cluster.redis("start")
    if os.environ.get("ASKME_TEST_REDIS_LATE_DELIVERY") != "1":
        # Known: Nchan 1.3.6 sometimes delivers nothing through Redis for over 60 s on a node
        # that started while Redis was down (seen twice in ~10 full runs here), so the part
        # below is opt-in until that is understood; bin/cluster.sh starts Redis first.
        time.sleep(2)
        assert cluster.crashes() == [], cluster.error_log(1)[-2000:]
        return
    on_node1 = reader(cluster, 1, question)
    try:
        member = Member(cluster.url(2), "user2")
        delivered = False
        started = time.monotonic()
        for attempt in range(1, 21):  # every 4 s, well inside the answer throttle (30/10 min)
            answer = member.answer(question, f"Once Redis is there ({attempt}).")
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline and not delivered:
                delivered = any(m["answer"] == answer for m in messages(on_node1, "answer"))
                time.sleep(0.1)
            if delivered:
                break
        assert delivered, (
            f"nothing reached node 1 in {time.monotonic() - started:.0f} s\n"
            + "\n".join(cluster.error_log(n)[-1500:] for n in (1, 2))
        )
    finally:
        on_node1.close()
    assert cluster.crashes() == [], cluster.error_log(1)[-2000:]


@pytest.mark.e2e
def test_a_chromium_page_on_node_2_shows_an_answer_posted_through_node_1(cluster):
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        pytest.fail(f"{chromium} is missing: apt-get install chromium (make test does)")
    question = question_of_someone_else(cluster)
    failures: list[BaseException] = []

    def browse() -> None:
        from playwright.sync_api import expect, sync_playwright

        # The flags tests/e2e uses: root needs --no-sandbox, and no network means no phoning
        # home.
        args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=args, headless=True)
                try:
                    page = browser.new_context().new_page()
                    page.set_default_timeout(15_000)
                    page.goto(f"{cluster.url(2)}/question/{question}/?page=9999")  # last page
                    expect(page.locator("body")).to_have_attribute("data-live-state", "open")
                    time.sleep(0.5)  # subscribed through node 2 to Redis
                    member = Member(cluster.url(1), "user2")
                    answer = member.answer(question, "Seen in **Chromium**.")
                    posted = page.locator(f"#answer-{answer}")
                    expect(posted).to_have_count(1)
                    expect(posted.locator(".markdown strong")).to_have_text("Chromium")
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 — re-raised in the test's thread
            failures.append(exc)

    # Its own thread: the e2e tests' session-wide Playwright may be running in this one, and
    # Playwright's sync API refuses to start inside another's event loop.
    thread = threading.Thread(target=browse)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the browser did not finish in 2 minutes"
    if failures:
        raise failures[0]
