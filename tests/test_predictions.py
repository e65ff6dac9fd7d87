"""Predict, then run: predictions recorded, compared leniently, skipped ones noted."""

import pytest

from loopedu.exercises import predict, reveal
from loopedu.exercises.predictions import forget_predictions


@pytest.fixture(autouse=True)
def fresh():
    forget_predictions()
    yield
    forget_predictions()


def test_a_matching_prediction():
    assert "Recorded your prediction for 03.test: 'Refused '" == str(predict("03.test", "Refused "))
    r = reveal("03.test", "refused", why="nothing listens there")
    assert r.recorded and r.matched and r.differences == ()
    assert str(r).splitlines()[1:] == ["As you predicted.", "Why: nothing listens there"]


def test_a_surprise_names_each_item_that_differs():
    predict("03.phone", {"127.0.0.1": "yes", "0.0.0.0": True, "::1": False})
    r = reveal("03.phone", {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True})
    assert not r.matched and r.compared == 4
    assert r.differences == ("127.0.0.1: you said yes, it was False",
                             "::: you said (nothing), it was True")
    assert "A surprise: 2 of 4 differ" in str(r)


@pytest.mark.parametrize("guess,actual,same", [
    (16777216, 16_777_216.0, True), ("16777216", 16777216, False), (True, "yes", True),
    ([1, 2], (1, 2), True), ([2, 1], [1, 2], False), ({"b", "a"}, {"a", "b"}, True)])
def test_lenient_but_not_careless(guess, actual, same):
    predict("01.test", guess)
    assert reveal("01.test", actual).matched is same


@pytest.mark.parametrize("skipped", [..., None, {"a": ..., "b": ...}, [None, ...]])
def test_a_skipped_prediction_is_noted_not_an_error(skipped):
    receipt = predict("00.test", skipped)
    assert receipt.startswith("No prediction recorded for 00.test")
    r = reveal("00.test", "refused", why="a reset")
    assert not r.recorded and not r.matched
    assert "You made no prediction this time" in str(r)
    assert "your machine did 'refused'" in str(r)


def test_a_new_prediction_replaces_the_old_one():
    predict("00.test", "connected")
    predict("00.test", ...)
    assert not reveal("00.test", "connected").recorded


def test_bad_ids_are_refused_clearly():
    for bad in ("3.phone", "03 phone", "03.Phone", 3):
        with pytest.raises(ValueError, match="looks like '03.phone-reaches'"):
            predict(bad, True)


def test_html_says_it_in_words_not_colour_alone():
    predict("00.test", "refused")
    html = reveal("00.test", "<b>refused</b>")._repr_html_()
    assert "Predicted, then ran" in html and "&lt;b&gt;refused&lt;/b&gt;" in html
    assert "A surprise" in html
