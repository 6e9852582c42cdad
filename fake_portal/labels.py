"""Every text the portal shows, in every label dialect: the English table here, the French one in
labels_fr.py (same keys; a unit test keeps them complete).

An English value is either one string (same in both English dialects) or a pair (2026 text, 2024 text)
for the labels that the vendor's knowledge base spells two ways (portal-spec.md section 2). Texts may
hold {fields} filled at render time. Tests can rename any key at run time (POST /_test/labels) to
simulate UI drift.

Fields named like a tier ({tier}, {from_tier}, {to_tier}) are given the canonical tier (Eco, Advanced,
Pro) and show the dialect's display name for it (keys tier_Eco, ...): fr-ca writes Éco and Avancé, while
the data, the forms and /_test/state keep the canonical names.
"""

from __future__ import annotations

from collections.abc import Mapping

from .billing import TIERS
from .config import ENGLISH_DIALECTS, FRENCH_DIALECT, SettingsError, check_dialect
from .labels_fr import FRENCH

TIER_FIELDS = frozenset({"tier", "from_tier", "to_tier"})

LABELS: dict[str, str | tuple[str, str]] = {
    # --- chrome -------------------------------------------------------------------------------
    "app_name": "Secure Exchanges",
    "main_menu": "Main menu",
    "menu_licenses": ("Management of licenses and Purchases", "License and Purchase Management"),
    "menu_users": ("User Management", "Management of users"),
    "menu_options": "Options",
    "menu_statistics": "User statistics",
    "menu_roles": "Roles and permissions",
    "menu_billing": "Billing and discounts",
    "menu_account": "My account",
    "logout": "Log out",
    "close": "Close",
    "cancel": "Cancel",
    "no_license": "No license",
    "role_admin": "Administrator",
    "role_standard": "Standard user",
    "tier_Eco": "Eco",
    "tier_Advanced": "Advanced",
    "tier_Pro": "Pro",
    "card_on_file": "{brand} ending in {last4}",
    # --- login --------------------------------------------------------------------------------
    "login_title": "Sign in to Secure Exchanges",
    "login_intro": "Enter your email address and the anti-robot code. We will email you a sign-in link.",
    "login_email": "Email address",
    "login_captcha_name": "Captcha: {digits}",
    "login_captcha": "Anti-robot code",
    "login_new_captcha": "New captcha",
    "login_submit": "Log in",
    "login_or": "or",
    "login_microsoft": "Sign in with Microsoft",
    "login_microsoft_unavailable": "Microsoft sign-in is not available in this portal.",
    "login_captcha_wrong": "The anti-robot code is incorrect.",
    "login_email_missing": "Enter your email address.",
    "login_expired": "Your session has expired. Please log in again.",
    "login_signed_out": "You are signed out.",
    "login_sent_title": "Check your email",
    "login_sent_body": (
        "If {email} has an account, we have sent it a link. Open the link in this browser to sign in. "
        "It expires in 15 minutes."
    ),
    "login_back": "Back to sign-in",
    "login_denied_title": "Access validation in progress…",
    "login_denied_error2": "Access denied. Error 2.",
    "login_link_invalid": "This link has expired or was already used.",
    "code_title": "Verification code",
    "code_intro": "We sent a 6-digit code by SMS to the mobile number of your account.",
    "code_input": "SMS verification code",
    "code_submit": "Verify",
    "code_wrong": "The verification code is incorrect.",
    "mail_login_subject": "Your Secure Exchanges sign-in link",
    "mail_login_body": (
        "Hello, use the link below to open the Secure Exchanges online portal. It works only in the "
        "browser where you asked for it and expires in 15 minutes."
    ),
    "mail_login_link": "Use Secure Exchanges online",
    "sms_code_subject": "Secure Exchanges verification code",
    "sms_code_body": "SMS to {phone}: your Secure Exchanges verification code is {code}.",
    "mail_license_subject": "A Secure Exchanges license was assigned to you",
    "mail_license_body": (
        "Your administrator assigned you a {tier} license. Install Secure Exchanges and activate it "
        "if you have not already."
    ),
    # --- account page -------------------------------------------------------------------------
    "account_title": "My account",
    "account_license_details": ("License details", "License Details"),
    "account_license": "License",
    "account_expiration": "Expiration date",
    "account_email": "Email",
    "account_cell": "Cell number",
    "account_2fa": "Enable 2FA authentication",
    "account_personal": "Personal information",
    "account_first_name": "First name",
    "account_last_name": "Last name",
    "account_role": "Role",
    # --- license page -------------------------------------------------------------------------
    "lic_packages": "Packages",
    "lic_col_package": "Package",
    "lic_col_price": "Price",
    "lic_col_quantity": "Quantity",
    "lic_col_action": "Action",
    "lic_package_name": "{tier}",
    "lic_price": "{price} CAD / license / month",
    "lic_quantity": "Quantity of {tier} licenses",
    "lic_add": "Add",
    "lic_summary": "Purchase summary",
    "lic_summary_empty": "No licenses added yet.",
    "lic_summary_line": "{tier} × {qty} — {amount} CAD / month",
    "lic_remove_line": "Remove line",
    "lic_summary_total": "Total: {amount} CAD / month",
    "lic_checkout": ("Proceed to checkout", "Validate my purchases"),
    "lic_confirm_title": "Confirm your purchase",
    "lic_confirm_card": "The card on file ({card}) is charged now.",
    "lic_accept": "I accept that these licenses will be added to my account",
    "lic_pay": ("Pay", "Proceed to purchase"),
    "lic_payment_hint": "The payment form appears once you accept.",
    "lic_payment_frame": "Secure payment",
    "lic_payment_invalid": "The payment could not be verified: nothing was bought.",
    "lic_payment_replayed": "This payment was already processed: nothing was bought again.",
    "lic_line_added": "{tier} × {qty} added to the purchase summary.",
    "lic_line_removed": "Line removed from the purchase summary.",
    "lic_paid": "Payment accepted: {qty} {tier} license(s) added.",
    "lic_accept_required": "Accept that the licenses will be added to your account before paying.",
    "lic_nothing_to_pay": "There is nothing to pay.",
    "lic_quantity_invalid": "The quantity must be a whole number from 1 to 100.",
    "lic_purchased": "Purchased licenses",
    "lic_col_license": "License",
    "lic_col_total": "Total",
    "lic_col_assigned": "Assigned Licenses",
    "lic_col_available": "Available licenses",
    "lic_assigned_count": "Assigned {tier} licenses: {n}",
    "lic_available_count": ("Available {tier} licenses: {n}", "Number of {tier} licenses available: {n}"),
    "lic_upgrade_title": "Upgrade {tier} licenses",
    "lic_upgrade_holders": "Users holding a {tier} license",
    "lic_upgrade_to": "Upgrade to",
    "lic_upgrade": "Upgrade",
    "lic_upgrade_payment": "Upgrade payment",
    "lic_upgrade_summary": "{qty} license(s) from {from_tier} to {to_tier}:",
    "lic_amount_due": "Amount due now: {amount} CAD",
    "lic_proration": "Prorated for the {days} remaining day(s) of this {month_days}-day month.",
    "lic_renewal": "Renewal amount: {amount} CAD / month",
    "lic_upgraded": "{qty} license(s) upgraded from {from_tier} to {to_tier}; {amount} CAD charged.",
    "lic_manage_title": "Manage {tier} licenses",
    "lic_manage_intro": "{n} {tier} license(s) are not assigned to anyone and are still billed.",
    "lic_change_quantity": ("Change the quantity of license", "Modify the quantity of this license"),
    "lic_remove_count": "Number of licenses to remove",
    "lic_remove_button": ("Remove license", "Remove these licenses"),
    "lic_removal_title": "Confirm removal",
    "lic_removal_text": "Removal is permanent: a deleted license cannot be recovered.",
    "lic_removal_confirm": "Confirm removal",
    "lic_removal_native_confirm": "Permanently remove these {tier} licenses? This cannot be undone.",
    "lic_removed": "{qty} {tier} license(s) removed.",
    "lic_removed_alert": "{qty} {tier} license(s) removed.",
    # --- user page ----------------------------------------------------------------------------
    "users_table": "Users",
    "users_col_email": "Email",
    "users_col_name": "Name",
    "users_col_role": "Role",
    "users_col_license": "License",
    "users_col_actions": "Actions",
    "users_manage_license": ("Manage License", "Manage Licence"),
    "users_edit": "Edit user",
    "users_journals": "Journals",
    "users_pages": "Pages of the user list",
    "users_previous": "Previous",
    "users_next": "Next",
    "users_page_of": "Page {page} of {pages}",
    "ml_title": "Manage license of {email}",
    "ml_current": "Current license: {tier}",
    "ml_modify": "Modify License",
    "ml_remove": ("Remove license", "Remove Licence"),
    "ml_transfer": ("Transfer license", "Transfer Licence"),
    "ml_new_license": "New license",
    "ml_assign_license": "License",
    "ml_choose": "Choose a license",
    "ml_save": "Save",
    "ml_empty": "No available license: buy licenses on the license page first.",
    "ml_now_holds": "{email} now holds a {tier} license.",
    "ml_remove_title": "Remove license",
    "ml_remove_text": "The license returns to the pool and stays billable.",
    "ml_confirm": "Confirm",
    "ml_remove_native_confirm": "Remove the license from this user?",
    "ml_removed": "License removed from {email}. It stays in the pool and is still billed.",
    "ml_transfer_list": "Users without a license",
    "ml_transfer_button": "Transfer",
    "ml_transfer_empty": "Every user already holds a license.",
    "ml_transferred": "License transferred from {from_email} to {to_email}.",
    "create_title": "Create a user",
    "create_email": "Email",
    "create_first": "First name",
    "create_last": "Last name",
    "create_role": "Role",
    "create_submit": "Create user",
    "created": "User {email} created.",
    "import_button": "Import users",
    "import_title": "Import users",
    "import_help": (
        "One user per line, with the header line email,first_name,last_name,role (role: standard or admin)."
    ),
    "import_template": "Download the CSV template",
    "import_file": "CSV file",
    "import_upload": "Upload",
    "import_report_title": "Import report",
    "import_col_row": "Row",
    "import_col_email": "Email",
    "import_col_result": "Result",
    "import_col_reason": "Reason",
    "import_added": "Added",
    "import_refused": "Refused",
    "import_summary": "{added} added, {refused} refused.",
    "import_no_report": "No import has been made in this session.",
    "import_back": "Back to the users",
    "import_no_file": "Choose a CSV file to upload.",
    "import_bad_header": (
        "The file does not match the template: its first line must be email,first_name,last_name,role."
    ),
    "import_bad_encoding": "The file must be a UTF-8 encoded CSV file.",
    "import_too_large": "The file is too large (1 MB at most).",
    "edit_title": "Edit user {email}",
    "edit_save": "Save",
    "edit_delete": ("Delete user", "Delete the User"),
    "delete_title": "Delete user",
    "delete_text": (
        "This permanently deletes the user and all their logs. A license they hold returns to the pool."
    ),
    "delete_confirm": "Confirm",
    "delete_native_confirm": "Permanently delete this user and all their logs?",
    "updated": "User {email} updated.",
    "deleted": "User {email} deleted.",
    "journals_title": "Journals of {email}",
    "journal_table": "Journal",
    "journal_col_date": "Date",
    "journal_col_actor": "Actor",
    "journal_col_action": "Action",
    "journal_col_detail": "Detail",
    "journal_empty": "No events yet.",
    # --- rule violations (shown in an alert) ---------------------------------------------------
    "err_unknown_tier": "Unknown license type.",
    "err_remove_quantity": "The number of licenses to remove must be a whole number of at least 1.",
    "err_remove_too_many": "Only {n} {tier} license(s) are available; assigned licenses cannot be removed.",
    "err_no_available": "No available {tier} license: buy one on the license page first.",
    "err_choose_license": "Choose a license.",
    "err_already_holds": "{email} already holds a license.",
    "err_holds_none": "{email} holds no license.",
    "err_same_tier": "{email} already holds a {tier} license.",
    "err_user_not_found": "This user does not exist.",
    "err_upgrade_none_selected": "Select at least one user to upgrade.",
    "err_upgrade_not_higher": "{tier} is not a higher tier than {from_tier}.",
    "err_upgrade_holder": "{email} does not hold a {tier} license.",
    "err_email_invalid": "Enter a valid email address.",
    "err_domain": "The domain {domain} is not approved for this account.",
    "err_duplicate": "A user with this email already exists.",
    "err_name_required": "First name and last name are required.",
    "err_name_too_long": "Names are limited to 100 characters.",
    "err_role": 'Unknown role "{role}".',
    "err_last_admin": "At least one administrator must remain.",
    "err_delete_self": "You cannot delete your own account.",
    "err_import_columns": "Expected 4 columns, found {n}.",
    "err_import_repeated": "Same email as row {row}.",
    # --- other pages --------------------------------------------------------------------------
    "billing_current": "Current monthly bill: {amount} CAD",
    "billing_card": "Card on file: {card}",
    "billing_breakdown": "Licenses billed monthly",
    "billing_col_license": "License",
    "billing_col_count": "Licenses",
    "billing_col_price": "Price",
    "billing_col_monthly": "Monthly",
    "billing_ledger": "Ledger",
    "billing_col_date": "Date",
    "billing_col_kind": "Kind",
    "billing_col_tier": "License",
    "billing_col_quantity": "Quantity",
    "billing_col_amount": "Amount",
    "billing_ledger_empty": "No charges yet.",
    "billing_invoice_csv": "Download the invoice (CSV)",
    "invoice_file": "invoice-{month}.csv",
    "invoice_col_license": "License",
    "invoice_col_count": "Licenses",
    "invoice_col_unit_price": "Unit price",
    "invoice_col_monthly": "Monthly amount",
    "invoice_total": "Total",
    "ledger_purchase": "Purchase",
    "ledger_upgrade": "Upgrade",
    "ledger_removal": "Removal",
    "stats_intro": "Messages sent this month, per user.",
    "stats_table": "User statistics",
    "stats_col_user": "User",
    "stats_col_messages": "Messages sent",
    "stats_col_files": "Files sent",
    "stats_get": "Get statistics",
    "roles_intro": "Role groups grant narrower rights than the Administrator role type.",
    "roles_table": "Role groups",
    "roles_col_group": "Role group",
    "roles_col_users": "Users",
    "roles_add": "Add a role group",
    "roles_admins": "Administrators",
    "roles_standard": "Standard users",
    "not_allowed_title": "Not allowed",
    "not_allowed_text": "Only administrators can open this page.",
    "csrf_title": "Form expired",
    "csrf_text": "This form has expired or did not come from the portal. Reload the page and try again.",
    "maintenance_title": "Maintenance in progress",
    "maintenance_text": "The portal is under maintenance. Please try again in a few minutes.",
    "server_error_title": "Something went wrong",
    "server_error_text": "The portal could not process your request. Please try again.",
    "bad_gateway_title": "Bad gateway",
    "bad_gateway_text": "The portal did not answer in time.",
    "not_found_title": "Page not found",
    "not_found_text": "This page does not exist.",
    "outbox_title": "Outbox",
    "outbox_intro": "Messages the portal has sent (a local mail catcher, not part of the portal).",
    "outbox_table": "Messages",
    "outbox_col_to": "To",
    "outbox_col_kind": "Kind",
    "outbox_col_subject": "Subject",
    "outbox_col_body": "Body",
    "outbox_empty": "No messages yet.",
}


