"""Fault handling: an error on one rank ends the whole job promptly, naming the rank.

MPI gives no help when one rank raises and the others sit in a collective: they wait forever, and
mpiexec waits for them. :func:`install_abort_handler` (installed by every distributed entry point
when the job has more than one rank) replaces ``sys.excepthook`` so an uncaught exception prints
``chainrule.distributed: rank R of N failed: <error>`` with its traceback, then calls
``MPI_Abort``, which makes the launcher end every rank. :func:`abort_on_error` does the same for
code that would otherwise catch the exception (a CLI that turns errors into exit codes).

A rank that dies without an exception (killed, ``os._exit``) is caught by the deadline on every
collective (:mod:`.comm`): the survivors raise CollectiveTimeout, which then aborts the job too.
"""

from __future__ import annotations

import contextlib
import sys
import time
import traceback

_installed = False


def report_and_abort(comm, exc: BaseException) -> None:
    """Print this rank's error (with traceback) to stderr and abort every rank of the job."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    sys.stderr.write(
        f"chainrule.distributed: rank {comm.rank} of {comm.size} failed: "
        f"{type(exc).__name__}: {exc}\n{text}"
        f"chainrule.distributed: aborting all {comm.size} ranks\n"
    )
    sys.stderr.flush()
    sys.stdout.flush()
    # MPI_Abort makes the launcher kill every rank at once, and the launcher's proxy may still hold
    # the lines above in its pipe: give it a moment to forward them, or the reason is lost.
    time.sleep(0.5)
    comm.abort(1)


def install_abort_handler(comm) -> None:
    """Make an uncaught exception on this rank abort the whole job (once per process)."""
    global _installed
    if _installed or comm.size < 2:
        return
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, (SystemExit,)):
            previous(exc_type, exc, tb)
            return
        report_and_abort(comm, exc.with_traceback(tb))

    sys.excepthook = hook
    _installed = True


@contextlib.contextmanager
def abort_on_error(comm=None):
    """Inside this block, any exception on a rank of a multi-rank job aborts the job."""
    from .comm import get_communicator

    comm = get_communicator() if comm is None else comm
    try:
        yield comm
    except BaseException as exc:
        if comm.size < 2 or isinstance(exc, SystemExit) and not exc.code:
            raise
        report_and_abort(comm, exc)
