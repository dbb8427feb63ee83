#!/usr/bin/env bash
# GPU check: the CUDA test suite, then the benchmark on CUDA against PyTorch CUDA, in < 8 min.
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]      (default OUT_DIR: benchmarks/results/gpu)
#
# Needs an NVIDIA GPU and CuPy (pip install cupy-cuda12x); PyTorch with CUDA is optional
# (without it only our side is timed). Exits 2 at once, saying why, where either is missing.
# Writes pytest.log, bench.log and the bench reports under OUT_DIR; prints a summary last.
set -u
cd "$(dirname "$0")/.."
OUT="${1:-benchmarks/results/gpu}"
mkdir -p "$OUT"
PY="${PYTHON:-python3}"
T0=$(date +%s)

fail() { echo "gpu_check: $*" >&2; exit 2; }

command -v nvidia-smi >/dev/null 2>&1 || fail "no nvidia-smi: this machine has no NVIDIA driver/GPU"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
  > "$OUT/gpu.txt" 2>&1 || fail "nvidia-smi found no usable GPU: $(cat "$OUT/gpu.txt")"
echo "GPU: $(head -1 "$OUT/gpu.txt")"

"$PY" - <<'EOF' > "$OUT/env.txt" 2>&1 || fail "CuPy cannot use the GPU (pip install cupy-cuda12x): $(tail -2 "$OUT/env.txt")"
import cupy as cp
x = cp.arange(10, dtype=cp.float32)
assert float((x * 2).sum()) == 90.0
print("cupy", cp.__version__, "cuda runtime", cp.cuda.runtime.runtimeGetVersion(),
      "device", cp.cuda.runtime.getDeviceProperties(0)["name"].decode())
import tinygrad_cnn as tg
assert tg.cuda_is_available(), "tinygrad_cnn does not see the GPU"
print("tinygrad_cnn sees cuda")
EOF
cat "$OUT/env.txt"

TORCH_FLAG="--no-torch"
if "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  TORCH_FLAG=""
  echo "PyTorch CUDA: $("$PY" -c 'import torch; print(torch.__version__)')"
else
  echo "PyTorch CUDA not available: timing our side only"
fi

# 1. The test suite on the cuda device (the device fixture's id is 'cuda'), plus the CPU
#    device-purity guard ('strict'), which must hold wherever the GPU path runs.
timeout 200 "$PY" -m pytest -q -x -p no:cacheprovider tests -k "cuda or strict" \
  > "$OUT/pytest.log" 2>&1
TEST_RC=$?
TEST_LINE=$(tail -1 "$OUT/pytest.log")

# 2. The benchmark on CUDA (the ours-side matmul peak is CuPy's cuBLAS).
timeout 240 "$PY" benchmarks/bench.py --device cuda --rounds 2 --repeats 10 $TORCH_FLAG \
  --no-overhead --out "$OUT" > "$OUT/bench.log" 2>&1
BENCH_RC=$?

echo
echo "================ gpu_check summary ($(( $(date +%s) - T0 )) s) ================"
echo "tests (exit $TEST_RC): $TEST_LINE"
[ "$TEST_RC" = 124 ] && echo "tests: TIMED OUT after 200 s"
if [ -f "$OUT/latest-cuda.md" ]; then
  sed -n '/^| workload/,/^$/p;/^| reference/,/^$/p;/^| target/,$p' "$OUT/latest-cuda.md"
else
  echo "bench (exit $BENCH_RC) wrote no report; last lines of $OUT/bench.log:"
  tail -20 "$OUT/bench.log"
fi
echo "logs and reports: $OUT"
[ "$TEST_RC" = 0 ] && [ "$BENCH_RC" = 0 ]
