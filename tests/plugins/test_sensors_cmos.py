"""The CMOS sensor model: photon counting by hand, Poisson statistics, noise sources, readout modes, HDR."""

from __future__ import annotations

import math

import numpy as np
import pytest

import camrig
from camrig_sensors import CmosSensorSpec
from camrig_sensors.cmos import CmosSensor

H, C = 6.62607015e-34, 299792458.0


def expose(sensor: CmosSensor, irradiance_w_m2, exposure_s=1e-3, seed=0):
    s = sensor.spec
    plane = sensor.focal_plane()
    view = camrig.AngularGrid(width=s.width_px, height=s.height_px, x0=0, y0=0, step=1e-3)
    ctx = camrig.CaptureContext(exposure_s=exposure_s, seed=seed, geometry=camrig.Geometry(plane=plane, view=view))
    data = np.broadcast_to(np.asarray(irradiance_w_m2, dtype=np.float32), (s.height_px, s.width_px, len(s.bands_nm)))
    frame = camrig.Frame(
        np.ascontiguousarray(data), camrig.FrameMeta(format="irradiance", units="W/m^2", bands_nm=s.bands_nm)
    )
    return sensor.process(frame, ctx, "sensor")  # type: ignore[union-attr]


ONLY_SHOT_AND_READ = {
    "shot": True,
    "read": True,
    "clip": True,
    "dark": False,
    "dsnu": False,
    "prnu": False,
    "row": False,
    "hot": False,
}


def mono(**kw) -> CmosSensor:
    """A mono test sensor with only shot and read noise on, so the statistics below are exactly Poisson + Gaussian."""
    base = dict(
        width_px=200,
        height_px=100,
        pixel_pitch_um=2.0,
        cfa="mono",
        bands_nm=(550.0,),
        qe=((0.5,),),
        noise=ONLY_SHOT_AND_READ,
    )
    return CmosSensor(CmosSensorSpec(**{**base, **kw}))


def test_mean_electrons_follow_photon_counting():
    sensor = CmosSensor(CmosSensorSpec(width_px=4, height_px=4, pixel_pitch_um=2.0, fill_factor=0.8))
    mean = sensor.mean_electrons(np.ones((4, 4, 3), dtype=np.float32) * np.float32([1.0, 2.0, 3.0]), 1e-3)
    area = (2e-6) ** 2 * 0.8
    photons = [e * area * 1e-3 * lam * 1e-9 / (H * C) for e, lam in zip([1.0, 2.0, 3.0], [450, 550, 650])]
    qe = sensor.spec.qe
    expected_r = sum(q * n for q, n in zip(qe[0], photons))
    expected_b = sum(q * n for q, n in zip(qe[2], photons))
    assert mean[0, 0] == pytest.approx(expected_r, rel=1e-6)  # RGGB: R at (0, 0)
    assert mean[1, 1] == pytest.approx(expected_b, rel=1e-6)


def test_shot_and_read_noise_statistics_at_high_counts():
    sensor = mono(read_noise_e=3.0, full_well_e=20000, adc_bits=16, black_level_dn=100, gain_dn_per_e=0.5)
    photons_per_w = (2e-6) ** 2 * 1e-3 * 550e-9 / (H * C)
    e = 1000 / (0.5 * photons_per_w)  # irradiance for mu_e = 1000
    dn = expose(sensor, [e]).data.astype(np.float64)
    n = dn.size
    mu_dn, var_dn = 100 + 0.5 * 1000, 0.5**2 * (1000 + 3.0**2) + 1 / 12  # EMVA 1288: var_y = K^2 (mu_e + s_d^2) + 1/12
    assert abs(dn.mean() - mu_dn) < 5 * math.sqrt(var_dn / n)
    assert abs(dn.var() / var_dn - 1) < 5 * math.sqrt(2 / n)


