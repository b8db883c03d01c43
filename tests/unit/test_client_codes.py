from __future__ import annotations

import time

import pytest

from src.domain.client_codes import (
    ALPHABET,
    CODE_LENGTH,
    MAX_COMMENT_SCAN,
    comment_line,
    extract_code,
    generate_client_code,
    is_valid_code,
)


def test_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


def test_generated_codes_are_valid_and_varied() -> None:
    codes = {generate_client_code() for _ in range(2000)}
    assert all(len(c) == CODE_LENGTH and is_valid_code(c) for c in codes)
    assert len(codes) == 2000


def test_comment_line_is_the_seed_marker() -> None:
    assert comment_line("ABC23456") == "Код клиента: ABC23456"


@pytest.mark.parametrize(
    ("comment", "code"),
    [
        ("Код клиента: ABC12345", "ABC12345"),
        ("код клиента: abc12345", "ABC12345"),
        ("КОД КЛИЕНТА ABC12345", "ABC12345"),
        ("Код клиента:ABC12345", "ABC12345"),
        ("Код  клиента :   XYZ23456", "XYZ23456"),
        ("Please call before.\nКод клиента: QWE98765\nThanks", "QWE98765"),
        # Cyrillic look-alikes typed by an operator: А В С Е Н К М О Р Т Х
        ("Код клиента: АВС23456", "ABC23456"),
        ("Код клиента: ХМКТ2345", "XMKT2345"),
        ("код клиента: нрое7777", "HPOE7777"),
    ],
)
def test_code_is_found_in_comment(comment: str, code: str) -> None:
    assert extract_code(comment) == code


@pytest.mark.parametrize(
    "comment",
    [
        None,
        "",
        "no code here",
        "ABC12345",  # no marker
        "Код клиента: ABC1234",  # too short
        "Код клиента: ABC123456",  # too long
        "Код клиента: ЖЖЖ23456",  # Cyrillic letters without a Latin twin
    ],
)
def test_no_code_without_a_valid_one_after_the_marker(comment: str | None) -> None:
    assert extract_code(comment) is None


ADVERSARIAL_COMMENTS = {
    # The backtracking `\s*[:-]?\s*` after the marker: quadratic in the run of spaces.
    "marker_then_spaces": "Код клиента" + " " * 100_000 + "!",
    "marker_colon_spaces": "Код клиента:" + "\t" * 100_000 + "!",
    "spaces_inside_marker": "Код" + " " * 100_000 + "!",
    "many_markers": "код клиента " * 8_400,
    "many_prefixes": "код " * 25_000,
    "marker_then_code_chars": "Код клиента " + "Ж" * 100_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL_COMMENTS))
def test_quadratic_regex_on_client_code_adversarial_comment_parses_in_linear_time(
    name: str,
) -> None:
    comment = ADVERSARIAL_COMMENTS[name]
    assert len(comment.encode()) >= 100_000
    started = time.perf_counter()
    extract_code(comment)
    assert time.perf_counter() - started < 0.010


def test_code_far_past_the_scanned_prefix_is_not_looked_for() -> None:
    assert extract_code("x" * MAX_COMMENT_SCAN + "Код клиента: ABC23456") is None
    assert extract_code("x" * 100 + "\nКод клиента: ABC23456") == "ABC23456"
