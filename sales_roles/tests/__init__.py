from . import test_lifecycle
from . import test_positions
from . import test_territory
from . import test_matrix
