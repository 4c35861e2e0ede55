"""Adapters: the ports implemented on DynamoDB (pynamodb) and the OIDC provider."""
