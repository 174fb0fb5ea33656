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
    path("", include("quizzes.urls")),
]
