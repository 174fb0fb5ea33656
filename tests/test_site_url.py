"""Emailed links follow the port `make run` serves on (PORT), unless SITE_URL says otherwise."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Builds the real verification email for an unsaved user and prints its link.
EMAIL_LINK = """
import django, re
django.setup()
from django.contrib.auth.models import User
from accounts.emails import verification_message
message = verification_message(User(pk=1, username="a@example.com", email="a@example.com"))
print(re.search(r"https?://[^/]+/", message.body)[0])
"""


def emailed_origin(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", EMAIL_LINK], cwd=ROOT, env=environ, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_links_use_the_port_make_run_serves_on():
    assert emailed_origin(PORT="8765") == "http://127.0.0.1:8765/"


def test_without_a_port_links_use_8000():
    assert emailed_origin() == "http://127.0.0.1:8000/"


def test_an_explicit_site_url_wins():
    assert emailed_origin(PORT="8765", SITE_URL="https://lockstep.example") == "https://lockstep.example/"


def test_run_sh_exports_the_port_to_the_server_and_the_workers():
    # The workers send the emails: they must see PORT too, not only runserver's argument.
    script = (ROOT / "scripts/run.sh").read_text()
    assert 'export PORT="${PORT:-8000}"' in script
