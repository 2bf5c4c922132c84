"""Slurm hostlist expressions, both ways."""

from __future__ import annotations

import pytest

from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.hostlist import compress, expand
from slurmgate.domain.slurm_errno import ESLURM_INVALID_NODE_NAME


def test_consecutive_names_are_compressed_into_a_range() -> None:
    assert compress(["n1", "n2", "n3", "x"]) == "n[1-3],x"


def test_zero_padding_is_kept() -> None:
    assert compress(["n01", "n02", "n03"]) == "n[01-03]"


def test_padded_range_may_run_into_wider_numbers() -> None:
    assert compress(["n09", "n10", "n11"]) == "n[09-11]"
    assert compress(["n9", "n10"]) == "n[9-10]"


def test_differently_padded_numbers_are_not_one_range() -> None:
    assert compress(["n1", "n02"]) == "n[1,02]"


def test_gaps_make_several_ranges_under_one_prefix() -> None:
    assert compress(["n5", "n1", "n2", "n3", "n7", "n8"]) == "n[1-3,5,7-8]"


def test_several_prefixes_are_sorted_and_kept_apart() -> None:
    assert compress(["rack2", "login", "n2", "n1", "rack1"]) == "login,n[1-2],rack[1-2]"


def test_single_host_has_no_brackets() -> None:
    assert compress(["n5"]) == "n5"


def test_compression_sorts_numerically_and_drops_duplicates() -> None:
    assert compress(["n10", "n9", "n2", "n10", "n1"]) == "n[1-2,9-10]"


def test_nothing_compresses_to_empty_text() -> None:
    assert compress([]) == ""


def test_expand_gives_every_name_in_order() -> None:
    assert expand("n[1-3,5],x") == ["n1", "n2", "n3", "n5", "x"]


def test_expand_keeps_the_padding_of_the_range() -> None:
    assert expand("n[08-10]") == ["n08", "n09", "n10"]


def test_expand_handles_several_prefixes_and_plain_names() -> None:
    assert expand("a[1-2],b3,c") == ["a1", "a2", "b3", "c"]


def test_expand_keeps_text_after_the_brackets() -> None:
    assert expand("n[1-2]-ib") == ["n1-ib", "n2-ib"]


def test_expand_multiplies_several_bracket_groups() -> None:
    assert expand("r[1-2]n[1-2]") == ["r1n1", "r1n2", "r2n1", "r2n2"]


def test_expand_of_empty_text_is_empty() -> None:
    assert expand("") == []


@pytest.mark.parametrize(
    "names",
    [["n1", "n2", "n3", "x"], ["n001", "n002", "n010"], ["a1", "b1", "b2", "c"], ["gpu07"]],
)
def test_expand_undoes_compress(names: list[str]) -> None:
    assert expand(compress(names)) == sorted(names, key=lambda n: (n.rstrip("0123456789"), n))


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        ("n[1-3", "'[' without ']'"),
        ("n1-3]", "']' without '['"),
        ("n[[1]]", "nested"),
        ("n[]", "bad range ''"),
        ("n[a-b]", "bad range 'a-b'"),
        ("n[3-1]", "reversed"),
        ("n[1-2-3]", "bad range '1-2-3'"),
        ("n[0-99999]", "too large"),
    ],
)
def test_bad_expression_is_rejected(expr: str, why: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        expand(expr)
    assert caught.value.error_number == ESLURM_INVALID_NODE_NAME
    assert repr(expr) in caught.value.description
    assert why in caught.value.description
