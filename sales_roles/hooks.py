from odoo.tools import SQL


def post_init_hook(env):
    """Classify the clients an existing database already has (set-based SQL);
    their orders are credited to their hunter afterwards, by a scheduled action."""
    env["res.partner"]._classify_existing_clients()
    env["sale.order"]._start_stamping_historical_orders()


def uninstall_hook(env):
    """Drop the handover log first: it restricts the deletion of the clients, users
    and rules it names, and uninstalling deletes the addon's own (demo users and
    clients, shipped rules) before dropping its tables."""
    env.cr.execute(SQL("DELETE FROM sales_handover"))
    # The approvers' to-dos hold on to their activity type, which is deleted first.
    env.cr.execute(SQL("DELETE FROM mail_activity WHERE res_model = 'sales.handover.rule'"))
