"""Numbers in configs mean numbers: the base model of every spec and config section.

Pydantic's lax mode would take ``width_px: true`` as 1 and ``exposure_s: .inf`` or ``"nan"`` as floats. A
:class:`CheckedModel` refuses, field by field:

* a boolean anywhere in a field whose type has no ``bool`` in it (``int``, ``float``, ``tuple[float, ...]``);
* NaN anywhere in a field's value, after validation (so ``"nan"`` strings too);
* an infinity, except as the whole value of a field whose own default is that infinity (``focus_distance_m``
  defaults to ``inf``, meaning focused at infinity, so ``.inf`` may be written there).
"""

from __future__ import annotations

import math
import numbers
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

__all__ = ["CheckedModel"]


def _admits_bool(annotation: Any) -> bool:
    """Whether ``bool`` (or ``Any``) appears anywhere in a type annotation."""
    if annotation is bool or annotation is Any or annotation is object:
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return any(isinstance(a, bool) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True  # a nested model checks its own fields
    return any(
        _admits_bool(a) for a in typing.get_args(annotation) if not isinstance(a, (str, int, float, types.EllipsisType))
    )


def _has_bool(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def _non_finite(value: Any) -> float | None:
    """The first NaN or infinity in ``value`` (numbers, and lists, tuples, mappings and models of them)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, numbers.Real) and not isinstance(item, numbers.Integral):
            if not math.isfinite(item):
                return float(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, BaseModel):
            stack.extend(getattr(item, name) for name in type(item).model_fields)
    return None


class CheckedModel(BaseModel):
    """A pydantic model whose number fields take numbers only: no booleans, no NaN, no infinity unless the
    field's default is infinite. Specs and config sections derive from it."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_bools_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and not _admits_bool(field.annotation) and _has_bool(value):
            raise PydanticCustomError("bool_not_number", "Input should be a number, not a boolean")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _finite(cls, value: Any, info: ValidationInfo) -> Any:
        bad = _non_finite(value)
        if bad is None:
            return value
        field = cls.model_fields.get(info.field_name or "")
        default = field.default if field is not None else None
        if math.isinf(bad) and isinstance(value, float) and isinstance(default, float) and default == value:
            return value  # infinity where the field itself means it (its default)
        raise PydanticCustomError("finite_number", "Input should be a finite number")
