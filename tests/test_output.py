"""Atomic writes: whole file or nothing, never over an existing file without force."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

import camrig


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_write_lands_whole(tmp_path):
    out = camrig.write_atomically(tmp_path / "a.bin", lambda p: p.write_bytes(b"abc"))
    assert out.read_bytes() == b"abc" and listing(tmp_path) == ["a.bin"]


def test_existing_file_is_refused_without_force_and_replaced_with_it(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(camrig.OutputError, match="exists; pass force=True"):
        camrig.write_atomically(target, lambda p: p.write_bytes(b"new"))
    assert target.read_bytes() == b"old"
    camrig.write_atomically(target, lambda p: p.write_bytes(b"new"), force=True)
    assert target.read_bytes() == b"new" and listing(tmp_path) == ["a.bin"]


def test_failing_writer_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def half_then_fail(p):
        p.write_bytes(b"partial")
        raise RuntimeError("writer died")

    with pytest.raises(RuntimeError, match="writer died"):
        camrig.write_atomically(target, half_then_fail, force=True)
    assert target.read_bytes() == b"old" and listing(tmp_path) == ["a.bin"]


def test_full_disk_is_an_output_error_and_leaves_nothing(tmp_path):
    def no_space(p):
        p.write_bytes(b"part")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(camrig.OutputError, match="No space left on device"):
        camrig.write_atomically(tmp_path / "a.bin", no_space)
    assert listing(tmp_path) == []


def test_missing_or_unwritable_folder(tmp_path):
    with pytest.raises(camrig.OutputError, match="does not exist"):
        camrig.write_atomically(tmp_path / "nope" / "a.bin", lambda p: None)
    (tmp_path / "file").write_text("x")
    with pytest.raises(camrig.OutputError, match="does not exist"):
        camrig.write_atomically(tmp_path / "file" / "a.bin", lambda p: None)
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:  # a folder's mode binds only others than root
        locked.chmod(0o500)
        try:
            with pytest.raises(camrig.OutputError, match="cannot write in"):
                camrig.write_atomically(locked / "a.bin", lambda p: None)
        finally:
            locked.chmod(0o700)
    # a read-only mount binds root too: the folder bound read-only onto itself in a mount namespace of a child's own
    message = write_in_read_only_folder(locked)
    assert f"cannot write in '{locked}': Read-only file system" in message, message
    assert listing(locked) == []


WRITE = """
import sys, camrig
try:
    camrig.write_atomically(sys.argv[1] + "/a.bin", lambda p: p.write_bytes(b"x"))
    print("written")
except camrig.OutputError as exc:
    print(exc)
