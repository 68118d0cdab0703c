"""camrig: simulate modular camera accessories before anyone builds them.

The public API is what this module lists in ``__all__``; everything in underscore modules is private.
"""

from ._version import __version__
from .accessory import (
    Accessory,
    AccessoryType,
    CapsError,
    CaptureContext,
    Curve,
    Kind,
    Lens,
    LensSpec,
    Link,
    LinkSpec,
    Measured,
    Measurement,
    MeasurementSpec,
    Mount,
    MountSpec,
    Scene,
    SceneSpec,
    Sensor,
    SensorSpec,
    Spec,
    Stage,
    StageSpec,
    Writer,
    WriterSpec,
    random_stream,
    spec_preset,
)
from .api import host_for, load_rig, read_rig
from .blocks import in_blocks
from .config import RigFile, apply_override
from .errors import (
    CamrigError,
    ConfigError,
    FrameDropped,
    OutputError,
    PluginError,
    RigDoesNotFit,
    StageError,
    UnknownAccessoryError,
)
from .fit import FitReport, FitRule, Problem, Severity
from .frame import Caps, Format, Frame, FrameMeta, RadialProfile, StageRecord
from .geometry import AngularGrid, FocalPlane, Geometry
from .hookspecs import hookimpl, hookspec
from .host import PLUGIN_API_VERSION, Host, Part, PluginInfo, PluginStatus, Registered
from .output import write_atomically
from .phone import Phone, StreamFrame
from .rig import Rig, assemble
from .router import CaptureResult, StepTiming

__all__ = [
    "Accessory",
    "AccessoryType",
    "AngularGrid",
    "CamrigError",
    "Caps",
    "CapsError",
    "CaptureContext",
    "CaptureResult",
    "ConfigError",
    "FitReport",
    "FitRule",
    "FocalPlane",
    "FrameDropped",
    "Curve",
    "Format",
    "Frame",
    "FrameMeta",
    "Geometry",
    "Host",
    "Kind",
    "Lens",
    "LensSpec",
    "Link",
    "LinkSpec",
    "Measured",
    "Measurement",
    "MeasurementSpec",
    "Mount",
    "MountSpec",
    "OutputError",
    "PLUGIN_API_VERSION",
    "Part",
    "Phone",
    "PluginError",
    "PluginInfo",
    "PluginStatus",
    "Problem",
    "RadialProfile",
    "Registered",
    "Rig",
    "RigDoesNotFit",
    "RigFile",
    "Scene",
    "SceneSpec",
    "Sensor",
    "SensorSpec",
    "Severity",
    "Spec",
    "Stage",
    "StageError",
    "StageRecord",
    "StageSpec",
    "StepTiming",
    "StreamFrame",
    "UnknownAccessoryError",
    "Writer",
    "WriterSpec",
    "__version__",
    "apply_override",
    "assemble",
    "host_for",
    "hookimpl",
    "hookspec",
    "in_blocks",
    "load_rig",
    "random_stream",
    "read_rig",
    "spec_preset",
    "write_atomically",
]
