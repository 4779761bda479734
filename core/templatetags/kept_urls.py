"""{% url %} as Django's, except that a URL reversed once is kept for the process.

Django reverses `{% url 'user' name %}` afresh each time (the resolver's candidates, their
regular expressions, quoting: ~20 µs), and the navbar of every member's page holds one: a tenth
of the page's own template work. A reversed URL depends only on what is in the key below (the
URL conf and script prefix in force, the language, the current app, the name and the
arguments), so it is kept under that key; a change of ROOT_URLCONF (tests) empties the memo
as Django empties its own URL caches. Arguments other than strings and integers are reversed
each time, as are names that do not reverse (NoReverseMatch is raised, or an `as` variable is
left empty, as Django does). Installed as a builtin (settings.TEMPLATES): every template's
`{% url %}` is this one.
"""

from django import template
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import conditional_escape

register = template.Library()

_kept: dict[tuple, str] = {}
_KEPT_MAX = 20_000  # members' pages, tags, questions: bounded, emptied whole when full


def _keyable(value) -> bool:
    # bool is an int whose URL differs from 1's ("True"): reversed each time
    return isinstance(value, str | int) and not isinstance(value, bool)


class KeptURLNode(URLNode):
    def render(self, context: template.Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {name: value.resolve(context) for name, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        key = None
        if all(map(_keyable, args)) and all(map(_keyable, kwargs.values())):
            key = (
                get_urlconf(),
                get_script_prefix(),
                translation.get_language(),
                current_app,
                view_name,
                tuple(args),
                tuple(sorted(kwargs.items())),
            )
        url = _kept.get(key) if key is not None else None
        if url is None:
            url = ""
            try:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
            else:
                if key is not None:
                    if len(_kept) >= _KEPT_MAX:
                        _kept.clear()
                    _kept[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: template.base.Parser, token: template.base.Token) -> KeptURLNode:
    node = django_url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)


def _urlconf_changed(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _kept.clear()


setting_changed.connect(_urlconf_changed, dispatch_uid="core.kept_urls")
