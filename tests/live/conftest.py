"""tests/live: real nginx + Nchan on free ports (fixtures in fixtures.py, also used by e2e)."""

import pytest

from .fixtures import (  # noqa: F401
    live_site,
    live_static_root,
    nchan,
    push_stream,
    push_stream_site,
)


@pytest.fixture(params=["nchan", "push_stream"])
def comet(request):
    """nginx of each live backend, for the tests both must pass (push-stream skips without
    PUSH_STREAM_NGINX)."""
    return request.getfixturevalue(request.param)
