from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from quizzes.models import Attempt, PracticeTest, PracticeTestQuestion, Status
from quizzes.services import practice_test_publish


class PracticeTestQuestionInline(admin.TabularInline):
    model = PracticeTestQuestion
    extra = 0
    raw_id_fields = ["question"]
    ordering = ["order"]


@admin.register(PracticeTest)
class PracticeTestAdmin(admin.ModelAdmin):
    list_display = ["title", "track", "status", "time_limit_minutes", "feedback", "published_at"]
    inlines = [PracticeTestQuestionInline]
    list_filter = ["status", "track"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    # Publishing announces the test to subscribers, so it happens only through the action below.
    readonly_fields = ["status", "published_at"]
    actions = ["publish"]

    @admin.action(description="Publish (and email subscribers)")
    def publish(self, request: HttpRequest, queryset: QuerySet[PracticeTest]) -> None:
        published = [
            test.title for test in queryset.filter(status=Status.DRAFT) if practice_test_publish(practice_test=test)
        ]
        if published:
            self.message_user(request, f"Published and announcing: {', '.join(published)}.", messages.SUCCESS)
        skipped = queryset.count() - len(published)
        if skipped:
            self.message_user(request, f"{skipped} already published; not announced again.", messages.WARNING)


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Read-only: attempts are the learners' record; the server alone opens and closes them."""

    list_display = ["practice_test", "user", "status", "started_at", "deadline", "score_percent", "passed"]
    list_filter = ["status", "practice_test"]
    list_select_related = ["practice_test", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Attempt | None = None) -> bool:
        return False
