"""Which models stay in memory (domain/residency.py): the least recently used leave first."""

import pytest

from sfumato.domain.residency import evictions, parse_bytes


def test_sizes_read_as_bytes_binary_units_by_1024() -> None:
    assert parse_bytes("24GiB") == 24 * 1024**3
    assert parse_bytes("24GB") == 24_000_000_000
    assert parse_bytes("512MiB") == 512 * 1024**2
    assert parse_bytes("1.5G") == 1_500_000_000
    assert parse_bytes("1000") == 1000
    assert parse_bytes("") is None


def test_a_size_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_bytes("a lot")


def test_nothing_leaves_while_the_newcomer_fits() -> None:
    assert evictions([("a", 40), ("b", 40)], incoming=20, budget=100) == []


def test_the_least_recently_used_leave_first_until_the_newcomer_fits() -> None:
    resident = [("oldest", 30), ("middle", 30), ("newest", 30)]
    assert evictions(resident, incoming=30, budget=100) == ["oldest"]
    assert evictions(resident, incoming=60, budget=100) == ["oldest", "middle"]


def test_a_newcomer_larger_than_the_budget_is_loaded_alone_not_refused() -> None:
    assert evictions([("a", 10), ("b", 10)], incoming=500, budget=100) == ["a", "b"]
