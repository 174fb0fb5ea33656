from django.contrib import admin

from notifications.models import Delivery, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "track", "consent_source", "created_at", "confirmed_at"]
    list_filter = ["status", "track", "consent_source", "consent_version"]
    search_fields = ["email"]
    # Consent is evidence: shown, never edited.
    readonly_fields = [
        "key",
        "created_at",
        "last_requested_at",
        "confirmed_at",
        "unsubscribed_at",
        "consent_at",
        "consent_version",
        "consent_text",
        "consent_source",
    ]
    raw_id_fields = ["user"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["practice_test", "subscriber", "status", "attempts", "sent_at", "reason"]
    list_filter = ["status", "practice_test"]
    search_fields = ["subscriber__email"]
    list_select_related = ["practice_test", "subscriber"]
    raw_id_fields = ["subscriber", "practice_test"]
    readonly_fields = ["claim", "claimed_at", "sent_at", "created_at"]
