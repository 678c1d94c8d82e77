from . import sales_hunter_report
from . import sale_report
from . import sales_service_report
from . import sales_target_report
