"""Platform and speed tweaks, each in one module, behind one switch, with a plain path.

A tweak runs only where its switch is on and on the platform it was made for;
anywhere else (another system or C library, another JAX backend, the switch
off) the code takes the plain path and never touches the tweak. Each switch is
an environment variable read once, when heft is imported: ``1``, ``true``,
``yes`` or ``on`` turns it on, ``0``, ``false``, ``no`` or ``off`` turns it off,
unset keeps the default, and anything else warns and keeps the default. Tests
set one for a block with ``SWITCH.forced(True)`` or ``SWITCH.forced(False)``.

``HEFT_RETAIN_FREED_MEMORY`` (off by default; ``_allocator.py``)
    Linux with glibc: while ``fit``, ``evaluate`` or ``predict`` runs, glibc
    keeps the host memory a step frees for the next step, instead of
    unmapping it (set before heft is imported: it chooses glibc's arenas
    then). Plain path: the C library's usual allocation. Same values.
``HEFT_PREFAULT_BUFFERS`` (on; ``_prefault.py``)
    Linux: loads read large values into memory maps faulted in ahead of the
    read by a helper thread. Plain path: aligned ``numpy.empty`` buffers.
    Bit-identical values.
``HEFT_WRITE_HINTS`` (on; ``_write_hints.py``)
    Linux: saves drop the cached pages of the file they replace
    (``posix_fadvise``) and start the disk writes of the new one early
    (``sync_file_range``). Plain path: write, fsync, rename. Byte-identical
    files.
``HEFT_CPU_CONV`` (on; ``_cpu_conv.py``)
    XLA's CPU backend: ``Conv2D`` runs ``valid`` convolutions padded and
    cropped, and splits its convolutions over the batch; depthwise
    convolutions run as one multiply-add per window offset
    (``_cpu_depthwise.py``). Plain path: ``lax.conv_general_dilated`` and its
    autodiff gradient. Values agree to float32 rounding.
``HEFT_CONV_ONE_STEP`` (on; ``_conv_steps.py``)
    XLA's CPU backend: ``fit`` trains a model whose step convolves one step
    per dispatch without timing a scanned chunk first. Plain path: steps per
    dispatch chosen by timing, as for any model.
``HEFT_HOST_SAMPLING`` (on; ``_host_sampling.py``)
    XLA's CPU backend: random initializers compute ``jax.random``'s values on
    the host instead of compiling a program per shape. Plain path:
    ``heft.random``, which calls ``jax.random``. Bit-identical values.

``bench/README.md`` ("Platform tweaks") gives what each was measured to gain.
"""

from ._allocator import keep_freed_memory as keep_freed_memory
from ._allocator import usual_allocation as usual_allocation
from ._conv_steps import convolves_on_cpu as convolves_on_cpu
from ._switches import ALL as ALL
from ._switches import CONV_ONE_STEP as CONV_ONE_STEP
from ._switches import CPU_CONV as CPU_CONV
from ._switches import HOST_SAMPLING as HOST_SAMPLING
from ._switches import PREFAULT_BUFFERS as PREFAULT_BUFFERS
from ._switches import RETAIN_FREED_MEMORY as RETAIN_FREED_MEMORY
from ._switches import WRITE_HINTS as WRITE_HINTS
from ._switches import Switch as Switch
