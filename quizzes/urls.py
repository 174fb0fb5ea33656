from django.urls import path

from quizzes import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tests/<slug:slug>/", views.practice_test, name="practice_test"),
    path("practice/<slug:track_slug>/<slug:lesson_slug>/", views.practice, name="practice"),
    path("questions/<slug:slug>/", views.question, name="question"),
    path("answers/<int:pk>/", views.answer, name="answer"),
    path("answers/<int:pk>/remeasure/", views.answer_remeasure, name="answer_remeasure"),
    path("<slug:track_slug>/<slug:lesson_slug>/", views.lesson, name="lesson"),
]
