"""tests/live: real nginx + Nchan on free ports (fixtures in fixtures.py, also used by e2e)."""

from .fixtures import (  # noqa: F401
    live_site,
    live_static_root,
    nchan,
    push_stream,
    push_stream_site,
)
