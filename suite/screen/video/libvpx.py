"""VP9 real-time encoding through libvpx directly (ctypes), for the speed FFmpeg refuses.

FFmpeg 8.1 (PyAV's wheel) limits libvpx-vp9's ``cpu-used`` to -8..8, though the libvpx it
bundles (1.16) has real-time speed 9 (``-9..9``; 10 is clamped to 9). Speed 9 keeps only the
DC intra mode on delta frames, no partitions below 16x16, coarser sub-pixel motion search and
bilinear interpolation on moving content: docs/performance.md measures what that saves.

This module binds the few functions of libvpx's encoder API that we use, on the very library
PyAV's wheel ships (``av.libs/libvpx-*.so*``; PyInstaller bundles it with ``av``). The structs
are laid out as in libvpx 1.16's public headers (``vpx/vpx_encoder.h``, ``vpx/vpx_image.h``,
``vpx/vpx_codec.h``): only the leading fields we set are named, the rest is room. Whether the
library matches is checked before any encoder is used: ``vpx_codec_enc_init_ver`` refuses a
different ABI version (``VPX_CODEC_ABI_MISMATCH``), and the default configuration must read
back libvpx's documented VP9 defaults through our field offsets. Anything else (no library,
another ABI, an error) raises :class:`LibvpxUnavailable`: the caller falls back to FFmpeg's
encoder (:class:`.encoder.VideoEncoder`).

The encoder is set up as FFmpeg's libvpx-vp9 wrapper sets it up for our options (the same
bitstream the viewers decode today; at speed 8 the two give the same bytes, a unit test checks
it): one pass, VBR at the target bitrate, no look-ahead, key frames only when asked for,
BT.709 limited range signalled, ``row-mt``, the given threads, the real-time deadline.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import sys
import weakref
from collections.abc import Callable
from typing import Any

import av
from av.video.reformatter import VideoReformatter

from suite.screen.video.encoder import Encoder, VideoEncoder
from suite.screen.video_frame import VideoCodec

logger = logging.getLogger(__name__)

# libvpx 1.16: VPX_ENCODER_ABI_VERSION = 18 + VPX_CODEC_ABI_VERSION (4 + VPX_IMAGE_ABI_VERSION
# 5) + VPX_EXT_RATECTRL_ABI_VERSION (7 + VPX_TPL_ABI_VERSION 5).
ENCODER_ABI_VERSION = 39
# vp8cx.h's control ids (enum vp8e_enc_control_id) and the other constants we use.
VP8E_SET_CPUUSED = 13
VP9E_SET_TILE_COLUMNS = 33
VP9E_SET_COLOR_SPACE = 46
VP9E_SET_COLOR_RANGE = 51
VP9E_SET_ROW_MT = 55
VPX_CS_BT_709 = 2
VPX_CR_STUDIO_RANGE = 0
VPX_IMG_FMT_I420 = 0x102
VPX_CODEC_CX_FRAME_PKT = 0
VPX_FRAME_IS_KEY = 0x1
VPX_EFLAG_FORCE_KF = 0x1
VPX_DL_REALTIME = 1
VPX_KF_AUTO = 1
VPX_VBR = 0
VPX_CODEC_OK = 0
VPX_CODEC_ABI_MISMATCH = 3
# The fastest real-time speed libvpx's VP9 encoder has (FFmpeg's path stops at 8).
SPEED = 9
THREADS = 2
# sizeof(vpx_codec_enc_cfg_t) is 504 in libvpx 1.16; the buffer has room beyond it, so that a
# newer, larger struct cannot be overrun by vpx_codec_enc_config_default before
# vpx_codec_enc_init_ver refuses its ABI version.
_CFG_BYTES = 504
_CFG_ROOM = 2048


class _Rational(ctypes.Structure):
    _fields_ = [("num", ctypes.c_int), ("den", ctypes.c_int)]


class _FixedBuf(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("sz", ctypes.c_size_t)]


class EncConfig(ctypes.Structure):
    """vpx_codec_enc_cfg_t's leading fields (through kf_max_dist), then room."""

    _fields_ = [
        ("g_usage", ctypes.c_uint),
        ("g_threads", ctypes.c_uint),
        ("g_profile", ctypes.c_uint),
        ("g_w", ctypes.c_uint),
        ("g_h", ctypes.c_uint),
        ("g_bit_depth", ctypes.c_int),
        ("g_input_bit_depth", ctypes.c_uint),
        ("g_timebase", _Rational),
        ("g_error_resilient", ctypes.c_uint32),
        ("g_pass", ctypes.c_int),
        ("g_lag_in_frames", ctypes.c_uint),
        ("rc_dropframe_thresh", ctypes.c_uint),
        ("rc_resize_allowed", ctypes.c_uint),
        ("rc_scaled_width", ctypes.c_uint),
        ("rc_scaled_height", ctypes.c_uint),
        ("rc_resize_up_thresh", ctypes.c_uint),
        ("rc_resize_down_thresh", ctypes.c_uint),
        ("rc_end_usage", ctypes.c_int),
        ("rc_twopass_stats_in", _FixedBuf),
        ("rc_firstpass_mb_stats_in", _FixedBuf),
        ("rc_target_bitrate", ctypes.c_uint),
        ("rc_min_quantizer", ctypes.c_uint),
        ("rc_max_quantizer", ctypes.c_uint),
        ("rc_undershoot_pct", ctypes.c_uint),
        ("rc_overshoot_pct", ctypes.c_uint),
        ("rc_buf_sz", ctypes.c_uint),
        ("rc_buf_initial_sz", ctypes.c_uint),
        ("rc_buf_optimal_sz", ctypes.c_uint),
        ("rc_2pass_vbr_bias_pct", ctypes.c_uint),
        ("rc_2pass_vbr_minsection_pct", ctypes.c_uint),
        ("rc_2pass_vbr_maxsection_pct", ctypes.c_uint),
        ("rc_2pass_vbr_corpus_complexity", ctypes.c_uint),
        ("kf_mode", ctypes.c_int),
        ("kf_min_dist", ctypes.c_uint),
        ("kf_max_dist", ctypes.c_uint),
        ("_room", ctypes.c_uint8 * (_CFG_ROOM - 172)),
    ]


