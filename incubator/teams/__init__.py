"""Teams form around ideas across departments: roles wanted, join requests, matching."""
