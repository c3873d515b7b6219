"""Great Expectations suites per stage and the runner that applies them (issue 6).

Until then, row-level rules live in the standardize SQL and the quarantine they feed."""
