"""A page-aligned buffer for bulk sends and receives (an anonymous ``mmap``): the
payload of a throughput run, allocated once.

Introduced in notebooks/07-measuring-loopback.ipynb.
"""

from __future__ import annotations

import mmap
from contextlib import contextmanager
from typing import Iterator

__all__ = ["page_buffer"]


@contextmanager
def page_buffer(size: int, fill: bool = False) -> Iterator[memoryview]:
    """``size`` bytes of page-aligned memory of their own (an anonymous mmap, as iperf3
    uses) for a hot loop to send from or receive into; ``fill`` writes a byte pattern
    first, so that every page is real memory (an untouched page reads as the kernel's
    one shared zero page, which would flatter a sender).

    >>> with page_buffer(5, fill=True) as view:
    ...     bytes(view)
    b'\\x00\\x01\\x02\\x03\\x04'

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    region = mmap.mmap(-1, size)
    view = memoryview(region)
    try:
        if fill:
            view[:] = (bytes(range(256)) * -(-size // 256))[:size]
        yield view
    finally:
        view.release()
        region.close()

