"""The SKM scoring engine (PermenPANRB 14/2017, domain.md section 1): exact, explainable, no Flask in here.

Everything is computed with exact fractions and rounded half-up only for display and for grading, so the
boundaries of domain.md hold to the last digit (88.31 is A, 88.30 is B).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

PRINTED_WEIGHT = Fraction(111, 1000)  # the regulation prints 1/9 as 0,111; some reports use it
CHI_SQUARE = Fraction(3841, 1000)
PROPORTION = Fraction(1, 2)
MARGIN = Fraction(5, 100)

GRADES = (  # lowest rounded IKM of the grade, letter, mutu pelayanan / kinerja unit
    (Decimal("88.31"), "A", "Sangat baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang baik"),
    (Decimal("25.00"), "D", "Tidak baik"),
)


@dataclass(frozen=True)
class Grade:
    """A grade (mutu pelayanan) with its label."""

    letter: str
    label: str


@dataclass(frozen=True)
class ElementTotal:
    """The answers one element received: their sum and how many questionnaires answered it."""

    code: str
    total: int
    count: int

    @property
    def mean(self) -> Fraction:
        """NRR: the element's mean on the 1-4 scale."""
        if self.count <= 0:
            raise ValueError(f"{self.code} has no answers")
        return Fraction(self.total, self.count)


def round2(value: Fraction | Decimal | float) -> Decimal:
    """Round half-up to two decimals, the way the reports print numbers (a Fraction exactly, in integers)."""
    if isinstance(value, Fraction):
        # half-up is away from zero: round |value| x 100 + 1/2 down, then put the sign back
        hundredths = (200 * abs(value.numerator) + value.denominator) // (2 * value.denominator)
        return Decimal(-hundredths if value < 0 else hundredths).scaleb(-2)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade(ikm: Fraction | Decimal | float) -> Grade:
    """The grade of an IKM (or of an element's NRR x 25): round to 2 decimals, then the table of section 1.4."""
    rounded = round2(ikm)
    for lowest, letter, label in GRADES:
        if rounded >= lowest:
            return Grade(letter, label)
    return Grade("D", "Tidak baik")


def skm_index(elements: list[ElementTotal], printed_weight: bool = False) -> Fraction:
    """IKM on the 25-100 scale: sum of NRR x 1/X, times 25 (or NRR x 0,111 with the compatibility setting).

    Elements without answers are left out (X counts the elements that were answered).
    """
    answered = [e for e in elements if e.count > 0]
    if not answered:
        raise ValueError("no element has answers")
    if printed_weight:
        return sum((e.mean * PRINTED_WEIGHT for e in answered), Fraction(0)) * 25
    # the exact 1/X weight: add the NRRs over a common denominator in integers, one reduction at the end
    numerator, denominator = 0, 1
    for e in answered:
        numerator, denominator = numerator * e.count + e.total * denominator, denominator * e.count
    return Fraction(numerator * 25, denominator * len(answered))


def minimum_sample(population: int) -> int:
    """Krejcie & Morgan minimum sample for a population of service users, rounded half-up (not up)."""
    if population <= 0:
        return 0
    n = Fraction(population)
    variance = PROPORTION * (1 - PROPORTION)
    sample = CHI_SQUARE * n * variance / (MARGIN**2 * (n - 1) + CHI_SQUARE * variance)
    # one rounding, of the exact fraction: rounding to hundredths first would turn 153.4955 (N = 255) into 154
    return math.floor(sample + Fraction(1, 2))


@dataclass(frozen=True)
class OfficerScore:
    """An officer's citizen score on 25-100 from the elements the officer controls, with its reliability."""

    count: int
    mean: float | None
    low: float | None  # 95 % interval
    high: float | None
    shrunk: float | None  # pulled toward the unit's mean by the prior weight
    sufficient: bool


def officer_score(count: int, total: float, total_squares: float, unit_mean: float, prior_weight: float,
                  minimum: int) -> OfficerScore:
    """Score from per-response officer scores (each the mean of U6, U7... x 25): their count, sum, sum of squares.

    The interval is mean +/- 1.96 standard errors, clipped to 25-100. The shrunk value is the Bayesian average
    (count x mean + prior_weight x unit_mean) / (count + prior_weight), so three perfect answers never outrank
    three hundred good ones. Below `minimum` responses the score is marked insufficient.
    """
    if count <= 0:
        return OfficerScore(0, None, None, None, None, False)
    mean = total / count
    variance = max(0.0, (total_squares - count * mean * mean) / (count - 1)) if count > 1 else 0.0
    half_width = 1.96 * math.sqrt(variance / count) if count > 1 else 75.0
    shrunk = (count * mean + prior_weight * unit_mean) / (count + prior_weight)
    return OfficerScore(count, mean, max(25.0, mean - half_width), min(100.0, mean + half_width), shrunk,
                        count >= minimum)
