"""What every signed-in page reads about its account, cached: the header's review badge, its
launch notices and studio link, the subscribe form's state.

Each app caches its own reads with `account_read(user, name, read)`. An account's values live
in one Redis hash with its *generation*, a random token that `account_changed(user_id)` replaces
(dropping the hash) whenever one of them may have changed; each app calls it from its writes and
receivers. Values are stored under the generation they were read in: a read that raced a write
stores what it read under the old generation, which no reader asks for again. A missing hash
(expired, evicted, Redis restarted) gets a new generation, never an old one. Values also carry
the content version, since some depend on published content (which tests the notices announce,
which review cards still count).

A page pays one cache round trip for all of it (HGETALL), and one more only to store what was
missing. When the cache is unreachable every read goes to the database, as it would without
this module. Values are for drawing pages: decisions that grant something (is this address
verified, may this user open the studio) read the database themselves.
"""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The hash's lifetime, renewed by each store: also the bound on staleness if a change could not
# reach the cache (Redis unreachable for the bump, reachable again for the reads).
VALUE_SECONDS = 300
_GENERATION = b"generation"
# Fields left by earlier content versions are dropped once a hash holds this many.
_FIELDS_MAX = 32
_MEMO = "_account_reads"
# Bumped by every account_changed in this process: a request's memo taken before a write of its
# own is not used after it.
_changes = 0


def _client() -> Any:
    return cache.redis()  # type: ignore[attr-defined]


def _hash_key(user_id: int) -> str:
    return cache.make_key(f"account:{user_id}")


def _memo(user: AbstractBaseUser) -> dict[str, Any]:
    """This request's reads (request.user is one object per request), fetched on first use."""
    from quizzes.pagecache import content_version

    memo = user.__dict__.get(_MEMO)
    if memo is not None and memo["changes"] == _changes:
        return memo
    memo = {"changes": _changes, "prefix": None, "values": {}, "stale": []}
    user.__dict__[_MEMO] = memo
    version = content_version()
    if not version:
        return memo
    key = _hash_key(user.pk)
    try:
        client = _client()
        fields = client.hgetall(key)
        generation = fields.get(_GENERATION)
        if generation is None:
            pipe = client.pipeline(transaction=True)
            pipe.hsetnx(key, _GENERATION, uuid.uuid4().hex).hget(key, _GENERATION).expire(key, VALUE_SECONDS)
            generation = pipe.execute()[1]
        prefix = generation + b":" + version.encode() + b":"
        for field, data in fields.items():
            if field.startswith(prefix):
                memo["values"][field[len(prefix) :].decode()] = pickle.loads(data)  # noqa: S301 - written below
            elif field != _GENERATION:
                memo["stale"].append(field)
        memo["prefix"] = prefix
    except Exception:
        logger.warning("account cache unavailable", exc_info=True)
    return memo


_MISSING = object()


def account_read(user: AbstractBaseUser | AnonymousUser, name: str, read: Callable[[], T]) -> T:
    """`read()` for this signed-in user, from the cache while nothing about the account changed.

    `name` names the read (say "review.due-times"); the value must be picklable and may be None.
    Anonymous visitors are read afresh each time.
    """
    if not user.is_authenticated:
        return read()
    memo = _memo(user)
    value = memo["values"].get(name, _MISSING)
    if value is not _MISSING:
        return value
    value = read()
    memo["values"][name] = value
    if memo["prefix"] is not None:
        key = _hash_key(user.pk)
        try:
            pipe = _client().pipeline(transaction=False)
            pipe.hset(key, memo["prefix"] + name.encode(), pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
            if len(memo["stale"]) > _FIELDS_MAX:
                pipe.hdel(key, *memo["stale"])
                memo["stale"] = []
            pipe.expire(key, VALUE_SECONDS)
            pipe.execute()
        except Exception:
            logger.warning("account cache unavailable", exc_info=True)
    return value


def _bump(ids: set[int]) -> None:
    if not ids:
        return
    try:
        pipe = _client().pipeline(transaction=True)
        for pk in sorted(ids):
            key = _hash_key(pk)
            pipe.delete(key).hset(key, _GENERATION, uuid.uuid4().hex).expire(key, VALUE_SECONDS)
        pipe.execute()
    except Exception:
        logger.warning("could not replace account generations %s", sorted(ids), exc_info=True)


class _AfterCommit:
    """The one after-commit replacement of a transaction (per savepoint): an answer that also
    schedules three review cards replaces its account's generation once, not four times."""

    def __init__(self) -> None:
        self.ids: set[int] = set()

    def __call__(self) -> None:
        _bump(self.ids)


def account_changed(*user_ids: int | None) -> None:
    """Something the cached reads of these accounts show may have changed: read afresh.

    The generation is replaced when the change becomes visible to other readers: at commit (at
    once outside a transaction), once per transaction however many changes it makes. A reader in
    another process that read the rows before the commit stored them under the generation this
    retires; the rest of this request reads afresh at once (`_changes`). A test case's
    transaction never commits (Django's TestCase wraps each test in one): there the change is
    visible only inside it, and the generation is replaced at once.
    """
    global _changes
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return
    _changes += 1
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _bump(ids)
        return
    if getattr(connection.atomic_blocks[0], "_from_testcase", False):
        _bump(ids)
    # Join this savepoint's pending replacement if there is one (Django drops it with the
    # savepoint if that rolls back, and clears the list at commit).
    savepoints = set(connection.savepoint_ids)
    for entry_savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _AfterCommit) and entry_savepoints == savepoints:
            callback.ids |= ids
            return
    after = _AfterCommit()
    after.ids |= ids
    transaction.on_commit(after)
