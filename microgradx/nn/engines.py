"""Deprecated: the training back-ends moved to :mod:`microgradx.nn.backends`.

Importing this module still works and gives the same objects, with a
``DeprecationWarning``; ``Engine`` is the old name of ``Backend``.
"""

import warnings

from .backends import BACKENDS as BACKENDS
from .backends import Backend as Backend
from .backends import scalar_loss_and_grads as scalar_loss_and_grads
from .backends import tape_loss_and_grads as tape_loss_and_grads

ENGINES = BACKENDS
Engine = Backend
__all__ = [
    "BACKENDS",
    "ENGINES",
    "Backend",
    "Engine",
    "scalar_loss_and_grads",
    "tape_loss_and_grads",
]

warnings.warn(
    "microgradx.nn.engines is deprecated and will be removed; import microgradx.nn.backends "
    "(ENGINES is BACKENDS, Engine is Backend)",
    DeprecationWarning,
    stacklevel=2,
)
