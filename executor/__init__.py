"""portal-runbooks executor: YAML runbooks run in a real browser with Playwright."""
