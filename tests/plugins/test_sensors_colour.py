"""What the sensor tells a raw converter: noise profile, as-shot neutral and colour matrix, and the DNG tags."""

from __future__ import annotations

import numpy as np
import pytest
from test_sensors_cmos import expose

import camrig
from camrig_sensors import CmosSensorSpec
from camrig_sensors.cmos import CmosSensor

TEMPORAL = {
    "shot": True,
    "read": True,
    "row": True,
    "clip": True,
    "dark": False,
    "dsnu": True,
    "prnu": True,
    "hot": False,
}


@pytest.mark.parametrize("readout", ["full", "bin2x2_digital"])
def test_noise_profile_predicts_the_measured_temporal_variance(readout):
    """Two frames of the same flat field: var(A - B) / 2 is the temporal variance (fixed patterns cancel). The
    reference is the EMVA 1288 model worked from the spec alone: the default conversion gain reaches the 14-bit
    ADC's top (16383 - 256 black = 16127 DN) at the 6000 e- full well less 5 read-noise sigmas, K = 16127 /
    5992.5 = 2.69120 DN/e-; a signal of m DN above black then reads with variance K m + K^2 (1.5^2 + 0.2^2) +
    1/12 DN^2 (shot, read and row noise, quantisation). Digital 2x2 binning averages four reads from two
    physical rows and rounds again: (K m + K^2 1.5^2 + 1/12) / 4 + K^2 0.2^2 / 2 + 1/12. The measurement must
    follow it at every level and colour, and the DNG NoiseProfile S x + O must be that model."""
    sensor = CmosSensor(
        CmosSensorSpec(width_px=256, height_px=256, pixel_pitch_um=2.0, readout=readout, noise=TEMPORAL)
    )
    gain, span, black = 16127 / 5992.5, 16127, 256

    def model(m_dn: float) -> float:
        if readout == "full":
            return gain * m_dn + gain**2 * (1.5**2 + 0.2**2) + 1 / 12
        return (gain * m_dn + gain**2 * 1.5**2 + 1 / 12) / 4 + gain**2 * 0.2**2 / 2 + 1 / 12

    slope, offset = sensor.noise_profile()
    # normalised to [0, 1] (black to white): S = dvar/dx, O = var at black
    assert slope == pytest.approx((model(1.0) - model(0.0)) * span / span**2, rel=1e-9)
    assert offset == pytest.approx(model(0.0) / span**2, rel=1e-9)
    ratios = []
    for irradiance in (0.0, 0.005, 0.05, 0.2):
        a, b = (expose(sensor, [irradiance] * 3, seed=s).data.astype(np.float64) for s in (1, 2))
        for phase in ((0, 0), (0, 1), (1, 1)):
            pa, pb = a[phase[0] :: 2, phase[1] :: 2], b[phase[0] :: 2, phase[1] :: 2]
            m = (pa.mean() + pb.mean()) / 2 - black
            assert -1 < m < 0.9 * span, m
            ratios.append(np.var(pa - pb) / 2 / model(m))
    # each variance from 128^2 (binned 64^2) differences: 1.1 % (2.2 %) standard error; 12 of them pooled
    spread = 0.04 if readout == "full" else 0.07
    assert np.all(np.abs(np.array(ratios) - 1) < spread), ratios
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.015), ratios


def test_hdr_merged_raws_carry_no_noise_profile():
    spec = CmosSensorSpec.model_validate(
        {
            **CmosSensorSpec().model_dump(),
            "width_px": 64,
            "height_px": 64,
            "full_well_e": 40000,
            "read_noise_e": 6,
            "hdr": {"hcg_full_scale_e": 4000, "hcg_read_noise_e": 0.7, "lcg_read_noise_e": 6},
        }
    )
    assert CmosSensor(spec).noise_profile() is None


def test_as_shot_neutral_is_the_response_to_the_scenes_white(host, rig_dict):
    """Computed by hand from the QE table: electrons ~ sum_i QE_ci lambda_i L_white,i, normalised to a largest of 1."""
    spec = CmosSensorSpec()
    qe, bands = np.array(spec.qe_table()), np.array(spec.bands_nm)
    neutrals = {}
    for illuminant in ("D65", "A"):
        rig_dict["capture"]["scene"] = {"type": "scenes.chart", "illuminant": illuminant}
        shot = camrig.assemble(host, camrig.read_rig(rig_dict)).capture()
        white = np.array(shot.raw.meta.white_radiance)
        expected = (qe * bands) @ white
        np.testing.assert_allclose(shot.raw.meta.as_shot_neutral, expected / expected.max(), rtol=1e-9)
        neutrals[illuminant] = np.array(shot.raw.meta.as_shot_neutral)
    # tungsten is red-rich and blue-poor: relative to green, red rises and blue falls against daylight
    assert neutrals["A"][0] / neutrals["A"][1] > neutrals["D65"][0] / neutrals["D65"][1]
    assert neutrals["A"][2] / neutrals["A"][1] < neutrals["D65"][2] / neutrals["D65"][1]


def test_the_dng_carries_the_sensors_noise_profile_and_colour(host, rig_dict, tmp_path):
    """The default 3-band rig (an RGB scene in equal-energy light, whose white is sRGB's D65): ColorMatrix1 maps
    the XYZ of each sRGB primary (colour-science) to the camera's response to that primary's band (the QE table
    times wavelength, by hand), up to the one DNG scale that takes D65 to 1 in the largest channel."""
    tifffile = pytest.importorskip("tifffile")
    rawpy = pytest.importorskip("rawpy")
    colour = pytest.importorskip("colour")
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    shot = rig.capture()
    path = rig.write(shot.raw, tmp_path / "x.dng")
    meta = shot.raw.meta
    with tifffile.TiffFile(path) as tif:
        assert tif.pages[0].tags[51041].value == pytest.approx(meta.noise_profile, rel=1e-12)
        matrix = np.array(tif.pages[0].tags[50721].value, dtype=float).reshape(9, 2)
        matrix = (matrix[:, 0] / matrix[:, 1]).reshape(3, 3)
    spec = CmosSensorSpec()
    response = np.array(spec.qe_table()) * np.array(spec.bands_nm)  # columns: 450 (B), 550 (G), 650 (R) nm
    primaries = colour.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ  # columns: R, G, B
    expected = response[:, ::-1] @ np.linalg.inv(primaries)
    d65 = colour.xy_to_XYZ(colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"])
    np.testing.assert_allclose(matrix, expected / (expected @ d65).max(), atol=2e-3)
    with rawpy.imread(str(path)) as raw:
        assert raw.camera_whitebalance[:3] == pytest.approx(1 / np.array(meta.as_shot_neutral), rel=1e-5)
