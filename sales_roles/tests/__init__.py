from . import test_lifecycle
from . import test_positions
from . import test_handover_criteria
from . import test_handover_run
from . import test_handover_wizard
from . import test_reporting
from . import test_translations
from . import test_concurrency
