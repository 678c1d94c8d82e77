/** @odoo-module **/
// Guided tours of sales targets, driven by tests/test_target_ui.py, which creates
// the data they rely on.

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const tours = registry.category("web_tour.tours");

const openMenu = (rootXmlid, menuXmlid) => [
    {
        content: "Open the menu",
        trigger: `.o-dropdown[data-menu-xmlid="${rootXmlid}"]`,
        run: "click",
    },
    {
        content: "Open the entry",
        trigger: `.o-dropdown-item[data-menu-xmlid="${menuXmlid}"]`,
        run: "click",
    },
];

const pick = (field, text) => [
    {
        content: `Type ${text} in ${field}`,
        trigger: `.modal .o_field_widget[name=${field}] input`,
        run: `edit ${text}`,
    },
    {
        content: `Pick ${text}`,
        trigger: `.o-autocomplete--dropdown-menu li:contains(${text})`,
        run: "click",
    },
];

// 1. A product manager sets targets for two salespeople on her product line, a total
// split equally, then schedules cross-sell calls for one of them.
tours.add("sales_roles_target_product_manager", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        ...openMenu("sales_roles.sales_target_menu_root", "sales_roles.sales_target_wizard_menu"),
        ...pick("user_ids", "Tour Seller One"),
        ...pick("user_ids", "Tour Seller Two"),
        ...pick("product_categ_ids", "Tour Line"),
        {
            content: "A total split equally",
            trigger: ".modal .o_field_widget[name=split] input[data-value=equal]",
            run: "click",
        },
        { content: "The total", trigger: ".modal .o_field_widget[name=amount] input", run: "edit 1000" },
        { content: "Leave the field", trigger: ".modal .o_field_widget[name=name] input", run: "click" },
        {
            content: "Half each",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:contains(Tour Seller Two):contains(500.00)",
        },
        { content: "Set them", trigger: ".modal button[name=action_confirm]", run: "click" },
        // The wizard's own lines list the same names: wait until it is gone.
        { content: "The wizard closes", trigger: "body:not(:has(.modal))" },
        {
            content: "Open the first salesperson's target",
            trigger: ".o_action_manager .o_list_view .o_data_row:contains(Tour Seller One) td.o_data_cell",
            run: "click",
        },
        { content: "Schedule tasks", trigger: "button[name=action_schedule_tasks]", run: "click" },
        {
            content: "The client that never bought the line is listed for a cross-sell call",
            trigger: ".modal .o_field_widget[name=partner_ids] .o_data_row:contains(Tour Cross-Sell Client)",
        },
        {
            content: "What to say",
            trigger: ".modal .o_field_widget[name=summary] input",
            run: "edit Offer the Tour Line",
        },
        { content: "Schedule", trigger: ".modal button[name=action_schedule]", run: "click" },
        { content: "Done", trigger: ".o_notification:contains(1 task)" },
    ],
});

// 2. The salesperson finds the target in My Targets and the call among its tasks.
tours.add("sales_roles_target_salesperson", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        ...openMenu("sales_roles.sales_target_menu_root", "sales_roles.sales_target_my_menu"),
        {
            content: "The target, its progress and its open call",
            trigger: ".o_kanban_record:contains(Tour Line):contains(1 open) .o_progressbar",
        },
        { content: "Open it", trigger: ".o_kanban_record:contains(Tour Line)", run: "click" },
        { content: "Its tasks", trigger: "button[name=action_view_tasks]", run: "click" },
        {
            content: "The call set by the product manager",
            trigger: ".o_data_row:contains(Tour Cross-Sell Client):contains(Offer the Tour Line)",
        },
    ],
});
