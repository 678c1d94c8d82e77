from . import sales_position
from . import res_users
from . import res_partner
from . import sale_order
from . import sales_handover
from . import sales_handover_condition
from . import sales_handover_rule
from . import res_config_settings
