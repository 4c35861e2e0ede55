"""The local stack: embedded DynamoDB, tables from infra/, seed data, dev IdP, local gateway."""
