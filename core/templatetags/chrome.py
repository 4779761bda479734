"""{% chrome "name" value … %}…{% endchrome %}: page chrome rendered once per process.

For the parts of a page that depend on nothing but the language and a flag or two (menus,
labels, the live bars' plural forms): the first rendering for a name and values is kept in this
worker's memory and reused; the values are the whole key, so everything the block shows that
can differ (the language above all) must be among them. The same in every worker, so no worker
needs another's copy: a dict, not the cache (like the template loader's own cache). The active
language is always part of the key.

What differs between viewers or requests (a member's name, the CSRF token, this page's path)
goes in a `{% hole %}…{% endhole %}` inside the block: the kept copy has a mark there, and each
rendering renders only the holes, against the page's context, and puts them in. A hole must
not use what the block itself sets (a `{% for %}` or `{% with %}` variable inside it): it is
rendered outside them. Never a per-viewer value, a path or a CSRF token outside a hole (an
inclusion tag's own template cannot hold holes: it renders in a context of its own).
"""

import re
import secrets

from django import template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_rendered: dict[tuple, tuple[list[str], list["HoleNode"]]] = {}
_RENDERED_MAX = 1000  # names × languages × flags: a few dozen; a bound in case of a bad key

_MARK = f"\x00hole-{secrets.token_hex(8)}-"  # no text a template renders holds NUL
_MARKS = re.compile(re.escape(_MARK) + r"(\d+)\x00")
_HOLES = "_chrome_holes"  # context key: the holes met while a block is first rendered


class HoleNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        # Most holes hold one node (a variable, a tag): rendered without the list around it.
        self.only = nodelist[0] if len(nodelist) == 1 else None

    def render(self, context: template.Context) -> SafeString:
        holes = context.get(_HOLES)
        if holes is None:  # outside a block being kept: an ordinary rendering
            return self.fill(context)
        holes.append(self)
        return mark_safe(f"{_MARK}{len(holes) - 1}\x00")  # noqa: S308 — our mark

    def fill(self, context: template.Context) -> str:
        """What the hole shows for this context."""
        if self.only is not None:
            return self.only.render_annotated(context)
        return self.nodelist.render(context)


class ChromeNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str, values: list) -> None:
        self.nodelist = nodelist
        self.name = name
        self.values = values

    def render(self, context: template.Context) -> SafeString:
        key = (
            self.name,
            translation.get_language(),
            *(value.resolve(context) for value in self.values),
        )
        kept = _rendered.get(key)
        if kept is None:
            kept = self._keep(context)
            if len(_rendered) >= _RENDERED_MAX:
                _rendered.clear()
            _rendered[key] = kept
        pieces, holes = kept
        if not holes:
            return pieces[0]
        # Inside an outer block being kept, each hole is a mark again (HoleNode.render);
        # otherwise each is filled.
        fill = HoleNode.render if context.get(_HOLES) is not None else HoleNode.fill
        out = [pieces[0]]
        for hole, piece in zip(holes, pieces[1:], strict=True):
            out.append(fill(hole, context))
            out.append(piece)
        return mark_safe("".join(out))  # noqa: S308 — template output

    def _keep(self, context: template.Context) -> tuple[list[str], list[HoleNode]]:
        holes: list[HoleNode] = []
        with context.push({_HOLES: holes}):  # seen by includes too
            html = self.nodelist.render(context)
        split = _MARKS.split(html)  # text, hole number, text, …
        pieces = [mark_safe(piece) for piece in split[::2]]  # noqa: S308 — template output
        return pieces, [holes[int(number)] for number in split[1::2]]


@register.tag
def chrome(parser: template.base.Parser, token: template.base.Token) -> ChromeNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% chrome %} needs a name")
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    name = bits[1].strip("\"'")
    return ChromeNode(nodelist, name, [parser.compile_filter(bit) for bit in bits[2:]])


@register.tag
def hole(parser: template.base.Parser, token: template.base.Token) -> HoleNode:
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% hole %} takes no arguments")
    nodelist = parser.parse(("endhole",))
    parser.delete_first_token()
    return HoleNode(nodelist)
