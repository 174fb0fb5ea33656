from django.contrib import admin

from review.models import Card, Reminder, ReviewLog


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ["question", "user", "reason", "state", "due", "reviews"]
    list_filter = ["reason", "state"]
    raw_id_fields = ["user", "question"]


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    list_display = ["card", "rating", "reviewed_at", "due_after"]
    raw_id_fields = ["card", "answer"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["user", "enabled", "opted_in_at", "last_sent_at"]
    raw_id_fields = ["user"]
