"""Retry schedule and outgoing-address rules for deliveries. Pure; no I/O."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """After the n-th failed attempt (n = 1, 2, …) the next waits ``base × 2^(n-1)``, at most
    ``cap``; after ``max_attempts`` failures the delivery is dead."""

    max_attempts: int = 6
    base: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=6)

    def delay_after(self, attempts: int) -> timedelta:
        if attempts < 1:
            return timedelta(0)
        delay: timedelta = self.base * (2 ** min(attempts - 1, 30))
        return min(delay, self.cap)

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failures, or ``None`` when it is dead."""
        if attempts >= self.max_attempts:
            return None
        return now + self.delay_after(attempts)


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``127.0.0.1``, ``10.0.0.0/8``, ``::1`` … as networks; raises ``ValueError`` on junk."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def is_public(address: Address) -> bool:
    return address.is_global and not address.is_multicast


def refused_addresses(addresses: Sequence[Address], allowed: Sequence[Network]) -> list[Address]:
    """The addresses a webhook may not reach: anything not globally routable (private, loopback,
    link-local — cloud metadata lives at 169.254.169.254 —, reserved), unless allow-listed."""
    refused: list[Address] = []
    for address in addresses:
        if is_public(address):
            continue
        if any(address.version == network.version and address in network for network in allowed):
            continue
        refused.append(address)
    return refused
