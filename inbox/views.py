from datetime import UTC, datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.decorators import json_endpoint
from core.pagination import paginate

from .models import Notification
from .services import notifications_mark_read

PER_PAGE = 20
CATCH_UP_LIMIT = 10  # toasts a page shows at once after a reconnect; the rest wait in /inbox/
MAX_ID = 2**63 - 1
MAX_MS = 253402300799999  # the year 9999


def _notifications(user):
    return (
        Notification.objects.filter(recipient=user)
        .select_related("actor__profile", "question", "answer", "comment")
        .order_by("-id")
    )


@never_cache
@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The member's notifications, newest first; opening it marks the ones it shows (and any
    older) read, and the badge of every other tab drops live."""
    page = paginate(request, _notifications(request.user), PER_PAGE)
    shown = list(page.object_list)  # as they were: the unread ones are marked on this page
    if shown and any(n.is_unread for n in shown):
        notifications_mark_read(user=request.user, up_to=shown[0].pk)
        request.user.profile.refresh_from_db(fields=["inbox_unread"])
    return render(request, "inbox/inbox.html", {"page": page, "notifications": shown})


def _int_param(request: HttpRequest, name: str, high: int) -> int | None:
    raw = request.GET.get(name)
    if raw is None:
        return 0
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value <= high else None


@json_endpoint(methods=("GET",))
@never_cache
def inbox_live(request: HttpRequest) -> JsonResponse:
    """What a page missed on its inbox channel: the unread count now, and the notifications
    newer than ?after=<id> (after a reconnect) or, on a page's first connect, made after
    ?since=<ms since the epoch> (when the page was rendered), oldest first, each as its toast
    in the page's language. `latest`: the newest notification id, for the next ?after=."""
    after = _int_param(request, "after", MAX_ID)
    since = _int_param(request, "since", MAX_MS)
    if after is None or since is None:
        return JsonResponse({"error": "after must be an id, since milliseconds"}, status=400)
    mine = _notifications(request.user)
    newest = mine.values_list("pk", flat=True).first() or 0
    if "after" in request.GET:
        newer = mine.filter(pk__gt=after)
    elif "since" in request.GET:
        newer = mine.filter(created_at__gt=datetime.fromtimestamp(since / 1000, UTC))
    else:
        newer = mine.none()
    found = list(newer[:CATCH_UP_LIMIT])
    request.user.profile.refresh_from_db(fields=["inbox_unread"])
    return JsonResponse(
        {
            "unread": request.user.profile.inbox_unread,
            "latest": newest,
            "notifications": [
                {
                    "id": n.pk,
                    "html": render_to_string(
                        "inbox/_notification_text.html", {"notification": n}, request
                    ),
                }
                for n in reversed(found)
            ],
        }
    )
