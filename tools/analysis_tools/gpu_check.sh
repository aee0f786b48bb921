#!/usr/bin/env bash
# One-shot check of the GPU path on a CUDA machine with torch and timm and
# no internet, in a few minutes:
#   1. installs what is missing (mmengine, mmcv-lite, pytest...) from the
#      wheels/ folder of this tree (or $WHEELS) with --no-index;
#   2. runs the unit tests marked `cuda`;
#   3. runs tools/analysis_tools/gpu_check.py: 200 AMP training iterations
#      of DeiT-S distilled on synthetic data, the paper's throughput protocol
#      (largest batch, fp32 and AMP) against timm, the distilled step split
#      student / teacher; writes a Markdown table ($OUT).
#
#   bash tools/analysis_tools/gpu_check.sh [gpu_check.py options]
#   PYTHON=python3.11 OUT=work_dirs/gpu_check.md bash tools/analysis_tools/gpu_check.sh
#   bash tools/analysis_tools/gpu_check.sh --device cpu --quick   # the script itself, on a CPU
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
WHEELS="${WHEELS:-$ROOT/wheels}"
OUT="${OUT:-work_dirs/gpu_check.md}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
start=$(date +%s)

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
        --find-links "$WHEELS" "${missing[@]}" || {
        echo "could not install ${missing[*]} from $WHEELS; see wheels/README.md" >&2
        exit 1
    }
fi
"$PYTHON" -c "import torch, timm, mmengine, mmcv; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available(), '| timm', timm.__version__, '| mmengine', mmengine.__version__, '| mmcv', mmcv.__version__)"

case " $* " in
    *" --device cpu "*) ;;
    *) echo "== unit tests marked cuda"
       # only the files that hold cuda tests: the others may import test
       # references (transformers...) that this machine lacks
       "$PYTHON" -m pytest -m cuda -q -p no:cacheprovider \
           $(grep -rl 'mark.cuda' tests --include='test_*.py') ;;
esac

echo "== gpu_check.py"
"$PYTHON" tools/analysis_tools/gpu_check.py --out "$OUT" "$@"
echo "gpu_check.sh: $(( $(date +%s) - start )) s in all; table in $OUT"
