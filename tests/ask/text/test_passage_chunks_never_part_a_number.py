"""A passage is cut where a reader's words end, never inside a number: a paragraph with no sentence end (a list of
figures) was cut every 500 characters, and "item 142 cost 2124498" reached the model, the Sources list and the
numbers check as "item 142 cost 212449" + "8, item 143 ..." (an outside tester, session 58).

Generated paragraphs of figures with no ". "; the oracle is the numbers written into them."""

import random
import re

import pytest

from datasette_llm.ask.text.passages import best_window, split_chunks

NUMBER = re.compile(r"\d+")


def figures(seed):
    rng = random.Random(seed)
    values = [rng.randint(10**5, 10**8) for _ in range(rng.randint(60, 200))]
    return "x" * rng.randint(0, 30) + " " + ", ".join(f"item {i} cost {v}" for i, v in enumerate(values)), set(values)


@pytest.mark.parametrize("seed", range(20))
def test_every_number_of_a_chunk_is_a_number_of_the_text(seed):
    text, values = figures(seed)
    for chunk in split_chunks(text):
        for number in NUMBER.findall(chunk):
            assert int(number) in values or int(number) < 400, (number, chunk[:40], chunk[-40:])


@pytest.mark.parametrize("seed", range(20))
def test_a_window_cut_by_characters_ends_on_a_whole_number(seed):
    text, values = figures(seed)
    chunks = split_chunks(text, size=len(text) + 1)  # one chunk: best_window cuts it by characters
    window, _ = best_window(chunks, [1.0], lambda t: (len(t) + 3) // 4, 100)
    for number in NUMBER.findall(window):
        assert int(number) in values or int(number) < 400, (number, window[-60:])
