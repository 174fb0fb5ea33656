from django.urls import path

from quizzes import attempt_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("tests/<slug:slug>/", attempt_views.practice_test, name="practice_test"),
    path("tests/<slug:slug>/start/", attempt_views.attempt_start, name="attempt_start"),
    path("attempts/<uuid:pk>/", attempt_views.attempt, name="attempt"),
    path("attempts/<uuid:pk>/q/<int:position>/", attempt_views.attempt_question, name="attempt_question"),
    path("attempts/<uuid:pk>/q/<int:position>/flag/", attempt_views.attempt_flag, name="attempt_flag"),
    path("attempts/<uuid:pk>/finish/", attempt_views.attempt_finish, name="attempt_finish"),
    path("attempts/<uuid:pk>/results/", attempt_views.attempt_results, name="attempt_results"),
    path("practice/<slug:track_slug>/<slug:lesson_slug>/", views.practice, name="practice"),
    path("questions/<slug:slug>/", views.question, name="question"),
    path("answers/<int:pk>/", views.answer, name="answer"),
    path("answers/<int:pk>/remeasure/", views.answer_remeasure, name="answer_remeasure"),
    path("<slug:track_slug>/<slug:lesson_slug>/", views.lesson, name="lesson"),
]
