"""DynamoDB adapters through pynamodb. Models are built from settings at cold start."""
