from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Launch notifications"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from notifications.models import Subscriber

        # A subscription shows on its accounts' pages (the header's notices, the subscribe form).
        post_save.connect(_subscriber_changed, sender=Subscriber, dispatch_uid="notifications.subscriber-saved")
        post_delete.connect(_subscriber_changed, sender=Subscriber, dispatch_uid="notifications.subscriber-deleted")


def _subscriber_changed(*, instance: object, **kwargs: object) -> None:
    from accounts.accountcache import account_changed
    from notifications.selectors import subscriber_accounts

    account_changed(*subscriber_accounts(instance))  # type: ignore[arg-type]
