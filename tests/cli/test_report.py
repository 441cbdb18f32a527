"""report.html and its pieces, independent of training."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.cli.report import confusion_matrix, write_report

pytest.importorskip("matplotlib")


def test_confusion_matrix_counts_true_by_predicted():
    cm = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        confusion_matrix(np.zeros(3), np.zeros(2), 2)


def test_report_escapes_text_and_links_one_image_per_metric(tmp_path):
    history = {"loss": [1.0, 0.5], "val_loss": [1.2, 0.7], "accuracy": [0.5, 0.8]}
    path = write_report(
        tmp_path,
        title="run <1>",
        history=history,
        test_metrics={"accuracy": 0.875},
        summary="Model: <x>",
        config_text='name = "a&b"',
        confusion=np.array([[3, 1], [0, 4]]),
        class_names=["cat", "dog"],
    )
    html = path.read_text()
    assert "run &lt;1&gt;" in html and "Model: &lt;x&gt;" in html and "a&amp;b" in html
    assert '<img src="curve_loss.png"' in html and '<img src="curve_accuracy.png"' in html
    assert "curve_val_loss.png" not in html  # validation curves share their metric's plot
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "curve_accuracy.png",
        "curve_loss.png",
    ]
    assert "<td>0.8750</td>" in html and "<th>dog</th>" in html and ">4</td>" in html
