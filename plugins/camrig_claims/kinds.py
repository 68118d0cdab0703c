"""The models behind the built-in claim kinds: each ``assess(rig, claim) -> camrig.Assessment``.

Every figure comes from the specs of the rig's assembled parts (no frame is simulated), read by duck typing:
a sensor or link without the fields a model needs makes the claim untestable, naming them. "What would make
it hold" is found by changing one spec field of a rebuilt part (``type(part)(spec.model_copy(...))``) and
solving for the claimed value, so the figure fed back into the rig makes the claim hold.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import camrig
from camrig.claims import MeasurementTask, Plot
from camrig.config import apply_override

__all__ = [
    "diffraction_pixel_mtf",
    "dynamic_range_ev",
    "dynamic_range_plan",
    "emva_dynamic_range",
    "mtf50_bound",
    "mtf50_cy_px",
    "preview_latency_ms",
    "raw_frame_rate_hz",
    "resolution_mp",
    "snr_db",
]


# -- helpers ------------------------------------------------------------------------------------------------


def _round_up(x: float, digits: int = 3) -> float:
    """``x`` rounded up to ``digits`` significant digits (so a needed minimum stays sufficient)."""
    if x <= 0 or not math.isfinite(x):
        return x
    step = 10 ** (math.floor(math.log10(x)) - digits + 1)
    return float(f"{math.ceil(x / step - 1e-9) * step:.{digits + 1}g}")


def _round_down(x: float, digits: int = 3) -> float:
    """``x`` rounded down to ``digits`` significant digits (so a needed maximum stays sufficient)."""
    if x <= 0 or not math.isfinite(x):
        return x
    step = 10 ** (math.floor(math.log10(x)) - digits + 1)
    return float(f"{math.floor(x / step + 1e-9) * step:.{digits + 1}g}")


def _num(x: float) -> str:
    """A number as a ``--set`` value: a whole number without a decimal point, else Python's shortest repr."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _solve(ok: Callable[[float], bool], good: float, bad: float, steps: int = 60) -> float:
    """Bisect between ``bad`` (ok false) and ``good`` (ok true) for the boundary; returns a value where ok holds."""
    for _ in range(steps):
        mid = (good + bad) / 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good


def _fields(spec: Any, *names: str, role: str) -> None:
    missing = [n for n in names if not hasattr(spec, n)]
    if missing:
        raise camrig.Untestable(
            f"the {role} ({type(spec).__name__}) states no {', '.join(missing)}: this model needs them"
        )


def _rebuilt(part: Any, **update: Any) -> Any:
    """The same kind of part with some spec fields changed (validated)."""
    spec = type(part.spec).model_validate({**part.spec.model_dump(), **update})
    return type(part)(spec)


def _exposure_s(rig: camrig.Rig, claim: camrig.Claim) -> float:
    value = claim.conditions.get("exposure_s", rig.file.capture.exposure_s)
    if isinstance(value, str) or not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
        raise camrig.Untestable(f"condition exposure_s={value!r}: expected a number of seconds >= 0")
    return float(value)


# -- resolution ---------------------------------------------------------------------------------------------


def resolution_mp(rig: camrig.Rig, claim: camrig.Claim) -> camrig.Assessment:
    """Pixel count of the sensor's active grid: MP = width_px x height_px / 1e6 (a count, so the bound is the
    value). What would make it hold: the smallest grid of the same aspect ratio with the claimed count."""
    sensor = rig.part("sensor").accessory
    s = sensor.spec
    w, h = s.width_px, s.height_px
    mp = w * h / 1e6
    needed: list[str] = []
    fix: list[str] = []
    if claim.op == ">=" and mp < claim.value:
        scale = math.sqrt(claim.value * 1e6 / (w * h))
        nw, nh = math.ceil(w * scale), math.ceil(h * scale)
        while nw * nh < claim.value * 1e6:
            nw += 1
        pitch = s.pixel_pitch_um
        needed.append(
            f"width_px x height_px >= {nw} x {nh} ({nw * nh / 1e6:.2f} MP, the same aspect ratio): at {pitch:g} um "
            "that is "
            f"{nw * pitch / 1e3:.2f} x {nh * pitch / 1e3:.2f} mm of silicon; on today's {w * pitch / 1e3:.2f} x "
            f"{h * pitch / 1e3:.2f} mm it needs pixel_pitch_um <= {_round_down(pitch * w / nw):g}"
        )
        fix = [f"rig.sensor.width_px={nw}", f"rig.sensor.height_px={nh}"]
    elif claim.op == "<=" and mp > claim.value:
        scale = math.sqrt(claim.value * 1e6 / (w * h))
        needed.append(f"width_px x height_px <= {math.floor(w * scale)} x {math.floor(h * scale)}")
    assumptions = [
        "the active pixel grid of the sensor spec (width_px x height_px), as datasheets count 'effective pixels'"
    ]
    shape = getattr(sensor, "output_shape", None)
    if callable(shape) and shape() != (h, w):
        oh, ow = shape()
        assumptions.append(
            f"the capture readout outputs {ow} x {oh} = {ow * oh / 1e6:.2f} MP (binned); the claim counts pixels, "
            "not output"
        )
    return camrig.Assessment(
        value=mp,
        bound=f"pixels = width x height = {w} x {h} = {mp:.2f} MP",
        needed=needed,
        fix=fix,
        assumptions=assumptions,
    )


