"""AWS edge adapters: API Gateway event shapes in, domain calls out. Not part of the core."""
