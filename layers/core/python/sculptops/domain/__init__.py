"""Domain rules: pure Python, no SDK, ORM or web framework."""
