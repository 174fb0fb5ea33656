from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from quizzes.models import PracticeTest, Status
from quizzes.services import practice_test_publish


@admin.register(PracticeTest)
class PracticeTestAdmin(admin.ModelAdmin):
    list_display = ["title", "track", "status", "published_at"]
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
