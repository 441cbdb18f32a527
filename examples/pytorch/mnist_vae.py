"""PyTorch's VAE example (pytorch/examples, vae/main.py) on chainrule's PyTorch door, with the
decoder returning logits (``F.binary_cross_entropy_with_logits``, summed: the same loss as the
example's sigmoid + ``binary_cross_entropy``, computed stably).

Written as the PyTorch example: ``fc1`` 784→400, ``fc21``/``fc22`` 400→20 (mean, log-variance),
``fc3`` 20→400, ``fc4`` 400→784, ``reparameterize`` with ``torch.randn_like``, the summed
BCE + KLD loss, Adam(lr=1e-3), batch 128, 10 epochs, the average test loss per image after each
epoch. ``--arch conv`` swaps in a convolutional encoder/decoder (Conv2d 1→32→64 with stride 2,
ConvTranspose2d 64→64→32→1, channels-first). At the end it reports the importance-weighted bound
(k = 100) on the test set and writes sample, reconstruction and interpolation PNGs.

    python examples/pytorch/mnist_vae.py                          # the example: 10 epochs
    python examples/pytorch/mnist_vae.py --epochs 1 --subset 2000 --test-subset 500
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim
from chainrule.datasets import load_mnist
from chainrule.generative.elbo import iwae_log_likelihood
from chainrule.generative.grids import save_image_grid
from chainrule.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return self.fc4(h3)  # logits of the 784 Bernoulli pixels

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


class ConvVAE(VAE):
    """Channels-first convolutional encoder and decoder, latent 20."""

    def __init__(self):
        nn.Module.__init__(self)
        self.conv1 = nn.Conv2d(1, 32, 3, stride=2, padding=1)  # 28 → 14
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)  # 14 → 7
        self.fc1 = nn.Linear(64 * 7 * 7, 256)
        self.fc21 = nn.Linear(256, 20)
        self.fc22 = nn.Linear(256, 20)
        self.fc3 = nn.Linear(20, 256)
        self.fc4 = nn.Linear(256, 64 * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1)
        self.deconv2 = nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1)
        self.deconv3 = nn.ConvTranspose2d(32, 1, 3, padding=1)

    def encode(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x.view(-1, 1, 28, 28)))))
        h = F.relu(self.fc1(torch.flatten(h, 1)))
        return self.fc21(h), self.fc22(h)

    def decode(self, z):
        h = F.relu(self.fc4(F.relu(self.fc3(z)))).view(-1, 64, 7, 7)
        h = F.relu(self.deconv2(F.relu(self.deconv1(h))))
        return self.deconv3(h).view(-1, 784)


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_logits, x, mu, logvar):
    BCE = F.binary_cross_entropy_with_logits(recon_logits, x.view(-1, 784), reduction="sum")
    # see Appendix B from VAE paper: Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def train(model, optimizer, train_loader, epoch, log_interval):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if log_interval and batch_idx % log_interval == 0:
            print(
                "Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(
                    epoch,
                    batch_idx * len(data),
                    len(train_loader.dataset),
                    100.0 * batch_idx / len(train_loader),
                    loss.item() / len(data),
                )
            )
    average = train_loss / len(train_loader.dataset)
    print("====> Epoch: {} Average loss: {:.4f}".format(epoch, average))
    return average


def test(model, test_loader):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for data, _ in test_loader:
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
    test_loss /= len(test_loader.dataset)
    print("====> Test set loss: {:.4f}".format(test_loss))
    return test_loss


def iwae_bound(model, test_loader, k):
    """-log p(x) <= the importance-weighted bound with k samples, averaged over the test set."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for data, _ in test_loader:
            mu, logvar = model.encode(data)
            total -= iwae_log_likelihood(model.decode, mu, logvar, data.view(-1, 784), k).sum()
    return float(total) / len(test_loader.dataset)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="VAE MNIST Example")
    parser.add_argument("--batch-size", type=int, default=128, metavar="N")
    parser.add_argument("--epochs", type=int, default=10, metavar="N")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--log-interval", type=int, default=0, metavar="N",
                        help="batches between training-status lines (0: none)")  # fmt: skip
    parser.add_argument("--arch", choices=("mlp", "conv"), default="mlp")
    parser.add_argument("--subset", type=int, default=None, help="first N training images")
    parser.add_argument("--test-subset", type=int, default=None, help="first N test images")
    parser.add_argument("--iwae-k", type=int, default=100, help="importance samples (0: skip)")
    parser.add_argument("--out", default="results", help="folder for the PNGs and the weights")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    (x_train, _), (x_test, _) = load_mnist()

    def dataset(x, n):  # (N, 1, 28, 28) intensities in [0, 1], as transforms.ToTensor() gives
        x = torch.from_numpy(x[:n].reshape(-1, 1, 28, 28).astype("float32") / 255.0)
        return TensorDataset(x, torch.zeros(len(x), dtype=torch.int64))

    train_loader = DataLoader(dataset(x_train, args.subset), batch_size=args.batch_size,
                              shuffle=True)  # fmt: skip
    test_loader = DataLoader(dataset(x_test, args.test_subset), batch_size=args.batch_size)

    model = VAE() if args.arch == "mlp" else ConvVAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    history = {"train_loss": [], "test_loss": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        history["train_loss"].append(train(model, optimizer, train_loader, epoch,
                                           args.log_interval))  # fmt: skip
        history["test_loss"].append(test(model, test_loader))
        with torch.no_grad():
            sample = torch.sigmoid(model.decode(torch.randn(64, 20)))
            save_image_grid(sample.view(64, 1, 28, 28), out / f"sample_{epoch}.png")
    seconds = time.perf_counter() - start
    print(f"training took {seconds:.1f} s")

    iwae = iwae_bound(model, test_loader, args.iwae_k) if args.iwae_k else None
    if iwae is not None:
        print(f"====> Test set IWAE bound (k={args.iwae_k}): -log p(x) <= {iwae:.4f}")
    with torch.no_grad():
        data = next(iter(test_loader))[0][:16]
        recon = torch.sigmoid(model.decode(model.encode(data)[0]))
        comparison = torch.cat([data.view(16, 1, 28, 28), recon.view(16, 1, 28, 28)])
        save_image_grid(comparison, out / "reconstruction.png", nrow=16)
        mu = model.encode(data[:2])[0]
        t = torch.linspace(0, 1, 10).view(10, 1)
        line = torch.sigmoid(model.decode((1 - t) * mu[0] + t * mu[1]))
        save_image_grid(line.view(10, 1, 28, 28), out / "interpolation.png", nrow=10)
    torch.save(model.state_dict(), out / f"vae_{args.arch}.pt")
    return {"model": model, "history": history, "iwae_nll": iwae, "seconds": seconds,
            "out": out}  # fmt: skip


if __name__ == "__main__":
    result = main()
