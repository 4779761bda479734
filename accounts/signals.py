from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def profile_for_new_user(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Every user has a profile, so pages can select_related it without a None check."""
    if created and not raw:
        Profile.objects.get_or_create(user=instance)


@receiver(user_logged_in)
def login_failures_forgotten(sender, request, user, **kwargs) -> None:
    """A successful login clears that account's failed attempts (from every address).

    Not axes' AXES_RESET_ON_SUCCESS: that also clears every failure from the same address, so
    whoever owns one account could log into it between guesses at another and never be locked.
    """
    if settings.AXES_ENABLED:
        axes_reset(username=user.get_username())
