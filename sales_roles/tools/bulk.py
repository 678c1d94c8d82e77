"""Bulk copies of a record made through the ORM, for the handovers' audit trail,
the rules' previews and the service standards' notes and touchpoints."""

from odoo import fields
from odoo.tools import SQL


def copy_records(prototype, varying):
    """Copies of ``prototype``, a record just created through the ORM, in one
    INSERT: every stored column as in the prototype, but those of ``varying``.

    The chatter notes and to-dos of a batch of handovers are alike but for their
    client, text and owner. Creating each through the ORM costs 2 to 3 ms (half
    of it sanitizing the same trusted HTML twice), a copy 0.05 ms (README >
    Performance measures what it saves on a night's run). What a copy relies on,
    for the models it is used with:

    - ``mail.message`` (the notes): no many2many is copied (partner_ids,
      notified partners, attachments: a note has none) and no notification row
      (``mail.notification``: a note notifies nobody); ``res_id`` and ``body``
      vary; ``record_name``, ``message_id`` (the e-mail Message-Id, shared by
      the copies: a note is never e-mailed, so no reply is threaded on it) and
      the other columns are the prototype's.
    - ``mail.activity`` (the to-dos): ``res_id``, ``user_id``, ``summary`` and
      ``note`` vary; the stored fields computed from them (``res_name``,
      ``user_tz``...) are recomputed by the ORM after the copy.
    - ``sales.handover.preview.line``: plain columns only.

    :param prototype: one record
    :param dict varying: column -> list of values, one per copy
    :return: the copies
    """
    prototype.ensure_one()
    prototype.flush_recordset()
    columns = [
        name
        for name, field in prototype._fields.items()
        if field.store and field.column_type and name != "id" and name not in varying
    ]
    names = list(varying)
    prototype.env.cr.execute(
        SQL(
            """
            INSERT INTO %(table)s (%(columns)s, %(varying)s)
            SELECT %(prototype_columns)s, %(values)s
              FROM %(table)s prototype, unnest(%(arrays)s) AS copy(%(varying)s)
             WHERE prototype.id = %(id)s
         RETURNING id
            """,
            table=SQL.identifier(prototype._table),
            columns=SQL(", ").join(SQL.identifier(name) for name in columns),
            varying=SQL(", ").join(SQL.identifier(name) for name in names),
            prototype_columns=SQL(", ").join(SQL.identifier("prototype", name) for name in columns),
            values=SQL(", ").join(SQL.identifier("copy", name) for name in names),
            arrays=SQL(", ").join(
                SQL("%s::%s[]", list(varying[name]), SQL(prototype._fields[name].column_type[1]))
                for name in names
            ),
            id=prototype.id,
        )
    )
    copies = prototype.browse(row[0] for row in prototype.env.cr.fetchall())
    copies.modified(names)
    return copies


def log_notes(records, bodies):
    """A quiet note on the chatter of each record: ``bodies`` maps a record id
    to its HTML. Odoo's own bulk logging for the first, copies of it for the
    others (see ``copy_records``); nobody is notified.

    :param records: the model, as the caller may log on it (e.g. sudo)
    :param dict bodies: record id -> Markup
    """
    if not bodies:
        return
    first_id, *other_ids = bodies
    message = records.browse(first_id)._message_log_batch(bodies={first_id: bodies[first_id]})
    if other_ids:
        copy_records(message, {"res_id": other_ids, "body": [str(bodies[res_id]) for res_id in other_ids]})
    records.browse(bodies).invalidate_recordset(["message_ids"])


def schedule_activities(records, todos, activity_type=None, deadline=None):
    """Activities on records of ``records``' model, one per dict of ``todos``
    (``res_id``, ``user_id``, ``summary``, ``note``, and ``activity_type_id``
    and ``date_deadline`` unless given for all by ``activity_type`` and
    ``deadline``).

    The first is created through the ORM without an e-mail, the others are
    copies of it; as Odoo does for an activity, the assignees follow the
    records and are told through the bus when an activity is due today or late.

    :return: the activities
    """
    Activity = records.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
    if not todos:
        return Activity
    common = {"res_model_id": records.env["ir.model"]._get_id(records._name)}
    if activity_type:
        common["activity_type_id"] = activity_type.id
    if deadline:
        common["date_deadline"] = deadline
    first, *others = todos
    # The copies' document names (res_name) are computed one record at a time:
    # read them all at once.
    records.sudo().browse(todo["res_id"] for todo in todos).mapped("display_name")
    activities = Activity.create({**common, **first})
    if others:
        activities |= copy_records(
            activities,
            {name: [str(todo[name]) if name == "note" else todo[name] for todo in others] for name in first},
        )
    followers = {}
    for todo in others:
        followers.setdefault(todo["user_id"], []).append(todo["res_id"])
    Records = records.sudo().with_context(mail_auto_subscribe_no_notify=True)
    for user in records.env["res.users"].sudo().browse(followers):
        Records.browse(followers[user.id]).message_subscribe(partner_ids=user.partner_id.ids)
    late = activities[1:].filtered(lambda activity: activity.date_deadline <= fields.Date.today())
    late.user_id._bus_send("mail.activity/updated", {"activity_created": True})
    records.browse(todo["res_id"] for todo in todos).invalidate_recordset(["activity_ids"])
    return activities
