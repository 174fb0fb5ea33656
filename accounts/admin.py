from django.contrib import admin

from accounts.models import EmailAddress


@admin.register(EmailAddress)
class EmailAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "user", "verified_at", "last_requested_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "user__username"]
    raw_id_fields = ["user"]
    # Verification is evidence (one-click subscribing relies on it): shown, never edited.
    readonly_fields = ["email", "verified_at", "created_at", "last_requested_at"]
