"""camrig's test kit on the ACME telephoto: the conformance suite and a small rig around it.

Run with ``pytest`` once camrig (with its ``testing`` extra) and this plugin are installed: the fixtures come
from camrig's pytest plugin, no import needed.
"""

from camrig.testing import check_accessory


def test_tele_conforms():
    check_accessory("acme.tele")


def test_tele_in_a_small_rig(camrig_small_rig):
    rig = camrig_small_rig("acme.tele", {"f_number": 4.0})
    shot = rig.capture(seed=1)
    assert shot.result.data.shape == (48, 64, 3)
    assert shot.raw.meta.f_number == 4.0
