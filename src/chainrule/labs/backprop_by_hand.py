"""Lab ``backprop-by-hand``: the classic 2-2-2 sigmoid network worked through by hand.

The network and its numbers are the textbook worked example (inputs 0.05, 0.10; targets 0.01, 0.99;
weights w1..w8 = 0.15 .. 0.55; one bias per layer, b1 = 0.35 shared by both hidden units and
b2 = 0.60 by both outputs; squared error E = ½Σ(t − o)²; learning rate 0.5). Every forward value,
every local derivative of the chain rule and every weight update is computed here with plain
float64 arithmetic, written out as the table a student would fill in, and then checked against the
engine's ``backward()`` and against central finite differences.
"""

from __future__ import annotations

import math

import numpy as np

from ._report import LabReport, LabResult

NAME = "backprop-by-hand"
CLAIM = (
    "Backpropagation is the chain rule applied layer by layer: the hand-computed local derivatives, "
    "multiplied along each path, equal the engine's gradients and finite differences."
)

I = (0.05, 0.10)
T = (0.01, 0.99)
W0 = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45, "w7": 0.50,
      "w8": 0.55, "b1": 0.35, "b2": 0.60}  # fmt: skip
LR = 0.5
#: the values the classic worked example publishes (to 9 digits), which the hand computation must
#: reproduce: total error, and four of the updated weights
PUBLISHED = {"E": 0.298371109, "w5+": 0.35891648, "w6+": 0.408666186, "w1+": 0.149780716,
             "w4+": 0.29950229}  # fmt: skip


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def by_hand(p: dict) -> tuple[dict, list[tuple[str, str, float]], dict]:
    """(forward values, the worked rows (quantity, formula, value), gradients dE/dparam)."""
    i1, i2 = I
    t1, t2 = T
    v: dict[str, float] = {}
    rows: list[tuple[str, str, float]] = []

    def put(name, formula, value):
        v[name] = value
        rows.append((name, formula, value))

    put("net_h1", "w1·i1 + w2·i2 + b1", p["w1"] * i1 + p["w2"] * i2 + p["b1"])
    put("out_h1", "σ(net_h1)", _sig(v["net_h1"]))
    put("net_h2", "w3·i1 + w4·i2 + b1", p["w3"] * i1 + p["w4"] * i2 + p["b1"])
    put("out_h2", "σ(net_h2)", _sig(v["net_h2"]))
    put(
        "net_o1",
        "w5·out_h1 + w6·out_h2 + b2",
        p["w5"] * v["out_h1"] + p["w6"] * v["out_h2"] + p["b2"],
    )
    put("out_o1", "σ(net_o1)", _sig(v["net_o1"]))
    put(
        "net_o2",
        "w7·out_h1 + w8·out_h2 + b2",
        p["w7"] * v["out_h1"] + p["w8"] * v["out_h2"] + p["b2"],
    )
    put("out_o2", "σ(net_o2)", _sig(v["net_o2"]))
    put("E", "½(t1 − out_o1)² + ½(t2 − out_o2)²",
        0.5 * (t1 - v["out_o1"]) ** 2 + 0.5 * (t2 - v["out_o2"]) ** 2)  # fmt: skip
    # backward: local derivatives, then products along each path
    put("∂E/∂out_o1", "out_o1 − t1", v["out_o1"] - t1)
    put("∂out_o1/∂net_o1", "out_o1 (1 − out_o1)", v["out_o1"] * (1 - v["out_o1"]))
    put("δ_o1", "∂E/∂out_o1 · ∂out_o1/∂net_o1", v["∂E/∂out_o1"] * v["∂out_o1/∂net_o1"])
    put("∂E/∂out_o2", "out_o2 − t2", v["out_o2"] - t2)
    put("∂out_o2/∂net_o2", "out_o2 (1 − out_o2)", v["out_o2"] * (1 - v["out_o2"]))
    put("δ_o2", "∂E/∂out_o2 · ∂out_o2/∂net_o2", v["∂E/∂out_o2"] * v["∂out_o2/∂net_o2"])
    g: dict[str, float] = {}
    for w, delta, src in (("w5", "δ_o1", "out_h1"), ("w6", "δ_o1", "out_h2"),
                          ("w7", "δ_o2", "out_h1"), ("w8", "δ_o2", "out_h2")):  # fmt: skip
        put(f"∂E/∂{w}", f"{delta} · {src}  (∂net/∂{w} = {src})", v[delta] * v[src])
        g[w] = v[f"∂E/∂{w}"]
    put("∂E/∂b2", "δ_o1 + δ_o2  (b2 feeds both outputs)", v["δ_o1"] + v["δ_o2"])
    g["b2"] = v["∂E/∂b2"]
    put("∂E/∂out_h1", "δ_o1·w5 + δ_o2·w7  (two paths)", v["δ_o1"] * p["w5"] + v["δ_o2"] * p["w7"])
    put("∂out_h1/∂net_h1", "out_h1 (1 − out_h1)", v["out_h1"] * (1 - v["out_h1"]))
    put("δ_h1", "∂E/∂out_h1 · ∂out_h1/∂net_h1", v["∂E/∂out_h1"] * v["∂out_h1/∂net_h1"])
    put("∂E/∂out_h2", "δ_o1·w6 + δ_o2·w8  (two paths)", v["δ_o1"] * p["w6"] + v["δ_o2"] * p["w8"])
    put("∂out_h2/∂net_h2", "out_h2 (1 − out_h2)", v["out_h2"] * (1 - v["out_h2"]))
    put("δ_h2", "∂E/∂out_h2 · ∂out_h2/∂net_h2", v["∂E/∂out_h2"] * v["∂out_h2/∂net_h2"])
    for w, delta, src in (("w1", "δ_h1", "i1"), ("w2", "δ_h1", "i2"),
                          ("w3", "δ_h2", "i1"), ("w4", "δ_h2", "i2")):  # fmt: skip
        x = i1 if src == "i1" else i2
        put(f"∂E/∂{w}", f"{delta} · {src}", v[delta] * x)
        g[w] = v[f"∂E/∂{w}"]
    put("∂E/∂b1", "δ_h1 + δ_h2  (b1 feeds both hidden units)", v["δ_h1"] + v["δ_h2"])
    g["b1"] = v["∂E/∂b1"]
    for k in W0:
        put(f"{k}+", f"{k} − η·∂E/∂{k}  (η = {LR})", p[k] - LR * g[k])
    return v, rows, g