# -- dynamic range ------------------------------------------------------------------------------------------


def emva_dynamic_range(sensor: Any, exposure_s: float) -> tuple[float, float, float, str]:
    """(DR in EV, saturation in e-, temporal dark noise in e-, what sets them) of a sensor from its spec.

    EMVA 1288 Release 4.0 (Linear), the linear camera model: DR = mu_e.sat / sigma_d, in EV log2 of it, with
    the temporal dark noise sigma_d^2 = sigma_read^2 + sigma_row^2 + mu_dark + sigma_q^2 / K^2 (read and row
    noise, dark-current shot noise mu_dark = I_dark x t_exp, quantisation noise sigma_q^2 = 1/12 DN^2 at the
    conversion gain K) and mu_e.sat the charge at which the output saturates: the full well, or the ADC top
    (white - black) / K if that comes first. This is the definition ``measure.photon_transfer`` measures
    (it divides by sigma_d, not by the SNR = 1 threshold, which for sigma_d >> 1 e- is close to it).

    Dual conversion gain (``hdr``, merged): saturation of the low-gain read, noise of the high-gain read.
    """
    s = sensor.spec
    _fields(s, "full_well_e", "read_noise_e", "adc_bits", "black_level_dn", role="sensor")
    white = 2**s.adc_bits - 1
    hdr = getattr(s, "hdr", None)
    gain = getattr(sensor, "gain", None) or getattr(s, "gain_dn_per_e", None)
    if gain is None:
        gain = (white - s.black_level_dn) / s.full_well_e
    dark_e = 0.0
    if hasattr(s, "dark_current_e_s"):
        doubling = getattr(s, "dark_doubling_c", None)
        rate = s.dark_current_e_s
        if doubling:
            rate *= 2 ** ((getattr(s, "temperature_c", 25.0) - getattr(s, "dark_reference_c", 25.0)) / doubling)
        dark_e = rate * exposure_s
    row = getattr(s, "row_noise_e", 0.0)
    if hdr is not None and hdr.output in ("merged", "hcg"):
        noise_gain, read = sensor.hcg_gain, hdr.hcg_read_noise_e
        what = (
            "dual gain: low-gain saturation over high-gain noise" if hdr.output == "merged" else "high-gain read alone"
        )
    else:
        noise_gain, read = (
            gain,
            (hdr.lcg_read_noise_e if hdr is not None else s.read_noise_e),
        )
        what = "single gain" if hdr is None else "low-gain read alone"
    if hdr is not None and hdr.output == "hcg":
        sat = min(s.full_well_e, hdr.hcg_full_scale_e)
    else:
        sat = min(s.full_well_e, (white - s.black_level_dn) / gain)
    sigma_d = math.sqrt(read**2 + row**2 + dark_e + 1 / (12 * noise_gain**2))
    return math.log2(sat / sigma_d), sat, sigma_d, what


def dynamic_range_ev(rig: camrig.Rig, claim: camrig.Claim, measured: dict[str, Any] | None = None) -> camrig.Assessment:
    """Dynamic range from the sensor spec (:func:`emva_dynamic_range`). Bound: DR <= log2(full well / read
    noise) (EMVA 1288: mu_e.sat <= full well, sigma_d >= read noise). What would make it hold: the full well
    needed at this read noise (with the ADC bits it then needs), or the read noise needed at this full well.

    Condition ``method: measured``: the value is measured by ``measure.photon_transfer`` (EMVA 1288 flat-field
    pairs) on a crop of the same sensor (:func:`dynamic_range_plan`; ``measured`` is that run's record, run by
    the audit locally or on Dask); the bound and what would make it hold still come from the model, solved for
    the claim plus the gap by which the measurement falls below the model."""
    sensor = rig.part("sensor").accessory
    exposure = _exposure_s(rig, claim)
    dr, sat, sigma_d, what = emva_dynamic_range(sensor, exposure)
    method = claim.conditions.get("method", "model")
    if method not in ("model", "measured"):
        raise camrig.Untestable(
            f"condition method={method!r}: 'model' (from the spec) or 'measured' (measure.photon_transfer)"
        )
    if method == "measured" and measured is None:
        raise camrig.Untestable("method=measured: no photon-transfer measurement was run for it")
    note = measured.get("note", "a crop") if measured is not None else ""
    measured_ev = float(measured["values"]["dynamic_range_ev"]) if measured is not None else None
    s = sensor.spec
    hdr = getattr(s, "hdr", None)
    floor_read = hdr.hcg_read_noise_e if hdr is not None and hdr.output in ("merged", "hcg") else (
        hdr.lcg_read_noise_e if hdr is not None else s.read_noise_e)  # fmt: skip
    bound = math.log2(s.full_well_e / floor_read) if floor_read > 0 else math.inf
    value = dr if measured_ev is None else measured_ev
    target = claim.value + max(0.0, dr - value)  # a measurement below the model: solve the model for the gap too
    needed: list[str] = []
    fix: list[str] = []
    if claim.op == ">=" and value < claim.value:
        needed, fix = _dr_needed(sensor, exposure, target)
    assumptions = [
        (
            f"model from the sensor spec (EMVA 1288 linear model, {what}), not a measurement: saturation {sat:.0f} e-, "
            f"temporal dark noise {sigma_d:.3g} e- (read, row, dark current over {exposure * 1e3:g} ms, "
            f"{s.adc_bits}-bit quantisation)"
        ),
        "DR = saturation / dark noise, as measure.photon_transfer reports it (not the SNR = 1 threshold)",
    ]
    if measured is not None:
        assumptions.insert(
            0,
            f"measured by measure.photon_transfer (EMVA 1288 flat-field pairs) on {note} "
            f"of the same sensor, link and stages left out; the model gives {dr:.3f} EV",
        )
    plots = []
    if measured is not None:
        curve = next((c for k, c in measured.get("curves", {}).items() if k.endswith(":photon_transfer")), None)
        if curve is not None:
            plots.append(
                Plot(
                    name="photon_transfer",
                    title=f"photon transfer on {note}: DR {measured_ev:.2f} EV measured, {dr:.2f} EV modelled",
                    style="curve",
                    x_label=curve["x_label"],
                    y_label=curve["y_label"],
                    x=curve["x"],
                    y=curve["y"],
                    log=True,
                )
            )
    return camrig.Assessment(
        value=value,
        plots=plots,
        method="model" if measured is None else "measure.photon_transfer",
        bound=f"DR <= log2(full well / read noise) = log2({s.full_well_e:g} / {floor_read:g}) = {bound:.2f} EV",
        needed=needed,
        fix=fix,
        assumptions=assumptions,
    )


