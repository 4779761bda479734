"""The moderators' tool: Django's admin at /admin/ for staff.

Posts are never hard-deleted here (the delete permission is off): moderators soft-delete and
restore them through community.services, the same code the site uses, so answer counts, list
counts, search and live pages follow. Any active staff member may moderate (view, delete,
restore, ban); changing accounts themselves (staff flags, permissions) stays with superusers.
Big tables: authors and questions are raw-id fields (never a <select> of every row), lists skip
the second full COUNT, and searches by author name are exact (an index lookup).
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Profile
from core.counts import counts_invalidate
from qa.models import Answer, Comment, Question, Tag

from .models import Flag
from .services import posts_delete, user_ban

User = get_user_model()

admin.site.site_header = "AskMe moderation"
admin.site.site_title = "AskMe moderation"
admin.site.index_title = "Moderation"


def is_moderator(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff


class ModeratedAdmin(admin.ModelAdmin):
    """Read-only for every staff member, plus the soft delete/undelete actions."""

    show_full_result_count = False
    list_per_page = 50
    actions = ["soft_delete", "undelete"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # edits go through the site's edit pages (revisions, rendering)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # soft delete only: a hard delete would skip counts and live pages

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected (hide; can be undone)", permissions=["moderate"])
    def soft_delete(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = posts_delete(posts=queryset, by=request.user)
        self.message_user(request, f"Deleted {count}.", messages.SUCCESS)

    @admin.action(description="Undelete selected", permissions=["moderate"])
    def undelete(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = posts_delete(posts=queryset, by=request.user, deleted=False)
        self.message_user(request, f"Restored {count}.", messages.SUCCESS)

    @admin.display(boolean=True, description="deleted", ordering="deleted_at")
    def is_deleted(self, obj) -> bool:
        return obj.deleted_at is not None

    @admin.display(description="author", ordering="author__username")
    def author_link(self, obj):
        url = reverse("admin:auth_user_change", args=[obj.author_id])
        return format_html('<a href="{}">{}</a>', url, obj.author.username)


class DeletedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("visible", "Visible"), ("deleted", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "visible":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(Question)
class QuestionAdmin(ModeratedAdmin):
    list_display = ["id", "title", "author_link", "created_at", "rating", "answers_count"]
    list_display += ["is_deleted"]
    list_filter = [DeletedFilter, "created_at"]
    search_fields = ["title", "=author__username"]
    raw_id_fields = ["author"]
    date_hierarchy = None
    fields = ["title", "author", "text", "created_at", "edited_at", "rating", "answers_count"]
    fields += ["deleted_at", "deleted_by"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Question.all_objects.select_related("author")


@admin.register(Answer)
class AnswerAdmin(ModeratedAdmin):
    list_display = ["id", "excerpt", "question_link", "author_link", "created_at", "rating"]
    list_display += ["is_correct", "is_deleted"]
    list_filter = [DeletedFilter, "is_correct", "created_at"]
    search_fields = ["=author__username", "=question__id"]
    fields = ["question", "author", "text", "created_at", "edited_at", "rating", "is_correct"]
    fields += ["deleted_at", "deleted_by"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Answer.all_objects.select_related("author", "question")

    @admin.display(description="text")
    def excerpt(self, obj: Answer) -> str:
        return obj.text[:80]

    @admin.display(description="question")
    def question_link(self, obj: Answer):
        url = reverse("admin:qa_question_change", args=[obj.question_id])
        return format_html('<a href="{}">{}</a>', url, obj.question.title[:60])


@admin.register(Comment)
class CommentAdmin(ModeratedAdmin):
    list_display = ["id", "text", "question_id", "answer_id", "author_link", "created_at"]
    list_display += ["is_deleted"]
    list_filter = [DeletedFilter, "created_at"]
    search_fields = ["text", "=author__username"]
    fields = ["question", "answer", "author", "text", "created_at", "deleted_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Comment.objects.select_related("author")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Staff may rename a tag (the name is validated as on the site); never delete one."""

    list_display = ["name"]
    search_fields = ["name"]
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Tag, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        counts_invalidate()  # /tags/ shows the new name at once (community.queries.tag_stats)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """Staff may clear a rude display name or avatar."""

    list_display = ["user", "display_name", "deleted_at"]
    list_select_related = ["user"]
    search_fields = ["=user__username", "display_name"]
    list_filter = [("deleted_at", admin.EmptyFieldListFilter)]
    fields = ["user", "display_name", "avatar", "deleted_at"]
    readonly_fields = ["user", "deleted_at"]
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


admin.site.unregister(User)


@admin.register(User)
class MemberAdmin(UserAdmin):
    """Django's user admin for superusers; for every moderator a read-only list and the ban."""

    list_display = ["username", "email", "date_joined", "last_login", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["username", "email"]
    show_full_result_count = False
    actions = ["ban", "reactivate"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # members delete themselves (their posts stay); spammers are banned

    @admin.action(
        description="Deactivate (spammer) and hide all their posts", permissions=["moderate"]
    )
    def ban(self, request: HttpRequest, queryset: QuerySet) -> None:
        skipped = queryset.filter(is_staff=True).count()
        totals = {"questions": 0, "answers": 0, "comments": 0}
        members = 0
        for member in queryset.filter(is_staff=False):
            for kind, count in user_ban(user=member, by=request.user).items():
                totals[kind] += count
            members += 1
        hidden = ", ".join(f"{count} {kind}" for kind, count in totals.items())
        self.message_user(request, f"Deactivated {members}; hidden {hidden}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} staff member(s): ban them as a superuser after "
                "removing their staff status.",
                messages.WARNING,
            )

    @admin.action(description="Reactivate", permissions=["moderate"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(is_active=False, profile__deleted_at__isnull=True).update(
            is_active=True
        )
        self.message_user(
            request,
            f"Reactivated {count} (deleted accounts stay closed). Their hidden posts can be "
            "restored from the questions and answers lists (search by exact username).",
            messages.SUCCESS,
        )


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    """The record of flags (the queue itself is /moderation/flags/)."""

    list_display = ["id", "reason", "question_id", "answer_id", "reporter", "created_at"]
    list_display += ["outcome", "handled_by", "handled_at"]
    list_filter = ["reason", "outcome", ("handled_at", admin.EmptyFieldListFilter)]
    search_fields = ["=reporter__username"]
    list_select_related = ["reporter", "handled_by"]
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
