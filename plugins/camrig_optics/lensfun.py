"""Real glass: a lens built from the lensfun database (through ``lensfunpy``, which ships it).

Pick a lens by maker and model; at the chosen focal length (and aperture) its measured distortion, lateral colour and
vignetting come from lensfun's calibration, its mount from lensfun's mount name (mapped to camrig's mount names with
their published flange distances, so an EF lens on the Four Thirds module asks for an adapter), and its image circle
from the crop factor it was calibrated for. Everything else (diffraction, aberrations, the camera equation) is
:class:`~camrig_optics.ideal.IdealLens`.

lensfun normalises radii by half the short side of the calibration sensor: diagonal 43.27 mm / crop factor,
aspect ratio from the database entry (3:2 unless stated).
"""

from __future__ import annotations

import difflib
import math
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from . import IdealLensSpec, LensfunSpec
from .distortion import DistortionSpec, TcaSpec, VignettingSpec
from .ideal import IdealLens

FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)

MOUNTS: dict[str, tuple[str, float]] = {
    # lensfun mount name: (camrig mount name, flange focal distance in mm, as published by the mount makers)
    "Canon EF": ("EF", 44.00), "Canon EF-S": ("EF-S", 44.00), "Canon EF-M": ("EF-M", 18.00),
    "Canon RF": ("RF", 20.00), "Canon FD": ("FD", 42.00),
    "Nikon F": ("F", 46.50), "Nikon F AF": ("F", 46.50), "Nikon F AI": ("F", 46.50), "Nikon F AI-S": ("F", 46.50),
    "Nikon Z": ("Z", 16.00), "Sony E": ("E", 18.00), "Sony Alpha": ("A", 44.50), "Minolta AF": ("A", 44.50),
    "Micro 4/3 System": ("MFT", 19.25), "4/3 System": ("4/3", 38.67), "Fujifilm X": ("X", 17.70),
    "Pentax KAF": ("K", 45.46), "Pentax KAF2": ("K", 45.46), "Pentax KAF3": ("K", 45.46), "M42": ("M42", 45.46),
    "Leica M": ("M", 27.80), "Leica L": ("L", 20.00), "Samsung NX": ("NX", 25.50), "Sigma SA": ("SA", 44.00),
}  # fmt: skip


@lru_cache(maxsize=1)
def _database():  # type: ignore[no-untyped-def]
    import lensfunpy

    return lensfunpy, lensfunpy.Database()


@lru_cache(maxsize=256)
def aspect_ratio(model: str) -> float:
    """Long side over short side of the sensor ``model`` was calibrated on (lensfun's XML; 3:2 if unstated)."""
    lensfunpy, _ = _database()
    for path in sorted((Path(lensfunpy.__file__).parent / "db_files").glob("*.xml")):
        for lens in ET.parse(path).getroot().iter("lens"):
            if any(m.text == model for m in lens.findall("model")):
                text = lens.findtext("aspect-ratio")
                if not text:
                    return 1.5
                num, _, den = text.partition(":")
                return float(num) / float(den or 1)
    return 1.5


def find_lens(maker: str, model: str):  # type: ignore[no-untyped-def]
    """The lensfun lens ``maker`` / ``model``; a ValueError names the closest models when there is none."""
    _, db = _database()
    exact = [lens for lens in db.lenses if lens.maker.lower() == maker.lower() and lens.model == model]
    if exact:
        return exact[0]
    names = sorted({lens.model for lens in db.lenses if lens.maker.lower() == maker.lower()})
    if not names:
        makers = sorted({lens.maker for lens in db.lenses})
        close = difflib.get_close_matches(maker, makers, n=3, cutoff=0.5)
        raise ValueError(
            f"maker: lensfun knows no lens maker {maker!r}" + (f"; did you mean {close}?" if close else "")
        )
    close = difflib.get_close_matches(model, names, n=3, cutoff=0.4)
    raise ValueError(f"model: lensfun has no {maker} lens {model!r}" + (f"; did you mean {close}?" if close else ""))


