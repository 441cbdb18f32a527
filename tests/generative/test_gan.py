"""DCGAN models, the (AC-)GAN training step, sampling, save/load of the conditional generator and
the failure-mode diagnosis."""

import numpy as np
import pytest

import chainrule
from chainrule.generative.gan import GAN, dcgan_discriminator, dcgan_generator
from chainrule.generative.gan_monitor import diagnose_epoch, mean_pairwise_distance
from chainrule.io.model_file import load_model, save_model


def _real(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = np.full((n, 8, 8, 1), -1.0, np.float32)
    x[:, 2:6, 2:6] = rng.uniform(0.5, 1.0, size=(n, 4, 4, 1))  # a bright square on black
    return x, rng.integers(0, 3, size=n)


def test_model_shapes_and_parameter_dtypes():
    g = dcgan_generator(5, (8, 12, 1), width=4)
    d = dcgan_discriminator((8, 12, 1), width=4)
    z = np.zeros((3, 5), np.float32)
    out = g(z)
    assert out.shape == (3, 8, 12, 1) and out.dtype == np.float32
    assert np.abs(out.numpy()).max() <= 1.0  # tanh
    assert d(out).shape == (3, 1)
    gc = dcgan_generator(5, (8, 8, 3), width=4, num_classes=4)
    dc = dcgan_discriminator((8, 8, 3), width=4, num_classes=4)
    img = gc([z, np.eye(4, dtype=np.float32)[[0, 1, 3]]])
    assert img.shape == (3, 8, 8, 3) and dc(img).shape == (3, 5)
    gm = dcgan_generator(5, (8, 12, 1), width=4, mapping_layers=2, mapping_units=7)
    assert gm(z).shape == (3, 8, 12, 1)
    dense = [p.shape for p in gm.parameters() if len(p.shape) == 2]
    assert dense == [(5, 7), (7, 7), (7, 2 * 3 * 8)]  # two mapping layers, then the 2·width map
    gcm = dcgan_generator(5, (8, 8, 3), width=4, num_classes=4, mapping_layers=1, mapping_units=6)
    assert next(p.shape for p in gcm.parameters() if len(p.shape) == 2) == (9, 6)
    assert gcm([z, np.eye(4, dtype=np.float32)[[0, 1, 3]]]).shape == (3, 8, 8, 3)
    dh = dcgan_discriminator((8, 12, 1), width=4, hidden_units=9)
    assert dh(out).shape == (3, 1)
    assert [p.shape for p in dh.parameters() if len(p.shape) == 2] == [(2 * 3 * 8, 9), (9, 1)]
    dch = dcgan_discriminator((8, 8, 3), width=4, num_classes=4, hidden_units=5)
    assert dch(img).shape == (3, 5)
    for m in (g, d, gc, dc, gm, gcm, dh, dch):
        assert all(p.dtype == np.float32 for p in m.parameters())


@pytest.mark.parametrize(
    ("fn", "kwargs", "match"),
    [
        (dcgan_generator, {"latent_dim": 0}, "latent_dim must be an int >= 1"),
        (dcgan_generator, {"latent_dim": 4, "image_shape": (10, 8, 1)}, "multiples of 4"),
        (dcgan_generator, {"latent_dim": 4, "image_shape": (8, 8)}, "height, width, channels"),
        (dcgan_generator, {"latent_dim": 4, "num_classes": 1}, "num_classes must be an int >= 2"),
        (dcgan_discriminator, {"width": 0}, "width must be an int >= 1"),
        (dcgan_discriminator, {"hidden_units": -2}, "hidden_units must be an int >= 0"),
        (
            dcgan_generator,
            {"latent_dim": 4, "mapping_layers": -1},
            "mapping_layers must be an int >= 0",
        ),
        (
            dcgan_generator,
            {"latent_dim": 4, "mapping_units": 0},
            "mapping_units must be an int >= 1",
        ),
    ],
)
def test_builders_reject_bad_arguments(fn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(**kwargs)


def _gan(k=None, **kwargs):
    g = dcgan_generator(6, (8, 8, 1), width=4, num_classes=k)
    d = dcgan_discriminator((8, 8, 1), width=4, num_classes=k)
    return GAN(g, d, latent_dim=6, num_classes=k, **kwargs)


def test_gan_rejects_bad_hyperparameters():
    for kwargs, match in (({"label_smoothing": 0.5}, "label_smoothing"), ({"lr": 0.0}, "lr"),
                          ({"beta_1": 1.0}, "beta_1"), ({"lr": True}, "lr"),
                          ({"ema": 1.0}, "ema"), ({"ema": -0.1}, "ema"),
                          ({"ema": True}, "ema")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            _gan(**kwargs)


def test_train_step_updates_both_players_and_reports_statistics():
    gan = _gan(label_smoothing=0.1)
    x, _ = _real(16)
    g0 = [p.data.copy() for p in gan.generator.parameters()]
    d0 = [p.data.copy() for p in gan.discriminator.parameters()]
    stats = gan.train_step(x)
    assert set(stats) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v) for v in stats.values())
    assert 0 < stats["d_real"] < 1 and 0 < stats["d_fake"] < 1
    assert all(not np.array_equal(a, p.data) for a, p in zip(g0, gan.generator.parameters()))
    assert all(not np.array_equal(a, p.data) for a, p in zip(d0, gan.discriminator.parameters()))
    assert all(p.grad is None or not np.any(p.grad) for p in gan.discriminator.parameters())


def test_discriminator_loss_matches_a_hand_computed_value():
    """D's loss on the first step equals BCE(D(x), 1 - s) + BCE(D(G(z)), 0) computed from the
    same networks and the same latents."""
    gan = _gan(label_smoothing=0.2)
    x, _ = _real(8)
    state = chainrule.random.get_state()
    z = gan.latents(8)
    chainrule.random.set_state(state)
    gan.generator.train()
    gan.discriminator.train()  # batch statistics, as in the step
    with chainrule.no_grad():
        fake = gan.generator(z)
        lr_, lf = gan.discriminator(x).numpy()[:, 0], gan.discriminator(fake).numpy()[:, 0]

    def bce(logit, t):
        return np.mean(np.maximum(logit, 0) - logit * t + np.log1p(np.exp(-np.abs(logit))))

    stats = gan.train_step(x)
    assert stats["d_loss"] == pytest.approx(bce(lr_, 0.8) + bce(lf, 0.0), rel=1e-5)


def test_reproducible_under_the_library_seed():
    x, _ = _real(32)
    runs = []
    for _ in range(2):
        chainrule.manual_seed(3)
        gan = _gan()
        log = gan.train_epoch(x, batch_size=8)
        runs.append((log["g_loss"], gan.generate(4)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_weight_average_follows_its_formula_and_leaves_training_unchanged():
    """With ``ema`` the live generator trains exactly as without it (the copy draws nothing from
    the library generator); the average is d·avg + (1 − d)·live with the warmed-up d, over the
    parameters and the BatchNorm statistics; generate draws from the average."""
    x, _ = _real(32)
    chainrule.manual_seed(5)
    plain = _gan()
    for e in range(4):
        plain.train_step(x[8 * e : 8 * e + 8])
    chainrule.manual_seed(5)
    gan = _gan(ema=0.6)
    assert plain.sampler is plain.generator and plain.ema_generator is None
    assert gan.sampler is gan.ema_generator and gan.ema_generator is not gan.generator
    avg = {k: v.astype(np.float64) for k, v in gan.generator.state_dict().items()}
    for e in range(4):
        gan.train_step(x[8 * e : 8 * e + 8])
        d = min(0.6, (1 + e + 1) / (10 + e + 1))
        for key, v in gan.generator.state_dict().items():
            avg[key] = d * avg[key] + (1 - d) * v
    assert gan.ema_updates == 4
    for (k1, a), (k2, b) in zip(plain.generator.state_dict().items(),
                                gan.generator.state_dict().items()):  # fmt: skip
        assert k1 == k2
        np.testing.assert_array_equal(a, b)
    ema_state = gan.ema_generator.state_dict()
    assert any("moving" in k or "running" in k for k in ema_state)
    for (key, want), got in zip(avg.items(), ema_state.values()):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=key)
    z = gan.latents(3)
    gan.ema_generator.eval()
    gan.generator.eval()
    with chainrule.no_grad():
        want_avg = (gan.ema_generator(z).numpy() + 1) / 2
        want_live = (gan.generator(z).numpy() + 1) / 2
    np.testing.assert_allclose(gan.generate(3, z=z), want_avg, atol=1e-6)
    np.testing.assert_allclose(gan.generate(3, z=z, live=True), want_live, atol=1e-6)
    assert not np.allclose(want_avg, want_live)
    # a conditional (two-input) generator is averaged the same way
    cond = _gan(k=3, ema=0.9)
    x, y = _real(16)
    cond.train_epoch(x, y, batch_size=8)
    assert cond.ema_updates == 2 and cond.sampler is cond.ema_generator
    assert cond.generate(4, np.array([0, 1, 2, 0])).shape == (4, 8, 8, 1)


def test_conditional_training_learns_the_classes_and_generates_requested_labels(tmp_path):
    gan = _gan(k=3)
    x, y = _real(32)
    log = gan.train_epoch(x, y, batch_size=8)
    assert set(log) == {"d_loss", "g_loss", "d_real", "d_fake", "d_class_accuracy"}
    assert all(len(v) == 4 for v in log.values())
    images = gan.generate(6, np.array([0, 1, 2, 2, 1, 0]))
    assert images.shape == (6, 8, 8, 1) and images.min() >= 0 and images.max() <= 1
    with pytest.raises(ValueError, match="a conditional GAN needs one label"):
        gan.train_step(x)
    with pytest.raises(ValueError, match=r"ints in \[0, 3\)"):
        gan.generate(2, np.array([0, 3]))
    with pytest.raises(ValueError, match="unconditional"):
        _gan().generate(2, np.array([0, 1]))
    # the two-input generator round-trips through a model file with its optimizer state
    save_model(gan.generator, tmp_path / "g.zip", include_optimizer=True)
    back = load_model(tmp_path / "g.zip")
    z = gan.latents(4)
    y1 = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    gan.generator.eval()
    np.testing.assert_array_equal(back([z, y1]).numpy(), gan.generator([z, y1]).numpy())
    assert back.optimizer is not None


def test_train_epoch_needs_one_full_batch():
    with pytest.raises(ValueError, match="fewer than one batch"):
        _gan().train_epoch(_real(4)[0], batch_size=8)


def test_discriminator_win_is_detected_when_the_generator_cannot_learn():
    """With the generator's learning rate at zero the discriminator soon rejects every generated
    image and the generator's loss climbs: diagnose_epoch reports it."""
    gan = _gan(lr=2e-3)
    for group in gan.g_optimizer.param_groups:
        group["lr"] = 0.0
    x, _ = _real(256)
    found = []
    for _ in range(3):
        found = diagnose_epoch(gan.train_epoch(x, batch_size=16))
    assert [kind for kind, _ in found] == ["discriminator_wins"]
    assert "generated images a mean probability" in found[0][1]


def test_diagnosis_rules():
    n = 40
    calm = {"d_loss": np.full(n, 1.2), "g_loss": np.full(n, 0.9), "d_fake": np.full(n, 0.4)}
    assert diagnose_epoch(calm) == []
    wins = {"d_loss": np.full(n, 0.01), "g_loss": np.linspace(3, 6, n), "d_fake": np.full(n, 0.01)}
    assert [k for k, _ in diagnose_epoch(wins)] == ["discriminator_wins"]
    falling = dict(wins, g_loss=np.linspace(6, 3, n))  # D strong but G recovering: not flagged
    assert diagnose_epoch(falling) == []
    nan = dict(calm, g_loss=np.r_[np.full(n - 1, 1.0), np.nan])
    assert [k for k, _ in diagnose_epoch(nan)] == ["non_finite"]
    shares = [0.6] + [0.4 / 9] * 9
    q = {"max_class_share": 0.6, "classes_present": 10.0, "class_shares": shares}
    assert [k for k, _ in diagnose_epoch(calm, q)] == ["mode_collapse"]
    few = {"max_class_share": 0.34, "classes_present": 3.0, "class_shares": [0.3] * 3 + [0.0] * 7}
    assert [k for k, _ in diagnose_epoch(calm, few)] == ["mode_collapse"]
    assert diagnose_epoch(calm, few, conditional=True) == []
    assert [k for k, _ in diagnose_epoch(calm, {"diversity": 0.1})] == ["mode_collapse"]
    assert diagnose_epoch(calm, {"diversity": 0.9, "max_class_share": 0.2}) == []


def test_mean_pairwise_distance():
    x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    assert mean_pairwise_distance(x) == pytest.approx((5 + 0 + 5) * 2 / 6)
    assert mean_pairwise_distance(np.zeros((5, 2, 2))) == 0.0
    with pytest.raises(ValueError, match="two images"):
        mean_pairwise_distance(np.zeros((1, 3)))