class CodecContext(ctypes.Structure):
    """vpx_codec_ctx_t (56 bytes on 64-bit platforms)."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("iface", ctypes.c_void_p),
        ("err", ctypes.c_int),
        ("err_detail", ctypes.c_char_p),
        ("init_flags", ctypes.c_long),
        ("config", ctypes.c_void_p),
        ("priv", ctypes.c_void_p),
    ]


class Image(ctypes.Structure):
    """vpx_image_t (136 bytes on 64-bit platforms)."""

    _fields_ = [
        ("fmt", ctypes.c_int),
        ("cs", ctypes.c_int),
        ("range", ctypes.c_int),
        ("w", ctypes.c_uint),
        ("h", ctypes.c_uint),
        ("bit_depth", ctypes.c_uint),
        ("d_w", ctypes.c_uint),
        ("d_h", ctypes.c_uint),
        ("r_w", ctypes.c_uint),
        ("r_h", ctypes.c_uint),
        ("x_chroma_shift", ctypes.c_uint),
        ("y_chroma_shift", ctypes.c_uint),
        ("planes", ctypes.c_void_p * 4),
        ("stride", ctypes.c_int * 4),
        ("bps", ctypes.c_int),
        ("user_priv", ctypes.c_void_p),
        ("img_data", ctypes.c_void_p),
        ("img_data_owner", ctypes.c_int),
        ("self_allocd", ctypes.c_int),
        ("fb_priv", ctypes.c_void_p),
    ]


class _FramePacket(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("sz", ctypes.c_size_t),
        ("pts", ctypes.c_int64),
        ("duration", ctypes.c_ulong),
        ("flags", ctypes.c_uint32),
    ]


class Packet(ctypes.Structure):
    """vpx_codec_cx_pkt_t: the kind, then (at offset 8) the frame member of its union."""

    _fields_ = [("kind", ctypes.c_int), ("frame", _FramePacket), ("_pad", ctypes.c_uint8 * 88)]


class LibvpxUnavailable(RuntimeError):
    """libvpx cannot be used directly here (missing, another ABI, an error)."""


def library_candidates() -> list[str]:
    """Where PyAV's wheel keeps its libvpx: ``av.libs`` beside the ``av`` package on Linux
    (auditwheel) and Windows (delvewheel), ``av/.dylibs`` on macOS (delocate); PyInstaller
    keeps the same folders under ``_internal``. Newest name first."""
    package = os.path.dirname(os.path.abspath(av.__file__))
    site = os.path.dirname(package)
    patterns = [
        os.path.join(site, "av.libs", "libvpx*.so*"),
        os.path.join(site, "av.libs", "*vpx*.dll"),
        os.path.join(package, ".dylibs", "libvpx*.dylib"),
    ]
    if getattr(sys, "frozen", False):  # a PyInstaller build: also its own top folder
        root = getattr(sys, "_MEIPASS", site)
        patterns += [os.path.join(root, "libvpx*.so*"), os.path.join(root, "*vpx*.dll")]
    found: list[str] = []
    for pattern in patterns:
        found += sorted(glob.glob(pattern), reverse=True)
    return found


class Libvpx:
    """The loaded library, its functions typed, its ABI checked (see the module's text)."""

    def __init__(self, path: str) -> None:
        if ctypes.sizeof(ctypes.c_void_p) != 8:
            raise LibvpxUnavailable("the struct layouts are those of a 64-bit platform")
        try:
            lib = ctypes.CDLL(path)
        except OSError as error:
            raise LibvpxUnavailable(f"cannot load {path}: {error}") from error
        self.path = path
        try:
            self._type(lib)
        except AttributeError as error:
            raise LibvpxUnavailable(f"{path} lacks {error}") from error
        self.lib = lib
        self.version = (lib.vpx_codec_version_str() or b"?").decode("ascii", "replace")
        self.iface = lib.vpx_codec_vp9_cx()
        if not self.iface:
            raise LibvpxUnavailable(f"{path} ({self.version}) has no VP9 encoder")
        cfg = self.default_config()
        readback = (cfg.g_w, cfg.g_h, cfg.g_timebase.num, cfg.g_timebase.den,
                    cfg.rc_max_quantizer, cfg.rc_buf_sz)  # fmt: skip
        if readback != (320, 240, 1, 30, 63, 6000):
            raise LibvpxUnavailable(
                f"{path} ({self.version}): the default configuration reads {readback}, not "
                "libvpx 1.16's VP9 defaults: another struct layout"
            )

    @staticmethod
    def _type(lib: Any) -> None:
        c_int, p = ctypes.c_int, ctypes.POINTER
        lib.vpx_codec_version_str.restype = ctypes.c_char_p
        lib.vpx_codec_vp9_cx.restype = ctypes.c_void_p
        lib.vpx_codec_vp9_cx.argtypes = []
        lib.vpx_codec_enc_config_default.restype = c_int
        lib.vpx_codec_enc_config_default.argtypes = [ctypes.c_void_p, p(EncConfig), ctypes.c_uint]
        lib.vpx_codec_enc_init_ver.restype = c_int
        lib.vpx_codec_enc_init_ver.argtypes = [
            p(CodecContext), ctypes.c_void_p, p(EncConfig), ctypes.c_long, c_int,
        ]  # fmt: skip
        # Variadic (ctx, id, ...): the value is passed as a C int, typed at each call.
        lib.vpx_codec_control_.restype = c_int
        lib.vpx_codec_encode.restype = c_int
        lib.vpx_codec_encode.argtypes = [
            p(CodecContext), p(Image), ctypes.c_int64, ctypes.c_ulong, ctypes.c_long,
            ctypes.c_ulong,
        ]  # fmt: skip
        lib.vpx_codec_get_cx_data.restype = p(Packet)
        lib.vpx_codec_get_cx_data.argtypes = [p(CodecContext), p(ctypes.c_void_p)]
        lib.vpx_codec_destroy.restype = c_int
        lib.vpx_codec_destroy.argtypes = [p(CodecContext)]
        lib.vpx_img_wrap.restype = p(Image)
        lib.vpx_img_wrap.argtypes = [
            p(Image), c_int, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p,
        ]  # fmt: skip
        lib.vpx_codec_err_to_string.restype = ctypes.c_char_p
        lib.vpx_codec_err_to_string.argtypes = [c_int]

    def default_config(self) -> EncConfig:
        cfg = EncConfig()
        status = self.lib.vpx_codec_enc_config_default(self.iface, ctypes.byref(cfg), 0)
        if status != VPX_CODEC_OK:
            raise LibvpxUnavailable(f"vpx_codec_enc_config_default: {self.error(status)}")
        return cfg

    def error(self, status: int) -> str:
        return (self.lib.vpx_codec_err_to_string(status) or b"?").decode("ascii", "replace")


_LOADED: Libvpx | None = None
_FAILURE: str | None = None


def load() -> Libvpx:
    """The library, loaded and checked once per process (raises :class:`LibvpxUnavailable`,
    the same reason every time, when it cannot be used)."""
    global _LOADED, _FAILURE
    if _LOADED is not None:
        return _LOADED
    if _FAILURE is not None:
        raise LibvpxUnavailable(_FAILURE)
    reasons = []
    for path in library_candidates():
        try:
            _LOADED = Libvpx(path)
            return _LOADED
        except LibvpxUnavailable as error:
            reasons.append(str(error))
    _FAILURE = "; ".join(reasons) or "no libvpx beside PyAV (av.libs, av/.dylibs)"
    raise LibvpxUnavailable(_FAILURE)


class Vp9Encoder:
    """The :class:`.encoder.VideoEncoder` interface on libvpx directly: VP9 only.

    Args:
        width, height: the region on the screen (even).
        coded_w, coded_h: the size of the encoded picture (even).
        bitrate_bps: the rate control's target.
        fps: the expected frame rate (rate control; the durations of the frames).
        speed: libvpx's ``cpu-used`` (5..9 are its real-time speeds).
        library: a loaded :class:`Libvpx` (None: :func:`load`).

    Raises:
        LibvpxUnavailable: the library is missing, of another ABI, or refuses the settings.
    """

    codec = VideoCodec.VP9

    def __init__(
        self,
        width: int,
        height: int,
        coded_w: int,
        coded_h: int,
        bitrate_bps: int,
        fps: int = 30,
        speed: int = SPEED,
        library: Libvpx | None = None,
        threads: int = THREADS,
    ) -> None:
        vpx = library or load()
        self._vpx = vpx
        self.width, self.height = width, height
        self.coded_w, self.coded_h = coded_w, coded_h
        self.speed = speed
        cfg = vpx.default_config()
        cfg.g_w, cfg.g_h = coded_w, coded_h
        cfg.g_threads = threads
        cfg.g_timebase.num, cfg.g_timebase.den = 1, 1000  # pts in ms (capture times)
        cfg.g_lag_in_frames = 0
        cfg.g_error_resilient = 0
        cfg.rc_end_usage = VPX_VBR
        cfg.rc_target_bitrate = max(1, round(bitrate_bps / 1000))  # kbit/s
        cfg.kf_mode = VPX_KF_AUTO
        cfg.kf_max_dist = 2**30  # key frames only when asked for (a new viewer, a lost frame)
        self._ctx = CodecContext()
        lib = vpx.lib
        status = lib.vpx_codec_enc_init_ver(
            ctypes.byref(self._ctx), vpx.iface, ctypes.byref(cfg), 0, ENCODER_ABI_VERSION
        )
        if status != VPX_CODEC_OK:
            raise LibvpxUnavailable(f"vpx_codec_enc_init_ver: {self._detail(status)}")
        self._finalizer = weakref.finalize(self, lib.vpx_codec_destroy, ctypes.byref(self._ctx))
        for control, value in (
            (VP8E_SET_CPUUSED, speed),
            (VP9E_SET_ROW_MT, 1),
            (VP9E_SET_COLOR_SPACE, VPX_CS_BT_709),
            (VP9E_SET_COLOR_RANGE, VPX_CR_STUDIO_RANGE),
        ):
            status = lib.vpx_codec_control_(
                ctypes.byref(self._ctx), ctypes.c_int(control), ctypes.c_int(value)
            )
            if status != VPX_CODEC_OK:
                self.close()
                raise LibvpxUnavailable(f"control {control}={value}: {self._detail(status)}")
        self._image = Image()
        # Sizes and format only: the planes are each picture's, set in encode().
        lib.vpx_img_wrap(
            ctypes.byref(self._image), VPX_IMG_FMT_I420, coded_w, coded_h, 1, ctypes.c_void_p(1)
        )
        self._image.cs, self._image.range = VPX_CS_BT_709, VPX_CR_STUDIO_RANGE
        self._duration = max(1, round(1000 / fps))
        self._scaler = VideoReformatter()  # kept: swscale's context built once (see to_yuv)
        self._pts = -1
        self.frames = 0

    def _detail(self, status: int) -> str:
        detail = self._ctx.err_detail
        text = self._vpx.error(status)
        return f"{text} ({detail.decode('ascii', 'replace')})" if detail else text

    def close(self) -> None:
        """Frees libvpx's encoder now (otherwise when the object is collected)."""
        self._finalizer()

    def encode(
        self, picture: av.VideoFrame, pts_ms: float, key: bool = False
    ) -> tuple[bytes, bool]:
        """As :meth:`.encoder.VideoEncoder.encode`: a yuv420p picture (scaled here to the
        coded size) in, (packet bytes, is a key frame) out."""
        if not self._finalizer.alive:
            raise ValueError("encoder closed")
        if (picture.width, picture.height) != (self.coded_w, self.coded_h):
            picture = self._scaler.reformat(picture, width=self.coded_w, height=self.coded_h)
        if picture.format.name != "yuv420p":
            picture = self._scaler.reformat(picture, format="yuv420p")
        pts = max(int(pts_ms), self._pts + 1)
        self._pts = pts
        image = self._image
        for index in range(3):
            plane = picture.planes[index]
            image.planes[index] = plane.buffer_ptr
            image.stride[index] = plane.line_size
        flags = VPX_EFLAG_FORCE_KF if key or self.frames == 0 else 0
        lib = self._vpx.lib
        ctx = ctypes.byref(self._ctx)
        status = lib.vpx_codec_encode(
            ctx, ctypes.byref(image), pts, self._duration, flags, VPX_DL_REALTIME
        )
        image.planes[0] = image.planes[1] = image.planes[2] = None  # not kept past the call
        if status != VPX_CODEC_OK:
            raise RuntimeError(f"vpx_codec_encode: {self._detail(status)}")
        self.frames += 1
        chunks = []
        is_key = False
        cursor = ctypes.c_void_p()
        while True:
            packet = lib.vpx_codec_get_cx_data(ctx, ctypes.byref(cursor))
            if not packet:
                break
            if packet.contents.kind != VPX_CODEC_CX_FRAME_PKT:
                continue
            frame = packet.contents.frame
            chunks.append(ctypes.string_at(frame.buf, frame.sz))
            is_key = is_key or bool(frame.flags & VPX_FRAME_IS_KEY)
        return b"".join(chunks), is_key


def encoder_factory(speed: int = SPEED) -> Callable[[VideoCodec, int, int, int, int, int], Encoder]:
    """The presenter's encoder maker for :class:`.hybrid.MotionVideo`: VP9 layers through
    libvpx directly at ``speed`` where the library loads and matches, FFmpeg's encoder
    (cpu-used 8) otherwise, and for any encoder libvpx refuses. Logs which, once a call."""
    try:
        library = load()
    except LibvpxUnavailable as error:
        logger.info("VP9 through FFmpeg at cpu-used 8: libvpx directly unavailable: %s", error)
        return VideoEncoder
    logger.info("VP9 through libvpx %s directly at speed %d (%s)", library.version, speed,
                library.path)  # fmt: skip

    def make(codec: VideoCodec, width: int, height: int, coded_w: int, coded_h: int,
             bitrate_bps: int) -> Encoder:  # fmt: skip
        if codec is VideoCodec.VP9:
            try:
                return Vp9Encoder(width, height, coded_w, coded_h, bitrate_bps, speed=speed,
                                  library=library)  # fmt: skip
            except LibvpxUnavailable as error:
                logger.warning("libvpx refused a %dx%d VP9 encoder, FFmpeg's instead: %s",
                               coded_w, coded_h, error)  # fmt: skip
        return VideoEncoder(codec, width, height, coded_w, coded_h, bitrate_bps)

    return make
