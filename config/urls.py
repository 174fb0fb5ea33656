from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("studio/", include("studio.urls")),
    path("", include("sandbox.urls")),
    path("", include("notifications.urls")),
    path("", include("review.urls")),
    path("", include("quizzes.urls")),
]

# The site's own error pages (shown when DEBUG=0; `make run` has DEBUG on and shows Django's).
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