CROP_PX = 256
"""Side of the sensor crop the photon-transfer measurement runs on: the same pixels (DR is a per-pixel
figure), small enough to measure in well under a second."""


def dynamic_range_plan(rig: camrig.Rig, claim: camrig.Claim) -> MeasurementTask | None:
    """With ``method: measured``, the measurement the claim needs: ``measure.photon_transfer`` on a crop of
    the rig's sensor (link and stages left out), run by the audit's executor (locally or on Dask); else None."""
    if claim.conditions.get("method", "model") != "measured":
        return None
    try:
        rig.host.resolve("measure.photon_transfer")
    except camrig.CamrigError as exc:
        raise camrig.Untestable(f"method=measured needs measure.photon_transfer: {exc}") from None
    plane = rig.geometry.plane
    side = min(CROP_PX, plane.width_px, plane.height_px) // 4 * 4  # whole CFA tiles, never wider than the sensor
    data: dict[str, Any] = json.loads(json.dumps(dict(rig.file.data), default=str))
    for assignment in (
        f"rig.sensor.width_px={side}",
        f"rig.sensor.height_px={side}",
        "rig.stages=[]",
        "rig.link=null",
        "capture.seed=0",
    ):
        data = apply_override(data, assignment)
    with camrig.load_rig(data, host=rig.host, strict=False) as crop:  # checked here, so a misfit is said plainly
        if not crop.report.ok:
            errors = "; ".join(p.message for p in crop.report.errors)
            raise camrig.Untestable(f"the {side} x {side} crop of the sensor to measure does not fit: {errors}")
    return MeasurementTask(data, [{"type": "measure.photon_transfer"}], f"a {side} x {side} px crop")


def _dr_needed(sensor: Any, exposure: float, target: float) -> tuple[list[str], list[str]]:
    """The full well (and ADC bits) or the read noise that brings the modelled DR to ``target``."""
    s = sensor.spec
    hdr = getattr(s, "hdr", None)

    def dr_of(**update: Any) -> float:
        return emva_dynamic_range(_rebuilt(sensor, **update), exposure)[0]

    out: list[str] = []
    fix: list[str] = []
    # 1. full well at this read noise; the ADC must then span it (quantisation noise grows as the gain falls)
    top = s.full_well_e * 2 ** (target - dr_of() + 8)
    for bits in range(s.adc_bits, 33):
        if hdr is not None and bits > hdr.output_bits:
            break
        if dr_of(full_well_e=top, adc_bits=bits) >= target:
            well = _solve(
                lambda fw, b=bits: dr_of(full_well_e=fw, adc_bits=b) >= target,
                top,
                s.full_well_e,
            )
            well = _round_up(well)
            extra = (
                ""
                if bits == s.adc_bits
                else f" and adc_bits >= {bits} (at {s.adc_bits} bits quantisation noise caps it)"
            )
            out.append(f"full_well_e >= {well:g} e- at this read noise{extra}")
            fix = [f"rig.sensor.full_well_e={_num(well)}"] + (
                [] if bits == s.adc_bits else [f"rig.sensor.adc_bits={bits}"]
            )
            break
    else:
        out.append(f"no full well reaches {target:.3g} EV at this read noise with an ADC of up to 32 bits")
    # 2. read noise at this full well
    if hdr is not None and hdr.output in ("merged", "hcg"):
        field, now = "hdr.hcg_read_noise_e", hdr.hcg_read_noise_e

        def with_read(r: float) -> float:
            return dr_of(hdr={**hdr.model_dump(), "hcg_read_noise_e": r})
    else:
        field = "hdr.lcg_read_noise_e" if hdr is not None else "read_noise_e"
        now = hdr.lcg_read_noise_e if hdr is not None else s.read_noise_e

        def with_read(r: float) -> float:
            if hdr is not None:
                return dr_of(hdr={**hdr.model_dump(), "lcg_read_noise_e": r})
            return dr_of(read_noise_e=r)

    if with_read(0.0) >= target:
        read = _round_down(_solve(lambda r: with_read(r) >= target, 0.0, now))
        out.append(f"{field} <= {read:g} e- rms at this full well (now {now:g})")
        if not fix and hdr is None:
            fix = [f"rig.sensor.read_noise_e={_num(read)}"]
    else:
        out.append(
            f"no read noise reaches {target:.3g} EV at this full well: row, dark and quantisation noise cap it at "
            f"{with_read(0.0):.2f} EV"
        )
    return out, fix


