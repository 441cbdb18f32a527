"""TensorBoard: event files that the ``tensorboard`` app reads (needs the ``tensorboard`` extra).

Keras's layout and names: ``<log_dir>/train`` and ``<log_dir>/validation`` runs; epoch scalars
``epoch_<metric>`` (validation metrics without their ``val_`` prefix, in the validation run), batch
scalars ``batch_<metric>``, ``epoch_learning_rate``; histograms of every weight (``<path>`` with
``/`` separators) and of its last gradient (``<path>/gradient``) every ``histogram_freq`` epochs;
the model's graph (via ONNX, when the ``onnx`` extra is installed and the model has an input
shape). Events are written with tensorboardX, a maintained writer library.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .base import Callback


class TensorBoard(Callback):
    """Log training to TensorBoard event files (Keras's ``TensorBoard`` arguments and defaults).

    ``update_freq``: ``"epoch"`` (scalars once per epoch), ``"batch"`` or an int N (also the
    batch scalars every N batches). ``histogram_freq``: every that many epochs, histograms of the
    weights and of their gradients (0: none). ``write_images``: 2-D weights and conv kernels with
    1 or 3 input channels as images. ``write_graph``: the model's graph. Keras's
    ``write_steps_per_second`` is supported; ``profile_batch``, ``embeddings_freq`` and
    ``embeddings_metadata`` must stay at their defaults (no profiler or projector here).

    Only rank 0 writes under ``chainrule.distributed`` (``rank_zero_only``).
    :meth:`add_image` logs pictures (e.g. a generative model's samples) into the same run.
    """

    rank_zero_only = True

    def __init__(self, log_dir: str | os.PathLike = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq: str | int = "epoch",
                 profile_batch: int = 0, embeddings_freq: int = 0,
                 embeddings_metadata=None):  # fmt: skip
        super().__init__()
        if update_freq not in ("epoch", "batch") and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch', 'batch' or an int >= 1, got "
                f"{update_freq!r}"
            )
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or (
            histogram_freq < 0
        ):  # fmt: skip
            raise ValueError(
                f"TensorBoard: histogram_freq must be an int >= 0, got {histogram_freq!r}"
            )
        if profile_batch not in (0, None) or embeddings_freq or embeddings_metadata is not None:
            raise ValueError(
                "TensorBoard: profile_batch, embeddings_freq and embeddings_metadata are not "
                "supported (no profiler or embedding projector in chainrule)"
            )
        self.log_dir = Path(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._writers: dict = {}
        self._train_step = 0
        self._grads: dict[str, np.ndarray] = {}
        self._handles: list = []

    # -- writers -------------------------------------------------------------------------------
    def _writer(self, run: str):
        if run not in self._writers:
            try:
                from tensorboardX import SummaryWriter
            except ImportError as err:  # pragma: no cover - depends on the environment
                raise ImportError(
                    "TensorBoard needs tensorboardX: pip install 'chainrule[tensorboard]'"
                ) from err
            self._writers[run] = SummaryWriter(str(self.log_dir / run))
        return self._writers[run]

    def add_image(self, tag: str, image, step: int | None = None, dataformats: str = "HWC",
                  run: str = "train") -> None:  # fmt: skip
        """Log one image (``dataformats="HWC"``, ``"CHW"`` or ``"HW"``) or a batch
        (``"NHWC"``/``"NCHW"``, shown as a grid); floats in [0, 1] or uint8. ``step`` defaults to
        the number of training batches seen so far."""
        arr = np.asarray(getattr(image, "data", image))
        if len(dataformats) != arr.ndim:
            raise ValueError(
                f"TensorBoard.add_image: dataformats {dataformats!r} needs a {len(dataformats)}-D "
                f"array, got shape {arr.shape}"
            )
        step = self._train_step if step is None else step
        w = self._writer(run)
        if dataformats.startswith("N"):
            w.add_images(tag, arr, step, dataformats=dataformats)
        else:
            w.add_image(tag, arr, step, dataformats=dataformats)
        w.flush()

    # -- hooks ---------------------------------------------------------------------------------
    def _named_weights(self):
        return [(name.replace(".", "/"), p) for name, p in self.model.named_parameters()]

    def on_train_begin(self, logs=None):
        self._train_step = 0
        self._writer("train")
        if self.write_graph:
            self._log_graph()

    def _log_graph(self) -> None:
        shape = getattr(self.model, "input_shape", None)
        if shape is None or not isinstance(shape, tuple):
            return
        try:
            from ..onnx import export

            example = np.zeros((2, *shape[1:]), dtype=np.float32)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "model.onnx")
                export(self.model, example, path)
                self._writer("train").add_onnx_graph(path)
        except ImportError:
            return  # the graph needs the onnx extra; everything else is still logged
        except ValueError as err:
            warnings.warn(f"TensorBoard: the graph was not written ({err})", stacklevel=2)

    def on_epoch_begin(self, epoch: int, logs=None):
        import time

        self._epoch_start, self._epoch_step0 = time.perf_counter(), self._train_step
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for name, p in self._named_weights():
                if p.requires_grad:
                    self._handles.append(p.register_post_accumulate_grad_hook(self._keeper(name)))

    def _keeper(self, name: str):
        def keep(t):
            self._grads[name] = np.array(t.grad, copy=True)

        return keep

    def on_train_batch_end(self, batch: int, logs=None):
        self._train_step += 1
        if self.update_freq == "epoch" or self._train_step % self.update_freq:
            return
        w = self._writer("train")
        for key, value in (logs or {}).items():
            if np.ndim(value) == 0 and np.isfinite(value):
                w.add_scalar(f"batch_{key}", float(value), self._train_step)

    def on_epoch_end(self, epoch: int, logs=None):
        import time

        logs = logs or {}
        train, val = self._writer("train"), None
        for key, value in logs.items():
            if np.ndim(value) != 0:
                continue
            if key.startswith("val_"):
                val = val or self._writer("validation")
                val.add_scalar(f"epoch_{key[4:]}", float(value), epoch)
            else:
                train.add_scalar(f"epoch_{key}", float(value), epoch)
        opt = getattr(self.model, "optimizer", None)
        if opt is not None and "learning_rate" not in logs:
            from .lr import get_lr

            try:
                train.add_scalar("epoch_learning_rate", get_lr(opt), epoch)
            except (AttributeError, TypeError, ValueError):
                pass
        if self.write_steps_per_second:
            steps = self._train_step - self._epoch_step0
            seconds = max(time.perf_counter() - self._epoch_start, 1e-9)
            train.add_scalar("epoch_steps_per_second", steps / seconds, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(train, epoch)
        train.flush()
        if val is not None:
            val.flush()

    def _log_weights(self, w, epoch: int) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for name, p in self._named_weights():
            data = np.asarray(p.data)
            w.add_histogram(name, data, epoch)
            if name in self._grads:
                w.add_histogram(f"{name}/gradient", self._grads[name], epoch)
            if self.write_images:
                image = _weight_image(data)
                if image is not None:
                    w.add_images(f"{name}/image", image, epoch, dataformats="NHWC")
        self._grads = {}

    def on_train_end(self, logs=None):
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for w in self._writers.values():
            w.close()
        self._writers = {}


def _weight_image(w: np.ndarray) -> np.ndarray | None:
    """A weight as images (N, H, W, C) scaled to [0, 1]: a 2-D matrix as one grey image, a Keras
    conv kernel (kh, kw, 1 or 3, out) as one image per filter; None for other shapes."""
    if w.ndim == 2:
        img = w[None, :, :, None]
    elif w.ndim == 4 and w.shape[2] in (1, 3):
        img = w.transpose(3, 0, 1, 2)
    else:
        return None
    lo, hi = float(img.min()), float(img.max())
    return ((img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)).astype(np.float32)
