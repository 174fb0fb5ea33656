from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Sandbox runs"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from accounts.signals import anonymous_work_claimed
        from sandbox.heartbeat import heartbeat_start
        from sandbox.receivers import runs_claim

        anonymous_work_claimed.connect(runs_claim, dispatch_uid="sandbox.runs_claim")
        # Every worker reports its own health (sandbox, interpreter, cores) to Redis.
        worker_ready.connect(heartbeat_start, dispatch_uid="sandbox.heartbeat_start")
