"""{% chrome "name" value … %}…{% endchrome %}: page chrome rendered once per process.

For the parts of a page that depend on nothing but the language and a flag or two (menus,
labels, the live bars' plural forms): the first rendering for a name and values is kept in this
worker's memory and reused; the values are the whole key, so everything the block shows that
can differ (the language above all) must be among them. Never for per-viewer values, paths or
CSRF tokens. The same in every worker, so no worker needs another's copy: a dict, not the cache
(like the template loader's own cache). The active language is always part of the key.
"""

from django import template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_rendered: dict[tuple, SafeString] = {}
_RENDERED_MAX = 1000  # names × languages × flags: a few dozen; a bound in case of a bad key


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
        html = _rendered.get(key)
        if html is None:
            html = mark_safe(self.nodelist.render(context))  # noqa: S308 — template output
            if len(_rendered) >= _RENDERED_MAX:
                _rendered.clear()
            _rendered[key] = html
        return html


@register.tag
def chrome(parser: template.base.Parser, token: template.base.Token) -> ChromeNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% chrome %} needs a name")
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    name = bits[1].strip("\"'")
    return ChromeNode(nodelist, name, [parser.compile_filter(bit) for bit in bits[2:]])