def label_table(dialect: str) -> dict[str, str]:
    """The base texts of one dialect, before any run-time override."""
    check_dialect(dialect)
    if dialect == FRENCH_DIALECT:
        return dict(FRENCH)
    column = ENGLISH_DIALECTS.index(dialect)
    return {key: (value if isinstance(value, str) else value[column]) for key, value in LABELS.items()}


def check_overrides(overrides: Mapping[str, object]) -> dict[str, str]:
    unknown = sorted(k for k in overrides if k not in LABELS)
    if unknown:
        raise SettingsError(f"unknown label key(s): {', '.join(unknown)}")
    if not all(isinstance(v, str) and v for v in overrides.values()):
        raise SettingsError("label overrides must be non-empty strings")
    return {k: str(v) for k, v in overrides.items()}


class _KeepMissing(dict[str, object]):
    # An overridden text may name fields the caller does not pass; show them as written.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Labels:
    """The texts in force for one request: a dialect plus run-time overrides."""

    def __init__(self, dialect: str, overrides: Mapping[str, str] | None = None) -> None:
        self.dialect = dialect
        self._texts = label_table(dialect) | dict(overrides or {})

    def __call__(self, key: str, **fields: object) -> str:
        text = self._texts[key]
        if not fields:
            return text
        shown = {k: (self.tier(v) if k in TIER_FIELDS else v) for k, v in fields.items()}
        return text.format_map(_KeepMissing(shown))

    def tier(self, tier: object) -> str:
        """The display name of a canonical tier; anything else is shown as it is."""
        if isinstance(tier, str) and tier in TIERS:
            return self._texts["tier_" + tier]
        return str(tier)

    def as_dict(self) -> dict[str, str]:
        return dict(self._texts)
