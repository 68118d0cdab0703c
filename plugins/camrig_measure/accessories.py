"""The measurement accessories: each takes a capture (and its rig) and returns values and curves."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

import camrig
from camrig_isp.colour import D65_WHITE_XYZ as D65_WHITE
from camrig_isp.colour import SRGB_FROM_XYZ  # the sRGB definition the pipeline renders to

from . import (
    ColourErrorSpec,
    DistortionMeasurementSpec,
    LatencySpec,
    LinkLoadSpec,
    MtfSpec,
    PhotonTransferSpec,
    StarMtfSpec,
    VignettingSpec,
)
from .ciede2000 import ciede2000, xyz_to_lab
from .ptc import photon_transfer
from .sfr import slanted_edge_mtf
from .star import siemens_star_mtf


def green_plane(raw: camrig.Frame) -> np.ndarray:
    """A mono raw as it is, or one green phase of a Bayer raw (half size), in DN above black, float64."""
    data = raw.data.astype(np.float64) - (raw.meta.black_level or 0.0)
    cfa = raw.meta.cfa
    if cfa in (None, "mono") or data.ndim != 2:
        return data
    if len(cfa) != 4 or "G" not in cfa:
        raise ValueError(f"cannot take a green phase of CFA {cfa!r}")
    i = cfa.index("G")
    return data[i // 2 :: 2, i % 2 :: 2]


def balanced_mosaic(raw: camrig.Frame) -> np.ndarray:
    """A Bayer raw of a neutral target as one full-resolution gray image: each CFA phase's levels mapped so its
    dark side (2nd percentile) is 0 and its light side (98th) is 1 (the usual raw-channel balancing for
    slanted-edge measurements); a mono raw is only offset by its black level."""
    data = raw.data.astype(np.float64) - (raw.meta.black_level or 0.0)
    cfa = raw.meta.cfa
    if cfa in (None, "mono"):
        return data
    if len(cfa) != 4:
        raise ValueError(f"cannot balance the phases of CFA {cfa!r}")
    out = np.empty_like(data)
    for i in range(4):
        phase = data[i // 2 :: 2, i % 2 :: 2]
        low, high = np.percentile(phase, [2, 98])
        out[i // 2 :: 2, i % 2 :: 2] = (phase - low) / max(high - low, 1e-12)
    return out


def gray_image(shot: camrig.CaptureResult, image: str, what: str) -> np.ndarray:
    """The capture as one gray image at full resolution: the raw (:func:`balanced_mosaic`) or the luminance
    (ITU-R BT.709 weights) of the pipeline's linear RGB; a ValueError names ``what`` for any other result."""
    if image == "raw":
        return balanced_mosaic(shot.raw)
    if shot.result.meta.format is not camrig.Format.RGB_LINEAR:
        raise ValueError(f"{what} image 'result' needs linear RGB, the rig's result is {shot.result.meta.format.value}")
    return shot.result.data.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])


def chart_to_pixels(
    rig: camrig.Rig, frame: camrig.Frame, shape: tuple[int, ...], what: str
) -> tuple[Callable[[float, float], tuple[float, float]], float]:
    """Where a pinhole lens puts a point of the rig's scenes.chart: chart coordinates (u, v) in half-widths of
    the chart (u in [-1, 1]) to pixel (x, y), x = f tan(angle) / pitch from the centre; and the pixels per
    half-width. Lens distortion is not applied (measuring it is what needs this)."""
    scene = rig.part("scene").accessory.spec
    focal, pitch = frame.meta.focal_length_mm, frame.meta.pitch
    if not hasattr(scene, "width_deg") or not focal or not pitch:
        raise ValueError(f"{what} needs a scenes.chart and the lens's focal length and pixel pitch in the frame")
    scale = focal / (pitch * 1e-3) * math.tan(math.radians(scene.width_deg) / 2)
    rows, cols = shape[:2]
    return (lambda u, v: (scale * u + (cols - 1) / 2, scale * v + (rows - 1) / 2)), scale


