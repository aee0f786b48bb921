"""Agreement of fp32 and bf16 scores, and the images it reads."""
import math

import numpy as np
import pytest

from mmdeit.benchmarks.agreement import compare, list_images


def test_agreement_counts_changes_and_near_ties():
    fp32 = np.array([[0.70, 0.20, 0.10],    # clear, kept
                     [0.50, 0.49, 0.01],    # near-tie, flipped
                     [0.10, 0.30, 0.60]])   # clear, kept
    bf16 = np.array([[0.69, 0.21, 0.10],
                     [0.49, 0.50, 0.01],
                     [0.10, 0.31, 0.59]])
    result = compare(fp32, bf16)
    assert (result.images, result.top1_agree) == (3, 2)
    assert result.max_score_diff == pytest.approx(0.01)
    assert result.closest_disagreement == pytest.approx(0.01)
    assert (result.clear, result.clear_agree) == (2, 2)
    assert '2 / 3 (66.67%)' in result.text()
    assert math.isnan(compare(fp32, fp32).closest_disagreement)


def test_images_are_found_in_folders_and_missing_ones_named(tmp_path):
    (tmp_path / 'a').mkdir()
    for name in ('a/x.JPG', 'b.png', 'notes.txt'):
        (tmp_path / name).write_bytes(b'')
    assert list_images([str(tmp_path)]) == [str(tmp_path / 'a/x.JPG'),
                                            str(tmp_path / 'b.png')]
    with pytest.raises(FileNotFoundError, match='no images'):
        list_images([str(tmp_path / 'a' / 'missing')])
