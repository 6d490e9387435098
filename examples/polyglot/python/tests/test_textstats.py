from textstats import top_words, word_count, words


def test_words_lowercases_and_splits():
    assert words("Make, make and MAKE!") == ["make", "make", "and", "make"]


def test_words_fold_accents():
    assert words("Crème brûlée, CRÈME") == ["creme", "brulee", "creme"]


def test_word_count():
    assert word_count("") == 0
    assert word_count("one two  three") == 3


def test_top_words():
    assert top_words("b a b c b a", 2) == [("b", 3), ("a", 2)]
