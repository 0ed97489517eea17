"""The defaults learn: the lecture's loop and the moons run, with nothing but defaults."""

from __future__ import annotations

from microgradx.nn import MLP, SGD, LinearLR, accuracy, fit, make_moons

# The lecture's four samples and targets, and its loop, written as the peer engine
# micrograd's lecture writes it: n(x) is a Value, so `yout - ygt` works unchanged.
XS = [[2, 3, -1], [3, -1, 0.5], [0.5, 1, 1], [1, 1, -1]]
YS = [1, -1, -1, 1]


def lecture_loss(seed: int) -> float:
    """Sum of squared errors after 20 steps of p.data += -0.05·p.grad from MLP(3, [4, 4, 1])."""
    n = MLP(3, [4, 4, 1], seed=seed)
    for _ in range(20):
        ypred = [n(x) for x in XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(YS, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.05 * p.grad
    ypred = [n(x) for x in XS]
    return sum((yout.data - ygt) ** 2 for ygt, yout in zip(YS, ypred))


def test_the_lecture_loop_learns_with_the_defaults():
    losses = [lecture_loss(seed) for seed in range(20)]
    start = sum((MLP(3, [4, 4, 1], seed=0)(x).data - y) ** 2 for x, y in zip(XS, YS))
    assert start > 0.5  # there is something to learn
    assert sum(loss < 0.5 for loss in losses) >= 19, losses
    # no dead network: relu units that never fire give every prediction 0 and loss exactly 4
    assert all(loss != 4.0 for loss in losses)


def test_moons_are_learned_with_the_defaults():
    # 100 full-batch epochs of SGD, lr 1.0 decaying linearly to 0.1, hinge loss, l2 1e-4.
    # The tape backend computes the scalar backend's gradients (tests/test_tape.py), fast.
    for data_seed in range(4):
        X, y = make_moons(100, noise=0.1, seed=data_seed)
        model = MLP(2, [16, 16, 1], seed=data_seed)
        assert model.layers[0].activation == "tanh" and model.layers[-1].activation == "linear"
        opt = SGD(model.parameters(), lr=1.0)
        decay = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
        history = fit(
            model, X, y, loss="hinge", l2=1e-4, optimizer=opt, epochs=100,
            callbacks=[decay], progress=False, backend="tape",
        )  # fmt: skip
        assert abs(opt.lr - 0.1) < 1e-12  # the schedule ran to its end
        assert history.loss[-1] < 0.1 * history.loss[0]
        assert accuracy(model, X, y) >= 0.99, data_seed
