from django.urls import path

from sandbox import views

urlpatterns = [
    path("playground/", views.playground, name="playground"),
    path("playground/runs/<uuid:run_id>/", views.playground_run, name="playground_run"),
    path(
        "playground/runs/<uuid:run_id>/share/",
        views.playground_run_share,
        name="playground_run_share",
    ),
    path("playground/shared/<str:token>/", views.playground_shared, name="playground_shared"),
]