# -- frame rate ---------------------------------------------------------------------------------------------


def _link_frame_ns(link: Any, payload: int) -> float:
    """Time the link is busy with one frame, ns: its modelled transfer time less the one-way latency, which
    overlaps the next frame (``expected_transfer_ns`` where the link has it, else bits / bandwidth)."""
    expected = getattr(link, "expected_transfer_ns", None)
    if callable(expected):
        return expected(payload) - link.spec.latency_ns
    return 8 * payload / link.spec.bandwidth_gbit_s


def _bandwidth_for(link: Any, payload: int, frame_ns: float) -> float | None:
    """The smallest bandwidth (Gbit/s, 3 significant digits up) at which the link carries ``payload`` within
    ``frame_ns``, or None if none does (overheads that do not scale with bandwidth)."""
    now = link.spec.bandwidth_gbit_s
    top = now * max(2.0, 4 * _link_frame_ns(link, payload) / frame_ns)
    for _ in range(8):
        if _link_frame_ns(_rebuilt(link, bandwidth_gbit_s=top), payload) <= frame_ns:
            break
        top *= 16
    else:
        return None
    bw = _solve(
        lambda b: _link_frame_ns(_rebuilt(link, bandwidth_gbit_s=b), payload) <= frame_ns,
        top,
        0.0,
    )
    return _round_up(bw)


def raw_frame_rate_hz(rig: camrig.Rig, claim: camrig.Claim) -> camrig.Assessment:
    """Full-resolution RAW frames per second, the least of three bounds: fps <= min(1 / t_readout, 1 / t_link,
    1 / t_exposure): a rolling shutter reads every row once per frame (t_readout = rows x row time, exposure
    of the next frame overlapping the readout), the link carries one frame's bytes per frame (t_link = bits /
    bandwidth, plus packet overheads and expected retransmissions for a packet link), and the exposure cannot
    outlast the frame period. What would make it hold: the row time or the link bandwidth needed."""
    resolution = claim.conditions.get("resolution", "full")
    if resolution != "full":
        raise camrig.Untestable(f"condition resolution={resolution!r}: only 'full' (every pixel read) is modelled")
    sensor = rig.part("sensor").accessory
    s = sensor.spec
    if not (callable(getattr(sensor, "readout_ns", None)) and callable(getattr(sensor, "raw_bytes_per_frame", None))):
        raise camrig.Untestable(f"sensor '{rig.part('sensor').name}' has no readout_ns(): its readout time is unknown")
    assumptions = []
    if getattr(s, "readout", "full") != "full":
        sensor = _rebuilt(sensor, readout="full")
        assumptions.append(
            f"the sensor captures in readout {s.readout!r}; the claim is at full resolution, so 'full' is modelled"
        )
    exposure = _exposure_s(rig, claim)
    payload = sensor.raw_bytes_per_frame()
    readout_ns = sensor.readout_ns()
    terms = {"readout": 1e9 / readout_ns if readout_ns > 0 else math.inf}
    link_part = rig.parts.get("link")
    if link_part is not None:
        link = link_part.accessory
        terms["link"] = 1e9 / _link_frame_ns(link, payload)
    else:
        link = None
        assumptions.append("the rig has no link: the readout alone bounds the rate")
    terms["exposure"] = 1 / exposure if exposure > 0 else math.inf
    fps = min(terms.values())
    needed: list[str] = []
    fix: list[str] = []
    if claim.op == ">=" and fps < claim.value:
        frame_ns = 1e9 / claim.value
        if terms["readout"] < claim.value and hasattr(s, "row_readout_ns"):
            row = _round_down(s.row_readout_ns * frame_ns / readout_ns)
            needed.append(
                f"row_readout_ns <= {row:g} ns (now {s.row_readout_ns:g}): readout within {frame_ns / 1e6:.2f} ms"
            )
            fix.append(f"rig.sensor.row_readout_ns={_num(row)}")
        if link is not None and terms["link"] < claim.value:
            bw = _bandwidth_for(link, payload, frame_ns)
            needed.append(
                f"link bandwidth_gbit_s >= {bw:g} (now {link.spec.bandwidth_gbit_s:g})" if bw is not None
                else "no link bandwidth carries it: the link's fixed per-packet costs exceed the frame period"
            )  # fmt: skip
            if bw is not None:
                fix.append(f"rig.link.bandwidth_gbit_s={_num(bw)}")
        if terms["exposure"] < claim.value:
            needed.append(f"exposure_s <= {_round_down(1 / claim.value):g}")
            if "exposure_s" not in claim.conditions:
                fix.append(f"capture.exposure_s={_num(_round_down(1 / claim.value))}")
    bits = 8 * payload
    parts = [f"1 / readout = 1 / {readout_ns / 1e6:.2f} ms = {terms['readout']:.1f} Hz"]
    if link is not None:
        parts.append(
            f"bandwidth / bits = {link.spec.bandwidth_gbit_s:g} Gbit/s / {bits / 1e9:.3f} Gbit = {terms['link']:.1f} Hz"
        )
    parts.append(f"1 / exposure = {terms['exposure']:.1f} Hz")
    assumptions.append(f"{payload:,} bytes per frame ({getattr(sensor, 'output_bits', '?')}-bit samples, uncompressed)")
    finite = {k: v for k, v in terms.items() if math.isfinite(v)}
    plot = Plot(
        name="frame_rate_terms",
        title=f"frame-rate bounds: the least, {fps:.1f} Hz, is the rate",
        style="bars",
        y_label="frame rate bound (Hz)",
        labels=list(finite),
        y=list(finite.values()),
        line=claim.value,
        line_label=f"claimed {claim.op} {claim.value:g} Hz",
    )
    return camrig.Assessment(
        value=fps,
        plots=[plot],
        bound=f"fps <= min({', '.join(parts)})",
        needed=needed,
        fix=fix,
        assumptions=assumptions,
    )


