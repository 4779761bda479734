"""{% extends %} as Django's, except that the root template's blocks are found once.

Django's ExtendsNode walks the whole root template (base.html: ~200 nodes, every `{% if %}`
and `{% chrome %}` inside) on every page to find its `{% block %}`s again (~60 µs a page, as
much as a query's round trip). A compiled template never changes (the cached loader keeps it;
DEBUG's autoreload replaces it whole), so the walk's result is kept on it. Installed as a
builtin (settings.TEMPLATES): every template's `{% extends %}` is this one.
"""

from django import template
from django.template.base import TextNode
from django.template.loader_tags import (
    BLOCK_CONTEXT_KEY,
    BlockContext,
    BlockNode,
    ExtendsNode,
    do_extends,
)

register = template.Library()

_BLOCKS = "_askme_root_blocks"  # attribute kept on a compiled root template


class KeptBlocksExtendsNode(ExtendsNode):
    def render(self, context: template.Context) -> str:
        compiled_parent = self.get_parent(context)
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        root_blocks = _root_blocks(compiled_parent)
        if root_blocks is not None:
            block_context.add_blocks(root_blocks)
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)


def _root_blocks(parent: template.Template) -> dict | None:
    """The blocks of `parent` if it is the root (extends nothing), else None: what Django's
    ExtendsNode.render() finds, found once per compiled template."""
    try:
        return getattr(parent, _BLOCKS)
    except AttributeError:
        pass
    blocks = None
    for node in parent.nodelist:
        # The ExtendsNode has to be the first non-text node.
        if not isinstance(node, TextNode):
            if not isinstance(node, ExtendsNode):
                blocks = {n.name: n for n in parent.nodelist.get_nodes_by_type(BlockNode)}
            break
    setattr(parent, _BLOCKS, blocks)
    return blocks


@register.tag("extends")
def extends(parser: template.base.Parser, token: template.base.Token) -> KeptBlocksExtendsNode:
    node = do_extends(parser, token)
    return KeptBlocksExtendsNode(node.nodelist, node.parent_name)
