"""The user page: per-user license actions, create, CSV import, edit, delete, journals."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from fake_portal.directory import delete_user
from fake_portal.rules import RuleViolation

ADMIN = "admin@acme.example"


def test_users_table_shows_every_user_with_license_or_no_license(admin: Any) -> None:
    page = admin.get("/users").text
    assert page.count('<tr data-testid="user-') == 22
    row = page.split('data-testid="user-user19@acme.example"')[1].split("</tr>")[0]
    assert "No license" in row and "Standard user" in row
    row = page.split('data-testid="user-user03@acme.example"')[1].split("</tr>")[0]
    assert ">Pro<" in row and "Manage License" in row and "Edit user" in row and "Journals" in row
    # The manage window offers the tiers that have a free license.
    assert re.search(r"data-available='\[\"Eco\", \"Advanced\"\]'", page)


def test_modify_license_moves_the_old_one_back_to_the_pool_still_billed(admin: Any) -> None:
    page = admin.post(
        "/users/license/modify", {"user_id": admin.user_id("user03@acme.example"), "tier": "Eco"}
    )
    assert admin.statuses(page.text) == ["user03@acme.example now holds a Eco license."]
    state = admin.state()
    assert admin.user("user03@acme.example")["license"] == "Eco"
    assert state["pool"]["Pro"] == {"total": 6, "assigned": 5, "available": 1}
    assert state["pool"]["Eco"] == {"total": 6, "assigned": 6, "available": 0}
    assert state["monthly_bill"] == 380  # nothing was bought or removed
    assert state["audit"][-1] == {
        **state["audit"][-1],
        "action": "modify_license",
        "target": "user03@acme.example",
        "detail": "Pro → Eco",
    }
    assert any(m["to"] == "user03@acme.example" for m in admin.outbox())


def test_modify_needs_a_free_license_of_another_tier(admin: Any) -> None:
    user = admin.user_id("user14@acme.example")
    assert admin.alerts(admin.post("/users/license/modify", {"user_id": user, "tier": "Pro"}).text) == [
        "No available Pro license: buy one on the license page first."
    ]
    assert admin.alerts(admin.post("/users/license/modify", {"user_id": user, "tier": "Eco"}).text) == [
        "user14@acme.example already holds a Eco license."
    ]
    assert admin.alerts(admin.post("/users/license/modify", {"user_id": user, "tier": ""}).text) == [
        "Choose a license."
    ]
    assert admin.user("user14@acme.example")["license"] == "Eco"


def test_remove_license_returns_it_to_the_pool(admin: Any) -> None:
    page = admin.post("/users/license/remove", {"user_id": admin.user_id("user07@acme.example")})
    assert admin.statuses(page.text) == [
        "License removed from user07@acme.example. It stays in the pool and is still billed."
    ]
    state = admin.state()
    assert admin.user("user07@acme.example")["license"] is None
    assert state["pool"]["Advanced"] == {"total": 8, "assigned": 6, "available": 2}
    assert state["monthly_bill"] == 380


def test_transfer_goes_only_to_a_user_without_license(admin: Any) -> None:
    page = admin.post(
        "/users/license/transfer",
        {
            "from_user_id": admin.user_id("user01@acme.example"),
            "to_user_id": admin.user_id("user19@acme.example"),
        },
    )
    assert admin.statuses(page.text) == [
        "License transferred from user01@acme.example to user19@acme.example."
    ]
    assert admin.user("user01@acme.example")["license"] is None
    assert admin.user("user19@acme.example")["license"] == "Pro"
    refused = admin.post(
        "/users/license/transfer",
        {
            "from_user_id": admin.user_id("user02@acme.example"),
            "to_user_id": admin.user_id("user07@acme.example"),
        },
    )
    assert admin.alerts(refused.text) == ["user07@acme.example already holds a license."]
    assert admin.user("user02@acme.example")["license"] == "Pro"


def test_transfer_list_holds_only_users_without_license(admin: Any) -> None:
    page = admin.get("/users").text
    listed = re.findall(r'data-testid="transfer-([^"]+)"', page)
    assert listed == [
        "admin@acme.example",
        "secops@acme.example",
        "user19@acme.example",
        "user20@acme.example",
    ]


def test_assign_to_a_user_without_license(admin: Any) -> None:
    user = admin.user_id("user20@acme.example")
    page = admin.post("/users/license/assign", {"user_id": user, "tier": "Advanced"})
    assert admin.statuses(page.text) == ["user20@acme.example now holds a Advanced license."]
    assert admin.state()["pool"]["Advanced"]["available"] == 0
    again = admin.post(
        "/users/license/assign", {"user_id": admin.user_id("user19@acme.example"), "tier": "Advanced"}
    )
    assert admin.alerts(again.text) == ["No available Advanced license: buy one on the license page first."]
    twice = admin.post("/users/license/assign", {"user_id": user, "tier": "Eco"})
    assert admin.alerts(twice.text) == ["user20@acme.example already holds a license."]


def test_create_user_on_an_approved_or_public_domain(admin: Any) -> None:
    for email in ("new.person@acme.example", "someone@gmail.com", "a@outlook.com", "b@hotmail.com"):
        page = admin.post(
            "/users/create", {"email": email, "first_name": "New", "last_name": "Person", "role": "standard"}
        )
        assert admin.statuses(page.text) == [f"User {email} created."]
    assert admin.user("new.person@acme.example") == {
        "email": "new.person@acme.example",
        "role": "standard",
        "license": None,
        "two_factor": False,
    }


def test_create_user_refusals(admin: Any) -> None:
    cases = [
        ("x@unapproved.example", "The domain unapproved.example is not approved for this account."),
        ("user01@acme.example", "A user with this email already exists."),
        ("USER01@ACME.EXAMPLE", "A user with this email already exists."),
        ("not-an-email", "Enter a valid email address."),
    ]
    for email, message in cases:
        page = admin.post(
            "/users/create", {"email": email, "first_name": "A", "last_name": "B", "role": "standard"}
        )
        assert admin.alerts(page.text) == [message], email
    page = admin.post("/users/create", {"email": "c@acme.example", "first_name": "", "last_name": "B"})
    assert admin.alerts(page.text) == ["First name and last name are required."]
    assert len(admin.state()["users"]) == 22


def test_create_administrator(admin: Any) -> None:
    admin.post(
        "/users/create",
        {"email": "boss@acme.example", "first_name": "B", "last_name": "Oss", "role": "admin"},
    )
    assert admin.user("boss@acme.example")["role"] == "admin"
    assert admin.state()["audit"][-1]["action"] == "create_user"


def _upload(admin: Any, text: str) -> Any:
    return admin.post("/users/import", files={"csv_file": ("users.csv", text.encode(), "text/csv")})


def test_csv_import_reports_each_row(admin: Any) -> None:
    page = _upload(
        admin,
        "\ufeffemail,first_name,last_name,role\n"
        "ann@acme.example,Ann,Lee,standard\n"
        "bob@gmail.com,Bob,Ray,admin\n"
        "eve@evil.example,Eve,Bad,standard\n"
        "user02@acme.example,Dup,Licate,standard\n"
        "ann@acme.example,Ann,Again,standard\n"
        "cat@acme.example,Cat,Tail,boss\n"
        "dan@acme.example,Dan\n"
        "\n"
        "fay@acme.example,Fay,Ng,Administrator\n",
    )
    assert page.url.path == "/users/import/result"
    assert "Import report" in page.text and "3 added, 5 refused." in page.text
    rows = re.findall(
        r'<th scope="row">(\d+)</th><td>([^<]*)</td>\s*<td>(\w+)</td><td>([^<]*)</td>', page.text
    )
    assert [(int(r), e, res) for r, e, res, _ in rows] == [
        (1, "ann@acme.example", "Added"),
        (2, "bob@gmail.com", "Added"),
        (3, "eve@evil.example", "Refused"),
        (4, "user02@acme.example", "Refused"),
        (5, "ann@acme.example", "Refused"),
        (6, "cat@acme.example", "Refused"),
        (7, "dan@acme.example", "Refused"),
        (8, "fay@acme.example", "Added"),
    ]
    reasons = {int(r): html.unescape(reason) for r, _, _, reason in rows}
    assert reasons[3] == "The domain evil.example is not approved for this account."
    assert reasons[4] == "A user with this email already exists."
    assert reasons[5] == "Same email as row 1."
    assert reasons[6] == 'Unknown role "boss".'
    assert reasons[7] == "Expected 4 columns, found 2."
    assert admin.user("fay@acme.example")["role"] == "admin"
    assert admin.state()["audit"][-1] == {
        **admin.state()["audit"][-1],
        "action": "import_users",
        "detail": "3 added, 5 refused",
    }


def test_csv_import_refuses_a_file_not_matching_the_template(admin: Any) -> None:
    page = _upload(admin, "mail;first;last\nann@acme.example;Ann;Lee\n")
    assert page.url.path == "/users"
    assert admin.alerts(page.text) == [
        "The file does not match the template: its first line must be email,first_name,last_name,role."
    ]
    assert admin.alerts(admin.post("/users/import", {}).text) == ["Choose a CSV file to upload."]
    latin = admin.post(
        "/users/import",
        files={
            "csv_file": (
                "u.csv",
                "email,first_name,last_name,role\nzoé@acme.example,Zoé,X,standard\n".encode("latin-1"),
            )
        },
    )
    assert admin.alerts(latin.text) == ["The file must be a UTF-8 encoded CSV file."]


def test_csv_template_download(admin: Any) -> None:
    answer = admin.get("/users/import/template.csv")
    assert answer.text == "email,first_name,last_name,role\n"
    assert answer.headers["content-type"].startswith("text/csv")


def test_edit_user_names_and_role(admin: Any) -> None:
    user = admin.user_id("user05@acme.example")
    page = admin.post(
        "/users/update", {"user_id": user, "first_name": "Emma", "last_name": "B.", "role": "admin"}
    )
    assert admin.statuses(page.text) == ["User user05@acme.example updated."]
    assert admin.user("user05@acme.example")["role"] == "admin"
    assert "Emma B." in admin.get("/users").text
    assert admin.state()["audit"][-1]["detail"] == "name Emma Bouchard → Emma B.; role standard → admin"


def test_at_least_one_administrator_must_remain(make_app: Any, browser_for: Any) -> None:
    admin = browser_for(make_app(seed="empty")).login()
    me = admin.user_id("admin@acme.example")
    page = admin.post(
        "/users/update", {"user_id": me, "first_name": "A", "last_name": "B", "role": "standard"}
    )
    assert admin.alerts(page.text) == ["At least one administrator must remain."]
    admin.post(
        "/users/create", {"email": "two@acme.example", "first_name": "T", "last_name": "Wo", "role": "admin"}
    )
    other = admin.user_id("two@acme.example")
    # Two admins: the other may be demoted, then it is the last one again.
    admin.post("/users/update", {"user_id": other, "first_name": "T", "last_name": "Wo", "role": "standard"})
    page = admin.post(
        "/users/update", {"user_id": me, "first_name": "A", "last_name": "B", "role": "standard"}
    )
    assert admin.alerts(page.text) == ["At least one administrator must remain."]
    assert admin.user("admin@acme.example")["role"] == "admin"


def test_delete_user_returns_the_license_to_the_pool(admin: Any) -> None:
    page = admin.post("/users/delete", {"user_id": admin.user_id("user01@acme.example")})
    assert admin.statuses(page.text) == ["User user01@acme.example deleted."]
    state = admin.state()
    assert "user01@acme.example" not in [u["email"] for u in state["users"]]
    assert state["pool"]["Pro"] == {"total": 6, "assigned": 5, "available": 1}
    assert state["audit"][-1] == {
        **state["audit"][-1],
        "action": "delete_user",
        "target": "user01@acme.example",
    }


def test_delete_refusals(admin: Any, new_client: Any) -> None:
    page = admin.post("/users/delete", {"user_id": admin.user_id("admin@acme.example")})
    assert admin.alerts(page.text) == ["You cannot delete your own account."]
    secops = new_client().login("secops@acme.example")
    secops.post("/users/delete", {"user_id": secops.user_id("admin@acme.example")})
    last = secops.post("/users/delete", {"user_id": secops.user_id("secops@acme.example")})
    assert secops.alerts(last.text) == ["You cannot delete your own account."]
    assert [u["email"] for u in secops.state()["users"] if u["role"] == "admin"] == ["secops@acme.example"]
    # The deleted admin's session is gone with them.
    assert admin.get("/").url.path == "/login"


def test_last_admin_cannot_be_deleted_by_anyone(make_app: Any) -> None:
    app = make_app(seed="empty")
    with app.state.portal.db.write() as tx, pytest.raises(RuleViolation, match="At least one administrator"):
        delete_user(tx, "support", 0, 1)


def test_journals_show_a_users_events(admin: Any) -> None:
    user = admin.user_id("user03@acme.example")
    admin.post("/users/license/modify", {"user_id": user, "tier": "Eco"})
    page = admin.get(f"/users/{user}/journals").text
    assert "Journals of user03@acme.example" in page and "modify_license" in page and "Pro → Eco" in page
    assert admin.get("/users/9999/journals").status_code == 404


def test_unknown_user_id_is_refused(admin: Any) -> None:
    page = admin.post("/users/license/remove", {"user_id": "9999"})
    assert admin.alerts(page.text) == ["This user does not exist."]
    page = admin.post("/users/license/remove", {"user_id": "abc"})
    assert admin.alerts(page.text) == ["This user does not exist."]
