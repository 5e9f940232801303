"""HTTP only: the routes, pages and JSON endpoints of every surface, one error decorator (responses.py), request
bodies and origins checked in one place each. The work itself lives in ask/, embeddings/, examples/ and agents/."""
