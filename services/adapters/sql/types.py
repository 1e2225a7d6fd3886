"""Column types that behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

__all__ = ["UtcDateTime", "codepoint_order"]


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored in UTC.

    SQLite has no timezone type and would hand back naive values; normalising to
    UTC on the way in and tagging UTC on the way out makes both backends return
    the same instant, which the hash chain depends on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class codepoint_order(ColumnElement[Any]):  # noqa: N801 - used like SQLAlchemy's own func.x
    """A text column compared by code point, as Python compares ``str``, on every backend.

    A database's default collation is not: PostgreSQL created with ``en_US.UTF-8`` (as
    the official image is) sorts ``pt-B`` before ``PT-C`` and ``pt-10`` after ``pt1`` by
    rules of its own. What an export writes in text order (``heads.jsonl``, which the
    offline verifier requires in code point order, and the streams) must not depend on
    how the server was installed. ``COLLATE "C"`` on PostgreSQL compares UTF-8 bytes,
    which is code point order; SQLite's default (BINARY) already does.
    """

    inherit_cache = True
    _traverse_internals = [("element", InternalTraversal.dp_clauseelement)]  # noqa: RUF012 - as SQLAlchemy declares it

    def __init__(self, element: ColumnElement[Any]) -> None:
        self.element = element
        self.type = element.type

    @property
    def _from_objects(self) -> Any:
        # The tables the column comes from, so a SELECT of it alone still has its FROM.
        return self.element._from_objects


@compiles(codepoint_order)
def _as_is(element: codepoint_order, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.element, **kw)


@compiles(codepoint_order, "postgresql")
def _collate_c(element: codepoint_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.element, **kw)} COLLATE "C"'
