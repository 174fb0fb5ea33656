from django.contrib import admin
from django.http import HttpRequest

from sandbox.models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the workers, an admin only looks."""

    list_display = [
        "id",
        "status",
        "queue",
        "user",
        "attempts",
        "worker_host",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "queue"]
    search_fields = ["id", "fingerprint", "user__username"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Run | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Run | None = None) -> bool:
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Run | None = None) -> bool:
        return False
