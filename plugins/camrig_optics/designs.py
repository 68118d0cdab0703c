"""Lens presets from published designs: a prescription shipped as data, traced once, shipped traced.

Each design is two files in ``camrig_optics/data/``:

* ``NAME.prescription.json``, written by hand: the surfaces of a published design (a patent's numerical
  example, cited with its number and example in ``source``), at the published scale, the factor ``scale``
  that takes them to the preset's focal length, the lens's mount, image circle and the sensor diagonal the
  field is traced for, and the f-numbers to trace at.
* ``NAME.trace.json``, written by ``python -m camrig_optics.designs --refresh``: for every listed f-number,
  exactly what :func:`camrig_optics.prescription.derive` returns for that prescription (focal length,
  distortion, relative illumination, lateral colour, wavefront zones), with the cache key of its inputs and
  the optiland version that traced it.

The preset lens (:class:`DesignLens`) reads the trace, not the surfaces, so it needs no optiland: the core
install renders the traced design. At an f-number between two traced ones the wider trace's wavefront zones are
stopped down exactly (the narrower pupil lies inside the traced one, where the fit holds; the sensor refocused)
and every other number of the two traces (distortion, relative illumination, focus shift) is interpolated
linearly in log N (third stops apart, the step is 0.17 in log2 N). Each f-number is traced with the sensor
at its own best focus, as contrast autofocus at the working aperture finds it.

``tests/plugins/test_optics_designs.py`` re-traces a shipped f-number and compares it with the file, and
checks every shipped cache key against the inputs as they are now, so a trace can never go stale silently:
change the surfaces, optiland or the derivation and that test names the command to run.
"""

from __future__ import annotations

import argparse
import json
import math
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from . import DesignLensSpec, PrescriptionSpec, SurfaceSpec
from .cache import write_atomically
from .ideal import IdealLens
from .psf import stopped_down, stopped_down_edge

DATA_DIR = Path(__file__).with_name("data")
"""Where the design files live (package data)."""
DESIGNS = ("m43_35mm_f1_4", "ef_50mm_f1_8")
"""The shipped designs, by file stem."""
REFRESH = "python -m camrig_optics.designs --refresh"


class DesignError(ValueError):
    """A design file that is missing, unreadable or inconsistent; the message names the file."""


def prescription_path(name: str) -> Path:
    return DATA_DIR / f"{name}.prescription.json"


def trace_path(name: str) -> Path:
    return DATA_DIR / f"{name}.trace.json"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise DesignError(f"{path}: design file missing (reinstall camrig, or run {REFRESH})") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DesignError(f"{path}: not a readable JSON design file ({exc})") from None
    if not isinstance(data, dict):
        raise DesignError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def load_prescription(name: str) -> dict[str, Any]:
    """The hand-written design file ``name``, checked: surfaces (valid :class:`SurfaceSpec`), scale, lens, f_numbers."""
    path = prescription_path(name)
    data = _read_json(path)
    try:
        if not isinstance(data.get("scale"), (int, float)) or data["scale"] <= 0:
            raise ValueError(f"scale must be a positive number, got {data.get('scale')!r}")
        for i, s in enumerate(data["surfaces"]):
            try:
                SurfaceSpec(**s)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"surfaces[{i}]: {exc}".splitlines()[0]) from None
        for key in ("image_circle_mm", "sensor_diagonal_mm", "mount", "flange_distance_mm"):
            data["lens"][key]  # noqa: B018 - presence check
        stops = [float(n) for n in data["f_numbers"]]
        if not stops or stops != sorted(set(stops)) or stops[0] < 0.5:
            raise ValueError(f"f_numbers must be increasing f-numbers >= 0.5, got {stops}")
    except KeyError as exc:
        raise DesignError(f"{path}: missing field {exc}") from None
    except (TypeError, ValueError) as exc:
        raise DesignError(f"{path}: {exc}") from None
    return data


