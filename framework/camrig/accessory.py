"""Accessories: the parts a rig is built from, one base class and one spec base per kind.

An accessory *type* (:class:`AccessoryType`) is what a plugin registers: a qualified name, a kind, a pydantic
spec model and a factory. The factory is usually an import string (``"package.module:Class"``) so that listing
plugins stays cheap and heavy dependencies load only when an accessory is built.

The spec bases below hold the fields the host's fit checks read (mounts, flange distances, image circle, pixel
grid, link bandwidth). A plugin's spec subclasses the base of its kind and adds its own fields. Every spec
forbids unknown fields and every field carries a description with its unit.
"""

from __future__ import annotations

import copy
import importlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import numpy as np
from pydantic import ConfigDict, Field, ValidationError, create_model
from pydantic_core import PydanticUndefined

from .checked import CheckedModel
from .frame import Caps, Frame
from .geometry import AngularGrid, FocalPlane, Geometry

if TYPE_CHECKING:
    from .rig import Rig
    from .router import CaptureResult

__all__ = [
    "Kind",
    "Spec",
    "SceneSpec",
    "LensSpec",
    "MountSpec",
    "SensorSpec",
    "LinkSpec",
    "StageSpec",
    "WriterSpec",
    "AccessoryType",
    "Accessory",
    "Scene",
    "Lens",
    "Mount",
    "Sensor",
    "Link",
    "Stage",
    "Writer",
    "CaptureContext",
    "CapsError",
    "QUALIFIED_NAME",
    "spec_preset",
    "random_stream",
]

QUALIFIED_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
"""Accessory names are ``family.name``, lower case, e.g. ``optics.ideal``."""


class Kind(StrEnum):
    """The kind of part an accessory is (DESIGN.md, 'Words')."""

    SCENE = "scene"
    LENS = "lens"
    MOUNT = "mount"
    SENSOR = "sensor"
    LINK = "link"
    STAGE = "stage"
    WRITER = "writer"
    MEASUREMENT = "measurement"


