from django.urls import path

from sandbox import views

urlpatterns = [
    path("playground/", views.playground, name="playground"),
    path("playground/runs/<uuid:run_id>/", views.playground_run, name="playground_run"),
]
