from __future__ import annotations

from typing import ClassVar

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base


class DemoProfile(Base):
    """The behaviour a demo customer was generated from: ground truth for testing scores and rules,
    never read by the product itself."""

    __tablename__ = "demo_profiles"
    __audited__: ClassVar[bool] = False

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    profile: Mapped[str] = mapped_column(String(32))
    seed: Mapped[int] = mapped_column()
