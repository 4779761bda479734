from django.conf import settings
from django.db import models
from django.templatetags.static import static

DEFAULT_AVATAR = "img/avatar.svg"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=60, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.user.username

    @property
    def avatar_url(self) -> str:
        return self.avatar.url if self.avatar else static(DEFAULT_AVATAR)
