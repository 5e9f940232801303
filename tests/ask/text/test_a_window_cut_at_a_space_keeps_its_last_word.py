"""An outside tester, session 59 (mutation testing of passages.best_window): dropping the `isspace()` test, so the last
word of every cut is dropped even when the cut fell between two words, left every test passing. A cut that ends a
word keeps it."""

import pytest

from datasette_llm.ask.text.passages import best_window

pytestmark = pytest.mark.no_datasette


def test_a_cut_between_two_words_keeps_the_word_before_it():
    assert best_window(["aaaaaaaa bb"], [1.0], len, 9) == ("aaaaaaaa…", 0)


def test_a_paragraph_cut_at_a_sentence_end_keeps_the_full_stop_with_its_sentence():
    from datasette_llm.ask.text.passages import split_chunks

    paragraph = " ".join(f"Sentence {i} says something rather long about the data." for i in range(40))
    chunks = split_chunks(paragraph, size=200)
    assert len(chunks) > 1
    assert all(chunk.endswith(".") and not chunk.startswith(".") for chunk in chunks), chunks
    assert all(chunk == chunk.strip() for chunk in chunks), chunks


def test_an_html_comment_is_drawn_as_nothing():
    from datasette_llm.ask.text.passages import compact_text

    assert compact_text("Re<!-- a note -->lease notes") == "Release notes"
