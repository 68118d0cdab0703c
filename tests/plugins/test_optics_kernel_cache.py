"""The pixel kernels' disk cache (camrig_optics.cache): a kernel computed once is read back bit for bit by a new
lens, a changed input is a different entry, a damaged entry is recomputed and replaced, the folder stays bounded."""

from __future__ import annotations

import numpy as np
import pytest

import camrig
from camrig_optics import IdealLensSpec
from camrig_optics import cache as kernel_cache
from camrig_optics.ideal import IdealLens
from camrig_optics.psf import pixel_kernel

PLANE = camrig.FocalPlane(width_px=64, height_px=48, pitch_um=2.0)
WAVES = {4: 0.1, 6: 0.05, 8: 0.03}


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMRIG_CACHE_DIR", str(tmp_path))


def lens(**kw) -> IdealLens:
    return IdealLens(IdealLensSpec(focal_length_mm=35.0, f_number=kw.pop("f_number", 2.8), **kw))


def kernel_files(tmp_path) -> list:
    return sorted((tmp_path / "kernels").glob("*.npy"))


def test_a_kernel_is_computed_once_and_read_back_exactly(tmp_path, monkeypatch):
    first = lens().kernel(PLANE, 550.0, WAVES, 8, azimuth_rad=0.3)
    # the reference: the PSF module itself, with the lens's transmission (0.9 by default)
    expected = pixel_kernel(0.55, 2.8, 2.0, zernike_waves=WAVES, transmission=0.9, radius_px=8, rotation_rad=0.3)
    np.testing.assert_array_equal(first, expected.astype(np.float32))
    assert len(kernel_files(tmp_path)) == 1

    def no_compute(*args, **kwargs):
        raise AssertionError("computed again instead of read from the cache")

    monkeypatch.setattr("camrig_optics.ideal.pixel_kernel", no_compute)
    again = lens().kernel(PLANE, 550.0, WAVES, 8, azimuth_rad=0.3)  # a new lens: nothing in memory
    np.testing.assert_array_equal(again, first)
    assert not again.flags.writeable


@pytest.mark.parametrize(
    "change",
    [
        {"f_number": 4.0},
        {"transmission": 0.8},
        {"wavelength_nm": 560.0},
        {"azimuth_rad": 0.31},
        {"margin": 9},
        {"waves": {4: 0.1, 6: 0.05}},
        {"pupil_edge": (0.9,) * 8},
    ],  # fmt: skip
)
def test_every_input_of_a_kernel_is_in_its_key(tmp_path, change):
    lens().kernel(PLANE, 550.0, WAVES, 8, azimuth_rad=0.3)
    spec = {k: v for k, v in change.items() if k in ("f_number", "transmission")}
    other = lens(**spec).kernel(
        PLANE, change.get("wavelength_nm", 550.0), change.get("waves", WAVES), change.get("margin", 8),
        azimuth_rad=change.get("azimuth_rad", 0.3), pupil_edge=change.get("pupil_edge", ()),
    )  # fmt: skip
    assert len(kernel_files(tmp_path)) == 2
    assert other.sum() == pytest.approx(spec.get("transmission", 0.9), rel=1e-5)


def test_a_damaged_entry_is_recomputed_and_replaced(tmp_path):
    good = lens().kernel(PLANE, 550.0, WAVES, 8)
    (path,) = kernel_files(tmp_path)
    for damage in (path.read_bytes()[:100], b"not a numpy file", np.zeros((4, 4), np.float32).tobytes()):
        path.write_bytes(damage)
        np.testing.assert_array_equal(lens().kernel(PLANE, 550.0, WAVES, 8), good)
        np.testing.assert_array_equal(np.load(path), good)  # rewritten whole


def test_a_wrong_shaped_or_non_finite_entry_is_not_used(tmp_path):
    good = lens().kernel(PLANE, 550.0, WAVES, 8)
    (path,) = kernel_files(tmp_path)
    for bad in (np.zeros((5, 5), np.float32), np.full(good.shape, np.nan, np.float32), good.astype(np.float64)):
        np.save(path, bad)
        np.testing.assert_array_equal(lens().kernel(PLANE, 550.0, WAVES, 8), good)


def test_an_unwritable_cache_only_costs_the_work(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("CAMRIG_CACHE_DIR", str(blocker))  # kernels/ cannot be made under a file
    kernel = lens().kernel(PLANE, 550.0, WAVES, 8)
    assert kernel.sum() == pytest.approx(0.9, rel=1e-5)


def test_the_folder_is_pruned_to_the_most_recently_used(tmp_path, monkeypatch):
    monkeypatch.setattr(kernel_cache, "MAX_KERNELS", 5)
    monkeypatch.setattr(kernel_cache, "KEEP_KERNELS", 3)
    for i in range(6):
        kernel_cache.store_kernel(f"k{i}", np.ones((3, 3), np.float32) * i)
    names = {p.stem for p in kernel_files(tmp_path)}
    assert len(names) == 3 and "k5" in names  # the newest kept
