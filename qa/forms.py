import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .markdown import MarkdownTooComplex, render_markdown
from .models import MAX_TAGS, Comment, validate_tag_name


def parse_tags(raw: str) -> list[str]:
    """“python, django web” → ["python", "django", "web"]: comma or space separated, deduped."""
    names = []
    for part in re.split(r"[,\s]+", raw.strip().lower()):
        if part and part not in names:
            names.append(part)
    return names


class MarkdownFormMixin:
    """Renders `text` while validating: a text too complex to format is a form error, and the
    HTML goes on in cleaned_data["text_html"] to be stored with the post (rendered once)."""

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        try:
            self.cleaned_data["text_html"] = render_markdown(text)
        except MarkdownTooComplex as exc:
            raise ValidationError(str(exc), code="too_complex") from None
        return text


class OneLineField(forms.CharField):
    """Text that must stay on one line (a title): every run of whitespace, CR/LF and tabs
    included, becomes one space and other control characters are dropped, before the length
    checks. A CR or LF in a title ends up in the new-answer e-mail's Subject header, where
    Django refuses it (BadHeaderError) and the mail is lost."""

    def to_python(self, value) -> str:
        value = super().to_python(value)
        value = "".join(
            char for char in value if unicodedata.category(char) != "Cc" or char.isspace()
        )
        return " ".join(value.split())


class AskForm(MarkdownFormMixin, forms.Form):
    title = OneLineField(min_length=10, max_length=200)
    text = forms.CharField(
        min_length=20, max_length=20000, widget=forms.Textarea(attrs={"rows": 10})
    )
    tags = forms.CharField(
        max_length=200,
        required=False,
        help_text=_("Up to 3 tags, separated by commas or spaces, e.g. “python django”."),
    )

    def clean_tags(self) -> list[str]:
        names = parse_tags(self.cleaned_data["tags"])
        if len(names) > MAX_TAGS:
            raise ValidationError(
                _("At most %(max)d tags, please."), params={"max": MAX_TAGS}, code="too_many_tags"
            )
        errors = []
        for name in names:
            try:
                validate_tag_name(name)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return names


class AnswerForm(MarkdownFormMixin, forms.Form):
    text = forms.CharField(
        min_length=2, max_length=20000, widget=forms.Textarea(attrs={"rows": 6}), strip=True
    )


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(choices=[("1", "up"), ("-1", "down"), ("0", "none")], coerce=int)


class CorrectForm(forms.Form):
    correct = forms.ChoiceField(choices=[("true", "true"), ("false", "false")])

    def clean_correct(self) -> bool:
        return self.cleaned_data["correct"] == "true"


SUMMARY_FIELD = {
    "max_length": 200,
    "required": False,
    "strip": True,
    "help_text": _("Optional: what you changed and why, in one line."),
}


class QuestionEditForm(AskForm):
    summary = forms.CharField(**SUMMARY_FIELD)


class AnswerEditForm(AnswerForm):
    summary = forms.CharField(**SUMMARY_FIELD)


class CommentForm(forms.Form):
    text = forms.CharField(
        min_length=2,
        max_length=Comment.MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("`code` and [links](https://…) work; no images."),
    )
