"""Listeners: what the engine's events become (terminal, JSON log, JUnit XML, HTML report).

Each is fed by events only; none touches the browser.
"""

from executor.listeners.console import ConsoleListener
from executor.listeners.html_report import HtmlReportListener, render_html
from executor.listeners.junit import JUnitListener, StreamingJUnitListener, render_junit
from executor.listeners.log_file import LogFileListener

__all__ = [
    "ConsoleListener",
    "HtmlReportListener",
    "JUnitListener",
    "StreamingJUnitListener",
    "LogFileListener",
    "render_html",
    "render_junit",
]
