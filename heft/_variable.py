"""``heft.Variable``: one JAX array plus the metadata Keras 3 attaches to a weight."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _abstract, _dtypes, _memory, _naming, _scope

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
# The provenance of a value set by `assign`, `set_weights` or a constructor's array.
ASSIGNED = "assigned value"
# Serial numbers: a key for "these variables" that, unlike `id()`, is never reused.
_SERIALS = itertools.count()
_SYNCHRONIZATIONS = ("none", "on_read", "on_write", "auto")


def _standardize_shape(shape: Any, path: str) -> tuple[int, ...]:
    if shape is None:
        raise ValueError("Undefined shapes are not supported.")
    if isinstance(shape, int | np.integer):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(
            f"Cannot convert '{shape}' to a shape: expected a tuple of non-negative ints "
            "such as (784, 64)."
        ) from None
    out = []
    for d in dims:
        if d is None:
            raise ValueError(
                "Shapes used to initialize variables must be fully-defined (no `None` "
                f"dimensions). Received: shape={dims} for variable path='{path}'"
            )
        if isinstance(d, bool) or not isinstance(d, int | np.integer):
            raise ValueError(
                f"Cannot convert '{dims}' to a shape. Found invalid dimension '{d}' of type "
                f"'{type(d).__name__}'. Every dimension must be a non-negative int."
            )
        if d < 0:
            raise ValueError(
                f"Cannot convert '{dims}' to a shape. Negative dimensions are not allowed."
            )
        out.append(int(d))
    return tuple(out)


def _is_tracer(x: Any) -> bool:
    return isinstance(x, jax.core.Tracer)


def _infer_dtype(value: Any) -> str:
    """The dtype Keras's JAX backend gives an array-like (x64 disabled: 64 -> 32 bit)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int32"
    if isinstance(value, float):
        return "float32"
    arr_dtype = getattr(value, "dtype", None)
    if arr_dtype is None:
        arr_dtype = np.asarray(value).dtype
    name = _dtypes.standardize_dtype(jax.dtypes.canonicalize_dtype(arr_dtype))
    return name


