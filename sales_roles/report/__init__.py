from . import sales_hunter_report