# -- preview latency ----------------------------------------------------------------------------------------


def preview_latency_ms(rig: camrig.Rig, claim: camrig.Claim) -> camrig.Assessment:
    """Modelled latency of a preview frame from the start of its exposure to the phone, ms: latency >=
    t_exposure + t_readout(preview mode) + t_link(preview frame), as ``examples/latency_budget.py`` computes it
    (the link's expected transfer time including its one-way latency). Host processing on the phone is measured
    (``camrig preview``), not modelled, so this is a lower bound. What would make it hold: the exposure, the
    link bandwidth or the preview row time that fits the budget."""
    exposure = _exposure_s(rig, claim)
    full = rig.part("sensor").accessory
    preview = full.preview() if callable(getattr(full, "preview", None)) else full
    if not callable(getattr(preview, "readout_ns", None)):
        raise camrig.Untestable(f"sensor '{rig.part('sensor').name}' has no readout_ns(): its readout time is unknown")
    payload = preview.raw_bytes_per_frame()
    readout_ms = preview.readout_ns() / 1e6
    link_part = rig.parts.get("link")
    assumptions = ["host processing on the phone is not included (measured by camrig preview): a lower bound"]
    if link_part is None:
        link, link_ms = None, 0.0
        assumptions.append("the rig has no link: no transfer time")
    else:
        link = link_part.accessory
        expected = getattr(link, "expected_transfer_ns", None)
        link_ns = (
            expected(payload) if callable(expected) else link.spec.latency_ns + 8 * payload / link.spec.bandwidth_gbit_s
        )
        link_ms = link_ns / 1e6
    exposure_ms = exposure * 1e3
    total = exposure_ms + readout_ms + link_ms
    needed: list[str] = []
    fixes: list[list[str]] = []
    if claim.op == "<=" and total > claim.value:
        budget = claim.value
        if exposure_ms + readout_ms < budget and link is not None:
            bw = _bandwidth_for_latency(link, payload, (budget - exposure_ms - readout_ms) * 1e6)
            if bw is not None:
                needed.append(f"link bandwidth_gbit_s >= {bw:g} (now {link.spec.bandwidth_gbit_s:g})")
                fixes.append([f"rig.link.bandwidth_gbit_s={_num(bw)}"])
        spare = budget - exposure_ms - link_ms
        spec = preview.spec
        if spare > 0 and readout_ms > 0 and hasattr(spec, "row_readout_ns"):
            row = _round_down(spec.row_readout_ns * spare / readout_ms)
            needed.append(f"row_readout_ns <= {row:g} ns (now {spec.row_readout_ns:g})")
            fixes.append([f"rig.sensor.row_readout_ns={_num(row)}"])
        if readout_ms + link_ms < budget:
            most = _round_down((budget - readout_ms - link_ms) / 1e3)
            needed.append(f"exposure_s <= {most:g} (now {exposure:g})")
            fixes.append([] if "exposure_s" in claim.conditions else [f"capture.exposure_s={_num(most)}"])
        if not needed:
            needed.append(f"readout and link alone take {readout_ms + link_ms:.2f} ms: faster readout and link both")
    assumptions.append(
        f"preview frame {payload:,} bytes; exposure {exposure_ms:g} ms (the capture's, or the claim's exposure_s)"
    )
    return camrig.Assessment(
        value=total,
        bound=f"latency >= exposure + readout + link = {exposure_ms:.2f} + {readout_ms:.2f} + {link_ms:.3f} ms = "
        f"{total:.2f} ms",
        needed=needed,
        fix=next((f for f in fixes if f), []),
        assumptions=assumptions,
    )


