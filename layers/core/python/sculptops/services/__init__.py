"""Use cases: one module per concern, depending only on the domain and the ports."""
