from .base_dataset import BaseDataset  # noqa: F401
from .cars import StanfordCars  # noqa: F401
from .categories import IMAGENET_CATEGORIES, IMAGENET_WNIDS  # noqa: F401
from .cifar import CIFAR10, CIFAR100  # noqa: F401
from .custom import CustomDataset  # noqa: F401
from .flowers import Flowers102  # noqa: F401
from .imagenet import ImageNet  # noqa: F401
from .imagenet_v2 import ImageNetV2  # noqa: F401
from .inat import INaturalist  # noqa: F401
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
