from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Authoring studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, pre_delete

        # The header's studio link is cached per account: joining or leaving a group changes it.
        m2m_changed.connect(_groups_changed, sender=get_user_model().groups.through, dispatch_uid="studio.groups")
        pre_delete.connect(_group_deleted, sender=Group, dispatch_uid="studio.group-deleted")


def _groups_changed(*, instance: object, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: object) -> None:
    from accounts.accountcache import account_changed

    if not action.startswith("post_") and action != "pre_clear":
        return
    if not reverse:  # user.groups.add(...): one user
        account_changed(instance.pk)  # type: ignore[attr-defined]
    elif action == "pre_clear":  # group.user_set.clear(): everyone in it, read before they go
        account_changed(*instance.user_set.values_list("pk", flat=True))  # type: ignore[attr-defined]
    else:  # group.user_set.add(...): the users named
        account_changed(*(pk_set or ()))


def _group_deleted(*, instance: object, **kwargs: object) -> None:
    from accounts.accountcache import account_changed

    account_changed(*instance.user_set.values_list("pk", flat=True))  # type: ignore[attr-defined]