def _loss_engine(p: dict[str, object]):
    """E as a chainrule graph (float64) over 0-d tensors ``p``; the same network, written with
    matrix products so the engine does the bookkeeping."""
    from ..creation import tensor
    from ..ops.shape import stack

    x = tensor(np.array([I], dtype=np.float64))
    w_hidden = stack([stack([p["w1"], p["w3"]]), stack([p["w2"], p["w4"]])])  # (in, out)
    w_out = stack([stack([p["w5"], p["w7"]]), stack([p["w6"], p["w8"]])])
    h = (x @ w_hidden + p["b1"]).sigmoid()
    o = (h @ w_out + p["b2"]).sigmoid()
    t = tensor(np.array([T], dtype=np.float64))
    return (0.5 * (t - o) ** 2).sum()


def engine_grads(p: dict) -> tuple[float, dict[str, float]]:
    from ..creation import tensor

    ts = {k: tensor(np.float64(v), requires_grad=True) for k, v in p.items()}
    loss = _loss_engine(ts)
    loss.backward()
    return float(loss.data), {k: float(t.grad) for k, t in ts.items()}


def finite_differences(p: dict, eps: float = 1e-6) -> dict[str, float]:
    """Central differences of E (computed by hand) per parameter."""
    out = {}
    for k in p:
        hi, lo = dict(p), dict(p)
        hi[k] += eps
        lo[k] -= eps
        out[k] = (by_hand(hi)[0]["E"] - by_hand(lo)[0]["E"]) / (2 * eps)
    return out


def _draw_network(rep: LabReport, v: dict, g: dict) -> None:
    fig = rep.figure(8.0, 4.6)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.3, 2.5)
    ax.set_ylim(-0.45, 1.55)
    ax.axis("off")
    pos = {"i1": (0, 1.0), "i2": (0, 0.0), "h1": (1, 1.0), "h2": (1, 0.0), "o1": (2, 1.0),
           "o2": (2, 0.0)}  # fmt: skip
    values = {"i1": I[0], "i2": I[1], "h1": v["out_h1"], "h2": v["out_h2"], "o1": v["out_o1"],
              "o2": v["out_o2"]}  # fmt: skip
    edges = [("w1", "i1", "h1"), ("w2", "i2", "h1"), ("w3", "i1", "h2"), ("w4", "i2", "h2"),
             ("w5", "h1", "o1"), ("w6", "h2", "o1"), ("w7", "h1", "o2"), ("w8", "h2", "o2")]  # fmt: skip
    for w, a, b in edges:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.plot([xa, xb], [ya, yb], color="0.6", zorder=1)
        frac = 0.28 if ya == yb else (0.22 if ya > yb else 0.62)
        xm, ym = xa + frac * (xb - xa), ya + frac * (yb - ya)
        ax.text(xm, ym + 0.06, f"{w}={W0[w]:.2f}\n∂E={g[w]:+.2e}", fontsize=7, ha="center",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})  # fmt: skip
    for node, (x, y) in pos.items():
        ax.scatter([x], [y], s=1400, color="#cfe3f7" if node[0] != "i" else "#eeeeee",
                   edgecolor="0.3", zorder=2)  # fmt: skip
        ax.text(x, y, f"{node}\n{values[node]:.4f}", ha="center", va="center", fontsize=8, zorder=3)
    ax.text(2.3, 1.0, f"t1 = {T[0]}", va="center", fontsize=8)
    ax.text(2.3, 0.0, f"t2 = {T[1]}", va="center", fontsize=8)
    ax.text(1.0, -0.38, f"E = {v['E']:.9f}    biases b1 = {W0['b1']} (shared by h1, h2), "
            f"b2 = {W0['b2']} (shared by o1, o2)", ha="center", fontsize=8)  # fmt: skip
    rep.save(fig, "network.png", "The 2-2-2 network: unit outputs after the forward pass, each "
             "weight with its gradient ∂E/∂w from the backward pass.")  # fmt: skip