@pytest.mark.parametrize("mu", [1.0, 3.0, 10.0])
def test_shot_noise_is_poisson_at_low_counts(mu):
    sensor = mono(read_noise_e=0.0, adc_bits=12, black_level_dn=10, gain_dn_per_e=1.0)
    photons_per_w = (2e-6) ** 2 * 1e-3 * 550e-9 / (H * C)
    electrons = expose(sensor, [mu / (0.5 * photons_per_w)]).data.astype(np.int64) - 10
    n = electrons.size
    assert abs(electrons.mean() - mu) < 5 * math.sqrt(mu / n)
    assert abs(electrons.var() / mu - 1) < 5 * math.sqrt((2 + 1 / mu) / n)
    p0 = math.exp(-mu)
    assert abs((electrons == 0).mean() - p0) < 5 * math.sqrt(p0 * (1 - p0) / n) + 1e-12


def test_full_well_clips_to_the_white_level():
    sensor = mono()
    raw = expose(sensor, [1e3])
    assert raw.meta.white_level == 2**14 - 1
    assert (raw.data == 2**14 - 1).all()


def test_raw_metadata_and_bytes():
    sensor = mono()
    raw = expose(sensor, [1e-3], exposure_s=2e-3)
    assert raw.meta.modelled_ns == {"exposure": 2_000_000, "readout": 100 * 3000}
    assert (raw.meta.black_level, raw.meta.bit_depth, raw.meta.cfa) == (256.0, 14, None)
    assert sensor.raw_bytes_per_frame() == math.ceil(200 * 100 * 14 / 8)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"qe": ((1.2, 0.5, 0.1), (0.1, 0.5, 0.1), (0.1, 0.1, 0.1))}, "qe values must lie in"),
        ({"qe": ((0.5, 0.5, 0.1),)}, "qe needs 3 row"),
        ({"adc_bits": 0}, "adc_bits"),
        ({"adc_bits": 33}, "adc_bits"),
        ({"read_noise_e": -1}, "read_noise_e"),
        ({"pixel_pitch_um": 0}, "pixel_pitch_um"),
        ({"adc_bits": 8, "black_level_dn": 255}, "leaves no range"),
    ],
)
def test_impossible_specs_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        CmosSensorSpec(**kw)


# -- reproducibility -----------------------------------------------------------------------------------------


def flat(spec_kw: dict, electrons: float, exposure_s=1e-3):
    """A sensor and an irradiance giving ``electrons`` mean photo-electrons per pixel (mono, one band)."""
    sensor = mono(**spec_kw)
    photons = electrons / 0.5
    e = photons / ((2e-6) ** 2 * exposure_s * 550e-9 / (H * C))
    s = sensor.spec
    return sensor, np.full((s.height_px, s.width_px, 1), e, dtype=np.float32)


def test_raw_is_bit_identical_whatever_the_blocks_or_workers():
    everything_on = dict(noise={}, width_px=96, height_px=72, hot_pixel_fraction=0.01)
    sensor, irradiance = flat(everything_on, 500.0)
    runs = [
        sensor.expose(irradiance, 1e-3, 7, "sensor", block_rows=b, workers=w)
        for b, w in [(64, 1), (4, 2), (8, 2), (1000, 1)]
    ]
    for other in runs[1:]:
        assert np.array_equal(runs[0], other)


def test_a_static_scene_kept_between_frames_reads_as_one_computed_afresh(monkeypatch):
    everything_on = dict(noise={}, width_px=96, height_px=72, hot_pixel_fraction=0.01)
    sensor, irradiance = flat(everything_on, 500.0)
    irradiance = irradiance * np.linspace(0.2, 3.0, 96, dtype=np.float32)[None, :, None]  # dark to clipped
    kept = irradiance.copy()
    kept.flags.writeable = False  # a read-only frame (as every frame's data is) may keep its mean charge
    import camrig_sensors.readout as readout

    computed = []
    original = readout.expected_charge
    monkeypatch.setattr(readout, "expected_charge", lambda *a: computed.append(1) or original(*a))
    first = sensor.expose(kept, 1e-3, 7, "sensor")
    blocks = len(computed)
    again = sensor.expose(kept, 1e-3, 7, "sensor")
    assert blocks > 0 and len(computed) == blocks  # the second exposure computed no mean charge
    fresh = CmosSensor(sensor.spec).expose(irradiance, 1e-3, 7, "sensor")  # writeable: never kept
    assert len(computed) == 2 * blocks
    assert np.array_equal(first, fresh) and np.array_equal(again, fresh)
    assert not np.array_equal(sensor.expose(kept, 2e-3, 7, "sensor"), fresh)  # another exposure: recomputed
    assert len(computed) == 3 * blocks


