"""camrig claims: the claim kinds ``camrig audit`` holds a product's claims against (docs/claims.md).

Each kind answers one quantity from the rig's specs (a model, not a simulation of frames), with the physical
bound that limits it and what would make a failing claim hold:

* ``claims.resolution_mp``: the sensor's pixel count;
* ``claims.dynamic_range_ev``: EMVA 1288 dynamic range, saturation over temporal dark noise;
* ``claims.raw_frame_rate_hz``: full-resolution RAW frames per second through readout and link;
* ``claims.preview_latency_ms``: exposure + preview readout + link transfer of a preview frame;
* ``claims.mtf50_cy_px``: MTF50 at the centre, bounded by diffraction x pixel aperture;
* ``claims.snr_db``: SNR of a mid-grey patch at a light level (lux) and exposure, EMVA 1288 linear model.

This module is light (registrations only); the models live in :mod:`camrig_claims.kinds`, imported when a
claim needs them.
"""

from __future__ import annotations

import camrig

camrig_api = ">=1,<2"

KINDS = "camrig_claims.kinds"


@camrig.hookimpl
def camrig_claim_kinds() -> list[camrig.ClaimKind]:
    return [
        camrig.ClaimKind("claims.resolution_mp", ("MP",), f"{KINDS}:resolution_mp", "sensor pixel count, megapixels"),
        camrig.ClaimKind(
            "claims.dynamic_range_ev",
            ("EV", "stops"),
            f"{KINDS}:dynamic_range_ev",
            "EMVA 1288 dynamic range (saturation / temporal dark noise), EV",
            conditions=("exposure_s", "method"),
            plan=f"{KINDS}:dynamic_range_plan",
        ),
        camrig.ClaimKind(
            "claims.raw_frame_rate_hz",
            ("Hz", "fps"),
            f"{KINDS}:raw_frame_rate_hz",
            "full-resolution RAW frame rate through sensor readout and link, Hz",
            conditions=("resolution", "exposure_s"),
        ),
        camrig.ClaimKind(
            "claims.preview_latency_ms",
            ("ms",),
            f"{KINDS}:preview_latency_ms",
            "modelled preview latency to the phone: exposure + preview readout + link, ms",
            conditions=("exposure_s",),
        ),
        camrig.ClaimKind(
            "claims.mtf50_cy_px",
            ("cy/px",),
            f"{KINDS}:mtf50_cy_px",
            "MTF50 at the centre, bounded by diffraction x pixel aperture, cycles/pixel",
            conditions=("f_number", "wavelength_nm"),
        ),
        camrig.ClaimKind(
            "claims.snr_db",
            ("dB",),
            f"{KINDS}:snr_db",
            "SNR of a mid-grey patch at a light level and exposure (EMVA 1288 linear model), dB",
            conditions=("lux", "exposure_s", "f_number", "reflectance", "qe"),
        ),
    ]
