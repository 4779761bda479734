import logging
import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm, UsernameField
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from .images import avatar_reencode
from .models import Profile
from .services import DELETED_PREFIX

User = get_user_model()
logger = logging.getLogger(__name__)


class AvatarField(forms.ImageField):
    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload is not initial and hasattr(upload, "size"):
            return avatar_reencode(upload)
        return upload


EMAIL_TAKEN = _("An account with this e-mail already exists. If it is yours, log in instead.")
USERNAME_TAKEN = _("A user with that username already exists.")


def email_taken(email: str, *, owner=None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if owner is not None:
        others = others.exclude(pk=owner.pk)
    return others.exists()


def email_unused(email: str, *, owner=None) -> str:
    """The e-mail, stripped, unless another account already uses it (case-insensitively)."""
    email = email.strip()
    if email_taken(email, owner=owner):
        raise forms.ValidationError(EMAIL_TAKEN, code="email_taken")
    return email


def signup_attempt_notify(email: str) -> None:
    """Tell an address's owner that someone tried to sign up with it (at most once a day).

    The signup form cannot hide that the address has an account without e-mail verification
    (django-allauth says as much for ACCOUNT_PREVENT_ENUMERATION); what it can do is let the
    owner know, as allauth's and Discourse's "account already exists" mails do.
    """
    owner = User.objects.filter(email__iexact=email.strip()).first()
    if owner is None or not cache.add(f"signup-notice:{owner.pk}", 1, timeout=86400):
        return
    context = {"user": owner, "site_url": settings.SITE_URL}
    try:
        send_mail(
            subject=str(_("Someone tried to sign up to AskMe with your e-mail address")),
            message=render_to_string("accounts/email/signup_attempt.txt", context),
            from_email=None,
            recipient_list=[owner.email],
        )
    except Exception:  # noqa: BLE001 — a mail failure never breaks the form
        logger.exception("could not send the signup notice to user %s", owner.pk)


class LoginForm(AuthenticationForm):
    # AuthenticationForm sets max_length after construction, which adds no validator: a longer
    # name reached authenticate() and axes' varchar(255) column (a 500 on PostgreSQL).
    username = UsernameField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=True)
    avatar = AvatarField(required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = super().clean_username()
        # "." and ".." would give profile URLs (/user/../) that browsers rewrite away.
        if username and not re.search(r"[^\W_]", username):
            raise forms.ValidationError(_("A username needs at least one letter or digit."))
        if username and username.lower().startswith(DELETED_PREFIX):
            # Deleted accounts are renamed deleted-<id> (accounts.services.account_delete).
            raise forms.ValidationError(
                _("Usernames starting with “%(prefix)s” are reserved."),
                params={"prefix": DELETED_PREFIX},
                code="reserved",
            )
        return username

    def clean_email(self) -> str:
        return email_unused(self.cleaned_data["email"])

    def save(self, commit: bool = True):
        """The new user; None when a concurrent signup took the username or e-mail first.

        The checks in clean_*() cannot see a signup that commits between them and the INSERT;
        the database's unique constraints can, and losing to one is the same form error.
        """
        try:
            with transaction.atomic():
                user = super().save(commit=commit)
        except IntegrityError:
            cleaned = self.cleaned_data
            if User.objects.filter(username=cleaned["username"]).exists():
                self.add_error("username", forms.ValidationError(USERNAME_TAKEN, code="unique"))
            elif email_taken(cleaned["email"]):
                self.add_error("email", forms.ValidationError(EMAIL_TAKEN, code="email_taken"))
            else:
                raise
            return None
        avatar = self.cleaned_data.get("avatar")
        if commit and avatar:
            user.profile.avatar.save(avatar.name, avatar)
        return user


class ProfileForm(forms.Form):
    email = forms.EmailField()
    display_name = forms.CharField(max_length=60, required=False)
    avatar = AvatarField(required=False)
    remove_avatar = forms.BooleanField(required=False, label=_("Use the default avatar"))

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        return email_unused(self.cleaned_data["email"], owner=self.user)

    def save(self) -> Profile | None:
        """The saved profile; None when a concurrent change took the e-mail first."""
        user, profile = self.user, self.user.profile
        user.email = self.cleaned_data["email"]
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError:
            self.add_error("email", forms.ValidationError(EMAIL_TAKEN, code="email_taken"))
            return None
        profile.display_name = self.cleaned_data["display_name"]
        old = profile.avatar.name if profile.avatar else ""
        avatar = self.cleaned_data.get("avatar")
        if avatar:
            profile.avatar.save(avatar.name, avatar, save=False)
        elif self.cleaned_data.get("remove_avatar"):
            profile.avatar = ""
        profile.save()
        if old and old != (profile.avatar.name if profile.avatar else ""):
            profile.avatar.storage.delete(old)
        return profile


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for the password again: a borrowed session is not enough."""

    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone"),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if self.user is None or not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="password_incorrect")
        return password
