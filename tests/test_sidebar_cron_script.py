"""bin/cron.sh install|remove on a stand-in crontab: idempotent, and only ever our own line."""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from .test_sidebar_processes import FAKE_CRONTAB

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def cron(tmp_path):
    fake = tmp_path / "crontab"
    fake.write_text(FAKE_CRONTAB)
    fake.chmod(0o755)
    tab = tmp_path / "crontab.txt"
    env = {
        "PATH": "/usr/bin:/bin",
        "CRONTAB": str(fake),
        "FAKE_CRONTAB_FILE": str(tab),
        "CRON_START": "0",
        "VAR_DIR": str(tmp_path / "var"),
    }

    def run(action: str, **extra) -> str:
        result = subprocess.run(
            [ROOT / "bin" / "cron.sh", action],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    run.tab = tab
    return run


OTHERS = (
    'MAILTO=""\n0 3 * * * /usr/bin/backup\n*/5 * * * * echo other # askme-sidebar /srv/askme2\n'
)


def test_install_is_idempotent_and_keeps_other_lines(cron):
    cron.tab.write_text(OTHERS)
    assert "installed" in cron("install")
    once = cron.tab.read_text()
    assert cron("install") == ""  # nothing to do the second time
    assert cron.tab.read_text() == once
    assert once.startswith(OTHERS)
    ours = [line for line in once.splitlines() if line.endswith(f"# askme-sidebar {ROOT}")]
    assert len(ours) == 1
    assert ours[0].startswith("*/5 * * * * ")


def test_install_follows_the_settings_it_is_given(cron, tmp_path):
    cron("install")
    cron("install", SIDEBAR_CRON_MINUTES="2", CACHE_URL="pymemcache://127.0.0.1:11211")
    (line,) = cron.tab.read_text().splitlines()
    assert line.startswith("*/2 * * * * ")
    assert "CACHE_URL='pymemcache://127.0.0.1:11211'" in line
    assert f"VAR_DIR={tmp_path / 'var'}" in line


def test_percent_signs_are_escaped_for_cron(cron):
    cron("install", DATABASE_URL="postgres://u:p%40ss@db/askme")
    assert "DATABASE_URL='postgres://u:p\\%40ss@db/askme'" in cron.tab.read_text()


def test_remove_takes_out_only_our_line(cron):
    cron.tab.write_text(OTHERS)
    cron("install")
    assert "removed" in cron("remove")
    assert cron.tab.read_text() == OTHERS
    assert cron("remove") == ""  # idempotent
    assert cron.tab.read_text() == OTHERS


def test_remove_leaves_no_empty_crontab(cron):
    cron("install")
    cron("remove")
    assert not cron.tab.exists()
    cron("remove")  # nothing installed: still fine
