from django.urls import path

from review import views

app_name = "review"
urlpatterns = [
    path("progress/", views.progress, name="progress"),
    path("review/", views.queue, name="queue"),
    path("review/start/", views.session_start, name="start"),
    path("review/next/", views.session_next, name="next"),
    path("review/summary/", views.session_summary, name="summary"),
    path("review/reminders/", views.reminder_update, name="reminder"),
    path("review/reminders/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
