"""Make mmdeit's registries the default scope."""
import datetime
import warnings

from mmengine import DefaultScope
from mmengine.registry import Registry

from mmdeit import registry


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmdeit module that registers something and, optionally,
    make ``mmdeit`` the default registry scope.

    Each registry imports the packages its ``locations`` name, so this
    module stays a leaf: it imports ``mmdeit.registry`` only, never the
    packages above it.
    """
    for value in vars(registry).values():
        if isinstance(value, Registry) and value.scope == 'mmdeit':
            value.import_from_location()

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmdeit'):
        if current is not None and current.scope_name != 'mmdeit':
            warnings.warn(f'The current default scope "{current.scope_name}" '
                          'is not "mmdeit"; creating a new "mmdeit" scope.')
            name = f'mmdeit-{datetime.datetime.now()}'
        else:
            name = 'mmdeit'
        DefaultScope.get_instance(name, scope_name='mmdeit')
