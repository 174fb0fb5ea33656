"""`manage.py importbank FILE [--format moodle|gift|yaml] [--lesson SLUG --section ANCHOR] [--dry-run]`.

All or nothing; prints what was (or would be) created, changed and skipped, and on a bad file
the file, line and reason (exit status 1).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quizzes.content import ContentError
from quizzes.models import Lesson
from studio.services import FORMATS, bank_import, format_guess


class Command(BaseCommand):
    help = "Import a question bank (Lockstep YAML, Moodle XML or GIFT), previewing with --dry-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--format", choices=FORMATS)
        parser.add_argument("--lesson", help="Moodle and GIFT: the lesson the questions go to")
        parser.add_argument("--section", default="", help="Moodle and GIFT: the section anchor (default: the first)")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot read it as UTF-8 text ({error.__class__.__name__})") from None
        fmt = str(options["format"] or format_guess(path.name))
        lesson = None
        section = str(options["section"])
        if fmt != "yaml":
            if not options["lesson"]:
                raise CommandError("--lesson is needed for Moodle and GIFT files")
            lesson = Lesson.objects.filter(slug=options["lesson"]).first()
            if lesson is None:
                raise CommandError(f"no lesson {options['lesson']!r}")
            section = section or (lesson.headings[0]["anchor"] if lesson.headings else "")
        try:
            result = bank_import(
                fmt=fmt,
                name=str(path),
                text=text,
                user=None,
                lesson=lesson,
                section=section,
                apply=not options["dry_run"],
            )
        except ContentError as error:
            raise CommandError(str(error)) from None
        verb = "would be" if options["dry_run"] else "were"
        for label in result.created:
            self.stdout.write(f"create  {label}")
        for label in result.updated:
            self.stdout.write(f"change  {label}")
        for skipped in result.skipped:
            self.stdout.write(f"skip    {skipped}")
        for warning in result.warnings:
            self.stdout.write(f"warning {warning}")
        self.stdout.write(
            f"{len(result.created)} {verb} created, {len(result.updated)} changed, {result.unchanged} unchanged, "
            f"{len(result.skipped)} skipped."
        )
