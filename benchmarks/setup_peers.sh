#!/usr/bin/env bash
# Build the benchmark-only environment that holds the peers chainrule is compared with:
# Keras 3 (torch and JAX backends), JAX (CPU) and PyTorch. Keras and JAX are never dependencies of
# chainrule; they live only in this venv, which `python -m benchmarks` uses for the Keras rows.
#
#   bash benchmarks/setup_peers.sh            # creates .venv-bench at the repository root
#   BENCH_VENV=/some/where bash benchmarks/setup_peers.sh
#
# torch is pinned to 2.13.0 (the CPU build the project tests against); keras and jax are pinned to
# the versions the tables in docs/performance.md were measured with.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BENCH_VENV:-$ROOT/.venv-bench}"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet \
    "numpy" "threadpoolctl>=3" "scikit-learn>=1.2" \
    "torch==2.13.0" "keras==3.15.1" "jax[cpu]==0.10.2"
# chainrule itself, editable and without re-resolving its dependencies
"$VENV/bin/python" -m pip install --quiet --no-deps -e "$ROOT"
# Keras defaults to the TensorFlow backend, which is not installed: check both backends we use.
for backend in torch jax; do
    KERAS_BACKEND=$backend "$VENV/bin/python" -c "
import jax, keras, numpy, threadpoolctl, torch
print('keras', keras.__version__, 'on', keras.backend.backend(), '| torch', torch.__version__,
      '| jax', jax.__version__, '| numpy', numpy.__version__)"
done
echo "benchmark environment ready: $VENV"
