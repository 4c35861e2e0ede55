"""One router module per function: tokens, identity, catalog, executions, agents."""
