"""The first screen after signing in: what needs me, then what is going on."""
