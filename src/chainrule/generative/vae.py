"""The variational autoencoder in the Keras door: encoders and decoders built from registered
layers (so each saves with ``save_model``), and :class:`VAE`, a subclassed Model whose
``train_step`` minimises the negative ELBO (:mod:`chainrule.generative.elbo`), as Keras 3's VAE
example writes it.

Shapes (images ``(N, H, W)`` or ``(N, H, W, C)``, intensities in [0, 1]):

- encoder: images → ``(N, 2 * latent_dim)``: the mean then the log-variance of ``q(z|x)``;
- decoder: latents ``(N, latent_dim)`` → Bernoulli logits ``(N, H, W, C)`` (channels-last).

Two variants:

- MLP (PyTorch's VAE example, 784-400-20 / 20-400-784): :func:`mlp_encoder`, :func:`mlp_decoder`;
- convolutional (Keras's VAE example, two stride-2 convolutions and their transposes):
  :func:`conv_encoder`, :func:`conv_decoder`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..function import no_grad
from ..metrics.base import Mean
from ..training.model import Model
from ..training.sequential import Sequential
from .elbo import negative_elbo, reparameterize, split_gaussian

VARIANTS = ("mlp", "conv")


def _check_sizes(what: str, latent_dim: int, hidden: Sequence[int], image_shape) -> tuple:
    def ok(v, low=1):
        return isinstance(v, int) and not isinstance(v, bool) and v >= low

    if not ok(latent_dim):
        raise ValueError(f"{what}: latent_dim must be an int >= 1, got {latent_dim!r}")
    hidden = tuple(hidden)
    if not all(ok(h) for h in hidden):
        raise ValueError(f"{what}: hidden sizes must be ints >= 1, got {list(hidden)!r}")
    shape = tuple(image_shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3 or not all(ok(s) for s in shape):
        raise ValueError(
            f"{what}: image_shape must be (height, width) or (height, width, channels), got "
            f"{image_shape!r}"
        )
    return hidden, shape


def mlp_encoder(latent_dim: int = 20, hidden: Sequence[int] = (400,),
                image_shape=(28, 28, 1), name: str = "encoder") -> Sequential:  # fmt: skip
    """Flatten → Dense(h, relu) for each ``h`` in ``hidden`` → Dense(2 * latent_dim)."""
    from .. import layers

    hidden, shape = _check_sizes("mlp_encoder", latent_dim, hidden, image_shape)
    stack = [layers.Input(shape=shape), layers.Flatten()]
    stack += [layers.Dense(h, activation="relu") for h in hidden]
    stack.append(layers.Dense(2 * latent_dim, name="gaussian_params"))
    return Sequential(stack, name=name)


def mlp_decoder(latent_dim: int = 20, hidden: Sequence[int] = (400,),
                image_shape=(28, 28, 1), name: str = "decoder") -> Sequential:  # fmt: skip
    """Dense(h, relu) for each ``h`` in ``hidden`` (reversed order of the encoder's) →
    Dense(H * W * C) → Reshape((H, W, C)): Bernoulli logits."""
    from .. import layers

    hidden, shape = _check_sizes("mlp_decoder", latent_dim, hidden, image_shape)
    stack = [layers.Input(shape=(latent_dim,))]
    stack += [layers.Dense(h, activation="relu") for h in hidden]
    stack += [layers.Dense(math.prod(shape), name="logits"), layers.Reshape(shape)]
    return Sequential(stack, name=name)


def _conv_geometry(what: str, shape: tuple, filters: Sequence[int]) -> tuple[int, int]:
    steps = 2 ** len(filters)
    if shape[0] % steps or shape[1] % steps:
        raise ValueError(
            f"{what}: height and width {shape[:2]} must be multiples of 2**len(filters) = {steps}"
        )
    return shape[0] // steps, shape[1] // steps


def conv_encoder(latent_dim: int = 20, filters: Sequence[int] = (32, 64), dense: int = 256,
                 image_shape=(28, 28, 1), name: str = "encoder") -> Sequential:  # fmt: skip
    """Reshape to ``(H, W, C)`` → Conv2D(f, 3, strides=2, padding="same", relu) for each ``f``
    → Flatten → Dense(dense, relu) → Dense(2 * latent_dim)."""
    from .. import layers

    filters, shape = _check_sizes("conv_encoder", latent_dim, filters, image_shape)
    _check_sizes("conv_encoder", dense, (), shape)
    _conv_geometry("conv_encoder", shape, filters)
    stack = [layers.Input(shape=shape), layers.Reshape(shape)]  # (N, H, W) images too
    stack += [layers.Conv2D(f, 3, strides=2, padding="same", activation="relu") for f in filters]
    stack += [layers.Flatten(), layers.Dense(dense, activation="relu"),
              layers.Dense(2 * latent_dim, name="gaussian_params")]  # fmt: skip
    return Sequential(stack, name=name)


def conv_decoder(latent_dim: int = 20, filters: Sequence[int] = (64, 32), dense: int = 256,
                 image_shape=(28, 28, 1), name: str = "decoder") -> Sequential:  # fmt: skip
    """Dense(dense, relu) → Dense(h * w * filters[0], relu) → Reshape((h, w, filters[0])) →
    Conv2DTranspose(f, 3, strides=2, padding="same", relu) for each ``f`` → Conv2DTranspose(C, 3,
    padding="same"): Bernoulli logits ``(H, W, C)``; ``h, w = H, W / 2**len(filters)``."""
    from .. import layers

    filters, shape = _check_sizes("conv_decoder", latent_dim, filters, image_shape)
    _check_sizes("conv_decoder", dense, (), shape)
    h, w = _conv_geometry("conv_decoder", shape, filters)
    stack = [layers.Input(shape=(latent_dim,)), layers.Dense(dense, activation="relu"),
             layers.Dense(h * w * filters[0], activation="relu"),
             layers.Reshape((h, w, filters[0]))]  # fmt: skip
    stack += [
        layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu") for f in filters
    ]
    stack.append(layers.Conv2DTranspose(shape[2], 3, padding="same", name="logits"))
    return Sequential(stack, name=name)


def build_vae(variant: str = "mlp", latent_dim: int = 20, *, hidden: Sequence[int] | None = None,
              image_shape=(28, 28, 1)) -> VAE:  # fmt: skip
    """An uncompiled :class:`VAE` of the given variant. ``hidden``: the MLP's hidden sizes
    (default ``(400,)``) or the conv encoder's filters (default ``(32, 64)``; the decoder mirrors
    them)."""
    if variant == "mlp":
        hidden = (400,) if hidden is None else tuple(hidden)
        enc = mlp_encoder(latent_dim, hidden, image_shape)
        dec = mlp_decoder(latent_dim, hidden[::-1], image_shape)
    elif variant == "conv":
        hidden = (32, 64) if hidden is None else tuple(hidden)
        enc = conv_encoder(latent_dim, hidden, image_shape=image_shape)
        dec = conv_decoder(latent_dim, hidden[::-1], image_shape=image_shape)
    else:
        raise ValueError(f"build_vae: variant must be one of {list(VARIANTS)}, got {variant!r}")
    return VAE(enc, dec)


def decoder_spec(latent_dim: int, image_shape=(28, 28, 1)) -> dict:
    """The ``"generator"`` preprocessing object of a decoder built here: latents from N(0, I),
    channels-last Bernoulli logits (``decoder.preprocessing = decoder_spec(20)``)."""
    from ..io.generator_spec import generator_spec

    _, shape = _check_sizes("decoder_spec", latent_dim, (), image_shape)
    return generator_spec(latent_dim, shape[0], shape[1], channels=shape[2],
                          layout="channels_last", output="bernoulli-logits")  # fmt: skip


class VAE(Model):
    """Encoder → ``(mu, logvar)`` → ``z = mu + exp(logvar / 2) * eps`` → decoder logits.

    ``fit(x, epochs=..., batch_size=...)`` minimises the mean negative ELBO per image (nats):
    summed binary cross-entropy of the logits against the intensities ``x`` plus the KL term. The
    logs are ``loss`` (the negative ELBO), ``reconstruction_loss`` and ``kl_loss``, running means
    over the epoch's images. ``validation_data=(x_val, x_val)`` gives their ``val_`` versions.
    Calling the model returns the logits of the reconstructions of ``x`` (one draw of ``z``).
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = Mean(name="loss")
        self.reconstruction_loss_tracker = Mean(name="reconstruction_loss")
        self.kl_loss_tracker = Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def encode(self, x, training: bool = False):
        """``(mu, logvar)``, each ``(N, latent_dim)``."""
        return split_gaussian(self.encoder(x, training=training))

    def call(self, x, training: bool = False):
        mu, logvar = self.encode(x, training=training)
        return self.decoder(reparameterize(mu, logvar), training=training)

    def _losses(self, data, training: bool):
        x = data[0] if isinstance(data, (tuple, list)) else data
        mu, logvar = self.encode(x, training=training)
        logits = self.decoder(reparameterize(mu, logvar), training=training)
        return negative_elbo(logits, x, mu, logvar)

    def _logs(self, neg, rec, kl) -> dict:
        self.total_loss_tracker.update_state(neg.data)
        self.reconstruction_loss_tracker.update_state(rec.data)
        self.kl_loss_tracker.update_state(kl.data)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        self.zero_grad()
        neg, rec, kl = self._losses(data, training=True)
        neg.mean().backward()
        params = self.trainable_weights
        with no_grad():
            self.optimizer.apply([p.grad for p in params], params)
        return self._logs(neg, rec, kl)

    def test_step(self, data):
        with no_grad():
            neg, rec, kl = self._losses(data, training=False)
        return self._logs(neg, rec, kl)
