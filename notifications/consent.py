"""The consent a subscriber gives, kept in code with a version id so every row can say what was shown.

Never edit a text in place: add a new version and point CURRENT at it. Rows keep the id and the
exact text they agreed to.
"""

CONSENT_TEXTS = {
    "launch-2026-11": (
        "Email me when a new Lockstep practice test launches in the track I chose (or any track). "
        "One email per launch, nothing else; every email has a one-click unsubscribe link."
    ),
}
CURRENT_CONSENT_VERSION = "launch-2026-11"


def current_consent() -> tuple[str, str]:
    return CURRENT_CONSENT_VERSION, CONSENT_TEXTS[CURRENT_CONSENT_VERSION]
