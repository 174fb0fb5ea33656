from django.contrib import admin

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

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
