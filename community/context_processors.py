from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .privileges import privilege_allowed


def privileges(request: HttpRequest) -> dict:
    """`may_edit_others`: the viewer's reputation lets them edit anyone's post (the edit links
    show for them). Lazy: pages without an edit link never ask. It asks only whether they may:
    the refusal's sentence (a translation and two formatted numbers, ~20 µs) is for the views
    that refuse."""

    def may_edit_others() -> bool:
        user = request.user
        return user.is_authenticated and privilege_allowed(user, "edit")

    return {"may_edit_others": SimpleLazyObject(may_edit_others)}
