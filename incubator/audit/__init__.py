"""Reading the append-only audit log (writing it is db.audit's job)."""
