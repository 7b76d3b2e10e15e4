"""The customer's voice: what customers said, logged by the people who hear it, linked as
evidence to challenges and ideas."""
