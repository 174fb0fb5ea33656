from django.urls import path

from studio import views

app_name = "studio"

urlpatterns = [
    path("", views.home, name="home"),
    path("questions/", views.questions, name="questions"),
    path("questions/new/", views.question_new, name="question_new"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
    path("questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/verify/", views.question_verify, name="question_verify"),
    path("questions/<int:pk>/publish/", views.question_publish, name="question_publish"),
    path("questions/<int:pk>/unpublish/", views.question_unpublish, name="question_unpublish"),
    path("questions/<int:pk>/history/", views.question_history, name="question_history"),
    path("questions/<int:pk>/versions/<int:number>/restore/", views.question_restore, name="question_restore"),
    path("verifications/<int:pk>/", views.verification, name="verification"),
    path("preview/", views.preview, name="preview"),
    path("lessons/", views.lessons, name="lessons"),
    path("lessons/<int:pk>/", views.lesson_edit, name="lesson"),
    path("tests/", views.practice_tests, name="practice_tests"),
    path("tests/new/", views.practice_test_new, name="practice_test_new"),
    path("tests/<int:pk>/", views.practice_test_detail, name="practice_test"),
    path("tests/<int:pk>/publish/", views.practice_test_publish, name="practice_test_publish"),
    path("tests/<int:pk>/settings/", views.practice_test_settings, name="practice_test_settings"),
    path("tests/<int:pk>/questions/", views.practice_test_items, name="practice_test_items"),
    path("tests/<int:pk>/preview/", views.practice_test_preview, name="practice_test_preview"),
    path("import/", views.import_bank, name="import"),
    path("export/", views.export_bank, name="export"),
    path("attention/", views.attention, name="attention"),
]
