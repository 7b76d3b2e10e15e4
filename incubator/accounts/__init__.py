"""People, departments, skills, roles, and signing in."""
