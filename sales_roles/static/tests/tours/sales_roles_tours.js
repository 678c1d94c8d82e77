/** @odoo-module **/
// Guided tours of the daily use of sales_roles, driven by tests/test_ui.py,
// which creates the data they rely on.

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

// Sales > Orders > Customers opens filtered on customers: search all contacts.
const searchContacts = (text) => [
    { content: "Remove the default filter", trigger: ".o_searchview_facet .o_facet_remove", run: "click" },
    { content: "No filter left", trigger: ".o_searchview:not(:has(.o_searchview_facet))" },
    { content: `Search ${text}`, trigger: ".o_searchview_input", run: `edit ${text}` },
    { content: "Search", trigger: ".o_searchview_input", run: "press Enter" },
];

const chooseInMany2one = (field, text) => [
    {
        content: `Type in ${field}`,
        trigger: `.o_field_widget[name=${field}] input`,
        run: `edit ${text}`,
    },
    {
        content: `Pick ${text}`,
        trigger: `.o_field_widget[name=${field}] .o-autocomplete--dropdown-menu li:contains(${text})`,
        run: "click",
    },
];

// 1. A sales director writes the rule "after the 3rd order", previews it and runs it.
tours.add("sales_roles_director_rule", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        ...openMenu("sale.menu_sale_config", "sales_roles.sales_handover_rule_menu"),
        { content: "New rule", trigger: ".o_list_button_add", run: "click" },
        { content: "Name it", trigger: ".o_field_widget[name=name] input", run: "edit Tour: after the 3rd order" },
        ...chooseInMany2one("target_team_id", "Tour Farmers"),
        {
            content: "Add a condition",
            trigger: ".o_field_widget[name=condition_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "At least 3 orders",
            trigger: ".o_field_widget[name=condition_ids] .o_data_row .o_field_widget[name=min_count] input",
            run: "edit 3",
        },
        { content: "Save", trigger: ".o_form_button_save", run: "click" },
        { content: "Saved", trigger: ".o_form_saved" },
        { content: "Preview", trigger: "button[name=action_preview]", run: "click" },
        {
            content: "The client with 3 orders is listed with its proposed farmer",
            trigger: ".o_data_row:contains(Tour Third Order Client):contains(Tour Farmer)",
        },
        {
            content: "Back to the rule",
            trigger: ".breadcrumb-item a:contains(Tour: after the 3rd order)",
            run: "click",
        },
        { content: "Run now", trigger: "button[name=action_run]", run: "click" },
        { content: "Confirm", trigger: ".modal-footer .btn-primary", run: "click" },
        { content: "Done", trigger: ".o_notification:contains(1 client)" },
    ],
});

// 2. A salesperson opens a client and sees its lifecycle state and handover history.
tours.add("sales_roles_salesman_client", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        ...openMenu("sale.sale_order_menu", "sale.res_partner_menu"),
        ...searchContacts("Tour Regular Client"),
        {
            content: "Open it",
            trigger: ".o_kanban_record:contains(Tour Regular Client)",
            run: "click",
        },
        {
            content: "Its lifecycle state",
            trigger: ".o_field_widget[name=sales_lifecycle_state] .o_arrow_button_current:contains(Regular Client)",
        },
        { content: "The sales tab", trigger: ".o_notebook_headers a[name=sales_purchases]", run: "click" },
        { content: "Its hunter", trigger: ".o_field_widget[name=hunter_id]:contains(Tour Hunter)" },
        { content: "Its handovers", trigger: "button[name=action_view_handovers]", run: "click" },
        {
            content: "From the hunter to the farmer, with the reason",
            trigger: ".o_data_row:contains(Tour Hunter):contains(Tour Farmer)",
        },
    ],
});

// 3. A product manager reads the Sales Matrix and switches to the graph.
tours.add("sales_roles_product_manager_matrix", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        ...openMenu("sale.menu_sale_report", "sales_roles.sale_report_matrix_menu"),
        { content: "The pivot, by salesperson and product manager", trigger: ".o_pivot:contains(Tour Product Manager)" },
        { content: "The sales of my products", trigger: ".o_pivot:contains(Tour Hunter)" },
        { content: "Graph", trigger: ".o_switch_view.o_graph", run: "click" },
        { content: "The graph is drawn", trigger: ".o_graph_renderer canvas" },
    ],
});

// 4. A salesperson hands clients over from the list's action menu.
tours.add("sales_roles_manual_handover", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        ...openMenu("sale.sale_order_menu", "sale.res_partner_menu"),
        { content: "List view", trigger: ".o_switch_view.o_list", run: "click" },
        ...searchContacts("Tour Manual"),
        {
            content: "Select the first client",
            trigger: ".o_data_row:contains(Tour Manual One) .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Select the second client",
            trigger: ".o_data_row:contains(Tour Manual Two) .o_list_record_selector input",
            run: "click",
        },
        { content: "Actions", trigger: ".o_cp_action_menus .dropdown-toggle", run: "click" },
        { content: "Hand Over", trigger: ".o-dropdown-item:contains(Hand Over)", run: "click" },
        ...chooseInMany2one("user_id", "Tour Farmer"),
        {
            content: "Reason",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit Moving to account management",
        },
        { content: "Hand over", trigger: ".modal button[name=action_confirm]", run: "click" },
        { content: "Done", trigger: ".o_notification:contains(2 client)" },
    ],
});

// 5. The director switches the automatic handover off in the settings.
tours.add("sales_roles_settings", {
    url: "/odoo/action-sale.action_sale_config_settings",
    steps: () => [
        {
            content: "The link to the rules, in the Hunters & Farmers section",
            trigger: "#sales_roles_auto_handover button:contains(Handover Rules)",
            run: "click",
        },
        { content: "The rules", trigger: ".o_list_view .o_data_row:contains(After the 3rd order)" },
        { content: "Back to the settings", trigger: ".breadcrumb-item a:contains(Settings)", run: "click" },
        {
            content: "Switch the automatic handover off",
            trigger: "#sales_roles_auto_handover input[type=checkbox]:checked",
            run: "click",
        },
        { content: "Save", trigger: ".o_control_panel .o_form_button_save", run: "click" },
        {
            content: "Saved: the form is clean again, the automatic handover off",
            trigger: "body:not(:has(.o_form_dirty)) #sales_roles_auto_handover input[type=checkbox]:not(:checked)",
        },
    ],
});
