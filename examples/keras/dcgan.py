"""A DCGAN on MNIST in the Keras 3 idiom: a ``keras.Model`` subclass whose ``train_step`` plays
both players, trained by ``fit`` (the pattern of Keras's guide "Customizing what happens in fit()
with PyTorch", its GAN section), on chainrule's Keras door.

The networks are :func:`chainrule.generative.gan.dcgan_generator` / ``dcgan_discriminator``
(Conv2DTranspose + BatchNormalization generator, strided Conv2D + LeakyReLU discriminator) built
as Keras models; the loss is ``keras.losses.BinaryCrossentropy(from_logits=True)``; each player
has its own Adam (2e-4, β₁ 0.5). ``--label-smoothing 0.1`` makes the real images' target 0.9.
A ``keras.callbacks.LambdaCallback`` saves a grid of samples from fixed latents after every epoch.

    python examples/keras/dcgan.py --epochs 5 --out dcgan-keras    # grids in dcgan-keras/
    python examples/keras/dcgan.py --epochs 1 --subset 512

``chainrule train mnist-gan`` trains the same networks with the judge-classifier measurements and
the failure diagnosis (docs/generative.md).
"""

import argparse
from pathlib import Path

import chainrule as keras
import chainrule as torch
from chainrule.generative.gan import dcgan_discriminator, dcgan_generator
from chainrule.generative.grids import save_image_grid


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim, label_smoothing=0.0):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.label_smoothing = label_smoothing
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def _apply(self, optimizer, model):
        weights = list(model.trainable_weights)
        grads = [v.value.grad for v in weights]
        with torch.no_grad():
            optimizer.apply(grads, weights)

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = real_images.shape[0]
        z = keras.random.normal((batch_size, self.latent_dim))
        fake_images = self.generator(z)

        # the discriminator: real images → 1 - smoothing, generated (detached) → 0
        combined = torch.concat([real_images, fake_images.detach()], axis=0)
        labels = torch.concat(
            [torch.full((batch_size, 1), 1.0 - self.label_smoothing),
             torch.zeros((batch_size, 1))], axis=0,
        )  # fmt: skip
        self.zero_grad()
        d_loss = self.loss_fn(labels, self.discriminator(combined))
        d_loss.backward()
        self._apply(self.d_optimizer, self.discriminator)

        # the generator: make the discriminator call its images real
        self.zero_grad()
        g_loss = self.loss_fn(torch.ones((batch_size, 1)), self.discriminator(fake_images))
        g_loss.backward()
        self._apply(self.g_optimizer, self.generator)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--subset", type=int, default=None, help="the first N training images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="dcgan-keras", help="folder for the sample grids")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    (x_train, _), _ = keras.datasets.mnist.load_data()
    x_train = x_train[: args.subset].astype("float32")[..., None] / 127.5 - 1.0  # [-1, 1]
    gan = GAN(
        discriminator=dcgan_discriminator((28, 28, 1), width=args.width),
        generator=dcgan_generator(args.latent_dim, (28, 28, 1), width=args.width),
        latent_dim=args.latent_dim,
        label_smoothing=args.label_smoothing,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    fixed_z = keras.random.normal((64, args.latent_dim))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def save_grid(epoch, logs):
        gan.generator.eval()
        with torch.no_grad():
            images = gan.generator(fixed_z)
        gan.generator.train()
        save_image_grid(images, out / f"epoch_{epoch + 1:03d}.png", nrow=8, value_range=(-1, 1))

    history = gan.fit(x_train, epochs=args.epochs, batch_size=args.batch_size,
                      verbose=args.verbose,
                      callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=save_grid)])  # fmt: skip
    return history.history


if __name__ == "__main__":
    main()
