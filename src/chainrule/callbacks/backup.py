"""Keras 3's ``BackupAndRestore(backup_dir, ...)`` over chainrule's exact-resume checkpoints
(:class:`chainrule.io.BackupAndRestore`, which takes a checkpoint *file*)."""

from __future__ import annotations

import os
from pathlib import Path

from ..io.checkpoint import BackupAndRestore as _FileBackup

CHECKPOINT_NAME = "latest.checkpoint.zip"


class BackupAndRestore(_FileBackup):
    """Back up training state in ``backup_dir`` every ``save_freq`` batches (or each epoch) and
    resume from it when ``fit`` starts again after an interruption.

    As Keras: ``delete_checkpoint=True`` removes the backup once training finishes. chainrule
    writes every checkpoint atomically (temporary file, fsync, rename), so ``double_checkpoint``
    (Keras's guard against a half-written backup) is accepted and not needed.
    """

    def __init__(self, backup_dir: str | os.PathLike, save_freq="epoch",
                 double_checkpoint: bool = False, delete_checkpoint: bool = True):  # fmt: skip
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir is required")
        self.backup_dir = Path(backup_dir)
        self.double_checkpoint = bool(double_checkpoint)
        super().__init__(self.backup_dir / CHECKPOINT_NAME, save_freq=save_freq,
                         delete_on_end=delete_checkpoint)  # fmt: skip
