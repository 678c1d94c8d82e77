from . import test_lifecycle
from . import test_positions