class Spec(CheckedModel):
    """Base of every accessory spec: validated, immutable, unknown fields rejected; numbers are numbers (no
    booleans, no NaN, no infinity unless the field's default is infinite: :class:`camrig.checked.CheckedModel`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SceneSpec(Spec):
    """Base spec of scenes."""


class LensSpec(Spec):
    """Base spec of lenses: what the fit checks read."""

    mount: str = Field(description="Lens mount name, e.g. 'MFT', 'EF' (compared verbatim along the chain).")
    flange_distance_mm: float = Field(
        gt=0, description="Flange focal distance the lens is designed for (mount face to image plane), mm."
    )
    image_circle_mm: float = Field(gt=0, description="Diameter of the image circle the lens covers, mm.")


class MountSpec(Spec):
    """Base spec of mounts and adapters."""

    front: str = Field(description="Mount accepted on the front (lens side), e.g. 'EF'.")
    rear: str = Field(description="Mount presented at the rear (body side), e.g. 'MFT'.")
    length_mm: float = Field(ge=0, description="Optical path the part adds between its front and rear mount faces, mm.")
    focal_multiplier: float = Field(
        default=1.0,
        gt=0,
        le=4,
        description="Relay optics: factor on the lens's focal length and f-number (a 0.71x focal reducer: 0.71; "
        "glass-free: 1).",
    )


class SensorSpec(Spec):
    """Base spec of sensor modules: the pixel grid and the lens mount of the module."""

    mount: str = Field(description="Lens mount of the module, e.g. 'MFT'.")
    flange_distance_mm: float = Field(gt=0, description="Module flange focal distance, mm.")
    attachment: str = Field(
        default="camrig-magnetic",
        description="Interface by which the module attaches to the phone (matched against the phone mount).",
    )
    width_px: int = Field(gt=0, description="Active pixels per row.")
    height_px: int = Field(gt=0, description="Active rows.")
    pixel_pitch_um: float = Field(gt=0, description="Pixel pitch, um.")


class LinkSpec(Spec):
    """Base spec of data links between module and phone."""

    bandwidth_gbit_s: float = Field(gt=0, description="Usable payload bandwidth, Gbit/s (1e9 bit/s).")
    latency_ns: float = Field(ge=0, description="One-way latency before the first bit arrives, ns.")


class StageSpec(Spec):
    """Base spec of host processing stages."""


class WriterSpec(Spec):
    """Base spec of file writers."""


class MeasurementSpec(Spec):
    """Base spec of measurements (experiments take them after each capture)."""


SpecT = TypeVar("SpecT", bound=Spec)


def spec_preset(base: type[SpecT], name: str, doc: str, **defaults: Any) -> type[SpecT]:
    """A subclass of ``base`` with other defaults: a preset that stays a fully validated, overridable spec.

    Each changed field keeps its type, range and description; unknown field names raise ``KeyError``. The
    defaults are validated now, so a preset cannot ship a value its own spec rejects:

    >>> MFT = spec_preset(LensSpec, "MFTLensSpec", "A lens for Micro Four Thirds.", mount="MFT",
    ...                   flange_distance_mm=19.25, image_circle_mm=21.6)
    >>> MFT().mount, MFT(image_circle_mm=30).image_circle_mm
    ('MFT', 30.0)
    >>> spec_preset(LensSpec, "BadSpec", "", flange_distance_mm=-1)
    Traceback (most recent call last):
    ...
    ValueError: preset BadSpec: its defaults fail validation: ...
    >>> spec_preset(LensSpec, "TypoSpec", "", f_numbr=2)
    Traceback (most recent call last):
    ...
    KeyError: "LensSpec has no field 'f_numbr'"
    """
    fields: dict[str, Any] = {}
    for key, value in defaults.items():
        if key not in base.model_fields:
            raise KeyError(f"{base.__name__} has no field {key!r}")
        info = copy.copy(base.model_fields[key])
        if isinstance(value, (list, dict, set)):  # a fresh copy per spec: no shared mutable default
            info.default = PydanticUndefined
            info.default_factory = lambda value=value: copy.deepcopy(value)
        else:
            info.default, info.default_factory = value, None
        fields[key] = (info.annotation, info)
    preset = create_model(name, __base__=base, __doc__=doc, **fields)  # type: ignore[call-overload]
    try:
        preset.model_validate(copy.deepcopy(defaults))  # as values: pydantic leaves defaults unchecked
    except ValidationError as exc:
        required = {e["loc"][0] for e in exc.errors() if e["type"] == "missing"}
        if len(required) != len(exc.errors()):
            raise ValueError(f"preset {name}: its defaults fail validation: {exc}") from None
    return preset  # type: ignore[no-any-return]


class CapsError(ValueError):
    """Raised by :meth:`Accessory.negotiate` when it cannot accept what its upstream neighbour produces."""


class Leftover:
    """The memory of a frame that is gone, which the host keeps for one of the capture's next fresh arrays
    (:meth:`CaptureContext.empty`): a big frame's pages then need not be faulted in again. Holds one array at
    a time; it lives as long as the capture's context."""

    __slots__ = ("array",)

    def __init__(self) -> None:
        self.array: np.ndarray | None = None

    def keep(self, array: np.ndarray) -> None:
        """Keep ``array`` (C-contiguous, owning its memory, held by nobody else) unless one is kept already."""
        if self.array is None and array.flags.c_contiguous:
            self.array = array

    def take(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray | None:
        """The kept memory as an uninitialised ``shape`` x ``dtype`` array, when it holds that and is at most
        twice as big (a small request leaves it for a big one); it is then no longer kept."""
        kept, dtype = self.array, np.dtype(dtype)
        need = int(np.prod(shape)) * dtype.itemsize
        if kept is None or not need <= kept.nbytes <= 2 * need:
            return None
        self.array = None
        return kept.reshape(-1).view(np.uint8)[:need].view(dtype).reshape(shape)


@dataclass(frozen=True)
class CaptureContext:
    """What one capture asks for, handed to every accessory in the chain."""

    exposure_s: float
    """Exposure time, s."""
    seed: int
    """Seed of the capture; use :meth:`rng` rather than seeding your own generator."""
    geometry: Geometry
    """The rig's focal plane and view."""
    options: dict[str, Any] = field(default_factory=dict)
    """Further capture settings from the config (free-form, for plugins that need them)."""
    threads: int = 1
    """Threads an accessory may use for this capture (the host's ``threads``: by default every core this
    process may run on; fewer when several captures run side by side, as in an experiment)."""
    reusable: np.ndarray | None = None
    """The memory of the input frame's array, handed over writable, or None. The host hands it over only when
    nothing but the chain holds the input (no listener, no caller, no other view: it is dropped as soon as this
    accessory returns), so an accessory may write its output into it instead of a fresh array: same shape,
    dtype and strides as ``frame.data``. Only for computations that stay correct when output overwrites input
    (a pixel's output written after its inputs are read); ignoring it is always right. On a 100 MP frame it
    saves a fresh 1.2 GB array per stage: its page faults and its share of the peak memory."""
    leftover: Leftover = field(default_factory=Leftover, repr=False, compare=False)
    """Memory the host kept from a frame that is gone; take it through :meth:`empty`."""

    def empty(self, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
        """An uninitialised C-contiguous array for an accessory's output: the memory of an earlier frame of this
        capture that nobody holds any more when the host kept one of about that size (its pages already in
        place: at 100 MP a fresh 1.2 GB array costs about half a second of page faults), else ``np.empty``."""
        reused = self.leftover.take(tuple(shape), dtype)
        return np.empty(shape, dtype) if reused is None else reused

    def rng(self, role: str, *keys: int) -> np.random.Generator:
        """A generator for the accessory at ``role`` (and optional sub-``keys``), from the capture seed; see
        :func:`random_stream`."""
        return random_stream(self.seed, role, *keys)


def random_stream(seed: int, role: str, *keys: int) -> np.random.Generator:
    """An independent random stream for (seed, role, *keys): NumPy's PCG64 seeded by a ``SeedSequence`` whose
    spawn key is the role (hashed) and the keys. Each role, and each key below it (a sensor's row tile, say),
    gets its own stream, so adding a stage never changes another stage's noise and work split into keyed
    pieces gives the same numbers whatever the order or the number of workers.

    >>> a = random_stream(7, "sensor", 0).integers(100, size=4)
    >>> bool((a == random_stream(7, "sensor", 0).integers(100, size=4)).all())  # the same stream, again
    True
    >>> bool((a == random_stream(7, "sensor", 1).integers(100, size=4)).all())  # the next row tile's
    False
    """
    role_key = int.from_bytes(role.encode(), "little") % (2**63)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(role_key, *keys))))


