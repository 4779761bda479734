"""{% chrome %} keeps a block once per process; {% hole %}s in it are this request's own."""

import re

import pytest
from django.template import Context, Template

from .helpers import client_for, make_user

KEPT = Template(
    "{% load chrome %}{% chrome 'test-holes' flag %}<p>{{ flag }} {% hole %}{{ name }}{% endhole %}"
    "{% for n in numbers %}[{{ n }}:{% hole %}{{ name|length }}{% endhole %}]{% endfor %}"
    "{% chrome 'test-inner' %}<i>{% hole %}{{ name|upper }}{% endhole %}</i>{% endchrome %}"
    "</p>{% endchrome %}"
)


def _render(**values) -> str:
    return KEPT.render(Context({"flag": 1, "numbers": [1, 2], **values}))


def test_holes_are_rendered_each_time_and_escaped_the_rest_kept():
    assert _render(name="ann") == "<p>1 ann[1:3][2:3]<i>ANN</i></p>"
    # the numbers are kept from the first rendering; the holes follow the new name, escaped
    assert _render(name="<b>", numbers=[9]) == "<p>1 &lt;b&gt;[1:3][2:3]<i>&lt;B&gt;</i></p>"


def test_an_inner_block_kept_first_still_leaves_its_holes_to_each_request():
    inner = "<i>{% hole %}{{ name|upper }}{% endhole %}</i>"
    Template(f"{{% load chrome %}}{{% chrome 'test-inner' %}}{inner}{{% endchrome %}}").render(
        Context({"name": "first"})
    )
    _render(name="zed", flag=2)  # the outer block is kept with the inner one's hole as a hole
    assert _render(name="amy", flag=2) == "<p>2 amy[1:3][2:3]<i>AMY</i></p>"


@pytest.mark.django_db
def test_members_get_their_own_menu_and_token_from_the_kept_navbar():
    clients = {}
    for name in ("ann", "bea"):
        user = make_user(name)
        type(user.profile).objects.filter(user=user).update(
            display_name=f"{name.title()} <Display>"
        )
        clients[name] = client_for(user)
    ann, bea = (clients[name].get("/tags/?q=a").content.decode() for name in ("ann", "bea"))
    assert "Ann &lt;Display&gt;" in ann and "Bea" not in ann
    assert "Bea &lt;Display&gt;" in bea and "Ann" not in bea
    assert 'href="/user/bea/"' in bea and 'href="/user/ann/"' not in bea
    tokens = [
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        for page in (ann, bea)
    ]
    assert tokens[0] != tokens[1]
    assert 'name="continue" value="/tags/?q=a"' in bea  # this page's path, in the hole
    guest = client_for().get("/users/?order=new").content.decode()
    assert 'href="/login/?continue=/users/%3Forder%3Dnew"' in guest
    assert "next=/users/%3Forder%3Dnew" in guest  # the language switcher's way back