def test_different_seeds_give_independent_noise():
    sensor, irradiance = flat(dict(width_px=256, height_px=128), 400.0)
    a, b = (sensor.expose(irradiance, 1e-3, s, "sensor").astype(np.float64).ravel() for s in (1, 2))
    r = np.corrcoef(a - a.mean(), b - b.mean())[0, 1]
    assert abs(r) < 5 / math.sqrt(a.size)


def test_fixed_patterns_belong_to_the_sensor_instance():
    only_prnu = {k: k == "prnu" for k in ONLY_SHOT_AND_READ}
    sensor, irradiance = flat(
        dict(noise=only_prnu, prnu=0.02, adc_bits=16, gain_dn_per_e=1.0, black_level_dn=0), 10000.0
    )
    a = sensor.expose(irradiance, 1e-3, 1, "sensor").astype(np.float64)
    b = sensor.expose(irradiance, 1e-3, 2, "sensor").astype(np.float64)
    other = flat(
        dict(noise=only_prnu, prnu=0.02, adc_bits=16, gain_dn_per_e=1.0, black_level_dn=0, instance_seed=9), 10000.0
    )
    c = other[0].expose(irradiance, 1e-3, 1, "sensor").astype(np.float64)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.mean() == pytest.approx(10000, rel=1e-3)
    assert (a / 10000).std() == pytest.approx(0.02, rel=0.05)  # PRNU sigma, 20000 pixels


def test_dark_current_doubles_every_doubling_temperature():
    only_dark = {k: k == "dark" for k in ONLY_SHOT_AND_READ}
    kw = dict(
        noise=only_dark,
        adc_bits=16,
        gain_dn_per_e=1.0,
        black_level_dn=0,
        dark_current_e_s=100.0,
        dark_reference_c=20.0,
        dark_doubling_c=6.0,
    )
    sensor, irradiance = flat({**kw, "temperature_c": 32.0}, 0.0)
    dark = sensor.expose(irradiance * 0, 2.0, 0, "sensor")
    assert (dark == round(100.0 * 2 ** (12 / 6) * 2.0)).all()  # 2 s at 20 + 12 C: 800 e-


def test_hot_pixels_row_noise_and_dsnu():
    kw = dict(width_px=400, height_px=200, adc_bits=16, gain_dn_per_e=1.0, black_level_dn=1000)
    hot = {k: k in ("hot", "dark") for k in ONLY_SHOT_AND_READ}
    sensor, irradiance = flat(
        {**kw, "noise": hot, "hot_pixel_fraction": 0.01, "hot_pixel_dark_current_e_s": 1e4, "dark_current_e_s": 0}, 0.0
    )
    frame = sensor.expose(irradiance * 0, 0.1, 0, "sensor")
    n_hot = int((frame == 1000 + 1000).sum())
    assert abs(n_hot - 800) < 5 * math.sqrt(800 * 0.99)  # 1 % of 80000 pixels
    row = {k: k == "row" for k in ONLY_SHOT_AND_READ}
    sensor, _ = flat({**kw, "noise": row, "row_noise_e": 5.0}, 0.0)
    frame = sensor.expose(irradiance * 0, 0.1, 0, "sensor").astype(np.float64)
    assert (frame.std(axis=1) < 0.5).all()  # constant along each row (up to rounding)
    assert frame.mean(axis=1).std() == pytest.approx(5.0, rel=0.15)  # 200 rows
    dsnu = {k: k == "dsnu" for k in ONLY_SHOT_AND_READ}
    sensor, _ = flat({**kw, "noise": dsnu, "dsnu_e": 3.0}, 0.0)
    frame = sensor.expose(irradiance * 0, 0.1, 0, "sensor").astype(np.float64)
    assert frame.std() == pytest.approx(math.sqrt(3.0**2 + 1 / 12), rel=0.02)


# -- readout modes -------------------------------------------------------------------------------------------