class Accessory(ABC, Generic[SpecT]):
    """Base of every accessory. ``spec`` is the validated spec it was built from."""

    kind: ClassVar[Kind]

    def __init__(self, spec: SpecT) -> None:
        self.spec: SpecT = spec


class _FlowAccessory(Accessory[SpecT]):
    """An accessory frames flow through: it negotiates caps, then processes frames."""

    @abstractmethod
    def negotiate(self, upstream: Caps | None, geometry: Geometry) -> Caps:
        """The caps this accessory will produce given its upstream caps; raise :class:`CapsError` if it
        cannot accept them. Called once per rig assembly, before any frame flows."""

    @abstractmethod
    def process(self, frame: Frame | None, ctx: CaptureContext, role: str) -> Frame:
        """Produce the next frame. Never edit ``frame``: return a new one (``frame.derive(...)``)."""


class Scene(_FlowAccessory[SpecT]):
    """Produces spectral radiance on the view's angular grid (format ``radiance``)."""

    kind = Kind.SCENE


class Lens(_FlowAccessory[SpecT]):
    """Maps scene radiance to focal-plane irradiance on the sensor's grid."""

    kind = Kind.LENS

    @abstractmethod
    def view(self, plane: FocalPlane) -> AngularGrid:
        """The directions whose light lands on the pixels of ``plane``."""

    def relayed(self, multiplier: float) -> Lens[Any]:
        """This lens seen through relay optics (a focal reducer or teleconverter) that multiply its focal
        length and f-number by ``multiplier``. Lenses that cannot be relayed keep this default, and a rig that
        puts them behind such an adapter reports it."""
        raise NotImplementedError(f"{type(self).__name__} cannot be used through relay optics")

    def tilted(self, tilt_deg: float, azimuth_deg: float) -> Lens[Any]:
        """This lens with the sensor tilted by ``tilt_deg`` against its image plane, leaning away from the lens
        towards ``azimuth_deg`` (an adapter out of square). Lenses that cannot model it keep this default, and
        a rig that puts them behind a tilted adapter reports it."""
        raise NotImplementedError(f"{type(self).__name__} cannot model a sensor tilted against its image plane")

    @abstractmethod
    def coverage(self, radius_mm: float) -> float:
        """Fraction of the light reaching ``radius_mm`` off-axis that the image circle lets through (1 inside
        the circle, falling to 0 beyond it). Natural cos^4 falloff is *not* included: this answers only
        'does the lens cover this point?'."""