def _draw_agreement(rep: LabReport, g: dict, ge: dict, gf: dict) -> None:
    fig = rep.figure(7.5, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    keys = list(W0)
    xs = np.arange(len(keys))
    d_engine = [max(abs(g[k] - ge[k]), 1e-18) for k in keys]
    d_fd = [max(abs(g[k] - gf[k]), 1e-18) for k in keys]
    ax.bar(xs - 0.2, d_engine, 0.4, label="|hand − engine backward|")
    ax.bar(xs + 0.2, d_fd, 0.4, label="|hand − finite differences|")
    ax.set_yscale("log")
    ax.set_xticks(xs, keys)
    ax.set_ylabel("absolute difference")
    ax.set_title("Hand-computed gradients against the engine and finite differences (float64)")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    rep.save(fig, "agreement.png", "Differences per parameter (floored at 1e-18 to show exact "
             "agreement on the log scale).")  # fmt: skip


def run(out_dir, quick: bool = False, verbose: bool = True) -> LabResult:
    rep = LabReport(NAME, "backpropagation by hand", CLAIM, out_dir, quick, verbose)
    v, rows, g = by_hand(W0)
    e_engine, ge = engine_grads(W0)
    gf = finite_differences(W0)
    width = max(len(r[0]) for r in rows)
    fwidth = max(len(r[1]) for r in rows)
    lines = [f"{n:<{width}}  {f:<{fwidth}}  {val: .9f}" for n, f, val in rows]
    table_text = "\n".join(lines)
    rep.log(table_text)
    rep.heading("The worked example")
    rep.text(f"Inputs i1 = {I[0]}, i2 = {I[1]}; targets t1 = {T[0]}, t2 = {T[1]}; learning rate "
             f"η = {LR}; σ(z) = 1 / (1 + e^−z).")  # fmt: skip
    rep.table(["quantity", "formula", "value"], [(n, f, f"{val:.9f}") for n, f, val in rows])
    _draw_network(rep, v, g)
    rep.heading("Checks")
    check_rows = [
        (k, f"{g[k]:.12e}", f"{ge[k]:.12e}", f"{gf[k]:.12e}", f"{abs(g[k] - ge[k]):.1e}",
         f"{abs(g[k] - gf[k]):.1e}")
        for k in W0
    ]  # fmt: skip
    rep.table(["parameter", "by hand", "engine backward()", "finite differences",
               "|hand − engine|", "|hand − f.d.|"], check_rows)  # fmt: skip
    _draw_agreement(rep, g, ge, gf)
    d_engine = max(abs(g[k] - ge[k]) for k in W0)
    d_fd = max(abs(g[k] - gf[k]) for k in W0)
    d_loss = abs(v["E"] - e_engine)
    published = {"E": v["E"], **{k: v[k] for k in PUBLISHED if k != "E"}}
    d_pub = max(abs(published[k] - PUBLISHED[k]) for k in PUBLISHED)
    rep.table(["published value", "published", "computed here"],
              [(k, PUBLISHED[k], f"{published[k]:.9f}") for k in PUBLISHED],
              "the classic worked example's numbers (9 digits)")  # fmt: skip
    rep.numbers.update(max_diff_engine=d_engine, max_diff_fd=d_fd, loss_diff=d_loss,
                       max_diff_published=d_pub, E=v["E"])  # fmt: skip
    holds = d_engine <= 1e-12 and d_loss <= 1e-12 and d_fd <= 1e-8 and d_pub <= 5e-9
    detail = (
        f"Largest gradient difference: hand vs engine {d_engine:.1e}, hand vs finite differences "
        f"{d_fd:.1e} (central, ε = 1e-6); the loss agrees to {d_loss:.1e}; the published values "
        f"are reproduced to {d_pub:.1e}."
    )
    return rep.finish(holds, detail)
