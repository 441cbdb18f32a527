"""The Keras-door VAE (generative/vae.py): shapes, dtypes, argument checks, training on a small
MNIST subset lowers the test -ELBO, the IWAE bound is tighter, the decoder saves and generates."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.generative.elbo import evaluate_bounds
from chainrule.generative.sampling import generate_images
from chainrule.generative.vae import (
    VAE,
    build_vae,
    conv_decoder,
    conv_encoder,
    decoder_spec,
    mlp_decoder,
    mlp_encoder,
)
from chainrule.io.model_file import load_model, save_model


@pytest.mark.parametrize("variant", ["mlp", "conv"])
def test_shapes_and_dtypes(variant):
    vae = build_vae(variant, 20)
    x = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    params = vae.encoder(x)
    assert params.shape == (3, 40)
    logits = vae(x)
    assert logits.shape == (3, 28, 28, 1) and logits.dtype == np.float32
    assert vae(x[..., None]).shape == (3, 28, 28, 1)  # (N, H, W, 1) images too
    assert all(p.dtype == np.float32 for p in vae.trainable_weights)
    n_mlp = (784 * 400 + 400 + 400 * 40 + 40) + (20 * 400 + 400 + 400 * 784 + 784)
    if variant == "mlp":
        assert sum(p.data.size for p in vae.trainable_weights) == n_mlp


def test_conv_layers_are_convolutions():
    enc, dec = conv_encoder(8), conv_decoder(8)
    kinds = [type(layer).__name__ for layer in enc.layers + dec.layers]
    assert kinds.count("Conv2D") == 2 and kinds.count("Conv2DTranspose") == 3


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: build_vae("gan"), "variant"),
        (lambda: mlp_encoder(0), "latent_dim"),
        (lambda: mlp_decoder(20, (400, -1)), "hidden"),
        (lambda: mlp_encoder(20, image_shape=(28,)), "image_shape"),
        (lambda: conv_encoder(20, image_shape=(30, 30, 1)), "multiples"),
        (lambda: conv_decoder(20, filters=(64, 32, 16), image_shape=(28, 28)), "multiples"),
        (lambda: decoder_spec(20, (28, 28, 2)), "channels"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.fixture(scope="module")
def mnist_small():
    from tests.conftest import DATA

    if not DATA.is_dir():
        pytest.skip("real data not found")
    from chainrule.datasets import load_mnist

    (x, _), (xt, _) = load_mnist(str(DATA))
    return x[:1500].astype(np.float32) / 255, xt[:200].astype(np.float32) / 255


def _train(x, epochs, seed=0):
    cr.manual_seed(seed)
    vae = build_vae("mlp", 20, hidden=(128,))
    vae.compile(optimizer=cr.optimizers.Adam(1e-3))
    return vae, vae.fit(x, epochs=epochs, batch_size=64, verbose=0)


def test_training_lowers_the_test_bound_and_iwae_is_tighter(mnist_small):
    x, xt = mnist_small
    vae, _ = _train(x, 1)
    cr.manual_seed(1)
    before = evaluate_bounds(vae.encoder, vae.decoder, xt, k=0)
    vae.fit(x, epochs=4, batch_size=64, verbose=0)
    cr.manual_seed(1)
    after = evaluate_bounds(vae.encoder, vae.decoder, xt, k=50)
    assert after["neg_elbo"] < before["neg_elbo"] - 20, (before, after)
    assert after["neg_elbo"] == pytest.approx(after["reconstruction"] + after["kl"], rel=1e-6)
    assert after["kl"] > 1.0  # the latent code is used
    # the k = 50 bound is tighter than the one-sample ELBO, and not by an absurd amount
    assert after["neg_elbo"] - 30 < after["iwae_nll"] < after["neg_elbo"]


def test_history_and_seeded_runs_repeat(mnist_small):
    x, _ = mnist_small
    _, h1 = _train(x[:300], 2, seed=5)
    _, h2 = _train(x[:300], 2, seed=5)
    assert set(h1.history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert h1.history == h2.history
    loss, rec, kl = (h1.history[k][-1] for k in ("loss", "reconstruction_loss", "kl_loss"))
    assert loss == pytest.approx(rec + kl, rel=1e-5)


def test_validation_data_gives_val_logs(mnist_small):
    x, xt = mnist_small
    cr.manual_seed(0)
    vae = VAE(mlp_encoder(4, (16,)), mlp_decoder(4, (16,)))
    vae.compile(optimizer="adam")
    h = vae.fit(x[:200], epochs=1, batch_size=50, verbose=0, validation_data=(xt, xt))
    assert {"val_loss", "val_reconstruction_loss", "val_kl_loss"} <= set(h.history)
    logs = vae.evaluate(xt, xt, batch_size=100, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["reconstruction_loss"] + logs["kl_loss"], rel=1e-5)


def test_decoder_saves_loads_and_generates(tmp_path):
    cr.manual_seed(0)
    vae = build_vae("conv", 6, hidden=(4, 8))
    vae(np.zeros((1, 28, 28), np.float32))
    dec = vae.decoder
    dec.preprocessing = decoder_spec(6)
    path = save_model(dec, tmp_path / "dec.zip")
    back = load_model(path)
    assert back.preprocessing == dec.preprocessing
    z = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    np.testing.assert_array_equal(back(z).data, dec(z).data)
    cr.manual_seed(3)
    imgs = generate_images(back, back.preprocessing, 5)
    cr.manual_seed(3)
    again = generate_images(dec, dec.preprocessing, 5)
    assert imgs.shape == (5, 28, 28, 1) and imgs.dtype == np.float32
    np.testing.assert_array_equal(imgs, again)
    assert 0.0 <= imgs.min() and imgs.max() <= 1.0
    expected = 1 / (1 + np.exp(-np.asarray(dec(z).data, np.float64)))
    np.testing.assert_allclose(generate_images(dec, dec.preprocessing, 5, z=z), expected,
                               rtol=1e-5, atol=1e-6)  # fmt: skip