class Variable:
    """A mutable weight: a JAX array with a name, a path and training metadata.

    Args:
        initializer: An initializer name (``"zeros"``), an initializer callable
            ``(shape, dtype) -> array`` (then ``shape`` is required), or an
            array-like initial value.
        shape: The variable's shape; required with a callable initializer.
        dtype: The dtype. ``None`` infers it from an array-like initial value
            and uses ``floatx()`` for callables.
        trainable: Whether gradients update this variable in training.
        autocast: Whether reads inside an autocast scope cast it to the compute dtype.
        aggregation: ``"none"``, ``"mean"``, ``"sum"`` or ``"only_first_replica"``.
        synchronization: ``"none"``, ``"on_read"``, ``"on_write"`` or ``"auto"``.
        name: The name; a string without ``/``. Defaults to ``variable``,
            ``variable_1``, ...
        layout: An optional ``jax.sharding.Sharding`` the value is placed with.

    >>> v = Variable([1.0, 2.0], name="w")
    >>> v.path, v.shape, v.dtype
    ('w', (2,), 'float32')
    """

    __hash__ = None  # type: ignore[assignment]  # elementwise __eq__, as in Keras
    _tracking_kind = "variable"
    # True for a variable of an abstract build (`_abstract.run`): its value is a tracer.
    _placeholder = False

    def __init__(
        self,
        initializer: Any,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str | None = "none",
        synchronization: str | None = "auto",
        name: str | None = None,
        layout: Any = None,
    ) -> None:
        name = name if name is not None else _naming.auto_name("Variable")
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        aggregation = "none" if aggregation is None else aggregation
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `aggregation`. Expected one of `None`, `'none'`, "
                f"`'mean'`, `'sum'`, `'only_first_replica'`. Received: aggregation={aggregation}"
            )
        synchronization = "none" if synchronization is None else synchronization
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError(
                "Invalid value for argument `synchronization`. Expected one of `None`, "
                f"`'none'`, `'on_read'`, `'on_write'`, `'auto'`. "
                f"Received: synchronization={synchronization}"
            )
        parent = _scope.current_path()
        self._serial = next(_SERIALS)
        self._name = name
        self._path = f"{parent}/{name}" if parent else name
        self._trainable = bool(trainable)
        self._autocast = bool(autocast)
        self._aggregation = aggregation
        self._synchronization = synchronization
        self._regularizer = None
        self._constraint = None
        self._overwrite_with_gradient = False
        self._layout = layout
        self._provenance = ASSIGNED

        if isinstance(initializer, str):
            from . import initializers

            initializer = initializers.get(initializer)
        self._value: jax.Array
        if callable(initializer):
            if shape is None:
                raise ValueError(
                    "When creating a Variable from an initializer, the `shape` argument "
                    f"should be specified. Received: initializer={initializer} and shape={shape}"
                )
            self._shape = _standardize_shape(shape, self._path)
            self._dtype = _dtypes.standardize_dtype(dtype)
            self._jdtype = jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(self._dtype))
            mode = _abstract.current()
            if mode is not None:
                self._init_placeholder(mode)
                return
            nbytes = _memory.check_variable(
                self._path, self._shape, self._dtype, self._jdtype.itemsize
            )
            self._initialize(lambda: initializer(self._shape, dtype=self._dtype), nbytes)
            self._provenance = f"initializer {_describe_initializer(initializer)}"
            return
        value = initializer
        if isinstance(value, Variable):
            value = value.value
        self._dtype = _dtypes.standardize_dtype(dtype) if dtype is not None else _infer_dtype(value)
        self._shape = tuple(int(d) for d in np.shape(value))
        if shape is not None:
            expected = _standardize_shape(shape, self._path)
            if expected != self._shape:
                raise ValueError(
                    f"Initial value for variable '{self._path}' has shape {self._shape}, "
                    f"but `shape={expected}` was given. Pass a value of shape {expected} "
                    "or omit `shape`."
                )
        self._jdtype = jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(self._dtype))
        mode = _abstract.current()
        if mode is not None:
            self._init_placeholder(mode)
            return
        # The value exists already; checking it counts it against an active budget.
        nbytes = _memory.check_variable(self._path, self._shape, self._dtype, self._jdtype.itemsize)
        self._initialize(lambda: value, nbytes)

    def _initialize(self, produce: Callable[[], Any], nbytes: int) -> None:
        """Store ``produce()`` (the initializer's result, or the given value) as the value,
        computed now and concretely.

        ``jax.core.eval_context`` runs it eagerly even when the variable is
        created inside ``jax.jit`` (a layer built on its first call), so the
        value is an array, not a tracer. (``ensure_compile_time_eval`` did this
        before for initializers, but it folds every operand that does not depend
        on the key into a constant: for a large variable it materialized an
        index array as big as the variable and embedded it in the compiled
        program. A given array was not covered at all: inside ``jax.jit`` its
        copy to the device became a tracer of the enclosing trace.)

        The value is waited for here: JAX reports a failed allocation only when
        the result is used, and fetching such a value on the host aborts the
        process (jaxlib 0.10: "Check failed: buffer_.IsConcrete()") instead of
        raising. Waiting turns it into an exception now, naming the variable.
        """
        try:
            with jax.core.eval_context():
                self._write(produce())
                jax.block_until_ready(self._value)
        except jax.errors.UnexpectedTracerError:
            raise RuntimeError(
                f"Cannot create variable '{self._path}': its initializer read a value that "
                "`jax.jit`/`jax.grad` is tracing (such as a SeedGenerator's state inside "
                "`stateless_call`). Create the variable before the transformed call: build "
                "the layer first (`layer.build(input_shape)` or one call on sample data)."
            ) from None
        except (jax.errors.JaxRuntimeError, MemoryError) as err:
            if isinstance(err, MemoryError) or "RESOURCE_EXHAUSTED" in str(err):
                err.add_note(
                    f"heft: the allocation failed while initializing variable '{self._path}' "
                    f"of shape {self._shape} and dtype {self._dtype}, which needs "
                    f"{_memory.format_bytes(nbytes)} (its initializer may need several times that "
                    "while it runs). Free memory (delete unused models and arrays), or choose "
                    "a smaller shape or dtype."
                )
            raise

    def _init_placeholder(self, mode: _abstract.Mode) -> None:
        """Record this variable in an abstract build and hold a traced stand-in value.

        The stand-in is computed from the trace's own input, so even with
        constant folding on (``jax.ensure_compile_time_eval``) it stays a tracer
        that is never evaluated: no memory is taken, whatever the shape.
        """
        count = 1
        for d in self._shape:
            count *= d
        nbytes = count * self._jdtype.itemsize
        mode.records.append(_abstract.Record(self._path, self._shape, self._dtype, nbytes))
        self._placeholder = True
        self._provenance = "abstract build (no value)"
        self._value = jnp.broadcast_to(mode.anchor.astype(self._jdtype), self._shape)

    # ------------------------------------------------------------------ conversion
    def _cast(self, value: Any) -> jax.Array:
        if isinstance(value, Variable):
            value = value.value
        jdtype = self._jdtype
        if isinstance(value, jax.Array) or _is_tracer(value):
            return value if value.dtype == jdtype else value.astype(jdtype)
        # device_put, unlike jnp.asarray, compiles nothing per new shape. The
        # copy keeps the caller's array apart: JAX's CPU backend adopts an
        # aligned numpy buffer, and later writes into it would change the value.
        return jax.device_put(np.array(value, dtype=jdtype, copy=True))

    def _write(self, value: Any, provenance: str | None = None) -> None:
        """Store ``value`` as the variable's value: the one place a value changes.

        ``__init__``, ``assign``, ``set_weights``, weight loading and the trainer's
        write-back all store through here, so the dtype (cast when it differs),
        the placement (``layout``, when the variable has one) and the provenance
        are applied the same way whoever changes the value. The caller has
        checked the shape (``assign`` and ``prepare_values`` do).

        Args:
            value: An array of the variable's shape (numpy, JAX or nested lists).
            provenance: Where the value comes from, for ``provenance``; ``None``
                keeps the current description.

        Raises:
            RuntimeError: If ``value`` is a tracer: inside ``jax.jit`` or
                ``jax.grad`` a variable cannot change (``stateless_call`` returns
                the new values instead).
        """
        if _is_tracer(value) and not self._placeholder:
            raise RuntimeError(
                f"Cannot assign a traced value to variable '{self._path}' outside a "
                "stateless scope: inside `jax.jit` or `jax.grad`, variables cannot be "
                "mutated. Use `layer.stateless_call(...)`, which returns the new values, "
                "or run the assignment outside the transformed function."
            )
        value = self._cast(value)
        if self._layout is not None and getattr(value, "sharding", None) != self._layout:
            value = jax.device_put(value, self._layout)
        self._value = value
        if provenance is not None:
            self._provenance = provenance

    def _value_deleted(self) -> bool:
        """Whether the stored buffer was donated to a computation that did not finish."""
        value = self._value
        return isinstance(value, jax.Array) and value.is_deleted()

    def _check_not_complex(self, dtype: Any, what: str = "`variable.assign(value)`") -> None:
        """Refuse complex values for a real variable: the cast would drop the imaginary part.

        Raises:
            ValueError: If ``dtype`` is complex and the variable's is not.
        """
        if np.dtype(dtype).kind == "c" and np.dtype(self._jdtype).kind != "c":
            raise ValueError(
                f"{what} received a complex value of dtype {np.dtype(dtype).name} for "
                f"variable '{self._path}' of dtype {self._dtype}: casting it would drop the "
                "imaginary part. Pass real values (e.g. `np.real(value)`, if that is what "
                "you mean)."
            )

    def _convert(self, value: Any, check_shape: bool = True) -> jax.Array:
        """Cast ``value`` to this variable's dtype and check its shape."""
        if isinstance(value, Variable):
            value = value.value
        if check_shape:
            value_shape = (
                tuple(np.shape(value)) if not hasattr(value, "shape") else tuple(value.shape)
            )
            if value_shape != self._shape:
                raise ValueError(
                    "The shape of the target variable and the shape of the target value in "
                    f"`variable.assign(value)` must match. variable.shape={self._shape}, "
                    f"Received: value.shape={value_shape}. Target variable: {self!r}. "
                    f"Pass a value of shape {self._shape}."
                )
        dtype = getattr(value, "dtype", None)
        if dtype is None:
            try:
                dtype = np.asarray(value).dtype
            except (TypeError, ValueError):
                dtype = None  # not an array: ``_cast`` names the problem below
        if dtype is not None:
            self._check_not_complex(dtype)
        try:
            return self._cast(value)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"Cannot assign a value of type {type(value).__name__} to variable "
                f"'{self._path}' of dtype {self._dtype}: {err}. Pass a numeric array."
            ) from None

    # ------------------------------------------------------------------ value
    @property
    def value(self) -> jax.Array:
        """The current value (the mapped one inside a ``StatelessScope``)."""
        value = self._value
        for scope in reversed(_scope._stack("stateless")):
            mapped = scope.get_current_value(self)
            if mapped is not None:
                value = mapped
                break
        if self._autocast:
            cast = _scope.autocast_scope()
            if cast is not None and cast.dtype is not None and _dtypes.is_float_dtype(self._dtype):
                if value.dtype != jnp.dtype(cast.dtype):
                    value = value.astype(cast.dtype)
        return value

    def assign(self, value: Any) -> jax.Array:
        """Set the value (cast to the variable's dtype; shapes must match).

        Returns:
            The value as stored.

        Raises:
            ValueError: If ``value``'s shape differs from the variable's.
        """
        value = self._convert(value)
        scope = _scope.stateless_scope()
        if scope is not None:
            scope.add_update(self, value)
            return value
        self._write(value, provenance=ASSIGNED)
        return self._value

    def assign_add(self, value: Any) -> jax.Array:
        """``assign(self + value)``; returns the new value."""
        return self.assign(self.value + _unwrap(value))

    def assign_sub(self, value: Any) -> jax.Array:
        """``assign(self - value)``; returns the new value."""
        return self.assign(self.value - _unwrap(value))

    def numpy(self) -> np.ndarray:
        """The value as a new, writable numpy array (one host transfer)."""
        return np.array(jax.device_get(self.value))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.numpy()
        if dtype is not None:
            out = out.astype(dtype)
        return out

    def __jax_array__(self) -> jax.Array:
        return self.value

    # ------------------------------------------------------------------ metadata
    @property
    def name(self) -> str:
        return self._name

    @property
    def path(self) -> str:
        """``"<scope path>/<name>"``, fixed at creation."""
        return self._path

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def size(self) -> int:
        return math.prod(self._shape)

    @property
    def dtype(self) -> str:
        """The dtype name (the autocast dtype inside an autocast scope)."""
        cast = _scope.autocast_scope()
        if (
            self._autocast
            and cast is not None
            and cast.dtype is not None
            and _dtypes.is_float_dtype(self._dtype)
        ):
            return cast.dtype
        return self._dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    @property
    def autocast(self) -> bool:
        return self._autocast

    @property
    def aggregation(self) -> str:
        return self._aggregation

    @property
    def synchronization(self) -> str:
        return self._synchronization

    @property
    def regularizer(self) -> Any:
        return self._regularizer

    @regularizer.setter
    def regularizer(self, value: Any) -> None:
        if value is not None and not callable(value):
            raise ValueError(
                "Invalid value for attribute `regularizer`. Expected a callable (such as a "
                f"`heft.regularizers.Regularizer` instance) or `None`. Received: regularizer={value}"
            )
        self._regularizer = value

    @property
    def constraint(self) -> Any:
        return self._constraint

    @constraint.setter
    def constraint(self, value: Any) -> None:
        if value is not None and not callable(value):
            raise ValueError(
                "Invalid value for attribute `constraint`. Expected a callable (such as a "
                f"`heft.constraints.Constraint` instance) or `None`. Received: constraint={value}"
            )
        self._constraint = value

    @property
    def overwrite_with_gradient(self) -> bool:
        """Whether the optimizer replaces this variable by its gradient."""
        return self._overwrite_with_gradient

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(
                f"`overwrite_with_gradient` must be a boolean. Received: {value}. "
                "Pass True or False."
            )
        self._overwrite_with_gradient = value

    @property
    def layout(self) -> Any:
        """The ``jax.sharding.Sharding`` of the value, if one was given."""
        return self._layout

    @property
    def provenance(self) -> str:
        """Where the current value came from: an initializer, a file, or an assignment."""
        return self._provenance

    def __repr__(self) -> str:
        try:
            value = np.array2string(self.numpy(), threshold=20, edgeitems=3)
        except Exception:
            value = None
        tail = f", value={value}" if value is not None else ""
        return f"<Variable path={self._path}, shape={self._shape}, dtype={self._dtype}{tail}>"

    # ------------------------------------------------------------------ python protocol
    def __bool__(self) -> bool:
        raise TypeError("A heft Variable cannot be used as a boolean. Compare `variable.value`.")

    def __int__(self) -> int:
        self._check_scalar()
        return int(self.numpy())

    def __float__(self) -> float:
        self._check_scalar()
        return float(self.numpy())

    def __index__(self) -> int:
        self._check_scalar()
        return int(self.numpy())

    def _check_scalar(self) -> None:
        if self.ndim != 0:
            raise TypeError(
                f"Only scalar arrays can be converted to Python scalars. Got: shape={self._shape}"
            )

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a scalar (0-d) Variable is undefined.")
        return self._shape[0]

    def __getitem__(self, idx: Any) -> jax.Array:
        return self.value[idx]

    def __iter__(self):
        if not self._shape:
            raise TypeError("Iteration over a scalar (0-d) Variable is undefined.")
        return iter(self.value)

    def __round__(self, ndigits: int | None = None) -> jax.Array:
        return jnp.round(self.value, ndigits or 0)


