from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Sandbox runs"

    def ready(self) -> None:
        from accounts.signals import anonymous_work_claimed
        from sandbox.receivers import runs_claim

        anonymous_work_claimed.connect(runs_claim, dispatch_uid="sandbox.runs_claim")
