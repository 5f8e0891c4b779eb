"""Option values without pydantic, where the shell already gave the value the command takes.

Typer (0.2x) checks every parameter of the command it runs with a pydantic ``TypeAdapter`` built on
first use, and importing pydantic for that is about a third of the start-up of `customers search`
or `customers show` (neither needs pydantic otherwise). For the values our commands take, what
Typer's adapter would do is known: a text option given as text is returned as it is, a flag given
as ``True``/``False`` too, a list of texts becomes a list, a plain decimal number inside the
option's bounds becomes that ``int``. Exactly those cases are answered here; anything else (a
value to convert or refuse, a number out of bounds, a path, a choice, a type of another Typer
version) goes to Typer's own adapter, which says what is wrong as it always did.

:func:`install` is called once when the command line tool loads; with a Typer that works otherwise
(no ``typer.core.build_runtime_param``) it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def install() -> None:
    try:
        from typer import core
        from typer._coercion import RuntimeParam
    except ImportError:  # a Typer that does not coerce through pydantic
        return
    typers_own = getattr(core, "build_runtime_param", None)
    if typers_own is None or getattr(typers_own, "plain_values", False):
        return

    @dataclass(frozen=True)
    class PlainValue(RuntimeParam):
        kind: type
        many: bool
        descriptor: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            # Typer's own ``coerce`` (inherited) answered None and a text given to a list already
            if self.many:
                if isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
                    return list(value)
            elif self.kind is int:
                number = _plain_int(value)
                info = self.parameter_info
                if number is not None and (info.min is None or number >= info.min) \
                        and (info.max is None or number <= info.max):
                    return number
            elif type(value) is self.kind:
                return value
            return self._typers()._coerce_value(value, param=param, ctx=ctx)

        def _typers(self) -> Any:
            own = self.__dict__.get("_own")
            if own is None:
                own = typers_own(self.descriptor)
                object.__setattr__(self, "_own", own)
            return own

    def build_runtime_param(descriptor: Any) -> Any:
        annotation, info = descriptor.annotation, descriptor.parameter_info
        many = annotation == list[str]
        kind = str if many else annotation
        if (kind in (str, bool, int) and descriptor.file_annotation is None and info.parser is None
                and not (kind is int and info.clamp)):
            return PlainValue(parameter_info=info, annotation=annotation, kind=kind, many=many,
                              descriptor=descriptor)
        return typers_own(descriptor)

    build_runtime_param.plain_values = True  # type: ignore[attr-defined]
    build_runtime_param.typers_own = typers_own  # type: ignore[attr-defined]
    core.build_runtime_param = build_runtime_param


def _plain_int(value: Any) -> int | None:
    """``value`` as the int it plainly is (an int, or ASCII digits), else None."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None