def storage_dtype(variable: Variable) -> np.dtype:
    """The dtype ``variable`` stores its value in (whatever autocast scope is active)."""
    return variable._jdtype


def identity_key(variables: Sequence[Variable]) -> tuple[int, ...]:
    """A hashable key naming exactly these variables, in this order (never reused)."""
    return tuple(v._serial for v in variables)


def read_values(variables: Sequence[Variable]) -> list[jax.Array]:
    """``[v.value for v in variables]``, without the per-variable scope lookups when no
    stateless or autocast scope is active (then every value is the stored one)."""
    if not _scope.in_stateless_scope() and _scope.autocast_scope() is None:
        return [v._value for v in variables]
    return [v.value for v in variables]


def write_values(
    variables: Sequence[Variable], values: Sequence[Any], provenance: str | None = None
) -> None:
    """Store ``values[i]`` in ``variables[i]`` through each variable's writer."""
    for variable, value in zip(variables, values, strict=True):
        variable._write(value, provenance)


def _unwrap(x: Any) -> Any:
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, list | tuple):
        return jnp.asarray(x)
    return x


def _describe_initializer(initializer: Any) -> str:
    name = (
        type(initializer).__name__ if not hasattr(initializer, "__name__") else initializer.__name__
    )
    seed = getattr(initializer, "seed", None)
    return f"{name}(seed={seed})" if isinstance(seed, int) else name


