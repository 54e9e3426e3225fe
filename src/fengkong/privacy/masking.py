"""How personal data looks to someone without ``pii:read``: enough to recognise, not to use.

One function per kind of personal data; ``mask`` picks by kind. Pure functions.
"""

from __future__ import annotations

from fengkong.privacy.fields import PersonalKind


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110***********1234`` (region prefix and last four kept)."""
    text = value.strip()
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; shorter numbers keep only their last two digits."""
    text = value.strip()
    if len(text) >= 11:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return "*" * max(len(text) - 2, 0) + text[-2:]


def mask_email(value: str) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com`` (the domain says which company)."""
    local, at, domain = value.strip().partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_name(value: str) -> str:
    """``张伟`` → ``张*`` (the family name); ``Zhang Wei`` → ``Z*** Wei`` (the given name)."""
    text = value.strip()
    if not text:
        return text
    if text.isascii():
        parts = text.split()
        if len(parts) == 1:
            return text[0] + "***"
        return " ".join([*(part[0] + "***" for part in parts[:-1]), parts[-1]])
    return text[0] + "*" * (len(text) - 1)


_MASKS = {
    PersonalKind.ID_NUMBER: mask_id_number,
    PersonalKind.PHONE: mask_phone,
    PersonalKind.EMAIL: mask_email,
    PersonalKind.NAME: mask_name,
}


def mask(kind: PersonalKind, value: str | None) -> str | None:
    return None if value is None else _MASKS[kind](value)