def esfr_edge_region(
    rig: camrig.Rig, frame: camrig.Frame, shape: tuple[int, ...], index: int
) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the region around edge ``index`` of the rig's e-SFR chart: centred on the
    edge's midpoint (pinhole position f tan / pitch from the centre, lens distortion ignored), 0.8 of the
    square's side along the edge and across it; a ValueError names what is missing or too small."""
    from camrig_scenes.esfr import edges, layout

    scene = rig.part("scene").accessory.spec
    if getattr(scene, "pattern", None) != "esfr":
        raise ValueError("measure.mtf esfr_edge needs scenes.target with pattern: esfr")
    listed = edges(scene.width_deg, scene.esfr_square, scene.esfr_fields, scene.esfr_angle_deg)
    if index >= len(listed):
        raise ValueError(f"esfr_edge: the chart has {len(listed)} edges (0-{len(listed) - 1}), got {index}")
    to_pixel, scale = chart_to_pixels(rig, frame, shape, "measure.mtf esfr_edge")
    half_width = math.tan(math.radians(scene.width_deg) / 2)
    edge = listed[index]
    x, y = to_pixel(edge.midpoint_tan[0] / half_width, edge.midpoint_tan[1] / half_width)
    side_px = layout(scene.width_deg, scene.esfr_square, scene.esfr_fields)[1] / half_width * scale
    half = 0.4 * side_px
    if half < 10:
        raise ValueError(f"esfr_edge: the e-SFR squares are {side_px:.1f} px across, the region needs at least 25")
    r0, r1, c0, c1 = round(y - half), round(y + half), round(x - half), round(x + half)
    if r0 < 0 or c0 < 0 or r1 > shape[0] or c1 > shape[1]:
        raise ValueError(
            f"esfr_edge: edge {index} ({edge.side} of the square at field {edge.field:g}) is off the frame"
        )
    return r0, r1, c0, c1


class Mtf(camrig.Measurement[MtfSpec]):
    """On the raw: a mono mosaic as it is, a Bayer mosaic with its phases balanced (:func:`balanced_mosaic`),
    both at full resolution; on the result: the luminance of linear RGB."""

    def measure(self, rig: camrig.Rig, shot: camrig.CaptureResult) -> camrig.Measured:
        s = self.spec
        plane = gray_image(shot, s.image, "measure.mtf")
        pitch_um = (shot.raw if s.image == "raw" else shot.result).meta.pitch
        rows, cols = plane.shape
        if s.esfr_edge is not None:
            r0, r1, c0, c1 = esfr_edge_region(
                rig, shot.raw if s.image == "raw" else shot.result, plane.shape, s.esfr_edge
            )
            roi = plane[r0:r1, c0:c1]
        else:
            x, y, w, h = s.roi
            roi = plane[round(y * rows) : round((y + h) * rows), round(x * cols) : round((x + w) * cols)]
        edge = slanted_edge_mtf(roi, oversample=s.oversample)
        frequency = np.asarray(edge.frequency_cy_px)  # cycles per sensor pixel
        keep = frequency <= 1.0
        mtf50 = float(edge.mtf50)
        values = {"mtf50_cy_px": mtf50, "mtf_at_quarter_cy_px": float(edge.at(0.25))}
        if pitch_um:
            values["mtf50_lp_mm"] = mtf50 / (pitch_um * 1e-3)
        values["edge_angle_deg"] = float(edge.edge_angle_deg)
        curve = camrig.Curve(
            frequency[keep].tolist(), np.asarray(edge.mtf)[keep].tolist(), "frequency (cycles/pixel)", "MTF"
        )
        return camrig.Measured(values, {"mtf": curve})


