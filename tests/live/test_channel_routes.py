"""nginx's live locations agree with live/channels.py: the templates' regexes are rendered from
its NGINX_PATTERNS, and a real nginx routes exactly the ids it accepts."""

import re

import pytest
import requests

from deploy import nginx as deploy_nginx
from live import channels

pytestmark = pytest.mark.live

GOOD_IDS = [1, 7, 10, 123456789, 10**17, 10**18 - 1]  # 18 digits is the longest id
# Path segments after /live/question/ that must never reach a channel.
BAD_PATHS = ["0", "01", "007", str(10**18), "9" * 19, "abc", "1x", "-1", "1.b5", "1/x", "1/", ""]
BAD_CHANNELS = ["question-0", "question-01", f"question-{10**18}", "question-1x", "answer-1"]


def test_templates_hold_no_hand_written_channel_regex():
    for template in deploy_nginx.TEMPLATE_BY_BACKEND.values():
        text = (deploy_nginx.TEMPLATES / template).read_text()
        assert "[1-9]" not in text and "[0-9]" not in text, template
        assert "${LIVE_QUESTION_LOCATION}" in text
        assert "${LIVE_CHANNEL_PATTERN}" in text


@pytest.mark.parametrize("backend_name", ["nchan", "push_stream"])
def test_rendered_regexes_are_the_channel_module_s(tmp_path, backend_name):
    """Text-wise, so the push-stream config is checked even without its nginx."""
    values = deploy_nginx.defaults({"VAR_DIR": str(tmp_path)})
    conf = deploy_nginx.write_config(
        deploy_nginx.template_for(backend_name), tmp_path, values
    ).read_text()
    location = channels.NGINX_PATTERNS["LIVE_QUESTION_LOCATION"]
    assert f'location ~ "{location}" {{' in conf
    prefix = channels.NGINX_PATTERNS["LIVE_QUESTION_CHANNEL_PREFIX"]
    assert f" {prefix}$1;" in conf  # nchan_channel_id / push_stream_channels_path
    pattern = channels.NGINX_PATTERNS["LIVE_CHANNEL_PATTERN"]
    if backend_name == "nchan":
        assert f'location ~ "^/pub/({pattern})$" {{' in conf
    else:
        assert f'"~^{pattern}$" $arg_id;' in conf
    # Python reads the patterns the same way nginx (PCRE) does.
    assert re.fullmatch(location, f"/live/question/{10**18 - 1}")
    assert not re.fullmatch(location, f"/live/question/{10**18}")


def test_python_accepts_exactly_what_nginx_is_given():
    for question_id in GOOD_IDS:
        channel = channels.question_channel(question_id)
        assert re.fullmatch(channels.NGINX_PATTERNS["LIVE_CHANNEL_PATTERN"], channel)
        assert re.fullmatch(
            channels.NGINX_PATTERNS["LIVE_QUESTION_LOCATION"], channels.subscribe_url(channel)
        )
    for bad in (0, -1, 10**18):
        with pytest.raises(ValueError):
            channels.question_channel(bad)
    for bad in BAD_CHANNELS:
        with pytest.raises(ValueError):
            channels.subscribe_url(bad)


def test_ids_the_channel_module_accepts_reach_their_channel(comet):
    readers = {}
    try:
        for question_id in GOOD_IDS:
            channel = channels.question_channel(question_id)
            path = channels.subscribe_url(channel)
            assert path == f"/live/question/{question_id}"
            readers[channel] = comet.subscribe(question_id)
        for channel, reader in readers.items():
            comet.sync(channel, [reader])  # a publish on that channel reaches that reader
    finally:
        for reader in readers.values():
            reader.close()
    assert comet.crashes() == []


def test_ids_it_refuses_are_refused_by_nginx(comet):
    for bad in BAD_PATHS:
        response = requests.get(
            f"{comet.site_url}/live/question/{bad}",
            headers={"Accept": "text/event-stream"},
            timeout=2,
            stream=True,
        )
        response.close()
        assert response.status_code == 404, bad
    for bad in BAD_CHANNELS:
        response = requests.post(comet.publish_url + comet.publish_path(bad), data="{}", timeout=2)
        assert response.status_code == 404, bad