def test_charge_binning_sums_four_charges_and_reads_once():
    kw = dict(
        width_px=400,
        height_px=200,
        adc_bits=16,
        gain_dn_per_e=0.5,
        black_level_dn=100,
        read_noise_e=4.0,
        full_well_e=60000,
        readout="bin2x2_charge",
    )
    sensor, irradiance = flat(kw, 300.0)
    dn = sensor.expose(irradiance, 1e-3, 0, "sensor").astype(np.float64)
    assert dn.shape == (100, 200)
    var = 0.25 * (4 * 300 + 4.0**2) + 1 / 12  # K^2 (4 mu + sigma_r^2) + quantisation
    assert abs(dn.mean() - (100 + 0.5 * 1200)) < 5 * math.sqrt(var / dn.size)
    assert abs(dn.var() / var - 1) < 5 * math.sqrt(2 / dn.size)
    assert sensor.readout_ns() == 100 * 3000  # half the rows read


def test_digital_binning_averages_four_reads():
    kw = dict(
        width_px=400,
        height_px=200,
        adc_bits=16,
        gain_dn_per_e=1.0,
        black_level_dn=100,
        read_noise_e=4.0,
        readout="bin2x2_digital",
    )
    sensor, irradiance = flat(kw, 300.0)
    dn = sensor.expose(irradiance, 1e-3, 0, "sensor").astype(np.float64)
    var = (300 + 16 + 1 / 12) / 4 + 1 / 12  # mean of four reads, then rounded again
    assert abs(dn.mean() - 400) < 5 * math.sqrt(var / dn.size)
    assert abs(dn.var() / var - 1) < 5 * math.sqrt(2 / dn.size)


def video_flat(video: dict, electrons: float, **kw):
    """A mono sensor in a video readout, and the irradiance (on its output grid) giving ``electrons`` mean
    photo-electrons per physical 2 um pixel."""
    sensor = mono(readout=video, **kw)
    photons = electrons / 0.5
    e = photons / ((2e-6) ** 2 * 1e-3 * 550e-9 / (H * C))
    rows, cols = sensor.input_shape()
    return sensor, np.full((rows, cols, 1), e, dtype=np.float32)


