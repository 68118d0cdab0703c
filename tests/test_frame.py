"""Frames are read-only views; the finite check is exact."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import camrig
from camrig.frame import count_nonfinite


def meta():
    return camrig.FrameMeta(format=camrig.Format.RAW, units="DN")


def test_frame_wraps_without_copying_and_cannot_be_edited():
    data = np.arange(12, dtype=np.uint16).reshape(3, 4)
    frame = camrig.Frame(data, meta())
    assert np.shares_memory(frame.data, data)
    with pytest.raises(ValueError, match="read-only"):
        frame.data[0, 0] = 1
    assert data.flags.writeable  # the producer's own array is left alone
    derived = frame.derive(units="e-")
    assert np.shares_memory(derived.data, data) and derived.meta.units == "e-" and frame.meta.units == "DN"


def test_metadata_is_validated():
    with pytest.raises(ValueError, match="exposure_s"):
        camrig.FrameMeta(format="raw", units="DN", exposure_s=-1)
    with pytest.raises(ValueError, match="extra"):
        camrig.FrameMeta(format="raw", units="DN", colour="red")


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1.0, 2.0], 0), ([1.0, np.nan], 1), ([np.inf, -np.inf, 0.0], 2), ([3e38] * 4, 0), ([3e38, np.nan], 1)],
)
def test_count_nonfinite(values, expected):
    for dtype in (np.float32, np.float64):
        assert count_nonfinite(np.array(values, dtype=dtype)) == expected
    assert count_nonfinite(np.arange(5)) == 0


def test_planes_travel_with_the_frame_read_only_and_unshared_by_copy():
    depth = np.full((3, 4), 2.0)
    frame = camrig.Frame(np.zeros((3, 4), np.uint16), meta(), planes={"depth_m": depth})
    assert np.shares_memory(frame.planes["depth_m"], depth)
    with pytest.raises(ValueError, match="read-only"):
        frame.planes["depth_m"][0, 0] = 1.0
    with pytest.raises(TypeError):
        frame.planes["other"] = depth  # type: ignore[index]
    derived = frame.derive(np.ones((3, 4), np.uint16), units="e-")
    assert np.shares_memory(derived.planes["depth_m"], depth)
    assert frame.derive(planes={}).planes == {}


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_count_nonfinite_in_parts_finds_what_one_pass_finds(threads):
    a = np.zeros(3 << 20, dtype=np.float32)  # large enough to be summed in parts
    assert count_nonfinite(a, threads) == 0
    a[-1], a[5] = np.nan, -np.inf  # in the last part and the first
    assert count_nonfinite(a, threads) == 2
    big = np.full(3 << 20, 3e38, dtype=np.float32)  # finite values whose sum overflows: counted exactly, none
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflow is expected, in every thread: no warning
        assert count_nonfinite(big, threads) == 0
    assert count_nonfinite(np.array([1.0, complex(0, np.nan)]), threads) == 1
    assert count_nonfinite(a[::-1], threads) == 2  # not contiguous: summed in one pass


@pytest.mark.parametrize("threads", [1, 2])
def test_count_nonfinite_in_a_window_of_a_larger_array_counts_only_the_window(threads):
    big = np.zeros((1100, 1200, 3), dtype=np.float32)  # a lens's image written over its larger scene
    window = big[:1000, :1000]
    big[3, 1100, 0] = np.nan  # outside the window
    assert count_nonfinite(window, threads) == 0
    big[999, 999, 2], big[0, 0, 0] = np.inf, np.nan
    assert count_nonfinite(window, threads) == 2
