"""Ideas: proposed by anyone, supported, discussed, found by search, merged when duplicated."""
