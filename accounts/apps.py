from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from accounts.models import EmailAddress
        from accounts.receivers import account_row_changed, anonymous_work_claim

        user_logged_in.connect(anonymous_work_claim, dispatch_uid="accounts.anonymous_work_claim")
        # The account's address (verified or not) and its flags show on every signed-in page.
        for model in (get_user_model(), EmailAddress):
            post_save.connect(account_row_changed, sender=model, dispatch_uid=f"accounts.changed-{model.__name__}")
            post_delete.connect(account_row_changed, sender=model, dispatch_uid=f"accounts.deleted-{model.__name__}")
