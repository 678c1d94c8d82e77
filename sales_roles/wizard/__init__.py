from . import sales_handover_wizard
from . import sales_matrix_recompute_wizard
from . import base_partner_merge_automatic_wizard
