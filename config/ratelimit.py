"""Fixed-window rate limits in the cache (Redis), so every web process shares one count.

Used by the subscribe forms, log-in and the playground."""

import hashlib

from django.core.cache import cache


def rate_limit_key(scope: str, ident: str) -> str:
    # Hashed so the cache holds no raw addresses or IPs; the key expires with the window.
    return f"rate:{scope}:{hashlib.sha256(ident.encode()).hexdigest()[:32]}"


def rate_limit_reached(*, scope: str, ident: str, limit: int) -> bool:
    """True when `limit` attempts are already counted in the current window; counts nothing."""
    return (cache.get(rate_limit_key(scope, ident)) or 0) >= limit


def rate_limit_allows(*, scope: str, ident: str, limit: int, window: int) -> bool:
    """Count one attempt; False once `limit` attempts were made within the window."""
    key = rate_limit_key(scope, ident)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit
