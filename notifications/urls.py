from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("notify/", views.subscribe, name="subscribe"),
    path("notify/me/", views.subscribe_account, name="subscribe_account"),
    path("notify/me/unsubscribe/", views.unsubscribe_account, name="unsubscribe_account"),
    path("notify/confirm/<str:token>/", views.confirm, name="confirm"),
    path("notify/notices/dismiss/", views.notices_dismiss, name="notices_dismiss"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