def _bandwidth_for_latency(link: Any, payload: int, budget_ns: float) -> float | None:
    """The smallest bandwidth (3 significant digits up) whose expected transfer of ``payload`` (latency
    included) fits ``budget_ns``, or None if none does."""
    expected = getattr(link, "expected_transfer_ns", None)

    def total(candidate: Any) -> float:
        return (
            candidate.expected_transfer_ns(payload)
            if callable(expected)
            else candidate.spec.latency_ns + 8 * payload / candidate.spec.bandwidth_gbit_s
        )

    top = link.spec.bandwidth_gbit_s * 2
    for _ in range(8):
        if total(_rebuilt(link, bandwidth_gbit_s=top)) <= budget_ns:
            break
        top *= 16
    else:
        return None
    return _round_up(_solve(lambda b: total(_rebuilt(link, bandwidth_gbit_s=b)) <= budget_ns, top, 0.0))


# -- sharpness ----------------------------------------------------------------------------------------------


def diffraction_pixel_mtf(
    nu_cy_px: float,
    f_number: float,
    pitch_um: float,
    wavelength_um: float,
    fill_factor: float = 1.0,
) -> float:
    """MTF of an aberration-free lens and the pixel aperture at ``nu_cy_px`` cycles/pixel: the product of

    * diffraction of a circular pupil in incoherent light, MTF = (2/pi)(acos s - s sqrt(1 - s^2)) with s = nu /
      nu_c, cutoff nu_c = 1 / (lambda N) (Goodman, Introduction to Fourier Optics, 3rd ed., section 6.3.2);
      in cycles/pixel s = nu lambda N / p;
    * a square pixel aperture of width a = p sqrt(fill factor): |sinc(nu a / p)|, sinc(x) = sin(pi x)/(pi x).
    """
    s = nu_cy_px * wavelength_um * f_number / pitch_um
    diffraction = 0.0 if s >= 1 else (2 / math.pi) * (math.acos(s) - s * math.sqrt(1 - s * s))
    x = math.pi * nu_cy_px * math.sqrt(fill_factor)
    aperture = 1.0 if x == 0 else abs(math.sin(x) / x)
    return diffraction * aperture


def mtf50_bound(f_number: float, pitch_um: float, wavelength_um: float, fill_factor: float = 1.0) -> float:
    """The frequency (cycles/pixel) where :func:`diffraction_pixel_mtf` first falls to 0.5 (both factors fall
    monotonically up to the first zero of the sinc at 1 / sqrt(fill factor) cycles/pixel)."""
    top = 1 / math.sqrt(fill_factor)
    return _solve(
        lambda nu: diffraction_pixel_mtf(nu, f_number, pitch_um, wavelength_um, fill_factor) >= 0.5,
        0.0,
        top,
    )


def mtf50_cy_px(rig: camrig.Rig, claim: camrig.Claim) -> camrig.Assessment:
    """MTF50 at the image centre, cycles/pixel, bounded by diffraction x pixel aperture (the issue's "MTF <=
    diffraction x pixel aperture"): aberrations, defocus, demosaicing and the optical low-pass only lower it,
    so a claim above the bound fails, and one below it is what physics allows (not a measurement of the lens).
    What would make it hold: the f-number at which diffraction allows it, or the pixel pitch."""
    lens, sensor = rig.part("lens").accessory, rig.part("sensor").accessory
    ls, s = lens.spec, sensor.spec
    if not hasattr(ls, "f_number"):
        raise camrig.Untestable(f"the lens '{rig.part('lens').name}' states no f_number")
    widest = getattr(ls, "aberrations_f_number", None) or getattr(lens, "widest_f_number", None)  # traced presets
    n = claim.conditions.get("f_number", ls.f_number)
    if isinstance(n, str) or not (isinstance(n, (int, float)) and n >= 0.5):
        raise camrig.Untestable(f"condition f_number={n!r}: expected a number >= 0.5")
    if widest is not None and n < widest * (1 - 1e-9):
        raise camrig.Untestable(f"condition f_number={n:g}: the lens opens to f/{widest:g} at most")
    wavelength_nm = claim.conditions.get("wavelength_nm", 550.0)
    if isinstance(wavelength_nm, str) or not (isinstance(wavelength_nm, (int, float)) and 200 <= wavelength_nm <= 2000):
        raise camrig.Untestable(f"condition wavelength_nm={wavelength_nm!r}: expected 200..2000 nm")
    lam = wavelength_nm / 1e3
    fill = getattr(s, "fill_factor", 1.0)
    pitch = s.pixel_pitch_um
    bound = mtf50_bound(n, pitch, lam, fill)
    needed: list[str] = []
    fix: list[str] = []
    if claim.op == ">=" and bound < claim.value:
        if mtf50_bound(0.5, pitch, lam, fill) >= claim.value and (
            widest is None or mtf50_bound(widest, pitch, lam, fill) >= claim.value
        ):
            most = _solve(
                lambda x: mtf50_bound(x, pitch, lam, fill) >= claim.value,
                widest or 0.5,
                n,
            )
            most = _round_down(most, 2)
            needed.append(f"f_number <= {most:g} (now f/{n:g}): diffraction then allows MTF50 {claim.value:g} cy/px")
            if "f_number" not in claim.conditions:
                fix.append(f"rig.lens.f_number={_num(most)}")
        if mtf50_bound(n, 1e4, lam, fill) >= claim.value:
            least = _round_up(_solve(lambda p: mtf50_bound(n, p, lam, fill) >= claim.value, 1e4, pitch))
            needed.append(
                f"pixel_pitch_um >= {least:g} (now {pitch:g}) at f/{n:g}: the same lens resolves more per pixel"
            )
            if not fix:
                fix.append(f"rig.sensor.pixel_pitch_um={_num(least)}")
        else:
            needed.append(
                f"the pixel aperture alone caps MTF50 at {mtf50_bound(n, 1e4, lam, fill):.3f} cy/px (fill factor "
                f"{fill:g})"
            )
    return camrig.Assessment(
        value=bound,
        bound=f"MTF <= diffraction(f/{n:g}, {wavelength_nm:g} nm) x pixel aperture({pitch:g} um, fill {fill:g}): "
        f"MTF50 <= {bound:.3f} cy/px",
        needed=needed,
        fix=fix,
        assumptions=[
            (
                "the physical upper bound, not a measurement: the lens's aberrations, defocus, the demosaic and any "
                "low-pass filter only lower it, so 'holds' means physics allows the claim, not that this lens "
                "reaches it"
            ),
            f"centre of the field, {wavelength_nm:g} nm, aberration-free lens at f/{n:g}, square pixel aperture",
        ],
    )


