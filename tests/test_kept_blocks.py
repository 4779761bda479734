"""{% extends %} with the root template's blocks found once (core/templatetags/kept_blocks.py):
pages render as with Django's own, however deep the chain, however often."""

from django.template import engines

from core.templatetags.kept_blocks import KeptBlocksExtendsNode

ROOT = "[{% block x %}root x{% endblock %}|{% block y %}root y{% endblock %}]"


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_a_child_fills_the_root_s_blocks_on_every_rendering():
    root = engines["django"].from_string(ROOT)
    child = engines["django"].from_string("{% extends root %}{% block x %}child x{% endblock %}")
    assert isinstance(child.template.nodelist[0], KeptBlocksExtendsNode)
    for _ in range(3):
        assert child.render({"root": root}) == "[child x|root y]"
    other = "{% extends root %}{% block y %}other y{% endblock %}"
    assert _render(other, root=root) == "[root x|other y]"


def test_a_chain_of_three_and_block_super():
    root = engines["django"].from_string(ROOT)
    middle = engines["django"].from_string("{% extends root %}{% block y %}middle y{% endblock %}")
    child = "{% extends middle %}{% block x %}{{ block.super }} + child x{% endblock %}"
    for _ in range(2):
        assert _render(child, root=root, middle=middle) == "[root x + child x|middle y]"
        assert _render("{% extends root %}", root=root) == "[root x|root y]"


def test_a_page_of_the_site_keeps_its_blocks(client, db):
    assert "<title>" in client.get("/tags/").content.decode()
    base = engines["django"].engine.get_template("base.html")
    assert "content" in base._askme_root_blocks
