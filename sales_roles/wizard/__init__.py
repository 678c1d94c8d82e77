from . import sales_handover_wizard
from . import sales_handover_reject_wizard
from . import sales_matrix_recompute_wizard
from . import sales_handover_preview
from . import base_partner_merge_automatic_wizard
from . import sales_target_wizard
from . import sales_target_task_wizard
