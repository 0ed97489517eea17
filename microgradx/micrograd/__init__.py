"""micrograd's face over microgradx: its module names, signatures, defaults and reprs.

Code written for micrograd runs with one change to its import lines::

    from microgradx.micrograd.engine import Value
    from microgradx.micrograd.nn import Neuron, Layer, MLP

and computes the same numbers: ``random.seed(1337)`` gives the same weights, the same
losses and the same gradients. The Values are microgradx Values underneath, so they
also draw (``v.draw()``, ``draw_dot(v)``), step (``stepper(v)``) and compile
(``microgradx.compile``); only the face differs:

* ``repr(v)`` is ``Value(data=..., grad=...)`` and ``v._op`` is micrograd's text
  (``'+'``, ``'*'``, ``'**2'``, ``'ReLU'``, ``'tanh'``); numbers are stored as floats, so
  ``Value(2)`` shows ``data=2.0`` where micrograd shows ``data=2``;
* ``a - b``, ``a / b`` and ``-a`` are built as micrograd builds them (``a + b·−1``,
  ``a·b**-1``, ``a·−1``), so even the intermediate gradients match;
* ``backward()`` works as micrograd's: it sets this Value's gradient to 1 and *adds*
  into every gradient below, intermediate ones included, so a second call on the same
  graph doubles them (microgradx's own ``backward`` resets intermediate gradients);
* ``MLP(nin, nouts)`` has ReLU hidden layers and a linear output layer, weights drawn
  with Python's ``random.uniform(-1, 1)`` in micrograd's order, biases 0.
"""

from .engine import Value
from .nn import MLP, Layer, Module, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value"]
