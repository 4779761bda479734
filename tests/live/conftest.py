"""tests/live: real nginx + Nchan on free ports (fixtures in fixtures.py, also used by e2e)."""

from .fixtures import live_site, live_static_root, nchan  # noqa: F401
