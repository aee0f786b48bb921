"""Draw mmdeit's layers (from .importlinter) and the real imports between
its packages (from grimp's graph) as a PNG.

    python tools/analysis_tools/draw_architecture.py \
        [--contracts .importlinter] [--out docs/images/architecture.png]
"""
import argparse
import configparser
from pathlib import Path
from typing import Dict, List, Set, Tuple

ROOT = Path(__file__).resolve().parents[2]


def read_layers(contracts: Path) -> List[List[str]]:
    """The layers contract's rows, top first; each row a list of siblings."""
    parser = configparser.ConfigParser()
    if not parser.read(contracts):
        raise FileNotFoundError(f'no import-linter contracts at {contracts}')
    for section in parser.sections():
        if parser[section].get('type') == 'layers':
            rows = parser[section]['layers'].strip().splitlines()
            return [[name.strip() for name in row.split('|')]
                    for row in rows if row.strip()]
    raise KeyError(f'{contracts} has no contract of type "layers"')


def package_imports(root: str, packages: Set[str]) -> Set[Tuple[str, str]]:
    """(importer, imported) pairs between ``packages``, from the source."""
    import grimp
    graph = grimp.build_graph(root)
    edges = set()
    for importer in packages:
        for imported in packages - {importer}:
            if graph.direct_import_exists(importer=importer,
                                          imported=imported,
                                          as_packages=True):
                edges.add((importer, imported))
    return edges


def draw(rows: List[List[str]], edges: Set[Tuple[str, str]], out: Path):
    """Boxes per layer, top layer first; arrows for each real import (red
    where one points up or sideways)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    height = len(rows)
    where: Dict[str, Tuple[float, float]] = {}
    level = {}
    fig, ax = plt.subplots(figsize=(10, 1.3 * height + 1))
    for depth, row in enumerate(rows):
        y = height - depth
        for i, name in enumerate(row):
            x = (i + 1) / (len(row) + 1) * 10
            where[name], level[name] = (x, y), depth
            ax.text(x, y, name.split('.', 1)[-1], ha='center', va='center',
                    fontsize=12, bbox=dict(boxstyle='round', fc='#dde8f5'))
    for importer, imported in sorted(edges):
        upward = level[imported] <= level[importer]
        ax.annotate('', xy=where[imported], xytext=where[importer],
                    arrowprops=dict(arrowstyle='->', shrinkA=14, shrinkB=14,
                                    color='red' if upward else '#555555',
                                    alpha=0.6, connectionstyle='arc3,rad=0.1'))
    ax.set_xlim(0, 10)
    ax.set_ylim(0.4, height + 0.6)
    ax.axis('off')
    ax.set_title('mmdeit layers (.importlinter) and imports between '
                 'packages (red: against the layers)')
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, bbox_inches='tight')
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--contracts', type=Path, default=ROOT / '.importlinter')
    parser.add_argument('--out', type=Path,
                        default=ROOT / 'docs' / 'images' / 'architecture.png')
    args = parser.parse_args()
    rows = read_layers(args.contracts)
    packages = {name for row in rows for name in row}
    root = next(iter(packages)).split('.')[0]
    draw(rows, package_imports(root, packages), args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