def prescription_spec(name: str, f_number: float, **lens: Any) -> PrescriptionSpec:
    """The optics.prescription spec of design ``name`` at ``f_number``: surfaces scaled, field and mount from
    the design file; ``lens`` overrides the other fields (focus, tilt, transmission, ...)."""
    data = load_prescription(name)
    k = float(data["scale"])
    surfaces = []
    for s in data["surfaces"]:
        scaled = dict(s, radius_mm=s["radius_mm"] * k, thickness_mm=s["thickness_mm"] * k)
        if s.get("semi_diameter_mm") is not None:
            scaled["semi_diameter_mm"] = s["semi_diameter_mm"] * k
        surfaces.append(scaled)
    fields = {**data["lens"], **lens}
    return PrescriptionSpec(surfaces=surfaces, f_number=f_number, **fields)


def _optiland_version() -> str:
    try:
        return version("optiland")
    except PackageNotFoundError:
        return "?"


def refresh(names: tuple[str, ...] = DESIGNS) -> list[Path]:
    """Trace every design at every listed f-number (needs optiland) and rewrite its trace file atomically."""
    from . import prescription

    written = []
    for name in names:
        data = load_prescription(name)
        traces = []
        for n in data["f_numbers"]:
            spec = prescription_spec(name, float(n))
            traces.append({"f_number": float(n), "cache_key": prescription.cache_key(spec),
                           "derived": prescription.derive(spec)})  # fmt: skip
        out = {
            "design": name,
            "generated_by": REFRESH,
            "optiland": _optiland_version(),
            "cache_version": prescription.CACHE_VERSION,
            "traces": traces,
        }
        path = trace_path(name)
        text = json.dumps(out, indent=1) + "\n"
        write_atomically(path, lambda f: f.write(text.encode()), mode=0o644)  # package data: read by everyone
        written.append(path)
    return written


def load_trace(name: str) -> dict[str, Any]:
    """The shipped trace of design ``name``, checked for the shape :class:`DesignLens` reads."""
    path = trace_path(name)
    data = _read_json(path)
    traces = data.get("traces")
    if not isinstance(traces, list) or not traces:
        raise DesignError(f"{path}: no traces (run {REFRESH})")
    stops = []
    for i, t in enumerate(traces):
        if not isinstance(t, dict) or not isinstance(t.get("derived"), dict) or "f_number" not in t:
            raise DesignError(f"{path}: traces[{i}] lacks f_number or derived (run {REFRESH})")
        stops.append(float(t["f_number"]))
    if stops != sorted(set(stops)):
        raise DesignError(f"{path}: traces must be in increasing f-number, got {stops}")
    return data


