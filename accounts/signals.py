from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def profile_for_new_user(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Every user has a profile, so pages can select_related it without a None check."""
    if created and not raw:
        Profile.objects.get_or_create(user=instance)
