"""Sessions signed in before accounts.backends name Django's ModelBackend: name the new one.

Django only accepts a session whose backend is in AUTHENTICATION_BACKENDS, so without this every
signed-in learner would be signed out by the deploy. Keeping ModelBackend listed as well would
check a wrong password twice (each backend hashes it). Live sessions only; the reverse puts the
old name back, so a rollback signs nobody out either.
"""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations
from django.utils import timezone

DJANGO = "django.contrib.auth.backends.ModelBackend"
ACCOUNTS = "accounts.backends.AccountBackend"


def rename(apps, schema_editor, old: str, new: str) -> None:
    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    live = Session.objects.using(schema_editor.connection.alias).filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=2000):
        data = store.decode(session.session_data)
        if data.get(BACKEND_SESSION_KEY) == old:
            data[BACKEND_SESSION_KEY] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def forwards(apps, schema_editor) -> None:
    rename(apps, schema_editor, DJANGO, ACCOUNTS)


def backwards(apps, schema_editor) -> None:
    rename(apps, schema_editor, ACCOUNTS, DJANGO)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_email_address"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
