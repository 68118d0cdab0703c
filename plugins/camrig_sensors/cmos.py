"""The CMOS sensor model: irradiance to raw DN, row by row, with every noise source switchable.

Model (EMVA 1288 release 4.0 "linear camera model", section 2; J. Janesick, *Photon Transfer*, SPIE 2007):

* photons per pixel and band ``n_p = E A t lambda / (h c)`` with ``A = pitch^2 x fill factor``;
* photo-electrons ``mu_e = (1 + PRNU) sum_b QE(colour, b) n_p(b)``;
* dark electrons ``mu_d = I_d(T) t``, with ``I_d(T) = I_d(T_ref) 2^((T - T_ref) / T_double)`` (dark current
  doubles every ~6-8 K; Janesick, *Scientific Charge-Coupled Devices*, SPIE 2001, ch. 7), hot pixels having
  their own ``I_d``;
* shot noise: the collected charge is Poisson(mu_e + mu_d); drawn exactly below ``EXACT_POISSON_BELOW``
  electrons and as a Gaussian of the same mean and variance above (skewness 1/sqrt(mu) < 0.1 there), merged
  with the read noise into one draw where the well cannot clip (see ``CmosSensor._single_gain``);
* full-well clipping, then the fixed dark offset pattern (DSNU, e-), temporal read noise and row noise;
* ``DN = round(K (e + offsets + noise) + black)``, clipped to the ADC range.

Reproducibility: every tile of ``CmosSensor.NOISE_TILE_ROWS`` rows has its own random stream, seeded from
(capture seed, accessory role, tile) for temporal noise and from (``instance_seed``, tile) for the fixed
patterns. Blocks are whole tiles, so the raw is bit-identical whatever the block size or number of worker
threads, and two captures with different seeds are independent.
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cached_property

import numpy as np
from scipy.special import ndtri

import camrig

from . import CmosSensorSpec, VideoReadout

PLANCK_J_S = 6.62607015e-34
LIGHT_SPEED_M_S = 299_792_458.0
EXACT_POISSON_BELOW = 100.0
"""Mean charge (e-) below which shot noise is drawn from the exact Poisson law."""
HCG_SWITCH = 0.9
"""HDR merge: use the high-gain read while it is below this fraction of its full scale."""
FIXED_PATTERN_ROLE = "fixed-pattern"
"""Stream name of the fixed patterns, seeded by ``instance_seed`` (temporal noise uses the capture seed)."""
_FPN_NORMAL = ndtri((np.arange(2**16) + 0.5) / 2**16).astype(np.float32)
"""Standard normal quantiles at 65536 equiprobable midpoints: a uniform uint16 indexes a N(0, 1) draw (tails
truncated at 4.3 sigma). Fixed patterns use it: 3x cheaper than ziggurat draws, and a pattern's shape needs no
more; temporal noise keeps NumPy's exact normal generator."""

COLOUR_ROW = {"R": 0, "G": 1, "B": 2}
CFA_TILES = {
    "RGGB": ["RG", "GB"],
    "BGGR": ["BG", "GR"],
    "GRBG": ["GR", "BG"],
    "GBRG": ["GB", "RG"],
    "QUAD_RGGB": ["RRGG", "RRGG", "GGBB", "GGBB"],
    "mono": ["M"],
}


def qe_row_tile(cfa: str) -> np.ndarray:
    """The CFA tile as indices into the QE table (rows R, G, B; 0 for mono)."""
    return np.array([[COLOUR_ROW.get(c, 0) for c in line] for line in CFA_TILES[cfa]])


def dark_current_e_s(spec: CmosSensorSpec) -> float:
    """Mean dark current at the sensor temperature, e-/s (doubling law)."""
    return spec.dark_current_e_s * 2 ** ((spec.temperature_c - spec.dark_reference_c) / spec.dark_doubling_c)


