"""Every colour in the code-highlighting stylesheet is readable on its background (WCAG AA, 4.5:1)."""

import re
from pathlib import Path

from scripts.pygments_css import contrast

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "pygments.css"


def test_every_token_colour_has_aa_contrast_in_light_and_dark():
    light, dark = CSS.read_text().split("@media (prefers-color-scheme: dark)")
    for block in (light, dark):
        background = re.search(r"^\.highlight \{ background: (#[0-9a-f]{6})", block, re.M)[1]
        rules = [line for line in block.splitlines() if line.startswith(".highlight")]
        assert len(rules) > 50
        for rule in rules:
            own = re.search(r"background-color: (#[0-9a-fA-F]{3,6})", rule)
            for colour in re.findall(r"(?<![-\w])color: (#[0-9a-fA-F]{3,6})", rule):
                assert contrast(colour, own[1] if own else background) >= 4.5, rule
