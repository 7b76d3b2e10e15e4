"""In-app notifications, written by subscribers to domain events (in the same
transaction as the change), so domains never call this package directly."""
