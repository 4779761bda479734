"""Every page shows the sidebar from the cache alone: no queries, warm or cold, cache up or down."""

import re
import time

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from sidebar.cache import KEY as CACHE_KEY

from .helpers import (
    client_for,
    make_answer,
    make_question,
    memcached_caches,
    queries_of_get,
    running_memcached,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def escaped_names_site(alice, bob):
    alice.profile.display_name = "Alice <b>Liddell</b>"
    alice.profile.save()
    question = make_question(alice, tags=["python", "sidebar-tag"])
    make_answer(question, bob)
    return question


@pytest.fixture
def no_sidebar(settings, tmp_path):
    """The same site with an empty right column: the baseline for query counts."""
    (tmp_path / "templates" / "sidebar").mkdir(parents=True)
    (tmp_path / "templates" / "sidebar" / "_column.html").write_text("")
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["DIRS"] = [tmp_path / "templates", *templates[0]["DIRS"]]
    return templates


def sql_of(client, url: str) -> list[str]:
    # Literals (timestamps) differ between two requests; the statements must not.
    return [re.sub(r"'[^']*'", "?", sql) for sql in queries_of_get(client, url)[0]]


PAGES = ["/", "/hot/", "/tag/python/", "QUESTION", "/login/", "/user/alice/"]


@pytest.mark.parametrize("warm", [True, False], ids=["warm-cache", "empty-cache"])
@pytest.mark.parametrize("page", PAGES)
def test_the_sidebar_adds_no_query(escaped_names_site, settings, no_sidebar, alice, page, warm):
    url = escaped_names_site.get_absolute_url() if page == "QUESTION" else page
    if warm:
        call_command("refresh_sidebar", stdout=open("/dev/null", "w"))  # noqa: SIM115
    else:
        cache.delete(CACHE_KEY)
    client = client_for(alice)
    client.get(url)  # the page's own fragments (cards, answers) cached, as for the second run
    with_sidebar = sql_of(client, url)
    body = client.get(url).content.decode()
    assert ('best-members"' in body) is warm
    assert ("Nothing here yet." in body) is not warm
    settings.TEMPLATES = no_sidebar
    without_sidebar = sql_of(client, url)
    assert "Best members" not in client.get(url).content.decode()
    assert with_sidebar == without_sidebar


def test_the_column_renders_with_no_query_at_all(escaped_names_site):
    call_command("refresh_sidebar", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("sidebar/_column.html")
    assert len(queries) == 0
    assert 'href="/tag/python/"' in html and 'href="/tag/sidebar-tag/"' in html
    assert 'href="/user/alice/"' in html and 'href="/user/bob/"' in html
    assert "Alice &lt;b&gt;Liddell&lt;/b&gt;" in html  # names are escaped, never trusted
    assert 'src="/static/img/avatar.svg"' in html


def test_empty_cache_is_a_quiet_empty_state(escaped_names_site):
    cache.delete(CACHE_KEY)
    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("sidebar/_column.html")
    assert len(queries) == 0
    assert "Popular tags" in html and "Best members" in html
    assert html.count("Nothing here yet.") == 2


def test_a_garbled_value_is_an_empty_state(escaped_names_site):
    cache.set(CACHE_KEY, "not a sidebar")
    html = render_to_string("sidebar/_column.html")
    assert html.count("Nothing here yet.") == 2


def test_memcached_stopped_pages_still_answer_quickly(escaped_names_site, settings, tmp_path):
    with running_memcached() as port:
        settings.CACHES = memcached_caches(port)
        call_command("refresh_sidebar", stdout=open("/dev/null", "w"))  # noqa: SIM115
        body = client_for().get("/").content.decode()
        assert 'href="/tag/sidebar-tag/"' in body  # served from memcached
    # memcached is gone now (stopped, port closed)
    for url in ["/", escaped_names_site.get_absolute_url(), "/hot/"]:
        started = time.monotonic()
        response = client_for().get(url)
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert elapsed < 1.5, f"{url} took {elapsed:.2f} s with memcached down"
        assert response.content.decode().count("Nothing here yet.") == 2


def test_the_window_the_titles_name_is_the_one_computed(escaped_names_site, monkeypatch):
    from sidebar import queries

    monkeypatch.setattr(queries, "WINDOW_MONTHS", 6)
    call_command("refresh_sidebar")
    body = client_for().get("/").content.decode()
    assert "1 question in the last 6 months" in body
    assert "in the last 3 months" not in body


def test_each_refresh_shows_at_once_though_the_column_is_rendered_once(escaped_names_site, bob):
    """A worker renders the column once per refresh and language (sidebar_column's memo): the
    next refresh, and the other language, are on the very next page."""
    call_command("refresh_sidebar", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert 'href="/tag/fresh-tag/"' not in client_for().get("/").content.decode()
    make_question(bob, title="A question with a fresh tag", tags=["fresh-tag"])
    call_command("refresh_sidebar", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    english = client_for().get("/").content.decode()
    assert 'href="/tag/fresh-tag/"' in english and "Popular tags" in english
    russian_client = client_for()
    russian_client.cookies["django_language"] = "ru"
    russian = russian_client.get("/").content.decode()
    assert 'href="/tag/fresh-tag/"' in russian and "Popular tags" not in russian


def test_a_process_reads_the_value_once_per_refresh(escaped_names_site, bob, monkeypatch):
    """Each process keeps the value it read while the site generation stands; a refresh moves
    the generation, so the very next page reads (and shows) the new value."""
    from sidebar import cache as sidebar_cache

    call_command("refresh_sidebar", stdout=open("/dev/null", "w"))  # noqa: SIM115
    reader = client_for()
    reader.get("/hot/")
    reads: list[str] = []
    read = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: reads.append(key) or read(key, *a, **k))
    for url in ("/hot/", "/", escaped_names_site.get_absolute_url()):
        assert 'href="/tag/sidebar-tag/"' in reader.get(url).content.decode()
    assert CACHE_KEY not in reads

    make_question(bob, title="A question with a fresh tag", tags=["fresh-tag"])
    call_command("refresh_sidebar", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    reads.clear()
    assert 'href="/tag/fresh-tag/"' in reader.get("/hot/").content.decode()
    assert reads.count(CACHE_KEY) == 1

    # A value written some other way (a node on older code) shows once the copy's time is up.
    cache.set(CACHE_KEY, "not a sidebar")
    assert 'href="/tag/fresh-tag/"' in reader.get("/hot/").content.decode()
    later = time.monotonic() + sidebar_cache._KEPT_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert reader.get("/hot/").content.decode().count("Nothing here yet.") == 2
