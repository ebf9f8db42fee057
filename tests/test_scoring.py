"""The SKM formulas against hand computations and the boundaries of domain.md section 1."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback_app.services.reporting.scoring import (
    ElementTotal, Grade, OfficerScore, grade, minimum_sample, officer_score, round2, skm_index,
)


def elements_from(rows: list[list[int]]) -> list[ElementTotal]:
    """Element totals from a respondent x U1..U9 matrix."""
    return [ElementTotal(f"U{i + 1}", sum(r[i] for r in rows), len(rows)) for i in range(len(rows[0]))]


def test_all_fours_is_exactly_100_and_99_90_with_the_printed_weight():
    elements = elements_from([[4] * 9] * 5)
    assert skm_index(elements) == 100
    assert round2(skm_index(elements, printed_weight=True)) == Decimal("99.90")
    assert grade(skm_index(elements)).letter == "A"


def test_all_ones_is_25_grade_d():
    index = skm_index(elements_from([[1] * 9] * 3))
    assert index == 25 and grade(index).letter == "D" and grade(index).label == "Tidak baik"


def test_hand_computed_three_respondents():
    # U1..U9 for three respondents; NRR per element = column mean; IKM = mean(NRR) x 25
    rows = [[3, 3, 2, 4, 3, 3, 4, 2, 3],
            [4, 3, 3, 4, 3, 4, 4, 3, 2],
            [3, 2, 3, 4, 4, 3, 3, 3, 3]]
    elements = elements_from(rows)
    assert [e.mean for e in elements][:3] == [Fraction(10, 3), Fraction(8, 3), Fraction(8, 3)]
    # column sums 10+8+8+12+10+10+11+8+8 = 85 over 27 answers -> 85/27 x 25 = 78.7037...
    assert skm_index(elements) == Fraction(85 * 25, 27)
    assert round2(skm_index(elements)) == Decimal("78.70")
    assert grade(skm_index(elements)).label == "Baik"
    # printed weight: sum(NRR) x 0.111 x 25 = 85/3 x 0.111 x 25 = 78.625
    assert round2(skm_index(elements, printed_weight=True)) == Decimal("78.63")


def test_elements_counted_over_the_questionnaires_that_answered_them():
    elements = [ElementTotal("U1", 8, 2), ElementTotal("U2", 9, 3), ElementTotal("U3", 0, 0)]
    # U3 unanswered is left out: (4 + 3) / 2 x 25 = 87.5
    assert skm_index(elements) == Fraction(175, 2)


@pytest.mark.parametrize("ikm, letter", [
    ("88.31", "A"), ("88.30", "B"), ("88.305", "A"), ("76.61", "B"), ("76.60", "C"), ("76.604", "C"),
    ("65.00", "C"), ("64.99", "D"), ("64.995", "C"), ("25.00", "D"), ("100", "A"),
])
def test_grade_boundaries(ikm, letter):
    assert grade(Decimal(ikm)).letter == letter


def test_rounding_is_exact_however_close_to_the_half():
    # an IKM a hair below 88.305 is 88.30 (grade B); dividing to 28 significant digits first would print 88.31 (A)
    just_below = Fraction(88305, 1000) - Fraction(1, 10**30)
    assert round2(just_below) == Decimal("88.30") and grade(just_below).letter == "B"
    assert round2(Fraction(88305, 1000)) == Decimal("88.31") and grade(Fraction(88305, 1000)).letter == "A"
    assert round2(Fraction(-1, 200)) == Decimal("-0.01")  # half-up is away from zero


@pytest.mark.parametrize("population, sample", [
    (10, 10), (15, 14), (20, 19), (50, 44), (100, 80), (150, 108), (200, 132), (300, 169), (500, 217),
    (1000, 278), (2000, 322), (5000, 357), (10000, 370), (20000, 377), (50000, 381), (1000000, 384),
])
def test_krejcie_morgan_check_values(population, sample):
    assert minimum_sample(population) == sample


def _krejcie_morgan(population: int) -> int:
    """The formula of domain.md 1.5 written out again, in exact fractions, rounded half-up once."""
    chi2, p, d = Fraction("3.841"), Fraction("0.5"), Fraction("0.05")
    s = chi2 * population * p * (1 - p) / (d * d * (population - 1) + chi2 * p * (1 - p))
    whole, rest = divmod(s, 1)
    return int(whole) + (1 if rest >= Fraction(1, 2) else 0)


@pytest.mark.parametrize("population, sample", [
    (255, 153),   # 153.4955: rounding to hundredths first would say 154
    (275, 161),   # 160.5037: with chi-square 3.84 instead of 3.841 it would be 160.486, so 160
    (393, 194),   # 194.4998
    (1189, 290),  # 290.4999
])
def test_krejcie_morgan_between_the_table_rows(population, sample):
    assert minimum_sample(population) == _krejcie_morgan(population) == sample


def test_krejcie_morgan_at_every_population_up_to_two_thousand():
    assert [minimum_sample(n) for n in range(1, 2001)] == [_krejcie_morgan(n) for n in range(1, 2001)]


def test_officer_interval_for_one_response_is_the_whole_scale():
    for score in (25.0, 62.5, 100.0):
        single = officer_score(1, score, score * score, unit_mean=80.0, prior_weight=10, minimum=20)
        assert (single.low, single.high) == (25.0, 100.0) and single.mean == score


def test_officer_interval_for_two_responses_by_hand():
    # 70 and 80: mean 75, sample sd = sqrt(50), standard error 5, half-width 1.96 x 5 = 9.8
    two = officer_score(2, 150.0, 70.0**2 + 80.0**2, unit_mean=80.0, prior_weight=10, minimum=20)
    assert two.mean == 75.0
    assert two.low == pytest.approx(65.2) and two.high == pytest.approx(84.8)


def test_officer_interval_of_equal_answers_has_no_width():
    same = officer_score(5, 5 * 75.0, 5 * 75.0**2, unit_mean=80.0, prior_weight=10, minimum=20)
    assert same.low == same.high == 75.0


@pytest.mark.parametrize("scores, low, high", [
    ((25.0, 50.0), 25.0, 37.5 + 1.96 * 12.5),     # 37.5 - 24.5 = 13 is clipped up to 25
    ((100.0, 75.0), 87.5 - 1.96 * 12.5, 100.0),  # 87.5 + 24.5 = 112 is clipped down to 100
    ((25.0, 100.0), 25.0, 100.0),                # both ends
])
def test_officer_interval_is_clipped_to_the_scale(scores, low, high):
    result = officer_score(len(scores), sum(scores), sum(s * s for s in scores), unit_mean=80.0, prior_weight=10,
                           minimum=20)
    assert result.low == pytest.approx(low) and result.high == pytest.approx(high)


def test_officer_score_shrinks_small_samples_toward_the_unit():
    few_perfect = officer_score(3, 300.0, 30000.0, unit_mean=80.0, prior_weight=10, minimum=20)
    many_good = officer_score(300, 300 * 90.0, 300 * 90.0**2 + 299 * 25.0, unit_mean=80.0, prior_weight=10,
                              minimum=20)
    assert not few_perfect.sufficient and many_good.sufficient
    assert few_perfect.mean == 100.0 and many_good.mean == 90.0
    assert few_perfect.shrunk < many_good.shrunk  # three perfect answers never outrank three hundred good ones
    assert round(few_perfect.shrunk, 2) == round((300 + 800) / 13, 2)
    assert 89.0 < many_good.low < 90.0 < many_good.high < 91.0


answers = st.lists(st.lists(st.integers(1, 4), min_size=9, max_size=9), min_size=1, max_size=40)


@given(answers)
def test_ikm_lies_in_25_100_and_is_the_mean_element_value_times_25(rows):
    elements = elements_from(rows)
    index = skm_index(elements)
    assert 25 <= index <= 100
    assert index == sum(e.mean for e in elements) / 9 * 25
    assert grade(index).letter in "ABCD"


# --- the rest of the edges, found by scripts/mutation ---------------------------------------------------------

def test_rounding_keeps_the_sign_of_small_values():
    assert round2(Fraction(1, 2)) == Decimal("0.50") and round2(Fraction(0)) == Decimal("0.00")
    assert round2(Fraction(-1, 2)) == Decimal("-0.50")


def test_an_index_below_the_scale_is_still_grade_d_with_its_label():
    assert grade(Decimal("24.99")) == grade(Decimal("64.99")) == Grade("D", "Tidak baik")
    assert grade(Decimal("65.00")) == Grade("C", "Kurang baik")


def test_an_index_without_answers_says_why():
    with pytest.raises(ValueError, match="^no element has answers$"):
        skm_index([ElementTotal("U1", 0, 0)])


def test_no_population_needs_no_sample():
    assert minimum_sample(0) == 0 and minimum_sample(-3) == 0 and minimum_sample(1) == 1


def test_an_officer_without_responses_has_no_score():
    assert officer_score(0, 0.0, 0.0, unit_mean=80.0, prior_weight=10, minimum=20) == OfficerScore(
        0, None, None, None, None, False)


def test_an_officer_reaches_sufficient_at_the_minimum_exactly():
    at = officer_score(20, 20 * 75.0, 20 * 75.0**2, unit_mean=80.0, prior_weight=10, minimum=20)
    below = officer_score(19, 19 * 75.0, 19 * 75.0**2, unit_mean=80.0, prior_weight=10, minimum=20)
    assert (at.count, at.sufficient) == (20, True) and (below.count, below.sufficient) == (19, False)
