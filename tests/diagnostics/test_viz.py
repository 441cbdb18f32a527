"""viz.graph (DOT text always; rendering only where Graphviz is installed) and model.plot."""

import numpy as np
import pytest

import chainrule
from chainrule import layers, viz


def _model():
    chainrule.manual_seed(0)
    return chainrule.Sequential(
        [layers.Dense(8, activation="relu", name="h"), layers.Dense(2, name="o")]
    )


def test_graph_dot_has_ops_shapes_names_and_grad_norms():
    m = _model()
    x = chainrule.tensor(np.ones((4, 3), dtype=np.float32))
    loss = (m(x) ** 2).mean()
    g = viz.graph(loss, m)
    text = g.source
    assert text.startswith("digraph") and text.rstrip().endswith("}")
    for piece in ("Mean\\n() float32", "PowScalar\\n(4, 2)", "Linear\\n(4, 2)",
                  "layers.0.kernel\\n(3, 8) float32", "input\\n(4, 3)"):  # fmt: skip
        assert piece in text, piece
    assert "grad" not in text
    assert text.count("->") == 8  # 3 op links + 5 leaves read by the two linear ops
    loss.backward()
    after = str(g)
    norm = float(np.linalg.norm(m.layers[0].kernel.grad))
    assert f"layers.0.kernel\\n(3, 8) float32\\n‖grad‖ = {norm:.4g}" in after
    with pytest.raises(ValueError, match="freed"):
        viz.graph(loss)  # backward freed the nodes


def test_graph_labels_escape_and_leaf_root():
    t = chainrule.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    g = viz.graph(t, {'we"ird\\name': t})
    assert '"we\\"ird\\\\name' in g.source
    with pytest.raises(TypeError):
        viz.graph(np.ones(2))


@pytest.mark.skipif(not viz.dot_available(), reason="Graphviz 'dot' is not installed")
def test_render_with_graphviz(tmp_path):
    m = _model()
    loss = m(chainrule.tensor(np.ones((2, 3), dtype=np.float32))).sum()
    out = viz.graph(loss, m).render(tmp_path / "g.svg")
    assert "<svg" in out.read_text()
    png = m.plot(tmp_path / "m.png", engine="graphviz")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_model_plot_matplotlib_and_dot(tmp_path):
    m = _model()
    m(chainrule.tensor(np.ones((2, 3), dtype=np.float32)))
    png = m.plot(tmp_path / "m.png", engine="matplotlib")
    assert png.read_bytes()[:4] == b"\x89PNG"
    dot = m.plot(tmp_path / "m.dot").read_text()
    assert "h (Dense)\\noutput (None, 8) · 32 params" in dot and "->" in dot
    with pytest.raises(ValueError, match="file type"):
        m.plot(tmp_path / "m.gif")
    with pytest.raises(ValueError, match="engine"):
        m.plot(tmp_path / "m.png", engine="tikz")


def test_functional_model_diagram_follows_the_graph(tmp_path):
    chainrule.manual_seed(0)
    inp = chainrule.Input((3,), name="x")
    a = layers.Dense(4, name="a")(inp)
    b = layers.Dense(4, name="b")(inp)
    c = layers.Dense(1, name="c")(a)
    model = chainrule.Model(inp, [c, b])
    dot = model.plot(tmp_path / "f.dot").read_text()
    assert "x (Input)" in dot and "b (Dense)" in dot
    assert dot.count("->") == 3  # x → a, x → b, a → c (a branch, not a chain)
    assert "n0 -> n1" in dot and "n1 -> n2" in dot and "n0 -> n3" in dot  # x→a, a→c, x→b