@pytest.mark.parametrize("skip", [1, 2])
def test_video_digital_binning_is_the_mean_of_bin_squared_reads(skip):
    # 3 x 3 reads of mu = 300 e- each (K = 1 DN/e-, sigma_r = 4 e-, row noise 1 e-), averaged after the ADC: each
    # read is K (e + noise) rounded (1/12 DN^2); the mean of 9 has variance (mu + sigma_r^2 + 1/12) / 9 plus the
    # row noise of 3 rows, each shared by 3 reads: (3 sigma_row)^2 x 3 / 81 = sigma_row^2 / 3, then one more rounding.
    kw = dict(
        width_px=360,
        height_px=240,
        adc_bits=16,
        gain_dn_per_e=1.0,
        black_level_dn=100,
        read_noise_e=4.0,
        row_noise_e=1.0,
        noise={**ONLY_SHOT_AND_READ, "row": True},
    )
    sensor, irradiance = video_flat({"bin": 3, "skip": skip}, 300.0, **kw)
    assert sensor.output_shape() == (240 // (3 * skip), 360 // (3 * skip))
    assert sensor.focal_plane().pitch_um == 2.0 * 3 * skip  # imaged at the size it is read
    dn = sensor.expose(irradiance, 1e-3, 0, "sensor").astype(np.float64)
    var = (300 + 16 + 1 / 12) / 9 + 1.0 / 3 + 1 / 12
    assert abs(dn.mean() - 400) < 5 * math.sqrt(var / dn.size)
    # the row noise is shared along a row: the variance of the row means tells it apart from the pixel noise
    assert abs(dn.var() / var - 1) < 5 * math.sqrt(2 / dn.size) + 0.05
    slope, offset = sensor.noise_profile()
    span = 2**16 - 1 - 100
    x = 300 / span  # the normalised signal
    assert (slope * x + offset) * span**2 == pytest.approx(var, rel=1e-9)  # the DNG noise profile says the same
    assert sensor.readout_ns() == 240 / skip * 3000  # every row of the groups read


def test_video_binning_clips_each_read_at_the_full_well_and_charge_binning_reads_once():
    kw = dict(
        width_px=240,
        height_px=120,
        adc_bits=16,
        gain_dn_per_e=1.0,
        black_level_dn=100,
        read_noise_e=4.0,
        full_well_e=1000,
    )
    sensor, irradiance = video_flat({"bin": 2}, 5000.0, **kw)
    dn = sensor.expose(irradiance, 1e-3, 0, "sensor").astype(np.float64)
    var = (
        16 + 1 / 12
    ) / 4 + 1 / 12  # four full wells averaged: one full well, with the reads' noise (added after the well)
    assert abs(dn.mean() - (100 + 1000)) < 5 * math.sqrt(var / dn.size)
    assert abs(dn.var() / var - 1) < 5 * math.sqrt(2 / dn.size)
    charge, irradiance = video_flat({"bin": 2, "combine": "charge"}, 200.0, **{**kw, "full_well_e": 60000})
    dn = charge.expose(irradiance, 1e-3, 0, "sensor").astype(np.float64)
    var = 4 * 200 + 16 + 1 / 12  # K^2 (4 mu + sigma_r^2): one read of the summed charge
    assert abs(dn.mean() - (100 + 800)) < 5 * math.sqrt(var / dn.size)
    assert abs(dn.var() / var - 1) < 5 * math.sqrt(2 / dn.size)
    assert charge.readout_ns() == 120 / 2 * 3000  # one read per binned row pair


def test_video_fixed_patterns_have_the_statistics_of_the_mean_of_their_pixels():
    kw = dict(
        width_px=480,
        height_px=480,
        prnu=0.02,
        dsnu_e=3.0,
        noise={**ONLY_SHOT_AND_READ, "shot": False, "read": False, "prnu": True, "dsnu": True},
    )
    sensor, irradiance = video_flat({"bin": 4}, 1000.0, **kw)  # 1000 e- per pixel, 16 000 e- per output value
    mean, offsets = sensor._expected_charge(irradiance, 0, 1e-3, None)  # the charge the readout draws from
    assert mean.mean() == pytest.approx(16 * 1000.0, rel=1e-3)
    assert (mean / 16000.0).std() == pytest.approx(0.02 / 4, rel=0.05)  # the mean gain of 16 pixels
    assert offsets.std() == pytest.approx(3.0 * 4, rel=0.05)  # the summed offset of 16 pixels (sum domain)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            dict(cfa="RGGB", qe=((0.5,), (0.5,), (0.5,)), readout={"bin": 2, "combine": "charge"}),
            "combine 'charge' needs same-colour",
        ),
        (
            dict(width_px=6, height_px=6, readout={"bin": 4, "skip": 2}),
            "reads groups of 8 x 8 pixels; the sensor has only 6 x 6",
        ),
        (dict(readout={"bin": 9}), "less than or equal to 8"),
    ],
)
def test_impossible_video_readouts_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        mono(**kw)


def test_quad_bayer_binned_is_bayer_at_half_size():
    from camrig_sensors import PHONE_50MP

    sensor = CmosSensor(PHONE_50MP(width_px=64, height_px=48, readout="bin2x2_charge"))
    assert sensor.output_shape() == (24, 32) and sensor.output_cfa == "RGGB"
    assert CmosSensor(PHONE_50MP(width_px=64, height_px=48, readout="full")).output_cfa == "QUAD_RGGB"
    # a red-only light lands on the R sites of the binned Bayer mosaic only
    irradiance = np.zeros((48, 64, 3), np.float32)
    irradiance[:, :, 2] = 1.0
    qe_red_only = ((0, 0, 0.5), (0, 0, 0), (0, 0, 0))
    s = CmosSensor(
        PHONE_50MP(width_px=64, height_px=48, readout="bin2x2_charge", qe=qe_red_only, noise=ONLY_SHOT_AND_READ)
    )
    raw = s.expose(irradiance, 1e-3, 0, "sensor").astype(np.int64) - s.spec.black_level_dn
    assert raw[0::2, 0::2].min() > 100 and np.abs(raw[1::2, :]).max() < 10 and np.abs(raw[0::2, 1::2]).max() < 10


# -- HDR -----------------------------------------------------------------------------------------------------