def shot_noise(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Poisson(mean) per element, float32: exact below ``EXACT_POISSON_BELOW``, rounded Gaussian above."""
    out = rng.standard_normal(mean.shape, dtype=np.float32)
    out *= np.sqrt(mean)
    out += mean
    np.rint(out, out=out)
    np.maximum(out, 0, out=out)
    low = np.flatnonzero(mean < EXACT_POISSON_BELOW)
    if low.size:
        out.ravel()[low] = rng.poisson(mean.ravel()[low])
    return out


def bin2x2_same_colour(a: np.ndarray, cfa: str) -> np.ndarray:
    """Sum 2 x 2 same-colour pixels: adjacent for QUAD_RGGB and mono (output Bayer RGGB / mono at half
    size); every other pixel for Bayer (output the same Bayer order at half size)."""
    h, w = a.shape
    if cfa in ("QUAD_RGGB", "mono"):
        return a.reshape(h // 2, 2, w // 2, 2).sum(axis=(1, 3))
    # Bayer: rows 4a + dy + {0, 2}, columns 4b + dx + {0, 2} -> output (2a + dy, 2b + dx)
    t = a.reshape(h // 4, 2, 2, w // 4, 2, 2)  # (a, k, dy, b, l, dx) with row = 4a + 2k + dy
    return t.sum(axis=(1, 4)).reshape(h // 2, w // 2)


def _emptier(blocks: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]) -> Callable[[object], None]:
    """A weakref callback that empties ``blocks`` (it holds the dict, not the sensor)."""
    return lambda _: blocks.clear()


def _matrix_tuple(matrix: np.ndarray) -> tuple[tuple[float, ...], ...]:
    """A 3x3 matrix as nested tuples of floats: immutable, as metadata every frame may share must be."""
    return tuple(tuple(float(v) for v in row) for row in matrix)


class CmosSensor(camrig.Sensor[CmosSensorSpec]):
    BLOCK_ROWS = 64
    """Physical rows processed per block (rounded to a multiple of 2 x NOISE_TILE_ROWS)."""
    NOISE_TILE_ROWS = 16
    """Rows sharing one random stream (temporal: read rows; fixed patterns: physical rows). Blocks are whole
    tiles, so the raw does not depend on the block size or the number of workers."""

    # -- geometry and format -------------------------------------------------------------------------------

    @property
    def video(self) -> VideoReadout | None:
        """The video readout (binning and skipping, simulated at its output size), or None."""
        readout = self.spec.readout
        return readout if isinstance(readout, VideoReadout) else None

    @property
    def factor(self) -> int:
        """Physical pixels per output pixel along each axis (1 for a full readout)."""
        video = self.video
        return video.factor if video is not None else (1 if self.spec.readout == "full" else 2)

    @property
    def binned(self) -> bool:
        return self.factor > 1

    def output_shape(self) -> tuple[int, int]:
        s, f = self.spec, self.factor
        if self.video is not None:  # whole CFA tiles of groups, centred (the remainder cropped)
            tile = 1 if s.cfa == "mono" else 2
            return s.height_px // (f * tile) * tile, s.width_px // (f * tile) * tile
        return s.height_px // f, s.width_px // f

    def focal_plane(self) -> camrig.FocalPlane:
        """The grid the lens images onto: the pixels, or in a video readout its output grid (``bin x skip``
        times the pitch), so a preview is imaged at the size it is read, never at full size."""
        s = self.spec
        if self.video is None:
            return camrig.FocalPlane(width_px=s.width_px, height_px=s.height_px, pitch_um=s.pixel_pitch_um)
        rows, cols = self.output_shape()
        return camrig.FocalPlane(width_px=cols, height_px=rows, pitch_um=s.pixel_pitch_um * self.factor)

    def input_shape(self) -> tuple[int, int]:
        """(rows, columns) of the irradiance this sensor takes: its focal plane."""
        plane = self.focal_plane()
        return plane.height_px, plane.width_px

    @property
    def output_bits(self) -> int:
        hdr = self.spec.hdr
        return hdr.output_bits if hdr is not None and hdr.output == "merged" else self.spec.adc_bits

    @property
    def output_dtype(self) -> str:
        return "uint16" if self.output_bits <= 16 else "uint32"

    @property
    def output_cfa(self) -> str | None:
        cfa = self.spec.cfa
        if cfa == "mono":
            return None
        return "RGGB" if cfa == "QUAD_RGGB" and self.binned else cfa

    def raw_bytes_per_frame(self) -> int:
        h, w = self.output_shape()
        return math.ceil(h * w * self.output_bits / 8)

    def readout_ns(self) -> float:
        """Modelled rolling-shutter readout time of one frame, ns: every row read, except that charge binning
        reads one row per binned group and skipping reads one group of rows in ``skip``."""
        s, video = self.spec, self.video
        if video is not None:
            groups = self.output_shape()[0] * video.factor  # the rows the read groups span
            rows = groups // (video.factor if video.combine == "charge" else video.skip)
        else:
            rows = s.height_px // 2 if s.readout == "bin2x2_charge" else s.height_px
        return rows * s.row_readout_ns

    in_preview = False
    """True for the sensor :meth:`preview` returns: it streams at ``preview_frame_rate_hz``."""

    def preview(self) -> CmosSensor:
        """The same sensor (same fixed patterns) in its preview readout, at its preview frame rate."""
        sensor = type(self)(
            self.spec.model_copy(update={"readout": self.spec.preview_readout, "hdr": None})
        )  # a subclass stays one
        sensor.in_preview = True
        return sensor

    def frame_rate_hz(self) -> float | None:
        """The preview frame rate in preview mode; in capture mode the rig's frame rate (None)."""
        return self.spec.preview_frame_rate_hz if self.in_preview else None

    # -- gains -----------------------------------------------------------------------------------------------

    @property
    def adc_white(self) -> int:
        return 2**self.spec.adc_bits - 1

    @property
    def gain(self) -> float:
        """Conversion gain K of the single-gain (or low-gain) read, DN/e-.

        Default: the ADC top is reached at the full well minus 5 read-noise sigmas, so a saturated pixel reads
        exactly the white level (flat clipped highlights, as raw converters and EMVA 1288 saturation assume).
        """
        s = self.spec
        noise = s.hdr.lcg_read_noise_e if s.hdr else s.read_noise_e
        return s.gain_dn_per_e or (self.adc_white - s.black_level_dn) / (s.full_well_e - 5 * noise)

    @property
    def hcg_gain(self) -> float:
        """Conversion gain of the high-gain read (HDR), DN/e-."""
        assert self.spec.hdr is not None
        return (self.adc_white - self.spec.black_level_dn) / self.spec.hdr.hcg_full_scale_e

    @property
    def white_level(self) -> int:
        return 2**self.output_bits - 1

    def noise_profile(self) -> tuple[float, float] | None:
        """DNG NoiseProfile (S, O): the temporal noise variance of a raw value x normalised to [0, 1] (black to
        white level) is S x + O (Adobe DNG Specification 1.4, tag 51041). From the EMVA 1288 model: a signal of
        e electrons reads K e DN with variance K^2 (e + sigma_read^2 + sigma_row^2) + 1/12 (quantisation), so
        S = K / (W - B) and O = (K^2 sigma^2 + 1/12) / (W - B)^2. A mean of n reads from b rows (digital binning:
        n = 4, b = 2 for bin2x2_digital; bin^2 and bin for a video readout) divides S and the read and rounding
        terms by n and the row noise (shared by the b reads of each row) by b, then rounds once more. None for
        a merged HDR raw, whose noise is piecewise."""
        s = self.spec
        if s.hdr is not None and s.hdr.output == "merged":
            return None
        gain = self.hcg_gain if s.hdr and s.hdr.output == "hcg" else self.gain
        read = (
            s.hdr.hcg_read_noise_e
            if s.hdr and s.hdr.output == "hcg"
            else (s.hdr.lcg_read_noise_e if s.hdr else s.read_noise_e)
        )
        on = s.noise
        sigma2 = (read**2 if on.read else 0.0) + (s.row_noise_e**2 if on.row else 0.0)
        span = self.white_level - s.black_level_dn
        slope = gain / span if on.shot else 0.0
        offset = (gain**2 * sigma2 + 1 / 12) / span**2
        video = self.video
        digital = (
            (4, 2)
            if s.readout == "bin2x2_digital"
            else (video.reads, video.bin)
            if video and video.combine == "digital"
            else None
        )
        if digital is not None:  # the mean of n reads from b rows (each row's offset shared by b reads), rounded again
            n, b = digital
            slope = slope / n
            offset = (
                gain**2 * ((read**2 if on.read else 0.0) / n + (s.row_noise_e**2 if on.row else 0.0) / b)
                + 1 / (12 * n)
                + 1 / 12
            ) / span**2
        return slope, offset

    @property
    def base_gain(self) -> float:
        """The conversion gain at which the sensor is rated ``base_iso``: the default gain (the ADC top at the full
        well less 5 read-noise sigmas), DN/e-."""
        s = self.spec
        noise = s.hdr.lcg_read_noise_e if s.hdr else s.read_noise_e
        return (self.adc_white - s.black_level_dn) / (s.full_well_e - 5 * noise)

    @property
    def iso(self) -> float:
        """ISO speed of the raw: ``base_iso`` scaled by the conversion gain of the read that makes it over the base
        gain (ISO 12232's speeds scale inversely with the exposure that reaches a given raw level, so linearly
        with the gain); a merged HDR raw is rated at its low gain."""
        s = self.spec
        gain = self.hcg_gain if s.hdr and s.hdr.output == "hcg" else self.gain
        return s.base_iso * gain / self.base_gain

    def file_metadata(self) -> dict[str, object]:
        """What a raw file records about the shot (FrameMeta.extra): ``iso``, ``serial`` (the instance seed: it
        identifies this sensor's fixed patterns), ``capture_time`` (UTC, ISO 8601, when the sensor exposed) and,
        for a merged HDR raw, ``baseline_exposure_ev``: log2 of the charge its white level stands for over the
        charge at the base gain's white, so a converter renders mid-tones where the base raw puts them (the DNG
        BaselineExposure)."""
        s = self.spec
        out: dict[str, object] = {
            "iso": self.iso,
            "serial": str(s.instance_seed),
            "capture_time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        if s.hdr is not None and s.hdr.output == "merged":
            merged_white_e = (self.white_level - s.black_level_dn) / self.hcg_gain
            base_white_e = (self.adc_white - s.black_level_dn) / self.gain
            out["baseline_exposure_ev"] = math.log2(merged_white_e / base_white_e)
        return out

    def colour_metadata(self, white_band_radiance: tuple[float, ...] | None) -> dict[str, object]:
        """The FrameMeta fields a raw converter needs to render this sensor's colour (the DNG colour tags): the
        D65 colour matrix from the QE (:mod:`camrig_sensors.colorimetry`), the as-shot neutral (the response to
        the scene's white, given as band radiances; equal energy if the scene does not say) and the noise
        profile."""
        from . import colorimetry

        s = self.spec
        out: dict[str, object] = {}
        profile = self.noise_profile()
        if profile is not None:
            out["noise_profile"] = profile
        if s.cfa == "mono" or any(not 380 <= b <= 780 for b in s.bands_nm) or not self._correctable:
            return out  # no colour to report (a response no matrix inverts: the fit rule sensors.colour says so)
        white = np.ones(len(s.bands_nm)) if white_band_radiance is None else np.asarray(white_band_radiance)
        out["camera_from_xyz"] = self._camera_from_xyz
        out["as_shot_neutral"] = tuple(float(v) for v in colorimetry.neutral(self._qe, s.bands_nm, white))
        if white_band_radiance is not None:  # the scene says what its light is: a matrix for that light
            out["xyz_d65_from_camera"] = self._scene_matrix(tuple(white_band_radiance))
        return out

    @cached_property
    def _qe(self) -> np.ndarray:
        """The QE table (colour rows x bands) resolved once: a named curve is interpolated at the bands."""
        table = np.asarray(self.spec.qe_table(), dtype=np.float64)
        table.flags.writeable = False
        return table

    @cached_property
    def _correctable(self) -> bool:
        from . import colorimetry

        return colorimetry.condition(self._qe, self.spec.bands_nm) <= colorimetry.MAX_CONDITION

    @cached_property
    def _camera_from_xyz(self) -> tuple[tuple[float, ...], ...]:
        """The colour matrix: a property of the sensor, computed once (not per frame of a stream), immutable
        because every frame shares it."""
        from . import colorimetry

        return _matrix_tuple(colorimetry.camera_from_xyz(self._qe, self.spec.bands_nm))

    def _scene_matrix(self, white_band_radiance: tuple[float, ...]) -> tuple[tuple[float, ...], ...]:
        """:func:`colorimetry.xyz_d65_from_camera` for this light, remembered per light (a stream's scene
        keeps its light, so each frame reuses the fit)."""
        from . import colorimetry

        cache = self._scene_matrices
        if white_band_radiance not in cache:
            cache[white_band_radiance] = _matrix_tuple(
                colorimetry.xyz_d65_from_camera(self._qe, self.spec.bands_nm, np.asarray(white_band_radiance))
            )
        return cache[white_band_radiance]

    @cached_property
    def _scene_matrices(self) -> dict[tuple[float, ...], tuple[tuple[float, ...], ...]]:
        return {}

    # -- negotiation -----------------------------------------------------------------------------------------

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        from .readout import load_kernel

        load_kernel()  # here, not on the first frame of a stream
        s = self.spec
        if upstream is None or upstream.format is not camrig.Format.IRRADIANCE:
            raise camrig.CapsError("a sensor takes irradiance")
        if tuple(upstream.bands_nm) != tuple(s.bands_nm):
            raise camrig.CapsError(
                f"its QE table is for bands {s.bands_nm} nm, the light comes in {upstream.bands_nm} nm"
            )
        rows, cols = self.input_shape()
        if upstream.shape[:2] != (rows, cols) or upstream.dtype != "float32":
            raise camrig.CapsError(f"irradiance must be float32 on the {rows}x{cols} pixel grid")
        return camrig.Caps(
            format=camrig.Format.RAW,
            dtype=self.output_dtype,
            shape=self.output_shape(),
            cfa=self.output_cfa or "mono",
            bit_depth=self.output_bits,
        )

    # -- physics ---------------------------------------------------------------------------------------------

    def photons_per_w_m2(self, exposure_s: float) -> np.ndarray:
        """Photons per pixel per (W/m^2) of band irradiance, for each band."""
        s = self.spec
        area_m2 = (s.pixel_pitch_um * 1e-6) ** 2 * s.fill_factor
        return area_m2 * exposure_s * np.asarray(s.bands_nm) * 1e-9 / (PLANCK_J_S * LIGHT_SPEED_M_S)

    def _phase_weights(self, exposure_s: float) -> np.ndarray:
        """Photo-electrons per (W/m^2) of each band at each CFA phase: (tile rows, tile columns, bands), float32."""
        tile = qe_row_tile(self.spec.cfa)
        return (self._qe[tile] * self.photons_per_w_m2(exposure_s)[None, None, :]).astype(np.float32)

    def mean_electrons(self, irradiance: np.ndarray, exposure_s: float, row0: int = 0) -> np.ndarray:
        """Expected photo-electrons per pixel (no PRNU, no noise) of rows ``row0...`` on the CFA, float32."""
        weights = self._phase_weights(exposure_s)
        th, tw = weights.shape[:2]
        mean = np.empty(irradiance.shape[:2], dtype=np.float32)
        for dy in range(th):
            for dx in range(tw):
                r = (dy - row0) % th
                mean[r::th, dx::tw] = irradiance[r::th, dx::tw, :] @ weights[dy, dx]
        return mean

    FIXED_PATTERN_CACHE_BYTES = 128 << 20
    """Fixed patterns are a property of the sensor instance: kept for later frames up to this many bytes
    (all of a 2 MP sensor, the first tiles of a 100 MP one)."""

    def _pattern_codes(self, tile: int, rows: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """The fixed patterns of physical noise tile ``tile``: one uint16 code per pixel for PRNU and one for
        DSNU (each a draw of :data:`_FPN_NORMAL`), and the hot pixels (flat indices), read-only."""
        cache = self.__dict__.setdefault("_fpn_cache", {})
        key = (tile, rows, width)
        if key in cache:
            return cache[key]  # type: ignore[no-any-return]
        fpn = camrig.random_stream(self.spec.instance_seed, FIXED_PATTERN_ROLE, tile)
        codes = fpn.integers(0, 2**16, (2, rows, width), dtype=np.uint16)
        hot = fpn.integers(0, rows * width, fpn.binomial(rows * width, self._hot_fraction))
        codes.flags.writeable = hot.flags.writeable = False
        if (len(cache) + 1) * 4 * rows * width <= self.FIXED_PATTERN_CACHE_BYTES:
            cache[key] = codes, hot
        return codes, hot

    @property
    def _reads(self) -> int:
        """Pixels each output value combines (a video readout's bin^2; 1 otherwise)."""
        return self.video.reads if self.video is not None else 1

    @property
    def _hot_fraction(self) -> float:
        return 1 - (1 - self.spec.hot_pixel_fraction) ** self._reads

    def _pattern_scales(self) -> tuple[float, float, float, float]:
        """(PRNU sigma, dark current, hot pixel dark current, DSNU sigma) of an output value. In a video readout
        a value combines n = bin^2 pixels: the sum's patterns are drawn directly (PRNU of the mean sigma /
        sqrt(n), dark current n I_d, DSNU sigma sqrt(n), a hot pixel among n with probability 1 - (1 - f)^n
        adding its excess dark current): the same statistics, not the full-resolution pattern itself."""
        s, on, n = self.spec, self.spec.noise, self._reads
        dark = dark_current_e_s(s) if on.dark else 0.0
        return (
            (s.prnu if on.prnu else 0.0) / math.sqrt(n),
            n * dark,
            s.hot_pixel_dark_current_e_s + (n - 1) * dark,
            (s.dsnu_e if on.dsnu else 0.0) * math.sqrt(n),
        )

    def _quantise(self, volts_e: np.ndarray, gain: float) -> np.ndarray:
        """Electrons (with noise and offsets) to DN: scale, add black, round, clip to the ADC (in place)."""
        volts_e *= np.float32(gain)
        volts_e += np.float32(self.spec.black_level_dn)
        np.rint(volts_e, out=volts_e)
        return np.clip(volts_e, 0, self.adc_white, out=volts_e)

    def read_chain(self) -> tuple[float, float, float, float]:
        """(well, read noise, conversion gain, row noise) of one read value, in electrons of the charge it reads.

        A full or 2x2 readout reads each pixel (charge binning: one read of 4 charges, a 4x well). A digital video
        readout outputs the mean of n = bin^2 reads; it is drawn as one read of the summed charge S (well n W) with
        DN = round(K / n (S + noise) + black), where the noise has the variance of the n reads' noise summed:
        n sigma_r^2 from read noise, n / (12 K^2) from each read's rounding (1/12 DN^2 each), and row noise
        bin^3 sigma_row^2 (bin rows, each offset shared by bin reads); a charge video readout is one read of S."""
        s, video = self.spec, self.video
        noise = s.read_noise_e if s.noise.read else 0.0
        row = s.row_noise_e if s.noise.row else 0.0
        if video is None:
            well = 4 * s.full_well_e if s.readout == "bin2x2_charge" else s.full_well_e
            return well, noise, self.gain, row
        n, b, gain = video.reads, video.bin, self.gain
        if video.combine == "charge":
            return n * s.full_well_e, noise, gain, row
        return n * s.full_well_e, math.sqrt(n * noise**2 + n / (12 * gain**2)), gain / n, b**1.5 * row

    def _to_dn(
        self, charge: np.ndarray, noise_e: float, gain: float, rng: np.random.Generator, row_offsets: np.ndarray
    ) -> np.ndarray:
        """Add read noise and row noise (e-), convert and quantise to DN (float32, clipped to the ADC)."""
        v = charge.copy()
        if self.spec.noise.read and noise_e > 0:
            v += rng.standard_normal(v.shape, dtype=np.float32) * np.float32(noise_e)
        v += row_offsets[:, None]
        return self._quantise(v, gain)

    def _single_gain(self, mean: np.ndarray, offsets: np.ndarray, rng: np.random.Generator, row_offsets: np.ndarray,
                     into: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """DN of one noise tile of read rows: shot noise, clipping, offsets, read noise, row noise.

        Where the charge is large (>= EXACT_POISSON_BELOW) and cannot reach the well (mu + 6 sqrt(mu) < well),
        shot and read noise are one Gaussian N(mu, mu + sigma_r^2): one draw instead of two, differing from
        Gaussian shot noise plus read noise only by the 1/12 e-^2 of electron rounding. The other pixels take
        the exact path: Poisson (or rounded Gaussian) charge, clipped, plus read noise. One compiled pass per
        pixel (:func:`camrig_sensors.readout.read_single_gain`). ``into``: the raw's own rows to write the DN
        into (they are whole numbers within the ADC range, so any dtype holding that range keeps them exactly).
        """
        on = self.spec.noise
        well, read_e, gain, _ = self.read_chain()
        if not on.shot:
            charge = np.minimum(mean, np.float32(well)) if on.clip else mean.copy()
            return self._to_dn(charge + offsets, read_e, gain, rng, row_offsets)
        from .readout import read_single_gain  # numba compiles (or loads its cache) on first use, not at import

        # mu + 6 sqrt(mu) >= well  <=>  mu >= (sqrt(9 + well) - 3)^2
        may_clip = (math.sqrt(9 + well) - 3) ** 2 if on.clip else math.inf
        out = (
            np.empty(mean.shape, dtype=np.float64 if self.output_bits > 24 else np.float32) if into is None else into
        )  # DN exact
        read_single_gain(
            mean, offsets, row_offsets, rng, float(well) if on.clip else math.inf, read_e,
            gain, float(self.spec.black_level_dn), float(self.adc_white), EXACT_POISSON_BELOW, may_clip, out,
        )  # fmt: skip
        return out

    def _expected_charge(
        self,
        irradiance: np.ndarray,
        row0: int,
        exposure_s: float,
        cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean charge (e-: photo-electrons with PRNU, plus dark current) and dark offsets (DSNU, e-) of the read
        rows of one block, summed over 2 x 2 for charge binning; from ``cache`` when it holds them (read-only)."""
        key = (row0, irradiance.shape[0])
        if cache is not None and key in cache:
            return cache[key]
        from .readout import expected_charge

        s = self.spec
        rows, width = irradiance.shape[:2]
        tile = self.NOISE_TILE_ROWS
        weights = self._phase_weights(exposure_s)
        prnu_sigma, dark_e_s, hot_e_s, dsnu_sigma = self._pattern_scales()
        mean = np.empty((rows, width), np.float32)
        offsets = np.empty_like(mean)
        for r in range(0, rows, tile):  # per noise tile: photo-electrons of the n pixels summed, PRNU, dark, DSNU
            codes, hot = self._pattern_codes((row0 + r) // tile, min(tile, rows - r), width)
            m, o = mean[r : r + tile], offsets[r : r + tile]
            expected_charge(
                irradiance[r : r + tile],
                weights,
                row0 + r,
                codes,
                _FPN_NORMAL,
                float(self._reads),
                prnu_sigma,
                dark_e_s * exposure_s,
                dsnu_sigma,
                m,
                o,
            )
            if s.noise.hot and hot.size:  # a hot pixel's dark current replaces the ordinary one
                m.ravel()[hot] += np.float32((hot_e_s - dark_e_s) * exposure_s)
        if s.readout == "bin2x2_charge":  # 4 charges share one floating diffusion: one read, summed FPN
            mean, offsets = bin2x2_same_colour(mean, s.cfa), bin2x2_same_colour(offsets, s.cfa)
        if cache is not None and (len(cache) + 1) * 2 * mean.nbytes <= self.EXPECTED_CHARGE_CACHE_BYTES:
            mean.flags.writeable = offsets.flags.writeable = False
            cache[key] = mean, offsets
        return mean, offsets

    EXPECTED_CHARGE_CACHE_BYTES = 32 << 20
    """A static scene (a preview stream images it once) gives every frame the same mean charge: it is kept
    for the next frame when it fits in this many bytes (a 2 MP frame takes 16 MB; a 12 MP one is not kept)."""

    def _expected_charge_cache(
        self, irradiance: np.ndarray, exposure_s: float
    ) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None:
        """The per-block cache of :meth:`_expected_charge` for this irradiance and exposure; a new irradiance
        replaces it. It is kept for the same read-only array object: a frame's data, which by the frame
        contract nobody edits once the frame exists (DESIGN: 'a stage never edits its input'; whoever writes
        into the array behind a frame breaks that contract, and this cache with it). None for a writeable
        array or a frame too large to keep. The irradiance is held weakly, and the cache emptied when it dies."""
        if (
            irradiance.flags.writeable
            or 8 * irradiance.shape[0] * irradiance.shape[1] > self.EXPECTED_CHARGE_CACHE_BYTES
        ):
            return None
        held = self.__dict__.get("_expected_cache")
        if held is None or held[0]() is not irradiance or held[1] != exposure_s:
            blocks: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
            gone = weakref.ref(irradiance, _emptier(blocks))  # the irradiance died: its mean charge goes too
            held = self.__dict__["_expected_cache"] = (gone, exposure_s, blocks)
        return held[2]  # type: ignore[no-any-return]

    def _read_block(
        self, irradiance: np.ndarray, row0: int, exposure_s: float, seed: int, role: str,
        cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = None, into: np.ndarray | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Output rows of one block of physical rows ``row0 ... row0 + len(irradiance)``; ``row0`` and the
        block length are multiples of the noise tile (the last block of the frame may be shorter). ``into``: the
        raw's rows for this block, written directly where the readout needs no step after the ADC (single gain,
        no digital 2x2 binning); returned as they are."""
        s, on = self.spec, self.spec.noise
        tile = self.NOISE_TILE_ROWS
        mean, offsets = self._expected_charge(irradiance, row0, exposure_s, cache)
        well, _, _, row_noise = self.read_chain()
        read_row0 = row0 // 2 if s.readout == "bin2x2_charge" else row0
        direct = into is not None and s.hdr is None and s.readout != "bin2x2_digital" and on.shot
        out = (
            into
            if direct and into is not None
            else np.empty(mean.shape, dtype=np.float64 if self.output_bits > 24 else np.float32)
        )
        for r in range(0, mean.shape[0], tile):
            rng = camrig.random_stream(seed, role, (read_row0 + r) // tile)
            m, o = mean[r : r + tile], offsets[r : r + tile]
            row_offsets = rng.standard_normal((m.shape[0],), dtype=np.float32)
            row_offsets *= np.float32(row_noise)
            if direct:
                self._single_gain(m, o, rng, row_offsets, out[r : r + tile])
            elif s.hdr is None:
                out[r : r + tile] = self._single_gain(m, o, rng, row_offsets)
            else:
                charge = shot_noise(rng, m) if on.shot else m.copy()
                if on.clip:
                    np.minimum(charge, np.float32(well), out=charge)
                charge += o
                out[r : r + tile] = self._merge_hdr(charge, rng, row_offsets)
        if s.readout == "bin2x2_digital":  # four reads averaged after the ADC
            out = np.rint(bin2x2_same_colour(out, s.cfa) / 4)
        return out

    def _merge_hdr(self, charge: np.ndarray, rng: np.random.Generator, row_offsets: np.ndarray) -> np.ndarray:
        """Dual conversion gain: read the charge twice and merge on the high-gain scale."""
        hdr, black = self.spec.hdr, self.spec.black_level_dn
        assert hdr is not None
        high = self._to_dn(charge, hdr.hcg_read_noise_e, self.hcg_gain, rng, row_offsets)
        low = self._to_dn(charge, hdr.lcg_read_noise_e, self.gain, rng, row_offsets)
        if hdr.output == "hcg":
            return high
        if hdr.output == "lcg":
            return low
        use_high = high < black + HCG_SWITCH * (self.adc_white - black)
        electrons = np.where(use_high, (high - black) / self.hcg_gain, (low - black) / self.gain)
        merged = np.rint(electrons.astype(np.float64) * self.hcg_gain + black)
        return np.clip(merged, 0, self.white_level)

    def expose(
        self,
        irradiance: np.ndarray,
        exposure_s: float,
        seed: int,
        role: str,
        *,
        block_rows: int | None = None,
        workers: int | None = None,
    ) -> np.ndarray:
        """The raw mosaic for ``irradiance`` (rows x cols x bands, W/m^2), in blocks of rows on threads.

        The result does not depend on ``block_rows`` (rounded up to whole noise tiles) or ``workers``.
        """
        unit = 2 * self.NOISE_TILE_ROWS  # whole tiles, also after charge binning halves the rows
        block = max(unit, -(-(block_rows or self.BLOCK_ROWS) // unit) * unit)
        out = np.empty(self.output_shape(), dtype=self.output_dtype)
        factor = 1 if self.video is not None else self.factor  # input rows per output row
        cache = self._expected_charge_cache(irradiance, exposure_s)

        def run(row0: int) -> None:
            rows = out[row0 // factor : (row0 + block) // factor]
            done = self._read_block(irradiance[row0 : row0 + block], row0, exposure_s, seed, role, cache, rows)
            if done is not rows:
                rows[: done.shape[0]] = done

        starts = range(0, self.input_shape()[0], block)
        workers = min(workers or os.cpu_count() or 1, 8)
        if workers == 1:
            for r in starts:
                run(r)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, starts))  # list() re-raises the first exception
        return out

    def check_input(self, frame: camrig.Frame | None) -> camrig.Frame:
        """The irradiance frame, or a ValueError naming the field that is wrong."""
        s = self.spec
        if frame is None:
            raise ValueError("a sensor needs an irradiance frame, got none")
        if frame.meta.format is not camrig.Format.IRRADIANCE:
            raise ValueError(f"frame.meta.format is {frame.meta.format.value!r}, expected 'irradiance'")
        if tuple(frame.meta.bands_nm) != tuple(s.bands_nm):
            raise ValueError(f"frame.meta.bands_nm is {frame.meta.bands_nm}, the QE table is for {s.bands_nm}")
        expected = (*self.input_shape(), len(s.bands_nm))
        if frame.data.shape != expected:
            raise ValueError(f"frame.data.shape is {frame.data.shape}, expected {expected} (rows, columns, bands)")
        return frame

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        frame = self.check_input(frame)
        s = self.spec
        raw = self.expose(frame.data, ctx.exposure_s, ctx.seed, role, workers=ctx.threads)
        return camrig.Frame(
            raw,
            frame.meta.updated(
                **dict(
                    format=camrig.Format.RAW,
                    units="DN",
                    bands_nm=(),
                    pitch=s.pixel_pitch_um * self.factor,
                    cfa=self.output_cfa,
                    bit_depth=self.output_bits,
                    black_level=float(s.black_level_dn),
                    white_level=float(self.white_level),
                    exposure_s=ctx.exposure_s,
                    modelled_ns={
                        **frame.meta.modelled_ns,
                        "exposure": round(ctx.exposure_s * 1e9),
                        "readout": round(self.readout_ns()),
                    },
                    extra={
                        **frame.meta.extra,
                        "conversion_gain_dn_per_e": self.hcg_gain if s.hdr else self.gain,
                        **self.file_metadata(),
                    },
                    **self.colour_metadata(frame.meta.white_radiance),
                )
            ),
        )
