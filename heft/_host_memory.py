"""Former home of the allocator settings, now ``heft._platform._allocator``; re-exports them."""

from ._platform._allocator import active as active
from ._platform._allocator import keep_freed_memory as keep_freed_memory
from ._platform._allocator import usual_allocation as usual_allocation
