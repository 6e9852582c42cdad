"""Bulk runs: one runbook over the rows of a CSV, with a journal that makes every destructive
operation exactly-once across crashes and resumes. The design is docs/bulk.md.

rows.py       the CSV, validated whole before anything runs
journal.py    SQLite (WAL): rows, operations (intent / outcome), events
rundir.py     the run folder and run.json (hashes of the runbook and the input, the plan hash)
outcomes.py   pure: an operation whose outcome is unknown + the portal's state -> done / not done / attention
portal_state.py  the users table and the license pool, parsed from `extract what: table`
planning.py   pure: (rows, state) -> per-row actions, totals, bill before and after, plan hash
safety.py     confirmation, canary gate, circuit breaker, Ctrl-C
workers.py    N logged-in browser contexts, the rate limit, the pause on session expiry
per_row.py / aggregate.py   the two strategies
ledger.py, progress.py, report_section.py   results.csv, the live view, the HTML summary
runner.py     glue used by `runbook run --input`, `runbook resume`, `runbook plan --input`
"""
