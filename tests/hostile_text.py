"""One shared list of hostile texts, and a graph that carries them, for the safety tests.

Each text tries to become markup, a link, a DOT escape or code somewhere a label goes:
an HTML-like DOT label with a ``URL``, the end of the page's ``<script>`` element, a
comment opener, a quote, a backslash, a control character, a lone surrogate.
"""

from __future__ import annotations

from microgradx import Value, scope
from microgradx.viz.names import printable

HOSTILE = [
    '<b> URL="javascript:alert(1)" k=<y>',
    "a<!--<script>b",
    "</script><script>window.pwned=1</script>",
    '"',
    "\\",
    "new\nline",
    "lone\ud800surrogate",
    'tail\\"',
]
# What a page or a picture shows for each: the same characters, control ones made visible.
SHOWN = [printable(h) for h in HOSTILE]


def hostile_graph() -> Value:
    """Every hostile text as a leaf's label, one as a scope name, one as the output's label."""
    leaves = [Value(float(i + 1), text) for i, text in enumerate(HOSTILE)]
    with scope(HOSTILE[0]):
        out = leaves[0] * leaves[1]
    for leaf in leaves[2:]:
        out = out + leaf
    out.label = "f\\"
    return out
