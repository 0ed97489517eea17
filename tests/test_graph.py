"""Graph walks: order, edges and statistics."""

from __future__ import annotations

import pytest

from microgradx import Value, scope, stats, topological_order
from microgradx.graph import count_nodes, users


def test_topological_order_puts_operands_first_and_is_deterministic(lecture):
    f, n = lecture()
    order = topological_order(f)
    assert order == [n["w"], n["x"], n["y"], n["v"], n["u"], n["z"], n["f"]]
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for child in node.children:
            assert position[id(child)] < position[id(node)]
    assert topological_order(f, reverse=True) == order[::-1]
    assert topological_order(f, leaves=False) == [n["v"], n["u"], n["f"]]


def test_each_shared_node_once():
    a = Value(1.0)
    b = a + a
    c = b * b
    assert topological_order(c) == [a, b, c]
    assert c.children == (b, b) and b.children == (a, a)  # each use is its own operand slot


def test_stats(lecture):
    f, _ = lecture()
    s = stats(f)
    assert (s.nodes, s.edges, s.leaves, s.depth) == (7, 6, 4, 3)
    assert s.ops == {"mul": 2, "add": 1}
    assert str(s) == "7 nodes, 6 edges, 4 leaves, depth 3 (mul 2, add 1)"
    leaf = stats(Value(1.0))
    assert (leaf.nodes, leaf.edges, leaf.depth, leaf.ops) == (1, 0, 0, {})
    assert topological_order(Value(1.0), leaves=False) == []


def test_users_lists_each_result_reading_a_node_once_per_use(lecture):
    f, n = lecture()
    found = users(f)
    assert found[n["x"]] == [n["v"]] and found[n["v"]] == [n["u"]]
    assert found[n["f"]] == [] and set(found) == set(topological_order(f))
    a = Value(2.0, "a")
    s = a + a
    g = s * a
    assert users(g)[a] == [s, s, g]


def test_users_walks_a_deep_chain_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(50_000):
        y = y + 1.0
    found = users(y)
    assert len(found[x]) == 1 and found[y] == []


def test_count_nodes_counts_distinct_nodes_and_stops_past_the_limit(lecture):
    f, n = lecture()  # 7 values: w, x, y, z, v = x·y, u = w + v, f = u·z
    assert count_nodes(f, 100) == 7 and count_nodes(f, 7) == 7
    assert count_nodes(f, 3) == 4  # stops at limit + 1
    assert count_nodes([n["u"], n["v"], n["u"]], 100) == 5  # several roots, shared nodes once
    a = Value(1.0)
    b = a + a
    assert count_nodes(b * b, 10) == 3  # a node used twice counts once


def test_count_nodes_refuses_what_is_not_a_value():
    for bad in (3.0, [Value(1.0), 2.0], [], None):
        with pytest.raises(TypeError, match="needs a Value or Values"):
            count_nodes(bad, 10)


def test_count_nodes_counts_each_group_once():
    x = Value(1.0, "x")
    with scope("left"):
        left = x * 2.0 + 1.0  # 2.0, x·2, 1.0, the sum: 4 values in "left"
    with scope("right"):
        right = x * 3.0  # 3.0, x·3: 2 values in "right"
    out = left + right

    def by_scope(v):
        return v.scope or None

    # x and out on their own, then one count per scope
    assert count_nodes(out, 100, group=by_scope) == 2 + 2
    assert count_nodes(out, 100) == 2 + 4 + 2
    assert count_nodes(out, 1, group=by_scope) == 2  # stops past the limit


def test_count_nodes_is_a_bounded_walk_on_a_deep_chain(million_chain):
    # the count stops after limit + 1 nodes; a full walk would find 1,000,001
    assert count_nodes(million_chain.output, 1000) == 1001
    assert count_nodes(million_chain.output, 10, group=lambda v: None) == 11
