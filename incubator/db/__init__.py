"""Database plumbing shared by every domain: engines, transactions, errors, audit log."""
