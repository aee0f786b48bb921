"""The pipeline benchmark's photo maker (the photos docs/benchmarks.md
measures on) and its RandAugment table."""
import cv2
import numpy as np
import pytest
from matplotlib import cbook

from mmdeit.benchmarks import data_pipeline
from mmdeit.datasets.transforms.auto_augment import POLICIES

pytest.importorskip('timm')


@pytest.fixture(scope='module')
def hopper_path():
    return str(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))


def test_make_photos_views_and_sizes(tmp_path, hopper_path):
    """grace_hopper.jpg (512 x 600, w x h): whole, portrait left, square
    centre, landscape right, long sides 500, 640, 800, 500 in turn, never
    enlarged."""
    data_pipeline.make_photos([hopper_path], str(tmp_path))
    sizes = {p.stem.split('_')[-1]: cv2.imread(str(p)).shape[:2]
             for p in tmp_path.glob('*.jpg')}
    assert sizes == {'full': (500, 427), 'left': (512, 384),
                     'centre': (512, 512), 'right': (375, 500)}
    original = cv2.imread(hopper_path)
    centre = cv2.imread(str(tmp_path / 'grace_hopper_centre.jpg'))
    # the middle 512 rows, re-encoded at quality 90
    diff = np.abs(centre.astype(int) - original[44:556].astype(int))
    assert diff.mean() < 2


def test_rand_augment_table_lists_every_operation(tmp_path, hopper_path,
                                                  capsys):
    data_pipeline.make_photos([hopper_path], str(tmp_path))
    files = data_pipeline.list_jpegs(str(tmp_path))
    data_pipeline.rand_augment_profile(files[:2], 64, 1)
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith('| ') and not line.startswith('| operation')]
    names = [line.split('|')[1].strip() for line in lines]
    assert names[:-1] == POLICIES['timm_increasing']
    assert names[-1].startswith('mean')
    for line in lines:
        timm_ms, ours_ms = (float(c) for c in line.split('|')[2:4])
        assert timm_ms > 0 and ours_ms > 0

