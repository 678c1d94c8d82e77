/** @odoo-module **/
// The director decides on the handovers a rule proposed (issue 15), driven by
// tests/test_ui_proposals.py, which creates the proposals.

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const select = (client) => ({
    content: `Select ${client}`,
    trigger: `.o_data_row:contains(${client}) .o_list_record_selector input`,
    run: "click",
});

registry.category("web_tour.tours").add("sales_roles_proposals", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        {
            content: "Hunters & Farmers",
            trigger: '.o-dropdown[data-menu-xmlid="sales_roles.sales_roles_main_menu"]',
            run: "click",
        },
        {
            content: "Proposals",
            trigger: '.o-dropdown-item[data-menu-xmlid="sales_roles.sales_handover_proposal_menu"]',
            run: "click",
        },
        {
            content: "Grouped by rule",
            trigger: ".o_group_header:contains(Tour: after the 3rd order)",
        },
        {
            content: "The figures that triggered the proposal",
            trigger: ".o_data_row:contains(Tour Proposal One) td[name=order_count]:contains(3)",
        },
        select("Tour Proposal One"),
        select("Tour Proposal Two"),
        {
            content: "Approve both",
            trigger: ".o_control_panel .o_list_selection_container button:contains(Approve)",
            run: "click",
        },
        { content: "Approved", trigger: ".o_notification:contains(2 handover(s) approved)" },
        {
            content: "They leave the queue",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour Proposal One)))",
        },
        select("Tour Proposal Three"),
        {
            content: "Reject it",
            trigger: ".o_control_panel .o_list_selection_container button:contains(Reject)",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit The hunter is negotiating the annual contract",
        },
        { content: "Reject", trigger: ".modal button[name=action_confirm]", run: "click" },
        { content: "Rejected", trigger: ".o_notification:contains(1 proposal(s) rejected)" },
        {
            content: "The queue is empty",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour Proposal)))",
        },
    ],
});
