"""Thread-local scopes: name scopes (variable paths) and stateless scopes (pure calls)."""

from __future__ import annotations

import threading
from typing import Any

_state = threading.local()


def _stack(name: str) -> list:
    stack = getattr(_state, name, None)
    if stack is None:
        stack = []
        setattr(_state, name, stack)
    return stack


class name_scope:
    """Push ``name`` onto the path under which variables are created.

    Args:
        name: One path component; a string without ``/``.
        caller: The object opening the scope. Re-entering a scope of the same
            caller and name does not push a second component.
        deduplicate: Whether to skip pushing when the innermost scope has the
            same caller and name.
        override_parent: A path that replaces everything above this scope.

    >>> with name_scope("outer"), name_scope("inner"):
    ...     current_path()
    'outer/inner'
    """

    def __init__(
        self,
        name: str,
        caller: Any = None,
        deduplicate: bool = True,
        override_parent: str | None = None,
    ) -> None:
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        if override_parent is None and caller is not None:
            override_parent = getattr(caller, "_parent_path", None)
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self) -> name_scope:
        stack = _stack("names")
        if self.deduplicate and stack and self.caller is not None:
            top = stack[-1]
            if top.caller is self.caller and top.name == self.name:
                return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pushed:
            stack = _stack("names")
            stack.pop()
            self._pushed = False


def current_path() -> str:
    """The ``/``-joined path of the active name scopes (``""`` when none)."""
    parts: list[str] = []
    for scope in _stack("names"):
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)


class StatelessScope:
    """Read variables from a mapping and record assignments instead of applying them.

    Inside the scope, ``variable.value`` returns the mapped value and
    ``variable.assign(x)`` records ``x``; nothing touches the real variables.
    This is what makes a layer's call a pure function under ``jax.jit``.

    Args:
        state_mapping: Pairs ``(variable, value)``.
        collect_losses: Whether ``add_loss`` calls inside the scope are collected
            in ``scope.losses`` (instead of being stored on layers).

    >>> import heft
    >>> v = heft.Variable(1.0)
    >>> with StatelessScope([(v, 5.0)]) as scope:
    ...     _ = v.assign(v.value + 1.0)
    >>> float(v.numpy()), float(scope.get_current_value(v))
    (1.0, 6.0)
    """

    def __init__(self, state_mapping: Any = None, collect_losses: bool = False) -> None:
        from ._variable import Variable

        self._values: dict[int, Any] = {}
        self._variables: dict[int, Any] = {}
        for variable, value in state_mapping or ():
            if not isinstance(variable, Variable):
                raise ValueError(
                    "Invalid reference variable in StatelessScope: every key of "
                    f"`state_mapping` must be a heft Variable. Received: {variable!r}"
                )
            self._values[id(variable)] = variable._convert(value, check_shape=True)
            self._variables[id(variable)] = variable
        self.collect_losses = collect_losses
        self.losses: list[Any] = []
        self._updated: dict[int, Any] = {}

    def __enter__(self) -> StatelessScope:
        _stack("stateless").append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _stack("stateless").remove(self)

    def add_update(self, variable: Any, value: Any) -> None:
        """Record that ``variable`` now holds ``value`` inside this scope."""
        self._values[id(variable)] = value
        self._variables[id(variable)] = variable
        self._updated[id(variable)] = variable

    def get_current_value(self, variable: Any) -> Any:
        """The value ``variable`` has in this scope, or ``None`` if unmapped."""
        return self._values.get(id(variable))

    def has(self, variable: Any) -> bool:
        return id(variable) in self._values

    @property
    def updated_variables(self) -> list[Any]:
        """Variables assigned inside the scope, in order of first assignment."""
        return list(self._updated.values())

    def add_loss(self, loss: Any) -> None:
        self.losses.append(loss)


def stateless_scope() -> StatelessScope | None:
    """The innermost active ``StatelessScope``, or ``None``."""
    stack = _stack("stateless")
    return stack[-1] if stack else None


def in_stateless_scope() -> bool:
    return bool(_stack("stateless"))


class AutocastScope:
    """Within it, float variables created with ``autocast=True`` read as ``dtype``.

    Args:
        dtype: A float dtype name, or ``None`` to disable casting.
    """

    def __init__(self, dtype: Any) -> None:
        from ._dtypes import is_float_dtype, standardize_dtype

        if dtype is not None:
            dtype = standardize_dtype(dtype)
            if not is_float_dtype(dtype):
                raise ValueError(
                    "`AutocastScope` can only be used with a floating-point target dtype, "
                    f"such as 'float16'. Received: dtype={dtype}"
                )
        self.dtype = dtype

    def __enter__(self) -> AutocastScope:
        _stack("autocast").append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _stack("autocast").remove(self)


def autocast_scope() -> AutocastScope | None:
    stack = _stack("autocast")
    return stack[-1] if stack else None
