"""generative/sampling.py: latents from the prior, labels for conditional generators, output
mappings and layouts, as a "generator" spec says."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.generative.sampling import generate_images, resolve_labels, to_intensities
from chainrule.io.generator_spec import generator_spec
from chainrule.nn import Module


class _Conditional(Module):
    """z (N, 2), labels → (N, C=1, H=2, W=3) channels-first "images" whose pixels are the label
    plus z[:, 0]: the test reads the label and the latent back from the output."""

    def __init__(self, one_hot: bool):
        super().__init__()
        self.one_hot = one_hot
        self.calls = []

    def forward(self, inputs):
        z, y = inputs
        z = np.asarray(getattr(z, "data", z))
        y = np.asarray(getattr(y, "data", y))
        self.calls.append((z.shape, y.shape, y.dtype, self.training))
        label = y.argmax(axis=1) if self.one_hot else y
        values = label[:, None].astype(np.float32) + z[:, :1]
        return cr.Tensor(np.repeat(values, 6, axis=1).reshape(-1, 1, 2, 3))


def _spec(label_input="index", output="sigmoid"):
    return generator_spec(2, 2, 3, layout="channels_first", output=output, num_classes=3,
                          label_input=label_input, class_names=["a", "b", "c"])  # fmt: skip


@pytest.mark.parametrize("label_input", ["index", "one_hot"])
def test_conditional_model_gets_labels_in_the_spec_form(label_input):
    model = _Conditional(label_input == "one_hot")
    model.train()
    z = np.zeros((4, 2), np.float32)
    z[:, 0] = -0.5
    out = generate_images(model, _spec(label_input, output="tanh"), 4, ["a", "b", 1, "c"], z=z)
    assert out.shape == (4, 2, 3, 1)
    # tanh outputs label - 0.5 mapped by (v + 1) / 2, clipped to [0, 1]
    np.testing.assert_allclose(out[:, 0, 0, 0], [0.25, 0.75, 0.75, 1.0])
    assert (out == out[:, :1, :1, :]).all()
    zshape, yshape, ydtype, training = model.calls[0]
    assert zshape == (4, 2) and training is False and model.training is True
    if label_input == "one_hot":
        assert yshape == (4, 3) and ydtype == np.float32
    else:
        assert yshape == (4,) and ydtype == np.int64


def test_labels_cycle_repeat_or_follow_the_list():
    spec = _spec()
    np.testing.assert_array_equal(resolve_labels(spec, None, 5), [0, 1, 2, 0, 1])
    np.testing.assert_array_equal(resolve_labels(spec, 2, 3), [2, 2, 2])
    np.testing.assert_array_equal(resolve_labels(spec, "1", 2), [1, 1])
    np.testing.assert_array_equal(resolve_labels(spec, ["b", 0, "2"], 3), [1, 0, 2])


@pytest.mark.parametrize(
    ("labels", "match"),
    [(3, "not a class index"), (-1, "not a class index"), ("dog", "not a class index"),
     (1.0, "not a class index"), ([0, 1], "one label or 3")],
)  # fmt: skip
def test_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        resolve_labels(_spec(), labels, 3)


def test_unconditional_model_refuses_labels_and_bad_counts():
    spec = generator_spec(2, 2, 3)
    with pytest.raises(ValueError, match="unconditional"):
        resolve_labels(spec, 1, 2)
    with pytest.raises(ValueError, match="n must be"):
        generate_images(None, spec, 0)
    with pytest.raises(ValueError, match="z must have shape"):
        generate_images(None, spec, 2, z=np.zeros((3, 2)))


def test_output_mappings_and_layouts():
    logits = np.array([[-50.0, 0.0, 50.0, 2.0]], np.float32)
    spec = generator_spec(1, 2, 2, output="bernoulli-logits")
    got = to_intensities(logits, spec, 1)
    np.testing.assert_allclose(got.ravel(), 1 / (1 + np.exp(-logits.ravel())), rtol=1e-6, atol=1e-7)
    assert got.shape == (1, 2, 2, 1)
    spec = generator_spec(1, 1, 2, channels=3, layout="channels_first", output="tanh")
    chw = np.arange(6, dtype=np.float32).reshape(1, 3, 1, 2) / 5 * 2 - 1
    np.testing.assert_allclose(to_intensities(chw, spec, 1), (chw.transpose(0, 2, 3, 1) + 1) / 2)
    with pytest.raises(ValueError, match="output has shape"):
        to_intensities(np.zeros((1, 5)), spec, 1)


def test_prior_draws_follow_the_library_seed():
    spec = generator_spec(3, 1, 1, prior="uniform", output="sigmoid")
    from chainrule.generative.sampling import draw_latents

    cr.manual_seed(4)
    a = draw_latents(spec, 1000)
    cr.manual_seed(4)
    np.testing.assert_array_equal(a, draw_latents(spec, 1000))
    assert a.dtype == np.float32 and -1 <= a.min() and a.max() < 1 and abs(a.mean()) < 0.1
