"""Browser safety headers that Django 5.2 does not send: Content-Security-Policy and Permissions-Policy.

The policy allows scripts, styles, images and connections from this site only: no inline
script, no `eval` (htmx runs with `allowEval: false`), no plugins, no framing, forms posting
only here. Inline `style` attributes stay allowed: htmx and the editor set element styles, and
they cannot run code. (Cross-Origin-Opener-Policy comes from Django's SecurityMiddleware,
SECURE_CROSS_ORIGIN_OPENER_POLICY.)
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Features a practice site never needs; denying them means injected markup cannot ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial",
                    "magnetometer", "gyroscope", "accelerometer", "display-capture", "browsing-topics")
)  # fmt: skip


def content_security_policy() -> str:
    policy = {**CONTENT_SECURITY_POLICY}
    if settings.SECURE_SSL_REDIRECT:
        policy["upgrade-insecure-requests"] = ""
    return "; ".join(f"{directive} {value}".strip() for directive, value in policy.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
