"""A DCGAN on MNIST written the PyTorch way (after pytorch/examples, dcgan/main.py), on chainrule's
PyTorch door.

The training loop is PyTorch's DCGAN loop: ``nn.BCEWithLogitsLoss``, a discriminator update on a
real and a generated (detached) batch, then a generator update with "real" targets, Adam
(lr 2e-4, betas (0.5, 0.999)), weights initialised N(0, 0.02) (BatchNorm γ N(1, 0.02)). The
networks are scaled down to 28×28 grayscale (two stride-2 transposed convolutions instead of
four) so that an epoch runs in about a minute on one CPU core. ``--label-smoothing 0.1`` makes the
real images' target 0.9 (one-sided). Only the imports differ from PyTorch code.

    python examples/pytorch/dcgan.py --epochs 5 --out dcgan-out      # grids in dcgan-out/
    python examples/pytorch/dcgan.py --epochs 1 --subset 512         # a quick look

Each epoch writes ``dcgan-out/epoch_NNN.png`` (64 samples from the same latents) and prints the
losses and D's mean outputs; a discriminator that wins (D(G(z)) near 0 while the generator's loss
climbs) is reported, as ``chainrule train mnist-gan`` does (chainrule.generative.gan_monitor).
"""

import argparse
import time
from pathlib import Path

import chainrule as torch
import chainrule.nn as nn
import chainrule.optim as optim
from chainrule.datasets import load_mnist
from chainrule.generative.gan_monitor import diagnose_epoch
from chainrule.generative.grids import save_image_grid
from chainrule.utils.data import DataLoader, TensorDataset


class Generator(nn.Module):
    """z (N, nz) → images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self, nz=64, ngf=32):
        super().__init__()
        self.ngf = ngf
        self.project = nn.Sequential(
            nn.Linear(nz, 2 * ngf * 7 * 7, bias=False), nn.BatchNorm1d(2 * ngf * 7 * 7), nn.ReLU()
        )
        self.main = nn.Sequential(
            nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False),  # 7 → 14
            nn.BatchNorm2d(ngf),
            nn.ReLU(),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1),  # 14 → 28
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(self.project(z).view(-1, 2 * self.ngf, 7, 7))


class Discriminator(nn.Module):
    """images (N, 1, 28, 28) → logits (N,)."""

    def __init__(self, ndf=32):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1),  # 28 → 14
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False),  # 14 → 7
            nn.BatchNorm2d(2 * ndf),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * ndf * 7 * 7, 1),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    """PyTorch's DCGAN initialisation: N(0, 0.02) weights, BatchNorm γ ~ N(1, 0.02), β = 0."""
    name = type(m).__name__
    if name.startswith(("Conv", "Linear")):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.startswith("BatchNorm"):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--nz", type=int, default=64, help="latent size")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--subset", type=int, default=None, help="the first N training images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="dcgan-out", help="folder for the sample grids")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    (x, _), _ = load_mnist()
    x = x[: args.subset].astype("float32") / 127.5 - 1.0  # [-1, 1], as Normalize((0.5,), (0.5,))
    loader = DataLoader(TensorDataset(torch.from_numpy(x.reshape(-1, 1, 28, 28))),
                        batch_size=args.batch_size, shuffle=True, drop_last=True)  # fmt: skip
    netG, netD = Generator(args.nz), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCEWithLogitsLoss()
    optD = optim.Adam(netD.parameters(), lr=args.lr, betas=(0.5, 0.999))
    optG = optim.Adam(netG.parameters(), lr=args.lr, betas=(0.5, 0.999))
    fixed_noise = torch.randn(64, args.nz)
    real_label, fake_label = 1.0 - args.label_smoothing, 0.0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    for epoch in range(args.epochs):
        start = time.perf_counter()
        log = {"d_loss": [], "g_loss": [], "d_fake": []}
        for (real,) in loader:
            b = real.shape[0]
            # (1) update D: maximise log D(x) + log(1 - D(G(z)))
            netD.zero_grad()
            out_real = netD(real)
            err_real = criterion(out_real, torch.full((b,), real_label))
            noise = torch.randn(b, args.nz)
            fake = netG(noise)
            out_fake = netD(fake.detach())
            err_fake = criterion(out_fake, torch.full((b,), fake_label))
            errD = err_real + err_fake
            errD.backward()
            optD.step()
            # (2) update G: maximise log D(G(z))
            netG.zero_grad()
            errG = criterion(netD(fake), torch.full((b,), 1.0))
            errG.backward()
            optG.step()
            log["d_loss"].append(errD.item())
            log["g_loss"].append(errG.item())
            log["d_fake"].append(torch.sigmoid(out_fake).mean().item())
        netG.eval()
        with torch.no_grad():
            samples = netG(fixed_noise)
        netG.train()
        save_image_grid(samples, out / f"epoch_{epoch + 1:03d}.png", nrow=8, value_range=(-1, 1))
        mean = {k: sum(v) / len(v) for k, v in log.items()}
        print(f"[{epoch + 1}/{args.epochs}] Loss_D: {mean['d_loss']:.4f} Loss_G: "
              f"{mean['g_loss']:.4f} D(G(z)): {mean['d_fake']:.4f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
        for _, message in diagnose_epoch(log):
            print(f"  warning: {message}")
    return mean


if __name__ == "__main__":
    main()
