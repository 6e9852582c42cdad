"""The static pages the engine e2e tests run on (a small imitation of the portal's structure)."""

HOME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>My account</title>
<style>body { font-family: sans-serif; margin: 2rem; } table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; } input { font-size: 1.2rem; }</style></head>
<body>
<nav aria-label="Main menu">
  <a href="/licenses" data-testid="nav-licenses">License and Purchase Management</a>
  <a href="/login?expired=1">Expiring link</a>
</nav>
<h1>My account</h1>
<form id="profile" onsubmit="return false">
  <p><label for="email">Email address</label> <input id="email" name="email"></p>
  <p><label for="pw">Password</label> <input id="pw" type="password" name="pw"></p>
  <p><label for="token">API token</label> <input id="token" name="token"></p>
  <p><label for="role">Role</label>
     <select id="role"><option>Standard user</option><option>Administrator</option></select></p>
  <p><input type="checkbox" id="accept"> <label for="accept">I accept the terms</label></p>
  <p><button type="button" id="save">Save</button> <button type="button" disabled>Locked</button></p>
</form>
<div role="status" id="status"></div>
<table>
  <caption>Users</caption>
  <tr><th scope="row">alice@x.test</th><td>Pro</td><td><button>Manage</button></td></tr>
  <tr><th scope="row">bob@x.test</th><td>Eco</td><td><button>Manage</button></td></tr>
</table>
<p data-testid="available">Available Eco licenses: 2</p>
<p><button type="button" id="later">Show details</button></p>
<div id="slot"></div>
<script>
  document.getElementById('save').addEventListener('click', () => {
    const email = document.getElementById('email').value;
    const role = document.getElementById('role').value;
    const ok = document.getElementById('accept').checked;
    document.getElementById('status').textContent = `Saved ${email} as ${role} (accepted: ${ok})`;
  });
  // Content that arrives after the click, like a page finishing an XHR.
  document.getElementById('later').addEventListener('click', () => {
    setTimeout(() => {
      document.getElementById('slot').innerHTML = '<section aria-label="Details"><p>Loaded later</p></section>';
    }, 300);
  });
  for (const b of document.querySelectorAll('table button')) {
    b.addEventListener('click', () => {
      document.getElementById('status').textContent = 'Managing ' + b.closest('tr').querySelector('th').textContent;
    });
  }
</script>
</body></html>"""

LICENSES = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Licenses</title></head>
<body><h1>License and Purchase Management</h1>
<form method="post" action="/buy"><button>Buy</button></form>
<form method="post" action="/boom"><button>Break</button></form>
<form method="post" action="/hangup"><button>Hang up</button></form>
</body></html>"""

DONE = """<!doctype html><html lang="en"><head><title>Done</title></head><body><h1>Done</h1></body></html>"""

LOGIN = """<!doctype html><html lang="en"><head><title>Sign in</title></head>
<body><h1>Sign in to Secure Exchanges</h1>
<div role="alert">Your session has expired. Please log in again.</div></body></html>"""

# Elements that change within one document: what a remembered resolution must survive.
MEMO = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Memo</title></head>
<body><h1>Memo</h1>
<p><button type="button" data-testid="apply-main">Apply</button></p>
<p><button type="button" id="target">Target</button></p>
<p><button type="button" id="drop">Drop the target</button> <button type="button" id="twin">Add a second Apply</button></p>
<div role="status" id="status"></div>
<script>
  const say = (text) => { document.getElementById('status').textContent = text; };
  document.querySelector('[data-testid=apply-main]').addEventListener('click', () => say('applied by the main button'));
  document.getElementById('target').addEventListener('click', () => say('target clicked'));
  document.getElementById('drop').addEventListener('click', () => document.getElementById('target').remove());
  document.getElementById('twin').addEventListener('click', () => {
    const b = document.createElement('button');
    b.type = 'button'; b.textContent = 'Apply';
    b.addEventListener('click', () => say('applied by the second button'));
    document.body.appendChild(b);
  });
</script></body></html>"""

PAGES = {"/": HOME, "/licenses": LICENSES, "/done": DONE, "/login": LOGIN, "/memo": MEMO}


def site_catalogue():  # type: ignore[no-untyped-def]
    from engine_builders import by, catalogue, entry, role

    return catalogue(
        entry(
            "menu.licenses",
            role("link", "Management of licenses and Purchases", exact=True),
            role("link", "/^Licen[cs]e and Purchase Management$/i"),
            by("test_id", "nav-licenses"),
            within="menu.main",
        ),
        entry("menu.main", role("navigation", "Main menu")),
        entry("menu.expiring", role("link", "Expiring link")),
        entry("form.email", by("label", "Email address")),
        entry("form.password", by("label", "Password")),
        entry("form.token", by("label", "API token")),
        entry("form.role", role("combobox", "Role", exact=True), by("label", "Role")),
        entry("form.accept", role("checkbox", "I accept the terms")),
        entry("form.save", role("button", "Save", exact=True)),
        entry("form.locked", role("button", "Locked", exact=True)),
        entry("page.status", role("status")),
        entry("page.heading", role("heading", "My account")),
        entry("page.available", by("test_id", "available")),
        entry("page.later", role("button", "Show details")),
        entry("page.details", role("region", "Details")),
        entry("page.missing", role("button", "Nope"), by("test_id", "nope"), by("css", "#nope")),
        entry("users.row", role("row", "/^{email}\\b/"), args=("email",)),
        entry(
            "users.manage",
            role("button", "Manage", exact=True),
            args=("email",),
            within=("users.row", {"email": "{email}"}),
        ),
        entry("users.any_manage", role("button", "Manage", exact=True)),
        entry("users.rows", role("row")),
        entry("licenses.heading", role("heading", "License and Purchase Management")),
        entry("licenses.buy", role("button", "Buy", exact=True)),
        entry("licenses.break", role("button", "Break", exact=True)),
        entry("licenses.hang_up", role("button", "Hang up", exact=True)),
        entry("done.heading", role("heading", "Done", exact=True)),
        entry("memo.apply", role("button", "Apply", exact=True), by("test_id", "apply-main")),
        entry("memo.target", role("button", "Target", exact=True)),
        entry("memo.drop", role("button", "Drop the target")),
        entry("memo.twin", role("button", "Add a second Apply")),
    )