def test_dual_gain_merge_is_linear_over_the_whole_range():
    from camrig_sensors import M43_100MP_HDR

    base = M43_100MP_HDR().model_dump()
    base.update(
        width_px=128,
        height_px=64,
        cfa="mono",
        bands_nm=(550.0,),
        qe=((0.5,),),
        pixel_pitch_um=2.0,
        noise=ONLY_SHOT_AND_READ,
    )
    sensor = CmosSensor(M43_100MP_HDR.model_validate(base))
    assert sensor.output_dtype == "uint32" and sensor.white_level == 2**20 - 1
    photons_per_w = (2e-6) ** 2 * 1e-3 * 550e-9 / (H * C)
    for electrons in (5.0, 500.0, 3000.0, 3800.0, 10000.0, 30000.0):
        irradiance = np.full((64, 128, 1), electrons / (0.5 * photons_per_w), np.float32)
        dn = sensor.expose(irradiance, 1e-3, 0, "sensor").astype(np.float64)
        measured = (dn.mean() - 256) / sensor.hcg_gain
        assert measured == pytest.approx(electrons, rel=0.01, abs=0.2)
    dark = sensor.expose(np.zeros((64, 128, 1), np.float32), 1e-3, 0, "sensor").astype(np.float64)
    assert dark.std() / sensor.hcg_gain == pytest.approx(
        math.hypot(0.7, 1 / (math.sqrt(12) * sensor.hcg_gain)), rel=0.1
    )


def test_readout_rule_says_the_highest_frame_rate(host, rig_dict):
    import camrig

    rig_dict["rig"]["sensor"] = {"type": "sensors.m43_100mp"}
    rig_dict["rig"]["lens"]["image_circle_mm"] = 22
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 1000
    report = camrig.assemble(host, camrig.read_rig(rig_dict, ["rig.frame_rate_hz=60"]), strict=False).report
    found = {p.rule: p for p in report.problems}
    # 8640 rows x 3000 ns = 25.92 ms per frame: at most 38.6 fps
    assert found["sensors.readout"].suggestion == "the sensor reads at most 38.6 fps in readout 'full'"


def test_preview_mode_has_its_own_readout_and_frame_rate(host, rig_dict):
    import camrig
    from camrig_sensors import M43_100MP

    sensor = CmosSensor(M43_100MP())
    preview = sensor.preview()
    # 4x4 same-colour binning, every other group skipped: 11520 / 8 x 8640 / 8, the same Bayer order
    assert preview.output_shape() == (1080, 1440) and preview.output_cfa == "RGGB"
    assert preview.focal_plane() == camrig.FocalPlane(width_px=1440, height_px=1080, pitch_um=12.0)
    assert preview.readout_ns() == 8640 / 2 * 3000  # digital binning reads every row of the groups read
    rig_dict["rig"]["sensor"] = {"type": "sensors.m43_100mp", "preview_frame_rate_hz": 100}
    rig_dict["rig"]["lens"]["image_circle_mm"] = 22
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 1000
    report = camrig.assemble(host, camrig.read_rig(rig_dict, ["rig.frame_rate_hz=10"]), strict=False).report
    (problem,) = [p for p in report.problems if p.rule == "sensors.readout"]
    assert problem.message == "preview readout takes 12.96 ms per frame, longer than 1/100 s"
    assert problem.suggestion == "the sensor reads at most 77.2 fps in preview readout 'bin 4x4 digital, skip 2'"
    with pytest.raises(ValueError, match="preview_readout bin2x2_charge needs same-colour neighbours"):
        M43_100MP(preview_readout="bin2x2_charge")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "radiance"}, "frame.meta.format is 'radiance', expected 'irradiance'"),
        ({"bands_nm": (500.0,)}, r"frame.meta.bands_nm is \(500.0,\)"),
        ({"shape": (5, 200, 1)}, r"frame.data.shape is \(5, 200, 1\), expected \(100, 200, 1\)"),
    ],
)
def test_a_wrong_irradiance_frame_names_the_field(change, message):
    import camrig

    sensor = mono()
    shape = change.pop("shape", (100, 200, 1))
    meta = {"format": "irradiance", "units": "W/m^2", "bands_nm": (550.0,), **change}
    frame = camrig.Frame(np.zeros(shape, np.float32), camrig.FrameMeta(**meta))
    with pytest.raises(ValueError, match=message):
        sensor.process(frame, None, "sensor")
