"""`manage.py loadcontent [PATH]`: upsert tracks, lessons and question banks from files."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from quizzes.content import ContentError, content_load


class Command(BaseCommand):
    help = "Load tracks, lessons and question banks from a content folder (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(settings.CONTENT_DIR))

    def handle(self, *args: object, path: str, **options: int) -> None:
        try:
            summary = content_load(root=Path(path))
        except ContentError as error:
            raise CommandError(f"{error}\nNothing was changed.") from None
        if options["verbosity"] >= 2:
            for label in summary.created:
                self.stdout.write(f"created {label}")
        for label in summary.updated:
            self.stdout.write(f"updated {label}")
        for label in summary.orphans:
            self.stdout.write(self.style.WARNING(f"kept {label}: no file mentions it any more"))
        if summary.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {path}: {len(summary.created)} created, {len(summary.updated)} updated, "
                    f"{summary.unchanged} unchanged."
                )
            )
        else:
            self.stdout.write(f"Nothing changed: {summary.unchanged} items already up to date.")
