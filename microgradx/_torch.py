"""PyTorch, imported only when a bridge function needs it."""

from __future__ import annotations

from types import ModuleType

INSTALL = 'pip install "microgradx[torch]"'


def require_torch(what: str) -> ModuleType:
    """Import and return ``torch``, or raise ``ImportError`` saying how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"{what} needs PyTorch: {INSTALL}") from None
    return torch
