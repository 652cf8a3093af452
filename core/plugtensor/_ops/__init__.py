"""Op modules, in the order they build on each other. Importing this package binds every op as a
Tensor method; ``PUBLIC`` maps the functional names exported as ``plugtensor.<name>``."""
from . import creation, elementwise, indexing, linalg, reduction, shape

PUBLIC: dict[str, object] = {}
for _m in (creation, elementwise, shape, indexing, reduction, linalg):
    PUBLIC.update(_m._ALL)
