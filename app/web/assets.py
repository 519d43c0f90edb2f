"""Front-end assets fetched from the npm registry at build time, never from a CDN at run time.

Each entry pins a package version and its registry ``integrity`` (SHA-512), and
names the files to take from the tarball. ``python -m app fetch-assets`` (run by
the README's commands and by ``.ci/run``) downloads, verifies and extracts them
into ``app/web/static/vendor/<package>/``; nothing third-party is committed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from app.web.caching import write_sidecars

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class NpmAsset:
    name: str
    version: str
    integrity: str  # "sha512-<base64>", as `npm view NAME@VERSION dist.integrity` prints it
    files: tuple[str, ...]  # paths inside the package (without the tarball's "package/" prefix)

    @property
    def tarball_url(self) -> str:
        bare = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{bare}-{self.version}.tgz"

    @property
    def target(self) -> Path:
        return VENDOR_DIR / self.name.replace("/", "__")


ASSETS: tuple[NpmAsset, ...] = (
    NpmAsset(
        "react",
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        ("umd/react.production.min.js",),
    ),
    NpmAsset(
        "react-dom",
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        ("umd/react-dom.production.min.js",),
    ),
    NpmAsset(
        "graphiql",
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        ("graphiql.min.js", "graphiql.min.css"),
    ),
    # The care console's graphql-transport-ws client: the UMD build exposes
    # `graphqlWs.createClient` (5.x; 6.x is ESM-only).
    NpmAsset(
        "graphql-ws",
        "5.16.2",
        "sha512-E1uccsZxt/96jH/OwmLPuXMACILs76pKF2i3W861LpKBCYtGIyPQGtWLuBLkND4ox1KHns70e83PS4te50nvPQ==",
        ("umd/graphql-ws.min.js",),
    ),
)


class AssetError(RuntimeError):
    pass


def _verify(asset: NpmAsset, blob: bytes) -> None:
    algo, _, expected = asset.integrity.partition("-")
    if algo != "sha512":
        raise AssetError(f"{asset.name}: unsupported integrity {algo}")
    actual = base64.b64encode(hashlib.sha512(blob).digest()).decode()
    if actual != expected:
        raise AssetError(f"{asset.name}@{asset.version}: integrity mismatch, refusing to install")


def _installed(asset: NpmAsset) -> bool:
    stamp = asset.target / ".version"
    return (
        stamp.exists()
        and stamp.read_text(encoding="utf-8").strip() == f"{asset.version} {asset.integrity}"
        and all((asset.target / f).exists() for f in asset.files)
    )


def _precompress(asset: NpmAsset) -> None:
    """Brotli and gzip forms at the best levels, made once here (seconds for GraphiQL's
    bundle), so that the service never compresses them per request or at start."""
    for rel in asset.files:
        write_sidecars(asset.target / rel)


def fetch_asset(asset: NpmAsset, timeout: float = 60) -> bool:
    """Install one asset (and its compressed forms); False if it was already there."""
    if _installed(asset):
        _precompress(asset)  # no-op when done
        return False
    with urllib.request.urlopen(asset.tarball_url, timeout=timeout) as resp:  # noqa: S310 - fixed https URL
        blob = resp.read()
    _verify(asset, blob)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for rel in asset.files:
            member = tar.extractfile(f"package/{rel}")
            if member is None:
                raise AssetError(f"{asset.name}: {rel} missing from the tarball")
            dest = asset.target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(member.read())
    _precompress(asset)
    (asset.target / ".version").write_text(f"{asset.version} {asset.integrity}\n", encoding="utf-8")
    return True


def fetch_all() -> list[str]:
    return [f"{a.name}@{a.version}" for a in ASSETS if fetch_asset(a)]


def missing() -> list[str]:
    return [f"{a.name}@{a.version}" for a in ASSETS if not _installed(a)]
