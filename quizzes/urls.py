from django.urls import path

from quizzes import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tests/<slug:slug>/", views.practice_test, name="practice_test"),
    path("<slug:track_slug>/<slug:lesson_slug>/", views.lesson, name="lesson"),
]
