/** @odoo-module **/
// The service level in daily use, driven by tests/test_service_ui.py, which
// creates the data it relies on.

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// An account manager opens "My Overdue Clients", logs the call of the touchpoint
// from the client's activity and sees the client turn OK.
registry.category("web_tour.tours").add("sales_roles_service_touchpoint", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        { content: "Orders", trigger: '.o-dropdown[data-menu-xmlid="sale.sale_order_menu"]', run: "click" },
        { content: "Customers", trigger: '.o-dropdown-item[data-menu-xmlid="sale.res_partner_menu"]', run: "click" },
        { content: "Remove the default filter", trigger: ".o_searchview_facet .o_facet_remove", run: "click" },
        { content: "No filter left", trigger: ".o_searchview:not(:has(.o_searchview_facet))" },
        { content: "The filters", trigger: ".o_searchview_dropdown_toggler", run: "click" },
        {
            content: "My Overdue Clients",
            trigger: ".o_filter_menu .o-dropdown-item:contains(My Overdue Clients)",
            run: "click",
        },
        {
            content: "The overdue client, with its badge",
            trigger: ".o_kanban_record:contains(Tour Overdue Client) .badge:contains(Overdue)",
        },
        {
            content: "Only my overdue clients",
            trigger: ".o_kanban_renderer:not(:has(.o_kanban_record:contains(Tour Fine Client)))",
        },
        {
            content: "Its activities",
            trigger: ".o_kanban_record:contains(Tour Overdue Client) .o-mail-ActivityButton",
            run: "click",
        },
        {
            content: "The touchpoint: mark it done",
            trigger: ".o-mail-ActivityListPopoverItem:contains(Touchpoint) .o-mail-ActivityListPopoverItem-markAsDone",
            run: "click",
        },
        {
            content: "What the call gave",
            trigger: ".o-mail-ActivityMarkAsDone textarea",
            run: "edit Called the buyer: a new order next week",
        },
        { content: "Done", trigger: ".o-mail-ActivityMarkAsDone button[aria-label=Done]", run: "click" },
        {
            content: "No longer overdue",
            trigger: ".o_kanban_record:contains(Tour Overdue Client):not(:has(.badge:contains(Overdue)))",
        },
        { content: "Open the client", trigger: ".o_kanban_record:contains(Tour Overdue Client)", run: "click" },
        { content: "The sales tab", trigger: ".o_notebook_headers a[name=sales_purchases]", run: "click" },
        { content: "The client is OK", trigger: ".o_field_widget[name=service_status]:contains(OK)" },
    ],
});
