"""Code the tests share: the repo's tools as modules, tiny image-folder
projects, reference models. Imported as ``tests.helpers.<module>``."""