class Mount(Accessory[SpecT]):
    """A mount or adapter: geometry only, no frame passes through it."""

    kind = Kind.MOUNT

    def image_tilt(self) -> tuple[float, float]:
        """(tilt, azimuth) in degrees by which this part, between lens and sensor, holds the lens out of square
        with the sensor: the image plane then leans against the sensor towards the azimuth (from +x, the
        columns, towards +y, the rows). Default (0, 0): square."""
        return 0.0, 0.0


class Sensor(_FlowAccessory[SpecT]):
    """Turns focal-plane irradiance into a raw mosaic in DN."""

    kind = Kind.SENSOR

    def focal_plane(self) -> FocalPlane:
        """The pixel grid this sensor reads out."""
        s = self.spec
        assert isinstance(s, SensorSpec)
        return FocalPlane(width_px=s.width_px, height_px=s.height_px, pitch_um=s.pixel_pitch_um)

    def preview(self) -> Sensor[Any]:
        """This sensor in its preview (live-view) mode; by default the same readout."""
        return self

    def frame_rate_hz(self) -> float | None:
        """Frames per second this sensor delivers in its current mode (a live preview stream is paced to it),
        or None: the rig's ``frame_rate_hz``. A sensor whose preview mode has its own rate returns it from the
        sensor :meth:`preview` gives."""
        return None

    @abstractmethod
    def raw_bytes_per_frame(self) -> int:
        """Bytes one raw frame occupies on the link (packed at the ADC bit depth)."""


class Link(_FlowAccessory[SpecT]):
    """Carries raw frames from the module to the phone, adding modelled transfer time."""

    kind = Kind.LINK


class Stage(_FlowAccessory[SpecT]):
    """A host image-processing stage."""

    kind = Kind.STAGE


class Writer(Accessory[SpecT]):
    """Writes a frame to a file."""

    kind = Kind.WRITER

    @abstractmethod
    def accepts(self, caps: Caps) -> str | None:
        """``None`` if this writer can write frames with ``caps``, else the reason it cannot."""

    @abstractmethod
    def write(self, frame: Frame, path: Path) -> None:
        """Write ``frame`` to ``path``. The host hands over a temporary path and moves it into place
        atomically, so a writer never needs to care about partial files."""

    def write_animation(self, frames: list[Frame], path: Path, frame_rate_hz: float) -> None:
        """Write ``frames`` as one animated file; writers that cannot animate keep this default."""
        raise NotImplementedError(f"{type(self).__name__} cannot write animations")


