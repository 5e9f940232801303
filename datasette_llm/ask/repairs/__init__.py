"""Every accuracy heuristic of the Ask pipeline: mends that need no model call, and doubts sent back to it."""
