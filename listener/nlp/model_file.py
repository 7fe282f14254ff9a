"""The shipped classifier's file and its digest, readable without numpy.

`listener status` needs the extractor version (which names the classifier by digest) to tell
processed items from pending ones; importing numpy and decompressing the weights into arrays
cost it a tenth of its start-up. The digest covers the arrays' contents, not the zip (whose
entries carry a timestamp), so a reproducible retraining gives the same extractor version.
"""

from __future__ import annotations

import ast
import hashlib
import io
import struct
import zipfile
from functools import lru_cache
from importlib import resources

DEFAULT_MODEL = "classifier.npz"
DIGESTED = ("weights", "bias", "threshold", "meta")
"""The arrays the digest covers, in this order."""
_MAGIC = b"\x93NUMPY"


def packaged_bytes() -> bytes | None:
    """The shipped classifier file, or None when the package lacks it."""
    ref = resources.files("listener.nlp").joinpath("data", DEFAULT_MODEL)
    return ref.read_bytes() if ref.is_file() else None


@lru_cache(maxsize=1)
def packaged_digest() -> str | None:
    raw = packaged_bytes()
    return None if raw is None else npz_digest(raw)


def npz_digest(raw: bytes) -> str:
    """sha256 over the raw data of the ``DIGESTED`` arrays of an ``.npz`` file: the bytes
    ``np.ascontiguousarray(array).tobytes()`` gives for each, read from the ``.npy`` entries."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in DIGESTED:
            digest.update(_npy_data(archive.read(f"{name}.npy"), name))
    return digest.hexdigest()[:12]


def _npy_data(entry: bytes, name: str) -> bytes:
    """The data part of one ``.npy`` file (format versions 1 to 3), C-ordered as written."""
    if not entry.startswith(_MAGIC):
        raise ValueError(f"{name}.npy is not a numpy array file")
    major = entry[6]
    size_format, start = ("<H", 10) if major == 1 else ("<I", 12)
    (header_length,) = struct.unpack(size_format, entry[8:start])
    header = ast.literal_eval(entry[start : start + header_length].decode("latin1"))
    if header.get("fortran_order"):
        raise ValueError(f"{name}.npy is stored in Fortran order: save the model with numpy")
    return entry[start + header_length :]