def resolve(spec: LensfunSpec) -> IdealLensSpec:
    """The ideal-lens spec of a lensfun lens at the spec's focal length and aperture."""
    lens = find_lens(spec.maker, spec.model)
    if not lens.min_focal - 1e-6 <= spec.focal_length_mm <= lens.max_focal + 1e-6:
        raise ValueError(
            f"focal_length_mm: {lens.model} covers {lens.min_focal:g}-{lens.max_focal:g} mm, not "
            f"{spec.focal_length_mm:g}"
        )
    if lens.min_aperture and spec.f_number < lens.min_aperture - 1e-6:
        raise ValueError(f"f_number: {lens.model} opens to f/{lens.min_aperture:g}, not f/{spec.f_number:g}")
    known = [m for m in lens.mounts if m in MOUNTS]
    if known:
        mount, flange = MOUNTS[known[0]]
    elif spec.mount is not None and spec.flange_distance_mm is not None:
        mount, flange = spec.mount, spec.flange_distance_mm
    else:
        raise ValueError(
            f"mount: lensfun mount(s) {lens.mounts} of {lens.model} have no flange distance here; set mount and "
            "flange_distance_mm"
        )
    ar = aspect_ratio(lens.model)
    norm_mm = FULL_FRAME_DIAGONAL_MM / lens.crop_factor / (2 * math.sqrt(1 + ar * ar))
    distortion = tca = None
    calib = lens.interpolate_distortion(spec.focal_length_mm)
    if calib is not None:
        t = list(calib.terms)
        name = calib.model.name.lower()
        coefficients = {"poly3": dict(k1=t[0]), "poly5": dict(k1=t[0], k2=t[1]), "ptlens": dict(a=t[0], b=t[1], c=t[2])}
        if name in coefficients:
            distortion = DistortionSpec(model=name, norm_radius_mm=norm_mm, **coefficients[name])  # type: ignore[arg-type]
    calib_tca = lens.interpolate_tca(spec.focal_length_mm)
    if calib_tca is not None:
        t = list(calib_tca.terms)
        if calib_tca.model.name.lower() == "linear":
            tca = TcaSpec(model="linear", red=(t[0],), blue=(t[1],), norm_radius_mm=norm_mm)
        elif calib_tca.model.name.lower() == "poly3":
            tca = TcaSpec(model="poly3", red=(t[0], t[2], t[4]), blue=(t[1], t[3], t[5]), norm_radius_mm=norm_mm)
    vignetting = None
    distance_m = 1000.0 if math.isinf(spec.focus_distance_m) else spec.focus_distance_m
    calib_vig = lens.interpolate_vignetting(spec.focal_length_mm, spec.f_number, distance_m)
    if calib_vig is not None and calib_vig.model.name.lower() == "pa":
        k1, k2, k3 = list(calib_vig.terms)[:3]
        half_diagonal = FULL_FRAME_DIAGONAL_MM / lens.crop_factor / 2
        vignetting = VignettingSpec(k1=k1, k2=k2, k3=k3, norm_radius_mm=half_diagonal)
    return IdealLensSpec(
        focal_length_mm=spec.focal_length_mm,
        f_number=spec.f_number,
        transmission=spec.transmission,
        mount=spec.mount or mount,
        flange_distance_mm=spec.flange_distance_mm or flange,
        image_circle_mm=spec.image_circle_mm or FULL_FRAME_DIAGONAL_MM / lens.crop_factor,
        psf=spec.psf,
        zernike_waves=spec.zernike_waves,
        distortion=distortion,
        tca=tca,
        vignetting=vignetting,
        focus_distance_m=spec.focus_distance_m,
        subject_distance_m=spec.subject_distance_m,
    )


class LensfunLens(IdealLens):
    """An :class:`IdealLens` whose geometry, distortion and lateral colour come from lensfun.

    ``spec`` (what the fit checks read) is the resolved ideal-lens spec; ``lensfun_spec`` is what was asked.
    """

    def __init__(self, spec: LensfunSpec) -> None:
        self.lensfun_spec = spec
        super().__init__(resolve(spec))