"""


def write_in_read_only_folder(folder) -> str:
    """What camrig.write_atomically says about writing in ``folder`` mounted read-only (EROFS), from a child
    process in a private mount namespace (``unshare``; as a user, inside a user namespace where it is root), so
    nothing outside the child sees the mount. Skips only where neither is allowed."""
    import shutil
    import subprocess
    import sys

    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs util-linux unshare to mount a folder read-only")
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" -c "$3" "$1"'
    proc = subprocess.run([unshare, "--mount", *user, "sh", "-c", script, "sh", str(folder), sys.executable, WRITE],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    if proc.returncode != 0 and "mount" in proc.stderr and os.geteuid() != 0:
        pytest.skip(f"no private mount namespace for this user here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_rig_write_picks_the_writer_by_suffix_and_checks_it_first(host, rig_dict, tmp_path):
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    shot = rig.capture()
    rig.write(shot.raw, tmp_path / "raw.npy")
    assert np.array_equal(np.load(tmp_path / "raw.npy"), shot.raw.data)
    with pytest.raises(
        camrig.ConfigError, match=r"no writer for '.jpg' files; writers handle .dng, .gif, .npy, .png, .tif, .tiff"
    ):
        rig.writer(tmp_path / "x.jpg")
    linear = shot.result.derive(format=camrig.Format.RGB_LINEAR)
    with pytest.raises(camrig.OutputError, match="writer 'writers.png' cannot write rgb_linear"):
        rig.write(linear, tmp_path / "x.png")
    assert listing(tmp_path) == ["raw.npy", "raw.npy.json"]


def test_written_file_has_the_mode_a_plain_open_gives(tmp_path):
    out = camrig.write_atomically(tmp_path / "a.bin", lambda p: p.write_bytes(b"x"))
    (tmp_path / "plain.bin").write_bytes(b"x")
    assert out.stat().st_mode & 0o777 == (tmp_path / "plain.bin").stat().st_mode & 0o777


def test_every_output_has_its_provenance_beside_it(host, rig_dict, tmp_path):
    import json

    rig = camrig.assemble(host, camrig.read_rig(rig_dict, ["rig.lens.f_number=4"]))
    shot = rig.capture(seed=7)
    rig.write(shot.result, tmp_path / "shot.png")
    record = json.loads((tmp_path / "shot.png.json").read_text())
    assert record["rig"]["rig"]["lens"]["f_number"] == 4  # the rig as used, overrides applied
    assert record["capture"]["seed"] == 7 and record["writer"]["type"] == "writers.png"  # the seed used, not the file's
    roles = [h["role"] for h in record["frame"]["meta"]["history"]]
    assert roles == ["scene", "lens", "sensor", "link", "stages[0]", "stages[1]", "stages[2]"]
    assert record["frame"]["meta"]["modelled_ns"]["readout"] == 48 * 3000


def test_no_output_survives_without_its_provenance(host, rig_dict, tmp_path):
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    (tmp_path / "x.npy.json").mkdir()  # the sidecar cannot be written
    with pytest.raises(camrig.OutputError, match=r"x\.npy\.json"):
        rig.write(rig.capture().raw, tmp_path / "x.npy")
    assert listing(tmp_path) == ["x.npy.json"]  # the main file is gone again, the folder untouched


@pytest.mark.parametrize("suffix", [".tif", ".tiff"])
def test_sixteen_bit_tiff_of_linear_rgb_and_of_a_mosaic(host, rig_dict, tmp_path, suffix):
    import tifffile

    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    linear = np.linspace(-0.1, 1.2, 48 * 64 * 3, dtype=np.float32).reshape(48, 64, 3)
    frame = camrig.Frame(linear, camrig.FrameMeta(format="rgb_linear", units="1"))
    rig.write(frame, tmp_path / f"lin{suffix}")
    back = tifffile.imread(tmp_path / f"lin{suffix}")
    assert back.dtype == np.uint16 and back.shape == (48, 64, 3)
    assert np.array_equal(back, np.rint(np.clip(linear, 0, 1) * 65535).astype(np.uint16))
    raw = rig.capture().raw
    rig.write(raw, tmp_path / f"raw{suffix}")
    assert np.array_equal(tifffile.imread(tmp_path / f"raw{suffix}"), raw.data)


@pytest.mark.parametrize("bit_depth", [8, 16])
def test_png_of_display_rgb_in_8_or_16_bits(tmp_path, bit_depth):
    """Read back by pypng (an independent PNG implementation): every sample as we scaled it."""
    png = pytest.importorskip("png")
    from camrig_writers import PngSpec
    from camrig_writers.files import PngWriter

    display = np.linspace(-0.1, 1.1, 40 * 56 * 3, dtype=np.float32).reshape(40, 56, 3)
    frame = camrig.Frame(display, camrig.FrameMeta(format="rgb_display", units="1"))
    path = tmp_path / "x.png"
    PngWriter(PngSpec(bit_depth=bit_depth)).write(frame, path)
    width, height, rows, info = png.Reader(filename=str(path)).read()
    back = np.array([list(r) for r in rows]).reshape(height, width, 3)
    assert info["bitdepth"] == bit_depth and (width, height) == (56, 40)
    assert np.array_equal(back, np.rint(np.clip(display, 0, 1) * (2**bit_depth - 1)))
    with pytest.raises(ValueError, match="bit_depth"):
        PngSpec(bit_depth=12)


def test_writer_settings_come_from_the_rig_file_and_are_checked_at_assembly(host, rig_dict, tmp_path):
    png = pytest.importorskip("png")
    rig_dict["rig"]["writers"] = [{"type": "writers.png", "bit_depth": 16}]
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    rig.write(rig.capture().result, tmp_path / "x.png")
    assert png.Reader(filename=str(tmp_path / "x.png")).read()[3]["bitdepth"] == 16
    rig_dict["rig"]["writers"] = [{"type": "writers.png", "bit_depth": 12}]
    with pytest.raises(camrig.ConfigError, match=r"rig\.writers\.0.*bit_depth"):
        camrig.assemble(host, camrig.read_rig(rig_dict))
    rig_dict["rig"]["writers"] = [{"type": "isp.gamma"}]
    with pytest.raises(camrig.ConfigError, match="'isp.gamma' is a stage, not a writer"):
        camrig.assemble(host, camrig.read_rig(rig_dict))
