"""Bayer demosaicking: bilinear, Malvar-He-Cutler (2004) and Menon et al. (2007, DDFAPD).

Every method returns (rows, cols, 3) float32 in R, G, B order for any of the four Bayer orders. Borders are
treated by mirroring the mosaic about its first and last sample (``numpy.pad(mode="reflect")``), which keeps
the CFA phase: a red site's mirrored neighbours are red sites again. (colour-demosaicing's bilinear and
Malvar filters use scipy's half-sample ``reflect`` mode instead, which mixes colours in the outer two rows
and columns; inside them the results are the same.)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from camrig import in_blocks

BAYER = ("RGGB", "BGGR", "GRBG", "GBRG")


def _check(mosaic: np.ndarray, cfa: str, method: str) -> None:
    if cfa not in BAYER:
        raise ValueError(f"cannot demosaic CFA {cfa!r} with {method}; supported: {', '.join(BAYER)}")
    if mosaic.ndim != 2:
        raise ValueError(f"{method} demosaic takes a 2-D mosaic, got shape {mosaic.shape}")
    if mosaic.shape[0] % 2 or mosaic.shape[1] % 2 or min(mosaic.shape) < 4:
        raise ValueError(
            f"cannot demosaic a {mosaic.shape[0]}x{mosaic.shape[1]} mosaic: sizes must be even and at least 4"
        )


def _neighbour_pair(site: int, out: int) -> tuple[int, int]:
    """Offsets (in quarter-plane samples) of the two same-colour neighbours of output phase ``out`` along one
    axis, for a colour whose sites have phase ``site`` on that axis."""
    return (0, 1) if out > site else (-1, 0)


def bilinear_demosaic(mosaic: np.ndarray, cfa: str, threads: int = 1) -> np.ndarray:
    """Bilinear interpolation of a Bayer mosaic: each missing sample is the mean of its nearest same-colour
    neighbours, i.e. the convolution of each colour's sparse plane with [[1,2,1],[2,4,2],[1,2,1]]/4 (R, B) or
    [[0,1,0],[1,4,1],[0,1,0]]/4 (G), borders mirrored (e.g. R. Ramanath et al., "Demosaicking methods for
    Bayer color arrays", J. Electron. Imaging 11(3), 2002). Computed per CFA phase on quarter-size planes (the
    mirrored border is then edge padding of each plane, for even sizes): only the averages that exist are
    summed. Returns (rows, cols, 3) float32 in R, G, B order."""
    _check(mosaic, cfa, "bilinear")
    h, w = mosaic.shape
    sites = {c: [(i // 2, i % 2) for i, ch in enumerate(cfa) if ch == c] for c in "RGB"}
    out = np.empty((h, w, 3), dtype=np.float32)
    planes = {}
    for c in "RGB":
        for sy, sx in sites[c]:
            planes[(sy, sx)] = np.pad(mosaic[sy::2, sx::2].astype(np.float32, copy=False), 1, mode="edge")
    h2, w2 = h // 2, w // 2

    def at(site, oy, ox):
        p = planes[site]
        return p[1 + oy : 1 + oy + h2, 1 + ox : 1 + ox + w2]

    for ch, c in enumerate("RGB"):
        for py in (0, 1):
            for px in (0, 1):
                target = out[py::2, px::2, ch]
                if c != "G":
                    ((sy, sx),) = sites[c]
                    if (py, px) == (sy, sx):
                        target[...] = at((sy, sx), 0, 0)
                    elif py == sy:
                        a, b = _neighbour_pair(sx, px)
                        np.add(at((sy, sx), 0, a), at((sy, sx), 0, b), out=target)
                        target *= 0.5
                    elif px == sx:
                        a, b = _neighbour_pair(sy, py)
                        np.add(at((sy, sx), a, 0), at((sy, sx), b, 0), out=target)
                        target *= 0.5
                    else:
                        (ya, yb), (xa, xb) = _neighbour_pair(sy, py), _neighbour_pair(sx, px)
                        np.add(at((sy, sx), ya, xa), at((sy, sx), ya, xb), out=target)
                        target += at((sy, sx), yb, xa)
                        target += at((sy, sx), yb, xb)
                        target *= 0.25
                else:
                    if (py, px) in sites["G"]:
                        target[...] = at((py, px), 0, 0)
                        continue
                    row_site = next(s for s in sites["G"] if s[0] == py)
                    col_site = next(s for s in sites["G"] if s[1] == px)
                    a, b = _neighbour_pair(row_site[1], px)
                    c1, c2 = _neighbour_pair(col_site[0], py)
                    np.add(at(row_site, 0, a), at(row_site, 0, b), out=target)
                    target += at(col_site, c1, 0)
                    target += at(col_site, c2, 0)
                    target *= 0.25
    return out


# Malvar, He and Cutler (2004), "High-quality linear interpolation for demosaicing of Bayer-patterned color
# images", Proc. ICASSP, vol. 3, pp. 485-488: gradient-corrected bilinear filters, Fig. 2 (weights x 1/8).
_RED_SITE, _BLUE_SITE, _GREEN_IN_RED_ROW, _GREEN_IN_BLUE_ROW = 0, 1, 2, 3


@njit(nogil=True, cache=True)
def _malvar_into(p: np.ndarray, kinds: np.ndarray, out: np.ndarray) -> None:
    """Malvar's filters at every pixel of ``out`` (rows, cols, 3) from the mosaic ``p`` mirrored by 2 samples;
    ``kinds[y % 2, x % 2]`` says what each CFA phase is (the module's ``_*_SITE`` codes)."""
    h, w = out.shape[0], out.shape[1]
    f = np.float32
    for y in range(h):
        yy = y + 2
        for x in range(w):
            xx = x + 2
            c = p[yy, xx]
            kind = kinds[y & 1, x & 1]
            d = p[yy - 1, xx - 1] + p[yy - 1, xx + 1] + p[yy + 1, xx - 1] + p[yy + 1, xx + 1]
            h2 = p[yy, xx - 2] + p[yy, xx + 2]
            v2 = p[yy - 2, xx] + p[yy + 2, xx]
            if kind == _RED_SITE or kind == _BLUE_SITE:
                s1 = p[yy, xx - 1] + p[yy, xx + 1] + p[yy - 1, xx] + p[yy + 1, xx]
                s2 = h2 + v2
                green = f(4 / 8) * c + f(2 / 8) * s1 - f(1 / 8) * s2
                other = f(6 / 8) * c + f(2 / 8) * d - f(1.5 / 8) * s2
                out[y, x, 1] = green
                out[y, x, 0] = c if kind == _RED_SITE else other
                out[y, x, 2] = other if kind == _RED_SITE else c
            else:
                common = f(5 / 8) * c - f(1 / 8) * d
                along_row = common + f(4 / 8) * (p[yy, xx - 1] + p[yy, xx + 1]) - f(1 / 8) * h2 + f(0.5 / 8) * v2
                along_col = common + f(4 / 8) * (p[yy - 1, xx] + p[yy + 1, xx]) - f(1 / 8) * v2 + f(0.5 / 8) * h2
                out[y, x, 1] = c
                out[y, x, 0] = along_row if kind == _GREEN_IN_RED_ROW else along_col
                out[y, x, 2] = along_col if kind == _GREEN_IN_RED_ROW else along_row


def malvar2004_demosaic(mosaic: np.ndarray, cfa: str, threads: int = 1, out: np.ndarray | None = None) -> np.ndarray:
    """Malvar-He-Cutler gradient-corrected linear demosaicking (ICASSP 2004): bilinear interpolation plus a
    Laplacian correction from the site's own colour, i.e. the four 5x5 filters of their Fig. 2 (x 1/8):

    - green at a red/blue site c:   (4 c + 2 S1 - S2) / 8
    - the other chroma there:       (6 c + 2 D - 3/2 S2) / 8
    - at a green site g, the chroma of its row neighbours: (5 g + 4 H1 - H2 - D + V2 / 2) / 8, and of its column
      neighbours the same with H and V swapped,

    with S1, S2 the sums of the four samples 1 and 2 away along rows and columns, H1/H2 (V1/V2) their row
    (column) halves, and D the sum of the four diagonal neighbours. One compiled pass over the pixels, in
    blocks of rows on ``threads`` threads, into ``out`` (rows, cols, 3 float32) when given."""
    _check(mosaic, cfa, "Malvar 2004")
    mosaic = mosaic.astype(np.float32, copy=False)
    kinds = np.empty((2, 2), np.int64)
    for i, site in enumerate(cfa):
        py, px = divmod(i, 2)
        if site != "G":
            kinds[py, px] = _RED_SITE if site == "R" else _BLUE_SITE
        else:
            kinds[py, px] = _GREEN_IN_RED_ROW if cfa[2 * py + (1 - px)] == "R" else _GREEN_IN_BLUE_ROW
    if out is None:
        out = np.empty((*mosaic.shape, 3), dtype=np.float32)

    piece = max(PAD_ROWS, PIECE_BYTES // (4 * (mosaic.shape[1] + 4)))  # a preview frame is one piece
    piece -= piece % 2  # each piece starts on an even row: the filters read the CFA's phase from its first row

    def work(a: int, b: int) -> None:
        for top in range(a, b, piece):  # each piece mirrored by 2 samples on its own: no padded copy of the frame
            _malvar_into(_mirrored_rows(mosaic, top, min(b, top + piece), 2), kinds, out[top : min(b, top + piece)])

    in_blocks(len(out), threads, work, align=2)
    return out


PAD_ROWS = 256
"""Fewest rows of the mosaic mirrored and filtered at a time."""
PIECE_BYTES = 16 << 20
"""Bytes of mirrored mosaic a piece may hold: a 100 MP frame goes in pieces of a few hundred rows, a preview
frame in one (each piece costs a small copy and a call)."""


def _mirrored_rows(a: np.ndarray, top: int, stop: int, r: int) -> np.ndarray:
    """Rows ``top``..``stop`` of ``a`` with ``r`` samples around them: the neighbouring rows where the frame has
    them, mirrored ('reflect', as ``np.pad``) at the frame's own edges; columns mirrored by ``r``. The
    same values as ``np.pad(a, r, mode='reflect')[top : stop + 2 r]``."""
    first, last = max(0, top - r), min(len(a), stop + r)
    piece = np.pad(a[first:last], ((r - (top - first), r - (last - stop)), (r, r)), mode="reflect")
    return piece


def _shift(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """a[y + dy, x + dx] for every (y, x), the array mirrored at its borders (numpy 'reflect')."""
    r = max(abs(dy), abs(dx))
    p = np.pad(a, r, mode="reflect")
    return p[r + dy : r + dy + a.shape[0], r + dx : r + dx + a.shape[1]]


def menon2007_demosaic(mosaic: np.ndarray, cfa: str, threads: int = 1) -> np.ndarray:
    """Demosaicking with directional filtering and a posteriori decision (DDFAPD): D. Menon, S. Andriani and
    G. Calvagno, "Demosaicing with directional filtering and a posteriori decision", IEEE Trans. Image
    Process. 16(1), 132-141, 2007, without the optional refining step.

    Green is interpolated both horizontally and vertically with the filter [-1/4, 1/2, 1/2, 1/2, -1/4]
    (bilinear plus a Laplacian of the site's colour); at each site the direction whose colour differences
    (R-G, B-G) vary less over a 5x5 neighbourhood (Eq. 5-6, weights [1, 1, 3, 1, 1] along, 1 across) wins.
    Red and blue follow by bilinear interpolation of colour differences along the chosen direction. This edge
    direction decision removes most of the zipper and false colour that linear methods leave at edges.
    """
    from scipy import ndimage

    _check(mosaic, cfa, "Menon 2007")
    x = mosaic.astype(np.float32, copy=False)
    h, w = x.shape
    masks = {c: np.zeros((h, w), bool) for c in "RGB"}
    for i, c in enumerate(cfa):
        masks[c][i // 2 :: 2, i % 2 :: 2] = True
    g_site, r_site, b_site = masks["G"], masks["R"], masks["B"]

    def horizontal(a: np.ndarray, taps: dict[int, float]) -> np.ndarray:
        return sum((np.float32(t) * _shift(a, 0, d) for d, t in taps.items()), np.zeros_like(a))

    def vertical(a: np.ndarray, taps: dict[int, float]) -> np.ndarray:
        return sum((np.float32(t) * _shift(a, d, 0) for d, t in taps.items()), np.zeros_like(a))

    green_taps = {-2: -0.25, -1: 0.5, 0: 0.5, 1: 0.5, 2: -0.25}
    g_h = np.where(g_site, x, horizontal(x, green_taps))
    g_v = np.where(g_site, x, vertical(x, green_taps))
    c_h = np.where(g_site, 0, x - g_h)  # colour differences at R and B sites
    c_v = np.where(g_site, 0, x - g_v)
    d_h = np.abs(c_h - np.pad(c_h, ((0, 0), (0, 2)), mode="reflect")[:, 2:])
    d_v = np.abs(c_v - np.pad(c_v, ((0, 2), (0, 0)), mode="reflect")[2:, :])
    # Classifier: sum of gradients in a 5x5 window, zero outside the image (Eq. 6).
    k = np.array([[0, 0, 1, 0, 1], [0, 0, 0, 1, 0], [0, 0, 3, 0, 3], [0, 0, 0, 1, 0], [0, 0, 1, 0, 1]], np.float32)
    score_h = ndimage.convolve(d_h, k, mode="constant")
    score_v = ndimage.convolve(d_v, np.ascontiguousarray(k.T), mode="constant")
    horizontal_wins = score_v >= score_h
    g = np.where(horizontal_wins, g_h, g_v)

    half = {-1: 0.5, 1: 0.5}
    r_rows = np.zeros((h, w), bool)
    b_rows = np.zeros((h, w), bool)
    r_rows[np.any(r_site, axis=1)] = True
    b_rows[np.any(b_site, axis=1)] = True
    r = np.where(r_site, x, 0).astype(np.float32)
    b = np.where(b_site, x, 0).astype(np.float32)
    # Red and blue at green sites: the colour difference of the two neighbours along the row or column.
    r = np.where(g_site & r_rows, g + horizontal(r, half) - horizontal(g, half), r)
    r = np.where(g_site & b_rows, g + vertical(r, half) - vertical(g, half), r)
    b = np.where(g_site & b_rows, g + horizontal(b, half) - horizontal(g, half), b)
    b = np.where(g_site & r_rows, g + vertical(b, half) - vertical(g, half), b)
    # Red at blue sites and blue at red sites: along the direction chosen for green.
    r_at_b = np.where(
        horizontal_wins, b + horizontal(r, half) - horizontal(b, half), b + vertical(r, half) - vertical(b, half)
    )
    b_at_r = np.where(
        horizontal_wins, r + horizontal(b, half) - horizontal(r, half), r + vertical(b, half) - vertical(r, half)
    )
    r = np.where(b_site, r_at_b, r)
    b = np.where(r_site, b_at_r, b)
    return np.stack([r, g, b], axis=-1).astype(np.float32, copy=False)


DEMOSAIC = {"bilinear": bilinear_demosaic, "malvar2004": malvar2004_demosaic, "menon2007": menon2007_demosaic}
"""Demosaic methods by name: each takes (mosaic, cfa, threads) and returns (rows, cols, 3) float32 RGB (bilinear
and Menon are NumPy array code and ignore ``threads``)."""
