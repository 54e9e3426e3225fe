"""Bearer tokens resolved in the last few seconds, so a busy client's requests skip the token
query and the worker-thread hop it needs (the order credit check's hot path, issue 5).

The price is that a revoked token, a disabled user or a changed role takes effect on an API
request up to ``FENGKONG_API_TOKEN_CACHE_SECONDS`` later (default 5; 0 turns the cache off) —
in every process, whichever process made the change. A token's own expiry is never extended.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fengkong.auth.actor import Actor
from fengkong.auth.service import TokenGrant
from fengkong.auth.tokens import token_digest
from fengkong.kit.time import utcnow

MAX_TOKENS = 4096
"""Far more tokens than a deployment's clients hold; the oldest is forgotten beyond it."""


@dataclass(frozen=True, slots=True)
class _Entry:
    actor: Actor
    fresh_until: float
    expires_at: datetime | None


class RecentTokens:
    """Token digest → actor, each for ``seconds`` after it was read from the database. Keyed by
    the digest the database stores, so the process keeps no usable token in this map."""

    def __init__(
        self,
        seconds: float,
        *,
        max_tokens: int = MAX_TOKENS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.max_tokens = max_tokens
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def actor_of(self, token: str) -> Actor | None:
        """The cached actor, or ``None`` when the token must be read (unknown here, stale, or
        past its expiry)."""
        entry = self._entries.get(token_digest(token))
        if entry is None or self._clock() >= entry.fresh_until:
            return None
        if entry.expires_at is not None and entry.expires_at <= utcnow():
            return None
        return entry.actor

    def remember(self, token: str, grant: TokenGrant) -> None:
        if self.seconds <= 0:
            return
        entry = _Entry(grant.actor, self._clock() + self.seconds, grant.expires_at)
        key = token_digest(token)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_tokens:
                self._entries.popitem(last=False)