def _blend(a: Any, b: Any, w: float, where: str) -> Any:
    """(1 - w) a + w b on every number of two traces of the same shape; a key one trace lacks counts as 0
    (a Zernike term dropped below round-off at one aperture)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _blend(a.get(k, 0.0), b.get(k, 0.0), w, f"{where}.{k}") for k in {**a, **b}}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [_blend(x, y, w, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b))]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return (1 - w) * a + w * b
    if a == b:
        return a
    raise DesignError(f"traces differ in shape at {where} ({a!r} against {b!r}): run {REFRESH}")


def derived_at(
    trace: dict[str, Any], f_number: float, where: str = "trace", reference_nm: float = 587.56
) -> dict[str, Any]:
    """The traced numbers at ``f_number``: a traced one as shipped; between two, the wavefront zones of the wider
    one stopped down (:func:`stopped_down_zones`, exact) and every other number interpolated in log N.
    ``reference_nm``: the wavelength the trace focused at (its ``zernike_waves``)."""
    traces = trace["traces"]
    stops = [float(t["f_number"]) for t in traces]
    if not stops[0] * (1 - 1e-9) <= f_number <= stops[-1] * (1 + 1e-9):
        raise DesignError(
            f"f_number {f_number:g}: the design {where} is traced from f/{stops[0]:g} (wide open) to f/{stops[-1]:g}"
        )
    for s, t in zip(stops, traces):
        if math.isclose(s, f_number, rel_tol=1e-9):
            return dict(t["derived"])
    hi = next(i for i, s in enumerate(stops) if s > f_number)
    w = math.log(f_number / stops[hi - 1]) / math.log(stops[hi] / stops[hi - 1])
    lo, up = traces[hi - 1]["derived"], traces[hi]["derived"]
    blended = _blend({k: v for k, v in lo.items() if k != "zones"}, {k: v for k, v in up.items() if k != "zones"},
                     w, where)  # fmt: skip
    blended["zones"] = stopped_down_zones(lo["zones"], stops[hi - 1] / f_number, reference_nm)
    blended["f_number"] = f_number
    return blended  # type: ignore[no-any-return]


def stopped_down_zones(zones: list[dict[str, Any]], scale: float, reference_nm: float) -> list[dict[str, Any]]:
    """A trace's zones seen through a stop ``scale`` (< 1) times as wide, the sensor refocused: exact, not
    interpolated. The narrower pupil is a disk inside the traced one, so the traced wavefront (fitted where light
    passed) holds over all of it: W'(rho, theta) = W(scale rho, theta) (:func:`camrig_optics.psf.stopped_down`),
    and the rims' vignetting is where it was (:func:`camrig_optics.psf.stopped_down_edge`). Tilt is dropped, as
    the trace drops it (the chief ray's image point is the zone's centre; distortion carries its position), and
    the on-axis Z4 at ``reference_nm`` is nulled in every zone (Z4 x reference / lambda at another wavelength), as
    the trace's best focus does: the sensor moved to the stopped-down lens's focus."""

    def down(waves: dict[str, float]) -> dict[str, float]:
        turned = stopped_down({int(j): float(v) for j, v in waves.items()}, scale)
        return {str(j): v for j, v in sorted(turned.items()) if j > 3}

    out = []
    for z in zones:
        new = dict(z, zernike_waves=down(z["zernike_waves"]),
                   zernike_waves_by_nm={nm: down(w) for nm, w in z.get("zernike_waves_by_nm", {}).items()},
                   pupil_edge=list(stopped_down_edge(tuple(z.get("pupil_edge", ())), scale)))  # fmt: skip
        out.append(new)
    fields = [z["field"] for z in out]
    axis_z4 = float(np.interp(0.0, fields, [z["zernike_waves"].get("4", 0.0) for z in out]))
    for z in out:
        z["zernike_waves"]["4"] = z["zernike_waves"].get("4", 0.0) - axis_z4
        for nm, waves in z["zernike_waves_by_nm"].items():
            waves["4"] = waves.get("4", 0.0) - axis_z4 * reference_nm / float(nm)
    return out


class DesignLens(IdealLens):
    """A preset lens whose focal length, distortion, relative illumination, lateral colour and wavefront zones
    come from the shipped trace of a published prescription (no optiland needed). ``derived`` holds the traced
    numbers at the working f-number, ``prescription_spec`` the optics.prescription spec they were traced from."""

    def __init__(self, spec: DesignLensSpec) -> None:
        from .prescription import ideal_spec

        self.design_spec = spec
        trace = load_trace(spec.design)
        # a trace from another derivation version (cache_version) is still read: the design test names it stale
        self.widest_f_number = float(trace["traces"][0]["f_number"])
        """The f-number the design opens to (its first traced stop)."""
        fields = spec.model_dump(exclude={"design", "f_number"})
        self.prescription_spec = prescription_spec(spec.design, spec.f_number, **fields)
        self.derived = derived_at(trace, spec.f_number, str(trace_path(spec.design)),
                                  self.prescription_spec.wavelength_nm)  # fmt: skip
        try:
            ideal = ideal_spec(self.prescription_spec, self.derived)
        except (KeyError, TypeError, IndexError) as exc:
            raise DesignError(f"{trace_path(spec.design)}: lacks {exc} that this camrig reads: run {REFRESH}") from None
        super().__init__(ideal)

    @cached_property
    def summary(self) -> str:
        d = self.derived
        return (f"{self.design_spec.design}: EFL {d['efl_mm']:.3f} mm, f/{d['f_number']:g}, half field "
                f"{d['half_field_deg']:.2f} deg, corner illumination {d['vignetting']['corner']:.3f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m camrig_optics.designs", description="Trace the shipped lens designs (needs optiland)."
    )
    parser.add_argument("--refresh", action="store_true", help="re-trace every design and rewrite its trace file")
    parser.add_argument("names", nargs="*", help=f"designs (default all: {', '.join(DESIGNS)})")
    args = parser.parse_args(argv)
    if not args.refresh:
        parser.print_help()
        return 2
    for path in refresh(tuple(args.names) or DESIGNS):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
