"""`python -m executor.cli ...` is the same as `runbook ...`."""

import sys

from executor.cli import main

sys.exit(main())