# -- signal-to-noise ratio at a light level -------------------------------------------------------------

LM_PER_W_555 = 683.0
"""Luminous efficacy of monochromatic radiation of 540 THz (555 nm in air): 683 lm/W, the SI definition of
the candela (BIPM, The International System of Units, 9th edition, 2019, section 2.3.1)."""
H_J_S, C_M_S = 6.62607015e-34, 299792458.0  # SI defining constants (exact)
PHOTON_NM = 555.0


def photons_per_lux_s_m2(wavelength_nm: float = PHOTON_NM) -> float:
    """Photons per second per m^2 in 1 lux of monochromatic light at ``wavelength_nm`` (555 nm: where 1 W is
    683 lm): 1 / (683 lm/W x h c / lambda) = 4.09e15 at 555 nm."""
    return 1 / (LM_PER_W_555 * H_J_S * C_M_S / (wavelength_nm * 1e-9))


def electrons_at(lux: float, reflectance: float, f_number: float, transmission: float, exposure_s: float,
                 pitch_um: float, fill: float, qe: float) -> float:  # fmt: skip
    """Mean photo-electrons per pixel at the image centre when a Lambertian scene of ``reflectance`` under
    ``lux`` is imaged: luminance L = R E / pi (cd/m^2); sensor-plane illuminance by the camera equation
    E_img = pi L T / (4 N^2) (on axis, object far away, cos^4 fall-off and magnification left out); photons
    = E_img x photons_per_lux_s_m2 x pixel area x fill factor x t; electrons = QE x photons."""
    luminance = reflectance * lux / math.pi
    e_img = math.pi * luminance * transmission / (4 * f_number**2)
    return qe * e_img * photons_per_lux_s_m2() * (pitch_um * 1e-6) ** 2 * fill * exposure_s


def _snr_db(mu_e: float, sigma_d: float) -> float:
    return 20 * math.log10(mu_e / math.sqrt(mu_e + sigma_d**2)) if mu_e > 0 else -math.inf


def _condition(claim: camrig.Claim, name: str, default: float, low: float, high: float) -> float:
    value = claim.conditions.get(name, default)
    if isinstance(value, str) or not (isinstance(value, (int, float)) and low <= value <= high):
        raise camrig.Untestable(f"condition {name}={value!r}: expected a number in {low:g}..{high:g}")
    return float(value)


