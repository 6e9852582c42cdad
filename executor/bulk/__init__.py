"""Bulk runs: one runbook over the rows of a CSV, with a journal that makes every destructive
operation exactly-once across crashes and resumes. The design is docs/bulk.md.

rows.py          the input (CSV or .xlsx), validated whole before anything runs; input_files.py reads
                 its bytes (encodings, separators, sheets), input_problems.py positions problems
journal.py       SQLite (WAL): rows, operations (intent / outcome), events; crash.py: test crash points
rundir.py        the run folder and run.json (hashes of the runbooks and the input, the plan hash)
outcomes.py      pure: an operation whose outcome is unknown + the portal's state -> done / not done / attention
portal_state.py  the users table and the license pool, parsed from `extract what: table`
planning.py      pure: (rows, state) -> per-row actions, totals, bill before and after, plan hash
op_watch.py      a job's destructive steps -> intent (just before the act) and outcome records
safety.py        the gate (Ctrl-C, pauses), circuit breaker, confirmation; rate_limit.py
workers.py       N logged-in browser contexts over one local browser or several browser servers: session
                 expiry, a lost server's rows requeued, contexts recycled (page_memory.py: the JS heap)
run_state.py     what a strategy works with; per_row.py and aggregate.py, the two strategies
ledger.py, progress.py, row_events.py   results.csv, live view, bulk events
report_page.py   report.html built from the run folder: report_data.py (paged data files), report_records.py
                 (what is kept of an event), report_section.py (summary), report_chart.py, report_script.py
runner.py        `runbook run --input`, `runbook plan --input`, `runbook resume`, `runbook status`
"""
