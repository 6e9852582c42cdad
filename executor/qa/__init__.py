"""The pytest plugin's parts (executor.pytest_plugin): options, the session browser, running and judging examples."""
