"""One router module per function: tokens, identity (with docs and health), ..."""
