"""nginx's live locations agree with live/channels.py: the templates' regexes are rendered from
its NGINX_PATTERNS, and a real nginx routes exactly the channel paths it builds."""

import re

import pytest
import requests

from deploy import nginx as deploy_nginx
from live import channels

pytestmark = pytest.mark.live

GOOD_IDS = [1, 7, 10, 123456789, 10**17, 10**18 - 1]  # 18 digits is the longest id
# Subscribe paths that must never reach a channel.
BAD_PATHS = [
    *(f"question-{bad}" for bad in ["0", "01", "007", str(10**18), "9" * 19, "abc", "1x", "-1"]),
    "question-1.b5",  # push-stream's backtrack suffix
    "question-1/x",
    "question-1/",
    "question/1",  # the old form
    "",
    "answer-1",
    "tag-0",
    "questions/questions/questions/questions",  # more public channels than a page holds
    "question-1/user-2",  # a user channel only first
    "user-1/user-2",
]
BAD_CHANNELS = ["question-0", "question-01", f"question-{10**18}", "question-1x", "answer-1"]


def test_templates_hold_no_hand_written_channel_regex():
    for template in deploy_nginx.TEMPLATE_BY_BACKEND.values():
        text = (deploy_nginx.TEMPLATES / template).read_text()
        assert "[1-9]" not in text and "[0-9]" not in text, template
        assert "${LIVE_PUBLIC_LOCATION}" in text and "${LIVE_PRIVATE_LOCATION}" in text
        assert "${LIVE_PUBLISH_CHANNELS}" in text


@pytest.mark.parametrize("backend_name", ["nchan", "push_stream"])
def test_rendered_regexes_are_the_channel_module_s(tmp_path, backend_name):
    """Text-wise, so the push-stream config is checked even without its nginx."""
    values = deploy_nginx.defaults({"VAR_DIR": str(tmp_path)})
    conf = deploy_nginx.write_config(
        deploy_nginx.template_for(backend_name), tmp_path, values
    ).read_text()
    public = channels.NGINX_PATTERNS["LIVE_PUBLIC_LOCATION"]
    private = channels.NGINX_PATTERNS["LIVE_PRIVATE_LOCATION"]
    # The private location, and only it, asks Django; the public one never does.
    include = f"include common/{'nchan' if backend_name == 'nchan' else 'push-stream'}-subscriber"
    assert f'location ~ "{public}" {{\n            {include}' in conf
    assert f'location ~ "{private}" {{\n            auth_request /_live_auth;\n' in conf
    assert conf.count("auth_request ") == 1
    pattern = channels.NGINX_PATTERNS["LIVE_PUBLISH_CHANNELS"]
    if backend_name == "nchan":
        assert f'location ~ "^/pub/({pattern})$" {{' in conf
    else:
        assert f'"~^{pattern}$" $arg_id;' in conf
    # Python reads the patterns the same way nginx (PCRE) does.
    assert re.fullmatch(public, f"/live/question-{10**18 - 1}")
    assert not re.fullmatch(public, f"/live/question-{10**18}")
    assert re.fullmatch(private, f"/live/user-{10**18 - 1}/questions")
    assert not re.fullmatch(private, "/live/questions") and not re.fullmatch(public, "/live/user-1")


def nginx_accepts(path: str) -> bool:
    return any(
        re.fullmatch(channels.NGINX_PATTERNS[name], path)
        for name in ("LIVE_PUBLIC_LOCATION", "LIVE_PRIVATE_LOCATION")
    )


def test_python_builds_exactly_what_nginx_accepts():
    for pk in GOOD_IDS:
        for path in (
            channels.subscribe_url([channels.question_channel(pk)]),
            channels.subscribe_url([channels.tag_channel(pk)], user_id=pk),
            channels.subscribe_url([], user_id=pk),
            channels.subscribe_url([channels.QUESTIONS, channels.UNANSWERED], user_id=pk),
        ):
            assert nginx_accepts(path), path
        assert channels.private_user_id(channels.subscribe_url([], user_id=pk)) == pk
    assert channels.private_user_id("/live/question-5") is None
    for bad in (0, -1, 10**18, True, "5"):
        with pytest.raises(ValueError):
            channels.question_channel(bad)
        with pytest.raises(ValueError):
            channels.user_channel(bad)
    for bad in BAD_CHANNELS:
        with pytest.raises(ValueError):
            channels.subscribe_url([bad])
    with pytest.raises(ValueError):
        channels.subscribe_url(["user-1"])  # private channels are the user_id's only
    with pytest.raises(ValueError):
        channels.subscribe_url(["questions", "unanswered", "tag-1", "tag-2"])
    for bad in BAD_PATHS:
        assert not nginx_accepts(f"/live/{bad}"), bad


def test_paths_the_channel_module_builds_reach_their_channels(comet):
    readers = {}
    try:
        for question_id in GOOD_IDS:
            channel = channels.question_channel(question_id)
            path = channels.subscribe_url([channel])
            assert path == f"/live/question-{question_id}"
            readers[channel] = comet.subscribe(question_id)
        for channel, reader in readers.items():
            comet.sync(channel, [reader])  # a publish on that channel reaches that reader
    finally:
        for reader in readers.values():
            reader.close()
    assert comet.crashes() == []


def test_one_connection_hears_every_channel_of_its_page(comet):
    """A list page's one connection hears its list and `questions`; one publish to several
    channels reaches each channel's subscribers."""
    both = comet.subscribe_path("/live/questions/tag-7")
    tag_only = comet.subscribe_path("/live/tag-7")
    try:
        comet.sync("questions", [both])
        comet.sync("tag-7", [both, tag_only])
        comet.publish_many(["questions", "tag-7", "unanswered"], {"type": "question", "id": 1})
        assert '"id": 1' in "".join(tag_only.wait_for('"id": 1'))
        assert any('"id": 1' in data for data in both.wait_for('"id": 1'))
    finally:
        both.close()
        tag_only.close()
    assert comet.crashes() == []


def test_paths_it_refuses_are_refused_by_nginx(comet):
    for bad in BAD_PATHS:
        response = requests.get(
            f"{comet.site_url}/live/{bad}",
            headers={"Accept": "text/event-stream"},
            timeout=2,
            stream=True,
        )
        response.close()
        assert response.status_code == 404, bad
    for bad in BAD_CHANNELS:
        response = requests.post(comet.publish_url + comet.publish_path(bad), data="{}", timeout=2)
        assert response.status_code == 404, bad