def _binary(op: Any, reflected: bool = False) -> Any:
    if reflected:

        def method(self: Variable, other: Any) -> Any:
            return op(_unwrap(other), self.value)

    else:

        def method(self: Variable, other: Any) -> Any:
            return op(self.value, _unwrap(other))

    return method


for _name, _op in {
    "add": jnp.add,
    "sub": jnp.subtract,
    "mul": jnp.multiply,
    "truediv": jnp.true_divide,
    "floordiv": jnp.floor_divide,
    "mod": jnp.mod,
    "pow": jnp.power,
    "matmul": jnp.matmul,
    "and": jnp.logical_and,
    "or": jnp.logical_or,
    "xor": jnp.logical_xor,
}.items():
    setattr(Variable, f"__{_name}__", _binary(_op))
    setattr(Variable, f"__r{_name}__", _binary(_op, reflected=True))

for _name, _op in {
    "eq": jnp.equal,
    "ne": jnp.not_equal,
    "lt": jnp.less,
    "le": jnp.less_equal,
    "gt": jnp.greater,
    "ge": jnp.greater_equal,
}.items():
    setattr(Variable, f"__{_name}__", _binary(_op))

Variable.__neg__ = lambda self: jnp.negative(self.value)  # type: ignore[attr-defined]
Variable.__pos__ = lambda self: self.value  # type: ignore[attr-defined]
Variable.__abs__ = lambda self: jnp.abs(self.value)  # type: ignore[attr-defined]
Variable.__invert__ = lambda self: jnp.invert(self.value)  # type: ignore[attr-defined]
