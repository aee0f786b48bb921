#!/usr/bin/env bash
# One-shot check of the GPU path on a CUDA machine with torch and timm and
# no internet, in a few minutes. Every step runs whatever happened before
# it; each failure is recorded and listed at the end (exit status 1 if any):
#   1. installs what is missing (mmengine, mmcv-lite, pytest...) from the
#      wheels/ folder of this tree (or $WHEELS) with --no-index;
#   2. runs the unit tests marked `cuda` (they skip without a GPU);
#   3. runs tools/analysis_tools/gpu_check.py: training in fp32, fp16 AMP
#      and bf16, inference throughput against timm (fp32, fp16, bf16
#      autocast, bf16 weights), the teacher in each precision, the
#      distilled step split student / teacher; writes a Markdown table
#      ($OUT) whose rows record their own failures.
#
#   bash tools/analysis_tools/gpu_check.sh [gpu_check.py options]
#   PYTHON=python3.11 OUT=work_dirs/gpu_check.md bash tools/analysis_tools/gpu_check.sh
#   bash tools/analysis_tools/gpu_check.sh --device=cpu --quick   # the code itself, on a CPU
# $CUDA_TESTS replaces the test files of step 2 (default: those that hold
# cuda tests).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
WHEELS="${WHEELS:-$ROOT/wheels}"
OUT="${OUT:-work_dirs/gpu_check.md}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
start=$(date +%s)
failures=()

# module -> package: install each missing one from the wheels folder only
read -r -a missing <<< "$("$PYTHON" - <<'PY'
import importlib.util
pairs = dict(mmengine='mmengine', mmcv='mmcv-lite', addict='addict',
             yapf='yapf', platformdirs='platformdirs', termcolor='termcolor',
             rich='rich', markdown_it='markdown-it-py', mdurl='mdurl',
             pygments='pygments', pytest='pytest', pluggy='pluggy',
             iniconfig='iniconfig', cv2='opencv-python-headless',
             matplotlib='matplotlib')
print(' '.join(package for module, package in pairs.items()
               if importlib.util.find_spec(module) is None))
PY
)"
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing from $WHEELS: ${missing[*]}"
    "$PYTHON" -m pip install --quiet --no-index --no-deps \
        --find-links "$WHEELS" "${missing[@]}" ||
        failures+=("installing ${missing[*]} from $WHEELS (see wheels/README.md)")
fi
"$PYTHON" -c "import torch, timm, mmengine, mmcv; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available(), '| timm', timm.__version__, '| mmengine', mmengine.__version__, '| mmcv', mmcv.__version__)" ||
    failures+=("importing torch, timm, mmengine, mmcv")

echo "== unit tests marked cuda"
# only the files that hold cuda tests: the others may import test
# references (transformers...) that this machine lacks
read -r -a tests <<< "${CUDA_TESTS:-$(grep -rl 'mark.cuda' tests --include='test_*.py' | tr '\n' ' ')}"
"$PYTHON" -m pytest -m cuda -q -p no:cacheprovider "${tests[@]}"
status=$?
# 5: no test selected (none marked cuda), not a failure
if [ $status -ne 0 ] && [ $status -ne 5 ]; then
    failures+=("unit tests marked cuda (pytest exit $status)")
fi

echo "== gpu_check.py"
"$PYTHON" tools/analysis_tools/gpu_check.py --out "$OUT" "$@"
status=$?
if [ $status -eq 1 ]; then
    failures+=("gpu_check.py: failed measurements, listed in $OUT")
elif [ $status -ne 0 ]; then
    failures+=("gpu_check.py (exit $status)")
fi

echo "gpu_check.sh: $(( $(date +%s) - start )) s in all; table in $OUT"
if [ ${#failures[@]} -gt 0 ]; then
    echo "gpu_check.sh: ${#failures[@]} step(s) failed:"
    printf '  - %s\n' "${failures[@]}"
    exit 1
fi
echo "gpu_check.sh: every step passed"
