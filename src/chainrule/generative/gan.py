"""DCGAN-style generative adversarial networks (Radford et al., 2016) on small images, and the
auxiliary-classifier conditional variant (AC-GAN, Odena et al., 2017), built from the Keras door's
layers and trained by a hand-written loop over chainrule's autograd.

Generator ``G``: ``z (N, latent_dim)`` → [``mapping_layers`` × (Dense(mapping_units) →
BatchNorm → ReLU)] → Dense → BatchNorm → ReLU → reshape to ``(H/4, W/4, 2·width)`` →
Conv2DTranspose(width, 4, stride 2) → BatchNorm → ReLU → Conv2DTranspose(C, 4, stride 2, tanh) →
images ``(N, H, W, C)`` in [-1, 1]. A conditional generator takes ``[z, y]`` with ``y`` one-hot
``(N, K)``, concatenated to ``z``. The optional fully connected *mapping* layers (default none; a
shallow form of StyleGAN's mapping network) make the map from the unimodal Gaussian latent to the
image features more non-linear: an unconditional generator has to split that Gaussian into
separate digit classes, and with a single linear layer in front of the convolutions it spends
much of the latent mass on in-between, ambiguous images.

Discriminator ``D``: images ``(N, H, W, C)`` → Conv2D(width, 4, stride 2) → LeakyReLU(0.2) →
Conv2D(2·width, 4, stride 2) → BatchNorm → LeakyReLU(0.2) → Flatten → [Dense(hidden_units) →
BatchNorm → LeakyReLU(0.2)] → Dense(1 [+ K]) logits: the first is "real vs generated"; a
conditional discriminator adds K class logits (AC-GAN). Without the optional hidden layer (the
default) D's verdict is a linear function of features that each see a 10×10 patch, so it cannot
judge a digit's shape as a whole: broken or wobbly strokes whose patches look right pass. The
hidden layer (InfoGAN's MNIST discriminator, Chen et al. 2016, has one of 1,024 units; its
generator likewise has a fully connected layer before the one that feeds the convolutions)
gives it that non-linear, global stage.

Losses (the non-saturating GAN game): ``D`` minimises BCE(D(x), 1 − s) + BCE(D(G(z)), 0) with
one-sided label smoothing ``s`` (Salimans et al., 2016), ``G`` minimises BCE(D(G(z)), 1). The
conditional game adds the cross-entropy of D's class logits against the true label for real images
(to D's loss) and against the requested label for generated ones (to G's loss). Adam with
β₁ = 0.5 for both, as DCGAN.

Weight averaging (``ema`` > 0; Yazici et al., 2019, as ProGAN and StyleGAN sample): a copy of the
generator keeps an exponential moving average of the live generator's state after every generator
update, ``avg ← d·avg + (1 − d)·live`` with ``d = min(ema, (1 + t) / (10 + t))`` at update ``t``
(the warm-up of TensorFlow's ``ExponentialMovingAverage(num_updates=t)``: early on, the average
forgets its random initialisation quickly). The BatchNorm moving statistics are averaged the same
way. The average is what :meth:`GAN.generate` draws from; the live generator is what trains.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..function import no_grad
from ..random import get_generator

#: The statistics one training step returns (means over the batch).
STEP_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
#: Extra statistic of the conditional game: D's class accuracy on the real batch.
COND_STEP_KEYS = ("d_class_accuracy",)


def _check_shape(image_shape, where: str) -> tuple[int, int, int]:
    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 3
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in image_shape)
    ):
        raise ValueError(f"{where}: image_shape must be (height, width, channels), got "
                         f"{image_shape!r:.80}")  # fmt: skip
    h, w, c = image_shape
    if h % 4 or w % 4:
        raise ValueError(f"{where}: height and width must be multiples of 4 (two stride-2 "
                         f"upsamplings), got {h}x{w}")  # fmt: skip
    return h, w, c


def _check_int(value, name: str, where: str, low: int = 1) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise ValueError(f"{where}: {name} must be an int >= {low}, got {value!r:.40}")
    return int(value)


def _check_classes(num_classes, where: str) -> int | None:
    if num_classes is None:
        return None
    return _check_int(num_classes, "num_classes", where, low=2)


def dcgan_generator(latent_dim: int, image_shape=(28, 28, 1), *, width: int = 32,
                    num_classes: int | None = None, mapping_layers: int = 0,
                    mapping_units: int = 256, name: str = "generator"):  # fmt: skip
    """The DCGAN generator (module docstring): ``z (N, latent_dim)`` (or ``[z, y_onehot]``) →
    ``(N, H, W, C)`` in [-1, 1], with ``mapping_layers`` fully connected layers of
    ``mapping_units`` in front. A functional Keras-door model, built."""
    import chainrule as keras
    from chainrule import layers as L

    where = "dcgan_generator"
    latent_dim = _check_int(latent_dim, "latent_dim", where)
    width = _check_int(width, "width", where)
    num_classes = _check_classes(num_classes, where)
    mapping_layers = _check_int(mapping_layers, "mapping_layers", where, low=0)
    mapping_units = _check_int(mapping_units, "mapping_units", where)
    h, w, c = _check_shape(image_shape, where)
    z = keras.Input(shape=(latent_dim,), name="z")
    inputs = [z]
    t = z
    if num_classes is not None:
        y = keras.Input(shape=(num_classes,), name="label_one_hot")
        inputs.append(y)
        t = L.Concatenate()([z, y])
    for _ in range(mapping_layers):
        t = L.Dense(mapping_units, use_bias=False)(t)
        t = L.BatchNormalization(momentum=0.9)(t)
        t = L.ReLU()(t)
    t = L.Dense(h // 4 * (w // 4) * 2 * width, use_bias=False)(t)
    t = L.BatchNormalization(momentum=0.9)(t)
    t = L.ReLU()(t)
    t = L.Reshape((h // 4, w // 4, 2 * width))(t)
    t = L.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False)(t)
    t = L.BatchNormalization(momentum=0.9)(t)
    t = L.ReLU()(t)
    t = L.Conv2DTranspose(c, 4, strides=2, padding="same", activation="tanh")(t)
    return keras.Model(inputs=inputs if num_classes is not None else z, outputs=t, name=name)


def dcgan_discriminator(image_shape=(28, 28, 1), *, width: int = 32,
                        num_classes: int | None = None, hidden_units: int = 0,
                        name: str = "discriminator"):  # fmt: skip
    """The DCGAN discriminator (module docstring): ``(N, H, W, C)`` → logits ``(N, 1)``, or
    ``(N, 1 + K)`` (real/generated, then the K class logits) when ``num_classes`` is given;
    ``hidden_units`` > 0 adds the fully connected hidden layer before the logits."""
    import chainrule as keras
    from chainrule import layers as L

    where = "dcgan_discriminator"
    width = _check_int(width, "width", where)
    num_classes = _check_classes(num_classes, where)
    hidden_units = _check_int(hidden_units, "hidden_units", where, low=0)
    _check_shape(image_shape, where)
    hidden = []
    if hidden_units:
        hidden = [L.Dense(hidden_units, use_bias=False), L.BatchNormalization(momentum=0.9),
                  L.LeakyReLU(negative_slope=0.2)]  # fmt: skip
    return keras.Sequential(
        [
            keras.Input(shape=tuple(image_shape)),
            L.Conv2D(width, 4, strides=2, padding="same"),
            L.LeakyReLU(negative_slope=0.2),
            L.Conv2D(2 * width, 4, strides=2, padding="same", use_bias=False),
            L.BatchNormalization(momentum=0.9),
            L.LeakyReLU(negative_slope=0.2),
            L.Flatten(),
            *hidden,
            L.Dense(1 + (num_classes or 0)),
        ],
        name=name,
    )


class GAN:
    """A generator and a discriminator with their Adam optimisers, trained as the module docstring
    says.

    ``generator``: ``z (N, latent_dim)`` (or ``[z, y_onehot (N, K)]`` when ``num_classes``) →
    images ``(N, H, W, C)`` in [-1, 1]; ``discriminator``: images → logits ``(N, 1 [+ K])``.
    ``label_smoothing`` in [0, 0.5): real images' target is ``1 − label_smoothing`` (one-sided).
    """

    def __init__(self, generator, discriminator, *, latent_dim: int,
                 num_classes: int | None = None, lr: float = 2e-4, beta_1: float = 0.5,
                 beta_2: float = 0.999, label_smoothing: float = 0.0,
                 ema: float = 0.0):  # fmt: skip
        from .. import optim
        from ..models import clone_model
        from ..random import get_state, set_state

        where = "GAN"
        self.latent_dim = _check_int(latent_dim, "latent_dim", where)
        self.num_classes = _check_classes(num_classes, where)
        if not isinstance(label_smoothing, (int, float)) or not 0.0 <= label_smoothing < 0.5:
            raise ValueError(f"GAN: label_smoothing must be a number in [0, 0.5), got "
                             f"{label_smoothing!r:.40}")  # fmt: skip
        for name, v in (("lr", lr), ("beta_1", beta_1), ("beta_2", beta_2)):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0.0 <= v < 1.0:
                raise ValueError(f"GAN: {name} must be a number in [0, 1), got {v!r:.40}")
        if lr == 0:
            raise ValueError("GAN: lr must be positive, got 0")
        if not isinstance(ema, (int, float)) or isinstance(ema, bool) or not 0.0 <= ema < 1.0:
            raise ValueError(f"GAN: ema must be a number in [0, 1) (0: off), got {ema!r:.40}")
        self.generator, self.discriminator = generator, discriminator
        self.label_smoothing = float(label_smoothing)
        self.g_optimizer = optim.Adam(generator.parameters(), lr=lr, betas=(beta_1, beta_2))
        self.d_optimizer = optim.Adam(discriminator.parameters(), lr=lr, betas=(beta_1, beta_2))
        self.generator.optimizer = self.g_optimizer  # saved with include_optimizer=True
        self.discriminator.optimizer = self.d_optimizer
        self.ema = float(ema)
        #: the weight-averaged generator (module docstring), None when ``ema`` is 0
        self.ema_generator = None
        #: generator updates averaged so far (the warm-up's ``t``)
        self.ema_updates = 0
        if self.ema > 0:
            rng = get_state()  # the clone's throw-away initialisation draws nothing for training
            self.ema_generator = clone_model(generator)
            set_state(rng)
            self.ema_generator.load_state_dict(
                {key: v.copy() for key, v in generator.state_dict().items()}
            )
            self.ema_generator.eval()

    @property
    def sampler(self):
        """The generator that :meth:`generate` draws from: the weight average when ``ema`` > 0,
        else the live generator."""
        return self.generator if self.ema_generator is None else self.ema_generator

    def update_ema(self) -> None:
        """One averaging step of the module docstring (a no-op when ``ema`` is 0)."""
        if self.ema_generator is None:
            return
        self.ema_updates += 1
        t = self.ema_updates
        d = np.float32(min(self.ema, (1.0 + t) / (10.0 + t)))
        for avg, live in zip(self.ema_generator.state_dict().values(),
                             self.generator.state_dict().values()):  # fmt: skip
            avg -= live  # avg ← d·avg + (1 − d)·live, as avg ← live + d·(avg − live)
            avg *= d
            avg += live

    # ------------------------------------------------------------------ sampling
    def latents(self, n: int) -> np.ndarray:
        """``(n, latent_dim)`` float32 standard-normal draws (chainrule's generator)."""
        return get_generator().standard_normal((n, self.latent_dim), dtype=np.float32)

    def _g_inputs(self, z: np.ndarray, labels: np.ndarray | None):
        if self.num_classes is None:
            return z
        return [z, np.eye(self.num_classes, dtype=np.float32)[labels]]

    def generate(self, n: int, labels: np.ndarray | None = None, *, z: np.ndarray | None = None,
                 batch_size: int = 500, live: bool = False) -> np.ndarray:  # fmt: skip
        """``n`` images ``(n, H, W, C)`` as float32 intensities in [0, 1] from :attr:`sampler`
        (``live=True``: from the live generator) in inference mode. A conditional GAN draws
        ``labels`` (int ``(n,)``; default: 0, 1, …, K−1, 0, …)."""
        n = _check_int(n, "n", "GAN.generate")
        if self.num_classes is not None:
            labels = (np.arange(n) % self.num_classes if labels is None
                      else np.asarray(labels, dtype=np.int64))  # fmt: skip
            if labels.shape != (n,) or labels.min() < 0 or labels.max() >= self.num_classes:
                raise ValueError(f"GAN.generate: labels must be {n} ints in [0, "
                                 f"{self.num_classes}), got shape {labels.shape}")  # fmt: skip
        elif labels is not None:
            raise ValueError("GAN.generate: this GAN is unconditional; it takes no labels")
        z = self.latents(n) if z is None else np.asarray(z, dtype=np.float32)
        if z.shape != (n, self.latent_dim):
            raise ValueError(f"GAN.generate: z must be {(n, self.latent_dim)}, got {z.shape}")
        model = self.generator if live else self.sampler
        was = model.training
        model.eval()
        out = []
        try:
            with no_grad():
                for i in range(0, n, batch_size):
                    lab = None if labels is None else labels[i : i + batch_size]
                    out.append(model(self._g_inputs(z[i : i + batch_size], lab)).numpy())
        finally:
            model.train(was)
        images = np.concatenate(out)
        images += 1.0
        images *= 0.5
        return np.clip(images, 0.0, 1.0, out=images)

    # ------------------------------------------------------------------ training
    def train_step(self, x: np.ndarray, y: np.ndarray | None = None) -> dict[str, float]:
        """One discriminator update then one generator update on real images ``x (N, H, W, C)``
        in [-1, 1] (and their int labels ``y (N,)`` for a conditional GAN); returns the step's
        statistics (:data:`STEP_KEYS`; ``d_real``/``d_fake``: D's mean probability of "real"
        on the real and the generated batch, before its update)."""
        import chainrule.nn.functional as F

        from ..tensor import Tensor

        n = len(x)
        k = self.num_classes
        if k is not None and (y is None or len(y) != n):
            raise ValueError("GAN.train_step: a conditional GAN needs one label per real image")
        G, D = self.generator, self.discriminator
        G.train()
        D.train()
        z = self.latents(n)
        fake_labels = None if k is None else get_generator().integers(0, k, size=n)
        fake = G(self._g_inputs(z, fake_labels))
        real_target = Tensor(np.full((n, 1), 1.0 - self.label_smoothing, dtype=np.float32))
        ones = Tensor(np.ones((n, 1), dtype=np.float32))
        zeros = Tensor(np.zeros((n, 1), dtype=np.float32))

        # discriminator: real → 1 − s, generated (detached) → 0 (+ class of the real images)
        out_real = D(Tensor(x))
        out_fake = D(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(out_real[:, :1], real_target)
        d_loss = d_loss + F.binary_cross_entropy_with_logits(out_fake[:, :1], zeros)
        stats = {}
        if k is not None:
            d_loss = d_loss + F.cross_entropy(out_real[:, 1:], Tensor(np.asarray(y, np.int64)))
            stats["d_class_accuracy"] = float(
                (out_real.data[:, 1:].argmax(axis=1) == np.asarray(y)).mean()
            )
        self.d_optimizer.zero_grad()
        d_loss.backward()
        self.d_optimizer.step()

        # generator: make D call the generated batch real (+ of the requested class)
        out = D(fake)
        g_loss = F.binary_cross_entropy_with_logits(out[:, :1], ones)
        if k is not None:
            g_loss = g_loss + F.cross_entropy(out[:, 1:], Tensor(fake_labels.astype(np.int64)))
        self.g_optimizer.zero_grad()
        g_loss.backward()
        self.g_optimizer.step()
        self.update_ema()
        D.zero_grad()  # D's gradients from the generator's loss are not D's to apply

        def prob(logits) -> float:
            return float((0.5 * (1.0 + np.tanh(0.5 * logits.data[:, 0]))).mean())

        return {"d_loss": float(d_loss.item()), "g_loss": float(g_loss.item()),
                "d_real": prob(out_real), "d_fake": prob(out_fake), **stats}  # fmt: skip

    def train_epoch(self, x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int = 64,
                    on_step: Callable[[int, dict], None] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
        """One pass over ``x (N, H, W, C)`` in [-1, 1] in a random order (chainrule's generator),
        full batches only; returns each statistic per step (float64 arrays)."""
        batch_size = _check_int(batch_size, "batch_size", "GAN.train_epoch")
        if len(x) < batch_size:
            raise ValueError(f"GAN.train_epoch: {len(x)} images is fewer than one batch of "
                             f"{batch_size}")  # fmt: skip
        order = get_generator().permutation(len(x))
        log: dict[str, list] = {}
        for step in range(len(x) // batch_size):
            idx = order[step * batch_size : (step + 1) * batch_size]
            stats = self.train_step(x[idx], None if y is None else y[idx])
            for key, v in stats.items():
                log.setdefault(key, []).append(v)
            if on_step is not None:
                on_step(step, stats)
        return {key: np.asarray(v, dtype=np.float64) for key, v in log.items()}
