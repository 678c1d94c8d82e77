from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # Set by the system on the activities of a target's tasks: the tasks follow
    # them (see sales.target.task), and other activities cost no extra query.
    # A flag, not the target: whoever reads a client's activities must not read
    # the names of other people's targets through them.
    sales_target_task = fields.Boolean(
        readonly=True, copy=False, help="Scheduled from a sales target: its task follows the activity."
    )

    def _action_done(self, feedback=False, attachment_ids=None):
        self._target_tasks().write({"state": "done", "date_done": fields.Date.context_today(self)})
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def write(self, vals):
        result = super().write(vals)
        if "date_deadline" in vals:
            for task in self._target_tasks():
                task.date_deadline = task.activity_id.date_deadline
        return result

    def unlink(self):
        # Done activities are closed first (_action_done): what is left was cancelled.
        self._target_tasks().write({"state": "cancelled"})
        return super().unlink()

    def _target_tasks(self):
        """The open tasks of these activities.

        sudo: whoever may mark an activity done, reschedule or cancel it closes
        or updates its task, which they may not write themselves.
        """
        linked = self.filtered("sales_target_task")
        if not linked:
            return self.env["sales.target.task"]
        return (
            self.env["sales.target.task"]
            .sudo()
            .search([("activity_id", "in", linked.ids), ("state", "=", "open")])
        )
