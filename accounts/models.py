import functools

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.templatetags.static import static

DEFAULT_AVATAR = "img/avatar.svg"
DELETED_NAME = "deleted user"


@functools.cache
def _default_avatar_url() -> str:
    """The same for every member without an avatar, every page (the navbar's, the lists'): the
    static files' manifest is read once per process."""
    return static(DEFAULT_AVATAR)


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=60, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    # Set when the member deleted their account (accounts.services.account_delete): the posts
    # stay, shown as by a deleted user.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Stack Overflow's reputation, denormalised: changed by F() in the same transaction as the
    # vote or accept that earns it (community/reputation.py); `reputation_recompute` rebuilds
    # it from the votes. The database default covers bulk loads (fill_db's COPY).
    reputation = models.IntegerField(default=1, db_default=1)
    # Unread notifications (inbox/), denormalised so every page's navbar shows the count
    # without a query; changed in the transaction that adds or reads them (inbox/services.py).
    inbox_unread = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        indexes = [models.Index(fields=["-reputation", "user"], name="profile_reputation_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.deleted_at:
            return DELETED_NAME
        return self.display_name or self.user.username

    @property
    def reputation_shown(self) -> int:
        """Never below 1 (the stored sum may be, so that every change can be undone)."""
        return max(1, self.reputation)

    @property
    def avatar_url(self) -> str:
        return self.avatar.url if self.avatar else _default_avatar_url()


class Session(AbstractBaseSession):
    """Django's database session with its member as a column (accounts.sessions): a member's
    page reads the session, the member and their profile in one statement. NULL: nobody is
    logged in with it. A deleted member's sessions go with them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore
