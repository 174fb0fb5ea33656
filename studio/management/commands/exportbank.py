"""`manage.py exportbank (--lesson SLUG | --tag TAG | --track SLUG --out DIR) [--format yaml|moodle|gift]`.

`--track` writes the track as content files (track.yaml, lessons, banks) under DIR, which
`loadcontent DIR` loads without changing anything. Otherwise the file goes to stdout or --out.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quizzes.models import Track
from studio.exporting import EXPORT_FORMATS, bank_export
from studio.formats.native import track_export


class Command(BaseCommand):
    help = "Export a lesson's or a tag's questions (YAML, Moodle XML, GIFT) or a whole track as content files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lesson", default="")
        parser.add_argument("--tag", default="")
        parser.add_argument("--track", default="")
        parser.add_argument("--format", choices=list(EXPORT_FORMATS), default="yaml")
        parser.add_argument("--out", help="a file (or, with --track, a folder)")

    def handle(self, *args: object, **options: object) -> None:
        if options["track"]:
            track = Track.objects.filter(slug=options["track"]).first()
            if track is None:
                raise CommandError(f"no track {options['track']!r}")
            if not options["out"]:
                raise CommandError("--track needs --out DIR")
            for path in track_export(track=track, root=Path(str(options["out"]))):
                self.stdout.write(str(path))
            return
        try:
            name, _type, text = bank_export(
                fmt=str(options["format"]), lesson_slug=str(options["lesson"]), tag=str(options["tag"])
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["out"]:
            Path(str(options["out"])).write_text(text, "utf-8")
            self.stdout.write(f"wrote {options['out']} ({name})")
        else:
            self.stdout.write(text, ending="")