class StarMtf(camrig.Measurement[StarMtfSpec]):
    """The star's centre is the frame's centre, its radius ``tan(width_deg / 2) f / pitch`` pixels and its
    modulation ``(light - dark) / (light + dark)`` from the scene's spec (lens distortion ignored). On the raw, each
    CFA phase is divided by its own mean (gains only: the rings need the black level at zero)."""

    def measure(self, rig: camrig.Rig, shot: camrig.CaptureResult) -> camrig.Measured:
        s = self.spec
        scene = rig.part("scene").accessory.spec
        if getattr(scene, "pattern", None) != "siemens_star":
            raise ValueError("measure.star_mtf needs scenes.target with pattern: siemens_star")
        if s.image == "raw":
            frame = shot.raw
            plane = frame.data.astype(np.float64) - (frame.meta.black_level or 0.0)
            if frame.meta.cfa not in (None, "mono") and plane.ndim == 2:
                for i in range(4):
                    phase = plane[i // 2 :: 2, i % 2 :: 2]
                    phase /= max(float(phase.mean()), 1e-12)
        else:
            frame = shot.result
            plane = gray_image(shot, "result", "measure.star_mtf")
        _, radius_px = chart_to_pixels(rig, frame, plane.shape, "measure.star_mtf")
        rows, cols = plane.shape
        modulation = (scene.light - scene.dark) / (scene.light + scene.dark)
        star = siemens_star_mtf(
            plane, ((cols - 1) / 2, (rows - 1) / 2), scene.cycles, radius_px, modulation, direction=s.direction
        )
        values = {"mtf50_cy_px": star.mtf50, "mtf_at_quarter_cy_px": float(star.at(0.25))}
        if frame.meta.pitch:
            values["mtf50_lp_mm"] = star.mtf50 / (frame.meta.pitch * 1e-3)
        curve = camrig.Curve(star.frequency_cy_px.tolist(), star.mtf.tolist(), "frequency (cycles/pixel)", "MTF")
        return camrig.Measured(values, {"mtf": curve})


class PhotonTransferMeasurement(camrig.Measurement[PhotonTransferSpec]):
    """Flat fields straight onto the sensor (``rig.acquire``), the exposure t90 that reaches 90 % of the
    saturated signal found by doubling, then ``levels`` exposures up to 1.25 t90 (denser near saturation, where
    EMVA's variance peak lies), two frames each with different seeds."""

    def measure(self, rig: camrig.Rig, shot: camrig.CaptureResult) -> camrig.Measured:
        s = self.spec
        sensor_index = next(i for i, p in enumerate(rig.chain) if p.accessory.kind is camrig.Kind.SENSOR)
        caps = rig.caps[rig.chain[sensor_index - 1].role]
        meta = camrig.FrameMeta(
            format=camrig.Format.IRRADIANCE, units="W/m^2", bands_nm=caps.bands_nm, pitch=rig.geometry.plane.pitch_um
        )
        light = camrig.Frame(np.full(caps.shape, s.irradiance_w_m2, np.float32), meta)
        dark = camrig.Frame(np.zeros(caps.shape, np.float32), meta)
        seed = [1_000_000]

        def roi(frame: camrig.Frame) -> np.ndarray:
            plane = green_plane(frame)
            r0, c0 = max(0, (plane.shape[0] - s.roi_px) // 2), max(0, (plane.shape[1] - s.roi_px) // 2)
            return plane[r0 : r0 + s.roi_px, c0 : c0 + s.roi_px]

        def pair(frame: camrig.Frame, exposure_s: float) -> tuple[np.ndarray, np.ndarray]:
            seed[0] += 2
            return roi(rig.acquire(frame, seed=seed[0], exposure_s=exposure_s)), roi(
                rig.acquire(frame, seed=seed[0] + 1, exposure_s=exposure_s)
            )

        # Double the exposure until the signal stops growing (the clip: ADC top or full well), then aim at
        # 90 % of that plateau from the last exposure safely in the linear range.
        t, means = 1e-7, []
        for _ in range(70):
            means.append((t, float(roi(rig.acquire(light, seed=0, exposure_s=t)).mean())))
            if len(means) >= 2 and means[-1][1] > 0 and means[-1][1] <= 1.02 * means[-2][1] and means[-1][1] > 20:
                break
            t *= 2
        else:
            raise ValueError(f"the sensor does not saturate at {s.irradiance_w_m2} W/m^2 within {t:.3g} s")
        plateau = means[-1][1]
        t_lin, m_lin = max(((tt, mm) for tt, mm in means if 0 < mm < 0.5 * plateau), default=means[0])
        if m_lin <= 0:
            raise ValueError("no exposure gave a signal in the linear range")
        t = t_lin * 0.9 * plateau / m_lin
        linear = max(2, round(s.levels * 0.55))
        exposures = list(np.linspace(0.8 / linear, 0.8, linear)) + list(np.linspace(0.85, 1.25, s.levels - linear))
        pairs = [pair(light, f * t) for f in exposures]
        result = photon_transfer(pairs, pair(dark, exposures[0] * t))
        values = {
            "gain_dn_per_e": result.gain_dn_per_e,
            "read_noise_e": result.read_noise_e,
            "saturation_e": result.saturation_e,
            "dynamic_range_ev": result.dynamic_range_ev,
            "dynamic_range_db": result.dynamic_range_db,
            "snr_max_db": float(10 * np.log10(result.saturation_e)),  # EMVA 1288: SNR_max = sqrt(mu_e,sat)
        }
        curves = {
            "photon_transfer": camrig.Curve(
                result.means_dn.tolist(),
                result.variances_dn2.tolist(),
                "mean (DN above dark)",
                "temporal variance (DN^2)",
            ),
            "snr": camrig.Curve(result.means_e.tolist(), np.asarray(result.snr).tolist(), "signal (e-)", "SNR"),
        }
        return camrig.Measured(values, curves)


def _chart_reference(spec: object) -> tuple[np.ndarray, np.ndarray]:
    """(XYZ of the 24 patches, white XYZ), white at Y = 1, that the chart shows: from its spectra under its
    illuminant (5 nm data), or from the sRGB values its 'srgb' patches are defined by."""
    from camrig_scenes.chart import PATCH_REFLECTANCE_BGR, illuminant_spd, spectral_reflectance
    from camrig_sensors.colorimetry import cmfs

    if getattr(spec, "patches", "srgb") == "spectral":
        bands = tuple(float(b) for b in range(380, 781, 5))
        light = illuminant_spd(getattr(spec, "illuminant", "E"), bands)
        xyz = (spectral_reflectance(bands) * light) @ cmfs(bands)
        white = light @ cmfs(bands)
        return xyz / white[1], white / white[1]
    return PATCH_REFLECTANCE_BGR[:, ::-1] @ np.linalg.inv(SRGB_FROM_XYZ).T, D65_WHITE


class ColourError(camrig.Measurement[ColourErrorSpec]):
    """Patches located from the chart's geometry (its width in degrees, the lens's focal length and the pixel
    pitch; lens distortion ignored); the result read as linear sRGB, converted to Lab (D65 white) after
    scaling so the white patch has the reference's luminance."""

    def measure(self, rig: camrig.Rig, shot: camrig.CaptureResult) -> camrig.Measured:
        result = shot.result
        if result.meta.format is not camrig.Format.RGB_LINEAR:
            raise ValueError(
                "measure.colour_error needs linear sRGB (end the pipeline with isp.colour_correction), got "
                f"{result.meta.format.value}"
            )
        to_pixel, scale = chart_to_pixels(rig, result, result.data.shape, "measure.colour_error")
        half = self.spec.patch_fraction / 2 * (2 / 6) * scale  # a patch is a third of a half-width across
        means = []
        for i in range(4):
            for j in range(6):
                cx, cy = to_pixel((j + 0.5) / 3 - 1, (i + 0.5) / 3 - 2 / 3)
                box = result.data[
                    max(0, round(cy - half)) : round(cy + half) + 1, max(0, round(cx - half)) : round(cx + half) + 1
                ]
                if box.size == 0:
                    raise ValueError("the chart's patches fall outside the frame")
                means.append(box.reshape(-1, 3).astype(np.float64).mean(axis=0))
        xyz = np.array(means) @ np.linalg.inv(SRGB_FROM_XYZ).T
        reference, white = _chart_reference(rig.part("scene").accessory.spec)
        xyz *= reference[18, 1] / xyz[18, 1]  # exposure normalised on the white patch
        de = ciede2000(xyz_to_lab(reference, white), xyz_to_lab(xyz, D65_WHITE))
        return camrig.Measured({"delta_e00_mean": float(de.mean()), "delta_e00_max": float(de.max())})


class Distortion(camrig.Measurement[DistortionMeasurementSpec]):
    """Each dot's centroid (light above half its window's peak, weighted by it) against its pinhole position
    f tan(angle) (the chart's width, the focal length and the pitch from the frame): distortion in % of the
    ideal radius, (r_measured - r_ideal) / r_ideal. Reports the mean over the outermost dots and the largest
    magnitude, with the curve against radius."""

    def measure(self, rig: camrig.Rig, shot: camrig.CaptureResult) -> camrig.Measured:
        from camrig_scenes.chart import DOT_SPACING, dot_centres

        scene = rig.part("scene").accessory.spec
        if getattr(scene, "layout", None) != "dots":
            raise ValueError("measure.distortion needs scenes.chart with layout: dots")
        image = gray_image(shot, self.spec.image, "measure.distortion")
        to_pixel, scale = chart_to_pixels(rig, shot.raw, image.shape, "measure.distortion")
        pitch = shot.raw.meta.pitch or 0.0
        rows, cols = image.shape
        half = 0.5 * DOT_SPACING * scale
        radii, errors = [], []
        for u, v in dot_centres():
            if u == 0 and v == 0:
                continue
            x, y = to_pixel(u, v)
            r0, r1, c0, c1 = round(y - half), round(y + half) + 1, round(x - half), round(x + half) + 1
            if r0 < 0 or c0 < 0 or r1 > rows or c1 > cols:
                continue  # off the frame
            window = image[r0:r1, c0:c1]
            weight = np.clip(window - (window.min() + window.max()) / 2, 0, None)
            if weight.sum() <= 0:
                continue
            yy, xx = np.mgrid[r0:r1, c0:c1]
            cy, cx = (weight * yy).sum() / weight.sum(), (weight * xx).sum() / weight.sum()
            ideal = math.hypot(x - (cols - 1) / 2, y - (rows - 1) / 2)
            measured = math.hypot(cx - (cols - 1) / 2, cy - (rows - 1) / 2)
            radii.append(ideal * pitch * 1e-3)
            errors.append(100 * (measured - ideal) / ideal)
        if len(radii) < 4:
            raise ValueError("measure.distortion found fewer than 4 dots in the frame (widen the chart or the lens)")
        r, e = np.array(radii), np.array(errors)
        outer = np.isclose(r, r.max(), rtol=1e-3)
        order = np.argsort(r)
        values = {
            "distortion_pct_outer": float(e[outer].mean()),
            "distortion_pct_max_abs": float(e[np.argmax(np.abs(e))]),
            "distortion_radius_mm_outer": float(r.max()),
        }
        return camrig.Measured(
            values,
            {"distortion": camrig.Curve(r[order].tolist(), e[order].tolist(), "ideal radius (mm)", "distortion (%)")},
        )


class Vignetting(camrig.Measurement[VignettingSpec]):
    def measure(self, rig: camrig.Rig, shot: camrig.CaptureResult) -> camrig.Measured:
        plane = green_plane(shot.raw)
        rows, cols = plane.shape
        b = max(2, round(self.spec.box_fraction * rows))
        centre = plane[(rows - b) // 2 : (rows + b) // 2, (cols - b) // 2 : (cols + b) // 2].mean()
        corners = [plane[:b, :b], plane[:b, -b:], plane[-b:, :b], plane[-b:, -b:]]
        corner = float(np.mean([c.mean() for c in corners]))
        if centre <= 0 or corner <= 0:
            raise ValueError(
                "measure.vignetting needs light in the centre and the corners (scenes.chart with layout: flat)"
            )
        return camrig.Measured({"vignetting_ev": float(np.log2(centre / corner))})


class Latency(camrig.Measurement[LatencySpec]):
    def measure(self, rig: camrig.Rig, shot: camrig.CaptureResult) -> camrig.Measured:
        modelled = shot.raw.meta.modelled_ns
        values = {f"{name}_ms": ns / 1e6 for name, ns in modelled.items()}
        values["modelled_ms"] = sum(modelled.values()) / 1e6
        values["host_compute_ms"] = 1e3 * sum(t.compute_s for t in shot.timings if t.role.startswith("stages"))
        return camrig.Measured(values)


class LinkLoad(camrig.Measurement[LinkLoadSpec]):
    def measure(self, rig: camrig.Rig, shot: camrig.CaptureResult) -> camrig.Measured:
        extra = shot.raw.meta.extra
        wire = float(extra.get("link_wire_bytes", shot.raw.data.nbytes))
        return camrig.Measured({
            "link_mb_per_frame": wire / 1e6,
            "link_gbit_s": wire * 8 * rig.frame_rate_hz / 1e9,
            "link_retransmissions": float(extra.get("link_retransmissions", 0)),
        })  # fmt: skip
