"""The `sculptops` command line."""
