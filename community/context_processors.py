from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .privileges import privilege_refusal


def privileges(request: HttpRequest) -> dict:
    """`may_edit_others`: the viewer's reputation lets them edit anyone's post (the edit links
    show for them). Lazy: pages without an edit link never ask."""

    def may_edit_others() -> bool:
        user = request.user
        return user.is_authenticated and privilege_refusal(user, "edit") is None

    return {"may_edit_others": SimpleLazyObject(may_edit_others)}
