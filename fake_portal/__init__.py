"""A local stand-in for the Secure Exchanges admin portal, strict enough to test runbooks against.

Start it with `fake-portal` / `python -m fake_portal` (see __main__.py), build the app with
`fake_portal.app.create_app(PortalConfig(...))`, or run it in-process for tests with
`fake_portal.testing.PortalServer`. The UI contract is docs/portal-ui.md.

Dialects: the English `2026` and `2024`, and the French `fr-ca`, which behaves like the ASP.NET
WebForms site the real portal is (dialects.py) and pays through a stand-in card provider served by the
same process on a second port (provider.py).
"""
