"""Stage gates decided by peers: pipelines, rounds, panels, votes, decisions, deadlines."""