def snr_db(rig: camrig.Rig, claim: camrig.Claim) -> camrig.Assessment:
    """SNR of a mid-grey patch at a light level, dB, by the EMVA 1288 linear model: SNR = mu_e / sqrt(mu_e +
    sigma_d^2), mu_e from :func:`electrons_at` and sigma_d the temporal dark noise of
    :func:`emva_dynamic_range` (read, row, dark current over the exposure, quantisation). Bound: SNR <=
    sqrt(mu_e), photon shot noise alone (10 log10 mu_e dB). What would make it hold: the electrons needed,
    mu_e = (s^2 + sqrt(s^4 + 4 s^2 sigma_d^2)) / 2 for SNR s, as the exposure, the f-number, the light level
    or the pixel pitch that collects them, or (when shot noise allows it) the read noise needed.

    Conditions: ``lux`` (scene illuminance, required), ``exposure_s`` (default the capture's), ``f_number``
    (default the lens's), ``reflectance`` (default 0.18, the mid-grey of ISO 12232 exposure), ``qe`` (default
    the sensor's peak_qe)."""
    if "lux" not in claim.conditions:
        raise camrig.Untestable("snr_db needs the light level: condition lux (scene illuminance)")
    lux = _condition(claim, "lux", 0, 1e-6, 1e6)
    exposure = _exposure_s(rig, claim)
    if exposure <= 0:
        raise camrig.Untestable("condition exposure_s=0: no light is collected")
    lens, sensor = rig.part("lens").accessory, rig.part("sensor").accessory
    ls, s = lens.spec, sensor.spec
    if not hasattr(ls, "f_number") and "f_number" not in claim.conditions:
        raise camrig.Untestable(f"the lens '{rig.part('lens').name}' states no f_number: give condition f_number")
    n = _condition(claim, "f_number", getattr(ls, "f_number", 0), 0.5, 128)
    reflectance = _condition(claim, "reflectance", 0.18, 1e-6, 1)
    _fields(s, "pixel_pitch_um", role="sensor")
    qe = _condition(claim, "qe", getattr(s, "peak_qe", -1), 1e-6, 1)
    transmission = float(getattr(ls, "transmission", 1.0))
    fill, pitch = getattr(s, "fill_factor", 1.0), s.pixel_pitch_um
    mu = electrons_at(lux, reflectance, n, transmission, exposure, pitch, fill, qe)
    _, sat, sigma_d, what = emva_dynamic_range(sensor, exposure)
    if mu >= sat:
        raise camrig.Untestable(
            f"{mu:.0f} e- at {lux:g} lux over {exposure:g} s saturates the pixel ({sat:.0f} e-): the SNR claim is "
            "for a shorter exposure or less light"
        )
    value = _snr_db(mu, sigma_d)
    needed: list[str] = []
    fix: list[str] = []
    if claim.op == ">=" and value < claim.value:
        target = 10 ** (claim.value / 20)
        need = (target**2 + math.sqrt(target**4 + 4 * target**2 * sigma_d**2)) / 2
        ratio = need / mu
        if need >= sat:
            needed.append(f"{need:.0f} e- a pixel, more than it holds ({sat:.0f} e-): a larger full well first")
        else:

            def snr_at(t: float) -> float:
                mu_t = electrons_at(lux, reflectance, n, transmission, t, pitch, fill, qe)
                return _snr_db(mu_t, emva_dynamic_range(sensor, t)[2])

            top = exposure * ratio * 4  # dark current grows with the exposure too: solve the model, not the ratio
            t = (
                _round_up(_solve(lambda x: snr_at(x) >= claim.value, top, exposure))
                if snr_at(top) >= claim.value
                else None
            )
            if t is not None:
                needed.append(f"exposure_s >= {t:g} (now {exposure:g}): {need:.1f} e- instead of {mu:.1f}")
                if "exposure_s" not in claim.conditions:
                    fix.append(f"capture.exposure_s={_num(t)}")
            most = _round_down(n / math.sqrt(ratio))
            needed.append(f"f_number <= {most:g} (now f/{n:g})")
            if not fix and "f_number" not in claim.conditions:
                fix.append(f"rig.lens.f_number={_num(most)}")
            needed.append(f"light >= {_round_up(lux * ratio):g} lux (the claim is at {lux:g})")
            least = _round_up(pitch * math.sqrt(ratio))
            needed.append(f"pixel_pitch_um >= {least:g} (now {pitch:g}): a larger pixel collects more")
            if not fix:
                fix.append(f"rig.sensor.pixel_pitch_um={_num(least)}")
        other = sigma_d**2 - s.read_noise_e**2 if getattr(s, "hdr", None) is None else None
        limit = mu**2 / target**2 - mu  # the largest sigma_d^2 that still gives the SNR at these electrons
        if other is not None and limit > other:
            read = _round_down(math.sqrt(limit - other))
            needed.append(f"read_noise_e <= {read:g} e- rms at this light (now {s.read_noise_e:g})")
        elif mu < target**2:
            needed.append(
                f"no read noise reaches it: shot noise alone caps the SNR at {10 * math.log10(mu):.2f} dB "
                f"with {mu:.1f} e-"
            )
    return camrig.Assessment(
        value=value,
        bound=f"SNR = mu_e / sqrt(mu_e + sigma_d^2) = {mu:.1f} / sqrt({mu:.1f} + {sigma_d:.3g}^2) = {value:.2f} dB "
        f"<= sqrt(mu_e) (shot noise alone) = {10 * math.log10(mu):.2f} dB",
        needed=needed,
        fix=fix,
        assumptions=[
            (
                f"a Lambertian patch of reflectance {reflectance:g} under {lux:g} lux, imaged at the centre by the "
                f"camera equation E = pi L T / (4 N^2) at f/{n:g}, T = {transmission:g} (cos^4 fall-off, "
                "magnification and flare left out)"
            ),
            (
                f"light counted as monochromatic 555 nm, 683 lm/W (SI candela definition): "
                f"{photons_per_lux_s_m2():.4g} photons/(s m^2 lux), the fewest photons per lux of any visible "
                "light, so a broadband scene gives more signal"
            ),
            (
                f"QE {qe:g}, fill factor {fill:g}, {pitch:g} um pixel, {exposure:g} s: {mu:.1f} e-; temporal dark "
                f"noise {sigma_d:.3g} e- (EMVA 1288 linear model, {what}); PRNU and fixed-pattern noise left out"
            ),
        ],
    )
