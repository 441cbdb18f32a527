"""Keras's "Variational AutoEncoder" example (keras.io/examples/generative/vae) on chainrule's
Keras door, with a Bernoulli decoder: the decoder outputs logits and the reconstruction term is
``binary_crossentropy(..., from_logits=True)`` summed over the 784 pixels, the targets being the
pixel intensities in [0, 1] (PyTorch's VAE example convention).

Written as the keras.io recipe: a ``Sampling`` layer (the reparameterisation trick), a functional
encoder with outputs ``[z_mean, z_log_var, z]``, a functional decoder, and a subclassed
``keras.Model`` whose ``train_step`` (the PyTorch-backend form) adds the KL term and tracks
``total_loss``, ``reconstruction_loss`` and ``kl_loss``. ``--arch conv`` is the recipe's
convolutional encoder/decoder (two stride-2 Conv2D, their Conv2DTranspose mirror); ``--arch mlp``
(the default) is PyTorch's example's 784-400-20 / 20-400-784. Latent dimension 20.

After training it reports the test-set negative ELBO and the importance-weighted bound (k = 100)
in nats per image and writes samples.png, reconstructions.png, interpolation.png and the decoder
as a model file ``chainrule generate`` can sample from.

    python examples/keras/mnist_vae.py                        # MLP, 10 epochs, all data
    python examples/keras/mnist_vae.py --arch conv --epochs 1 --subset 2000 --test-subset 500
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import chainrule as keras
import chainrule as torch
from chainrule import layers, ops
from chainrule.generative.elbo import evaluate_bounds
from chainrule.generative.grids import save_image_grid
from chainrule.generative.vae import decoder_spec


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean))
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def build_encoder(arch: str, latent_dim: int) -> keras.Model:
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    if arch == "conv":
        x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
        x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
        x = layers.Flatten()(x)
        x = layers.Dense(256, activation="relu")(x)
    else:
        x = layers.Flatten()(encoder_inputs)
        x = layers.Dense(400, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder(arch: str, latent_dim: int) -> keras.Model:
    latent_inputs = keras.Input(shape=(latent_dim,))
    if arch == "conv":
        x = layers.Dense(256, activation="relu")(latent_inputs)
        x = layers.Dense(7 * 7 * 64, activation="relu")(x)
        x = layers.Reshape((7, 7, 64))(x)
        x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
        x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
        decoder_outputs = layers.Conv2DTranspose(1, 3, padding="same")(x)  # logits
    else:
        x = layers.Dense(400, activation="relu")(latent_inputs)
        x = layers.Dense(28 * 28)(x)  # logits
        decoder_outputs = layers.Reshape((28, 28, 1))(x)
    return keras.Model(latent_inputs, decoder_outputs, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def call(self, inputs):
        _, _, z = self.encoder(inputs)
        return self.decoder(z)

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        self.zero_grad()
        z_mean, z_log_var, z = self.encoder(x, training=True)
        reconstruction = self.decoder(z, training=True)
        reconstruction_loss = ops.mean(
            ops.sum(
                keras.losses.binary_crossentropy(x, reconstruction, from_logits=True), axis=(1, 2)
            )
        )
        kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
        total_loss = reconstruction_loss + kl_loss
        total_loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", choices=("mlp", "conv"), default="mlp")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--subset", type=int, default=None, help="the first N training images")
    parser.add_argument("--test-subset", type=int, default=None)
    parser.add_argument("--iwae-k", type=int, default=100, help="importance samples (0: skip)")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--out", default="vae_out", help="folder for the PNGs and decoder.zip")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    latent_dim = 20
    (x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train[: args.subset], -1).astype("float32") / 255
    x_test = np.expand_dims(x_test[: args.test_subset], -1).astype("float32") / 255

    encoder = build_encoder(args.arch, latent_dim)
    decoder = build_decoder(args.arch, latent_dim)
    vae = VAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam())
    start = time.perf_counter()
    history = vae.fit(x_train, epochs=args.epochs, batch_size=args.batch_size,
                      verbose=args.verbose)  # fmt: skip
    seconds = time.perf_counter() - start

    def encode(x):  # (N, 2 * latent_dim): the mean, then the log-variance
        z_mean, z_log_var, _ = encoder(x)
        return ops.concatenate([z_mean, z_log_var], axis=-1)

    bounds = evaluate_bounds(encode, decoder, x_test, k=args.iwae_k)
    print(f"test -ELBO {bounds['neg_elbo']:.2f} nats/image (reconstruction "
          f"{bounds['reconstruction']:.2f} + KL {bounds['kl']:.2f})"
          + (f", IWAE (k={args.iwae_k}) -log p(x) <= {bounds['iwae_nll']:.2f}"
             if args.iwae_k else "")
          + f"; training took {seconds:.1f} s")  # fmt: skip

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        samples = ops.sigmoid(decoder(keras.random.normal((64, latent_dim)))).numpy()
        z_mean, _, _ = encoder(x_test[:16])
        recon = ops.sigmoid(decoder(z_mean)).numpy()
        ends, _, _ = encoder(x_test[:2])
        t = np.linspace(0, 1, 10, dtype="float32")[:, None]
        line = ops.sigmoid(decoder((1 - t) * ends.numpy()[0] + t * ends.numpy()[1])).numpy()
    save_image_grid(samples, out / "samples.png", nrow=8, scale=2)
    save_image_grid(np.concatenate([x_test[:16], recon]), out / "reconstructions.png", nrow=16,
                    scale=2)  # fmt: skip
    save_image_grid(line, out / "interpolation.png", nrow=10, scale=2)
    decoder.preprocessing = decoder_spec(latent_dim)
    decoder.save(out / "decoder.zip")
    print(f"wrote {out}/samples.png, reconstructions.png, interpolation.png, decoder.zip")
    return {"history": history, "bounds": bounds, "vae": vae, "out": out}


if __name__ == "__main__":
    result = main()
