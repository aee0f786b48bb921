"""Install mmdeit. ``pip install -e .[tests]`` for development."""
import importlib.util
import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version() -> str:
    scope: dict = {}
    with open(os.path.join(HERE, 'mmdeit', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def mmcv_requirement() -> str:
    # The full mmcv (compiled ops) and mmcv-lite install the same package;
    # ask for the lite one only where neither is present.
    if importlib.util.find_spec('mmcv') is not None:
        return 'mmcv>=2.0.0'
    return 'mmcv-lite>=2.0.0'


class BuildWithConfigs(build_py):
    """Ship configs/ and tools/ inside the wheel as mmdeit/.mim/ so that the
    model zoo finds its configs in a non-editable install."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, 'mmdeit', '.mim')
        for folder in ('configs', 'tools'):
            dst = os.path.join(target, folder)
            if os.path.exists(dst):
                shutil.rmtree(dst)
            shutil.copytree(os.path.join(HERE, folder), dst,
                            ignore=shutil.ignore_patterns('__pycache__'))


setup(
    name='mmdeit',
    version=read_version(),
    description='DeiT (data-efficient image transformers) with distillation, '
    'on mmengine and mmcv',
    long_description=open(os.path.join(HERE, 'README.md')).read()
    if os.path.exists(os.path.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    cmdclass={'build_py': BuildWithConfigs},
    install_requires=[
        'torch>=2.1',
        'mmengine>=0.10.7,<0.11',  # the tested range
        mmcv_requirement(),
        'numpy',
        'matplotlib',  # analysis figures (mmengine needs it too)
        'opencv-python-headless',
        'simplejpeg',  # libjpeg-turbo JPEG decoding, cv2's pixels, faster
        'safetensors',
        'pyyaml',
    ],
    extras_require={
        # ONNX export (tools/deployment/pytorch2onnx.py) and onnxruntime
        # inference (ImageClassificationInferencer('model.onnx'))
        'onnx': ['onnx', 'onnxruntime'],
        # the .mat annotations of Flowers-102 and Stanford Cars
        'datasets': ['scipy'],
        'tests': ['pytest', 'timm', 'transformers', 'onnx', 'onnxruntime',
                  'scipy', 'import-linter', 'tensorboard'],
    },
    zip_safe=False,
)
