from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Progress and spaced review"

    def ready(self) -> None:
        # Review scheduling follows every settled verdict; cards move with anonymous work at log-in.
        from review import receivers  # noqa: F401
