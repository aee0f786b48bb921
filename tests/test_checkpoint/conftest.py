from typing import NamedTuple

import pytest
import torch

from tests.helpers.reference_models import VARIANTS, images, timm_model_for


class TimmReference(NamedTuple):
    model: torch.nn.Module
    official: str  # the weights in the official layout, {'model': ...}
    images: torch.Tensor
    logits: torch.Tensor


@pytest.fixture(scope='session')
def timm_reference(tmp_path_factory):
    """``get(name)``: a shallow timm model of the variant with random
    weights, saved in the official layout, with its logits; built once per
    session and shared by the tests of every layout."""
    built = {}

    def get(name: str) -> TimmReference:
        if name not in built:
            model = timm_model_for(name)
            path = tmp_path_factory.mktemp('official') / \
                f'{VARIANTS[name][0]}.pth'
            torch.save({'model': model.state_dict()}, path)
            x = images(name)
            with torch.no_grad():
                built[name] = TimmReference(model, str(path), x, model(x))
        return built[name]

    return get
