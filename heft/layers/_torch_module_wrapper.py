"""``TorchModuleWrapper``: a ``torch.nn.Module`` as a heft layer, run by PyTorch on the host."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from ._host_call import host_call
from ._layer import Layer


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as err:
        raise ImportError(
            "TorchModuleWrapper needs the `torch` package, which is not installed. Install "
            "it with `pip install torch`."
        ) from err
    return torch


class TorchModuleWrapper(Layer):
    """Wraps a ``torch.nn.Module``: its parameters become heft weights, trained by ``fit``.

    The module's parameters (trainable when ``requires_grad``) and then its
    buffers (non-trainable, e.g. BatchNorm statistics) are copied into heft
    weights. Each call runs the module on the CPU host with PyTorch through
    ``jax.pure_callback``, with the weights' current values (so it also works
    under ``jax.jit``); gradients for the inputs and parameters come from
    ``torch.autograd``. Buffers that the module updates in training (running
    statistics) are not written back: the heft weights keep their values.

    Unlike Keras (whose version needs the torch backend), the weight-file layout
    is heft's usual one (one entry per weight), not the module's ``state_dict``.

    Args:
        module: A ``torch.nn.Module`` (lazy modules must be initialized).
        name: The layer's name.
        output_shape: The output shape, when it cannot be found by running the module.
        **kwargs: Base layer arguments.

    Raises:
        ImportError: If ``torch`` is not installed.
        ValueError: For an uninitialized lazy module.
    """

    _param_names: list[str]
    _buffer_names: list[str]

    def __init__(
        self, module: Any, name: str | None = None, output_shape: Any = None, **kwargs: Any
    ) -> None:
        torch = _import_torch()
        super().__init__(name=name, **kwargs)
        if (
            isinstance(module, torch.nn.modules.lazy.LazyModuleMixin)
            and module.has_uninitialized_params()
        ):
            raise ValueError(
                "LazyModules are not supported unless they are already initialized. "
                f"Received uninitialized LazyModule: module={module}. Run it once on data first."
            )
        self.module = module.cpu()
        self.output_shape = output_shape
        object.__setattr__(self, "_param_names", [n for n, _ in module.named_parameters()])
        object.__setattr__(self, "_buffer_names", [n for n, _ in module.named_buffers()])
        self._torch_weights = [
            self.add_weight(
                tuple(p.shape),
                initializer=p.detach().numpy().copy(),
                dtype=str(p.detach().numpy().dtype),
                trainable=p.requires_grad,
            )
            for _, p in module.named_parameters()
        ] + [
            self.add_weight(
                tuple(b.shape),
                initializer=b.detach().numpy().copy(),
                dtype=str(b.detach().numpy().dtype),
                trainable=False,
            )
            for _, b in module.named_buffers()
        ]
        self._build_at_init()

    def parameters(self, recurse: bool = True) -> Any:
        return self.module.parameters(recurse=recurse)

    def _run(self, training: bool, values: list, grad: bool) -> tuple[Any, Any]:
        torch = _import_torch()
        n_inputs = len(values) - len(self._torch_weights)
        inputs = [torch.from_numpy(np.array(v)).requires_grad_(grad) for v in values[:n_inputs]]
        names = self._param_names + self._buffer_names
        tensors = {
            n: torch.from_numpy(np.array(v)).requires_grad_(grad and i < len(self._param_names))
            for i, (n, v) in enumerate(zip(names, values[n_inputs:], strict=True))
        }
        self.module.train(bool(training))
        with torch.enable_grad() if grad else torch.no_grad():
            outputs = torch.func.functional_call(self.module, tensors, tuple(inputs))
        return outputs, (inputs, tensors)

    def call(self, *args: Any, training: bool | None = None) -> Any:
        torch = _import_torch()
        values = [jax.numpy.asarray(a) for a in args] + [w.value for w in self._torch_weights]
        mode = training is not False

        def forward(*arrays: Any) -> Any:
            outputs, _ = self._run(mode, list(arrays), grad=False)
            return jax.tree_util.tree_map(lambda t: t.detach().numpy(), outputs)

        def backward(arrays: list, cotangents: Any) -> list:
            outputs, (inputs, tensors) = self._run(mode, arrays, grad=True)
            flat_out = jax.tree_util.tree_leaves(outputs)
            flat_cot = [
                torch.from_numpy(np.array(c)) for c in jax.tree_util.tree_leaves(cotangents)
            ]
            wanted = inputs + list(tensors.values())
            needs = [t for t in wanted if t.requires_grad]
            grads = torch.autograd.grad(flat_out, needs, flat_cot, allow_unused=True)
            found = dict(zip([id(t) for t in needs], grads, strict=True))
            result = []
            for t in wanted:
                g = found.get(id(t))
                result.append(np.zeros(tuple(t.shape), t.numpy().dtype) if g is None else g.numpy())
            return result

        sample = forward(*[np.zeros(v.shape, v.dtype) for v in values])
        out_spec = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), sample)
        return host_call(forward, backward, out_spec, values)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """From ``output_shape``, or by running the module on zeros (unknown sizes as 1)."""
        from .. import _symbolic

        if self.output_shape is not None:
            return _symbolic.KerasTensor(tuple(self.output_shape), self.compute_dtype)
        batch = [a.shape[0] if hasattr(a, "shape") and a.shape else None for a in args]
        zeros = [np.zeros([1 if d is None else d for d in a.shape], a.dtype) for a in args]
        weights = [np.asarray(w.value) for w in self._torch_weights]
        outputs, _ = self._run(False, zeros + weights, grad=False)

        def spec(t: Any) -> Any:
            shape = tuple(t.shape)
            if shape and batch and batch[0] is None:
                shape = (None, *shape[1:])
            return _symbolic.KerasTensor(shape, str(t.detach().numpy().dtype))

        return jax.tree_util.tree_map(spec, outputs)