@dataclass(frozen=True)
class Curve:
    """A measured curve (e.g. MTF against frequency) to plot: x and y with their labels."""

    x: list[float]
    y: list[float]
    x_label: str
    y_label: str


@dataclass(frozen=True)
class Measured:
    """What a measurement found: scalar ``values`` (one column each in an experiment's table; name the unit
    in the key, e.g. 'mtf50_cy_px') and ``curves`` to plot."""

    values: dict[str, float]
    curves: dict[str, Curve] = field(default_factory=dict)


class Measurement(Accessory[SpecT]):
    """Measures a quality of a rig from one capture (and may take more captures through the rig)."""

    kind = Kind.MEASUREMENT

    @abstractmethod
    def measure(self, rig: Rig, shot: CaptureResult) -> Measured:
        """Measure ``shot`` (a :class:`~camrig.CaptureResult`) of ``rig`` (a :class:`~camrig.Rig`)."""


KIND_BASES: dict[Kind, tuple[type[Accessory[Any]], type[Spec]]] = {
    Kind.SCENE: (Scene, SceneSpec),
    Kind.LENS: (Lens, LensSpec),
    Kind.MOUNT: (Mount, MountSpec),
    Kind.SENSOR: (Sensor, SensorSpec),
    Kind.LINK: (Link, LinkSpec),
    Kind.STAGE: (Stage, StageSpec),
    Kind.WRITER: (Writer, WriterSpec),
    Kind.MEASUREMENT: (Measurement, MeasurementSpec),
}


@dataclass(frozen=True)
class AccessoryType:
    """What a plugin registers: one kind of part camrig can build.

    ``factory`` is a callable taking the validated spec, or an import string ``"module:attr"`` resolved only
    when the accessory is first built (keep heavy imports out of listing).
    """

    name: str
    """Qualified name ``family.name``, e.g. ``optics.ideal``."""
    kind: Kind
    """Which kind of part this is."""
    spec: type[Spec]
    """The pydantic model of the accessory's spec; must subclass the spec base of its kind."""
    factory: str | Callable[[Any], Accessory[Any]]
    """Builds the accessory from a validated spec."""
    summary: str = ""
    """One line shown by ``camrig plugins``."""
    suffixes: tuple[str, ...] = ()
    """Writers only: file suffixes handled, lower case with the dot, e.g. ``('.png',)``."""

    def problems(self) -> list[str]:
        """Why this registration is invalid (empty when it is valid)."""
        found = []
        if not isinstance(self.name, str) or not QUALIFIED_NAME.match(self.name):
            found.append(f"name {self.name!r} is not a qualified 'family.name' (lower case)")
        try:
            kind = Kind(self.kind)
        except ValueError:
            return [*found, f"kind {self.kind!r} is not one of {[k.value for k in Kind]}"]
        spec_base = KIND_BASES[kind][1]
        if not (isinstance(self.spec, type) and issubclass(self.spec, spec_base)):
            found.append(f"spec {self.spec!r} is not a subclass of camrig.{spec_base.__name__}")
        elif self.spec.model_config.get("extra") != "forbid":
            found.append(f"spec {self.spec.__name__} must forbid unknown fields (extra='forbid')")
        if isinstance(self.factory, str):
            if ":" not in self.factory:
                found.append(f"factory {self.factory!r} is not an import string 'module:attr'")
        elif not callable(self.factory):
            found.append(f"factory {self.factory!r} is neither callable nor an import string")
        if kind is Kind.WRITER and not self.suffixes:
            found.append("a writer must declare the file suffixes it handles")
        return found

    def load_factory(self) -> Callable[[Any], Accessory[Any]]:
        """The factory, importing it on first use."""
        if not isinstance(self.factory, str):
            return self.factory
        module, _, attr = self.factory.partition(":")
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj  # type: ignore[no-any-return]
