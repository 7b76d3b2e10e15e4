"""Comments and follows on any subject (an idea, a challenge). Knows subjects only by
type and id, so the domains that have discussions depend on it, not the reverse."""
