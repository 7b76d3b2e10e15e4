"""Innovation challenges: questions anyone may put to the whole company."""
