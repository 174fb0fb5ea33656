from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.receivers import anonymous_work_claim

        user_logged_in.connect(anonymous_work_claim, dispatch_uid="accounts.anonymous_work_claim")
