"""Datasette 0.65's CSRF refusal names the cookies a request sent (session 59): the first five, each cut to 40
characters, then "...": a request of 100 cookies of 500-character names is refused in a few hundred characters, not
in tens of KB (outside tester 60a: mutants naming every cookie, or each whole, survived). Oracle: the header sent."""

import pytest
from datasette_versions import DATASETTE_1

from datasette_llm.web.csrf_refusals import reason


@pytest.mark.skipif(DATASETTE_1, reason="Datasette 1.0 refuses cross-site requests by their origin, not by cookies")
def test_the_refusal_names_five_cookies_cut_to_forty_characters():
    """Five names of at most 40 characters, then "...", whatever the cookies sent."""
    names = [f"c{i:03d}" + "n" * 500 for i in range(100)]
    scope = {"headers": [(b"cookie", "; ".join(f"{n}=v" for n in names).encode())]}
    text = reason(scope)
    assert len(text) <= 600, len(text)
    assert ", ".join(n[:40] for n in names[:5]) + ", ..." in text
    assert names[5][:40] not in text
