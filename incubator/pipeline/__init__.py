"""The leadership pipeline: read models over every domain; nothing imports this package."""
